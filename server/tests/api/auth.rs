//! Login, logout, password change, throttling and session expiry.

use axum::http::StatusCode;
use serde_json::json;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

async fn attempt(
    app: &TestApp,
    user: &str,
    password: &str,
) -> (StatusCode, Option<String>, serde_json::Value) {
    let (status, headers, body) = app
        .request_full(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": user, "password": password})),
        )
        .await;
    let retry = headers
        .get("retry-after")
        .map(|v| v.to_str().expect("ascii").to_owned());
    (status, retry, body)
}

both!(login_me_logout);
async fn login_me_logout(app: TestApp) {
    app.seed().await;
    let (status, body) = app
        .request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": OWNER_A.0, "password": OWNER_A.1})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "owner");
    assert_eq!(body["expires_at"], START + 12 * 3600);
    let token = body["token"].as_str().unwrap();
    assert!(token.len() >= 40, "a long random token");

    let (status, me) = app.get("/api/v1/me", token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "owner");
    assert_eq!(me["account_id"], body["account_id"]);
    assert_eq!(me["venue_ids"].as_array().unwrap().len(), 1);

    // Only the token's hash is stored.
    for (column, value) in app.all_stored_values().await {
        assert!(!contains(&value, token), "{column} holds the session token");
    }

    let answer = app
        .request("POST", "/api/v1/auth/logout", Some(token), None)
        .await;
    assert_status(&answer, StatusCode::NO_CONTENT);
    assert_error(
        &app.get("/api/v1/me", token).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    // A second session of the same account is unaffected by the logout.
    let other = app.login(OWNER_A.0, OWNER_A.1).await;
    assert_status(&app.get("/api/v1/me", &other).await, StatusCode::OK);
    assert_error(
        &app.get("/api/v1/me", "not-a-token").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
}

both!(wrong_password_and_unknown_user);
async fn wrong_password_and_unknown_user(app: TestApp) {
    app.seed().await;
    let (status, retry, body) = attempt(&app, OWNER_A.0, "wrong password!").await;
    assert_error(
        &(status, body.clone()),
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
    );
    assert_eq!(retry, None);
    let unknown = attempt(&app, "nobody", "wrong password!").await;
    assert_error(
        &(unknown.0, unknown.2.clone()),
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
    );
    // The same answer: the message does not tell which usernames exist.
    assert_eq!(body, unknown.2);
    // Nor does throttling: a known and an unknown name are slowed down
    // alike after their third failure.
    for _ in 0..2 {
        attempt(&app, OWNER_A.0, "wrong password!").await;
        attempt(&app, "nobody", "wrong password!").await;
    }
    let known = attempt(&app, OWNER_A.0, "wrong password!").await;
    let unknown = attempt(&app, "nobody", "wrong password!").await;
    assert_eq!(known.0, StatusCode::TOO_MANY_REQUESTS, "{}", known.2);
    assert_eq!((known.0, known.1), (unknown.0, unknown.1));
}

both!(slow_down_after_three_failures_and_lockout_after_ten);
async fn slow_down_after_three_failures_and_lockout_after_ten(app: TestApp) {
    app.seed().await;
    let user = OWNER_A.0;
    for i in 1..=3 {
        let (status, _, body) = attempt(&app, user, "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "failure {i}: {body}");
    }
    // From the third failure each next try waits 1 s, 2 s, 4 s, ...
    let mut waits = Vec::new();
    for failure in 4..=10 {
        let (status, retry, body) = attempt(&app, user, OWNER_A.1).await;
        assert_error(
            &(status, body),
            StatusCode::TOO_MANY_REQUESTS,
            "login_throttled",
        );
        let wait: i64 = retry.expect("Retry-After").parse().unwrap();
        waits.push(wait);
        app.clock.advance(wait - 1);
        let (status, _, _) = attempt(&app, user, "wrong password!").await;
        assert_eq!(
            status,
            StatusCode::TOO_MANY_REQUESTS,
            "still waiting before failure {failure}"
        );
        app.clock.advance(1);
        let (status, _, _) = attempt(&app, user, "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "failure {failure}");
    }
    assert_eq!(waits, vec![1, 2, 4, 8, 16, 32, 64]);
    // The tenth failure locks the account for 15 minutes, even for the
    // right password.
    let (status, retry, body) = attempt(&app, user, OWNER_A.1).await;
    assert_error(
        &(status, body),
        StatusCode::TOO_MANY_REQUESTS,
        "login_throttled",
    );
    assert_eq!(retry.as_deref(), Some("900"));
    app.clock.advance(899);
    let (status, retry, _) = attempt(&app, user, OWNER_A.1).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry.as_deref(), Some("1"));
    // Other accounts are not affected.
    app.login(OWNER_A2.0, OWNER_A2.1).await;
    app.clock.advance(1);
    app.login(user, OWNER_A.1).await;
    // A success resets the count: three more failures before a wait.
    for _ in 0..3 {
        assert_eq!(
            attempt(&app, user, "wrong password!").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        attempt(&app, user, OWNER_A.1).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

both!(sessions_expire_after_twelve_hours);
async fn sessions_expire_after_twelve_hours(app: TestApp) {
    app.seed().await;
    let token = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    app.clock.advance(12 * 3600 - 1);
    assert_status(&app.get("/api/v1/me", &token).await, StatusCode::OK);
    app.clock.advance(1);
    assert_error(
        &app.get("/api/v1/me", &token).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    // The purge removes the expired session row.
    let before = app.count("sessions").await;
    let report = cho_server::services::retention::purge(&app.app)
        .await
        .unwrap();
    assert_eq!(
        report.sessions_removed as i64, before,
        "every session is 12 h old"
    );
    assert_eq!(app.count("sessions").await, 0);
}

both!(password_change_ends_every_session);
async fn password_change_ends_every_session(app: TestApp) {
    app.seed().await;
    let first = app.login(OWNER_A.0, OWNER_A.1).await;
    let second = app.login(OWNER_A.0, OWNER_A.1).await;
    let bystander = app.login(OWNER_A2.0, OWNER_A2.1).await;

    // A weak new password is refused, and nothing changes.
    let weak = app
        .post(
            "/api/v1/auth/password",
            &first,
            json!({"current_password": OWNER_A.1, "new_password": "short"}),
        )
        .await;
    assert_error(&weak, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(
        weak.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("12 characters")
    );
    // The wrong current password is refused.
    let wrong = app
        .post(
            "/api/v1/auth/password",
            &first,
            json!({"current_password": "not the password", "new_password": "a brand new password"}),
        )
        .await;
    assert_error(&wrong, StatusCode::UNAUTHORIZED, "bad_credentials");
    assert_status(&app.get("/api/v1/me", &second).await, StatusCode::OK);

    let done = app
        .post(
            "/api/v1/auth/password",
            &first,
            json!({"current_password": OWNER_A.1, "new_password": "a brand new password"}),
        )
        .await;
    assert_status(&done, StatusCode::NO_CONTENT);
    assert_error(
        &app.get("/api/v1/me", &first).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_error(
        &app.get("/api/v1/me", &second).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_status(&app.get("/api/v1/me", &bystander).await, StatusCode::OK);
    assert_eq!(
        attempt(&app, OWNER_A.0, OWNER_A.1).await.0,
        StatusCode::UNAUTHORIZED
    );
    app.login(OWNER_A.0, "a brand new password").await;
}

both!(weak_passwords_are_refused_for_new_accounts);
async fn weak_passwords_are_refused_for_new_accounts(app: TestApp) {
    let seeded = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let accounts = app.count("accounts").await;
    let answer = app
        .post(
            "/api/v1/accounts",
            &beh,
            json!({"username": "owner-weak", "password": "12345678901", "role": "owner", "area_id": seeded.area_a, "venue_ids": [seeded.venue_a1]}),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(app.count("accounts").await, accounts);
}
