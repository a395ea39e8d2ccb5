//! The beheerder's pages for running the area: the overview (also the
//! beheerder's start page), the protocol (categories, settings, permit,
//! contact), the venues (add, admit, withdraw) and the owners' accounts
//! (create, venues, disable, re-enable, reset the password, end sessions).
//!
//! Every simple form is one page rendered by `area/form.html` from a list
//! of [`Field`]s (GOV.UK's "one thing per page"): on a refusal the same
//! page comes back with an error summary at the top linking to the
//! fields, the error at each field, and what was typed. Forms are read as
//! a name -> value map so that checkboxes (`venue_<id>`) need no special
//! parser. After a change the handler redirects with `?klaar=<code>`, a
//! fixed message code (never data), shown as a status message.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::Date;

use super::i18n::Tr;
use super::session::{CsrfForm, Viewer};
use super::{Page, WebError, classify, error_text, see_other};
use crate::domain::protocol::{Durations, Permit, ProtocolSettings};
use crate::domain::roles::Role;
use crate::services::accounts::{self, AccountView, NewAccount};
use crate::services::admin::{self, VenueView};
use crate::services::overview::{self, AdmissionState, AreaOverview};
use crate::services::public::{self as public_service, Contact};
use crate::services::{App, AppError};

type Fields = BTreeMap<String, String>;

/// The messages a redirect may ask for (`?klaar=<code>`); anything else is
/// ignored. Each has `area.done.<code>` in both catalogues.
pub const DONE_CODES: [&str; 14] = [
    "settings",
    "permit",
    "contact",
    "category_added",
    "category_changed",
    "category_retired",
    "venue_added",
    "venue_admitted",
    "venue_withdrawn",
    "account_created",
    "account_venues",
    "account_disabled",
    "account_enabled",
    "sessions_ended",
];

#[derive(Deserialize)]
pub struct Done {
    klaar: Option<String>,
}

impl Done {
    /// The status message to show, if the code is one of ours.
    fn message(&self, tr: &Tr) -> Option<String> {
        let code = self.klaar.as_deref()?;
        DONE_CODES
            .contains(&code)
            .then(|| tr.t(&format!("area.done.{code}")).to_owned())
    }
}

fn err(viewer: &Viewer) -> impl Fn(AppError) -> WebError + '_ {
    move |e| WebError::app(e, viewer.lang)
}

fn field_value<'a>(form: &'a Fields, name: &str) -> &'a str {
    form.get(name).map_or("", |v| v.as_str())
}

// ---------------------------------------------------------------- overview

#[derive(Template, WebTemplate)]
#[template(path = "area/overview.html")]
pub struct OverviewPage {
    page: Page,
    o: AreaOverview,
}

impl OverviewPage {
    fn day(&self, d: &Date) -> String {
        self.page.tr.date(*d)
    }

    fn when(&self, unix: &i64) -> String {
        self.page.tr.date_time(*unix)
    }

    fn admission(&self, state: &AdmissionState) -> &'static str {
        admission_key(*state)
    }

    /// The list's age as people say it: minutes under two hours, then
    /// hours.
    fn age(&self, seconds: &i64) -> String {
        let minutes = seconds / 60;
        if minutes < 120 {
            self.page.tr.t1("area.overview.list.age_minutes", minutes)
        } else {
            self.page
                .tr
                .t1("area.overview.list.age_hours", minutes / 60)
        }
    }
}

fn admission_key(state: AdmissionState) -> &'static str {
    match state {
        AdmissionState::Admitted => "area.venue.state.admitted",
        AdmissionState::Pending => "area.venue.state.pending",
        AdmissionState::Withdrawn => "area.venue.state.withdrawn",
        AdmissionState::NotAdmitted => "area.venue.state.not_admitted",
    }
}

/// The overview of the beheerder's own area (`/gebied`, and `/` for a
/// beheerder).
pub async fn overview_page(app: &App, viewer: &Viewer, uri: &Uri) -> Result<Response, WebError> {
    let area_id = admin::managed_area_id(&viewer.actor).map_err(err(viewer))?;
    let o = overview::area(app, &viewer.actor, area_id)
        .await
        .map_err(err(viewer))?;
    let tr = Tr::new(viewer.lang);
    Ok(OverviewPage {
        page: Page::for_viewer(viewer, uri, tr.t("area.overview.title")),
        o,
    }
    .into_response())
}

/// `GET /gebied`.
pub async fn overview(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
) -> Result<Response, WebError> {
    overview_page(&app, &viewer, &uri).await
}

// ---------------------------------------------------------------- generic form page

/// One field of a form page.
pub struct Field {
    pub name: String,
    pub label: String,
    pub hint: Option<String>,
    /// `text`, `number`, `date`, `email`, `tel`, `textarea`, `password`,
    /// `checkboxes`.
    pub kind: &'static str,
    pub value: String,
    pub error: Option<String>,
    /// Holds a person's data: no autocomplete.
    pub personal: bool,
    pub required: bool,
    pub choices: Vec<Choice>,
}

/// A checkbox of a `checkboxes` field.
pub struct Choice {
    pub name: String,
    pub label: String,
    pub checked: bool,
}

impl Field {
    fn new(name: &str, label: &str, kind: &'static str, value: String) -> Self {
        Self {
            name: name.to_owned(),
            label: label.to_owned(),
            hint: None,
            kind,
            value,
            error: None,
            personal: false,
            required: true,
            choices: Vec::new(),
        }
    }

    fn hint(mut self, hint: String) -> Self {
        self.hint = Some(hint);
        self
    }

    fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    fn personal(mut self) -> Self {
        self.personal = true;
        self
    }

    fn html_type(&self) -> &'static str {
        match self.kind {
            "number" => "text",
            other => other,
        }
    }

    fn input_mode(&self) -> &'static str {
        if self.kind == "number" { "numeric" } else { "" }
    }

    /// The first checkbox's id (where the error summary links to).
    fn anchor(&self) -> String {
        self.choices
            .first()
            .map_or_else(|| self.name.clone(), |c| c.name.clone())
    }
}

/// A second, separate action under the form (retire a category).
pub struct Extra {
    pub heading: String,
    pub text: String,
    pub action: String,
    pub button: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "area/form.html")]
pub struct FormPage {
    page: Page,
    intro: Vec<String>,
    /// A warning above the form (what the change does).
    warning: Option<String>,
    /// An error not tied to a field.
    error: Option<String>,
    action: String,
    hidden: Vec<(String, String)>,
    fields: Vec<Field>,
    submit: String,
    back_href: String,
    back_text: String,
    extra: Option<Extra>,
}

impl FormPage {
    fn new(viewer: &Viewer, uri: &Uri, title_key: &str, action: String) -> Self {
        let tr = Tr::new(viewer.lang);
        Self {
            page: Page::for_viewer(viewer, uri, tr.t(title_key)),
            intro: Vec::new(),
            warning: None,
            error: None,
            action,
            hidden: Vec::new(),
            fields: Vec::new(),
            submit: tr.t("area.form.save").to_owned(),
            back_href: "/gebied".to_owned(),
            back_text: tr.t("area.form.back").to_owned(),
            extra: None,
        }
    }

    fn tr(&self) -> Tr {
        self.page.tr
    }

    fn has_errors(&self) -> bool {
        self.error.is_some() || self.fields.iter().any(|f| f.error.is_some())
    }

    fn field_mut(&mut self, name: &str) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.name == name)
    }

    /// Marks field `name` wrong with catalogue text `key`.
    fn wrong(&mut self, name: &str, key: &str) {
        let text = self.tr().t(key).to_owned();
        if let Some(f) = self.field_mut(name) {
            f.error = Some(text);
        }
    }

    /// The page again with its errors: 422.
    fn refused(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }

    /// A service's answer to the form: on success to `to` (post, redirect,
    /// get), else the page again with the refusal ([`Self::service_error`]).
    fn finish<T>(
        self,
        result: Result<T, AppError>,
        to: &str,
        viewer: &Viewer,
    ) -> Result<Response, WebError> {
        match result {
            Ok(_) => Ok(see_other(to)),
            Err(e) => self.service_error(e, viewer),
        }
    }

    /// A service's refusal of valid-looking input: its text at the top
    /// (and on the form's only field when there is one); anything else is
    /// the error page.
    fn service_error(mut self, e: AppError, viewer: &Viewer) -> Result<Response, WebError> {
        match e {
            AppError::Invalid(_)
            | AppError::Protocol(_)
            | AppError::Conflict(_)
            | AppError::NotAdmitted => {
                let (status, code, wait) = classify(&e);
                self.error = Some(error_text(&self.tr(), code, wait));
                Ok((status, self).into_response())
            }
            e => Err(WebError::app(e, viewer.lang)),
        }
    }
}

/// A day from a date field (`YYYY-MM-DD`, what `<input type="date">`
/// sends) or as people type it (`31-12-2026`).
fn parse_date(text: &str) -> Option<Date> {
    let t = text.trim();
    cho_core::dates::parse_iso_date(t, "date").ok().or_else(|| {
        let mut parts = t.split(['-', '/', '.']);
        let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 {
            return None;
        }
        let iso = format!("{y}-{m:0>2}-{d:0>2}");
        cho_core::dates::parse_iso_date(&iso, "date").ok()
    })
}

fn iso(date: Date) -> String {
    cho_core::dates::format_iso_date(date)
}

fn parse_number(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok()
}

/// Reads a number field, marking it wrong when it is not one.
fn number(page: &mut FormPage, form: &Fields, name: &str) -> Option<i64> {
    let n = parse_number(field_value(form, name));
    if n.is_none() {
        page.wrong(name, "area.form.error.number");
    }
    n
}

/// Reads a date field, marking it wrong when it is not a day.
fn date(page: &mut FormPage, form: &Fields, name: &str) -> Option<Date> {
    let d = parse_date(field_value(form, name));
    if d.is_none() {
        page.wrong(name, "area.form.error.date");
    }
    d
}

/// Marks a required text field wrong when empty.
fn required(page: &mut FormPage, form: &Fields, name: &str) {
    if field_value(form, name).trim().is_empty() {
        page.wrong(name, "area.form.error.required");
    }
}

/// Puts what was typed back into the fields.
fn keep_typed(page: &mut FormPage, form: &Fields) {
    for f in &mut page.fields {
        if f.kind == "checkboxes" {
            for c in &mut f.choices {
                c.checked = form.contains_key(&c.name);
            }
        } else if f.kind != "password" {
            f.value = field_value(form, &f.name).to_owned();
        }
    }
}

// ---------------------------------------------------------------- protocol

#[derive(Template, WebTemplate)]
#[template(path = "area/protocol.html")]
pub struct ProtocolPage {
    page: Page,
    p: admin::ProtocolView,
    done: Option<String>,
}

impl ProtocolPage {
    fn day(&self, d: &Date) -> String {
        self.page.tr.date(*d)
    }

    fn contact_or_dash<'a>(&self, value: &'a Option<String>) -> &'a str {
        value.as_deref().unwrap_or("—")
    }

    fn hours(&self, seconds: &i64) -> String {
        self.page.tr.t1("area.protocol.hours", hours_of(*seconds))
    }
}

fn hours_of(seconds: i64) -> i64 {
    (seconds + 3599) / 3600
}

/// `GET /gebied/protocol`.
pub async fn protocol(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Query(done): Query<Done>,
) -> Result<ProtocolPage, WebError> {
    let p = admin::protocol(&app, &viewer.actor)
        .await
        .map_err(err(&viewer))?;
    let tr = Tr::new(viewer.lang);
    Ok(ProtocolPage {
        page: Page::for_viewer(&viewer, &uri, tr.t("area.protocol.title")),
        p,
        done: done.message(&tr),
    })
}

fn settings_form(viewer: &Viewer, uri: &Uri, area: &admin::AreaView) -> FormPage {
    let mut page = FormPage::new(
        viewer,
        uri,
        "area.settings.title",
        "/gebied/protocol/instellingen".to_owned(),
    );
    let tr = page.tr();
    page.back_href = "/gebied/protocol".to_owned();
    page.intro = vec![tr.t("area.settings.intro").to_owned()];
    page.fields = vec![
        Field::new(
            "complaint_window_days",
            tr.t("area.settings.complaint_window"),
            "number",
            area.complaint_window_days.to_string(),
        )
        .hint(tr.t("area.settings.complaint_window_hint").to_owned()),
        Field::new(
            "retention_days",
            tr.t("area.settings.retention"),
            "number",
            area.retention_days.to_string(),
        )
        .hint(tr.t("area.settings.retention_hint").to_owned()),
        Field::new(
            "max_list_age_hours",
            tr.t("area.settings.max_list_age"),
            "number",
            hours_of(area.max_list_age_seconds).to_string(),
        )
        .hint(tr.t("area.settings.max_list_age_hint").to_owned()),
    ];
    page
}

/// `GET /gebied/protocol/instellingen`.
pub async fn settings_page(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
) -> Result<FormPage, WebError> {
    let p = admin::protocol(&app, &viewer.actor)
        .await
        .map_err(err(&viewer))?;
    Ok(settings_form(&viewer, &uri, &p.area))
}

/// `POST /gebied/protocol/instellingen`.
pub async fn settings_save(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    CsrfForm(form): CsrfForm<Fields>,
) -> Result<Response, WebError> {
    let area_id = admin::managed_area_id(&viewer.actor).map_err(err(&viewer))?;
    let p = admin::protocol(&app, &viewer.actor)
        .await
        .map_err(err(&viewer))?;
    let mut page = settings_form(&viewer, &uri, &p.area);
    keep_typed(&mut page, &form);
    let window = number(&mut page, &form, "complaint_window_days");
    let retention = number(&mut page, &form, "retention_days");
    let hours = number(&mut page, &form, "max_list_age_hours");
    let (Some(window), Some(retention), Some(hours)) = (window, retention, hours) else {
        return Ok(page.refused());
    };
    let settings = match ProtocolSettings::new(window, retention, hours.saturating_mul(3600)) {
        Ok(s) => s,
        Err(_) => {
            if !(1..=90).contains(&window) {
                page.wrong(
                    "complaint_window_days",
                    "area.settings.complaint_window_hint",
                );
            }
            if !(0..=crate::domain::protocol::MAX_RETENTION_DAYS).contains(&retention) {
                page.wrong("retention_days", "area.settings.retention_hint");
            }
            if !(1..=168).contains(&hours) {
                page.wrong("max_list_age_hours", "area.settings.max_list_age_hint");
            }
            return Ok(page.refused());
        }
    };
    page.finish(
        admin::set_settings(&app, &viewer.actor, area_id, settings).await,
        "/gebied/protocol?klaar=settings",
        &viewer,
    )
}

fn permit_form(viewer: &Viewer, uri: &Uri, area: &admin::AreaView) -> FormPage {
    let mut page = FormPage::new(
        viewer,
        uri,
        "area.permit.title",
        "/gebied/protocol/vergunning".to_owned(),
    );
    let tr = page.tr();
    page.back_href = "/gebied/protocol".to_owned();
    page.intro = vec![tr.t("area.permit.intro").to_owned()];
    let (reference, granted, expires) = area.permit.as_ref().map_or_else(
        || (String::new(), String::new(), String::new()),
        |p| (p.reference.clone(), iso(p.granted_on), iso(p.expires_on)),
    );
    page.fields = vec![
        Field::new(
            "reference",
            tr.t("area.permit.reference"),
            "text",
            reference,
        ),
        Field::new(
            "granted_on",
            tr.t("area.permit.granted_on"),
            "date",
            granted,
        ),
        Field::new(
            "expires_on",
            tr.t("area.permit.expires_on"),
            "date",
            expires,
        ),
    ];
    page
}

/// `GET /gebied/protocol/vergunning`.
pub async fn permit_page(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
) -> Result<FormPage, WebError> {
    let p = admin::protocol(&app, &viewer.actor)
        .await
        .map_err(err(&viewer))?;
    Ok(permit_form(&viewer, &uri, &p.area))
}

/// `POST /gebied/protocol/vergunning`.
pub async fn permit_save(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    CsrfForm(form): CsrfForm<Fields>,
) -> Result<Response, WebError> {
    let area_id = admin::managed_area_id(&viewer.actor).map_err(err(&viewer))?;
    let p = admin::protocol(&app, &viewer.actor)
        .await
        .map_err(err(&viewer))?;
    let mut page = permit_form(&viewer, &uri, &p.area);
    keep_typed(&mut page, &form);
    required(&mut page, &form, "reference");
    let granted = date(&mut page, &form, "granted_on");
    let expires = date(&mut page, &form, "expires_on");
    if page.has_errors() {
        return Ok(page.refused());
    }
    let (Some(granted), Some(expires)) = (granted, expires) else {
        return Ok(page.refused());
    };
    let Ok(permit) = Permit::new(field_value(&form, "reference"), granted, expires) else {
        page.wrong("expires_on", "area.permit.error.dates");
        return Ok(page.refused());
    };
    page.finish(
        admin::set_permit(&app, &viewer.actor, area_id, permit).await,
        "/gebied/protocol?klaar=permit",
        &viewer,
    )
}

const CONTACT_FIELDS: [(&str, &str); 5] = [
    ("contact_email", "email"),
    ("contact_phone", "tel"),
    ("complaint_committee_address", "textarea"),
    ("complaint_committee_email", "email"),
    ("privacy_contact", "textarea"),
];

fn contact_form(viewer: &Viewer, uri: &Uri, c: &Contact) -> FormPage {
    let mut page = FormPage::new(
        viewer,
        uri,
        "area.contact.title",
        "/gebied/protocol/contact".to_owned(),
    );
    let tr = page.tr();
    page.back_href = "/gebied/protocol".to_owned();
    page.intro = vec![tr.t("area.contact.intro").to_owned()];
    let values = [
        &c.contact_email,
        &c.contact_phone,
        &c.complaint_committee_address,
        &c.complaint_committee_email,
        &c.privacy_contact,
    ];
    page.fields = CONTACT_FIELDS
        .iter()
        .zip(values)
        .map(|((name, kind), value)| {
            Field::new(
                name,
                tr.t(&format!("area.contact.{name}")),
                kind,
                value.clone().unwrap_or_default(),
            )
            .optional()
        })
        .collect();
    // letters (issue 9 item 1): the controller details for the letter.
    let controller = [
        &c.controller_name,
        &c.controller_address,
        &c.controller_statement,
        &c.public_page_url,
    ];
    page.fields.extend(
        super::letters::CONTROLLER_FIELDS
            .iter()
            .zip(controller)
            .map(|((name, kind), value)| {
                Field::new(
                    name,
                    tr.t(&format!("letters.contact.{name}")),
                    kind,
                    value.clone().unwrap_or_default(),
                )
                .hint(tr.t(&format!("letters.contact.{name}_hint")).to_owned())
                .optional()
            }),
    );
    page
}

/// `GET /gebied/protocol/contact`.
pub async fn contact_page(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
) -> Result<FormPage, WebError> {
    let p = admin::protocol(&app, &viewer.actor)
        .await
        .map_err(err(&viewer))?;
    Ok(contact_form(&viewer, &uri, &p.contact))
}

/// `POST /gebied/protocol/contact`.
pub async fn contact_save(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    CsrfForm(form): CsrfForm<Fields>,
) -> Result<Response, WebError> {
    let area_id = admin::managed_area_id(&viewer.actor).map_err(err(&viewer))?;
    let text = |name: &str| Some(field_value(&form, name).to_owned());
    let contact = Contact {
        contact_email: text("contact_email"),
        contact_phone: text("contact_phone"),
        complaint_committee_address: text("complaint_committee_address"),
        complaint_committee_email: text("complaint_committee_email"),
        privacy_contact: text("privacy_contact"),
        controller_name: text("controller_name"),
        controller_address: text("controller_address"),
        controller_statement: text("controller_statement"),
        public_page_url: text("public_page_url"),
    };
    match public_service::set_contact(&app, &viewer.actor, area_id, &contact).await {
        Ok(()) => Ok(see_other("/gebied/protocol?klaar=contact")),
        Err(AppError::Invalid(message)) => {
            let mut page = contact_form(&viewer, &uri, &contact);
            // The service names the field it refused (`contact_email must
            // be ...`): mark that one.
            let field = CONTACT_FIELDS
                .iter()
                .chain(super::letters::CONTROLLER_FIELDS.iter())
                .map(|(name, _)| *name)
                .find(|name| message.starts_with(name));
            match field {
                Some("contact_email" | "complaint_committee_email") => {
                    page.wrong(field.unwrap_or_default(), "area.contact.error.email");
                }
                Some("contact_phone") => page.wrong("contact_phone", "area.contact.error.phone"),
                Some("public_page_url") => {
                    page.wrong("public_page_url", "letters.contact.error.url")
                }
                Some(name) => page.wrong(name, "area.contact.error.text"),
                None => page.error = Some(error_text(&page.tr(), "invalid", None)),
            }
            Ok(page.refused())
        }
        Err(e) => Err(WebError::app(e, viewer.lang)),
    }
}

fn category_fields(page: &mut FormPage, with_code: bool, name: &str, d: i64, m: i64) {
    let tr = page.tr();
    let max_hint = tr.t1(
        "area.category.max_hint",
        crate::domain::protocol::MAX_BAN_DAYS,
    );
    let mut fields = Vec::new();
    if with_code {
        fields.push(
            Field::new("code", tr.t("area.category.code"), "text", String::new())
                .hint(tr.t("area.category.code_hint").to_owned()),
        );
    }
    fields.push(Field::new(
        "name",
        tr.t("area.category.name"),
        "text",
        name.to_owned(),
    ));
    let days = |v: i64| if v > 0 { v.to_string() } else { String::new() };
    fields.push(Field::new(
        "default_days",
        tr.t("area.category.default_days"),
        "number",
        days(d),
    ));
    fields.push(
        Field::new(
            "max_days",
            tr.t("area.category.max_days"),
            "number",
            days(m),
        )
        .hint(max_hint),
    );
    page.fields = fields;
}

/// Reads and checks the durations of a category form.
fn durations(page: &mut FormPage, form: &Fields) -> Option<Durations> {
    required(page, form, "name");
    let d = number(page, form, "default_days");
    let m = number(page, form, "max_days");
    let (d, m) = (d?, m?);
    match Durations::new(d, m) {
        Ok(durations) => Some(durations),
        Err(crate::domain::protocol::ProtocolError::MaximumTooLong) => {
            page.wrong("max_days", "area.category.error.max");
            None
        }
        Err(_) => {
            page.wrong("default_days", "area.category.error.default");
            None
        }
    }
}

fn new_category_form(viewer: &Viewer, uri: &Uri) -> FormPage {
    let mut page = FormPage::new(
        viewer,
        uri,
        "area.category.new_title",
        "/gebied/protocol/categorieen/nieuw".to_owned(),
    );
    page.back_href = "/gebied/protocol".to_owned();
    page.submit = page.tr().t("area.category.add").to_owned();
    category_fields(&mut page, true, "", 0, 0);
    category_text_fields(&mut page, None, None);
    page
}

/// `GET /gebied/protocol/categorieen/nieuw`.
pub async fn category_new_page(viewer: Viewer, uri: Uri) -> Result<FormPage, WebError> {
    admin::managed_area_id(&viewer.actor).map_err(err(&viewer))?;
    Ok(new_category_form(&viewer, &uri))
}

/// `POST /gebied/protocol/categorieen/nieuw`.
pub async fn category_add(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    CsrfForm(form): CsrfForm<Fields>,
) -> Result<Response, WebError> {
    let area_id = admin::managed_area_id(&viewer.actor).map_err(err(&viewer))?;
    let mut page = new_category_form(&viewer, &uri);
    keep_typed(&mut page, &form);
    required(&mut page, &form, "code");
    let durations = durations(&mut page, &form);
    let Some(durations) = durations.filter(|_| !page.has_errors()) else {
        return Ok(page.refused());
    };
    let result = admin::create_category_with_texts(
        &app,
        &viewer.actor,
        area_id,
        field_value(&form, "code"),
        field_value(&form, "name"),
        durations,
        &category_texts(&form),
    )
    .await;
    page.finish(result, "/gebied/protocol?klaar=category_added", &viewer)
}

fn edit_category_form(viewer: &Viewer, uri: &Uri, c: &admin::CategoryView) -> FormPage {
    let mut page = FormPage::new(
        viewer,
        uri,
        "area.category.edit_title",
        format!("/gebied/protocol/categorieen/{}", c.id),
    );
    let tr = page.tr();
    page.back_href = "/gebied/protocol".to_owned();
    page.intro = vec![tr.t1("area.category.code_is", &c.code)];
    page.warning = Some(tr.t("area.category.applies_after").to_owned());
    category_fields(&mut page, false, &c.name, c.default_days, c.max_days);
    category_text_fields(
        &mut page,
        c.description_nl.as_deref(),
        c.description_en.as_deref(),
    );
    page.extra = Some(Extra {
        heading: tr.t("area.category.retire_title").to_owned(),
        text: tr.t("area.category.retire_text").to_owned(),
        action: format!("/gebied/protocol/categorieen/{}/intrekken", c.id),
        button: tr.t("area.category.retire").to_owned(),
    });
    page
}

/// `GET /gebied/protocol/categorieen/{id}`.
pub async fn category_page(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<i64>,
) -> Result<FormPage, WebError> {
    let c = admin::category(&app, &viewer.actor, id)
        .await
        .map_err(err(&viewer))?;
    if c.retired_on.is_some() {
        return Err(WebError::page(
            StatusCode::NOT_FOUND,
            "not_found",
            viewer.lang,
        ));
    }
    Ok(edit_category_form(&viewer, &uri, &c))
}

/// `POST /gebied/protocol/categorieen/{id}`.
pub async fn category_save(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<Fields>,
) -> Result<Response, WebError> {
    let c = admin::category(&app, &viewer.actor, id)
        .await
        .map_err(err(&viewer))?;
    let mut page = edit_category_form(&viewer, &uri, &c);
    keep_typed(&mut page, &form);
    let durations = durations(&mut page, &form);
    let Some(durations) = durations.filter(|_| !page.has_errors()) else {
        return Ok(page.refused());
    };
    let result = admin::update_category_with_texts(
        &app,
        &viewer.actor,
        id,
        field_value(&form, "name"),
        durations,
        &category_texts(&form),
    )
    .await;
    page.finish(result, "/gebied/protocol?klaar=category_changed", &viewer)
}

/// `POST /gebied/protocol/categorieen/{id}/intrekken`.
pub async fn category_retire(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(_form): CsrfForm<Fields>,
) -> Result<Response, WebError> {
    admin::retire_category(&app, &viewer.actor, id)
        .await
        .map_err(err(&viewer))?;
    Ok(see_other("/gebied/protocol?klaar=category_retired"))
}

// ------------------------------------------- letters (issue 9 item 1)
// What each category means, in Dutch and English, for the notice letter.

fn category_text_fields(page: &mut FormPage, nl: Option<&str>, en: Option<&str>) {
    let tr = page.tr();
    for (name, value) in [("description_nl", nl), ("description_en", en)] {
        page.fields.push(
            Field::new(
                name,
                tr.t(&format!("letters.category.{name}")),
                "textarea",
                value.unwrap_or_default().to_owned(),
            )
            .hint(tr.t("letters.category.description_hint").to_owned())
            .optional(),
        );
    }
}

fn category_texts(form: &Fields) -> admin::CategoryTexts {
    admin::CategoryTexts {
        description_nl: Some(field_value(form, "description_nl").to_owned()),
        description_en: Some(field_value(form, "description_en").to_owned()),
    }
}

// ---------------------------------------------------------------- venues

/// A venue row of the venues page.
pub struct VenueRow {
    v: VenueView,
    state: AdmissionState,
}

#[derive(Template, WebTemplate)]
#[template(path = "area/venues.html")]
pub struct VenuesPage {
    page: Page,
    venues: Vec<VenueRow>,
    done: Option<String>,
}

impl VenuesPage {
    fn state(&self, r: &VenueRow) -> String {
        let tr = &self.page.tr;
        let text = tr.t(admission_key(r.state));
        match (r.state, r.v.admitted_on, r.v.withdrawn_on) {
            (AdmissionState::Withdrawn, _, Some(w)) => {
                tr.t1("area.venue.state.withdrawn_on", tr.date(w))
            }
            (AdmissionState::Admitted, Some(a), None) => {
                tr.t1("area.venue.state.admitted_since", tr.date(a))
            }
            (AdmissionState::Admitted, Some(_), Some(w)) => {
                tr.t1("area.venue.state.withdrawn_from", tr.date(w))
            }
            (AdmissionState::Pending, Some(a), _) => {
                tr.t1("area.venue.state.pending_from", tr.date(a))
            }
            _ => text.to_owned(),
        }
    }

    /// Whether the venue takes part or will (so it can be withdrawn).
    fn withdrawable(&self, r: &VenueRow) -> bool {
        matches!(r.state, AdmissionState::Admitted | AdmissionState::Pending)
            && r.v.withdrawn_on.is_none()
    }
}

/// `GET /gebied/zaken`.
pub async fn venues(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Query(done): Query<Done>,
) -> Result<VenuesPage, WebError> {
    let area_id = admin::managed_area_id(&viewer.actor).map_err(err(&viewer))?;
    let list = admin::venues_of_area(&app, &viewer.actor, area_id)
        .await
        .map_err(err(&viewer))?;
    let today = app.clock.today();
    let tr = Tr::new(viewer.lang);
    Ok(VenuesPage {
        page: Page::for_viewer(&viewer, &uri, tr.t("area.venues.title")),
        venues: list
            .into_iter()
            .map(|v| VenueRow {
                state: AdmissionState::of(v.admitted_on, v.withdrawn_on, today),
                v,
            })
            .collect(),
        done: done.message(&tr),
    })
}

fn new_venue_form(viewer: &Viewer, uri: &Uri) -> FormPage {
    let mut page = FormPage::new(
        viewer,
        uri,
        "area.venue.new_title",
        "/gebied/zaken/nieuw".to_owned(),
    );
    let tr = page.tr();
    page.back_href = "/gebied/zaken".to_owned();
    page.submit = tr.t("area.venue.add").to_owned();
    page.fields = vec![
        Field::new("name", tr.t("area.venue.name"), "text", String::new()),
        Field::new("address", tr.t("area.venue.address"), "text", String::new()),
        Field::new(
            "kvk_number",
            tr.t("area.venue.kvk"),
            "number",
            String::new(),
        )
        .hint(tr.t("area.venue.kvk_hint").to_owned()),
        Field::new(
            "admitted_on",
            tr.t("area.venue.admitted_on"),
            "date",
            String::new(),
        )
        .hint(tr.t("area.venue.admitted_on_hint").to_owned())
        .optional(),
    ];
    page
}

/// `GET /gebied/zaken/nieuw`.
pub async fn venue_new_page(viewer: Viewer, uri: Uri) -> Result<FormPage, WebError> {
    admin::managed_area_id(&viewer.actor).map_err(err(&viewer))?;
    Ok(new_venue_form(&viewer, &uri))
}

/// `POST /gebied/zaken/nieuw`.
pub async fn venue_add(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    CsrfForm(form): CsrfForm<Fields>,
) -> Result<Response, WebError> {
    let area_id = admin::managed_area_id(&viewer.actor).map_err(err(&viewer))?;
    let mut page = new_venue_form(&viewer, &uri);
    keep_typed(&mut page, &form);
    required(&mut page, &form, "name");
    required(&mut page, &form, "address");
    let kvk = field_value(&form, "kvk_number").trim();
    if kvk.len() != 8 || !kvk.bytes().all(|b| b.is_ascii_digit()) {
        page.wrong("kvk_number", "area.venue.kvk_hint");
    }
    let admitted = if field_value(&form, "admitted_on").trim().is_empty() {
        None
    } else {
        date(&mut page, &form, "admitted_on")
    };
    if page.has_errors() {
        return Ok(page.refused());
    }
    let result = admin::create_venue(
        &app,
        &viewer.actor,
        area_id,
        field_value(&form, "name"),
        field_value(&form, "address"),
        kvk,
        admitted,
    )
    .await;
    page.finish(result, "/gebied/zaken?klaar=venue_added", &viewer)
}

fn admit_form(viewer: &Viewer, uri: &Uri, v: &VenueView, today: Date) -> FormPage {
    let mut page = FormPage::new(
        viewer,
        uri,
        "area.venue.admit_title",
        format!("/gebied/zaken/{}/toelaten", v.id),
    );
    let tr = page.tr();
    page.back_href = "/gebied/zaken".to_owned();
    page.intro = vec![
        tr.t1("area.venue.which", &v.name),
        tr.t("area.venue.admit_intro").to_owned(),
    ];
    page.submit = tr.t("area.venue.admit").to_owned();
    page.fields = vec![Field::new(
        "date",
        tr.t("area.venue.admit_date"),
        "date",
        iso(today),
    )];
    page
}

/// `GET /gebied/zaken/{id}/toelaten`.
pub async fn venue_admit_page(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<i64>,
) -> Result<FormPage, WebError> {
    let v = admin::venue(&app, &viewer.actor, id)
        .await
        .map_err(err(&viewer))?;
    Ok(admit_form(&viewer, &uri, &v, app.clock.today()))
}

/// `POST /gebied/zaken/{id}/toelaten`.
pub async fn venue_admit(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<Fields>,
) -> Result<Response, WebError> {
    let v = admin::venue(&app, &viewer.actor, id)
        .await
        .map_err(err(&viewer))?;
    let mut page = admit_form(&viewer, &uri, &v, app.clock.today());
    keep_typed(&mut page, &form);
    let Some(on) = date(&mut page, &form, "date") else {
        return Ok(page.refused());
    };
    page.finish(
        admin::admit_venue(&app, &viewer.actor, id, on).await,
        "/gebied/zaken?klaar=venue_admitted",
        &viewer,
    )
}

fn withdraw_form(viewer: &Viewer, uri: &Uri, v: &VenueView, today: Date) -> FormPage {
    let mut page = FormPage::new(
        viewer,
        uri,
        "area.venue.withdraw_title",
        format!("/gebied/zaken/{}/intrekken", v.id),
    );
    let tr = page.tr();
    page.back_href = "/gebied/zaken".to_owned();
    page.intro = vec![tr.t1("area.venue.which", &v.name)];
    page.warning = Some(tr.t("area.venue.withdraw_warning").to_owned());
    page.submit = tr.t("area.venue.withdraw_next").to_owned();
    page.fields = vec![Field::new(
        "date",
        tr.t("area.venue.withdraw_date"),
        "date",
        iso(today),
    )];
    page
}

/// `GET /gebied/zaken/{id}/intrekken`.
pub async fn venue_withdraw_page(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<i64>,
) -> Result<FormPage, WebError> {
    let v = admin::venue(&app, &viewer.actor, id)
        .await
        .map_err(err(&viewer))?;
    Ok(withdraw_form(&viewer, &uri, &v, app.clock.today()))
}

/// `POST /gebied/zaken/{id}/intrekken`: first the confirmation (which
/// says the door phones are revoked), then, with `bevestigd`, the
/// withdrawal.
pub async fn venue_withdraw(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<Fields>,
) -> Result<Response, WebError> {
    let v = admin::venue(&app, &viewer.actor, id)
        .await
        .map_err(err(&viewer))?;
    let today = app.clock.today();
    let mut page = withdraw_form(&viewer, &uri, &v, today);
    keep_typed(&mut page, &form);
    let Some(on) = date(&mut page, &form, "date") else {
        return Ok(page.refused());
    };
    if !form.contains_key("bevestigd") {
        let tr = page.tr();
        let mut confirm = FormPage::new(
            &viewer,
            &uri,
            "area.venue.confirm_title",
            format!("/gebied/zaken/{id}/intrekken"),
        );
        confirm.back_href = "/gebied/zaken".to_owned();
        confirm.back_text = tr.t("area.form.cancel").to_owned();
        confirm.intro = vec![if on <= today {
            tr.t1("area.venue.confirm_now", &v.name)
        } else {
            tr.t1("area.venue.confirm_later", &v.name)
                .replace("{1}", &tr.date(on))
        }];
        confirm.warning = Some(tr.t("area.venue.confirm_phones").to_owned());
        confirm.hidden = vec![
            ("date".to_owned(), iso(on)),
            ("bevestigd".to_owned(), "ja".to_owned()),
        ];
        confirm.submit = tr.t("area.venue.withdraw").to_owned();
        return Ok(confirm.into_response());
    }
    page.finish(
        admin::withdraw_venue(&app, &viewer.actor, id, on).await,
        "/gebied/zaken?klaar=venue_withdrawn",
        &viewer,
    )
}

// ---------------------------------------------------------------- accounts

#[derive(Template, WebTemplate)]
#[template(path = "area/accounts.html")]
pub struct AccountsPage {
    page: Page,
    accounts: Vec<AccountView>,
    done: Option<String>,
}

fn account_state_key(a: &AccountView) -> &'static str {
    if a.disabled {
        "area.account.state.disabled"
    } else if a.must_change_password {
        "area.account.state.must_change"
    } else {
        "area.account.state.active"
    }
}

fn venue_names(a: &AccountView) -> String {
    a.venues
        .iter()
        .map(|v| v.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl AccountsPage {
    fn state(&self, a: &AccountView) -> &'static str {
        self.page.tr.t(account_state_key(a))
    }

    fn venues_of(&self, a: &AccountView) -> String {
        venue_names(a)
    }

    fn last_login(&self, a: &AccountView) -> String {
        a.last_login_at.map_or_else(
            || self.page.tr.t("area.account.never").to_owned(),
            |t| self.page.tr.date_time(t),
        )
    }
}

/// `GET /gebied/accounts`: the owners' accounts of the area.
pub async fn accounts_list(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Query(done): Query<Done>,
) -> Result<AccountsPage, WebError> {
    let area_id = admin::managed_area_id(&viewer.actor).map_err(err(&viewer))?;
    let all = accounts::of_area(&app, &viewer.actor, area_id)
        .await
        .map_err(err(&viewer))?;
    let tr = Tr::new(viewer.lang);
    Ok(AccountsPage {
        page: Page::for_viewer(&viewer, &uri, tr.t("area.accounts.title")),
        accounts: all.into_iter().filter(|a| a.role == Role::Owner).collect(),
        done: done.message(&tr),
    })
}

fn venue_choices(tr: &Tr, venues: &[VenueView], checked: &[i64]) -> Field {
    let mut f = Field::new(
        "venues",
        tr.t("area.account.venues"),
        "checkboxes",
        String::new(),
    );
    f.hint = Some(tr.t("area.account.venues_hint").to_owned());
    f.choices = venues
        .iter()
        .map(|v| Choice {
            name: format!("venue_{}", v.id),
            label: v.name.clone(),
            checked: checked.contains(&v.id),
        })
        .collect();
    f
}

fn chosen_venues(form: &Fields) -> Vec<i64> {
    form.keys()
        .filter_map(|k| k.strip_prefix("venue_"))
        .filter_map(|id| id.parse().ok())
        .collect()
}

fn new_account_form(viewer: &Viewer, uri: &Uri, venues: &[VenueView]) -> FormPage {
    let mut page = FormPage::new(
        viewer,
        uri,
        "area.account.new_title",
        "/gebied/accounts/nieuw".to_owned(),
    );
    let tr = page.tr();
    page.back_href = "/gebied/accounts".to_owned();
    page.intro = vec![tr.t("area.account.new_intro").to_owned()];
    page.submit = tr.t("area.account.create").to_owned();
    page.fields = vec![
        Field::new(
            "username",
            tr.t("area.account.username"),
            "text",
            String::new(),
        )
        .hint(tr.t("area.account.username_hint").to_owned())
        .personal(),
        Field::new(
            "password",
            tr.t("area.account.password"),
            "password",
            String::new(),
        )
        .hint(tr.t1(
            "area.account.password_hint",
            crate::services::auth::MIN_PASSWORD_CHARS,
        )),
        venue_choices(&tr, venues, &[]),
    ];
    page
}

/// `GET /gebied/accounts/nieuw`.
pub async fn account_new_page(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
) -> Result<FormPage, WebError> {
    let area_id = admin::managed_area_id(&viewer.actor).map_err(err(&viewer))?;
    let venues = admin::venues_of_area(&app, &viewer.actor, area_id)
        .await
        .map_err(err(&viewer))?;
    Ok(new_account_form(&viewer, &uri, &venues))
}

/// `POST /gebied/accounts/nieuw`: an owner account for venues of the area.
pub async fn account_create(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    CsrfForm(form): CsrfForm<Fields>,
) -> Result<Response, WebError> {
    let area_id = admin::managed_area_id(&viewer.actor).map_err(err(&viewer))?;
    let venues = admin::venues_of_area(&app, &viewer.actor, area_id)
        .await
        .map_err(err(&viewer))?;
    let mut page = new_account_form(&viewer, &uri, &venues);
    keep_typed(&mut page, &form);
    let chosen = chosen_venues(&form);
    if crate::domain::username::Username::parse(field_value(&form, "username")).is_err() {
        page.wrong("username", "area.account.username_hint");
    }
    if field_value(&form, "password").chars().count() < crate::services::auth::MIN_PASSWORD_CHARS {
        let text = page.tr().t1(
            "area.account.password_hint",
            crate::services::auth::MIN_PASSWORD_CHARS,
        );
        if let Some(f) = page.field_mut("password") {
            f.error = Some(text);
        }
    }
    if chosen.is_empty() {
        page.wrong("venues", "area.account.error.venues");
    }
    if page.has_errors() {
        return Ok(page.refused());
    }
    let new = NewAccount {
        username: field_value(&form, "username"),
        password: field_value(&form, "password"),
        role: Role::Owner,
        area_id: Some(area_id),
        venue_ids: &chosen,
    };
    match accounts::create_account(&app, &viewer.actor, new).await {
        Ok(_) => Ok(see_other("/gebied/accounts?klaar=account_created")),
        Err(AppError::Conflict(_)) => {
            page.wrong("username", "area.account.error.taken");
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => page.service_error(e, &viewer),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "area/account.html")]
pub struct AccountPage {
    page: Page,
    a: AccountView,
    state: &'static str,
    venues_field: Field,
    last_login: String,
    error: Option<String>,
    done: Option<String>,
}

async fn account_view(
    app: &App,
    viewer: &Viewer,
    uri: &Uri,
    id: i64,
) -> Result<(AccountView, Vec<VenueView>, Page), WebError> {
    let area_id = admin::managed_area_id(&viewer.actor).map_err(err(viewer))?;
    let a = accounts::of_area(app, &viewer.actor, area_id)
        .await
        .map_err(err(viewer))?
        .into_iter()
        .find(|a| a.id == id && a.role == Role::Owner)
        .ok_or_else(|| WebError::page(StatusCode::NOT_FOUND, "not_found", viewer.lang))?;
    let venues = admin::venues_of_area(app, &viewer.actor, area_id)
        .await
        .map_err(err(viewer))?;
    let tr = Tr::new(viewer.lang);
    let page = Page::for_viewer(viewer, uri, &tr.t1("area.account.title", &a.username));
    Ok((a, venues, page))
}

fn account_page_of(
    page: Page,
    a: AccountView,
    venues: &[VenueView],
    checked: &[i64],
    error: Option<String>,
    done: Option<String>,
) -> AccountPage {
    let tr = page.tr;
    let mut venues_field = venue_choices(&tr, venues, checked);
    venues_field.error = error.clone();
    AccountPage {
        state: tr.t(account_state_key(&a)),
        last_login: a.last_login_at.map_or_else(
            || tr.t("area.account.never").to_owned(),
            |t| tr.date_time(t),
        ),
        page,
        a,
        venues_field,
        error,
        done,
    }
}

/// `GET /gebied/accounts/{id}`.
pub async fn account_page(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<AccountPage, WebError> {
    let (a, venues, page) = account_view(&app, &viewer, &uri, id).await?;
    let done = done.message(&page.tr);
    let checked = a.venue_ids.clone();
    Ok(account_page_of(page, a, &venues, &checked, None, done))
}

/// `POST /gebied/accounts/{id}/zaken`: the owner's venues.
pub async fn account_venues(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<Fields>,
) -> Result<Response, WebError> {
    let chosen = chosen_venues(&form);
    match accounts::set_venues(&app, &viewer.actor, id, &chosen).await {
        Ok(()) => Ok(see_other(&format!(
            "/gebied/accounts/{id}?klaar=account_venues"
        ))),
        Err(AppError::Invalid(_)) => {
            let uri: Uri = format!("/gebied/accounts/{id}")
                .parse()
                .unwrap_or_else(|_| Uri::from_static("/gebied/accounts"));
            let (a, venues, page) = account_view(&app, &viewer, &uri, id).await?;
            let error = Some(page.tr.t("area.account.error.venues").to_owned());
            let page = account_page_of(page, a, &venues, &chosen, error, None);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(WebError::app(e, viewer.lang)),
    }
}

/// `POST /gebied/accounts/{id}/uitschakelen`.
pub async fn account_disable(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(_form): CsrfForm<Fields>,
) -> Result<Response, WebError> {
    accounts::disable(&app, &viewer.actor, id)
        .await
        .map_err(err(&viewer))?;
    Ok(see_other(&format!(
        "/gebied/accounts/{id}?klaar=account_disabled"
    )))
}

/// `POST /gebied/accounts/{id}/inschakelen`.
pub async fn account_enable(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(_form): CsrfForm<Fields>,
) -> Result<Response, WebError> {
    accounts::enable(&app, &viewer.actor, id)
        .await
        .map_err(err(&viewer))?;
    Ok(see_other(&format!(
        "/gebied/accounts/{id}?klaar=account_enabled"
    )))
}

/// `POST /gebied/accounts/{id}/sessies`: ends every session of the owner.
pub async fn account_end_sessions(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(_form): CsrfForm<Fields>,
) -> Result<Response, WebError> {
    accounts::end_sessions(&app, &viewer.actor, id)
        .await
        .map_err(err(&viewer))?;
    Ok(see_other(&format!(
        "/gebied/accounts/{id}?klaar=sessions_ended"
    )))
}

#[derive(Template, WebTemplate)]
#[template(path = "area/one_time_password.html")]
pub struct OneTimePasswordPage {
    page: Page,
    id: i64,
    password: String,
}

/// `POST /gebied/accounts/{id}/wachtwoord`: a new one-time password, shown
/// in this answer only (never in a redirect, a cookie or a log; the edge
/// sends `no-store` with every page).
pub async fn account_reset_password(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<i64>,
    CsrfForm(_form): CsrfForm<Fields>,
) -> Result<OneTimePasswordPage, WebError> {
    let otp = accounts::reset_password(&app, &viewer.actor, id)
        .await
        .map_err(err(&viewer))?;
    let tr = Tr::new(viewer.lang);
    Ok(OneTimePasswordPage {
        page: Page::for_viewer(&viewer, &uri, tr.t("area.otp.title")),
        id,
        password: otp.password,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::web::i18n::{Lang, catalogue_of};
    use time::macros::date;

    #[test]
    fn every_done_code_has_a_message_in_both_languages() {
        for lang in Lang::ALL {
            let catalogue = catalogue_of(lang);
            for code in DONE_CODES {
                let key = format!("area.done.{code}");
                assert!(catalogue.contains_key(&key), "{} lacks {key}", lang.code());
            }
        }
        let tr = Tr::new(Lang::Nl);
        let unknown = Done {
            klaar: Some("<script>".to_owned()),
        };
        assert_eq!(unknown.message(&tr), None);
    }

    #[test]
    fn dates_as_the_date_field_sends_them_and_as_people_type_them() {
        let d = date!(2026 - 12 - 31);
        for text in ["2026-12-31", "31-12-2026", "31/12/2026", " 31.12.2026 "] {
            assert_eq!(parse_date(text), Some(d), "{text}");
        }
        assert_eq!(parse_date("1-2-2027"), Some(date!(2027 - 02 - 01)));
        for text in ["", "morgen", "31-12-26", "32-12-2026", "2026-02-30"] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }
}
