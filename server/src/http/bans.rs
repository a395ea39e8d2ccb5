//! Bans over HTTP: issue, list, read, find a person, revoke.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, Auth, Id, iso_date, optional_iso_date};
use super::{Api, Operation};
use crate::domain::ban::BanStatus;
use crate::domain::notice::NoticeMethod;
use crate::services::bans::{
    self, BanView, Hearing, IssueBan, ListQuery, NoticeInput, PersonInput, SearchHit,
};
use crate::services::{App, AppError, AppResult};

pub fn routes(api: Api) -> Api {
    api.route(
        Operation::new("POST", "/api/v1/bans", "Issue a ban for an incident at the caller's venue")
            .roles("owner of the venue")
            .created()
            .body(|| {
                json!({
                    "venue_id": 1, "category_id": 1,
                    "person": {"mrz": "P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<\nSPECI20142NLD6503101F2401151999999990<<<<<82"},
                    "incident_at": "2026-11-28T01:30:00+01:00",
                    "incident_description": "Struck another guest at the bar",
                    "ends_on": null,
                    "hearing": {"statement": "Says he was provoked"},
                    "notice": {"notified_on": "2026-11-28", "method": "handed_over", "note": null}
                })
            }),
        post(issue),
    )
    .route(Operation::new("GET", "/api/v1/bans", "List bans in scope, filtered by status, venue and issue time").roles("owner (own venues); beheerder (own area)"), get(list))
    .route(Operation::new("GET", "/api/v1/bans/{id}", "A ban with its personal data (audited)").roles("owner (own venues); beheerder (own area)"), get(read))
    .route(
        Operation::new("POST", "/api/v1/bans/{id}/revoke", "Revoke an active ban, with a reason").roles("owner (own venues); beheerder (own area)").body(|| json!({"reason": "issued for the wrong person"})),
        post(revoke),
    )
    .route(
        Operation::new("POST", "/api/v1/bans/search", "Find the bans of one person by identity tokens (exact match; no name search)")
            .roles("owner (own venues); beheerder (own area)")
            .body(|| json!({"person": {"surname": "de Bruijn", "given_names": "Willeke Liselotte", "birth_date": "1965-03-10"}})),
        post(search),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HearingBody {
    statement: Option<String>,
    not_heard_reason: Option<String>,
}

/// The first version's `notification`: a free-text method, kept working
/// (a text that is no method becomes `other` with the text as sealed note).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotificationBody {
    notified_on: String,
    method: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoticeBody {
    pub(crate) notified_on: String,
    pub(crate) method: NoticeMethod,
    pub(crate) note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueBody {
    venue_id: i64,
    category_id: i64,
    person: PersonInput,
    incident_at: String,
    incident_description: String,
    starts_on: Option<String>,
    ends_on: Option<String>,
    hearing: HearingBody,
    notice: Option<NoticeBody>,
    notification: Option<NotificationBody>,
}

fn instant(text: &str, field: &str) -> AppResult<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| {
            AppError::Invalid(format!(
                "{field} must be an RFC 3339 time such as 2026-11-28T01:30:00+01:00"
            ))
        })
}

async fn issue(
    State(app): State<App>,
    auth: Auth,
    ApiJson(b): ApiJson<IssueBody>,
) -> Result<(StatusCode, axum::Json<BanView>), ApiError> {
    let notice = match (b.notice, b.notification) {
        (Some(_), Some(_)) => {
            return Err(AppError::Invalid(
                "give either notice or the older notification, not both".to_owned(),
            )
            .into());
        }
        (Some(n), None) => Some(NoticeInput {
            notified_on: iso_date(&n.notified_on, "notified_on")?,
            method: n.method,
            note: n.note,
        }),
        (None, Some(n)) => {
            let (method, note) = NoticeMethod::from_legacy(&n.method);
            Some(NoticeInput {
                notified_on: iso_date(&n.notified_on, "notified_on")?,
                method,
                note,
            })
        }
        (None, None) => None,
    };
    let input = IssueBan {
        venue_id: b.venue_id,
        category_id: b.category_id,
        person: b.person,
        incident_at: instant(&b.incident_at, "incident_at")?,
        incident_description: b.incident_description,
        starts_on: optional_iso_date(b.starts_on.as_deref(), "starts_on")?,
        ends_on: optional_iso_date(b.ends_on.as_deref(), "ends_on")?,
        hearing: Hearing {
            statement: b.hearing.statement,
            not_heard_reason: b.hearing.not_heard_reason,
        },
        notice,
    };
    let id = bans::issue(&app, &auth.actor, input).await?;
    // The issuer typed the person in; the answer need not echo them back.
    let view = bans::summary(&app, &auth.actor, id).await?;
    Ok((StatusCode::CREATED, axum::Json(view)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    status: Option<BanStatus>,
    venue_id: Option<i64>,
    area_id: Option<i64>,
    issued_from: Option<String>,
    issued_to: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
}

async fn list(
    State(app): State<App>,
    auth: Auth,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<axum::Json<Vec<BanView>>, ApiError> {
    let query = ListQuery {
        status: p.status,
        venue_id: p.venue_id,
        area_id: p.area_id,
        issued_from: p
            .issued_from
            .as_deref()
            .map(|t| instant(t, "issued_from"))
            .transpose()?,
        issued_to: p
            .issued_to
            .as_deref()
            .map(|t| instant(t, "issued_to"))
            .transpose()?,
        after_id: p.after.unwrap_or(0),
        limit: p.limit.unwrap_or(100),
    };
    Ok(axum::Json(bans::list(&app, &auth.actor, query).await?))
}

async fn read(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
) -> Result<axum::Json<BanView>, ApiError> {
    Ok(axum::Json(bans::get(&app, &auth.actor, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    reason: String,
}

async fn revoke(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<RevokeBody>,
) -> Result<StatusCode, ApiError> {
    bans::revoke(&app, &auth.actor, id, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchBody {
    person: PersonInput,
}

async fn search(
    State(app): State<App>,
    auth: Auth,
    ApiJson(b): ApiJson<SearchBody>,
) -> Result<axum::Json<Vec<SearchHit>>, ApiError> {
    Ok(axum::Json(
        bans::find_person(&app, &auth.actor, &b.person).await?,
    ))
}
