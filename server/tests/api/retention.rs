//! Retention: a ban's personal data and tokens go once it ended longer ago
//! than the area's retention period, leaving an anonymous count.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use cho_server::services::retention::purge;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

async fn set_retention(app: &TestApp, area: i64, days: i64) {
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let answer = app
        .put(
            &format!("/api/v1/areas/{area}/protocol"),
            &beh,
            json!({"complaint_window_days": 14, "retention_days": days, "max_list_age_seconds": 86400}),
        )
        .await;
    assert_status(&answer, StatusCode::NO_CONTENT);
}

/// The rows a ban leaves: (bans, ban_tokens).
async fn rows_of(app: &TestApp, ban: i64) -> (i64, i64) {
    let count = |sql: &'static str| async move {
        sqlx::query(sql)
            .bind(ban)
            .fetch_one(app.db().pool())
            .await
            .unwrap()
            .get::<i64, _>("n")
    };
    (
        count("SELECT COUNT(*) AS n FROM bans WHERE id = $1").await,
        count("SELECT COUNT(*) AS n FROM ban_tokens WHERE ban_id = $1").await,
    )
}

async fn purged(app: &TestApp) -> u64 {
    purge(&app.app).await.expect("purge").bans_purged
}

async fn statistics(app: &TestApp, area: i64) -> Value {
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let (status, body) = app
        .get(&format!("/api/v1/areas/{area}/statistics"), &beh)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Bans issued per (month, category), purged ones included.
async fn issued(app: &TestApp, area: i64) -> Vec<(String, i64, i64)> {
    let stats = statistics(app, area).await;
    let mut out = Vec::new();
    for month in stats["months"].as_array().unwrap() {
        for c in month["by_category"].as_array().unwrap() {
            out.push((
                month["month"].as_str().unwrap().to_owned(),
                c["category_id"].as_i64().unwrap(),
                c["bans"].as_i64().unwrap(),
            ));
        }
    }
    out
}

/// The figure of one (month, category).
async fn issued_in(app: &TestApp, area: i64, month: &str, category: i64) -> i64 {
    issued(app, area)
        .await
        .iter()
        .find(|(m, c, _)| m == month && *c == category)
        .map_or(0, |(_, _, n)| *n)
}

/// A ban at A1 whose last day is 2026-11-29.
async fn short_ban(app: &TestApp, s: &Seeded, given: &str) -> i64 {
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let body = with(
        ban_body(
            s.venue_a1,
            s.category_a,
            json!({"mrz": passport("DE BRUIJN", given, "650310", "340115")}),
        ),
        "ends_on",
        json!("2026-11-29"),
    );
    app.issue(&owner, body).await
}

async fn assert_chain_intact(app: &TestApp) {
    let (events, _) = cho_server::storage::audit::chain(app.db()).await.unwrap();
    assert_eq!(app.verify_audit_chain().await, Ok(events.len() as i64));
}

both!(without_retention_a_ban_goes_the_day_after_it_ends);
async fn without_retention_a_ban_goes_the_day_after_it_ends(app: TestApp) {
    let s = app.seed().await;
    set_retention(&app, s.area_a, 0).await;
    let ban = short_ban(&app, &s, "WILLEKE").await;
    assert_eq!(rows_of(&app, ban).await.0, 1);
    assert!(rows_of(&app, ban).await.1 > 0);
    assert_eq!(purged(&app).await, 0, "nothing has ended");

    // Its last day (2026-11-29): still kept.
    app.advance_days(1);
    assert_eq!(purged(&app).await, 0);
    let (bans, tokens) = rows_of(&app, ban).await;
    assert!(bans == 1 && tokens > 0);
    // The demo's Jansen and this ban, both issued in November.
    let figures = issued(&app, s.area_a).await;
    assert_eq!(issued_in(&app, s.area_a, "2026-11", s.category_a).await, 2);

    // The day after: gone, with its tokens and personal data.
    app.advance_days(1);
    let before = app.last_seq().await;
    assert_eq!(purge(&app.app).await.unwrap().bans_purged, 1);
    assert_eq!(rows_of(&app, ban).await, (0, 0));
    // The purge, then a new list version without it (issue 9: no version
    // that may hold its tokens survives).
    let events = app.events_after(before).await;
    assert_eq!(
        events[0],
        (
            "system".to_owned(),
            "ban.purge".to_owned(),
            "ban".to_owned(),
            ban.to_string()
        )
    );
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[1].1, "list.publish");
    // Purged, it is still counted in the month it was issued.
    assert_eq!(issued(&app, s.area_a).await, figures);
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    assert_error(
        &app.get(&format!("/api/v1/bans/{ban}"), &beh).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    for (column, value) in app.all_stored_values().await {
        for secret in ["BRUIJN", "WILLEKE", "1965-03-10"] {
            assert!(!contains(&value, secret), "{column} still holds {secret}");
        }
    }
    // The demo's active bans stay.
    for id in &s.demo_bans {
        assert_eq!(rows_of(&app, *id).await.0, 1);
    }

    // Idempotent: a second run purges nothing and counts nothing twice.
    assert_eq!(purged(&app).await, 0);
    assert_eq!(issued(&app, s.area_a).await, figures);
    assert_chain_intact(&app).await;
}

both!(with_retention_a_ban_is_kept_that_many_days);
async fn with_retention_a_ban_is_kept_that_many_days(app: TestApp) {
    let s = app.seed().await;
    set_retention(&app, s.area_a, 30).await;
    let first = short_ban(&app, &s, "WILLEKE").await;
    let second = short_ban(&app, &s, "ANNA").await;
    let figures = issued(&app, s.area_a).await;
    assert_eq!(issued_in(&app, s.area_a, "2026-11", s.category_a).await, 3);
    // 2026-11-29 + 30 days = 2026-12-29: kept through that day.
    app.clock.set(START + 31 * DAY);
    assert_eq!(purged(&app).await, 0);
    assert_eq!(rows_of(&app, first).await.0, 1);
    app.clock.set(START + 32 * DAY);
    assert_eq!(purged(&app).await, 2);
    assert_eq!(rows_of(&app, first).await, (0, 0));
    assert_eq!(rows_of(&app, second).await, (0, 0));
    assert_eq!(issued(&app, s.area_a).await, figures);
    // Area B's statistics are its own; the operator may read them.
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let (status, stats_b) = app
        .get(&format!("/api/v1/areas/{}/statistics", s.area_b), &op)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stats_b["active_total"], 0);
    assert_eq!(stats_b["months"], json!([]));
    assert_eq!(purged(&app).await, 0);
    assert_chain_intact(&app).await;
}

both!(a_revoked_ban_goes_retention_days_after_revocation);
async fn a_revoked_ban_goes_retention_days_after_revocation(app: TestApp) {
    let s = app.seed().await;
    set_retention(&app, s.area_a, 30).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let ban = app
        .issue(
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a_weapons,
                manual("Smit", "Karel", "1980-02-02"),
            ),
        )
        .await;
    app.advance_days(3);
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    assert_status(
        &app.post(
            &format!("/api/v1/bans/{ban}/revoke"),
            &owner,
            json!({"reason": "wrong person"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let figures = issued(&app, s.area_a).await;
    app.clock.advance(30 * DAY - 1);
    assert_eq!(purged(&app).await, 0);
    assert_eq!(rows_of(&app, ban).await.0, 1);
    app.clock.advance(1);
    assert_eq!(purged(&app).await, 1);
    assert_eq!(rows_of(&app, ban).await, (0, 0));
    assert_eq!(issued(&app, s.area_a).await, figures);
    assert_eq!(
        issued_in(&app, s.area_a, "2026-11", s.category_a_weapons).await,
        1
    );

    // With no retention, a revoked ban goes at the next purge.
    set_retention(&app, s.area_a, 0).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let next = app
        .issue(
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Smit", "Jan", "1980-02-02"),
            ),
        )
        .await;
    assert_status(
        &app.post(
            &format!("/api/v1/bans/{next}/revoke"),
            &owner,
            json!({"reason": "wrong person"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(purged(&app).await, 1);
    assert_eq!(rows_of(&app, next).await, (0, 0));
    // Issued in December: a new month in the statistics.
    assert_eq!(issued_in(&app, s.area_a, "2026-12", s.category_a).await, 1);
    let stats = statistics(&app, s.area_a).await;
    assert_eq!(stats["months"][1]["month"], "2026-12", "{stats}");
    assert_eq!(stats["months"][1]["bans"], 1, "{stats}");
    assert_chain_intact(&app).await;
}

both!(an_active_ban_is_never_purged);
async fn an_active_ban_is_never_purged(app: TestApp) {
    let s = app.seed().await;
    set_retention(&app, s.area_a, 0).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    // Two years, the longest ban there is.
    let ban = app
        .issue(
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a_weapons,
                manual("Smit", "Karel", "1980-02-02"),
            ),
        )
        .await;
    let (_, view) = app.get(&format!("/api/v1/bans/{ban}"), &owner).await;
    assert_eq!(view["ends_on"], "2028-11-26");
    // Every month until its last day, the purge leaves it alone.
    for _ in 0..24 {
        app.advance_days(30);
        purge(&app.app).await.unwrap();
        assert_eq!(rows_of(&app, ban).await.0, 1);
    }
    app.clock.set(START + 729 * DAY); // 2028-11-26, its last day
    assert_eq!(purged(&app).await, 0);
    assert_eq!(rows_of(&app, ban).await.0, 1);
    app.advance_days(1);
    assert_eq!(purged(&app).await, 1);
    assert_eq!(rows_of(&app, ban).await, (0, 0));
    assert_eq!(app.count("bans").await, 0, "every demo ban has ended too");
    assert_eq!(app.count("ban_tokens").await, 0);
    assert_chain_intact(&app).await;
}
