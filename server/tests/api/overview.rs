//! The overviews: the owner's dashboard, the area overview and the
//! operator's overview, each in scope.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

/// Enrols a door phone at `venue` as `owner`; returns its id.
async fn enrol(app: &TestApp, owner: (&str, &str), venue: i64, name: &str) -> i64 {
    let actor =
        cho_server::services::auth::authenticate(&app.app, &app.login(owner.0, owner.1).await)
            .await
            .unwrap();
    let code = cho_server::services::devices::create_code(&app.app, &actor, venue, name)
        .await
        .unwrap();
    cho_server::services::devices::enrol(&app.app, DEFAULT_PEER.ip(), &code.code)
        .await
        .unwrap()
        .device_id
}

async fn get_ok(app: &TestApp, path: &str, who: (&str, &str)) -> Value {
    let token = app.login(who.0, who.1).await;
    let (status, body) = app.get(path, &token).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

both!(an_owner_sees_their_venues_bans_phones_and_the_list);
async fn an_owner_sees_their_venues_bans_phones_and_the_list(app: TestApp) {
    let s = app.seed().await;
    let front = enrol(&app, OWNER_A, s.venue_a1, "Voordeur").await;
    enrol(&app, OWNER_A2, s.venue_a2, "Fabriek deur").await;
    let published = cho_server::services::lists::publish(&app.app, s.area_a)
        .await
        .unwrap();
    app.clock.advance(600);

    let body = get_ok(&app, "/api/v1/dashboard", OWNER_A).await;
    assert_eq!(body["area_id"], s.area_a);
    assert_eq!(body["area_name"], "Binnenstad Zwolle");
    assert_eq!(body["today"], "2026-11-28");
    assert_eq!(body["permit_valid_today"], true);
    assert_eq!(body["venues"].as_array().unwrap().len(), 1);
    assert_eq!(body["venues"][0]["id"], s.venue_a1);
    assert_eq!(body["venues"][0]["name"], "Café De Kroon");
    assert_eq!(body["venues"][0]["admission"], "admitted");
    assert_eq!(body["venues"][0]["active_bans"], 2);
    assert_eq!(body["active_bans"], 2);
    let devices = body["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "only the phones of the owner's venue");
    assert_eq!(devices[0]["id"], front);
    assert_eq!(devices[0]["name"], "Voordeur");
    assert_eq!(devices[0]["venue_name"], "Café De Kroon");
    assert_eq!(devices[0]["revoked"], false);
    assert_eq!(devices[0]["enrolled_at"], START);
    assert_eq!(devices[0]["last_sync_at"], Value::Null);
    assert_eq!(body["list"]["version"], published.version);
    assert_eq!(body["list"]["age_seconds"], 600);
    assert_eq!(body["list"]["outdated"], false);

    let other = get_ok(&app, "/api/v1/dashboard", OWNER_A2).await;
    assert_eq!(other["venues"][0]["id"], s.venue_a2);
    assert_eq!(other["active_bans"], 1);
    assert_eq!(other["devices"][0]["name"], "Fabriek deur");

    // A day and a half later the list is older than its maximum age.
    app.clock.advance(36 * 3600);
    let body = get_ok(&app, "/api/v1/dashboard", OWNER_A).await;
    assert_eq!(body["list"]["outdated"], true);
    assert_eq!(body["devices"][0]["stale"], true);

    for who in [OPERATOR, BEHEERDER_A] {
        let token = app.login(who.0, who.1).await;
        assert_error(
            &app.get("/api/v1/dashboard", &token).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
}

both!(the_area_overview_warns_of_the_permit_and_stale_phones);
async fn the_area_overview_warns_of_the_permit_and_stale_phones(app: TestApp) {
    let s = app.seed().await;
    let path = format!("/api/v1/areas/{}/overview", s.area_a);
    let body = get_ok(&app, &path, BEHEERDER_A).await;
    assert_eq!(body["area_name"], "Binnenstad Zwolle");
    assert_eq!(body["municipality_name"], "Zwolle");
    assert_eq!(body["permit"]["reference"], "AP z2025-04711");
    assert_eq!(body["permit"]["valid_today"], true);
    assert_eq!(body["permit"]["expires_soon"], false);
    assert_eq!(body["active_bans"], 3);
    assert_eq!(body["venues"].as_array().unwrap().len(), 2);
    assert_eq!(
        body["devices"],
        json!({"active": 0, "revoked": 0, "stale": 0})
    );
    assert_eq!(body["list"], Value::Null, "nothing published yet");

    // A permit expiring in 89 days is flagged (an AP renewal takes about
    // three months: the warning starts 90 days ahead); one past is expired.
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let permit = |expires: &str| json!({"reference": "AP z2026-1", "granted_on": "2025-01-01", "expires_on": expires});
    assert_status(
        &app.put(
            &format!("/api/v1/areas/{}/permit", s.area_a),
            &beh,
            permit("2027-02-25"),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let body = get_ok(&app, &path, BEHEERDER_A).await;
    assert_eq!(body["permit"]["days_until_expiry"], 89);
    assert_eq!(body["permit"]["expires_soon"], true);
    assert_eq!(body["permit"]["expired"], false);

    // Phones: one revoked, one never synced for longer than the maximum
    // list age (a day by default).
    let a = enrol(&app, OWNER_A, s.venue_a1, "Voordeur").await;
    let b = enrol(&app, OWNER_A, s.venue_a1, "Achterdeur").await;
    assert_status(
        &app.request(
            "POST",
            &format!("/api/v1/devices/{b}/revoke"),
            Some(&beh),
            None,
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let body = get_ok(&app, &path, BEHEERDER_A).await;
    assert_eq!(
        body["devices"],
        json!({"active": 1, "revoked": 1, "stale": 0})
    );
    app.clock.advance(DAY + 1);
    let body = get_ok(&app, &path, BEHEERDER_A).await;
    assert_eq!(
        body["devices"],
        json!({"active": 1, "revoked": 1, "stale": 1})
    );
    assert_eq!(body["stale_devices"][0]["id"], a);

    // A withdrawn venue shows as withdrawn.
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    assert_status(
        &app.put(
            &format!("/api/v1/venues/{}/admission", s.venue_a2),
            &beh,
            json!({"admitted_on": s.admitted_on, "withdrawn_on": "2026-11-29"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let body = get_ok(&app, &path, BEHEERDER_A).await;
    assert_eq!(body["venues"][1]["admission"], "withdrawn");

    // The operator sees the same figures, and no person's data.
    let op_view = get_ok(&app, &path, OPERATOR).await;
    assert_eq!(op_view["active_bans"], 3);
    let text = op_view.to_string();
    for (surname, given, birth) in DEMO_PEOPLE {
        assert!(!text.contains(surname) && !text.contains(given) && !text.contains(birth));
    }
    app.clock.advance(100 * DAY);
    let body = get_ok(&app, &path, BEHEERDER_A).await;
    assert_eq!(body["permit"]["expired"], true);
    assert_eq!(body["permit"]["valid_today"], false);
}

both!(the_operator_sees_municipalities_areas_and_beheerders);
async fn the_operator_sees_municipalities_areas_and_beheerders(app: TestApp) {
    let s = app.seed().await;
    let body = get_ok(&app, "/api/v1/operator/overview", OPERATOR).await;
    let municipalities = body["municipalities"].as_array().unwrap();
    assert_eq!(municipalities.len(), 2);
    assert_eq!(municipalities[0]["id"], s.municipality_a);
    assert_eq!(municipalities[0]["name"], "Zwolle");
    let area = &municipalities[0]["areas"][0];
    assert_eq!(area["id"], s.area_a);
    assert_eq!(area["permit_valid_today"], true);
    assert_eq!(
        area["beheerders"],
        json!([{"id": app.account_id(BEHEERDER_A.0).await, "username": BEHEERDER_A.0, "disabled": false}])
    );
    assert_eq!(municipalities[1]["areas"][0]["id"], s.area_b);
    assert_eq!(
        municipalities[1]["areas"][0]["beheerders"][0]["username"],
        BEHEERDER_B.0
    );
    let text = body.to_string();
    assert!(!text.contains(OWNER_A.0), "no owner accounts: {text}");
    for (surname, given, birth) in DEMO_PEOPLE {
        assert!(!text.contains(surname) && !text.contains(given) && !text.contains(birth));
    }
}

both!(the_beheerder_and_the_municipality_are_warned_of_a_permit_on_the_same_day);
/// "Permit expires soon" is one rule (`Permit::expires_soon`, 90 days):
/// the beheerder's overview and the municipality's view flag the same
/// permits, at both sides of the boundary.
async fn the_beheerder_and_the_municipality_are_warned_of_a_permit_on_the_same_day(app: TestApp) {
    let s = app.seed().await;
    app.municipality_account(s.municipality_a).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let municipality = app.login(MUNICIPALITY_A.0, MUNICIPALITY_A.1).await;
    let path = format!("/api/v1/areas/{}/overview", s.area_a);
    // Today is 2026-11-28: 2027-02-26 is 90 days away, 2027-02-27 91.
    for (expires, days, soon) in [
        ("2027-02-27", 91, false),
        ("2027-02-26", 90, true),
        ("2027-01-27", 60, true),
        ("2026-12-28", 30, true),
    ] {
        assert_status(
            &app.put(
                &format!("/api/v1/areas/{}/permit", s.area_a),
                &beh,
                json!({"reference": "AP z2026-1", "granted_on": "2025-01-01", "expires_on": expires}),
            )
            .await,
            StatusCode::NO_CONTENT,
        );
        let overview = get_ok(&app, &path, BEHEERDER_A).await;
        assert_eq!(overview["permit"]["days_until_expiry"], days, "{expires}");
        assert_eq!(overview["permit"]["expires_soon"], soon, "{expires}");
        let (status, view) = app.get("/api/v1/municipality", &municipality).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        let area = view["areas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == s.area_a)
            .unwrap()
            .clone();
        let expected = if soon { "expires_soon" } else { "valid" };
        assert_eq!(area["permit_state"], expected, "{expires}");
    }
}
