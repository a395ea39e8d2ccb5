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
//! Where the pieces come from, and why it works the same under
//! `cargo test -p cho-core` and `cargo test --workspace`:
//!
//! - The cdylib. `cargo test` compiles cho-core's lib target once, with all
//!   its crate types (lib, cdylib, staticlib) in one rustc call, into the
//!   `deps` directory this test executable runs from; it is not copied up to
//!   `target/debug/` (only `cargo build` does that). It is taken from beside
//!   this executable: exactly the library this test was built with, under
//!   any profile or `--target`. Only when it is not there (another runner's
//!   layout) is it built with a nested `cargo build -p cho-core --lib`.
//! - The bindgen. `cargo test` never builds another package's binary, not
//!   even under `--workspace` (a bin is built only for its own package's
//!   integration tests), so `target/debug/uniffi-bindgen` may be missing or
//!   stale. A nested `cargo build -p uniffi-bindgen` from the test works
//!   (cargo releases the build lock before it runs test binaries), but it
//!   resolves other features than the test build and so compiles
//!   `uniffi_bindgen` and some 40 crates a second time: 3.5 minutes on a
//!   fresh CI target. Instead the test calls the function behind the
//!   binary's `generate` command, `uniffi::generate`, in process. cho-core's
//!   dev-dependency on uniffi with the `cli` feature provides it; under
//!   `--workspace` uniffi has that feature anyway (uniffi-bindgen enables
//!   it), so nothing is compiled twice, and under `-p cho-core` it is
//!   compiled once with the test build.
//!
//! Tools: python3 for the Python test; java, JNA (`CHO_JNA_JAR`, default
//! `/usr/share/java/jna.jar`) and the Kotlin compiler and stdlib jars
//! (`CHO_KOTLIN_HOME`, default `/opt/kotlin-wheel`) for the Kotlin test. A
//! missing tool makes that test print a loud SKIPPED line on the terminal and
//! pass, unless `CHO_REQUIRE_ALL_TESTS=1` (CI), when it fails.
//!
//! Each test writes under `target/tmp/foreign_bindings/<language>/` (emptied
//! at its start, left in place afterwards for a look after a failure). The compiled
//! Kotlin program is cached under `target/tmp/foreign_bindings-kotlin-cache/`
//! by a hash of its sources and tools, so only a run after a change pays for
//! the compiler (about 20 s).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Instant, UNIX_EPOCH};

use cho_core::dates;
use cho_core::identity::{Identity, IdentityKey, MatchStrength};
use cho_core::list_format::{EntrySet, ListEntry, ListHeader, ListSigner};
use cho_core::mrz;
use cho_testkit::mrz::{ICAO_TD1, ICAO_TD3, td3};
use time::Date;
use time::macros::{date, datetime};

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const TARGET_TMPDIR: &str = env!("CARGO_TARGET_TMPDIR");

/// Set to `1` (CI does) to turn a missing tool into a failure.
const REQUIRE_ALL: &str = "CHO_REQUIRE_ALL_TESTS";
/// A directory holding a Kotlin compiler jar and the Kotlin stdlib jar.
const KOTLIN_HOME_VAR: &str = "CHO_KOTLIN_HOME";
const KOTLIN_HOME_DEFAULT: &str = "/opt/kotlin-wheel";
const JNA_JAR_VAR: &str = "CHO_JNA_JAR";
const JNA_JAR_DEFAULT: &str = "/usr/share/java/jna.jar";
const KOTLIN_INSTALL: &str = "pip install --target /opt/kotlin-wheel --no-deps \
     kotlin-jupyter-kernel==0.19.0.944 (or set CHO_KOTLIN_HOME to a directory with \
     kotlin-compiler*.jar and kotlin-stdlib*.jar)";
const JNA_INSTALL: &str = "apt-get install -y libjna-java (or set CHO_JNA_JAR)";
const JAVA_INSTALL: &str = "apt-get install -y default-jdk-headless";
const PYTHON_INSTALL: &str = "apt-get install -y python3";

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
    match fs::remove_dir_all(&work) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("cannot empty {}: {e}", work.display()),
    }
    let bindings = work.join("bindings");
    let fixtures = work.join("fixtures");
    fs::create_dir_all(&bindings).unwrap();
    fs::create_dir_all(&fixtures).unwrap();

    let library = cdylib();
    generate_bindings(&library, &bindings);
    fs::copy(&library, bindings.join(library.file_name().unwrap())).unwrap();
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

fn cdylib_name() -> String {
    format!(
        "{}cho_core{}",
        env::consts::DLL_PREFIX,
        env::consts::DLL_SUFFIX
    )
}

/// The cdylib built with this test (see the module documentation).
fn cdylib() -> PathBuf {
    let name = cdylib_name();
    let exe = env::current_exe().expect("path of the test executable");
    if let Some(beside) = exe.parent().map(|dir| dir.join(&name))
        && beside.is_file()
    {
        return beside;
    }
    cargo_build(&["-p", "cho-core", "--lib"])
        .iter()
        .filter(|m| m["target"]["name"] == "cho_core" || m["target"]["name"] == "cho-core")
        .flat_map(|m| m["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .find(|f| f.file_name().is_some_and(|n| *n == *name))
        .unwrap_or_else(|| panic!("cargo build -p cho-core produced no {name}"))
}

/// Runs `cargo build` with JSON messages and returns its compiler-artifact
/// messages.
fn cargo_build(args: &[&str]) -> Vec<serde_json::Value> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let output = Command::new(&cargo)
        .arg("build")
        .arg("--message-format=json-render-diagnostics")
        .args(args)
        .current_dir(MANIFEST_DIR)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", cargo.to_string_lossy()));
    assert!(
        output.status.success(),
        "cargo build {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .collect()
}

/// Library mode, as `generate-bindings.sh` does it with the
/// `uniffi-bindgen` binary: this is the function behind its `generate`
/// command. It finds `uniffi.toml` through `cargo metadata`, run in the
/// current directory, which `cargo test` sets to the crate's.
fn generate_bindings(library: &Path, out: &Path) {
    uniffi::generate(uniffi::GenerateOptions {
        languages: vec![
            uniffi::TargetLanguage::Kotlin,
            uniffi::TargetLanguage::Swift,
            uniffi::TargetLanguage::Python,
        ],
        source: library
            .to_path_buf()
            .try_into()
            .expect("UTF-8 library path"),
        out_dir: out.to_path_buf().try_into().expect("UTF-8 output path"),
        config_override: None,
        format: false,
        crate_filter: None,
        metadata_no_deps: false,
    })
    .unwrap_or_else(|e| panic!("generating the bindings failed: {e:#}"));
    let kotlin = fs::read_to_string(out.join("nl/cho/core/cho_core.kt"))
        .expect("Kotlin bindings at nl/cho/core/cho_core.kt (package from uniffi.toml)");
    assert!(
        kotlin.lines().any(|l| l.trim() == "package nl.cho.core"),
        "generated Kotlin is not in package nl.cho.core"
    );
    for file in [
        "cho_core.py",
        "ChoCore.swift",
        "ChoCoreFFI.h",
        "ChoCoreFFI.modulemap",
    ] {
        assert!(out.join(file).is_file(), "bindgen did not write {file}");
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

/// Prints on the terminal even when libtest captures the test's output.
fn note(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// A missing tool: a loud skip, or a failure under `CHO_REQUIRE_ALL_TESTS=1`.
fn skip(test: &str, why: &str, install: &str) {
    if env::var(REQUIRE_ALL).is_ok_and(|v| v == "1") {
        panic!("{test}: {why}, and {REQUIRE_ALL}=1 forbids skipping. Install with: {install}");
    }
    note(&format!(
        "\n********************************************************************\n\
         SKIPPED: foreign_bindings::{test}: {why}\n\
         (install with: {install}; set {REQUIRE_ALL}=1 to make this a failure)\n\
         ********************************************************************"
    ));
}

fn show(output: &Output) -> String {
    format!(
        "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Whether `program args` runs and exits 0.
fn runs(program: &Path, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn python_bindings() {
    let python = PathBuf::from("python3");
    if !runs(&python, &["--version"]) {
        return skip("python_bindings", "python3 not found", PYTHON_INSTALL);
    }
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

/// The jars and programs the Kotlin test needs.
struct Kotlin {
    java: PathBuf,
    compiler: PathBuf,
    stdlib: PathBuf,
    jna: PathBuf,
}

impl Kotlin {
    /// Finds the tools, or says which one is missing and how to install it.
    fn find() -> Result<Self, (String, &'static str)> {
        let java = env::var_os("JAVA_HOME")
            .map(|home| PathBuf::from(home).join("bin/java"))
            .filter(|java| java.is_file())
            .unwrap_or_else(|| PathBuf::from("java"));
        if !runs(&java, &["-version"]) {
            return Err((format!("{} not found", java.display()), JAVA_INSTALL));
        }
        let jna =
            env::var_os(JNA_JAR_VAR).map_or_else(|| PathBuf::from(JNA_JAR_DEFAULT), PathBuf::from);
        if !jna.is_file() {
            return Err((format!("JNA jar {} not found", jna.display()), JNA_INSTALL));
        }
        let home = env::var_os(KOTLIN_HOME_VAR)
            .map_or_else(|| PathBuf::from(KOTLIN_HOME_DEFAULT), PathBuf::from);
        let mut jars = Vec::new();
        collect_jars(&home, 4, &mut jars);
        jars.sort();
        let file_name = |p: &PathBuf| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        // A Kotlin distribution's kotlin-compiler.jar, or the self-contained
        // compiler inside the kotlin-jupyter-kernel wheel.
        let compiler = jars.iter().find(|p| {
            let n = file_name(p);
            (n.starts_with("kotlin-compiler") && !n.contains("embeddable"))
                || (n.starts_with("kotlin-jupyter-kernel-") && n.ends_with("-all.jar"))
        });
        let stdlib = jars.iter().find(|p| {
            let n = file_name(p);
            n == "kotlin-stdlib.jar"
                || (n.starts_with("kotlin-stdlib-")
                    && n.as_bytes().get(14).is_some_and(u8::is_ascii_digit)
                    && !n.contains("sources"))
        });
        match (compiler, stdlib) {
            (Some(compiler), Some(stdlib)) => Ok(Self {
                java,
                compiler: compiler.clone(),
                stdlib: stdlib.clone(),
                jna,
            }),
            _ => Err((
                format!(
                    "no Kotlin compiler and stdlib jars under {} (${KOTLIN_HOME_VAR})",
                    home.display()
                ),
                KOTLIN_INSTALL,
            )),
        }
    }

    /// Compiles the generated bindings and `Main.kt` into a jar, or reuses
    /// the jar an earlier run compiled from the same inputs.
    fn compile(&self, setup: &Setup) -> PathBuf {
        let generated = setup.bindings.join("nl/cho/core/cho_core.kt");
        let main = Path::new(MANIFEST_DIR).join("tests/bindings/Main.kt");
        let mut hasher = ring::digest::Context::new(&ring::digest::SHA256);
        for source in [&generated, &main] {
            hasher.update(&fs::read(source).unwrap());
        }
        for tool in [&self.compiler, &self.stdlib, &self.jna] {
            let meta = fs::metadata(tool).unwrap();
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            hasher.update(format!("{}|{}|{modified}\n", tool.display(), meta.len()).as_bytes());
        }
        let cache = PathBuf::from(TARGET_TMPDIR).join("foreign_bindings-kotlin-cache");
        let cached = cache.join(format!("{}.jar", hex(&hasher.finish().as_ref()[..12])));
        if cached.is_file() {
            note(&format!(
                "foreign_bindings: Kotlin sources unchanged, reusing {}",
                cached.display()
            ));
            return cached;
        }
        let started = Instant::now();
        let jar = setup.work.join("kotlin-main.jar");
        let classpath = env::join_paths([&self.stdlib, &self.jna]).unwrap();
        let output = Command::new(&self.java)
            // C1 only: the compiler runs once, and this halves its time.
            .arg("-XX:TieredStopAtLevel=1")
            .arg("-cp")
            .arg(&self.compiler)
            .arg("org.jetbrains.kotlin.cli.jvm.K2JVMCompiler")
            .args(["-no-stdlib", "-no-reflect", "-nowarn", "-cp"])
            .arg(&classpath)
            .arg("-d")
            .arg(&jar)
            .arg(&generated)
            .arg(&main)
            .output()
            .expect("run the Kotlin compiler");
        assert!(
            output.status.success() && jar.is_file(),
            "compiling Main.kt with the generated Kotlin bindings failed:\n{}",
            show(&output)
        );
        note(&format!(
            "foreign_bindings: Kotlin compiled in {:.1} s",
            started.elapsed().as_secs_f64()
        ));
        // Keep one cached jar: the one for the current sources.
        let _ = fs::remove_dir_all(&cache);
        fs::create_dir_all(&cache).unwrap();
        fs::copy(&jar, &cached).unwrap();
        jar
    }
}

fn collect_jars(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if depth > 0 {
                collect_jars(&path, depth - 1, out);
            }
        } else if path.extension().is_some_and(|e| e == "jar") {
            out.push(path);
        }
    }
}

#[test]
fn kotlin_bindings() {
    let kotlin = match Kotlin::find() {
        Ok(kotlin) => kotlin,
        Err((why, install)) => return skip("kotlin_bindings", &why, install),
    };
    let setup = setup("kotlin");
    let jar = kotlin.compile(&setup);
    let started = Instant::now();
    let classpath = env::join_paths([&jar, &kotlin.jna, &kotlin.stdlib]).unwrap();
    let mut library_path = OsString::from("-Djna.library.path=");
    library_path.push(&setup.bindings);
    let output = Command::new(&kotlin.java)
        .arg(library_path)
        .arg("-cp")
        .arg(&classpath)
        .arg("MainKt")
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
