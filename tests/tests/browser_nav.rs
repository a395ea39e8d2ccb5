//! The beheerder's navigation in a real browser (review of issue 9): with
//! eleven links "Log out" wrapped to a second row at 1280 px; the
//! procedures (four-eyes, complaints, requests) are now one group, a
//! `<details>` disclosure. At 1280 px the links and the logout button are
//! one row; the group opens by keyboard (Tab to it, Enter) and its links
//! are reached with Tab; on a phone it opens below its name. axe on each
//! state, screenshots in Dutch and English under
//! target/screenshots/browser_nav/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cho_tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_cho-server-e2e");
const SHOTS: &str = "browser_nav";

#[test]
fn the_beheerders_navigation_fits_one_row_and_opens_by_keyboard() {
    if Browser::start().is_none() {
        return;
    }
    on_sqlite(SERVER, "browser_nav", journey);
}

fn look(b: &Browser, name: &str) {
    b.assert_accessible(name);
    b.screenshot(SHOTS, name);
}

/// The top of an element, in CSS pixels.
fn top(b: &Browser, css: &str) -> f64 {
    b.script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().top;",
        vec![serde_json::json!(css)],
    )
    .as_f64()
    .unwrap()
}

fn journey(env: &mut Env) {
    let base = env.server.base.clone();
    for (lang, accept) in [("nl", "nl-NL,nl"), ("en", "en-GB,en")] {
        let t = |nl: &'static str, en: &'static str| if lang == "nl" { nl } else { en };
        for viewport in [Viewport::Desktop, Viewport::Mobile] {
            let Some(b) = Browser::start_with(accept, viewport) else {
                return;
            };
            let size = if viewport == Viewport::Desktop {
                "desktop"
            } else {
                "phone"
            };
            b.goto(&format!("{base}/inloggen"));
            b.fill(t("Gebruikersnaam", "Username"), BEHEERDER.0);
            b.fill(t("Wachtwoord", "Password"), BEHEERDER.1);
            b.click_button(t("Inloggen", "Log in"));
            b.wait_for(".cho-nav__menu");
            b.goto(&format!("{base}/gebied/verboden"));
            b.wait_for(".cho-nav__menu");
            if viewport == Viewport::Desktop {
                // One row: the logout button beside the last link.
                let list = top(&b, ".cho-nav__list");
                let logout = top(&b, ".cho-nav__logout");
                assert!(
                    (logout - list).abs() < 24.0,
                    "logout at {logout}, links at {list}"
                );
            }
            look(&b, &format!("{lang}-{size}-closed"));
            // By keyboard: focus the group's name, Enter opens it, Tab
            // reaches its first link.
            b.script(
                "document.querySelector('.cho-nav__summary').focus(); return true;",
                vec![],
            );
            assert!(b.focus_is_visible(), "no visible focus on the group");
            b.press_enter();
            let open = b.script(
                "return document.querySelector('.cho-nav__menu').open;",
                vec![],
            );
            assert_eq!(open, serde_json::json!(true));
            b.tab();
            let focused = b.script(
                "return document.activeElement.getAttribute('href');",
                vec![],
            );
            assert_eq!(focused, serde_json::json!("/gebied/goedkeuren"));
            assert!(b.focus_is_visible(), "no visible focus in the group");
            look(&b, &format!("{lang}-{size}-open"));
            b.press_enter();
            b.wait_for_text(t("Ontzeggingen goedkeuren", "Approve bans"));
        }
    }
}
