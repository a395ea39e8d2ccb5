//! The municipality look: the operator sets a primary colour (kept at WCAG
//! AA contrast with white text) and a logo (PNG or a script-free SVG of at
//! most 64 KiB); an area's pages use its municipality's look.

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Value, json};

use cho_server::services::look;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#123456"/></svg>"##;

both!(the_operator_sets_a_municipalitys_look);
async fn the_operator_sets_a_municipalitys_look(app: TestApp) {
    let s = app.seed().await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let path = format!("/api/v1/municipalities/{}/look", s.municipality_a);
    let before = app.last_seq().await;
    assert_status(
        &app.put(
            &path,
            &op,
            json!({"primary_colour": "#0B3D91", "logo_base64": b64(SVG.as_bytes()), "logo_type": "image/svg+xml"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let op_id = app.account_id(OPERATOR.0).await;
    assert_eq!(
        app.events_after(before).await,
        vec![(
            format!("account:{op_id}"),
            "municipality.look".to_owned(),
            "municipality".to_owned(),
            s.municipality_a.to_string()
        )]
    );
    let area_look = look::look_for_area(&app.app, s.area_a).await.unwrap();
    assert_eq!(area_look.name, "Zwolle");
    assert_eq!(area_look.municipality_id, Some(s.municipality_a));
    assert_eq!(area_look.primary_colour.as_deref(), Some("#0b3d91"));
    let logo = area_look.logo.clone().unwrap();
    assert_eq!(logo.bytes, SVG.as_bytes());
    assert_eq!(logo.content_type, "image/svg+xml");
    assert_eq!(
        logo.hash,
        cho_server::domain::look::content_hash(SVG.as_bytes())
    );
    assert_eq!(
        look::look_for_municipality(&app.app, s.municipality_a)
            .await
            .unwrap(),
        area_look
    );

    // A PNG at the size limit passes; a new logo, a new hash.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.resize(64 * 1024, 0);
    assert_status(
        &app.put(&path, &op, json!({"primary_colour": "#000000", "logo_base64": b64(&png), "logo_type": "image/png"})).await,
        StatusCode::NO_CONTENT,
    );
    let png_look = look::look_for_area(&app.app, s.area_a).await.unwrap();
    assert_ne!(png_look.logo.unwrap().hash, logo.hash);

    // Null clears: the theme's own colour, no logo.
    assert_status(
        &app.put(&path, &op, json!({"primary_colour": null})).await,
        StatusCode::NO_CONTENT,
    );
    let cleared = look::look_for_area(&app.app, s.area_a).await.unwrap();
    assert_eq!((cleared.primary_colour, cleared.logo), (None, None));
    assert_eq!(cleared.name, "Zwolle");

    // Without a municipality: the deployment's default look.
    assert_eq!(look::default_look(&app.app).name, "CHO");
    assert_eq!(app.app.deployment, look::Deployment::default());
}

both!(unreadable_colours_and_unsafe_logos_are_refused);
async fn unreadable_colours_and_unsafe_logos_are_refused(app: TestApp) {
    let s = app.seed().await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let path = format!("/api/v1/municipalities/{}/look", s.municipality_a);
    let svg = |inner: &str| {
        b64(format!(r#"<svg xmlns="http://www.w3.org/2000/svg">{inner}</svg>"#).as_bytes())
    };
    let mut too_big = b"\x89PNG\r\n\x1a\n".to_vec();
    too_big.resize(64 * 1024 + 1, 0);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"primary_colour": "#ffcc00"}), "contrast"),
        (json!({"primary_colour": "#777777"}), "contrast"),
        (json!({"primary_colour": "blue"}), "#rrggbb"),
        (
            json!({"logo_base64": svg("<script>alert(1)</script>"), "logo_type": "image/svg+xml"}),
            "script",
        ),
        (
            json!({"logo_base64": svg(r#"<rect onclick="x()"/>"#), "logo_type": "image/svg+xml"}),
            "event handler",
        ),
        (
            json!({"logo_base64": svg(r#"<a href="https://tracker.example/"/>"#), "logo_type": "image/svg+xml"}),
            "external",
        ),
        (
            json!({"logo_base64": b64(&too_big), "logo_type": "image/png"}),
            "64 KiB",
        ),
        (
            json!({"logo_base64": svg(""), "logo_type": "image/png"}),
            "PNG",
        ),
        (
            json!({"logo_base64": svg(""), "logo_type": "image/gif"}),
            "logo_type",
        ),
        (
            json!({"logo_base64": "***", "logo_type": "image/svg+xml"}),
            "base64",
        ),
        (json!({"logo_base64": svg("")}), "together"),
    ];
    for (body, why) in cases {
        let answer = app.put(&path, &op, body.clone()).await;
        assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        let message = answer.1["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{body}: {message}");
    }
    // The demo's look is untouched.
    let kept = look::look_for_area(&app.app, s.area_a).await.unwrap();
    assert_eq!(
        kept.primary_colour.as_deref(),
        Some(cho_server::demo::DEMO_COLOUR)
    );
    assert_eq!(
        kept.logo.unwrap().bytes,
        cho_server::demo::DEMO_LOGO.as_bytes()
    );

    assert_error(
        &app.put(
            "/api/v1/municipalities/999/look",
            &op,
            json!({"primary_colour": "#000000"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    assert_error(
        &app.put(&path, &beh, json!({"primary_colour": "#000000"}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}
