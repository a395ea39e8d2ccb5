//! Pages anyone may see: the start page (a welcome once logged in, the
//! areas with a public page), the accessibility statement, the language
//! switch, each area's public page and its venues' door signs (DOMAIN
//! rule 10), and each municipality's stylesheet and logo.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::domain::roles::Role;
use serde::Deserialize;

use super::i18n::{LANG_COOKIE, Lang, Tr};
use super::session::MaybeViewer;
use super::{Page, WebError, role_key, see_other};
use crate::services::public::{DoorSign as DoorSignView, PublicArea, PublicAreaSummary};
use crate::services::{App, AppError, auth, look, public as public_service};

#[derive(Template, WebTemplate)]
#[template(path = "public/landing.html")]
pub struct Landing {
    page: Page,
    /// Who is logged in: name, role, area.
    welcome: Option<Welcome>,
    /// Every area with a public page.
    areas: Vec<PublicAreaSummary>,
}

pub struct Welcome {
    username: String,
    role: &'static str,
    area_name: Option<String>,
}

/// `GET /`: what this is and a login button; once logged in, a start
/// fitting the role.
pub async fn landing(
    State(app): State<App>,
    MaybeViewer(viewer): MaybeViewer,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let Some(viewer) = viewer else {
        let lang = Lang::of(&headers);
        let tr = Tr::new(lang);
        let areas = public_service::areas(&app)
            .await
            .map_err(|e| WebError::app(e, lang))?;
        return Ok(Landing {
            page: Page::anonymous(lang, &uri, tr.t("landing.title")),
            welcome: None,
            areas,
        }
        .into_response());
    };
    // A beheerder starts on the area overview, an owner on their venue's
    // dashboard.
    if viewer.actor.role == Role::Beheerder {
        return super::area::overview_page(&app, &viewer, &uri).await;
    }
    if viewer.actor.role == Role::Owner {
        return super::owner::dashboard(State(app), viewer, uri)
            .await
            .map(IntoResponse::into_response);
    }
    // A municipality account starts on its municipality's page.
    if viewer.actor.role == Role::Municipality {
        return super::municipality::overview(State(app), viewer, uri)
            .await
            .map(IntoResponse::into_response);
    }
    let summary = auth::account_summary(&app, &viewer.actor)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    Ok(Landing {
        page: Page::for_viewer(&viewer, &uri, tr.t("start.title")),
        welcome: Some(Welcome {
            username: summary.username,
            role: tr.t(role_key(summary.role)),
            area_name: summary.area_name,
        }),
        areas: Vec::new(),
    }
    .into_response())
}

/// The language of a public page: the logged-in person's, else the
/// browser's.
fn lang_of(viewer: Option<&super::session::Viewer>, headers: &HeaderMap) -> Lang {
    viewer.map_or_else(|| Lang::of(headers), |v| v.lang)
}

#[derive(Template, WebTemplate)]
#[template(path = "public/area.html")]
pub struct AreaPage {
    page: Page,
    area: PublicArea,
    /// The venues' door signs, by venue id.
    sign_paths: Vec<String>,
}

/// `GET /gebieden/{id}`: an area's public page, in its municipality's
/// look: what the CHO is, the venues taking part, the categories and
/// their durations, how to object and whom to ask.
pub async fn area_page(
    State(app): State<App>,
    MaybeViewer(viewer): MaybeViewer,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<i64>,
) -> Result<AreaPage, WebError> {
    let lang = lang_of(viewer.as_ref(), &headers);
    let area = public_service::area(&app, id)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    let tr = Tr::new(lang);
    let title = tr.t1("public.area.title", &area.name);
    Ok(AreaPage {
        page: Page::for_area(viewer.as_ref(), lang, &uri, &title, &area.municipality),
        sign_paths: area
            .venues
            .iter()
            .map(|v| door_sign_path(area.id, v.id))
            .collect(),
        area,
    })
}

/// The path of a venue's door sign page.
pub fn door_sign_path(area_id: i64, venue_id: i64) -> String {
    format!("/gebieden/{area_id}/deurbord/{venue_id}")
}

#[derive(Template, WebTemplate)]
#[template(path = "public/door_sign.html")]
pub struct DoorSignPage {
    page: Page,
    sign: DoorSignView,
    /// The sign's other language (the sign carries both).
    other: Tr,
}

/// `GET /gebieden/{area}/deurbord/{venue}`: a venue's printable door sign
/// (A4, Dutch and English); a venue not taking part today has none.
pub async fn door_sign(
    State(app): State<App>,
    MaybeViewer(viewer): MaybeViewer,
    headers: HeaderMap,
    uri: Uri,
    Path((area_id, venue_id)): Path<(i64, i64)>,
) -> Result<DoorSignPage, WebError> {
    let lang = lang_of(viewer.as_ref(), &headers);
    let sign = public_service::door_sign(&app, venue_id)
        .await
        .and_then(|sign| {
            if sign.area_id == area_id {
                Ok(sign)
            } else {
                Err(AppError::NotFound("venue"))
            }
        })
        .map_err(|e| WebError::app(e, lang))?;
    let tr = Tr::new(lang);
    let title = tr.t1("public.sign.title", &sign.venue_name);
    Ok(DoorSignPage {
        page: Page::for_area(viewer.as_ref(), lang, &uri, &title, &sign.municipality),
        other: Tr::new(lang.other()),
        sign,
    })
}

/// `GET /deurbord/{venue}` (the address the JSON interface names): to the
/// sign's page under its area.
pub async fn door_sign_redirect(
    State(app): State<App>,
    headers: HeaderMap,
    Path(venue_id): Path<i64>,
) -> Result<Response, WebError> {
    let sign = public_service::door_sign(&app, venue_id)
        .await
        .map_err(|e| WebError::app(e, Lang::of(&headers)))?;
    Ok(see_other(&door_sign_path(sign.area_id, sign.venue_id)))
}

/// `{municipality}-{hash}` and the rest of a file name (`.css` or none).
fn parse_hashed(file: &str, extension: &str) -> Option<(i64, String)> {
    let stem = file.strip_suffix(extension)?;
    let (id, hash) = stem.split_once('-')?;
    Some((id.parse().ok()?, hash.to_owned()))
}

/// A year in any cache: the URL changes with the content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `GET /thema/{municipality}-{hash}.css`: the municipality's primary
/// colour as the theme's custom properties. A stale hash is not found
/// (the pages link to the current one).
pub async fn theme_css(
    State(app): State<App>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let lang = Lang::of(&headers);
    let not_found = || WebError::app(AppError::NotFound("theme"), lang);
    let (id, hash) = parse_hashed(&file, ".css").ok_or_else(not_found)?;
    let current = look::look_for_municipality(&app, id)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    let colour = current.primary_colour.ok_or_else(not_found)?;
    if super::theme_url(id, &colour) != format!("/thema/{id}-{hash}.css") {
        return Err(not_found());
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, IMMUTABLE),
        ],
        super::theme_css(&colour),
    )
        .into_response())
}

/// An SVG is a document: its own policy forbids scripts and anything
/// fetched, and allows only its inline styles.
const SVG_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'";

/// `GET /logo/{municipality}-{hash}`: the municipality's logo with its
/// checked content type.
pub async fn logo(
    State(app): State<App>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let lang = Lang::of(&headers);
    let not_found = || WebError::app(AppError::NotFound("logo"), lang);
    let (id, hash) = parse_hashed(&file, "").ok_or_else(not_found)?;
    let current = look::look_for_municipality(&app, id)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    let logo = current
        .logo
        .filter(|l| l.hash == hash)
        .ok_or_else(not_found)?;
    let mut response = logo.bytes.into_response();
    let h = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&logo.content_type) {
        h.insert(header::CONTENT_TYPE, value);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if logo.content_type.starts_with("image/svg") {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SVG_CSP),
        );
    }
    Ok(response)
}

#[derive(Template, WebTemplate)]
#[template(path = "public/accessibility.html")]
pub struct Accessibility {
    page: Page,
}

/// `GET /toegankelijkheid`: the accessibility statement.
pub async fn accessibility(
    MaybeViewer(viewer): MaybeViewer,
    headers: HeaderMap,
    uri: Uri,
) -> Accessibility {
    let page = match &viewer {
        Some(v) => Page::for_viewer(v, &uri, Tr::new(v.lang).t("a11y.title")),
        None => {
            let lang = Lang::of(&headers);
            Page::anonymous(lang, &uri, Tr::new(lang).t("a11y.title"))
        }
    };
    Accessibility { page }
}

#[derive(Deserialize)]
pub struct Back {
    terug: Option<String>,
}

/// Only a path on this site: never `//host` or `/\host`, which browsers
/// read as another site.
fn local_path(path: Option<&str>) -> &str {
    match path {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.chars().any(|c| c.is_control()) =>
        {
            p
        }
        _ => "/",
    }
}

/// `GET /taal/{lang}?terug=/path`: remembers the language (a cookie for a
/// year) and returns to the page.
pub async fn switch_language(
    State(app): State<App>,
    Path(code): Path<String>,
    Query(back): Query<Back>,
) -> Response {
    let mut response = see_other(local_path(back.terug.as_deref()));
    if let Some(lang) = Lang::parse(&code) {
        let secure = if app.public_url.starts_with("https://") {
            "; Secure"
        } else {
            ""
        };
        // Lax: a link from elsewhere still shows the chosen language.
        let text = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}",
            lang.code()
        );
        if let Ok(value) = HeaderValue::from_str(&text) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn the_switch_returns_only_to_local_paths() {
        assert_eq!(local_path(Some("/account")), "/account");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "x",
            "/a\nb",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
    }
}
