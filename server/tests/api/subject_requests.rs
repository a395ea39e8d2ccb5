//! Data-subject requests (issue 9 item 4): the register's clocks, the
//! access export (every ban of the person, nobody else's, and who read it),
//! rectification, erasure, and what the purge leaves.

use axum::http::StatusCode;
use cho_core::checker::Verdict;
use serde_json::{Value, json};
use sqlx::Row;

use cho_server::services::lists;
use cho_server::services::retention::purge;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;
use crate::lists::{check, door_of, snapshot};

/// The person whose requests these tests answer.
const PIA: (&str, &str, &str) = ("Koster", "Pia Maria", "1985-06-15");

fn person(p: (&str, &str, &str)) -> Value {
    manual(p.0, p.1, p.2)
}

async fn register(
    app: &TestApp,
    area: i64,
    kind: &str,
    who: Value,
    verified: bool,
) -> (i64, Value) {
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let mut body = json!({"kind": kind, "received_on": "2026-11-28", "person": who});
    if verified {
        body["identity_check"] = json!("document_shown_in_person");
    }
    let (status, answer) = app
        .post(
            &format!("/api/v1/areas/{area}/subject-requests"),
            &beh,
            body,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    (answer["id"].as_i64().unwrap(), answer)
}

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

async fn ban_exists(app: &TestApp, ban: i64) -> (i64, i64) {
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

/// The audit index: the sequence numbers of the events naming `ban`.
async fn indexed_events(app: &TestApp, ban: i64) -> Vec<(i64, String)> {
    sqlx::query(
        "SELECT e.seq, e.action FROM audit_event_bans x JOIN audit_events e ON e.seq = x.seq WHERE x.ban_id = $1 ORDER BY e.seq",
    )
    .bind(ban)
    .fetch_all(app.db().pool())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get::<i64, _>("seq"), r.get::<String, _>("action")))
    .collect()
}

both!(due_in_a_month_extended_once_overdue_first);
async fn due_in_a_month_extended_once_overdue_first(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    // Received on the day of the seed's clock (2026-11-28).
    let (first, created) = register(&app, s.area_a, "access", person(PIA), true).await;
    assert_eq!(created["due_on"], "2026-12-28");

    // A request received on a month's last day is due on the next one's.
    let (status, answer) = app
        .post(
            &format!("/api/v1/areas/{}/subject-requests", s.area_a),
            &beh,
            json!({"kind": "erasure", "received_on": "2026-10-31", "person": person(PIA)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["due_on"], "2026-11-30");
    let second = answer["id"].as_i64().unwrap();
    // Received in the future, or over a year ago: refused.
    for day in ["2026-11-29", "2025-11-01"] {
        assert_error(
            &app.post(
                &format!("/api/v1/areas/{}/subject-requests", s.area_a),
                &beh,
                json!({"kind": "access", "received_on": day, "person": person(PIA)}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
    }

    // The register: soonest due first, with days left.
    let (status, list) = app
        .get(
            &format!("/api/v1/areas/{}/subject-requests", s.area_a),
            &beh,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![second, first]);
    assert_eq!(list[0]["days_left"], 2);
    assert_eq!(list[0]["status"], "identity_unverified");
    assert_eq!(list[1]["days_left"], 30);
    assert_eq!(list[1]["status"], "in_progress");
    // The register names nobody.
    assert!(!list.to_string().contains(PIA.0));

    // Ten days on: one extension of two months, told today.
    app.advance_days(10);
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let extension = |months: i64, told_on: &str| json!({"months": months, "reason": "many bans to collect", "told_on": told_on});
    assert_error(
        &app.post(
            &format!("/api/v1/subject-requests/{first}/extension"),
            &beh,
            extension(3, "2026-12-08"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    let (status, extended) = app
        .post(
            &format!("/api/v1/subject-requests/{first}/extension"),
            &beh,
            extension(2, "2026-12-08"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{extended}");
    assert_eq!(extended["due_on"], "2027-02-28");
    assert_eq!(extended["extended"], true);
    assert_error(
        &app.post(
            &format!("/api/v1/subject-requests/{first}/extension"),
            &beh,
            extension(1, "2026-12-08"),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    let (_, detail) = app
        .get(&format!("/api/v1/subject-requests/{first}"), &beh)
        .await;
    assert_eq!(detail["original_due_on"], "2026-12-28");
    assert_eq!(detail["extension_reason"], "many bans to collect");
    assert_eq!(detail["extension_told_on"], "2026-12-08");

    // The other is overdue (due 2026-11-30), and first in the register;
    // telling the person of an extension after the first month is too late.
    let (_, list) = app
        .get(
            &format!("/api/v1/areas/{}/subject-requests", s.area_a),
            &beh,
        )
        .await;
    assert_eq!(list[0]["id"], second);
    assert_eq!(list[0]["days_left"], -8);
    assert_error(
        &app.post(
            &format!("/api/v1/subject-requests/{second}/extension"),
            &beh,
            extension(1, "2026-12-08"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );

    // Unverified: no export, no completion; verify, then complete.
    assert_error(
        &app.get(&format!("/api/v1/subject-requests/{second}/export"), &beh)
            .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_error(
        &app.post(
            &format!("/api/v1/subject-requests/{second}/complete"),
            &beh,
            json!(null),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_status(
        &app.post(
            &format!("/api/v1/subject-requests/{second}/verify-identity"),
            &beh,
            json!({"identity_check": "known_contact"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_status(
        &app.post(
            &format!("/api/v1/subject-requests/{second}/complete"),
            &beh,
            json!(null),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    // Closed: nothing more happens to it.
    assert_error(
        &app.post(
            &format!("/api/v1/subject-requests/{second}/refuse"),
            &beh,
            json!({"reason": "x"}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_status(
        &app.post(
            &format!("/api/v1/subject-requests/{first}/refuse"),
            &beh,
            json!({"reason": "manifestly unfounded"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let (_, list) = app
        .get(
            &format!("/api/v1/areas/{}/subject-requests", s.area_a),
            &beh,
        )
        .await;
    // Closed ones after the open, newest registered first.
    assert_eq!(list[0]["status"], "completed");
    assert_eq!(list[0]["days_left"], Value::Null);
    assert_eq!(list[1]["status"], "refused");
    assert_eq!(list[1]["closed_on"], "2026-12-08");

    // The monthly figures: received in October and November, closed in
    // December (one completed, one refused).
    let months = cho_server::services::subject_requests::requests_per_month(app.db(), s.area_a)
        .await
        .unwrap();
    let compact: Vec<(String, &str, i64, i64, i64)> = months
        .iter()
        .map(|m| {
            (
                m.month.clone(),
                m.kind.as_str(),
                m.received,
                m.completed,
                m.refused,
            )
        })
        .collect();
    assert_eq!(
        compact,
        vec![
            ("2026-10".to_owned(), "erasure", 1, 0, 0),
            ("2026-11".to_owned(), "access", 1, 0, 0),
            ("2026-12".to_owned(), "access", 0, 0, 1),
            ("2026-12".to_owned(), "erasure", 0, 1, 0),
        ]
    );
    assert!(app.verify_audit_chain().await.is_ok());
}

both!(the_export_holds_every_ban_of_the_person_and_nobody_else);
async fn the_export_holds_every_ban_of_the_person_and_nobody_else(app: TestApp) {
    let s = app.seed().await;
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let owner_a2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let owner_b = app.login(OWNER_B.0, OWNER_B.1).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    // Pia at both venues of A (one revoked), and in area B.
    let at_a1 = app
        .issue(&owner_a, ban_body(s.venue_a1, s.category_a, person(PIA)))
        .await;
    let at_a2 = app
        .issue(&owner_a2, ban_body(s.venue_a2, s.category_a, person(PIA)))
        .await;
    assert_status(
        &app.post(
            &format!("/api/v1/bans/{at_a2}/revoke"),
            &owner_a2,
            json!({"reason": "settled"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let in_b = app
        .issue(&owner_b, ban_body(s.venue_b, s.category_b, person(PIA)))
        .await;
    // Same name, other birth date; a twin (same birth date, other given
    // names); and a stranger.
    let namesake = app
        .issue(
            &owner_a,
            ban_body(
                s.venue_a1,
                s.category_a,
                person((PIA.0, PIA.1, "1979-01-20")),
            ),
        )
        .await;
    let twin = app
        .issue(
            &owner_a,
            ban_body(s.venue_a1, s.category_a, person((PIA.0, "Petra", PIA.2))),
        )
        .await;

    // Reads of Pia's data: the owner reads and lists; the beheerder searches.
    let owner_a_id = app.account_id(OWNER_A.0).await;
    let beh_id = app.account_id(BEHEERDER_A.0).await;
    assert_status(
        &app.get(&format!("/api/v1/bans/{at_a1}"), &owner_a).await,
        StatusCode::OK,
    );
    assert_status(&app.get("/api/v1/bans", &owner_a).await, StatusCode::OK);
    let (status, found) = app
        .post("/api/v1/bans/search", &beh, json!({"person": person(PIA)}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(found.as_array().unwrap().len() >= 2, "{found}");

    let (request, _) = register(&app, s.area_a, "access", person(PIA), true).await;
    // The detail shows the twin as a possible match, for the beheerder.
    let (status, detail) = app
        .get(&format!("/api/v1/subject-requests/{request}"), &beh)
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["requester"]["surname"], PIA.0);
    let matched = |kind: &str| -> Vec<i64> {
        detail["bans"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["match"] == kind)
            .map(|b| b["ban_id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(matched("same_person"), vec![at_a1, at_a2]);
    assert!(!matched("same_person").contains(&twin) && !matched("same_person").contains(&namesake));
    // The twin (same surname, initial and birth date) may be Pia: the
    // beheerder decides; it is never exported.
    assert!(matched("possible_match").contains(&twin), "{detail}");

    let before = app.last_seq().await;
    let (status, export) = app
        .get(&format!("/api/v1/subject-requests/{request}/export"), &beh)
        .await;
    assert_eq!(status, StatusCode::OK, "{export}");
    let bans = export["bans"].as_array().unwrap();
    let ids: Vec<i64> = bans.iter().map(|b| b["id"].as_i64().unwrap()).collect();
    assert_eq!(
        ids,
        vec![at_a1, at_a2],
        "every ban of Pia in A, whatever its status"
    );
    assert!(!ids.contains(&in_b), "another area's ban is that area's");
    let text = export.to_string();
    assert!(
        !text.contains("Petra") && !text.contains("1979-01-20"),
        "nobody else: {text}"
    );
    assert_eq!(bans[1]["status"], "revoked");
    assert_eq!(bans[1]["status_reason"], "settled");
    assert_eq!(bans[0]["surname"], PIA.0);
    assert_eq!(bans[0]["birth_date"], PIA.2);
    assert_eq!(
        bans[0]["incident_description"],
        "Struck another guest at the bar"
    );
    assert_eq!(bans[0]["hearing_statement"], "Says he was provoked");
    assert_eq!(bans[0]["category_code"], "geweld-licht");
    assert!(bans[0]["venue_name"].as_str().unwrap().contains("Kroon"));
    assert_eq!(bans[0]["notice"]["method"], "other");
    assert_eq!(bans[0]["notice"]["note"], "letter handed over");
    // Who read it when: the owner's read and list, the beheerder's search.
    let reads: Vec<(String, String, Option<String>)> = bans[0]["reads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["account"].as_str().unwrap().to_owned(),
                r["action"].as_str().unwrap().to_owned(),
                r["role"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let owner = format!("account:{owner_a_id}");
    let beheerder = format!("account:{beh_id}");
    assert_eq!(
        reads,
        vec![
            (
                owner.clone(),
                "ban.read".to_owned(),
                Some("owner".to_owned())
            ),
            (
                owner.clone(),
                "ban.list".to_owned(),
                Some("owner".to_owned())
            ),
            (
                beheerder.clone(),
                "ban.search".to_owned(),
                Some("beheerder".to_owned())
            ),
        ]
    );
    // Owner A's list did not return owner A2's ban.
    let a2_actions: Vec<String> = bans[1]["reads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(a2_actions, vec!["ban.search"]);
    // The export is itself a read naming exactly those bans.
    let events = app.events_after(before).await;
    assert_eq!(
        events,
        vec![
            (
                beheerder.clone(),
                "subject_request.export".into(),
                "subject_request".into(),
                request.to_string()
            ),
            (
                beheerder.clone(),
                "ban.export".into(),
                "bans".into(),
                format!("{at_a1},{at_a2}")
            ),
        ]
    );
    let (_, again) = app
        .get(&format!("/api/v1/subject-requests/{request}/export"), &beh)
        .await;
    let last = again["bans"][0]["reads"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "ban.export");
    assert!(app.verify_audit_chain().await.is_ok());
}

both!(every_read_names_the_bans_it_returned);
async fn every_read_names_the_bans_it_returned(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let ban = app
        .issue(&owner, ban_body(s.venue_a1, s.category_a, person(PIA)))
        .await;
    assert_eq!(
        indexed_events(&app, ban).await,
        vec![],
        "issuing returns no personal data"
    );
    app.get(&format!("/api/v1/bans/{ban}"), &owner).await;
    app.get("/api/v1/bans", &beh).await;
    app.post(
        "/api/v1/bans/search",
        &owner,
        json!({"person": person(PIA)}),
    )
    .await;
    let actions: Vec<String> = indexed_events(&app, ban)
        .await
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    assert_eq!(actions, vec!["ban.read", "ban.list", "ban.search"]);
    // Each indexed event lists the ban in its own (hash-covered) object id.
    for (seq, _) in indexed_events(&app, ban).await {
        let event = cho_server::storage::audit::event(app.db(), seq)
            .await
            .unwrap()
            .unwrap();
        assert!(
            event.object_id.split(',').any(|id| id == ban.to_string()),
            "{event:?}"
        );
    }
    // A search for someone else does not name Pia's ban.
    let before = indexed_events(&app, ban).await.len();
    app.post(
        "/api/v1/bans/search",
        &owner,
        json!({"person": manual("Bakker", "Bob", "1990-01-01")}),
    )
    .await;
    assert_eq!(indexed_events(&app, ban).await.len(), before);
}

both!(rectification_replaces_the_tokens_on_the_list);
async fn rectification_replaces_the_tokens_on_the_list(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let ban = app
        .issue(&owner, ban_body(s.venue_a1, s.category_a, person(PIA)))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut door = door_of(&app, s.area_a, dir.path()).await;
    let first = lists::publish(&app.app, s.area_a).await.unwrap();
    door.apply_update(
        snapshot(&app, s.area_a, first.version).await,
        app.app.clock.now(),
    )
    .unwrap();
    let corrected = (PIA.0, PIA.1, "1985-06-16");
    assert_eq!(check(&door, PIA, app.app.clock.now()), Verdict::Banned);

    // A rectification request must be of that kind, and the ban the
    // person's own.
    let (access, _) = register(&app, s.area_a, "access", person(PIA), true).await;
    assert_error(
        &app.post(
            &format!("/api/v1/subject-requests/{access}/rectify"),
            &beh,
            json!({"ban_id": ban, "birth_date": corrected.2}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    let (request, _) = register(&app, s.area_a, "rectification", person(PIA), true).await;
    assert_error(
        &app.post(
            &format!("/api/v1/subject-requests/{request}/rectify"),
            &beh,
            json!({"ban_id": s.demo_bans[0], "birth_date": corrected.2}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.post(
            &format!("/api/v1/subject-requests/{request}/rectify"),
            &beh,
            json!({"ban_id": ban, "birth_date": "2030-01-01"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    let tokens_before: Vec<Vec<u8>> = sqlx::query("SELECT token FROM ban_tokens WHERE ban_id = $1")
        .bind(ban)
        .fetch_all(app.db().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<Vec<u8>, _>("token"))
        .collect();
    let before = app.last_seq().await;
    assert_status(
        &app.post(
            &format!("/api/v1/subject-requests/{request}/rectify"),
            &beh,
            json!({"ban_id": ban, "birth_date": corrected.2}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let beh_id = app.account_id(BEHEERDER_A.0).await;
    assert_eq!(
        app.events_after(before).await,
        vec![
            (
                format!("account:{beh_id}"),
                "ban.rectify".into(),
                "ban".into(),
                ban.to_string()
            ),
            (
                format!("account:{beh_id}"),
                "subject_request.rectify".into(),
                "subject_request".into(),
                request.to_string()
            ),
        ]
    );
    let tokens_after: Vec<Vec<u8>> = sqlx::query("SELECT token FROM ban_tokens WHERE ban_id = $1")
        .bind(ban)
        .fetch_all(app.db().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<Vec<u8>, _>("token"))
        .collect();
    assert!(!tokens_after.is_empty());
    assert!(
        tokens_after.iter().all(|t| !tokens_before.contains(t)),
        "every old token is gone"
    );

    // The ban reads the corrected birth date; the next list bans the
    // corrected identity and no longer the old one.
    let (_, read) = app.get(&format!("/api/v1/bans/{ban}"), &beh).await;
    assert_eq!(read["person"]["birth_date"], corrected.2);
    assert_eq!(read["person"]["surname"], PIA.0);
    let next = lists::publish(&app.app, s.area_a).await.unwrap();
    assert!(next.new_version);
    door.apply_update(
        snapshot(&app, s.area_a, next.version).await,
        app.app.clock.now(),
    )
    .unwrap();
    assert_eq!(
        check(&door, corrected, app.app.clock.now()),
        Verdict::Banned
    );
    assert_eq!(check(&door, PIA, app.app.clock.now()), Verdict::NotBanned);
    assert!(app.verify_audit_chain().await.is_ok());
}

both!(erasure_leaves_only_counts);
async fn erasure_leaves_only_counts(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let ended = app
        .issue(&owner, ban_body(s.venue_a1, s.category_a, person(PIA)))
        .await;
    let running = app
        .issue(
            &owner,
            ban_body(s.venue_a1, s.category_a_weapons, person(PIA)),
        )
        .await;
    assert_status(
        &app.post(
            &format!("/api/v1/bans/{ended}/revoke"),
            &beh,
            json!({"reason": "overturned informally"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let (request, _) = register(&app, s.area_a, "erasure", person(PIA), true).await;
    // A running ban is kept while it runs.
    assert_error(
        &app.post(
            &format!("/api/v1/subject-requests/{request}/erase"),
            &beh,
            json!({"ban_id": running}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    // Someone else's ban is not this request's.
    assert_error(
        &app.post(
            &format!("/api/v1/subject-requests/{request}/erase"),
            &beh,
            json!({"ban_id": s.demo_bans[0]}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let counted = |app: &TestApp, category: i64| {
        let pool = app.db().pool().clone();
        async move {
            sqlx::query("SELECT CAST(COALESCE(SUM(bans), 0) AS BIGINT) AS n FROM ban_counts WHERE area_id = $1 AND category_id = $2 AND month = '2026-11' AND figure = 'issued'")
                .bind(s.area_a)
                .bind(category)
                .fetch_one(&pool)
                .await
                .unwrap()
                .get::<i64, _>("n")
        }
    };
    assert_eq!(counted(&app, s.category_a).await, 0);
    assert_status(
        &app.post(
            &format!("/api/v1/subject-requests/{request}/erase"),
            &beh,
            json!({"ban_id": ended}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(
        ban_exists(&app, ended).await,
        (0, 0),
        "gone at once, with its tokens"
    );
    assert_eq!(ban_exists(&app, running).await.0, 1);
    assert_eq!(
        counted(&app, s.category_a).await,
        1,
        "an anonymous count remains"
    );
    // Nothing stored names the erased ban's data any more but the audit
    // trail's ids.
    assert_error(
        &app.get(&format!("/api/v1/bans/{ended}"), &beh).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_status(
        &app.post(
            &format!("/api/v1/subject-requests/{request}/complete"),
            &beh,
            json!(null),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert!(app.verify_audit_chain().await.is_ok());
}

both!(an_open_request_keeps_its_bans_and_a_purged_one_keeps_only_kind_dates_outcome);
async fn an_open_request_keeps_its_bans_and_a_purged_one_keeps_only_kind_dates_outcome(
    app: TestApp,
) {
    let s = app.seed().await;
    set_retention(&app, s.area_a, 0).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let ban = app
        .issue(
            &owner,
            with(
                ban_body(s.venue_a1, s.category_a, person(PIA)),
                "ends_on",
                json!("2026-11-29"),
            ),
        )
        .await;
    let (request, _) = register(&app, s.area_a, "access", person(PIA), true).await;
    assert_status(
        &app.post(
            &format!("/api/v1/subject-requests/{request}/extension"),
            &beh,
            json!({"months": 1, "reason": "Pia asked for the paper copy", "told_on": "2026-11-28"}),
        )
        .await,
        StatusCode::OK,
    );

    // The ban ended and retention is 0: it would go, but the request is open.
    app.advance_days(2);
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    assert_eq!(purge(&app.app).await.unwrap().bans_purged, 0);
    assert_eq!(ban_exists(&app, ban).await.0, 1);
    assert_status(
        &app.get(&format!("/api/v1/subject-requests/{request}/export"), &beh)
            .await,
        StatusCode::OK,
    );
    assert_status(
        &app.post(
            &format!("/api/v1/subject-requests/{request}/complete"),
            &beh,
            json!(null),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    // Closed: the ban goes; the request keeps its data through its day.
    let report = purge(&app.app).await.unwrap();
    assert_eq!((report.bans_purged, report.requests_purged), (1, 0));
    assert_eq!(ban_exists(&app, ban).await, (0, 0));
    app.advance_days(1);
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    assert_eq!(purge(&app.app).await.unwrap().requests_purged, 1);
    assert_eq!(purge(&app.app).await.unwrap().requests_purged, 0, "once");

    let row = sqlx::query("SELECT kind, received_on, due_on, extended_to, status, closed_on, person, identity_note, extension_reason, refusal_reason FROM subject_requests WHERE id = $1")
        .bind(request)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("kind"), "access");
    assert_eq!(row.get::<String, _>("received_on"), "2026-11-28");
    assert_eq!(row.get::<String, _>("due_on"), "2026-12-28");
    assert_eq!(
        row.get::<Option<String>, _>("extended_to").as_deref(),
        Some("2027-01-28")
    );
    assert_eq!(row.get::<String, _>("status"), "completed");
    assert_eq!(
        row.get::<Option<String>, _>("closed_on").as_deref(),
        Some("2026-11-30")
    );
    for column in [
        "person",
        "identity_note",
        "extension_reason",
        "refusal_reason",
    ] {
        assert_eq!(row.get::<Option<Vec<u8>>, _>(column), None, "{column}");
    }
    let (status, detail) = app
        .get(&format!("/api/v1/subject-requests/{request}"), &beh)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["requester"], Value::Null);
    assert_eq!(detail["status"], "completed");
    assert_eq!(
        app.count("subject_request_bans").await,
        0,
        "no link to any ban survives"
    );
    assert!(app.verify_audit_chain().await.is_ok());
}

both!(the_register_holds_no_name_in_the_clear);
async fn the_register_holds_no_name_in_the_clear(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let (status, answer) = app
        .post(
            &format!("/api/v1/areas/{}/subject-requests", s.area_a),
            &beh,
            json!({"kind": "objection", "received_on": "2026-11-28", "person": {"mrz": de_bruijn_mrz()},
                   "identity_check": "other", "identity_note": "Zwaantje called from her sister's phone"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let request = answer["id"].as_i64().unwrap();
    assert_status(
        &app.post(
            &format!("/api/v1/subject-requests/{request}/refuse"),
            &beh,
            json!({"reason": "Zwaantje withdrew"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    for (table, value) in app.all_stored_values().await {
        let text = String::from_utf8_lossy(&value);
        for needle in [
            "BRUIJN",
            "Bruijn",
            "WILLEKE",
            "Willeke",
            "1965-03-10",
            "Zwaantje",
        ] {
            assert!(
                !text.contains(needle),
                "{table} holds {needle} in the clear"
            );
        }
    }
    let (_, detail) = app
        .get(&format!("/api/v1/subject-requests/{request}"), &beh)
        .await;
    assert_eq!(detail["requester"]["birth_date"], "1965-03-10");
    assert_eq!(detail["identity_check"], "other");
    assert_eq!(
        detail["identity_note"],
        "Zwaantje called from her sister's phone"
    );
    assert_eq!(detail["refusal_reason"], "Zwaantje withdrew");
}

both!(only_the_areas_beheerder_handles_requests);
async fn only_the_areas_beheerder_handles_requests(app: TestApp) {
    let s = app.seed().await;
    let (request, _) = register(&app, s.area_a, "access", person(PIA), true).await;
    let beh_b = app.login(BEHEERDER_B.0, BEHEERDER_B.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let missing = 999_999;
    let paths: [fn(i64) -> String; 2] = [
        |id| format!("/api/v1/subject-requests/{id}"),
        |id| format!("/api/v1/subject-requests/{id}/export"),
    ];
    for path in paths {
        // Another area's beheerder: exactly like a missing request.
        let out = app.get(&path(request), &beh_b).await;
        let absent = app.get(&path(missing), &beh_b).await;
        let path = path(request);
        assert_error(&out, StatusCode::NOT_FOUND, "not_found");
        assert_eq!(out, absent);
        for token in [&owner, &op] {
            assert_error(
                &app.get(&path, token).await,
                StatusCode::FORBIDDEN,
                "forbidden",
            );
        }
    }
    assert_error(
        &app.post(
            &format!("/api/v1/areas/{}/subject-requests", s.area_a),
            &owner,
            json!({"kind": "access", "received_on": "2026-11-28", "person": person(PIA)}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}
