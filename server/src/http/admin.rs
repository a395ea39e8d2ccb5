//! Municipalities, areas and their protocol (permit, settings, offence
//! categories), venues, and the area's audit trail. Accounts are in
//! `accounts.rs`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, Auth, Id, iso_date, optional_iso_date};
use super::{Api, Operation};
use crate::domain::protocol::{Durations, Permit, ProtocolSettings};
use crate::services::admin::{AreaView, CategoryTexts, CategoryView, MunicipalityView, VenueView};
use crate::services::{App, AppError, AppResult, admin, audit};

pub fn routes(api: Api) -> Api {
    const OPERATOR: &str = "operator";
    const BEHEERDER: &str = "the area's beheerder";
    const IN_AREA: &str = "operator; the area's beheerder and owners";
    api.route(Operation::new("GET", "/api/v1/municipalities", "List municipalities").roles(OPERATOR), get(municipalities))
        .route(
            Operation::new("POST", "/api/v1/municipalities", "Create a municipality").roles(OPERATOR).created().body(|| json!({"name": "Zwolle"})),
            post(create_municipality),
        )
        .route(Operation::new("GET", "/api/v1/areas", "List the areas the caller may see"), get(areas))
        .route(
            Operation::new("POST", "/api/v1/areas", "Create an area (CHO protocol) with its first identity key").roles(OPERATOR).created().body(|| {
                json!({"municipality_id": 1, "name": "Binnenstad Zwolle", "complaint_window_days": 14, "retention_days": 0, "max_list_age_seconds": 86400})
            }),
            post(create_area),
        )
        .route(Operation::new("GET", "/api/v1/areas/{id}", "An area with its protocol and permit").roles(IN_AREA), get(area))
        .route(
            Operation::new("PUT", "/api/v1/areas/{id}/permit", "Record the AP permit").roles(BEHEERDER).body(|| {
                json!({"reference": "z2025-01234", "granted_on": "2025-03-01", "expires_on": "2030-02-28"})
            }),
            put(set_permit),
        )
        .route(
            Operation::new("PUT", "/api/v1/areas/{id}/protocol", "Set complaint window, retention and maximum list age").roles(BEHEERDER).body(|| {
                json!({"complaint_window_days": 14, "retention_days": 0, "max_list_age_seconds": 86400})
            }),
            put(set_protocol),
        )
        .route(Operation::new("GET", "/api/v1/areas/{id}/categories", "Offence categories of the protocol").roles(IN_AREA), get(categories))
        .route(
            Operation::new("POST", "/api/v1/areas/{id}/categories", "Add an offence category (maximum at most 730 days)").roles(BEHEERDER).created().body(|| {
                json!({"code": "geweld", "name": "Vechtpartij", "default_days": 182, "max_days": 365,
                       "description_nl": "Vechten of iemand slaan in of bij de zaak.", "description_en": "Fighting or hitting someone in or near the venue."})
            }),
            post(create_category),
        )
        .route(
            Operation::new("GET", "/api/v1/areas/{id}/categories/retired", "Retired offence categories (they keep their bans; no new ban may choose them)").roles(IN_AREA),
            get(retired_categories),
        )
        .route(
            Operation::new("PUT", "/api/v1/categories/{id}", "Change a category's name and durations (applies to bans issued afterwards)").roles(BEHEERDER).body(|| {
                json!({"name": "Vechtpartij", "default_days": 182, "max_days": 365,
                       "description_nl": "Vechten of iemand slaan in of bij de zaak.", "description_en": "Fighting or hitting someone in or near the venue."})
            }),
            put(update_category),
        )
        .route(
            Operation::new("POST", "/api/v1/categories/{id}/retire", "Retire a category: it keeps its bans, no new ban may choose it").roles(BEHEERDER),
            post(retire_category),
        )
        .route(Operation::new("GET", "/api/v1/areas/{id}/venues", "Venues of the area").roles(IN_AREA), get(venues))
        .route(
            Operation::new("POST", "/api/v1/areas/{id}/venues", "Add a venue, admitted under the permit on a date").roles(BEHEERDER).created().body(|| {
                json!({"name": "Café De Kroon", "address": "Grote Markt 1, Zwolle", "kvk_number": "12345678", "admitted_on": "2025-04-01"})
            }),
            post(create_venue),
        )
        .route(
            Operation::new("PUT", "/api/v1/venues/{id}/admission", "Admit or withdraw a venue").roles(BEHEERDER).body(|| json!({"admitted_on": "2025-04-01", "withdrawn_on": null})),
            put(set_admission),
        )
        .route(Operation::new("GET", "/api/v1/areas/{id}/audit", "Page through the area's audit trail (?after=&limit=), filtered by action, actor, object_type, object_id and time (?from=&until=, unix seconds)").roles(BEHEERDER), get(audit_page))
}

/// The id of what a POST created.
#[derive(Serialize)]
pub struct Created {
    pub id: i64,
}

async fn municipalities(
    State(app): State<App>,
    auth: Auth,
) -> Result<axum::Json<Vec<MunicipalityView>>, ApiError> {
    Ok(axum::Json(admin::municipalities(&app, &auth.actor).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMunicipality {
    name: String,
}

async fn create_municipality(
    State(app): State<App>,
    auth: Auth,
    ApiJson(body): ApiJson<NewMunicipality>,
) -> Result<(StatusCode, axum::Json<Created>), ApiError> {
    let id = admin::create_municipality(&app, &auth.actor, &body.name).await?;
    Ok((StatusCode::CREATED, axum::Json(Created { id })))
}

async fn areas(State(app): State<App>, auth: Auth) -> Result<axum::Json<Vec<AreaView>>, ApiError> {
    Ok(axum::Json(admin::list_areas(&app, &auth.actor).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewArea {
    municipality_id: i64,
    name: String,
    complaint_window_days: Option<i64>,
    retention_days: Option<i64>,
    max_list_age_seconds: Option<i64>,
}

fn settings(
    complaint: Option<i64>,
    retention: Option<i64>,
    max_age: Option<i64>,
) -> AppResult<ProtocolSettings> {
    let d = ProtocolSettings::default();
    Ok(ProtocolSettings::new(
        complaint.unwrap_or(d.complaint_window_days),
        retention.unwrap_or(d.retention_days),
        max_age.unwrap_or(d.max_list_age_seconds),
    )?)
}

async fn create_area(
    State(app): State<App>,
    auth: Auth,
    ApiJson(body): ApiJson<NewArea>,
) -> Result<(StatusCode, axum::Json<Created>), ApiError> {
    let s = settings(
        body.complaint_window_days,
        body.retention_days,
        body.max_list_age_seconds,
    )?;
    let id = admin::create_area(&app, &auth.actor, body.municipality_id, &body.name, s).await?;
    Ok((StatusCode::CREATED, axum::Json(Created { id })))
}

async fn area(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<AreaView>, ApiError> {
    Ok(axum::Json(admin::area(&app, &auth.actor, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PermitBody {
    reference: String,
    granted_on: String,
    expires_on: String,
}

async fn set_permit(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<PermitBody>,
) -> Result<StatusCode, ApiError> {
    let permit = Permit::new(
        &body.reference,
        iso_date(&body.granted_on, "granted_on")?,
        iso_date(&body.expires_on, "expires_on")?,
    )
    .map_err(AppError::from)?;
    admin::set_permit(&app, &auth.actor, id, permit).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProtocolBody {
    complaint_window_days: i64,
    retention_days: i64,
    max_list_age_seconds: i64,
}

async fn set_protocol(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<ProtocolBody>,
) -> Result<StatusCode, ApiError> {
    let s = settings(
        Some(b.complaint_window_days),
        Some(b.retention_days),
        Some(b.max_list_age_seconds),
    )?;
    admin::set_settings(&app, &auth.actor, id, s).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn categories(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<Vec<CategoryView>>, ApiError> {
    Ok(axum::Json(
        admin::categories(&app, &auth.actor, id).await?.active,
    ))
}

async fn retired_categories(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<Vec<CategoryView>>, ApiError> {
    Ok(axum::Json(
        admin::categories(&app, &auth.actor, id).await?.retired,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryChange {
    name: String,
    default_days: i64,
    max_days: i64,
    /// Issue 9: what the offence is, for the letter (absent: unchanged).
    #[serde(default)]
    description_nl: Option<String>,
    #[serde(default)]
    description_en: Option<String>,
}

async fn update_category(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<CategoryChange>,
) -> Result<StatusCode, ApiError> {
    let durations = Durations::new(b.default_days, b.max_days).map_err(AppError::from)?;
    let texts = CategoryTexts {
        description_nl: b.description_nl,
        description_en: b.description_en,
    };
    admin::update_category_with_texts(&app, &auth.actor, id, &b.name, durations, &texts).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn retire_category(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    admin::retire_category(&app, &auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCategory {
    code: String,
    name: String,
    default_days: i64,
    max_days: i64,
    #[serde(default)]
    description_nl: Option<String>,
    #[serde(default)]
    description_en: Option<String>,
}

async fn create_category(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<NewCategory>,
) -> Result<(StatusCode, axum::Json<Created>), ApiError> {
    let durations = Durations::new(b.default_days, b.max_days).map_err(AppError::from)?;
    let texts = CategoryTexts {
        description_nl: b.description_nl,
        description_en: b.description_en,
    };
    let cid = admin::create_category_with_texts(
        &app,
        &auth.actor,
        id,
        &b.code,
        &b.name,
        durations,
        &texts,
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(Created { id: cid })))
}

async fn venues(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<Vec<VenueView>>, ApiError> {
    Ok(axum::Json(
        admin::venues_of_area(&app, &auth.actor, id).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewVenue {
    name: String,
    address: String,
    kvk_number: String,
    admitted_on: Option<String>,
}

async fn create_venue(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<NewVenue>,
) -> Result<(StatusCode, axum::Json<Created>), ApiError> {
    let admitted = optional_iso_date(b.admitted_on.as_deref(), "admitted_on")?;
    let vid = admin::create_venue(
        &app,
        &auth.actor,
        id,
        &b.name,
        &b.address,
        &b.kvk_number,
        admitted,
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(Created { id: vid })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Admission {
    admitted_on: Option<String>,
    withdrawn_on: Option<String>,
}

async fn set_admission(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<Admission>,
) -> Result<StatusCode, ApiError> {
    let admitted = optional_iso_date(b.admitted_on.as_deref(), "admitted_on")?;
    let withdrawn = optional_iso_date(b.withdrawn_on.as_deref(), "withdrawn_on")?;
    admin::set_venue_admission(&app, &auth.actor, id, admitted, withdrawn).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audit page's query: paging, and filters on the event's fields and
/// time (unix seconds, `from` inclusive, `until` exclusive).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    after: Option<i64>,
    limit: Option<i64>,
    action: Option<String>,
    actor: Option<String>,
    object_type: Option<String>,
    object_id: Option<String>,
    from: Option<i64>,
    until: Option<i64>,
}

async fn audit_page(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<axum::Json<audit::EventPage>, ApiError> {
    let filter = audit::EventFilter {
        action: q.action,
        actor: q.actor,
        object_type: q.object_type,
        object_id: q.object_id,
        from: q.from,
        until: q.until,
    };
    let page = audit::PageRequest {
        after: q.after,
        before: None,
        limit: q.limit,
    };
    Ok(axum::Json(
        audit::page(&app, &auth.actor, id, &filter, page).await?,
    ))
}
