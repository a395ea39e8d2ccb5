//! The OpenAPI document lists exactly the router's operations; what it
//! calls protected refuses a caller without credentials.

use std::collections::BTreeSet;

use axum::http::StatusCode;

use crate::both;
use crate::harness::*;

both!(document_lists_every_operation_and_nothing_else);
async fn document_lists_every_operation_and_nothing_else(app: TestApp) {
    let (status, doc) = app.request("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.0.3");
    let operations = cho_server::http::operations();
    let expected: BTreeSet<(String, String)> = operations
        .iter()
        .map(|op| (op.method.to_lowercase(), op.path.to_owned()))
        .collect();
    assert_eq!(
        expected.len(),
        operations.len(),
        "no operation registered twice"
    );
    let mut listed = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            listed.insert((method.clone(), path.clone()));
            let op = operations
                .iter()
                .find(|o| o.method.to_lowercase() == *method && o.path == path)
                .expect("documented operation exists");
            assert_eq!(operation["summary"], op.summary);
            let security = operation["security"].as_array().expect("security");
            assert_eq!(security.is_empty(), op.is_public(), "{method} {path}");
            let responses = operation["responses"].as_object().expect("responses");
            assert!(
                responses.contains_key(&op.success.to_string()),
                "{method} {path}"
            );
            assert_eq!(
                responses.contains_key("401"),
                !op.is_public(),
                "{method} {path}"
            );
            if path.contains("{id}") {
                assert_eq!(operation["parameters"][0]["name"], "id", "{method} {path}");
            }
            if op.body.is_some() {
                assert!(
                    operation["requestBody"]["content"]["application/json"]["example"].is_object()
                );
            }
        }
    }
    assert_eq!(listed, expected);
    let public: BTreeSet<&str> = operations
        .iter()
        .filter(|o| o.is_public())
        .map(|o| o.path)
        .collect();
    assert_eq!(
        public,
        BTreeSet::from([
            "/healthz",
            "/api/v1/auth/login",
            "/api/v1/devices/enrol",
            // DOMAIN rule 10: the public page's data and the door signs.
            "/api/v1/public/areas",
            "/api/v1/public/areas/{id}",
            "/api/v1/public/venues/{id}/sign",
        ])
    );
}

both!(protected_operations_refuse_anonymous_callers);
async fn protected_operations_refuse_anonymous_callers(app: TestApp) {
    // An empty database: no seed is needed to be refused.
    let events = app.count("audit_events").await;
    for op in cho_server::http::operations() {
        let path = op.path.replace("{id}", "1");
        let body = op.body.map(|example| example());
        let (status, answer) = app.request(op.method, &path, None, body.clone()).await;
        if op.is_public() {
            // Login answers 401 for the example's unknown user, but
            // never for want of a session.
            assert_ne!(
                answer["error"]["code"], "unauthenticated",
                "{} {path}",
                op.method
            );
            assert_ne!(
                status,
                StatusCode::FORBIDDEN,
                "{} {path}: {answer}",
                op.method
            );
        } else {
            assert_error(
                &(status, answer),
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
            );
            // A forged or stale token is refused just the same.
            let answer = app
                .request(op.method, &path, Some("forged-token"), body)
                .await;
            assert_error(&answer, StatusCode::UNAUTHORIZED, "unauthenticated");
        }
    }
    // No write for a refused call; the two public operations' failures
    // (an unknown user's login, an unknown enrolment code) are audited.
    let written: Vec<String> = app
        .events_after(events)
        .await
        .into_iter()
        .map(|e| e.1)
        .collect();
    assert_eq!(
        written,
        vec!["login.failed".to_owned(), "device.enrol.failed".to_owned()],
        "no write for a refused call"
    );
    // Reachable without credentials.
    for path in ["/healthz", "/api/v1/openapi.json"] {
        let (status, _) = app.request("GET", path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    // Metrics live on their own listener, not on the public router.
    let (status, _) = app.request("GET", "/metrics", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
