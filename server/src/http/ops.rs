//! Operational endpoints: health (metrics have their own listener, see
//! `metrics::router`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use super::{Api, Operation};
use crate::services::App;

pub fn routes(api: Api) -> Api {
    api.route(
        Operation::new("GET", "/healthz", "Health: the database answers").public(),
        get(healthz),
    )
}

async fn healthz(State(app): State<App>) -> impl IntoResponse {
    match app.db.ping().await {
        Ok(()) => (StatusCode::OK, axum::Json(json!({"status": "ok"}))),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "database unavailable"})),
        ),
    }
}
