//! How errors leave the server: JSON `{"error": {"code", "message"}}` with a
//! stable code per kind. Server faults are logged once, here, and never
//! echoed; no message carries personal data.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::services::AppError;

pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let message = e.to_string();
        let (status, code) = match &e {
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            AppError::DeviceRevoked => (StatusCode::UNAUTHORIZED, "device_revoked"),
            AppError::LoginThrottled { retry_after } => {
                return Self {
                    retry_after: Some(*retry_after),
                    ..Self::new(StatusCode::TOO_MANY_REQUESTS, "login_throttled", message)
                };
            }
            AppError::TooManyAttempts { retry_after } => {
                return Self {
                    retry_after: Some(*retry_after),
                    ..Self::new(StatusCode::TOO_MANY_REQUESTS, "throttled", message)
                };
            }
            AppError::Busy { retry_after } => {
                return Self {
                    retry_after: Some(*retry_after),
                    ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message)
                };
            }
            AppError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::PasswordChangeRequired => (StatusCode::FORBIDDEN, "password_change_required"),
            AppError::NotAdmitted => (StatusCode::FORBIDDEN, "not_admitted"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::Invalid(_) | AppError::Look(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
            }
            AppError::BanRule(_) => (StatusCode::UNPROCESSABLE_ENTITY, "ban_rule"),
            AppError::Protocol(_) => (StatusCode::UNPROCESSABLE_ENTITY, "protocol_rule"),
            AppError::Storage(_) | AppError::Secrets(_) | AppError::Internal(_) => {
                tracing::error!(error = ?e, "request failed");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal server error",
                );
            }
        };
        Self::new(status, code, message)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
            _ => "invalid_json",
        };
        let message = match &r {
            // Syntax errors name a position, never a value.
            JsonRejection::JsonDataError(_) => without_values(&r.body_text()),
            _ => r.body_text(),
        };
        Self::new(status, code, message)
    }
}

/// A deserialisation error that names the field (its path) and what was
/// expected, never the submitted value: serde's own messages quote it
/// (`invalid type: string "Jansen", expected u64`), and it may be personal
/// data. Unknown field names are kept only when they look like field names.
pub fn without_values(text: &str) -> String {
    // axum: "Failed to deserialize ...: <path>: <serde message>"; the path
    // is absent at the top level.
    let detail = text.split_once("target type: ").map_or(text, |(_, d)| d);
    let detail = text.split_once("query string: ").map_or(detail, |(_, d)| d);
    let detail = detail.rsplit_once(" at line ").map_or(detail, |(d, _)| d);
    const KINDS: [&str; 8] = [
        "invalid type",
        "invalid value",
        "invalid length",
        "unknown variant",
        "unknown field",
        "missing field",
        "duplicate field",
        "expected",
    ];
    let (path, message) = if KINDS.iter().any(|k| detail.starts_with(k)) {
        ("", detail)
    } else {
        match detail.split_once(": ") {
            Some((path, message)) if is_path(path) => (path, message),
            // A path holding a submitted key: dropped.
            Some((_, message)) if KINDS.iter().any(|k| message.starts_with(k)) => ("", message),
            _ => ("", detail),
        }
    };
    let expected = message
        .rsplit_once(", expected ")
        .map(|(_, e)| format!(", expected {e}"))
        .unwrap_or_default();
    let quoted_name = || {
        message
            .split('`')
            .nth(1)
            .filter(|n| n.len() <= 40 && is_path(n))
            .map(|n| format!(" `{n}`"))
            .unwrap_or_default()
    };
    let what = if message.starts_with("invalid type") {
        format!("wrong type{expected}")
    } else if message.starts_with("invalid value") {
        format!("invalid value{expected}")
    } else if message.starts_with("invalid length") {
        format!("invalid length{expected}")
    } else if message.starts_with("unknown variant") {
        format!("unknown value{expected}")
    } else if message.starts_with("unknown field") {
        format!("unknown field{}", quoted_name())
    } else if message.starts_with("missing field") {
        format!("missing field{}", quoted_name())
    } else if message.starts_with("duplicate field") {
        format!("duplicate field{}", quoted_name())
    } else {
        "invalid value".to_owned()
    };
    if path.is_empty() || path == "." {
        what
    } else {
        format!("{path}: {what}")
    }
}

/// A serde path made of names like ours (`person.surname`, `entries[0]`):
/// lower-case snake case. A submitted key that is not shaped so is never
/// repeated.
fn is_path(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 60
        && text.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '[' | ']')
        })
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "path parameter must be a positive integer",
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            without_values(&r.body_text()),
        )
    }
}

/// `{"error": {"code", "message"}}`.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'static str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: self.code,
                    message: &self.message,
                },
            }),
        )
            .into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::without_values;

    const PREFIX: &str = "Failed to deserialize the JSON body into the target type: ";

    #[test]
    fn deserialisation_errors_keep_the_field_and_drop_the_value() {
        for (serde, expected) in [
            (
                "venue_id: invalid type: string \"Jansen\", expected i64 at line 1 column 20",
                "venue_id: wrong type, expected i64",
            ),
            (
                "person.surname: invalid value: string \"x, expected y\", expected a name",
                "person.surname: invalid value, expected a name",
            ),
            (
                "status: unknown variant `Jansen`, expected one of `active`, `revoked`",
                "status: unknown value, expected one of `active`, `revoked`",
            ),
            (
                "photo: unknown field `photo`, expected one of `venue_id`",
                "photo: unknown field `photo`",
            ),
            (
                "Piet Jansen: unknown field `Piet Jansen`, expected `name`",
                "unknown field",
            ),
            ("missing field `category_id`", "missing field `category_id`"),
            (
                "hearing: something custom about \"Jansen\"",
                "hearing: invalid value",
            ),
        ] {
            assert_eq!(without_values(&format!("{PREFIX}{serde}")), expected);
        }
    }
}
