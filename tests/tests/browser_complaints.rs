//! The complaint journey (issue 9 item 3) in a real browser against a real
//! `cho-server demo` process: the beheerder opens a ban, records a
//! complaint (first without a summary: the error at the top and at the
//! field), extends the decision period, decides, prints the decision letter
//! in Dutch and in English, and reads the overview; the owner sees on the
//! ban's page that the complaint was decided. axe-core on every page
//! (0 violations of WCAG 2.1 A/AA), in Dutch and in English; screenshots
//! under target/screenshots/browser_complaints_<lang>/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cho_tests::*;
use serde_json::json;

const SERVER: &str = env!("CARGO_BIN_EXE_cho-server-e2e");

struct Words {
    lang: &'static str,
    accept: &'static str,
    login: &'static str,
    record_link: &'static str,
    record_button: &'static str,
    recorded: &'static str,
    extend_button: &'static str,
    extended: &'static str,
    upheld: &'static str,
    decide_button: &'static str,
    decided: &'static str,
    letter_nl: &'static str,
    letter_en: &'static str,
    nav: &'static str,
    none_open: &'static str,
    owner_decided: &'static str,
}

const NL: Words = Words {
    lang: "nl",
    accept: "nl-NL,nl",
    login: "Inloggen",
    record_link: "Bezwaar vastleggen",
    record_button: "Bezwaar vastleggen",
    recorded: "Het bezwaar is vastgelegd.",
    extend_button: "Termijn verlengen",
    extended: "De beslistermijn is verlengd.",
    upheld: "Gegrond",
    decide_button: "Beslissing vastleggen",
    decided: "De beslissing is vastgelegd.",
    letter_nl: "Beslisbrief in het Nederlands",
    letter_en: "Beslisbrief in het Engels",
    nav: "Bezwaren",
    none_open: "Er zijn geen open bezwaren.",
    owner_decided: "Gegrond.",
};

const EN: Words = Words {
    lang: "en",
    accept: "en-GB,en",
    login: "Log in",
    record_link: "Record a complaint",
    record_button: "Record complaint",
    recorded: "The complaint has been recorded.",
    extend_button: "Extend period",
    extended: "The decision period has been extended.",
    upheld: "Upheld",
    decide_button: "Record decision",
    decided: "The decision has been recorded.",
    letter_nl: "Decision letter in Dutch",
    letter_en: "Decision letter in English",
    nav: "Complaints",
    none_open: "There are no open complaints.",
    owner_decided: "Upheld.",
};

fn log_in(b: &Browser, base: &str, w: &Words, who: (&str, &str)) {
    b.goto(&format!("{base}/inloggen"));
    b.fill("#username", who.0);
    b.fill("#password", who.1);
    b.click_button(w.login);
    b.wait_for("form.cho-nav__logout");
}

/// Brings an element to the middle of the window before it is clicked
/// (a click near the window's bottom edge can land on the footer).
fn scroll_to(b: &Browser, selector: &str) {
    b.script(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'center'});",
        vec![json!(selector)],
    );
}

fn page(b: &Browser, test: &str, name: &str) {
    b.assert_accessible(name);
    b.screenshot(test, name);
}

fn journey(env: &mut Env, w: &Words, ban: i64) {
    let Some(b) = Browser::start_with(w.accept, Viewport::Desktop) else {
        return;
    };
    let test = format!("browser_complaints_{}", w.lang);
    let base = env.server.base.clone();
    log_in(&b, &base, w, BEHEERDER);

    // The ban's page: no complaint yet, a link to record one.
    b.goto(&format!("{base}/gebied/verboden/{ban}"));
    b.wait_for("#bezwaar");
    page(&b, &test, "1-ban");
    assert!(b.text().contains(w.record_link));
    b.goto(&format!("{base}/gebied/verboden/{ban}/bezwaar"));
    b.wait_for("#received_on");
    page(&b, &test, "2-record-form");

    // Without a summary: the error summary and the field's error.
    let today = door_today(now());
    b.script(
        "document.querySelector('#received_on').value = arguments[0];",
        vec![json!(today)],
    );
    scroll_to(&b, "form.cho-form button[type=submit]");
    b.click_button(w.record_button);
    b.wait_for(".cho-error-summary");
    assert!(b.exists("a[href='#summary']"));
    assert!(b.exists("#summary-error"));
    page(&b, &test, "3-record-errors");
    b.fill(
        "#summary",
        "Zegt dat zij die avond niet in de stad was; een vriendin kan dat bevestigen.",
    );
    scroll_to(&b, "form.cho-form button[type=submit]");
    b.click_button(w.record_button);
    b.wait_for_text(w.recorded);
    let complaint = b
        .url()
        .split("/gebied/bezwaren/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .expect("the complaint's page")
        .to_owned();
    page(&b, &test, "4-complaint");

    // Extend by 14 days, with a reason.
    b.fill("#days", "14");
    b.fill(
        "#reason",
        "De commissie hoort eerst de portier van Café De Kroon.",
    );
    // With the keyboard: from the reason to the button.
    b.tab();
    assert!(b.focus_is_visible());
    assert_eq!(b.focused_element().label, w.extend_button);
    b.press_enter();
    b.wait_for_text(w.extended);
    assert!(!b.exists("#days"));
    page(&b, &test, "5-extended");

    // Decide: upheld.
    scroll_to(&b, "#outcome-upheld");
    b.check("#outcome-upheld");
    b.fill(
        "#reasoning",
        "De camerabeelden tonen dat het incident door een andere gast werd veroorzaakt.",
    );
    b.tab();
    assert!(b.focus_is_visible());
    assert_eq!(b.focused_element().label, w.decide_button);
    b.press_enter();
    b.wait_for_text(w.decided);
    assert!(b.text().contains(w.upheld));
    page(&b, &test, "6-decided");

    // The decision letter in Dutch and in English.
    assert!(b.text().contains(w.letter_nl));
    b.goto(&format!("{base}/gebied/bezwaren/{complaint}/brief?taal=nl"));
    b.wait_for_text("Beslissing op uw bezwaar");
    let text = b.text();
    for phrase in [
        "gegrond",
        "Autoriteit Persoonsgegevens",
        "camerabeelden",
        "Kenmerk",
    ] {
        assert!(text.contains(phrase), "NL letter lacks {phrase:?}");
    }
    page(&b, &test, "7-letter-nl");
    b.goto(&format!("{base}/gebied/bezwaren"));
    b.wait_for_text(w.none_open);
    page(&b, &test, "8-overview");
    assert!(b.exists(&format!("table a[href='/gebied/bezwaren/{complaint}']")));
    b.goto(&format!("{base}/gebied/bezwaren/{complaint}"));
    b.wait_for_text(w.letter_en);
    b.goto(&format!("{base}/gebied/bezwaren/{complaint}/brief?taal=en"));
    b.wait_for_text("Decision on your complaint");
    let text = b.text();
    for phrase in [
        "upholds your complaint",
        "Autoriteit Persoonsgegevens",
        "Reference",
    ] {
        assert!(text.contains(phrase), "EN letter lacks {phrase:?}");
    }
    page(&b, &test, "9-letter-en");

    // The nav link leads to the overview.
    b.goto(&format!("{base}/gebied/verboden"));
    assert!(b.exists("nav a[href='/gebied/bezwaren']"));
    // The link sits in the nav's "Procedures" group: opened, it shows.
    b.click("nav summary.cho-nav__summary");
    assert!(b.text().contains(w.nav));

    // The owner sees the outcome on the ban's page, not the texts.
    let Some(o) = Browser::start_with(w.accept, Viewport::Desktop) else {
        return;
    };
    log_in(&o, &base, w, KROON);
    o.goto(&format!("{base}/verboden/{ban}"));
    o.wait_for("#bezwaar");
    let text = o.text();
    assert!(text.contains(w.owner_decided), "{text}");
    assert!(!text.contains("camerabeelden") && !text.contains("vriendin"));
    page(&o, &test, "10-owner-ban");
}

fn story(env: &mut Env) {
    let kroon = env.http.login(KROON.0, KROON.1);
    let person = |given: &str| json!({"surname": "Klaagmans", "given_names": given, "birth_date": "1992-06-01"});
    let first = kroon.issue(ban_body(VENUE_KROON, CATEGORY_1, person("Roos")));
    let second = kroon.issue(ban_body(VENUE_KROON, CATEGORY_1, person("Iris")));
    journey(env, &NL, first);
    journey(env, &EN, second);
}

#[test]
fn beheerder_records_extends_decides_and_prints_the_letter() {
    on_sqlite(SERVER, "browser_complaints", story);
}
