//! A new ban at every door within seconds (issue 10 item 4): publication
//! on commit (debounced per area), the waiting sync (`?wait=S`), its end
//! on revocation, and a publication on one instance waking a door waiting
//! on another.
//!
//! The debouncer is driven by its step (`propagation::publish_pending`),
//! never by waiting for its delay; a wait's own timeout runs on tokio's
//! paused clock.

use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use cho_core::checker::{Door, Verdict};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::both;
use crate::devices::{door, enrol};
use crate::fixtures::*;
use crate::harness::*;
use cho_server::services::lists;
use cho_server::services::propagation::{self, publish_pending};

type Answer = (StatusCode, HeaderMap, Vec<u8>);

/// A sync sent through `router` from its own task: it may wait.
fn sync_in_task(
    router: axum::Router,
    credential: &str,
    query: &str,
) -> tokio::task::JoinHandle<Answer> {
    let request = Request::get(format!("/api/v1/device/list?{query}"))
        .header("authorization", format!("Device {credential}"))
        .extension(ConnectInfo(DEFAULT_PEER))
        .body(Body::empty())
        .unwrap();
    tokio::spawn(async move {
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, body.to_vec())
    })
}

/// Until `n` doors wait on `app` (the waits are in other tasks; this only
/// watches for them, it lets no clock run).
async fn until_waiting(app: &cho_server::services::App, n: usize) {
    let start = std::time::Instant::now();
    while app.propagation.waiting_devices() < n {
        assert!(start.elapsed() < Duration::from_secs(20), "no door waits");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The answer of a task, which must come (a guard, not a pause).
async fn answer(task: tokio::task::JoinHandle<Answer>) -> Answer {
    tokio::time::timeout(Duration::from_secs(20), task)
        .await
        .expect("the wait was answered")
        .unwrap()
}

/// A door enrolled at venue A1, with area A's first list applied.
struct Enrolled {
    credential: String,
    device_id: i64,
    door: Door,
    version: i64,
    _dir: tempfile::TempDir,
}

async fn enrolled_door(app: &TestApp, s: &Seeded) -> Enrolled {
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let enrolment = enrol(app, &owner, s.venue_a1).await;
    let dir = tempfile::tempdir().unwrap();
    let mut door = door(&enrolment, dir.path());
    // The seed's changes, published as the debouncer would.
    publish_pending(&app.app).await;
    let published = lists::publish(&app.app, s.area_a).await.unwrap();
    let credential = enrolment["credential"].as_str().unwrap().to_owned();
    let (status, headers, bytes) =
        answer(sync_in_task(app.router(), &credential, "version=0&wait=60")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-cho-wait-max"], "60");
    door.apply_update(bytes, app.app.clock.now()).unwrap();
    Enrolled {
        credential,
        device_id: enrolment["device_id"].as_i64().unwrap(),
        door,
        version: published.version,
        _dir: dir,
    }
}

/// The owner revokes a door phone through the API.
async fn revoke(app: &TestApp, device_id: i64) {
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/devices/{device_id}/revoke"),
            &owner,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

const SMIT: (&str, &str, &str) = ("Smit", "Anna Maria", "1990-04-04");

fn says(door: &Door, who: (&str, &str, &str), now: i64) -> Verdict {
    door.check_manual(who.0, who.1, who.2, now).unwrap().verdict
}

/// A waiting door's next list after `change` (an API call), published by
/// the debouncer's step; returns the new version.
async fn follow(app: &TestApp, d: &mut Enrolled) -> i64 {
    let waiting = sync_in_task(
        app.router(),
        &d.credential,
        &format!("version={}&wait=60", d.version),
    );
    let (status, headers, bytes) = answer(waiting).await;
    assert_eq!(status, StatusCode::OK);
    d.door.apply_update(bytes, app.app.clock.now()).unwrap();
    d.version = headers["x-cho-list-version"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    d.version
}

both!(a_wait_answers_at_once_when_a_newer_version_exists);
async fn a_wait_answers_at_once_when_a_newer_version_exists(app: TestApp) {
    let s = app.seed().await;
    let d = enrolled_door(&app, &s).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    app.issue(
        &owner,
        ban_body(s.venue_a1, s.category_a, manual(SMIT.0, SMIT.1, SMIT.2)),
    )
    .await;
    publish_pending(&app.app).await;
    // Nobody waits: the version is already there.
    assert_eq!(app.app.propagation.waiting_devices(), 0);
    let (status, headers, _) = answer(sync_in_task(
        app.router(),
        &d.credential,
        &format!("version={}&wait=60", d.version),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-cho-list-kind"], "delta");
    assert_eq!(headers["x-cho-wait-max"], "60");
}

both!(a_ban_through_the_api_reaches_a_waiting_door_without_the_cycle);
async fn a_ban_through_the_api_reaches_a_waiting_door_without_the_cycle(app: TestApp) {
    let s = app.seed().await;
    let mut d = enrolled_door(&app, &s).await;
    let now = app.app.clock.now();
    assert_eq!(says(&d.door, SMIT, now), Verdict::NotBanned);
    let waiting = sync_in_task(
        app.router(),
        &d.credential,
        &format!("version={}&wait=60", d.version),
    );
    until_waiting(&app.app, 1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let (status, ban) = app
        .post(
            "/api/v1/bans",
            &owner,
            ban_body(s.venue_a1, s.category_a, manual(SMIT.0, SMIT.1, SMIT.2)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ban}");
    // The commit marked the area; its publication (the debouncer's step,
    // no 30-second cycle runs in tests) wakes the door.
    let published = publish_pending(&app.app).await;
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].0, s.area_a);
    let version = published[0].1.as_ref().unwrap().version;
    assert_eq!(version, d.version + 1);
    let (status, headers, bytes) = answer(waiting).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-cho-list-kind"], "delta");
    assert_eq!(headers["x-cho-list-version"], version.to_string().as_str());
    d.door.apply_update(bytes, now).unwrap();
    assert_eq!(says(&d.door, SMIT, now), Verdict::Banned);
    assert_eq!(app.app.propagation.waiting_devices(), 0);
}

both!(a_wait_without_news_answers_304_after_its_seconds);
async fn a_wait_without_news_answers_304_after_its_seconds(app: TestApp) {
    let s = app.seed().await;
    let d = enrolled_door(&app, &s).await;
    // Waits run on a clock this test moves.
    let p = &app.app.propagation;
    p.use_manual_wait_clock();
    for (asked, waited) in [("30", 30), ("61", 60), ("86400", 60)] {
        let mut waiting = sync_in_task(
            app.router(),
            &d.credential,
            &format!("version={}&wait={asked}", d.version),
        );
        until_waiting(&app.app, 1).await;
        p.advance_wait_clock(Duration::from_secs(waited - 1));
        // Still waiting a second before its time.
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut waiting)
                .await
                .is_err(),
            "wait={asked} answered early"
        );
        p.advance_wait_clock(Duration::from_secs(1));
        let (status, headers, _) = answer(waiting).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "wait={asked}");
        assert_eq!(headers["etag"], format!("\"v{}\"", d.version).as_str());
        assert_eq!(headers["x-cho-wait-max"], "60");
    }
    // wait=0 is today's sync: 304 at once.
    let (status, _, _) = answer(sync_in_task(
        app.router(),
        &d.credential,
        &format!("version={}&wait=0", d.version),
    ))
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
}

both!(a_malformed_wait_is_a_precise_400);
async fn a_malformed_wait_is_a_precise_400(app: TestApp) {
    let s = app.seed().await;
    let d = enrolled_door(&app, &s).await;
    for bad in ["", "-1", "1.5", "abc", "10s", "99999999999999999999"] {
        let (status, _, body) = answer(sync_in_task(
            app.router(),
            &d.credential,
            &format!("version={}&wait={bad}", d.version),
        ))
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "wait={bad}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "invalid_query");
        assert_eq!(
            body["error"]["message"],
            "wait must be a whole number of seconds from 0 to 60 (more is clipped to 60)"
        );
    }
}

both!(a_revocation_ends_an_open_wait_with_401);
async fn a_revocation_ends_an_open_wait_with_401(app: TestApp) {
    let s = app.seed().await;
    let d = enrolled_door(&app, &s).await;
    // A second door of the same venue keeps waiting.
    let other = enrolled_door(&app, &s).await;
    let waiting = sync_in_task(
        app.router(),
        &d.credential,
        &format!("version={}&wait=60", d.version),
    );
    let other_waiting = sync_in_task(
        app.router(),
        &other.credential,
        &format!("version={}&wait=60", other.version),
    );
    until_waiting(&app.app, 2).await;
    revoke(&app, d.device_id).await;
    let (status, _, body) = answer(waiting).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Exactly what a new request of the revoked device gets.
    let (again, _, again_body) = answer(sync_in_task(
        app.router(),
        &d.credential,
        &format!("version={}", d.version),
    ))
    .await;
    assert_eq!((status, body), (again, again_body));
    assert_eq!(app.app.propagation.waiting_devices(), 1);
    app.app.propagation.stop();
    let (status, _, _) = answer(other_waiting).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
}

both!(a_publication_on_one_instance_wakes_a_door_waiting_on_another);
async fn a_publication_on_one_instance_wakes_a_door_waiting_on_another(app: TestApp) {
    let s = app.seed().await;
    let mut d = enrolled_door(&app, &s).await;
    let (twin, twin_router) = app.twin().await;
    // The twin's watcher: PostgreSQL LISTEN, or on SQLite a poll of one row
    // per area (fast here; the default is every second).
    let watcher = tokio::spawn(propagation::run_watcher(
        twin.clone(),
        Duration::from_millis(20),
    ));
    twin.propagation.ready().await;
    let waiting = sync_in_task(
        twin_router,
        &d.credential,
        &format!("version={}&wait=60", d.version),
    );
    until_waiting(&twin, 1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    app.issue(
        &owner,
        ban_body(s.venue_a1, s.category_a, manual(SMIT.0, SMIT.1, SMIT.2)),
    )
    .await;
    let published = publish_pending(&app.app).await;
    let version = published[0].1.as_ref().unwrap().version;
    let (status, headers, bytes) = answer(waiting).await;
    watcher.abort();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-cho-list-version"], version.to_string().as_str());
    let now = app.app.clock.now();
    d.door.apply_update(bytes, now).unwrap();
    assert_eq!(says(&d.door, SMIT, now), Verdict::Banned);
    twin.db.close().await;
}

both!(a_burst_of_bans_is_one_publication);
async fn a_burst_of_bans_is_one_publication(app: TestApp) {
    let s = app.seed().await;
    let d = enrolled_door(&app, &s).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let runs = app.app.propagation.publications();
    for i in 0..50 {
        app.issue(
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual(
                    "Burst",
                    &format!("Guest {}", char::from(b'A' + (i % 26) as u8)),
                    &format!("19{:02}-01-01", 50 + i),
                ),
            ),
        )
        .await;
    }
    let published = publish_pending(&app.app).await;
    assert_eq!(published.len(), 1, "one area, one run");
    let p = published[0].1.as_ref().unwrap();
    assert_eq!(p.version, d.version + 1);
    assert!(p.new_version);
    assert_eq!(app.app.propagation.publications(), runs + 1);
    // Nothing left to publish.
    assert!(publish_pending(&app.app).await.is_empty());
}

both!(approval_overturn_and_revocation_are_published_on_commit);
async fn approval_overturn_and_revocation_are_published_on_commit(app: TestApp) {
    let s = app.seed().await;
    let mut d = enrolled_door(&app, &s).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let answer_ok = |a: &(StatusCode, Value), status: StatusCode| {
        assert_eq!(a.0, status, "{}", a.1);
    };
    answer_ok(
        &app.put(
            &format!("/api/v1/areas/{}/protocol", s.area_a),
            &beh,
            json!({"complaint_window_days": 14, "retention_days": 0, "max_list_age_seconds": 86400, "four_eyes": true}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    publish_pending(&app.app).await;
    let requested = app
        .post(
            "/api/v1/bans",
            &owner,
            ban_body(s.venue_a1, s.category_a, manual(SMIT.0, SMIT.1, SMIT.2)),
        )
        .await;
    answer_ok(&requested, StatusCode::CREATED);
    assert_eq!(requested.1["status"], "requested");
    let id = requested.1["id"].as_i64().unwrap();
    publish_pending(&app.app).await;

    // Approved: on the next list.
    let before = d.version;
    let waiting = tokio::spawn({
        let router = app.router();
        let credential = d.credential.clone();
        let version = d.version;
        async move {
            answer(sync_in_task(
                router,
                &credential,
                &format!("version={version}&wait=60"),
            ))
            .await
        }
    });
    until_waiting(&app.app, 1).await;
    answer_ok(
        &app.post(&format!("/api/v1/bans/{id}/approve"), &beh, json!({}))
            .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(publish_pending(&app.app).await.len(), 1);
    let (status, headers, bytes) = waiting.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    d.door.apply_update(bytes, app.app.clock.now()).unwrap();
    d.version = headers["x-cho-list-version"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(d.version > before);
    let now = app.app.clock.now();
    assert_eq!(says(&d.door, SMIT, now), Verdict::Banned);

    // Overturned on an upheld complaint: off the next list.
    let complaint = app
        .post(
            &format!("/api/v1/bans/{id}/complaints"),
            &beh,
            json!({"received_on": "2026-11-28", "summary": "Says she was elsewhere"}),
        )
        .await;
    answer_ok(&complaint, StatusCode::CREATED);
    answer_ok(
        &app.post(
            &format!("/api/v1/complaints/{}/decision", complaint.1["id"]),
            &beh,
            json!({"outcome": "upheld", "reasoning": "Camera images show another guest"}),
        )
        .await,
        StatusCode::OK,
    );
    publish_pending(&app.app).await;
    follow(&app, &mut d).await;
    assert_eq!(says(&d.door, SMIT, now), Verdict::NotBanned);

    // Revoked: a second ban, approved, then revoked.
    let second = app
        .post(
            "/api/v1/bans",
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Bakker", "Jan", "1985-06-07"),
            ),
        )
        .await;
    answer_ok(&second, StatusCode::CREATED);
    let id2 = second.1["id"].as_i64().unwrap();
    answer_ok(
        &app.post(&format!("/api/v1/bans/{id2}/approve"), &beh, json!({}))
            .await,
        StatusCode::NO_CONTENT,
    );
    publish_pending(&app.app).await;
    follow(&app, &mut d).await;
    assert_eq!(
        says(&d.door, ("Bakker", "Jan", "1985-06-07"), now),
        Verdict::Banned
    );
    answer_ok(
        &app.post(
            &format!("/api/v1/bans/{id2}/revoke"),
            &owner,
            json!({"reason": "issued for the wrong person"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(app.app.propagation.take_pending(), vec![s.area_a]);
    app.app
        .propagation
        .signal(&[cho_server::domain::audit::CommitSignal::ListChanged(
            s.area_a,
        )]);
    publish_pending(&app.app).await;
    follow(&app, &mut d).await;
    assert_eq!(
        says(&d.door, ("Bakker", "Jan", "1985-06-07"), now),
        Verdict::NotBanned
    );
}

both!(many_doors_enrolling_and_syncing_at_once_all_get_their_list);
/// Forty phones enrol and fetch their first list at the same moment (the
/// start of a night, or the benchmark's 2,000). On SQLite a sync's note
/// (`last_sync_at`) once waited in SQLite's busy handler on a pool
/// connection while the enrolment holding the write lock waited for a
/// connection: `database is locked` after ten seconds, and 500s.
async fn many_doors_enrolling_and_syncing_at_once_all_get_their_list(app: TestApp) {
    const PHONES: usize = 40;
    let s = app.seed().await;
    publish_pending(&app.app).await;
    lists::publish(&app.app, s.area_a).await.unwrap();
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let mut codes = Vec::with_capacity(PHONES);
    for i in 0..PHONES {
        let (status, code) = app
            .post(
                &format!("/api/v1/venues/{}/enrolment-codes", s.venue_a1),
                &owner,
                json!({"name": format!("Deur {i}")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{code}");
        codes.push(code["code"].as_str().unwrap().to_owned());
    }
    let phones = codes.into_iter().enumerate().map(|(i, code)| {
        let router = app.router();
        // Each phone from its own address: the enrolment throttle is per
        // address and not what this test is about.
        let peer =
            std::net::SocketAddr::from(([10, 0, (i / 200) as u8, 1 + (i % 200) as u8], 40000));
        tokio::spawn(async move {
            let enrol = Request::post("/api/v1/devices/enrol")
                .header("content-type", "application/json")
                .extension(ConnectInfo(peer))
                .body(Body::from(json!({ "code": code }).to_string()))
                .unwrap();
            let response = router.clone().oneshot(enrol).await.unwrap();
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
            let enrolment: Value = serde_json::from_slice(&body).unwrap();
            let sync = Request::get("/api/v1/device/list?version=0")
                .header(
                    "authorization",
                    format!("Device {}", enrolment["credential"].as_str().unwrap()),
                )
                .extension(ConnectInfo(peer))
                .body(Body::empty())
                .unwrap();
            let response = router.oneshot(sync).await.unwrap();
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
            enrolment["device_id"].as_i64().unwrap()
        })
    });
    let mut devices = Vec::with_capacity(PHONES);
    for phone in phones.collect::<Vec<_>>() {
        // A guard against the old lock-up, not a speed check.
        let device = tokio::time::timeout(Duration::from_secs(60), phone)
            .await
            .expect("the phone got its answers")
            .unwrap();
        devices.push(device);
    }
    devices.sort_unstable();
    devices.dedup();
    assert_eq!(devices.len(), PHONES);
}

/// A twin instance on the same database with its watcher running (a poll
/// every 20 ms on SQLite; PostgreSQL `LISTEN`), once it follows.
async fn watched_twin(
    app: &TestApp,
) -> (
    cho_server::services::App,
    axum::Router,
    tokio::task::JoinHandle<()>,
) {
    let (twin, router) = app.twin().await;
    let watcher = tokio::spawn(propagation::run_watcher(
        twin.clone(),
        Duration::from_millis(20),
    ));
    twin.propagation.ready().await;
    until_followed(&twin).await;
    (twin, router, watcher)
}

/// Until the watcher of `twin` follows at the clock's present time.
async fn until_followed(twin: &cho_server::services::App) {
    let start = std::time::Instant::now();
    while twin.propagation.watched_since(twin.clock.now()).is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the watcher follows"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

both!(a_revocation_on_one_instance_ends_a_wait_on_another_at_once);
async fn a_revocation_on_one_instance_ends_a_wait_on_another_at_once(app: TestApp) {
    let s = app.seed().await;
    let d = enrolled_door(&app, &s).await;
    let (twin, twin_router, watcher) = watched_twin(&app).await;
    let waiting = sync_in_task(
        twin_router.clone(),
        &d.credential,
        &format!("version={}&wait=60", d.version),
    );
    until_waiting(&twin, 1).await;
    revoke(&app, d.device_id).await;
    // No clock moves: the twin learned it from the watcher, not from its
    // cache running out.
    let (status, _, body) = answer(waiting).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(String::from_utf8_lossy(&body).contains("device_revoked"));
    let (status, _, _) = answer(sync_in_task(
        twin_router,
        &d.credential,
        &format!("version={}", d.version),
    ))
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    watcher.abort();
    twin.db.close().await;
}

both!(an_admission_change_on_one_instance_reaches_the_cache_of_another);
/// A withdrawal dated tomorrow revokes nothing today, but the twin's
/// cached device must carry it: tomorrow its sync is refused.
async fn an_admission_change_on_one_instance_reaches_the_cache_of_another(app: TestApp) {
    let s = app.seed().await;
    let d = enrolled_door(&app, &s).await;
    let (twin, twin_router, watcher) = watched_twin(&app).await;
    let sync = || {
        sync_in_task(
            twin_router.clone(),
            &d.credential,
            &format!("version={}", d.version),
        )
    };
    // Cached on the twin.
    assert_eq!(answer(sync()).await.0, StatusCode::NOT_MODIFIED);
    let beheerder = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let (status, venue) = app
        .get(&format!("/api/v1/areas/{}/venues", s.area_a), &beheerder)
        .await;
    assert_eq!(status, StatusCode::OK);
    let admitted_on = venue
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == s.venue_a1)
        .unwrap()["admitted_on"]
        .clone();
    let tomorrow = app.app.clock.today().next_day().unwrap().to_string();
    let (status, body) = app
        .put(
            &format!("/api/v1/venues/{}/admission", s.venue_a1),
            &beheerder,
            json!({"admitted_on": admitted_on, "withdrawn_on": tomorrow}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    app.clock.advance(24 * 3600);
    let start = std::time::Instant::now();
    loop {
        let (status, _, body) = answer(sync()).await;
        if status == StatusCode::FORBIDDEN {
            assert!(String::from_utf8_lossy(&body).contains("not_admitted"));
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the twin learned the admission change: {status}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    watcher.abort();
    twin.db.close().await;
}

both!(doors_renewing_their_waits_cost_no_query_while_the_watcher_follows);
async fn doors_renewing_their_waits_cost_no_query_while_the_watcher_follows(app: TestApp) {
    const DOORS: usize = 5;
    let s = app.seed().await;
    let mut doors = Vec::new();
    for _ in 0..DOORS {
        doors.push(enrolled_door(&app, &s).await);
    }
    let (twin, twin_router, watcher) = watched_twin(&app).await;
    twin.propagation.use_manual_wait_clock();
    let round = |twin_router: &axum::Router| {
        doors
            .iter()
            .map(|d| {
                sync_in_task(
                    twin_router.clone(),
                    &d.credential,
                    &format!("version={}&wait=60", d.version),
                )
            })
            .collect::<Vec<_>>()
    };
    // The first wait of each door reads its credential (and notes its sync).
    let first = round(&twin_router);
    until_waiting(&twin, DOORS).await;
    twin.propagation.advance_wait_clock(Duration::from_secs(60));
    for task in first {
        assert_eq!(answer(task).await.0, StatusCode::NOT_MODIFIED);
    }
    cho_server::services::devices::write_sync_notes(&twin)
        .await
        .unwrap();
    let before = twin.sync_cache.db_statements();
    // An hour of renewed waits later (far past the cache time), nothing
    // changed: the doors' renewals cost the database nothing.
    for _ in 0..3 {
        app.clock.advance(20 * 60);
        // A poll after the jump (SQLite; listening, PostgreSQL needs none).
        until_followed(&twin).await;
        let tasks = round(&twin_router);
        until_waiting(&twin, DOORS).await;
        twin.propagation.advance_wait_clock(Duration::from_secs(60));
        for task in tasks {
            assert_eq!(answer(task).await.0, StatusCode::NOT_MODIFIED);
        }
    }
    assert_eq!(twin.sync_cache.db_statements(), before);
    // The sync times of the hour: one statement for all doors.
    assert_eq!(
        cho_server::services::devices::write_sync_notes(&twin)
            .await
            .unwrap(),
        DOORS
    );
    assert_eq!(twin.sync_cache.db_statements(), before + 1);
    watcher.abort();
    twin.db.close().await;
}
