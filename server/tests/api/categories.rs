//! The protocol's offence categories after they are made: an edit applies
//! to bans issued after it (a ban stores its own end date); a retired
//! category keeps its bans and cannot be chosen again.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

both!(an_edit_applies_only_to_bans_issued_after_it);
async fn an_edit_applies_only_to_bans_issued_after_it(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let person = manual("Bakker", "Joost", "1988-08-08");
    let before = app
        .issue(&owner, ban_body(s.venue_a1, s.category_a, person.clone()))
        .await;
    let (_, old) = app.get(&format!("/api/v1/bans/{before}"), &owner).await;
    // 182 days by default, the incident night the first.
    assert_eq!(old["ends_on"], "2027-05-28", "{old}");

    let seq = app.last_seq().await;
    assert_status(
        &app.put(
            &format!("/api/v1/categories/{}", s.category_a),
            &beh,
            json!({"name": "Lichte mishandeling", "default_days": 30, "max_days": 90}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let events = app.events_after(seq).await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        (
            events[0].1.as_str(),
            events[0].2.as_str(),
            events[0].3.clone()
        ),
        (
            "category.update",
            "offence_category",
            s.category_a.to_string()
        )
    );
    let (_, list) = app
        .get(&format!("/api/v1/areas/{}/categories", s.area_a), &owner)
        .await;
    let edited = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == s.category_a)
        .unwrap();
    assert_eq!(
        (
            &edited["name"],
            &edited["default_days"],
            &edited["max_days"]
        ),
        (&json!("Lichte mishandeling"), &json!(30), &json!(90))
    );

    let after = app
        .issue(
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Bakker", "Kees", "1977-07-07"),
            ),
        )
        .await;
    let (_, new) = app.get(&format!("/api/v1/bans/{after}"), &owner).await;
    assert_eq!(new["ends_on"], "2026-12-27", "{new}");
    // The earlier ban keeps its end date.
    let (_, old_again) = app.get(&format!("/api/v1/bans/{before}"), &owner).await;
    assert_eq!(old_again["ends_on"], old["ends_on"]);
    // The new maximum binds new bans: 120 days, within the old maximum.
    let too_long = with(
        ban_body(
            s.venue_a1,
            s.category_a,
            manual("Bakker", "Piet", "1966-06-06"),
        ),
        "ends_on",
        json!("2027-03-27"),
    );
    assert_eq!(
        app.post("/api/v1/bans", &owner, too_long).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The two-year cap holds for edits too.
    assert_error(
        &app.put(
            &format!("/api/v1/categories/{}", s.category_a),
            &beh,
            json!({"name": "Te lang", "default_days": 30, "max_days": 731}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "protocol_rule",
    );
    assert_error(
        &app.put(
            &format!("/api/v1/categories/{}", s.category_a),
            &beh,
            json!({"name": " ", "default_days": 30, "max_days": 60}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
}

both!(a_retired_category_keeps_its_bans_and_cannot_be_chosen);
async fn a_retired_category_keeps_its_bans_and_cannot_be_chosen(app: TestApp) {
    let s = app.seed().await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let ban = app
        .issue(
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Mulder", "Anna", "1999-09-09"),
            ),
        )
        .await;
    let (_, active_before) = app
        .get(&format!("/api/v1/areas/{}/categories", s.area_a), &owner)
        .await;
    assert!(codes(&active_before).contains(&"geweld-licht".to_owned()));

    app.advance_days(3);
    // Sessions last 12 hours.
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let seq = app.last_seq().await;
    let retire = format!("/api/v1/categories/{}/retire", s.category_a);
    assert_status(
        &app.post(&retire, &beh, json!({})).await,
        StatusCode::NO_CONTENT,
    );
    let events = app.events_after(seq).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1, "category.retire");
    // Again: nothing changes, nothing is audited.
    let seq = app.last_seq().await;
    assert_status(
        &app.post(&retire, &beh, json!({})).await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(app.events_after(seq).await, vec![]);

    // Listed apart, with the date it was retired.
    let (_, active) = app
        .get(&format!("/api/v1/areas/{}/categories", s.area_a), &owner)
        .await;
    assert!(
        !codes(&active).contains(&"geweld-licht".to_owned()),
        "{active}"
    );
    assert_eq!(codes(&active).len(), codes(&active_before).len() - 1);
    let (status, retired) = app
        .get(
            &format!("/api/v1/areas/{}/categories/retired", s.area_a),
            &owner,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(codes(&retired), vec!["geweld-licht".to_owned()]);
    assert_eq!(retired[0]["retired_on"], "2026-12-01");
    assert_eq!(retired[0]["id"], s.category_a);

    // Its ban stays, as it was.
    let (status, read) = app.get(&format!("/api/v1/bans/{ban}"), &owner).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&read["status"], &read["category_id"]),
        (&json!("active"), &json!(s.category_a))
    );
    // No new ban may choose it.
    assert_error(
        &app.post(
            "/api/v1/bans",
            &owner,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Mulder", "Bert", "1998-08-08"),
            ),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    // Nor is it edited any more.
    assert_error(
        &app.put(
            &format!("/api/v1/categories/{}", s.category_a),
            &beh,
            json!({"name": "Terug", "default_days": 30, "max_days": 60}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    // Other categories still serve.
    app.issue(
        &owner,
        ban_body(
            s.venue_a1,
            s.category_a_weapons,
            manual("Mulder", "Bert", "1998-08-08"),
        ),
    )
    .await;
}

both!(categories_of_another_area_answer_exactly_like_missing_ones);
async fn categories_of_another_area_answer_exactly_like_missing_ones(app: TestApp) {
    let s = app.seed().await;
    let beh_b = app.login(BEHEERDER_B.0, BEHEERDER_B.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let body = json!({"name": "Overgenomen", "default_days": 30, "max_days": 60});
    for (method, path, body) in [
        ("PUT", "/api/v1/categories/{id}", Some(body)),
        ("POST", "/api/v1/categories/{id}/retire", None),
    ] {
        let at = |id: i64| path.replace("{id}", &id.to_string());
        let other = app
            .request(method, &at(s.category_a), Some(&beh_b), body.clone())
            .await;
        assert_error(&other, StatusCode::NOT_FOUND, "not_found");
        assert_eq!(
            other,
            app.request(method, &at(999_999), Some(&beh_b), body.clone())
                .await
        );
        // Roles that never manage categories: 403, whatever the id.
        for token in [&owner, &op] {
            assert_error(
                &app.request(method, &at(s.category_a), Some(token), body.clone())
                    .await,
                StatusCode::FORBIDDEN,
                "forbidden",
            );
        }
    }
    let (_, list) = app
        .get(&format!("/api/v1/areas/{}/categories", s.area_a), &owner)
        .await;
    assert!(codes(&list).contains(&"geweld-licht".to_owned()));
}
