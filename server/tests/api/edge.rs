//! The server's edge (issue 7, items 1, 7, 8, 10, 11, 14): admission for
//! door devices, revocation against the sync cache, timeouts and limits
//! over real sockets, enrolment links from configuration only, security
//! headers, and answers that never echo a submitted value.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;
use cho_server::services::lists;

// ---------------------------------------------------------------------------
// Helpers.

async fn create_code(app: &TestApp, owner: &str, venue: i64) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/venues/{venue}/enrolment-codes"),
        owner,
        json!({"name": "Voordeur"}),
    )
    .await
}

async fn redeem(app: &TestApp, code: &Value) -> (StatusCode, Value) {
    app.request(
        "POST",
        "/api/v1/devices/enrol",
        None,
        Some(json!({"code": code})),
    )
    .await
}

/// A code and its enrolment; panics unless both succeed.
async fn enrolled(app: &TestApp, owner: &str, venue: i64) -> Value {
    let (status, code) = create_code(app, owner, venue).await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    let (status, enrolment) = redeem(app, &code["code"]).await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    enrolment
}

/// A device request with `Authorization: <scheme> <credential>`.
async fn as_device(
    app: &TestApp,
    scheme: &str,
    credential: &Value,
    path: &str,
    if_none_match: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut request = Request::get(path).header(
        "authorization",
        format!("{scheme} {}", credential.as_str().unwrap()),
    );
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    let (status, headers, bytes) = app.send(request.body(Body::empty()).unwrap()).await;
    let body = if headers
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
    {
        serde_json::from_slice(&bytes).unwrap()
    } else {
        Value::Null
    };
    (status, headers, body)
}

async fn list_status(app: &TestApp, credential: &Value) -> (StatusCode, Value) {
    let (status, _, body) = as_device(app, "Device", credential, "/api/v1/device/list", None).await;
    (status, body)
}

async fn key_status(app: &TestApp, credential: &Value) -> (StatusCode, Value) {
    let (status, _, body) = as_device(app, "Device", credential, "/api/v1/device/key", None).await;
    (status, body)
}

async fn set_admission(app: &TestApp, beh: &str, venue: i64, body: Value) {
    assert_status(
        &app.put(&format!("/api/v1/venues/{venue}/admission"), beh, body)
            .await,
        StatusCode::NO_CONTENT,
    );
}

fn day(offset: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(START + offset * DAY)
        .unwrap()
        .date();
    cho_core::dates::format_iso_date(date)
}

// ---------------------------------------------------------------------------
// Item 1: only admitted venues get codes, enrolment, the list and the key.

both!(a_withdrawal_revokes_the_venues_phones_at_once_and_stops_codes);
async fn a_withdrawal_revokes_the_venues_phones_at_once_and_stops_codes(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    lists::publish(&app.app, s.area_a).await.unwrap();
    // Two phones at the venue, one at its neighbour; a code not yet used.
    let first = enrolled(&app, &owner, s.venue_a1).await;
    let second = enrolled(&app, &owner, s.venue_a1).await;
    let owner2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let neighbour = enrolled(&app, &owner2, s.venue_a2).await;
    let (_, pending) = create_code(&app, &owner, s.venue_a1).await;
    for phone in [&first, &second] {
        // Polled, so the sync cache holds the device.
        assert_eq!(
            list_status(&app, &phone["credential"]).await.0,
            StatusCode::OK
        );
    }

    let before = app.last_seq().await;
    set_admission(
        &app,
        &beh,
        s.venue_a1,
        json!({"admitted_on": s.admitted_on, "withdrawn_on": day(0)}),
    )
    .await;
    // One admission event, then one revocation per phone, same actor.
    let events = app.events_after(before).await;
    let beh_id = app.account_id(BEHEERDER_A.0).await;
    let actor = format!("account:{beh_id}");
    let mut expected = vec![(
        actor.clone(),
        "venue.admission".to_owned(),
        "venue".to_owned(),
        s.venue_a1.to_string(),
    )];
    for phone in [&first, &second] {
        expected.push((
            actor.clone(),
            "device.revoke".to_owned(),
            "device".to_owned(),
            phone["device_id"].to_string(),
        ));
    }
    assert_eq!(events, expected);

    // At once, although the cache held them: no list, no key, and the
    // doors are told they were revoked (so they wipe themselves).
    for phone in [&first, &second] {
        assert_error(
            &list_status(&app, &phone["credential"]).await,
            StatusCode::UNAUTHORIZED,
            "device_revoked",
        );
        assert_error(
            &key_status(&app, &phone["credential"]).await,
            StatusCode::UNAUTHORIZED,
            "device_revoked",
        );
    }
    // The neighbour is untouched.
    assert_eq!(
        list_status(&app, &neighbour["credential"]).await.0,
        StatusCode::OK
    );
    // No new code; the code made before the withdrawal enrols nothing.
    let devices = app.count("devices").await;
    assert_error(
        &create_code(&app, &owner, s.venue_a1).await,
        StatusCode::FORBIDDEN,
        "not_admitted",
    );
    assert_error(
        &redeem(&app, &pending["code"]).await,
        StatusCode::FORBIDDEN,
        "not_admitted",
    );
    assert_eq!(app.count("devices").await, devices);

    // Re-admitted: codes again, but the revoked phones stay revoked.
    set_admission(
        &app,
        &beh,
        s.venue_a1,
        json!({"admitted_on": day(0), "withdrawn_on": null}),
    )
    .await;
    assert_eq!(
        list_status(&app, &first["credential"]).await.0,
        StatusCode::UNAUTHORIZED
    );
    let again = enrolled(&app, &owner, s.venue_a1).await;
    assert_eq!(
        list_status(&app, &again["credential"]).await.0,
        StatusCode::OK
    );
}

both!(a_venue_never_admitted_gets_no_code);
async fn a_venue_never_admitted_gets_no_code(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let pending = app
        .create(
            &format!("/api/v1/areas/{}/venues", s.area_a),
            &beh,
            json!({"name": "Bar Nieuw", "address": "Markt 2", "kvk_number": "55667788"}),
        )
        .await;
    let later = app
        .create(
            &format!("/api/v1/areas/{}/venues", s.area_a),
            &beh,
            json!({"name": "Bar Straks", "address": "Markt 3", "kvk_number": "55667789", "admitted_on": day(3)}),
        )
        .await;
    app.create(
        "/api/v1/accounts",
        &beh,
        json!({"username": "nieuw", "password": "nieuw-password-1", "role": "owner",
               "area_id": s.area_a, "venue_ids": [pending, later]}),
    )
    .await;
    let owner = app.login("nieuw", "nieuw-password-1").await;
    let codes = app.count("enrolment_codes").await;
    for venue in [pending, later] {
        assert_error(
            &create_code(&app, &owner, venue).await,
            StatusCode::FORBIDDEN,
            "not_admitted",
        );
    }
    assert_eq!(app.count("enrolment_codes").await, codes);
    // From its admission day on, it may.
    app.advance_days(3);
    let owner = app.login("nieuw", "nieuw-password-1").await;
    let phone = enrolled(&app, &owner, later).await;
    lists::publish(&app.app, s.area_a).await.unwrap();
    assert_eq!(
        list_status(&app, &phone["credential"]).await.0,
        StatusCode::OK
    );
}

both!(a_withdrawal_dated_later_stops_the_list_and_key_on_that_day);
async fn a_withdrawal_dated_later_stops_the_list_and_key_on_that_day(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    lists::publish(&app.app, s.area_a).await.unwrap();
    // Enrolled before the withdrawal was decided.
    let phone = enrolled(&app, &owner, s.venue_a1).await;
    set_admission(
        &app,
        &beh,
        s.venue_a1,
        json!({"admitted_on": s.admitted_on, "withdrawn_on": day(2)}),
    )
    .await;
    assert_eq!(
        list_status(&app, &phone["credential"]).await.0,
        StatusCode::OK
    );
    assert_eq!(
        key_status(&app, &phone["credential"]).await.0,
        StatusCode::OK
    );
    app.advance_days(2);
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    lists::publish(&app.app, s.area_a).await.unwrap();
    assert_error(
        &list_status(&app, &phone["credential"]).await,
        StatusCode::FORBIDDEN,
        "not_admitted",
    );
    assert_error(
        &key_status(&app, &phone["credential"]).await,
        StatusCode::FORBIDDEN,
        "not_admitted",
    );
    assert_error(
        &create_code(&app, &owner, s.venue_a1).await,
        StatusCode::FORBIDDEN,
        "not_admitted",
    );
}

both!(no_code_or_enrolment_without_a_valid_permit);
async fn no_code_or_enrolment_without_a_valid_permit(app: TestApp) {
    let op = {
        app.seed().await;
        app.login(OPERATOR.0, OPERATOR.1).await
    };
    let c = app
        .new_area(
            &op,
            "Kampen",
            "Kampen",
            ("beheerder-c", "beheerder-c-password"),
            ("owner-c", "owner-c-password-1"),
            false,
        )
        .await;
    let owner = app.login("owner-c", "owner-c-password-1").await;
    assert_error(
        &create_code(&app, &owner, c.venue).await,
        StatusCode::FORBIDDEN,
        "not_admitted",
    );
}

// ---------------------------------------------------------------------------
// Item 7: a poll racing a revocation must not re-cache the device.

both!(a_poll_racing_a_revocation_never_recaches_the_device);
async fn a_poll_racing_a_revocation_never_recaches_the_device(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    lists::publish(&app.app, s.area_a).await.unwrap();
    for round in 0..12 {
        let phone = enrolled(&app, &owner, s.venue_a1).await;
        let credential = phone["credential"].as_str().unwrap().to_owned();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Pollers hammer the sync while the revocation runs: each poll that
        // misses the cache reads the device and caches it.
        let mut pollers = Vec::new();
        for _ in 0..4 {
            let router = app.router();
            let credential = credential.clone();
            let stop = stop.clone();
            pollers.push(tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let request = Request::get("/api/v1/device/list")
                        .header("authorization", format!("Device {credential}"))
                        .body(Body::empty())
                        .unwrap();
                    let response = router.clone().oneshot(request).await.unwrap();
                    let _ = response.into_body().collect().await;
                    tokio::task::yield_now().await;
                }
            }));
        }
        tokio::task::yield_now().await;
        assert_status(
            &app.post(
                &format!("/api/v1/devices/{}/revoke", phone["device_id"]),
                &owner,
                json!({}),
            )
            .await,
            StatusCode::NO_CONTENT,
        );
        // Once revoke has answered, no poll may pass, however they raced.
        let after = list_status(&app, &phone["credential"]).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for p in pollers {
            p.await.unwrap();
        }
        assert_eq!(
            after.0,
            StatusCode::UNAUTHORIZED,
            "round {round}: a revoked device synced from the cache"
        );
    }
}

// ---------------------------------------------------------------------------
// Item 10: enrolment links from configuration; all or nothing.

async fn send_to(router: axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

both!(enrolment_links_never_come_from_the_host_header);
async fn enrolment_links_never_come_from_the_host_header(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let mut configured = app.app.clone();
    configured.public_url = "https://cho.zwolle.example".to_owned();
    let router = cho_server::http::router(configured);
    for host in ["evil.example", &"h".repeat(3000)] {
        let request = Request::post(format!("/api/v1/venues/{}/enrolment-codes", s.venue_a1))
            .header("host", host)
            .header("x-forwarded-host", "evil.example")
            .header("authorization", format!("Bearer {owner}"))
            .header("content-type", "application/json")
            .body(Body::from(r#"{"name":"Voordeur"}"#))
            .unwrap();
        let (status, code) = send_to(router.clone(), request).await;
        assert_eq!(status, StatusCode::CREATED, "{code}");
        assert_eq!(
            code["link"],
            format!(
                "cho-enrol:https://cho.zwolle.example#code={}&key={}",
                code["code"].as_str().unwrap(),
                cho_core::fingerprint::fingerprint(&app.app.secrets.signing_public_key)
            )
        );
    }
}

both!(a_failed_code_creation_stores_nothing);
async fn a_failed_code_creation_stores_nothing(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    // A URL no QR code can hold (only a misconfiguration could do this;
    // `serve` refuses such a URL): the code must not be stored.
    let mut broken = app.app.clone();
    broken.public_url = format!("https://{}.example", "x".repeat(4000));
    let codes = app.count("enrolment_codes").await;
    let seq = app.last_seq().await;
    let request = Request::post(format!("/api/v1/venues/{}/enrolment-codes", s.venue_a1))
        .header("authorization", format!("Bearer {owner}"))
        .header("content-type", "application/json")
        .body(Body::from(r#"{"name":"Voordeur"}"#))
        .unwrap();
    let (status, body) = send_to(cho_server::http::router(broken), request).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(app.count("enrolment_codes").await, codes);
    assert_eq!(app.last_seq().await, seq, "no audit event either");
}

#[test]
fn public_urls_are_checked() {
    use cho_server::services::devices::public_url;
    assert_eq!(
        public_url("https://cho.example.nl/").unwrap(),
        "https://cho.example.nl"
    );
    assert_eq!(
        public_url("http://10.0.0.5:8080/cho").unwrap(),
        "http://10.0.0.5:8080/cho"
    );
    for bad in [
        "",
        "cho.example.nl",
        "ftp://cho.example.nl",
        "https://",
        "https://a b.nl",
        "https://x.nl/#code",
        "https://x.nl/?q",
        "https://user@x.nl",
    ] {
        assert!(public_url(bad).is_err(), "{bad}");
    }
    assert!(public_url(&format!("https://{}.nl", "x".repeat(300))).is_err());
}

// ---------------------------------------------------------------------------
// Item 11: security headers, and JSON on 431.

both!(every_answer_has_nosniff_and_personal_ones_no_store);
async fn every_answer_has_nosniff_and_personal_ones_no_store(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    lists::publish(&app.app, s.area_a).await.unwrap();
    let phone = enrolled(&app, &owner, s.venue_a1).await;
    let login = json!({"username": OWNER_A.0, "password": OWNER_A.1});
    let cases: Vec<(&str, String, Option<&str>, Option<Value>)> = vec![
        (
            "POST",
            "/api/v1/auth/login".into(),
            None,
            Some(login.clone()),
        ),
        (
            "POST",
            "/api/v1/auth/login".into(),
            None,
            Some(json!({"username": "x", "password": "y"})),
        ),
        ("GET", "/api/v1/bans".into(), Some(&owner), None),
        (
            "GET",
            format!("/api/v1/bans/{}", s.demo_bans[0]),
            Some(&owner),
            None,
        ),
        ("GET", "/api/v1/me".into(), Some(&owner), None),
        ("GET", "/api/v1/me".into(), None, None),
        ("GET", "/api/v1/no/such/route".into(), None, None),
        ("DELETE", "/healthz".into(), None, None),
        ("GET", "/healthz".into(), None, None),
        (
            "POST",
            format!("/api/v1/venues/{}/enrolment-codes", s.venue_a1),
            Some(&owner),
            Some(json!({"name": "x"})),
        ),
    ];
    for (method, path, token, body) in cases {
        let (status, headers, _) = app.request_full(method, &path, token, body).await;
        assert_eq!(
            headers["x-content-type-options"], "nosniff",
            "{method} {path} {status}"
        );
        assert_eq!(
            headers["cache-control"], "no-store",
            "{method} {path} {status}"
        );
    }
    // The device's enrolment answer holds its credential and the key.
    let (_, code) = create_code(&app, &owner, s.venue_a1).await;
    let (status, headers, _) = app
        .request_full(
            "POST",
            "/api/v1/devices/enrol",
            None,
            Some(json!({"code": code["code"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    let (_, headers, _) = as_device(
        &app,
        "Device",
        &phone["credential"],
        "/api/v1/device/key",
        None,
    )
    .await;
    assert_eq!(headers["cache-control"], "no-store");
    // Signed lists and the OpenAPI document may be kept, revalidated.
    let (status, headers, _) = as_device(
        &app,
        "Device",
        &phone["credential"],
        "/api/v1/device/list",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "private, no-cache");
    let (_, headers, _) = app
        .request_full("GET", "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(headers["x-content-type-options"], "nosniff");
}

both!(too_many_or_too_large_headers_get_431_in_json);
async fn too_many_or_too_large_headers_get_431_in_json(app: TestApp) {
    let mut many = Request::get("/healthz");
    for i in 0..=cho_server::http::MAX_HEADERS {
        many = many.header(format!("x-filler-{i}"), "1");
    }
    let (status, headers, body) = app.send(many.body(Body::empty()).unwrap()).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_error(
        &(status, body),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers_too_large",
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let large = Request::get("/healthz")
        .header("x-large", "y".repeat(cho_server::http::MAX_HEADER_BYTES))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = app.send(large).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_error(
        &(status, body),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers_too_large",
    );
    // A 3,000-character Host is well within.
    let (status, _, _) = app
        .send(
            Request::get("/healthz")
                .header("host", "h".repeat(3000))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

// ---------------------------------------------------------------------------
// Item 14: no echoed values, auth schemes, weak ETags, file modes.

both!(refusals_name_the_field_never_the_value);
async fn refusals_name_the_field_never_the_value(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let good = ban_body(
        s.venue_a1,
        s.category_a,
        manual("Smit", "Karel", "1980-02-02"),
    );
    let secret = "Geheim-Jansen-1994";
    let mut hearing = good.clone();
    hearing["hearing"]["statement"] = json!(19_940_517);
    let cases = [
        (with(good.clone(), "venue_id", json!(secret)), "venue_id"),
        (
            with(good.clone(), "category_id", json!([secret])),
            "category_id",
        ),
        (
            with(good.clone(), "incident_description", json!({"x": secret})),
            "incident_description",
        ),
        (hearing, "hearing.statement"),
    ];
    for (body, field) in cases {
        let answer = app.post("/api/v1/bans", &owner, body).await;
        assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        let message = answer.1["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{message}");
        assert!(
            !message.contains("Geheim") && !message.contains("19940517"),
            "a submitted value echoed: {message}"
        );
    }
    // An unknown field that is not a field name is not echoed either.
    let answer = app
        .post("/api/v1/bans", &owner, with(good.clone(), secret, json!(1)))
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(!answer.1.to_string().contains("Geheim"), "{}", answer.1);
    // Query strings too.
    let answer = app
        .get(&format!("/api/v1/bans?status={secret}"), &owner)
        .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_query");
    assert!(!answer.1.to_string().contains("Geheim"), "{}", answer.1);
}

both!(auth_schemes_are_case_insensitive_and_weak_etags_match);
async fn auth_schemes_are_case_insensitive_and_weak_etags_match(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let request = Request::get("/api/v1/me")
            .header("authorization", format!("{scheme} {owner}"))
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::OK, "{scheme}");
    }
    // Not another scheme, nor none.
    for value in [
        format!("Basic {owner}"),
        owner.clone(),
        format!("Bearer{owner}"),
    ] {
        let request = Request::get("/api/v1/me")
            .header("authorization", value)
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::UNAUTHORIZED);
    }
    lists::publish(&app.app, s.area_a).await.unwrap();
    let phone = enrolled(&app, &owner, s.venue_a1).await;
    let credential = &phone["credential"];
    for scheme in ["Device", "device", "DEVICE"] {
        let (status, headers, _) =
            as_device(&app, scheme, credential, "/api/v1/device/list", None).await;
        assert_eq!(status, StatusCode::OK, "{scheme}");
        assert_eq!(headers["etag"], "\"v1\"");
    }
    for tag in ["\"v1\"", "W/\"v1\"", " W/\"v1\" ", "\"v0\", W/\"v1\""] {
        let (status, headers, _) =
            as_device(&app, "device", credential, "/api/v1/device/list", Some(tag)).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{tag}");
        assert_eq!(headers["cache-control"], "private, no-cache");
    }
    let (status, _, _) = as_device(
        &app,
        "Device",
        credential,
        "/api/v1/device/list",
        Some("W/\"v7\""),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[cfg(unix)]
#[tokio::test]
async fn sqlite_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cho.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let db = cho_server::storage::Db::connect(&url).await.unwrap();
    // WAL mode: the -wal and -shm files exist while connected.
    let wal = dir.path().join("cho.db-wal");
    let shm = dir.path().join("cho.db-shm");
    for file in [&path, &wal, &shm] {
        assert!(file.exists(), "{}", file.display());
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    db.close().await;
    // A database made earlier with a wider mode is narrowed at start.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let db = cho_server::storage::Db::connect(&url).await.unwrap();
    assert_eq!(mode(&path), 0o600);
    db.close().await;
}

// ---------------------------------------------------------------------------
// Item 8: timeouts and the connection limit, over real sockets.

/// A server on 127.0.0.1:0 with the given limits; stops when dropped.
struct Served {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn serve_router(
    router: axum::Router,
    limits: cho_server::http::serve::ConnectionLimits,
) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(cho_server::http::serve::serve(
        listener,
        router,
        limits,
        async move {
            let _ = stopped.await;
        },
    ));
    Served {
        addr,
        stop: Some(stop),
    }
}

fn limits(header: u64, idle: u64, max: usize) -> cho_server::http::serve::ConnectionLimits {
    cho_server::http::serve::ConnectionLimits {
        header_read_timeout: Duration::from_millis(header),
        idle_timeout: Duration::from_millis(idle),
        max_connections: max,
        shutdown_grace: Duration::from_secs(1),
    }
}

/// Reads until the peer closes (true) or `within` passes (false);
/// returns what was read too.
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (bool, Vec<u8>) {
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return (true, got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (true, got),
        }
    }
    (false, got)
}

/// Runs blocking socket code off the runtime's threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

async fn sqlite_app() -> TestApp {
    TestApp::new(TestDb::new(Backend::Sqlite).await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_headers_are_cut_off_after_the_header_timeout() {
    let app = sqlite_app().await;
    let served = serve_router(app.router(), limits(300, 5_000, 100)).await;
    let addr = served.addr;
    let (closed, elapsed, got) = blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let started = Instant::now();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .unwrap();
        let (closed, got) = read_until_closed(&mut s, Duration::from_secs(4));
        (closed, started.elapsed(), got)
    })
    .await;
    assert!(closed, "still open after 4 s");
    assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
    assert!(
        !String::from_utf8_lossy(&got).contains("200 OK"),
        "{}",
        String::from_utf8_lossy(&got)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_kept_alive_connections_are_closed() {
    let app = sqlite_app().await;
    let served = serve_router(app.router(), limits(5_000, 300, 100)).await;
    let addr = served.addr;
    let (answered, closed, idle_for) = blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        // The answer arrives, then the connection stays open (keep-alive)
        // until the idle timeout.
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).unwrap();
        let answered = String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200");
        let started = Instant::now();
        let (closed, _) = read_until_closed(&mut s, Duration::from_secs(4));
        (answered, closed, started.elapsed())
    })
    .await;
    assert!(answered);
    assert!(closed, "idle connection still open after 4 s");
    assert!(idle_for >= Duration::from_millis(200), "{idle_for:?}");
    assert!(idle_for < Duration::from_secs(3), "{idle_for:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_body_gets_408_then_the_connection_closes() {
    let app = sqlite_app().await;
    let router = cho_server::http::router_with(
        app.app.clone(),
        cho_server::http::Timeouts {
            request: Duration::from_millis(300),
            long_wait: Duration::from_secs(5),
        },
    );
    let served = serve_router(router, limits(5_000, 5_000, 100)).await;
    let addr = served.addr;
    let (closed, got, elapsed) = blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let started = Instant::now();
        s.write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user",
        )
        .unwrap();
        let (closed, got) = read_until_closed(&mut s, Duration::from_secs(4));
        (closed, String::from_utf8_lossy(&got).into_owned(), started.elapsed())
    })
    .await;
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains("\"request_timeout\""), "{got}");
    assert!(closed, "{got}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_wait_for_a_free_one() {
    let app = sqlite_app().await;
    let served = serve_router(app.router(), limits(5_000, 5_000, 1)).await;
    let addr = served.addr;
    blocking(move || {
        // The only slot, held by a silent client.
        let holder = TcpStream::connect(addr).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        // The next one is accepted by the kernel but not served...
        let mut waiting = TcpStream::connect(addr).unwrap();
        waiting
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let (closed, got) = read_until_closed(&mut waiting, Duration::from_millis(500));
        assert!(!closed && got.is_empty(), "served beyond the limit");
        // ...until the slot is free.
        drop(holder);
        let (closed, got) = read_until_closed(&mut waiting, Duration::from_secs(4));
        assert!(closed);
        let got = String::from_utf8_lossy(&got);
        assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_carries_its_peer_address() {
    use axum::extract::ConnectInfo;
    let router = axum::Router::new().route(
        "/peer",
        axum::routing::get(
            |ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() },
        ),
    );
    let served = serve_router(router, limits(5_000, 5_000, 10)).await;
    let addr = served.addr;
    blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let local = s.local_addr().unwrap();
        s.write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let (_, got) = read_until_closed(&mut s, Duration::from_secs(4));
        let got = String::from_utf8_lossy(&got);
        assert!(got.starts_with("HTTP/1.1 200"), "{got}");
        assert!(got.ends_with(&local.to_string()), "{got}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_over_a_socket_get_json_431() {
    let app = sqlite_app().await;
    let served = serve_router(app.router(), limits(5_000, 5_000, 10)).await;
    let addr = served.addr;
    let got = blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let request = format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Large: {}\r\n\r\n",
            "y".repeat(20 * 1024)
        );
        s.write_all(request.as_bytes()).unwrap();
        let (_, got) = read_until_closed(&mut s, Duration::from_secs(4));
        String::from_utf8_lossy(&got).into_owned()
    })
    .await;
    assert!(got.starts_with("HTTP/1.1 431"), "{got}");
    assert!(got.contains("\"headers_too_large\""), "{got}");
    assert!(
        got.to_lowercase()
            .contains("x-content-type-options: nosniff"),
        "{got}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_finishes_and_returns() {
    let app = sqlite_app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(cho_server::http::serve::serve(
        listener,
        app.router(),
        limits(5_000, 5_000, 10),
        async move {
            let _ = stopped.await;
        },
    ));
    // A kept-alive idle connection does not hold the stop up.
    let idle = blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 1024];
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let n = s.read(&mut buf).unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        s
    })
    .await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(3), task)
        .await
        .expect("stopped within the grace period")
        .unwrap()
        .unwrap();
    drop(idle);
}
