//! Bad requests: every refusal is JSON `{"error": {"code", "message"}}` and
//! a refused write writes nothing, not even an audit event.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

/// Rows in the tables a refused write could touch.
async fn snapshot(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "bans",
        "ban_tokens",
        "audit_events",
        "venues",
        "accounts",
        "municipalities",
        "areas",
        "offence_categories",
    ] {
        out.push(app.count(table).await);
    }
    out.push(app.last_seq().await);
    out
}

both!(malformed_requests_are_json_errors_and_write_nothing);
async fn malformed_requests_are_json_errors_and_write_nothing(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let good = ban_body(
        s.venue_a1,
        s.category_a,
        manual("Smit", "Karel", "1980-02-02"),
    );
    let before = snapshot(&app).await;
    let json_ct = Some("application/json");

    // Malformed JSON.
    let answer = app
        .raw(
            "POST",
            "/api/v1/bans",
            Some(&owner),
            json_ct,
            "{\"venue_id\": 1,",
        )
        .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_json");
    let answer = app
        .raw("POST", "/api/v1/bans", Some(&owner), json_ct, "")
        .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_json");
    // Wrong or missing content type.
    let answer = app
        .raw(
            "POST",
            "/api/v1/bans",
            Some(&owner),
            Some("text/plain"),
            good.to_string(),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let answer = app
        .raw("POST", "/api/v1/bans", Some(&owner), None, good.to_string())
        .await;
    assert_error(
        &answer,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let answer = app
        .raw(
            "POST",
            "/api/v1/bans",
            Some(&owner),
            Some("application/x-www-form-urlencoded"),
            "venue_id=1",
        )
        .await;
    assert_error(
        &answer,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    // Unknown field, missing field, wrong type.
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            with(good.clone(), "photo", json!("x.jpg")),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("photo"),
        "{}",
        answer.1
    );
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("category_id");
    let answer = app.post("/api/v1/bans", &owner, missing).await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            with(good.clone(), "venue_id", json!("one")),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            with(good.clone(), "person", json!({"name": "Smit"})),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    // Oversized body (> 64 KiB), without and with a declared length.
    let mut huge = good.clone();
    huge["incident_description"] = json!("x".repeat(70 * 1024));
    let answer = app.post("/api/v1/bans", &owner, huge.clone()).await;
    assert_error(&answer, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    let huge = huge.to_string();
    let request = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/bans")
        .header("authorization", format!("Bearer {owner}"))
        .header("content-type", "application/json")
        .header("content-length", huge.len())
        .body(axum::body::Body::from(huge))
        .unwrap();
    let (status, _, body) = app.send(request).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_error(
        &(status, body),
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    );
    // Just under the limit is read (and refused for its text length).
    let mut big = good.clone();
    big["incident_description"] = json!("x".repeat(60 * 1024));
    assert_error(
        &app.post("/api/v1/bans", &owner, big).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ban_rule",
    );
    // Under the limit but over the text limit (4000 characters).
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            with(
                good.clone(),
                "incident_description",
                json!("x".repeat(4001)),
            ),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "ban_rule");
    // Bad dates and times.
    for (field, value) in [
        ("ends_on", "2027-02-30"),
        ("ends_on", "28-11-2027"),
        ("starts_on", "tomorrow"),
        ("incident_at", "2026-11-28 01:30"),
        ("incident_at", "2026-11-28"),
    ] {
        let answer = app
            .post(
                "/api/v1/bans",
                &owner,
                with(good.clone(), field, json!(value)),
            )
            .await;
        assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(
            answer.1["error"]["message"]
                .as_str()
                .unwrap()
                .contains(field),
            "{field}: {}",
            answer.1
        );
    }
    let mut bad_notice = good.clone();
    bad_notice["notification"]["notified_on"] = json!("2026-11-31");
    assert_error(
        &app.post("/api/v1/bans", &owner, bad_notice).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            with(
                good.clone(),
                "person",
                manual("Smit", "Karel", "1980-13-01"),
            ),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            with(
                good.clone(),
                "person",
                manual("Smit", "Karel", "2030-01-01"),
            ),
        )
        .await;
    // An implausible date is a rule of the ban (issue 9), said precisely.
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "ban_rule");
    let answer = app
        .post(
            "/api/v1/bans",
            &owner,
            with(good.clone(), "person", manual("", "Karel", "1980-01-01")),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    // Unknown venue or category.
    assert_error(
        &app.post(
            "/api/v1/bans",
            &owner,
            with(good.clone(), "venue_id", json!(999_999)),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &app.post(
            "/api/v1/bans",
            &owner,
            with(good.clone(), "category_id", json!(999_999)),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );

    // Admin writes.
    let area = format!("/api/v1/areas/{}", s.area_a);
    let answer = app
        .put(
            &format!("{area}/permit"),
            &beh,
            json!({"reference": "x", "granted_on": "2026-02-30", "expires_on": "2030-01-01"}),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let answer = app
        .put(
            &format!("{area}/permit"),
            &beh,
            json!({"reference": "x", "granted_on": "2027-01-01", "expires_on": "2026-01-01"}),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "protocol_rule");
    let answer = app.put(&format!("{area}/protocol"), &beh, json!({"complaint_window_days": 14, "retention_days": 184, "max_list_age_seconds": 86400})).await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "protocol_rule");
    let answer = app
        .post(
            &format!("{area}/categories"),
            &beh,
            json!({"code": "lang", "name": "Te lang", "default_days": 365, "max_days": 731}),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "protocol_rule");
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("730"),
        "{}",
        answer.1
    );
    let answer = app
        .post(
            &format!("{area}/categories"),
            &beh,
            json!({"code": "geweld-licht", "name": "Dubbel", "default_days": 10, "max_days": 20}),
        )
        .await;
    assert_error(&answer, StatusCode::CONFLICT, "conflict");
    let answer = app
        .post(
            &format!("{area}/venues"),
            &beh,
            json!({"name": "X", "address": "Y", "kvk_number": "1234"}),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let answer = app.post(&format!("{area}/venues"), &beh, json!({"name": "X", "address": "Y", "kvk_number": "12345678", "admitted_on": "yesterday"})).await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let answer = app
        .post("/api/v1/accounts", &beh, json!({"username": OWNER_A.0, "password": "long enough password", "role": "owner", "area_id": s.area_a, "venue_ids": [s.venue_a1]}))
        .await;
    assert_error(&answer, StatusCode::CONFLICT, "conflict");
    let answer = app
        .post("/api/v1/accounts", &beh, json!({"username": "x-owner", "password": "long enough password", "role": "owner", "area_id": s.area_a, "venue_ids": [s.venue_b]}))
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let answer = app
        .post("/api/v1/accounts", &beh, json!({"username": "x-owner", "password": "long enough password", "role": "king", "area_id": s.area_a}))
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");

    // Login: malformed and unknown fields.
    let answer = app
        .raw("POST", "/api/v1/auth/login", None, json_ct, "{")
        .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_json");
    let answer = app
        .request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "a", "password": "b", "remember": true})),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");

    assert_eq!(
        snapshot(&app).await,
        before,
        "a refused write wrote something"
    );
}

both!(bad_paths_and_routes);
async fn bad_paths_and_routes(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let before = snapshot(&app).await;
    for path in [
        "/api/v1/bans/abc",
        "/api/v1/bans/1.5",
        "/api/v1/bans/99999999999999999999",
        "/api/v1/areas/x/venues",
    ] {
        assert_error(
            &app.get(path, &beh).await,
            StatusCode::BAD_REQUEST,
            "invalid_path",
        );
    }
    for path in ["/api/v1/bans/0", "/api/v1/bans/-1", "/api/v1/bans/999999"] {
        assert_error(
            &app.get(path, &beh).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    assert_error(
        &app.post("/api/v1/bans/abc/revoke", &beh, json!({"reason": "x"}))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_path",
    );
    assert_error(
        &app.post("/api/v1/bans/0/revoke", &beh, json!({"reason": "x"}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.put(
            "/api/v1/venues/999999/admission",
            &beh,
            json!({"admitted_on": null, "withdrawn_on": null}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // Unknown routes of the JSON interface are JSON 404s too (elsewhere
    // they are pages: tests/api/web_pages.rs).
    assert_error(
        &app.get("/api/v1/nothing", &beh).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.get("/api/nothing", &beh).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // A known path with a method it does not have.
    let (status, body) = app
        .request(
            "DELETE",
            &format!("/api/v1/bans/{}", s.demo_bans[0]),
            Some(&beh),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    // Bad query strings.
    let answer = app
        .get(&format!("/api/v1/areas/{}/audit?after=x", s.area_a), &beh)
        .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_query");
    let answer = app
        .get(&format!("/api/v1/areas/{}/audit?page=2", s.area_a), &beh)
        .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_query");
    // Bad Authorization headers.
    for header in [
        "Basic b3BlcmF0b3I6eA==",
        "Bearer",
        "Bearer ",
        &format!("Bearer {}", "x".repeat(200)),
    ] {
        let request = axum::http::Request::builder()
            .uri("/api/v1/me")
            .header("authorization", header)
            .body(axum::body::Body::empty())
            .unwrap();
        let (status, _, body) = app.send(request).await;
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_error(&(status, body), StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    assert_eq!(snapshot(&app).await, before);
}

both!(rules_found_in_review);
async fn rules_found_in_review(app: TestApp) {
    let s = app.seed().await;
    let operator = app.login(OPERATOR.0, OPERATOR.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let before = snapshot(&app).await;
    // A known route with another method is a JSON 405.
    assert_error(
        &app.request("DELETE", "/api/v1/bans", Some(&owner), None)
            .await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    // A notice dated after today, or before the incident, is refused.
    for notified_on in ["2030-01-01", "2020-01-01"] {
        let body = with(
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Bakker", "Bob", "1990-01-01"),
            ),
            "notification",
            json!({"notified_on": notified_on, "method": "letter"}),
        );
        assert_error(
            &app.post("/api/v1/bans", &owner, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
    }
    // Only owner accounts have venues.
    let beheerder = json!({"username": "b2", "password": "long enough password", "role": "beheerder",
                           "area_id": s.area_a, "venue_ids": [s.venue_b]});
    assert_error(
        &app.post("/api/v1/accounts", &operator, beheerder).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    // An area of an unknown municipality is a 404, not a constraint error.
    assert_error(
        &app.post(
            "/api/v1/areas",
            &operator,
            json!({"municipality_id": 999, "name": "Nergens"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(
        snapshot(&app).await,
        before,
        "refused requests wrote nothing"
    );
}

both!(times_at_the_end_of_the_calendar_answer_422);
/// Issue 7, item 2: an incident time whose Dutch date lies past 9999-12-31
/// made `door_date` panic and the connection drop.
async fn times_at_the_end_of_the_calendar_answer_422(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let before = snapshot(&app).await;
    let good = ban_body(
        s.venue_a1,
        s.category_a,
        manual("Bakker", "Bob", "1990-01-01"),
    );
    for incident_at in [
        "9999-12-31T23:00:00Z",
        "9999-12-31T23:59:59Z",
        "9999-12-31T22:59:59Z",
        "9999-12-31T23:59:59-23:59",
        "+10000-01-01T00:00:00Z",
        "9223372036854775807",
        "-9223372036854775808",
    ] {
        let answer = app
            .post(
                "/api/v1/bans",
                &owner,
                with(good.clone(), "incident_at", json!(incident_at)),
            )
            .await;
        assert_eq!(
            answer.0,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{incident_at}: {}",
            answer.1
        );
    }
    for (field, value) in [
        ("ends_on", json!("9999-12-31")),
        ("starts_on", json!("9999-12-31")),
        ("ends_on", json!("0000-01-01")),
        ("venue_id", json!(i64::MAX)),
        ("venue_id", json!(i64::MIN)),
        ("category_id", json!(i64::MAX)),
        ("category_id", json!(i64::MIN)),
    ] {
        let answer = app
            .post(
                "/api/v1/bans",
                &owner,
                with(good.clone(), field, value.clone()),
            )
            .await;
        assert!(
            answer.0.is_client_error(),
            "{field} = {value}: {} {}",
            answer.0,
            answer.1
        );
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "refused requests wrote nothing"
    );
}
