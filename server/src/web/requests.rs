//! The beheerder's data-subject requests (issue 9 item 4): the register
//! with days left (`/gebied/verzoeken`), a new request
//! (`/gebied/verzoeken/nieuw`), one request with its steps (verify
//! identity, extend, refuse, complete; correct or erase a ban), and the
//! access export as a printable page (`/gebied/verzoeken/{id}/inzage`).
//! Every handler calls one `services::subject_requests` function.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::i18n::{Lang, Tr};
use super::owner::parse_day;
use super::session::{CsrfForm, Viewer};
use super::{Page, WebError, see_other};
use crate::domain::ban::BanStatus;
use crate::domain::subject_request::{IdentityCheck, RequestKind, RequestStatus};
use crate::services::bans::PersonInput;
use crate::services::subject_requests::{
    self as requests, Export, NewRequestInput, Rectification, RequestSummary, RequestView,
};
use crate::services::{App, AppError};

// ---------------------------------------------------------------- helpers

/// The request forms' errors (shared with the other form pages).
pub type Errors = super::form::FormErrors;

fn kind_key(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Access => "requests.kind.access",
        RequestKind::Rectification => "requests.kind.rectification",
        RequestKind::Erasure => "requests.kind.erasure",
        RequestKind::Restriction => "requests.kind.restriction",
        RequestKind::Objection => "requests.kind.objection",
    }
}

fn check_key(check: IdentityCheck) -> &'static str {
    match check {
        IdentityCheck::DocumentShownInPerson => "requests.check.document_shown_in_person",
        IdentityCheck::CopyCheckedThenDestroyed => "requests.check.copy_checked_then_destroyed",
        IdentityCheck::KnownContact => "requests.check.known_contact",
        IdentityCheck::Other => "requests.check.other",
    }
}

/// A status in words (never colour alone) and its badge.
pub struct StatusView {
    pub label: String,
    pub badge: &'static str,
}

fn status_view(tr: &Tr, status: RequestStatus) -> StatusView {
    let (key, badge) = match status {
        RequestStatus::IdentityUnverified => ("requests.status.identity_unverified", "warning"),
        RequestStatus::InProgress => ("requests.status.in_progress", "active"),
        RequestStatus::Completed => ("requests.status.completed", "neutral"),
        RequestStatus::Refused => ("requests.status.refused", "neutral"),
    };
    StatusView {
        label: tr.t(key).to_owned(),
        badge,
    }
}

fn ban_status_key(status: BanStatus) -> &'static str {
    match status {
        BanStatus::Active => "records.status.active",
        BanStatus::Expired => "records.status.expired",
        BanStatus::Revoked => "records.status.revoked",
        BanStatus::Overturned => "records.status.overturned",
        BanStatus::Requested => "records.status.requested",
        BanStatus::Rejected => "records.status.rejected",
    }
}

/// "12 days left", "today", "3 days overdue".
fn days_left_text(tr: &Tr, days: i64) -> String {
    match days {
        0 => tr.t("requests.days.today").to_owned(),
        1 => tr.t("requests.days.one_left").to_owned(),
        d if d > 1 => tr.t1("requests.days.left", d),
        -1 => tr.t("requests.days.one_overdue").to_owned(),
        d => tr.t1("requests.days.overdue", -d),
    }
}

fn iso_day(tr: &Tr, iso: &str) -> String {
    cho_core::dates::parse_iso_date(iso, "date").map_or_else(|_| iso.to_owned(), |d| tr.date(d))
}

fn parse_id(text: &str, lang: Lang) -> Result<i64, WebError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::page(StatusCode::NOT_FOUND, "not_found", lang))
}

fn area_of(viewer: &Viewer) -> i64 {
    // A beheerder always has an area; anyone else is refused by the
    // service before the id matters.
    viewer.actor.area_id.unwrap_or(0)
}

/// A fact of a data list.
pub struct Fact {
    pub key: String,
    pub value: String,
}

fn fact(tr: &Tr, key: &str, value: impl Into<String>) -> Fact {
    Fact {
        key: tr.t(key).to_owned(),
        value: value.into(),
    }
}

/// The message after a step (`?melding=`): only these keys.
#[derive(Deserialize, Default)]
pub struct Flash {
    melding: Option<String>,
}

impl Flash {
    fn text(&self, tr: &Tr) -> Option<String> {
        let key = match self.melding.as_deref()? {
            "geregistreerd" => "requests.flash.registered",
            "geverifieerd" => "requests.flash.verified",
            "verlengd" => "requests.flash.extended",
            "geweigerd" => "requests.flash.refused",
            "afgerond" => "requests.flash.completed",
            "gecorrigeerd" => "requests.flash.rectified",
            "gewist" => "requests.flash.erased",
            _ => return None,
        };
        Some(tr.t(key).to_owned())
    }
}

// ---------------------------------------------------------------- register

pub struct RowView {
    pub id: i64,
    pub kind: String,
    pub received: String,
    pub due: String,
    pub days_left: String,
    pub overdue: bool,
    pub status: StatusView,
}

#[derive(Template, WebTemplate)]
#[template(path = "requests/list.html")]
pub struct ListPage {
    page: Page,
    open: Vec<RowView>,
    closed: Vec<RowView>,
}

fn row_view(tr: &Tr, r: &RequestSummary) -> RowView {
    RowView {
        id: r.id,
        kind: tr.t(kind_key(r.kind)).to_owned(),
        received: tr.date(r.received_on),
        due: tr.date(r.due_on),
        days_left: r
            .days_left
            .map_or_else(String::new, |d| days_left_text(tr, d)),
        overdue: r.days_left.is_some_and(|d| d < 0),
        status: status_view(tr, r.status),
    }
}

/// `GET /gebied/verzoeken`: open requests soonest due (overdue) first,
/// then the closed ones.
pub async fn list(State(app): State<App>, viewer: Viewer, uri: Uri) -> Result<ListPage, WebError> {
    let rows = requests::list(&app, &viewer.actor, area_of(&viewer))
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    let (closed, open): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.status.is_closed());
    Ok(ListPage {
        page: Page::for_viewer(&viewer, &uri, tr.t("requests.list.title")),
        open: open.iter().map(|r| row_view(&tr, r)).collect(),
        closed: closed.iter().map(|r| row_view(&tr, r)).collect(),
    })
}

// ------------------------------------------------------------- new request

#[derive(Deserialize, Default)]
pub struct NewForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    mrz: String,
    #[serde(default)]
    surname: String,
    #[serde(default)]
    given_names: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    identity_check: String,
    #[serde(default)]
    identity_note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "requests/new.html")]
pub struct NewPage {
    page: Page,
    form: NewForm,
    errors: Errors,
}

impl NewPage {
    fn kinds(&self) -> Vec<(&'static str, String, bool)> {
        RequestKind::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str(),
                    self.page.tr.t(kind_key(*k)).to_owned(),
                    self.form.kind == k.as_str(),
                )
            })
            .collect()
    }

    fn checks(&self) -> Vec<(&'static str, String, bool)> {
        checks(&self.page.tr, &self.form.identity_check)
    }
}

fn checks(tr: &Tr, selected: &str) -> Vec<(&'static str, String, bool)> {
    IdentityCheck::ALL
        .iter()
        .map(|c| {
            (
                c.as_str(),
                tr.t(check_key(*c)).to_owned(),
                selected == c.as_str(),
            )
        })
        .collect()
}

/// `GET /gebied/verzoeken/nieuw`.
pub async fn new_page(viewer: Viewer, uri: Uri) -> Result<NewPage, WebError> {
    requests::register_area(&viewer.actor).map_err(|e| WebError::app(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    Ok(NewPage {
        page: Page::for_viewer(&viewer, &uri, tr.t("requests.new.title")),
        form: NewForm::default(),
        errors: Errors::default(),
    })
}

fn read_new(form: &NewForm, tr: &Tr) -> Result<NewRequestInput, Errors> {
    let mut errors = Errors::default();
    let kind = RequestKind::parse(&form.kind);
    if kind.is_none() {
        errors.add("kind", tr.t("requests.error.kind"));
    }
    let received_on = parse_day(&form.received_on);
    if received_on.is_none() {
        errors.add("received_on", tr.t("requests.error.received_on"));
    }
    let person = if form.mrz.trim().is_empty() {
        if form.surname.trim().is_empty() && form.given_names.trim().is_empty() {
            errors.add("mrz", tr.t("requests.error.person_missing"));
        }
        if form.surname.trim().is_empty() {
            errors.add("surname", tr.t("requests.error.surname"));
        }
        if form.given_names.trim().is_empty() {
            errors.add("given_names", tr.t("requests.error.given_names"));
        }
        let birth = parse_day(&form.birth_date);
        if birth.is_none() {
            errors.add("birth_date", tr.t("requests.error.birth_date"));
        }
        PersonInput::Manual {
            surname: form.surname.clone(),
            given_names: form.given_names.clone(),
            birth_date: birth
                .map(cho_core::dates::format_iso_date)
                .unwrap_or_default(),
        }
    } else {
        PersonInput::Mrz {
            mrz: form.mrz.clone(),
        }
    };
    let identity_check = match form.identity_check.as_str() {
        "" => None,
        c => match IdentityCheck::parse(c) {
            Some(c) => Some(c),
            None => {
                errors.add("identity_check", tr.t("requests.error.identity_check"));
                None
            }
        },
    };
    match (kind, received_on, errors.is_empty()) {
        (Some(kind), Some(received_on), true) => Ok(NewRequestInput {
            kind,
            received_on,
            person,
            identity_check,
            identity_note: Some(form.identity_note.clone()),
        }),
        _ => Err(errors),
    }
}

/// `POST /gebied/verzoeken/nieuw`: registers it and opens it; or the form
/// again, as typed, with what is wrong.
pub async fn create(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    CsrfForm(form): CsrfForm<NewForm>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let tr = Tr::new(lang);
    let errors = match read_new(&form, &tr) {
        Ok(input) => match requests::create(&app, &viewer.actor, area_of(&viewer), input).await {
            Ok(created) => {
                return Ok(see_other(&format!(
                    "/gebied/verzoeken/{}?melding=geregistreerd",
                    created.id
                )));
            }
            Err(e @ AppError::Invalid(_)) => {
                let mut errors = Errors::default();
                let text = e.to_string();
                if text.starts_with("person") {
                    let field = if form.mrz.trim().is_empty() {
                        "birth_date"
                    } else {
                        "mrz"
                    };
                    errors.add(field, tr.t("requests.error.person_invalid"));
                } else {
                    errors.add("received_on", tr.t("requests.error.received_range"));
                }
                errors
            }
            Err(AppError::BanRule(_)) => {
                let mut errors = Errors::default();
                errors.add("identity_note", tr.t("requests.error.text_too_long"));
                errors
            }
            Err(e) => return Err(WebError::app(e, lang)),
        },
        Err(errors) => errors,
    };
    let page = NewPage {
        page: Page::for_viewer(&viewer, &uri, tr.t("requests.new.title")),
        form,
        errors,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

// ------------------------------------------------------------------ detail

pub struct BanLineView {
    pub id: i64,
    pub same_person: bool,
    pub status: String,
    /// An ended ban may be erased (erasure requests).
    pub erasable: bool,
}

/// What the beheerder typed into the step forms (kept on an error).
#[derive(Deserialize, Default)]
pub struct StepForm {
    #[serde(default)]
    identity_check: String,
    #[serde(default)]
    identity_note: String,
    #[serde(default)]
    months: String,
    #[serde(default)]
    told_on: String,
    #[serde(default)]
    extension_reason: String,
    #[serde(default)]
    refusal_reason: String,
    #[serde(default)]
    ban_id: String,
    #[serde(default)]
    surname: String,
    #[serde(default)]
    given_names: String,
    #[serde(default)]
    birth_date: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "requests/detail.html")]
pub struct DetailPage {
    page: Page,
    id: i64,
    kind: RequestKind,
    status: StatusView,
    facts: Vec<Fact>,
    requester: Vec<Fact>,
    bans: Vec<BanLineView>,
    open: bool,
    verified: bool,
    extended: bool,
    notice: Option<String>,
    form: StepForm,
    errors: Errors,
}

impl DetailPage {
    fn checks(&self) -> Vec<(&'static str, String, bool)> {
        checks(&self.page.tr, &self.form.identity_check)
    }

    fn is_access(&self) -> bool {
        self.kind == RequestKind::Access
    }

    fn is_rectification(&self) -> bool {
        self.kind == RequestKind::Rectification
    }

    fn is_erasure(&self) -> bool {
        self.kind == RequestKind::Erasure
    }

    fn months_selected(&self, months: &str) -> bool {
        self.form.months == months
    }

    /// The date field's extra class.
    fn date_class(&self, name: &str) -> &'static str {
        if name == "birth_date" {
            " cho-textbox--date"
        } else {
            ""
        }
    }

    /// The correction form's field for `ban` (`surname-12`).
    fn field(&self, name: &str, ban: &i64) -> String {
        format!("{name}-{ban}")
    }

    /// What was typed into `name` of the correction of `ban`.
    fn typed(&self, name: &str, ban: &i64) -> &str {
        if self.form.ban_id != ban.to_string() {
            return "";
        }
        match name {
            "surname" => &self.form.surname,
            "given_names" => &self.form.given_names,
            "birth_date" => &self.form.birth_date,
            _ => "",
        }
    }
}

fn detail_page(
    viewer: &Viewer,
    uri: &Uri,
    v: RequestView,
    notice: Option<String>,
    form: StepForm,
    errors: Errors,
) -> DetailPage {
    let tr = Tr::new(viewer.lang);
    let s = &v.summary;
    let mut facts = vec![
        fact(&tr, "requests.col.kind", tr.t(kind_key(s.kind))),
        fact(&tr, "requests.col.received", tr.date(s.received_on)),
        fact(&tr, "requests.col.due", tr.date(s.due_on)),
    ];
    if let Some(d) = s.days_left {
        facts.push(fact(&tr, "requests.col.days_left", days_left_text(&tr, d)));
    }
    if let Some(original) = v.original_due_on {
        facts.push(fact(&tr, "requests.detail.original_due", tr.date(original)));
    }
    if let Some(told) = v.extension_told_on {
        facts.push(fact(&tr, "requests.detail.extension_told", tr.date(told)));
    }
    if let Some(reason) = &v.extension_reason {
        facts.push(fact(
            &tr,
            "requests.detail.extension_reason",
            reason.clone(),
        ));
    }
    facts.push(fact(
        &tr,
        "requests.detail.identity_check",
        v.identity_check.map_or_else(
            || tr.t("requests.check.none").to_owned(),
            |c| tr.t(check_key(c)).to_owned(),
        ),
    ));
    if let Some(note) = &v.identity_note {
        facts.push(fact(&tr, "requests.detail.identity_note", note.clone()));
    }
    if let Some(closed) = s.closed_on {
        facts.push(fact(&tr, "requests.detail.closed_on", tr.date(closed)));
    }
    if let Some(reason) = &v.refusal_reason {
        facts.push(fact(&tr, "requests.detail.refusal_reason", reason.clone()));
    }
    let requester = match &v.requester {
        Some(p) => vec![
            fact(&tr, "requests.person.surname", p.surname.clone()),
            fact(&tr, "requests.person.given_names", p.given_names.clone()),
            fact(
                &tr,
                "requests.person.birth_date",
                iso_day(&tr, &p.birth_date),
            ),
        ],
        None => Vec::new(),
    };
    let bans = v
        .bans
        .iter()
        .map(|b| BanLineView {
            id: b.ban_id,
            same_person: b.r#match == "same_person",
            status: tr.t(ban_status_key(b.status)).to_owned(),
            erasable: !matches!(b.status, BanStatus::Active | BanStatus::Requested),
        })
        .collect();
    DetailPage {
        page: Page::for_viewer(viewer, uri, &tr.t1("requests.detail.title", v.summary.id)),
        id: s.id,
        kind: s.kind,
        status: status_view(&tr, s.status),
        facts,
        requester,
        bans,
        open: !s.status.is_closed(),
        verified: s.status == RequestStatus::InProgress,
        extended: s.extended,
        notice,
        form,
        errors,
    }
}

/// `GET /gebied/verzoeken/{id}`: one request (an audited read).
pub async fn detail(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<String>,
    Query(flash): Query<Flash>,
) -> Result<DetailPage, WebError> {
    let id = parse_id(&id, viewer.lang)?;
    let v = requests::get(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let notice = flash.text(&Tr::new(viewer.lang));
    Ok(detail_page(
        &viewer,
        &uri,
        v,
        notice,
        StepForm::default(),
        Errors::default(),
    ))
}

/// After a step: back to the request with a message; on a refusal of the
/// input, the request again with the error at the top and at the field.
struct Outcome<'a> {
    /// The flash message's name after success.
    done: &'a str,
    /// The field an error belongs to, and its text's key.
    field: &'a str,
    text_key: &'a str,
}

async fn after_step(
    app: &App,
    viewer: &Viewer,
    id: i64,
    result: Result<(), AppError>,
    form: StepForm,
    outcome: Outcome<'_>,
) -> Result<Response, WebError> {
    let Outcome {
        done,
        field,
        text_key,
    } = outcome;
    let lang = viewer.lang;
    match result {
        Ok(()) => Ok(see_other(&format!("/gebied/verzoeken/{id}?melding={done}"))),
        Err(e @ (AppError::Invalid(_) | AppError::BanRule(_) | AppError::Conflict(_))) => {
            let tr = Tr::new(lang);
            let mut errors = Errors::default();
            let key = if matches!(e, AppError::Conflict(_)) {
                "requests.error.conflict"
            } else {
                text_key
            };
            errors.refused(&e, field, tr.t(key));
            let v = requests::get(app, &viewer.actor, id)
                .await
                .map_err(|e| WebError::app(e, lang))?;
            let uri: Uri = format!("/gebied/verzoeken/{id}")
                .parse()
                .unwrap_or_else(|_| Uri::from_static("/gebied/verzoeken"));
            let status = errors.status();
            let page = detail_page(viewer, &uri, v, None, form, errors);
            Ok((status, page).into_response())
        }
        Err(e) => Err(WebError::app(e, lang)),
    }
}

/// `POST /gebied/verzoeken/{id}/identiteit`.
pub async fn verify(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> Result<Response, WebError> {
    let id = parse_id(&id, viewer.lang)?;
    let result = match IdentityCheck::parse(&form.identity_check) {
        Some(check) => {
            requests::verify_identity(&app, &viewer.actor, id, check, Some(&form.identity_note))
                .await
        }
        None => Err(AppError::Invalid("identity_check".to_owned())),
    };
    after_step(
        &app,
        &viewer,
        id,
        result,
        form,
        Outcome {
            done: "geverifieerd",
            field: "identity_check",
            text_key: "requests.error.identity_check",
        },
    )
    .await
}

/// `POST /gebied/verzoeken/{id}/verlengen`.
pub async fn extend(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> Result<Response, WebError> {
    let id = parse_id(&id, viewer.lang)?;
    let (field, key, result) = match (form.months.parse::<u32>().ok(), parse_day(&form.told_on)) {
        (None, _) => (
            "months",
            "requests.error.months",
            Err(AppError::Invalid("months".to_owned())),
        ),
        (_, None) => (
            "told_on",
            "requests.error.told_on",
            Err(AppError::Invalid("told_on".to_owned())),
        ),
        (Some(months), Some(told_on)) => {
            let r = requests::extend(
                &app,
                &viewer.actor,
                id,
                months,
                &form.extension_reason,
                told_on,
            )
            .await
            .map(|_| ());
            match &r {
                Err(AppError::BanRule(_)) => ("extension_reason", "requests.error.reason", r),
                _ => ("told_on", "requests.error.extension", r),
            }
        }
    };
    after_step(
        &app,
        &viewer,
        id,
        result,
        form,
        Outcome {
            done: "verlengd",
            field,
            text_key: key,
        },
    )
    .await
}

/// `POST /gebied/verzoeken/{id}/weigeren`.
pub async fn refuse(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> Result<Response, WebError> {
    let id = parse_id(&id, viewer.lang)?;
    let result = requests::refuse(&app, &viewer.actor, id, &form.refusal_reason).await;
    after_step(
        &app,
        &viewer,
        id,
        result,
        form,
        Outcome {
            done: "geweigerd",
            field: "refusal_reason",
            text_key: "requests.error.reason",
        },
    )
    .await
}

/// `POST /gebied/verzoeken/{id}/afronden`.
pub async fn complete(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> Result<Response, WebError> {
    let id = parse_id(&id, viewer.lang)?;
    let result = requests::complete(&app, &viewer.actor, id).await;
    after_step(
        &app,
        &viewer,
        id,
        result,
        form,
        Outcome {
            done: "afgerond",
            field: "afronden",
            text_key: "requests.error.conflict",
        },
    )
    .await
}

/// `POST /gebied/verzoeken/{id}/corrigeren`: corrects one ban's identity.
pub async fn rectify(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let id = parse_id(&id, lang)?;
    let ban_id = parse_id(&form.ban_id, lang)?;
    let given = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
    let birth = given(&form.birth_date);
    let (field, result) = match &birth {
        Some(b) if parse_day(b).is_none() => (
            format!("birth_date-{ban_id}"),
            Err(AppError::Invalid("birth_date".to_owned())),
        ),
        _ if given(&form.surname).is_none()
            && given(&form.given_names).is_none()
            && birth.is_none() =>
        {
            (
                format!("surname-{ban_id}"),
                Err(AppError::Invalid("nothing to correct".to_owned())),
            )
        }
        _ => {
            let change = Rectification {
                surname: given(&form.surname),
                given_names: given(&form.given_names),
                birth_date: birth
                    .as_deref()
                    .and_then(parse_day)
                    .map(cho_core::dates::format_iso_date),
            };
            (
                format!("surname-{ban_id}"),
                requests::rectify(&app, &viewer.actor, id, ban_id, change).await,
            )
        }
    };
    after_step(
        &app,
        &viewer,
        id,
        result,
        form,
        Outcome {
            done: "gecorrigeerd",
            field: &field,
            text_key: "requests.error.rectify",
        },
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "requests/erase.html")]
pub struct ErasePage {
    page: Page,
    id: i64,
    ban_id: i64,
}

/// `GET /gebied/verzoeken/{id}/wissen/{ban}`: asks to confirm.
pub async fn erase_page(
    viewer: Viewer,
    uri: Uri,
    Path((id, ban)): Path<(String, String)>,
) -> Result<ErasePage, WebError> {
    let id = parse_id(&id, viewer.lang)?;
    let ban_id = parse_id(&ban, viewer.lang)?;
    requests::register_area(&viewer.actor).map_err(|e| WebError::app(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    Ok(ErasePage {
        page: Page::for_viewer(&viewer, &uri, &tr.t1("requests.erase.title", ban_id)),
        id,
        ban_id,
    })
}

/// `POST /gebied/verzoeken/{id}/wissen/{ban}`: erases it.
pub async fn erase(
    State(app): State<App>,
    viewer: Viewer,
    Path((id, ban)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> Result<Response, WebError> {
    let id = parse_id(&id, viewer.lang)?;
    let ban_id = parse_id(&ban, viewer.lang)?;
    let result = requests::erase(&app, &viewer.actor, id, ban_id).await;
    after_step(
        &app,
        &viewer,
        id,
        result,
        form,
        Outcome {
            done: "gewist",
            field: &format!("wissen-{ban_id}"),
            text_key: "requests.error.erase",
        },
    )
    .await
}

// ------------------------------------------------------------------ export

pub struct ExportBanView {
    pub id: i64,
    pub facts: Vec<Fact>,
    pub reads: Vec<ReadView>,
}

pub struct ReadView {
    pub at: String,
    pub who: String,
    pub what: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "requests/export.html")]
pub struct ExportPage {
    page: Page,
    id: i64,
    area: String,
    generated: String,
    retention: String,
    person: Vec<Fact>,
    bans: Vec<ExportBanView>,
}

fn read_action_key(action: &str) -> &'static str {
    match action {
        "ban.read" => "requests.read.read",
        "ban.list" => "requests.read.list",
        "ban.search" => "requests.read.search",
        "ban.export" => "requests.read.export",
        _ => "requests.read.other",
    }
}

fn export_page(viewer: &Viewer, uri: &Uri, x: Export) -> ExportPage {
    let tr = Tr::new(viewer.lang);
    let bans = x
        .bans
        .iter()
        .map(|b| {
            let mut facts = vec![
                fact(
                    &tr,
                    "requests.export.status",
                    tr.t(ban_status_key(b.status)),
                ),
                fact(&tr, "requests.export.venue", b.venue_name.clone()),
                fact(&tr, "requests.export.category", b.category_name.clone()),
                fact(
                    &tr,
                    "requests.export.incident_at",
                    tr.date_time(b.incident_at),
                ),
                fact(
                    &tr,
                    "requests.export.incident",
                    b.incident_description.clone(),
                ),
                fact(&tr, "requests.export.issued_at", tr.date_time(b.issued_at)),
                fact(
                    &tr,
                    "requests.export.period",
                    tr.t("requests.export.period_value")
                        .replace("{0}", &iso_day(&tr, &b.starts_on))
                        .replace("{1}", &iso_day(&tr, &b.ends_on)),
                ),
                fact(&tr, "requests.person.surname", b.surname.clone()),
                fact(&tr, "requests.person.given_names", b.given_names.clone()),
                fact(
                    &tr,
                    "requests.person.birth_date",
                    iso_day(&tr, &b.birth_date),
                ),
            ];
            if let Some(s) = &b.hearing_statement {
                facts.push(fact(&tr, "requests.export.statement", s.clone()));
            }
            if let Some(s) = &b.not_heard_reason {
                facts.push(fact(&tr, "requests.export.not_heard", s.clone()));
            }
            facts.push(fact(
                &tr,
                "requests.export.notice",
                match &b.notice {
                    Some(n) => {
                        let method = tr.t(super::owner::notice_method_key(n.method));
                        let mut text = format!("{}, {method}", iso_day(&tr, &n.notified_on));
                        if let Some(note) = &n.note {
                            text.push_str(&format!(": {note}"));
                        }
                        text
                    }
                    None => tr.t("requests.export.no_notice").to_owned(),
                },
            ));
            if let Some(r) = &b.status_reason {
                facts.push(fact(&tr, "requests.export.status_reason", r.clone()));
            }
            ExportBanView {
                id: b.id,
                facts,
                reads: b
                    .reads
                    .iter()
                    .map(|r| ReadView {
                        at: tr.date_time(r.at),
                        who: match r.role.as_deref() {
                            Some(role) => format!(
                                "{} ({})",
                                r.account,
                                tr.t(match role {
                                    "owner" => "role.owner",
                                    "beheerder" => "role.beheerder",
                                    "operator" => "role.operator",
                                    _ => "role.municipality",
                                })
                            ),
                            None => r.account.clone(),
                        },
                        what: tr.t(read_action_key(&r.action)).to_owned(),
                    })
                    .collect(),
            }
        })
        .collect();
    ExportPage {
        page: Page::for_viewer(viewer, uri, &tr.t1("requests.export.title", x.request_id)),
        id: x.request_id,
        area: x.area.name.clone(),
        generated: tr.date(x.generated_on),
        retention: tr.t1("requests.export.retention_value", x.area.retention_days),
        person: vec![
            fact(&tr, "requests.person.surname", x.person.surname.clone()),
            fact(
                &tr,
                "requests.person.given_names",
                x.person.given_names.clone(),
            ),
            fact(
                &tr,
                "requests.person.birth_date",
                iso_day(&tr, &x.person.birth_date),
            ),
        ],
        bans,
    }
}

/// `GET /gebied/verzoeken/{id}/inzage`: the access answer, printable (an
/// audited read naming every ban it shows).
pub async fn export(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<ExportPage, WebError> {
    let id = parse_id(&id, viewer.lang)?;
    let x = requests::export(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    Ok(export_page(&viewer, &uri, x))
}
