//! The beheerder's records pages: the area's bans (list, one ban with its
//! related bans, revoke), the audit trail and the statistics; the
//! operator's view of an area's statistics. Every role, in and out of
//! scope, in Dutch and English.

use axum::http::{StatusCode, header};

use crate::both;
use crate::fixtures::{
    BEHEERDER_A, BEHEERDER_B, DEMO_PEOPLE, OPERATOR, OWNER_A, OWNER_A2, Seeded, ban_body, manual,
};
use crate::harness::TestApp;
use crate::web_client::{Browser, Page};

/// The person of the two related bans.
const SURNAME: &str = "Bakkerswijk";
const GIVEN: &str = "Pieter Jan";

/// Two bans of the same person at the area's two venues (by their
/// owners, through the API): (at venue A1, at venue A2).
async fn two_bans(app: &TestApp, s: &Seeded) -> (i64, i64) {
    let person = manual(SURNAME, GIVEN, "1990-05-01");
    let kroon = app.login(OWNER_A.0, OWNER_A.1).await;
    let first = app
        .issue(&kroon, ban_body(s.venue_a1, s.category_a, person.clone()))
        .await;
    let fabriek = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let second = app
        .issue(&fabriek, ban_body(s.venue_a2, s.category_a, person))
        .await;
    (first, second)
}

#[track_caller]
fn assert_no_names(page: &Page) {
    page.assert_lacks(SURNAME);
    for (surname, given, _) in DEMO_PEOPLE {
        page.assert_lacks(surname);
        page.assert_lacks(given);
    }
}

both!(beheerder_reads_the_bans_and_a_ban_with_its_related_bans);
async fn beheerder_reads_the_bans_and_a_ban_with_its_related_bans(app: TestApp) {
    let s = app.seed().await;
    let (first, second) = two_bans(&app, &s).await;
    let mut nl = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let list = nl.get("/gebied/verboden").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.headers[header::CACHE_CONTROL], "no-store");
    list.assert_contains("<html lang=\"nl\"");
    list.assert_contains("Verboden in het gebied");
    list.assert_contains(&format!("{SURNAME}, {GIVEN}"));
    list.assert_contains(&format!("href=\"/gebied/verboden/{first}\""));
    list.assert_contains(&format!("href=\"/gebied/verboden/{second}\""));
    list.assert_contains("Actief");
    list.assert_contains("href=\"/gebied/audit\"");
    list.assert_lacks("style=");

    // Filtered by venue and by status.
    let a2 = nl
        .get(&format!("/gebied/verboden?status=&locatie={}", s.venue_a2))
        .await;
    assert_eq!(a2.status, StatusCode::OK);
    a2.assert_contains(&format!("href=\"/gebied/verboden/{second}\""));
    a2.assert_lacks(&format!("href=\"/gebied/verboden/{first}\""));
    a2.assert_contains(&format!("<option value=\"{}\" selected>", s.venue_a2));
    let revoked = nl.get("/gebied/verboden?status=revoked&locatie=").await;
    assert_eq!(revoked.status, StatusCode::OK);
    revoked.assert_contains("Er zijn geen verboden die bij dit filter passen.");
    assert_eq!(
        nl.get("/gebied/verboden?status=kwijt").await.status,
        StatusCode::BAD_REQUEST
    );
    // A venue of another area is not found.
    assert_eq!(
        nl.get(&format!("/gebied/verboden?locatie={}", s.venue_b))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // One ban: the person, incident, hearing, notice, and the other ban
    // of the same person.
    let ban = nl.get(&format!("/gebied/verboden/{first}")).await;
    assert_eq!(ban.status, StatusCode::OK);
    for text in [
        SURNAME,
        GIVEN,
        "1 mei 1990",
        "Struck another guest at the bar",
        "Says he was provoked",
        "letter handed over",
        "Dezelfde persoon",
        "Verbod intrekken",
        "autocomplete=\"off\"",
    ] {
        ban.assert_contains(text);
    }
    ban.assert_contains(&format!("href=\"/gebied/verboden/{second}\""));

    let mut en = Browser::new(&app)
        .english()
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let list = en.get("/gebied/verboden").await;
    list.assert_contains("<html lang=\"en\"");
    list.assert_contains("Bans in the area");
    list.assert_contains("Active");
    let ban = en.get(&format!("/gebied/verboden/{second}")).await;
    ban.assert_contains("Same person");
    ban.assert_contains("1 May 1990");
    ban.assert_contains(&format!("href=\"/gebied/verboden/{first}\""));

    // Paths that are no ban.
    for path in [
        "/gebied/verboden/abc",
        "/gebied/verboden/0",
        "/gebied/verboden/999999",
    ] {
        assert_eq!(nl.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

both!(every_role_in_and_out_of_scope);
async fn every_role_in_and_out_of_scope(app: TestApp) {
    let s = app.seed().await;
    let (first, _) = two_bans(&app, &s).await;
    let ban_path = format!("/gebied/verboden/{first}");
    let stats_a = format!("/gebieden/{}/statistiek", s.area_a);

    // Nobody logged in: to the login page.
    let mut anonymous = Browser::new(&app);
    for path in [
        "/gebied/verboden",
        "/gebied/audit",
        "/gebied/statistiek",
        &stats_a,
    ] {
        let page = anonymous.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.location(), "/inloggen");
    }

    // Another area's beheerder: that ban and area are not found.
    let mut other = Browser::new(&app)
        .logged_in(BEHEERDER_B.0, BEHEERDER_B.1)
        .await;
    for path in [ban_path.as_str(), stats_a.as_str()] {
        let page = other.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert_no_names(&page);
    }
    // Their own pages show none of area A's bans.
    let theirs = other.get("/gebied/verboden").await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_no_names(&theirs);
    assert_eq!(other.get("/gebied/statistiek").await.status, StatusCode::OK);

    // An owner: the beheerder's pages are refused, whatever the id.
    let mut owner = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    for path in [
        "/gebied/verboden",
        ban_path.as_str(),
        "/gebied/audit",
        "/gebied/statistiek",
        "/gebied/statistiek.csv",
        stats_a.as_str(),
    ] {
        let page = owner.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert_no_names(&page);
    }
    let csrf = owner.csrf().await;
    let page = owner
        .post(
            &format!("{ban_path}/intrekken"),
            &[("csrf", &csrf), ("reason", "mine")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // The operator: an area's statistics (anonymous counts), never bans
    // or the audit trail, never a name.
    for english in [false, true] {
        let browser = Browser::new(&app);
        let browser = if english { browser.english() } else { browser };
        let mut operator = browser.logged_in(OPERATOR.0, OPERATOR.1).await;
        for path in [
            "/gebied/verboden",
            ban_path.as_str(),
            "/gebied/audit",
            "/gebied/statistiek",
        ] {
            let page = operator.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
            assert_no_names(&page);
        }
        let stats = operator.get(&stats_a).await;
        assert_eq!(stats.status, StatusCode::OK);
        stats.assert_contains(if english {
            "Active bans per category"
        } else {
            "Actieve verboden per categorie"
        });
        stats.assert_contains("Binnenstad Zwolle");
        stats.assert_contains(&format!("href=\"{stats_a}.csv\""));
        assert_no_names(&stats);
        let csv = operator.get(&format!("{stats_a}.csv")).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert_no_names(&csv);
        assert_eq!(
            operator.get("/gebieden/999999/statistiek").await.status,
            StatusCode::NOT_FOUND
        );
    }
}

both!(revoke_needs_a_reason_and_a_csrf_token);
async fn revoke_needs_a_reason_and_a_csrf_token(app: TestApp) {
    let s = app.seed().await;
    let (first, _) = two_bans(&app, &s).await;
    let ban_path = format!("/gebied/verboden/{first}");
    let revoke = format!("{ban_path}/intrekken");
    let mut nl = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let csrf = nl.get(&ban_path).await.csrf();

    // Without the token, with a wrong one, from another origin: refused.
    let page = nl.post(&revoke, &[("reason", "Gone")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    page.assert_contains("<html lang=\"nl\"");
    let page = nl
        .post(&revoke, &[("csrf", "bogus"), ("reason", "Gone")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = nl
        .post_with(
            &revoke,
            &[("csrf", &csrf), ("reason", "Gone")],
            Some(("origin", "https://evil.example")),
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    nl.get(&ban_path).await.assert_contains("Verbod intrekken");

    // No reason: the form again, the error at the top and at the field.
    let page = nl.post(&revoke, &[("csrf", &csrf), ("reason", "  ")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Er is een probleem");
    page.assert_contains("href=\"#reason\"");
    page.assert_contains("id=\"reason-error\"");
    page.assert_contains("aria-invalid=\"true\"");

    // With a reason: revoked, back to the ban with a confirmation.
    let page = nl
        .post(
            &revoke,
            &[("csrf", &csrf), ("reason", "Wrong person at the door")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), format!("{ban_path}?ingetrokken=1"));
    let page = nl.get(page.location()).await;
    page.assert_contains("Het verbod is ingetrokken.");
    page.assert_contains("Ingetrokken");
    page.assert_contains("Wrong person at the door");
    page.assert_lacks("name=\"reason\"");

    // Twice: the ban is no longer active.
    let page = nl
        .post(&revoke, &[("csrf", &csrf), ("reason", "Again")])
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    page.assert_contains("Er is een probleem");

    // In the audit trail, with its readable label, in both languages.
    let audit = nl.get("/gebied/audit?actie=ban.revoke").await;
    assert_eq!(audit.status, StatusCode::OK);
    audit.assert_contains("<td class=\"utrecht-table__cell\">Verbod ingetrokken</td>");
    audit.assert_contains(&format!("ban {first}"));
    audit.assert_lacks("<td class=\"utrecht-table__cell\">Verbod bekeken</td>");
    assert_eq!(rows(&audit).len(), 1);
    let mut en = Browser::new(&app)
        .english()
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    en.get("/gebied/audit?actie=ban.revoke")
        .await
        .assert_contains("Ban revoked");
}

both!(audit_trail_pages_both_ways_and_filters_by_date);
async fn audit_trail_pages_both_ways_and_filters_by_date(app: TestApp) {
    app.seed().await;
    let mut nl = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    // 60 list reads: more than one page of `ban.list` events.
    for _ in 0..60 {
        assert_eq!(nl.get("/gebied/verboden").await.status, StatusCode::OK);
    }
    let first = nl.get("/gebied/audit?actie=ban.list").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(rows(&first).len(), 50, "{}", first.body);
    first.assert_contains("Lijst van verboden bekeken");
    first.assert_lacks("Vorige pagina");
    let next = href_of(&first, "rel=\"next\"");
    assert!(
        next.contains("actie=ban.list&") && next.contains("na="),
        "{next}"
    );
    let second = nl.get(&next).await;
    assert_eq!(second.status, StatusCode::OK);
    second.assert_contains("Lijst van verboden bekeken");
    let prev = href_of(&second, "rel=\"prev\"");
    assert!(prev.contains("voor="), "{prev}");
    let back = nl.get(&prev).await;
    assert_eq!(back.status, StatusCode::OK);
    assert_eq!(rows(&back), rows(&first), "back to the first page");
    back.assert_lacks("Vorige pagina");
    back.assert_contains("rel=\"next\"");

    // Dates as people write them; a range of today only, and tomorrow on.
    let today = app.app.clock.today();
    let iso = cho_core::dates::format_iso_date(today);
    let page = nl.get(&format!("/gebied/audit?van={iso}&tot={iso}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!rows(&page).is_empty());
    let tomorrow = cho_core::dates::format_iso_date(today.next_day().unwrap());
    let page = nl.get(&format!("/gebied/audit?van={tomorrow}")).await;
    page.assert_contains("Er zijn geen gebeurtenissen die bij dit filter passen.");

    // A date that is none: the error at the top and at the field.
    let page = nl
        .get("/gebied/audit?van=30-11-2026&actor=account%3A2")
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("href=\"#van\"");
    page.assert_contains("id=\"van-error\"");
    page.assert_contains("value=\"30-11-2026\"");
    page.assert_contains("value=\"account:2\"");
    let page = nl
        .get(&format!("/gebied/audit?van={tomorrow}&tot={iso}"))
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("href=\"#tot\"");

    let en = Browser::new(&app)
        .english()
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let mut en = en;
    let page = en.get("/gebied/audit?actie=ban.list").await;
    page.assert_contains("<html lang=\"en\"");
    page.assert_contains("List of bans viewed");
    page.assert_contains("Next page");
}

/// The `href` of the link carrying `marker`.
fn href_of(page: &Page, marker: &str) -> String {
    let at = page.body.find(marker).expect("the link");
    let start = page.body[at..].find("href=\"").unwrap() + at + 6;
    let end = page.body[start..].find('"').unwrap();
    page.body[start..start + end]
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// The sequence numbers of the audit rows shown.
fn rows(page: &Page) -> Vec<String> {
    let marker = "utrecht-table__cell--numeric-column\">";
    page.body
        .match_indices(marker)
        .map(|(i, _)| {
            let rest = &page.body[i + marker.len()..];
            rest[..rest.find('<').unwrap()].to_owned()
        })
        .collect()
}

both!(statistics_as_an_accessible_chart_a_table_and_csv);
async fn statistics_as_an_accessible_chart_a_table_and_csv(app: TestApp) {
    let s = app.seed().await;
    two_bans(&app, &s).await;
    let mut nl = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let page = nl.get("/gebied/statistiek").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Actieve verboden per categorie",
        "Actieve verboden per locatie",
        "Opgelegde verboden per maand",
        "role=\"img\"",
        "aria-labelledby=\"per-categorie-titel\"",
        "<title id=\"per-categorie-titel\">",
        "<caption class=\"utrecht-table__caption\">Actieve verboden per locatie</caption>",
        "class=\"cho-chart__bar\"",
        "href=\"/gebied/statistiek.csv\"",
        "november 2026",
    ] {
        page.assert_contains(text);
    }
    page.assert_lacks("style=");
    assert_no_names(&page);

    let csv = nl.get("/gebied/statistiek.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let disposition = csv.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"statistiek-"),
        "{disposition}"
    );
    assert!(csv.body.starts_with("figure,month,category,venue,bans\r\n"));
    assert!(csv.body.contains("issued,2026-11,"), "{}", csv.body);
    assert_no_names(&csv);

    let mut en = Browser::new(&app)
        .english()
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let page = en.get("/gebied/statistiek").await;
    page.assert_contains("<html lang=\"en\"");
    page.assert_contains("Bans issued per month");
    page.assert_contains("November 2026");
}

/// Every `.rs` file below `dir`, recursively.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// An audit action's shape: `login`, `ban.issue`, `device.enrol.failed`.
fn looks_like_action(text: &str, dotted_only: bool) -> bool {
    let mut parts = text.split('.');
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    let word = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_lowercase())
            && w.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    };
    word(first) && rest.iter().all(|w| word(w)) && (!dotted_only || !rest.is_empty())
}

/// The audit actions the server's code emits, read from its source rather
/// than copied: every `action: "..."` outside the pages (`web/` only reads
/// the trail), and every dotted literal in `services/`, which hand their
/// actions to small `event(actor, "ban.read", ..)` helpers. Test modules
/// are skipped.
fn emitted_actions() -> std::collections::BTreeSet<String> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out = std::collections::BTreeSet::new();
    for file in files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if relative.starts_with("web") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for line in code.lines() {
            let line = line.trim_start();
            if line.starts_with("//") {
                continue;
            }
            if let Some(at) = line.find("action: \"") {
                let rest = &line[at + "action: \"".len()..];
                let action = &rest[..rest.find('"').unwrap()];
                assert!(looks_like_action(action, false), "{relative}: {action}");
                out.insert(action.to_owned());
            }
            if relative.starts_with("services") {
                // The odd pieces between quotes are the string literals.
                for literal in line.split('"').skip(1).step_by(2) {
                    if looks_like_action(literal, true) {
                        out.insert(literal.to_owned());
                    }
                }
            }
        }
    }
    out
}

/// The audit trail's filter offers every action the code emits, each with
/// a label in Dutch and English (a new action without one shows its code,
/// and could not be chosen in the filter).
#[test]
fn every_audit_action_the_code_emits_has_a_label() {
    use cho_server::web::i18n::{Lang, Tr};
    use cho_server::web::records::ACTIONS;
    let emitted = emitted_actions();
    // The reading finds what it must (so an empty scan cannot pass).
    for known in [
        "login",
        "ban.issue",
        "complaint.decide",
        "subject_request.create",
    ] {
        assert!(emitted.contains(known), "{known} not found: {emitted:?}");
    }
    let missing: Vec<&String> = emitted
        .iter()
        .filter(|a| !ACTIONS.contains(&a.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "not in web::records::ACTIONS: {missing:?}"
    );
    for lang in [Lang::Nl, Lang::En] {
        let tr = Tr::new(lang);
        for action in ACTIONS {
            let key = format!("records.action.{action}");
            assert!(tr.lookup(&key).is_some(), "{lang:?}: no {key}");
        }
    }
}
