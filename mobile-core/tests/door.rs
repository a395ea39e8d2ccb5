//! The door check end to end inside the core: signed lists in, verdicts
//! out, a data directory that survives restarts, refusals and kills.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use cho_core::checker::{Door, DoorError, Verdict};
use cho_core::dates;
use cho_core::identity::{Identity, IdentityKey, MatchStrength};
use cho_core::list_format::{EntrySet, ListEntry, ListError, ListHeader, ListSigner};
use cho_testkit::mrz::{id_card, passport};
use time::macros::{date, datetime};

const AREA: u64 = 7;
const KEY1: [u8; 32] = [0x11; 32];
const KEY2: [u8; 32] = [0x22; 32];
const DAY: i64 = 86_400;
/// 2026-11-28 12:00 UTC, 13:00 in Amsterdam.
const NOW: i64 = datetime!(2026-11-28 12:00 UTC).unix_timestamp();

struct Area {
    signer: ListSigner,
    version: u64,
    entries: EntrySet,
    issued_at: i64,
    epoch: u32,
}

impl Area {
    fn new() -> Self {
        let rng = ring::rand::SystemRandom::new();
        let signer = ListSigner::from_pkcs8(&ListSigner::generate_pkcs8(&rng).unwrap()).unwrap();
        Self {
            signer,
            version: 0,
            entries: EntrySet::default(),
            issued_at: NOW - 3600,
            epoch: 1,
        }
    }

    fn key(&self) -> IdentityKey {
        IdentityKey::from_bytes(if self.epoch == 1 { &KEY1 } else { &KEY2 }).unwrap()
    }

    fn header(&self) -> ListHeader {
        ListHeader {
            area_id: AREA,
            key_epoch: self.epoch,
            max_age_seconds: DAY as u32,
            version: self.version,
            issued_at: self.issued_at,
            key_check: self.key().check_value(),
            next_signing_key: None,
        }
    }

    fn ban_entries(&self, person: &Identity, last_day: time::Date) -> Vec<ListEntry> {
        person
            .ban_tokens(&self.key())
            .into_iter()
            .map(|(token, strength)| ListEntry {
                token,
                last_day: dates::day_number(last_day).unwrap(),
                strength,
            })
            .collect()
    }

    /// Publishes a new version holding `bans`; returns (snapshot, delta
    /// from the previous version).
    fn publish(&mut self, bans: &[(&Identity, time::Date)]) -> (Vec<u8>, Vec<u8>) {
        let entries =
            EntrySet::from_entries(bans.iter().flat_map(|(p, d)| self.ban_entries(p, *d)));
        let base_version = self.version;
        self.version += 1;
        self.issued_at += 60;
        let snapshot = self.signer.snapshot(&self.header(), &entries).unwrap();
        let delta = self
            .signer
            .delta(&self.header(), base_version, &self.entries, &entries)
            .unwrap();
        self.entries = entries;
        (snapshot, delta)
    }
}

fn person(surname: &str, given: &str, birth: &str) -> Identity {
    Identity::from_manual(surname, given, birth).unwrap()
}

fn door(dir: &Path, area: &Area) -> Door {
    let mut door = Door::open(dir, &area.signer.public_key()).unwrap();
    door.set_area_key(AREA, 1, &KEY1, true).unwrap();
    door
}

const ANNA_PASSPORT: (&str, &str, &str) = ("DE BRUIJN", "WILLEKE LISELOTTE", "650310");

fn anna() -> Identity {
    person("de Bruijn", "Willeke Liselotte", "1965-03-10")
}

#[test]
fn without_a_list_age_and_expiry_are_still_reported() {
    let dir = tempfile::tempdir().unwrap();
    let area = Area::new();
    let door = Door::open(dir.path(), &area.signer.public_key()).unwrap();
    let mrz = passport(ANNA_PASSPORT.0, ANNA_PASSPORT.1, ANNA_PASSPORT.2, "240115");
    let check = door.check_mrz(&mrz, NOW).unwrap();
    assert_eq!(check.verdict, Verdict::NoList);
    assert_eq!(check.age_years, 61);
    assert!(check.adult);
    assert_eq!(check.document_expired, Some(true));
    assert_eq!(check.list_version, None);
    let minor = door
        .check_manual("Jansen", "Piet", "2008-11-29", NOW)
        .unwrap();
    assert_eq!(
        (minor.age_years, minor.adult, minor.document_expired),
        (17, false, None)
    );
    let status = door.status(NOW);
    assert!(status.list.is_none() && status.area_id.is_none());
}

#[test]
fn a_list_needs_the_area_key_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (snapshot, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let mut door = Door::open(dir.path(), &area.signer.public_key()).unwrap();
    assert!(matches!(
        door.apply_update(snapshot.clone(), NOW),
        Err(DoorError::NotEnrolled)
    ));
    door.set_area_key(AREA, 2, &KEY2, true).unwrap();
    assert!(matches!(
        door.apply_update(snapshot.clone(), NOW),
        Err(DoorError::AreaKeyMissing {
            area_id: AREA,
            epoch: 1
        })
    ));
    door.set_area_key(AREA, 1, &KEY1, true).unwrap();
    door.apply_update(snapshot, NOW).unwrap();
}

#[test]
fn passport_ban_stops_the_id_card_and_manual_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (snapshot, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let mut door = door(dir.path(), &area);
    door.apply_update(snapshot, NOW).unwrap();

    let pass = door
        .check_mrz(
            &passport("DE BRUIJN", "WILLEKE LISELOTTE", "650310", "340115"),
            NOW,
        )
        .unwrap();
    assert_eq!(pass.verdict, Verdict::Banned);
    assert_eq!(pass.banned_until, Some(date!(2027 - 06 - 01)));
    assert_eq!(pass.document_expired, Some(false));
    assert_eq!(pass.list_version, Some(1));
    assert_eq!(pass.list_age_seconds, Some(3540));

    let card = door
        .check_mrz(
            &id_card("DE BRUIJN", "WILLEKE LISELOTTE", "650310", "310802"),
            NOW,
        )
        .unwrap();
    assert_eq!(card.verdict, Verdict::Banned);
    let typed = door
        .check_manual("De Bruijn", "Willeke Liselotte", "1965-03-10", NOW)
        .unwrap();
    assert_eq!(typed.verdict, Verdict::Banned);
    let first_name_only = door
        .check_manual("de bruijn", "Willeke", "1965-03-10", NOW)
        .unwrap();
    assert_eq!(first_name_only.verdict, Verdict::PossibleMatch);
    let other_day = door
        .check_manual("De Bruijn", "Willeke Liselotte", "1965-03-11", NOW)
        .unwrap();
    assert_eq!(other_day.verdict, Verdict::NotBanned);
    assert_eq!(other_day.banned_until, None);
}

#[test]
fn truncated_id_card_is_a_possible_match_and_twins_are_never_banned() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let long = person("van den Berghe", "Johannes Petrus Maria", "1985-12-24");
    let twin_banned = person("Jansen", "Kees", "2001-03-04");
    let (snapshot, _) = area.publish(&[
        (&long, date!(2027 - 06 - 01)),
        (&twin_banned, date!(2027 - 01 - 01)),
    ]);
    let mut door = door(dir.path(), &area);
    door.apply_update(snapshot, NOW).unwrap();

    let card = id_card(
        "VAN DEN BERGHE",
        "JOHANNES PETRUS MARIA",
        "851224",
        "310802",
    );
    assert_eq!(
        card.lines().nth(2).unwrap(),
        "VAN<DEN<BERGHE<<JOHANNES<PETRU"
    );
    let check = door.check_mrz(&card, NOW).unwrap();
    assert_eq!(check.verdict, Verdict::PossibleMatch);
    assert_eq!(check.banned_until, Some(date!(2027 - 06 - 01)));
    let passport = passport(
        "VAN DEN BERGHE",
        "JOHANNES PETRUS MARIA",
        "851224",
        "310802",
    );
    assert_eq!(
        door.check_mrz(&passport, NOW).unwrap().verdict,
        Verdict::Banned
    );

    let twin = door
        .check_manual("Jansen", "Klaas", "2001-03-04", NOW)
        .unwrap();
    assert_eq!(twin.verdict, Verdict::PossibleMatch);
    let twin_other_initial = door
        .check_manual("Jansen", "Piet", "2001-03-04", NOW)
        .unwrap();
    assert_eq!(twin_other_initial.verdict, Verdict::NotBanned);
    let twin_mrz = door
        .check_mrz(&passport_of("JANSEN", "PIET", "010304"), NOW)
        .unwrap();
    assert_eq!(twin_mrz.verdict, Verdict::NotBanned);
}

fn passport_of(surname: &str, given: &str, birth: &str) -> String {
    passport(surname, given, birth, "310802")
}

#[test]
fn an_ended_ban_stops_matching_without_a_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (snapshot, _) = area.publish(&[(&anna(), date!(2026 - 11 - 28))]);
    let mut door = door(dir.path(), &area);
    door.apply_update(snapshot, NOW).unwrap();
    let check = |now| {
        door.check_manual("de Bruijn", "Willeke Liselotte", "1965-03-10", now)
            .unwrap()
    };
    assert_eq!(check(NOW).verdict, Verdict::Banned);
    // 23:59 Amsterdam time on the last day: still banned.
    assert_eq!(
        check(datetime!(2026-11-28 22:59 UTC).unix_timestamp()).verdict,
        Verdict::Banned
    );
    // Midnight in Amsterdam: over. The list is outdated by then (a day
    // old), but an ended ban is simply no longer known.
    let next_day = check(datetime!(2026-11-28 23:00 UTC).unix_timestamp());
    assert_eq!(next_day.verdict, Verdict::NotBanned);
    assert_eq!(next_day.banned_until, None);
}

#[test]
fn an_outdated_list_shows_known_bans_but_never_not_banned() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (snapshot, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let mut door = door(dir.path(), &area);
    door.apply_update(snapshot, NOW).unwrap();
    let late = area.issued_at + DAY + 1;
    assert!(door.status(late).list.unwrap().outdated);
    assert!(!door.status(area.issued_at + DAY).list.unwrap().outdated);
    let known = door
        .check_manual("de Bruijn", "Willeke Liselotte", "1965-03-10", late)
        .unwrap();
    assert_eq!(known.verdict, Verdict::Banned);
    let unknown = door
        .check_manual("Jansen", "Piet", "1990-01-01", late)
        .unwrap();
    assert_eq!(unknown.verdict, Verdict::ListOutdated);
    assert_eq!(unknown.list_age_seconds, Some(DAY as u64 + 1));
}

#[test]
fn the_clock_never_runs_before_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (snapshot, _) = area.publish(&[(&anna(), date!(2026 - 11 - 28))]);
    let mut door = door(dir.path(), &area);
    door.apply_update(snapshot, NOW).unwrap();
    // The phone's clock says a week ago: age and list age are taken at the
    // list's issue time, the clock gets a warning, and the list counts as
    // outdated (a clock that far behind cannot tell how old it is).
    let week_ago = NOW - 7 * DAY;
    let status = door.status(week_ago).list.unwrap();
    assert_eq!(status.age_seconds, 0);
    assert!(status.outdated);
    assert_eq!(
        status.clock_behind_seconds,
        Some((area.issued_at - week_ago) as u64)
    );
    assert_eq!(
        door.status(area.issued_at - 10)
            .list
            .unwrap()
            .clock_behind_seconds,
        None
    );
    let check = door
        .check_manual("Jansen", "Piet", "2008-11-28", week_ago)
        .unwrap();
    assert_eq!(
        (check.age_years, check.verdict),
        (18, Verdict::ListOutdated)
    );
}

#[test]
fn deltas_apply_in_order_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let bob = person("Bakker", "Bob", "1995-05-05");
    let (v1, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let (_, v1_to_v2) = area.publish(&[
        (&anna(), date!(2027 - 06 - 01)),
        (&bob, date!(2027 - 02 - 01)),
    ]);
    let (_, v2_to_v3) = area.publish(&[(&bob, date!(2027 - 02 - 01))]);
    assert!(v1_to_v2.len() < 200 + 24 * 3);
    let mut door = door(dir.path(), &area);
    assert!(matches!(
        door.apply_update(v1_to_v2.clone(), NOW),
        Err(DoorError::List(ListError::VersionGap {
            current: 0,
            base: 1
        }))
    ));
    door.apply_update(v1, NOW).unwrap();
    assert!(matches!(
        door.apply_update(v2_to_v3.clone(), NOW),
        Err(DoorError::List(ListError::VersionGap {
            current: 1,
            base: 2
        }))
    ));
    door.apply_update(v1_to_v2.clone(), NOW).unwrap();
    assert_eq!(
        door.check_manual("Bakker", "Bob", "1995-05-05", NOW)
            .unwrap()
            .verdict,
        Verdict::Banned
    );
    // A retried download of the same version changes nothing.
    door.apply_update(v1_to_v2, NOW).unwrap();
    door.apply_update(v2_to_v3, NOW).unwrap();
    let anna_check = door
        .check_manual("de Bruijn", "Willeke Liselotte", "1965-03-10", NOW)
        .unwrap();
    assert_eq!(anna_check.verdict, Verdict::NotBanned);
    assert_eq!(anna_check.list_version, Some(3));
    // The delta-built state survives a restart and re-verifies.
    drop(door);
    let door = Door::open(dir.path(), &area.signer.public_key()).unwrap();
    assert_eq!(door.stored_list_refused(), None);
    assert_eq!(door.status(NOW).list.unwrap().header.version, 3);
    assert_eq!(
        door.check_manual("Bakker", "Bob", "1995-05-05", NOW)
            .unwrap()
            .verdict,
        Verdict::Banned
    );
}

/// Every refusal leaves the list in force as it was, in memory and on disk.
#[test]
fn refused_updates_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (v1, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let (v2, _) = area.publish(&[]);
    let mut door = door(dir.path(), &area);
    door.apply_update(v2.clone(), NOW).unwrap();
    let list_file = std::fs::read(dir.path().join("list.bin")).unwrap();

    let mut forger = Area::new();
    forger.version = 10;
    let (forged, _) = forger.publish(&[]);
    let mut tampered = v2.clone();
    tampered[40] ^= 1;
    // Signed by the same deployment key, but for another area.
    let wrong_area = area
        .signer
        .snapshot(
            &ListHeader {
                area_id: AREA + 1,
                version: 30,
                ..area.header()
            },
            &EntrySet::default(),
        )
        .unwrap();
    let same_version_other_content = area
        .signer
        .snapshot(
            &area.header(),
            &EntrySet::from_entries(area.ban_entries(&anna(), date!(2027 - 01 - 01))),
        )
        .unwrap();
    let refusals: Vec<(&str, Vec<u8>)> = vec![
        ("rollback", v1),
        ("forged", forged),
        ("tampered", tampered),
        ("truncated", v2[..v2.len() - 1].to_vec()),
        ("empty", Vec::new()),
        ("wrong area", wrong_area),
        ("same version, other content", same_version_other_content),
    ];
    for (what, bytes) in refusals {
        assert!(
            door.apply_update(bytes, NOW).is_err(),
            "{what} was accepted"
        );
        assert_eq!(door.status(NOW).list.unwrap().header.version, 2, "{what}");
        assert_eq!(
            std::fs::read(dir.path().join("list.bin")).unwrap(),
            list_file,
            "{what}"
        );
    }
}

#[test]
fn keys_can_stay_out_of_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (snapshot, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let mut door = Door::open(dir.path(), &area.signer.public_key()).unwrap();
    door.set_area_key(AREA, 1, &KEY1, false).unwrap();
    door.apply_update(snapshot, NOW).unwrap();
    assert!(!dir.path().join("area-keys.bin").exists());
    drop(door);
    let mut door = Door::open(dir.path(), &area.signer.public_key()).unwrap();
    assert!(matches!(
        door.check_manual("de Bruijn", "Willeke Liselotte", "1965-03-10", NOW),
        Err(DoorError::AreaKeyMissing {
            area_id: AREA,
            epoch: 1
        })
    ));
    // The app hands the key over from its keystore at start.
    door.set_area_key(AREA, 1, &KEY1, false).unwrap();
    let check = door
        .check_manual("de Bruijn", "Willeke Liselotte", "1965-03-10", NOW)
        .unwrap();
    assert_eq!(check.verdict, Verdict::Banned);
    assert!(matches!(
        door.set_area_key(AREA + 1, 1, &KEY1, false),
        Err(DoorError::OtherArea {
            expected: AREA,
            found: _
        })
    ));
}

#[test]
fn key_rotation_keeps_the_old_key_until_the_new_list_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (v1, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let mut door = door(dir.path(), &area);
    door.apply_update(v1, NOW).unwrap();
    // The sync hands over the new key first: checks still use epoch 1.
    door.set_area_key(AREA, 2, &KEY2, true).unwrap();
    assert_eq!(door.status(NOW).key_epochs, vec![1, 2]);
    let banned = || {
        door.check_manual("de Bruijn", "Willeke Liselotte", "1965-03-10", NOW)
            .unwrap()
            .verdict
    };
    assert_eq!(banned(), Verdict::Banned);
    area.epoch = 2;
    let (v2, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    door.apply_update(v2, NOW).unwrap();
    assert_eq!(
        door.check_manual("de Bruijn", "Willeke Liselotte", "1965-03-10", NOW)
            .unwrap()
            .verdict,
        Verdict::Banned
    );
    let status = door.status(NOW);
    assert_eq!(status.key_epochs, vec![2]);
    let stored = std::fs::read(dir.path().join("area-keys.bin")).unwrap();
    assert!(
        !contains(&stored, &KEY1),
        "the old epoch's key is gone from disk"
    );
    assert!(contains(&stored, &KEY2));
}

#[test]
fn a_corrupt_stored_list_is_not_used_and_leftovers_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (v1, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let mut door = door(dir.path(), &area);
    door.apply_update(v1, NOW).unwrap();
    drop(door);
    // A half-written update from a killed process is ignored.
    std::fs::write(dir.path().join("list.bin.tmp"), b"CHOD\x01\x01").unwrap();
    let door = Door::open(dir.path(), &area.signer.public_key()).unwrap();
    assert_eq!(door.status(NOW).list.unwrap().header.version, 1);
    drop(door);
    // An edited list file no longer verifies: no list, said out loud.
    let path = dir.path().join("list.bin");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 70;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let door = Door::open(dir.path(), &area.signer.public_key()).unwrap();
    assert!(door.stored_list_refused().is_some());
    let check = door
        .check_manual("de Bruijn", "Willeke Liselotte", "1965-03-10", NOW)
        .unwrap();
    assert_eq!(check.verdict, Verdict::NoList);
    drop(door);
    std::fs::write(&path, &bytes[..10]).unwrap();
    assert!(
        Door::open(dir.path(), &area.signer.public_key())
            .unwrap()
            .stored_list_refused()
            .is_some()
    );
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn nothing_identifying_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (v1, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let mut door = door(dir.path(), &area);
    door.apply_update(v1, NOW).unwrap();
    let mrz = passport("DE BRUIJN", "WILLEKE LISELOTTE", "650310", "340115");
    door.check_mrz(&mrz, NOW).unwrap();
    door.check_manual("de Bruijn", "Willeke Liselotte", "1965-03-10", NOW)
        .unwrap();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let entry = entry.unwrap();
        files.push(entry.file_name().into_string().unwrap());
        let bytes = std::fs::read(entry.path()).unwrap();
        for secret in [
            "BRUIJN",
            "Bruijn",
            "WILLEKE",
            "650310",
            "1965",
            "999999990",
            "SPECI",
        ] {
            assert!(
                !contains(&bytes, secret.as_bytes()),
                "{secret} in {:?}",
                entry.file_name()
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{:?}", entry.file_name());
        }
    }
    files.sort();
    assert_eq!(
        files,
        vec![
            "area-keys.bin",
            "list.bin",
            "seen.bin",
            "signing-keys.bin",
            "store.lock"
        ]
    );
    door.wipe().unwrap();
    // What stays protects the device from old lists; nothing of the area.
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, vec!["seen.bin", "signing-keys.bin", "store.lock"]);
    assert_eq!(
        door.check_manual("de Bruijn", "Willeke Liselotte", "1965-03-10", NOW)
            .unwrap()
            .verdict,
        Verdict::NoList
    );
}

#[test]
fn errors_carry_no_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let area = Area::new();
    let door = Door::open(dir.path(), &area.signer.public_key()).unwrap();
    let bad_digit =
        passport("DE BRUIJN", "WILLEKE", "650310", "340115").replace("6503101", "6503102");
    for result in [
        door.check_mrz(&bad_digit, NOW),
        door.check_manual("Bruijn!", "Willeke", "1965-03-10", NOW),
        door.check_manual("Bruijn", "Willeke", "1965-02-30", NOW),
    ] {
        let message = result.unwrap_err().to_string();
        for secret in [
            "BRUIJN",
            "Bruijn",
            "Willeke",
            "WILLEKE",
            "650310",
            "1965",
            "999999990",
        ] {
            assert!(!message.contains(secret), "{message}");
        }
    }
}

/// The child half of `a_kill_mid_update_leaves_a_valid_list`: applies
/// updates in a loop until killed. A no-op unless the parent started it.
#[test]
fn crash_child_applies_updates_until_killed() {
    let Ok(dir) = std::env::var("CHO_CRASH_CHILD_DIR") else {
        return;
    };
    let files: Vec<Vec<u8>> = (1..=20)
        .map(|v| std::fs::read(Path::new(&dir).join(format!("v{v}.snap"))).unwrap())
        .collect();
    let public_key = std::fs::read(Path::new(&dir).join("public.key")).unwrap();
    let data = Path::new(&dir).join("data");
    let mut door = Door::open(&data, &public_key).unwrap();
    door.set_area_key(AREA, 1, &KEY1, true).unwrap();
    std::fs::write(Path::new(&dir).join("ready"), b"").unwrap();
    for bytes in files.iter().cycle() {
        // Older versions are refused, even after a wipe (the device keeps
        // what it has seen): start afresh now and then so writes continue.
        if door.apply_update(bytes.clone(), NOW).is_err() {
            door.wipe().unwrap();
            drop(door);
            std::fs::remove_file(data.join("seen.bin")).unwrap();
            door = Door::open(&data, &public_key).unwrap();
            door.set_area_key(AREA, 1, &KEY1, true).unwrap();
        }
    }
}

#[test]
fn a_kill_mid_update_leaves_a_valid_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    // Big enough that a write takes a while: 20 versions of ~2 MB each.
    let people: Vec<Identity> = (0..20_000)
        .map(|i| person("Jansen", &letters(i), "1990-01-01"))
        .collect();
    let mut valid_versions = Vec::new();
    for v in 1..=20u64 {
        let bans: Vec<(&Identity, time::Date)> = people
            .iter()
            .take(1000 * v as usize)
            .map(|p| (p, date!(2027 - 06 - 01)))
            .collect();
        let (snapshot, _) = area.publish(&bans);
        std::fs::write(dir.path().join(format!("v{v}.snap")), &snapshot).unwrap();
        valid_versions.push(v);
    }
    std::fs::write(dir.path().join("public.key"), area.signer.public_key()).unwrap();
    for round in 0..5u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "crash_child_applies_updates_until_killed",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("CHO_CRASH_CHILD_DIR", dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        while !dir.path().join("ready").exists() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        std::thread::sleep(std::time::Duration::from_millis(37 * (round + 1)));
        child.kill().unwrap();
        child.wait().unwrap();
        std::fs::remove_file(dir.path().join("ready")).unwrap();
        // Whatever moment the kill hit, the store holds a verified list or
        // none at all (if it hit just after a wipe), never a broken one.
        let door = Door::open(&dir.path().join("data"), &area.signer.public_key()).unwrap();
        assert_eq!(door.stored_list_refused(), None, "round {round}");
        if let Some(list) = door.status(NOW).list {
            assert!(valid_versions.contains(&list.header.version));
            // One full token per person, and the initial token they share.
            assert_eq!(list.entries, list.header.version * 1000 + 1);
        }
    }
}

/// A distinct given name for person `i`: base-26 letters starting with A,
/// so every person has the same initial-token count.
fn letters(mut i: usize) -> String {
    let mut name = String::from("A");
    loop {
        name.push(char::from(b'A' + (i % 26) as u8));
        i /= 26;
        if i == 0 {
            return name;
        }
    }
}

#[test]
fn match_strength_orders_banned_above_possible() {
    assert!(MatchStrength::Banned > MatchStrength::PossibleMatch);
}

#[test]
fn extreme_clocks_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (snapshot, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let mut door = door(dir.path(), &area);
    door.apply_update(snapshot, NOW).unwrap();
    for now in [i64::MIN, -1, 0, i64::MAX] {
        let status = door.status(now);
        assert!(status.list.is_some());
        // Far-off dates are refused as errors, never a panic.
        let _ = door.check_manual("de Bruijn", "Willeke Liselotte", "1965-03-10", now);
    }
}

// ---- Hardening (issue 7: items 15, 16, 19, 20, 23) ----

fn anna_verdict(door: &Door, now: i64) -> Verdict {
    door.check_manual("de Bruijn", "Willeke Liselotte", "1965-03-10", now)
        .unwrap()
        .verdict
}

#[test]
fn a_wrong_area_key_is_an_error_not_a_silent_miss() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (v1, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let mut door = Door::open(dir.path(), &area.signer.public_key()).unwrap();
    // The wrong bytes for epoch 1 (e.g. a damaged keystore).
    door.set_area_key(AREA, 1, &KEY2, true).unwrap();
    assert!(matches!(
        door.apply_update(v1.clone(), NOW),
        Err(DoorError::KeyCheckMismatch { epoch: 1 })
    ));
    // The provably wrong key is gone, so the right one can be handed over.
    assert!(door.status(NOW).key_epochs.is_empty());
    assert!(door.status(NOW).list.is_none());
    door.set_area_key(AREA, 1, &KEY1, true).unwrap();
    door.apply_update(v1, NOW).unwrap();
    assert_eq!(anna_verdict(&door, NOW), Verdict::Banned);
    // A key that contradicts the list in force is refused.
    assert!(matches!(
        door.set_area_key(AREA, 1, &KEY2, true),
        Err(DoorError::KeyCheckMismatch { epoch: 1 })
    ));
    // A known epoch's key is never replaced silently; the same key is fine.
    door.set_area_key(AREA, 2, &KEY2, true).unwrap();
    door.set_area_key(AREA, 2, &KEY2, true).unwrap();
    assert!(matches!(
        door.set_area_key(AREA, 2, &KEY1, true),
        Err(DoorError::KeyConflict { epoch: 2 })
    ));
    assert_eq!(anna_verdict(&door, NOW), Verdict::Banned);
    drop(door);
    // A wrong key in the keys file (the list says so) is dropped at start:
    // checks say the key is missing instead of "not banned".
    let path = dir.path().join("area-keys.bin");
    let mut stored = std::fs::read(&path).unwrap();
    let at = stored.windows(32).position(|w| w == KEY1).unwrap();
    stored[at] ^= 1;
    std::fs::write(&path, &stored).unwrap();
    let door = Door::open(dir.path(), &area.signer.public_key()).unwrap();
    assert!(matches!(
        door.check_manual("de Bruijn", "Willeke Liselotte", "1965-03-10", NOW),
        Err(DoorError::AreaKeyMissing { .. })
    ));
}

#[test]
fn a_list_from_the_future_is_refused_and_the_status_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    area.issued_at = NOW + 301 - 60;
    let (ahead, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let mut door = door(dir.path(), &area);
    assert!(matches!(
        door.apply_update(ahead.clone(), NOW),
        Err(DoorError::IssuedInFuture { seconds_ahead: 301 })
    ));
    let status = door.status(NOW);
    assert!(status.list.is_none());
    assert_eq!(status.list_ahead_of_clock_seconds, Some(301));
    // Five minutes ahead is within what clocks differ by.
    door.apply_update(ahead, NOW + 1).unwrap();
    assert_eq!(door.status(NOW + 1).list_ahead_of_clock_seconds, None);
}

#[test]
fn a_clock_far_behind_its_list_sees_it_outdated() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (v1, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let issued = area.issued_at;
    let mut door = door(dir.path(), &area);
    door.apply_update(v1, NOW).unwrap();
    let clear = |now| {
        door.check_manual("Jansen", "Piet", "1990-01-01", now)
            .unwrap()
            .verdict
    };
    assert_eq!(clear(issued - 300), Verdict::NotBanned);
    assert!(!door.status(issued - 300).list.unwrap().outdated);
    // Wound back further, the list's age cannot be told: never a silent
    // "not banned", while a known ban still shows.
    assert_eq!(clear(issued - 301), Verdict::ListOutdated);
    assert!(door.status(issued - 301).list.unwrap().outdated);
    assert_eq!(clear(i64::MIN), Verdict::ListOutdated);
    assert_eq!(anna_verdict(&door, issued - 10 * DAY), Verdict::Banned);
}

#[test]
fn a_corrected_list_with_an_earlier_issue_time_is_the_way_out() {
    // The server published v2 with its clock ahead; the operator publishes
    // v3 with the right time (`cho-server correct-list-clock`): a device
    // that took v2 accepts v3, a higher version, though issued earlier.
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (v1, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let mut door = door(dir.path(), &area);
    door.apply_update(v1, NOW).unwrap();
    area.issued_at = NOW + 200 - 60;
    let (v2, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    door.apply_update(v2.clone(), NOW).unwrap();
    area.issued_at = NOW - 60 - 60;
    let (v3, v2_to_v3) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    door.apply_update(v2_to_v3, NOW).unwrap();
    let status = door.status(NOW);
    assert_eq!(status.list.as_ref().unwrap().header.version, 3);
    assert_eq!(status.list.unwrap().header.issued_at, NOW - 60);
    assert!(
        door.apply_update(v2, NOW).is_err(),
        "v2 is still a rollback"
    );
    door.apply_update(v3, NOW).unwrap();
}

#[test]
fn old_lists_stay_refused_after_a_wipe_and_a_refused_stored_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (v1, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let (v2, _) = area.publish(&[]);
    let mut door = door(dir.path(), &area);
    door.apply_update(v1.clone(), NOW).unwrap();
    door.apply_update(v2.clone(), NOW).unwrap();
    door.wipe().unwrap();
    door.set_area_key(AREA, 1, &KEY1, true).unwrap();
    assert!(matches!(
        door.apply_update(v1.clone(), NOW),
        Err(DoorError::List(ListError::Rollback {
            current: 2,
            found: 1
        }))
    ));
    // The list it had is welcome again.
    door.apply_update(v2, NOW).unwrap();
    drop(door);
    // A stored list that no longer verifies is not a way round it either.
    let path = dir.path().join("list.bin");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let mut door = Door::open(dir.path(), &area.signer.public_key()).unwrap();
    assert!(door.stored_list_refused().is_some());
    assert!(door.apply_update(v1.clone(), NOW).is_err());
    drop(door);
    // Enrolled anew with another deployment (another signing key): fresh.
    let mut other = Area::new();
    let (other_v1, _) = other.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let mut door = Door::open(dir.path(), &other.signer.public_key()).unwrap();
    door.wipe().unwrap();
    door.set_area_key(AREA, 1, &KEY1, true).unwrap();
    door.apply_update(other_v1, NOW).unwrap();
    assert_eq!(anna_verdict(&door, NOW), Verdict::Banned);
}

#[test]
fn two_doors_cannot_share_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let area = Area::new();
    let first = Door::open(dir.path(), &area.signer.public_key()).unwrap();
    assert!(matches!(
        Door::open(dir.path(), &area.signer.public_key()),
        Err(DoorError::Store(cho_core::store::StoreError::Locked))
    ));
    drop(first);
    Door::open(dir.path(), &area.signer.public_key()).unwrap();
}

#[test]
fn leftover_temporary_files_are_removed_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let area = Area::new();
    for name in ["list.bin.tmp", "list.bin.4242-0-00ff00ff00ff00ff.tmp"] {
        std::fs::write(dir.path().join(name), b"CHOD\x01\x01").unwrap();
    }
    let mut door = door(dir.path(), &area);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    door.wipe().unwrap();
}

#[test]
fn old_epoch_keys_left_by_a_crash_are_dropped_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let (v1, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let mut door = door(dir.path(), &area);
    door.apply_update(v1, NOW).unwrap();
    door.set_area_key(AREA, 2, &KEY2, true).unwrap();
    drop(door);
    // The epoch-2 list reached the disk, the key file was not rewritten.
    area.epoch = 2;
    let (v2, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let elsewhere = tempfile::tempdir().unwrap();
    let mut other = Door::open(elsewhere.path(), &area.signer.public_key()).unwrap();
    other.set_area_key(AREA, 2, &KEY2, false).unwrap();
    other.apply_update(v2, NOW).unwrap();
    drop(other);
    std::fs::copy(
        elsewhere.path().join("list.bin"),
        dir.path().join("list.bin"),
    )
    .unwrap();
    let door = Door::open(dir.path(), &area.signer.public_key()).unwrap();
    assert_eq!(door.status(NOW).key_epochs, vec![2]);
    let stored = std::fs::read(dir.path().join("area-keys.bin")).unwrap();
    assert!(!contains(&stored, &KEY1));
}

#[test]
fn keys_change_in_memory_only_after_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let area = Area::new();
    let mut door = door(dir.path(), &area);
    // A directory where the keys file goes: every save fails.
    std::fs::remove_file(dir.path().join("area-keys.bin")).unwrap();
    std::fs::create_dir(dir.path().join("area-keys.bin")).unwrap();
    assert!(door.set_area_key(AREA, 2, &KEY2, true).is_err());
    assert_eq!(door.status(NOW).key_epochs, vec![1]);
}

#[test]
fn devices_follow_a_signing_key_announced_by_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut area = Area::new();
    let old_public = area.signer.public_key();
    let (v1, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let mut door = door(dir.path(), &area);
    door.apply_update(v1.clone(), NOW).unwrap();

    let rng = ring::rand::SystemRandom::new();
    let new_signer = ListSigner::from_pkcs8(&ListSigner::generate_pkcs8(&rng).unwrap()).unwrap();
    let new_public = new_signer.public_key();
    // v2: signed by the old key, announcing the new one.
    area.version += 1;
    area.issued_at += 60;
    let announcement = area
        .signer
        .snapshot(
            &ListHeader {
                next_signing_key: Some(new_public),
                ..area.header()
            },
            &area.entries,
        )
        .unwrap();
    door.apply_update(announcement.clone(), NOW).unwrap();
    assert_eq!(door.trusted_public_key(), new_public);
    // From now on only the new key signs.
    let old_signer = std::mem::replace(&mut area.signer, new_signer);
    let (v3, _) = area.publish(&[(&anna(), date!(2027 - 06 - 01))]);
    let by_old_key = old_signer.snapshot(&area.header(), &area.entries).unwrap();
    assert!(matches!(
        door.apply_update(by_old_key, NOW),
        Err(DoorError::List(ListError::BadSignature))
    ));
    // An old version re-signed by the new key is still a rollback.
    let old_again = area
        .signer
        .snapshot(
            &ListHeader {
                version: 1,
                ..area.header()
            },
            &EntrySet::default(),
        )
        .unwrap();
    assert!(door.apply_update(old_again, NOW).is_err());
    drop(door);

    // A restart with the key the app pinned at enrolment: still the new
    // key, and the announcement list (signed by the old key) still loads.
    let door = Door::open(dir.path(), &old_public).unwrap();
    assert_eq!(door.trusted_public_key(), new_public);
    assert_eq!(door.status(NOW).list.unwrap().header.version, 2);
    drop(door);
    // Or with the new key, which the app stored after following.
    let door = Door::open(dir.path(), &new_public).unwrap();
    assert_eq!(door.trusted_public_key(), new_public);
    assert!(door.stored_list_refused().is_none());
    assert_eq!(door.status(NOW).list.unwrap().header.version, 2);
    drop(door);
    // A crash before the chain was saved: the stored announcement is
    // followed again at start.
    std::fs::remove_file(dir.path().join("signing-keys.bin")).unwrap();
    let mut door = Door::open(dir.path(), &old_public).unwrap();
    assert_eq!(door.trusted_public_key(), new_public);
    door.apply_update(v3, NOW).unwrap();
    assert_eq!(anna_verdict(&door, NOW), Verdict::Banned);
    drop(door);
    let door = Door::open(dir.path(), &new_public).unwrap();
    assert_eq!(door.status(NOW).list.unwrap().header.version, 3);
}
