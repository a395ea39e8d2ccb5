//! No time or date function of the core panics, on any `i64` instant or
//! any date `time` can hold (issue 7, items 2 and 21): each one answers or
//! returns an error. Checks and status take the device clock as it is,
//! however wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use cho_core::checker::Door;
use cho_core::dates;
use cho_core::identity::{Identity, IdentityKey};
use cho_core::list_format::{EntrySet, ListEntry, ListHeader, ListSigner};
use proptest::prelude::*;
use time::Date;

const KEY: [u8; 32] = [0x33; 32];

fn any_date() -> impl Strategy<Value = Date> {
    (Date::MIN.to_julian_day()..=Date::MAX.to_julian_day())
        .prop_map(|day| Date::from_julian_day(day).unwrap())
}

/// Instants: the whole i64 range, with its edges and the edges of `time`
/// (years -9999 and 9999) more often than chance would pick them.
fn any_instant() -> impl Strategy<Value = i64> {
    let first = Date::MIN.midnight().assume_utc().unix_timestamp();
    let last = Date::MAX.midnight().assume_utc().unix_timestamp() + 86_399;
    prop_oneof![
        any::<i64>(),
        Just(i64::MIN),
        Just(i64::MAX),
        (first - 200_000..first + 200_000),
        (last - 200_000..last + 200_000),
    ]
}

fn yymmdd() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{6}",
        "[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])"
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn door_date_never_panics(unix in any_instant()) {
        if let Ok(date) = dates::door_date(unix) {
            // Dutch civil time is one or two hours ahead of UTC.
            let utc = time::OffsetDateTime::from_unix_timestamp(unix).unwrap().date();
            prop_assert!(date == utc || utc.next_day() == Some(date));
        }
    }

    #[test]
    fn two_digit_years_never_panic(text in yymmdd(), today in any_date()) {
        if let Ok(birth) = dates::resolve_birth_date(&text, today) {
            prop_assert!(birth <= today);
        }
        let _ = dates::resolve_expiry_date(&text, today);
    }

    #[test]
    fn calendar_helpers_never_panic(a in any_date(), b in any_date(), day in any::<u16>()) {
        let _ = dates::age_years(a, b);
        if let Ok(n) = dates::day_number(a) {
            prop_assert_eq!(dates::from_day_number(n), a);
        }
        let _ = dates::from_day_number(day);
        let text = dates::format_iso_date(a);
        if (0..=9999).contains(&a.year()) {
            prop_assert_eq!(dates::parse_iso_date(&text, "d").unwrap(), a);
        }
    }

    #[test]
    fn iso_parsing_never_panics(text in "\\PC{0,12}", digits in "[0-9]{4}-[0-9]{2}-[0-9]{2}") {
        let _ = dates::parse_iso_date(&text, "d");
        let _ = dates::parse_iso_date(&digits, "d");
    }
}

struct Fixture {
    signer: ListSigner,
    lists: Vec<Vec<u8>>,
}

/// One signer and a few lists issued at the edges of time.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let rng = ring::rand::SystemRandom::new();
        let signer = ListSigner::from_pkcs8(&ListSigner::generate_pkcs8(&rng).unwrap()).unwrap();
        let key = IdentityKey::from_bytes(&KEY).unwrap();
        let person = Identity::from_manual("Jansen", "Piet", "1990-01-01").unwrap();
        let entries = EntrySet::from_entries(person.ban_tokens(&key).into_iter().map(
            |(token, strength)| ListEntry {
                token,
                last_day: u16::MAX,
                strength,
            },
        ));
        let lists = [i64::MIN, -1, 0, 1_800_000_000, i64::MAX - 1, i64::MAX]
            .iter()
            .enumerate()
            .map(|(i, issued_at)| {
                let header = ListHeader {
                    area_id: 1,
                    key_epoch: 1,
                    max_age_seconds: u32::MAX,
                    version: i as u64 + 1,
                    issued_at: *issued_at,
                    key_check: key.check_value(),
                    next_signing_key: None,
                };
                signer.snapshot(&header, &entries).unwrap()
            })
            .collect();
        Fixture { signer, lists }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_door_never_panics_on_any_clock(
        list in 0usize..6,
        apply_at in any_instant(),
        now in any_instant(),
    ) {
        let f = fixture();
        let dir = tempfile::tempdir().unwrap();
        let mut door = Door::open(dir.path(), &f.signer.public_key()).unwrap();
        door.set_area_key(1, 1, &KEY, false).unwrap();
        // Without a list, then with whatever was accepted.
        for _ in 0..2 {
            let _ = door.status(now);
            let _ = door.check_manual("Jansen", "Piet", "1990-01-01", now);
            let _ = door.check_manual("Jansen", "Piet", "0001-01-01", now);
            let _ = door.check_mrz(
                "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10",
                now,
            );
            let _ = door.apply_update(f.lists[list].clone(), apply_at);
        }
    }
}
