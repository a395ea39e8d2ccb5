//! The audit trail: one event per write and per read of personal data,
//! never personal data in it, paged for the beheerder, and a hash chain that
//! shows any edit, insertion or deletion.

use axum::http::StatusCode;
use serde_json::{Value, json};

use cho_server::domain::audit::{ChainBreak, ChainedEvent, event_mac, verify_chain};

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

type Event = (String, String, String, String);

fn ev(actor: i64, action: &str, object_type: &str, object_id: impl ToString) -> Event {
    (
        format!("account:{actor}"),
        action.to_owned(),
        object_type.to_owned(),
        object_id.to_string(),
    )
}

/// Runs `call` and asserts it added exactly `expected` to the trail.
macro_rules! audited {
    ($app:expr, $expected:expr, $call:expr) => {{
        let before = $app.last_seq().await;
        let result = $call;
        let expected: Vec<Event> = $expected;
        assert_eq!(
            $app.events_after(before).await,
            expected,
            "after {}",
            stringify!($call)
        );
        result
    }};
}

both!(each_write_and_each_personal_data_read_is_one_event);
async fn each_write_and_each_personal_data_read_is_one_event(app: TestApp) {
    let s = app.seed().await;
    let op_id = app.account_id(OPERATOR.0).await;
    let beh_id = app.account_id(BEHEERDER_A.0).await;
    let owner_id = app.account_id(OWNER_A.0).await;

    let op = audited!(
        app,
        vec![ev(op_id, "login", "account", op_id)],
        app.login(OPERATOR.0, OPERATOR.1).await
    );
    audited!(app, vec![ev(beh_id, "login.failed", "account", beh_id)], {
        let (status, _) = app
            .request(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"username": BEHEERDER_A.0, "password": "wrong password"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    });
    // An unknown username is audited too (anonymously: no name), so a
    // failure costs the same whether the name exists or not.
    let anonymous = (
        "anonymous".to_owned(),
        "login.failed".to_owned(),
        "account".to_owned(),
        "unknown".to_owned(),
    );
    audited!(app, vec![anonymous], {
        app.request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "nobody", "password": "wrong password"})),
        )
        .await;
    });
    let before = app.last_seq().await;
    let municipality = app
        .create("/api/v1/municipalities", &op, json!({"name": "Zutphen"}))
        .await;
    assert_eq!(
        app.events_after(before).await,
        vec![ev(
            op_id,
            "municipality.create",
            "municipality",
            municipality
        )]
    );
    let before = app.last_seq().await;
    let area = app
        .create(
            "/api/v1/areas",
            &op,
            json!({"municipality_id": municipality, "name": "Zutphen Centrum"}),
        )
        .await;
    assert_eq!(
        app.events_after(before).await,
        vec![ev(op_id, "area.create", "area", area)]
    );

    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let a = s.area_a;
    audited!(app, vec![ev(beh_id, "area.permit", "area", a)], {
        assert_status(
            &app.put(&format!("/api/v1/areas/{a}/permit"), &beh, json!({"reference": "AP 2", "granted_on": "2025-11-28", "expires_on": "2030-11-27"})).await,
            StatusCode::NO_CONTENT,
        );
    });
    audited!(app, vec![ev(beh_id, "area.protocol", "area", a)], {
        assert_status(
            &app.put(&format!("/api/v1/areas/{a}/protocol"), &beh, json!({"complaint_window_days": 14, "retention_days": 30, "max_list_age_seconds": 3600})).await,
            StatusCode::NO_CONTENT,
        );
    });
    let before = app.last_seq().await;
    let category = app
        .create(&format!("/api/v1/areas/{a}/categories"), &beh, json!({"code": "intimidatie", "name": "Intimidatie", "default_days": 90, "max_days": 182}))
        .await;
    assert_eq!(
        app.events_after(before).await,
        vec![ev(beh_id, "category.create", "offence_category", category)]
    );
    let before = app.last_seq().await;
    let venue = app
        .create(&format!("/api/v1/areas/{a}/venues"), &beh, json!({"name": "De Hoek", "address": "Markt 2", "kvk_number": "22334455", "admitted_on": "2026-11-01"}))
        .await;
    assert_eq!(
        app.events_after(before).await,
        vec![ev(beh_id, "venue.create", "venue", venue)]
    );
    audited!(app, vec![ev(beh_id, "venue.admission", "venue", venue)], {
        assert_status(
            &app.put(
                &format!("/api/v1/venues/{venue}/admission"),
                &beh,
                json!({"admitted_on": "2026-11-02", "withdrawn_on": null}),
            )
            .await,
            StatusCode::NO_CONTENT,
        );
    });
    let before = app.last_seq().await;
    let account = app
        .create("/api/v1/accounts", &beh, json!({"username": "hoek", "password": "hoek password 1", "role": "owner", "area_id": a, "venue_ids": [venue]}))
        .await;
    assert_eq!(
        app.events_after(before).await,
        vec![ev(beh_id, "account.create", "account", account)]
    );

    // Bans: issue, read, list, search, revoke.
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let before = app.last_seq().await;
    let ban = app
        .issue(
            &owner,
            ban_body(s.venue_a1, s.category_a, json!({"mrz": de_bruijn_mrz()})),
        )
        .await;
    assert_eq!(
        app.events_after(before).await,
        vec![ev(owner_id, "ban.issue", "ban", ban)]
    );
    audited!(app, vec![ev(owner_id, "ban.read", "ban", ban)], {
        assert_status(
            &app.get(&format!("/api/v1/bans/{ban}"), &owner).await,
            StatusCode::OK,
        );
    });
    audited!(app, vec![ev(beh_id, "ban.read", "ban", ban)], {
        assert_status(
            &app.get(&format!("/api/v1/bans/{ban}"), &beh).await,
            StatusCode::OK,
        );
    });
    // The list names the bans whose personal data it returned.
    let listed: String;
    audited!(app, vec![ev(owner_id, "ban.list", "bans", &listed)], {
        let answer = app.get("/api/v1/bans?status=active", &owner).await;
        assert_status(&answer, StatusCode::OK);
        let ids: Vec<String> = answer
            .1
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].to_string())
            .collect();
        assert!(ids.len() >= 2, "{}", answer.1);
        listed = ids.join(",");
    });
    audited!(app, vec![ev(beh_id, "ban.search", "bans", ban)], {
        let (status, found) = app
            .post(
                "/api/v1/bans/search",
                &beh,
                json!({"person": {"mrz": de_bruijn_mrz()}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(found.as_array().unwrap().len(), 1);
    });
    audited!(app, vec![ev(owner_id, "ban.revoke", "ban", ban)], {
        assert_status(
            &app.post(
                &format!("/api/v1/bans/{ban}/revoke"),
                &owner,
                json!({"reason": "wrong person"}),
            )
            .await,
            StatusCode::NO_CONTENT,
        );
    });
    // Password change and logout.
    let hoek_id = account;
    let hoek = app.login("hoek", "hoek password 1").await;
    audited!(
        app,
        vec![ev(hoek_id, "password.change", "account", hoek_id)],
        {
            assert_status(
            &app.post("/api/v1/auth/password", &hoek, json!({"current_password": "hoek password 1", "new_password": "hoek password 2"})).await,
            StatusCode::NO_CONTENT,
        );
        }
    );
    let hoek = app.login("hoek", "hoek password 2").await;
    audited!(app, vec![ev(hoek_id, "logout", "account", hoek_id)], {
        assert_status(
            &app.request("POST", "/api/v1/auth/logout", Some(&hoek), None)
                .await,
            StatusCode::NO_CONTENT,
        );
    });

    // Reads without personal data, and refused or failed calls, leave
    // nothing.
    let owner2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    audited!(app, vec![], {
        for path in [
            "/api/v1/me".to_owned(),
            "/api/v1/areas".to_owned(),
            format!("/api/v1/areas/{a}"),
            format!("/api/v1/areas/{a}/venues"),
            format!("/api/v1/areas/{a}/categories"),
            format!("/api/v1/areas/{a}/accounts"),
            format!("/api/v1/areas/{a}/audit"),
            format!("/api/v1/areas/{a}/statistics"),
        ] {
            assert_status(&app.get(&path, &beh).await, StatusCode::OK);
        }
        assert_status(
            &app.get(&format!("/api/v1/bans/{}", s.demo_bans[0]), &owner2)
                .await,
            StatusCode::NOT_FOUND,
        );
        assert_status(
            &app.post(
                &format!("/api/v1/areas/{a}/venues"),
                &owner2,
                json!({"name": "X", "address": "Y", "kvk_number": "12345678"}),
            )
            .await,
            StatusCode::FORBIDDEN,
        );
        assert_status(
            &app.post(
                "/api/v1/bans",
                &owner2,
                ban_body(
                    s.venue_a1,
                    s.category_a,
                    manual("Smit", "Karel", "1980-02-02"),
                ),
            )
            .await,
            StatusCode::FORBIDDEN,
        );
        assert_status(
            &app.post(
                "/api/v1/bans",
                &owner,
                with(
                    ban_body(
                        s.venue_a1,
                        s.category_a,
                        manual("Smit", "Karel", "1980-02-02"),
                    ),
                    "hearing",
                    json!({}),
                ),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    });

    // No personal data anywhere in the trail.
    let mut people: Vec<(&str, &str, &str)> = DEMO_PEOPLE.to_vec();
    people.push(("BRUIJN", "WILLEKE", "1965-03-10"));
    let rows = sqlx::query("SELECT * FROM audit_events")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert!(rows.len() > 40);
    for row in &rows {
        for (column, value) in row_values(row) {
            for (surname, given, birth) in &people {
                for secret in [
                    *surname,
                    *given,
                    *birth,
                    &birth.replace('-', "")[2..],
                    BSN,
                    "Struck another guest",
                    "wrong person",
                ] {
                    assert!(
                        !contains(&value, secret),
                        "audit_events.{column} holds {secret}"
                    );
                }
            }
        }
    }
    assert_eq!(chain(&app).await, Ok(rows.len() as i64));
}

both!(beheerder_pages_through_the_area_trail);
async fn beheerder_pages_through_the_area_trail(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    // Some more events in area A.
    for id in &s.demo_bans {
        app.get(&format!("/api/v1/bans/{id}"), &beh).await;
    }
    let expected: Vec<i64> = {
        use sqlx::Row;
        sqlx::query("SELECT seq FROM audit_events WHERE area_id = $1 ORDER BY seq")
            .bind(s.area_a)
            .fetch_all(app.db().pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<i64, _>("seq"))
            .collect()
    };
    assert!(expected.len() > 15, "{expected:?}");

    let mut seen = Vec::new();
    let mut after: Option<i64> = None;
    let mut pages = 0;
    loop {
        let path = match after {
            None => format!("/api/v1/areas/{}/audit?limit=4", s.area_a),
            Some(a) => format!("/api/v1/areas/{}/audit?after={a}&limit=4", s.area_a),
        };
        let (status, page) = app.get(&path, &beh).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let events = page["events"].as_array().unwrap();
        assert!(events.len() <= 4);
        for e in events {
            seen.push(e["seq"].as_i64().unwrap());
            assert!(e["actor"].as_str().unwrap().starts_with("account:") || e["actor"] == "system");
            assert_eq!(e["hash"].as_str().unwrap().len(), 64);
            assert!(
                e["action"].is_string()
                    && e["object_type"].is_string()
                    && e["object_id"].is_string()
                    && e["at"].is_i64()
            );
        }
        pages += 1;
        match page["next_after"] {
            Value::Null => break,
            ref n => {
                assert_eq!(events.len(), 4);
                assert_eq!(n.as_i64(), seen.last().copied());
                after = n.as_i64();
            }
        }
        assert!(pages < 100);
    }
    assert_eq!(seen, expected, "every event of area A once, in order");
    assert_eq!(pages, expected.len() / 4 + 1);
    // The default page holds them all; limits are clamped.
    let (_, page) = app
        .get(&format!("/api/v1/areas/{}/audit", s.area_a), &beh)
        .await;
    assert_eq!(page["events"].as_array().unwrap().len(), expected.len());
    let (_, page) = app
        .get(&format!("/api/v1/areas/{}/audit?limit=0", s.area_a), &beh)
        .await;
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    // Area B's trail holds none of A's events.
    let beh_b = app.login(BEHEERDER_B.0, BEHEERDER_B.1).await;
    let (status, page) = app
        .get(&format!("/api/v1/areas/{}/audit", s.area_b), &beh_b)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !expected.contains(&e["seq"].as_i64().unwrap()))
    );

    // Nobody else reads area A's trail.
    for (user, password) in [BEHEERDER_B, OWNER_A, OWNER_A2, OWNER_B, OPERATOR] {
        let token = app.login(user, password).await;
        assert_error(
            &app.get(&format!("/api/v1/areas/{}/audit", s.area_a), &token)
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
}

pub async fn chain(app: &TestApp) -> Result<i64, ChainBreak> {
    let (events, head) = cho_server::storage::audit::chain(app.db()).await.unwrap();
    verify_chain(&events, &head, &app.audit_key())
}

async fn exec(app: &TestApp, sql: &'static str, seq: i64) {
    sqlx::query(sql)
        .bind(seq)
        .execute(app.db().pool())
        .await
        .unwrap();
}

async fn insert(app: &TestApp, e: &ChainedEvent) {
    sqlx::query(
        "INSERT INTO audit_events (seq, at, actor, action, object_type, object_id, area_id, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.seq)
    .bind(e.at)
    .bind(e.actor.clone())
    .bind(e.action.clone())
    .bind(e.object_type.clone())
    .bind(e.object_id.clone())
    .bind(e.area_id)
    .bind(e.prev_hash.clone())
    .bind(e.hash.clone())
    .execute(app.db().pool())
    .await
    .unwrap();
}

both!(the_chain_verifies_and_shows_tampering);
async fn the_chain_verifies_and_shows_tampering(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    app.get(&format!("/api/v1/bans/{}", s.demo_bans[0]), &beh)
        .await;
    let (events, head) = cho_server::storage::audit::chain(app.db()).await.unwrap();
    let n = events.len() as i64;
    assert!(n > 20);
    assert_eq!(head.seq, n);
    let key = app.audit_key();
    assert_eq!(chain(&app).await, Ok(n));
    let middle = n / 2;
    let original = events[(middle - 1) as usize].clone();
    assert_eq!(original.seq, middle);

    // Edit an event's action (or its time, actor, object).
    exec(
        &app,
        "UPDATE audit_events SET action = 'ban.read' WHERE seq = $1",
        middle,
    )
    .await;
    assert_eq!(chain(&app).await, Err(ChainBreak::Edited { seq: middle }));
    exec(&app, "DELETE FROM audit_events WHERE seq = $1", middle).await;
    insert(&app, &original).await;
    assert_eq!(chain(&app).await, Ok(n));
    exec(
        &app,
        "UPDATE audit_events SET at = at + 1 WHERE seq = $1",
        middle,
    )
    .await;
    assert_eq!(chain(&app).await, Err(ChainBreak::Edited { seq: middle }));
    exec(
        &app,
        "UPDATE audit_events SET at = at - 1 WHERE seq = $1",
        middle,
    )
    .await;
    exec(
        &app,
        "UPDATE audit_events SET object_id = '999' WHERE seq = $1",
        middle,
    )
    .await;
    assert_eq!(chain(&app).await, Err(ChainBreak::Edited { seq: middle }));
    exec(&app, "DELETE FROM audit_events WHERE seq = $1", middle).await;
    insert(&app, &original).await;
    assert_eq!(chain(&app).await, Ok(n));

    // Delete a middle event.
    exec(&app, "DELETE FROM audit_events WHERE seq = $1", middle).await;
    assert_eq!(
        chain(&app).await,
        Err(ChainBreak::Gap {
            seq: middle + 1,
            expected: middle
        })
    );
    insert(&app, &original).await;
    assert_eq!(chain(&app).await, Ok(n));

    // Rewrite a middle event consistently, even with the key (a new link
    // over forged contents): the next event's link breaks.
    let mut forged = original.clone();
    forged.action = "ban.read".to_owned();
    forged.hash = event_mac(
        &key,
        &forged.prev_hash,
        forged.seq,
        forged.at,
        &forged.fields(),
    )
    .to_vec();
    exec(&app, "DELETE FROM audit_events WHERE seq = $1", middle).await;
    insert(&app, &forged).await;
    assert_eq!(chain(&app).await, Err(ChainBreak::Link { seq: middle + 1 }));
    exec(&app, "DELETE FROM audit_events WHERE seq = $1", middle).await;
    insert(&app, &original).await;

    // Insert a forged event at the end, correctly linked and keyed: the
    // head does not know it.
    let last = events.last().unwrap().clone();
    let mut extra = ChainedEvent {
        seq: n + 1,
        at: last.at + 1,
        actor: "system".to_owned(),
        action: "ban.purge".to_owned(),
        object_type: "ban".to_owned(),
        object_id: s.demo_bans[0].to_string(),
        area_id: Some(s.area_a),
        prev_hash: last.hash.clone(),
        hash: Vec::new(),
    };
    extra.hash = event_mac(&key, &extra.prev_hash, extra.seq, extra.at, &extra.fields()).to_vec();
    insert(&app, &extra).await;
    assert_eq!(
        chain(&app).await,
        Err(ChainBreak::Head {
            last: n + 1,
            head: n
        })
    );
    exec(&app, "DELETE FROM audit_events WHERE seq = $1", n + 1).await;
    assert_eq!(chain(&app).await, Ok(n));
    // An event inserted with a seq in between.
    let mut between = extra.clone();
    between.seq = n + 5;
    insert(&app, &between).await;
    assert_eq!(
        chain(&app).await,
        Err(ChainBreak::Gap {
            seq: n + 5,
            expected: n + 1
        })
    );
    exec(&app, "DELETE FROM audit_events WHERE seq = $1", n + 5).await;

    // Delete the last event.
    exec(&app, "DELETE FROM audit_events WHERE seq = $1", n).await;
    assert_eq!(
        chain(&app).await,
        Err(ChainBreak::Head {
            last: n - 1,
            head: n
        })
    );
    insert(&app, &last).await;
    assert_eq!(chain(&app).await, Ok(n));

    // Delete the first event.
    let first = events[0].clone();
    exec(&app, "DELETE FROM audit_events WHERE seq = $1", 1).await;
    assert_eq!(
        chain(&app).await,
        Err(ChainBreak::Gap {
            seq: 2,
            expected: 1
        })
    );
    insert(&app, &first).await;

    // The server goes on appending to the restored chain.
    app.get(&format!("/api/v1/bans/{}", s.demo_bans[1]), &beh)
        .await;
    assert_eq!(chain(&app).await, Ok(n + 1));
}

both!(the_audit_trail_filters_by_action_actor_object_and_time);
async fn the_audit_trail_filters_by_action_actor_object_and_time(app: TestApp) {
    let s = app.seed().await;
    let owner_actor = format!("account:{}", app.account_id(OWNER_A.0).await);
    app.advance_days(1);
    let day_two = START + DAY;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let ban = app
        .issue(
            &owner,
            ban_body(s.venue_a1, s.category_a, manual("Kok", "Sem", "1985-05-05")),
        )
        .await;
    app.advance_days(1);
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    assert_status(
        &app.post(
            &format!("/api/v1/bans/{ban}/revoke"),
            &beh,
            json!({"reason": "wrong person"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let page = |query: String| {
        let beh = beh.clone();
        let app = &app;
        async move {
            let (status, page) = app
                .get(&format!("/api/v1/areas/{}/audit?{query}", s.area_a), &beh)
                .await;
            assert_eq!(status, StatusCode::OK, "{query}: {page}");
            page["events"].as_array().unwrap().clone()
        }
    };
    let issued = page("action=ban.issue".to_owned()).await;
    assert!(!issued.is_empty());
    assert!(issued.iter().all(|e| e["action"] == "ban.issue"));
    let by_owner = page(format!("actor={owner_actor}")).await;
    assert!(!by_owner.is_empty());
    assert!(by_owner.iter().all(|e| e["actor"] == owner_actor.as_str()));
    let of_ban = page(format!("object_type=ban&object_id={ban}")).await;
    let actions: Vec<&str> = of_ban
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["ban.issue", "ban.revoke"]);
    // Day two only: the issue, not the revocation on day three.
    let day = page(format!(
        "object_type=ban&object_id={ban}&from={day_two}&until={}",
        day_two + DAY
    ))
    .await;
    assert_eq!(day.len(), 1);
    assert_eq!(day[0]["action"], "ban.issue");
    assert!(page(format!("from={}", START + 10 * DAY)).await.is_empty());
    // Filters and paging together.
    let (_, first) = app
        .get(
            &format!("/api/v1/areas/{}/audit?object_type=ban&limit=1", s.area_a),
            &beh,
        )
        .await;
    let next = first["next_after"].as_i64().unwrap();
    let (_, second) = app
        .get(
            &format!(
                "/api/v1/areas/{}/audit?object_type=ban&limit=1&after={next}",
                s.area_a
            ),
            &beh,
        )
        .await;
    assert_eq!(second["events"][0]["object_type"], "ban");
    assert!(second["events"][0]["seq"].as_i64().unwrap() > next);
    // A value with SQL in it is only a value.
    assert!(page("action=x'%20OR%20'1'='1".to_owned()).await.is_empty());
    assert_error(
        &app.get(
            &format!("/api/v1/areas/{}/audit?from=yesterday", s.area_a),
            &beh,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
}
