//! Login, logout, password change, and who am I.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::ClientAddr;
use super::error::ApiError;
use super::extract::{ApiJson, SessionAuth};
use super::{Api, Operation};
use crate::domain::roles::Role;
use crate::services::{App, auth};

pub fn routes(api: Api) -> Api {
    api.route(
        Operation::new(
            "POST",
            "/api/v1/auth/login",
            "Log in: returns a session token (and must_change_password after a reset)",
        )
        .public()
        .body(|| json!({"username": "owner1", "password": "..."})),
        post(login),
    )
    .route(
        Operation::new("POST", "/api/v1/auth/logout", "End this session"),
        post(logout),
    )
    .route(
        Operation::new(
            "POST",
            "/api/v1/auth/password",
            "Change the password (ends all sessions)",
        )
        .body(|| json!({"current_password": "...", "new_password": "at least 12 characters"})),
        post(change_password),
    )
    .route(
        Operation::new("GET", "/api/v1/me", "The signed-in account and its scope"),
        get(me),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

async fn login(
    State(app): State<App>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<Login>,
) -> Result<axum::Json<LoginAnswer>, ApiError> {
    let session = auth::login(&app, client, &body.username, &body.password).await?;
    Ok(axum::Json(LoginAnswer {
        token: session.token,
        expires_at: session.expires_at,
        role: session.role,
        account_id: session.account_id,
        must_change_password: session.must_change_password,
    }))
}

#[derive(Serialize)]
struct LoginAnswer {
    token: String,
    expires_at: i64,
    role: Role,
    account_id: i64,
    /// True after a password reset: every other call answers 403
    /// `password_change_required` until `/api/v1/auth/password`.
    must_change_password: bool,
}

// Logout, password change and `me` stay open to an account that must
// change its password (SessionAuth, not Auth).
async fn logout(State(app): State<App>, auth: SessionAuth) -> Result<StatusCode, ApiError> {
    auth::logout(&app, &auth.actor, &auth.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(app): State<App>,
    auth: SessionAuth,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    auth::change_password(
        &app,
        &auth.actor,
        client,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct Me {
    account_id: i64,
    role: Role,
    area_id: Option<i64>,
    venue_ids: Vec<i64>,
    must_change_password: bool,
}

async fn me(auth: SessionAuth) -> axum::Json<Me> {
    let a = auth.actor;
    axum::Json(Me {
        account_id: a.account_id,
        role: a.role,
        area_id: a.area_id,
        venue_ids: a.venue_ids,
        must_change_password: a.must_change_password,
    })
}
