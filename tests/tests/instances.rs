//! Two `cho-server serve` instances on one PostgreSQL database, as behind a
//! load balancer: a ban issued on one, revoked on the other, a door phone
//! syncing from either, and exactly one list version per change although
//! both instances run the publication job.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use cho_core::checker::Verdict;
use cho_tests::*;
use serde_json::json;

const SERVER: &str = env!("CARGO_BIN_EXE_cho-server-e2e");

const DEKKER: Person = Person {
    surname: "Dekker",
    given_names: "Anna Sophie",
    birth_date: "1987-09-23",
};

#[test]
fn two_instances_share_one_postgres() {
    on_postgres(
        SERVER,
        "two_instances_share_one_postgres",
        two_instances_share_one_postgres_on,
    );
}

fn two_instances_share_one_postgres_on(env: &mut Env) {
    let second = env.start_another_server();
    let a = &env.http;
    let b = Http::new(&second.base);

    // The phone enrols on A and takes the first list from B.
    let fabriek = b.login(FABRIEK.0, FABRIEK.1);
    let mut phone = DoorPhone::new(&fabriek.enrol(VENUE_2));
    phone.sync_new(&b);
    let v1 = phone.version();
    assert_eq!(phone.manual(&JANSEN, now()), Verdict::Banned);
    assert_eq!(phone.manual(&DEKKER, now()), Verdict::NotBanned);

    // A ban on A reaches the phone through B, as the next version.
    let kroon_a = a.login(KROON.0, KROON.1);
    let ban = kroon_a.issue(ban_body(VENUE_1, CATEGORY_1, DEKKER.manual_json()));
    phone.sync_new(&b);
    assert_eq!(phone.version(), v1 + 1, "one version for one ban");
    assert_eq!(phone.manual(&DEKKER, now()), Verdict::Banned);
    assert_eq!(phone.mrz(&DEKKER.passport(), now()), Verdict::Banned);
    assert_no_newer_list(&phone, [a, &b]);

    // Revoked on B, the phone learns it from A, again as the next version.
    let kroon_b = b.login(KROON.0, KROON.1);
    kroon_b.revoke_ban(ban);
    phone.sync_new(a);
    assert_eq!(phone.version(), v1 + 2, "one version for one revocation");
    assert_eq!(phone.manual(&DEKKER, now()), Verdict::NotBanned);
    assert_eq!(phone.manual(&JANSEN, now()), Verdict::Banned);
    assert_no_newer_list(&phone, [a, &b]);

    // Both instances answer the same list.
    let from_a = a.sync(&phone.credential, 0);
    let from_b = b.sync(&phone.credential, 0);
    assert_eq!((from_a.status, from_b.status), (200, 200));
    assert_eq!(from_a.body, from_b.body, "the same signed snapshot");

    // A phone waiting on B is revoked on A: B's watcher hears it, and the
    // wait ends with device_revoked (not with a 304 when its time is up).
    let fabriek_a = a.login(FABRIEK.0, FABRIEK.1);
    let waiting = wait_in_thread(&second.base, &phone);
    std::thread::sleep(Duration::from_millis(500));
    let revoked = fabriek_a.post(
        &format!("/api/v1/devices/{}/revoke", phone.device_id),
        json!({}),
    );
    assert_eq!(revoked.status, 204, "{}", revoked.text());
    let answer = waiting.join().expect("the wait");
    assert_eq!(answer.status, 401, "{}", answer.text());
    assert!(
        answer.text().contains("device_revoked"),
        "{}",
        answer.text()
    );

    // A graceful stop of B answers a door waiting there at once (304), so
    // the stop does not wait a minute for it.
    let mut other = DoorPhone::new(&fabriek.enrol(VENUE_2));
    other.sync_new(&b);
    let waiting = wait_in_thread(&second.base, &other);
    std::thread::sleep(Duration::from_millis(500));
    let mut second = second;
    let stopped = second.terminate().expect("B stops within 15 s");
    assert!(stopped.success(), "{stopped}");
    assert_eq!(waiting.join().expect("the wait").status, 304);
}

/// A waiting sync of `phone` (25 s, within the client's 30 s) on `base`,
/// from its own thread.
fn wait_in_thread(base: &str, phone: &DoorPhone) -> std::thread::JoinHandle<Answer> {
    let http = Http::new(base);
    let path = format!("/api/v1/device/list?version={}&wait=25", phone.version());
    let authorization = format!("Device {}", phone.credential);
    std::thread::spawn(move || http.request("GET", &path, Some(&authorization), None))
}

/// Several publication rounds of both instances later, neither has a list
/// newer than the phone's: nothing changed, so nothing was published.
fn assert_no_newer_list(phone: &DoorPhone, instances: [&Http; 2]) {
    std::thread::sleep(Duration::from_secs(3 * PUBLISH_INTERVAL_SECONDS));
    for http in instances {
        let a = http.sync(&phone.credential, phone.version());
        assert_eq!(
            a.status,
            304,
            "{}: a list newer than version {}",
            http.base,
            phone.version()
        );
    }
}
