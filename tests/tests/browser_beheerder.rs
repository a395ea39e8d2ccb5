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

/// Scrolls the `selector` element whose text is `text` into view at once:
/// the theme scrolls smoothly (`scroll-behavior: smooth` unless reduced
/// motion is asked), so WebDriver's own scroll would still be moving when
/// it clicks below the fold.
fn into_view(b: &Browser, selector: &str, text: &str) {
    b.script(
        "const [selector, want] = arguments;\
         const el = [...document.querySelectorAll(selector)]\
           .find(x => x.innerText.replace(/\\s+/g, ' ').trim() === want);\
         if (el) el.scrollIntoView({block: 'center', behavior: 'instant'});\
         return true;",
        vec![serde_json::json!(selector), serde_json::json!(text)],
    );
}

/// Clicks a button (see [`into_view`]).
fn press(b: &Browser, text: &str) {
    into_view(b, "button", text);
    b.click_button(text);
}

/// Follows a link (see [`into_view`]).
fn follow(b: &Browser, text: &str) {
    into_view(b, "a[href]", text);
    b.click_link(text);
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
        press(&b, t("Inloggen", "Log in"));
        b.wait_for_text(t("Overzicht van het gebied", "Area overview"));
        let text = b.text();
        for fact in ["Binnenstad Zwolle", "AP z2025-04711", "Café De Kroon"] {
            assert!(text.contains(fact), "{fact}");
        }
        look(&b, &format!("{lang}-overview"));

        // The protocol, and a category added after a mistake.
        follow(&b, "Protocol");
        b.wait_for_text(t("Categorieën", "Categories"));
        look(&b, &format!("{lang}-protocol"));
        follow(&b, t("Categorie toevoegen", "Add a category"));
        let code = format!("vuurwerk-{lang}");
        b.fill("Code", &code);
        b.fill(
            t("Naam", "Name"),
            t("Vuurwerk afsteken", "Setting off fireworks"),
        );
        b.fill(t("Standaardduur (dagen)", "Default duration (days)"), "400");
        b.fill(t("Maximale duur (dagen)", "Maximum duration (days)"), "365");
        press(&b, t("Categorie toevoegen", "Add category"));
        b.wait_for_text(t("Er is een probleem", "There is a problem"));
        assert_eq!(b.value("Code"), code);
        look(&b, &format!("{lang}-category-error"));
        b.fill(t("Standaardduur (dagen)", "Default duration (days)"), "90");
        press(&b, t("Categorie toevoegen", "Add category"));
        b.wait_for_text(t(
            "De categorie is toegevoegd",
            "The category has been added",
        ));

        // Withdraw a venue (Dutch: De Kroon, English: De Fabriek).
        let venue = t("Café De Kroon", "Club De Fabriek");
        follow(&b, t("Zaken", "Venues"));
        b.wait_for_text(t("KvK-nummer", "KvK number"));
        look(&b, &format!("{lang}-venues"));
        follow(
            &b,
            &format!("{} {venue}", t("Toelating intrekken", "Withdraw admission")),
        );
        b.wait_for_text(t("Ingetrokken per", "Withdrawn from"));
        look(&b, &format!("{lang}-withdraw"));
        press(&b, t("Verder", "Continue"));
        b.wait_for_text(t("Intrekken bevestigen", "Confirm the withdrawal"));
        assert!(b.text().contains(t(
            "de deurtelefoons van deze zaak worden ingetrokken",
            "this venue's door phones are revoked"
        )));
        look(&b, &format!("{lang}-withdraw-confirm"));
        press(&b, t("Toelating intrekken", "Withdraw admission"));
        b.wait_for_text(t(
            "De deurtelefoons van de zaak zijn ingetrokken.",
            "The venue's door phones have been revoked.",
        ));
        assert!(b.text().contains(t("Ingetrokken op", "Withdrawn on")));
        look(&b, &format!("{lang}-venue-withdrawn"));

        // An owner account, then disable it and reset its password.
        let username = format!("portier-{lang}");
        follow(&b, "Accounts");
        b.wait_for_text(t("Accounts van ondernemers", "Owners' accounts"));
        look(&b, &format!("{lang}-accounts"));
        follow(&b, t("Account aanmaken", "Create an account"));
        b.fill(t("Gebruikersnaam", "Username"), &username);
        b.fill(
            t("Eerste wachtwoord", "First password"),
            "portier-wachtwoord-1",
        );
        press(&b, t("Account aanmaken", "Create account"));
        b.wait_for_text(t("Er is een probleem", "There is a problem"));
        assert_eq!(b.value(t("Gebruikersnaam", "Username")), username);
        look(&b, &format!("{lang}-account-form-error"));
        b.fill(
            t("Eerste wachtwoord", "First password"),
            "portier-wachtwoord-1",
        );
        into_view(&b, "label", "Club De Fabriek");
        b.check("Club De Fabriek");
        press(&b, t("Account aanmaken", "Create account"));
        b.wait_for_text(t(
            "Het account is aangemaakt.",
            "The account has been created.",
        ));
        follow(&b, &format!("{} {username}", t("Beheren", "Manage")));
        b.wait_for_text(t("Overal uitloggen", "Log out everywhere"));
        look(&b, &format!("{lang}-account"));
        press(&b, t("Account uitschakelen", "Disable account"));
        b.wait_for_text(t(
            "Het account is uitgeschakeld en overal uitgelogd.",
            "The account has been disabled and logged out everywhere.",
        ));
        assert!(b.text().contains(t("Uitgeschakeld", "Disabled")));
        look(&b, &format!("{lang}-account-disabled"));
        press(&b, t("Wachtwoord opnieuw instellen", "Reset password"));
        b.wait_for(".cho-otp");
        assert!(
            b.text()
                .contains(t("maar één keer getoond", "shown only once"))
        );
        look(&b, &format!("{lang}-one-time-password"));
    }
}
