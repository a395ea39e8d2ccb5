//! Issue 7, items 15, 16 and 23: the key check value in every published
//! list, a server clock behind the latest list (refused, alarmed, and the
//! way out when a list from the future went out), and the rotation of the
//! list-signing key with devices following it, offline ones included.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cho_core::checker::{Door, DoorError, Verdict};
use cho_core::identity::IdentityKey;
use cho_core::list_format::{self, ListError, ListSigner};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::both;
use crate::devices::{b64, door, enrol};
use crate::fixtures::*;
use crate::harness::*;
use cho_server::secrets::Secrets;
use cho_server::services::App;
use cho_server::services::lists::{self, PublishOptions};

/// One request to `router`, as the door apps send it.
async fn send(router: &axum::Router, mut request: Request<Body>) -> (StatusCode, Vec<u8>) {
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body.to_vec())
}

/// GET /api/v1/device/list at `version`, naming the trusted signing key.
async fn sync(
    router: &axum::Router,
    credential: &str,
    version: u64,
    signing_key: Option<&[u8]>,
) -> (StatusCode, Vec<u8>) {
    let mut request = Request::get(format!("/api/v1/device/list?version={version}"))
        .header("authorization", format!("Device {credential}"));
    if let Some(key) = signing_key {
        request = request.header("x-cho-signing-key", URL_SAFE_NO_PAD.encode(key));
    }
    send(router, request.body(Body::empty()).unwrap()).await
}

fn version_of(door: &Door, now: i64) -> u64 {
    door.status(now).list.map_or(0, |l| l.header.version)
}

both!(every_list_carries_the_key_check_value);
async fn every_list_carries_the_key_check_value(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let enrolment = enrol(&app, &owner, s.venue_a1).await;
    lists::publish(&app.app, s.area_a).await.unwrap();
    let (status, bytes) = sync(
        &app.router(),
        enrolment["credential"].as_str().unwrap(),
        0,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let update = list_format::decode(bytes, &b64(&enrolment["signing_public_key"])).unwrap();
    let key = IdentityKey::from_bytes(&b64(&enrolment["identity_key"])).unwrap();
    assert_eq!(update.header().key_check, key.check_value());
    assert_eq!(update.header().next_signing_key, None);
}

both!(a_clock_behind_the_latest_list_refuses_to_publish_and_raises_the_alarm);
async fn a_clock_behind_the_latest_list_refuses_to_publish_and_raises_the_alarm(app: TestApp) {
    let s = app.seed().await;
    let start = app.app.clock.now();
    lists::publish(&app.app, s.area_a).await.unwrap();
    // Another instance's clock differs a little: fine.
    app.clock.set(start - 60);
    lists::publish(&app.app, s.area_a).await.unwrap();
    assert_eq!(app.app.list_clock.seconds_behind(), None);
    // This clock is an hour behind the latest list: refused, alarmed.
    app.clock.set(start - 3600);
    let refused = lists::publish_with(
        &app.app,
        s.area_a,
        PublishOptions {
            force: true,
            ..PublishOptions::default()
        },
    )
    .await;
    assert!(refused.is_err());
    assert_eq!(app.app.list_clock.seconds_behind(), Some(3600));
    assert_eq!(app.count("list_versions").await, 1);
    let (status, _, body) = app
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    if status == StatusCode::OK {
        let text = String::from_utf8(body).unwrap();
        assert!(
            text.contains("cho_list_clock_behind_seconds 3600"),
            "{text}"
        );
        assert!(
            text.contains("cho_list_publish_clock_refusals_total 1"),
            "{text}"
        );
    }
    let (status, health) = app.request("GET", "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["list_clock"]["seconds_behind"], 3600);
    // The clock is fixed: publication resumes, the alarm is off.
    app.clock.set(start + 10);
    lists::publish(&app.app, s.area_a).await.unwrap();
    assert_eq!(app.app.list_clock.seconds_behind(), None);
}

both!(a_list_from_the_future_is_corrected_by_the_operator);
async fn a_list_from_the_future_is_corrected_by_the_operator(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let start = app.app.clock.now();
    let enrolment = enrol(&app, &owner, s.venue_a1).await;
    let credential = enrolment["credential"].as_str().unwrap().to_owned();
    let (dir, ahead_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // One phone with a right clock, one whose clock ran ahead as well.
    let mut phone = door(&enrolment, dir.path());
    let mut phone_ahead = door(&enrolment, ahead_dir.path());
    lists::publish(&app.app, s.area_a).await.unwrap();
    let (_, v1) = sync(&app.router(), &credential, 0, None).await;
    phone.apply_update(v1.clone(), start).unwrap();
    phone_ahead.apply_update(v1, start).unwrap();

    // The server clock jumps two years ahead and publishes.
    let future = start + 2 * 365 * 86_400;
    app.clock.set(future);
    let v2 = lists::publish(&app.app, s.area_a).await.unwrap();
    assert_eq!(v2.version, 2);
    let (_, bytes) = sync(&app.router(), &credential, 1, None).await;
    assert!(matches!(
        phone.apply_update(bytes.clone(), start),
        Err(DoorError::IssuedInFuture { .. })
    ));
    assert!(phone.status(start).list_ahead_of_clock_seconds.is_some());
    phone_ahead.apply_update(bytes, future).unwrap();

    // The clock is put right: the server refuses to publish...
    app.clock.set(start + 60);
    assert!(lists::publish(&app.app, s.area_a).await.is_err());
    // ...until the operator publishes a corrected list
    // (`cho-server correct-list-clock`), which both phones accept.
    let v3 = lists::publish_with(
        &app.app,
        s.area_a,
        PublishOptions {
            correct_clock: true,
            ..PublishOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(v3.version, 3);
    let (_, bytes) = sync(&app.router(), &credential, 1, None).await;
    phone.apply_update(bytes, start + 60).unwrap();
    let (_, bytes) = sync(&app.router(), &credential, 2, None).await;
    phone_ahead.apply_update(bytes, start + 60).unwrap();
    for p in [&phone, &phone_ahead] {
        let status = p.status(start + 60);
        let list = status.list.unwrap();
        assert_eq!(
            (list.header.version, list.header.issued_at),
            (3, start + 60)
        );
        assert!(!list.outdated);
    }
    // Publication goes on as usual from here.
    lists::publish(&app.app, s.area_a).await.unwrap();
    let (events, _) = cho_server::storage::audit::chain(app.db()).await.unwrap();
    assert!(events.iter().any(|e| e.action == "list.correct_clock"));
}

both!(the_signing_key_rotates_and_devices_follow_even_when_offline);
async fn the_signing_key_rotates_and_devices_follow_even_when_offline(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let now = app.app.clock.now();
    let online_enrolment = enrol(&app, &owner, s.venue_a1).await;
    let offline_enrolment = enrol(&app, &owner, s.venue_a1).await;
    let wiped_enrolment = enrol(&app, &owner, s.venue_a1).await;
    let old_key = b64(&online_enrolment["signing_public_key"]);
    let dirs = [(); 3].map(|()| tempfile::tempdir().unwrap());
    let mut online = door(&online_enrolment, dirs[0].path());
    let mut offline = door(&offline_enrolment, dirs[1].path());
    let mut wiped = door(&wiped_enrolment, dirs[2].path());
    let cred = |e: &Value| e["credential"].as_str().unwrap().to_owned();
    lists::publish(&app.app, s.area_a).await.unwrap();
    for (d, e) in [
        (&mut online, &online_enrolment),
        (&mut offline, &offline_enrolment),
        (&mut wiped, &wiped_enrolment),
    ] {
        let (_, v1) = sync(&app.router(), &cred(e), 0, Some(&old_key)).await;
        d.apply_update(v1, now).unwrap();
    }

    // rotate-signing-key: the next key, announcements, the swap.
    let next = Secrets::next_signing_key(app.keys_dir()).unwrap();
    let next_public = ListSigner::from_pkcs8(&next).unwrap().public_key();
    let announced = cho_server::services::signing::announce(&app.app, next_public)
        .await
        .unwrap();
    assert!(
        announced
            .iter()
            .any(|a| a.area_id == s.area_a && a.version == 2)
    );
    // Run again (a resumed rotation): nothing new.
    let again = cho_server::services::signing::announce(&app.app, next_public)
        .await
        .unwrap();
    assert_eq!(again.iter().map(|a| a.version).max(), Some(2));
    Secrets::retire_signing_key(app.keys_dir()).unwrap();
    let rotated = App {
        secrets: Arc::new(Secrets::load(app.keys_dir()).unwrap()),
        ..app.app.clone()
    };
    let router = cho_server::http::router(rotated.clone());
    // An instance still on the old key may not sign this area's lists again.
    assert!(
        lists::publish_with(
            &app.app,
            s.area_a,
            PublishOptions {
                force: true,
                ..PublishOptions::default()
            }
        )
        .await
        .is_err()
    );

    // The online device syncs: the announcement, signed by the old key.
    let (status, bytes) = sync(&router, &cred(&online_enrolment), 1, Some(&old_key)).await;
    assert_eq!(status, StatusCode::OK);
    online.apply_update(bytes, now).unwrap();
    assert_eq!(online.trusted_public_key(), next_public);
    // A new ban; the next version is signed by the new key only.
    app.issue(
        &owner,
        ban_body(
            s.venue_a1,
            s.category_a,
            manual("Bakker", "Bob", "1990-01-01"),
        ),
    )
    .await;
    let v3 = lists::publish(&rotated, s.area_a).await.unwrap();
    assert_eq!(v3.version, 3);
    let (status, bytes) = sync(&router, &cred(&online_enrolment), 2, Some(&next_public)).await;
    assert_eq!(status, StatusCode::OK);
    online.apply_update(bytes, now).unwrap();
    assert_eq!(
        online
            .check_manual("Bakker", "Bob", "1990-01-01", now)
            .unwrap()
            .verdict,
        Verdict::Banned
    );

    // The device that was offline: known by its version (no header), it is
    // handed the announcement first, then the new list.
    let (_, bytes) = sync(&router, &cred(&offline_enrolment), 1, None).await;
    offline.apply_update(bytes, now).unwrap();
    assert_eq!(version_of(&offline, now), 2);
    let (_, bytes) = sync(&router, &cred(&offline_enrolment), 2, None).await;
    offline.apply_update(bytes, now).unwrap();
    assert_eq!(version_of(&offline, now), 3);
    assert_eq!(
        offline
            .check_manual("Bakker", "Bob", "1990-01-01", now)
            .unwrap()
            .verdict,
        Verdict::Banned
    );
    // Without the announcement the new list would not verify.
    let (_, bytes) = sync(&router, &cred(&wiped_enrolment), 0, Some(&next_public)).await;
    assert!(matches!(
        wiped.apply_update(bytes, now),
        Err(DoorError::List(ListError::BadSignature))
    ));
    // A wiped device that starts from 0 names its key: the announcement.
    wiped.wipe().unwrap();
    wiped
        .set_area_key(
            wiped_enrolment["area_id"].as_u64().unwrap(),
            wiped_enrolment["key_epoch"].as_u64().unwrap() as u32,
            &b64(&wiped_enrolment["identity_key"]),
            true,
        )
        .unwrap();
    let (_, bytes) = sync(&router, &cred(&wiped_enrolment), 0, Some(&old_key)).await;
    wiped.apply_update(bytes, now).unwrap();
    assert_eq!(wiped.trusted_public_key(), next_public);
    let (_, bytes) = sync(&router, &cred(&wiped_enrolment), 2, Some(&next_public)).await;
    wiped.apply_update(bytes, now).unwrap();
    assert_eq!(version_of(&wiped, now), 3);
    // A current device is not sent back: 304.
    let (status, _) = sync(&router, &cred(&online_enrolment), 3, Some(&next_public)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    // New phones pin the new key.
    let (status, code) = app
        .post(
            &format!("/api/v1/venues/{}/enrolment-codes", s.venue_a1),
            &owner,
            json!({"name": "Achterdeur"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = send(
        &router,
        Request::post("/api/v1/devices/enrol")
            .header("content-type", "application/json")
            .body(Body::from(json!({"code": code["code"]}).to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let enrolment: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(b64(&enrolment["signing_public_key"]), next_public.to_vec());
    let (events, _) = cho_server::storage::audit::chain(app.db()).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.action == "list.announce_signing_key")
    );
}
