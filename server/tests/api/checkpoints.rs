//! The keyed audit chain and its signed checkpoints against someone who can
//! write the database but holds neither key file: (a) an edited event with
//! the SHA-256 chain recomputed, (b) everything deleted and the head reset,
//! (c) the tail cut. Each is caught, through the service here and through
//! the real binary in `cli`.

use cho_server::domain::audit::{ChainBreak, ChainedEvent, Checkpoint, GENESIS, legacy_event_hash};
use cho_server::services::audit::{self, Verified};

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

/// A checkpoint of the current head, as `serve` writes it.
async fn checkpoint(app: &TestApp) -> Checkpoint {
    audit::checkpoint(&app.app).await.unwrap()
}

async fn verify(app: &TestApp, checkpoints: &[Checkpoint]) -> Result<Verified, ChainBreak> {
    audit::verify(&app.app, checkpoints).await.unwrap()
}

/// `n` more events (each login is one).
pub async fn more_events(app: &TestApp, n: usize) {
    for _ in 0..n {
        app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    }
}

async fn events(pool: &sqlx::AnyPool) -> Vec<ChainedEvent> {
    let db_events = sqlx::query_as::<_, (i64, i64, String, String, String, String, Option<i64>, Vec<u8>, Vec<u8>)>(
        "SELECT seq, at, actor, action, object_type, object_id, area_id, prev_hash, hash FROM audit_events ORDER BY seq",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    db_events
        .into_iter()
        .map(
            |(seq, at, actor, action, object_type, object_id, area_id, prev_hash, hash)| {
                ChainedEvent {
                    seq,
                    at,
                    actor,
                    action,
                    object_type,
                    object_id,
                    area_id,
                    prev_hash,
                    hash,
                }
            },
        )
        .collect()
}

async fn set_head(pool: &sqlx::AnyPool, seq: i64, hash: &[u8], keyed_from: Option<i64>) {
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(hash.to_vec())
        .execute(pool)
        .await
        .unwrap();
    if let Some(k) = keyed_from {
        sqlx::query("UPDATE audit_head SET keyed_from = $1 WHERE id = 1")
            .bind(k)
            .execute(pool)
            .await
            .unwrap();
    }
}

/// Forgery (a): edits event `seq`, then recomputes every link from
/// `from` on with plain SHA-256, as the old `audit verify` checked them,
/// and sets the head. With `unkey`, also moves `keyed_from` to the head so
/// the whole chain reads as legacy.
pub async fn forge_edit(pool: &sqlx::AnyPool, seq: i64, from: i64, unkey: bool) {
    sqlx::query("UPDATE audit_events SET action = 'ban.read' WHERE seq = $1")
        .bind(seq)
        .execute(pool)
        .await
        .unwrap();
    let all = events(pool).await;
    let mut prev = if from == 1 {
        GENESIS.to_vec()
    } else {
        all[(from - 2) as usize].hash.clone()
    };
    for e in all.iter().filter(|e| e.seq >= from) {
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
    let last = all.last().unwrap().seq;
    set_head(pool, last, &prev, unkey.then_some(last)).await;
}

/// Forgery (b): every event deleted, the head back at the start.
pub async fn forge_reset(pool: &sqlx::AnyPool) {
    sqlx::query("DELETE FROM audit_events")
        .execute(pool)
        .await
        .unwrap();
    set_head(pool, 0, &GENESIS, Some(0)).await;
}

/// Forgery (c): every event after `keep` deleted, the head moved back.
pub async fn forge_cut(pool: &sqlx::AnyPool, keep: i64) {
    let kept = events(pool).await[(keep - 1) as usize].hash.clone();
    sqlx::query("DELETE FROM audit_events WHERE seq > $1")
        .bind(keep)
        .execute(pool)
        .await
        .unwrap();
    set_head(pool, keep, &kept, None).await;
}

both!(an_edit_with_the_sha256_chain_recomputed_is_caught);
async fn an_edit_with_the_sha256_chain_recomputed_is_caught(app: TestApp) {
    app.seed().await;
    let c = checkpoint(&app).await;
    let n = c.seq;
    assert!(n > 20);
    assert_eq!(
        verify(&app, std::slice::from_ref(&c)).await,
        Ok(Verified {
            events: n,
            keyed_from: 0,
            checkpoints: 1
        })
    );
    // Without the key, the recomputed links do not match.
    forge_edit(app.db().pool(), n / 2, n / 2, false).await;
    assert_eq!(
        verify(&app, &[]).await,
        Err(ChainBreak::Edited { seq: n / 2 })
    );
    // The whole chain recomputed as legacy links, `keyed_from` moved to
    // the head: the chain alone verifies, the signed checkpoint does not.
    forge_edit(app.db().pool(), n / 2, 1, true).await;
    assert_eq!(
        verify(&app, &[]).await.map(|v| v.events),
        Ok(n),
        "a chain without checkpoints cannot tell"
    );
    assert_eq!(
        verify(&app, &[c]).await,
        Err(ChainBreak::Boundary {
            stored: n,
            signed: 0
        })
    );
}

both!(a_reset_chain_is_caught);
async fn a_reset_chain_is_caught(app: TestApp) {
    app.seed().await;
    let c = checkpoint(&app).await;
    forge_reset(app.db().pool()).await;
    assert_eq!(verify(&app, &[]).await.map(|v| v.events), Ok(0));
    assert_eq!(
        verify(&app, std::slice::from_ref(&c)).await,
        Err(ChainBreak::Truncated {
            last: 0,
            checkpoint: c.seq
        })
    );
    // The server goes on writing on the reset chain: still caught, both
    // while it is shorter and once it has grown past the checkpoint.
    more_events(&app, 3).await;
    assert!(matches!(
        verify(&app, std::slice::from_ref(&c)).await,
        Err(ChainBreak::Truncated { .. })
    ));
    more_events(&app, c.seq as usize).await;
    assert_eq!(
        verify(&app, std::slice::from_ref(&c)).await,
        Err(ChainBreak::CheckpointMismatch { seq: c.seq })
    );
}

both!(a_cut_tail_is_caught);
async fn a_cut_tail_is_caught(app: TestApp) {
    app.seed().await;
    let early = checkpoint(&app).await;
    more_events(&app, 5).await;
    let late = checkpoint(&app).await;
    assert!(late.seq > early.seq + 3);
    let checkpoints = [early.clone(), late.clone()];
    assert_eq!(
        verify(&app, &checkpoints).await.map(|v| v.checkpoints),
        Ok(2)
    );
    forge_cut(app.db().pool(), early.seq + 2).await;
    assert_eq!(
        verify(&app, &[]).await.map(|v| v.events),
        Ok(early.seq + 2),
        "the chain alone cannot tell"
    );
    assert_eq!(
        verify(&app, &checkpoints).await,
        Err(ChainBreak::Truncated {
            last: early.seq + 2,
            checkpoint: late.seq
        })
    );
    // What only an outside party's copy can tell: events after the last
    // checkpoint it kept are not covered.
    assert!(verify(&app, &[early]).await.is_ok());
}

both!(a_checkpoint_from_another_deployment_is_refused);
async fn a_checkpoint_from_another_deployment_is_refused(app: TestApp) {
    app.seed().await;
    let c = checkpoint(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let other = cho_server::secrets::Secrets::create(dir.path()).unwrap();
    let head = cho_server::storage::audit::head(app.db()).await.unwrap();
    let forged = Checkpoint::sign(&head, c.at, |m| other.checkpoint_signer.sign(m)).unwrap();
    assert_eq!(
        verify(&app, &[forged]).await,
        Err(ChainBreak::Signature { seq: c.seq })
    );
}

both!(verify_while_the_server_writes_sees_one_consistent_chain);
async fn verify_while_the_server_writes_sees_one_consistent_chain(app: TestApp) {
    app.seed().await;
    let writer = {
        let router = app.router();
        tokio::spawn(async move {
            use tower::ServiceExt;
            for _ in 0..60 {
                let request = axum::http::Request::post("/api/v1/auth/login")
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(
                        serde_json::json!({"username": BEHEERDER_A.0, "password": BEHEERDER_A.1})
                            .to_string(),
                    ))
                    .unwrap();
                let answer = router.clone().oneshot(request).await.unwrap();
                assert_eq!(answer.status(), axum::http::StatusCode::OK);
            }
        })
    };
    let mut checked = 0;
    while !writer.is_finished() {
        let result = verify(&app, &[]).await;
        assert!(result.is_ok(), "a live chain read as broken: {result:?}");
        checked += 1;
    }
    writer.await.unwrap();
    assert!(checked > 1);
}
