//! Four-eyes (issue 9 item 5), repeat offences and breach (item 6), and the
//! repeat rule's look-back against the retention (item 8).

use axum::http::StatusCode;
use cho_core::checker::{Door, Verdict};
use cho_core::list_format::ListSigner;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;
use cho_server::services::lists;

/// A door of `area`, as in lists.rs.
async fn door_of(app: &TestApp, area: i64, dir: &std::path::Path) -> Door {
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

/// Publishes area's list, hands the latest snapshot to the door, and
/// returns the door's verdict on `who`.
async fn door_says(app: &TestApp, area: i64, door: &mut Door, who: (&str, &str, &str)) -> Verdict {
    let published = lists::publish(&app.app, area).await.unwrap();
    let snapshot = cho_server::storage::lists::snapshot(app.db(), area, published.version)
        .await
        .unwrap()
        .unwrap();
    door.apply_update(snapshot, app.app.clock.now()).unwrap();
    door.check_manual(who.0, who.1, who.2, app.app.clock.now())
        .unwrap()
        .verdict
}

const SMIT: (&str, &str, &str) = ("Smit", "Anna Maria", "1990-04-04");
const BAKKER: (&str, &str, &str) = ("Bakker", "Jan", "1985-06-07");

fn person(p: (&str, &str, &str)) -> Value {
    manual(p.0, p.1, p.2)
}

fn protocol(retention: i64, extra: Value) -> Value {
    let mut body = json!({"complaint_window_days": 14, "retention_days": retention, "max_list_age_seconds": 86400});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

async fn set_protocol(app: &TestApp, beh: &str, area: i64, body: Value) {
    let answer = app
        .put(&format!("/api/v1/areas/{area}/protocol"), beh, body)
        .await;
    assert_eq!(answer.0, StatusCode::NO_CONTENT, "{}", answer.1);
}

both!(four_eyes_off_keeps_todays_behaviour);
async fn four_eyes_off_keeps_todays_behaviour(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let (status, rules) = app
        .get(&format!("/api/v1/areas/{}/review-rules", s.area_a), &owner)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        rules,
        json!({"four_eyes": false, "repeat_rules": {"breach_days": null, "repeat_count": null, "lookback_days": 0}})
    );
    // Today's callers (no four-eyes fields) keep working.
    set_protocol(&app, &beh, s.area_a, protocol(0, json!({}))).await;
    let (status, ban) = app
        .post(
            "/api/v1/bans",
            &owner,
            ban_body(s.venue_a1, s.category_a, person(SMIT)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ban}");
    assert_eq!(ban["status"], "active");
    assert_eq!(ban["repeat"], Value::Null);
    assert_eq!(ban["on_behalf"], false);
    let dir = tempfile::tempdir().unwrap();
    let mut door = door_of(&app, s.area_a, dir.path()).await;
    assert_eq!(
        door_says(&app, s.area_a, &mut door, SMIT).await,
        Verdict::Banned
    );
}

both!(a_requested_ban_is_on_no_list_until_approved);
async fn a_requested_ban_is_on_no_list_until_approved(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let beh_b = app.login(BEHEERDER_B.0, BEHEERDER_B.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let owner2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    set_protocol(
        &app,
        &beh,
        s.area_a,
        protocol(0, json!({"four_eyes": true})),
    )
    .await;
    // A later PUT without the field keeps four-eyes on.
    set_protocol(&app, &beh, s.area_a, protocol(0, json!({}))).await;

    let dir = tempfile::tempdir().unwrap();
    let mut door = door_of(&app, s.area_a, dir.path()).await;
    let (status, ban) = app
        .post(
            "/api/v1/bans",
            &owner,
            ban_body(s.venue_a1, s.category_a, person(SMIT)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ban}");
    assert_eq!(ban["status"], "requested");
    let id = ban["id"].as_i64().unwrap();
    let requested_days = 182;
    assert_eq!(
        door_says(&app, s.area_a, &mut door, SMIT).await,
        Verdict::NotBanned
    );
    // The owner sees the state.
    let (_, list) = app.get("/api/v1/bans?status=requested", &owner).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id);

    // Only the area's beheerder decides: the owner is refused (403), the
    // other venue's owner and another area's beheerder find nothing.
    let approve = format!("/api/v1/bans/{id}/approve");
    assert_error(
        &app.post(&approve, &owner, json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &app.post(&approve, &owner2, json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &app.post(&approve, &beh_b, json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.post(
            &format!("/api/v1/bans/{id}/reject"),
            &beh_b,
            json!({"reason": "no"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Approved three days later: active from the approval, with its
    // duration, and on the next list.
    app.advance_days(3);
    // Sessions do not outlive three days: sign in again.
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let seq = app.last_seq().await;
    let (status, body) = app.post(&approve, &beh, json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let events = app.events_after(seq).await;
    assert!(
        events
            .iter()
            .any(|e| e.1 == "ban.approve" && e.3 == id.to_string()),
        "{events:?}"
    );
    let (_, ban) = app.get(&format!("/api/v1/bans/{id}"), &owner).await;
    assert_eq!(ban["status"], "active");
    assert_eq!(ban["starts_on"], "2026-12-01");
    let starts = cho_core::dates::parse_iso_date(ban["starts_on"].as_str().unwrap(), "s").unwrap();
    let ends = cho_core::dates::parse_iso_date(ban["ends_on"].as_str().unwrap(), "e").unwrap();
    assert_eq!((ends - starts).whole_days() + 1, requested_days);
    assert_eq!(
        door_says(&app, s.area_a, &mut door, SMIT).await,
        Verdict::Banned
    );
    // Approved once: a second decision is a conflict.
    assert_error(
        &app.post(&approve, &beh, json!({})).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    app.verify_audit_chain().await.unwrap();
}

both!(a_rejected_ban_never_reaches_a_list);
async fn a_rejected_ban_never_reaches_a_list(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    set_protocol(
        &app,
        &beh,
        s.area_a,
        protocol(0, json!({"four_eyes": true})),
    )
    .await;
    let id = app
        .issue(&owner, ban_body(s.venue_a1, s.category_a, person(BAKKER)))
        .await;
    let reject = format!("/api/v1/bans/{id}/reject");
    assert_error(
        &app.post(&reject, &owner, json!({"reason": "mine"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &app.post(&reject, &beh, json!({"reason": "  "})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ban_rule",
    );
    let reason = "Camera images show Mr Bakker was not involved";
    let seq = app.last_seq().await;
    let (status, body) = app.post(&reject, &beh, json!({"reason": reason})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(
        app.events_after(seq)
            .await
            .iter()
            .any(|e| e.1 == "ban.reject" && e.3 == id.to_string())
    );
    // The owner sees "rejected" with the reason; it is sealed at rest.
    let (_, ban) = app.get(&format!("/api/v1/bans/{id}"), &owner).await;
    assert_eq!(ban["status"], "rejected");
    assert_eq!(ban["status_reason"], reason);
    for (column, value) in app.all_stored_values().await {
        assert!(
            !contains(&value, "not involved"),
            "{column} holds the reason"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let mut door = door_of(&app, s.area_a, dir.path()).await;
    assert_eq!(
        door_says(&app, s.area_a, &mut door, BAKKER).await,
        Verdict::NotBanned
    );
    // Never approved afterwards, never revoked (it never held).
    assert_error(
        &app.post(&format!("/api/v1/bans/{id}/approve"), &beh, json!({}))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_error(
        &app.post(
            &format!("/api/v1/bans/{id}/revoke"),
            &beh,
            json!({"reason": "x"}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    app.advance_days(400);
    assert_eq!(
        door_says(&app, s.area_a, &mut door, BAKKER).await,
        Verdict::NotBanned
    );
}

both!(the_beheerder_records_a_ban_on_the_owners_instruction);
async fn the_beheerder_records_a_ban_on_the_owners_instruction(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    set_protocol(
        &app,
        &beh,
        s.area_a,
        protocol(0, json!({"four_eyes": true})),
    )
    .await;
    let seq = app.last_seq().await;
    let (status, ban) = app
        .post(
            "/api/v1/bans",
            &beh,
            ban_body(s.venue_a1, s.category_a, person(SMIT)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ban}");
    // Active at once even under four-eyes: the beheerder is the second pair.
    assert_eq!(ban["status"], "active");
    assert_eq!(ban["on_behalf"], true);
    assert_eq!(ban["venue_id"], s.venue_a1);
    let id = ban["id"].as_i64().unwrap();
    let events = app.events_after(seq).await;
    assert!(
        events
            .iter()
            .any(|e| e.1 == "ban.issue_on_behalf" && e.3 == id.to_string()),
        "{events:?}"
    );
    // The venue's owner sees it among their bans.
    let (_, list) = app.get("/api/v1/bans", &owner).await;
    assert!(list.as_array().unwrap().iter().any(|b| b["id"] == id));
    // Not for a venue of another area.
    assert_error(
        &app.post(
            "/api/v1/bans",
            &beh,
            ban_body(s.venue_b, s.category_b, person(SMIT)),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

both!(a_breach_of_a_running_ban_gets_the_protocols_duration);
async fn a_breach_of_a_running_ban_gets_the_protocols_duration(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    set_protocol(
        &app,
        &beh,
        s.area_a,
        protocol(0, json!({"repeat_rules": {"breach_days": 365}})),
    )
    .await;
    // Jansen has a running ban from venue A1 (the demo's); owner A2 bans
    // him for an incident last night: a breach.
    let jansen = DEMO_PEOPLE[0];
    let (status, ban) = app
        .post(
            "/api/v1/bans",
            &owner2,
            ban_body(s.venue_a2, s.category_a, person(jansen)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ban}");
    assert_eq!(ban["repeat"], json!({"rule": "breach", "days": 365}));
    assert_eq!(ban["starts_on"], "2026-11-28");
    assert_eq!(ban["ends_on"], "2027-11-27");
    // The owner learns the outcome only: nothing of the other venue's ban.
    let text = ban.to_string();
    assert_eq!(ban["related_bans"], Value::Null);
    assert!(
        !text.contains(&format!("\"venue_id\":{}", s.venue_a1)),
        "{text}"
    );
    assert!(!text.contains("Kroon"), "{text}");
    let new_id = ban["id"].as_i64().unwrap();
    let (_, read) = app.get(&format!("/api/v1/bans/{new_id}"), &owner2).await;
    assert_eq!(read["repeat"], json!({"rule": "breach", "days": 365}));
    assert_eq!(read["related_bans"], Value::Null);
    // The earlier ban stays out of owner A2's reach.
    assert_error(
        &app.get(&format!("/api/v1/bans/{}", s.demo_bans[0]), &owner2)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // The beheerder sees both bans and the rule applied.
    let (_, read) = app.get(&format!("/api/v1/bans/{new_id}"), &beh).await;
    assert_eq!(read["repeat"]["rule"], "breach");
    assert!(
        read["related_bans"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ban_id"] == s.demo_bans[0] && r["match"] == "same_person"),
        "{read}"
    );
    // Someone else at the same time: no rule.
    let (_, other) = app
        .post(
            "/api/v1/bans",
            &owner2,
            ban_body(s.venue_a2, s.category_a, person(SMIT)),
        )
        .await;
    assert_eq!(other["repeat"], Value::Null);
}

both!(the_kth_ban_gets_the_category_maximum);
async fn the_kth_ban_gets_the_category_maximum(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    set_protocol(
        &app,
        &beh,
        s.area_a,
        protocol(
            30,
            json!({"repeat_rules": {"repeat_count": 2, "lookback_days": 30}}),
        ),
    )
    .await;
    // A first ban (category default 182 days): no rule.
    let short = with(
        ban_body(s.venue_a1, s.category_a, person(SMIT)),
        "ends_on",
        json!("2026-12-07"),
    );
    let (_, first) = app.post("/api/v1/bans", &owner, short).await;
    assert_eq!(first["repeat"], Value::Null, "{first}");
    // It ended; 20 days after its end (inside the 30-day look-back) the
    // second ban gets the category's maximum (365).
    app.advance_days(29);
    let owner2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let body = with(
        ban_body(s.venue_a2, s.category_a, person(SMIT)),
        "incident_at",
        json!("2026-12-27T01:30:00+01:00"),
    );
    let body = with(body, "notification", Value::Null);
    let (status, second) = app.post("/api/v1/bans", &owner2, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["repeat"], json!({"rule": "repeat", "days": 365}));
    // A revoked ban does not count: revoke the second, then after the
    // look-back the first no longer counts either.
    let second_id = second["id"].as_i64().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/v1/bans/{second_id}/revoke"),
            &owner2,
            json!({"reason": "error"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    app.advance_days(15);
    let owner2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let body = with(body, "incident_at", json!("2027-01-11T01:30:00+01:00"));
    let (_, third) = app.post("/api/v1/bans", &owner2, body).await;
    assert_eq!(third["repeat"], Value::Null, "{third}");
}

both!(a_lookback_beyond_the_retention_is_refused);
async fn a_lookback_beyond_the_retention_is_refused(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let answer = app
        .put(
            &format!("/api/v1/areas/{}/protocol", s.area_a),
            &beh,
            protocol(
                0,
                json!({"repeat_rules": {"repeat_count": 3, "lookback_days": 730}}),
            ),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "protocol_rule");
    let message = answer.1["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
        + answer.1["message"].as_str().unwrap_or_default();
    assert!(message.contains("look-back (730 days)"), "{}", answer.1);
    assert!(message.contains("retention (0 days)"), "{}", answer.1);
    // Within the retention: accepted; lowering the retention below it
    // afterwards is refused too.
    set_protocol(
        &app,
        &beh,
        s.area_a,
        protocol(
            90,
            json!({"repeat_rules": {"repeat_count": 3, "lookback_days": 90}}),
        ),
    )
    .await;
    assert_error(
        &app.put(
            &format!("/api/v1/areas/{}/protocol", s.area_a),
            &beh,
            protocol(30, json!({})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "protocol_rule",
    );
    let (_, rules) = app
        .get(&format!("/api/v1/areas/{}/review-rules", s.area_a), &beh)
        .await;
    assert_eq!(rules["repeat_rules"]["lookback_days"], 90);
    // Out of range values say so.
    assert_error(
        &app.put(
            &format!("/api/v1/areas/{}/protocol", s.area_a),
            &beh,
            protocol(90, json!({"repeat_rules": {"breach_days": 800}})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "protocol_rule",
    );
}

/// The ban's period in days.
fn days_of(ban: &Value) -> i64 {
    let starts = cho_core::dates::parse_iso_date(ban["starts_on"].as_str().unwrap(), "s").unwrap();
    let ends = cho_core::dates::parse_iso_date(ban["ends_on"].as_str().unwrap(), "e").unwrap();
    (ends - starts).whole_days() + 1
}

/// Posts a ban; answers its body (status 201 asserted).
async fn request(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, ban) = app.post("/api/v1/bans", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{ban}");
    ban
}

async fn approve(app: &TestApp, beh: &str, id: i64) {
    let (status, body) = app
        .post(&format!("/api/v1/bans/{id}/approve"), beh, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

both!(a_ban_approved_later_gets_the_repeat_rule_as_of_its_approval);
/// Four-eyes and the repeat rule: the rule is applied again at approval.
/// Two requests for the same person wait together; once the first is
/// approved it stands, so the second, approved after it, is the second
/// ban and gets the category's maximum (it was requested without a rule).
async fn a_ban_approved_later_gets_the_repeat_rule_as_of_its_approval(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let owner2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    set_protocol(
        &app,
        &beh,
        s.area_a,
        protocol(
            30,
            json!({"four_eyes": true, "repeat_rules": {"repeat_count": 2, "lookback_days": 30}}),
        ),
    )
    .await;
    let first = request(
        &app,
        &owner,
        ban_body(s.venue_a1, s.category_a, person(SMIT)),
    )
    .await;
    let second = request(
        &app,
        &owner2,
        ban_body(s.venue_a2, s.category_a, person(SMIT)),
    )
    .await;
    // Neither stands yet: no rule at the request.
    assert_eq!(first["status"], "requested", "{first}");
    assert_eq!(second["repeat"], Value::Null, "{second}");
    assert_eq!(days_of(&second), 182);
    approve(&app, &beh, first["id"].as_i64().unwrap()).await;
    let second_id = second["id"].as_i64().unwrap();
    app.advance_days(2);
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    approve(&app, &beh, second_id).await;
    let (_, approved) = app.get(&format!("/api/v1/bans/{second_id}"), &beh).await;
    assert_eq!(approved["status"], "active");
    assert_eq!(approved["starts_on"], "2026-11-30", "starts at approval");
    assert_eq!(approved["repeat"], json!({"rule": "repeat", "days": 365}));
    assert_eq!(days_of(&approved), 365);
}

both!(a_breach_that_no_longer_stands_at_approval_sets_no_period);
/// The other way: a request lengthened by the breach rule, whose running
/// ban is revoked before the approval, is approved with the category's
/// default duration and no rule.
async fn a_breach_that_no_longer_stands_at_approval_sets_no_period(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    set_protocol(
        &app,
        &beh,
        s.area_a,
        protocol(
            0,
            json!({"four_eyes": true, "repeat_rules": {"breach_days": 365}}),
        ),
    )
    .await;
    let jansen = DEMO_PEOPLE[0];
    let requested = request(
        &app,
        &owner2,
        ban_body(s.venue_a2, s.category_a, person(jansen)),
    )
    .await;
    assert_eq!(requested["status"], "requested", "{requested}");
    assert_eq!(requested["repeat"], json!({"rule": "breach", "days": 365}));
    // The running ban turns out unfounded and is revoked.
    let (status, body) = app
        .post(
            &format!("/api/v1/bans/{}/revoke", s.demo_bans[0]),
            &beh,
            json!({"reason": "mistaken identity"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let id = requested["id"].as_i64().unwrap();
    approve(&app, &beh, id).await;
    let (_, approved) = app.get(&format!("/api/v1/bans/{id}"), &beh).await;
    assert_eq!(approved["repeat"], Value::Null, "{approved}");
    assert_eq!(days_of(&approved), 182, "the category's default");
}

both!(a_request_nobody_decides_is_deleted_thirty_days_after_it_was_made);
/// Four-eyes retention: a request never approved or rejected is purged
/// `UNDECIDED_REQUEST_DAYS` (30) after it was made, with its tokens, and
/// counts nothing; no list is renewed for it (it was on none). A request
/// approved in time is an ordinary ban.
async fn a_request_nobody_decides_is_deleted_thirty_days_after_it_was_made(app: TestApp) {
    use cho_server::services::retention::purge;
    assert_eq!(
        cho_server::domain::repeat::UNDECIDED_REQUEST_DAYS,
        30,
        "the README says 30 days"
    );
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    set_protocol(
        &app,
        &beh,
        s.area_a,
        protocol(0, json!({"four_eyes": true})),
    )
    .await;
    let waiting = request(
        &app,
        &owner,
        ban_body(s.venue_a1, s.category_a, person(SMIT)),
    )
    .await;
    let decided = request(
        &app,
        &owner,
        ban_body(s.venue_a1, s.category_a, person(BAKKER)),
    )
    .await;
    let waiting = waiting["id"].as_i64().unwrap();
    let decided = decided["id"].as_i64().unwrap();
    approve(&app, &beh, decided).await;
    let stored = |id: i64| {
        let app = &app;
        async move {
            let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM bans WHERE id = $1")
                .bind(id)
                .fetch_one(app.db().pool())
                .await
                .unwrap()
                .get("n");
            let t: i64 = sqlx::query("SELECT COUNT(*) AS n FROM ban_tokens WHERE ban_id = $1")
                .bind(id)
                .fetch_one(app.db().pool())
                .await
                .unwrap()
                .get("n");
            (n, t > 0)
        }
    };
    let versions = || async {
        sqlx::query("SELECT COUNT(*) AS n FROM list_versions WHERE area_id = $1")
            .bind(s.area_a)
            .fetch_one(app.db().pool())
            .await
            .unwrap()
            .get::<i64, _>("n")
    };
    app.advance_days(29);
    purge(&app.app).await.unwrap();
    assert_eq!(stored(waiting).await, (1, true), "29 days: kept");
    let before = versions().await;
    app.advance_days(1);
    let seq = app.last_seq().await;
    let report = purge(&app.app).await.unwrap();
    assert_eq!(report.bans_purged, 1);
    assert_eq!(stored(waiting).await, (0, false), "30 days: gone");
    assert_eq!(
        stored(decided).await,
        (1, true),
        "approved: an ordinary ban"
    );
    assert_eq!(versions().await, before, "no list renewed for a request");
    let events = app.events_after(seq).await;
    assert!(
        events
            .iter()
            .any(|e| e.1 == "ban.purge" && e.3 == waiting.to_string()),
        "{events:?}"
    );
    // It counts nothing (never issued): no anonymous count was added.
    let counts: i64 = sqlx::query("SELECT COUNT(*) AS n FROM ban_counts")
        .fetch_one(app.db().pool())
        .await
        .unwrap()
        .get("n");
    assert_eq!(counts, 0);
    app.verify_audit_chain().await.unwrap();
}
