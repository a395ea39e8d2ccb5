//! Health and metrics.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

both!(healthz_answers_with_the_database);
async fn healthz_answers_with_the_database(app: TestApp) {
    let (status, body) = app.request("GET", "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "ok"}));
    // Without the database: 503.
    app.db().close().await;
    let (status, body) = app.request("GET", "/healthz", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

both!(metrics_use_route_templates_and_count_active_bans);
async fn metrics_use_route_templates_and_count_active_bans(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner_b = app.login(OWNER_B.0, OWNER_B.1).await;
    for id in &s.demo_bans {
        assert_status(
            &app.get(&format!("/api/v1/bans/{id}"), &beh).await,
            StatusCode::OK,
        );
    }
    assert_status(
        &app.get("/api/v1/bans/999999", &beh).await,
        StatusCode::NOT_FOUND,
    );
    assert_status(
        &app.get("/api/v1/no/such/route/12345", &beh).await,
        StatusCode::NOT_FOUND,
    );
    app.issue(
        &owner_b,
        ban_body(
            s.venue_b,
            s.category_b,
            manual("Smit", "Karel", "1980-02-02"),
        ),
    )
    .await;
    // A ban that has ended does not count.
    let short = app
        .issue(
            &owner_b,
            with(
                ban_body(s.venue_b, s.category_b, manual("Smit", "Jan", "1980-02-02")),
                "ends_on",
                json!("2026-11-28"),
            ),
        )
        .await;
    assert_status(
        &app.post(
            &format!("/api/v1/bans/{}/revoke", s.demo_bans[1]),
            &beh,
            json!({"reason": "wrong person"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );

    let (status, headers, text) = scrape(&app).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = text.as_str();
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        line(r#"cho_http_requests_total{method="GET",route="/api/v1/bans/{id}",status="200"}"#),
        "3"
    );
    assert_eq!(
        line(r#"cho_http_requests_total{method="GET",route="/api/v1/bans/{id}",status="404"}"#),
        "1"
    );
    assert_eq!(
        line(r#"cho_http_requests_total{method="POST",route="/api/v1/bans",status="201"}"#),
        "2"
    );
    assert_eq!(
        line(
            r#"cho_http_requests_total{method="POST",route="/api/v1/bans/{id}/revoke",status="204"}"#
        ),
        "1"
    );
    assert_eq!(
        line(r#"cho_http_request_duration_seconds_count{method="GET",route="/api/v1/bans/{id}"}"#),
        "4"
    );
    assert!(text.contains(r#"route="unmatched""#), "{text}");
    // Never a concrete path.
    for id in s.demo_bans.iter().chain([&999_999, &short]) {
        assert!(
            !text.contains(&format!("/bans/{id}")),
            "a concrete id in the metrics:\n{text}"
        );
    }
    assert!(
        !text.contains("route/12345") && !text.contains("/no/such"),
        "{text}"
    );
    // Area A: three demo bans, one revoked; area B: one active, one ended today (still active).
    assert_eq!(
        line(&format!("cho_active_bans{{area=\"{}\"}}", s.area_a)),
        "2"
    );
    assert_eq!(
        line(&format!("cho_active_bans{{area=\"{}\"}}", s.area_b)),
        "2"
    );
    app.advance_days(1);
    let (_, _, text) = scrape(&app).await;
    let after = text
        .lines()
        .find(|l| l.starts_with(&format!("cho_active_bans{{area=\"{}\"}}", s.area_b)))
        .unwrap()
        .to_owned();
    assert!(
        after.ends_with(" 1"),
        "the short ban ended yesterday: {after}"
    );
}

/// What the metrics listener answers, after the background task's refresh
/// of the database gauges.
async fn scrape(app: &TestApp) -> (StatusCode, HeaderMap, String) {
    cho_server::http::metrics::refresh_gauges(&app.app)
        .await
        .unwrap();
    scrape_only(app).await
}

/// A scrape without a refresh.
async fn scrape_only(app: &TestApp) -> (StatusCode, HeaderMap, String) {
    let response = cho_server::http::metrics::router(app.app.clone())
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

both!(metrics_are_not_public_and_a_scrape_reads_no_database);
async fn metrics_are_not_public_and_a_scrape_reads_no_database(app: TestApp) {
    let s = app.seed().await;
    // Not on the public router, nor in the OpenAPI document.
    let (status, body) = app.request("GET", "/metrics", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        !cho_server::http::operations()
            .iter()
            .any(|o| o.path == "/metrics")
    );
    // Before the first refresh the gauges are empty; a scrape alone never
    // counts bans (it would read the database)...
    let (status, _, text) = scrape_only(&app).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!text.contains("cho_active_bans{"), "{text}");
    // ...even with the database gone.
    let gauge = format!("cho_active_bans{{area=\"{}\"}} 3", s.area_a);
    cho_server::http::metrics::refresh_gauges(&app.app)
        .await
        .unwrap();
    app.db().close().await;
    let (status, _, text) = scrape_only(&app).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains(&gauge), "{text}");
}
