//! Municipalities, areas and their protocol, venues, accounts, and the
//! area's audit trail.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, Auth, Id, iso_date, optional_iso_date};
use super::{Api, Operation};
use crate::domain::protocol::{Durations, Permit, ProtocolSettings};
use crate::domain::roles::Role;
use crate::services::{App, AppError, AppResult, admin};
use crate::storage::areas::AreaRow;
use crate::storage::audit;

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
                json!({"code": "geweld", "name": "Vechtpartij", "default_days": 182, "max_days": 365})
            }),
            post(create_category),
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
        .route(Operation::new("GET", "/api/v1/areas/{id}/accounts", "Accounts of the area").roles("operator; the area's beheerder"), get(accounts))
        .route(
            Operation::new("POST", "/api/v1/accounts", "Create an account: the operator creates beheerders, a beheerder creates owners")
                .roles("operator; beheerder (owners of own area)")
                .created()
                .body(|| json!({"username": "owner3", "password": "at least 12 characters", "role": "owner", "area_id": 1, "venue_ids": [1]})),
            post(create_account),
        )
        .route(Operation::new("GET", "/api/v1/areas/{id}/audit", "Page through the area's audit trail").roles(BEHEERDER), get(audit_page))
}

async fn municipalities(State(app): State<App>, auth: Auth) -> Result<axum::Json<Value>, ApiError> {
    let list = admin::municipalities(&app, &auth.actor).await?;
    Ok(axum::Json(json!(
        list.into_iter()
            .map(|(id, name)| json!({"id": id, "name": name}))
            .collect::<Vec<_>>()
    )))
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
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let id = admin::create_municipality(&app, &auth.actor, &body.name).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"id": id}))))
}

fn area_json(a: &AreaRow) -> Value {
    json!({
        "id": a.id,
        "municipality_id": a.municipality_id,
        "name": a.name,
        "permit": a.permit.as_ref().map(|p| json!({
            "reference": p.reference,
            "granted_on": cho_core::dates::format_iso_date(p.granted_on),
            "expires_on": cho_core::dates::format_iso_date(p.expires_on),
        })),
        "complaint_window_days": a.settings.complaint_window_days,
        "retention_days": a.settings.retention_days,
        "max_list_age_seconds": a.settings.max_list_age_seconds,
    })
}

async fn areas(State(app): State<App>, auth: Auth) -> Result<axum::Json<Value>, ApiError> {
    let list = admin::list_areas(&app, &auth.actor).await?;
    Ok(axum::Json(Value::Array(
        list.iter().map(area_json).collect(),
    )))
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
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let s = settings(
        body.complaint_window_days,
        body.retention_days,
        body.max_list_age_seconds,
    )?;
    let id = admin::create_area(&app, &auth.actor, body.municipality_id, &body.name, s).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"id": id}))))
}

async fn area(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(area_json(
        &admin::area(&app, &auth.actor, id).await?,
    )))
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
) -> Result<axum::Json<Value>, ApiError> {
    let list = admin::categories(&app, &auth.actor, id).await?;
    Ok(axum::Json(Value::Array(
        list.iter()
            .map(|c| json!({"id": c.id, "code": c.code, "name": c.name, "default_days": c.durations.default_days, "max_days": c.durations.max_days}))
            .collect(),
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCategory {
    code: String,
    name: String,
    default_days: i64,
    max_days: i64,
}

async fn create_category(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<NewCategory>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let durations = Durations::new(b.default_days, b.max_days).map_err(AppError::from)?;
    let cid = admin::create_category(&app, &auth.actor, id, &b.code, &b.name, durations).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"id": cid}))))
}

async fn venues(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<Value>, ApiError> {
    let list = admin::venues_of_area(&app, &auth.actor, id).await?;
    Ok(axum::Json(Value::Array(
        list.iter()
            .map(|v| {
                json!({"id": v.id, "area_id": v.area_id, "name": v.name, "address": v.address, "kvk_number": v.kvk_number,
                       "admitted_on": v.admitted_on.map(cho_core::dates::format_iso_date),
                       "withdrawn_on": v.withdrawn_on.map(cho_core::dates::format_iso_date)})
            })
            .collect(),
    )))
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
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
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
    Ok((StatusCode::CREATED, axum::Json(json!({"id": vid}))))
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

async fn accounts(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<Value>, ApiError> {
    let list = admin::accounts_of_area(&app, &auth.actor, id).await?;
    Ok(axum::Json(Value::Array(
        list.iter()
            .map(|a| json!({"id": a.id, "username": a.username, "role": a.role, "area_id": a.area_id, "venue_ids": a.venue_ids}))
            .collect(),
    )))
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

async fn create_account(
    State(app): State<App>,
    auth: Auth,
    ApiJson(b): ApiJson<NewAccount>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let id = admin::create_account(
        &app,
        &auth.actor,
        admin::NewAccount {
            username: &b.username,
            password: &b.password,
            role: b.role,
            area_id: b.area_id,
            venue_ids: &b.venue_ids,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"id": id}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    after: Option<i64>,
    limit: Option<i64>,
}

async fn audit_page(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<axum::Json<Value>, ApiError> {
    if !auth.actor.manages_area(id) {
        return Err(AppError::Forbidden.into());
    }
    let limit = page.limit.unwrap_or(100).clamp(1, 1000);
    let events = audit::page(&app.db, id, page.after.unwrap_or(0), limit)
        .await
        .map_err(AppError::from)?;
    let next = events
        .last()
        .map(|e| e.seq)
        .filter(|_| events.len() as i64 == limit);
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    Ok(axum::Json(json!({
        "events": events.iter().map(|e| json!({"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action,
            "object_type": e.object_type, "object_id": e.object_id, "hash": hex(&e.hash)})).collect::<Vec<_>>(),
        "next_after": next,
    })))
}
