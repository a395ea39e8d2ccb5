//! Four-eyes and repeat rules on the pages (`web/approvals.rs`): the
//! approval queue, the rules form, the beheerder's ban form on a venue's
//! instruction, and what the owner sees; in Dutch and English, other roles
//! refused, another area's bans not found, CSRF.

use axum::http::StatusCode;
use serde_json::json;

use crate::both;
use crate::fixtures::*;
use crate::harness::TestApp;
use crate::web_client::Browser;

/// A form with only its CSRF token.
const NO_FIELDS: &[(&str, &str)] = &[];

/// Four-eyes on in area A through the rules page.
async fn four_eyes_on(b: &mut Browser<'_>) {
    let page = b
        .post_form(
            "/gebied/protocol/vier-ogen",
            &[
                ("four_eyes", "1"),
                ("breach_days", ""),
                ("repeat_count", ""),
                ("lookback_days", "0"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
}

both!(the_approval_pages_in_dutch_and_english);
async fn the_approval_pages_in_dutch_and_english(app: TestApp) {
    let _s = app.seed().await;
    let mut nl = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let mut en = Browser::new(&app)
        .english()
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    for (path, nl_text, en_text) in [
        (
            "/gebied/goedkeuren",
            "Er wachten geen ontzeggingen op goedkeuring",
            "No bans are awaiting approval",
        ),
        (
            "/gebied/protocol/vier-ogen",
            "Nieuwe ontzeggingen van zaken eerst goedkeuren",
            "new bans first",
        ),
        (
            "/gebied/verboden/nieuw",
            "Ontzegging vastleggen namens een zaak",
            "Record a ban for a venue",
        ),
        (
            "/gebied/protocol",
            "Vier ogen en herhaling wijzigen",
            "Change four-eyes and repeat offences",
        ),
    ] {
        let page = nl.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        page.assert_contains("<html lang=\"nl\"");
        page.assert_contains(nl_text);
        page.assert_contains("href=\"/gebied/goedkeuren\"");
        let page = en.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        page.assert_contains("<html lang=\"en\"");
        page.assert_contains(en_text);
    }
    // The beheerder's form chooses among the area's venues.
    let form = nl.get("/gebied/verboden/nieuw").await;
    form.assert_contains("Café De Kroon");
    form.assert_contains("action=\"/gebied/verboden/nieuw\"");
}

both!(other_roles_are_refused);
async fn other_roles_are_refused(app: TestApp) {
    let s = app.seed().await;
    let mut owner = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    let mut op = Browser::new(&app).logged_in(OPERATOR.0, OPERATOR.1).await;
    for b in [&mut owner, &mut op] {
        for path in [
            "/gebied/goedkeuren",
            "/gebied/protocol/vier-ogen",
            "/gebied/verboden/nieuw",
        ] {
            let page = b.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        }
    }
    // The beheerder still may not use the owner's own form.
    let mut beh = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    assert_eq!(
        beh.get("/verboden/nieuw").await.status,
        StatusCode::FORBIDDEN
    );
    // Deciding on a ban is the beheerder's: the owner is refused.
    let id = s.demo_bans[0].to_string();
    let page = owner
        .post_form(&format!("/gebied/goedkeuren/{id}/goedkeuren"), NO_FIELDS)
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

both!(the_beheerder_approves_and_rejects_and_the_owner_sees_both);
async fn the_beheerder_approves_and_rejects_and_the_owner_sees_both(app: TestApp) {
    let s = app.seed().await;
    let mut beh = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    four_eyes_on(&mut beh).await;
    let token = app.login(OWNER_A.0, OWNER_A.1).await;
    let first = app
        .issue(
            &token,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Smit", "Anna", "1990-04-04"),
            ),
        )
        .await;
    let second = app
        .issue(
            &token,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Bakker", "Jan", "1985-06-07"),
            ),
        )
        .await;

    // The owner sees "awaiting approval".
    let mut owner = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    let page = owner.get(&format!("/verboden/{first}")).await;
    page.assert_contains("Wacht op goedkeuring");
    page.assert_contains("staat nog op geen enkele lijst");
    let list = owner.get("/verboden?status=requested").await;
    list.assert_contains("Smit");
    list.assert_contains("Bakker");

    // The queue shows both, with names, for the beheerder.
    let queue = beh.get("/gebied/goedkeuren").await;
    queue.assert_contains("Smit, Anna");
    queue.assert_contains("Bakker, Jan");
    queue.assert_contains(&format!("action=\"/gebied/goedkeuren/{first}/goedkeuren\""));

    // Another area's beheerder finds neither.
    let mut beh_b = Browser::new(&app)
        .logged_in(BEHEERDER_B.0, BEHEERDER_B.1)
        .await;
    let page = beh_b
        .post_form(&format!("/gebied/goedkeuren/{first}/goedkeuren"), NO_FIELDS)
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!beh_b.get("/gebied/goedkeuren").await.body.contains("Smit"));

    // Approve the first.
    let page = beh
        .post_form(&format!("/gebied/goedkeuren/{first}/goedkeuren"), NO_FIELDS)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/gebied/goedkeuren?klaar=approved");
    beh.get(page.location())
        .await
        .assert_contains("De ontzegging is goedgekeurd");

    // Rejecting without a reason: the queue again, the error at the top
    // and at the field.
    let page = beh
        .post_form(
            &format!("/gebied/goedkeuren/{second}/afwijzen"),
            &[("reason", "  ")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Er is een probleem");
    page.assert_contains(&format!("href=\"#reason-{second}\""));
    page.assert_contains(&format!("id=\"reason-{second}-error\""));
    let page = beh
        .post_form(
            &format!("/gebied/goedkeuren/{second}/afwijzen"),
            &[("reason", "Beelden tonen dat hij er niet bij was")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let queue = beh.get("/gebied/goedkeuren").await;
    queue.assert_contains("Er wachten geen ontzeggingen op goedkeuring");

    // The owner sees both states: active, and rejected with the reason.
    let page = owner.get(&format!("/verboden/{first}")).await;
    page.assert_contains("Actief");
    let page = owner.get(&format!("/verboden/{second}")).await;
    page.assert_contains("Afgewezen door beheerder");
    page.assert_contains("Beelden tonen dat hij er niet bij was");
    let mut owner_en = Browser::new(&app)
        .english()
        .logged_in(OWNER_A.0, OWNER_A.1)
        .await;
    let page = owner_en.get(&format!("/verboden/{second}")).await;
    page.assert_contains("Rejected by the beheerder");
}

both!(the_rules_form_refuses_a_lookback_beyond_the_retention);
async fn the_rules_form_refuses_a_lookback_beyond_the_retention(app: TestApp) {
    let _s = app.seed().await;
    let mut beh = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let page = beh
        .post_form(
            "/gebied/protocol/vier-ogen",
            &[
                ("breach_days", "365"),
                ("repeat_count", "3"),
                ("lookback_days", "30"),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.assert_contains("Terugkijken (30 dagen)");
    page.assert_contains("bewaartermijn van het protocol (0 dagen)");
    // What was typed is kept.
    page.assert_contains("value=\"365\"");
    // Not a number: at the field.
    let page = beh
        .post_form(
            "/gebied/protocol/vier-ogen",
            &[("breach_days", "twaalf"), ("lookback_days", "0")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("id=\"breach_days-error\"");
    page.assert_contains("value=\"twaalf\"");
    // Within the rules: saved.
    let page = beh
        .post_form(
            "/gebied/protocol/vier-ogen",
            &[("breach_days", "365"), ("lookback_days", "0")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    beh.get("/gebied/protocol/vier-ogen")
        .await
        .assert_contains("value=\"365\"");
}

both!(the_beheerder_records_a_ban_for_a_venue_and_the_owner_sees_the_repeat);
async fn the_beheerder_records_a_ban_for_a_venue_and_the_owner_sees_the_repeat(app: TestApp) {
    let s = app.seed().await;
    let mut beh = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let page = beh
        .post_form(
            "/gebied/protocol/vier-ogen",
            &[
                ("four_eyes", "1"),
                ("breach_days", "365"),
                ("lookback_days", "0"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    // Jansen (the demo's running ban at A1) again, recorded by the
    // beheerder for venue A2: active at once, a breach.
    let venue = s.venue_a2.to_string();
    let category = s.category_a.to_string();
    let page = beh
        .post_form(
            "/gebied/verboden/nieuw",
            &[
                ("venue_id", venue.as_str()),
                ("surname", "Jansen"),
                ("given_names", "Piet Hendrik"),
                ("birth_date", "17-05-1994"),
                ("incident_date", "28-11-2026"),
                ("incident_time", "01:30"),
                ("description", "Kwam binnen tijdens zijn verbod"),
                ("category_id", category.as_str()),
                ("not_heard_reason", "Liep weg"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let id: i64 = page
        .location()
        .strip_prefix("/gebied/verboden/")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", page.location()));
    let token = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let (_, ban) = app.get(&format!("/api/v1/bans/{id}"), &token).await;
    assert_eq!(ban["status"], "active");
    assert_eq!(ban["on_behalf"], true);
    assert_eq!(ban["repeat"], json!({"rule": "breach", "days": 365}));
    // The venue's owner sees the outcome, never the other venue.
    let mut owner2 = Browser::new(&app).logged_in(OWNER_A2.0, OWNER_A2.1).await;
    let page = owner2.get(&format!("/verboden/{id}")).await;
    page.assert_contains("Het protocol schrijft 365 dagen voor");
    page.assert_contains("Vastgelegd door de beheerder");
    assert!(!page.body.contains("De Kroon"), "{}", page.body);
    // The beheerder's page of the ban: the rule and the earlier ban.
    let page = beh.get(&format!("/gebied/verboden/{id}")).await;
    page.assert_contains("Het protocol schrijft 365 dagen voor");
    page.assert_contains(&format!("/gebied/verboden/{}", s.demo_bans[0]));
}

both!(the_approval_forms_refuse_a_missing_csrf_token);
async fn the_approval_forms_refuse_a_missing_csrf_token(app: TestApp) {
    let s = app.seed().await;
    let mut beh = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let before = app.last_seq().await;
    let id = s.demo_bans[0];
    for path in [
        format!("/gebied/goedkeuren/{id}/goedkeuren"),
        format!("/gebied/goedkeuren/{id}/afwijzen"),
        format!("/gebied/verboden/{id}/goedkeuren"),
        format!("/gebied/verboden/{id}/afwijzen"),
        "/gebied/protocol/vier-ogen".to_owned(),
        "/gebied/verboden/nieuw".to_owned(),
    ] {
        let page = beh
            .post(&path, &[("reason", "x"), ("four_eyes", "1")])
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        let page = beh
            .post(
                &path,
                &[("csrf", "nep"), ("reason", "x"), ("four_eyes", "1")],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(
        app.events_after(before)
            .await
            .iter()
            .all(|e| !e.1.starts_with("area.protocol") && !e.1.starts_with("ban.")),
    );
}

both!(the_beheerder_decides_on_the_bans_own_page);
/// Four-eyes on the ban's page (`/gebied/verboden/{id}`), not only in the
/// queue: the forms show while it is requested, with the day an undecided
/// request is deleted; approve and reject come back to the ban; a missing
/// reason is shown at the top and at the field; the owner cannot decide,
/// another area's beheerder finds nothing.
async fn the_beheerder_decides_on_the_bans_own_page(app: TestApp) {
    let s = app.seed().await;
    let mut beh = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    four_eyes_on(&mut beh).await;
    let token = app.login(OWNER_A.0, OWNER_A.1).await;
    let first = app
        .issue(
            &token,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Smit", "Anna", "1990-04-04"),
            ),
        )
        .await;
    let second = app
        .issue(
            &token,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Bakker", "Jan", "1985-06-07"),
            ),
        )
        .await;
    let page = beh.get(&format!("/gebied/verboden/{first}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_contains("Goedkeuren of afwijzen");
    page.assert_contains(&format!("action=\"/gebied/verboden/{first}/goedkeuren\""));
    page.assert_contains(&format!("action=\"/gebied/verboden/{first}/afwijzen\""));
    // Requested on 28 November 2026: deleted on 28 December undecided.
    page.assert_contains("Zonder besluit wordt dit verzoek op 28 december 2026 verwijderd.");
    let page = Browser::new(&app)
        .english()
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await
        .get(&format!("/gebied/verboden/{first}"))
        .await;
    page.assert_contains("Approve or reject");
    page.assert_contains("will be deleted on 28 December 2026");
    // The owner's page tells the same day, without the forms.
    let mut owner = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    let page = owner.get(&format!("/verboden/{first}")).await;
    page.assert_contains("28 december 2026 verwijderd");
    assert!(!page.body.contains("/goedkeuren\""), "{}", page.body);
    // The owner may not decide (403); another area's beheerder finds
    // nothing (404).
    let page = owner
        .post_form(&format!("/gebied/verboden/{first}/goedkeuren"), NO_FIELDS)
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let mut beh_b = Browser::new(&app)
        .logged_in(BEHEERDER_B.0, BEHEERDER_B.1)
        .await;
    let page = beh_b
        .post_form(&format!("/gebied/verboden/{first}/goedkeuren"), NO_FIELDS)
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    // Approve: back to the ban, active, the forms gone.
    let page = beh
        .post_form(&format!("/gebied/verboden/{first}/goedkeuren"), NO_FIELDS)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        page.location(),
        format!("/gebied/verboden/{first}?melding=goedgekeurd")
    );
    let page = beh.get(page.location()).await;
    page.assert_contains("De ontzegging is goedgekeurd");
    assert!(!page.body.contains("Goedkeuren of afwijzen"));

    // Reject without a reason: the page again, error at top and field.
    let page = beh
        .post_form(
            &format!("/gebied/verboden/{second}/afwijzen"),
            &[("reason", " ")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Er is een probleem");
    page.assert_contains("href=\"#reject-reason\"");
    page.assert_contains("id=\"reject-reason-error\"");
    let page = beh
        .post_form(
            &format!("/gebied/verboden/{second}/afwijzen"),
            &[("reason", "Hij was er niet bij")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = beh.get(page.location()).await;
    page.assert_contains("Het verzoek is afgewezen");
    page.assert_contains("Hij was er niet bij");
}
