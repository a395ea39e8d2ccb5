//! Usernames are canonical (NFKC, case-folded, nothing invisible), on
//! create and on login, and accounts from before are brought in line.

use axum::http::StatusCode;
use serde_json::json;
use sqlx::Row;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

both!(look_alike_usernames_cannot_be_created);
async fn look_alike_usernames_cannot_be_created(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let accounts = app.count("accounts").await;
    let new_owner = |username: &str| {
        json!({"username": username, "password": "owner password 123", "role": "owner",
               "area_id": s.area_a, "venue_ids": [s.venue_a1]})
    };
    // `kroon` exists: its look-alikes are the same name, so a conflict...
    for twin in ["Kroon", "KROON", "ｋｒｏｏｎ", " kroon "] {
        let answer = app.post("/api/v1/accounts", &beh, new_owner(twin)).await;
        assert_error(&answer, StatusCode::CONFLICT, "conflict");
    }
    // ...and names with characters that do not show are refused.
    for hidden in [
        "kroon\u{200B}",
        "kr\u{200D}oon",
        "kro\u{00AD}on",
        "kr oon",
        "kroon\u{202E}",
    ] {
        let answer = app.post("/api/v1/accounts", &beh, new_owner(hidden)).await;
        assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        let message = answer.1["error"]["message"].as_str().unwrap();
        assert!(!message.contains("kr"), "the name is not echoed: {message}");
    }
    assert_eq!(app.count("accounts").await, accounts);
    // A new name is stored in canonical form, and found however typed.
    let id = app
        .create("/api/v1/accounts", &beh, new_owner("De-Gouden-Leeuw"))
        .await;
    assert_eq!(app.account_id("de-gouden-leeuw").await, id);
    app.login("DE-GOUDEN-LEEUW", "owner password 123").await;
    app.login("Kroon", OWNER_A.1).await;
    app.login("ＫＲＯＯＮ", OWNER_A.1).await;
    let (status, body) = app
        .request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "kroon\u{200B}", "password": OWNER_A.1})),
        )
        .await;
    assert_error(&(status, body), StatusCode::UNAUTHORIZED, "bad_credentials");
}

both!(accounts_from_before_are_made_canonical);
/// Accounts created before usernames were canonical: unambiguous ones are
/// renamed; a look-alike of an account that has the canonical name is
/// disabled (so is one that cannot be made canonical), each audited.
async fn accounts_from_before_are_made_canonical(app: TestApp) {
    let s = app.seed().await;
    let hash: String = sqlx::query("SELECT password_hash FROM accounts WHERE username = 'kroon'")
        .fetch_one(app.db().pool())
        .await
        .unwrap()
        .get(0);
    let mut ids = Vec::new();
    for name in [
        "Fabriek",
        "Nieuw-Eigenaar",
        "NIEUW-eigenaar",
        "spook\u{200B}",
    ] {
        let row = sqlx::query(
            "INSERT INTO accounts (username, password_hash, role, area_id, created_at) \
             VALUES ($1, $2, 'owner', $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(&hash)
        .bind(s.area_a)
        .bind(START)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        ids.push(row.get::<i64, _>(0));
    }
    let seq = app.last_seq().await;
    let report = cho_server::services::auth::canonicalise_usernames(&app.app)
        .await
        .unwrap();
    assert_eq!(report.renamed, vec![ids[1]]);
    assert_eq!(report.disabled, vec![ids[0], ids[2]]);
    assert_eq!(report.refused, vec![ids[3]]);
    let events: Vec<(String, String)> = app
        .events_after(seq)
        .await
        .into_iter()
        .map(|e| (e.1, e.3))
        .collect();
    assert_eq!(
        events,
        vec![
            ("account.disable".to_owned(), ids[0].to_string()),
            ("account.username.canonical".to_owned(), ids[1].to_string()),
            ("account.disable".to_owned(), ids[2].to_string()),
            ("account.disable".to_owned(), ids[3].to_string()),
        ]
    );
    // The real `fabriek` keeps its account; the renamed one logs in.
    app.login(OWNER_A2.0, OWNER_A2.1).await;
    let token = app.login("nieuw-eigenaar", OWNER_A.1).await;
    let (_, me) = app.get("/api/v1/me", &token).await;
    assert_eq!(me["account_id"], ids[1]);
    // Running it again changes nothing.
    let again = cho_server::services::auth::canonicalise_usernames(&app.app)
        .await
        .unwrap();
    assert_eq!(again, Default::default());
}
