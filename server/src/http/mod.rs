//! The HTTP interface: JSON under `/api/v1` and `/healthz` and the web
//! pages (`crate::web`) on the public listener; `/metrics` on its own listener (see [`metrics::router`]).
//!
//! Routes are registered through [`Api::route`], which records each
//! operation's documentation beside its handler, so the OpenAPI document
//! (`/api/v1/openapi.json`) is built from the router itself and cannot fall
//! out of step with it.

mod accounts;
mod admin;
// Four-eyes and repeat rules (issue 9 items 5, 6).
mod approvals;
mod auth;
mod bans;
pub mod client;
// Complaints (bezwaar) against bans: issue 9 item 3.
mod complaints;
mod devices;
mod edge;
pub mod error;
mod extract;
// letters.rs: the notice after issue and the notice letter (issue 9).
mod letters;
pub mod metrics;
// Issue 9, item 7: the municipality's view.
mod municipality;
mod openapi;
mod ops;
mod overview;
pub mod serve;
// Issue 9 item 4: data-subject requests.
mod subject_requests;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::MethodRouter;

use crate::services::App;
pub use openapi::Operation;

/// Largest request body accepted: a ban with long texts fits many times.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// Most request headers accepted, by count and by total size; beyond
/// either, 431 with a JSON body.
pub const MAX_HEADERS: usize = 100;
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// How long the router gives a request, body included, before it answers
/// 408 (a client sending a short body is cut off by this).
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// Every route.
    pub request: Duration,
    /// Routes registered with [`Operation::long_wait`] (a door's waiting
    /// sync): they may hold a request open this long.
    pub long_wait: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            request: Duration::from_secs(30),
            long_wait: Duration::from_secs(120),
        }
    }
}

/// The router plus the documentation of every operation on it.
pub struct Api {
    router: Router<App>,
    operations: Vec<Operation>,
}

impl Api {
    fn new() -> Self {
        Self {
            router: Router::new(),
            operations: Vec::new(),
        }
    }

    /// Registers `handler` for `op` (method and path in the operation).
    fn route(mut self, op: Operation, handler: MethodRouter<App>) -> Self {
        // axum merges several methods registered on one path.
        self.router = self.router.route(op.path, handler);
        self.operations.push(op);
        self
    }
}

/// Every documented operation, for the OpenAPI document and its tests.
pub fn operations() -> Vec<Operation> {
    api().operations
}

fn api() -> Api {
    let api = Api::new();
    let api = ops::routes(api);
    let api = auth::routes(api);
    let api = admin::routes(api);
    let api = accounts::routes(api);
    let api = bans::routes(api);
    // Complaints (bezwaar): issue 9 item 3.
    let api = complaints::routes(api);
    // The notice and the letter (http/letters.rs, issue 9).
    let api = letters::routes(api);
    // Four-eyes and repeat rules (issue 9 items 5, 6).
    let api = approvals::routes(api);
    let api = overview::routes(api);
    // Issue 9, item 7: the municipality's view (nine-municipality).
    let api = municipality::routes(api);
    // Issue 9 item 4: data-subject requests.
    let api = subject_requests::routes(api);
    devices::routes(api)
}

/// Whether a path belongs to the JSON interface (its errors are JSON);
/// everything else is a page.
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/healthz"
}

async fn not_found(
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if is_api_path(uri.path()) {
        error::ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            "no such route",
        )
        .into_response()
    } else {
        crate::web::not_found(&headers, &uri)
    }
}

async fn method_not_allowed(
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if is_api_path(uri.path()) {
        error::ApiError::new(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this route does not take that method",
        )
        .into_response()
    } else {
        crate::web::method_not_allowed(&headers, &uri)
    }
}

/// The public router with the default request timeouts.
pub fn router(app: App) -> Router {
    router_with(app, Timeouts::default())
}

/// The public router (everything but `/metrics`).
pub fn router_with(app: App, timeouts: Timeouts) -> Router {
    let Api { router, operations } = api();
    let document = openapi::document(&operations);
    let long_wait_routes: Arc<[&'static str]> = operations
        .iter()
        .filter(|op| op.long_wait)
        .map(|op| op.path)
        .collect();
    router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let document = document.clone();
                // Public and the same for everyone: caches may keep it,
                // revalidating.
                async move {
                    (
                        [(axum::http::header::CACHE_CONTROL, "no-cache")],
                        axum::Json(document),
                    )
                }
            }),
        )
        .merge(crate::web::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // The deployment's name and contact for every page's layout,
        // error pages included.
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            crate::web::site_scope,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            edge::RequestTimeouts {
                timeouts,
                long_wait_routes,
            },
            edge::request_timeout,
        ))
        .layer(axum::middleware::from_fn(edge::header_limits))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            metrics::track,
        ))
        // Outermost: every answer gets the headers, errors included.
        .layer(axum::middleware::from_fn(edge::security_headers))
        .with_state(app)
}
