//! Complaints (bezwaar) over HTTP: record, extend, decide, list, read.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::extract::{ApiJson, Auth, Id, iso_date};
use super::{Api, Operation};
use crate::domain::complaint::Outcome;
use crate::services::App;
use crate::services::complaints::{
    self, ComplaintLine, ComplaintView, Decided, Extended, NewComplaintInput, Recorded,
};

pub fn routes(api: Api) -> Api {
    const BEHEERDER: &str = "the area's beheerder (another area's: 404)";
    api.route(
        Operation::new("POST", "/api/v1/bans/{id}/complaints", "Record a complaint (bezwaar) about a ban: late when received after the area's window from the notice (or issue); decision due 6 weeks after receipt")
            .roles(BEHEERDER)
            .created()
            .body(|| json!({"received_on": "2026-11-30", "summary": "Says he was not the one who struck the guest"})),
        post(record),
    )
    .route(
        Operation::new("POST", "/api/v1/complaints/{id}/extension", "Extend the decision period once, by 1 to 14 days, with a reason told to the person")
            .roles(BEHEERDER)
            .body(|| json!({"reason": "The committee hears the doorman first", "days": 14})),
        post(extend),
    )
    .route(
        Operation::new("POST", "/api/v1/complaints/{id}/decision", "Record the committee's decision: upheld overturns the ban (off the next list at once), rejected leaves it")
            .roles(BEHEERDER)
            .body(|| json!({"outcome": "upheld", "reasoning": "The camera images show another guest"})),
        post(decide),
    )
    .route(
        Operation::new("GET", "/api/v1/complaints/{id}", "A complaint with its summary, extension reason and reasoning (audited)").roles(BEHEERDER),
        get(read),
    )
    .route(
        Operation::new("GET", "/api/v1/areas/{id}/complaints", "The area's complaints: open first (overdue, due within 7 days, then by days left), decided below; no texts").roles(BEHEERDER),
        get(list),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordBody {
    received_on: String,
    summary: String,
}

async fn record(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<RecordBody>,
) -> Result<(StatusCode, axum::Json<Recorded>), ApiError> {
    let input = NewComplaintInput {
        received_on: iso_date(&b.received_on, "received_on")?,
        summary: b.summary,
    };
    let recorded = complaints::record(&app, &auth.actor, id, input).await?;
    Ok((StatusCode::CREATED, axum::Json(recorded)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtensionBody {
    reason: String,
    days: i64,
}

async fn extend(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<ExtensionBody>,
) -> Result<axum::Json<Extended>, ApiError> {
    Ok(axum::Json(
        complaints::extend(&app, &auth.actor, id, &b.reason, b.days).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    outcome: Outcome,
    reasoning: String,
}

async fn decide(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<DecisionBody>,
) -> Result<axum::Json<Decided>, ApiError> {
    Ok(axum::Json(
        complaints::decide(&app, &auth.actor, id, b.outcome, &b.reasoning).await?,
    ))
}

async fn read(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<ComplaintView>, ApiError> {
    Ok(axum::Json(complaints::get(&app, &auth.actor, id).await?))
}

async fn list(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<Vec<ComplaintLine>>, ApiError> {
    Ok(axum::Json(complaints::list(&app, &auth.actor, id).await?))
}
