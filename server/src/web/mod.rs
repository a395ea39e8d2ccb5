//! The web pages: the same services as the JSON API, as server-rendered
//! HTML for people in a browser (Dutch first, English too).
//!
//! # How a page is built (copy this)
//!
//! 1. A module per area of the UI (`account.rs`, `public.rs`; later
//!    `owner.rs`, `area.rs`, `operator.rs`) with its routes added in
//!    [`router`], and a template folder of the same name under
//!    `server/templates/`.
//! 2. A handler takes [`session::Viewer`] (logged in; otherwise the login
//!    page) or [`session::MaybeViewer`] (anyone), calls one `services::*`
//!    function with `&viewer.actor`, and returns a template struct:
//!
//!    ```ignore
//!    #[derive(Template, WebTemplate)]
//!    #[template(path = "owner/venues.html")]
//!    struct Venues { page: Page, venues: Vec<VenueView> }
//!
//!    async fn venues(State(app): State<App>, viewer: Viewer, uri: Uri)
//!        -> Result<Venues, WebError> {
//!        let venues = services::venues::mine(&app, &viewer.actor)
//!            .await
//!            .map_err(|e| WebError::app(e, viewer.lang))?;
//!        let tr = Tr::new(viewer.lang);
//!        Ok(Venues { page: Page::for_viewer(&viewer, &uri, tr.t("venues.title")), venues })
//!    }
//!    ```
//!
//! 3. The template extends `base.html` (skip link, header with the
//!    [`Look`], navigation `partials/nav.html`, language switch, footer)
//!    and fills `{% block content %}`. Every visible text is
//!    `{{ page.tr.t("key") }}` (or `t1("key", value)` for a `{0}`), with
//!    the key in both `locales/nl/<part>.json` and `locales/en/<part>.json` (tests fail
//!    otherwise); dates through `page.tr.date(..)` / `date_time(..)`.
//!    No logic in templates beyond display; no inline styles or scripts
//!    (the CSP forbids both); no JavaScript.
//! 4. A form that changes something posts to a handler taking
//!    `CsrfForm<T>` as its last argument and carries
//!    `<input type="hidden" name="csrf" value="{{ page.csrf }}">`; the
//!    extractor refuses a foreign `Origin` or a wrong token with a 403
//!    page. After success, redirect (303, [`see_other`]). Fields holding a
//!    person's data get `autocomplete="off"`.
//! 5. Errors: `WebError::app(e, lang)` turns an `AppError` into a page in
//!    the person's language, its text from the catalogue by error code
//!    (`error.<code>.title` / `.text`), never the English `Display`. In a
//!    form, show [`error_text`] at the top of the form instead.
//!
//! Headers (CSP, no-store, nosniff, referrer policy) are set for every
//! page in `http/edge.rs`.

pub mod account;
pub mod approvals;
pub mod area;
pub mod assets;
pub mod complaints;
pub mod form;
pub mod i18n;
pub mod letters;
pub mod municipality;
pub mod operator;
pub mod owner;
pub mod public;
pub mod records;
pub mod requests;
pub mod session;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::domain::roles::Role;
use crate::services::{App, AppError};
use i18n::{Lang, Tr};
use session::Viewer;

/// The pages' routes (the JSON API's are in `http`; `http::router_with`
/// merges both).
pub fn router() -> Router<App> {
    assets::init();
    Router::new()
        .route("/", get(public::landing))
        .route("/toegankelijkheid", get(public::accessibility))
        .route("/taal/{lang}", get(public::switch_language))
        .route("/inloggen", get(account::login_page).post(account::login))
        .route("/uitloggen", post(account::logout))
        .route("/account", get(account::account_page))
        .route("/account/wachtwoord", post(account::change_password))
        .route("/assets/{file}", get(assets::serve))
        // operator.rs and public.rs (the operator's pages, the public
        // area pages, door signs and the municipality look).
        .route("/beheer", get(operator::overview))
        .route("/beheer/gemeenten", post(operator::create_municipality))
        .route("/beheer/gemeenten/{id}", get(operator::municipality))
        .route("/beheer/gemeenten/{id}/huisstijl", post(operator::set_look))
        // The logo form is multipart and larger than the site's body
        // limit: its own, from the domain's logo limit.
        .route(
            "/beheer/gemeenten/{id}/logo",
            post(operator::upload_logo)
                .layer(DefaultBodyLimit::max(operator::LOGO_BODY_LIMIT_BYTES)),
        )
        .route(
            "/beheer/gemeenten/{id}/logo/verwijderen",
            post(operator::remove_logo),
        )
        .route(
            "/beheer/gemeenten/{id}/accounts",
            post(operator::create_municipality_account),
        )
        .route("/beheer/gebieden", post(operator::create_area))
        .route("/beheer/gebieden/{id}", get(operator::area))
        .route(
            "/beheer/gebieden/{id}/beheerders",
            post(operator::create_beheerder),
        )
        .route(
            "/beheer/accounts/{id}/{action}",
            post(operator::account_action),
        )
        .route("/gebieden/{id}", get(public::area_page))
        .route("/gebieden/{area}/deurbord/{venue}", get(public::door_sign))
        .route("/deurbord/{venue}", get(public::door_sign_redirect))
        .route("/thema/{file}", get(public::theme_css))
        .route("/logo/{file}", get(public::logo))
        // The owner's pages (web/owner.rs).
        .route("/zaak", get(owner::dashboard))
        .route("/verboden", get(owner::ban_list))
        .route("/verboden/nieuw", get(owner::ban_form).post(owner::issue))
        .route("/verboden/zoeken", post(owner::find))
        .route("/verboden/{id}", get(owner::ban_detail))
        .route("/verboden/{id}/intrekken", post(owner::revoke_ban))
        .route("/deurtelefoons", get(owner::device_list))
        .route("/deurtelefoons/code", post(owner::create_code))
        .route("/deurtelefoons/{id}/naam", post(owner::rename_device))
        .route(
            "/deurtelefoons/{id}/intrekken",
            get(owner::confirm_revoke_device).post(owner::revoke_device),
        )
        // records.rs: the beheerder's bans, audit trail and statistics;
        // the operator's view of an area's statistics.
        .route("/gebied/verboden", get(records::bans))
        .route("/gebied/verboden/{id}", get(records::ban))
        .route("/gebied/verboden/{id}/intrekken", post(records::revoke))
        // Four-eyes on the ban's own page (issue 9 item 5), beside the
        // queue's forms in approvals.rs.
        .route("/gebied/verboden/{id}/goedkeuren", post(records::approve))
        .route("/gebied/verboden/{id}/afwijzen", post(records::reject))
        .route("/gebied/audit", get(records::audit_trail))
        .route("/gebied/statistiek", get(records::statistics))
        .route("/gebied/statistiek.csv", get(records::statistics_csv))
        .route("/gebieden/{id}/statistiek", get(records::area_statistics))
        .route(
            "/gebieden/{id}/statistiek.csv",
            get(records::area_statistics_csv),
        )
        // complaints.rs: complaints (bezwaar) for the beheerder (issue 9).
        .route("/gebied/bezwaren", get(complaints::overview))
        .route("/gebied/bezwaren/{id}", get(complaints::detail))
        .route("/gebied/bezwaren/{id}/verlenging", post(complaints::extend))
        .route("/gebied/bezwaren/{id}/besluit", post(complaints::decide))
        .route("/gebied/bezwaren/{id}/brief", get(complaints::letter))
        .route(
            "/gebied/verboden/{id}/bezwaar",
            get(complaints::record_form).post(complaints::record),
        )
        .merge(area_routes())
        .merge(municipality_routes())
        .merge(requests_routes())
        .merge(letter_routes())
}

/// `municipality.rs` (issue 9, item 7): the municipality's read-only pages.
fn municipality_routes() -> Router<App> {
    Router::new()
        .route("/gemeente", get(municipality::overview))
        .route(
            "/gemeente/gebieden/{id}",
            get(municipality::area_statistics),
        )
        .route(
            "/gemeente/gebieden/{id}/statistiek.csv",
            get(municipality::area_statistics_csv),
        )
}

/// `requests.rs` (issue 9 item 4): the beheerder's data-subject requests.
fn requests_routes() -> Router<App> {
    Router::new()
        .route("/gebied/verzoeken", get(requests::list))
        .route(
            "/gebied/verzoeken/nieuw",
            get(requests::new_page).post(requests::create),
        )
        .route("/gebied/verzoeken/{id}", get(requests::detail))
        .route("/gebied/verzoeken/{id}/inzage", get(requests::export))
        .route("/gebied/verzoeken/{id}/identiteit", post(requests::verify))
        .route("/gebied/verzoeken/{id}/verlengen", post(requests::extend))
        .route("/gebied/verzoeken/{id}/weigeren", post(requests::refuse))
        .route("/gebied/verzoeken/{id}/afronden", post(requests::complete))
        .route("/gebied/verzoeken/{id}/corrigeren", post(requests::rectify))
        .route(
            "/gebied/verzoeken/{id}/wissen/{ban}",
            get(requests::erase_page).post(requests::erase),
        )
}

/// `letters.rs` (issue 9): the notice form and the notice letter of a
/// ban, for its owner and for the beheerder.
fn letter_routes() -> Router<App> {
    Router::new()
        .route(
            "/verboden/{id}/uitreiking",
            get(letters::notice_form).post(letters::notice_save),
        )
        .route("/verboden/{id}/brief", get(letters::notice_letter))
        .route(
            "/gebied/verboden/{id}/uitreiking",
            get(letters::notice_form).post(letters::notice_save),
        )
        .route("/gebied/verboden/{id}/brief", get(letters::notice_letter))
        // approvals.rs: four-eyes and repeat rules (issue 9 items 5, 6);
        // the beheerder's ban form on a venue owner's instruction is the
        // owner's form (owner.rs).
        .route("/gebied/goedkeuren", get(approvals::queue))
        .route(
            "/gebied/goedkeuren/{id}/goedkeuren",
            post(approvals::approve),
        )
        .route("/gebied/goedkeuren/{id}/afwijzen", post(approvals::reject))
        .route(
            "/gebied/protocol/vier-ogen",
            get(approvals::rules).post(approvals::rules_save),
        )
        .route(
            "/gebied/verboden/nieuw",
            get(owner::ban_form_on_behalf).post(owner::issue_on_behalf),
        )
}

/// `area.rs`: the beheerder's pages for running the area.
fn area_routes() -> Router<App> {
    Router::new()
        .route("/gebied", get(area::overview))
        .route("/gebied/protocol", get(area::protocol))
        .route(
            "/gebied/protocol/instellingen",
            get(area::settings_page).post(area::settings_save),
        )
        .route(
            "/gebied/protocol/vergunning",
            get(area::permit_page).post(area::permit_save),
        )
        .route(
            "/gebied/protocol/contact",
            get(area::contact_page).post(area::contact_save),
        )
        .route(
            "/gebied/protocol/categorieen/nieuw",
            get(area::category_new_page).post(area::category_add),
        )
        .route(
            "/gebied/protocol/categorieen/{id}",
            get(area::category_page).post(area::category_save),
        )
        .route(
            "/gebied/protocol/categorieen/{id}/intrekken",
            post(area::category_retire),
        )
        .route("/gebied/zaken", get(area::venues))
        .route(
            "/gebied/zaken/nieuw",
            get(area::venue_new_page).post(area::venue_add),
        )
        .route(
            "/gebied/zaken/{id}/toelaten",
            get(area::venue_admit_page).post(area::venue_admit),
        )
        .route(
            "/gebied/zaken/{id}/intrekken",
            get(area::venue_withdraw_page).post(area::venue_withdraw),
        )
        .route("/gebied/accounts", get(area::accounts_list))
        .route(
            "/gebied/accounts/nieuw",
            get(area::account_new_page).post(area::account_create),
        )
        .route("/gebied/accounts/{id}", get(area::account_page))
        .route("/gebied/accounts/{id}/zaken", post(area::account_venues))
        .route(
            "/gebied/accounts/{id}/uitschakelen",
            post(area::account_disable),
        )
        .route(
            "/gebied/accounts/{id}/inschakelen",
            post(area::account_enable),
        )
        .route(
            "/gebied/accounts/{id}/wachtwoord",
            post(area::account_reset_password),
        )
        .route(
            "/gebied/accounts/{id}/sessies",
            post(area::account_end_sessions),
        )
}

/// What every page's layout shows of the deployment: its name (the
/// default look) and contact. Set per request by [`site_scope`], so the
/// pages built without the `App` at hand (error pages) have it too.
#[derive(Clone, Debug, Default)]
pub struct Site {
    pub name: String,
    pub contact: Option<String>,
}

tokio::task_local! {
    static SITE: Site;
}

/// Middleware: the deployment's [`Site`] for the request's pages.
pub async fn site_scope(
    axum::extract::State(app): axum::extract::State<App>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let site = Site {
        name: app.deployment.name.clone(),
        contact: app.deployment.contact_email.clone(),
    };
    SITE.scope(site, next.run(request)).await
}

/// The request's site; the defaults outside a request (unit tests).
fn site() -> Site {
    SITE.try_with(Clone::clone).unwrap_or_else(|_| Site {
        name: crate::services::look::DEFAULT_DEPLOYMENT_NAME.to_owned(),
        contact: None,
    })
}

/// How a page looks: the municipality's when the page belongs to an area,
/// the deployment's otherwise.
#[derive(Clone, Debug)]
pub struct Look {
    pub name: String,
    /// A generated stylesheet that sets the municipality's primary colour
    /// (the CSP forbids inline styles); none yet.
    pub colour_css_url: Option<String>,
    pub logo_url: Option<String>,
}

impl Look {
    /// The deployment's own look.
    pub fn deployment() -> Self {
        Self {
            name: site().name,
            colour_css_url: None,
            logo_url: None,
        }
    }

    /// A municipality's look (the deployment's when it has none): its
    /// name, and content-hashed URLs of its stylesheet and logo.
    pub fn of(look: &crate::services::look::Look) -> Self {
        let Some(id) = look.municipality_id else {
            return Self::deployment();
        };
        Self {
            name: look.name.clone(),
            colour_css_url: look
                .primary_colour
                .as_deref()
                .map(|colour| theme_url(id, colour)),
            logo_url: look
                .logo
                .as_ref()
                .map(|logo| format!("/logo/{id}-{}", logo.hash)),
        }
    }
}

/// The stylesheet that gives the theme a municipality's primary colour:
/// buttons, links and the header's rule (the colour has at least 4.5:1
/// contrast with white, checked when it is set).
pub fn theme_css(colour: &str) -> String {
    format!(
        ".voorbeeld-theme {{\n\
         \x20 --basis-color-action-1-inverse-bg-default: {colour};\n\
         \x20 --basis-color-action-1-inverse-bg-hover: {colour};\n\
         \x20 --basis-color-action-1-inverse-bg-active: {colour};\n\
         \x20 --utrecht-button-primary-action-background-color: {colour};\n\
         \x20 --utrecht-button-primary-action-hover-background-color: {colour};\n\
         \x20 --utrecht-link-color: {colour};\n\
         \x20 --cho-primary-colour: {colour};\n\
         }}\n"
    )
}

/// `/thema/{municipality}-{hash}.css`: the hash of the stylesheet itself,
/// so a new colour is a new URL.
pub fn theme_url(municipality_id: i64, colour: &str) -> String {
    let hash = crate::domain::look::content_hash(theme_css(colour).as_bytes());
    format!("/thema/{municipality_id}-{hash}.css")
}

/// The navigation of a page: which links `partials/nav.html` shows.
#[derive(Clone, Copy, Debug)]
pub struct Nav {
    /// The logged-in person's role; None for anyone else.
    pub role: Option<Role>,
}

impl Nav {
    pub fn logged_in(&self) -> bool {
        self.role.is_some()
    }

    pub fn is_operator(&self) -> bool {
        self.role == Some(Role::Operator)
    }

    pub fn is_owner(&self) -> bool {
        self.role == Some(Role::Owner)
    }

    /// The beheerder's links (their area's pages).
    pub fn beheerder(&self) -> bool {
        self.role == Some(Role::Beheerder)
    }

    /// The municipality's link (its read-only pages).
    pub fn is_municipality(&self) -> bool {
        self.role == Some(Role::Municipality)
    }
}

/// The catalogue key naming a role.
pub fn role_key(role: Role) -> &'static str {
    match role {
        Role::Operator => "role.operator",
        Role::Beheerder => "role.beheerder",
        Role::Owner => "role.owner",
        Role::Municipality => "role.municipality",
    }
}

/// What every page template gets as `page` (the layout reads it).
pub struct Page {
    pub tr: Tr,
    pub title: String,
    pub look: Look,
    pub nav: Nav,
    /// The CSRF token for the layout's forms (logout) and the page's own;
    /// empty when nobody is logged in.
    pub csrf: String,
    /// This page's path, where the language switch returns to.
    pub path: String,
    pub stylesheet: &'static str,
    /// The deployment's contact for the footer (`--contact-email`).
    pub contact: Option<String>,
}

impl Page {
    /// A page for someone not logged in.
    pub fn anonymous(lang: Lang, uri: &Uri, title: &str) -> Self {
        Self {
            tr: Tr::new(lang),
            title: title.to_owned(),
            look: Look::deployment(),
            nav: Nav { role: None },
            csrf: String::new(),
            path: uri.path().to_owned(),
            stylesheet: assets::stylesheet_url(),
            contact: site().contact,
        }
    }

    /// A page for a logged-in person, in their area's look (if any).
    pub fn for_viewer(viewer: &Viewer, uri: &Uri, title: &str) -> Self {
        Self {
            nav: Nav {
                role: Some(viewer.actor.role),
            },
            csrf: viewer.csrf.clone(),
            look: viewer.look.clone(),
            ..Self::anonymous(viewer.lang, uri, title)
        }
    }

    /// A public page of an area, in its municipality's look: for the
    /// logged-in person (their navigation) or anyone.
    pub fn for_area(
        viewer: Option<&Viewer>,
        lang: Lang,
        uri: &Uri,
        title: &str,
        look: &crate::services::look::Look,
    ) -> Self {
        let page = match viewer {
            Some(v) => Self::for_viewer(v, uri, title),
            None => Self::anonymous(lang, uri, title),
        };
        Self {
            look: Look::of(look),
            ..page
        }
    }

    /// The language switch's link: to the other language, back here.
    pub fn switch_href(&self) -> String {
        let back: String = url_encode(&self.path);
        format!("/taal/{}?terug={back}", self.tr.lang.other().code())
    }
}

/// Percent-encodes everything but unreserved characters.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A 303 to `location` (after a form, and to the login page).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Every error code a page may show; each has `error.<code>.title` and
/// `error.<code>.text` in both catalogues (tested).
pub const ERROR_CODES: [&str; 16] = [
    "password_change_required",
    "bad_credentials",
    "login_throttled",
    "throttled",
    "busy",
    "forbidden",
    "not_admitted",
    "not_found",
    "conflict",
    "invalid",
    "ban_rule",
    "protocol_rule",
    "internal",
    "csrf",
    "bad_request",
    "method_not_allowed",
];

/// The status, error code and wait of an `AppError` on a page (the same
/// codes as the JSON API's, see `http/error.rs`). Server faults are
/// logged here, once.
pub fn classify(e: &AppError) -> (StatusCode, &'static str, Option<i64>) {
    match e {
        AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "bad_credentials", None),
        AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials", None),
        // Only the device endpoints meet it; a page never does.
        AppError::DeviceRevoked => (StatusCode::UNAUTHORIZED, "bad_credentials", None),
        AppError::LoginThrottled { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            "login_throttled",
            Some(*retry_after),
        ),
        AppError::TooManyAttempts { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            Some(*retry_after),
        ),
        AppError::Busy { retry_after } => {
            (StatusCode::SERVICE_UNAVAILABLE, "busy", Some(*retry_after))
        }
        AppError::Forbidden => (StatusCode::FORBIDDEN, "forbidden", None),
        AppError::PasswordChangeRequired => {
            (StatusCode::FORBIDDEN, "password_change_required", None)
        }
        AppError::NotAdmitted => (StatusCode::FORBIDDEN, "not_admitted", None),
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", None),
        AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict", None),
        AppError::Invalid(_) | AppError::Look(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid", None)
        }
        AppError::BanRule(_) => (StatusCode::UNPROCESSABLE_ENTITY, "ban_rule", None),
        AppError::Protocol(_) => (StatusCode::UNPROCESSABLE_ENTITY, "protocol_rule", None),
        AppError::Storage(_) | AppError::Secrets(_) | AppError::Internal(_) => {
            tracing::error!(error = ?e, "page request failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal", None)
        }
    }
}

/// The text people see for an error code, with the wait filled in.
pub fn error_text(tr: &Tr, code: &str, retry_after: Option<i64>) -> String {
    tr.t1(&format!("error.{code}.text"), retry_after.unwrap_or(0))
}

/// A page's error: a redirect to the login page, or an error page in the
/// person's language.
#[derive(Debug)]
pub enum WebError {
    /// No live session: to the login page, saying so when one expired.
    LoginRequired { expired: bool },
    /// The password was reset: to the password form until it is changed.
    PasswordChangeRequired,

    Page {
        status: StatusCode,
        code: &'static str,
        lang: Lang,
        retry_after: Option<i64>,
    },
}

impl WebError {
    pub fn page(status: StatusCode, code: &'static str, lang: Lang) -> Self {
        Self::Page {
            status,
            code,
            lang,
            retry_after: None,
        }
    }

    pub fn app(e: AppError, lang: Lang) -> Self {
        if matches!(e, AppError::Unauthenticated) {
            return Self::LoginRequired { expired: false };
        }
        let (status, code, retry_after) = classify(&e);
        Self::Page {
            status,
            code,
            lang,
            retry_after,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error/error.html")]
struct ErrorPage {
    page: Page,
    text: String,
}

/// An error page (also for unknown pages and methods: see
/// `http::router_with`'s fallbacks).
pub fn error_page(
    status: StatusCode,
    code: &str,
    lang: Lang,
    uri: &Uri,
    retry_after: Option<i64>,
) -> Response {
    let tr = Tr::new(lang);
    let title = tr.t1(&format!("error.{code}.title"), "");
    let page = ErrorPage {
        page: Page::anonymous(lang, uri, &title),
        text: error_text(&tr, code, retry_after),
    };
    let mut response = (status, page).into_response();
    if let Some(seconds) = retry_after
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The 404 page for a path no route has.
pub fn not_found(headers: &HeaderMap, uri: &Uri) -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "not_found",
        Lang::of(headers),
        uri,
        None,
    )
}

/// The 405 page for a method a page does not take.
pub fn method_not_allowed(headers: &HeaderMap, uri: &Uri) -> Response {
    error_page(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        Lang::of(headers),
        uri,
        None,
    )
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            Self::LoginRequired { expired } => {
                let mut response = see_other(if expired {
                    "/inloggen?verlopen=1"
                } else {
                    "/inloggen"
                });
                if expired {
                    // The dead session's cookie goes (under either name:
                    // the public URL is not known here).
                    for clear in [
                        "cho_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
                        "__Host-cho_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure",
                    ] {
                        response
                            .headers_mut()
                            .append(header::SET_COOKIE, HeaderValue::from_static(clear));
                    }
                }
                response
            }
            Self::PasswordChangeRequired => see_other("/account#wachtwoord"),
            Self::Page {
                status,
                code,
                lang,
                retry_after,
            } => error_page(status, code, lang, &Uri::from_static("/"), retry_after),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_has_a_title_and_a_text_in_both_languages() {
        for lang in Lang::ALL {
            let catalogue = i18n::catalogue_of(lang);
            for code in ERROR_CODES {
                for part in ["title", "text"] {
                    let key = format!("error.{code}.{part}");
                    assert!(catalogue.contains_key(&key), "{} lacks {key}", lang.code());
                }
            }
        }
    }

    #[test]
    fn every_role_and_month_has_a_name_in_both_languages() {
        for lang in Lang::ALL {
            let catalogue = i18n::catalogue_of(lang);
            let roles = [
                Role::Operator,
                Role::Beheerder,
                Role::Owner,
                Role::Municipality,
            ]
            .map(role_key);
            for key in roles.iter().chain(i18n::MONTH_KEYS.iter()) {
                assert!(catalogue.contains_key(*key), "{} lacks {key}", lang.code());
            }
        }
    }

    /// Every `AppError` a page can meet maps to a code with a text.
    #[test]
    fn app_errors_map_to_catalogue_codes() {
        let errors = [
            AppError::Unauthenticated,
            AppError::BadCredentials,
            AppError::DeviceRevoked,
            AppError::LoginThrottled { retry_after: 5 },
            AppError::TooManyAttempts { retry_after: 5 },
            AppError::Busy { retry_after: 1 },
            AppError::Forbidden,
            AppError::NotFound("ban"),
            AppError::NotAdmitted,
            AppError::Conflict("x".to_owned()),
            AppError::Invalid("x".to_owned()),
            AppError::Internal("x"),
        ];
        for e in &errors {
            let (_, code, _) = classify(e);
            assert!(ERROR_CODES.contains(&code), "{code}");
        }
    }

    #[test]
    fn the_switch_returns_to_this_page() {
        let page = Page::anonymous(Lang::Nl, &Uri::from_static("/account"), "x");
        assert_eq!(page.switch_href(), "/taal/en?terug=/account");
        assert_eq!(url_encode("/a b&c"), "/a%20b%26c");
    }
}
