//! Accounts over HTTP: create, list, and what a manager does to an
//! account (disable, re-enable, reset the password, end its sessions, set
//! an owner's venues). Who may is decided in `services::accounts`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::json;

use super::admin::Created;
use super::error::ApiError;
use super::extract::{ApiJson, Auth, Id};
use super::{Api, Operation};
use crate::domain::roles::Role;
use crate::services::App;
use crate::services::accounts::{self, AccountView, OneTimePassword};

pub fn routes(api: Api) -> Api {
    const MANAGER: &str =
        "operator (beheerders and operators); the area's beheerder (owners of the area)";
    api.route(
        Operation::new("GET", "/api/v1/areas/{id}/accounts", "Accounts of the area with their venues, disabled flag and last login: the beheerder sees all, the operator the beheerders")
            .roles("operator; the area's beheerder"),
        get(of_area),
    )
    .route(
        Operation::new("GET", "/api/v1/accounts", "Every beheerder and operator account of the deployment").roles("operator"),
        get(staff),
    )
    .route(
        Operation::new("POST", "/api/v1/accounts", "Create an account: the operator creates beheerders, a beheerder creates owners")
            .roles("operator; beheerder (owners of own area)")
            .created()
            .body(|| json!({"username": "owner3", "password": "at least 12 characters", "role": "owner", "area_id": 1, "venue_ids": [1]})),
        post(create),
    )
    .route(
        Operation::new("POST", "/api/v1/accounts/{id}/disable", "Disable an account and end its sessions (never your own)").roles(MANAGER),
        post(disable),
    )
    .route(
        Operation::new("POST", "/api/v1/accounts/{id}/enable", "Re-enable a disabled account").roles(MANAGER),
        post(enable),
    )
    .route(
        Operation::new("POST", "/api/v1/accounts/{id}/password-reset", "Reset the password: answers a one-time password, shown once, which the account must change at its next login; ends its sessions")
            .roles(MANAGER),
        post(reset_password),
    )
    .route(
        Operation::new("POST", "/api/v1/accounts/{id}/end-sessions", "End every session of the account").roles(MANAGER),
        post(end_sessions),
    )
    .route(
        Operation::new("PUT", "/api/v1/accounts/{id}/venues", "Set an owner's venues (at least one, all in the owner's area)")
            .roles("the area's beheerder")
            .body(|| json!({"venue_ids": [1, 2]})),
        put(set_venues),
    )
}

async fn of_area(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<Vec<AccountView>>, ApiError> {
    Ok(axum::Json(accounts::of_area(&app, &auth.actor, id).await?))
}

async fn staff(
    State(app): State<App>,
    auth: Auth,
) -> Result<axum::Json<Vec<AccountView>>, ApiError> {
    Ok(axum::Json(accounts::staff(&app, &auth.actor).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    username: String,
    password: String,
    role: Role,
    area_id: Option<i64>,
    #[serde(default)]
    venue_ids: Vec<i64>,
}

async fn create(
    State(app): State<App>,
    auth: Auth,
    ApiJson(b): ApiJson<NewAccount>,
) -> Result<(StatusCode, axum::Json<Created>), ApiError> {
    let id = accounts::create_account(
        &app,
        &auth.actor,
        accounts::NewAccount {
            username: &b.username,
            password: &b.password,
            role: b.role,
            area_id: b.area_id,
            venue_ids: &b.venue_ids,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(Created { id })))
}

async fn disable(State(app): State<App>, auth: Auth, Id(id): Id) -> Result<StatusCode, ApiError> {
    accounts::disable(&app, &auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn enable(State(app): State<App>, auth: Auth, Id(id): Id) -> Result<StatusCode, ApiError> {
    accounts::enable(&app, &auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reset_password(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<OneTimePassword>, ApiError> {
    Ok(axum::Json(
        accounts::reset_password(&app, &auth.actor, id).await?,
    ))
}

async fn end_sessions(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    accounts::end_sessions(&app, &auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Venues {
    venue_ids: Vec<i64>,
}

async fn set_venues(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<Venues>,
) -> Result<StatusCode, ApiError> {
    accounts::set_venues(&app, &auth.actor, id, &b.venue_ids).await?;
    Ok(StatusCode::NO_CONTENT)
}
