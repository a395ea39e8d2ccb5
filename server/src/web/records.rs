//! The beheerder's records: every ban of the area (`/gebied/verboden`,
//! one ban with its related bans and the revoke form), the audit trail
//! (`/gebied/audit`) and the statistics (`/gebied/statistiek`, as an SVG
//! chart with the numbers beside it, and as CSV). The operator reads an
//! area's statistics at `/gebieden/{id}/statistiek` (anonymous counts).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::Date;

use super::i18n::{Lang, Tr};
use super::session::{CsrfForm, Viewer};
use super::{Page, WebError, classify, see_other};
use crate::domain::ban::{BanRuleError, BanStatus, MAX_TEXT};
use crate::domain::roles::Role;
use crate::services::records::{self, BanDetail, BanLine};
use crate::services::statistics::{self, Statistics};
use crate::services::{App, AppError, approvals, audit};

// ---------------------------------------------------------------- helpers

/// A status's catalogue key, badge modifier and query value.
fn status_parts(status: BanStatus) -> (&'static str, &'static str, &'static str) {
    match status {
        BanStatus::Active => ("records.status.active", "active", "active"),
        BanStatus::Expired => ("records.status.expired", "inactive", "expired"),
        BanStatus::Revoked => ("records.status.revoked", "neutral", "revoked"),
        BanStatus::Overturned => ("records.status.overturned", "neutral", "overturned"),
        BanStatus::Requested => ("records.status.requested", "warning", "requested"),
        BanStatus::Rejected => ("records.status.rejected", "neutral", "rejected"),
    }
}

const STATUSES: [BanStatus; 4] = [
    BanStatus::Active,
    BanStatus::Expired,
    BanStatus::Revoked,
    BanStatus::Overturned,
];

/// A status as shown: its words (never colour alone) and badge class.
pub struct StatusView {
    pub label: String,
    pub badge: &'static str,
}

fn status_view(tr: &Tr, status: BanStatus) -> StatusView {
    let (key, badge, _) = status_parts(status);
    StatusView {
        label: tr.t(key).to_owned(),
        badge,
    }
}

/// `YYYY-MM-DD` as people write it; the text itself if it is not a date.
fn day(tr: &Tr, iso: &str) -> String {
    cho_core::dates::parse_iso_date(iso, "date").map_or_else(|_| iso.to_owned(), |d| tr.date(d))
}

/// A path id; anything but a number is a page that does not exist.
pub(super) fn parse_id(text: &str, lang: Lang) -> Result<i64, WebError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::page(StatusCode::NOT_FOUND, "not_found", lang))
}

/// An optional query field: empty is absent.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn bad_request(lang: Lang) -> WebError {
    WebError::page(StatusCode::BAD_REQUEST, "bad_request", lang)
}

/// Percent-encodes a query value.
fn enc(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)])
        .map(|s| s.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}

// ------------------------------------------------------------- ban list

/// The list's filter, as the form sends it.
#[derive(Deserialize, Default)]
pub struct ListParams {
    status: Option<String>,
    locatie: Option<String>,
    na: Option<String>,
}

pub struct BanRowView {
    pub id: i64,
    pub name: String,
    pub venue: String,
    pub category: String,
    pub status: StatusView,
    pub period: String,
}

pub struct OptionView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "records/bans.html")]
pub struct BansPage {
    page: Page,
    statuses: Vec<OptionView>,
    venues: Vec<OptionView>,
    rows: Vec<BanRowView>,
    /// The first page's and the next page's links (None: none).
    first_href: Option<String>,
    next_href: Option<String>,
}

fn ban_row(tr: &Tr, line: &BanLine) -> BanRowView {
    let b = &line.ban;
    let name = b
        .person
        .as_ref()
        .map(|p| format!("{}, {}", p.surname, p.given_names))
        .unwrap_or_default();
    BanRowView {
        id: b.id,
        name,
        venue: line.venue_name.clone(),
        category: line.category_name.clone(),
        status: status_view(tr, b.status),
        period: tr
            .t("records.period")
            .replace("{0}", &day(tr, &b.starts_on))
            .replace("{1}", &day(tr, &b.ends_on)),
    }
}

/// `GET /gebied/verboden`: the area's bans, filtered and paged.
pub async fn bans(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Query(q): Query<ListParams>,
) -> Result<BansPage, WebError> {
    let lang = viewer.lang;
    let status = match given(&q.status) {
        None => None,
        Some(s) => Some(
            STATUSES
                .into_iter()
                .find(|st| status_parts(*st).2 == s)
                .ok_or(bad_request(lang))?,
        ),
    };
    let venue = given(&q.locatie)
        .map(|v| v.parse::<i64>().map_err(|_| bad_request(lang)))
        .transpose()?;
    let after = given(&q.na)
        .map(|v| v.parse::<i64>().map_err(|_| bad_request(lang)))
        .transpose()?
        .unwrap_or(0);
    let found = records::area_bans(&app, &viewer.actor, status, venue, after)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    let tr = Tr::new(lang);
    let filter = format!(
        "status={}&locatie={}",
        enc(given(&q.status).unwrap_or("")),
        venue.map(|v| v.to_string()).unwrap_or_default()
    );
    Ok(BansPage {
        statuses: STATUSES
            .iter()
            .map(|s| OptionView {
                value: status_parts(*s).2.to_owned(),
                label: tr.t(status_parts(*s).0).to_owned(),
                selected: status == Some(*s),
            })
            .collect(),
        venues: found
            .venues
            .iter()
            .map(|v| OptionView {
                value: v.id.to_string(),
                label: v.name.clone(),
                selected: venue == Some(v.id),
            })
            .collect(),
        rows: found.bans.iter().map(|l| ban_row(&tr, l)).collect(),
        first_href: (after > 0).then(|| format!("/gebied/verboden?{filter}")),
        next_href: found
            .next_after
            .map(|n| format!("/gebied/verboden?{filter}&na={n}")),
        page: Page::for_viewer(&viewer, &uri, tr.t("records.bans.title")),
    })
}

// ----------------------------------------------------------- ban detail

pub struct Fact {
    pub key: String,
    pub value: String,
}

pub struct RelatedView {
    pub id: i64,
    pub same_person: bool,
    pub venue: String,
    pub category: String,
    pub status: StatusView,
    pub period: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "records/ban.html")]
pub struct BanPage {
    page: Page,
    id: i64,
    status: StatusView,
    person: Vec<Fact>,
    ban: Vec<Fact>,
    incident: Vec<Fact>,
    name_truncated: bool,
    related: Vec<RelatedView>,
    may_revoke: bool,
    /// letters (issue 9): whether a notice is recorded.
    notice_recorded: bool,
    /// After a revoke: the confirmation.
    notice: Option<String>,
    /// The revoke form's error, and what was typed.
    error: Option<String>,
    reason: String,
    /// complaints (issue 9): the ban's complaints and the way to record one.
    complaints: super::complaints::BanComplaints,
    /// Four-eyes (issue 9 item 5): a requested ban is approved or rejected
    /// here too, not only in the queue; the day an undecided request goes.
    decision: Option<Decision>,
}

/// The approve and reject forms on a requested ban's page.
pub struct Decision {
    deleted_on: String,
    /// The reject form's error and what was typed.
    error: Option<String>,
    reason: String,
}

fn fact(tr: &Tr, key: &str, value: impl Into<String>) -> Fact {
    Fact {
        key: tr.t(key).to_owned(),
        value: value.into(),
    }
}

fn ban_page(
    viewer: &Viewer,
    uri: &Uri,
    detail: BanDetail,
    notice: Option<String>,
    error: Option<String>,
    reason: String,
) -> BanPage {
    let tr = Tr::new(viewer.lang);
    let line = &detail.line;
    let b = &line.ban;
    let mut person = Vec::new();
    let mut incident = Vec::new();
    if let Some(p) = &b.person {
        person.push(fact(&tr, "records.ban.surname", p.surname.clone()));
        person.push(fact(&tr, "records.ban.given_names", p.given_names.clone()));
        person.push(fact(&tr, "records.ban.birth_date", day(&tr, &p.birth_date)));
        incident.push(fact(
            &tr,
            "records.ban.incident_at",
            tr.date_time(b.incident_at),
        ));
        incident.push(fact(
            &tr,
            "records.ban.incident",
            p.incident_description.clone(),
        ));
        incident.push(match (&p.hearing_statement, &p.not_heard_reason) {
            (Some(s), _) => fact(&tr, "records.ban.hearing", s.clone()),
            (None, Some(r)) => fact(
                &tr,
                "records.ban.hearing",
                tr.t1("records.ban.not_heard", r),
            ),
            (None, None) => fact(&tr, "records.ban.hearing", "—"),
        });
    }
    let notice_fact = match &b.notice {
        Some(n) => tr
            .t("records.ban.notified_value")
            .replace("{0}", &day(&tr, &n.notified_on))
            .replace(
                "{1}",
                &match &n.note {
                    Some(note) => format!(
                        "{}: {note}",
                        tr.t(super::owner::notice_method_key(n.method))
                    ),
                    None => tr.t(super::owner::notice_method_key(n.method)).to_owned(),
                },
            ),
        None => tr.t("records.ban.not_notified").to_owned(),
    };
    let mut ban = vec![
        fact(&tr, "records.col.number", b.id.to_string()),
        fact(&tr, "records.col.venue", line.venue_name.clone()),
        fact(&tr, "records.col.category", line.category_name.clone()),
        fact(
            &tr,
            "records.col.period",
            tr.t("records.period")
                .replace("{0}", &day(&tr, &b.starts_on))
                .replace("{1}", &day(&tr, &b.ends_on)),
        ),
        fact(&tr, "records.ban.issued_at", tr.date_time(b.issued_at)),
        fact(&tr, "records.ban.notified", notice_fact),
    ];
    if let Some(reason) = &b.status_reason {
        ban.push(fact(&tr, "records.ban.status_reason", reason.clone()));
    }
    // Four-eyes and repeat rules (issue 9 items 5, 6): the rule that set
    // the period (the other bans are under "related"), and who recorded it.
    if let Some(r) = &b.repeat {
        ban.push(fact(
            &tr,
            "approvals.queue.repeat",
            tr.t1(super::approvals::repeat_key(&r.rule), r.days),
        ));
    }
    if b.on_behalf {
        ban.push(fact(
            &tr,
            "approvals.fact.recorded",
            tr.t("approvals.state.on_behalf"),
        ));
    }
    let related = detail
        .related
        .iter()
        .map(|r| RelatedView {
            id: r.ban_id,
            same_person: r.same_person,
            venue: r.venue_name.clone(),
            category: r.category_name.clone(),
            status: status_view(&tr, r.status),
            period: tr
                .t("records.period")
                .replace("{0}", &day(&tr, &r.starts_on))
                .replace("{1}", &day(&tr, &r.ends_on)),
        })
        .collect();
    BanPage {
        page: Page::for_viewer(viewer, uri, &tr.t1("records.ban.title", b.id)),
        id: b.id,
        status: status_view(&tr, b.status),
        person,
        ban,
        incident,
        name_truncated: b.name_truncated,
        related,
        may_revoke: b.status == BanStatus::Active,
        notice_recorded: b.notice.is_some(),
        notice,
        error,
        reason,
        complaints: super::complaints::BanComplaints::new(
            &tr,
            viewer.actor.role,
            b.id,
            b.status,
            &detail.complaints,
        ),
        decision: (b.status == BanStatus::Requested && viewer.actor.role == Role::Beheerder).then(
            || Decision {
                deleted_on: super::approvals::deleted_on_text(&tr, b.issued_at),
                error: None,
                reason: String::new(),
            },
        ),
    }
}

#[derive(Deserialize, Default)]
pub struct BanNotice {
    ingetrokken: Option<String>,
    /// letters (issue 9): after recording the notice; four-eyes: after
    /// approving or rejecting (`goedgekeurd`, `afgewezen`).
    melding: Option<String>,
}

/// `GET /gebied/verboden/{id}`: one ban, its person (an audited read),
/// its related bans, and the revoke form while it is active.
pub async fn ban(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<BanNotice>,
) -> Result<BanPage, WebError> {
    let id = parse_id(&id, viewer.lang)?;
    let detail = records::ban_detail(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let notice = match (&q.ingetrokken, q.melding.as_deref()) {
        (Some(_), _) => Some(Tr::new(viewer.lang).t("records.revoke.done").to_owned()),
        (None, Some("uitreiking")) => {
            Some(Tr::new(viewer.lang).t("letters.notice.done").to_owned())
        }
        (None, Some("goedgekeurd")) => {
            Some(Tr::new(viewer.lang).t("approvals.done.approved").to_owned())
        }
        (None, Some("afgewezen")) => {
            Some(Tr::new(viewer.lang).t("approvals.done.rejected").to_owned())
        }
        _ => None,
    };
    Ok(ban_page(&viewer, &uri, detail, notice, None, String::new()))
}

/// The ban's page again after a refused form: the revoke form's error and
/// what was typed (`None` and empty for the other forms).
async fn ban_page_again(
    app: &App,
    viewer: &Viewer,
    id: i64,
    error: Option<String>,
    reason: String,
) -> Result<BanPage, WebError> {
    let detail = records::ban_detail(app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let uri: Uri = format!("/gebied/verboden/{id}")
        .parse()
        .unwrap_or_else(|_| Uri::from_static("/gebied/verboden"));
    Ok(ban_page(viewer, &uri, detail, None, error, reason))
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    reason: String,
}

/// `POST /gebied/verboden/{id}/intrekken`: revokes with a reason; back to
/// the ban, or the form again with the reason it was refused.
pub async fn revoke(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let id = parse_id(&id, lang)?;
    match records::revoke(&app, &viewer.actor, id, &form.reason).await {
        Ok(()) => Ok(see_other(&format!("/gebied/verboden/{id}?ingetrokken=1"))),
        Err(e @ (AppError::Invalid(_) | AppError::BanRule(_) | AppError::Conflict(_))) => {
            let tr = Tr::new(lang);
            let (status, _, _) = classify(&e);
            let text = match &e {
                AppError::BanRule(BanRuleError::TooLongText(_)) => {
                    tr.t1("records.revoke.reason_too_long", MAX_TEXT)
                }
                AppError::Conflict(_) => tr.t("records.revoke.not_active").to_owned(),
                _ => tr.t("records.revoke.reason_missing").to_owned(),
            };
            let page = ban_page_again(&app, &viewer, id, Some(text), form.reason).await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(WebError::app(e, lang)),
    }
}

#[derive(Deserialize)]
pub struct NoFields {}

/// `POST /gebied/verboden/{id}/goedkeuren` (four-eyes): approves the
/// requested ban from its own page; back to it.
pub async fn approve(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    let id = parse_id(&id, viewer.lang)?;
    approvals::approve(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    Ok(see_other(&format!(
        "/gebied/verboden/{id}?melding=goedgekeurd"
    )))
}

/// `POST /gebied/verboden/{id}/afwijzen` (four-eyes): rejects it with a
/// reason; back to the ban, or its page again with the error at the
/// reason (and what was typed).
pub async fn reject(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let id = parse_id(&id, lang)?;
    match approvals::reject(&app, &viewer.actor, id, &form.reason).await {
        Ok(()) => Ok(see_other(&format!(
            "/gebied/verboden/{id}?melding=afgewezen"
        ))),
        Err(e @ AppError::BanRule(_)) => {
            let tr = Tr::new(lang);
            let text = match &e {
                AppError::BanRule(BanRuleError::TooLongText(_)) => {
                    tr.t1("records.revoke.reason_too_long", MAX_TEXT)
                }
                _ => tr.t("approvals.reject.error.reason").to_owned(),
            };
            let mut page = ban_page_again(&app, &viewer, id, None, String::new()).await?;
            if let Some(d) = page.decision.as_mut() {
                d.error = Some(text);
                d.reason = form.reason;
            }
            Ok((classify(&e).0, page).into_response())
        }
        Err(e) => Err(WebError::app(e, lang)),
    }
}

// ------------------------------------------------------------ audit trail

/// The audit actions with a readable label (`records.action.<code>`);
/// others show their code. Also the filter's choices. Every action a
/// service emits is here (test `web_records::every_audit_action_the_code_emits_has_a_label`
/// reads them from the source).
pub const ACTIONS: [&str; 67] = [
    "login",
    "login.failed",
    "logout",
    "password.change",
    "password.change.failed",
    "account.create",
    "account.disable",
    "account.enable",
    "account.password_reset",
    "account.sessions_end",
    "account.username.canonical",
    "account.venues",
    "area.contact",
    "area.create",
    "area.key_rotate",
    "area.permit",
    "area.protocol",
    "ban.approve",
    "ban.erase",
    "ban.export",
    "ban.issue",
    "ban.issue_on_behalf",
    "ban.letter",
    "ban.list",
    "ban.notice",
    "ban.notice.seal",
    "ban.overturn",
    "ban.purge",
    "ban.read",
    "ban.rectify",
    "ban.reject",
    "ban.reseal",
    "ban.revoke",
    "ban.search",
    "ban.status_reason.seal",
    "category.create",
    "category.retire",
    "category.update",
    "complaint.decide",
    "complaint.extend",
    "complaint.letter",
    "complaint.read",
    "complaint.record",
    "device.code",
    "device.enrol",
    "device.enrol.failed",
    "device.enrol.throttled",
    "device.rename",
    "device.revoke",
    "list.announce_signing_key",
    "list.correct_clock",
    "list.prune",
    "list.publish",
    "municipality.create",
    "municipality.look",
    "subject_request.complete",
    "subject_request.create",
    "subject_request.erase",
    "subject_request.export",
    "subject_request.extend",
    "subject_request.purge",
    "subject_request.read",
    "subject_request.rectify",
    "subject_request.refuse",
    "subject_request.verify",
    "venue.admission",
    "venue.create",
];

/// An action's label: from the catalogue, else its code.
fn action_label(tr: &Tr, code: &str) -> String {
    tr.lookup(&format!("records.action.{code}"))
        .map_or_else(|| code.to_owned(), str::to_owned)
}

#[derive(Deserialize, Default)]
pub struct AuditParams {
    actie: Option<String>,
    actor: Option<String>,
    soort: Option<String>,
    object: Option<String>,
    van: Option<String>,
    tot: Option<String>,
    na: Option<String>,
    voor: Option<String>,
}

pub struct EventRow {
    pub seq: i64,
    pub at: String,
    pub action: String,
    pub actor: String,
    pub object_type: String,
    pub object_id: String,
}

/// A field's error: its id (the summary links to it) and text.
pub struct FieldError {
    pub field: &'static str,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "records/audit.html")]
pub struct AuditPage {
    page: Page,
    actions: Vec<OptionView>,
    actor: String,
    object_type: String,
    object_id: String,
    dates: Vec<DateField>,
    errors: Vec<FieldError>,
    rows: Vec<EventRow>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

/// A date field of the filter, with what was typed and its error.
pub struct DateField {
    pub field: &'static str,
    pub label: String,
    pub value: String,
    pub error: Option<String>,
}

/// Unix seconds at the start of `date` in the Netherlands.
fn day_start(date: Date) -> i64 {
    let utc_midnight = date.midnight().assume_utc().unix_timestamp();
    let offset = cho_core::dates::netherlands_time(utc_midnight)
        .map_or(0, |t| i64::from(t.offset().whole_seconds()));
    utc_midnight - offset
}

/// `GET /gebied/audit`: the area's audit trail, filtered, paged by
/// sequence number (forward with `na`, back with `voor`).
pub async fn audit_trail(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Query(q): Query<AuditParams>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let tr = Tr::new(lang);
    let area_id = records::own_area(&viewer.actor).map_err(|e| WebError::app(e, lang))?;
    let number = |v: &Option<String>| {
        given(v)
            .map(|v| v.parse::<i64>().map_err(|_| bad_request(lang)))
            .transpose()
    };
    let (after, before) = (number(&q.na)?, number(&q.voor)?);
    let mut errors = Vec::new();
    let mut date = |field: &'static str, value: &Option<String>| {
        given(value).and_then(|v| match cho_core::dates::parse_iso_date(v, "date") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError {
                    field,
                    text: tr.t("records.audit.bad_date").to_owned(),
                });
                None
            }
        })
    };
    let from = date("van", &q.van);
    let until = date("tot", &q.tot);
    if let (Some(f), Some(u)) = (from, until)
        && u < f
    {
        errors.push(FieldError {
            field: "tot",
            text: tr.t("records.audit.until_before_from").to_owned(),
        });
    }
    let filter = audit::EventFilter {
        action: given(&q.actie).map(str::to_owned),
        actor: given(&q.actor).map(str::to_owned),
        object_type: given(&q.soort).map(str::to_owned),
        object_id: given(&q.object).map(str::to_owned),
        from: from.map(day_start),
        // Up to and including the last day.
        until: until.and_then(|u| u.next_day()).map(day_start),
    };
    let page = if errors.is_empty() {
        Some(
            audit::page(
                &app,
                &viewer.actor,
                area_id,
                &filter,
                audit::PageRequest {
                    after,
                    before,
                    limit: Some(PAGE_EVENTS),
                },
            )
            .await
            .map_err(|e| WebError::app(e, lang))?,
        )
    } else {
        None
    };
    let query = [
        ("actie", &q.actie),
        ("actor", &q.actor),
        ("soort", &q.soort),
        ("object", &q.object),
        ("van", &q.van),
        ("tot", &q.tot),
    ]
    .iter()
    .filter_map(|(k, v)| given(v).map(|v| format!("{k}={}&", enc(v))))
    .collect::<String>();
    let (rows, prev_href, next_href) = match &page {
        Some(p) => {
            let first = p.events.first().map(|e| e.seq);
            (
                p.events
                    .iter()
                    .map(|e| EventRow {
                        seq: e.seq,
                        at: tr.date_time(e.at),
                        action: action_label(&tr, &e.action),
                        actor: e.actor.clone(),
                        object_type: e.object_type.clone(),
                        object_id: e.object_id.clone(),
                    })
                    .collect(),
                first
                    .filter(|_| p.has_previous)
                    .map(|s| format!("/gebied/audit?{query}voor={s}")),
                p.next_after.map(|s| format!("/gebied/audit?{query}na={s}")),
            )
        }
        None => (Vec::new(), None, None),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let chosen = given(&q.actie).unwrap_or("");
    let mut actions: Vec<OptionView> = ACTIONS
        .iter()
        .map(|a| OptionView {
            value: (*a).to_owned(),
            label: action_label(&tr, a),
            selected: *a == chosen,
        })
        .collect();
    if !chosen.is_empty() && !ACTIONS.contains(&chosen) {
        actions.push(OptionView {
            value: chosen.to_owned(),
            label: chosen.to_owned(),
            selected: true,
        });
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let body = AuditPage {
        page: Page::for_viewer(&viewer, &uri, tr.t("records.audit.title")),
        actions,
        actor: text(&q.actor),
        object_type: text(&q.soort),
        object_id: text(&q.object),
        dates: [
            ("van", "records.audit.from", &q.van),
            ("tot", "records.audit.until", &q.tot),
        ]
        .into_iter()
        .map(|(field, label, value)| DateField {
            field,
            label: tr.t(label).to_owned(),
            value: text(value),
            error: errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.text.clone()),
        })
        .collect(),
        errors,
        rows,
        prev_href,
        next_href,
    };
    Ok((status, body).into_response())
}

/// Events per page of the audit trail.
const PAGE_EVENTS: i64 = 50;

// ------------------------------------------------------------- statistics

/// One bar of a chart, laid out in the SVG's own units.
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub y: i64,
    pub text_y: i64,
    pub width: i64,
    pub value_x: i64,
}

/// A horizontal bar chart: its id (for `aria-labelledby`), title and
/// bars; the numbers are in the table beside it.
pub struct Chart {
    pub id: &'static str,
    pub title: String,
    pub height: i64,
    pub bars: Vec<Bar>,
    /// The table beside the chart: its column heads.
    pub label_head: String,
    pub value_head: String,
    pub label_x: i64,
    pub bar_x: i64,
}

const ROW: i64 = 28;
const BAR: i64 = 18;
const LABEL_X: i64 = 196;
const BAR_X: i64 = 204;
const BAR_MAX: i64 = 340;
/// The labels are cut to fit the label column (the table has them whole).
const LABEL_CHARS: usize = 26;

fn chart(
    id: &'static str,
    title: String,
    label_head: String,
    value_head: String,
    data: Vec<(String, i64)>,
) -> Chart {
    let max = data.iter().map(|d| d.1).max().unwrap_or(0).max(1);
    let bars = data
        .into_iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let i = i as i64;
            let width = if value > 0 {
                (value * BAR_MAX / max).max(2)
            } else {
                0
            };
            let label = if label.chars().count() > LABEL_CHARS {
                let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
                format!("{cut}…")
            } else {
                label
            };
            Bar {
                label,
                value,
                y: i * ROW + (ROW - BAR) / 2,
                text_y: i * ROW + ROW / 2 + 5,
                width,
                value_x: BAR_X + width + 6,
            }
        })
        .collect::<Vec<_>>();
    Chart {
        id,
        title,
        height: (bars.len() as i64).max(1) * ROW,
        bars,
        label_head,
        value_head,
        label_x: LABEL_X,
        bar_x: BAR_X,
    }
}

/// `YYYY-MM` as people write it: `november 2026`.
pub(super) fn month_name(tr: &Tr, month: &str) -> String {
    let parts = month.split_once('-').and_then(|(y, m)| {
        let m: usize = m.parse().ok()?;
        Some((y, super::i18n::MONTH_KEYS.get(m.checked_sub(1)?)?))
    });
    parts.map_or_else(|| month.to_owned(), |(y, key)| format!("{} {y}", tr.t(key)))
}

/// A chart's rows: the names with their counts (the table beside it).
pub struct TableRow {
    pub label: String,
    pub value: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "records/statistics.html")]
pub struct StatisticsPage {
    page: Page,
    area_name: String,
    on: String,
    active_total: i64,
    charts: Vec<(Chart, Vec<TableRow>)>,
    csv_href: String,
}

fn statistics_page(viewer: &Viewer, uri: &Uri, s: &Statistics, csv_href: String) -> StatisticsPage {
    let tr = Tr::new(viewer.lang);
    let mut charts = Vec::new();
    let mut add = |id, title_key: &str, head_key: &str, data: Vec<(String, i64)>| {
        let rows = data
            .iter()
            .map(|(label, value)| TableRow {
                label: label.clone(),
                value: *value,
            })
            .collect();
        charts.push((
            chart(
                id,
                tr.t(title_key).to_owned(),
                tr.t(head_key).to_owned(),
                tr.t("records.stats.bans").to_owned(),
                data,
            ),
            rows,
        ));
    };
    add(
        "per-categorie",
        "records.stats.by_category",
        "records.col.category",
        s.active_by_category
            .iter()
            .map(|c| (c.category_name.clone(), c.bans))
            .collect(),
    );
    add(
        "per-locatie",
        "records.stats.by_venue",
        "records.col.venue",
        s.active_by_venue
            .iter()
            // The beheerder's figures are exact (never "<5").
            .map(|v| (v.venue_name.clone(), v.bans.exact().unwrap_or(0)))
            .collect(),
    );
    add(
        "per-maand",
        "records.stats.by_month",
        "records.stats.month",
        s.months
            .iter()
            .map(|m| (month_name(&tr, &m.month), m.bans))
            .collect(),
    );
    StatisticsPage {
        page: Page::for_viewer(viewer, uri, tr.t("records.stats.title")),
        area_name: s.area_name.clone(),
        on: tr.date(s.on),
        active_total: s.active_total,
        charts,
        csv_href,
    }
}

/// The statistics as a CSV download.
pub(super) fn csv(s: &Statistics) -> Response {
    let name = format!(
        "attachment; filename=\"statistiek-{}-{}.csv\"",
        s.area_id,
        cho_core::dates::format_iso_date(s.on)
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        statistics::to_csv(s),
    )
        .into_response()
}

/// `GET /gebied/statistiek`: the beheerder's area.
pub async fn statistics(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
) -> Result<StatisticsPage, WebError> {
    let lang = viewer.lang;
    let area_id = records::own_area(&viewer.actor).map_err(|e| WebError::app(e, lang))?;
    let s = statistics::area(&app, &viewer.actor, area_id)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    Ok(statistics_page(
        &viewer,
        &uri,
        &s,
        "/gebied/statistiek.csv".to_owned(),
    ))
}

/// `GET /gebied/statistiek.csv`.
pub async fn statistics_csv(State(app): State<App>, viewer: Viewer) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let area_id = records::own_area(&viewer.actor).map_err(|e| WebError::app(e, lang))?;
    let s = statistics::area(&app, &viewer.actor, area_id)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    Ok(csv(&s))
}

/// `GET /gebieden/{id}/statistiek`: any area's statistics, for the
/// operator (the service decides who may).
pub async fn area_statistics(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<StatisticsPage, WebError> {
    let lang = viewer.lang;
    let id = parse_id(&id, lang)?;
    let s = statistics::area(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    Ok(statistics_page(
        &viewer,
        &uri,
        &s,
        format!("/gebieden/{id}/statistiek.csv"),
    ))
}

/// `GET /gebieden/{id}/statistiek.csv`.
pub async fn area_statistics_csv(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let id = parse_id(&id, lang)?;
    let s = statistics::area(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    Ok(csv(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_zero_has_no_bar() {
        let c = chart(
            "x",
            "t".into(),
            "l".into(),
            "v".into(),
            vec![("a".into(), 4), ("b".into(), 0), ("c".into(), 2)],
        );
        assert_eq!(c.bars[0].width, BAR_MAX);
        assert_eq!(c.bars[1].width, 0);
        assert_eq!(c.bars[2].width, BAR_MAX / 2);
        assert_eq!(c.height, 3 * ROW);
    }

    #[test]
    fn months_and_days_as_people_write_them() {
        let tr = Tr::new(Lang::Nl);
        assert_eq!(month_name(&tr, "2026-11"), "november 2026");
        assert_eq!(month_name(&tr, "x"), "x");
        assert_eq!(day(&Tr::new(Lang::En), "2026-03-05"), "5 March 2026");
    }
}
