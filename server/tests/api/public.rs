//! Public data without a login (DOMAIN rule 10): the areas with a public
//! page, each area's page, the door signs, and the area's contact fields
//! set by its beheerder.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

async fn public(app: &TestApp, path: &str) -> (StatusCode, Value) {
    app.request("GET", path, None, None).await
}

both!(areas_with_a_valid_permit_have_a_public_page);
async fn areas_with_a_valid_permit_have_a_public_page(app: TestApp) {
    let s = app.seed().await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let unpermitted = app
        .new_area(
            &op,
            "Kampen",
            "Kampen Centrum",
            ("beheerder-c", "beheerder-c-password"),
            ("owner-c", "owner-c-password-1"),
            false,
        )
        .await;
    let (status, list) = public(&app, "/api/v1/public/areas").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list["deployment"],
        json!({"name": "CHO", "contact_email": null})
    );
    assert_eq!(
        list["areas"],
        json!([
            {"id": s.area_b, "name": "Binnenstad Deventer", "municipality_name": "Deventer", "path": format!("/gebieden/{}", s.area_b)},
            {"id": s.area_a, "name": "Binnenstad Zwolle", "municipality_name": "Zwolle", "path": format!("/gebieden/{}", s.area_a)},
        ])
    );
    assert_error(
        &public(&app, &format!("/api/v1/public/areas/{}", unpermitted.area)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &public(
            &app,
            &format!("/api/v1/public/venues/{}/sign", unpermitted.venue),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // Once the permit has expired, the page goes.
    app.clock.set(START + 5 * 365 * DAY);
    let (_, list) = public(&app, "/api/v1/public/areas").await;
    assert!(!list.to_string().contains("Binnenstad Zwolle"), "{list}");
}

both!(an_areas_page_names_venues_categories_and_whom_to_ask);
async fn an_areas_page_names_venues_categories_and_whom_to_ask(app: TestApp) {
    let s = app.seed().await;
    let path = format!("/api/v1/public/areas/{}", s.area_a);
    let (status, page) = public(&app, &path).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["name"], "Binnenstad Zwolle");
    assert_eq!(page["path"], format!("/gebieden/{}", s.area_a));
    assert_eq!(page["complaint_window_days"], 14);
    assert_eq!(page["municipality"]["name"], "Zwolle");
    assert_eq!(page["municipality"]["primary_colour"], "#1d4f91");
    assert_eq!(
        page["municipality"]["logo"]["content_type"],
        "image/svg+xml"
    );
    assert_eq!(
        page["municipality"]["logo"]["hash"].as_str().unwrap().len(),
        16
    );
    assert!(page["municipality"]["logo"].get("bytes").is_none());
    assert_eq!(
        page["venues"],
        json!([
            {"id": s.venue_a1, "name": "Café De Kroon", "address": "Grote Markt 1, 8011 LV Zwolle", "door_sign_path": format!("/deurbord/{}", s.venue_a1)},
            {"id": s.venue_a2, "name": "Club De Fabriek", "address": "Pannekoekendijk 12, 8011 NA Zwolle", "door_sign_path": format!("/deurbord/{}", s.venue_a2)},
        ])
    );
    let categories = page["categories"].as_array().unwrap();
    assert_eq!(categories.len(), 5);
    assert!(categories.contains(&json!({"code": "wapens", "name": "Wapenbezit of zware mishandeling", "default_days": 730, "max_days": 730})));
    assert_eq!(page["contact"]["contact_email"], "cho@zwolle.example");
    assert_eq!(
        page["contact"]["complaint_committee_email"],
        "klachtencommissie@zwolle.example"
    );
    // Nobody's data, no bans, no accounts.
    let text = page.to_string();
    for (surname, given, birth) in DEMO_PEOPLE {
        assert!(!text.contains(surname) && !text.contains(given) && !text.contains(birth));
    }
    assert!(!text.contains("kvk") && !text.contains("12345678") && !text.contains(OWNER_A.0));

    // A retired category is no longer part of the protocol shown.
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    assert_status(
        &app.post(
            &format!("/api/v1/categories/{}/retire", s.category_a),
            &beh,
            json!({}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let (_, after) = public(&app, &path).await;
    assert_eq!(after["categories"].as_array().unwrap().len(), 4);

    // The door sign of a participating venue.
    let (status, sign) = public(&app, &format!("/api/v1/public/venues/{}/sign", s.venue_a1)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sign["venue_name"], "Café De Kroon");
    assert_eq!(sign["area_name"], "Binnenstad Zwolle");
    assert_eq!(sign["public_path"], format!("/gebieden/{}", s.area_a));
    assert_eq!(
        sign["public_url"],
        format!("http://127.0.0.1:8080/gebieden/{}", s.area_a)
    );
    assert_eq!(sign["municipality"]["name"], "Zwolle");

    // Withdrawn, a venue leaves the page and its sign is gone.
    assert_status(
        &app.put(
            &format!("/api/v1/venues/{}/admission", s.venue_a2),
            &beh,
            json!({"admitted_on": s.admitted_on, "withdrawn_on": "2026-11-28"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let (_, page) = public(&app, &path).await;
    assert_eq!(page["venues"].as_array().unwrap().len(), 1);
    assert_error(
        &public(&app, &format!("/api/v1/public/venues/{}/sign", s.venue_a2)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &public(&app, "/api/v1/public/venues/9999/sign").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &public(&app, "/api/v1/public/areas/9999").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

both!(the_beheerder_sets_the_contact_fields);
async fn the_beheerder_sets_the_contact_fields(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let path = format!("/api/v1/areas/{}/contact", s.area_a);
    let before = app.last_seq().await;
    let fields = json!({
        "contact_email": " info@horeca-zwolle.example ",
        "contact_phone": "+31 38 123 4567",
        "complaint_committee_address": "Postbus 1\nZwolle",
        "complaint_committee_email": "",
        "privacy_contact": "FG, privacy@zwolle.example"
    });
    assert_status(&app.put(&path, &beh, fields).await, StatusCode::NO_CONTENT);
    let beh_id = app.account_id(BEHEERDER_A.0).await;
    assert_eq!(
        app.events_after(before).await,
        vec![(
            format!("account:{beh_id}"),
            "area.contact".to_owned(),
            "area".to_owned(),
            s.area_a.to_string()
        )]
    );
    let (_, page) = public(&app, &format!("/api/v1/public/areas/{}", s.area_a)).await;
    assert_eq!(
        page["contact"],
        json!({"contact_email": "info@horeca-zwolle.example", "contact_phone": "+31 38 123 4567",
               "complaint_committee_address": "Postbus 1\nZwolle", "complaint_committee_email": null,
               "privacy_contact": "FG, privacy@zwolle.example",
               // The controller fields (issue 9) were not sent: the demo's stay.
               "controller_name": "Stichting Veilig Uitgaan Zwolle",
               "controller_address": "Postbus 10007\n8000 GA Zwolle",
               "controller_statement": null, "public_page_url": null})
    );

    for bad in [
        json!({"contact_email": "not an address"}),
        json!({"contact_email": "a@b"}),
        json!({"complaint_committee_email": "x@y.nl@z.nl"}),
        json!({"contact_phone": "call me"}),
        json!({"privacy_contact": "x".repeat(401)}),
        json!({"complaint_committee_address": "a\u{0007}b"}),
    ] {
        assert_error(
            &app.put(&path, &beh, bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
    }
    assert_error(
        &app.put(&path, &beh, json!({"website": "x"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    );
    let beh_b = app.login(BEHEERDER_B.0, BEHEERDER_B.1).await;
    assert_error(
        &app.put(&path, &beh_b, json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    assert_error(
        &app.put(&path, &owner, json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // Nothing changed by the refused calls.
    let (_, again) = public(&app, &format!("/api/v1/public/areas/{}", s.area_a)).await;
    assert_eq!(again["contact"], page["contact"]);
}
