//! The OpenAPI 3 document, built from the operations the router registered.

use serde_json::{Map, Value, json};

/// Who may call a door device's operation (`roles`): the 401 answers of
/// these name the revoked device apart.
pub const DEVICE_ROLE: &str = "an enrolled door device (Authorization: Device <credential>)";

/// One documented operation.
#[derive(Clone, Debug)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// Who may call it; `None` for public operations.
    pub roles: Option<&'static str>,
    /// Example request body, if it takes one.
    pub body: Option<fn() -> Value>,
    /// Success status.
    pub success: u16,
    /// May hold the request open for the long-wait timeout (see
    /// `http::Timeouts`), e.g. a door's waiting sync.
    pub long_wait: bool,
}

impl Operation {
    pub const fn new(method: &'static str, path: &'static str, summary: &'static str) -> Self {
        Self {
            method,
            path,
            summary,
            roles: Some("any signed-in account"),
            body: None,
            success: 200,
            long_wait: false,
        }
    }

    /// Opts the route into the long-wait request timeout.
    pub const fn long_wait(mut self) -> Self {
        self.long_wait = true;
        self
    }

    pub const fn public(mut self) -> Self {
        self.roles = None;
        self
    }

    pub const fn roles(mut self, roles: &'static str) -> Self {
        self.roles = Some(roles);
        self
    }

    pub const fn body(mut self, example: fn() -> Value) -> Self {
        self.body = Some(example);
        self
    }

    pub const fn created(mut self) -> Self {
        self.success = 201;
        self
    }

    pub const fn no_content(mut self) -> Self {
        self.success = 204;
        self
    }

    pub fn is_public(&self) -> bool {
        self.roles.is_none()
    }
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

pub fn document(operations: &[Operation]) -> Value {
    let mut paths = Map::new();
    for op in operations {
        let mut responses = Map::new();
        responses.insert(
            op.success.to_string(),
            if op.success == 204 {
                json!({"description": "done, no content"})
            } else {
                json!({"description": "success", "content": {"application/json": {}}})
            },
        );
        responses.insert("400".into(), error_response("malformed request"));
        if !op.is_public() {
            responses.insert(
                "401".into(),
                error_response(if op.roles == Some(DEVICE_ROLE) {
                    "unknown credential (`unauthenticated`), or a revoked device (`device_revoked`: the door wipes its keys and list)"
                } else {
                    "no or expired session"
                }),
            );
            responses.insert(
                "403".into(),
                error_response("outside the caller's role or scope"),
            );
        }
        if op.body.is_some() {
            responses.insert("413".into(), error_response("body too large"));
            responses.insert(
                "422".into(),
                error_response("violates a rule; the message says which"),
            );
        }
        let mut operation = json!({
            "summary": op.summary,
            "operationId": format!("{} {}", op.method, op.path),
            "responses": responses,
        });
        if let Some(roles) = op.roles {
            operation["security"] = json!([{"session": []}]);
            operation["description"] = json!(format!("Allowed: {roles}."));
        } else {
            operation["security"] = json!([]);
        }
        let params: Vec<Value> = op
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}}))
            .collect();
        if !params.is_empty() {
            operation["parameters"] = Value::Array(params);
        }
        if let Some(example) = op.body {
            operation["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"type": "object"}, "example": example()}}});
        }
        let entry = paths.entry(op.path.to_owned()).or_insert_with(|| json!({}));
        entry[op.method.to_lowercase()] = operation;
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "CHO server", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Collective hospitality bans (collectieve horecaontzegging) under the area's AP protocol."},
        "paths": paths,
        "components": {
            "securitySchemes": {"session": {"type": "http", "scheme": "bearer", "description": "session token from POST /api/v1/auth/login"}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}}
        }
    })
}
