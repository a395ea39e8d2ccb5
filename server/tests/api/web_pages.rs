//! The pages: each in Dutch and English (by `Accept-Language` and by the
//! switch's cookie), the error pages, the headers of pages and assets.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::both;
use crate::fixtures::{BEHEERDER_A, OPERATOR, OWNER_A};
use crate::harness::TestApp;
use crate::web_client::{Browser, Page};

/// The page headers: a CSP without `unsafe-inline` that forbids frames,
/// scripts and foreign forms; nosniff; same-origin referrers; no-store.
#[track_caller]
fn assert_page_headers(page: &Page) {
    let h = &page.headers;
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    for part in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "style-src 'self'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(part), "{csp} lacks {part}");
    }
    assert!(!csp.contains("script-src"), "{csp}");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::REFERRER_POLICY], "same-origin");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
}

both!(every_public_page_in_dutch_and_english);
async fn every_public_page_in_dutch_and_english(app: TestApp) {
    for (path, status, nl, en) in [
        ("/", StatusCode::OK, "CHO-deurcontrole", "CHO door check"),
        ("/inloggen", StatusCode::OK, "Gebruikersnaam", "Username"),
        (
            "/toegankelijkheid",
            StatusCode::OK,
            "voldoet gedeeltelijk",
            "partially compliant",
        ),
        (
            "/bestaat-niet",
            StatusCode::NOT_FOUND,
            "Pagina niet gevonden",
            "Page not found",
        ),
    ] {
        // Dutch by default.
        let page = Browser::new(&app).get(path).await;
        assert_eq!(page.status, status, "{path}");
        page.assert_lang("nl");
        page.assert_contains(nl);
        page.assert_contains("Direct naar de inhoud");
        page.assert_contains("href=\"/toegankelijkheid\"");
        assert_page_headers(&page);
        // English by Accept-Language.
        let page = Browser::new(&app).english().get(path).await;
        assert_eq!(page.status, status, "{path}");
        page.assert_lang("en");
        page.assert_contains(en);
        page.assert_contains("Skip to content");
        // English by the switch, which beats Accept-Language, and back.
        let mut browser = Browser::new(&app);
        browser.accept_language = Some("nl".to_owned());
        let switched = browser.get(&format!("/taal/en?terug={path}")).await;
        assert_eq!(switched.status, StatusCode::SEE_OTHER);
        assert_eq!(switched.location(), path);
        let cookie = switched.set_cookie("lang").unwrap();
        assert!(cookie.contains("Max-Age=31536000"), "{cookie}");
        let page = browser.get(path).await;
        page.assert_lang("en");
        page.assert_contains(en);
        page.assert_contains("href=\"/taal/nl?terug=");
        browser.get("/taal/nl?terug=/").await;
        browser.get(path).await.assert_lang("nl");
    }
}

both!(every_logged_in_page_in_dutch_and_english_for_each_role);
async fn every_logged_in_page_in_dutch_and_english_for_each_role(app: TestApp) {
    app.seed().await;
    for (who, role_nl, role_en, area) in [
        (
            OWNER_A,
            "horecaondernemer",
            "venue owner",
            Some("Binnenstad Zwolle"),
        ),
        (
            BEHEERDER_A,
            "beheerder van het gebied",
            "area administrator",
            Some("Binnenstad Zwolle"),
        ),
        (OPERATOR, "operator", "service operator", None),
    ] {
        let mut nl = Browser::new(&app).logged_in(who.0, who.1).await;
        let mut en = Browser::new(&app).english().logged_in(who.0, who.1).await;
        for (browser, role, texts) in [
            (&mut nl, role_nl, ["Welkom, ", "Mijn account", "Uitloggen"]),
            (&mut en, role_en, ["Welcome, ", "My account", "Log out"]),
        ] {
            let start = browser.get("/").await;
            assert_eq!(start.status, StatusCode::OK);
            assert_page_headers(&start);
            let starts_elsewhere = who == BEHEERDER_A || who == OWNER_A;
            if who == BEHEERDER_A {
                // The beheerder starts on the area overview (area.rs).
                start.assert_contains("href=\"/gebied/zaken\"");
            } else if who == OWNER_A {
                // The owner starts on their venue's dashboard (owner.rs).
                start.assert_contains(if role == role_nl {
                    "Mijn zaak"
                } else {
                    "My venue"
                });
                start.assert_contains("Café De Kroon");
            } else {
                start.assert_contains(&format!(", {}.", who.0));
                start.assert_contains(role);
            }
            for text in texts.iter().skip(usize::from(starts_elsewhere)) {
                start.assert_contains(text);
            }
            if let Some(area) = area {
                start.assert_contains(area);
            }
            let account = browser.get("/account").await;
            assert_eq!(account.status, StatusCode::OK);
            assert_page_headers(&account);
            account.assert_contains(who.0);
            account.assert_contains(role);
            account.assert_contains("name=\"current_password\"");
            account.assert_contains("autocomplete=\"new-password\"");
        }
        nl.get("/account").await.assert_lang("nl");
        en.get("/account").await.assert_lang("en");
    }
}

both!(error_pages_in_both_languages);
async fn error_pages_in_both_languages(app: TestApp) {
    app.seed().await;
    for (english, texts) in [
        (
            false,
            [
                "Pagina niet gevonden",
                "Niet toegestaan",
                "Formulier geweigerd",
                "Er ging iets mis",
            ],
        ),
        (
            true,
            [
                "Page not found",
                "Not allowed",
                "Form refused",
                "Something went wrong",
            ],
        ),
    ] {
        let lang = if english { "en" } else { "nl" };
        let browser = || {
            let b = Browser::new(&app);
            if english { b.english() } else { b }
        };
        // 404
        let page = browser().get("/nergens/te/vinden").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        page.assert_lang(lang);
        page.assert_contains(texts[0]);
        assert_page_headers(&page);
        // 405
        let page = browser().post("/toegankelijkheid", &[]).await;
        assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
        page.assert_lang(lang);
        page.assert_contains(texts[1]);
        // 403: a form without its token.
        let page = browser()
            .post("/inloggen", &[("username", "x"), ("password", "y")])
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        page.assert_lang(lang);
        page.assert_contains(texts[2]);
        assert_page_headers(&page);
    }
    // 429 in both languages: the login form says how long to wait.
    for (english, text) in [(false, "Probeer het over"), (true, "Try again in")] {
        let mut b = Browser::new(&app);
        if english {
            b = b.english();
        }
        let mut last = None;
        for _ in 0..40 {
            let page = b.login(OWNER_A.0, "wrong password here").await;
            if page.status == StatusCode::TOO_MANY_REQUESTS {
                last = Some(page);
                break;
            }
            assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        }
        let page = last.expect("throttled within 40 attempts");
        page.assert_contains(text);
        assert!(page.headers.contains_key(header::RETRY_AFTER));
        app.clock.advance(3600);
    }
    // 500: the database is gone; the page says so without details.
    let mut nl = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    let mut en = Browser::new(&app)
        .english()
        .logged_in(OWNER_A.0, OWNER_A.1)
        .await;
    app.db().close().await;
    for (browser, lang, text) in [
        (&mut nl, "nl", "Er ging iets mis"),
        (&mut en, "en", "Something went wrong"),
    ] {
        let page = browser.get("/account").await;
        assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
        page.assert_lang(lang);
        page.assert_contains(text);
        assert!(!page.body.to_lowercase().contains("pool"), "{}", page.body);
    }
}

both!(the_json_interface_keeps_json_errors);
async fn the_json_interface_keeps_json_errors(app: TestApp) {
    let page = Browser::new(&app).get("/api/v1/nothing").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.starts_with("{\"error\""), "{}", page.body);
    assert!(!page.headers.contains_key(header::CONTENT_SECURITY_POLICY));
    let page = Browser::new(&app).get("/healthz").await;
    assert_eq!(page.status, StatusCode::OK);
}

both!(the_stylesheet_is_hashed_immutable_and_gzipped_when_asked);
async fn the_stylesheet_is_hashed_immutable_and_gzipped_when_asked(app: TestApp) {
    let landing = Browser::new(&app).get("/").await;
    let marker = "rel=\"stylesheet\" href=\"";
    let start = landing.body.find(marker).unwrap() + marker.len();
    let url = &landing.body[start..start + landing.body[start..].find('"').unwrap()];
    assert!(
        url.starts_with("/assets/site.") && url.ends_with(".css"),
        "{url}"
    );
    let send = |accept: Option<&'static str>| {
        let mut request = Request::get(url);
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT_ENCODING, accept);
        }
        app.send(request.body(Body::empty()).unwrap())
    };
    let (status, headers, plain) = send(None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(!headers.contains_key(header::CONTENT_ENCODING));
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let text = String::from_utf8(plain.clone()).unwrap();
    assert!(text.contains(".utrecht-button") && text.contains(".voorbeeld-theme"));
    let (status, headers, gzipped) = send(Some("gzip, deflate, br")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(headers[header::VARY], "Accept-Encoding");
    assert!(
        gzipped.len() * 4 < plain.len(),
        "{} vs {}",
        gzipped.len(),
        plain.len()
    );
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(gzipped.as_slice()),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, plain);
    // Any other name is not there.
    let (status, _, _) = app
        .send(
            Request::get("/assets/site.0000.css")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

both!(the_language_switch_returns_only_to_this_site);
async fn the_language_switch_returns_only_to_this_site(app: TestApp) {
    for (back, expected) in [
        ("/account", "/account"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/%5Cevil.example", "/\\evil.example"),
    ] {
        let page = Browser::new(&app)
            .get(&format!("/taal/en?terug={back}"))
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        if expected.starts_with("/\\") {
            assert_eq!(page.location(), "/");
        } else {
            assert_eq!(page.location(), expected);
        }
    }
    // An unknown language changes nothing.
    let page = Browser::new(&app).get("/taal/de?terug=/").await;
    assert!(page.set_cookie("lang").is_none());
}

both!(the_beheerders_navigation_groups_the_procedures);
/// The beheerder's navigation fits one row at 1280 px: the procedures for
/// the banned person (four-eyes, complaints, requests) are one group, a
/// native `<details>` disclosure (opens by keyboard, works without JS),
/// in both languages; the other roles' navigation has no group.
async fn the_beheerders_navigation_groups_the_procedures(app: TestApp) {
    let _s = app.seed().await;
    for (lang, group) in [("nl", "Procedures"), ("en", "Procedures")] {
        let b = Browser::new(&app);
        let mut b = if lang == "en" { b.english() } else { b }
            .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
            .await;
        let page = b.get("/gebied/verboden").await;
        assert_eq!(page.status, StatusCode::OK);
        let nav_start = page.body.find("<nav class=\"utrecht-nav-bar").unwrap();
        let nav = &page.body[nav_start..nav_start + page.body[nav_start..].find("</nav>").unwrap()];
        let menu = nav
            .find("<details class=\"cho-nav__menu\">")
            .expect("a group");
        let menu_end = nav.find("</details>").unwrap();
        let inside = &nav[menu..menu_end];
        assert!(inside.contains(&format!(">{group}</summary>")), "{inside}");
        for href in [
            "/gebied/goedkeuren",
            "/gebied/bezwaren",
            "/gebied/verzoeken",
        ] {
            assert!(
                inside.contains(&format!("href=\"{href}\"")),
                "{href} in {inside}"
            );
        }
        // Nine top-level entries (the group counted once) instead of
        // eleven, beside the logout button.
        let top_level = nav.matches("class=\"utrecht-nav-list__item").count();
        assert_eq!(top_level, 9, "{nav}");
    }
    let mut owner = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    owner.get("/zaak").await.assert_lacks("cho-nav__menu");
}
