//! Complaints (bezwaar): the window from the notice (or issue), the late
//! flag, the 6-week clock with one extension of at most 2 weeks, the
//! decision (upheld overturns the ban and takes it off the next list;
//! rejected leaves it), who may handle them, and the purge waiting for an
//! open complaint.

use axum::http::StatusCode;
use cho_core::checker::{Door, Verdict};
use cho_core::list_format::ListSigner;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;
use cho_server::services::lists;
use cho_server::services::retention::purge;

/// A ban at A1 for `given` de Bruijn; `notice`: the notice's day, or none.
async fn ban_with(app: &TestApp, s: &Seeded, given: &str, notice: Option<&str>) -> i64 {
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let mut body = ban_body(
        s.venue_a1,
        s.category_a,
        manual("de Bruijn", given, "1965-03-10"),
    );
    body.as_object_mut().unwrap().remove("notification");
    if let Some(day) = notice {
        body["notice"] = json!({"notified_on": day, "method": "handed_over", "note": null});
    }
    app.issue(&owner, body).await
}

async fn record(app: &TestApp, token: &str, ban: i64, received_on: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/bans/{ban}/complaints"),
        token,
        json!({"received_on": received_on, "summary": "Willeke de Bruijn says she was elsewhere"}),
    )
    .await
}

async fn record_ok(app: &TestApp, token: &str, ban: i64, received_on: &str) -> Value {
    let answer = record(app, token, ban, received_on).await;
    assert_eq!(answer.0, StatusCode::CREATED, "{}", answer.1);
    answer.1
}

both!(the_window_counts_from_the_notice_or_else_from_issue);
async fn the_window_counts_from_the_notice_or_else_from_issue(app: TestApp) {
    let s = app.seed().await;
    // Issued on 2026-12-01; told at the door on the night, 2026-11-28.
    app.advance_days(3);
    let told = ban_with(&app, &s, "Anna", Some("2026-11-28")).await;
    let untold = ban_with(&app, &s, "Berta", None).await;
    app.advance_days(13); // 2026-12-14
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    // From the notice: the last day on time is 2026-12-12.
    let a = record_ok(&app, &beh, told, "2026-12-14").await;
    assert_eq!(a["late"], true, "{a}");
    // From the day of issue: the last day on time is 2026-12-15.
    let b = record_ok(&app, &beh, untold, "2026-12-14").await;
    assert_eq!(b["late"], false, "{b}");
    // A late complaint is taken all the same, with the usual clock.
    assert_eq!(a["decide_by"], "2027-01-25");

    // The fourteenth day is on time, the fifteenth late.
    let edge_on_time = ban_with(&app, &s, "Carla", Some("2026-11-30")).await;
    let edge_late = ban_with(&app, &s, "Dora", Some("2026-11-29")).await;
    assert_eq!(
        record_ok(&app, &beh, edge_on_time, "2026-12-14").await["late"],
        false
    );
    assert_eq!(
        record_ok(&app, &beh, edge_late, "2026-12-14").await["late"],
        true
    );

    // The area's own window: 7 days.
    let answer = app
        .put(
            &format!("/api/v1/areas/{}/protocol", s.area_a),
            &beh,
            json!({"complaint_window_days": 7, "retention_days": 0, "max_list_age_seconds": 86400}),
        )
        .await;
    assert_status(&answer, StatusCode::NO_CONTENT);
    let short = ban_with(&app, &s, "Emma", Some("2026-12-06")).await;
    assert_eq!(
        record_ok(&app, &beh, short, "2026-12-14").await["late"],
        true
    );

    // Received in the future, or before the ban was issued: refused.
    let other = ban_with(&app, &s, "Fleur", None).await;
    assert_error(
        &record(&app, &beh, other, "2026-12-15").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    assert_error(
        &record(&app, &beh, other, "2026-12-13").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    // No summary: refused.
    assert_error(
        &app.post(
            &format!("/api/v1/bans/{other}/complaints"),
            &beh,
            json!({"received_on": "2026-12-14", "summary": "  "}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ban_rule",
    );
    // One open complaint per ban at a time.
    assert_error(
        &record(&app, &beh, told, "2026-12-14").await,
        StatusCode::CONFLICT,
        "conflict",
    );
}

async fn list(app: &TestApp, area: i64, token: &str) -> Value {
    let (status, body) = app
        .get(&format!("/api/v1/areas/{area}/complaints"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

both!(six_weeks_to_decide_extended_once_by_at_most_two);
async fn six_weeks_to_decide_extended_once_by_at_most_two(app: TestApp) {
    let s = app.seed().await;
    let ban = ban_with(&app, &s, "Anna", Some("2026-11-28")).await;
    app.advance_days(2); // 2026-11-30
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let c = record_ok(&app, &beh, ban, "2026-11-30").await;
    assert_eq!(c["late"], false);
    assert_eq!(c["decide_by"], "2027-01-11");
    let id = c["id"].as_i64().unwrap();
    let extend = |days: i64| {
        let path = format!("/api/v1/complaints/{id}/extension");
        let beh = beh.clone();
        let app = &app;
        async move {
            app.post(
                &path,
                &beh,
                json!({"reason": "The committee hears the doorman first", "days": days}),
            )
            .await
        }
    };
    assert_error(
        &extend(15).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    assert_error(
        &extend(0).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    let (status, body) = extend(14).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["decide_by"], "2027-01-25");
    assert_error(&extend(1).await, StatusCode::CONFLICT, "conflict");

    // The overview: days left, then due soon, then overdue, by the clock.
    let l = list(&app, s.area_a, &beh).await;
    assert_eq!(l[0]["days_left"], 56, "{l}");
    assert_eq!(l[0]["urgency"], "open");
    assert_eq!(l[0]["extended_by_days"], 14);
    app.clock.set(START + (2 + 49) * DAY); // 2027-01-18
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    assert_eq!(list(&app, s.area_a, &beh).await[0]["urgency"], "due_soon");
    assert_eq!(list(&app, s.area_a, &beh).await[0]["days_left"], 7);
    app.clock.set(START + (2 + 57) * DAY); // 2027-01-26
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let l = list(&app, s.area_a, &beh).await;
    assert_eq!(
        (l[0]["urgency"].clone(), l[0]["days_left"].clone()),
        (json!("overdue"), json!(-1))
    );

    // The detail holds the texts (an audited read naming the ban).
    let before = app.last_seq().await;
    let (status, d) = app.get(&format!("/api/v1/complaints/{id}"), &beh).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["summary"], "Willeke de Bruijn says she was elsewhere");
    assert_eq!(
        d["extension_reason"],
        "The committee hears the doorman first"
    );
    assert_eq!(d["original_decide_by"], "2027-01-11");
    assert_eq!(d["window_ends_on"], "2026-12-12");
    let events = app.events_after(before).await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].1.as_str(), events[0].2.as_str()),
        ("complaint.read", "ban")
    );
    assert_eq!(events[0].3, ban.to_string());
}

/// A door of area A holding the latest published list.
async fn door_of_a(app: &TestApp, area: i64, dir: &std::path::Path) -> Door {
    let signer = ListSigner::from_pkcs8(&app.app.secrets.signing_pkcs8).unwrap();
    let mut door = Door::open(dir, &signer.public_key()).unwrap();
    let row = sqlx::query(
        "SELECT epoch, sealed_key FROM area_keys WHERE area_id = $1 ORDER BY epoch DESC",
    )
    .bind(area)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let epoch: i64 = row.get("epoch");
    let sealed: Vec<u8> = row.get("sealed_key");
    let key = app
        .app
        .master_key()
        .open(
            &cho_server::services::admin::identity_key_aad(area, epoch),
            &sealed,
        )
        .unwrap();
    door.set_area_key(area as u64, epoch as u32, &key, false)
        .unwrap();
    door
}

async fn apply_latest(app: &TestApp, area: i64, door: &mut Door) {
    let version = sqlx::query("SELECT MAX(version) AS v FROM list_versions WHERE area_id = $1")
        .bind(area)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
        .get::<i64, _>("v");
    let bytes = cho_server::storage::lists::snapshot(app.db(), area, version)
        .await
        .unwrap()
        .unwrap();
    door.apply_update(bytes, app.app.clock.now()).unwrap();
}

fn de_bruijn(door: &Door, given: &str, now: i64) -> Verdict {
    door.check_manual("de Bruijn", given, "1965-03-10", now)
        .unwrap()
        .verdict
}

both!(an_upheld_complaint_overturns_the_ban_and_it_leaves_the_list);
async fn an_upheld_complaint_overturns_the_ban_and_it_leaves_the_list(app: TestApp) {
    let s = app.seed().await;
    let upheld = ban_with(&app, &s, "Anna", Some("2026-11-28")).await;
    let rejected = ban_with(&app, &s, "Berta", Some("2026-11-28")).await;
    lists::publish(&app.app, s.area_a).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut door = door_of_a(&app, s.area_a, dir.path()).await;
    apply_latest(&app, s.area_a, &mut door).await;
    let now = app.app.clock.now();
    assert_eq!(de_bruijn(&door, "Anna", now), Verdict::Banned);
    assert_eq!(de_bruijn(&door, "Berta", now), Verdict::Banned);

    app.advance_days(1);
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let c1 = record_ok(&app, &beh, upheld, "2026-11-29").await["id"]
        .as_i64()
        .unwrap();
    let c2 = record_ok(&app, &beh, rejected, "2026-11-29").await["id"]
        .as_i64()
        .unwrap();
    // A complaint does not suspend the ban.
    let (_, ban) = app.get(&format!("/api/v1/bans/{upheld}"), &beh).await;
    assert_eq!(ban["status"], "active");

    let before = app.last_seq().await;
    let (status, d) = app
        .post(
            &format!("/api/v1/complaints/{c1}/decision"),
            &beh,
            json!({"outcome": "upheld", "reasoning": "Camera images show another guest"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["outcome"], "upheld");
    assert_eq!(d["ban_status"], "overturned");
    assert_eq!(d["decided_on"], "2026-11-29");
    let actions: Vec<String> = app
        .events_after(before)
        .await
        .into_iter()
        .map(|e| e.1)
        .collect();
    assert_eq!(
        actions,
        ["complaint.decide", "ban.overturn", "list.publish"]
    );
    // Published at once: the next list no longer holds her.
    apply_latest(&app, s.area_a, &mut door).await;
    let now = app.app.clock.now();
    assert_eq!(de_bruijn(&door, "Anna", now), Verdict::NotBanned);
    assert_eq!(de_bruijn(&door, "Berta", now), Verdict::Banned);
    let (_, ban) = app.get(&format!("/api/v1/bans/{upheld}"), &beh).await;
    assert_eq!(ban["status"], "overturned");

    // Rejected: the ban stays, on the list.
    let (status, d) = app
        .post(
            &format!("/api/v1/complaints/{c2}/decision"),
            &beh,
            json!({"outcome": "rejected", "reasoning": "Two witnesses"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["ban_status"], "active");
    let again = lists::publish(&app.app, s.area_a).await.unwrap();
    assert!(!again.new_version);
    apply_latest(&app, s.area_a, &mut door).await;
    assert_eq!(
        de_bruijn(&door, "Berta", app.app.clock.now()),
        Verdict::Banned
    );

    // Decided once: no second decision, no extension; no new complaint on
    // an overturned ban.
    assert_error(
        &app.post(
            &format!("/api/v1/complaints/{c2}/decision"),
            &beh,
            json!({"outcome": "upheld", "reasoning": "x"}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_error(
        &app.post(
            &format!("/api/v1/complaints/{c2}/extension"),
            &beh,
            json!({"reason": "x", "days": 3}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_error(
        &record(&app, &beh, upheld, "2026-11-29").await,
        StatusCode::CONFLICT,
        "conflict",
    );
    // A bad outcome is a malformed body.
    let (status, _) = app
        .post(
            &format!("/api/v1/complaints/{c2}/decision"),
            &beh,
            json!({"outcome": "granted", "reasoning": "x"}),
        )
        .await;
    assert!(status.is_client_error());

    // The overview: both decided, the latest decision first, no texts.
    let (_, l) = app
        .get(&format!("/api/v1/areas/{}/complaints", s.area_a), &beh)
        .await;
    assert_eq!(l.as_array().unwrap().len(), 2);
    assert_eq!(l[0]["urgency"], "decided");
    assert_eq!(l[0]["days_left"], Value::Null);
    assert!(!l.to_string().contains("Bruijn") && !l.to_string().contains("Camera"));
}

both!(only_the_areas_beheerder_handles_complaints);
async fn only_the_areas_beheerder_handles_complaints(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let beh_b = app.login(BEHEERDER_B.0, BEHEERDER_B.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let ban = ban_with(&app, &s, "Anna", None).await;
    // Owners may not record, not even for their own venue's ban.
    assert_error(
        &record(&app, &owner, ban, "2026-11-28").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &record(&app, &op, ban, "2026-11-28").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // Another area's beheerder: not found, like a missing ban.
    assert_error(
        &record(&app, &beh_b, ban, "2026-11-28").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let id = record_ok(&app, &beh, ban, "2026-11-28").await["id"]
        .as_i64()
        .unwrap();
    for (token, status) in [
        (&owner, StatusCode::FORBIDDEN),
        (&op, StatusCode::FORBIDDEN),
        (&beh_b, StatusCode::NOT_FOUND),
    ] {
        let code = if status == StatusCode::FORBIDDEN {
            "forbidden"
        } else {
            "not_found"
        };
        assert_error(
            &app.get(&format!("/api/v1/complaints/{id}"), token).await,
            status,
            code,
        );
        assert_error(
            &app.post(
                &format!("/api/v1/complaints/{id}/extension"),
                token,
                json!({"reason": "x", "days": 3}),
            )
            .await,
            status,
            code,
        );
        assert_error(
            &app.post(
                &format!("/api/v1/complaints/{id}/decision"),
                token,
                json!({"outcome": "upheld", "reasoning": "x"}),
            )
            .await,
            status,
            code,
        );
        assert_error(
            &app.get(&format!("/api/v1/areas/{}/complaints", s.area_a), token)
                .await,
            status,
            code,
        );
    }
    // The complaint is untouched.
    let (_, d) = app.get(&format!("/api/v1/complaints/{id}"), &beh).await;
    assert_eq!(
        (d["outcome"].clone(), d["extended_by_days"].clone()),
        (Value::Null, Value::Null)
    );
    // The texts are sealed at rest.
    for (column, value) in app.all_stored_values().await {
        assert!(
            !contains(&value, "elsewhere"),
            "{column} holds the summary in the clear"
        );
    }
}

both!(the_purge_waits_for_an_open_complaint_and_keeps_only_dates_and_outcome);
async fn the_purge_waits_for_an_open_complaint_and_keeps_only_dates_and_outcome(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let answer = app
        .put(
            &format!("/api/v1/areas/{}/protocol", s.area_a),
            &beh,
            json!({"complaint_window_days": 14, "retention_days": 0, "max_list_age_seconds": 86400}),
        )
        .await;
    assert_status(&answer, StatusCode::NO_CONTENT);
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let body = with(
        ban_body(
            s.venue_a1,
            s.category_a,
            manual("de Bruijn", "Willeke", "1965-03-10"),
        ),
        "ends_on",
        json!("2026-11-29"),
    );
    let ban = app.issue(&owner, body).await;
    let id = record_ok(&app, &beh, ban, "2026-11-28").await["id"]
        .as_i64()
        .unwrap();
    // Long past its end and retention: kept while the complaint is open.
    app.advance_days(10);
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    assert_eq!(purge(&app.app).await.unwrap().bans_purged, 0);
    let (status, _) = app.get(&format!("/api/v1/bans/{ban}"), &beh).await;
    assert_eq!(status, StatusCode::OK);

    let (status, d) = app
        .post(
            &format!("/api/v1/complaints/{id}/decision"),
            &beh,
            json!({"outcome": "rejected", "reasoning": "Willeke was seen by two witnesses"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(purge(&app.app).await.unwrap().bans_purged, 1);
    // The complaint stays: dates, lateness and outcome; no texts, no ban.
    let row = sqlx::query(
        "SELECT ban_id, summary, extension_reason, reasoning, received_on, decided_on, outcome, late FROM complaints WHERE id = $1",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(row.get::<Option<i64>, _>("ban_id"), None);
    assert_eq!(row.get::<Option<Vec<u8>>, _>("summary"), None);
    assert_eq!(row.get::<Option<Vec<u8>>, _>("reasoning"), None);
    assert_eq!(row.get::<String, _>("received_on"), "2026-11-28");
    assert_eq!(row.get::<String, _>("decided_on"), "2026-12-08");
    assert_eq!(row.get::<String, _>("outcome"), "rejected");
    for (column, value) in app.all_stored_values().await {
        for secret in ["Bruijn", "Willeke", "1965-03-10", "elsewhere", "witnesses"] {
            assert!(!contains(&value, secret), "{column} still holds {secret}");
        }
    }
    // Still listed (and counted), without a ban.
    let (_, l) = app
        .get(&format!("/api/v1/areas/{}/complaints", s.area_a), &beh)
        .await;
    assert_eq!(l[0]["ban_id"], Value::Null);
    assert_eq!(l[0]["outcome"], "rejected");
    let (_, d) = app.get(&format!("/api/v1/complaints/{id}"), &beh).await;
    assert_eq!(d["summary"], Value::Null);
    let months = cho_server::storage::complaints::complaints_per_month(app.db(), s.area_a)
        .await
        .unwrap();
    assert_eq!(months, vec![("2026-11".to_owned(), 1, 0, 1)]);
}

both!(complaints_are_counted_per_month_of_receipt);
async fn complaints_are_counted_per_month_of_receipt(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let a = ban_with(&app, &s, "Anna", None).await;
    let b = ban_with(&app, &s, "Berta", None).await;
    let c = ban_with(&app, &s, "Carla", None).await;
    let ca = record_ok(&app, &beh, a, "2026-11-28").await["id"]
        .as_i64()
        .unwrap();
    record_ok(&app, &beh, b, "2026-11-28").await;
    app.advance_days(5); // 2026-12-03
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let cc = record_ok(&app, &beh, c, "2026-12-02").await["id"]
        .as_i64()
        .unwrap();
    for (id, outcome) in [(ca, "upheld"), (cc, "rejected")] {
        let (status, body) = app
            .post(
                &format!("/api/v1/complaints/{id}/decision"),
                &beh,
                json!({"outcome": outcome, "reasoning": "r"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let months = cho_server::storage::complaints::complaints_per_month(app.db(), s.area_a)
        .await
        .unwrap();
    assert_eq!(
        months,
        vec![
            ("2026-11".to_owned(), 2, 1, 0),
            ("2026-12".to_owned(), 1, 0, 1)
        ]
    );
    assert!(
        cho_server::storage::complaints::complaints_per_month(app.db(), s.area_b)
            .await
            .unwrap()
            .is_empty()
    );
}
