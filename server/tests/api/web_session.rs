//! Sessions for people in a browser: login through the page (same
//! accounts, limits and audit as the API), the cookie's attributes on
//! http and https, the idle and absolute limits on the manual clock,
//! CSRF and Origin refusals, logout and the password change.

use axum::http::StatusCode;
use serde_json::json;

use crate::both;
use crate::fixtures::{OWNER_A, OWNER_A2};
use crate::harness::TestApp;
use crate::web_client::Browser;

const MINUTE: i64 = 60;

both!(a_login_through_the_page_sets_a_strict_http_only_cookie);
async fn a_login_through_the_page_sets_a_strict_http_only_cookie(app: TestApp) {
    app.seed().await;
    let before = app.last_seq().await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/inloggen").await;
    let login_cookie = form.set_cookie("cho_login").expect("a login cookie");
    assert!(login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Strict"));
    let answer = browser.login(OWNER_A.0, OWNER_A.1).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location(), "/");
    let cookie = answer.set_cookie("cho_session").expect("a session cookie");
    for part in ["; Path=/", "; HttpOnly", "; SameSite=Strict"] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    // http: no Secure (the browser would drop it), no __Host- prefix.
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(answer.set_cookie("__Host-cho_session").is_none());
    // The login cookie is spent.
    assert!(!browser.cookies.contains_key("cho_login"));
    // The same audit event as an API login.
    let events = app.events_after(before).await;
    assert!(events.iter().any(|e| e.1 == "login"), "{events:?}");
    // The session works for pages, and is a session like the API's.
    let start = browser.get("/").await;
    start.assert_contains("Mijn zaak");
    start.assert_contains("Uitloggen");
    let token = browser.cookies["cho_session"].clone();
    let (status, me) = app.get("/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "owner");
}

both!(behind_https_the_cookie_is_secure_with_the_host_prefix);
async fn behind_https_the_cookie_is_secure_with_the_host_prefix(mut app: TestApp) {
    app.seed().await;
    app.rebuild(|a| a.public_url = "https://cho.example".to_owned());
    let mut browser = Browser::new(&app);
    let form = browser.get("/inloggen").await;
    let login_cookie = form.set_cookie("__Host-cho_login").expect("login cookie");
    assert!(login_cookie.contains("; Secure"), "{login_cookie}");
    let answer = browser.login(OWNER_A.0, OWNER_A.1).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let cookie = answer
        .set_cookie("__Host-cho_session")
        .expect("session cookie");
    for part in ["; Path=/", "; HttpOnly", "; SameSite=Strict", "; Secure"] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert_eq!(browser.get("/account").await.status, StatusCode::OK);
    // The http origin is foreign to an https deployment.
    let csrf = browser.csrf().await;
    browser.origin = "http://cho.example".to_owned();
    let page = browser.post("/uitloggen", &[("csrf", &csrf)]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

both!(a_failed_login_says_so_and_sets_no_session);
async fn a_failed_login_says_so_and_sets_no_session(app: TestApp) {
    app.seed().await;
    for (username, password) in [(OWNER_A.0, "not the password"), ("nobody", OWNER_A.1)] {
        let mut browser = Browser::new(&app);
        let page = browser.login(username, password).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        page.assert_contains("De gebruikersnaam of het wachtwoord klopt niet.");
        page.assert_contains("role=\"alert\"");
        assert!(page.set_cookie("cho_session").is_none());
        // The password is never sent back; the username is kept.
        assert!(!page.body.contains(password));
        page.assert_contains(&format!("value=\"{username}\""));
        // And the form can be sent again (a fresh token).
        assert!(!page.csrf().is_empty());
    }
}

both!(repeated_failures_are_throttled_with_the_wait_shown);
async fn repeated_failures_are_throttled_with_the_wait_shown(app: TestApp) {
    app.seed().await;
    let mut browser = Browser::new(&app).english();
    let mut throttled = None;
    for _ in 0..40 {
        let page = browser.login(OWNER_A.0, "wrong password again").await;
        if page.status == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some(page);
            break;
        }
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let page = throttled.expect("throttled");
    let wait = page.headers["retry-after"].to_str().unwrap().to_owned();
    page.assert_contains(&format!("Try again in {wait} seconds."));
    // The right password is refused too until the wait is over, as on the API.
    let page = browser.login(OWNER_A.0, OWNER_A.1).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(wait.parse::<i64>().unwrap() + 3600);
    let page = browser.login(OWNER_A.0, OWNER_A.1).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

both!(a_session_ends_after_thirty_idle_minutes);
async fn a_session_ends_after_thirty_idle_minutes(app: TestApp) {
    app.seed().await;
    let mut browser = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    // Each request restarts the idle time.
    for _ in 0..3 {
        app.clock.advance(29 * MINUTE);
        assert_eq!(browser.get("/account").await.status, StatusCode::OK);
    }
    // Requests within a minute are not written, and do not restart it.
    app.clock.advance(30);
    assert_eq!(browser.get("/account").await.status, StatusCode::OK);
    app.clock.advance(30 * MINUTE - 30);
    let page = browser.get("/account").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/inloggen?verlopen=1");
    assert!(!browser.cookies.contains_key("cho_session"));
    let login = browser.get(page.location()).await;
    login.assert_contains("Uw sessie is verlopen.");
    // The token is dead for the API as well.
    // (An idle-expired session stays dead when activity resumes.)
    let mut english = Browser::new(&app).english();
    english
        .cookies
        .insert("cho_session".to_owned(), "stale".to_owned());
    let page = english.get("/account").await;
    assert_eq!(page.location(), "/inloggen?verlopen=1");
    english
        .get(page.location())
        .await
        .assert_contains("Your session has expired.");
}

both!(a_session_ends_at_its_absolute_limit_however_busy);
async fn a_session_ends_at_its_absolute_limit_however_busy(app: TestApp) {
    app.seed().await;
    let mut browser = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    let token = browser.cookies["cho_session"].clone();
    // A request every 20 minutes for 11 h 40 min.
    for _ in 0..35 {
        app.clock.advance(20 * MINUTE);
        assert_eq!(browser.get("/account").await.status, StatusCode::OK);
    }
    app.clock.advance(20 * MINUTE);
    let page = browser.get("/account").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/inloggen?verlopen=1");
    assert_eq!(
        app.get("/api/v1/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

both!(api_sessions_have_no_idle_limit);
async fn api_sessions_have_no_idle_limit(app: TestApp) {
    app.seed().await;
    let token = app.login(OWNER_A.0, OWNER_A.1).await;
    app.clock.advance(11 * 3600);
    assert_eq!(app.get("/api/v1/me", &token).await.0, StatusCode::OK);
}

both!(forms_without_the_right_token_or_origin_are_refused);
async fn forms_without_the_right_token_or_origin_are_refused(app: TestApp) {
    app.seed().await;
    let mut browser = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    let csrf = browser.csrf().await;
    let ours = app.app.public_url.clone();
    let referer = format!("{ours}/account");
    let other = Browser::new(&app).logged_in(OWNER_A2.0, OWNER_A2.1).await;
    let mut other = other;
    let others_token = other.csrf().await;
    for (fields, from) in [
        // No token.
        (vec![], Some(("origin", ours.as_str()))),
        // A wrong token, and another session's token.
        (vec![("csrf", "AAAA")], Some(("origin", ours.as_str()))),
        (
            vec![("csrf", others_token.as_str())],
            Some(("origin", ours.as_str())),
        ),
        // The right token from a foreign page.
        (
            vec![("csrf", csrf.as_str())],
            Some(("origin", "http://evil.example")),
        ),
        (
            vec![("csrf", csrf.as_str())],
            Some(("referer", "http://evil.example/x")),
        ),
        (vec![("csrf", csrf.as_str())], Some(("origin", "null"))),
        // Neither Origin nor Referer.
        (vec![("csrf", csrf.as_str())], None),
    ] {
        let page = browser.post_with("/uitloggen", &fields, from).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{fields:?} {from:?}");
        page.assert_contains("Formulier geweigerd");
    }
    // Still logged in.
    assert_eq!(browser.get("/account").await.status, StatusCode::OK);
    // A Referer of ours stands in for a missing Origin.
    let page = browser
        .post_with(
            "/uitloggen",
            &[("csrf", &csrf)],
            Some(("referer", &referer)),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    // The login form's token is bound to its own cookie.
    let mut fresh = Browser::new(&app);
    fresh.get("/inloggen").await;
    let page = fresh
        .post(
            "/inloggen",
            &[
                ("csrf", others_token.as_str()),
                ("username", OWNER_A.0),
                ("password", OWNER_A.1),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

both!(logout_ends_the_session);
async fn logout_ends_the_session(app: TestApp) {
    app.seed().await;
    let mut browser = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    let token = browser.cookies["cho_session"].clone();
    let csrf = browser.csrf().await;
    let page = browser.post("/uitloggen", &[("csrf", &csrf)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/inloggen?uitgelogd=1");
    assert!(
        page.set_cookie("cho_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    browser
        .get(page.location())
        .await
        .assert_contains("U bent uitgelogd.");
    // The old cookie, sent again, gets nothing.
    browser
        .cookies
        .insert("cho_session".to_owned(), token.clone());
    let page = browser.get("/account").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/api/v1/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Logging out takes a POST.
    let page = Browser::new(&app).get("/uitloggen").await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
}

both!(the_password_change_ends_every_session);
async fn the_password_change_ends_every_session(app: TestApp) {
    app.seed().await;
    let mut browser = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    let api_token = app.login(OWNER_A.0, OWNER_A.1).await;
    let csrf = browser.csrf().await;
    let new = "a brand new password 2026";
    let change = |current: &'static str, new: &'static str, repeat: &'static str| {
        [
            ("current_password", current),
            ("new_password", new),
            ("repeat_password", repeat),
        ]
    };
    // The two new ones differ.
    let mut fields = change(OWNER_A.1, new, "something else entirely").to_vec();
    fields.push(("csrf", &csrf));
    let page = browser.post("/account/wachtwoord", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("De twee nieuwe wachtwoorden zijn niet gelijk.");
    // Too short.
    let mut fields = change(OWNER_A.1, "short", "short").to_vec();
    fields.push(("csrf", &csrf));
    let page = browser.post("/account/wachtwoord", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("minstens 12 tekens");
    // The wrong current password.
    let mut fields = change("not my password", new, new).to_vec();
    fields.push(("csrf", &csrf));
    let page = browser.post("/account/wachtwoord", &fields).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    page.assert_contains("Het huidige wachtwoord klopt niet.");
    // Right: every session ends, this one and the API's.
    let mut fields = change(OWNER_A.1, new, new).to_vec();
    fields.push(("csrf", &csrf));
    let page = browser.post("/account/wachtwoord", &fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/inloggen?gewijzigd=1");
    browser
        .get(page.location())
        .await
        .assert_contains("Uw wachtwoord is gewijzigd.");
    assert_eq!(
        app.get("/api/v1/me", &api_token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        browser.login(OWNER_A.0, OWNER_A.1).await.status,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = app
        .request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": OWNER_A.0, "password": new})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        browser.login(OWNER_A.0, new).await.status,
        StatusCode::SEE_OTHER
    );
}
