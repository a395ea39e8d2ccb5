//! The exported API through real FFI, from the languages the door apps use.
//!
//! The test generates the Kotlin, Swift and Python bindings from the compiled
//! cdylib in library mode (settings from `mobile-core/uniffi.toml`), writes
//! signed lists and the tokens the Rust core computes into a fixtures
//! directory, and runs two programs against them through the generated
//! bindings: `tests/bindings/test_bindings.py` (Python, stdlib `unittest`,
//! `ctypes`) and `tests/bindings/Main.kt` (Kotlin on the JVM, via JNA). Swift
//! is generated and its module name checked, but not compiled: that needs a
//! Swift toolchain, which the Linux machines do not have.
//!
//! The bindings, the tools and the compiled-Kotlin cache come from
//! `cho_testkit::foreign` (shared with the door life cycle in
//! `tests/tests/foreign_door_life.rs`); its documentation says where the
//! cdylib and the bindgen come from under `cargo test -p cho-core` and
//! `cargo test --workspace`. A missing tool makes a test print a loud
//! SKIPPED line and pass, unless `CHO_REQUIRE_ALL_TESTS=1` (CI).
//!
//! Each test writes under `target/tmp/foreign_bindings/<language>/` (emptied
//! at its start, left in place afterwards for a look after a failure). The
//! compiled Kotlin program is cached under
//! `target/tmp/foreign_bindings-kotlin-cache/` by a hash of its sources and
//! tools, so only a run after a change pays for the compiler (about 20 s).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use cho_core::dates;
use cho_core::identity::{Identity, IdentityKey, MatchStrength};
use cho_core::list_format::{EntrySet, ListEntry, ListHeader, ListSigner};
use cho_core::mrz;
use cho_testkit::foreign::{self, Kotlin, hex, note, show};
use cho_testkit::mrz::{ICAO_TD1, ICAO_TD3, td3};
use time::Date;
use time::macros::{date, datetime};

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const TARGET_TMPDIR: &str = env!("CARGO_TARGET_TMPDIR");

// The scenario the foreign programs replay. All times are fixed: the API
// takes "now" as an argument, so nothing depends on the machine's clock.
const AREA: u64 = 7;
const OTHER_AREA: u64 = 8;
const EPOCH: u32 = 1;
const IDENTITY_KEY: [u8; 32] = [0x5a; 32];
const MAX_AGE: u32 = 86_400;
/// 2026-11-28 12:00 UTC, 13:00 at a Dutch door.
const NOW: i64 = datetime!(2026-11-28 12:00 UTC).unix_timestamp();
const TODAY: &str = "2026-11-28";
const V1_ISSUED: i64 = NOW - 3_600;
const V2_ISSUED: i64 = NOW - 600;

/// A person as the foreign programs enter them by hand.
struct Person {
    key: &'static str,
    surname: &'static str,
    given: &'static str,
    birth: &'static str,
}

/// Banned in v1 and v2 by a manual entry; "Pieter" shares only the initial.
const JANSEN: Person = Person {
    key: "banned",
    surname: "Jansen",
    given: "Piet",
    birth: "1990-05-17",
};
const JANSEN_UNTIL: Date = date!(2030 - 12 - 31);
/// The ICAO specimen, banned from her passport's MRZ; the ban is extended
/// in v2.
const ERIKSSON: Person = Person {
    key: "mrz",
    surname: "Eriksson",
    given: "Anna Maria",
    birth: "1974-08-12",
};
const ERIKSSON_UNTIL_V1: Date = date!(2031 - 06 - 30);
const ERIKSSON_UNTIL_V2: Date = date!(2032 - 01 - 31);
/// Added by the v2 delta, with diacritics.
const MULLER: Person = Person {
    key: "added",
    surname: "Müller",
    given: "Zoë",
    birth: "1985-11-02",
};
const MULLER_UNTIL: Date = date!(2029 - 01 - 15);
/// On the list with a last day in the past: no longer banned.
const DE_VRIES: Person = Person {
    key: "expired",
    surname: "De Vries",
    given: "Kees",
    birth: "1970-03-03",
};
const DE_VRIES_UNTIL: Date = date!(2025 - 01 - 01);
/// Never banned, and a minor.
const VISSER: Person = Person {
    key: "clear",
    surname: "Visser",
    given: "Anna",
    birth: "2010-01-01",
};

struct Setup {
    /// The generated bindings, with the cdylib copied beside `cho_core.py`.
    bindings: PathBuf,
    fixtures: PathBuf,
    work: PathBuf,
}

/// Generates the bindings and writes the fixtures into
/// `target/tmp/foreign_bindings/<language>/`. Each test has its own
/// directory, so the tests also run side by side in separate processes
/// (cargo-nextest).
fn setup(language: &str) -> Setup {
    let started = Instant::now();
    let work = PathBuf::from(TARGET_TMPDIR)
        .join("foreign_bindings")
        .join(language);
    foreign::empty_dir(&work);
    let bindings = foreign::bindings(&work.join("bindings"));
    let fixtures = work.join("fixtures");
    fs::create_dir_all(&fixtures).unwrap();
    write_fixtures(&fixtures);
    note(&format!(
        "foreign_bindings: {language} bindings and fixtures ready in {:.1} s ({})",
        started.elapsed().as_secs_f64(),
        work.display()
    ));
    Setup {
        bindings,
        fixtures,
        work,
    }
}

fn strength_name(s: MatchStrength) -> &'static str {
    match s {
        MatchStrength::Banned => "banned",
        MatchStrength::PossibleMatch => "possible_match",
    }
}

/// `hex:strength` pairs, space separated, in the order the core returns.
fn token_list(tokens: &[(cho_core::identity::IdentityToken, MatchStrength)]) -> String {
    tokens
        .iter()
        .map(|(t, s)| format!("{}:{}", hex(&t.0), strength_name(*s)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A Dutch passport MRZ (TD3) with correct check digits; `name` as the
/// MRZ prints it.
fn passport(name: &str, birth: &str, expiry: &str) -> String {
    td3(
        &format!("P<NLD{name}"),
        "SPECI2026",
        "NLD",
        birth,
        'M',
        expiry,
        "",
    )
}

fn manual(p: &Person) -> Identity {
    Identity::from_manual(p.surname, p.given, p.birth).unwrap()
}

fn entries(identity: &Identity, key: &IdentityKey, last: Date) -> Vec<ListEntry> {
    let last_day = dates::day_number(last).unwrap();
    identity
        .ban_tokens(key)
        .into_iter()
        .map(|(token, strength)| ListEntry {
            token,
            last_day,
            strength,
        })
        .collect()
}

fn header(area_id: u64, version: u64, issued_at: i64) -> ListHeader {
    ListHeader {
        area_id,
        key_epoch: EPOCH,
        max_age_seconds: MAX_AGE,
        version,
        issued_at,
        key_check: IdentityKey::from_bytes(&IDENTITY_KEY)
            .unwrap()
            .check_value(),
        next_signing_key: None,
    }
}

/// Writes the signed lists and `fixtures.json` / `fixtures.properties` (the
/// same flat string map: JSON for Python, java.util.Properties for Kotlin).
fn write_fixtures(dir: &Path) {
    let rng = ring::rand::SystemRandom::new();
    let signer = ListSigner::from_pkcs8(&ListSigner::generate_pkcs8(&rng).unwrap()).unwrap();
    let key = IdentityKey::from_bytes(&IDENTITY_KEY).unwrap();
    let today = dates::parse_iso_date(TODAY, "today").unwrap();
    let eriksson_mrz = Identity::from_mrz(&mrz::parse(ICAO_TD3).unwrap(), today).unwrap();

    // Filler bans of nobody in particular, so the lists are not tiny.
    let filler = (0u8..40).map(|n| ListEntry {
        token: cho_core::identity::IdentityToken([n.wrapping_mul(6).wrapping_add(1); 16]),
        last_day: dates::day_number(date!(2030 - 01 - 01)).unwrap(),
        strength: MatchStrength::Banned,
    });
    let mut v1: Vec<ListEntry> = filler.collect();
    v1.extend(entries(&manual(&JANSEN), &key, JANSEN_UNTIL));
    v1.extend(entries(&eriksson_mrz, &key, ERIKSSON_UNTIL_V1));
    v1.extend(entries(&manual(&DE_VRIES), &key, DE_VRIES_UNTIL));
    let v1 = EntrySet::from_entries(v1);

    // v2: Jansen's ban is lifted, Eriksson's extended, Müller's added.
    let jansen_tokens: Vec<_> = manual(&JANSEN)
        .ban_tokens(&key)
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    let mut v2: Vec<ListEntry> = v1
        .iter()
        .filter(|e| !jansen_tokens.contains(&e.token))
        .collect();
    v2.extend(entries(&eriksson_mrz, &key, ERIKSSON_UNTIL_V2));
    v2.extend(entries(&manual(&MULLER), &key, MULLER_UNTIL));
    let v2 = EntrySet::from_entries(v2);

    let snapshot = signer.snapshot(&header(AREA, 1, V1_ISSUED), &v1).unwrap();
    let delta = signer
        .delta(&header(AREA, 2, V2_ISSUED), 1, &v1, &v2)
        .unwrap();
    let mut tampered = snapshot.clone();
    let last_entry_byte = tampered.len() - 65;
    tampered[last_entry_byte] ^= 0x01;
    let other_area = signer
        .snapshot(&header(OTHER_AREA, 1, V1_ISSUED), &v1)
        .unwrap();
    for (file, bytes) in [
        ("snapshot-v1.bin", &snapshot),
        ("delta-v2.bin", &delta),
        ("tampered-v1.bin", &tampered),
        ("other-area-v1.bin", &other_area),
    ] {
        fs::write(dir.join(file), bytes).unwrap();
    }

    let jansen_passport = passport("JANSEN<<PIET", "900517", "310101");
    let mut bad_check = ICAO_TD3.to_owned();
    // The birth date's check digit (line 2, column 20): 2 becomes 3.
    bad_check.replace_range(45 + 19..45 + 20, "3");

    let mut f: BTreeMap<String, String> = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        f.insert(k.to_owned(), v);
    };
    put("now_unix", NOW.to_string());
    put("today", TODAY.to_owned());
    put("area_id", AREA.to_string());
    put("other_area_id", OTHER_AREA.to_string());
    put("epoch", EPOCH.to_string());
    put("identity_key", hex(&IDENTITY_KEY));
    put("public_key", hex(&signer.public_key()));
    put("max_age_seconds", MAX_AGE.to_string());
    put("v1_issued_at", V1_ISSUED.to_string());
    put("v1_entries", v1.len().to_string());
    put("v2_issued_at", V2_ISSUED.to_string());
    put("v2_entries", v2.len().to_string());
    put("snapshot_v1", "snapshot-v1.bin".to_owned());
    put("delta_v2", "delta-v2.bin".to_owned());
    put("tampered_v1", "tampered-v1.bin".to_owned());
    put("other_area_v1", "other-area-v1.bin".to_owned());
    put("td3", ICAO_TD3.to_owned());
    put("td1", ICAO_TD1.to_owned());
    put("td3_bad_check", bad_check);
    put("td3_banned", jansen_passport);
    for p in [&JANSEN, &ERIKSSON, &MULLER, &DE_VRIES, &VISSER] {
        put(&format!("{}_surname", p.key), p.surname.to_owned());
        put(&format!("{}_given", p.key), p.given.to_owned());
        put(&format!("{}_birth", p.key), p.birth.to_owned());
    }
    put("banned_given_other", "Pieter".to_owned());
    put("banned_until", dates::format_iso_date(JANSEN_UNTIL));
    put("mrz_until_v1", dates::format_iso_date(ERIKSSON_UNTIL_V1));
    put("mrz_until_v2", dates::format_iso_date(ERIKSSON_UNTIL_V2));
    put("added_until", dates::format_iso_date(MULLER_UNTIL));
    put("added_surname_plain", "Mueller".to_owned());
    put("added_given_plain", "Zoe".to_owned());
    // Ages on TODAY, worked out by hand.
    put("banned_age", "36".to_owned());
    put("mrz_age", "52".to_owned());
    put("added_age", "41".to_owned());
    put("clear_age", "16".to_owned());
    // What the Rust core computes; the bindings must hand back the same.
    put(
        "tokens_manual",
        token_list(&manual(&JANSEN).ban_tokens(&key)),
    );
    put("tokens_mrz", token_list(&eriksson_mrz.ban_tokens(&key)));

    fs::write(
        dir.join("fixtures.json"),
        serde_json::to_string_pretty(&f).unwrap(),
    )
    .unwrap();
    let properties: String = f
        .iter()
        .map(|(k, v)| format!("{k}={}\n", properties_escape(v)))
        .collect();
    fs::write(dir.join("fixtures.properties"), properties).unwrap();
}

/// Escapes a value for `java.util.Properties.load`, which reads ISO-8859-1:
/// backslashes, line breaks and every non-ASCII character are escaped.
fn properties_escape(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out
}

#[test]
fn python_bindings() {
    let python = match foreign::python() {
        Ok(python) => python,
        Err(missing) => return foreign::skip("foreign_bindings::python_bindings", &missing),
    };
    let setup = setup("python");
    let started = Instant::now();
    let output = Command::new(&python)
        .arg(Path::new(MANIFEST_DIR).join("tests/bindings/test_bindings.py"))
        .env("CHO_BINDINGS_DIR", &setup.bindings)
        .env("CHO_FIXTURES_DIR", &setup.fixtures)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(&setup.work)
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "the Python bindings test failed:\n{}",
        show(&output)
    );
    println!("{}", show(&output));
    note(&format!(
        "foreign_bindings: Python passed in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
}

#[test]
fn kotlin_bindings() {
    let kotlin = match Kotlin::find() {
        Ok(kotlin) => kotlin,
        Err(missing) => return foreign::skip("foreign_bindings::kotlin_bindings", &missing),
    };
    let setup = setup("kotlin");
    let main = Path::new(MANIFEST_DIR).join("tests/bindings/Main.kt");
    let jar = kotlin.compile(
        &setup.bindings,
        &[&main],
        &PathBuf::from(TARGET_TMPDIR).join("foreign_bindings-kotlin-cache"),
        &setup.work,
    );
    let started = Instant::now();
    let output = kotlin
        .command(&jar, &setup.bindings, "MainKt")
        .arg(&setup.fixtures)
        .current_dir(&setup.work)
        .output()
        .expect("run java");
    assert!(
        output.status.success(),
        "the Kotlin bindings test failed:\n{}",
        show(&output)
    );
    println!("{}", show(&output));
    note(&format!(
        "foreign_bindings: Kotlin passed in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
}
