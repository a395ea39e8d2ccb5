//! The notice and the letter in a real browser against a real `cho-server
//! demo` process (issue 9 items 1 and 2): the owner records the notice of
//! a ban (first with an error), then opens its letter in Dutch and in
//! English; axe-core on every page (0 violations of WCAG 2.1 A/AA),
//! screenshots under target/screenshots/browser_letters/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cho_tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_cho-server-e2e");
const SHOTS: &str = "browser_letters";

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

#[test]
fn the_notice_and_letter_journey() {
    if Browser::start().is_none() {
        return;
    }
    on_sqlite(SERVER, "the_notice_and_letter_journey", journey);
}

fn journey(env: &mut Env) {
    let base = env.server.base.clone();
    let Some(b) = Browser::start() else { return };
    log_in(&b, &base, KROON.0, KROON.1, "Inloggen");
    b.goto(&format!("{base}/verboden"));
    b.wait_for("#find_mrz");
    let ban = b.script(
        "return [...document.querySelectorAll('a[href^=\"/verboden/\"]')].map(a => a.getAttribute('href')).find(h => /^\\/verboden\\/\\d+$/.test(h));",
        vec![],
    );
    let ban = ban.as_str().expect("a ban of the venue").to_owned();

    b.goto(&format!("{base}{ban}"));
    b.wait_for_text("Uitreiking en brief");
    page(&b, "nl-ban");

    // The notice form, sent without a method: the error at the top and at
    // the field; then with one.
    b.goto(&format!("{base}{ban}/uitreiking"));
    b.wait_for("#notified_on");
    page(&b, "nl-notice-form");
    b.script(
        "document.querySelector('#notified_on').value = new Date().toISOString().slice(0, 10);",
        vec![],
    );
    b.fill("#note", "Overhandigd aan de deur");
    b.click_button("Uitreiking opslaan");
    b.wait_for(".cho-error-summary");
    assert!(b.exists("a[href='#method']"));
    assert_eq!(b.value("#note"), "Overhandigd aan de deur");
    page(&b, "nl-notice-form-errors");
    b.fill("#method", "per post");
    b.click_button("Uitreiking opslaan");
    b.wait_for_text("De uitreiking is vastgelegd.");
    page(&b, "nl-ban-notified");

    // The letter in Dutch, then in English from the same (Dutch) page.
    b.click_link("Brief afdrukken (Nederlands)");
    b.wait_for_text("Waar de ontzegging geldt");
    let text = b.text();
    for phrase in [
        "Collectieve horecaontzegging",
        "huisvredebreuk",
        "Autoriteit Persoonsgegevens",
        "Club De Fabriek",
        "Uw rechten",
    ] {
        assert!(text.contains(phrase), "{phrase}: {text}");
    }
    page(&b, "nl-letter");
    b.click_link("Deze brief in het Engels");
    b.wait_for_text("Where the ban holds");
    assert!(b.text().contains("trespass"), "{}", b.text());
    page(&b, "nl-page-en-letter");
    drop(b);

    // In English, on a desktop and on a phone.
    let Some(en) = Browser::start_with("en-GB,en", Viewport::Desktop) else {
        return;
    };
    log_in(&en, &base, KROON.0, KROON.1, "Log in");
    for (path, name, text) in [
        (ban.clone(), "en-ban", "Notice and letter"),
        (
            format!("{ban}/uitreiking"),
            "en-notice-form",
            "Date of notice",
        ),
        (format!("{ban}/brief?taal=en"), "en-letter", "Your rights"),
        (
            format!("{ban}/brief?taal=nl"),
            "en-page-nl-letter",
            "Uw rechten",
        ),
    ] {
        en.goto(&format!("{base}{path}"));
        en.wait_for_text(text);
        page(&en, name);
    }
    en.set_viewport(Viewport::Mobile);
    en.goto(&format!("{base}{ban}/brief?taal=en"));
    en.wait_for_text("Your rights");
    page(&en, "en-letter-mobile");
}
