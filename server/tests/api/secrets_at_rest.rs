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

/// Turns a database of this version back into what the version before
/// the keyed chain, code HMACs and record ids left: SHA-256 links, bans
/// sealed for their area only, codes under plain SHA-256, migrations 0030
/// to 0032 not applied, and a data directory without the new key files.
async fn downgrade(app: &TestApp) {
    use cho_server::domain::audit::{GENESIS, legacy_event_hash};
    let pool = app.db().pool();
    // Personal data sealed the old way.
    for row in sqlx::query("SELECT id, area_id, record_id, personal_data FROM bans")
        .fetch_all(pool)
        .await
        .unwrap()
    {
        let (id, area): (i64, i64) = (row.get("id"), row.get("area_id"));
        let record_id: Vec<u8> = row.get("record_id");
        let mut aad = format!("cho-ban-personal-data/2:{area}:").into_bytes();
        aad.extend_from_slice(&record_id);
        let plain = app
            .app
            .master_key()
            .open(&aad, &row.get::<Vec<u8>, _>("personal_data"))
            .unwrap();
        let legacy = app
            .app
            .master_key()
            .seal(format!("cho-ban-personal-data:{area}").as_bytes(), &plain)
            .unwrap();
        sqlx::query("UPDATE bans SET personal_data = $1 WHERE id = $2")
            .bind(legacy)
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
    }
    // The chain linked with plain SHA-256.
    let (events, _) = cho_server::storage::audit::chain(app.db()).await.unwrap();
    let mut prev = GENESIS.to_vec();
    for e in &events {
        let hash = legacy_event_hash(&prev, e.seq, e.at, &e.fields()).to_vec();
        sqlx::query("UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE seq = $3")
            .bind(prev.clone())
            .bind(hash.clone())
            .bind(e.seq)
            .execute(pool)
            .await
            .unwrap();
        prev = hash;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(prev)
        .execute(pool)
        .await
        .unwrap();
    // Enrolment codes the old way: one pending, one used.
    for (code, used) in [("PENDINGCDE", None), ("USEDCODE22", Some(1_i64))] {
        sqlx::query(
            "INSERT INTO enrolment_codes (code_hash, venue_id, created_by, name, expires_at, used_at) \
             VALUES ($1, (SELECT MIN(id) FROM venues), (SELECT MIN(id) FROM accounts), 'Deur', $2, $3)",
        )
        .bind(digest(&SHA256, code.as_bytes()).as_ref().to_vec())
        .bind(START + 600)
        .bind(used)
        .execute(pool)
        .await
        .unwrap();
    }
    for statement in [
        "DROP INDEX bans_record_id",
        "ALTER TABLE bans DROP COLUMN record_id",
        "ALTER TABLE audit_head DROP COLUMN keyed_from",
        "DELETE FROM _sqlx_migrations WHERE version IN (30, 31, 32)",
    ] {
        sqlx::query(statement).execute(pool).await.unwrap();
    }
    for file in ["deployment.secret", "audit-checkpoint.pk8"] {
        std::fs::remove_file(app.keys_dir().join(file)).unwrap();
    }
}

both!(an_older_database_is_upgraded_at_first_start);
async fn an_older_database_is_upgraded_at_first_start(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let (_, before) = app
        .get(&format!("/api/v1/bans/{}", s.demo_bans[0]), &beh)
        .await;
    downgrade(&app).await;
    let old_head: i64 = sqlx::query("SELECT seq FROM audit_head")
        .fetch_one(app.db().pool())
        .await
        .unwrap()
        .get("seq");
    let pending = digest(&SHA256, b"PENDINGCDE").as_ref().to_vec();

    let app = app.reopen().await;

    // The old chain, pinned by a signed checkpoint of its head made before
    // anything else was added; then the keyed segment (one re-seal event
    // per ban).
    let file = app.keys_dir().join("audit-checkpoints");
    let checkpoints = cho_server::services::audit::read_checkpoints(&file).unwrap();
    assert_eq!(checkpoints.len(), 1);
    assert_eq!(
        (checkpoints[0].seq, checkpoints[0].keyed_from),
        (old_head, old_head)
    );
    let verified = cho_server::services::audit::verify(&app.app, &checkpoints)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(verified.keyed_from, old_head);
    assert_eq!(verified.events, old_head + s.demo_bans.len() as i64);
    assert_eq!(verified.checkpoints, 1);
    let actions: Vec<String> = sqlx::query("SELECT action FROM audit_events WHERE seq > $1")
        .bind(old_head)
        .fetch_all(app.db().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("action"))
        .collect();
    assert_eq!(actions, vec!["ban.reseal"; s.demo_bans.len()]);

    // Every ban re-sealed under a record id, and readable as before.
    let without: i64 = sqlx::query("SELECT COUNT(*) AS n FROM bans WHERE record_id IS NULL")
        .fetch_one(app.db().pool())
        .await
        .unwrap()
        .get("n");
    assert_eq!(without, 0);
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let (status, after) = app
        .get(&format!("/api/v1/bans/{}", s.demo_bans[0]), &beh)
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["person"], before["person"]);
    // The pending old-style code is gone; the used one stays as a record.
    let codes: Vec<Vec<u8>> = sqlx::query("SELECT code_hash FROM enrolment_codes")
        .fetch_all(app.db().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("code_hash"))
        .collect();
    assert_eq!(codes.len(), 1);
    assert_ne!(codes[0], pending);
    // Key rotation re-hashes from the re-sealed data.
    cho_server::services::keys::rotate(&app.app, s.area_a)
        .await
        .unwrap();

    // A restart changes nothing more: no second checkpoint of the old head,
    // nothing re-sealed twice.
    let app = app.reopen().await;
    assert_eq!(
        cho_server::services::audit::read_checkpoints(&file)
            .unwrap()
            .len(),
        1
    );
    let checkpoint = cho_server::services::audit::checkpoint(&app.app)
        .await
        .unwrap();
    let all = cho_server::services::audit::read_checkpoints(&file).unwrap();
    assert_eq!(all.last(), Some(&checkpoint));
    assert!(
        cho_server::services::audit::verify(&app.app, &all)
            .await
            .unwrap()
            .is_ok()
    );

    // Rewriting the legacy segment (its SHA-256 links recomputed) breaks
    // the first keyed link and the checkpoint of the old head.
    crate::checkpoints::forge_edit(app.db().pool(), 2, 1, false).await;
    assert!(
        cho_server::services::audit::verify(&app.app, &all)
            .await
            .unwrap()
            .is_err()
    );
}
