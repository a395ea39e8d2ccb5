//! Issue 9, item 7: the municipality's view. The operator makes read-only
//! accounts for a municipality; such an account reads its own areas'
//! permits, protocols and anonymous statistics (per-venue counts of 1 to 4
//! as "<5", figures surviving purges), on the API and the pages, in Dutch
//! and English, and never a name.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::fixtures::*;
use crate::harness::*;
use crate::web_client::Browser;

fn assert_no_personal_data(what: &str, text: &str) {
    for name in BANNED_SURNAMES {
        assert!(!text.contains(name), "{what} shows {name}: {text}");
    }
}

both!(the_operator_makes_a_municipality_account_that_reads_only_its_own_areas);
async fn the_operator_makes_a_municipality_account_that_reads_only_its_own_areas(app: TestApp) {
    let s = app.seed().await;
    let id = app.municipality_account(s.municipality_a).await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let (status, accounts) = app
        .get(
            &format!("/api/v1/municipalities/{}/accounts", s.municipality_a),
            &op,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(accounts[0]["id"], id);
    assert_eq!(accounts[0]["role"], "municipality");
    // Only the operator makes them.
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    assert_error(
        &app.post(
            &format!("/api/v1/municipalities/{}/accounts", s.municipality_a),
            &beh,
            json!({"username": "x-gemeente"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // A municipality that does not exist.
    assert_eq!(
        app.post(
            "/api/v1/municipalities/999/accounts",
            &op,
            json!({"username": "nergens"})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    let token = app.login(MUNICIPALITY_A.0, MUNICIPALITY_A.1).await;
    let (status, overview) = app.get("/api/v1/municipality", &token).await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    let areas = overview["areas"].as_array().unwrap();
    assert_eq!(areas.len(), 1, "{overview}");
    assert_eq!(areas[0]["id"], s.area_a);
    assert!(areas[0]["permit"]["reference"].is_string(), "{overview}");
    assert!(areas[0]["permit_state"].is_string());
    assert!(areas[0]["complaint_window_days"].is_i64());
    assert!(!areas[0]["categories"].as_array().unwrap().is_empty());
    assert_no_personal_data("overview", &overview.to_string());

    let (status, _) = app
        .get(&format!("/api/v1/areas/{}/statistics", s.area_a), &token)
        .await;
    assert_eq!(status, StatusCode::OK);
    // Another municipality's area: as if it did not exist.
    assert_error(
        &app.get(&format!("/api/v1/areas/{}/statistics", s.area_b), &token)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // Never a ban.
    for path in [
        "/api/v1/bans".to_owned(),
        format!("/api/v1/bans/{}", s.demo_bans[0]),
    ] {
        let (status, body) = app.get(&path, &token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_no_personal_data(&path, &body.to_string());
    }
}

/// The statistics of area A as `token` gets them.
async fn statistics(app: &TestApp, token: &str, area: i64) -> Value {
    let (status, body) = app
        .get(&format!("/api/v1/areas/{area}/statistics"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

both!(small_counts_per_venue_are_hidden_from_the_municipality_only_and_figures_survive_purges);
async fn small_counts_per_venue_are_hidden_from_the_municipality_only_and_figures_survive_purges(
    app: TestApp,
) {
    let s = app.seed().await;
    app.municipality_account(s.municipality_a).await;
    let municipality = app.login(MUNICIPALITY_A.0, MUNICIPALITY_A.1).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    // Five more bans at A1 this month (seven issued there in all), one
    // revoked.
    let mut bans = Vec::new();
    for given in ["Anna", "Bert", "Cor", "Dirk", "Eva"] {
        bans.push(
            app.issue(
                &owner,
                ban_body(
                    s.venue_a1,
                    s.category_a,
                    manual("Bakker", given, "1990-01-01"),
                ),
            )
            .await,
        );
    }
    assert_status(
        &app.post(
            &format!("/api/v1/bans/{}/revoke", bans[0]),
            &owner,
            json!({"reason": "vergissing"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );

    let exact = statistics(&app, &beh, s.area_a).await;
    let hidden = statistics(&app, &municipality, s.area_a).await;
    assert_eq!(exact["small_counts_hidden"], false);
    assert_eq!(hidden["small_counts_hidden"], true);
    assert_no_personal_data("statistics", &hidden.to_string());
    // The area-wide month figures are the same for both.
    assert_eq!(exact["month_rows"], hidden["month_rows"]);
    let november = |s: &Value| -> Value {
        s["month_rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["month"] == "2026-11")
            .cloned()
            .unwrap()
    };
    let issued_nov = november(&exact)["issued"].as_i64().unwrap();
    assert!(issued_nov >= 7, "{exact}");
    assert_eq!(november(&exact)["revoked"], 1);
    // Per venue and month: exact for the beheerder, "<5" for 1 to 4 for the
    // municipality; 5 or more exact for both.
    let cell = |s: &Value, venue: i64, figure: &str| -> Value {
        s["venue_months"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["month"] == "2026-11" && v["venue_id"] == venue)
            .map(|v| v[figure].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(cell(&exact, s.venue_a1, "revoked"), 1);
    assert_eq!(cell(&hidden, s.venue_a1, "revoked"), "<5");
    let a1_issued = cell(&exact, s.venue_a1, "issued").as_i64().unwrap();
    assert!(a1_issued >= 5);
    assert_eq!(cell(&hidden, s.venue_a1, "issued"), a1_issued);
    // Active per venue: the same rule.
    for v in hidden["active_by_venue"].as_array().unwrap() {
        let n = v["bans"].clone();
        assert!(
            n == "<5" || n == 0 || n.as_i64().is_some_and(|n| n >= 5),
            "{v}"
        );
    }
    // CSV for the municipality: the same rule.
    let (status, _, csv) = app
        .request_full(
            "GET",
            &format!("/api/v1/areas/{}/statistics.csv", s.area_a),
            Some(&municipality),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let csv = csv.as_str().unwrap().to_owned();
    assert!(
        csv.contains("venue_revoked,2026-11,,Café De Kroon,<5"),
        "{csv}"
    );
    assert_no_personal_data("csv", &csv);

    // A year on, every ban of November is purged: the figures stay.
    let before = november(&hidden);
    app.advance_days(800);
    let purged = cho_server::services::retention::purge(&app.app)
        .await
        .unwrap();
    assert!(purged.bans_purged >= 5);
    let municipality = app.login(MUNICIPALITY_A.0, MUNICIPALITY_A.1).await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let after = statistics(&app, &municipality, s.area_a).await;
    assert_eq!(november(&after)["issued"], before["issued"]);
    assert_eq!(november(&after)["revoked"], before["revoked"]);
    let after_exact = statistics(&app, &beh, s.area_a).await;
    assert_eq!(cell(&after_exact, s.venue_a1, "issued"), a1_issued);
    assert_eq!(cell(&after_exact, s.venue_a1, "revoked"), 1);
}

both!(the_municipality_pages_in_dutch_and_english_without_names);
async fn the_municipality_pages_in_dutch_and_english_without_names(app: TestApp) {
    let s = app.seed().await;
    app.municipality_account(s.municipality_a).await;
    for (english, title, stats, few) in [
        (
            false,
            "Gemeente",
            "Cijfers van",
            "worden getoond als &#60;5",
        ),
        (
            true,
            "Municipality of",
            "Figures for",
            "are shown as &#60;5",
        ),
    ] {
        let b = Browser::new(&app);
        let mut b = if english { b.english() } else { b }
            .logged_in(MUNICIPALITY_A.0, MUNICIPALITY_A.1)
            .await;
        // The start page is the municipality's page.
        for path in ["/", "/gemeente"] {
            let page = b.get(path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
            page.assert_contains(title);
            page.assert_contains("href=\"/gemeente\"");
            page.assert_contains(&format!("/gemeente/gebieden/{}", s.area_a));
            assert_no_personal_data(path, &page.body);
        }
        let page = b.get(&format!("/gemeente/gebieden/{}", s.area_a)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.assert_contains(stats);
        page.assert_contains(few);
        page.assert_contains("statistiek.csv");
        assert_no_personal_data("statistics page", &page.body);
        let page = b
            .get(&format!("/gemeente/gebieden/{}/statistiek.csv", s.area_a))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert_no_personal_data("csv", &page.body);
        // Another municipality's area, a ban, an area's pages: never.
        let page = b.get(&format!("/gemeente/gebieden/{}", s.area_b)).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        for path in [
            "/gebied".to_owned(),
            "/gebied/verboden".to_owned(),
            format!("/gebied/verboden/{}", s.demo_bans[0]),
            format!("/verboden/{}", s.demo_bans[0]),
            "/zaak".to_owned(),
            "/beheer".to_owned(),
            "/gebied/statistiek".to_owned(),
            format!("/gebieden/{}/statistiek", s.area_b),
        ] {
            let page = b.get(&path).await;
            assert!(
                matches!(page.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "{path}: {}",
                page.status
            );
            assert_no_personal_data(&path, &page.body);
        }
    }
    // The other roles do not get the municipality's page.
    for login in [OPERATOR, BEHEERDER_A, OWNER_A] {
        let mut b = Browser::new(&app).logged_in(login.0, login.1).await;
        assert_eq!(
            b.get("/gemeente").await.status,
            StatusCode::FORBIDDEN,
            "{login:?}"
        );
    }
}

both!(the_operator_adds_a_municipality_account_on_the_municipality_page);
async fn the_operator_adds_a_municipality_account_on_the_municipality_page(app: TestApp) {
    let s = app.seed().await;
    let path = format!("/beheer/gemeenten/{}/accounts", s.municipality_a);
    for (english, heading, created) in [
        (false, "Accounts van de gemeente", "is aangemaakt"),
        (true, "Municipality accounts", "was created"),
    ] {
        let b = Browser::new(&app);
        let mut b = if english { b.english() } else { b }
            .logged_in(OPERATOR.0, OPERATOR.1)
            .await;
        let page = b
            .get(&format!("/beheer/gemeenten/{}", s.municipality_a))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        page.assert_contains(heading);
        page.assert_contains(&format!("action=\"{path}#accounts\""));
        // Without the CSRF token: refused.
        let refused = b.post(&path, &[("username", "zonder-token")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        // An empty name: the error at the top and at the field.
        let csrf = b.csrf().await;
        let page = b
            .post(&path, &[("csrf", csrf.as_str()), ("username", " ")])
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        page.assert_contains("href=\"#account_username\"");
        page.assert_contains("id=\"account_username_error\"");
        let username = if english { "council-en" } else { "raad-nl" };
        let csrf = b.csrf().await;
        let page = b
            .post(&path, &[("csrf", csrf.as_str()), ("username", username)])
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.assert_contains(created);
        page.assert_contains("cho-one-time");
        // Listed, with a password still to change.
        page.assert_contains(&format!(
            "<td class=\"utrecht-table__cell cho-nowrap\">{username}</td>"
        ));
    }
}
