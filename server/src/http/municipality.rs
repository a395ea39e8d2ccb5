//! The municipality's view over HTTP (issue 9, item 7): the operator makes
//! `municipality` accounts; such an account reads its municipality's areas
//! (permit, protocol). Its statistics are the areas' statistics
//! (`/api/v1/areas/{id}/statistics`, in `overview.rs`). Who may is decided
//! in `services::municipality`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::extract::{ApiJson, Auth, Id};
use super::{Api, Operation};
use crate::services::App;
use crate::services::accounts::AccountView;
use crate::services::municipality::{self, MunicipalOverview, NewMunicipalityAccount};

pub fn routes(api: Api) -> Api {
    api.route(
        Operation::new("GET", "/api/v1/municipalities/{id}/accounts", "The municipality's read-only accounts").roles("operator"),
        get(accounts),
    )
    .route(
        Operation::new("POST", "/api/v1/municipalities/{id}/accounts", "Create a read-only account for the municipality: answers its one-time password, shown once, which it must change at its first login")
            .roles("operator")
            .created()
            .body(|| json!({"username": "gemeente-zwolle"})),
        post(create_account),
    )
    .route(
        Operation::new("GET", "/api/v1/municipality", "The municipality's own areas: permit (with its state: valid, expires soon, expired), protocol settings and categories; statistics per area at /api/v1/areas/{id}/statistics").roles("municipality"),
        get(overview),
    )
}

async fn accounts(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<Vec<AccountView>>, ApiError> {
    Ok(axum::Json(
        municipality::accounts(&app, &auth.actor, id).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    username: String,
}

async fn create_account(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<NewAccount>,
) -> Result<(StatusCode, axum::Json<NewMunicipalityAccount>), ApiError> {
    let created = municipality::create_account(&app, &auth.actor, id, &b.username).await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

async fn overview(
    State(app): State<App>,
    auth: Auth,
) -> Result<axum::Json<MunicipalOverview>, ApiError> {
    Ok(axum::Json(municipality::overview(&app, &auth.actor).await?))
}
