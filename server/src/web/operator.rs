//! The operator's pages (`/beheer`): municipalities and their look, areas
//! with their protocol settings, and the beheerder accounts of each area.
//! The operator never sees a banned person: nothing here reads a ban.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::i18n::Tr;
use super::session::{CsrfForm, CsrfMultipart, Viewer};
use super::{Page, WebError, classify, error_text, see_other};
use crate::domain::look::{self as domain_look, LookError};
use crate::domain::protocol::ProtocolSettings;
use crate::domain::roles::Role;
use crate::services::accounts::{self, AccountView, NewAccount};
use crate::services::municipality as municipality_service;
use crate::services::overview::{self, OperatorOverview};
use crate::services::{App, AppError, admin, look};

/// A message after a form (POST-redirect-GET): `?gedaan=<what>`.
#[derive(Deserialize, Default)]
pub struct Done {
    gedaan: Option<String>,
}

/// The catalogue key of a `gedaan` value; unknown values show nothing.
fn done_key(done: &Done) -> Option<&'static str> {
    Some(match done.gedaan.as_deref()? {
        "gemeente" => "operator.done.municipality",
        "gebied" => "operator.done.area",
        "huisstijl" => "operator.done.look",
        "logo" => "operator.done.logo",
        "logo-verwijderd" => "operator.done.logo_removed",
        "beheerder" => "operator.done.beheerder",
        "uitgeschakeld" => "operator.done.disabled",
        "ingeschakeld" => "operator.done.enabled",
        "sessies" => "operator.done.sessions",
        _ => return None,
    })
}

/// A form's errors: at the top (linked to the field) and at the field.
#[derive(Default)]
pub struct Errors {
    /// (field id, text); the field id is empty for an error of the whole
    /// form.
    pub items: Vec<(&'static str, String)>,
}

impl Errors {
    pub fn any(&self) -> bool {
        !self.items.is_empty()
    }

    /// The error at field `id`, if any.
    pub fn at(&self, id: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|(field, _)| *field == id)
            .map(|(_, text)| text.as_str())
    }

    fn add(&mut self, field: &'static str, text: String) {
        self.items.push((field, text));
    }

    /// A service's refusal of the whole form, in the person's language.
    fn service(&mut self, tr: &Tr, e: &AppError) {
        let (_, code, wait) = classify(e);
        self.items.push(("", error_text(tr, code, wait)));
    }
}

/// Whether a service error belongs on the form (the person can fix it) or
/// is an error page.
fn is_form_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Invalid(_) | AppError::Conflict(_) | AppError::Protocol(_)
    )
}

// ---------------------------------------------------------------- overview

/// What was typed in the overview's two forms (kept on an error).
#[derive(Default, Deserialize)]
pub struct MunicipalityForm {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
pub struct AreaForm {
    #[serde(default)]
    municipality: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    complaint_window_days: String,
    #[serde(default)]
    retention_days: String,
    #[serde(default)]
    max_list_age_minutes: String,
}

impl Default for AreaForm {
    fn default() -> Self {
        let d = ProtocolSettings::default();
        Self {
            municipality: String::new(),
            name: String::new(),
            complaint_window_days: d.complaint_window_days.to_string(),
            retention_days: d.retention_days.to_string(),
            max_list_age_minutes: (d.max_list_age_seconds / 60).to_string(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "operator/overview.html")]
pub struct OverviewPage {
    page: Page,
    done: Option<&'static str>,
    overview: OperatorOverview,
    municipality_form: MunicipalityForm,
    municipality_errors: Errors,
    area_form: AreaForm,
    area_errors: Errors,
}

fn overview_page(
    viewer: &Viewer,
    uri: &Uri,
    overview: OperatorOverview,
    done: Option<&'static str>,
) -> OverviewPage {
    let tr = Tr::new(viewer.lang);
    OverviewPage {
        page: Page::for_viewer(viewer, uri, tr.t("operator.title")),
        done,
        overview,
        municipality_form: MunicipalityForm::default(),
        municipality_errors: Errors::default(),
        area_form: AreaForm::default(),
        area_errors: Errors::default(),
    }
}

/// `GET /beheer`: municipalities, their areas and beheerders; the forms
/// to add a municipality and an area.
pub async fn overview(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Query(done): Query<Done>,
) -> Result<OverviewPage, WebError> {
    let overview = overview::operator(&app, &viewer.actor)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    Ok(overview_page(&viewer, &uri, overview, done_key(&done)))
}

/// The overview again with a form's errors (422).
async fn overview_with(
    app: &App,
    viewer: &Viewer,
    fill: impl FnOnce(&mut OverviewPage),
) -> Result<Response, WebError> {
    let overview = overview::operator(app, &viewer.actor)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let mut page = overview_page(viewer, &Uri::from_static("/beheer"), overview, None);
    fill(&mut page);
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// `POST /beheer/gemeenten`: a new municipality.
pub async fn create_municipality(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<MunicipalityForm>,
) -> Result<Response, WebError> {
    let tr = Tr::new(viewer.lang);
    let mut errors = Errors::default();
    if form.name.trim().is_empty() {
        errors.add("municipality_name", tr.t("operator.error.name").to_owned());
    } else {
        match admin::create_municipality(&app, &viewer.actor, &form.name).await {
            Ok(_) => return Ok(see_other("/beheer?gedaan=gemeente")),
            Err(e) if is_form_error(&e) => errors.service(&tr, &e),
            Err(e) => return Err(WebError::app(e, viewer.lang)),
        }
    }
    overview_with(&app, &viewer, |page| {
        page.municipality_form = form;
        page.municipality_errors = errors;
    })
    .await
}

/// A whole number typed in a field, or that field's error.
fn number(text: &str, field: &'static str, key: &str, tr: &Tr, errors: &mut Errors) -> i64 {
    match text.trim().parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            errors.add(field, tr.t(key).to_owned());
            0
        }
    }
}

/// `POST /beheer/gebieden`: a new area with its protocol settings.
pub async fn create_area(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<AreaForm>,
) -> Result<Response, WebError> {
    let tr = Tr::new(viewer.lang);
    let mut errors = Errors::default();
    let municipality = form.municipality.trim().parse::<i64>().ok();
    if municipality.is_none() {
        errors.add(
            "area_municipality",
            tr.t("operator.error.municipality").to_owned(),
        );
    }
    if form.name.trim().is_empty() {
        errors.add("area_name", tr.t("operator.error.name").to_owned());
    }
    let window = number(
        &form.complaint_window_days,
        "complaint_window_days",
        "operator.error.complaint_window",
        &tr,
        &mut errors,
    );
    let retention = number(
        &form.retention_days,
        "retention_days",
        "operator.error.retention",
        &tr,
        &mut errors,
    );
    let list_age = number(
        &form.max_list_age_minutes,
        "max_list_age_minutes",
        "operator.error.list_age",
        &tr,
        &mut errors,
    );
    if !errors.any() {
        // The domain's ranges, each at its own field.
        if !(1..=90).contains(&window) {
            errors.add(
                "complaint_window_days",
                tr.t("operator.error.complaint_window").to_owned(),
            );
        }
        if !(0..=183).contains(&retention) {
            errors.add(
                "retention_days",
                tr.t("operator.error.retention").to_owned(),
            );
        }
        if !(5..=7 * 24 * 60).contains(&list_age) {
            errors.add(
                "max_list_age_minutes",
                tr.t("operator.error.list_age").to_owned(),
            );
        }
    }
    if let (false, Some(municipality)) = (errors.any(), municipality) {
        let settings = ProtocolSettings::new(window, retention, list_age.saturating_mul(60))
            .map_err(AppError::from);
        let result = match settings {
            Ok(settings) => {
                admin::create_area(&app, &viewer.actor, municipality, &form.name, settings).await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(id) => return Ok(see_other(&format!("/beheer/gebieden/{id}?gedaan=gebied"))),
            Err(e) if is_form_error(&e) || matches!(e, AppError::NotFound(_)) => {
                errors.service(&tr, &e);
            }
            Err(e) => return Err(WebError::app(e, viewer.lang)),
        }
    }
    overview_with(&app, &viewer, |page| {
        page.area_form = form;
        page.area_errors = errors;
    })
    .await
}

// ------------------------------------------------------------ municipality

#[derive(Template, WebTemplate)]
#[template(path = "operator/municipality.html")]
pub struct MunicipalityPage {
    page: Page,
    done: Option<&'static str>,
    id: i64,
    name: String,
    colour: String,
    /// The current logo's URL, for its preview.
    logo_url: Option<String>,
    /// The largest logo, in KiB, for the field's hint.
    max_logo_kib: usize,
    /// The errors of the colour or the logo form (one is posted at a
    /// time): at the top of the page and at their field.
    errors: Errors,
    /// The municipality's read-only accounts (issue 9, item 7).
    accounts: Vec<AccountView>,
    account_username: String,
    account_errors: Errors,
    /// An account just made: (username, one-time password), shown once,
    /// on this answer only.
    one_time: Option<(String, String)>,
}

/// The municipality's page (look and read-only accounts): `colour` as
/// typed when the colour form is shown again, else the current one.
async fn municipality_page(
    app: &App,
    viewer: &Viewer,
    id: i64,
    colour: Option<String>,
    errors: Errors,
) -> Result<MunicipalityPage, WebError> {
    let admin = municipality_service::for_operator(app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let current = admin.look;
    let tr = Tr::new(viewer.lang);
    let uri = Uri::try_from(format!("/beheer/gemeenten/{id}"))
        .unwrap_or_else(|_| Uri::from_static("/beheer"));
    Ok(MunicipalityPage {
        page: Page::for_viewer(viewer, &uri, &tr.t1("operator.look.title", &current.name)),
        done: None,
        id,
        colour: colour.unwrap_or_else(|| current.primary_colour.clone().unwrap_or_default()),
        logo_url: super::Look::of(&current).logo_url,
        max_logo_kib: domain_look::MAX_LOGO_BYTES / 1024,
        name: current.name,
        errors,
        accounts: admin.accounts,
        account_username: String::new(),
        account_errors: Errors::default(),
        one_time: None,
    })
}

/// `GET /beheer/gemeenten/{id}`: the municipality's look and its
/// read-only accounts.
pub async fn municipality(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<MunicipalityPage, WebError> {
    let mut page = municipality_page(&app, &viewer, id, None, Errors::default()).await?;
    page.done = done_key(&done);
    Ok(page)
}

#[derive(Deserialize)]
pub struct MunicipalityAccountForm {
    #[serde(default)]
    username: String,
}

/// `POST /beheer/gemeenten/{id}/accounts`: a read-only account for the
/// municipality; the answer shows its one-time password once (never in a
/// URL: no redirect).
pub async fn create_municipality_account(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<MunicipalityAccountForm>,
) -> Result<Response, WebError> {
    let tr = Tr::new(viewer.lang);
    let mut errors = Errors::default();
    if form.username.trim().is_empty() {
        errors.add(
            "account_username",
            tr.t("operator.error.username").to_owned(),
        );
    } else {
        match municipality_service::create_account(&app, &viewer.actor, id, &form.username).await {
            Ok(created) => {
                let mut page =
                    municipality_page(&app, &viewer, id, None, Errors::default()).await?;
                page.one_time = Some((created.username, created.password));
                return Ok(page.into_response());
            }
            Err(e) if is_form_error(&e) => errors.service(&tr, &e),
            Err(e) => return Err(WebError::app(e, viewer.lang)),
        }
    }
    let mut page = municipality_page(&app, &viewer, id, None, Errors::default()).await?;
    page.account_username = form.username;
    page.account_errors = errors;
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Deserialize)]
pub struct LookForm {
    #[serde(default)]
    colour: String,
}

/// `POST /beheer/gemeenten/{id}/huisstijl`: the primary colour (empty: the
/// theme's own); the logo stays as it is.
pub async fn set_look(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<LookForm>,
) -> Result<Response, WebError> {
    let tr = Tr::new(viewer.lang);
    let colour = form.colour.trim();
    let colour = (!colour.is_empty()).then_some(colour);
    match look::set_colour(&app, &viewer.actor, id, colour).await {
        Ok(()) => Ok(see_other(&format!(
            "/beheer/gemeenten/{id}?gedaan=huisstijl"
        ))),
        Err(AppError::Look(_)) => {
            let mut errors = Errors::default();
            errors.add("colour", tr.t("operator.error.colour").to_owned());
            let page = municipality_page(&app, &viewer, id, Some(form.colour), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(WebError::app(e, viewer.lang)),
    }
}

/// The logo form's body limit: the largest logo the domain accepts and
/// room for the multipart framing and the CSRF field (the route's
/// `DefaultBodyLimit`; the site's own is smaller).
pub const LOGO_BODY_LIMIT_BYTES: usize = domain_look::MAX_LOGO_BYTES + 16 * 1024;

/// The logo form's text fields: only its `csrf`, which the extractor
/// checks.
#[derive(Deserialize)]
pub struct LogoForm {}

/// Why a logo was refused, in the person's words (the check itself is the
/// domain's, through the service).
fn logo_error_key(e: &LookError) -> &'static str {
    match e {
        LookError::LogoTooLarge => "operator.error.logo_too_large",
        LookError::LogoType => "operator.error.logo_type",
        LookError::NotPng => "operator.error.logo_not_png",
        LookError::NotSvg => "operator.error.logo_not_svg",
        LookError::UnsafeSvg(_) => "operator.error.logo_unsafe",
        LookError::ColourFormat | LookError::LowContrast { .. } => "operator.error.colour",
    }
}

/// `POST /beheer/gemeenten/{id}/logo` (`multipart/form-data`): a new logo
/// from the file input `logo`; the colour stays as it is.
pub async fn upload_logo(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    upload: Result<CsrfMultipart<LogoForm>, WebError>,
) -> Result<Response, WebError> {
    let tr = Tr::new(viewer.lang);
    let upload = match upload {
        Ok(upload) => Some(upload),
        // A body over the route's limit (which is above the domain's logo
        // limit) was refused unread: say so at the field.
        Err(WebError::Page { status, .. }) if status == StatusCode::PAYLOAD_TOO_LARGE => None,
        Err(e) => return Err(e),
    };
    let (status, key) = match upload.as_ref().map(|u| u.file("logo")) {
        None => (
            StatusCode::PAYLOAD_TOO_LARGE,
            logo_error_key(&LookError::LogoTooLarge),
        ),
        Some(None) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "operator.error.logo_missing",
        ),
        Some(Some(file)) => {
            let logo = (file.bytes.as_slice(), file.content_type.as_str());
            match look::set_logo(&app, &viewer.actor, id, Some(logo)).await {
                Ok(()) => return Ok(see_other(&format!("/beheer/gemeenten/{id}?gedaan=logo"))),
                Err(AppError::Look(e)) => {
                    let status = if e == LookError::LogoTooLarge {
                        StatusCode::PAYLOAD_TOO_LARGE
                    } else {
                        StatusCode::UNPROCESSABLE_ENTITY
                    };
                    (status, logo_error_key(&e))
                }
                Err(e) => return Err(WebError::app(e, viewer.lang)),
            }
        }
    };
    let mut errors = Errors::default();
    errors.add("logo", tr.t1(key, domain_look::MAX_LOGO_BYTES / 1024));
    let page = municipality_page(&app, &viewer, id, None, errors).await?;
    Ok((status, page).into_response())
}

/// `POST /beheer/gemeenten/{id}/logo/verwijderen`: no logo any more (the
/// pages show the municipality's name alone); the colour stays.
pub async fn remove_logo(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(LogoForm {}): CsrfForm<LogoForm>,
) -> Result<Response, WebError> {
    look::set_logo(&app, &viewer.actor, id, None)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    Ok(see_other(&format!(
        "/beheer/gemeenten/{id}?gedaan=logo-verwijderd"
    )))
}

// -------------------------------------------------------------------- area

#[derive(Default, Deserialize)]
pub struct BeheerderForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "operator/area.html")]
pub struct AreaPage {
    page: Page,
    done: Option<&'static str>,
    area: admin::AreaView,
    beheerders: Vec<AccountView>,
    form: BeheerderForm,
    errors: Errors,
    /// A password just reset: shown once, on this answer only.
    one_time: Option<(String, String)>,
}

async fn area_page(
    app: &App,
    viewer: &Viewer,
    uri: &Uri,
    area_id: i64,
) -> Result<AreaPage, WebError> {
    let (area, beheerders) = accounts::area_beheerders(app, &viewer.actor, area_id)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    Ok(AreaPage {
        page: Page::for_viewer(viewer, uri, &tr.t1("operator.area.title", &area.name)),
        done: None,
        area,
        beheerders,
        form: BeheerderForm::default(),
        errors: Errors::default(),
        one_time: None,
    })
}

/// `GET /beheer/gebieden/{id}`: the area's settings and its beheerders.
pub async fn area(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<AreaPage, WebError> {
    let mut page = area_page(&app, &viewer, &uri, id).await?;
    page.done = done_key(&done);
    Ok(page)
}

/// `POST /beheer/gebieden/{id}/beheerders`: a beheerder account for the
/// area, with the first password the operator hands over (changed at
/// first login).
pub async fn create_beheerder(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<BeheerderForm>,
) -> Result<Response, WebError> {
    let tr = Tr::new(viewer.lang);
    let mut errors = Errors::default();
    if form.username.trim().is_empty() {
        errors.add("username", tr.t("operator.error.username").to_owned());
    }
    if form.password.chars().count() < 12 {
        errors.add("password", tr.t("operator.error.password").to_owned());
    }
    if !errors.any() {
        let new = NewAccount {
            username: &form.username,
            password: &form.password,
            role: Role::Beheerder,
            area_id: Some(id),
            venue_ids: &[],
        };
        match accounts::create_account(&app, &viewer.actor, new).await {
            Ok(_) => {
                return Ok(see_other(&format!(
                    "/beheer/gebieden/{id}?gedaan=beheerder"
                )));
            }
            Err(e) if is_form_error(&e) => errors.service(&tr, &e),
            Err(e) => return Err(WebError::app(e, viewer.lang)),
        }
    }
    let uri = Uri::try_from(format!("/beheer/gebieden/{id}"))
        .unwrap_or_else(|_| Uri::from_static("/beheer"));
    let mut page = area_page(&app, &viewer, &uri, id).await?;
    // The password is never sent back.
    page.form = BeheerderForm {
        username: form.username,
        password: String::new(),
    };
    page.errors = errors;
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Deserialize)]
pub struct AccountActionForm {
    /// The area page to return to.
    area: i64,
}

/// `POST /beheer/accounts/{id}/{action}`: `uitschakelen`, `inschakelen`,
/// `sessies-beeindigen` (back to the area page with a message), or
/// `wachtwoord` (the area page with the one-time password, shown once).
pub async fn account_action(
    State(app): State<App>,
    viewer: Viewer,
    Path((account, action)): Path<(i64, String)>,
    CsrfForm(form): CsrfForm<AccountActionForm>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let back = |done: &str| see_other(&format!("/beheer/gebieden/{}?gedaan={done}", form.area));
    match action.as_str() {
        "uitschakelen" => accounts::disable(&app, &viewer.actor, account)
            .await
            .map(|()| back("uitgeschakeld"))
            .map_err(|e| WebError::app(e, lang)),
        "inschakelen" => accounts::enable(&app, &viewer.actor, account)
            .await
            .map(|()| back("ingeschakeld"))
            .map_err(|e| WebError::app(e, lang)),
        "sessies-beeindigen" => accounts::end_sessions(&app, &viewer.actor, account)
            .await
            .map(|()| back("sessies"))
            .map_err(|e| WebError::app(e, lang)),
        "wachtwoord" => {
            let reset = accounts::reset_password(&app, &viewer.actor, account)
                .await
                .map_err(|e| WebError::app(e, lang))?;
            let uri = Uri::try_from(format!("/beheer/gebieden/{}", form.area))
                .unwrap_or_else(|_| Uri::from_static("/beheer"));
            let mut page = area_page(&app, &viewer, &uri, form.area).await?;
            let username = page
                .beheerders
                .iter()
                .find(|b| b.id == account)
                .map(|b| b.username.clone())
                .unwrap_or_default();
            page.one_time = Some((username, reset.password));
            Ok(page.into_response())
        }
        _ => Err(WebError::page(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            lang,
        )),
    }
}
