//! Concurrent requests: every write lands, the audit chain stays whole,
//! and failed logins are all counted.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

/// Sends `requests` at once from spawned tasks; the statuses in order.
async fn all_at_once(
    app: &TestApp,
    requests: Vec<(&'static str, String, Option<String>, Value)>,
) -> Vec<StatusCode> {
    let mut tasks = Vec::new();
    for (method, path, token, body) in requests {
        let router = app.router();
        tasks.push(tokio::spawn(async move {
            let mut request = Request::builder()
                .method(method)
                .uri(path)
                .header("content-type", "application/json");
            if let Some(token) = token {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            let request = request.body(Body::from(body.to_string())).unwrap();
            router.oneshot(request).await.unwrap().status()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

fn letters(n: usize) -> String {
    n.to_string()
        .bytes()
        .map(|d| char::from(b'a' + (d - b'0')))
        .collect()
}

both!(concurrent_writes_all_land_in_one_chain);
async fn concurrent_writes_all_land_in_one_chain(app: TestApp) {
    let s = app.seed().await;
    let owners = [
        (
            app.login(OWNER_A.0, OWNER_A.1).await,
            s.venue_a1,
            s.category_a,
        ),
        (
            app.login(OWNER_A2.0, OWNER_A2.1).await,
            s.venue_a2,
            s.category_a,
        ),
        (
            app.login(OWNER_B.0, OWNER_B.1).await,
            s.venue_b,
            s.category_b,
        ),
    ];
    let bans = app.count("bans").await;
    let events = app.count("audit_events").await;
    let mut requests = Vec::new();
    for i in 0..24 {
        let (token, venue, category) = &owners[i % 3];
        let body = ban_body(
            *venue,
            *category,
            manual("Parallel", &format!("Piet {}", letters(i)), "1990-01-01"),
        );
        requests.push(("POST", "/api/v1/bans".to_owned(), Some(token.clone()), body));
    }
    for (user, password) in [OPERATOR, BEHEERDER_A, BEHEERDER_B, OWNER_A] {
        requests.push((
            "POST",
            "/api/v1/auth/login".to_owned(),
            None,
            json!({"username": user, "password": password}),
        ));
    }
    let statuses = all_at_once(&app, requests).await;
    assert!(
        statuses[..24].iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );
    assert!(
        statuses[24..].iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(app.count("bans").await, bans + 24);
    assert_eq!(app.count("audit_events").await, events + 28);
    assert_eq!(app.verify_audit_chain().await, Ok(events + 28));
}

both!(parallel_wrong_passwords_are_all_counted);
/// Guesses sent in parallel must not escape the slow-down: each is charged
/// as a failure before its password is checked, so at most three of twenty
/// parallel guesses are checked at all, and each of those is audited.
async fn parallel_wrong_passwords_are_all_counted(app: TestApp) {
    app.seed().await;
    let events = app.last_seq().await;
    let requests = (0..20)
        .map(|_| {
            (
                "POST",
                "/api/v1/auth/login".to_owned(),
                None,
                json!({"username": OWNER_A.0, "password": "wrong password"}),
            )
        })
        .collect();
    let statuses = all_at_once(&app, requests).await;
    let unauthorized = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(unauthorized + throttled, 20, "{statuses:?}");
    let failed = app
        .events_after(events)
        .await
        .iter()
        .filter(|e| e.1 == "login.failed")
        .count();
    assert_eq!(failed, unauthorized, "every refused guess is audited");
    assert!(
        unauthorized <= 3,
        "from the third failure guesses must wait: {statuses:?}"
    );
}
