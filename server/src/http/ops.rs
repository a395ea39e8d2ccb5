//! Operational endpoints: health (metrics have their own listener, see
//! `metrics::router`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;

use super::{Api, Operation};
use crate::services::{App, health};

pub fn routes(api: Api) -> Api {
    api.route(
        Operation::new("GET", "/healthz", "Health: the database answers").public(),
        get(healthz),
    )
}

async fn healthz(State(app): State<App>) -> impl IntoResponse {
    let health = health::check(&app).await;
    let status = if health.is_serving() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(health))
}
