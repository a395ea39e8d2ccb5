//! Statistics, overviews, the public area data and the municipality look:
//! each handler parses, calls one service, and returns its typed view.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, put};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::extract::{ApiJson, Auth, Id};
use super::{Api, Operation};
use crate::services::look::NewLook;
use crate::services::public::Contact;
use crate::services::{App, AppError, look, overview, public, statistics};

/// A 64 KiB logo grows by a third in base64: the look's body limit.
const LOOK_BODY_LIMIT_BYTES: usize = 96 * 1024;

pub fn routes(api: Api) -> Api {
    const FIGURES: &str = "operator; the area's beheerder (another area's: 404)";
    const STATISTICS: &str = "operator; the area's beheerder; a municipality account for its municipality's areas, per-venue counts of 1 to 4 as \"<5\" (another area's: 404)";
    api.route(
        Operation::new("GET", "/api/v1/areas/{id}/statistics", "Active bans per category and venue today; per month bans issued, expired, revoked and overturned, for the area and per venue (purged bans included)").roles(STATISTICS),
        get(area_statistics),
    )
    .route(
        Operation::new("GET", "/api/v1/areas/{id}/statistics.csv", "The statistics as CSV").roles(STATISTICS),
        get(area_statistics_csv),
    )
    .route(
        Operation::new("GET", "/api/v1/dashboard", "The owner's dashboard: venues, active bans, door phones (each with `checks_tonight`, the anonymous door counts since 12:00 Dutch time of the night's first day), the area's latest list").roles("owner"),
        get(dashboard),
    )
    .route(
        Operation::new("GET", "/api/v1/areas/{id}/overview", "Area overview: permit, venues, active bans, door phones, list version and age").roles(FIGURES),
        get(area_overview),
    )
    .route(
        Operation::new("GET", "/api/v1/operator/overview", "Municipalities, their areas and each area's beheerder accounts").roles("operator"),
        get(operator_overview),
    )
    .route(
        Operation::new("PUT", "/api/v1/areas/{id}/contact", "Set the area's public contact and complaint-committee fields").roles("the area's beheerder").body(|| {
            json!({"contact_email": "cho@zwolle.example", "contact_phone": "038 498 9111",
                   "complaint_committee_address": "Postbus 10007, 8000 GA Zwolle",
                   "complaint_committee_email": "klachten@zwolle.example", "privacy_contact": "privacy@zwolle.example"})
        }),
        put(set_contact),
    )
    .route(
        Operation::new("PUT", "/api/v1/municipalities/{id}/look", "Set the municipality's primary colour (#rrggbb, at least 4.5:1 with white) and logo (PNG or SVG, at most 64 KiB)").roles("operator").body(|| {
            json!({"primary_colour": "#1d4f91", "logo_base64": "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=", "logo_type": "image/svg+xml"})
        }),
        put(set_look).layer(DefaultBodyLimit::max(LOOK_BODY_LIMIT_BYTES)),
    )
    .route(
        Operation::new("GET", "/api/v1/public/areas", "The deployment (name, contact) and the areas with a public page (a permit valid today)").public(),
        get(public_areas),
    )
    .route(
        Operation::new("GET", "/api/v1/public/areas/{id}", "An area's public page: venues taking part, categories and durations, how to object, whom to ask").public(),
        get(public_area),
    )
    .route(
        Operation::new("GET", "/api/v1/public/venues/{id}/sign", "The door sign of a participating venue").public(),
        get(door_sign),
    )
}

async fn area_statistics(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<statistics::Statistics>, ApiError> {
    Ok(axum::Json(statistics::area(&app, &auth.actor, id).await?))
}

async fn area_statistics_csv(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<impl IntoResponse, ApiError> {
    let s = statistics::area(&app, &auth.actor, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"statistics.csv\"",
            ),
        ],
        statistics::to_csv(&s),
    ))
}

async fn dashboard(
    State(app): State<App>,
    auth: Auth,
) -> Result<axum::Json<overview::Dashboard>, ApiError> {
    Ok(axum::Json(overview::dashboard(&app, &auth.actor).await?))
}

async fn area_overview(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<overview::AreaOverview>, ApiError> {
    Ok(axum::Json(overview::area(&app, &auth.actor, id).await?))
}

async fn operator_overview(
    State(app): State<App>,
    auth: Auth,
) -> Result<axum::Json<overview::OperatorOverview>, ApiError> {
    Ok(axum::Json(overview::operator(&app, &auth.actor).await?))
}

async fn set_contact(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<Contact>,
) -> Result<StatusCode, ApiError> {
    public::set_contact(&app, &auth.actor, id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LookBody {
    primary_colour: Option<String>,
    logo_base64: Option<String>,
    logo_type: Option<String>,
}

async fn set_look(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<LookBody>,
) -> Result<StatusCode, ApiError> {
    let logo = match (&body.logo_base64, &body.logo_type) {
        (Some(data), Some(content_type)) => Some((
            base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|_| AppError::Invalid("logo_base64 is not base64".to_owned()))?,
            content_type.as_str(),
        )),
        (None, None) => None,
        _ => {
            return Err(
                AppError::Invalid("logo_base64 and logo_type go together".to_owned()).into(),
            );
        }
    };
    let new = NewLook {
        primary_colour: body.primary_colour.as_deref(),
        logo: logo.as_ref().map(|(bytes, t)| (bytes.as_slice(), *t)),
    };
    look::set_look(&app, &auth.actor, id, new).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn public_areas(State(app): State<App>) -> Result<axum::Json<public::PublicIndex>, ApiError> {
    Ok(axum::Json(public::index(&app).await?))
}

async fn public_area(
    State(app): State<App>,
    Id(id): Id,
) -> Result<axum::Json<public::PublicArea>, ApiError> {
    Ok(axum::Json(public::area(&app, id).await?))
}

async fn door_sign(
    State(app): State<App>,
    Id(id): Id,
) -> Result<axum::Json<public::DoorSign>, ApiError> {
    Ok(axum::Json(public::door_sign(&app, id).await?))
}
