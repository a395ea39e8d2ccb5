//! The beheerder's records journey in a real browser against a real
//! `cho-server demo` process: log in, read the bans, read a ban with its
//! related ban (two bans of one person at two venues, issued through the
//! API first), revoke it, find the revoke in the audit trail, read the
//! statistics and their CSV link. axe (WCAG 2.1 A/AA) on every page, in
//! Dutch and in English; screenshots under target/screenshots/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cho_tests::*;
use serde_json::json;

const SERVER: &str = env!("CARGO_BIN_EXE_cho-server-e2e");

/// Two bans of one person, at the demo's two venues: (Kroon's, Fabriek's).
fn two_bans(env: &Env) -> (i64, i64) {
    let person = json!({
        "surname": "Bakkerswijk",
        "given_names": "Pieter Jan",
        "birth_date": "1990-05-01"
    });
    let kroon = env.http.login(KROON.0, KROON.1);
    let first = kroon.issue(ban_body(VENUE_KROON, CATEGORY_1, person.clone()));
    let fabriek = env.http.login(FABRIEK.0, FABRIEK.1);
    let second = fabriek.issue(ban_body(VENUE_FABRIEK, CATEGORY_1, person));
    (first, second)
}

/// The words of one language.
struct Words {
    lang: &'static str,
    accept: &'static str,
    username: &'static str,
    password: &'static str,
    login: &'static str,
    nav_bans: &'static str,
    bans_title: &'static str,
    same_person: &'static str,
    reason: &'static str,
    revoked: &'static str,
    revoke_label: &'static str,
    nav_audit: &'static str,
    nav_stats: &'static str,
    per_category: &'static str,
}

const NL: Words = Words {
    lang: "nl",
    accept: "nl-NL,nl",
    username: "Gebruikersnaam",
    password: "Wachtwoord",
    login: "Inloggen",
    nav_bans: "Verboden",
    bans_title: "Verboden in het gebied",
    same_person: "Dezelfde persoon",
    reason: "Reden van intrekken",
    revoked: "Het verbod is ingetrokken.",
    revoke_label: "Verbod ingetrokken",
    nav_audit: "Audittrail",
    nav_stats: "Statistiek",
    per_category: "Actieve verboden per categorie",
};

const EN: Words = Words {
    lang: "en",
    accept: "en-GB,en",
    username: "Username",
    password: "Password",
    login: "Log in",
    nav_bans: "Bans",
    bans_title: "Bans in the area",
    same_person: "Same person",
    reason: "Reason for revoking",
    revoked: "The ban has been revoked.",
    revoke_label: "Ban revoked",
    nav_audit: "Audit trail",
    nav_stats: "Statistics",
    per_category: "Active bans per category",
};

fn journey(env: &mut Env, w: &Words, ban: i64, related: i64) {
    let Some(b) = Browser::start_with(w.accept, Viewport::Desktop) else {
        return;
    };
    let test = format!("browser_records_{}", w.lang);
    let base = env.server.base.clone();
    b.goto(&format!("{base}/inloggen"));
    b.fill(w.username, BEHEERDER.0);
    b.fill(w.password, BEHEERDER.1);
    b.click_button(w.login);
    b.wait_for("form.cho-nav__logout");

    // The area's bans.
    b.click_link(w.nav_bans);
    b.wait_for_text(w.bans_title);
    assert!(b.text().contains("Bakkerswijk, Pieter Jan"));
    b.assert_accessible("bans");
    b.screenshot(&test, "1-bans");

    // One ban with its related ban.
    b.goto(&format!("{base}/gebied/verboden/{ban}"));
    b.wait_for_text(w.same_person);
    assert!(b.exists(&format!("a[href='/gebied/verboden/{related}']")));
    b.assert_accessible("ban");
    b.screenshot(&test, "2-ban");

    // Revoke it; back on the ban with the confirmation.
    // With the keyboard: from the reason to the button.
    b.fill(w.reason, "Wrong person at the door");
    b.tab();
    assert!(b.focus_is_visible());
    b.press_enter();
    b.wait_for_text(w.revoked);
    assert!(!b.exists("textarea#reason"));
    b.assert_accessible("ban revoked");
    b.screenshot(&test, "3-revoked");

    // In the audit trail.
    b.click_link(w.nav_audit);
    b.wait_for("select#actie");
    b.assert_accessible("audit trail");
    b.screenshot(&test, "4-audit");
    b.fill("select#actie", w.revoke_label);
    b.click(".cho-filter button");
    b.wait_for_text(&format!("ban {ban}"));
    assert!(b.text().contains(w.revoke_label));
    b.assert_accessible("audit trail, filtered");
    b.screenshot(&test, "5-audit-filtered");

    // The statistics: chart, table and the CSV link.
    b.click_link(w.nav_stats);
    b.wait_for_text(w.per_category);
    assert!(b.exists("svg.cho-chart[role='img']"));
    assert!(b.exists("a[href='/gebied/statistiek.csv'][download]"));
    b.assert_accessible("statistics");
    b.screenshot(&test, "6-statistics");
}

fn story(env: &mut Env) {
    let (first, second) = two_bans(env);
    // Dutch revokes the first, English the second.
    journey(env, &NL, first, second);
    journey(env, &EN, second, first);
    // The CSV behind the link (the page's own route; the session is a
    // browser cookie, so read it as the API's twin with a bearer token:
    // one statistics service behind both).
    let beheerder = env.http.login(BEHEERDER.0, BEHEERDER.1);
    let csv = beheerder.get(&format!("/api/v1/areas/{AREA_1}/statistics.csv"));
    assert_eq!(csv.status, 200);
    assert!(csv.text().starts_with("figure,month,category,venue,bans"));
}

#[test]
fn beheerder_reads_revokes_and_counts() {
    on_sqlite(SERVER, "browser_records", story);
}
