//! The beheerder's data-subject request journey in a real browser against
//! a real `cho-server demo` process: the register, a new request (first
//! with errors), the request, the printable access answer, an extension,
//! completion, and the register again. axe (WCAG 2.1 A/AA) on every page,
//! in Dutch and in English; screenshots under target/screenshots/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cho_tests::*;
use serde_json::json;

const SERVER: &str = env!("CARGO_BIN_EXE_cho-server-e2e");

/// The words of one language.
struct Words {
    lang: &'static str,
    accept: &'static str,
    username: &'static str,
    password: &'static str,
    login: &'static str,
    nav: &'static str,
    title: &'static str,
    new: &'static str,
    submit: &'static str,
    problem: &'static str,
    access: &'static str,
    known_contact: &'static str,
    same_person: &'static str,
    open_export: &'static str,
    export_title: &'static str,
    read: &'static str,
    extend: &'static str,
    extended: &'static str,
    complete: &'static str,
    completed: &'static str,
}

const NL: Words = Words {
    lang: "nl",
    accept: "nl-NL,nl",
    username: "Gebruikersnaam",
    password: "Wachtwoord",
    login: "Inloggen",
    nav: "Verzoeken",
    title: "Verzoeken van betrokkenen",
    new: "Nieuw verzoek registreren",
    submit: "Verzoek registreren",
    problem: "Er is een probleem",
    access: "Inzage",
    known_contact: "Bekend contactadres van de persoon",
    same_person: "Dezelfde persoon",
    open_export: "Inzageoverzicht openen",
    export_title: "Inzageoverzicht bij verzoek",
    read: "Verbod bekeken",
    extend: "Verlengen",
    extended: "De termijn is verlengd.",
    complete: "Afgehandeld",
    completed: "Het verzoek is afgehandeld.",
};

const EN: Words = Words {
    lang: "en",
    accept: "en-GB,en",
    username: "Username",
    password: "Password",
    login: "Log in",
    nav: "Requests",
    title: "Data-subject requests",
    new: "Register a new request",
    submit: "Register request",
    problem: "There is a problem",
    access: "Access",
    known_contact: "The person's known contact address",
    same_person: "Same person",
    open_export: "Open the access answer",
    export_title: "Access answer for request",
    read: "Ban viewed",
    extend: "Extend",
    extended: "The deadline has been extended.",
    complete: "Completed",
    completed: "The request has been completed.",
};

/// Today as the forms take it (the server runs on the real clock).
fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:02}-{:02}-{}", d.day(), u8::from(d.month()), d.year())
}

fn journey(env: &mut Env, w: &Words) {
    let Some(b) = Browser::start_with(w.accept, Viewport::Desktop) else {
        return;
    };
    let test = format!("browser_requests_{}", w.lang);
    let base = env.server.base.clone();
    b.goto(&format!("{base}/inloggen"));
    b.fill(w.username, BEHEERDER.0);
    b.fill(w.password, BEHEERDER.1);
    b.click_button(w.login);
    b.wait_for("form.cho-nav__logout");

    // The register.
    // The link sits in the nav's "Procedures" group: open it first.
    b.click("nav summary.cho-nav__summary");
    b.click_link(w.nav);
    b.wait_for_text(w.title);
    b.assert_accessible("register");
    b.screenshot(&test, "1-register");

    // A new request: sent empty first, then filled in.
    b.click_link(w.new);
    b.wait_for("select#kind");
    b.assert_accessible("new request");
    b.screenshot(&test, "2-new");
    b.click_button(w.submit);
    b.wait_for_text(w.problem);
    assert!(b.exists("a[href='#kind']"));
    b.assert_accessible("new request with errors");
    b.screenshot(&test, "3-new-errors");
    b.fill("select#kind", w.access);
    b.fill("#received_on", &today());
    b.fill("#surname", "Koster");
    b.fill("#given_names", "Pia Maria");
    b.fill("#birth_date", "15-06-1985");
    b.fill("select#identity_check", w.known_contact);
    b.click_button(w.submit);
    b.wait_for_text(w.same_person);
    assert!(b.text().contains("Koster"));
    b.assert_accessible("request");
    b.screenshot(&test, "4-request");

    // The access answer, printable.
    b.click_link(w.open_export);
    b.wait_for_text(w.export_title);
    assert!(b.text().contains(w.read));
    assert!(b.text().contains("Struck another guest at the bar"));
    b.assert_accessible("access answer");
    b.screenshot(&test, "5-access-answer");
    b.go_back_to_request();

    // Extend, with the keyboard from the reason to the button.
    b.wait_for("#told_on");
    b.fill("#told_on", &today());
    b.fill("#extension_reason", "Many records to collect");
    b.tab();
    assert!(b.focus_is_visible());
    b.click_button(w.extend);
    b.wait_for_text(w.extended);
    b.assert_accessible("request extended");
    b.screenshot(&test, "6-extended");

    // Complete; the register shows it closed.
    b.click_button(w.complete);
    b.wait_for_text(w.completed);
    b.assert_accessible("request completed");
    b.screenshot(&test, "7-completed");
    // The link sits in the nav's "Procedures" group: open it first.
    b.click("nav summary.cho-nav__summary");
    b.click_link(w.nav);
    b.wait_for_text(w.title);
    b.assert_accessible("register with requests");
    b.screenshot(&test, "8-register");
}

/// Back from the access answer to its request (the page's own link).
trait BackToRequest {
    fn go_back_to_request(&self);
}

impl BackToRequest for Browser {
    fn go_back_to_request(&self) {
        self.click(".cho-screen-only a");
    }
}

fn story(env: &mut Env) {
    // Pia's ban at the Kroon, read once by its owner.
    let kroon = env.http.login(KROON.0, KROON.1);
    let ban = kroon.issue(ban_body(
        VENUE_KROON,
        CATEGORY_1,
        json!({"surname": "Koster", "given_names": "Pia Maria", "birth_date": "1985-06-15"}),
    ));
    assert_eq!(kroon.get(&format!("/api/v1/bans/{ban}")).status, 200);
    journey(env, &NL);
    journey(env, &EN);
}

#[test]
fn beheerder_answers_an_access_request() {
    on_sqlite(SERVER, "browser_requests", story);
}
