//! The beheerder's pages (`web/area.rs`): every page in Dutch and
//! English, other roles refused (403) and another area's objects not
//! found (404), the forms with their errors (summary, field, what was
//! typed), the withdrawal's confirmation and the door phones it revokes,
//! the accounts' actions, the one-time password shown once, and CSRF.

use axum::http::{StatusCode, header};

use crate::both;
use crate::fixtures::{BEHEERDER_A, BEHEERDER_B, OPERATOR, OWNER_A, Seeded};
use crate::harness::TestApp;
use crate::web_client::Browser;

/// Every page of the beheerder with a text it shows in Dutch and English.
async fn pages(app: &TestApp, s: &Seeded) -> Vec<(String, &'static str, &'static str)> {
    let owner_a = app.account_id(OWNER_A.0).await;
    vec![
        ("/".into(), "Overzicht van het gebied", "Area overview"),
        ("/gebied".into(), "AP z2025-04711", "Active bans"),
        ("/gebied/protocol".into(), "Categorieën", "Categories"),
        (
            "/gebied/protocol/instellingen".into(),
            "Bezwaartermijn",
            "Objection period",
        ),
        ("/gebied/protocol/vergunning".into(), "Kenmerk", "Reference"),
        (
            "/gebied/protocol/contact".into(),
            "klachtencommissie",
            "Complaints committee",
        ),
        (
            "/gebied/protocol/categorieen/nieuw".into(),
            "Standaardduur",
            "Default duration",
        ),
        (
            format!("/gebied/protocol/categorieen/{}", s.category_a),
            "na de wijziging",
            "issued after it",
        ),
        ("/gebied/zaken".into(), "Café De Kroon", "KvK number"),
        ("/gebied/zaken/nieuw".into(), "KvK-nummer", "Eight digits"),
        (
            format!("/gebied/zaken/{}/toelaten", s.venue_a1),
            "Toegelaten vanaf",
            "Admitted from",
        ),
        (
            format!("/gebied/zaken/{}/intrekken", s.venue_a1),
            "deurtelefoons",
            "door phones",
        ),
        ("/gebied/accounts".into(), "kroon", "Last login"),
        (
            "/gebied/accounts/nieuw".into(),
            "Eerste wachtwoord",
            "First password",
        ),
        (
            format!("/gebied/accounts/{owner_a}"),
            "Overal uitloggen",
            "Log out everywhere",
        ),
    ]
}

both!(every_beheerder_page_in_dutch_and_english);
async fn every_beheerder_page_in_dutch_and_english(app: TestApp) {
    let s = app.seed().await;
    let mut nl = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let mut en = Browser::new(&app)
        .english()
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    for (path, nl_text, en_text) in pages(&app, &s).await {
        let page = nl.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        page.assert_lang("nl");
        page.assert_contains(nl_text);
        assert_eq!(page.headers[header::CACHE_CONTROL], "no-store", "{path}");
        // The beheerder's links are in the navigation.
        page.assert_contains("href=\"/gebied/accounts\"");
        let page = en.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        page.assert_lang("en");
        page.assert_contains(en_text);
    }
    // The overview: permit, venues with their state, bans, phones, list.
    let overview = nl.get("/gebied").await;
    for text in [
        "Vergunning",
        "Café De Kroon",
        "Toegelaten",
        "Actieve ontzeggingen",
        "Deurtelefoons",
        "Lijst",
    ] {
        overview.assert_contains(text);
    }
}

both!(other_roles_are_refused_and_other_areas_are_not_found);
async fn other_roles_are_refused_and_other_areas_are_not_found(app: TestApp) {
    let s = app.seed().await;
    let paths: Vec<String> = pages(&app, &s)
        .await
        .into_iter()
        .map(|p| p.0)
        .filter(|p| p != "/")
        .collect();
    // An owner and the operator may not use the beheerder's pages.
    for who in [OWNER_A, OPERATOR] {
        let mut browser = Browser::new(&app).logged_in(who.0, who.1).await;
        for path in &paths {
            let page = browser.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{} {path}", who.0);
            page.assert_lacks("Café De Kroon");
        }
        let csrf = browser.csrf().await;
        let owner_a = app.account_id(OWNER_A.0).await;
        let page = browser
            .post(
                &format!("/gebied/accounts/{owner_a}/uitschakelen"),
                &[("csrf", &csrf)],
            )
            .await;
        assert!(
            matches!(page.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{}",
            page.status
        );
    }
    // Not logged in: to the login page.
    let page = Browser::new(&app).get("/gebied").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/inloggen");

    // Area B's beheerder: area A's objects do not exist for them.
    let mut b = Browser::new(&app)
        .logged_in(BEHEERDER_B.0, BEHEERDER_B.1)
        .await;
    let owner_a = app.account_id(OWNER_A.0).await;
    for path in [
        format!("/gebied/protocol/categorieen/{}", s.category_a),
        format!("/gebied/zaken/{}/toelaten", s.venue_a1),
        format!("/gebied/zaken/{}/intrekken", s.venue_a1),
        format!("/gebied/accounts/{owner_a}"),
    ] {
        let page = b.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        page.assert_lacks("Café De Kroon");
        page.assert_lacks("kroon");
    }
    let csrf = b.csrf().await;
    for (path, fields) in [
        (format!("/gebied/accounts/{owner_a}/uitschakelen"), vec![]),
        (format!("/gebied/accounts/{owner_a}/wachtwoord"), vec![]),
        (format!("/gebied/accounts/{owner_a}/sessies"), vec![]),
        (
            format!("/gebied/accounts/{owner_a}/zaken"),
            vec![(format!("venue_{}", s.venue_b), "1".to_owned())],
        ),
        (
            format!("/gebied/zaken/{}/intrekken", s.venue_a1),
            vec![
                ("date".to_owned(), "2026-11-30".to_owned()),
                ("bevestigd".to_owned(), "ja".to_owned()),
            ],
        ),
        (
            format!("/gebied/protocol/categorieen/{}/intrekken", s.category_a),
            vec![],
        ),
    ] {
        let mut all: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        all.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let page = b.post(&path, &all).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Nothing of area A changed: the owner still logs in, the venue is
    // still admitted, the category still in use.
    let a = app.login(OWNER_A.0, OWNER_A.1).await;
    assert!(!a.is_empty());
    let mut beh_a = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let venues = beh_a.get("/gebied/zaken").await;
    venues.assert_contains("Toegelaten sinds");
    venues.assert_lacks("Ingetrokken op");
    let protocol = beh_a.get("/gebied/protocol").await;
    protocol.assert_lacks("Ingetrokken categorieën");
}

both!(the_protocol_forms_change_it_and_keep_what_was_typed_on_an_error);
async fn the_protocol_forms_change_it_and_keep_what_was_typed_on_an_error(app: TestApp) {
    let s = app.seed().await;
    let mut b = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let csrf = b.csrf().await;

    // Settings: a wrong value comes back with the summary, the field's
    // error and the typed values.
    let page = b
        .post(
            "/gebied/protocol/instellingen",
            &[
                ("csrf", &csrf),
                ("complaint_window_days", "120"),
                ("retention_days", "veertien"),
                ("max_list_age_hours", "48"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Er is een probleem");
    page.assert_contains("href=\"#retention_days\"");
    page.assert_contains("id=\"retention_days-error\"");
    page.assert_contains("value=\"veertien\"");
    page.assert_contains("value=\"120\"");
    page.assert_contains("aria-invalid=\"true\"");
    let page = b
        .post(
            "/gebied/protocol/instellingen",
            &[
                ("csrf", &csrf),
                ("complaint_window_days", "120"),
                ("retention_days", "30"),
                ("max_list_age_hours", "48"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("href=\"#complaint_window_days\"");
    let page = b
        .post(
            "/gebied/protocol/instellingen",
            &[
                ("csrf", &csrf),
                ("complaint_window_days", "21"),
                ("retention_days", "30"),
                ("max_list_age_hours", "48"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/gebied/protocol?klaar=settings");
    let protocol = b.get(page.location()).await;
    protocol.assert_contains("De instellingen van het protocol zijn opgeslagen.");
    protocol.assert_contains("21 dagen");
    protocol.assert_contains("48 uur");

    // Permit: dates as people type them, and an impossible pair refused.
    let page = b
        .post(
            "/gebied/protocol/vergunning",
            &[
                ("csrf", &csrf),
                ("reference", "AP z2026-1"),
                ("granted_on", "1-1-2027"),
                ("expires_on", "31-12-2026"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("href=\"#expires_on\"");
    page.assert_contains("value=\"AP z2026-1\"");
    let page = b
        .post(
            "/gebied/protocol/vergunning",
            &[
                ("csrf", &csrf),
                ("reference", "AP z2026-1"),
                ("granted_on", "1-1-2026"),
                ("expires_on", "2026-12-31"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    b.get("/gebied/protocol")
        .await
        .assert_contains("31 december 2026");
    // It expires within 60 days of the test clock: the overview warns.
    let overview = b.get("/gebied").await;
    overview.assert_contains("Verloopt binnenkort:");
    // And once expired, it says so (a new login: 40 days ended the
    // session).
    app.advance_days(40);
    let mut b = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let csrf = b.csrf().await;
    let overview = b.get("/gebied").await;
    overview.assert_contains("Verlopen:");

    // Contact: a wrong e-mail address marks that field, keeps the rest.
    let page = b
        .post(
            "/gebied/protocol/contact",
            &[
                ("csrf", &csrf),
                ("contact_email", "geen-adres"),
                ("contact_phone", "038 123 4567"),
                ("complaint_committee_address", "Postbus 1\n8000 AA Zwolle"),
                ("complaint_committee_email", ""),
                ("privacy_contact", ""),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.assert_contains("href=\"#contact_email\"");
    page.assert_contains("value=\"geen-adres\"");
    page.assert_contains("value=\"038 123 4567\"");
    page.assert_contains("Postbus 1\n8000 AA Zwolle</textarea>");
    let page = b
        .post(
            "/gebied/protocol/contact",
            &[
                ("csrf", &csrf),
                ("contact_email", "cho@zwolle.example"),
                ("contact_phone", "038 123 4567"),
                ("complaint_committee_address", "Postbus 1\n8000 AA Zwolle"),
                ("complaint_committee_email", ""),
                ("privacy_contact", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    b.get("/gebied/protocol")
        .await
        .assert_contains("038 123 4567");

    // Categories: add (an error first), change, retire.
    let page = b
        .post(
            "/gebied/protocol/categorieen/nieuw",
            &[
                ("csrf", &csrf),
                ("code", "vuurwerk"),
                ("name", "Vuurwerk afsteken"),
                ("default_days", "400"),
                ("max_days", "365"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("href=\"#default_days\"");
    page.assert_contains("value=\"vuurwerk\"");
    let page = b
        .post(
            "/gebied/protocol/categorieen/nieuw",
            &[
                ("csrf", &csrf),
                ("code", "vuurwerk"),
                ("name", "Vuurwerk afsteken"),
                ("default_days", "90"),
                ("max_days", "365"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    b.get("/gebied/protocol")
        .await
        .assert_contains("Vuurwerk afsteken");
    let page = b
        .post(
            &format!("/gebied/protocol/categorieen/{}", s.category_a),
            &[
                ("csrf", &csrf),
                ("name", "Geweld (licht)"),
                ("default_days", "100"),
                ("max_days", "300"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let protocol = b.get(page.location()).await;
    protocol.assert_contains("geldt voor ontzeggingen die vanaf nu worden opgelegd");
    protocol.assert_contains("Geweld (licht)");
    let page = b
        .post(
            &format!("/gebied/protocol/categorieen/{}/intrekken", s.category_a),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let protocol = b.get(page.location()).await;
    protocol.assert_contains("Ingetrokken categorieën");
    protocol.assert_contains("Bestaande ontzeggingen blijven gelden.");
    // A retired category is no longer edited.
    let page = b
        .get(&format!("/gebied/protocol/categorieen/{}", s.category_a))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

both!(a_withdrawal_is_confirmed_first_and_revokes_the_door_phones);
async fn a_withdrawal_is_confirmed_first_and_revokes_the_door_phones(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    crate::devices::enrol(&app, &owner, s.venue_a1).await;
    let revoked = || async { app.count("devices WHERE revoked_at IS NOT NULL").await };
    assert_eq!(revoked().await, 0);
    let mut b = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let csrf = b.csrf().await;
    let path = format!("/gebied/zaken/{}/intrekken", s.venue_a1);
    // A date that is not one comes back.
    let page = b.post(&path, &[("csrf", &csrf), ("date", "morgen")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("value=\"morgen\"");
    // First the confirmation, which changes nothing.
    let confirm = b
        .post(&path, &[("csrf", &csrf), ("date", "28-11-2026")])
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    confirm.assert_contains("Intrekken bevestigen");
    confirm.assert_contains("Café De Kroon");
    confirm.assert_contains("deurtelefoons van deze zaak worden ingetrokken");
    confirm.assert_contains("name=\"bevestigd\" value=\"ja\"");
    assert_eq!(revoked().await, 0);
    b.get("/gebied/zaken")
        .await
        .assert_contains("Toegelaten sinds");
    // Then the withdrawal: the phone is revoked at once.
    let done = b
        .post(
            &path,
            &[("csrf", &csrf), ("date", "2026-11-28"), ("bevestigd", "ja")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/gebied/zaken?klaar=venue_withdrawn");
    assert_eq!(revoked().await, 1);
    let venues = b.get(done.location()).await;
    venues.assert_contains("De deurtelefoons van de zaak zijn ingetrokken.");
    venues.assert_contains("Ingetrokken op 28 november 2026");
    // And admitted again.
    let page = b
        .post(
            &format!("/gebied/zaken/{}/toelaten", s.venue_a1),
            &[("csrf", &csrf), ("date", "2026-12-01")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    b.get("/gebied/zaken")
        .await
        .assert_contains("Toegelaten vanaf 1 december 2026");

    // A new venue: errors first, then added.
    let page = b
        .post(
            "/gebied/zaken/nieuw",
            &[
                ("csrf", &csrf),
                ("name", "Bar Nieuw"),
                ("address", ""),
                ("kvk_number", "1234"),
                ("admitted_on", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("href=\"#address\"");
    page.assert_contains("href=\"#kvk_number\"");
    page.assert_contains("value=\"Bar Nieuw\"");
    let page = b
        .post(
            "/gebied/zaken/nieuw",
            &[
                ("csrf", &csrf),
                ("name", "Bar Nieuw"),
                ("address", "Grote Markt 2"),
                ("kvk_number", "12345678"),
                ("admitted_on", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let venues = b.get("/gebied/zaken").await;
    venues.assert_contains("Bar Nieuw");
    venues.assert_contains("Niet toegelaten");
}

both!(owner_accounts_are_created_changed_disabled_and_reset);
async fn owner_accounts_are_created_changed_disabled_and_reset(app: TestApp) {
    let s = app.seed().await;
    let mut b = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let csrf = b.csrf().await;
    let venue_a1 = format!("venue_{}", s.venue_a1);
    let venue_a2 = format!("venue_{}", s.venue_a2);

    // Create: no venue and a short password come back with both errors.
    let page = b
        .post(
            "/gebied/accounts/nieuw",
            &[
                ("csrf", &csrf),
                ("username", "portier"),
                ("password", "kort"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("href=\"#password\"");
    page.assert_contains(&format!("href=\"#{venue_a1}\""));
    page.assert_contains("value=\"portier\"");
    page.assert_lacks("value=\"kort\"");
    let page = b
        .post(
            "/gebied/accounts/nieuw",
            &[
                ("csrf", &csrf),
                ("username", "portier"),
                ("password", "portier-wachtwoord-1"),
                (&venue_a2, "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let list = b.get(page.location()).await;
    list.assert_contains("Het account is aangemaakt.");
    list.assert_contains("portier");
    // The same name again is refused at the field.
    let page = b
        .post(
            "/gebied/accounts/nieuw",
            &[
                ("csrf", &csrf),
                ("username", "Portier"),
                ("password", "portier-wachtwoord-1"),
                (&venue_a2, "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    page.assert_contains("Deze gebruikersnaam bestaat al.");
    page.assert_contains("checked");
    let mut portier = Browser::new(&app)
        .logged_in("portier", "portier-wachtwoord-1")
        .await;
    let id = app.account_id("portier").await;

    // Venues: none is refused; both are saved.
    let page = b
        .post(&format!("/gebied/accounts/{id}/zaken"), &[("csrf", &csrf)])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Kies minstens één zaak.");
    let page = b
        .post(
            &format!("/gebied/accounts/{id}/zaken"),
            &[("csrf", &csrf), (&venue_a1, "1"), (&venue_a2, "1")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let account = b.get(page.location()).await;
    account.assert_contains("De zaken van het account zijn opgeslagen.");

    // Disable: the owner's session ends at once; re-enable.
    let page = b
        .post(
            &format!("/gebied/accounts/{id}/uitschakelen"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    b.get(page.location())
        .await
        .assert_contains("Uitgeschakeld");
    assert_eq!(portier.get("/").await.status, StatusCode::OK); // landing, logged out
    assert!(!portier.get("/").await.body.contains("Uitloggen"));
    let page = b
        .post(
            &format!("/gebied/accounts/{id}/inschakelen"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let mut portier = Browser::new(&app)
        .logged_in("portier", "portier-wachtwoord-1")
        .await;

    // End all sessions.
    let page = b
        .post(
            &format!("/gebied/accounts/{id}/sessies"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    b.get(page.location())
        .await
        .assert_contains("Het account is overal uitgelogd.");
    assert!(!portier.get("/").await.body.contains("Uitloggen"));

    // Reset: the one-time password is in this answer only, not cached,
    // not in a redirect or cookie; the old password stops working.
    let page = b
        .post(
            &format!("/gebied/accounts/{id}/wachtwoord"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    assert!(page.headers.get(header::LOCATION).is_none());
    assert!(page.set_cookies().is_empty());
    let marker = "<code class=\"utrecht-code\" lang=\"en\">";
    let start = page.body.find(marker).expect("the password") + marker.len();
    let end = page.body[start..].find('<').unwrap();
    let otp = page.body[start..start + end].to_owned();
    assert_eq!(otp.len(), 24, "{otp}");
    page.assert_contains("maar één keer getoond");
    // Never again: not on the account page.
    let account = b.get(&format!("/gebied/accounts/{id}")).await;
    account.assert_lacks(&otp);
    account.assert_contains("moet wachtwoord wijzigen");
    let mut old = Browser::new(&app);
    let answer = old.login("portier", "portier-wachtwoord-1").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = Browser::new(&app).login("portier", &otp).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location(), "/account#wachtwoord");

    // In English too.
    let mut en = Browser::new(&app)
        .english()
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let en_csrf = en.csrf().await;
    let page = en
        .post(
            &format!("/gebied/accounts/{id}/wachtwoord"),
            &[("csrf", &en_csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_lang("en");
    page.assert_contains("shown only once");
}

both!(every_area_form_refuses_a_foreign_or_missing_csrf_token);
async fn every_area_form_refuses_a_foreign_or_missing_csrf_token(app: TestApp) {
    let s = app.seed().await;
    let mut b = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let csrf = b.csrf().await;
    let owner_a = app.account_id(OWNER_A.0).await;
    let before = app.last_seq().await;
    for path in [
        "/gebied/protocol/instellingen".to_owned(),
        "/gebied/protocol/vergunning".to_owned(),
        "/gebied/protocol/contact".to_owned(),
        "/gebied/protocol/categorieen/nieuw".to_owned(),
        format!("/gebied/protocol/categorieen/{}", s.category_a),
        format!("/gebied/protocol/categorieen/{}/intrekken", s.category_a),
        "/gebied/zaken/nieuw".to_owned(),
        format!("/gebied/zaken/{}/toelaten", s.venue_a1),
        format!("/gebied/zaken/{}/intrekken", s.venue_a1),
        "/gebied/accounts/nieuw".to_owned(),
        format!("/gebied/accounts/{owner_a}/zaken"),
        format!("/gebied/accounts/{owner_a}/uitschakelen"),
        format!("/gebied/accounts/{owner_a}/inschakelen"),
        format!("/gebied/accounts/{owner_a}/wachtwoord"),
        format!("/gebied/accounts/{owner_a}/sessies"),
    ] {
        let fields = [("date", "2026-11-30"), ("bevestigd", "ja")];
        // No token.
        let page = b.post(&path, &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        page.assert_contains("Formulier geweigerd");
        // A wrong token.
        let mut with = vec![("csrf", "nep")];
        with.extend(fields);
        let page = b.post(&path, &with).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        // The right token from another site.
        let mut with = vec![("csrf", csrf.as_str())];
        with.extend(fields);
        let page = b
            .post_with(&path, &with, Some(("origin", "https://evil.example")))
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(app.events_after(before).await.is_empty());
}
