//! Logging in and out, and the person's own account page with the
//! password change.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::i18n::{Lang, Tr};
use super::session::{
    Binding, CsrfForm, Viewer, cookie, csrf_token, login_cookie, random_token, session_cookie,
    set_cookie,
};
use super::{Page, WebError, classify, error_text, role_key, see_other};
use crate::http::client::ClientAddr;
use crate::services::{App, AppError, auth};

#[derive(Template, WebTemplate)]
#[template(path = "account/login.html")]
pub struct LoginPage {
    page: Page,
    /// A message above the form (expired session, changed password).
    notice: Option<String>,
    /// The error of the last attempt.
    error: Option<String>,
    username: String,
}

/// Messages the login page shows when sent there.
#[derive(Deserialize)]
pub struct LoginNotice {
    verlopen: Option<String>,
    gewijzigd: Option<String>,
    uitgelogd: Option<String>,
}

/// The login form with a CSRF token bound to a fresh (or the present)
/// login cookie.
fn login_form(
    app: &App,
    headers: &HeaderMap,
    uri: &Uri,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    username: String,
) -> Result<Response, WebError> {
    let lang = Lang::of(headers);
    let tr = Tr::new(lang);
    let existing = cookie(headers, login_cookie(app));
    let value = match &existing {
        Some(v) => v.clone(),
        None => random_token().map_err(|e| WebError::app(e, lang))?,
    };
    let mut page = Page::anonymous(lang, uri, tr.t("login.title"));
    page.csrf = csrf_token(app, Binding::Login, &value);
    let mut response = (
        status,
        LoginPage {
            page,
            notice,
            error,
            username,
        },
    )
        .into_response();
    if existing.is_none() {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(app, login_cookie(app), &value, None),
        );
    }
    Ok(response)
}

/// `GET /inloggen`.
pub async fn login_page(
    State(app): State<App>,
    headers: HeaderMap,
    uri: Uri,
    Query(notice): Query<LoginNotice>,
) -> Result<Response, WebError> {
    let tr = Tr::new(Lang::of(&headers));
    let notice = if notice.verlopen.is_some() {
        Some(tr.t("login.expired").to_owned())
    } else if notice.gewijzigd.is_some() {
        Some(tr.t("login.password_changed").to_owned())
    } else if notice.uitgelogd.is_some() {
        Some(tr.t("login.logged_out").to_owned())
    } else {
        None
    };
    login_form(
        &app,
        &headers,
        &uri,
        StatusCode::OK,
        notice,
        None,
        String::new(),
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

/// Whether a login must go to the password page first. The seam work
/// adds a `must_change_password` flag to accounts, which the login answer
/// will carry; until it lands here, no login must.
fn must_change_password(_session: &auth::Session) -> bool {
    false
}

/// `POST /inloggen`: the same login, limits and audit as the API's; a
/// session cookie and to `/`, or the form again with the reason.
pub async fn login(
    State(app): State<App>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    uri: Uri,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, WebError> {
    let lang = Lang::of(&headers);
    match auth::login_browser(&app, client, &form.username, &form.password).await {
        Ok(session) => {
            let next = if must_change_password(&session) {
                "/account#wachtwoord"
            } else {
                "/"
            };
            let mut response = see_other(next);
            let h = response.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(&app, session_cookie(&app), &session.token, None),
            );
            // The login cookie has done its work; a new one comes with the
            // next login form.
            h.append(
                header::SET_COOKIE,
                set_cookie(&app, login_cookie(&app), "", Some(0)),
            );
            Ok(response)
        }
        Err(
            e
            @ (AppError::BadCredentials | AppError::LoginThrottled { .. } | AppError::Busy { .. }),
        ) => {
            let (status, code, wait) = classify(&e);
            let text = error_text(&Tr::new(lang), code, wait);
            let mut response = login_form(
                &app,
                &headers,
                &uri,
                status,
                None,
                Some(text),
                form.username,
            )?;
            if let Some(seconds) = wait
                && let Ok(value) = seconds.to_string().parse()
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            Ok(response)
        }
        Err(e) => Err(WebError::app(e, lang)),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /uitloggen`: ends this session; to the login page.
pub async fn logout(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    auth::logout(&app, &viewer.actor, &viewer.token)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let mut response = see_other("/inloggen?uitgelogd=1");
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&app, session_cookie(&app), "", Some(0)),
    );
    Ok(response)
}

#[derive(Template, WebTemplate)]
#[template(path = "account/account.html")]
pub struct AccountPage {
    page: Page,
    username: String,
    role: &'static str,
    area_name: Option<String>,
    /// The password form's error.
    error: Option<String>,
}

async fn account_view(
    app: &App,
    viewer: &Viewer,
    uri: &Uri,
    error: Option<String>,
) -> Result<AccountPage, WebError> {
    let summary = auth::account_summary(app, &viewer.actor)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    Ok(AccountPage {
        page: Page::for_viewer(viewer, uri, tr.t("account.title")),
        username: summary.username,
        role: tr.t(role_key(summary.role)),
        area_name: summary.area_name,
        error,
    })
}

/// `GET /account`: who you are, and the password form.
pub async fn account_page(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
) -> Result<AccountPage, WebError> {
    account_view(&app, &viewer, &uri, None).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    repeat_password: String,
}

/// `POST /account/wachtwoord`: changes the password, which ends every
/// session of the account (this one too): to the login page.
pub async fn change_password(
    State(app): State<App>,
    viewer: Viewer,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    let uri = Uri::from_static("/account");
    let tr = Tr::new(viewer.lang);
    if form.new_password != form.repeat_password {
        let error = Some(tr.t("account.password.mismatch").to_owned());
        let page = account_view(&app, &viewer, &uri, error).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    match auth::change_password(
        &app,
        &viewer.actor,
        client,
        &form.current_password,
        &form.new_password,
    )
    .await
    {
        Ok(()) => {
            let mut response = see_other("/inloggen?gewijzigd=1");
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&app, session_cookie(&app), "", Some(0)),
            );
            Ok(response)
        }
        Err(e @ (AppError::Invalid(_) | AppError::BadCredentials)) => {
            let error = if matches!(e, AppError::Invalid(_)) {
                tr.t1("account.password.too_short", auth::MIN_PASSWORD_CHARS)
            } else {
                tr.t("account.password.wrong_current").to_owned()
            };
            let status = classify(&e).0;
            let page = account_view(&app, &viewer, &uri, Some(error)).await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(WebError::app(e, viewer.lang)),
    }
}
