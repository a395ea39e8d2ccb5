//! Issue 9, item 8: no personal data or token outlives its retention.
//! Old list versions are pruned (a door older than them gets the
//! snapshot), no token of a purged ban survives anywhere, revocation
//! reasons are sealed, and implausible dates are refused.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use sqlx::Row;

use cho_server::services::{lists, retention};

use crate::both;
use crate::devices::enrol;
use crate::fixtures::*;
use crate::harness::*;
use crate::web_client::Browser;

async fn set_protocol(app: &TestApp, area: i64, retention_days: i64, max_list_age: i64) {
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let answer = app
        .put(
            &format!("/api/v1/areas/{area}/protocol"),
            &beh,
            json!({"complaint_window_days": 14, "retention_days": retention_days,
                   "max_list_age_seconds": max_list_age}),
        )
        .await;
    assert_status(&answer, StatusCode::NO_CONTENT);
}

async fn versions(app: &TestApp, area: i64) -> Vec<i64> {
    sqlx::query("SELECT version FROM list_versions WHERE area_id = $1 ORDER BY version")
        .bind(area)
        .fetch_all(app.db().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<i64, _>("version"))
        .collect()
}

/// A device sync at `version`: (status, x-cho-list-kind).
async fn sync_kind(app: &TestApp, credential: &str, version: i64) -> (StatusCode, String) {
    let (status, headers, _) = app
        .send(
            Request::get(format!("/api/v1/device/list?version={version}"))
                .header("authorization", format!("Device {credential}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let kind = headers
        .get("x-cho-list-kind")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind)
}

both!(list_versions_older_than_the_max_list_age_are_pruned_and_an_older_door_gets_the_snapshot);
async fn list_versions_older_than_the_max_list_age_are_pruned_and_an_older_door_gets_the_snapshot(
    app: TestApp,
) {
    let s = app.seed().await;
    // An hour: the shortest list age a test can step over in one move.
    set_protocol(&app, s.area_a, 0, 3600).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let enrolment = enrol(&app, &owner, s.venue_a1).await;
    let credential = enrolment["credential"].as_str().unwrap().to_owned();

    let v1 = lists::publish(&app.app, s.area_a).await.unwrap().version;
    // A change ten minutes later: v2, and v1 (younger than an hour) stays,
    // so a door at v1 gets a delta.
    app.clock.advance(600);
    app.issue(
        &owner,
        ban_body(
            s.venue_a1,
            s.category_a,
            manual("Bakker", "Bob", "1990-01-01"),
        ),
    )
    .await;
    let v2 = lists::publish(&app.app, s.area_a).await.unwrap().version;
    assert_eq!(versions(&app, s.area_a).await, vec![v1, v2]);
    assert_eq!(
        sync_kind(&app, &credential, v1).await,
        (StatusCode::OK, "delta".to_owned())
    );

    // Two hours on, the next version prunes every version but itself that
    // is older than the maximum list age.
    app.clock.advance(2 * 3600);
    let v3 = lists::publish(&app.app, s.area_a).await.unwrap().version;
    assert_eq!(versions(&app, s.area_a).await, vec![v3]);
    // A door at a pruned version gets the whole snapshot.
    for old in [v1, v2] {
        assert_eq!(
            sync_kind(&app, &credential, old).await,
            (StatusCode::OK, "snapshot".to_owned()),
            "door at v{old}"
        );
    }
    assert_eq!(
        sync_kind(&app, &credential, v3).await.0,
        StatusCode::NOT_MODIFIED
    );
}

both!(no_token_of_a_purged_ban_survives_in_any_table);
async fn no_token_of_a_purged_ban_survives_in_any_table(app: TestApp) {
    let s = app.seed().await;
    // Retention 0, and a list age of a week: without the purge's own
    // clean-up, versions listing the ban would be kept for days.
    set_protocol(&app, s.area_a, 0, 7 * 86_400).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let ban = app
        .issue(
            &owner,
            with(
                ban_body(
                    s.venue_a1,
                    s.category_a,
                    json!({"mrz": passport("DE BRUIJN", "WILLEKE", "650310", "340115")}),
                ),
                "ends_on",
                json!("2026-11-29"),
            ),
        )
        .await;
    let tokens: Vec<Vec<u8>> = sqlx::query("SELECT token FROM ban_tokens WHERE ban_id = $1")
        .bind(ban)
        .fetch_all(app.db().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<Vec<u8>, _>("token"))
        .collect();
    assert!(!tokens.is_empty());
    let holding = |values: &[(String, Vec<u8>)]| -> Vec<String> {
        values
            .iter()
            .filter(|(_, v)| {
                tokens
                    .iter()
                    .any(|t| v.windows(t.len()).any(|w| w == t.as_slice()))
            })
            .map(|(c, _)| c.clone())
            .collect()
    };
    lists::publish(&app.app, s.area_a).await.unwrap();
    // The scan finds them where they are: the tokens table and the list.
    let before = holding(&app.all_stored_values().await);
    assert!(
        before.contains(&"ban_tokens.token".to_owned()),
        "{before:?}"
    );
    assert!(
        before.contains(&"list_versions.snapshot".to_owned()),
        "{before:?}"
    );

    // Two days on it ended and its retention (0 days) passed: purged.
    app.advance_days(2);
    assert_eq!(retention::purge(&app.app).await.unwrap().bans_purged, 1);
    let after = holding(&app.all_stored_values().await);
    assert!(
        after.is_empty(),
        "the purged ban's tokens remain in {after:?}"
    );
    // The area still has a list: a version without it.
    assert_eq!(versions(&app, s.area_a).await.len(), 1);
    // And its figures survive the purge.
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let (_, stats) = app
        .get(&format!("/api/v1/areas/{}/statistics", s.area_a), &beh)
        .await;
    let november = stats["month_rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == "2026-11")
        .unwrap()
        .clone();
    assert_eq!(november["expired"], 1, "{stats}");
}

both!(a_revocation_reason_is_sealed_and_shown_only_with_the_personal_data);
async fn a_revocation_reason_is_sealed_and_shown_only_with_the_personal_data(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let ban = app
        .issue(
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Bakker", "Bob", "1990-01-01"),
            ),
        )
        .await;
    let reason = "Verwisseld met Gerrit Zwanenburg";
    assert_status(
        &app.post(
            &format!("/api/v1/bans/{ban}/revoke"),
            &owner,
            json!({"reason": reason}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    for (column, value) in app.all_stored_values().await {
        assert!(
            !contains(&value, "Zwanenburg"),
            "{column} holds the reason in plain text"
        );
    }
    let (status, view) = app.get(&format!("/api/v1/bans/{ban}"), &owner).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["status"], "revoked");
    assert_eq!(view["status_reason"], reason);
}

both!(a_plain_reason_of_an_earlier_version_is_sealed_at_start);
async fn a_plain_reason_of_an_earlier_version_is_sealed_at_start(app: TestApp) {
    let s = app.seed().await;
    let ban = s.demo_bans[0];
    // As an earlier version stored it: the reason in plain text.
    sqlx::query("UPDATE bans SET status = 'revoked', status_changed_at = $1, status_reason = $2 WHERE id = $3")
        .bind(START)
        .bind("Verwisseld met Gerrit Zwanenburg")
        .bind(ban)
        .execute(app.db().pool())
        .await
        .unwrap();
    let app = app.reopen().await;
    for (column, value) in app.all_stored_values().await {
        assert!(
            !contains(&value, "Zwanenburg"),
            "{column} still holds the reason"
        );
    }
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let (status, view) = app.get(&format!("/api/v1/bans/{ban}"), &beh).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["status_reason"], "Verwisseld met Gerrit Zwanenburg");
    let sealed: Vec<(String, String, String, String)> = app.events_after(0).await;
    assert!(
        sealed
            .iter()
            .any(|e| e.1 == "ban.status_reason.seal" && e.3 == ban.to_string()),
        "{sealed:?}"
    );
}

both!(implausible_dates_are_refused_with_a_precise_answer);
async fn implausible_dates_are_refused_with_a_precise_answer(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let person = |birth: &str| manual("Bakker", "Bob", birth);
    let cases = [
        (
            ban_body(s.venue_a1, s.category_a, person("1899-12-31")),
            "before 1900",
        ),
        (
            ban_body(s.venue_a1, s.category_a, person("2026-11-29")),
            "birth date may not be in the future",
        ),
        (
            with(
                ban_body(s.venue_a1, s.category_a, person("1990-01-01")),
                "incident_at",
                json!("2026-11-29T01:30:00+01:00"),
            ),
            "incident may not be in the future",
        ),
        (
            with(
                ban_body(s.venue_a1, s.category_a, person("1990-01-01")),
                "incident_at",
                json!("2025-11-27T23:30:00+01:00"),
            ),
            "more than a year ago",
        ),
    ];
    for (body, message) in cases {
        let answer = app.post("/api/v1/bans", &owner, body).await;
        assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "ban_rule");
        let text = answer.1["error"]["message"].as_str().unwrap_or_default();
        assert!(text.contains(message), "{text}");
    }
    // The edges are accepted: born 1 January 1900, an incident a year ago.
    let body = with(
        ban_body(s.venue_a1, s.category_a, person("1900-01-01")),
        "incident_at",
        json!("2025-11-28T12:00:00+01:00"),
    );
    assert_eq!(
        app.post("/api/v1/bans", &owner, body).await.0,
        StatusCode::CREATED
    );

    // The ban form says the same at the field, in Dutch and English.
    for (english, birth_text, incident_text) in [
        (false, "niet vóór 1900", "niet langer dan een jaar geleden"),
        (
            true,
            "cannot be before 1900",
            "cannot be more than a year ago",
        ),
    ] {
        let b = Browser::new(&app);
        let mut b = if english { b.english() } else { b }
            .logged_in(OWNER_A.0, OWNER_A.1)
            .await;
        for (birth, incident, expected) in [
            ("31-12-1899", "28-11-2026", birth_text),
            ("01-01-1990", "27-11-2025", incident_text),
        ] {
            let csrf = b.csrf().await;
            let venue = s.venue_a1.to_string();
            let category = s.category_a.to_string();
            let page = b
                .post(
                    "/verboden/nieuw",
                    &[
                        ("csrf", csrf.as_str()),
                        ("venue_id", venue.as_str()),
                        ("surname", "Bakker"),
                        ("given_names", "Bob"),
                        ("birth_date", birth),
                        ("incident_date", incident),
                        ("incident_time", "01:30"),
                        ("description", "Sloeg een gast"),
                        ("category_id", category.as_str()),
                        ("hearing_statement", "Zegt niets"),
                        ("notified_on", "28-11-2026"),
                        ("notice_method", "handed_over"),
                    ],
                )
                .await;
            assert_eq!(
                page.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}",
                page.body
            );
            page.assert_contains(expected);
        }
    }
}
