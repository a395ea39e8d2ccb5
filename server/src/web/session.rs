//! Cookie sessions for people, CSRF tokens and the `Origin` check, as
//! extractors so page handlers stay thin:
//!
//! - [`Viewer`]: the logged-in actor, the CSRF token for its forms and its
//!   language; without a live session the request is sent to the login
//!   page (with "your session has expired" when it carried a session
//!   cookie).
//! - [`MaybeViewer`]: the same for pages anyone may see.
//! - [`CsrfForm<T>`]: a form that changes something, verified: its
//!   `Origin` (or, absent, `Referer`) is the configured public URL's
//!   origin, and its `csrf` field is the HMAC of one of the browser's own
//!   cookies (the session, or before login the login cookie) under a key
//!   derived from the deployment secret. Anything else is a 403 page.
//! - [`CsrfMultipart`]: the same for a `multipart/form-data` form
//!   with files (the municipality's logo).
//!
//! The session itself lives in the database (`services::auth`): 12 hours
//! at most, and 30 minutes without a request.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::WebError;
use super::i18n::Lang;
use crate::domain::roles::Actor;
use crate::services::{App, AppError, auth};

/// Purpose label of the CSRF key (see `secrets::DeploymentSecret::derive`).
pub const CSRF_LABEL: &str = "cho-web-csrf/1";

/// The session cookie's name: with the `__Host-` prefix (which browsers
/// accept only with `Secure`, `Path=/` and no `Domain`) when the public
/// URL is https.
pub fn session_cookie(app: &App) -> &'static str {
    if is_https(app) {
        "__Host-cho_session"
    } else {
        "cho_session"
    }
}

/// The login form's pre-session cookie (its CSRF token is bound to it).
pub fn login_cookie(app: &App) -> &'static str {
    if is_https(app) {
        "__Host-cho_login"
    } else {
        "cho_login"
    }
}

fn is_https(app: &App) -> bool {
    app.public_url.starts_with("https://")
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, `Path=/`, and
/// `Secure` when the public URL is https; `max_age` None is a cookie for
/// the browser session, Some(0) deletes it.
pub fn set_cookie(app: &App, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(seconds) = max_age {
        text.push_str(&format!("; Max-Age={seconds}"));
    }
    if is_https(app) {
        text.push_str("; Secure");
    }
    // Names and values are ours (base64url, digits, letters).
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("x=; Max-Age=0"))
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 200)
}

/// 32 random bytes, base64url: session tokens and login cookies.
pub fn random_token() -> Result<String, AppError> {
    let mut raw = [0u8; 32];
    SystemRandom::new()
        .fill(&mut raw)
        .map_err(|_| AppError::Internal("random"))?;
    Ok(URL_SAFE_NO_PAD.encode(raw))
}

fn csrf_key(app: &App) -> hmac::Key {
    app.secrets.deployment.derive(CSRF_LABEL).hmac_key()
}

/// What a CSRF token is bound to: the session or the login cookie.
#[derive(Clone, Copy)]
pub enum Binding {
    Session,
    Login,
}

impl Binding {
    fn label(self) -> &'static [u8] {
        match self {
            Self::Session => b"session\0",
            Self::Login => b"login\0",
        }
    }
}

/// The CSRF token for forms of a browser holding `cookie_value`.
pub fn csrf_token(app: &App, binding: Binding, cookie_value: &str) -> String {
    let message = [binding.label(), cookie_value.as_bytes()].concat();
    URL_SAFE_NO_PAD.encode(hmac::sign(&csrf_key(app), &message).as_ref())
}

fn csrf_matches(app: &App, binding: Binding, cookie_value: &str, token: &str) -> bool {
    let Ok(tag) = URL_SAFE_NO_PAD.decode(token) else {
        return false;
    };
    let message = [binding.label(), cookie_value.as_bytes()].concat();
    // Constant time.
    hmac::verify(&csrf_key(app), &message, &tag).is_ok()
}

/// `scheme://host[:port]` of a URL.
pub fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => &url[..after_scheme + slash],
        None => url,
    }
}

/// Whether a form post comes from our own pages: its `Origin`, or when a
/// browser sends none its `Referer`, is the public URL's origin. Neither
/// is refused: every browser we support sends one of them.
pub fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let ours = origin_of(public_url);
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(origin) = header_text(header::ORIGIN) {
        return origin.eq_ignore_ascii_case(ours);
    }
    header_text(header::REFERER).is_some_and(|referer| {
        origin_of(referer).eq_ignore_ascii_case(ours) && referer.len() >= ours.len()
    })
}

/// The logged-in person behind a request (see the module doc).
pub struct Viewer {
    pub actor: Actor,
    /// The session token from the cookie (to end it at logout).
    pub token: String,
    /// The CSRF token every form of this person's pages carries.
    pub csrf: String,
    pub lang: Lang,
    /// The look of the person's pages: their area's municipality's, the
    /// deployment's for the operator.
    pub look: super::Look,
}

impl FromRequestParts<App> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let lang = Lang::of(&parts.headers);
        let Some(token) = cookie(&parts.headers, session_cookie(app)) else {
            return Err(WebError::LoginRequired { expired: false });
        };
        match auth::authenticate_browser(app, &token).await {
            // A reset password opens only the account page (to change it)
            // and logout.
            Ok(actor)
                if actor.must_change_password
                    && !matches!(
                        parts.uri.path(),
                        "/account" | "/account/wachtwoord" | "/uitloggen"
                    ) =>
            {
                Err(WebError::PasswordChangeRequired)
            }
            Ok(actor) => Ok(Self {
                look: match actor.area_id {
                    Some(area) => super::Look::of(
                        &crate::services::look::look_for_area(app, area)
                            .await
                            .map_err(|e| WebError::app(e, lang))?,
                    ),
                    None => super::Look::deployment(),
                },
                actor,
                csrf: csrf_token(app, Binding::Session, &token),
                token,
                lang,
            }),
            // A cookie without a live session: idle too long, past its
            // limit, or ended (logout elsewhere, password change).
            Err(AppError::Unauthenticated) => Err(WebError::LoginRequired { expired: true }),
            Err(e) => Err(WebError::app(e, lang)),
        }
    }
}

/// The logged-in person, if any (pages anyone may see).
pub struct MaybeViewer(pub Option<Viewer>);

impl FromRequestParts<App> for MaybeViewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        match Viewer::from_request_parts(parts, app).await {
            Ok(viewer) => Ok(Self(Some(viewer))),
            Err(WebError::LoginRequired { .. }) => Ok(Self(None)),
            Err(e) => Err(e),
        }
    }
}

/// Whether `csrf` is the token of one of the browser's own cookies.
fn csrf_bound(app: &App, headers: &HeaderMap, csrf: &str) -> bool {
    [
        (Binding::Session, session_cookie(app)),
        (Binding::Login, login_cookie(app)),
    ]
    .into_iter()
    .any(|(binding, name)| {
        cookie(headers, name).is_some_and(|value| csrf_matches(app, binding, &value, csrf))
    })
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A verified form that changes something (see the module doc). `T` is
/// parsed from the same body and ignores the `csrf` field.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for CsrfForm<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, app: &App) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let lang = Lang::of(&headers);
        if !same_origin(&headers, &app.public_url) {
            return Err(WebError::page(StatusCode::FORBIDDEN, "csrf", lang));
        }
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(WebError::page(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "bad_request",
                lang,
            ));
        }
        let body = Bytes::from_request(request, app)
            .await
            .map_err(|r| WebError::page(r.status(), "bad_request", lang))?;
        let CsrfField { csrf } = serde_urlencoded::from_bytes(&body)
            .map_err(|_| WebError::page(StatusCode::BAD_REQUEST, "bad_request", lang))?;
        if !csrf_bound(app, &headers, &csrf) {
            return Err(WebError::page(StatusCode::FORBIDDEN, "csrf", lang));
        }
        let form = serde_urlencoded::from_bytes(&body)
            .map_err(|_| WebError::page(StatusCode::BAD_REQUEST, "bad_request", lang))?;
        Ok(Self(form))
    }
}

/// A file sent with a [`CsrfMultipart`] form.
pub struct Upload {
    /// The form field's name.
    pub field: String,
    /// The content type the browser declared for the file (it goes by the
    /// file name's extension); empty when it declared none.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A verified `multipart/form-data` form that changes something: the same
/// `Origin` and `csrf` checks as [`CsrfForm`], the text fields parsed into
/// `T` (ignoring `csrf`), and its files (a file input left empty is no
/// upload). The route sets the body limit (`DefaultBodyLimit`); a larger
/// body is refused with a 413 page, which a handler may take as
/// `Result<CsrfMultipart<T>, WebError>` to show at the file's field
/// instead (nothing was read or changed).
pub struct CsrfMultipart<T> {
    pub form: T,
    pub files: Vec<Upload>,
}

impl<T> CsrfMultipart<T> {
    /// The file sent in field `name`, if one was chosen.
    pub fn file(&self, name: &str) -> Option<&Upload> {
        self.files.iter().find(|f| f.field == name)
    }
}

impl<T: DeserializeOwned> FromRequest<App> for CsrfMultipart<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, app: &App) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let lang = Lang::of(&headers);
        if !same_origin(&headers, &app.public_url) {
            return Err(WebError::page(StatusCode::FORBIDDEN, "csrf", lang));
        }
        // 400, or 413 over the body limit.
        let bad = |status: StatusCode| WebError::page(status, "bad_request", lang);
        let mut multipart = Multipart::from_request(request, app)
            .await
            .map_err(|r| bad(r.status()))?;
        let mut text: Vec<(String, String)> = Vec::new();
        let mut files = Vec::new();
        while let Some(field) = multipart.next_field().await.map_err(|e| bad(e.status()))? {
            let name = field.name().unwrap_or_default().to_owned();
            match field.file_name() {
                None => {
                    let value = field.text().await.map_err(|e| bad(e.status()))?;
                    text.push((name, value));
                }
                Some(file_name) => {
                    let chosen = !file_name.is_empty();
                    let content_type = field.content_type().unwrap_or_default().to_owned();
                    let bytes = field.bytes().await.map_err(|e| bad(e.status()))?;
                    if chosen || !bytes.is_empty() {
                        files.push(Upload {
                            field: name,
                            content_type,
                            bytes: bytes.to_vec(),
                        });
                    }
                }
            }
        }
        let csrf = text
            .iter()
            .find(|(name, _)| name == "csrf")
            .map_or("", |(_, value)| value.as_str());
        if !csrf_bound(app, &headers, csrf) {
            return Err(WebError::page(StatusCode::FORBIDDEN, "csrf", lang));
        }
        let encoded =
            serde_urlencoded::to_string(&text).map_err(|_| bad(StatusCode::BAD_REQUEST))?;
        let form =
            serde_urlencoded::from_str(&encoded).map_err(|_| bad(StatusCode::BAD_REQUEST))?;
        Ok(Self { form, files })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn origins() {
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(origin_of("https://cho.example/x/y"), "https://cho.example");
        let ours = "https://cho.example";
        assert!(same_origin(&headers(&[(header::ORIGIN, ours)]), ours));
        assert!(!same_origin(
            &headers(&[(header::ORIGIN, "https://evil.example")]),
            ours
        ));
        assert!(!same_origin(&headers(&[(header::ORIGIN, "null")]), ours));
        assert!(same_origin(
            &headers(&[(header::REFERER, "https://cho.example/inloggen")]),
            ours
        ));
        assert!(!same_origin(
            &headers(&[(header::REFERER, "https://cho.example.evil/x")]),
            ours
        ));
        // Origin decides when both are there.
        assert!(!same_origin(
            &headers(&[
                (header::ORIGIN, "https://evil.example"),
                (header::REFERER, "https://cho.example/")
            ]),
            ours
        ));
        assert!(!same_origin(&HeaderMap::new(), ours));
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let h = headers(&[
            (header::COOKIE, "a=1; cho_session=abc"),
            (header::COOKIE, "b=2"),
        ]);
        assert_eq!(cookie(&h, "cho_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "b").as_deref(), Some("2"));
        assert_eq!(cookie(&h, "session"), None);
    }
}
