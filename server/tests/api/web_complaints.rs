//! The complaint pages (issue 9 item 3): the beheerder records a complaint
//! from the ban's page, extends the period, decides, and prints the
//! decision letter in Dutch and English; the overview marks overdue and
//! due-soon complaints; the owner sees only that a complaint is pending
//! or decided; other roles and areas are refused; CSRF is checked.

use axum::http::{StatusCode, header};

use crate::both;
use crate::fixtures::{BEHEERDER_A, BEHEERDER_B, OPERATOR, OWNER_A, Seeded, ban_body, manual};
use crate::harness::{DAY, START, TestApp};
use crate::web_client::Browser;

const SURNAME: &str = "Klaagmans";
const GIVEN: &str = "Roos";
const SUMMARY: &str = "Roos zegt dat zij die avond in Deventer was";

async fn a_ban(app: &TestApp, s: &Seeded) -> i64 {
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    app.issue(
        &owner,
        ban_body(
            s.venue_a1,
            s.category_a,
            manual(SURNAME, GIVEN, "1992-06-01"),
        ),
    )
    .await
}

/// Records a complaint through the page; answers the complaint's id.
async fn record(b: &mut Browser<'_>, ban: i64, received_on: &str) -> i64 {
    let form = b.get(&format!("/gebied/verboden/{ban}/bezwaar")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let csrf = form.csrf();
    let done = b
        .post(
            &format!("/gebied/verboden/{ban}/bezwaar"),
            &[
                ("csrf", &csrf),
                ("received_on", received_on),
                ("summary", SUMMARY),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let location = done.location().to_owned();
    location
        .trim_start_matches("/gebied/bezwaren/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

both!(beheerder_records_extends_and_decides_in_dutch_and_english);
async fn beheerder_records_extends_and_decides_in_dutch_and_english(app: TestApp) {
    let s = app.seed().await;
    let ban = a_ban(&app, &s).await;
    let mut nl = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;

    // The ban's page offers to record one; none received yet.
    let ban_page = nl.get(&format!("/gebied/verboden/{ban}")).await;
    ban_page.assert_contains("Er is geen bezwaar tegen dit verbod ontvangen.");
    ban_page.assert_contains(&format!("href=\"/gebied/verboden/{ban}/bezwaar\""));

    // The form: the window from the notice (the fixture's 2026-11-28).
    let form = nl.get(&format!("/gebied/verboden/{ban}/bezwaar")).await;
    form.assert_contains("<html lang=\"nl\"");
    form.assert_contains("een bezwaar is op tijd tot en met 12 december 2026");
    form.assert_contains("autocomplete=\"off\"");
    form.assert_lacks("style=");
    let csrf = form.csrf();
    // Errors at the top and at the field; what was typed stays.
    let bad = nl
        .post(
            &format!("/gebied/verboden/{ban}/bezwaar"),
            &[("csrf", &csrf), ("received_on", ""), ("summary", "Iets")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_contains("Er is een probleem");
    bad.assert_contains("href=\"#received_on\"");
    bad.assert_contains("id=\"received_on-error\"");
    bad.assert_contains(">Iets</textarea>");
    let future = nl
        .post(
            &format!("/gebied/verboden/{ban}/bezwaar"),
            &[
                ("csrf", &csrf),
                ("received_on", "2026-12-01"),
                ("summary", "Iets"),
            ],
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    future.assert_contains("ligt niet tussen de dag van opleggen en vandaag");
    // Without a CSRF token: refused, nothing recorded.
    let forged = nl
        .post(
            &format!("/gebied/verboden/{ban}/bezwaar"),
            &[
                ("csrf", "bogus"),
                ("received_on", "2026-11-28"),
                ("summary", "x"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("complaints").await, 0);

    let id = record(&mut nl, ban, "2026-11-28").await;
    let detail = nl
        .get(&format!("/gebied/bezwaren/{id}?melding=vastgelegd"))
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    assert_eq!(detail.headers[header::CACHE_CONTROL], "no-store");
    detail.assert_contains("Het bezwaar is vastgelegd.");
    detail.assert_contains(SUMMARY);
    detail.assert_contains("9 januari 2027"); // decide by: 6 weeks after receipt
    detail.assert_contains("Nog 42 dagen");
    detail.assert_contains("Beslistermijn verlengen");
    // The ban page now says it is pending, and offers no second one.
    let ban_page = nl.get(&format!("/gebied/verboden/{ban}")).await;
    ban_page.assert_contains("Bezwaar ontvangen op 28 november 2026: in behandeling.");
    ban_page.assert_lacks(&format!("href=\"/gebied/verboden/{ban}/bezwaar\""));

    // Extension: more than 14 days refused at the field; then 14.
    let csrf = detail.csrf();
    let too_long = nl
        .post(
            &format!("/gebied/bezwaren/{id}/verlenging"),
            &[("csrf", &csrf), ("days", "15"), ("reason", "Hoorzitting")],
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    too_long.assert_contains("Kies 1 tot en met 14 dagen.");
    too_long.assert_contains("value=\"15\"");
    let extended = nl
        .post(
            &format!("/gebied/bezwaren/{id}/verlenging"),
            &[
                ("csrf", &csrf),
                ("days", "14"),
                ("reason", "Hoorzitting met de portier"),
            ],
        )
        .await;
    assert_eq!(extended.status, StatusCode::SEE_OTHER, "{}", extended.body);
    let detail = nl.get(extended.location()).await;
    detail.assert_contains("De beslistermijn is verlengd.");
    detail.assert_contains("23 januari 2027");
    detail.assert_contains("Hoorzitting met de portier");
    detail.assert_lacks("Beslistermijn verlengen");

    // The decision: upheld; the ban is overturned.
    let missing = nl
        .post(
            &format!("/gebied/bezwaren/{id}/besluit"),
            &[("csrf", &csrf), ("outcome", ""), ("reasoning", "")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    missing.assert_contains("Kies gegrond of ongegrond.");
    missing.assert_contains("Vul de motivering in.");
    let decided = nl
        .post(
            &format!("/gebied/bezwaren/{id}/besluit"),
            &[
                ("csrf", &csrf),
                ("outcome", "upheld"),
                ("reasoning", "Camerabeelden tonen een ander"),
            ],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
    let detail = nl.get(decided.location()).await;
    detail.assert_contains("Gegrond");
    detail.assert_contains(&format!("href=\"/gebied/bezwaren/{id}/brief?taal=nl\""));
    detail.assert_contains(&format!("href=\"/gebied/bezwaren/{id}/brief?taal=en\""));
    let ban_page = nl.get(&format!("/gebied/verboden/{ban}")).await;
    ban_page.assert_contains("besloten op 28 november 2026: Gegrond.");

    // The letter in Dutch and in English, whatever the page language.
    let letter = nl
        .get(&format!("/gebied/bezwaren/{id}/brief?taal=nl"))
        .await;
    assert_eq!(letter.status, StatusCode::OK, "{}", letter.body);
    letter.assert_contains("<html lang=\"nl\"");
    letter.assert_contains(&format!("{GIVEN} {SURNAME}"));
    letter.assert_contains("verklaart uw bezwaar gegrond");
    letter.assert_contains("Camerabeelden tonen een ander");
    letter.assert_contains(&format!("CHO-{}-{ban}", s.area_a));
    letter.assert_contains("Autoriteit Persoonsgegevens");
    // The toolbar goes back to the complaint, and says so.
    letter.assert_contains(&format!(
        "href=\"/gebied/bezwaren/{id}\">Terug naar het bezwaar</a>"
    ));
    letter.assert_lacks("Terug naar de ontzegging");
    let en = nl
        .get(&format!("/gebied/bezwaren/{id}/brief?taal=en"))
        .await;
    en.assert_contains("<html lang=\"en\"");
    en.assert_contains("upholds your complaint");
    en.assert_contains("Dear Roos Klaagmans");
    assert_eq!(
        nl.get(&format!("/gebied/bezwaren/{id}/brief?taal=de"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    // The overview, in English: decided below.
    let mut en = Browser::new(&app)
        .english()
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let overview = en.get("/gebied/bezwaren").await;
    assert_eq!(overview.status, StatusCode::OK);
    overview.assert_contains("<html lang=\"en\"");
    overview.assert_contains("There are no open complaints.");
    overview.assert_contains("Upheld");
    overview.assert_lacks(SURNAME);
    overview.assert_lacks("Deventer");
}

both!(the_overview_puts_overdue_and_due_soon_first);
async fn the_overview_puts_overdue_and_due_soon_first(app: TestApp) {
    let s = app.seed().await;
    let first = a_ban(&app, &s).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let second = app
        .issue(
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Tweede", "Anna", "1990-01-01"),
            ),
        )
        .await;
    app.advance_days(10); // 2026-12-08
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    for (ban, day) in [(first, "2026-11-28"), (second, "2026-12-08")] {
        let (status, body) = app
            .post(
                &format!("/api/v1/bans/{ban}/complaints"),
                &beh,
                serde_json::json!({"received_on": day, "summary": "x"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // 2027-01-05: the first is due on 2027-01-09 (4 days), the second on
    // 2027-01-19.
    app.clock.set(START + 38 * DAY);
    let mut nl = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let page = nl.get("/gebied/bezwaren").await;
    page.assert_contains("Binnen 7 dagen");
    page.assert_contains("Nog 4 dagen");
    page.assert_contains("Termijn verstreken: 0. Beslissing binnen 7 dagen nodig: 1.");
    let due = page.body.find("Nog 4 dagen").unwrap();
    let later = page.body.find("Nog 14 dagen").unwrap();
    assert!(due < later, "the most urgent first");
    // 2027-01-11: the first is overdue.
    app.clock.set(START + 44 * DAY);
    let mut nl = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let page = nl.get("/gebied/bezwaren").await;
    page.assert_contains("2 dagen te laat");
    page.assert_contains("Termijn verstreken");
    page.assert_contains("utrecht-status-badge--danger");
}

both!(owners_see_the_state_only_and_other_roles_are_refused);
async fn owners_see_the_state_only_and_other_roles_are_refused(app: TestApp) {
    let s = app.seed().await;
    let ban = a_ban(&app, &s).await;
    let mut beh = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let id = record(&mut beh, ban, "2026-11-28").await;

    // The owner: pending, without the summary or a link; no complaint pages.
    let mut owner = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    let page = owner.get(&format!("/verboden/{ban}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Bezwaar ontvangen op 28 november 2026: in behandeling.");
    page.assert_lacks(SUMMARY);
    page.assert_lacks("/gebied/bezwaren");
    page.assert_lacks("/bezwaar\"");
    for path in [
        "/gebied/bezwaren".to_owned(),
        format!("/gebied/bezwaren/{id}"),
        format!("/gebied/bezwaren/{id}/brief?taal=nl"),
        format!("/gebied/verboden/{ban}/bezwaar"),
    ] {
        let p = owner.get(&path).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}");
        p.assert_lacks(SUMMARY);
    }
    let csrf = owner.csrf().await;
    let p = owner
        .post(
            &format!("/gebied/verboden/{ban}/bezwaar"),
            &[
                ("csrf", &csrf),
                ("received_on", "2026-11-28"),
                ("summary", "x"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = owner
        .post(
            &format!("/gebied/bezwaren/{id}/besluit"),
            &[("csrf", &csrf), ("outcome", "upheld"), ("reasoning", "x")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    // Another area's beheerder: not found; the operator: forbidden.
    let mut other = Browser::new(&app)
        .logged_in(BEHEERDER_B.0, BEHEERDER_B.1)
        .await;
    for path in [
        format!("/gebied/bezwaren/{id}"),
        format!("/gebied/bezwaren/{id}/brief?taal=nl"),
        format!("/gebied/verboden/{ban}/bezwaar"),
    ] {
        let p = other.get(&path).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
        p.assert_lacks(SUMMARY);
    }
    let list = other.get("/gebied/bezwaren").await;
    assert_eq!(list.status, StatusCode::OK);
    list.assert_contains("Er zijn geen open bezwaren.");
    let mut op = Browser::new(&app).logged_in(OPERATOR.0, OPERATOR.1).await;
    assert_eq!(
        op.get("/gebied/bezwaren").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        op.get(&format!("/gebied/bezwaren/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
    // An undecided complaint has no letter yet.
    assert_eq!(
        beh.get(&format!("/gebied/bezwaren/{id}/brief?taal=nl"))
            .await
            .status,
        StatusCode::CONFLICT
    );
    // Not logged in: the login page.
    let mut anon = Browser::new(&app);
    assert_eq!(
        anon.get("/gebied/bezwaren").await.status,
        StatusCode::SEE_OTHER
    );
}
