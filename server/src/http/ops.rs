//! Operational endpoints: health and metrics.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use super::error::ApiError;
use super::{Api, Operation};
use crate::services::{App, AppError};
use crate::storage::bans;

pub fn routes(api: Api) -> Api {
    api.route(
        Operation::new("GET", "/healthz", "Health: the database answers").public(),
        get(healthz),
    )
    .route(
        Operation::new("GET", "/metrics", "Prometheus metrics").public(),
        get(metrics),
    )
}

async fn healthz(State(app): State<App>) -> impl IntoResponse {
    // A clock behind the latest list stops publication here (other
    // instances may still publish): reported, but the instance still serves.
    if let Some(behind) = app.list_clock.seconds_behind()
        && app.db.ping().await.is_ok()
    {
        return (
            StatusCode::OK,
            axum::Json(json!({"status": "degraded",
                "list_clock": {"status": "behind", "seconds_behind": behind}})),
        );
    }
    match app.db.ping().await {
        Ok(()) => (StatusCode::OK, axum::Json(json!({"status": "ok"}))),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "database unavailable"})),
        ),
    }
}

async fn metrics(State(app): State<App>) -> Result<impl IntoResponse, ApiError> {
    let active = bans::active_counts(&app.db, app.clock.today())
        .await
        .map_err(AppError::from)?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(&active) + &app.list_clock.render(),
    ))
}
