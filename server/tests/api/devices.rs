//! Door devices: enrolment codes, enrolment, sync into the door core,
//! revocation.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cho_core::checker::{Door, Verdict};
use serde_json::{Value, json};

use crate::both;
use crate::fixtures::*;
use crate::harness::*;
use cho_server::services::lists;

pub(crate) fn b64(v: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap()
}

/// GET /api/v1/device/list as a device.
async fn sync(
    app: &TestApp,
    credential: &str,
    version: i64,
    if_none_match: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::get(format!("/api/v1/device/list?version={version}"))
        .header("authorization", format!("Device {credential}"));
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    app.send(request.body(Body::empty()).unwrap()).await
}

/// Enrols a phone at `venue` as `owner`; returns the enrolment answer.
pub(crate) async fn enrol(app: &TestApp, owner: &str, venue: i64) -> Value {
    let (status, code) = app
        .post(
            &format!("/api/v1/venues/{venue}/enrolment-codes"),
            owner,
            json!({"name": "Voordeur"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    assert!(code["qr_svg"].as_str().unwrap().contains("<svg"));
    // `cho-enrol:<public URL>#code=<CODE>&key=<full fingerprint>`, and the
    // short fingerprint to type beside the code.
    let link = code["link"].as_str().unwrap();
    let (server, fragment) = link.split_once('#').unwrap();
    assert!(server.starts_with("cho-enrol:http://"), "{link}");
    let (code_part, key_part) = fragment.split_once('&').unwrap();
    assert_eq!(
        code_part,
        format!("code={}", code["code"].as_str().unwrap())
    );
    let key = key_part.strip_prefix("key=").unwrap();
    assert_eq!(key.len(), cho_core::fingerprint::FULL_LEN, "{link}");
    let short = code["key_fingerprint"].as_str().unwrap();
    assert_eq!(short.len(), 14, "{short}");
    let typed = code["code"].as_str().unwrap().to_lowercase();
    let (status, enrolment) = app
        .request(
            "POST",
            "/api/v1/devices/enrol",
            None,
            Some(json!({"code": typed})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    // Both fingerprints are of the key the phone was handed: the door's
    // own check (`cho_core::fingerprint::matches`) accepts them.
    let signing_key = b64(&enrolment["signing_public_key"]);
    assert!(cho_core::fingerprint::matches(&signing_key, key).unwrap());
    assert!(cho_core::fingerprint::matches(&signing_key, short).unwrap());
    // A code works once.
    let (status, again) = app
        .request(
            "POST",
            "/api/v1/devices/enrol",
            None,
            Some(json!({"code": code["code"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{again}");
    enrolment
}

pub(crate) fn door(enrolment: &Value, dir: &std::path::Path) -> Door {
    let mut door = Door::open(dir, &b64(&enrolment["signing_public_key"])).unwrap();
    door.set_area_key(
        enrolment["area_id"].as_u64().unwrap(),
        enrolment["key_epoch"].as_u64().unwrap() as u32,
        &b64(&enrolment["identity_key"]),
        true,
    )
    .unwrap();
    door
}

both!(a_ban_at_one_venue_reaches_another_venues_door);
async fn a_ban_at_one_venue_reaches_another_venues_door(app: TestApp) {
    let s = app.seed().await;
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let owner_a2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let enrolment = enrol(&app, &owner_a2, s.venue_a2).await;
    let credential = enrolment["credential"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let mut door = door(&enrolment, dir.path());

    // Nothing published yet.
    assert_eq!(
        sync(&app, &credential, 0, None).await.0,
        StatusCode::NOT_FOUND
    );
    lists::publish(&app.app, s.area_a).await.unwrap();
    let (status, headers, bytes) = sync(&app, &credential, 0, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-cho-list-kind"], "snapshot");
    assert_eq!(headers["etag"], "\"v1\"");
    door.apply_update(bytes, app.app.clock.now()).unwrap();
    let now = app.app.clock.now();
    let jansen = DEMO_PEOPLE[0];
    assert_eq!(
        door.check_manual(jansen.0, jansen.1, jansen.2, now)
            .unwrap()
            .verdict,
        Verdict::Banned
    );

    // Current: 304, by version or by ETag.
    assert_eq!(
        sync(&app, &credential, 1, None).await.0,
        StatusCode::NOT_MODIFIED
    );
    let (status, _, _) = app
        .send(
            Request::get("/api/v1/device/list")
                .header("authorization", format!("Device {credential}"))
                .header("if-none-match", "\"v1\"")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    // Owner A bans someone at venue A1; the next publication reaches the
    // door of venue A2 as a small delta.
    app.issue(
        &owner_a,
        ban_body(
            s.venue_a1,
            s.category_a,
            manual("Bakker", "Bob", "1990-01-01"),
        ),
    )
    .await;
    lists::publish(&app.app, s.area_a).await.unwrap();
    let (status, headers, bytes) = sync(&app, &credential, 1, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-cho-list-kind"], "delta");
    assert!(bytes.len() < 200 + 24 * 4, "{} bytes", bytes.len());
    door.apply_update(bytes, app.app.clock.now()).unwrap();
    assert_eq!(
        door.check_manual("Bakker", "Bob", "1990-01-01", app.app.clock.now())
            .unwrap()
            .verdict,
        Verdict::Banned
    );

    // The key endpoint hands over the area key of the current epoch.
    let (status, _, key) = app
        .send(
            Request::get("/api/v1/device/key")
                .header("authorization", format!("Device {credential}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let key: Value = serde_json::from_slice(&key).unwrap();
    assert_eq!(key["identity_key"], enrolment["identity_key"]);
}

both!(revoked_devices_get_no_list);
async fn revoked_devices_get_no_list(app: TestApp) {
    let s = app.seed().await;
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let owner_a2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let mine = enrol(&app, &owner_a, s.venue_a1).await;
    let theirs = enrol(&app, &owner_a2, s.venue_a2).await;
    lists::publish(&app.app, s.area_a).await.unwrap();
    let credential = mine["credential"].as_str().unwrap();
    assert_eq!(sync(&app, credential, 0, None).await.0, StatusCode::OK);

    // The sync times noted are written for all phones at once (`serve`
    // does it every minute).
    assert!(
        cho_server::services::devices::write_sync_notes(&app.app)
            .await
            .unwrap()
            >= 1
    );
    // The beheerder sees both devices; each owner only their own.
    let (_, all) = app
        .get(&format!("/api/v1/areas/{}/devices", s.area_a), &beh)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, own) = app
        .get(&format!("/api/v1/areas/{}/devices", s.area_a), &owner_a)
        .await;
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(own[0]["id"], mine["device_id"]);
    assert!(own[0]["last_sync_at"].is_i64());
    // Rename, then owner A2 cannot touch owner A's device (to them it
    // does not exist).
    let path = format!("/api/v1/devices/{}", mine["device_id"]);
    assert_eq!(
        app.put(&path, &owner_a, json!({"name": "Achterdeur"}))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.put(&path, &owner_a2, json!({"name": "X"})).await.0,
        StatusCode::NOT_FOUND
    );
    let revoke = format!("/api/v1/devices/{}/revoke", mine["device_id"]);
    assert_eq!(
        app.post(&revoke, &owner_a2, json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.request("POST", &revoke, Some(&owner_a), None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.request("POST", &revoke, Some(&owner_a), None).await.0,
        StatusCode::CONFLICT
    );

    // Revoked: 401, no list, no key. The other device is unaffected.
    assert_eq!(
        sync(&app, credential, 0, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sync(&app, theirs["credential"].as_str().unwrap(), 0, None)
            .await
            .0,
        StatusCode::OK
    );
    let (events, _) = cho_server::storage::audit::chain(app.db()).await.unwrap();
    for action in [
        "device.code",
        "device.enrol",
        "device.rename",
        "device.revoke",
    ] {
        assert!(events.iter().any(|e| e.action == action), "{action}");
    }
    app.verify_audit_chain().await.unwrap();
}

both!(enrolment_codes_expire_after_15_minutes);
async fn enrolment_codes_expire_after_15_minutes(app: TestApp) {
    let s = app.seed().await;
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let (_, code) = app
        .post(
            &format!("/api/v1/venues/{}/enrolment-codes", s.venue_a1),
            &owner_a,
            json!({"name": "Deur"}),
        )
        .await;
    app.clock.advance(15 * 60);
    let (status, body) = app
        .request(
            "POST",
            "/api/v1/devices/enrol",
            None,
            Some(json!({"code": code["code"]})),
        )
        .await;
    assert_error(&(status, body), StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    // A session token is no device credential.
    assert_eq!(
        sync(&app, &owner_a, 0, None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

both!(key_rotation_rehashes_and_devices_follow);
async fn key_rotation_rehashes_and_devices_follow(app: TestApp) {
    let s = app.seed().await;
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    // A ban issued from a passport MRZ, re-hashed from its stored words.
    app.issue(
        &owner_a,
        ban_body(s.venue_a1, s.category_a, json!({"mrz": de_bruijn_mrz()})),
    )
    .await;
    let enrolment = enrol(&app, &owner_a, s.venue_a1).await;
    let credential = enrolment["credential"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let mut door = door(&enrolment, dir.path());
    lists::publish(&app.app, s.area_a).await.unwrap();
    door.apply_update(
        sync(&app, &credential, 0, None).await.2,
        app.app.clock.now(),
    )
    .unwrap();
    let tokens_before: Vec<Vec<u8>> = token_bytes(&app, s.area_a).await;

    let rotation = cho_server::services::keys::rotate(&app.app, s.area_a)
        .await
        .unwrap();
    assert_eq!(rotation.epoch, 2);
    assert_eq!(rotation.bans_rehashed, 4);
    assert!(rotation.published.new_version);
    // The old epoch's tokens are gone; the new ones are all different.
    let tokens_after = token_bytes(&app, s.area_a).await;
    assert_eq!(tokens_after.len(), tokens_before.len());
    assert!(tokens_after.iter().all(|t| !tokens_before.contains(t)));

    // The device syncs: a snapshot under epoch 2, which it can only apply
    // after fetching the new key.
    let (status, headers, bytes) = sync(&app, &credential, 1, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-cho-key-epoch"], "2");
    assert_eq!(headers["x-cho-list-kind"], "snapshot");
    assert!(
        door.apply_update(bytes.clone(), app.app.clock.now())
            .is_err()
    );
    let (_, _, key) = app
        .send(
            Request::get("/api/v1/device/key")
                .header("authorization", format!("Device {credential}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let key: Value = serde_json::from_slice(&key).unwrap();
    door.set_area_key(
        key["area_id"].as_u64().unwrap(),
        2,
        &b64(&key["identity_key"]),
        true,
    )
    .unwrap();
    door.apply_update(bytes, app.app.clock.now()).unwrap();
    let now = app.app.clock.now();
    let jansen = DEMO_PEOPLE[0];
    assert_eq!(
        door.check_manual(jansen.0, jansen.1, jansen.2, now)
            .unwrap()
            .verdict,
        Verdict::Banned
    );
    assert_eq!(door.status(now).key_epochs, vec![2]);
    // The MRZ-issued ban keeps its strength: the passport reads as banned.
    assert_eq!(
        door.check_mrz(&de_bruijn_mrz(), now).unwrap().verdict,
        Verdict::Banned
    );
}

async fn token_bytes(app: &TestApp, area: i64) -> Vec<Vec<u8>> {
    use sqlx::Row;
    sqlx::query("SELECT token FROM ban_tokens WHERE area_id = $1")
        .bind(area)
        .fetch_all(app.db().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<Vec<u8>, _>("token"))
        .collect()
}

both!(a_revocation_on_another_instance_bites_within_the_cache_time);
async fn a_revocation_on_another_instance_bites_within_the_cache_time(app: TestApp) {
    let s = app.seed().await;
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let enrolment = enrol(&app, &owner_a, s.venue_a1).await;
    let credential = enrolment["credential"].as_str().unwrap().to_owned();
    lists::publish(&app.app, s.area_a).await.unwrap();
    assert_eq!(
        sync(&app, &credential, 1, None).await.0,
        StatusCode::NOT_MODIFIED
    );
    // The first sync noted the sync time and re-reads; this one is cached.
    assert_eq!(
        sync(&app, &credential, 1, None).await.0,
        StatusCode::NOT_MODIFIED
    );
    // Another server instance revokes the device: straight in the database.
    sqlx::query("UPDATE devices SET revoked_at = 1 WHERE id = $1")
        .bind(enrolment["device_id"].as_i64().unwrap())
        .execute(app.db().pool())
        .await
        .unwrap();
    assert_eq!(
        sync(&app, &credential, 1, None).await.0,
        StatusCode::NOT_MODIFIED
    );
    app.clock
        .advance(cho_server::services::sync_cache::SYNC_CACHE_SECONDS);
    assert_eq!(
        sync(&app, &credential, 1, None).await.0,
        StatusCode::UNAUTHORIZED
    );
}
