//! The owner's journey in a real browser against a real `cho-server demo`
//! process: log in, issue a ban by pasted MRZ with the keyboard only, find
//! it, enrol a door phone and see the QR code, revoke the ban; axe-core on
//! every page (0 violations of WCAG 2.1 A/AA), screenshots in Dutch and
//! English under target/screenshots/browser_owner/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cho_tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_cho-server-e2e");
const SHOTS: &str = "browser_owner";

/// Willeke Liselotte de Bruijn's passport: nobody the demo bans.
fn mrz() -> String {
    cho_testkit::mrz::passport("DE BRUIJN", "WILLEKE LISELOTTE", "650310", "340115")
}

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

/// Sends the form that posts to `action` from its submit button, by
/// keyboard (focus on the button, Enter), after checking the button's
/// text.
fn submit(b: &Browser, action: &str, button: &str) {
    let text = b.script(
        "const e = document.querySelector(`form[action='${arguments[0]}'] button[type=submit]`); e.focus(); return e.textContent;",
        vec![serde_json::json!(action)],
    );
    assert_eq!(text, button);
    assert!(b.focus_is_visible(), "no visible focus on {button}");
    b.press_enter();
}

/// Moves the focus with Tab to `target` and checks the focus shows.
fn tab_to(b: &Browser, target: &str) {
    b.tab_to(target);
    assert!(b.focus_is_visible(), "no visible focus on {target}");
}

#[test]
fn the_owner_journey() {
    if Browser::start().is_none() {
        return;
    }
    on_sqlite(SERVER, "the_owner_journey", journey);
}

fn journey(env: &mut Env) {
    let base = env.server.base.clone();
    let Some(b) = Browser::start() else { return };
    log_in(&b, &base, KROON.0, KROON.1, "Inloggen");
    b.goto(&format!("{base}/zaak"));
    b.wait_for_text("Mijn zaak");
    assert!(b.text().contains("Café De Kroon"), "{}", b.text());
    page(&b, "nl-dashboard");

    // The ban form, first sent empty: the errors at the top and at the fields.
    b.click_link("Ontzegging opleggen");
    b.wait_for("#mrz");
    assert!(b.text().contains("182 dagen, tot en met"), "{}", b.text());
    page(&b, "nl-ban-form");
    submit(&b, "/verboden/nieuw", "Ontzegging opleggen");
    b.wait_for(".cho-error-summary");
    assert!(b.exists("a[href='#mrz']"));
    page(&b, "nl-ban-form-errors");

    // Keyboard only: paste (type) the MRZ, fill the rest, send with Enter.
    b.goto(&format!("{base}/verboden/nieuw"));
    b.wait_for("#mrz");
    tab_to(&b, "mrz");
    b.type_keys(&mrz());
    tab_to(&b, "incident_time");
    b.type_keys("01:30");
    tab_to(&b, "description");
    b.type_keys("Sloeg een gast aan de bar");
    // A radio group is one Tab stop; Space chooses the focused option.
    tab_to(&b, "category_id");
    b.press_space();
    tab_to(&b, "hearing_statement");
    b.type_keys("Zegt dat hij werd uitgedaagd");
    let today = b.value("#incident_date");
    tab_to(&b, "notified_on");
    b.type_keys(&today);
    tab_to(&b, "notice_method");
    b.type_keys("brief overhandigd");
    tab_to(&b, "Ontzegging opleggen");
    b.press_enter();
    b.wait_for_text("De ontzegging is opgelegd");
    let url = b.url();
    assert!(url.contains("/verboden/"), "{url}");
    let html = b.html();
    for line in mrz().lines() {
        assert!(!html.contains(line), "the MRZ is on the ban's page");
    }
    assert!(
        b.text().contains("DE BRUIJN, WILLEKE LISELOTTE"),
        "{}",
        b.text()
    );
    page(&b, "nl-ban");
    let ban_url = url.split('?').next().unwrap().to_owned();

    // Find the person by MRZ.
    b.click_link("Ontzeggingen");
    b.wait_for("#find_mrz");
    page(&b, "nl-bans");
    b.fill("#find_mrz", &mrz());
    submit(&b, "/verboden/zoeken", "Zoeken");
    b.wait_for_text("Dezelfde persoon");
    page(&b, "nl-find");

    // Enrol a door phone: the QR code and the code as text.
    b.click_link("Deurtelefoons");
    b.wait_for("#device_name");
    page(&b, "nl-devices");
    b.fill("Naam van de deurtelefoon", "Voordeur");
    submit(&b, "/deurtelefoons/code", "Aanmeldcode maken");
    b.wait_for("svg.cho-qr");
    assert!(b.exists("#code"));
    // The key check beside the code: typed too, so a phone never trusts
    // a signing key on first use.
    assert!(b.exists("#key-check"));
    b.wait_for_text("Typ ook deze sleutelcontrole");
    page(&b, "nl-code");

    // Revoke the ban with a reason.
    b.goto(&ban_url);
    b.wait_for("#reason");
    b.fill("Reden van de intrekking", "Verkeerde persoon");
    let action = format!("{}/intrekken", ban_url.strip_prefix(&base).unwrap());
    submit(&b, &action, "Ontzegging intrekken");
    b.wait_for_text("De ontzegging is ingetrokken");
    page(&b, "nl-ban-revoked");
    drop(b);

    // The same pages in English.
    let Some(en) = Browser::start_with("en-GB,en", Viewport::Desktop) else {
        return;
    };
    log_in(&en, &base, KROON.0, KROON.1, "Log in");
    for (path, name, text) in [
        ("/zaak", "en-dashboard", "My venue"),
        ("/verboden/nieuw", "en-ban-form", "up to and including"),
        ("/verboden", "en-bans", "Find by person"),
        ("/deurtelefoons", "en-devices", "Enrol a door phone"),
        (ban_url.strip_prefix(&base).unwrap(), "en-ban", "Revoked"),
    ] {
        en.goto(&format!("{base}{path}"));
        en.wait_for_text(text);
        page(&en, name);
    }
    // The enrolment code with its key check, in English.
    en.goto(&format!("{base}/deurtelefoons"));
    en.wait_for("#device_name");
    en.fill("Name of the door phone", "Achterdeur");
    submit(&en, "/deurtelefoons/code", "Create an enrolment code");
    en.wait_for("svg.cho-qr");
    en.wait_for_text("Also type this key check");
    assert!(en.exists("#key-check"));
    page(&en, "en-code");
    en.goto(&format!("{base}/verboden/nieuw"));
    submit(&en, "/verboden/nieuw", "Issue the ban");
    en.wait_for_text("There is a problem");
    page(&en, "en-ban-form-errors");
    // On a phone too.
    en.set_viewport(Viewport::Mobile);
    en.goto(&format!("{base}/verboden/nieuw"));
    en.wait_for("#mrz");
    page(&en, "en-ban-form-mobile");
}
