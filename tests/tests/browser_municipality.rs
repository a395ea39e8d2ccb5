//! The municipality's journey in a real browser against a real `cho-server
//! demo` process (issue 9 item 7): the operator adds a read-only account
//! for Zwolle on the municipality's page (a mistake first, then the
//! one-time password shown once); the municipality logs in with it,
//! chooses its own password, and reads its `/gemeente` pages: the areas
//! with permit and protocol, and an area's anonymous figures (desktop and
//! phone) with the CSV link. Never a name of a banned person. axe (WCAG
//! 2.1 A/AA, 0 violations) on every page; screenshots in Dutch and English
//! under target/screenshots/browser_municipality/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cho_tests::*;

use cho_testkit::people::{DE_VRIES, OZTURK};

const SERVER: &str = env!("CARGO_BIN_EXE_cho-server-e2e");
const SHOTS: &str = "browser_municipality";

#[test]
fn the_operator_adds_a_municipality_account_and_the_municipality_reads_its_figures() {
    if Browser::start().is_none() {
        return;
    }
    on_sqlite(SERVER, "browser_municipality", journey);
}

/// Checks the page with axe and keeps a screenshot.
fn look(b: &Browser, name: &str) {
    b.assert_accessible(name);
    b.screenshot(SHOTS, name);
}

/// Clicks the button `text` after scrolling it to the middle of the
/// window (a click at the window's edge may land on whatever a full-page
/// screenshot left drawn there).
fn press(b: &Browser, text: &str) {
    b.script(
        "for (const e of document.querySelectorAll('button')) { \
           if (e.textContent.trim() === arguments[0]) { e.scrollIntoView({block: 'center'}); } } \
         return true;",
        vec![serde_json::json!(text)],
    );
    b.click_button(text);
}

fn log_in(b: &Browser, base: &str, lang: &str, username: &str, password: &str) {
    let t = |nl: &'static str, en: &'static str| if lang == "nl" { nl } else { en };
    b.goto(&format!("{base}/inloggen"));
    b.fill(t("Gebruikersnaam", "Username"), username);
    b.fill(t("Wachtwoord", "Password"), password);
    press(b, t("Inloggen", "Log in"));
}

/// Nothing of a banned person on the page.
fn no_person(b: &Browser) {
    let text = b.text();
    for person in [JANSEN, DE_VRIES, OZTURK] {
        assert!(!text.contains(person.surname), "{}", person.surname);
    }
}

fn journey(env: &mut Env) {
    let base = env.server.base.clone();
    for (lang, accept) in [("nl", "nl-NL,nl"), ("en", "en-GB,en")] {
        let t = |nl: &'static str, en: &'static str| if lang == "nl" { nl } else { en };
        let username = format!("gemeente-zwolle-{lang}");

        // The operator: the municipality's page, its account form.
        let Some(b) = Browser::start_with(accept, Viewport::Desktop) else {
            return;
        };
        log_in(&b, &base, lang, OPERATOR.0, OPERATOR.1);
        b.wait_for_text(OPERATOR.0);
        b.click_link(t("Beheer", "Administration"));
        b.wait_for_text(t("Beheer van de dienst", "Service administration"));
        b.click_link(t(
            "Huisstijl en accounts van Zwolle",
            "House style and accounts of Zwolle",
        ));
        b.wait_for("#account_username");
        assert!(
            b.text().contains(t(
                "Gemeente Zwolle: huisstijl en accounts",
                "Municipality of Zwolle: house style and accounts"
            )),
            "{}",
            b.text()
        );
        look(&b, &format!("{lang}-operator-municipality"));
        // A mistake first: the error at the top and at the field.
        press(&b, t("Account aanmaken", "Create account"));
        b.wait_for(".cho-error-summary");
        assert!(b.exists("a[href='#account_username']"));
        look(&b, &format!("{lang}-operator-account-error"));
        b.fill("#account_username", &username);
        press(&b, t("Account aanmaken", "Create account"));
        b.wait_for(".cho-one-time");
        let one_time = b
            .script(
                "return document.querySelector('.cho-one-time').textContent.trim();",
                vec![],
            )
            .as_str()
            .unwrap()
            .to_owned();
        assert!(one_time.len() >= 12, "a one-time password: {one_time:?}");
        assert!(b.text().contains(&username), "{}", b.text());
        look(&b, &format!("{lang}-operator-account-created"));
        drop(b);

        // The municipality: the first login asks for its own password.
        let Some(m) = Browser::start_with(accept, Viewport::Desktop) else {
            return;
        };
        log_in(&m, &base, lang, &username, &one_time);
        m.wait_for_text(t(
            "Kies nu een eigen wachtwoord",
            "Choose your own password now",
        ));
        look(&m, &format!("{lang}-first-login"));
        let own = format!("zwolle-raad-{lang}-2026");
        m.fill(t("Huidig wachtwoord", "Current password"), &one_time);
        m.fill(t("Nieuw wachtwoord", "New password"), &own);
        m.fill(
            t("Herhaal het nieuwe wachtwoord", "Repeat the new password"),
            &own,
        );
        press(&m, t("Wachtwoord wijzigen", "Change password"));
        m.wait_for_text(t(
            "Uw wachtwoord is gewijzigd",
            "Your password has been changed",
        ));
        // It lands on its start page: the areas, permit and protocol, no
        // person; the navigation leads there too.
        log_in(&m, &base, lang, &username, &own);
        m.wait_for_text(t("Gemeente Zwolle", "Municipality of Zwolle"));
        m.click_link(t("Gemeente", "Municipality"));
        m.wait_for_text(t("Gemeente Zwolle", "Municipality of Zwolle"));
        assert!(m.url().ends_with("/gemeente"), "{}", m.url());
        assert!(m.text().contains("Binnenstad Zwolle"), "{}", m.text());
        assert!(m.text().contains("AP z2025-04711"), "{}", m.text());
        no_person(&m);
        look(&m, &format!("{lang}-overview"));

        // An area's figures, with the CSV.
        m.click_link(t(
            "Cijfers van Binnenstad Zwolle",
            "Figures for Binnenstad Zwolle",
        ));
        m.wait_for_text(t(
            "Cijfers van Binnenstad Zwolle",
            "Figures for Binnenstad Zwolle",
        ));
        assert!(m.exists("a[href$='statistiek.csv']"));
        no_person(&m);
        look(&m, &format!("{lang}-statistics"));
        let figures = m.url();
        drop(m);

        // The same figures on a phone.
        let Some(p) = Browser::start_with(accept, Viewport::Mobile) else {
            return;
        };
        log_in(&p, &base, lang, &username, &own);
        p.wait_for_text(t("Gemeente Zwolle", "Municipality of Zwolle"));
        p.goto(&figures);
        p.wait_for_text(t(
            "Cijfers van Binnenstad Zwolle",
            "Figures for Binnenstad Zwolle",
        ));
        look(&p, &format!("{lang}-statistics-phone"));
    }
}
