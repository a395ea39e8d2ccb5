//! The operator's journey in a real browser against a real `cho-server
//! demo` process: log in as the demo operator, add an area, give the
//! municipality a colour and a logo (through the file input), then the
//! public area page and a door sign as
//! anyone sees them; axe (WCAG 2.1 A/AA) on every page, screenshots in
//! Dutch and English under target/screenshots/browser_operator/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cho_tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_cho-server-e2e");

use cho_testkit::people::{DE_VRIES, OZTURK};

#[test]
fn the_operator_adds_an_area_and_the_public_sees_the_area_page_and_a_door_sign() {
    on_sqlite(SERVER, "browser_operator", journey);
}

/// Checks the page with axe and keeps a screenshot.
fn look(b: &Browser, name: &str) {
    b.assert_accessible(name);
    b.screenshot("browser_operator", name);
}

/// Clicks the button `text` after scrolling it to the middle of the
/// window (a click at the window's edge lands on whatever is drawn there
/// once a full-page screenshot has resized the window).
fn press(b: &Browser, text: &str) {
    b.script(
        "for (const e of document.querySelectorAll('button')) { \
           if (e.textContent.trim() === arguments[0]) { e.scrollIntoView({block: 'center'}); } } \
         return true;",
        vec![serde_json::json!(text)],
    );
    b.click_button(text);
}

/// The `src` of the image `selector` (absolute, as the browser has it).
fn logo_src(b: &Browser, selector: &str) -> String {
    b.script(
        "const e = document.querySelector(arguments[0]); return e ? e.src : '';",
        vec![serde_json::json!(selector)],
    )
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// A plain drawn logo: a shield in `colour` with a white band.
fn shield_svg(colour: &str) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 48" width="40" height="48"><path d="M0 0h40v26c0 12-10 18-20 22C10 44 0 38 0 26z" fill="{colour}"/><rect x="0" y="14" width="40" height="8" fill="#fff"/></svg>"##
    )
}

fn journey(env: &mut Env) {
    let base = env.server.base.clone();
    for (lang, accept) in [("nl", "nl-NL,nl"), ("en", "en-GB,en")] {
        let Some(b) = Browser::start_with(accept, Viewport::Desktop) else {
            return;
        };
        let t = |nl: &'static str, en: &'static str| if lang == "nl" { nl } else { en };

        // The public start page lists the demo area.
        b.goto(&format!("{base}/"));
        b.wait_for_text("Binnenstad Zwolle");
        look(&b, &format!("{lang}-start"));

        // Log in as the operator; the start page leads to the overview.
        b.goto(&format!("{base}/inloggen"));
        b.fill(t("Gebruikersnaam", "Username"), OPERATOR.0);
        b.fill(t("Wachtwoord", "Password"), OPERATOR.1);
        press(&b, t("Inloggen", "Log in"));
        b.wait_for_text(OPERATOR.0);
        b.click_link(t("Beheer", "Administration"));
        b.wait_for_text(t("Beheer van de dienst", "Service administration"));
        look(&b, &format!("{lang}-overview"));
        let text = b.text();
        // The operator never sees a banned person.
        for person in [JANSEN, DE_VRIES, OZTURK] {
            assert!(!text.contains(person.surname), "{}", person.surname);
        }

        // A mistake first: the error at the top and at the field.
        let area = t("Noordoever Zwolle", "Zwolle North Bank");
        b.fill(t("Naam van het gebied", "Name of the area"), area);
        b.fill(t("Bezwaartermijn", "Objection period"), "400");
        // Enter in a field sends the form (the keyboard way).
        b.press_enter();
        b.wait_for_text(t("Er is een probleem", "There is a problem"));
        assert_eq!(b.value(t("Naam van het gebied", "Name of the area")), area);
        look(&b, &format!("{lang}-area-form-error"));
        b.fill(t("Bezwaartermijn", "Objection period"), "14");
        b.press_enter();
        b.wait_for_text(t("Het gebied is toegevoegd", "The area has been added"));
        assert!(b.text().contains(area));
        look(&b, &format!("{lang}-area"));

        // A beheerder for it, then a password reset shown once.
        let username = format!("noord-{lang}");
        b.fill(t("Gebruikersnaam", "Username"), &username);
        b.fill(
            t("Eerste wachtwoord", "First password"),
            "noordoever-wachtwoord",
        );
        b.press_enter();
        b.wait_for_text(t(
            "De beheerder is toegevoegd",
            "The area manager has been added",
        ));
        press(
            &b,
            &format!("{} {username}", t("Nieuw wachtwoord:", "New password:")),
        );
        b.wait_for(".cho-one-time");
        look(&b, &format!("{lang}-one-time-password"));

        // The municipality's colour.
        b.click_link(t("Terug naar het overzicht", "Back to the overview"));
        b.click_link(t(
            "Huisstijl en accounts van Zwolle",
            "House style and accounts of Zwolle",
        ));
        b.fill(t("Hoofdkleur", "Primary colour"), "#0b5d3b");
        press(&b, t("Huisstijl opslaan", "Save house style"));
        b.wait_for_text(t(
            "De huisstijl is opgeslagen",
            "The house style has been saved",
        ));
        look(&b, &format!("{lang}-look"));

        // The theme's smooth scrolling is off, so a plain click on a
        // button below the fold lands on it.
        assert_eq!(
            b.script(
                "return getComputedStyle(document.documentElement).scrollBehavior;",
                vec![]
            ),
            "auto"
        );

        // The municipality's logo through the file input. An SVG with a
        // script first: refused, at the top and at the field.
        let demo_logo = logo_src(&b, ".cho-logo-preview__image");
        let unsafe_svg = env.data_dir.path().join(format!("unsafe-{lang}.svg"));
        std::fs::write(
            &unsafe_svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
        )
        .unwrap();
        b.choose_file(t("Nieuw logo", "New logo"), &unsafe_svg);
        b.click_button(t("Logo opslaan", "Save logo"));
        b.wait_for_text(t(
            "Dit SVG-bestand bevat iets wat een logo niet mag bevatten",
            "This SVG file contains something a logo may not contain",
        ));
        assert!(b.exists(".cho-error-summary a[href='#logo']"));
        assert!(b.exists("#logo_error"));
        assert_eq!(logo_src(&b, ".cho-logo-preview__image"), demo_logo);
        look(&b, &format!("{lang}-logo-error"));
        // A drawn shield: saved and shown.
        let shield = env.data_dir.path().join(format!("zwolle-{lang}.svg"));
        std::fs::write(
            &shield,
            shield_svg(if lang == "nl" { "#0b5d3b" } else { "#8a1538" }),
        )
        .unwrap();
        b.choose_file(t("Nieuw logo", "New logo"), &shield);
        b.click_button(t("Logo opslaan", "Save logo"));
        b.wait_for_text(t("Het logo is opgeslagen", "The logo has been saved"));
        let logo = logo_src(&b, ".cho-logo-preview__image");
        assert!(logo.contains("/logo/") && logo != demo_logo, "{logo}");
        look(&b, &format!("{lang}-logo"));

        // The area's statistics: on a phone each table fits its column
        // (no scrolling) and the numbers' heading stays on one line.
        b.goto(&format!("{base}/gebieden/1/statistiek"));
        b.wait_for_text(t(
            "Actieve verboden per categorie",
            "Active bans per category",
        ));
        b.set_viewport(Viewport::Mobile);
        let fits = b.script(
            "return [...document.querySelectorAll('.cho-figure .cho-table-wrap')].map(w => { \
               const th = w.querySelector('th[scope=col]:last-child'); \
               const r = document.createRange(); r.selectNodeContents(th); \
               return [th.textContent.trim(), w.scrollWidth <= w.clientWidth, r.getClientRects().length]; });",
            vec![],
        );
        let heading = t("Verboden", "Bans");
        assert_eq!(
            fits,
            serde_json::json!([[heading, true, 1], [heading, true, 1], [heading, true, 1]]),
            "statistics tables on a phone"
        );
        look(&b, &format!("{lang}-statistics-phone"));
        b.set_viewport(Viewport::Desktop);
        b.goto(&format!("{base}/beheer"));
        b.click_link(t(
            "Huisstijl en accounts van Zwolle",
            "House style and accounts of Zwolle",
        ));
        b.wait_for(".cho-logo-preview__image");

        // Anyone: the public area page in Zwolle's look, and a door sign.
        press(&b, t("Uitloggen", "Log out"));
        b.wait_for_text(t("Inloggen", "Log in"));
        b.goto(&format!("{base}/"));
        b.click_link("Binnenstad Zwolle");
        b.wait_for_text(t(
            "Horecaontzegging in Binnenstad Zwolle",
            "Hospitality ban in Binnenstad Zwolle",
        ));
        assert!(b.exists("link[href^='/thema/']"));
        assert_eq!(logo_src(&b, ".cho-brand__logo"), logo);
        let text = b.text();
        assert!(text.contains("Café De Kroon"));
        for person in [JANSEN, DE_VRIES, OZTURK] {
            assert!(!text.contains(person.surname), "{}", person.surname);
        }
        look(&b, &format!("{lang}-public-area"));
        b.click_link(t(
            "deurbord van Café De Kroon",
            "door sign of Café De Kroon",
        ));
        b.wait_for_text("Café De Kroon doet mee.");
        assert!(b.text().contains("Café De Kroon takes part."));
        assert!(b.text().contains(&format!("{base}/gebieden/")));
        look(&b, &format!("{lang}-door-sign"));
    }
}
