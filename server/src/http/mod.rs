//! The HTTP interface: JSON under `/api/v1`, `/healthz`, `/metrics`.
//!
//! Routes are registered through [`Api::route`], which records each
//! operation's documentation beside its handler, so the OpenAPI document
//! (`/api/v1/openapi.json`) is built from the router itself and cannot fall
//! out of step with it.

mod admin;
mod auth;
mod bans;
pub mod client;
mod devices;
pub mod error;
mod extract;
pub mod metrics;
mod openapi;
mod ops;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::MethodRouter;

use crate::services::App;
pub use openapi::Operation;

/// Largest request body accepted: a ban with long texts fits many times.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

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
    let api = bans::routes(api);
    devices::routes(api)
}

/// The whole application's router.
pub fn router(app: App) -> Router {
    let Api { router, operations } = api();
    let document = openapi::document(&operations);
    router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let document = document.clone();
                async move { axum::Json(document) }
            }),
        )
        .fallback(|| async {
            error::ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                "no such route",
            )
        })
        .method_not_allowed_fallback(|| async {
            error::ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            metrics::track,
        ))
        .with_state(app)
}
