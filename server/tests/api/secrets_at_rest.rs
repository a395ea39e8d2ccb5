//! What a copy of the database, or write access to it, must not give away:
//! enrolment codes stored under an HMAC with a key outside the database,
//! and sealed personal data bound to its ban so a blob swapped between
//! bans does not open.

use axum::http::StatusCode;
use ring::digest::{SHA256, digest};
use serde_json::json;
use sqlx::Row;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

both!(enrolment_codes_are_stored_under_a_keyed_hash);
async fn enrolment_codes_are_stored_under_a_keyed_hash(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let (status, code) = app
        .post(
            &format!("/api/v1/venues/{}/enrolment-codes", s.venue_a1),
            &owner,
            json!({"name": "Voordeur"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    let code = code["code"].as_str().unwrap().to_owned();
    let stored: Vec<Vec<u8>> = sqlx::query("SELECT code_hash FROM enrolment_codes")
        .fetch_all(app.db().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("code_hash"))
        .collect();
    assert_eq!(stored.len(), 1);
    // Not the plain SHA-256 that anyone reading the table could test
    // guesses against, but the HMAC under the derived key.
    assert_ne!(stored[0], digest(&SHA256, code.as_bytes()).as_ref());
    assert_eq!(
        stored[0],
        app.app.secrets.deployment.enrolment_code_hash(&code)
    );
    // And the code still enrols, once, typed loosely.
    let typed = format!("{}-{}", &code[..5], &code[5..]).to_lowercase();
    let (status, body) = app
        .request(
            "POST",
            "/api/v1/devices/enrol",
            None,
            Some(json!({"code": typed})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Swaps two bans' columns in the database, as someone with write access.
async fn swap(app: &TestApp, columns: &[&str], a: i64, b: i64) {
    for column in columns {
        let value = |id: i64| {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {column} AS v FROM bans WHERE id = $1"
            )))
            .bind(id)
            .fetch_one(app.db().pool())
        };
        let va: Vec<u8> = value(a).await.unwrap().get("v");
        let vb: Vec<u8> = value(b).await.unwrap().get("v");
        // The unique record id must not collide half way.
        for (id, v) in [(a, Vec::new()), (b, va), (a, vb)] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE bans SET {column} = $1 WHERE id = $2"
            )))
            .bind(v)
            .bind(id)
            .execute(app.db().pool())
            .await
            .unwrap();
        }
    }
}

async fn tokens(app: &TestApp) -> Vec<(i64, i64, Vec<u8>)> {
    sqlx::query("SELECT ban_id, key_epoch, token FROM ban_tokens ORDER BY ban_id, key_epoch, token")
        .fetch_all(app.db().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("ban_id"), r.get("key_epoch"), r.get("token")))
        .collect()
}

both!(a_sealed_record_swapped_between_bans_does_not_open);
async fn a_sealed_record_swapped_between_bans_does_not_open(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let (a, b) = (s.demo_bans[0], s.demo_bans[1]);
    let (status, before) = app.get(&format!("/api/v1/bans/{a}"), &beh).await;
    assert_eq!(status, StatusCode::OK);
    let surname_a = before["person"]["surname"].as_str().unwrap().to_owned();
    let (_, before_b) = app.get(&format!("/api/v1/bans/{b}"), &beh).await;
    let surname_b = before_b["person"]["surname"].as_str().unwrap().to_owned();
    assert_ne!(surname_a, surname_b);
    let tokens_before = tokens(&app).await;

    swap(&app, &["personal_data"], a, b).await;
    for id in [a, b] {
        let answer = app.get(&format!("/api/v1/bans/{id}"), &beh).await;
        assert_error(&answer, StatusCode::INTERNAL_SERVER_ERROR, "internal");
        let text = answer.1.to_string();
        assert!(
            !text.contains(&surname_a) && !text.contains(&surname_b),
            "{text}"
        );
    }
    // Key rotation refuses instead of re-hashing ban B from person A.
    assert!(
        cho_server::services::keys::rotate(&app.app, s.area_a)
            .await
            .is_err()
    );
    assert_eq!(tokens(&app).await, tokens_before, "nothing re-hashed");
    // Swapped back, both open again.
    swap(&app, &["personal_data"], a, b).await;
    assert_eq!(
        app.get(&format!("/api/v1/bans/{a}"), &beh).await.1["person"]["surname"],
        surname_a.as_str()
    );

    // Moved together with its record id, the blob opens in the other row,
    // but it no longer matches that ban's tokens: rotation still refuses.
    swap(&app, &["personal_data", "record_id"], a, b).await;
    assert!(
        cho_server::services::keys::rotate(&app.app, s.area_a)
            .await
            .is_err()
    );
    assert_eq!(tokens(&app).await, tokens_before, "nothing re-hashed");
    swap(&app, &["personal_data", "record_id"], a, b).await;
    let rotation = cho_server::services::keys::rotate(&app.app, s.area_a)
        .await
        .unwrap();
    assert_eq!(rotation.epoch, 2);
    assert_eq!(app.verify_audit_chain().await.map(|_| ()), Ok(()));
}
