//! Pages anyone may see: the start page (a welcome once logged in), the
//! accessibility statement, and the language switch.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::domain::roles::Role;
use serde::Deserialize;

use super::i18n::{LANG_COOKIE, Lang, Tr};
use super::session::MaybeViewer;
use super::{Page, WebError, role_key, see_other};
use crate::services::{App, auth};

#[derive(Template, WebTemplate)]
#[template(path = "public/landing.html")]
pub struct Landing {
    page: Page,
    /// Who is logged in: name, role, area.
    welcome: Option<Welcome>,
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
    headers: axum::http::HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let Some(viewer) = viewer else {
        let lang = Lang::of(&headers);
        let tr = Tr::new(lang);
        return Ok(Landing {
            page: Page::anonymous(lang, &uri, tr.t("landing.title")),
            welcome: None,
        }
        .into_response());
    };
    // A beheerder starts on the area overview.
    if viewer.actor.role == Role::Beheerder {
        return super::area::overview_page(&app, &viewer, &uri).await;
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
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "public/accessibility.html")]
pub struct Accessibility {
    page: Page,
}

/// `GET /toegankelijkheid`: the accessibility statement.
pub async fn accessibility(
    MaybeViewer(viewer): MaybeViewer,
    headers: axum::http::HeaderMap,
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
