//! Issue 9 items 1 and 2: the area's controller details and the category
//! texts, the notice recorded after issue, and the notice letter (every
//! element, in Dutch and in English), on the API and as pages.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::fixtures::*;
use crate::harness::*;
use crate::web_client::Browser;

/// A ban body without any notice (issued by owner A at venue A1).
fn without_notice(s: &Seeded, surname: &str) -> Value {
    let mut body = ban_body(
        s.venue_a1,
        s.category_a,
        manual(surname, "Willem Jan", "1990-04-01"),
    );
    body.as_object_mut().map(|o| o.remove("notification"));
    body
}

async fn letter(app: &TestApp, token: &str, id: i64, query: &str) -> (StatusCode, String) {
    let (status, body) = app
        .get(&format!("/api/v1/bans/{id}/letter{query}"), token)
        .await;
    (status, body.as_str().map(str::to_owned).unwrap_or_default())
}

both!(a_notice_is_recorded_after_issue_replaced_and_audited);
async fn a_notice_is_recorded_after_issue_replaced_and_audited(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let id = app.issue(&owner, without_notice(&s, "Bakker")).await;
    let (_, ban) = app.get(&format!("/api/v1/bans/{id}"), &owner).await;
    assert_eq!(ban["notice"], Value::Null, "no notice recorded yet");

    let path = format!("/api/v1/bans/{id}/notice");
    app.advance_days(2);
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let before = app.last_seq().await;
    assert_status(
        &app.put(
            &path,
            &owner,
            json!({"notified_on": "2026-11-29", "method": "post"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let owner_id = app.account_id(OWNER_A.0).await;
    assert_eq!(
        app.events_after(before).await,
        vec![(
            format!("account:{owner_id}"),
            "ban.notice".to_owned(),
            "ban".to_owned(),
            id.to_string()
        )]
    );
    let (_, ban) = app.get(&format!("/api/v1/bans/{id}"), &owner).await;
    assert_eq!(ban["notice"]["notified_on"], "2026-11-29");
    assert_eq!(ban["notice"]["method"], "post");
    assert_eq!(ban["notice"]["note"], Value::Null);

    // The beheerder replaces it, with a note: sealed, readable by both.
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let note = "Overhandigd door portier Kees aan de voordeur";
    let before = app.last_seq().await;
    assert_status(
        &app.put(
            &path,
            &beh,
            json!({"notified_on": "2026-11-30", "method": "handed_over", "note": note}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let events = app.events_after(before).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1, "ban.notice");
    assert!(!events[0].3.contains("Kees"));
    let (_, ban) = app.get(&format!("/api/v1/bans/{id}"), &owner).await;
    assert_eq!(ban["notice"]["notified_on"], "2026-11-30");
    assert_eq!(ban["notice"]["method"], "handed_over");
    assert_eq!(ban["notice"]["note"], note);
    for (table, value) in app.all_stored_values().await {
        assert!(
            !contains(&value, "portier Kees"),
            "plaintext note in {table}"
        );
    }

    // The day lies between the incident (2026-11-28) and today (11-30).
    for day in ["2026-11-27", "2026-12-01"] {
        assert_error(
            &app.put(&path, &owner, json!({"notified_on": day, "method": "post"}))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
    }
    assert_error(
        &app.put(
            &path,
            &owner,
            json!({"notified_on": "2026-11-29", "method": "pigeon"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    );
    // Another venue's owner, another area's beheerder: not found; the
    // operator: forbidden.
    let body = json!({"notified_on": "2026-11-29", "method": "post"});
    let a2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let beh_b = app.login(BEHEERDER_B.0, BEHEERDER_B.1).await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    assert_error(
        &app.put(&path, &a2, body.clone()).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.put(&path, &beh_b, body.clone()).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.put(&path, &op, body).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

/// The area's controller details, category texts and committee: what the
/// letter of `ban` draws on.
async fn letter_setup(app: &TestApp, s: &Seeded) -> i64 {
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    assert_status(
        &app.put(
            &format!("/api/v1/areas/{}/contact", s.area_a),
            &beh,
            json!({
                "contact_email": "cho@zwolle.example",
                "complaint_committee_address": "Klachtencommissie CHO\nPostbus 10007\n8000 GA Zwolle",
                "complaint_committee_email": "klachtencommissie@zwolle.example",
                "privacy_contact": "Functionaris gegevensbescherming, privacy@zwolle.example",
                "controller_name": "Stichting Veilig Uitgaan Zwolle",
                "controller_address": "Postbus 10007\n8000 GA Zwolle",
                "controller_statement": "De deelnemende zaken zijn gezamenlijk verwerkingsverantwoordelijk (convenant 2026)."
            }),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_status(
        &app.put(
            &format!("/api/v1/categories/{}", s.category_a),
            &beh,
            json!({"name": "Lichte mishandeling", "default_days": 182, "max_days": 365,
                   "description_nl": "Iemand slaan of schoppen zonder letsel.",
                   "description_en": "Hitting or kicking someone without injury."}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    app.issue(&owner, without_notice(s, "Bakker")).await
}

both!(the_contact_and_category_keep_the_letter_fields_for_older_callers);
async fn the_contact_and_category_keep_the_letter_fields_for_older_callers(app: TestApp) {
    let s = app.seed().await;
    letter_setup(&app, &s).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    // A caller that knows nothing of the letter changes nothing of it.
    assert_status(
        &app.put(
            &format!("/api/v1/areas/{}/contact", s.area_a),
            &beh,
            json!({"contact_email": "info@zwolle.example"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_status(
        &app.put(
            &format!("/api/v1/categories/{}", s.category_a),
            &beh,
            json!({"name": "Lichte mishandeling", "default_days": 100, "max_days": 365}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let (_, page) = app
        .request(
            "GET",
            &format!("/api/v1/public/areas/{}", s.area_a),
            None,
            None,
        )
        .await;
    assert_eq!(
        page["contact"]["controller_name"],
        "Stichting Veilig Uitgaan Zwolle"
    );
    assert_eq!(page["contact"]["contact_email"], "info@zwolle.example");
    let (_, categories) = app
        .get(&format!("/api/v1/areas/{}/categories", s.area_a), &beh)
        .await;
    let category = categories
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == s.category_a)
        .unwrap()
        .clone();
    assert_eq!(category["default_days"], 100);
    assert_eq!(
        category["description_en"],
        "Hitting or kicking someone without injury."
    );
    // Empty text clears; a public page address must be a web address.
    assert_status(
        &app.put(
            &format!("/api/v1/areas/{}/contact", s.area_a),
            &beh,
            json!({"controller_statement": ""}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let (_, page) = app
        .request(
            "GET",
            &format!("/api/v1/public/areas/{}", s.area_a),
            None,
            None,
        )
        .await;
    assert_eq!(page["contact"]["controller_statement"], Value::Null);
    assert_error(
        &app.put(
            &format!("/api/v1/areas/{}/contact", s.area_a),
            &beh,
            json!({"public_page_url": "zwolle.nl/cho"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
}

/// Each element of the notice letter (COMPLIANCE.md), with a phrase that
/// shows it in Dutch and in English, for a ban whose notice was recorded
/// on 2026-11-29 (window 14 days: complaint by 13 December 2026).
const ELEMENTS: [(&str, &str, &str); 24] = [
    ("addressee", "Willem Jan Bakker", "Willem Jan Bakker"),
    (
        "birth date",
        "geboren op 1 april 1990",
        "born on 1 April 1990",
    ),
    (
        "controller (sender)",
        "Stichting Veilig Uitgaan Zwolle",
        "Stichting Veilig Uitgaan Zwolle",
    ),
    (
        "joint-controller statement",
        "gezamenlijk verwerkingsverantwoordelijk (convenant 2026)",
        "gezamenlijk verwerkingsverantwoordelijk (convenant 2026)",
    ),
    (
        "every venue a controller",
        "Iedere deelnemende zaak van Binnenstad Zwolle",
        "Every participating venue of Binnenstad Zwolle",
    ),
    (
        "who decided on behalf of whom",
        "namens alle deelnemende horecazaken van Binnenstad Zwolle",
        "on behalf of all participating venues of Binnenstad Zwolle",
    ),
    (
        "purpose",
        "veiligheid in het uitgaansgebied",
        "safety in the nightlife area",
    ),
    (
        "legal basis",
        "artikel 6 lid 1 onder f AVG",
        "article 6(1)(f) GDPR",
    ),
    ("permit", "AP z2025-04711", "AP z2025-04711"),
    (
        "what is recorded",
        "Wij leggen vast: uw naam en geboortedatum",
        "We record: your name and date of birth",
    ),
    (
        "recipients",
        "Wie uw gegevens ontvangt",
        "Who receives your data",
    ),
    (
        "incident date",
        "Op 28 november 2026 was u betrokken",
        "On 28 November 2026 you were involved",
    ),
    (
        "category and its text",
        "Lichte mishandeling: Iemand slaan of schoppen zonder letsel.",
        "Lichte mishandeling: Hitting or kicking someone without injury.",
    ),
    (
        "start and last day",
        "van 28 november 2026 tot en met 28 mei 2027",
        "from 28 November 2026 up to and including 28 May 2027",
    ),
    (
        "where: the area",
        "alle horecazaken die deelnemen aan de collectieve horecaontzegging van Binnenstad Zwolle",
        "every venue taking part in the collective hospitality ban of Binnenstad Zwolle",
    ),
    (
        "where: the venues by name",
        "Club De Fabriek",
        "Club De Fabriek",
    ),
    (
        "trespass",
        "huisvredebreuk (artikel 138 Wetboek van Strafrecht)",
        "trespass (article 138 of the Dutch Criminal Code)",
    ),
    (
        "complaint route and window",
        "binnen 14 dagen na de dag waarop u deze brief hebt gekregen",
        "within 14 days of the day you received this letter",
    ),
    (
        "complaint deadline from the notice",
        "op 29 november 2026 uitgereikt. Uw bezwaar moet dus uiterlijk op 13 december 2026",
        "given to you on 29 November 2026. Your objection must therefore arrive by 13 December 2026",
    ),
    (
        "committee address",
        "Klachtencommissie CHO\nPostbus 10007",
        "Klachtencommissie CHO\nPostbus 10007",
    ),
    ("rights", "inzage);", "(access);"),
    (
        "how to use the rights",
        "schrijf dan naar: Functionaris gegevensbescherming, privacy@zwolle.example",
        "write to: Functionaris gegevensbescherming, privacy@zwolle.example",
    ),
    (
        "complaint to the AP",
        "Autoriteit Persoonsgegevens, Postbus 93374, 2509 AJ Den Haag",
        "Autoriteit Persoonsgegevens, Postbus 93374, 2509 AJ Den Haag",
    ),
    ("retention", "Uw gegevens worden", "Your data is"),
];

/// The five rights, each by name.
const RIGHTS: [(&str, &str); 5] = [
    ("(inzage)", "(access)"),
    ("(rectificatie)", "(rectification)"),
    ("(wissen)", "(erasure)"),
    ("(beperking)", "(restriction)"),
    ("(bezwaar)", "(objection)"),
];

both!(the_letter_holds_every_element_in_dutch_and_in_english);
async fn the_letter_holds_every_element_in_dutch_and_in_english(app: TestApp) {
    let s = app.seed().await;
    let id = letter_setup(&app, &s).await;
    app.advance_days(1);
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    assert_status(
        &app.put(
            &format!("/api/v1/bans/{id}/notice"),
            &owner,
            json!({"notified_on": "2026-11-29", "method": "handed_over"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let (status, nl) = letter(&app, &owner, id, "?lang=nl").await;
    assert_eq!(status, StatusCode::OK);
    let (status, en) = letter(&app, &owner, id, "?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    // Text as the template writes it (askama escapes the apostrophe).
    let nl = nl.replace("&#39;", "'");
    let en = en.replace("&#39;", "'");
    assert!(nl.contains("<html lang=\"nl\""));
    assert!(en.contains("<html lang=\"en\""));
    for (element, dutch, english) in ELEMENTS {
        assert!(
            nl.contains(dutch),
            "NL letter lacks {element}: {dutch:?}\n{nl}"
        );
        assert!(
            en.contains(english),
            "EN letter lacks {element}: {english:?}\n{en}"
        );
    }
    for (dutch, english) in RIGHTS {
        assert!(nl.contains(dutch), "NL letter lacks the right {dutch}");
        assert!(en.contains(english), "EN letter lacks the right {english}");
    }
    // The other venue by its address too, and the public list.
    assert!(nl.contains("Club De Fabriek, "));
    assert!(nl.contains("/gebieden/"));
    // Each language is one language: no key left untranslated.
    assert!(!nl.contains("letters.") && !en.contains("letters."));
    // No letter default is the page's English: `?lang` absent is Dutch.
    let (_, default) = letter(&app, &owner, id, "").await;
    assert!(default.contains("<html lang=\"nl\""));
}

both!(without_a_notice_the_letter_counts_from_receipt);
async fn without_a_notice_the_letter_counts_from_receipt(app: TestApp) {
    let s = app.seed().await;
    let id = letter_setup(&app, &s).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    // Printed on 2026-11-28 with the ban: 14 days from receipt, and the
    // date if it is received today.
    let (_, nl) = letter(&app, &owner, id, "?lang=nl").await;
    assert!(nl.contains("De termijn is 14 dagen vanaf de dag waarop u deze brief ontvangt. Krijgt u deze brief op 28 november 2026, dan moet uw bezwaar uiterlijk op 12 december 2026 binnen zijn."), "{nl}");
    let (_, en) = letter(&app, &owner, id, "?lang=en").await;
    assert!(en.contains("The period is 14 days from the day you receive this letter. If you receive it on 28 November 2026, your objection must arrive by 12 December 2026 at the latest."), "{en}");
}

both!(the_letter_is_for_the_venue_and_the_beheerder_audited_and_lang_checked);
async fn the_letter_is_for_the_venue_and_the_beheerder_audited_and_lang_checked(app: TestApp) {
    let s = app.seed().await;
    let id = letter_setup(&app, &s).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let before = app.last_seq().await;
    assert_eq!(letter(&app, &beh, id, "?lang=en").await.0, StatusCode::OK);
    let beh_id = app.account_id(BEHEERDER_A.0).await;
    assert_eq!(
        app.events_after(before).await,
        vec![(
            format!("account:{beh_id}"),
            "ban.letter".to_owned(),
            "ban".to_owned(),
            id.to_string()
        )]
    );
    for bad in ["?lang=de", "?lang=", "?taal=nl"] {
        let (status, _) = app
            .get(&format!("/api/v1/bans/{id}/letter{bad}"), &owner)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    for (who, status) in [
        (OWNER_A2, StatusCode::NOT_FOUND),
        (BEHEERDER_B, StatusCode::NOT_FOUND),
        (OWNER_B, StatusCode::NOT_FOUND),
        (OPERATOR, StatusCode::FORBIDDEN),
    ] {
        let token = app.login(who.0, who.1).await;
        assert_error(
            &app.get(&format!("/api/v1/bans/{id}/letter"), &token).await,
            status,
            if status == StatusCode::FORBIDDEN {
                "forbidden"
            } else {
                "not_found"
            },
        );
    }
    let (_, headers, _) = app
        .request_full(
            "GET",
            &format!("/api/v1/bans/{id}/letter"),
            Some(&owner),
            None,
        )
        .await;
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{headers:?}"
    );
    assert_eq!(headers["cache-control"], "no-store");
}

both!(the_ban_pages_offer_the_notice_form_and_the_letters);
async fn the_ban_pages_offer_the_notice_form_and_the_letters(app: TestApp) {
    let s = app.seed().await;
    let id = letter_setup(&app, &s).await;
    let mut b = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    let page = b.get(&format!("/verboden/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Er is nog geen uitreiking vastgelegd.");
    page.assert_contains(&format!("href=\"/verboden/{id}/uitreiking\""));
    page.assert_contains(&format!("href=\"/verboden/{id}/brief?taal=nl\""));
    page.assert_contains(&format!("href=\"/verboden/{id}/brief?taal=en\""));

    let form = b.get(&format!("/verboden/{id}/uitreiking")).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("Datum van uitreiking");
    form.assert_contains("<option value=\"handed_over\">brief overhandigd</option>");
    let csrf = form.csrf();
    let action = format!("/verboden/{id}/uitreiking");

    // No CSRF token: refused.
    let refused = b
        .post(
            &action,
            &[("notified_on", "2026-11-28"), ("method", "post")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Errors at the top and at the field; what was typed is kept.
    let wrong = b
        .post(
            &action,
            &[
                ("csrf", &csrf),
                ("notified_on", "2026-11-20"),
                ("method", ""),
                ("note", "door de portier"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong.assert_contains("Er is een probleem");
    wrong.assert_contains("href=\"#method\"");
    wrong.assert_contains("Kies hoe de brief is uitgereikt.");
    wrong.assert_contains("value=\"2026-11-20\"");
    wrong.assert_contains(">door de portier</textarea>");
    let wrong = b
        .post(
            &action,
            &[
                ("csrf", &csrf),
                ("notified_on", "2026-11-20"),
                ("method", "post"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong.assert_contains("De datum moet tussen het incident en vandaag liggen.");

    let done = b
        .post(
            &action,
            &[
                ("csrf", &csrf),
                ("notified_on", "2026-11-28"),
                ("method", "post"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location(),
        format!("/verboden/{id}?melding=uitreiking")
    );
    let page = b.get(done.location()).await;
    page.assert_contains("De uitreiking is vastgelegd.");
    page.assert_contains("Uitreiking wijzigen");

    // The letter in each language, whatever the page's language; its
    // toolbar in the page's.
    let nl = b.get(&format!("/verboden/{id}/brief?taal=nl")).await;
    assert_eq!(nl.status, StatusCode::OK);
    nl.assert_contains("<html lang=\"nl\"");
    nl.assert_contains("Collectieve horecaontzegging");
    nl.assert_contains("Terug naar het verbod");
    let en = b.get(&format!("/verboden/{id}/brief?taal=en")).await;
    en.assert_contains("<html lang=\"en\"");
    en.assert_contains("Dear Willem Jan Bakker,");
    en.assert_contains("lang=\"nl\" aria-label=\"Brief\"");
    assert_eq!(
        b.get(&format!("/verboden/{id}/brief?taal=de")).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut english = Browser::new(&app)
        .english()
        .logged_in(OWNER_A.0, OWNER_A.1)
        .await;
    let page = english.get(&format!("/verboden/{id}")).await;
    page.assert_contains("Print letter (Dutch)");
    let form = english.get(&format!("/verboden/{id}/uitreiking")).await;
    form.assert_contains("Recorded: notified on 28 November 2026, by post");

    // The beheerder's pages.
    let mut beh = Browser::new(&app)
        .logged_in(BEHEERDER_A.0, BEHEERDER_A.1)
        .await;
    let page = beh.get(&format!("/gebied/verboden/{id}")).await;
    page.assert_contains(&format!("href=\"/gebied/verboden/{id}/brief?taal=en\""));
    page.assert_contains("Uitreiking wijzigen");
    let letter = beh
        .get(&format!("/gebied/verboden/{id}/brief?taal=nl"))
        .await;
    assert_eq!(letter.status, StatusCode::OK);
    letter.assert_contains(&format!("href=\"/gebied/verboden/{id}\""));
    let csrf = beh.csrf().await;
    let done = beh
        .post(
            &format!("/gebied/verboden/{id}/uitreiking"),
            &[
                ("csrf", &csrf),
                ("notified_on", "2026-11-28"),
                ("method", "refused"),
            ],
        )
        .await;
    assert_eq!(
        done.location(),
        format!("/gebied/verboden/{id}?melding=uitreiking")
    );

    // Out of scope: not found; the operator: forbidden.
    let mut a2 = Browser::new(&app).logged_in(OWNER_A2.0, OWNER_A2.1).await;
    assert_eq!(
        a2.get(&format!("/verboden/{id}/brief")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        a2.get(&format!("/verboden/{id}/uitreiking")).await.status,
        StatusCode::NOT_FOUND
    );
    let mut op = Browser::new(&app).logged_in(OPERATOR.0, OPERATOR.1).await;
    assert_eq!(
        op.get(&format!("/verboden/{id}/brief")).await.status,
        StatusCode::FORBIDDEN
    );
}
