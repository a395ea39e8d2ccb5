//! Four-eyes over HTTP (issue 9 item 5): approving and rejecting a
//! requested ban, and reading an area's four-eyes and repeat rules (set
//! with `PUT /api/v1/areas/{id}/protocol`, in `admin.rs`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::extract::{ApiJson, Auth, Id};
use super::{Api, Operation};
use crate::services::App;
use crate::services::approvals::{self, ReviewRulesView};

pub fn routes(api: Api) -> Api {
    api.route(
        Operation::new(
            "POST",
            "/api/v1/bans/{id}/approve",
            "Four-eyes: approve a requested ban (it becomes active from today, with its duration)",
        )
        .roles("beheerder (own area)"),
        post(approve),
    )
    .route(
        Operation::new(
            "POST",
            "/api/v1/bans/{id}/reject",
            "Four-eyes: reject a requested ban, with a reason (sealed)",
        )
        .roles("beheerder (own area)")
        .body(|| json!({"reason": "the incident does not meet the protocol"})),
        post(reject),
    )
    .route(
        Operation::new(
            "GET",
            "/api/v1/areas/{id}/review-rules",
            "Four-eyes and the repeat rules of the area's protocol",
        )
        .roles("operator; the area's beheerder and owners"),
        get(review_rules),
    )
}

async fn approve(State(app): State<App>, auth: Auth, Id(id): Id) -> Result<StatusCode, ApiError> {
    approvals::approve(&app, &auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reason: String,
}

async fn reject(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<RejectBody>,
) -> Result<StatusCode, ApiError> {
    approvals::reject(&app, &auth.actor, id, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn review_rules(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<ReviewRulesView>, ApiError> {
    Ok(axum::Json(
        approvals::review_rules(&app, &auth.actor, id).await?,
    ))
}
