//! List publication: the active bans of an area become signed, versioned
//! snapshots that the door core accepts, and only when something changed.

use cho_core::checker::{Door, Verdict};
use cho_core::list_format::ListSigner;
use serde_json::json;
use sqlx::Row;

use crate::both;
use crate::fixtures::*;
use crate::harness::*;
use cho_server::services::lists::{self, Published};

/// A door of area A: the deployment's public key pinned, the area's key
/// handed over (unsealed here as the enrolment will).
pub(crate) async fn door_of(app: &TestApp, area: i64, dir: &std::path::Path) -> Door {
    let signer = ListSigner::from_pkcs8(&app.app.secrets.signing_pkcs8).unwrap();
    let mut door = Door::open(dir, &signer.public_key()).unwrap();
    let row = sqlx::query(
        "SELECT epoch, sealed_key FROM area_keys WHERE area_id = $1 ORDER BY epoch DESC",
    )
    .bind(area)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let epoch: i64 = row.get("epoch");
    let sealed: Vec<u8> = row.get("sealed_key");
    let key = app
        .app
        .master_key()
        .open(
            &cho_server::services::admin::identity_key_aad(area, epoch),
            &sealed,
        )
        .unwrap();
    door.set_area_key(area as u64, epoch as u32, &key, false)
        .unwrap();
    door
}

pub(crate) async fn snapshot(app: &TestApp, area: i64, version: i64) -> Vec<u8> {
    cho_server::storage::lists::snapshot(app.db(), area, version)
        .await
        .unwrap()
        .unwrap()
}

pub(crate) fn check(door: &Door, who: (&str, &str, &str), now: i64) -> Verdict {
    door.check_manual(who.0, who.1, who.2, now).unwrap().verdict
}

both!(published_lists_reach_the_door_and_follow_the_bans);
async fn published_lists_reach_the_door_and_follow_the_bans(app: TestApp) {
    let s = app.seed().await;
    let dir = tempfile::tempdir().unwrap();
    let mut door = door_of(&app, s.area_a, dir.path()).await;
    let jansen = DEMO_PEOPLE[0];
    let de_vries = DEMO_PEOPLE[1];

    let first = lists::publish(&app.app, s.area_a).await.unwrap();
    assert!(first.new_version);
    assert_eq!(first.version, 1);
    door.apply_update(snapshot(&app, s.area_a, 1).await, app.app.clock.now())
        .unwrap();
    let now = app.app.clock.now();
    assert_eq!(check(&door, jansen, now), Verdict::Banned);
    assert_eq!(check(&door, de_vries, now), Verdict::Banned);
    assert_eq!(
        check(&door, ("Jansen", "Paul", jansen.2), now),
        Verdict::PossibleMatch
    );
    assert_eq!(
        check(&door, ("Bakker", "Bob", "1990-01-01"), now),
        Verdict::NotBanned
    );

    // Nothing changed: no new version.
    let again = lists::publish(&app.app, s.area_a).await.unwrap();
    assert_eq!(
        again,
        Published {
            new_version: false,
            ..first.clone()
        }
    );

    // A revocation produces the next version, without that person.
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/bans/{}/revoke", s.demo_bans[1]),
            &beh,
            json!({"reason": "wrong person"}),
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::NO_CONTENT, "{body}");
    let second = lists::publish(&app.app, s.area_a).await.unwrap();
    assert_eq!((second.version, second.new_version), (2, true));
    door.apply_update(snapshot(&app, s.area_a, 2).await, app.app.clock.now())
        .unwrap();
    assert_eq!(
        check(&door, de_vries, app.app.clock.now()),
        Verdict::NotBanned
    );
    assert_eq!(check(&door, jansen, app.app.clock.now()), Verdict::Banned);

    // A freshness refresh after a quarter of the maximum age (24 h / 4).
    app.clock.advance(6 * 3600 + 1);
    let third = lists::publish(&app.app, s.area_a).await.unwrap();
    assert_eq!(
        (third.version, third.new_version, third.entries),
        (3, true, second.entries)
    );

    // End dates pass without anyone acting: after a year every demo ban
    // (182 or 365 days) has ended and the list is empty.
    app.advance_days(366);
    let later = lists::publish(&app.app, s.area_a).await.unwrap();
    assert_eq!((later.version, later.entries), (4, 0));

    // Area B is untouched by all this.
    let b = lists::publish(&app.app, s.area_b).await.unwrap();
    assert_eq!(b.version, 1);
}

both!(an_expired_permit_publishes_an_empty_list);
async fn an_expired_permit_publishes_an_empty_list(app: TestApp) {
    let s = app.seed().await;
    let beh = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    assert!(lists::publish(&app.app, s.area_a).await.unwrap().entries > 0);
    let (status, body) = app
        .put(
            &format!("/api/v1/areas/{}/permit", s.area_a),
            &beh,
            json!({"reference": "AP old", "granted_on": "2020-01-01", "expires_on": "2021-01-01"}),
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::NO_CONTENT, "{body}");
    let published = lists::publish(&app.app, s.area_a).await.unwrap();
    assert_eq!((published.version, published.entries), (2, 0));
}

both!(concurrent_publications_make_one_version);
async fn concurrent_publications_make_one_version(app: TestApp) {
    let s = app.seed().await;
    let (a, b) = tokio::join!(
        lists::publish(&app.app, s.area_a),
        lists::publish(&app.app, s.area_a)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.version, 1);
    assert_eq!(b.version, 1);
    assert!(
        a.new_version != b.new_version,
        "exactly one run signs the version"
    );
    let versions: i64 = sqlx::query("SELECT COUNT(*) AS n FROM list_versions WHERE area_id = $1")
        .bind(s.area_a)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
        .get("n");
    assert_eq!(versions, 1);
    let (events, _) = cho_server::storage::audit::chain(app.db()).await.unwrap();
    assert!(events.iter().any(|e| e.action == "list.publish"));
    app.verify_audit_chain().await.unwrap();
}
