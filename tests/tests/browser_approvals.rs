//! Four-eyes in a real browser against a real `cho-server demo` process
//! (issue 9 item 5): the beheerder switches four-eyes on, the owner of
//! Café De Kroon issues two bans (they wait), the beheerder approves one
//! and rejects the other (first without a reason: the error), and the
//! owner sees both states. axe-core on every page (0 violations of WCAG
//! 2.1 A/AA), screenshots in Dutch and English under
//! target/screenshots/browser_approvals/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cho_tests::*;
use serde_json::json;

const SERVER: &str = env!("CARGO_BIN_EXE_cho-server-e2e");
const SHOTS: &str = "browser_approvals";

fn log_in(b: &Browser, base: &str, username: &str, password: &str, submit: &str) {
    b.goto(&format!("{base}/inloggen"));
    b.fill("#username", username);
    b.fill("#password", password);
    b.click_button(submit);
}

/// Checks the page with axe and keeps a screenshot of it.
fn page(b: &Browser, name: &str) {
    b.assert_accessible(name);
    b.screenshot(SHOTS, name);
}

/// Sends the form that posts to `action` by keyboard (focus on its submit
/// button, Enter), after checking the button's text.
fn submit(b: &Browser, action: &str, button: &str) {
    let text = b.script(
        "const e = document.querySelector(`form[action='${arguments[0]}'] button[type=submit]`); e.focus(); return e.textContent;",
        vec![serde_json::json!(action)],
    );
    assert!(
        text.as_str().unwrap_or_default().starts_with(button),
        "{text}"
    );
    assert!(b.focus_is_visible(), "no visible focus on {button}");
    b.press_enter();
}

#[test]
fn the_four_eyes_journey() {
    if Browser::start().is_none() {
        return;
    }
    on_sqlite(SERVER, "the_four_eyes_journey", journey);
}

fn journey(env: &mut Env) {
    let base = env.server.base.clone();
    let Some(b) = Browser::start() else { return };

    // The beheerder switches four-eyes on (and sets a breach rule).
    log_in(&b, &base, BEHEERDER.0, BEHEERDER.1, "Inloggen");
    b.goto(&format!("{base}/gebied/protocol"));
    b.wait_for_text("Vier ogen en herhaling wijzigen");
    assert!(b.exists("a[href='/gebied/protocol/vier-ogen']"));
    b.goto(&format!("{base}/gebied/protocol/vier-ogen"));
    b.wait_for("#four_eyes");
    page(&b, "nl-rules");
    // A look-back beyond the retention (0 days in the demo) is refused.
    b.fill("#lookback_days", "30");
    submit(&b, "/gebied/protocol/vier-ogen", "Opslaan");
    b.wait_for(".cho-error-summary");
    assert!(b.text().contains("Terugkijken (30 dagen)"), "{}", b.text());
    page(&b, "nl-rules-error");
    b.check("Nieuwe ontzeggingen van zaken eerst goedkeuren");
    b.fill("#breach_days", "365");
    b.fill("#lookback_days", "0");
    submit(&b, "/gebied/protocol/vier-ogen", "Opslaan");
    b.wait_for_text("De instellingen van het protocol zijn opgeslagen");

    // The owner issues two bans: both wait.
    let owner = env.http.login(KROON.0, KROON.1);
    let mut ids = Vec::new();
    for person in [
        json!({"surname": "Smit", "given_names": "Anna Maria", "birth_date": "1990-04-04"}),
        json!({"surname": "Bakker", "given_names": "Jan", "birth_date": "1985-06-07"}),
    ] {
        let answer = owner.post("/api/v1/bans", ban_body(VENUE_1, CATEGORY_1, person));
        assert_eq!(
            answer.status,
            201,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        let ban: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(ban["status"], "requested");
        ids.push(ban["id"].as_i64().unwrap());
    }
    let (first, second) = (ids[0], ids[1]);

    // The queue: approve the first.
    b.goto(&format!("{base}/gebied/goedkeuren"));
    b.wait_for_text("Smit, Anna Maria");
    assert!(b.text().contains("Bakker, Jan"), "{}", b.text());
    page(&b, "nl-queue");
    submit(
        &b,
        &format!("/gebied/goedkeuren/{first}/goedkeuren"),
        "Goedkeuren",
    );
    b.wait_for_text("De ontzegging is goedgekeurd");
    page(&b, "nl-queue-approved");

    // Reject the second: first without a reason, then with one.
    let reject = format!("/gebied/goedkeuren/{second}/afwijzen");
    submit(&b, &reject, "Afwijzen");
    b.wait_for(".cho-error-summary");
    assert!(b.exists(&format!("a[href='#reason-{second}']")));
    page(&b, "nl-queue-reject-error");
    b.fill(
        &format!("#reason-{second}"),
        "Beelden tonen dat hij er niet bij was",
    );
    submit(&b, &reject, "Afwijzen");
    b.wait_for_text("Het verzoek is afgewezen");
    assert!(
        b.text()
            .contains("Er wachten geen ontzeggingen op goedkeuring")
    );
    page(&b, "nl-queue-empty");
    drop(b);

    // The owner sees both states.
    let Some(o) = Browser::start() else { return };
    log_in(&o, &base, KROON.0, KROON.1, "Inloggen");
    o.goto(&format!("{base}/verboden"));
    o.wait_for_text("Smit");
    page(&o, "nl-owner-bans");
    o.goto(&format!("{base}/verboden/{first}"));
    o.wait_for_text("Actief");
    page(&o, "nl-owner-approved");
    o.goto(&format!("{base}/verboden/{second}"));
    o.wait_for_text("Afgewezen door beheerder");
    assert!(
        o.text().contains("Beelden tonen dat hij er niet bij was"),
        "{}",
        o.text()
    );
    page(&o, "nl-owner-rejected");
    drop(o);

    // A third request, so the English queue is not empty.
    let answer = owner.post(
        "/api/v1/bans",
        ban_body(
            VENUE_1,
            CATEGORY_1,
            json!({"surname": "Visser", "given_names": "Lotte", "birth_date": "1999-09-09"}),
        ),
    );
    assert_eq!(answer.status, 201);

    // English.
    let Some(en) = Browser::start_with("en-GB,en", Viewport::Desktop) else {
        return;
    };
    log_in(&en, &base, BEHEERDER.0, BEHEERDER.1, "Log in");
    for (path, name, text) in [
        ("/gebied/goedkeuren", "en-queue", "Approve bans"),
        ("/gebied/protocol/vier-ogen", "en-rules", "Four-eyes"),
        (
            "/gebied/verboden/nieuw",
            "en-behalf-form",
            "Record a ban for a venue",
        ),
    ] {
        en.goto(&format!("{base}{path}"));
        en.wait_for_text(text);
        page(&en, name);
    }
    drop(en);
    let Some(en) = Browser::start_with("en-GB,en", Viewport::Desktop) else {
        return;
    };
    log_in(&en, &base, KROON.0, KROON.1, "Log in");
    en.goto(&format!("{base}/verboden/{second}"));
    en.wait_for_text("Rejected by the beheerder");
    page(&en, "en-owner-rejected");
    en.goto(&format!("{base}/verboden/{first}"));
    en.wait_for_text("Active");
    page(&en, "en-owner-approved");
}
