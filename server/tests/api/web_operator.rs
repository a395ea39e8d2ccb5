//! The operator's pages (`/beheer`), the public area pages and door signs,
//! the municipality's stylesheet and logo, and the deployment's contact
//! in every footer.

use axum::http::{StatusCode, header};
use base64::Engine;
use serde_json::json;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;
use crate::web_client::{Browser, Page};

/// The value of the hidden field `name` after `after` in the page.
fn hidden_after(page: &Page, after: &str) -> String {
    let start = page.body.find(after).expect("marker");
    let marker = "name=\"csrf\" value=\"";
    let from = start + page.body[start..].find(marker).unwrap() + marker.len();
    let end = page.body[from..].find('"').unwrap();
    page.body[from..from + end].to_owned()
}

both!(the_operator_pages_are_for_the_operator_only);
async fn the_operator_pages_are_for_the_operator_only(app: TestApp) {
    let s = app.seed().await;
    let paths = [
        "/beheer".to_owned(),
        format!("/beheer/gemeenten/{}", s.municipality_a),
        format!("/beheer/gebieden/{}", s.area_a),
    ];
    // The operator, in both languages, never sees a banned person.
    let mut nl = Browser::new(&app).logged_in(OPERATOR.0, OPERATOR.1).await;
    let mut en = Browser::new(&app)
        .english()
        .logged_in(OPERATOR.0, OPERATOR.1)
        .await;
    for path in &paths {
        let page = nl.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        page.assert_lang("nl");
        page.assert_no_demo_names();
        assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
        let page = en.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        page.assert_lang("en");
        page.assert_no_demo_names();
    }
    let overview = nl.get("/beheer").await;
    overview.assert_contains("Beheer van de dienst");
    overview.assert_contains("Zwolle");
    overview.assert_contains("Binnenstad Zwolle");
    overview.assert_contains("Deventer");
    overview.assert_contains(BEHEERDER_A.0);
    en.get("/beheer")
        .await
        .assert_contains("Service administration");
    // The nav and the start page lead there.
    nl.get("/").await.assert_contains("href=\"/beheer\"");

    // A beheerder and an owner: 403 pages in their language.
    for who in [BEHEERDER_A, OWNER_A] {
        let mut b = Browser::new(&app).logged_in(who.0, who.1).await;
        for path in &paths {
            let page = b.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{} {path}", who.0);
            page.assert_contains("Geen toegang");
            page.assert_lacks("href=\"/beheer\"");
        }
        let page = Browser::new(&app)
            .english()
            .logged_in(who.0, who.1)
            .await
            .get("/beheer")
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        page.assert_lang("en");
    }
    // Nobody logged in: to the login page.
    let page = Browser::new(&app).get("/beheer").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/inloggen");
    // A municipality or area that does not exist: 404.
    assert_eq!(
        nl.get("/beheer/gebieden/999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        nl.get("/beheer/gemeenten/999999").await.status,
        StatusCode::NOT_FOUND
    );
}

both!(the_operator_creates_a_municipality_an_area_and_a_beheerder);
async fn the_operator_creates_a_municipality_an_area_and_a_beheerder(app: TestApp) {
    app.seed().await;
    let mut op = Browser::new(&app).logged_in(OPERATOR.0, OPERATOR.1).await;
    let csrf = op.csrf().await;

    // An empty name: the form again, the error at the top and the field.
    let page = op
        .post("/beheer/gemeenten", &[("csrf", &csrf), ("name", "  ")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Er is een probleem");
    page.assert_contains("href=\"#municipality_name\"");
    page.assert_contains("id=\"municipality_name_error\"");

    let page = op
        .post("/beheer/gemeenten", &[("csrf", &csrf), ("name", "Kampen")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/beheer?gedaan=gemeente");
    let overview = op.get("/beheer?gedaan=gemeente").await;
    overview.assert_contains("De gemeente is toegevoegd.");
    overview.assert_contains("Kampen");
    let municipality = app.db().pool().clone();
    let kampen: i64 = sqlx::query_scalar("SELECT id FROM municipalities WHERE name = 'Kampen'")
        .fetch_one(&municipality)
        .await
        .unwrap();

    // Out of range: the form keeps what was typed, the error at its field.
    let kampen_text = kampen.to_string();
    let page = op
        .post(
            "/beheer/gebieden",
            &[
                ("csrf", &csrf),
                ("municipality", &kampen_text),
                ("name", "Oude Stad Kampen"),
                ("complaint_window_days", "400"),
                ("retention_days", "28"),
                ("max_list_age_minutes", "1440"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("href=\"#complaint_window_days\"");
    page.assert_contains("value=\"Oude Stad Kampen\"");
    page.assert_contains("value=\"400\"");

    let page = op
        .post(
            "/beheer/gebieden",
            &[
                ("csrf", &csrf),
                ("municipality", &kampen_text),
                ("name", "Oude Stad Kampen"),
                ("complaint_window_days", "14"),
                ("retention_days", "28"),
                ("max_list_age_minutes", "1440"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let area_path = page.location().split('?').next().unwrap().to_owned();
    let area = op.get(&area_path).await;
    assert_eq!(area.status, StatusCode::OK);
    area.assert_contains("Oude Stad Kampen");
    area.assert_contains("14 dagen");
    area.assert_contains("1440 minuten");
    area.assert_contains("Nog geen beheerder.");

    // A beheerder for the area; the password is never sent back.
    let page = op
        .post(
            &format!("{area_path}/beheerders"),
            &[
                ("csrf", &csrf),
                ("username", "kampen-beheer"),
                ("password", "kort"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("href=\"#password\"");
    page.assert_contains("value=\"kampen-beheer\"");
    page.assert_lacks("value=\"kort\"");
    let page = op
        .post(
            &format!("{area_path}/beheerders"),
            &[
                ("csrf", &csrf),
                ("username", "kampen-beheer"),
                ("password", "kampen-beheer-wachtwoord"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let area = op.get(&area_path).await;
    area.assert_contains("kampen-beheer");
    let beheerder = app.account_id("kampen-beheer").await;
    let area_id = area_path.rsplit('/').next().unwrap().to_owned();

    // The beheerder logs in; the operator disables them: the session ends.
    let mut beh = Browser::new(&app)
        .logged_in("kampen-beheer", "kampen-beheer-wachtwoord")
        .await;
    assert_eq!(beh.get("/account").await.status, StatusCode::OK);
    let page = op
        .post(
            &format!("/beheer/accounts/{beheerder}/uitschakelen"),
            &[("csrf", &csrf), ("area", &area_id)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), format!("{area_path}?gedaan=uitgeschakeld"));
    assert_eq!(beh.get("/account").await.status, StatusCode::SEE_OTHER);
    op.get(&area_path).await.assert_contains("uitgeschakeld");
    let page = op
        .post(
            &format!("/beheer/accounts/{beheerder}/inschakelen"),
            &[("csrf", &csrf), ("area", &area_id)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);

    // A reset: the one-time password shown once, on that answer only.
    let page = op
        .post(
            &format!("/beheer/accounts/{beheerder}/wachtwoord"),
            &[("csrf", &csrf), ("area", &area_id)],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("eenmalige wachtwoord van kampen-beheer");
    let marker = "cho-one-time\">";
    let start = page.body.find(marker).unwrap() + marker.len();
    let password = page.body[start..start + page.body[start..].find('<').unwrap()].to_owned();
    assert_eq!(password.len(), 24, "{password}");
    op.get(&area_path).await.assert_lacks(&password);
    let answer = Browser::new(&app).login("kampen-beheer", &password).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location(), "/account#wachtwoord");

    // End sessions.
    let mut beh = Browser::new(&app);
    beh.login("kampen-beheer", &password).await;
    let page = op
        .post(
            &format!("/beheer/accounts/{beheerder}/sessies-beeindigen"),
            &[("csrf", &csrf), ("area", &area_id)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(beh.get("/account").await.status, StatusCode::SEE_OTHER);

    // Another operator's account or an owner's: not the operator's to
    // manage here.
    let owner = app.account_id(OWNER_A.0).await;
    let page = op
        .post(
            &format!("/beheer/accounts/{owner}/uitschakelen"),
            &[("csrf", &csrf), ("area", &area_id)],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // An unknown action.
    let page = op
        .post(
            &format!("/beheer/accounts/{beheerder}/wissen"),
            &[("csrf", &csrf), ("area", &area_id)],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

both!(the_operators_forms_refuse_a_foreign_origin_or_a_wrong_token);
async fn the_operators_forms_refuse_a_foreign_origin_or_a_wrong_token(app: TestApp) {
    let s = app.seed().await;
    let mut op = Browser::new(&app).logged_in(OPERATOR.0, OPERATOR.1).await;
    let csrf = op.csrf().await;
    let beheerder = app.account_id(BEHEERDER_A.0).await;
    let area = s.area_a.to_string();
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/beheer/gemeenten".to_owned(), vec![("name", "Kampen")]),
        (
            "/beheer/gebieden".to_owned(),
            vec![("municipality", "1"), ("name", "X")],
        ),
        (
            format!("/beheer/gemeenten/{}/huisstijl", s.municipality_a),
            vec![("colour", "#1d4f91")],
        ),
        (
            format!("/beheer/gebieden/{}/beheerders", s.area_a),
            vec![("username", "x-beheer"), ("password", "x-beheer-password")],
        ),
        (
            format!("/beheer/accounts/{beheerder}/uitschakelen"),
            vec![("area", &area)],
        ),
        (
            format!("/beheer/accounts/{beheerder}/wachtwoord"),
            vec![("area", &area)],
        ),
    ];
    let before = app.last_seq().await;
    for (path, fields) in &forms {
        let mut with_token = vec![("csrf", csrf.as_str())];
        with_token.extend(fields.iter().copied());
        let page = op
            .post_with(path, &with_token, Some(("origin", "https://evil.example")))
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        page.assert_contains("Formulier geweigerd");
        let mut wrong = vec![("csrf", "wrong")];
        wrong.extend(fields.iter().copied());
        let page = op.post(path, &wrong).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    // Nothing happened.
    assert_eq!(app.last_seq().await, before);
}

both!(the_public_area_page_and_door_signs_need_no_login);
async fn the_public_area_page_and_door_signs_need_no_login(app: TestApp) {
    let s = app.seed().await;
    let area_path = format!("/gebieden/{}", s.area_a);
    let sign_path = format!("/gebieden/{}/deurbord/{}", s.area_a, s.venue_a1);

    // The start page lists the areas with a public page.
    let mut nl = Browser::new(&app);
    let start = nl.get("/").await;
    start.assert_contains(&format!("href=\"{area_path}\""));
    start.assert_contains("Binnenstad Zwolle");

    let page = nl.get(&area_path).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_lang("nl");
    page.assert_contains("Horecaontzegging in Binnenstad Zwolle");
    page.assert_contains("Café De Kroon");
    page.assert_contains("Club De Fabriek");
    page.assert_contains(&format!("href=\"{sign_path}\""));
    page.assert_contains("Bezwaar maken");
    page.assert_contains("dagen");
    page.assert_no_demo_names();
    let page = Browser::new(&app).english().get(&area_path).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_lang("en");
    page.assert_contains("Hospitality ban in Binnenstad Zwolle");
    page.assert_contains("Objecting");

    // The sign: both languages on it, and the full public address.
    let page = nl.get(&sign_path).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Café De Kroon doet mee.");
    page.assert_contains("Café De Kroon takes part.");
    page.assert_contains(&format!("{}{area_path}", app.app.public_url));
    let page = Browser::new(&app).english().get(&sign_path).await;
    page.assert_lang("en");
    page.assert_contains("Café De Kroon takes part.");
    page.assert_contains("lang=\"nl\"");

    // The JSON interface's sign address leads to the page.
    let page = nl.get(&format!("/deurbord/{}", s.venue_a1)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), sign_path);
    // A venue under another area's address, an unknown area: 404.
    let page = nl
        .get(&format!("/gebieden/{}/deurbord/{}", s.area_b, s.venue_a1))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(
        nl.get("/gebieden/999999").await.status,
        StatusCode::NOT_FOUND
    );

    // Withdrawn: the venue leaves the page and its sign is gone.
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    assert_status(
        &app.put(
            &format!("/api/v1/venues/{}/admission", s.venue_a2),
            &beh,
            json!({"admitted_on": s.admitted_on, "withdrawn_on": "2026-11-28"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let page = nl
        .get(&format!("/gebieden/{}/deurbord/{}", s.area_a, s.venue_a2))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    page.assert_contains("Pagina niet gevonden");
    nl.get(&area_path).await.assert_lacks("Club De Fabriek");

    // Logged in, the same pages with the person's navigation.
    let mut owner = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    let page = owner.get(&area_path).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Uitloggen");
}

const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#123456"/></svg>"##;

both!(the_municipality_look_is_on_its_areas_pages_with_immutable_theme_and_logo);
async fn the_municipality_look_is_on_its_areas_pages_with_immutable_theme_and_logo(app: TestApp) {
    let s = app.seed().await;
    let area_path = format!("/gebieden/{}", s.area_a);
    // Without a colour (area B's municipality): no theme sheet.
    let page = Browser::new(&app)
        .get(&format!("/gebieden/{}", s.area_b))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_lacks("/thema/");

    // The operator sets the colour through the page.
    let mut op = Browser::new(&app).logged_in(OPERATOR.0, OPERATOR.1).await;
    let look_path = format!("/beheer/gemeenten/{}", s.municipality_a);
    let form = op.get(&look_path).await;
    let csrf = hidden_after(&form, "huisstijl\"");
    // Too light for white text: refused at the field, typed text kept.
    let page = op
        .post(
            &format!("{look_path}/huisstijl"),
            &[("csrf", &csrf), ("colour", "#ffff00")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("href=\"#colour\"");
    page.assert_contains("value=\"#ffff00\"");
    let page = op
        .post(
            &format!("{look_path}/huisstijl"),
            &[("csrf", &csrf), ("colour", "#1d4f91")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    op.get(&format!("{look_path}?gedaan=huisstijl"))
        .await
        .assert_contains("value=\"#1d4f91\"");

    // And a logo through the API.
    let token = app.login(OPERATOR.0, OPERATOR.1).await;
    let b64 = base64::engine::general_purpose::STANDARD.encode(SVG.as_bytes());
    assert_status(
        &app.put(
            &format!("/api/v1/municipalities/{}/look", s.municipality_a),
            &token,
            json!({"primary_colour": "#1d4f91", "logo_base64": b64, "logo_type": "image/svg+xml"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );

    // The area's public page, its sign and its beheerder's pages link the
    // theme and the logo; the operator's and another area's do not.
    let mut anyone = Browser::new(&app);
    let page = anyone.get(&area_path).await;
    let theme = page.body[page.body.find("/thema/").unwrap()..]
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(theme.starts_with(&format!("/thema/{}-", s.municipality_a)) && theme.ends_with(".css"));
    let logo = page.body[page.body.find("/logo/").unwrap()..]
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    page.assert_contains("<title>Horecaontzegging in Binnenstad Zwolle · Zwolle</title>");
    anyone
        .get(&format!("/gebieden/{}/deurbord/{}", s.area_a, s.venue_a1))
        .await
        .assert_contains(&theme);
    let mut beh = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    beh.get("/account").await.assert_contains(&theme);
    op.get("/beheer").await.assert_lacks("/thema/");
    anyone
        .get(&format!("/gebieden/{}", s.area_b))
        .await
        .assert_lacks("/thema/");

    // The theme: CSS, a year in any cache, the colour in the theme's
    // custom properties.
    let css = anyone.get(&theme).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert_eq!(
        css.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(css.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(
        css.body
            .contains("--utrecht-button-primary-action-background-color: #1d4f91;")
    );
    // A stale or forged hash: not found.
    let stale = format!("/thema/{}-0000000000000000.css", s.municipality_a);
    assert_eq!(anyone.get(&stale).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        anyone.get("/thema/zzz.css").await.status,
        StatusCode::NOT_FOUND
    );

    // The logo: its content type, nosniff, immutable, and an SVG's own
    // policy (an SVG is a document).
    let (status, headers, body) = app
        .send(
            axum::http::Request::get(&logo)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, SVG.as_bytes());
    assert_eq!(headers[header::CONTENT_TYPE], "image/svg+xml");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(
        headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        headers[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; style-src 'unsafe-inline'"
    );
    let forged = format!("/logo/{}-0000000000000000", s.municipality_a);
    assert_eq!(anyone.get(&forged).await.status, StatusCode::NOT_FOUND);

    // Setting the colour on the page keeps the logo.
    let page = op
        .post(
            &format!("{look_path}/huisstijl"),
            &[("csrf", &csrf), ("colour", "#0b3d91")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = anyone.get(&area_path).await;
    page.assert_contains(&logo);
    page.assert_lacks(&theme);
}

both!(every_footer_shows_the_deployments_contact);
async fn every_footer_shows_the_deployments_contact(mut app: TestApp) {
    let s = app.seed().await;
    app.rebuild(|a| {
        a.deployment = cho_server::services::look::Deployment::new(
            "CHO Overijssel",
            Some("cho@overijssel.example"),
        )
        .unwrap();
    });
    let mut anyone = Browser::new(&app);
    for path in [
        "/".to_owned(),
        "/toegankelijkheid".to_owned(),
        "/inloggen".to_owned(),
        format!("/gebieden/{}", s.area_a),
        "/bestaat-niet".to_owned(),
    ] {
        let page = anyone.get(&path).await;
        page.assert_contains("cho@overijssel.example");
    }
    anyone
        .get("/")
        .await
        .assert_contains("<title>CHO-deurcontrole · CHO Overijssel</title>");
    let mut op = Browser::new(&app).logged_in(OPERATOR.0, OPERATOR.1).await;
    op.get("/beheer")
        .await
        .assert_contains("cho@overijssel.example");
}

/// A real 16×16 PNG (one colour).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x91, 0x68,
    0x36, 0x00, 0x00, 0x00, 0x16, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x90, 0xf5, 0x9f, 0x48,
    0x12, 0x62, 0x18, 0xd5, 0x30, 0xaa, 0x61, 0xf8, 0x6a, 0x00, 0x00, 0x0d, 0xbd, 0xfd, 0x01, 0x04,
    0xaa, 0x60, 0xbd, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The `/logo/...` URL in a page, if any.
fn logo_url(page: &Page) -> Option<String> {
    let at = page.body.find("\"/logo/")?;
    page.body[at + 1..].split('"').next().map(str::to_owned)
}

both!(the_operator_uploads_and_removes_a_logo_on_the_municipality_page);
async fn the_operator_uploads_and_removes_a_logo_on_the_municipality_page(app: TestApp) {
    let s = app.seed().await;
    let look_path = format!("/beheer/gemeenten/{}", s.municipality_a);
    let upload = format!("{look_path}/logo");
    let area_path = format!("/gebieden/{}", s.area_a);
    let mut op = Browser::new(&app).logged_in(OPERATOR.0, OPERATOR.1).await;
    let mut anyone = Browser::new(&app);
    // The demo's logo: a preview, a button to remove it, the file input.
    let form = op.get(&look_path).await;
    let demo_logo = logo_url(&form).expect("the demo's logo");
    form.assert_contains("alt=\"Logo van Zwolle\"");
    form.assert_contains("enctype=\"multipart/form-data\"");
    form.assert_contains("type=\"file\" accept=\"image/png,image/svg+xml\"");
    form.assert_contains("<label class=\"utrecht-form-label\" for=\"logo\">Nieuw logo</label>");
    let csrf = form.csrf();
    let origin = app.app.public_url.clone();
    assert_eq!(
        logo_url(&anyone.get(&area_path).await).as_deref(),
        Some(demo_logo.as_str())
    );
    // Removed: no logo on either page.
    let page = op
        .post(&format!("{look_path}/logo/verwijderen"), &[("csrf", &csrf)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location(),
        format!("{look_path}?gedaan=logo-verwijderd")
    );
    let page = op.get(page.location()).await;
    page.assert_contains("Het logo is verwijderd.");
    page.assert_contains("Deze gemeente heeft geen logo.");
    page.assert_lacks("Logo verwijderen");
    assert_eq!(logo_url(&page), None);
    assert_eq!(logo_url(&anyone.get(&area_path).await), None);
    assert_eq!(anyone.get(&demo_logo).await.status, StatusCode::NOT_FOUND);
    // A colour first: the logo form keeps it.
    let page = op
        .post(
            &format!("{look_path}/huisstijl"),
            &[("csrf", &csrf), ("colour", "#1d4f91")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);

    // A PNG: saved, audited like the API path, back to the page with a
    // message and the preview.
    let before = app.last_seq().await;
    let page = op
        .post_multipart(
            &upload,
            &[("csrf", &csrf)],
            &[("logo", "zwolle.png", "image/png", PNG)],
            Some(&origin),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), format!("{look_path}?gedaan=logo"));
    let op_id = app.account_id(OPERATOR.0).await;
    assert_eq!(
        app.events_after(before).await,
        vec![(
            format!("account:{op_id}"),
            "municipality.look".to_owned(),
            "municipality".to_owned(),
            s.municipality_a.to_string()
        )]
    );
    let page = op.get(page.location()).await;
    page.assert_contains("Het logo is opgeslagen.");
    page.assert_contains("alt=\"Logo van Zwolle\"");
    page.assert_contains("Logo verwijderen");
    page.assert_contains("value=\"#1d4f91\"");
    let logo = logo_url(&page).expect("a preview");
    assert_eq!(
        logo,
        format!(
            "/logo/{}-{}",
            s.municipality_a,
            cho_server::domain::look::content_hash(PNG)
        )
    );
    // The public area page shows it in its header, with the theme.
    let public = anyone.get(&area_path).await;
    assert_eq!(logo_url(&public).as_deref(), Some(logo.as_str()));
    public.assert_contains("/thema/");
    let (status, headers, body) = app
        .send(
            axum::http::Request::get(&logo)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(body, PNG);

    // Refusals: each its own words, at the top and at the field, in the
    // person's language; nothing stored, nothing audited.
    let script = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let too_large = {
        let mut png = PNG.to_vec();
        png.resize(cho_server::domain::look::MAX_LOGO_BYTES + 1, 0);
        png
    };
    // Far over the route's body limit too.
    let far_too_large = vec![0u8; 4 * cho_server::domain::look::MAX_LOGO_BYTES];
    // (file name, declared type, bytes, status, Dutch text, English text)
    type Case<'a> = (&'a str, &'a str, &'a [u8], StatusCode, &'a str, &'a str);
    let cases: [Case; 6] = [
        (
            "logo.svg",
            "image/svg+xml",
            script,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Dit SVG-bestand bevat iets wat een logo niet mag bevatten",
            "This SVG file contains something a logo may not contain",
        ),
        (
            "logo.png",
            "image/png",
            &too_large,
            StatusCode::PAYLOAD_TOO_LARGE,
            "Het bestand is groter dan 64 KB.",
            "The file is larger than 64 KB.",
        ),
        (
            "logo.png",
            "image/png",
            &far_too_large,
            StatusCode::PAYLOAD_TOO_LARGE,
            "Het bestand is groter dan 64 KB.",
            "The file is larger than 64 KB.",
        ),
        (
            "logo.gif",
            "image/gif",
            b"GIF89a....",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Dit soort bestand kan niet.",
            "This kind of file cannot be used.",
        ),
        (
            "logo.png",
            "image/png",
            SVG.as_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Het bestand is geen PNG-afbeelding",
            "The file is not a PNG image",
        ),
        (
            "logo.svg",
            "image/svg+xml",
            b"<html></html>",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Het bestand is geen SVG-afbeelding",
            "The file is not an SVG image",
        ),
    ];
    let mut op_en = Browser::new(&app)
        .english()
        .logged_in(OPERATOR.0, OPERATOR.1)
        .await;
    let csrf_en = op_en.get(&look_path).await.csrf();
    let before = app.last_seq().await;
    for (file_name, content_type, bytes, status, nl, en) in cases {
        let page = op
            .post_multipart(
                &upload,
                &[("csrf", &csrf)],
                &[("logo", file_name, content_type, bytes)],
                Some(&origin),
            )
            .await;
        assert_eq!(page.status, status, "{file_name} {content_type}");
        page.assert_lang("nl");
        page.assert_contains("Er is een probleem:");
        page.assert_contains(&format!(
            "<a class=\"utrecht-link utrecht-link--html-a\" href=\"#logo\">{nl}"
        ));
        page.assert_contains(&format!("id=\"logo_error\">{nl}"));
        page.assert_contains("aria-invalid=\"true\" aria-describedby=\"logo_hint logo_error\"");
        // The current logo is still shown.
        assert_eq!(logo_url(&page).as_deref(), Some(logo.as_str()));
        let page = op_en
            .post_multipart(
                &upload,
                &[("csrf", &csrf_en)],
                &[("logo", file_name, content_type, bytes)],
                Some(&origin),
            )
            .await;
        assert_eq!(page.status, status, "{file_name} {content_type}");
        page.assert_lang("en");
        page.assert_contains(&format!("id=\"logo_error\">{en}"));
    }
    // No file chosen (a browser sends an empty part without a name).
    let page = op
        .post_multipart(
            &upload,
            &[("csrf", &csrf)],
            &[("logo", "", "application/octet-stream", b"")],
            Some(&origin),
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("id=\"logo_error\">Kies een PNG- of SVG-bestand.");
    assert_eq!(app.last_seq().await, before);
    assert_eq!(
        logo_url(&anyone.get(&area_path).await).as_deref(),
        Some(logo.as_str())
    );

    // An SVG replaces the PNG.
    let page = op
        .post_multipart(
            &upload,
            &[("csrf", &csrf)],
            &[("logo", "zwolle.svg", "image/svg+xml", SVG.as_bytes())],
            Some(&origin),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let svg_logo = logo_url(&anyone.get(&area_path).await).expect("a logo");
    assert_ne!(svg_logo, logo);

    // Removed again: the colour stays.
    let page = op
        .post(&format!("{look_path}/logo/verwijderen"), &[("csrf", &csrf)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let public = anyone.get(&area_path).await;
    assert_eq!(logo_url(&public), None);
    public.assert_contains("/thema/");
    assert_eq!(anyone.get(&svg_logo).await.status, StatusCode::NOT_FOUND);
}

both!(the_logo_form_refuses_a_missing_token_a_foreign_origin_and_other_roles);
async fn the_logo_form_refuses_a_missing_token_a_foreign_origin_and_other_roles(app: TestApp) {
    let s = app.seed().await;
    let look_path = format!("/beheer/gemeenten/{}", s.municipality_a);
    let upload = format!("{look_path}/logo");
    let remove = format!("{look_path}/logo/verwijderen");
    let origin = app.app.public_url.clone();
    let png = [("logo", "logo.png", "image/png", PNG)];
    let area_path = format!("/gebieden/{}", s.area_a);
    let demo_logo = logo_url(&Browser::new(&app).get(&area_path).await);
    assert!(demo_logo.is_some());
    let mut op = Browser::new(&app).logged_in(OPERATOR.0, OPERATOR.1).await;
    let csrf = op.csrf().await;
    let before = app.last_seq().await;
    // No token, a wrong one, a foreign origin, no origin: a 403 page.
    for (fields, from) in [
        (vec![], Some(origin.as_str())),
        (vec![("csrf", "wrong")], Some(origin.as_str())),
        (vec![("csrf", csrf.as_str())], Some("https://evil.example")),
        (vec![("csrf", csrf.as_str())], None),
    ] {
        let page = op.post_multipart(&upload, &fields, &png, from).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{fields:?} {from:?}");
        page.assert_contains("Formulier geweigerd");
    }
    // Removing: the same checks.
    let page = op.post(&remove, &[("csrf", "wrong")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = op.post(&remove, &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // Not multipart: refused.
    let page = op.post(&upload, &[("csrf", &csrf)]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    // A municipality that does not exist: 404.
    let page = op
        .post_multipart(
            "/beheer/gemeenten/999999/logo",
            &[("csrf", &csrf)],
            &png,
            Some(&origin),
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = op
        .post(
            "/beheer/gemeenten/999999/logo/verwijderen",
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // A beheerder and an owner, with their own valid tokens: 403.
    for who in [BEHEERDER_A, OWNER_A] {
        let mut b = Browser::new(&app).logged_in(who.0, who.1).await;
        let csrf = b.csrf().await;
        let page = b
            .post_multipart(&upload, &[("csrf", &csrf)], &png, Some(&origin))
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", who.0);
        page.assert_contains("Geen toegang");
        let page = b.post(&remove, &[("csrf", &csrf)]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", who.0);
    }
    // Nothing happened (but the logins).
    assert!(
        app.events_after(before)
            .await
            .iter()
            .all(|(_, action, _, _)| action != "municipality.look")
    );
    assert_eq!(
        logo_url(&Browser::new(&app).get(&area_path).await),
        demo_logo
    );
}
