//! Account administration: lists with venues and last login, disable and
//! re-enable, password reset with a forced change, ending sessions, an
//! owner's venues. Who may is in `access.rs`; here, what each does.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

fn ids_of(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

fn find(list: &Value, id: i64) -> &Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("account {id} not in {list}"))
}

both!(account_lists_show_venues_roles_and_last_login);
async fn account_lists_show_venues_roles_and_last_login(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let owner_a = app.account_id(OWNER_A.0).await;
    let beheerder_a = app.account_id(BEHEERDER_A.0).await;
    let beheerder_b = app.account_id(BEHEERDER_B.0).await;
    let operator = app.account_id(OPERATOR.0).await;

    let (status, list) = app
        .get(&format!("/api/v1/areas/{}/accounts", s.area_a), &beh)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let owner = find(&list, owner_a);
    assert_eq!(owner["username"], OWNER_A.0);
    assert_eq!(owner["role"], "owner");
    assert_eq!(owner["venue_ids"], json!([s.venue_a1]));
    assert_eq!(
        owner["venues"],
        json!([{"id": s.venue_a1, "name": "Café De Kroon"}])
    );
    assert_eq!(owner["disabled"], false);
    assert_eq!(owner["must_change_password"], false);
    // Owner A has not logged in yet in this test; the beheerder has.
    assert_eq!(owner["last_login_at"], Value::Null);
    assert_eq!(find(&list, beheerder_a)["last_login_at"], START);
    assert!(!list.to_string().contains("argon2"), "{list}");

    // The operator sees the area's beheerders, not its owners.
    let (status, list) = app
        .get(&format!("/api/v1/areas/{}/accounts", s.area_a), &op)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids_of(&list), vec![beheerder_a]);
    // And every beheerder and operator at once.
    let (status, list) = app.get("/api/v1/accounts", &op).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let ids = ids_of(&list);
    for id in [operator, beheerder_a, beheerder_b] {
        assert!(ids.contains(&id), "{id} in {list}");
    }
    assert!(!ids.contains(&owner_a));
    assert_eq!(find(&list, beheerder_b)["area_id"], s.area_b);
}

both!(disabling_ends_the_sessions_at_once_and_reenabling_restores_the_login);
async fn disabling_ends_the_sessions_at_once_and_reenabling_restores_the_login(app: TestApp) {
    let _s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let owner_id = app.account_id(OWNER_A.0).await;
    assert_status(&app.get("/api/v1/me", &owner).await, StatusCode::OK);

    let before = app.last_seq().await;
    assert_status(
        &app.post(
            &format!("/api/v1/accounts/{owner_id}/disable"),
            &beh,
            json!({}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let beheerder = format!("account:{}", app.account_id(BEHEERDER_A.0).await);
    assert_eq!(
        app.events_after(before).await,
        vec![(
            beheerder.clone(),
            "account.disable".to_owned(),
            "account".to_owned(),
            owner_id.to_string()
        )]
    );
    // The session stopped working at once; the password no longer logs in.
    assert_error(
        &app.get("/api/v1/me", &owner).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let (status, _) = app
        .request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": OWNER_A.0, "password": OWNER_A.1})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, list) = app
        .get(&format!("/api/v1/areas/{}/accounts", _s.area_a), &beh)
        .await;
    assert_eq!(find(&list, owner_id)["disabled"], true);

    let before = app.last_seq().await;
    assert_status(
        &app.post(
            &format!("/api/v1/accounts/{owner_id}/enable"),
            &beh,
            json!({}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(
        app.events_after(before).await,
        vec![(
            beheerder,
            "account.enable".to_owned(),
            "account".to_owned(),
            owner_id.to_string()
        )]
    );
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    assert_status(&app.get("/api/v1/me", &owner).await, StatusCode::OK);
}

both!(nobody_disables_their_own_account);
async fn nobody_disables_their_own_account(app: TestApp) {
    let _s = app.seed().await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let me = app.account_id(OPERATOR.0).await;
    assert_error(
        &app.post(&format!("/api/v1/accounts/{me}/disable"), &op, json!({}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_status(&app.get("/api/v1/me", &op).await, StatusCode::OK);
}

both!(a_reset_password_is_shown_once_and_must_be_changed_before_anything_else);
async fn a_reset_password_is_shown_once_and_must_be_changed_before_anything_else(app: TestApp) {
    let _s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let old_session = app.login(OWNER_A.0, OWNER_A.1).await;
    let owner_id = app.account_id(OWNER_A.0).await;
    let before = app.last_seq().await;
    let (status, answer) = app
        .post(
            &format!("/api/v1/accounts/{owner_id}/password-reset"),
            &beh,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let one_time = answer["password"].as_str().unwrap().to_owned();
    assert_eq!(one_time.len(), 24, "{one_time}");
    assert_eq!(
        one_time.chars().filter(|c| *c != '-').count(),
        20,
        "100 bits in 20 symbols"
    );
    // Stored only as an Argon2id hash.
    let stored: Vec<(String, Vec<u8>)> = app.all_stored_values().await;
    assert!(
        stored.iter().all(|(_, v)| !contains(v, &one_time)),
        "the one-time password is stored in the clear"
    );
    let events = app.events_after(before).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1, "account.password_reset");
    assert_eq!(events[0].3, owner_id.to_string());
    assert!(!format!("{events:?}").contains(OWNER_A.0));
    // The reset ended the owner's sessions; the old password is gone.
    assert_error(
        &app.get("/api/v1/me", &old_session).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let (status, _) = app
        .request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": OWNER_A.0, "password": OWNER_A.1})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The one-time password logs in, flagged.
    let (status, login) = app
        .request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": OWNER_A.0, "password": one_time})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    assert_eq!(login["must_change_password"], true);
    let token = login["token"].as_str().unwrap().to_owned();
    // Everything but me, password change and logout is refused.
    for path in ["/api/v1/bans", "/api/v1/areas"] {
        assert_error(
            &app.get(path, &token).await,
            StatusCode::FORBIDDEN,
            "password_change_required",
        );
    }
    let (status, me) = app.get("/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["must_change_password"], true);
    assert_status(
        &app.post(
            "/api/v1/auth/password",
            &token,
            json!({"current_password": one_time, "new_password": "a new password of my own"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let (status, login) = app
        .request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": OWNER_A.0, "password": "a new password of my own"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(login["must_change_password"], false);
    let token = login["token"].as_str().unwrap();
    assert_status(&app.get("/api/v1/bans", token).await, StatusCode::OK);
    let (_, me) = app.get("/api/v1/me", token).await;
    assert_eq!(me["must_change_password"], false);
}

both!(a_flagged_account_may_still_log_out);
async fn a_flagged_account_may_still_log_out(app: TestApp) {
    let _s = app.seed().await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let beheerder = app.account_id(BEHEERDER_B.0).await;
    let (_, answer) = app
        .post(
            &format!("/api/v1/accounts/{beheerder}/password-reset"),
            &op,
            json!({}),
        )
        .await;
    let token = app
        .login(BEHEERDER_B.0, answer["password"].as_str().unwrap())
        .await;
    assert_status(
        &app.post("/api/v1/auth/logout", &token, json!({})).await,
        StatusCode::NO_CONTENT,
    );
    assert_error(
        &app.get("/api/v1/me", &token).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
}

both!(ending_sessions_ends_every_session_of_the_account);
async fn ending_sessions_ends_every_session_of_the_account(app: TestApp) {
    let _s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let phone = app.login(OWNER_A.0, OWNER_A.1).await;
    let office = app.login(OWNER_A.0, OWNER_A.1).await;
    let other = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let owner_id = app.account_id(OWNER_A.0).await;
    let before = app.last_seq().await;
    assert_status(
        &app.post(
            &format!("/api/v1/accounts/{owner_id}/end-sessions"),
            &beh,
            json!({}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(app.events_after(before).await[0].1, "account.sessions_end");
    for token in [&phone, &office] {
        assert_error(
            &app.get("/api/v1/me", token).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        );
    }
    // Another account's session, and the password, are untouched.
    assert_status(&app.get("/api/v1/me", &other).await, StatusCode::OK);
    app.login(OWNER_A.0, OWNER_A.1).await;
}

both!(an_owners_venues_are_set_within_the_area);
async fn an_owners_venues_are_set_within_the_area(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let owner_id = app.account_id(OWNER_A.0).await;
    let path = format!("/api/v1/accounts/{owner_id}/venues");
    assert_status(
        &app.put(&path, &beh, json!({"venue_ids": [s.venue_a2, s.venue_a1]}))
            .await,
        StatusCode::NO_CONTENT,
    );
    // The owner's very next request has the new scope.
    let (_, me) = app.get("/api/v1/me", &owner).await;
    let mut expected = vec![s.venue_a1, s.venue_a2];
    expected.sort_unstable();
    assert_eq!(me["venue_ids"], json!(expected));
    let (_, list) = app
        .get(&format!("/api/v1/areas/{}/accounts", s.area_a), &beh)
        .await;
    assert_eq!(find(&list, owner_id)["venues"].as_array().unwrap().len(), 2);
    // Never a venue of another area, never none.
    for venues in [json!([s.venue_a1, s.venue_b]), json!([]), json!([999_999])] {
        assert_error(
            &app.put(&path, &beh, json!({"venue_ids": venues})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
    }
    let (_, me) = app.get("/api/v1/me", &owner).await;
    assert_eq!(me["venue_ids"], json!(expected));
    // A beheerder has no venues.
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let beheerder = app.account_id(BEHEERDER_A.0).await;
    assert_error(
        &app.put(
            &format!("/api/v1/accounts/{beheerder}/venues"),
            &op,
            json!({"venue_ids": [s.venue_a1]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
}

both!(accounts_out_of_reach_answer_exactly_like_missing_ones);
async fn accounts_out_of_reach_answer_exactly_like_missing_ones(app: TestApp) {
    let s = app.seed().await;
    let owner_a = app.account_id(OWNER_A.0).await;
    let beheerder_a = app.account_id(BEHEERDER_A.0).await;
    let missing = 999_999;
    let beh_b = app.login(BEHEERDER_B.0, BEHEERDER_B.1).await;
    let beh_a = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let routes: [(&str, &str, Option<Value>); 5] = [
        ("POST", "disable", None),
        ("POST", "enable", None),
        ("POST", "password-reset", None),
        ("POST", "end-sessions", None),
        ("PUT", "venues", Some(json!({"venue_ids": [s.venue_b]}))),
    ];
    // Beheerder B and owner A; beheerder A and a fellow beheerder; the
    // operator and an owner.
    for (token, target) in [(&beh_b, owner_a), (&beh_a, beheerder_a), (&op, owner_a)] {
        for (method, action, body) in &routes {
            let path = |id: i64| format!("/api/v1/accounts/{id}/{action}");
            let out_of_reach = app
                .request(method, &path(target), Some(token), body.clone())
                .await;
            let absent = app
                .request(method, &path(missing), Some(token), body.clone())
                .await;
            assert_error(&out_of_reach, StatusCode::NOT_FOUND, "not_found");
            assert_eq!(out_of_reach, absent, "{method} {}", path(target));
        }
    }
    // Nothing changed for owner A.
    app.login(OWNER_A.0, OWNER_A.1).await;
}
