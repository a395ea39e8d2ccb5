//! End-to-end stories: a real `cho-server` process, the door core, SQLite
//! and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::time::Duration;

use cho_core::checker::{DoorError, Verdict};
use cho_core::list_format::{EntrySet, ListError, ListHeader, ListSigner};
use cho_tests::*;
use serde_json::json;

const SERVER: &str = env!("CARGO_BIN_EXE_cho-server-e2e");

macro_rules! story {
    ($name:ident) => {
        #[test]
        fn $name() {
            on_both_backends(SERVER, stringify!($name), stories::$name);
        }
    };
}

story!(ban_from_passport_bans_the_id_card_at_another_venue);
story!(revoked_ban_clears_after_the_next_sync);
story!(ban_end_date_passes_without_a_sync);
story!(revoked_device_gets_no_list_and_ages_out);
story!(bad_lists_are_refused_and_the_old_list_stays);
story!(key_rotation_reaches_the_door);
story!(server_killed_mid_sync);
story!(another_area_never_sees_the_ban);
story!(twins_are_told_apart);
story!(upheld_complaint_clears_the_other_venues_door_after_its_next_sync);

const VISSER: Person = Person {
    surname: "Visser",
    given_names: "Johanna Maria",
    birth_date: "1990-04-12",
};

/// A door at venue 2 (owner fabriek) holding the first published list.
fn door_at_venue_2(env: &Env) -> DoorPhone {
    let fabriek = env.http.login(FABRIEK.0, FABRIEK.1);
    let mut phone = DoorPhone::new(&fabriek.enrol(VENUE_2));
    phone.sync_new(&env.http);
    assert_eq!(phone.manual(&JANSEN, now()), Verdict::Banned);
    phone
}

mod stories {
    use super::*;

    pub fn ban_from_passport_bans_the_id_card_at_another_venue(env: &mut Env) {
        let mut phone = door_at_venue_2(env);
        assert_eq!(phone.mrz(&VISSER.id_card(), now()), Verdict::NotBanned);
        let kroon = env.http.login(KROON.0, KROON.1);
        kroon.issue(ban_body(
            VENUE_1,
            CATEGORY_1,
            json!({"mrz": VISSER.passport()}),
        ));
        phone.sync_new(&env.http);
        assert_eq!(phone.mrz(&VISSER.id_card(), now()), Verdict::Banned);
        assert_eq!(phone.mrz(&VISSER.passport(), now()), Verdict::Banned);
        assert_eq!(phone.manual(&VISSER, now()), Verdict::Banned);
    }

    pub fn revoked_ban_clears_after_the_next_sync(env: &mut Env) {
        let mut phone = door_at_venue_2(env);
        let kroon = env.http.login(KROON.0, KROON.1);
        let ban = kroon.issue(ban_body(VENUE_1, CATEGORY_1, VISSER.manual_json()));
        phone.sync_new(&env.http);
        assert_eq!(phone.manual(&VISSER, now()), Verdict::Banned);
        let before = phone.version();
        kroon.revoke_ban(ban);
        phone.sync_new(&env.http);
        assert!(phone.version() > before);
        assert_eq!(phone.manual(&VISSER, now()), Verdict::NotBanned);
        assert_eq!(phone.mrz(&VISSER.id_card(), now()), Verdict::NotBanned);
        assert_eq!(phone.manual(&JANSEN, now()), Verdict::Banned);
    }

    pub fn ban_end_date_passes_without_a_sync(env: &mut Env) {
        let mut phone = door_at_venue_2(env);
        let kroon = env.http.login(KROON.0, KROON.1);
        let mut body = ban_body(VENUE_1, CATEGORY_1, VISSER.manual_json());
        body["ends_on"] = json!(door_today(now()));
        kroon.issue(body);
        phone.sync_new(&env.http);
        assert_eq!(phone.manual(&VISSER, now()), Verdict::Banned);

        let facts = phone.door.status(now()).list.expect("list");
        let issued_at = facts.header.issued_at;
        let max_age = i64::from(facts.header.max_age_seconds);
        let today = cho_core::dates::door_date(now()).expect("today");
        let tomorrow = today.next_day().expect("tomorrow");
        // Dutch local time is UTC+1 or UTC+2: 12:00 there is 10:00 or
        // 11:00 UTC.
        let noon = [11, 10]
            .iter()
            .map(|h| tomorrow.midnight().assume_utc().unix_timestamp() + h * 3600)
            .find(|t| {
                cho_core::dates::door_date(*t).expect("date") == tomorrow
                    && cho_core::dates::door_date(*t - 12 * 3600).expect("date") == today
                    && time::OffsetDateTime::from_unix_timestamp(*t).is_ok()
            })
            .expect("tomorrow noon");
        let noon_verdict = phone.manual(&VISSER, noon);
        // The ban's last day has passed: never BANNED. Tomorrow noon may
        // lie past the list's maximum age, in which case the door says so
        // rather than NOT BANNED.
        if noon - issued_at <= max_age {
            assert_eq!(noon_verdict, Verdict::NotBanned);
        } else {
            assert_eq!(noon_verdict, Verdict::ListOutdated);
        }
        // Just after midnight the list is still fresh: NOT BANNED.
        let first_minute = (0..=2)
            .map(|h| tomorrow.midnight().assume_utc().unix_timestamp() - h * 3600 + 60)
            .find(|t| {
                cho_core::dates::door_date(*t).expect("date") == tomorrow
                    && cho_core::dates::door_date(*t - 120).expect("date") == today
            })
            .expect("first minute of tomorrow");
        if first_minute - issued_at <= max_age {
            assert_eq!(phone.manual(&VISSER, first_minute), Verdict::NotBanned);
        }
        // The same ban on its last day, later today, still bans.
        assert_eq!(phone.manual(&VISSER, first_minute - 180), Verdict::Banned);
        assert_eq!(phone.manual(&JANSEN, noon), Verdict::Banned);
    }

    pub fn revoked_device_gets_no_list_and_ages_out(env: &mut Env) {
        let phone = door_at_venue_2(env);
        let fabriek = env.http.login(FABRIEK.0, FABRIEK.1);
        let a = env.http.request(
            "POST",
            &format!("/api/v1/devices/{}/revoke", phone.device_id),
            Some(&fabriek.bearer),
            None,
        );
        assert_eq!(a.status, 204);
        // Every device request is told the door was revoked, by name: on
        // `device_revoked` the core's device protocol wipes the keys, the
        // list and the credential (tests/foreign_door_life.rs and
        // door-cli/tests/door.rs drive that wipe through the core against a
        // real server), so a stolen phone cannot keep testing guesses.
        let key = env.http.request(
            "GET",
            "/api/v1/device/key",
            Some(&format!("Device {}", phone.credential)),
            None,
        );
        for a in [
            env.http.sync(&phone.credential, 0),
            env.http.sync(&phone.credential, phone.version()),
            key,
        ] {
            assert_eq!(a.status, 401);
            assert_eq!(a.json()["error"]["code"], "device_revoked");
        }
        // A door that never hears the answer (offline since) still stops
        // trusting its list at the list's maximum age.

        let header = phone.door.status(now()).list.expect("list").header;
        assert_eq!(header.max_age_seconds, 86_400);
        let late = header.issued_at + 86_401;
        assert!(phone.door.status(late).list.expect("list").outdated);
        assert_eq!(phone.manual(&VISSER, late), Verdict::ListOutdated);
        assert_eq!(phone.mrz(&VISSER.id_card(), late), Verdict::ListOutdated);
        // Within the maximum age the same person is NOT BANNED.
        assert_eq!(
            phone.manual(&VISSER, header.issued_at + 86_400),
            Verdict::NotBanned
        );
    }

    pub fn bad_lists_are_refused_and_the_old_list_stays(env: &mut Env) {
        let mut phone = door_at_venue_2(env);
        let old_snapshot = env.http.sync(&phone.credential, 0);
        assert_eq!(old_snapshot.status, 200);
        assert_eq!(old_snapshot.header("x-cho-list-kind"), Some("snapshot"));
        let v1 = phone.version();

        let kroon = env.http.login(KROON.0, KROON.1);
        kroon.issue(ban_body(VENUE_1, CATEGORY_1, VISSER.manual_json()));
        let delta = env.http.wait_for_new_list(&phone.credential, v1);
        let v2: u64 = delta
            .header("x-cho-list-version")
            .expect("version")
            .parse()
            .expect("version");
        let snapshot = env.http.sync(&phone.credential, 0);
        assert_eq!(snapshot.status, 200);
        let header = phone.door.status(now()).list.expect("list").header;

        let refused = |phone: &mut DoorPhone, bytes: Vec<u8>, what: &str| {
            assert!(
                phone.door.apply_update(bytes, now()).is_err(),
                "{what} applied"
            );
            assert_eq!(phone.version(), v1, "{what}");
            assert_eq!(phone.manual(&JANSEN, now()), Verdict::Banned, "{what}");
            assert_eq!(phone.manual(&VISSER, now()), Verdict::NotBanned, "{what}");
        };
        // Forged: a newer, empty list signed with another key.
        let rng = ring::rand::SystemRandom::new();
        let forger =
            ListSigner::from_pkcs8(&ListSigner::generate_pkcs8(&rng).expect("key")).expect("key");
        let forged = forger
            .snapshot(
                &ListHeader {
                    version: v2 + 10,
                    issued_at: now(),
                    ..header
                },
                &EntrySet::from_entries([]),
            )
            .expect("forge");
        refused(&mut phone, forged, "forged");
        // Tampered: one byte flipped, anywhere.
        for at in [0, 10, delta.body.len() / 2, delta.body.len() - 1] {
            let mut bytes = delta.body.clone();
            bytes[at] ^= 0x01;
            refused(&mut phone, bytes, &format!("delta flipped at {at}"));
        }
        let mut bytes = snapshot.body.clone();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x80;
        refused(&mut phone, bytes, "snapshot flipped");
        // Truncated.
        for keep in [0, 1, snapshot.body.len() / 2, snapshot.body.len() - 1] {
            refused(
                &mut phone,
                snapshot.body[..keep].to_vec(),
                &format!("snapshot truncated to {keep}"),
            );
        }
        refused(
            &mut phone,
            delta.body[..delta.body.len() - 1].to_vec(),
            "delta truncated",
        );

        // The genuine update applies.
        phone
            .door
            .apply_update(delta.body.clone(), now())
            .expect("delta");
        assert_eq!(phone.version(), v2);
        assert_eq!(phone.manual(&VISSER, now()), Verdict::Banned);
        // Rolled back: the older snapshot kept from before.
        assert!(
            phone
                .door
                .apply_update(old_snapshot.body.clone(), now())
                .is_err()
        );
        assert_eq!(phone.version(), v2);
        assert_eq!(phone.manual(&VISSER, now()), Verdict::Banned);
        assert_eq!(phone.manual(&JANSEN, now()), Verdict::Banned);
        // A retried download of the version in force changes nothing.
        phone
            .door
            .apply_update(delta.body, now())
            .expect("same version again");
        assert_eq!(phone.version(), v2);
        assert_eq!(phone.manual(&VISSER, now()), Verdict::Banned);
    }

    pub fn key_rotation_reaches_the_door(env: &mut Env) {
        let mut phone = door_at_venue_2(env);
        assert_eq!(phone.door.status(now()).key_epochs, vec![1]);
        let kroon = env.http.login(KROON.0, KROON.1);
        kroon.issue(ban_body(
            VENUE_1,
            CATEGORY_1,
            json!({"mrz": VISSER.passport()}),
        ));
        phone.sync_new(&env.http);
        assert_eq!(phone.mrz(&VISSER.id_card(), now()), Verdict::Banned);
        let before = phone.version();

        let out = env.run_cli(&["rotate-identity-key", "1"]);
        assert!(out.contains("epoch 2"), "{out}");
        // The running server sees the other process's publication once its
        // 5-second sync cache lapses.
        let a = env.http.wait_for_new_list(&phone.credential, before);
        assert_eq!(a.header("x-cho-key-epoch"), Some("2"));
        phone.sync_new(&env.http);
        assert!(phone.version() > before);
        assert_eq!(phone.door.status(now()).key_epochs, vec![2]);
        assert_eq!(phone.mrz(&VISSER.id_card(), now()), Verdict::Banned);
        assert_eq!(phone.manual(&VISSER, now()), Verdict::Banned);
        assert_eq!(phone.manual(&JANSEN, now()), Verdict::Banned);
    }

    pub fn server_killed_mid_sync(env: &mut Env) {
        let mut phone = door_at_venue_2(env);
        let v1 = phone.version();
        let kroon = env.http.login(KROON.0, KROON.1);
        kroon.issue(ban_body(VENUE_1, CATEGORY_1, VISSER.manual_json()));
        // Wait until version 2 is there, without applying it.
        let full = env.http.wait_for_new_list(&phone.credential, v1);
        assert!(full.body.len() > 8);

        // A raw sync of the snapshot; the server dies while the device is
        // reading the body.
        let mut stream =
            std::net::TcpStream::connect(("127.0.0.1", env.server.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        write!(
            stream,
            "GET /api/v1/device/list?version=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Authorization: Device {}\r\nConnection: close\r\n\r\n",
            phone.credential
        )
        .expect("request");
        let mut received = Vec::new();
        let mut buf = [0u8; 1];
        // Read the head byte by byte, then a part of the body.
        while !received.ends_with(b"\r\n\r\n") {
            let n = stream.read(&mut buf).expect("read head");
            assert!(n > 0, "connection closed in the head");
            received.push(buf[0]);
        }
        let head = String::from_utf8_lossy(&received).to_lowercase();
        assert!(head.starts_with("http/1.1 200"), "{head}");
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .expect("content-length")
            .trim()
            .parse()
            .expect("length");
        let mut body = vec![0u8; length / 2];
        stream.read_exact(&mut body).expect("part of the body");
        env.kill_server();
        // The rest never comes.
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        body.extend_from_slice(&rest);
        assert!(body.len() <= length);
        let partial = body[..length / 2].to_vec();
        let error = phone
            .door
            .apply_update(partial, now())
            .expect_err("partial list");
        assert!(matches!(error, DoorError::List(_)), "{error:?}");
        assert_eq!(phone.version(), v1);
        assert_eq!(phone.manual(&JANSEN, now()), Verdict::Banned);
        assert_eq!(phone.manual(&VISSER, now()), Verdict::NotBanned);

        // The same door after restarting the server on the same data.
        env.restart_server();
        phone.sync_new(&env.http);
        assert!(phone.version() > v1);
        assert_eq!(phone.manual(&VISSER, now()), Verdict::Banned);
        assert_eq!(phone.manual(&JANSEN, now()), Verdict::Banned);
    }

    pub fn another_area_never_sees_the_ban(env: &mut Env) {
        let op = env.http.login(OPERATOR.0, OPERATOR.1);
        let municipality = op.create("/api/v1/municipalities", json!({"name": "Deventer"}));
        let area = op.create(
            "/api/v1/areas",
            json!({"municipality_id": municipality, "name": "Binnenstad Deventer"}),
        );
        op.create(
            "/api/v1/accounts",
            json!({"username": "beheerder-b", "password": "beheerder-b-password", "role": "beheerder", "area_id": area}),
        );
        let beh = env.http.login("beheerder-b", "beheerder-b-password");
        let a = beh.put(
            &format!("/api/v1/areas/{area}/permit"),
            json!({"reference": "AP z2026-00042", "granted_on": "2026-01-01", "expires_on": "2030-12-31"}),
        );
        assert_eq!(a.status, 204);
        let category = beh.create(
            &format!("/api/v1/areas/{area}/categories"),
            json!({"code": "geweld", "name": "Vechtpartij", "default_days": 182, "max_days": 365}),
        );
        let venue = beh.create(
            &format!("/api/v1/areas/{area}/venues"),
            json!({"name": "Café Deventer", "address": "Brink 1", "kvk_number": "11223344", "admitted_on": "2026-02-01"}),
        );
        beh.create(
            "/api/v1/accounts",
            json!({"username": "owner-b", "password": "owner-b-password-1", "role": "owner", "area_id": area, "venue_ids": [venue]}),
        );
        let owner_b = env.http.login("owner-b", "owner-b-password-1");
        // A ban in area 2 shows on area 2's door, proving its list works.
        let local = Person {
            surname: "Mulder",
            given_names: "Sanne",
            birth_date: "1992-08-30",
        };
        owner_b.issue(ban_body(venue, category, local.manual_json()));
        let mut phone_b = DoorPhone::new(&owner_b.enrol(venue));
        assert_eq!(phone_b.area_id, u64::try_from(area).expect("area"));

        let mut phone_a = door_at_venue_2(env);
        let kroon = env.http.login(KROON.0, KROON.1);
        kroon.issue(ban_body(
            VENUE_1,
            CATEGORY_1,
            json!({"mrz": VISSER.passport()}),
        ));
        let list_a = phone_a.sync_new(&env.http);
        assert_eq!(phone_a.mrz(&VISSER.id_card(), now()), Verdict::Banned);

        phone_b.sync_new(&env.http);
        assert_eq!(phone_b.manual(&local, now()), Verdict::Banned);
        assert_eq!(phone_b.mrz(&VISSER.id_card(), now()), Verdict::NotBanned);
        assert_eq!(phone_b.manual(&VISSER, now()), Verdict::NotBanned);
        assert_eq!(phone_b.manual(&JANSEN, now()), Verdict::NotBanned);
        assert_eq!(phone_a.manual(&local, now()), Verdict::NotBanned);

        // Area 1's list does not apply on area 2's door.
        let version_b = phone_b.version();
        let error = phone_b
            .door
            .apply_update(list_a, now())
            .expect_err("other area");
        assert!(
            matches!(
                error,
                DoorError::List(ListError::WrongArea {
                    expected: 2,
                    found: 1
                })
            ),
            "{error:?}"
        );
        let snapshot_a = env.http.sync(&phone_a.credential, 0);
        assert_eq!(snapshot_a.status, 200);
        let error = phone_b
            .door
            .apply_update(snapshot_a.body, now())
            .expect_err("other area");
        assert!(
            matches!(
                error,
                DoorError::List(ListError::WrongArea {
                    expected: 2,
                    found: 1
                })
            ),
            "{error:?}"
        );
        assert_eq!(phone_b.version(), version_b);
        assert_eq!(phone_b.manual(&local, now()), Verdict::Banned);
        assert_eq!(phone_b.manual(&VISSER, now()), Verdict::NotBanned);
    }

    pub fn twins_are_told_apart(env: &mut Env) {
        let banned = Person {
            surname: "Bakker",
            given_names: "Jan Willem",
            birth_date: "1985-06-01",
        };
        let other_initial = Person {
            given_names: "Pieter",
            ..banned
        };
        let same_initial = Person {
            given_names: "Johan",
            ..banned
        };
        let mut phone = door_at_venue_2(env);
        let kroon = env.http.login(KROON.0, KROON.1);
        kroon.issue(ban_body(
            VENUE_1,
            CATEGORY_1,
            json!({"mrz": banned.passport()}),
        ));
        phone.sync_new(&env.http);
        let t = now();
        assert_eq!(phone.mrz(&banned.id_card(), t), Verdict::Banned);
        assert_eq!(phone.manual(&banned, t), Verdict::Banned);
        assert_eq!(phone.mrz(&other_initial.id_card(), t), Verdict::NotBanned);
        assert_eq!(phone.mrz(&other_initial.passport(), t), Verdict::NotBanned);
        assert_eq!(phone.manual(&other_initial, t), Verdict::NotBanned);
        for verdict in [
            phone.mrz(&same_initial.id_card(), t),
            phone.mrz(&same_initial.passport(), t),
            phone.manual(&same_initial, t),
        ] {
            assert!(
                matches!(verdict, Verdict::PossibleMatch | Verdict::NotBanned),
                "{verdict:?}"
            );
        }
    }

    /// Issue 9 item 3: the beheerder records a complaint against a ban of
    /// venue 1 and the committee upholds it; the ban is overturned and the
    /// door at venue 2 says NOT BANNED after its next sync. A rejected
    /// complaint leaves another ban on the door.
    pub fn upheld_complaint_clears_the_other_venues_door_after_its_next_sync(env: &mut Env) {
        let mut phone = door_at_venue_2(env);
        let kroon = env.http.login(KROON.0, KROON.1);
        let ban = kroon.issue(ban_body(VENUE_1, CATEGORY_1, VISSER.manual_json()));
        phone.sync_new(&env.http);
        assert_eq!(phone.manual(&VISSER, now()), Verdict::Banned);

        let beheerder = env.http.login(BEHEERDER.0, BEHEERDER.1);
        let recorded = beheerder.post(
            &format!("/api/v1/bans/{ban}/complaints"),
            json!({"received_on": door_today(now()), "summary": "Says she was not there that night"}),
        );
        assert_eq!(recorded.status, 201, "{}", recorded.text());
        assert_eq!(recorded.json()["late"], false);
        let complaint = recorded.json()["id"].as_i64().expect("complaint id");
        // A complaint does not suspend the ban: no new list, still banned.
        assert_eq!(phone.manual(&VISSER, now()), Verdict::Banned);

        let before = phone.version();
        let decided = beheerder.post(
            &format!("/api/v1/complaints/{complaint}/decision"),
            json!({"outcome": "upheld", "reasoning": "Camera images show another guest"}),
        );
        assert_eq!(decided.status, 200, "{}", decided.text());
        assert_eq!(decided.json()["ban_status"], "overturned");
        phone.sync_new(&env.http);
        assert!(phone.version() > before);
        assert_eq!(phone.manual(&VISSER, now()), Verdict::NotBanned);
        assert_eq!(phone.mrz(&VISSER.id_card(), now()), Verdict::NotBanned);
        // Jansen's ban (the demo's) had no complaint upheld: still banned.
        assert_eq!(phone.manual(&JANSEN, now()), Verdict::Banned);
    }
}
