//! Issuing, listing, reading, searching and revoking bans.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .collect()
}

/// The ids a beheerder's `GET /api/v1/bans{query}` lists.
async fn listed(app: &TestApp, token: &str, query: &str) -> Vec<i64> {
    let (status, body) = app.get(&format!("/api/v1/bans{query}"), token).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    ids(&body)
}

async fn sealed_blob(app: &TestApp, ban: i64) -> Vec<u8> {
    sqlx::query("SELECT personal_data FROM bans WHERE id = $1")
        .bind(ban)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
        .get::<Vec<u8>, _>("personal_data")
}

both!(issue_from_manual_entry);
async fn issue_from_manual_entry(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let (status, ban) = app
        .post(
            "/api/v1/bans",
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("van den Berg", "Anna Maria", "1990-07-01"),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ban}");
    assert_eq!(ban["status"], "active");
    assert_eq!(ban["venue_id"], s.venue_a1);
    assert_eq!(ban["area_id"], s.area_a);
    assert_eq!(ban["category_id"], s.category_a);
    // The category's default: 182 days from today.
    assert_eq!(ban["starts_on"], "2026-11-28");
    assert_eq!(ban["ends_on"], "2027-05-28");
    assert_eq!(ban["heard"], true);
    // The first version's free-text method becomes `other`, its text the
    // sealed note (shown only where personal data is read).
    assert_eq!(ban["notice"]["notified_on"], "2026-11-28");
    assert_eq!(ban["notice"]["method"], "other");
    assert_eq!(ban["notice"]["note"], Value::Null);
    assert_eq!(ban["incident_at"], 1_795_825_800);
    assert_eq!(ban["issued_at"], START);
    // The answer does not echo the person back (no audited read).
    assert_eq!(ban["person"], Value::Null);
    assert_eq!(ban["related_bans"], Value::Null);

    let id = ban["id"].as_i64().unwrap();
    let blob = sealed_blob(&app, id).await;
    for secret in [
        "van den Berg",
        "Anna",
        "1990-07-01",
        "Struck another guest",
        "provoked",
    ] {
        assert!(!contains(&blob, secret), "{secret} in the clear");
    }
    for (column, value) in app.all_stored_values().await {
        for secret in [
            "van den Berg",
            "Anna Maria",
            "1990-07-01",
            "Struck another guest",
            "letter handed over",
        ] {
            assert!(!contains(&value, secret), "{column} holds {secret}");
        }
    }
    // The owner reads it back, personal data included.
    let (status, read) = app.get(&format!("/api/v1/bans/{id}"), &owner).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["person"]["surname"], "van den Berg");
    assert_eq!(read["notice"]["note"], "letter handed over");
    assert_eq!(read["person"]["given_names"], "Anna Maria");
    assert_eq!(read["person"]["birth_date"], "1990-07-01");
    assert_eq!(
        read["person"]["incident_description"],
        "Struck another guest at the bar"
    );
    assert_eq!(read["person"]["hearing_statement"], "Says he was provoked");
    assert_eq!(read["person"]["not_heard_reason"], Value::Null);
    assert_eq!(
        read["related_bans"],
        Value::Null,
        "only the beheerder sees related bans"
    );
    assert_eq!(read["ends_on"], "2027-05-28");
    // Not heard: the reason instead of a statement; explicit dates.
    let mut body = ban_body(
        s.venue_a1,
        s.category_a,
        manual("Bakker", "Jan", "1985-01-02"),
    );
    body["hearing"] = json!({"not_heard_reason": "left before he could be heard"});
    body["starts_on"] = json!("2026-11-29");
    body["ends_on"] = json!("2027-11-28");
    body["notification"] = Value::Null;
    let (status, ban) = app.post("/api/v1/bans", &owner, body).await;
    assert_eq!(status, StatusCode::CREATED, "{ban}");
    assert_eq!(ban["heard"], false);
    assert_eq!(ban["starts_on"], "2026-11-29");
    assert_eq!(ban["ends_on"], "2027-11-28");
    assert_eq!(ban["notice"], Value::Null);
    let (_, read) = app
        .get(&format!("/api/v1/bans/{}", ban["id"]), &owner)
        .await;
    assert_eq!(
        read["person"]["not_heard_reason"],
        "left before he could be heard"
    );
    assert_eq!(read["person"]["hearing_statement"], Value::Null);
}

both!(issue_from_mrz_keeps_no_bsn_and_no_clear_personal_data);
async fn issue_from_mrz_keeps_no_bsn_and_no_clear_personal_data(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let mrz = de_bruijn_mrz();
    assert!(mrz.contains(BSN));
    let (status, ban) = app
        .post(
            "/api/v1/bans",
            &owner,
            ban_body(s.venue_a1, s.category_a, json!({"mrz": mrz})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ban}");
    let id = ban["id"].as_i64().unwrap();
    let (_, ban) = app.get(&format!("/api/v1/bans/{id}"), &owner).await;
    assert_eq!(ban["person"]["surname"], "DE BRUIJN");
    assert_eq!(ban["person"]["given_names"], "WILLEKE LISELOTTE");
    assert_eq!(ban["person"]["birth_date"], "1965-03-10");
    assert_eq!(ban["name_truncated"], false);
    let text = ban.to_string();
    assert!(!text.contains(BSN) && !text.contains("SPECI2014"), "{text}");

    let blob = sealed_blob(&app, id).await;
    assert!(!blob.is_empty());
    for secret in ["BRUIJN", "WILLEKE", "1965-03-10", "650310", BSN] {
        assert!(
            !contains(&blob, secret),
            "personal_data holds {secret} in the clear"
        );
    }
    // Nothing anywhere keeps the BSN, the document number or the MRZ.
    let values = app.all_stored_values().await;
    assert!(values.len() > 100);
    for (column, value) in &values {
        for secret in [BSN, "SPECI2014", "P<NLD", "BRUIJN", "1965-03-10"] {
            assert!(!contains(value, secret), "{column} holds {secret}");
        }
    }
    // Tokens: 16 bytes each, no more than the identity contract makes.
    let tokens = sqlx::query("SELECT token FROM ban_tokens WHERE ban_id = $1")
        .bind(id)
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert!(!tokens.is_empty());
    assert!(
        tokens
            .iter()
            .all(|t| t.get::<Vec<u8>, _>("token").len() == 16)
    );
}

both!(bad_mrz_is_refused);
async fn bad_mrz_is_refused(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let bans = app.count("bans").await;
    let mut mrz = de_bruijn_mrz();
    // Break the birth date's check digit.
    let at = mrz.find("NLD650310").unwrap() + 9;
    let digit = mrz.as_bytes()[at];
    mrz.replace_range(at..=at, if digit == b'0' { "1" } else { "0" });
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            ban_body(s.venue_a1, s.category_a, json!({"mrz": mrz})),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(
        !answer.1.to_string().contains("BRUIJN"),
        "no personal data in errors"
    );
    assert_eq!(app.count("bans").await, bans);
}

both!(end_dates_are_limited_by_category_and_two_years);
async fn end_dates_are_limited_by_category_and_two_years(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let person = || manual("Smit", "Karel", "1980-02-02");
    let bans = app.count("bans").await;
    let events = app.last_seq().await;

    // geweld-licht allows 365 days: 2027-11-27 is day 365.
    let ok = with(
        ban_body(s.venue_a1, s.category_a, person()),
        "ends_on",
        json!("2027-11-27"),
    );
    let too_long = with(
        ban_body(s.venue_a1, s.category_a, person()),
        "ends_on",
        json!("2027-11-28"),
    );
    let answer = app.post("/api/v1/bans", &owner, too_long).await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "ban_rule");
    let message = answer.1["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("366 days") && message.contains("at most 365 days"),
        "{message}"
    );

    // Past two years, whatever the category says.
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            with(
                ban_body(s.venue_a1, s.category_a_weapons, person()),
                "ends_on",
                json!("2028-11-28"),
            ),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "ban_rule");
    let message = answer.1["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("732 days") && message.contains("730 days"),
        "{message}"
    );
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            with(
                ban_body(s.venue_a1, s.category_a, person()),
                "ends_on",
                json!("2029-01-01"),
            ),
        )
        .await;
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("730 days"),
        "{}",
        answer.1
    );

    // Ends before it starts; starts before the incident; incident in
    // the future.
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            with(
                ban_body(s.venue_a1, s.category_a, person()),
                "ends_on",
                json!("2026-11-27"),
            ),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "ban_rule");
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            with(
                ban_body(s.venue_a1, s.category_a, person()),
                "starts_on",
                json!("2026-11-27"),
            ),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "ban_rule");
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            with(
                ban_body(s.venue_a1, s.category_a, person()),
                "incident_at",
                json!("2026-11-29T01:00:00+01:00"),
            ),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "ban_rule");
    // A category of another area is not a category of this protocol.
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            ban_body(s.venue_a1, s.category_b, person()),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(app.count("bans").await, bans, "nothing written");
    assert_eq!(app.last_seq().await, events, "nothing audited");

    let (status, ban) = app.post("/api/v1/bans", &owner, ok).await;
    assert_eq!(status, StatusCode::CREATED, "{ban}");
    assert_eq!(ban["ends_on"], "2027-11-27");
    // The weapons category: 730 days by default, the 2-year cap.
    let (status, ban) = app
        .post(
            "/api/v1/bans",
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a_weapons,
                manual("Smit", "Kees", "1981-02-02"),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ban}");
    assert_eq!(ban["ends_on"], "2028-11-26");
}

both!(no_ban_without_a_valid_permit);
async fn no_ban_without_a_valid_permit(app: TestApp) {
    let s = app.seed().await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    // Area C never recorded a permit.
    let c = app
        .new_area(
            &op,
            "Almere",
            "Almere Centrum",
            ("beheerder-c", "beheerder-c-password"),
            ("owner-c", "owner-c-password"),
            false,
        )
        .await;
    let owner_c = app.login("owner-c", "owner-c-password").await;
    let bans = app.count("bans").await;
    let answer = app
        .post(
            "/api/v1/bans",
            &owner_c,
            ban_body(c.venue, c.category, manual("Smit", "Karel", "1980-02-02")),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "ban_rule");
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("permit"),
        "{}",
        answer.1
    );
    assert_eq!(app.count("bans").await, bans);

    // Area B's permit runs to 2030-12-31: the day after, no more bans.
    let owner_b = app.login(OWNER_B.0, OWNER_B.1).await;
    let body = || {
        ban_body(
            s.venue_b,
            s.category_b,
            manual("Smit", "Karel", "1980-02-02"),
        )
    };
    app.clock.set(1_924_948_800); // 2030-12-31 12:00 UTC
    let mut late = body();
    late["incident_at"] = json!("2030-12-31T01:00:00+01:00");
    late["notification"] = Value::Null;
    let owner_b = {
        // The session from 2026 has long expired.
        assert_error(
            &app.get("/api/v1/me", &owner_b).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        );
        app.login(OWNER_B.0, OWNER_B.1).await
    };
    assert_status(
        &app.post("/api/v1/bans", &owner_b, late.clone()).await,
        StatusCode::CREATED,
    );
    app.advance_days(1);
    let owner_b = app.login(OWNER_B.0, OWNER_B.1).await;
    late["incident_at"] = json!("2031-01-01T01:00:00+01:00");
    let answer = app.post("/api/v1/bans", &owner_b, late).await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "ban_rule");
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2031-01-01"),
        "{}",
        answer.1
    );
}

both!(no_ban_for_a_venue_not_admitted_or_withdrawn);
async fn no_ban_for_a_venue_not_admitted_or_withdrawn(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let person = || manual("Smit", "Karel", "1980-02-02");

    // A venue that was never admitted, with its own owner.
    let venue = app
        .create(
            &format!("/api/v1/areas/{}/venues", s.area_a),
            &beh,
            json!({"name": "Bar Nieuw", "address": "Diezerstraat 3", "kvk_number": "55555555"}),
        )
        .await;
    app.create(
        "/api/v1/accounts",
        &beh,
        json!({"username": "nieuw", "password": "nieuw-password-1", "role": "owner", "area_id": s.area_a, "venue_ids": [venue]}),
    )
    .await;
    let nieuw = app.login("nieuw", "nieuw-password-1").await;
    let answer = app
        .post(
            "/api/v1/bans",
            &nieuw,
            ban_body(venue, s.category_a, person()),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "ban_rule");
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not admitted")
    );
    // Admitted from tomorrow: not yet.
    let admit = |admitted: &str, withdrawn: Value| json!({"admitted_on": admitted, "withdrawn_on": withdrawn});
    assert_status(
        &app.put(
            &format!("/api/v1/venues/{venue}/admission"),
            &beh,
            admit("2026-11-29", Value::Null),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_error(
        &app.post(
            "/api/v1/bans",
            &nieuw,
            ban_body(venue, s.category_a, person()),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ban_rule",
    );
    // Admitted today: yes.
    assert_status(
        &app.put(
            &format!("/api/v1/venues/{venue}/admission"),
            &beh,
            admit("2026-11-28", Value::Null),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_status(
        &app.post(
            "/api/v1/bans",
            &nieuw,
            ban_body(venue, s.category_a, person()),
        )
        .await,
        StatusCode::CREATED,
    );

    // Venue A1 withdrawn today: no more bans there.
    let answer = app
        .put(
            &format!("/api/v1/venues/{}/admission", s.venue_a1),
            &beh,
            admit("2026-11-29", json!("2026-11-28")),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_status(
        &app.put(
            &format!("/api/v1/venues/{}/admission", s.venue_a1),
            &beh,
            admit(&s.admitted_on, json!("2026-11-28")),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let bans = app.count("bans").await;
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            ban_body(s.venue_a1, s.category_a, person()),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "ban_rule");
    assert_eq!(app.count("bans").await, bans);
}

both!(hearing_is_required);
async fn hearing_is_required(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let bans = app.count("bans").await;
    for hearing in [
        json!({}),
        json!({"statement": "   "}),
        json!({"statement": null, "not_heard_reason": ""}),
    ] {
        let body = with(
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Smit", "Karel", "1980-02-02"),
            ),
            "hearing",
            hearing,
        );
        let answer = app.post("/api/v1/bans", &owner, body).await;
        assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "ban_rule");
        assert!(
            answer.1["error"]["message"]
                .as_str()
                .unwrap()
                .contains("hearing"),
            "{}",
            answer.1
        );
    }
    let body = with(
        ban_body(
            s.venue_a1,
            s.category_a,
            manual("Smit", "Karel", "1980-02-02"),
        ),
        "incident_description",
        json!(" "),
    );
    assert_error(
        &app.post("/api/v1/bans", &owner, body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ban_rule",
    );
    assert_eq!(app.count("bans").await, bans);
}

both!(list_and_filter);
async fn list_and_filter(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let [jansen, de_vries, ozturk] = s.demo_bans[..] else {
        unreachable!()
    };

    let (status, all) = app.get("/api/v1/bans", &beh).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&all), vec![jansen, de_vries, ozturk]);
    assert!(all[0]["person"]["surname"].is_string());
    // An owner sees the bans of their own venues only.
    assert_eq!(
        ids(&app.get("/api/v1/bans", &owner).await.1),
        vec![jansen, ozturk]
    );
    let owner_b = app.login(OWNER_B.0, OWNER_B.1).await;
    assert_eq!(
        ids(&app.get("/api/v1/bans", &owner_b).await.1),
        Vec::<i64>::new()
    );

    // One hour later: a short ban (two days) at A1.
    app.clock.advance(3600);
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let short = app
        .issue(
            &owner,
            with(
                ban_body(
                    s.venue_a1,
                    s.category_a,
                    manual("Kort", "Piet", "1999-09-09"),
                ),
                "ends_on",
                json!("2026-11-29"),
            ),
        )
        .await;
    // Revoke de Vries.
    assert_status(
        &app.post(
            &format!("/api/v1/bans/{de_vries}/revoke"),
            &beh,
            json!({"reason": "wrong person"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(
        listed(&app, &beh, "?status=active").await,
        vec![jansen, ozturk, short]
    );
    assert_eq!(listed(&app, &beh, "?status=revoked").await, vec![de_vries]);
    assert_eq!(
        listed(&app, &beh, "?status=expired").await,
        Vec::<i64>::new()
    );
    assert_eq!(
        listed(&app, &beh, &format!("?venue_id={}", s.venue_a2)).await,
        vec![de_vries]
    );
    assert_eq!(
        listed(
            &app,
            &beh,
            &format!("?venue_id={}&status=active", s.venue_a1)
        )
        .await,
        vec![jansen, ozturk, short]
    );
    assert_eq!(
        listed(&app, &beh, "?issued_from=2026-11-28T12:30:00Z").await,
        vec![short]
    );
    assert_eq!(
        listed(&app, &beh, "?issued_to=2026-11-28T12:30:00Z").await,
        vec![jansen, de_vries, ozturk]
    );
    assert_eq!(
        listed(
            &app,
            &beh,
            "?issued_from=2026-11-28T13:00:00%2B01:00&issued_to=2026-11-28T13:00:01%2B01:00"
        )
        .await,
        vec![jansen, de_vries, ozturk]
    );
    assert_eq!(listed(&app, &beh, "?limit=2").await, vec![jansen, de_vries]);
    assert_eq!(
        listed(&app, &beh, &format!("?after={de_vries}")).await,
        vec![ozturk, short]
    );

    // Two days on, the short ban has expired by the calendar.
    app.advance_days(1);
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let (_, body) = app.get("/api/v1/bans?status=active", &beh).await;
    assert_eq!(
        ids(&body),
        vec![jansen, ozturk, short],
        "its last day is 2026-11-29"
    );
    app.advance_days(1);
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let (_, body) = app.get("/api/v1/bans?status=expired", &beh).await;
    assert_eq!(ids(&body), vec![short]);
    assert_eq!(body[0]["status"], "expired");
    let (_, body) = app.get("/api/v1/bans?status=active", &beh).await;
    assert_eq!(ids(&body), vec![jansen, ozturk]);
    let (_, body) = app.get(&format!("/api/v1/bans/{short}"), &beh).await;
    assert_eq!(body["status"], "expired");
    // An expired ban cannot be revoked.
    let answer = app
        .post(
            &format!("/api/v1/bans/{short}/revoke"),
            &beh,
            json!({"reason": "x"}),
        )
        .await;
    assert_error(&answer, StatusCode::CONFLICT, "conflict");

    // Bad filters.
    for query in [
        "?status=banned",
        "?venue_id=x",
        "?issued_from=yesterday",
        "?area=1",
    ] {
        let (status, body) = app.get(&format!("/api/v1/bans{query}"), &beh).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {status} {body}"
        );
        assert!(body["error"]["code"].is_string(), "{body}");
    }
}

both!(revoke_with_reason_then_conflict);
async fn revoke_with_reason_then_conflict(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let id = app
        .issue(
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Smit", "Karel", "1980-02-02"),
            ),
        )
        .await;
    // A reason is required.
    let answer = app
        .post(
            &format!("/api/v1/bans/{id}/revoke"),
            &owner,
            json!({"reason": " "}),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "ban_rule");
    assert_status(
        &app.post(
            &format!("/api/v1/bans/{id}/revoke"),
            &owner,
            json!({"reason": "issued for the wrong person"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let (_, ban) = app.get(&format!("/api/v1/bans/{id}"), &owner).await;
    assert_eq!(ban["status"], "revoked");
    assert_eq!(ban["status_reason"], "issued for the wrong person");
    let events = app.last_seq().await;
    let again = app
        .post(
            &format!("/api/v1/bans/{id}/revoke"),
            &owner,
            json!({"reason": "again"}),
        )
        .await;
    assert_error(&again, StatusCode::CONFLICT, "conflict");
    assert_eq!(app.last_seq().await, events);
    let (_, ban) = app.get(&format!("/api/v1/bans/{id}"), &owner).await;
    assert_eq!(ban["status_reason"], "issued for the wrong person");
    // Unknown ban.
    assert_error(
        &app.post("/api/v1/bans/999999/revoke", &owner, json!({"reason": "x"}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

both!(search_by_person_finds_exactly_their_bans);
async fn search_by_person_finds_exactly_their_bans(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let owner2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let jansen = s.demo_bans[0];
    let by_mrz = app
        .issue(
            &owner,
            ban_body(s.venue_a1, s.category_a, json!({"mrz": de_bruijn_mrz()})),
        )
        .await;
    let by_hand = app
        .issue(
            &owner2,
            ban_body(
                s.venue_a2,
                s.category_a,
                manual("de Bruijn", "Willeke Liselotte", "1965-03-10"),
            ),
        )
        .await;

    let search = |token: String, person: Value| {
        let app = &app;
        async move {
            let (status, body) = app
                .post("/api/v1/bans/search", &token, json!({"person": person}))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            // Only same-person hits here; possible matches are checked below.
            body.as_array()
                .unwrap()
                .iter()
                .map(|hit| {
                    assert_eq!(hit["match"], "same_person", "{hit}");
                    assert!(hit["ban"]["person"].is_object(), "{hit}");
                    hit["ban"]["id"].as_i64().unwrap()
                })
                .collect::<Vec<i64>>()
        }
    };
    let willeke = manual("De Bruijn", "Willeke Liselotte", "1965-03-10");
    assert_eq!(
        search(beh.clone(), willeke.clone()).await,
        vec![by_mrz, by_hand]
    );
    assert_eq!(
        search(beh.clone(), json!({"mrz": de_bruijn_mrz()})).await,
        vec![by_mrz, by_hand]
    );
    // Owners find them within their own venues only.
    assert_eq!(search(owner.clone(), willeke.clone()).await, vec![by_mrz]);
    assert_eq!(
        search(owner2.clone(), json!({"mrz": de_bruijn_mrz()})).await,
        vec![by_hand]
    );
    // Another area's beheerder finds nothing of area A.
    let beh_b = app.login(BEHEERDER_B.0, BEHEERDER_B.1).await;
    assert_eq!(search(beh_b, willeke.clone()).await, Vec::<i64>::new());

    // Diacritics and case do not matter; the demo's Jansen is found.
    assert_eq!(
        search(beh.clone(), manual("JANSEN", "piet hendrik", "1994-05-17")).await,
        vec![jansen]
    );
    // Only the first given name: a possible match, whose personal data is
    // not shown (it may be someone else).
    let (status, body) = app
        .post(
            "/api/v1/bans/search",
            &beh,
            json!({"person": manual("de Bruijn", "Wilma", "1965-03-10")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hits = body.as_array().unwrap();
    assert_eq!(hits.len(), 2, "{body}");
    for hit in hits {
        assert_eq!(hit["match"], "possible_match", "{hit}");
        assert!(hit["ban"]["person"].is_null(), "{hit}");
    }
    // A twin: same surname and birth date, another first name with
    // another initial: nothing.
    assert_eq!(
        search(beh.clone(), manual("Jansen", "Klaas", "1994-05-17")).await,
        Vec::<i64>::new()
    );
    assert_eq!(
        search(beh.clone(), manual("de Bruijn", "Anna", "1965-03-10")).await,
        Vec::<i64>::new()
    );
    // Another birth date: nothing.
    assert_eq!(
        search(beh.clone(), manual("Jansen", "Piet Hendrik", "1994-05-18")).await,
        Vec::<i64>::new()
    );
    let ozturk = s.demo_bans[2];
    assert_eq!(
        search(beh.clone(), manual("Ozturk", "Mehmet", "1988-11-02")).await,
        vec![ozturk]
    );
    assert_eq!(
        search(beh.clone(), manual("OEZTUERK", "Mehmet", "1988-11-02")).await,
        vec![ozturk]
    );
    // A bad person is a 422.
    let answer = app
        .post(
            "/api/v1/bans/search",
            &beh,
            json!({"person": manual("Jansen", "Piet", "1994-02-30")}),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
}

both!(beheerder_sees_related_bans_of_the_same_person);
async fn beheerder_sees_related_bans_of_the_same_person(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let owner2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let first = app
        .issue(
            &owner,
            ban_body(s.venue_a1, s.category_a, json!({"mrz": de_bruijn_mrz()})),
        )
        .await;
    app.clock.advance(3600);
    let owner2 = {
        let _ = owner2;
        app.login(OWNER_A2.0, OWNER_A2.1).await
    };
    let second = app
        .issue(
            &owner2,
            ban_body(
                s.venue_a2,
                s.category_a,
                manual("de Bruijn", "Willeke Liselotte", "1965-03-10"),
            ),
        )
        .await;
    // Same surname and birth date, same initial: a possible match.
    let sibling = app
        .issue(
            &owner2,
            ban_body(
                s.venue_a2,
                s.category_a,
                manual("de Bruijn", "Wilma", "1965-03-10"),
            ),
        )
        .await;

    let (status, ban) = app.get(&format!("/api/v1/bans/{second}"), &beh).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ban["related_bans"],
        json!([{"ban_id": first, "match": "same_person"}, {"ban_id": sibling, "match": "possible_match"}])
    );
    let (_, ban) = app.get(&format!("/api/v1/bans/{first}"), &beh).await;
    assert_eq!(
        ban["related_bans"],
        json!([{"ban_id": second, "match": "same_person"}, {"ban_id": sibling, "match": "possible_match"}])
    );
    let (_, ban) = app
        .get(&format!("/api/v1/bans/{}", s.demo_bans[0]), &beh)
        .await;
    assert_eq!(ban["related_bans"], json!([]));
    // Owners do not get related bans (they may not read the other venue's).
    let (_, ban) = app.get(&format!("/api/v1/bans/{second}"), &owner2).await;
    assert_eq!(ban["related_bans"], Value::Null);
}
