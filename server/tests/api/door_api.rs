//! Issue 10's door API on the server: the key fingerprint beside the
//! enrolment code (contract 2), the revoked device's answer (contract 3)
//! and the anonymous door counts (contract 5, item 6).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::devices::{b64, enrol};
use crate::fixtures::*;
use crate::harness::*;
use crate::web_client::Browser;
use cho_server::clock::Clock;
use cho_server::services::lists;

const HOUR: i64 = 3600;

/// A device endpoint called with `credential` (none: no header).
async fn device_call(
    app: &TestApp,
    method: &str,
    path: &str,
    credential: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(c) = credential {
        request = request.header("authorization", format!("Device {c}"));
    }
    let body = match body {
        Some(b) => {
            request = request.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let (status, _, bytes) = app.send(request.body(body).unwrap()).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Every device endpoint, with a body it takes.
fn device_endpoints(now: i64) -> Vec<(&'static str, &'static str, Option<Value>)> {
    let hour = now / HOUR * HOUR;
    vec![
        ("GET", "/api/v1/device/list", None),
        ("GET", "/api/v1/device/list?version=1", None),
        ("GET", "/api/v1/device/key", None),
        (
            "POST",
            "/api/v1/device/counts",
            Some(json!({"counts": [{"hour": hour, "verdict": "welcome", "checks": 1}]})),
        ),
    ]
}

async fn post_counts(app: &TestApp, credential: &str, counts: Value) -> (StatusCode, Value) {
    device_call(
        app,
        "POST",
        "/api/v1/device/counts",
        Some(credential),
        Some(json!({ "counts": counts })),
    )
    .await
}

// ---------------------------------------------------------------------------
// Contract 3: a revoked device is told so.

both!(a_revoked_device_is_told_so_on_every_device_endpoint);
async fn a_revoked_device_is_told_so_on_every_device_endpoint(app: TestApp) {
    let s = app.seed().await;
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let enrolment = enrol(&app, &owner_a, s.venue_a1).await;
    let credential = enrolment["credential"].as_str().unwrap().to_owned();
    lists::publish(&app.app, s.area_a).await.unwrap();
    let now = app.clock.now();
    for (method, path, body) in device_endpoints(now) {
        let (status, answer) = device_call(&app, method, path, Some(&credential), body).await;
        assert!(
            status.is_success() || status == StatusCode::NOT_MODIFIED,
            "{method} {path}: {status} {answer}"
        );
    }
    let revoke = format!("/api/v1/devices/{}/revoke", enrolment["device_id"]);
    assert_eq!(
        app.request("POST", &revoke, Some(&owner_a), None).await.0,
        StatusCode::NO_CONTENT
    );
    for (method, path, body) in device_endpoints(now) {
        // Revoked: its own code, so the door wipes itself.
        let answer = device_call(&app, method, path, Some(&credential), body.clone()).await;
        assert_error(&answer, StatusCode::UNAUTHORIZED, "device_revoked");
        assert!(
            !answer.1.to_string().contains(&credential),
            "{method} {path}: {}",
            answer.1
        );
        // Unknown or missing: unchanged.
        let unknown = device_call(&app, method, path, Some("not-a-credential"), body.clone()).await;
        assert_error(&unknown, StatusCode::UNAUTHORIZED, "unauthenticated");
        let none = device_call(&app, method, path, None, body).await;
        assert_error(&none, StatusCode::UNAUTHORIZED, "unauthenticated");
    }
}

both!(a_revocation_elsewhere_answers_device_revoked_after_the_cache_time);
async fn a_revocation_elsewhere_answers_device_revoked_after_the_cache_time(app: TestApp) {
    let s = app.seed().await;
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let enrolment = enrol(&app, &owner_a, s.venue_a1).await;
    let credential = enrolment["credential"].as_str().unwrap().to_owned();
    lists::publish(&app.app, s.area_a).await.unwrap();
    let sync = "/api/v1/device/list?version=1";
    assert_eq!(
        device_call(&app, "GET", sync, Some(&credential), None)
            .await
            .0,
        StatusCode::NOT_MODIFIED
    );
    // Another instance revokes it: straight in the database.
    sqlx::query("UPDATE devices SET revoked_at = 1 WHERE id = $1")
        .bind(enrolment["device_id"].as_i64().unwrap())
        .execute(app.db().pool())
        .await
        .unwrap();
    app.clock
        .advance(cho_server::services::sync_cache::SYNC_CACHE_SECONDS);
    let answer = device_call(&app, "GET", sync, Some(&credential), None).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "device_revoked");
}

both!(a_withdrawn_venues_doors_are_told_they_are_revoked);
async fn a_withdrawn_venues_doors_are_told_they_are_revoked(app: TestApp) {
    let s = app.seed().await;
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let enrolment = enrol(&app, &owner_a, s.venue_a1).await;
    let credential = enrolment["credential"].as_str().unwrap().to_owned();
    // Withdrawal revokes every door of the venue (`revoke_venue`).
    let mut tx = app.db().begin_write(app.clock.now()).await.unwrap();
    let revoked = cho_server::storage::devices::revoke_venue(&mut tx, s.venue_a1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(revoked, vec![enrolment["device_id"].as_i64().unwrap()]);
    // Written straight, without the audit event whose commit signal
    // would make the cache forget: forgotten here as the hook would.
    app.app
        .sync_cache
        .forget(cho_server::domain::audit::CommitSignal::DeviceRevoked(
            enrolment["device_id"].as_i64().unwrap(),
        ));
    let answer = device_call(&app, "GET", "/api/v1/device/key", Some(&credential), None).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "device_revoked");
}

// ---------------------------------------------------------------------------
// Contract 2: the key fingerprint beside the code.

both!(the_code_comes_with_the_signing_keys_fingerprint_in_link_answer_and_page);
async fn the_code_comes_with_the_signing_keys_fingerprint_in_link_answer_and_page(app: TestApp) {
    let s = app.seed().await;
    let key = app.app.secrets.signing_public_key;
    let full = cho_core::fingerprint::fingerprint(&key);
    let short = cho_core::fingerprint::short_fingerprint(&key);
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let (status, code) = app
        .post(
            &format!("/api/v1/venues/{}/enrolment-codes", s.venue_a1),
            &owner_a,
            json!({"name": "Voordeur"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    assert_eq!(
        code["link"],
        format!(
            "cho-enrol:{}#code={}&key={full}",
            app.app.public_url,
            code["code"].as_str().unwrap()
        )
    );
    assert_eq!(code["key_fingerprint"], short.as_str());
    // The enrolment POST is unchanged and hands over that very key.
    let (status, enrolment) = app
        .request(
            "POST",
            "/api/v1/devices/enrol",
            None,
            Some(json!({"code": code["code"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    assert_eq!(b64(&enrolment["signing_public_key"]), key.to_vec());

    // The owner's page shows it beside the code, in both languages.
    for (lang, text) in [
        ("nl", "Typ ook deze sleutelcontrole in de app:"),
        ("en", "Also type this key check into the app:"),
    ] {
        let b = Browser::new(&app);
        let b = if lang == "en" { b.english() } else { b };
        let mut b = b.logged_in(OWNER_A.0, OWNER_A.1).await;
        let csrf = b.csrf().await;
        let venue = s.venue_a1.to_string();
        let page = b
            .post(
                "/deurtelefoons/code",
                &[("csrf", &csrf), ("venue_id", &venue), ("name", "Voordeur")],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.assert_contains(text);
        page.assert_contains(&format!(
            "<p class=\"utrecht-paragraph cho-code\" id=\"key-check\"><strong>{short}</strong></p>"
        ));
    }
}

// ---------------------------------------------------------------------------
// Contract 5: anonymous door counts.

/// Tonight began at 12:00 Dutch time; the harness starts at 12:00 UTC on
/// Saturday 28 November 2026 (13:00 CET), so tonight began at 11:00 UTC.
fn tonight_start() -> i64 {
    START - HOUR
}

both!(door_counts_are_set_and_the_owner_sees_checks_tonight);
async fn door_counts_are_set_and_the_owner_sees_checks_tonight(app: TestApp) {
    let s = app.seed().await;
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let owner_a2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let beheerder = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let front = enrol(&app, &owner_a, s.venue_a1).await;
    let other = enrol(&app, &owner_a2, s.venue_a2).await;
    let credential = front["credential"].as_str().unwrap().to_owned();
    // It is 00:30 on Sunday in the Netherlands: the night of Saturday.
    app.clock.set(START + 11 * HOUR + 30 * 60);
    let (midnight_hour, before_noon) = (START + 11 * HOUR, tonight_start() - HOUR);
    let report = json!([
        {"hour": tonight_start(), "verdict": "welcome", "checks": 10},
        {"hour": midnight_hour, "verdict": "welcome", "checks": 5},
        {"hour": midnight_hour, "verdict": "banned", "checks": 1},
        {"hour": midnight_hour, "verdict": "possible_match", "checks": 2},
        {"hour": midnight_hour, "verdict": "no_list", "checks": 1},
        // Before noon: the night before, not tonight.
        {"hour": before_noon, "verdict": "welcome", "checks": 100},
    ]);
    let answer = post_counts(&app, &credential, report.clone()).await;
    assert_eq!(answer.0, StatusCode::NO_CONTENT, "{}", answer.1);
    // A resend after a lost answer, and a later running total: set, not
    // added.
    assert_eq!(
        post_counts(&app, &credential, report).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        post_counts(
            &app,
            &credential,
            json!([{"hour": midnight_hour, "verdict": "welcome", "checks": 7}])
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    // The other owner's door counts too, for its own owner only.
    assert_eq!(
        post_counts(
            &app,
            other["credential"].as_str().unwrap(),
            json!([{"hour": midnight_hour, "verdict": "welcome", "checks": 4}])
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    let expected = json!({"banned": 1, "possible_match": 2, "welcome": 17, "outdated": 0, "no_list": 1, "total": 21});
    let (status, devices) = app
        .get(&format!("/api/v1/areas/{}/devices", s.area_a), &owner_a)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(devices.as_array().unwrap().len(), 1, "{devices}");
    assert_eq!(devices[0]["checks_tonight"], expected);
    let (_, dashboard) = app.get("/api/v1/dashboard", &owner_a).await;
    assert_eq!(dashboard["devices"][0]["checks_tonight"], expected);
    let (_, theirs) = app
        .get(&format!("/api/v1/areas/{}/devices", s.area_a), &owner_a2)
        .await;
    assert_eq!(theirs[0]["checks_tonight"]["total"], 4);
    // The beheerder sees the phones, not their counts.
    let (_, all) = app
        .get(&format!("/api/v1/areas/{}/devices", s.area_a), &beheerder)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert!(all.to_string().find("checks_tonight").is_none(), "{all}");
    let (_, overview) = app
        .get(&format!("/api/v1/areas/{}/overview", s.area_a), &beheerder)
        .await;
    assert!(
        !overview.to_string().contains("checks_tonight"),
        "{overview}"
    );

    // The owner's page of door phones shows the column.
    let mut b = Browser::new(&app).logged_in(OWNER_A.0, OWNER_A.1).await;
    let page = b.get("/deurtelefoons").await;
    page.assert_contains("Controles vannacht");
    page.assert_contains("21 controles");
    page.assert_contains("1 geen toegang");
    page.assert_contains("2 mogelijke match");
    page.assert_contains("1 zonder actuele lijst");
    let mut b = Browser::new(&app)
        .english()
        .logged_in(OWNER_A.0, OWNER_A.1)
        .await;
    let page = b.get("/deurtelefoons").await;
    page.assert_contains("Checks tonight");
    page.assert_contains("21 checks");

    // At noon a new night begins, with nothing counted yet.
    app.clock.set(START + 23 * HOUR);
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let (_, devices) = app
        .get(&format!("/api/v1/areas/{}/devices", s.area_a), &owner_a)
        .await;
    assert_eq!(devices[0]["checks_tonight"]["total"], 0);

    // Only numbers were stored: no token, identity or single check.
    let rows = sqlx::query("SELECT * FROM door_counts")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 7);
}

both!(door_count_reports_outside_the_rules_are_refused_whole);
async fn door_count_reports_outside_the_rules_are_refused_whole(app: TestApp) {
    let s = app.seed().await;
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let enrolment = enrol(&app, &owner_a, s.venue_a1).await;
    let credential = enrolment["credential"].as_str().unwrap().to_owned();
    let now = app.clock.now();
    let hour = now / HOUR * HOUR;
    let good = json!({"hour": hour, "verdict": "welcome", "checks": 1});
    let eight_days = 8 * 24 * HOUR;
    for (bad, why) in [
        (
            json!({"hour": hour - eight_days - HOUR, "verdict": "welcome", "checks": 1}),
            "older than 8 days",
        ),
        (
            json!({"hour": hour + 2 * HOUR, "verdict": "welcome", "checks": 1}),
            "more than 1 hour ahead",
        ),
        (
            json!({"hour": hour + 60, "verdict": "welcome", "checks": 1}),
            "not an hour",
        ),
        (
            json!({"hour": hour, "verdict": "maybe", "checks": 1}),
            "unknown verdict",
        ),
        (
            json!({"hour": hour, "verdict": "banned", "checks": -1}),
            "negative",
        ),
        (
            json!({"hour": hour, "verdict": "welcome", "checks": 2}),
            "the same hour and verdict twice",
        ),
    ] {
        let answer = post_counts(&app, &credential, json!([good, bad])).await;
        assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(
            answer.1["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("counts[1]"),
            "{why}: {}",
            answer.1
        );
    }
    // Unknown fields and wrong types: refused by the body's shape.
    let answer = post_counts(
        &app,
        &credential,
        json!([{"hour": hour, "verdict": "welcome", "checks": 1, "token": "x"}]),
    )
    .await;
    assert_eq!(answer.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.1);
    // At most 960 rows (eight days of five verdicts), and at most the API's
    // body limit.
    let verdicts = ["banned", "possible_match", "welcome", "outdated", "no_list"];
    let many: Vec<Value> = (0..=192)
        .flat_map(|h| {
            verdicts
                .iter()
                .map(move |v| json!({"hour": hour - h * HOUR, "verdict": v, "checks": 1}))
        })
        .collect();
    assert!(many.len() > 960);
    let answer = post_counts(&app, &credential, json!(many[..961])).await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let answer = post_counts(&app, &credential, json!(many[..960])).await;
    assert_eq!(answer.0, StatusCode::NO_CONTENT, "{}", answer.1);
    let huge = format!(
        r#"{{"counts":[{}]}}"#,
        vec![r#"{"hour":0,"verdict":"welcome","checks":1}"#; 2000].join(",")
    );
    let (status, _, _) = app
        .send(
            Request::post("/api/v1/device/counts")
                .header("authorization", format!("Device {credential}"))
                .header("content-type", "application/json")
                .body(Body::from(huge))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // The refused reports stored nothing: only the 960 rows.
    let rows = sqlx::query("SELECT device_id FROM door_counts")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 960);
}

both!(door_counts_are_deleted_90_days_after_their_hour);
async fn door_counts_are_deleted_90_days_after_their_hour(app: TestApp) {
    let s = app.seed().await;
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let enrolment = enrol(&app, &owner_a, s.venue_a1).await;
    let credential = enrolment["credential"].as_str().unwrap().to_owned();
    let hour = app.clock.now() / HOUR * HOUR;
    let answer = post_counts(
        &app,
        &credential,
        json!([
            {"hour": hour - HOUR, "verdict": "welcome", "checks": 3},
            {"hour": hour, "verdict": "banned", "checks": 1},
        ]),
    )
    .await;
    assert_eq!(answer.0, StatusCode::NO_CONTENT, "{}", answer.1);
    let purge = cho_server::services::retention::purge;
    app.advance_days(cho_server::domain::door_counts::RETENTION_DAYS);
    // 90 days after the first hour's start, the first hour is gone; the
    // second is not.
    assert_eq!(purge(&app.app).await.unwrap().door_counts_removed, 1);
    app.clock.advance(HOUR);
    assert_eq!(purge(&app.app).await.unwrap().door_counts_removed, 1);
    assert_eq!(
        purge(&app.app).await.unwrap().door_counts_removed,
        0,
        "once"
    );
}
