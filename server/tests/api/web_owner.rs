//! The owner's pages: dashboard, ban form, bans (filter, search, detail,
//! revoke) and door phones, for the owner in scope, the owner of another
//! venue (404), the other roles (403), in Dutch and English, with CSRF.

use axum::http::StatusCode;
use serde_json::json;

use crate::both;
use crate::devices::enrol;
use crate::fixtures::{BEHEERDER_A, OPERATOR, OWNER_A, OWNER_A2, Seeded, de_bruijn_mrz};
use crate::harness::TestApp;
use crate::web_client::Browser;

async fn owner(app: &TestApp) -> Browser<'_> {
    Browser::new(app).logged_in(OWNER_A.0, OWNER_A.1).await
}

/// A complete ban form for venue A1 (the demo's Café De Kroon) by MRZ.
fn ban_fields(s: &Seeded, mrz: &str) -> Vec<(&'static str, String)> {
    vec![
        ("venue_id", s.venue_a1.to_string()),
        ("mrz", mrz.to_owned()),
        ("incident_date", "28-11-2026".to_owned()),
        ("incident_time", "01:30".to_owned()),
        ("description", "Sloeg een gast aan de bar".to_owned()),
        ("category_id", s.category_a.to_string()),
        (
            "hearing_statement",
            "Zegt dat hij werd uitgedaagd".to_owned(),
        ),
        ("notified_on", "28-11-2026".to_owned()),
        ("notice_method", "handed_over".to_owned()),
    ]
}

/// Issues de Bruijn's ban by MRZ through the form; answers its id.
async fn issue_by_form(b: &mut Browser<'_>, s: &Seeded) -> i64 {
    let answer = b
        .post_form("/verboden/nieuw", &ban_fields(s, &de_bruijn_mrz()))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let location = answer.location().to_owned();
    let id = location
        .strip_prefix("/verboden/")
        .and_then(|r| r.split('?').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{location}"));
    assert_eq!(location, format!("/verboden/{id}?melding=uitgevaardigd"));
    id
}

both!(the_dashboard_shows_venues_bans_phones_and_the_list);
async fn the_dashboard_shows_venues_bans_phones_and_the_list(app: TestApp) {
    let s = app.seed().await;
    let token = app.login(OWNER_A.0, OWNER_A.1).await;
    enrol(&app, &token, s.venue_a1).await;
    let mut b = owner(&app).await;
    let page = b.get("/zaak").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_contains("<html lang=\"nl\"");
    page.assert_contains("Mijn zaak");
    page.assert_contains("Café De Kroon");
    page.assert_contains("Actieve ontzeggingen: 2");
    page.assert_contains("Voordeur");
    page.assert_contains("Nog nooit");
    page.assert_contains("Lijst van het gebied");
    // Another venue of the area is not theirs.
    assert!(!page.body.contains("Club De Fabriek"), "{}", page.body);
    // The nav links the owner's pages.
    for href in ["/zaak", "/verboden", "/verboden/nieuw", "/deurtelefoons"] {
        page.assert_contains(&format!("href=\"{href}\""));
    }

    let mut en = Browser::new(&app)
        .english()
        .logged_in(OWNER_A.0, OWNER_A.1)
        .await;
    let page = en.get("/zaak").await;
    page.assert_contains("<html lang=\"en\"");
    page.assert_contains("My venue");
    page.assert_contains("Active bans: 2");
    page.assert_contains("Never");
}

both!(the_owner_pages_are_for_owners_only);
async fn the_owner_pages_are_for_owners_only(app: TestApp) {
    let s = app.seed().await;
    let ban = s.demo_bans[0];
    for login in [BEHEERDER_A, OPERATOR] {
        let mut b = Browser::new(&app).logged_in(login.0, login.1).await;
        for path in ["/zaak", "/verboden", "/verboden/nieuw", "/deurtelefoons"] {
            let page = b.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{login:?} {path}");
            page.assert_contains("Geen toegang");
        }
        let page = b.get(&format!("/verboden/{ban}")).await;
        assert_ne!(page.status, StatusCode::OK, "{login:?}");
        // Nobody's name on a refusal, and never for the operator.
        assert!(!page.body.contains("Jansen"), "{}", page.body);
        let csrf = b.csrf().await;
        let page = b
            .post(
                "/deurtelefoons/code",
                &[
                    ("csrf", &csrf),
                    ("venue_id", &s.venue_a1.to_string()),
                    ("name", "x"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{login:?}");
    }
    // Without a session: to the login page.
    let mut anonymous = Browser::new(&app);
    for path in ["/zaak", "/verboden", "/verboden/nieuw", "/deurtelefoons"] {
        let page = anonymous.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.location(), "/inloggen");
    }
}

both!(the_ban_form_shows_each_category_end_date_before_submitting);
async fn the_ban_form_shows_each_category_end_date_before_submitting(app: TestApp) {
    let s = app.seed().await;
    let beheerder = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/categories/{}/retire", s.category_a_weapons),
            &beheerder,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut b = owner(&app).await;
    let page = b.get("/verboden/nieuw").await;
    assert_eq!(page.status, StatusCode::OK);
    // Today is 28 November 2026; 182 days end on 28 May 2027.
    page.assert_contains("182 dagen, tot en met 28 mei 2027");
    page.assert_contains(&format!("value=\"{}\"", s.category_a));
    // The retired category is not offered.
    assert!(
        !page.body.contains(&format!(
            "name=\"category_id\" value=\"{}\"",
            s.category_a_weapons
        )),
        "{}",
        page.body
    );
    // One venue: no venue select, the venue named.
    assert!(
        !page.body.contains(
            "<select class=\"utrecht-select utrecht-select--html-select\" id=\"venue_id\""
        ),
        "{}",
        page.body
    );
    page.assert_contains("Zaak: Café De Kroon");
    // Person fields are not remembered by the browser.
    for id in ["mrz", "surname", "given_names", "birth_date"] {
        let at = page.body.find(&format!("id=\"{id}\"")).unwrap();
        let tag_end = at + page.body[at..].find('>').unwrap();
        assert!(
            page.body[at..tag_end].contains("autocomplete=\"off\""),
            "{id}"
        );
    }

    let mut en = Browser::new(&app)
        .english()
        .logged_in(OWNER_A.0, OWNER_A.1)
        .await;
    let page = en.get("/verboden/nieuw").await;
    page.assert_contains("182 days, up to and including 28 May 2027");
    page.assert_contains("Issue the ban");
}

both!(a_ban_issued_by_mrz_goes_to_its_page_without_the_mrz);
async fn a_ban_issued_by_mrz_goes_to_its_page_without_the_mrz(app: TestApp) {
    let s = app.seed().await;
    let mut b = owner(&app).await;
    let id = issue_by_form(&mut b, &s).await;
    let page = b
        .get(&format!("/verboden/{id}?melding=uitgevaardigd"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_contains("De ontzegging is opgelegd");
    page.assert_contains("DE BRUIJN, WILLEKE LISELOTTE");
    page.assert_contains("10 maart 1965");
    page.assert_contains("28 november 2026 tot en met 28 mei 2027");
    page.assert_contains("28 november 2026, 01:30");
    page.assert_contains("brief overhandigd");
    page.assert_contains("Actief");
    let mrz = de_bruijn_mrz();
    for line in mrz.lines() {
        assert!(!page.body.contains(line), "the MRZ is on the page");
    }
    // The form is empty again.
    let form = b.get("/verboden/nieuw").await;
    for line in mrz.lines() {
        assert!(!form.body.contains(line), "the MRZ is in the form");
    }
    // The incident is stored at 01:30 Dutch time (00:30 UTC).
    let token = app.login(OWNER_A.0, OWNER_A.1).await;
    let (_, ban) = app.get(&format!("/api/v1/bans/{id}"), &token).await;
    assert_eq!(ban["incident_at"], 1_795_825_800);
    assert_eq!(ban["venue_id"], s.venue_a1);
}

both!(a_ban_typed_with_diacritics_is_issued);
async fn a_ban_typed_with_diacritics_is_issued(app: TestApp) {
    let s = app.seed().await;
    let mut b = owner(&app).await;
    let mut fields = ban_fields(&s, "");
    fields.extend([
        ("surname", "Çelik-Ødegård".to_owned()),
        ("given_names", "Zoë Renée".to_owned()),
        ("birth_date", "02-11-1990".to_owned()),
    ]);
    let answer = b.post_form("/verboden/nieuw", &fields).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let page = b.get(answer.location()).await;
    page.assert_contains("Çelik-Ødegård, Zoë Renée");
    page.assert_contains("2 november 1990");
}

both!(the_ban_form_keeps_what_was_typed_and_names_each_error);
async fn the_ban_form_keeps_what_was_typed_and_names_each_error(app: TestApp) {
    let s = app.seed().await;
    let mut b = owner(&app).await;
    let before = app.count("bans").await;
    let mut fields = ban_fields(&s, "");
    fields.retain(|(k, _)| !matches!(*k, "description" | "incident_time" | "category_id"));
    fields.extend([
        ("surname", "Öztürk".to_owned()),
        ("given_names", "Ayşe".to_owned()),
        ("birth_date", "31-02-1990".to_owned()),
        ("incident_time", "25:00".to_owned()),
    ]);
    let page = b.post_form("/verboden/nieuw", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The summary at the top links to each field ...
    page.assert_contains("Er is een probleem");
    for field in ["birth_date", "incident_time", "description", "category"] {
        page.assert_contains(&format!("href=\"#{field}\""));
        page.assert_contains(&format!("id=\"{field}_error\""));
    }
    assert!(page.body.find("Er is een probleem") < page.body.find("action=\"/verboden/nieuw\""));
    // ... and what was typed is still there.
    page.assert_contains("value=\"Öztürk\"");
    page.assert_contains("value=\"Ayşe\"");
    page.assert_contains("value=\"31-02-1990\"");
    page.assert_contains("value=\"25:00\"");
    page.assert_contains("Zegt dat hij werd uitgedaagd");
    assert_eq!(app.count("bans").await, before);

    // An unreadable MRZ: the error at the MRZ, the MRZ kept to correct.
    let mut en = Browser::new(&app)
        .english()
        .logged_in(OWNER_A.0, OWNER_A.1)
        .await;
    let broken = de_bruijn_mrz().replace("650310", "650311");
    let page = en
        .post_form("/verboden/nieuw", &ban_fields(&s, &broken))
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.assert_contains("There is a problem");
    page.assert_contains("href=\"#mrz\"");
    page.assert_contains("The MRZ could not be read");
    page.assert_contains("650311");

    // An incident tomorrow: the service's rule, at the date field.
    let mut fields = ban_fields(&s, &de_bruijn_mrz());
    fields[2].1 = "29-11-2026".to_owned();
    let page = en.post_form("/verboden/nieuw", &fields).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.assert_contains("href=\"#incident_date\"");
    page.assert_contains("The incident cannot be in the future");
    assert_eq!(app.count("bans").await, before);
}

both!(a_ban_for_another_venue_is_refused);
async fn a_ban_for_another_venue_is_refused(app: TestApp) {
    let s = app.seed().await;
    let mut b = owner(&app).await;
    let mut fields = ban_fields(&s, &de_bruijn_mrz());
    fields[0].1 = s.venue_a2.to_string();
    let page = b.post_form("/verboden/nieuw", &fields).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!page.body.contains("DE BRUIJN"), "{}", page.body);
}

both!(the_bans_list_filters_by_status_and_shows_only_own_venues);
async fn the_bans_list_filters_by_status_and_shows_only_own_venues(app: TestApp) {
    let s = app.seed().await;
    let mut b = owner(&app).await;
    let page = b.get("/verboden").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Jansen, Piet Hendrik");
    page.assert_contains("Öztürk, Mehmet");
    // De Vries was banned at the other venue.
    assert!(!page.body.contains("de Vries"), "{}", page.body);
    let page = b.get("/verboden?status=revoked").await;
    page.assert_contains("Er zijn geen ontzeggingen met deze status.");
    page.assert_contains("<option value=\"revoked\" selected>");

    let id = issue_by_form(&mut b, &s).await;
    let page = b
        .post_form(
            &format!("/verboden/{id}/intrekken"),
            &[("reason", "Verkeerde persoon".to_owned())],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = b.get("/verboden?status=revoked").await;
    page.assert_contains("DE BRUIJN");
    assert!(!page.body.contains("Jansen"), "{}", page.body);
    let page = b.get("/verboden?status=active").await;
    assert!(!page.body.contains("DE BRUIJN"), "{}", page.body);

    let mut en = Browser::new(&app)
        .english()
        .logged_in(OWNER_A.0, OWNER_A.1)
        .await;
    let page = en.get("/verboden?status=revoked").await;
    page.assert_contains("Your venue&#39;s bans");
    page.assert_contains("Revoked");
}

both!(a_ban_of_another_venue_is_not_found);
async fn a_ban_of_another_venue_is_not_found(app: TestApp) {
    let s = app.seed().await;
    // The demo's second ban (de Vries) is Club De Fabriek's.
    let theirs = s.demo_bans[1];
    let mut b = owner(&app).await;
    let page = b.get(&format!("/verboden/{theirs}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("de Vries"), "{}", page.body);
    let page = b
        .post_form(
            &format!("/verboden/{theirs}/intrekken"),
            &[("reason", "x".to_owned())],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // Their own owner sees it.
    let mut other = Browser::new(&app).logged_in(OWNER_A2.0, OWNER_A2.1).await;
    let page = other.get(&format!("/verboden/{theirs}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("de Vries, Kees");
    let page = b.get("/verboden/999999").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

both!(revoking_needs_a_reason_and_then_shows_it);
async fn revoking_needs_a_reason_and_then_shows_it(app: TestApp) {
    let s = app.seed().await;
    let mut b = owner(&app).await;
    let id = issue_by_form(&mut b, &s).await;
    let path = format!("/verboden/{id}/intrekken");
    let page = b.post_form(&path, &[("reason", "  ".to_owned())]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("href=\"#reason\"");
    page.assert_contains("Vul de reden van de intrekking in.");
    let page = b
        .post_form(&path, &[("reason", "Verkeerde persoon".to_owned())])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location(),
        format!("/verboden/{id}?melding=ingetrokken")
    );
    let page = b.get(page.location()).await;
    page.assert_contains("De ontzegging is ingetrokken.");
    page.assert_contains("Ingetrokken");
    page.assert_contains("Verkeerde persoon");
    // No second revocation form.
    assert!(!page.body.contains(&path), "{}", page.body);
}

both!(finding_a_person_by_mrz_or_typed_details);
async fn finding_a_person_by_mrz_or_typed_details(app: TestApp) {
    let s = app.seed().await;
    let mut b = owner(&app).await;
    let id = issue_by_form(&mut b, &s).await;
    let page = b
        .post_form(
            "/verboden/zoeken",
            &[("mrz", de_bruijn_mrz()), ("surname", String::new())],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_contains("Dezelfde persoon");
    page.assert_contains(&format!("href=\"/verboden/{id}\""));
    // After a search the MRZ is not kept.
    for line in de_bruijn_mrz().lines() {
        assert!(!page.body.contains(line));
    }
    let page = b
        .post_form(
            "/verboden/zoeken",
            &[
                ("surname", "Jansen".to_owned()),
                ("given_names", "Piet Hendrik".to_owned()),
                ("birth_date", "17-05-1994".to_owned()),
            ],
        )
        .await;
    page.assert_contains("Jansen, Piet Hendrik");
    page.assert_contains("Gevonden ontzeggingen: 1.");
    // De Vries was banned at the other venue: not found here.
    let page = b
        .post_form(
            "/verboden/zoeken",
            &[
                ("surname", "de Vries".to_owned()),
                ("given_names", "Kees".to_owned()),
                ("birth_date", "04-03-2001".to_owned()),
            ],
        )
        .await;
    page.assert_contains("Geen ontzeggingen gevonden voor deze persoon.");
    // Nothing to search with: the error, and what was typed kept.
    let page = b
        .post_form("/verboden/zoeken", &[("surname", "Jansen".to_owned())])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("href=\"#find_mrz\"");
    page.assert_contains("value=\"Jansen\"");
}

both!(a_possible_match_is_marked_and_its_person_not_shown);
async fn a_possible_match_is_marked_and_its_person_not_shown(app: TestApp) {
    let s = app.seed().await;
    // The demo bans Jansen, Piet Hendrik, born 17-05-1994, at the owner's
    // Café De Kroon. The core's probes: the full name says "same person";
    // surname, first initial and birth date only "possible match".
    let jansen = s.demo_bans[0];
    let search = |given: &str| {
        vec![
            ("surname", "Jansen".to_owned()),
            ("given_names", given.to_owned()),
            ("birth_date", "17-05-1994".to_owned()),
        ]
    };
    for (mut b, texts) in [
        (
            owner(&app).await,
            [
                "Gevonden ontzeggingen: 1.",
                "<strong class=\"cho-warning\">Mogelijke overeenkomst</strong>",
                "Niet getoond: mogelijk iemand anders",
                "Een mogelijke overeenkomst lijkt op deze persoon",
            ],
        ),
        (
            Browser::new(&app)
                .english()
                .logged_in(OWNER_A.0, OWNER_A.1)
                .await,
            [
                "Bans found: 1.",
                "<strong class=\"cho-warning\">Possible match</strong>",
                "Not shown: may be someone else",
                "A possible match resembles this person",
            ],
        ),
    ] {
        // Other given names with the same initial: Pieter.
        let page = b.post_form("/verboden/zoeken", &search("Pieter")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for text in texts {
            page.assert_contains(text);
        }
        // Neither the banned person's details nor a link to the ban.
        for hidden in [
            "Piet Hendrik".to_owned(),
            "Jansen,".to_owned(),
            format!("href=\"/verboden/{jansen}\""),
            "Dezelfde persoon".to_owned(),
            "Same person".to_owned(),
        ] {
            assert!(!page.body.contains(&hidden), "{hidden}:\n{}", page.body);
        }
    }
    // Another initial is another person: no hit at all.
    let mut b = owner(&app).await;
    let page = b.post_form("/verboden/zoeken", &search("Klaas")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Geen ontzeggingen gevonden voor deze persoon.");
    // The full name is the same person, linked.
    let page = b
        .post_form("/verboden/zoeken", &search("Piet Hendrik"))
        .await;
    page.assert_contains("Dezelfde persoon");
    page.assert_contains(&format!("href=\"/verboden/{jansen}\""));
}

both!(every_owner_form_refuses_a_foreign_origin_or_a_missing_token);
async fn every_owner_form_refuses_a_foreign_origin_or_a_missing_token(app: TestApp) {
    let s = app.seed().await;
    let token = app.login(OWNER_A.0, OWNER_A.1).await;
    let device = enrol(&app, &token, s.venue_a1).await["device_id"]
        .as_i64()
        .unwrap();
    let ban = s.demo_bans[0];
    let mut b = owner(&app).await;
    let csrf = b.csrf().await;
    let before = app.count("bans").await;
    let venue = s.venue_a1.to_string();
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/verboden/nieuw".to_owned(),
            vec![("venue_id", venue.as_str())],
        ),
        ("/verboden/zoeken".to_owned(), vec![("surname", "Jansen")]),
        (format!("/verboden/{ban}/intrekken"), vec![("reason", "x")]),
        (
            "/deurtelefoons/code".to_owned(),
            vec![("venue_id", venue.as_str()), ("name", "x")],
        ),
        (format!("/deurtelefoons/{device}/naam"), vec![("name", "x")]),
        (format!("/deurtelefoons/{device}/intrekken"), vec![]),
    ];
    for (path, fields) in &forms {
        // No token.
        let page = b.post(path, fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        page.assert_contains("Formulier geweigerd");
        // The right token from a foreign page.
        let mut with_token = fields.clone();
        with_token.push(("csrf", &csrf));
        let page = b
            .post_with(path, &with_token, Some(("origin", "https://evil.example")))
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.count("bans").await, before);
    let (_, ban) = app.get(&format!("/api/v1/bans/{ban}"), &token).await;
    assert_eq!(ban["status"], "active");
}

both!(door_phones_enrol_with_a_qr_code_rename_and_revoke);
async fn door_phones_enrol_with_a_qr_code_rename_and_revoke(app: TestApp) {
    let s = app.seed().await;
    let mut b = owner(&app).await;
    let page = b.get("/deurtelefoons").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Er zijn nog geen deurtelefoons aangemeld.");

    let page = b
        .post_form(
            "/deurtelefoons/code",
            &[
                ("venue_id", s.venue_a1.to_string()),
                ("name", "Voordeur".to_owned()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_contains(
        "<svg role=\"img\" aria-label=\"QR-code om de deurtelefoon aan te melden\"",
    );
    assert!(!page.body.contains("<?xml"));
    assert!(!page.body.contains("style="), "inline style: {}", page.body);
    page.assert_contains("Voor de deurtelefoon: Voordeur");
    // 12:00 UTC + 15 minutes = 13:15 in the Netherlands.
    page.assert_contains("tot 28 november 2026, 13:15");
    let code_at = page.body.find("id=\"code\"><strong>").unwrap() + 18;
    let code = &page.body[code_at..code_at + 10];
    assert!(code.chars().all(|c| c.is_ascii_alphanumeric()), "{code}");

    // The phone enrols with the code.
    let (status, enrolment) = app
        .request(
            "POST",
            "/api/v1/devices/enrol",
            None,
            Some(json!({ "code": code })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    let device = enrolment["device_id"].as_i64().unwrap();
    let page = b.get("/deurtelefoons").await;
    page.assert_contains("Voordeur");
    page.assert_contains("Nog nooit");

    // An empty name is refused, with the error at the field.
    let page = b
        .post_form(
            "/deurtelefoons/code",
            &[
                ("venue_id", s.venue_a1.to_string()),
                ("name", " ".to_owned()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("href=\"#device_name\"");

    let page = b
        .post_form(
            &format!("/deurtelefoons/{device}/naam"),
            &[("name", "Achterdeur".to_owned())],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = b.get(page.location()).await;
    page.assert_contains("De naam is gewijzigd.");
    page.assert_contains("Achterdeur");

    // The owner of the other venue sees neither the phone nor its pages.
    let mut other = Browser::new(&app).logged_in(OWNER_A2.0, OWNER_A2.1).await;
    let page = other.get("/deurtelefoons").await;
    assert!(!page.body.contains("Achterdeur"));
    let page = other
        .get(&format!("/deurtelefoons/{device}/intrekken"))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = other
        .post_form(
            &format!("/deurtelefoons/{device}/intrekken"),
            &[] as &[(&str, &str)],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = other
        .post_form(
            &format!("/deurtelefoons/{device}/naam"),
            &[("name", "x".to_owned())],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    // Revoking asks first (a page of its own, no JavaScript).
    let page = b.get(&format!("/deurtelefoons/{device}/intrekken")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Wilt u de deurtelefoon “Achterdeur” intrekken?");
    page.assert_contains("Ja, intrekken");
    let page = b
        .post_form(
            &format!("/deurtelefoons/{device}/intrekken"),
            &[] as &[(&str, &str)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = b.get(page.location()).await;
    page.assert_contains("De deurtelefoon is ingetrokken.");
    page.assert_contains("Ingetrokken");
    let page = b.get(&format!("/deurtelefoons/{device}/intrekken")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    let mut en = Browser::new(&app)
        .english()
        .logged_in(OWNER_A.0, OWNER_A.1)
        .await;
    let page = en.get("/deurtelefoons").await;
    page.assert_contains("Door phones");
    page.assert_contains("Revoked");
}
