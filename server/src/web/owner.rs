//! The owner's pages: the dashboard (`/zaak`), issuing a ban
//! (`/verboden/nieuw`), the bans of their venues with the search by person,
//! a ban's page with the revocation, and the door phones (`/deurtelefoons`).
//! Permissions are the services' (another venue's ban or phone is a 404
//! page, another role a 403 page).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::i18n::{Lang, Tr};
use super::session::{CsrfForm, Viewer};
use super::{Page, WebError, see_other};
use crate::domain::ban::{BanRuleError, BanStatus};
use crate::domain::notice::NoticeMethod;
use crate::services::bans::{self, Hearing, IssueBan, NoticeInput, PersonInput};
use crate::services::overview::{self, Dashboard};
use crate::services::owner::{self as pages, CategoryChoice, FoundBan, NamedBan, VenueChoice};
use crate::services::{App, AppError, devices};

// ---------------------------------------------------------------------------
// Shared pieces.

/// One message of a form: the field it belongs to (its id) and its text.
pub struct FieldError {
    pub field: &'static str,
    pub text: String,
}

/// A form's errors: the summary at the top lists them all, each field
/// shows its own.
#[derive(Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.text.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn add(&mut self, field: &'static str, text: &str) {
        if self.get(field).is_none() {
            self.0.push(FieldError {
                field,
                text: text.to_owned(),
            });
        }
    }
}

/// The message a page shows after a form sent the person there
/// (`?melding=...`): only these, never text from the address.
#[derive(Deserialize, Default)]
pub struct Flash {
    melding: Option<String>,
}

impl Flash {
    fn text(&self, tr: &Tr) -> Option<String> {
        let key = match self.melding.as_deref()? {
            "uitgevaardigd" => "owner.flash.issued",
            "ingetrokken" => "owner.flash.revoked",
            "hernoemd" => "owner.flash.renamed",
            "telefoon-ingetrokken" => "owner.flash.device_revoked",
            // letters (issue 9).
            "uitreiking" => "letters.notice.done",
            _ => return None,
        };
        Some(tr.t(key).to_owned())
    }
}

fn page_error(e: AppError, lang: Lang) -> WebError {
    WebError::app(e, lang)
}

/// A day in `YYYY-MM-DD` (as views carry it) as people write it.
fn iso_day(tr: &Tr, iso: &str) -> String {
    cho_core::dates::parse_iso_date(iso, "date").map_or_else(|_| iso.to_owned(), |d| tr.date(d))
}

fn status_key(status: BanStatus) -> &'static str {
    match status {
        BanStatus::Active => "owner.status.active",
        BanStatus::Expired => "owner.status.expired",
        BanStatus::Revoked => "owner.status.revoked",
        BanStatus::Overturned => "owner.status.overturned",
        BanStatus::Requested => "owner.status.requested",
        BanStatus::Rejected => "owner.status.rejected",
    }
}

fn parse_status(text: &str) -> Option<BanStatus> {
    match text {
        "active" => Some(BanStatus::Active),
        "expired" => Some(BanStatus::Expired),
        "revoked" => Some(BanStatus::Revoked),
        "overturned" => Some(BanStatus::Overturned),
        "requested" => Some(BanStatus::Requested),
        "rejected" => Some(BanStatus::Rejected),
        _ => None,
    }
}

/// An age in words: "12 minuten", "3 uur", "2 dagen".
fn age_text(tr: &Tr, seconds: i64) -> String {
    let minutes = seconds / 60;
    if minutes < 60 {
        tr.t1("owner.age.minutes", minutes)
    } else if minutes < 48 * 60 {
        tr.t1("owner.age.hours", minutes / 60)
    } else {
        tr.t1("owner.age.days", minutes / (24 * 60))
    }
}

// ---------------------------------------------------------------------------
// Dashboard.

#[derive(Template, WebTemplate)]
#[template(path = "owner/dashboard.html")]
pub struct DashboardPage {
    page: Page,
    d: Dashboard,
}

impl DashboardPage {
    fn admission(&self, state: overview::AdmissionState) -> &'static str {
        self.page.tr.t(match state {
            overview::AdmissionState::Admitted => "owner.admission.admitted",
            overview::AdmissionState::Pending => "owner.admission.pending",
            overview::AdmissionState::Withdrawn => "owner.admission.withdrawn",
            overview::AdmissionState::NotAdmitted => "owner.admission.not_admitted",
        })
    }

    fn age(&self, seconds: i64) -> String {
        age_text(&self.page.tr, seconds)
    }
}

/// `GET /zaak`: the owner's venues, active bans, door phones and list.
pub async fn dashboard(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
) -> Result<DashboardPage, WebError> {
    let d = overview::dashboard(&app, &viewer.actor)
        .await
        .map_err(|e| page_error(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    Ok(DashboardPage {
        page: Page::for_viewer(&viewer, &uri, tr.t("owner.dashboard.title")),
        d,
    })
}

// ---------------------------------------------------------------------------
// Issuing a ban.

/// The ban form as typed (every field kept on an error, the MRZ too; after
/// a successful submit the browser is sent elsewhere and nothing is kept).
#[derive(Deserialize, Default)]
pub struct BanForm {
    #[serde(default)]
    venue_id: String,
    #[serde(default)]
    mrz: String,
    #[serde(default)]
    surname: String,
    #[serde(default)]
    given_names: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    incident_date: String,
    #[serde(default)]
    incident_time: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    category_id: String,
    #[serde(default)]
    hearing_statement: String,
    #[serde(default)]
    not_heard_reason: String,
    #[serde(default)]
    notified_on: String,
    #[serde(default)]
    notice_method: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "owner/ban_form.html")]
pub struct BanFormPage {
    page: Page,
    venues: Vec<VenueChoice>,
    categories: Vec<CategoryChoice>,
    form: BanForm,
    errors: Errors,
    /// Where the form posts: the owner's `/verboden/nieuw`, or the
    /// beheerder's `/gebied/verboden/nieuw` (on a venue owner's
    /// instruction, issue 9 item 5).
    action: &'static str,
}

impl BanFormPage {
    fn category_text(&self, c: &CategoryChoice) -> String {
        let tr = &self.page.tr;
        tr.t1("owner.ban.category_period", c.days)
            .replace("{1}", &tr.date(c.ends_on))
    }

    fn venue_selected(&self, id: &i64) -> bool {
        self.form.venue_id == id.to_string()
    }

    fn category_checked(&self, id: &i64) -> bool {
        self.form.category_id == id.to_string()
    }

    /// The notice methods as (value, label, selected).
    fn notice_methods(&self) -> Vec<(&'static str, &str, bool)> {
        NoticeMethod::ALL
            .into_iter()
            .map(|m| {
                (
                    m.as_str(),
                    self.page.tr.t(notice_method_key(m)),
                    self.form.notice_method == m.as_str(),
                )
            })
            .collect()
    }
}

/// The catalogue key naming a notice method (in `common`: the owner's and
/// the beheerder's pages both show it).
pub fn notice_method_key(method: NoticeMethod) -> &'static str {
    match method {
        NoticeMethod::HandedOver => "notice.method.handed_over",
        NoticeMethod::Refused => "notice.method.refused",
        NoticeMethod::Post => "notice.method.post",
        NoticeMethod::Email => "notice.method.email",
        NoticeMethod::Other => "notice.method.other",
    }
}

async fn ban_form_page(
    app: &App,
    viewer: &Viewer,
    form: BanForm,
    errors: Errors,
    on_behalf: bool,
) -> Result<BanFormPage, WebError> {
    let choices = if on_behalf {
        crate::services::approvals::behalf_form(app, &viewer.actor).await
    } else {
        pages::issue_form(app, &viewer.actor).await
    }
    .map_err(|e| page_error(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    let mut form = form;
    if form.venue_id.is_empty()
        && let Some(first) = choices.venues.first()
    {
        form.venue_id = first.id.to_string();
    }
    if form.incident_date.is_empty() && errors.is_empty() {
        form.incident_date = format_day(choices.today);
    }
    let action = if on_behalf {
        "/gebied/verboden/nieuw"
    } else {
        "/verboden/nieuw"
    };
    Ok(BanFormPage {
        page: Page::for_viewer(
            viewer,
            &Uri::from_static(action),
            tr.t(if on_behalf {
                "approvals.behalf.title"
            } else {
                "owner.ban.title"
            }),
        ),
        venues: choices.venues,
        categories: choices.categories,
        form,
        errors,
        action,
    })
}

/// `GET /verboden/nieuw`.
pub async fn ban_form(State(app): State<App>, viewer: Viewer) -> Result<BanFormPage, WebError> {
    ban_form_page(&app, &viewer, BanForm::default(), Errors::default(), false).await
}

/// `GET /gebied/verboden/nieuw`: the beheerder's ban form on a venue
/// owner's instruction (issue 9 item 5).
pub async fn ban_form_on_behalf(
    State(app): State<App>,
    viewer: Viewer,
) -> Result<BanFormPage, WebError> {
    ban_form_page(&app, &viewer, BanForm::default(), Errors::default(), true).await
}

/// `dd-mm-jjjj` as people type it.
fn format_day(d: Date) -> String {
    format!("{:02}-{:02}-{}", d.day(), u8::from(d.month()), d.year())
}

/// A day typed as `28-11-2026`, `28/11/2026`, `28.11.2026` or `2026-11-28`.
pub fn parse_day(text: &str) -> Option<Date> {
    let parts: Vec<&str> = text.trim().split(['-', '/', '.', ' ']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (year, month, day) = if a.len() == 4 { (a, b, c) } else { (c, b, a) };
    if year.len() != 4 {
        return None;
    }
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

/// A time of day typed as `01:30`, `1:30` or `01.30`.
pub fn parse_time(text: &str) -> Option<Time> {
    let (h, m) = text.trim().split_once([':', '.'])?;
    if m.len() != 2 {
        return None;
    }
    Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()
}

/// The instant of a Dutch wall-clock time: the offset (+1 or +2) under
/// which Dutch civil time shows exactly this day and time. A time skipped
/// in spring has none; one repeated in autumn takes the earlier.
pub fn dutch_instant(day: Date, time: Time) -> Option<i64> {
    let local = PrimitiveDateTime::new(day, time);
    [2, 1].into_iter().find_map(|hours| {
        let offset = UtcOffset::from_hms(hours, 0, 0).ok()?;
        let unix = local.assume_offset(offset).unix_timestamp();
        let shown: OffsetDateTime = cho_core::dates::netherlands_time(unix).ok()?;
        (shown.date() == day && shown.time() == time).then_some(unix)
    })
}

fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Reads the form into the service's input, or the errors of its fields.
fn read_ban_form(tr: &Tr, form: &BanForm) -> Result<IssueBan, Errors> {
    let mut errors = Errors::default();
    let venue_id = form.venue_id.trim().parse::<i64>().ok();
    if venue_id.is_none() {
        errors.add("venue_id", tr.t("owner.ban.error.venue"));
    }
    let typed = [&form.surname, &form.given_names, &form.birth_date];
    let person = if form.mrz.trim().is_empty() && typed.iter().all(|t| t.trim().is_empty()) {
        // Nothing about the person at all: one message, at the MRZ.
        errors.add("mrz", tr.t("owner.ban.error.person_missing"));
        None
    } else if form.mrz.trim().is_empty() {
        if form.surname.trim().is_empty() {
            errors.add("surname", tr.t("owner.ban.error.surname"));
        }
        if form.given_names.trim().is_empty() {
            errors.add("given_names", tr.t("owner.ban.error.given_names"));
        }
        let birth = parse_day(&form.birth_date);
        if birth.is_none() {
            errors.add("birth_date", tr.t("owner.ban.error.birth_date"));
        }
        birth.map(|b| PersonInput::Manual {
            surname: form.surname.clone(),
            given_names: form.given_names.clone(),
            birth_date: cho_core::dates::format_iso_date(b),
        })
    } else {
        Some(PersonInput::Mrz {
            mrz: form.mrz.trim().to_owned(),
        })
    };
    let day = parse_day(&form.incident_date);
    if day.is_none() {
        errors.add("incident_date", tr.t("owner.ban.error.incident_date"));
    }
    let time = parse_time(&form.incident_time);
    if time.is_none() {
        errors.add("incident_time", tr.t("owner.ban.error.incident_time"));
    }
    let incident_at = match (day, time) {
        (Some(d), Some(t)) => {
            let at = dutch_instant(d, t);
            if at.is_none() {
                errors.add("incident_time", tr.t("owner.ban.error.incident_time"));
            }
            at
        }
        _ => None,
    };
    if form.description.trim().is_empty() {
        errors.add("description", tr.t("owner.ban.error.description"));
    }
    let category_id = form.category_id.trim().parse::<i64>().ok();
    if category_id.is_none() {
        errors.add("category", tr.t("owner.ban.error.category"));
    }
    let statement = non_empty(&form.hearing_statement);
    let not_heard_reason = non_empty(&form.not_heard_reason);
    if statement.is_none() && not_heard_reason.is_none() {
        errors.add("hearing_statement", tr.t("owner.ban.error.hearing"));
    }
    let notice = match (
        non_empty(&form.notified_on),
        non_empty(&form.notice_method).map(|m| NoticeMethod::parse(&m)),
    ) {
        (None, None) => None,
        (on, method) => {
            let day = on.as_deref().and_then(parse_day);
            if day.is_none() {
                errors.add("notified_on", tr.t("owner.ban.error.notified_on"));
            }
            let method = method.flatten();
            if method.is_none() {
                errors.add("notice_method", tr.t("owner.ban.error.notice_method"));
            }
            day.zip(method).map(|(notified_on, method)| NoticeInput {
                notified_on,
                method,
                note: None,
            })
        }
    };
    match (person, incident_at, venue_id, category_id) {
        (Some(person), Some(incident_at), Some(venue_id), Some(category_id))
            if errors.is_empty() =>
        {
            Ok(IssueBan {
                venue_id,
                category_id,
                person,
                incident_at,
                incident_description: form.description.clone(),
                starts_on: None,
                ends_on: None,
                hearing: Hearing {
                    statement,
                    not_heard_reason,
                },
                notice,
            })
        }
        _ => Err(errors),
    }
}

/// Where the service's refusal of a ban belongs on the form; None for
/// errors that are not about what was typed (those get an error page).
fn ban_error_field(e: &AppError, by_mrz: bool) -> Option<(&'static str, &'static str)> {
    let person = if by_mrz { "mrz" } else { "surname" };
    Some(match e {
        AppError::Invalid(message) => {
            let m = message.as_str();
            if m.starts_with("person") {
                if m.contains("birth") && !by_mrz {
                    ("birth_date", "owner.ban.error.birth_date")
                } else if by_mrz {
                    ("mrz", "owner.ban.error.mrz")
                } else {
                    (person, "owner.ban.error.person")
                }
            } else if m.starts_with("incident_at") {
                ("incident_date", "owner.ban.error.incident_date")
            } else if m.starts_with("category_id") {
                ("category", "owner.ban.error.category")
            } else if m.starts_with("notified_on") {
                ("notified_on", "owner.ban.error.notified_range")
            } else {
                return None;
            }
        }
        AppError::BanRule(rule) => match rule {
            BanRuleError::IncidentInFuture => ("incident_date", "owner.ban.error.incident_future"),
            BanRuleError::IncidentTooLongAgo => {
                ("incident_date", "municipality.ban_rule.incident_too_old")
            }
            BanRuleError::BirthDateBefore1900 => (
                if by_mrz { "mrz" } else { "birth_date" },
                "municipality.ban_rule.birth_before_1900",
            ),
            BanRuleError::BirthDateInFuture => (
                if by_mrz { "mrz" } else { "birth_date" },
                "municipality.ban_rule.birth_in_future",
            ),
            BanRuleError::StartOutOfRange => ("incident_date", "owner.ban.error.incident_date"),
            BanRuleError::HearingMissing => ("hearing_statement", "owner.ban.error.hearing"),
            BanRuleError::TooLong { .. } | BanRuleError::TooLongForCategory { .. } => {
                ("category", "owner.ban.error.category")
            }
            BanRuleError::EndsBeforeStart => ("category", "owner.ban.error.category"),
            BanRuleError::Empty(field) | BanRuleError::TooLongText(field) => {
                let too_long = matches!(rule, BanRuleError::TooLongText(_));
                let id = match *field {
                    "incident_description" => "description",
                    "hearing statement" => "hearing_statement",
                    "not_heard_reason" => "not_heard_reason",
                    "notice note" => "notice_method",
                    _ => return None,
                };
                (
                    id,
                    if too_long {
                        "owner.ban.error.too_long"
                    } else {
                        "owner.ban.error.empty"
                    },
                )
            }
            BanRuleError::NoValidPermit(_) => ("venue_id", "owner.ban.error.no_permit"),
            BanRuleError::VenueNotAdmitted => ("venue_id", "owner.ban.error.not_admitted"),
        },
        _ => return None,
    })
}

/// `POST /verboden/nieuw`: issues the ban and goes to its page, or shows
/// the form again with what was typed and what is wrong.
pub async fn issue(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<BanForm>,
) -> Result<Response, WebError> {
    issue_with(&app, &viewer, form, false).await
}

/// `POST /gebied/verboden/nieuw`: the beheerder records the ban on a
/// venue owner's instruction (active at once) and goes to its page.
pub async fn issue_on_behalf(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<BanForm>,
) -> Result<Response, WebError> {
    issue_with(&app, &viewer, form, true).await
}

async fn issue_with(
    app: &App,
    viewer: &Viewer,
    form: BanForm,
    on_behalf: bool,
) -> Result<Response, WebError> {
    let tr = Tr::new(viewer.lang);
    let input = match read_ban_form(&tr, &form) {
        Ok(input) => input,
        Err(errors) => {
            let page = ban_form_page(app, viewer, form, errors, on_behalf).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let by_mrz = matches!(input.person, PersonInput::Mrz { .. });
    let issued = if on_behalf {
        bans::issue_on_behalf(app, &viewer.actor, input).await
    } else {
        bans::issue_at_own_venue(app, &viewer.actor, input).await
    };
    match issued {
        Ok(id) if on_behalf => Ok(see_other(&format!("/gebied/verboden/{id}"))),
        Ok(id) => Ok(see_other(&format!("/verboden/{id}?melding=uitgevaardigd"))),
        Err(e) => match ban_error_field(&e, by_mrz) {
            Some((field, key)) => {
                let mut errors = Errors::default();
                errors.add(field, tr.t(key));
                let status = super::classify(&e).0;
                let page = ban_form_page(app, viewer, form, errors, on_behalf).await?;
                Ok((status, page).into_response())
            }
            None => Err(page_error(e, viewer.lang)),
        },
    }
}

// ---------------------------------------------------------------------------
// The bans of the owner's venues.

#[derive(Deserialize, Default)]
pub struct ListParams {
    status: Option<String>,
    melding: Option<String>,
}

/// A search by person, as typed on the list page.
#[derive(Deserialize, Default)]
pub struct FindForm {
    #[serde(default)]
    mrz: String,
    #[serde(default)]
    surname: String,
    #[serde(default)]
    given_names: String,
    #[serde(default)]
    birth_date: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "owner/bans.html")]
pub struct BansPage {
    page: Page,
    /// The status filter, `""` for all.
    status: String,
    bans: Vec<NamedBan>,
    find: FindForm,
    find_errors: Errors,
    /// The search's result, once searched.
    found: Option<Vec<FoundBan>>,
    flash: Option<String>,
}

impl BansPage {
    fn status_text(&self, status: &BanStatus) -> &'static str {
        self.page.tr.t(status_key(*status))
    }

    fn day(&self, iso: &str) -> String {
        iso_day(&self.page.tr, iso)
    }

    fn any_possible(&self) -> bool {
        self.found
            .as_ref()
            .is_some_and(|f| f.iter().any(|x| !x.same_person()))
    }

    fn filters(&self) -> &'static [(&'static str, &'static str)] {
        &STATUS_FILTER
    }
}

/// The statuses the filter offers, with their catalogue keys.
pub const STATUS_FILTER: [(&str, &str); 6] = [
    ("requested", "owner.status.requested"),
    ("rejected", "owner.status.rejected"),
    ("active", "owner.status.active"),
    ("expired", "owner.status.expired"),
    ("revoked", "owner.status.revoked"),
    ("overturned", "owner.status.overturned"),
];

/// `GET /verboden?status=...`.
pub async fn ban_list(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Query(params): Query<ListParams>,
) -> Result<BansPage, WebError> {
    let status_text = params.status.unwrap_or_default();
    let status = parse_status(&status_text);
    let bans = pages::bans(&app, &viewer.actor, status)
        .await
        .map_err(|e| page_error(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    let flash = Flash {
        melding: params.melding,
    }
    .text(&tr);
    Ok(BansPage {
        page: Page::for_viewer(&viewer, &uri, tr.t("owner.bans.title")),
        status: if status.is_some() {
            status_text
        } else {
            String::new()
        },
        bans,
        find: FindForm::default(),
        find_errors: Errors::default(),
        found: None,
        flash,
    })
}

/// `POST /verboden/zoeken`: the bans of one person (a POST: an MRZ or a
/// name never goes into an address or a server log).
pub async fn find(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<FindForm>,
) -> Result<Response, WebError> {
    let tr = Tr::new(viewer.lang);
    let mut errors = Errors::default();
    let person = if form.mrz.trim().is_empty() {
        match parse_day(&form.birth_date) {
            Some(b) if !form.surname.trim().is_empty() && !form.given_names.trim().is_empty() => {
                Some(PersonInput::Manual {
                    surname: form.surname.clone(),
                    given_names: form.given_names.clone(),
                    birth_date: cho_core::dates::format_iso_date(b),
                })
            }
            _ => {
                errors.add("find_mrz", tr.t("owner.find.error.person"));
                None
            }
        }
    } else {
        Some(PersonInput::Mrz {
            mrz: form.mrz.trim().to_owned(),
        })
    };
    let found = match person {
        Some(person) => match pages::find(&app, &viewer.actor, &person).await {
            Ok(found) => Some(found),
            Err(AppError::Invalid(_)) => {
                errors.add("find_mrz", tr.t("owner.find.error.unreadable"));
                None
            }
            Err(e) => return Err(page_error(e, viewer.lang)),
        },
        None => None,
    };
    let page = BansPage {
        page: Page::for_viewer(
            &viewer,
            &Uri::from_static("/verboden"),
            tr.t("owner.find.title"),
        ),
        status: String::new(),
        bans: Vec::new(),
        // What was typed stays only when it could not be searched; after a
        // search the form is empty again.
        find: if found.is_some() {
            FindForm::default()
        } else {
            form
        },
        find_errors: errors,
        found,
        flash: None,
    };
    let status = if page.find_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "owner/ban.html")]
pub struct BanPage {
    page: Page,
    b: NamedBan,
    /// complaints (issue 9): pending or decided, never their texts.
    complaints: super::complaints::BanComplaints,
    flash: Option<String>,
    reason: String,
    reason_error: Option<String>,
}

impl BanPage {
    fn notice_method_key(&self, method: &NoticeMethod) -> &'static str {
        notice_method_key(*method)
    }

    fn status_text(&self) -> &'static str {
        self.page.tr.t(status_key(self.b.ban.status))
    }

    fn day(&self, iso: &str) -> String {
        iso_day(&self.page.tr, iso)
    }

    fn active(&self) -> bool {
        self.b.ban.status == BanStatus::Active
    }

    fn period(&self) -> String {
        let tr = &self.page.tr;
        tr.t1("owner.ban.period_text", self.day(&self.b.ban.starts_on))
            .replace("{1}", &self.day(&self.b.ban.ends_on))
    }
}

async fn ban_page(
    app: &App,
    viewer: &Viewer,
    id: i64,
    flash: Option<String>,
    reason: String,
    reason_error: Option<String>,
) -> Result<BanPage, WebError> {
    let b = pages::ban(app, &viewer.actor, id)
        .await
        .map_err(|e| page_error(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    let path = format!("/verboden/{id}");
    let uri = path
        .parse::<Uri>()
        .unwrap_or_else(|_| Uri::from_static("/"));
    let complaints = super::complaints::BanComplaints::new(
        &tr,
        viewer.actor.role,
        b.ban.id,
        b.ban.status,
        &b.complaints,
    );
    Ok(BanPage {
        page: Page::for_viewer(viewer, &uri, &tr.t1("owner.ban_page.title", id)),
        complaints,
        b,
        flash,
        reason,
        reason_error,
    })
}

/// `GET /verboden/{id}`.
pub async fn ban_detail(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(flash): Query<Flash>,
) -> Result<BanPage, WebError> {
    let text = flash.text(&Tr::new(viewer.lang));
    ban_page(&app, &viewer, id, text, String::new(), None).await
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    reason: String,
}

/// `POST /verboden/{id}/intrekken`: revokes with a reason.
pub async fn revoke_ban(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Result<Response, WebError> {
    let tr = Tr::new(viewer.lang);
    match bans::revoke(&app, &viewer.actor, id, &form.reason).await {
        Ok(()) => Ok(see_other(&format!("/verboden/{id}?melding=ingetrokken"))),
        Err(e @ AppError::BanRule(_)) => {
            let status = super::classify(&e).0;
            let error = Some(tr.t("owner.revoke.error.reason").to_owned());
            let page = ban_page(&app, &viewer, id, None, form.reason, error).await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(page_error(e, viewer.lang)),
    }
}

// ---------------------------------------------------------------------------
// Door phones.

#[derive(Template, WebTemplate)]
#[template(path = "owner/devices.html")]
pub struct DevicesPage {
    page: Page,
    d: Dashboard,
    flash: Option<String>,
    name: String,
    errors: Errors,
}

impl DevicesPage {
    fn when(&self, unix: &i64) -> String {
        self.page.tr.date_time(*unix)
    }
}

async fn devices_page(
    app: &App,
    viewer: &Viewer,
    flash: Option<String>,
    name: String,
    errors: Errors,
) -> Result<DevicesPage, WebError> {
    let d = overview::dashboard(app, &viewer.actor)
        .await
        .map_err(|e| page_error(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    Ok(DevicesPage {
        page: Page::for_viewer(
            viewer,
            &Uri::from_static("/deurtelefoons"),
            tr.t("owner.devices.title"),
        ),
        d,
        flash,
        name,
        errors,
    })
}

/// `GET /deurtelefoons`.
pub async fn device_list(
    State(app): State<App>,
    viewer: Viewer,
    Query(flash): Query<Flash>,
) -> Result<DevicesPage, WebError> {
    let text = flash.text(&Tr::new(viewer.lang));
    devices_page(&app, &viewer, text, String::new(), Errors::default()).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    venue_id: String,
    #[serde(default)]
    name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "owner/code.html")]
pub struct CodePage {
    page: Page,
    name: String,
    code: String,
    /// The short fingerprint of the list-signing key, typed beside the code.
    key_fingerprint: String,
    /// The QR code as inline SVG markup (ours, from `qrcode`).
    qr_svg: String,
    expires_at: i64,
}

/// The service's SVG made fit to sit inside the page: without the XML
/// declaration, named for screen readers. `qrcode` writes presentation
/// attributes only (`fill`, `shape-rendering`), no `style`, so the CSP's
/// `style-src 'self'` lets it be.
fn inline_svg(svg: &str, label: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let label = label
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    svg[start..].replacen(
        "<svg",
        &format!("<svg role=\"img\" aria-label=\"{label}\" class=\"cho-qr\""),
        1,
    )
}

/// `POST /deurtelefoons/code`: a one-time enrolment code, as QR and text.
/// Shown once, here, not after a redirect: it is never stored readable.
pub async fn create_code(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, WebError> {
    let tr = Tr::new(viewer.lang);
    let venue_id = form
        .venue_id
        .trim()
        .parse::<i64>()
        .map_err(|_| WebError::page(StatusCode::BAD_REQUEST, "bad_request", viewer.lang))?;
    match devices::create_code(&app, &viewer.actor, venue_id, &form.name).await {
        Ok(code) => {
            let label = tr.t("owner.code.qr_label").to_owned();
            let page = CodePage {
                page: Page::for_viewer(
                    &viewer,
                    &Uri::from_static("/deurtelefoons"),
                    tr.t("owner.code.title"),
                ),
                name: form.name.trim().to_owned(),
                code: code.code,
                key_fingerprint: code.key_fingerprint,
                qr_svg: inline_svg(&code.qr_svg, &label),
                expires_at: code.expires_at,
            };
            Ok(page.into_response())
        }
        Err(AppError::Invalid(_)) => {
            let mut errors = Errors::default();
            errors.add("device_name", tr.t("owner.devices.error.name"));
            let page = devices_page(&app, &viewer, None, form.name, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(page_error(e, viewer.lang)),
    }
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

/// `POST /deurtelefoons/{id}/naam`.
pub async fn rename_device(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<RenameForm>,
) -> Result<Response, WebError> {
    let tr = Tr::new(viewer.lang);
    match devices::rename(&app, &viewer.actor, id, &form.name).await {
        Ok(()) => Ok(see_other("/deurtelefoons?melding=hernoemd")),
        Err(AppError::Invalid(_)) => {
            let mut errors = Errors::default();
            errors.add("rename", tr.t("owner.devices.error.name"));
            let page = devices_page(&app, &viewer, None, String::new(), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(page_error(e, viewer.lang)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "owner/device_revoke.html")]
pub struct DeviceRevokePage {
    page: Page,
    device: overview::DeviceView,
}

/// `GET /deurtelefoons/{id}/intrekken`: are you sure? (works without
/// JavaScript: a page of its own with the button that does it).
pub async fn confirm_revoke_device(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<DeviceRevokePage, WebError> {
    let d = overview::dashboard(&app, &viewer.actor)
        .await
        .map_err(|e| page_error(e, viewer.lang))?;
    let device = d
        .devices
        .into_iter()
        .find(|x| x.id == id && !x.revoked)
        .ok_or(WebError::page(
            StatusCode::NOT_FOUND,
            "not_found",
            viewer.lang,
        ))?;
    let tr = Tr::new(viewer.lang);
    let path = format!("/deurtelefoons/{id}/intrekken");
    let uri = path
        .parse::<Uri>()
        .unwrap_or_else(|_| Uri::from_static("/"));
    Ok(DeviceRevokePage {
        page: Page::for_viewer(&viewer, &uri, tr.t("owner.device_revoke.title")),
        device,
    })
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /deurtelefoons/{id}/intrekken`.
pub async fn revoke_device(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    devices::revoke(&app, &viewer.actor, id)
        .await
        .map_err(|e| page_error(e, viewer.lang))?;
    Ok(see_other("/deurtelefoons?melding=telefoon-ingetrokken"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::{date, time};

    #[test]
    fn days_and_times_as_people_type_them() {
        assert_eq!(parse_day("28-11-2026"), Some(date!(2026 - 11 - 28)));
        assert_eq!(parse_day(" 8/3/2026 "), Some(date!(2026 - 03 - 08)));
        assert_eq!(parse_day("2026-11-28"), Some(date!(2026 - 11 - 28)));
        assert_eq!(parse_day("31-02-2026"), None);
        assert_eq!(parse_day("28-11-26"), None);
        assert_eq!(parse_time("1:30"), Some(time!(01:30)));
        assert_eq!(parse_time("23.05"), Some(time!(23:05)));
        assert_eq!(parse_time("24:00"), None);
        assert_eq!(parse_time("130"), None);
    }

    /// Winter is UTC+1, summer UTC+2; 02:30 on the last Sunday of March
    /// does not exist in the Netherlands.
    #[test]
    fn dutch_wall_clock_times() {
        let winter = dutch_instant(date!(2026 - 11 - 29), time!(01:30)).unwrap();
        assert_eq!(winter, 1_795_912_200);
        let summer = dutch_instant(date!(2026 - 07 - 01), time!(14:00)).unwrap();
        assert_eq!(summer, 1_782_907_200);
        assert_eq!(dutch_instant(date!(2026 - 03 - 29), time!(02:30)), None);
    }

    #[test]
    fn the_qr_code_sits_inline_without_styles() {
        let svg = "<?xml version=\"1.0\"?><svg xmlns=\"x\" width=\"2\"><path fill=\"#000\"/></svg>";
        let inline = inline_svg(svg, "QR \"code\"");
        assert!(inline.starts_with("<svg role=\"img\" aria-label=\"QR &quot;code&quot;\""));
        assert!(!inline.contains("<?xml"));
        assert!(!inline.contains("style="));
    }
}
