//! The beheerder's journey (part 1: running the area) in a real browser
//! against a real `cho-server demo` process: log in as the demo
//! beheerder, read the area overview, the protocol, add a category with a
//! mistake first, withdraw a venue (with the confirmation that its door
//! phones are revoked), create an owner account, disable it and reset its
//! password (shown once). axe (WCAG 2.1 A/AA, 0 violations) on every
//! page, screenshots in Dutch and English under
//! target/screenshots/browser_beheerder/. The bans and statistics part of
//! the journey is in its own file (`records`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cho_tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_cho-server-e2e");

#[test]
fn the_beheerder_withdraws_a_venue_and_disables_an_account() {
    on_sqlite(SERVER, "browser_beheerder", journey);
}

/// Checks the page with axe and keeps a screenshot.
fn look(b: &Browser, name: &str) {
    b.assert_accessible(name);
    b.screenshot("browser_beheerder", name);
}

fn journey(env: &mut Env) {
    let base = env.server.base.clone();
    for (lang, accept) in [("nl", "nl-NL,nl"), ("en", "en-GB,en")] {
        let Some(b) = Browser::start_with(accept, Viewport::Desktop) else {
            return;
        };
        let t = |nl: &'static str, en: &'static str| if lang == "nl" { nl } else { en };

        // Log in: the start page is the area overview.
        b.goto(&format!("{base}/inloggen"));
        b.fill(t("Gebruikersnaam", "Username"), BEHEERDER.0);
        b.fill(t("Wachtwoord", "Password"), BEHEERDER.1);
        b.click_button(t("Inloggen", "Log in"));
        b.wait_for_text(t("Overzicht van het gebied", "Area overview"));
        let text = b.text();
        for fact in ["Binnenstad Zwolle", "AP z2025-04711", "Café De Kroon"] {
            assert!(text.contains(fact), "{fact}");
        }
        look(&b, &format!("{lang}-overview"));

        // The protocol, and a category added after a mistake.
        b.click_link("Protocol");
        b.wait_for_text(t("Categorieën", "Categories"));
        look(&b, &format!("{lang}-protocol"));
        b.click_link(t("Categorie toevoegen", "Add a category"));
        let code = format!("vuurwerk-{lang}");
        b.fill("Code", &code);
        b.fill(t("Naam", "Name"), t("Vuurwerk afsteken", "Setting off fireworks"));
        b.fill(t("Standaardduur (dagen)", "Default duration (days)"), "400");
        b.fill(t("Maximale duur (dagen)", "Maximum duration (days)"), "365");
        b.click_button(t("Categorie toevoegen", "Add category"));
        b.wait_for_text(t("Er is een probleem", "There is a problem"));
        assert_eq!(b.value("Code"), code);
        look(&b, &format!("{lang}-category-error"));
        b.fill(t("Standaardduur (dagen)", "Default duration (days)"), "90");
        b.click_button(t("Categorie toevoegen", "Add category"));
        b.wait_for_text(t("De categorie is toegevoegd", "The category has been added"));

        // Withdraw a venue (Dutch: De Kroon, English: De Fabriek).
        let venue = t("Café De Kroon", "Club De Fabriek");
        b.click_link(t("Zaken", "Venues"));
        b.wait_for_text(t("KvK-nummer", "Chamber of Commerce (KvK) number"));
        look(&b, &format!("{lang}-venues"));
        b.click_link(&format!("{} {venue}", t("Toelating intrekken", "Withdraw admission")));
        b.wait_for_text(t("Ingetrokken per", "Withdrawn from"));
        look(&b, &format!("{lang}-withdraw"));
        b.click_button(t("Verder", "Continue"));
        b.wait_for_text(t("Intrekken bevestigen", "Confirm the withdrawal"));
        assert!(b.text().contains(t(
            "de deurtelefoons van deze zaak worden ingetrokken",
            "this venue's door phones are revoked"
        )));
        look(&b, &format!("{lang}-withdraw-confirm"));
        b.click_button(t("Toelating intrekken", "Withdraw admission"));
        b.wait_for_text(t(
            "De deurtelefoons van de zaak zijn ingetrokken.",
            "The venue's door phones have been revoked."
        ));
        assert!(b.text().contains(t("Ingetrokken op", "Withdrawn on")));
        look(&b, &format!("{lang}-venue-withdrawn"));

        // An owner account, then disable it and reset its password.
        let username = format!("portier-{lang}");
        b.click_link("Accounts");
        b.wait_for_text(t("Accounts van ondernemers", "Owners' accounts"));
        look(&b, &format!("{lang}-accounts"));
        b.click_link(t("Account aanmaken", "Create an account"));
        b.fill(t("Gebruikersnaam", "Username"), &username);
        b.fill(t("Eerste wachtwoord", "First password"), "portier-wachtwoord-1");
        b.click_button(t("Account aanmaken", "Create account"));
        b.wait_for_text(t("Er is een probleem", "There is a problem"));
        assert_eq!(b.value(t("Gebruikersnaam", "Username")), username);
        look(&b, &format!("{lang}-account-form-error"));
        b.fill(t("Eerste wachtwoord", "First password"), "portier-wachtwoord-1");
        b.check("Club De Fabriek");
        b.click_button(t("Account aanmaken", "Create account"));
        b.wait_for_text(t("Het account is aangemaakt.", "The account has been created."));
        b.click_link(&format!("{} {username}", t("Beheren", "Manage")));
        b.wait_for_text(t("Overal uitloggen", "Log out everywhere"));
        look(&b, &format!("{lang}-account"));
        b.click_button(t("Account uitschakelen", "Disable account"));
        b.wait_for_text(t(
            "Het account is uitgeschakeld en overal uitgelogd.",
            "The account has been disabled and logged out everywhere."
        ));
        assert!(b.text().contains(t("Uitgeschakeld", "Disabled")));
        look(&b, &format!("{lang}-account-disabled"));
        b.click_button(t("Wachtwoord opnieuw instellen", "Reset password"));
        b.wait_for(".cho-otp");
        assert!(b.text().contains(t("maar één keer getoond", "shown only once")));
        look(&b, &format!("{lang}-one-time-password"));
    }
}
