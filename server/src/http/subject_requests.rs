//! Data-subject requests over HTTP (issue 9 item 4): the register, the
//! access export, rectification and erasure. The area's beheerder only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::extract::{ApiJson, Auth, Id, iso_date};
use super::{Api, Operation};
use crate::domain::subject_request::{IdentityCheck, RequestKind};
use crate::services::bans::PersonInput;
use crate::services::subject_requests::{
    self as requests, Created, Export, NewRequestInput, Rectification, RequestSummary, RequestView,
};
use crate::services::{App, AppError};

const BEHEERDER: &str = "beheerder of the area";

pub fn routes(api: Api) -> Api {
    api.route(
        Operation::new("POST", "/api/v1/areas/{id}/subject-requests", "Register a data-subject request (access, rectification, erasure, restriction, objection); the answer is due one month after receipt")
            .roles(BEHEERDER)
            .created()
            .body(|| json!({
                "kind": "access", "received_on": "2026-11-30",
                "person": {"surname": "de Bruijn", "given_names": "Willeke Liselotte", "birth_date": "1965-03-10"},
                "identity_check": "document_shown_in_person", "identity_note": null
            })),
        post(create),
    )
    .route(
        Operation::new("GET", "/api/v1/areas/{id}/subject-requests", "The area's requests with days left: open ones soonest due first (no personal data)").roles(BEHEERDER),
        get(list),
    )
    .route(
        Operation::new("GET", "/api/v1/subject-requests/{id}", "A request with the requester's identity and the bans it matches (audited)").roles(BEHEERDER),
        get(read),
    )
    .route(
        Operation::new("POST", "/api/v1/subject-requests/{id}/verify-identity", "Record how the requester's identity was checked (never a stored copy of an ID)")
            .roles(BEHEERDER)
            .body(|| json!({"identity_check": "known_contact", "identity_note": null})),
        post(verify),
    )
    .route(
        Operation::new("POST", "/api/v1/subject-requests/{id}/extension", "Extend the answer once by 1 or 2 months, with the reason told to the person within the first month")
            .roles(BEHEERDER)
            .body(|| json!({"months": 2, "reason": "many bans to collect", "told_on": "2026-12-10"})),
        post(extend),
    )
    .route(
        Operation::new("POST", "/api/v1/subject-requests/{id}/refuse", "Refuse a request, with the reason given to the person")
            .roles(BEHEERDER)
            .body(|| json!({"reason": "identity could not be established"})),
        post(refuse),
    )
    .route(
        Operation::new("POST", "/api/v1/subject-requests/{id}/complete", "Mark a request answered").roles(BEHEERDER),
        post(complete),
    )
    .route(
        Operation::new("GET", "/api/v1/subject-requests/{id}/export", "The access export: every ban of the person in the area with who read it when (audited, naming the bans)").roles(BEHEERDER),
        get(export),
    )
    .route(
        Operation::new("POST", "/api/v1/subject-requests/{id}/rectify", "Correct surname, given names or birth date of one of the person's bans: re-sealed and re-hashed")
            .roles(BEHEERDER)
            .body(|| json!({"ban_id": 1, "surname": "de Bruyn", "given_names": null, "birth_date": null})),
        post(rectify),
    )
    .route(
        Operation::new("POST", "/api/v1/subject-requests/{id}/erase", "Erase one of the person's ended bans at once, leaving only anonymous counts")
            .roles(BEHEERDER)
            .body(|| json!({"ban_id": 1})),
        post(erase),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    kind: RequestKind,
    received_on: String,
    person: PersonInput,
    identity_check: Option<IdentityCheck>,
    identity_note: Option<String>,
}

async fn create(
    State(app): State<App>,
    auth: Auth,
    Id(area_id): Id,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(StatusCode, axum::Json<Created>), ApiError> {
    let input = NewRequestInput {
        kind: b.kind,
        received_on: iso_date(&b.received_on, "received_on")?,
        person: b.person,
        identity_check: b.identity_check,
        identity_note: b.identity_note,
    };
    let created = requests::create(&app, &auth.actor, area_id, input).await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

async fn list(
    State(app): State<App>,
    auth: Auth,
    Id(area_id): Id,
) -> Result<axum::Json<Vec<RequestSummary>>, ApiError> {
    Ok(axum::Json(
        requests::list(&app, &auth.actor, area_id).await?,
    ))
}

async fn read(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<RequestView>, ApiError> {
    Ok(axum::Json(requests::get(&app, &auth.actor, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    identity_check: IdentityCheck,
    identity_note: Option<String>,
}

async fn verify(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<VerifyBody>,
) -> Result<StatusCode, ApiError> {
    requests::verify_identity(
        &app,
        &auth.actor,
        id,
        b.identity_check,
        b.identity_note.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtendBody {
    months: u32,
    reason: String,
    told_on: String,
}

async fn extend(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<ExtendBody>,
) -> Result<axum::Json<RequestSummary>, ApiError> {
    let told_on = iso_date(&b.told_on, "told_on")?;
    Ok(axum::Json(
        requests::extend(&app, &auth.actor, id, b.months, &b.reason, told_on).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: String,
}

async fn refuse(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<StatusCode, ApiError> {
    requests::refuse(&app, &auth.actor, id, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn complete(State(app): State<App>, auth: Auth, Id(id): Id) -> Result<StatusCode, ApiError> {
    requests::complete(&app, &auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn export(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<Export>, ApiError> {
    Ok(axum::Json(requests::export(&app, &auth.actor, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RectifyBody {
    ban_id: i64,
    surname: Option<String>,
    given_names: Option<String>,
    birth_date: Option<String>,
}

async fn rectify(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<RectifyBody>,
) -> Result<StatusCode, ApiError> {
    if b.surname.is_none() && b.given_names.is_none() && b.birth_date.is_none() {
        return Err(AppError::Invalid(
            "give the surname, given_names or birth_date to correct".to_owned(),
        )
        .into());
    }
    requests::rectify(
        &app,
        &auth.actor,
        id,
        b.ban_id,
        Rectification {
            surname: b.surname,
            given_names: b.given_names,
            birth_date: b.birth_date,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EraseBody {
    ban_id: i64,
}

async fn erase(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<EraseBody>,
) -> Result<StatusCode, ApiError> {
    requests::erase(&app, &auth.actor, id, b.ban_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
