//! The statistics service: active bans per category and venue today, bans
//! per month of issue (purged bans included), names in the view, the CSV,
//! and who may read them.

use axum::http::{StatusCode, header};
use serde_json::{Value, json};

use cho_server::services::retention::purge;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

async fn stats(app: &TestApp, area: i64, who: (&str, &str)) -> Value {
    let token = app.login(who.0, who.1).await;
    let (status, body) = app
        .get(&format!("/api/v1/areas/{area}/statistics"), &token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn month<'a>(stats: &'a Value, month: &str) -> &'a Value {
    stats["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == month)
        .unwrap_or(&Value::Null)
}

both!(active_bans_per_category_and_venue_with_names);
async fn active_bans_per_category_and_venue_with_names(app: TestApp) {
    let s = app.seed().await;
    let body = stats(&app, s.area_a, BEHEERDER_A).await;
    assert_eq!(body["area_id"], s.area_a);
    assert_eq!(body["area_name"], "Binnenstad Zwolle");
    assert_eq!(body["on"], "2026-11-28");
    // The demo: Jansen (A1, geweld-licht), de Vries (A2, vernieling),
    // Öztürk (A1, diefstal).
    assert_eq!(body["active_total"], 3);
    let active = body["active"].as_array().unwrap();
    assert_eq!(active.len(), 3, "{body}");
    assert!(active.contains(&json!({
        "category_id": s.category_a, "category_name": "Lichte mishandeling / vechtpartij",
        "venue_id": s.venue_a1, "venue_name": "Café De Kroon", "bans": 1
    })));
    let by_venue: Vec<(String, i64)> = body["active_by_venue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["venue_name"].as_str().unwrap().to_owned(),
                v["bans"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_venue,
        vec![
            ("Café De Kroon".to_owned(), 2),
            ("Club De Fabriek".to_owned(), 1)
        ]
    );
    // Every category of the protocol, zeros included.
    assert_eq!(body["active_by_category"].as_array().unwrap().len(), 5);
    assert_eq!(
        body["months"],
        json!([{"month": "2026-11", "bans": 3, "by_category": body["months"][0]["by_category"]}])
    );

    // Revoked or past its last day, a ban is no longer active, but it
    // still counts in the month it was issued.
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    assert_status(
        &app.post(
            &format!("/api/v1/bans/{}/revoke", s.demo_bans[0]),
            &owner,
            json!({"reason": "wrong person"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let body = stats(&app, s.area_a, BEHEERDER_A).await;
    assert_eq!(body["active_total"], 2);
    assert_eq!(month(&body, "2026-11")["bans"], 3);

    // The metrics gauge counts active bans with the same definition.
    let gauge = cho_server::storage::bans::active_counts(app.db(), app.app.clock.today())
        .await
        .unwrap();
    assert!(gauge.contains(&(s.area_a, 2)), "{gauge:?}");

    // Months run to this month, zeros included.
    app.clock.set(START + 70 * DAY); // 2027-02-06
    let body = stats(&app, s.area_a, BEHEERDER_A).await;
    let months: Vec<&str> = body["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2026-11", "2026-12", "2027-01", "2027-02"]);
    assert_eq!(
        month(&body, "2027-01"),
        &json!({"month": "2027-01", "bans": 0, "by_category": []})
    );
}

both!(a_purged_ban_stays_in_the_month_it_was_issued);
async fn a_purged_ban_stays_in_the_month_it_was_issued(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    assert_status(
        &app.put(
            &format!("/api/v1/areas/{}/protocol", s.area_a),
            &beh,
            json!({"complaint_window_days": 14, "retention_days": 0, "max_list_age_seconds": 86400}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    // Issued on 28 November, starting on 5 December (it may start up to
    // 30 days later), over on 6 December.
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let body = ban_body(
        s.venue_a1,
        s.category_a,
        manual("Smit", "Karel", "1980-02-02"),
    );
    let body = with(
        with(body, "starts_on", json!("2026-12-05")),
        "ends_on",
        json!("2026-12-06"),
    );
    app.issue(&owner, body).await;
    let before = stats(&app, s.area_a, BEHEERDER_A).await;
    assert_eq!(month(&before, "2026-11")["bans"], 4);

    app.clock.set(START + 10 * DAY); // 2026-12-08
    assert_eq!(purge(&app.app).await.unwrap().bans_purged, 1);
    let after = stats(&app, s.area_a, BEHEERDER_A).await;
    assert_eq!(month(&after, "2026-11"), month(&before, "2026-11"));
    assert_eq!(month(&after, "2026-11")["bans"], 4, "{after}");
    assert_eq!(month(&after, "2026-12")["bans"], 0, "{after}");
}

both!(statistics_as_csv);
async fn statistics_as_csv(app: TestApp) {
    let s = app.seed().await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let (status, headers, body) = app
        .request_full(
            "GET",
            &format!("/api/v1/areas/{}/statistics.csv", s.area_a),
            Some(&op),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let text = body.as_str().unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], "figure,month,category,venue,bans");
    assert!(
        lines.contains(&"active,2026-11-28,Lichte mishandeling / vechtpartij,Café De Kroon,1"),
        "{text}"
    );
    assert!(lines.contains(&"issued,2026-11,Vernieling,,1"), "{text}");
    for (surname, given, birth) in DEMO_PEOPLE {
        assert!(!text.contains(surname) && !text.contains(given) && !text.contains(birth));
    }
}

both!(another_areas_beheerder_finds_no_statistics);
async fn another_areas_beheerder_finds_no_statistics(app: TestApp) {
    let s = app.seed().await;
    let beh_b = app.login(BEHEERDER_B.0, BEHEERDER_B.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    for path in ["statistics", "statistics.csv", "overview"] {
        assert_error(
            &app.get(&format!("/api/v1/areas/{}/{path}", s.area_a), &beh_b)
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        assert_error(
            &app.get(&format!("/api/v1/areas/{}/{path}", s.area_a), &owner)
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    assert_error(
        &app.get("/api/v1/areas/999/statistics", &op).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}
