//! The beheerder's data-subject request pages (issue 9 item 4): the
//! register, a new request with its errors, one request with its steps,
//! the printable access answer, correction and erasure; every role in and
//! out of scope, in Dutch and English, and CSRF refusals.

use axum::http::{StatusCode, header};

use crate::both;
use crate::fixtures::{
    BEHEERDER_A, BEHEERDER_B, OPERATOR, OWNER_A, OWNER_A2, ban_body, manual, with,
};
use crate::harness::TestApp;
use crate::web_client::{Browser, Page};

const SURNAME: &str = "Koster";
const GIVEN: &str = "Pia Maria";

/// The request id a registration redirected to.
fn request_id(answer: &Page) -> i64 {
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let location = answer.location();
    let rest = location
        .strip_prefix("/gebied/verzoeken/")
        .unwrap_or_else(|| panic!("{location}"));
    rest.split('?').next().unwrap().parse().unwrap()
}

async fn register(b: &mut Browser<'_>, kind: &str, check: &str) -> i64 {
    let csrf = b.csrf().await;
    let answer = b
        .post(
            "/gebied/verzoeken/nieuw",
            &[
                ("csrf", &csrf),
                ("kind", kind),
                ("received_on", "28-11-2026"),
                ("mrz", ""),
                ("surname", SURNAME),
                ("given_names", GIVEN),
                ("birth_date", "15-06-1985"),
                ("identity_check", check),
                ("identity_note", ""),
            ],
        )
        .await;
    request_id(&answer)
}

both!(the_beheerder_registers_and_answers_an_access_request);
async fn the_beheerder_registers_and_answers_an_access_request(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let ban = app
        .issue(
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual(SURNAME, GIVEN, "1985-06-15"),
            ),
        )
        .await;
    let twin = app
        .issue(
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual(SURNAME, "Petra", "1985-06-15"),
            ),
        )
        .await;
    // The owner reads the ban: the access answer will say so.
    assert_eq!(
        app.get(&format!("/api/v1/bans/{ban}"), &owner).await.0,
        StatusCode::OK
    );
    let mut nl = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;

    // The empty register.
    let list = nl.get("/gebied/verzoeken").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.headers[header::CACHE_CONTROL], "no-store");
    list.assert_contains("<html lang=\"nl\"");
    list.assert_contains("Verzoeken van betrokkenen");
    list.assert_contains("Er zijn geen open verzoeken.");
    list.assert_contains("href=\"/gebied/verzoeken/nieuw\"");
    list.assert_lacks("style=");

    // The form: errors at the top and at the field, what was typed kept.
    let form = nl.get("/gebied/verzoeken/nieuw").await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("autocomplete=\"off\"");
    let csrf = form.csrf();
    let refused = nl
        .post(
            "/gebied/verzoeken/nieuw",
            &[
                ("csrf", &csrf),
                ("kind", ""),
                ("received_on", "28-11-2026"),
                ("mrz", ""),
                ("surname", SURNAME),
                ("given_names", ""),
                ("birth_date", "15-06-1985"),
                ("identity_check", ""),
                ("identity_note", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("Er is een probleem");
    refused.assert_contains("href=\"#kind\"");
    refused.assert_contains("href=\"#given_names\"");
    refused.assert_contains("id=\"given_names_error\"");
    refused.assert_contains(&format!("value=\"{SURNAME}\""));
    refused.assert_contains("value=\"15-06-1985\"");

    // Registered without an identity check: unverified.
    let id = register(&mut nl, "access", "").await;
    let detail = nl
        .get(&format!("/gebied/verzoeken/{id}?melding=geregistreerd"))
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    for text in [
        "Het verzoek is geregistreerd.",
        "Identiteit niet gecontroleerd",
        "28 december 2026",
        "Nog 30 dagen",
        SURNAME,
        GIVEN,
        "15 juni 1985",
        "Dezelfde persoon",
        "Mogelijke overeenkomst",
        "Identiteit controleren",
    ] {
        detail.assert_contains(text);
    }
    detail.assert_contains(&format!("href=\"/gebied/verboden/{ban}\""));
    detail.assert_lacks("/inzage");

    // The register names nobody.
    let list = nl.get("/gebied/verzoeken").await;
    list.assert_contains(&format!("href=\"/gebied/verzoeken/{id}\""));
    list.assert_contains("Inzage");
    list.assert_lacks(SURNAME);

    // Verify; an empty choice is an error at the field.
    let csrf = nl.csrf().await;
    let wrong = nl
        .post(
            &format!("/gebied/verzoeken/{id}/identiteit"),
            &[
                ("csrf", &csrf),
                ("identity_check", ""),
                ("identity_note", ""),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong.assert_contains("href=\"#identity_check\"");
    wrong.assert_contains("id=\"identity_check_error\"");
    let done = nl
        .post(
            &format!("/gebied/verzoeken/{id}/identiteit"),
            &[
                ("csrf", &csrf),
                ("identity_check", "document_shown_in_person"),
                ("identity_note", ""),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.location(),
        format!("/gebied/verzoeken/{id}?melding=geverifieerd")
    );

    // Extend: told before receipt is refused at the field, as typed.
    let wrong = nl
        .post(
            &format!("/gebied/verzoeken/{id}/verlengen"),
            &[
                ("csrf", &csrf),
                ("months", "2"),
                ("told_on", "01-11-2026"),
                ("extension_reason", "veel verboden"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong.assert_contains("href=\"#told_on\"");
    wrong.assert_contains("value=\"01-11-2026\"");
    wrong.assert_contains("veel verboden");
    let done = nl
        .post(
            &format!("/gebied/verzoeken/{id}/verlengen"),
            &[
                ("csrf", &csrf),
                ("months", "2"),
                ("told_on", "28-11-2026"),
                ("extension_reason", "veel verboden"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let detail = nl.get(&format!("/gebied/verzoeken/{id}")).await;
    detail.assert_contains("28 februari 2027");
    detail.assert_contains("veel verboden");
    detail.assert_lacks("Termijn verlengen");

    // The printable access answer: Pia's ban, not the twin's.
    detail.assert_contains(&format!("href=\"/gebied/verzoeken/{id}/inzage\""));
    let export = nl.get(&format!("/gebied/verzoeken/{id}/inzage")).await;
    assert_eq!(export.status, StatusCode::OK);
    for text in [
        "Inzageoverzicht bij verzoek",
        SURNAME,
        "Struck another guest at the bar",
        "Says he was provoked",
        "Café De Kroon",
        "Verbod bekeken",
        "Autoriteit Persoonsgegevens",
        "cho-screen-only",
    ] {
        export.assert_contains(text);
    }
    export.assert_contains(&format!("Verbod {ban}"));
    export.assert_lacks("Petra");
    export.assert_lacks(&format!("Verbod {twin}<"));

    // Complete: closed, no more forms.
    let done = nl
        .post(
            &format!("/gebied/verzoeken/{id}/afronden"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let detail = nl
        .get(&format!("/gebied/verzoeken/{id}?melding=afgerond"))
        .await;
    detail.assert_contains("Het verzoek is afgehandeld.");
    detail.assert_lacks("action=\"/gebied/verzoeken");
    let list = nl.get("/gebied/verzoeken").await;
    list.assert_contains("Afgehandeld");

    // In English.
    let mut en = Browser::new(&app)
        .english()
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let list = en.get("/gebied/verzoeken").await;
    list.assert_contains("<html lang=\"en\"");
    list.assert_contains("Data-subject requests");
    list.assert_contains("Completed");
    let detail = en.get(&format!("/gebied/verzoeken/{id}")).await;
    detail.assert_contains("28 February 2027");
    detail.assert_contains("ID document shown in person");
    let form = en.get("/gebied/verzoeken/nieuw").await;
    form.assert_contains("Register a new request");
}

both!(correction_and_erasure_through_the_pages);
async fn correction_and_erasure_through_the_pages(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let ended = app
        .issue(
            &owner,
            with(
                ban_body(
                    s.venue_a1,
                    s.category_a,
                    manual(SURNAME, GIVEN, "1985-06-15"),
                ),
                "ends_on",
                serde_json::json!("2026-11-29"),
            ),
        )
        .await;
    let running = app
        .issue(
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual(SURNAME, GIVEN, "1985-06-15"),
            ),
        )
        .await;
    let mut nl = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;

    let id = register(&mut nl, "rectification", "known_contact").await;
    let detail = nl.get(&format!("/gebied/verzoeken/{id}")).await;
    detail.assert_contains("Gegevens corrigeren");
    detail.assert_contains(&format!("id=\"birth_date-{running}\""));
    let csrf = nl.csrf().await;
    let ban_id = running.to_string();
    let wrong = nl
        .post(
            &format!("/gebied/verzoeken/{id}/corrigeren"),
            &[
                ("csrf", &csrf),
                ("ban_id", &ban_id),
                ("surname", ""),
                ("given_names", ""),
                ("birth_date", "31-02-1985"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong.assert_contains(&format!("href=\"#birth_date-{running}\""));
    wrong.assert_contains("value=\"31-02-1985\"");
    let done = nl
        .post(
            &format!("/gebied/verzoeken/{id}/corrigeren"),
            &[
                ("csrf", &csrf),
                ("ban_id", &ban_id),
                ("surname", "Kooster"),
                ("given_names", ""),
                ("birth_date", ""),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let ban = nl.get(&format!("/gebied/verboden/{running}")).await;
    ban.assert_contains("Kooster");

    // Erasure: the ended ban (its last day passed) goes after confirming;
    // the running one is kept.
    app.advance_days(2);
    let mut nl = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let id = register(&mut nl, "erasure", "known_contact").await;
    let detail = nl.get(&format!("/gebied/verzoeken/{id}")).await;
    detail.assert_contains(&format!("href=\"/gebied/verzoeken/{id}/wissen/{ended}\""));
    // The running ban was renamed: it is no longer this person's.
    detail.assert_lacks(&format!("/wissen/{running}\""));
    let confirm = nl
        .get(&format!("/gebied/verzoeken/{id}/wissen/{ended}"))
        .await;
    assert_eq!(confirm.status, StatusCode::OK);
    confirm.assert_contains("Definitief wissen");
    let csrf = confirm.csrf();
    let done = nl
        .post(
            &format!("/gebied/verzoeken/{id}/wissen/{ended}"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location(),
        format!("/gebied/verzoeken/{id}?melding=gewist")
    );
    assert_eq!(
        nl.get(&format!("/gebied/verboden/{ended}")).await.status,
        StatusCode::NOT_FOUND
    );
    // Erasing it again: an error on the request's page.
    let again = nl
        .post(
            &format!("/gebied/verzoeken/{id}/wissen/{ended}"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

both!(every_role_in_and_out_of_scope_and_csrf);
async fn every_role_in_and_out_of_scope_and_csrf(app: TestApp) {
    let _s = app.seed().await;
    let mut nl = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let id = register(&mut nl, "access", "known_contact").await;
    let pages = [
        "/gebied/verzoeken".to_owned(),
        "/gebied/verzoeken/nieuw".to_owned(),
        format!("/gebied/verzoeken/{id}"),
        format!("/gebied/verzoeken/{id}/inzage"),
    ];
    for (who, status_of) in [
        (OWNER_A, [StatusCode::FORBIDDEN; 4]),
        (OWNER_A2, [StatusCode::FORBIDDEN; 4]),
        (OPERATOR, [StatusCode::FORBIDDEN; 4]),
        (
            BEHEERDER_B,
            [
                StatusCode::OK,
                StatusCode::OK,
                StatusCode::NOT_FOUND,
                StatusCode::NOT_FOUND,
            ],
        ),
    ] {
        let mut b = Browser::new(&app).logged_in(who.0, who.1).await;
        for (path, expected) in pages.iter().zip(status_of) {
            let page = b.get(path).await;
            assert_eq!(page.status, expected, "{} {path}", who.0);
            page.assert_lacks(SURNAME);
        }
    }
    // Not logged in: to the login page.
    let anonymous = Browser::new(&app).get(&pages[2]).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);

    // A form from another origin, or without the token, is refused.
    let csrf = nl.csrf().await;
    for (fields, from) in [
        (
            vec![("csrf", csrf.as_str())],
            Some(("origin", "https://elders.example")),
        ),
        (vec![("csrf", "wrong")], None),
    ] {
        let origin = nl.origin.clone();
        let from = from.or(Some(("origin", origin.as_str())));
        let page = nl
            .post_with(&format!("/gebied/verzoeken/{id}/afronden"), &fields, from)
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    }
    let detail = nl.get(&format!("/gebied/verzoeken/{id}")).await;
    detail.assert_contains("In behandeling");
}
