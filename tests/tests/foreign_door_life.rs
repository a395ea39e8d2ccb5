//! A door app's whole life against a real `cho-server` process, written in
//! the languages the door apps use: `tests/foreign/DoorLife.kt` (Kotlin on
//! the JVM, through the generated bindings and JNA, with `java.net.http` as
//! the transport) and `tests/foreign/door_life.py` (Python, through the
//! generated bindings and `ctypes`, with `http.client` as the transport).
//!
//! The programs are the door: they hold a `DoorDevice` (the device protocol
//! in cho-core, without I/O) and carry its requests over HTTP. This test is
//! the rest of the world: it starts the server (SQLite, the demo's data),
//! acts as the owners, the beheerder and the operator through the API and
//! the command line, and tells the program what to do, one command per
//! line on its stdin; the program answers each with one line on stdout
//! (words separated by tabs: the answer's kind, then `name=value` fields).
//! The commands are listed at the top of each program.
//!
//! The life: a typed enrolment with a wrong key fingerprint is refused;
//! enrolment from the `cho-enrol:` link an owner created; the first sync
//! (the demo's bans); a ban issued through the API is `BANNED` after the
//! next sync, by name and from an ID card's MRZ; its revocation clears it;
//! the program is killed and started again on the same store (the state
//! survives); the area's identity key is rotated (`rotate-identity-key`:
//! the door fetches the new key); the list-signing key is rotated
//! (`rotate-signing-key`: the door follows the announced key, and accepts
//! lists signed by the new key once the server runs with it); the server is
//! down (a retry time, then a normal sync); the beheerder revokes the
//! device (the door wipes itself and says so: no list, no keys, no
//! credential).
//!
//! Bindings, tools and the compiled-Kotlin cache come from
//! `cho_testkit::foreign`: a missing java, Kotlin, JNA or python3 is a loud
//! SKIPPED on a laptop and a failure under `CHO_REQUIRE_ALL_TESTS=1` (CI).
//! Each test works in `target/tmp/foreign_door_life/<language>/` (emptied at
//! its start, kept for a look after a failure: the program's stderr and the
//! transcript of the conversation are there); the Kotlin jar is cached in
//! `target/tmp/foreign_door_life-kotlin-cache/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use cho_core::list_format::ListSigner;
use cho_testkit::foreign::{self, Kotlin, note};
use cho_testkit::people::DE_BRUIJN;
use cho_tests::*;
use serde_json::json;

const SERVER: &str = env!("CARGO_BIN_EXE_cho-server-e2e");
const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const TARGET_TMPDIR: &str = env!("CARGO_TARGET_TMPDIR");

/// How long one answer of the program may take (a waiting sync asks the
/// server to hold it for at most [`SYNC_WAIT`]).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);
/// The wait the harness asks for in a sync (seconds).
const SYNC_WAIT: &str = "10";
/// How long a change may take to reach the door. The server publishes
/// within a second (`--publish-interval 1`); a publication by another
/// process (the key rotations on the command line) once the server's
/// watcher has seen it (a poll a second on SQLite).
const REACH_DOOR: Duration = Duration::from_secs(60);

/// How to start one language's program: set once per test, before the
/// server starts (the story is a plain `fn`).
struct Launcher {
    language: &'static str,
    work: PathBuf,
    command: Box<dyn Fn() -> Command + Send + Sync>,
}

static PYTHON: OnceLock<Launcher> = OnceLock::new();
static KOTLIN: OnceLock<Launcher> = OnceLock::new();

static PYTHON_KEYSTORE: OnceLock<Launcher> = OnceLock::new();

/// The Python program in `target/tmp/foreign_door_life/<dir>/`; with
/// `keystore`, it keeps the credential and area key in `keystore.json`
/// there (`CHO_KEYSTORE`), the data directory `persist = false`.
fn python_launcher(dir: &str, keystore: bool) -> Result<Launcher, foreign::Missing> {
    let python = foreign::python()?;
    let work = work_dir(dir);
    let bindings = foreign::bindings(&work.join("bindings"));
    let script = Path::new(MANIFEST_DIR).join("foreign/door_life.py");
    let keystore = keystore.then(|| work.join("keystore.json"));
    Ok(Launcher {
        language: "python",
        work,
        command: Box::new(move || {
            let mut c = Command::new(&python);
            c.arg(&script)
                .env("CHO_BINDINGS_DIR", &bindings)
                .env("PYTHONDONTWRITEBYTECODE", "1");
            if let Some(file) = &keystore {
                c.env("CHO_KEYSTORE", file);
            }
            c
        }),
    })
}

#[test]
fn python_door_life() {
    let launcher = match python_launcher("python", false) {
        Ok(launcher) => launcher,
        Err(missing) => return foreign::skip("foreign_door_life::python_door_life", &missing),
    };
    PYTHON.get_or_init(|| launcher);
    on_sqlite(SERVER, "python_door_life", |env| {
        door_life(env, PYTHON.get().expect("launcher"));
    });
}

#[test]
fn python_door_with_the_platform_keystore() {
    let launcher = match python_launcher("python-keystore", true) {
        Ok(launcher) => launcher,
        Err(missing) => {
            return foreign::skip(
                "foreign_door_life::python_door_with_the_platform_keystore",
                &missing,
            );
        }
    };
    PYTHON_KEYSTORE.get_or_init(|| launcher);
    on_sqlite(SERVER, "python_door_with_the_platform_keystore", |env| {
        keystore_life(env, PYTHON_KEYSTORE.get().expect("launcher"));
    });
}

#[test]
fn kotlin_door_life() {
    let kotlin = match Kotlin::find() {
        Ok(kotlin) => kotlin,
        Err(missing) => return foreign::skip("foreign_door_life::kotlin_door_life", &missing),
    };
    let work = work_dir("kotlin");
    let bindings = foreign::bindings(&work.join("bindings"));
    let source = Path::new(MANIFEST_DIR).join("foreign/DoorLife.kt");
    let jar = kotlin.compile(
        &bindings,
        &[&source],
        &PathBuf::from(TARGET_TMPDIR).join("foreign_door_life-kotlin-cache"),
        &work,
    );
    KOTLIN.get_or_init(|| Launcher {
        language: "kotlin",
        work,
        command: Box::new(move || kotlin.command(&jar, &bindings, "DoorLifeKt")),
    });
    on_sqlite(SERVER, "kotlin_door_life", |env| {
        door_life(env, KOTLIN.get().expect("launcher"));
    });
}

/// Swift is generated but not compiled (no Swift toolchain on Linux): the
/// device protocol must be in the module an iOS app builds against, with
/// the same calls the Kotlin and Python programs make.
#[test]
fn swift_bindings_carry_the_device_api() {
    let work = work_dir("swift");
    let bindings = foreign::bindings(&work.join("bindings"));
    let swift = fs::read_to_string(bindings.join(foreign::SWIFT_FILE)).expect("ChoCore.swift");
    for needle in [
        "open class DoorDevice:",
        "static func `open`(dataDir: String)",
        "func startEnrolLink(link: String, persist: Bool)",
        "func startEnrol(serverUrl: String, code: String, fingerprint: String, persist: Bool)",
        "func startSync(nowUnix: Int64, waitSeconds: UInt32)",
        "func handleResponse(response: HttpResponse, nowUnix: Int64)",
        "func transportFailed(nowUnix: Int64)",
        "func startCounts(nowUnix: Int64)",
        "func handleCountsResponse(response: HttpResponse, nowUnix: Int64)",
        "func status(nowUnix: Int64) -> DeviceStatus",
        "func checker() -> DoorChecker",
        "public struct HttpRequest:",
        "public struct HttpResponse:",
        "public struct DeviceStatus:",
        "public enum DeviceStep:",
        "public enum DeviceOutcome:",
        "public enum CountsOutcome:",
        "case DeviceRevoked(",
        "case SigningKeyMismatch(",
    ] {
        assert!(
            swift.contains(needle),
            "{} lacks {needle:?}",
            bindings.join(foreign::SWIFT_FILE).display()
        );
    }
}

fn work_dir(language: &str) -> PathBuf {
    let work = PathBuf::from(TARGET_TMPDIR)
        .join("foreign_door_life")
        .join(language);
    foreign::empty_dir(&work);
    work
}

/// The whole life, the same for every language.
fn door_life(env: &mut Env, launcher: &'static Launcher) {
    let store = launcher.work.join("store");
    fs::create_dir_all(&store).unwrap();
    let mut door = Program::start(launcher, &store);

    // Nothing yet: not enrolled.
    let status = door.ask(&["status"]);
    status.expect_kind("status");
    assert_eq!(status.get("state"), "NOT_ENROLLED", "{}", door.transcript());

    let fabriek = env.http.login(FABRIEK.0, FABRIEK.1);
    let server_key = signing_public_key(env);

    // A typed code with a fingerprint that is not the server's key: the
    // door refuses the answer (no trust on first use) and stays unenrolled.
    let code = fabriek.post(
        &format!("/api/v1/venues/{VENUE_2}/enrolment-codes"),
        json!({"name": "Achterdeur"}),
    );
    assert_eq!(code.status, 201, "{}", code.text());
    let wrong = cho_core::fingerprint::short_fingerprint(&[7u8; 32]);
    let refused = door.ask(&[
        "enrol_typed",
        &env.server.base,
        code.json()["code"].as_str().expect("code"),
        &wrong,
    ]);
    refused.expect_error("SigningKeyMismatch", &door);
    assert_eq!(door.ask(&["status"]).get("state"), "NOT_ENROLLED");

    // Enrolment from the link the owner's code comes with.
    let code = fabriek.post(
        &format!("/api/v1/venues/{VENUE_2}/enrolment-codes"),
        json!({"name": "Voordeur"}),
    );
    assert_eq!(code.status, 201, "{}", code.text());
    let link = enrolment_link(&code.json(), &server_key, &env.server.base);
    let enrolled = door.ask(&["enrol", &link]);
    enrolled.expect_kind("enrolled");
    assert_eq!(enrolled.get("area"), AREA_1.to_string());
    assert_eq!(enrolled.get("epoch"), "1");
    let device_id: i64 = enrolled.get("device").parse().expect("device id");
    let status = door.ask(&["status"]);
    assert_eq!(status.get("state"), "ENROLLED");
    assert_eq!(
        status.get("fingerprint"),
        cho_core::fingerprint::short_fingerprint(&server_key)
    );

    // The first sync: the demo's list.
    let first = door.sync_until("the first list", |r| r.kind == "updated");
    assert_eq!(first.get("kind"), "SNAPSHOT", "{}", door.transcript());
    assert_eq!(door.check(&JANSEN), "BANNED");
    assert_eq!(door.check(&DE_BRUIJN), "NOT_BANNED");
    let v1 = first.version();

    // Café De Kroon bans De Bruijn by her passport; the door at De Fabriek
    // sees it by name and from her ID card.
    let kroon = env.http.login(KROON.0, KROON.1);
    let ban = kroon.issue(ban_body(
        VENUE_1,
        CATEGORY_1,
        json!({"mrz": DE_BRUIJN.passport()}),
    ));
    let banned = door.sync_until("the new ban", |r| r.kind == "updated" && r.version() > v1);
    assert_eq!(door.check(&DE_BRUIJN), "BANNED");
    assert_eq!(door.check_mrz(&DE_BRUIJN.id_card()), "BANNED");
    assert_eq!(door.check(&JANSEN), "BANNED");

    // Revoked: after the next sync she is welcome again.
    kroon.revoke_ban(ban);
    let cleared = door.sync_until("the revocation", |r| {
        r.kind == "updated" && r.version() > banned.version()
    });
    assert_eq!(door.check(&DE_BRUIJN), "NOT_BANNED");
    assert_eq!(door.check_mrz(&DE_BRUIJN.id_card()), "NOT_BANNED");
    assert_eq!(door.check(&JANSEN), "BANNED");

    // Killed and started again: the enrolment, credential and list are on
    // disk, so the door checks and syncs on.
    let mut door = door.restart();
    let status = door.ask(&["status"]);
    assert_eq!(status.get("state"), "ENROLLED", "{}", door.transcript());
    assert_eq!(status.version(), cleared.version());
    assert_eq!(door.check(&JANSEN), "BANNED");
    let again = door.ask(&["sync", "0"]);
    again.expect_kind("up_to_date");
    assert_eq!(again.version(), cleared.version());

    // The operator rotates the area's identity key: the door's next list
    // is of epoch 2 and it fetches that key on the way.
    let out = env.run_cli(&["rotate-identity-key", &AREA_1.to_string()]);
    assert!(out.contains("epoch 2"), "{out}");
    let rotated = door.sync_until("the identity-key rotation", |r| {
        r.kind == "updated" && r.get("epoch") == "2"
    });
    assert_eq!(rotated.get("fetched_area_key"), "true");
    let status = door.ask(&["status"]);
    assert_eq!(status.get("epochs"), "2", "{}", door.transcript());
    assert_eq!(door.check(&JANSEN), "BANNED");
    assert_eq!(door.check(&DE_BRUIJN), "NOT_BANNED");

    // The operator rotates the list-signing key: the door applies the
    // version announcing the new key (signed by the old one) and from then
    // on trusts the new key only.
    let out = env.run_cli(&["rotate-signing-key"]);
    assert!(out.contains("announces the new key"), "{out}");
    let new_key = signing_public_key(env);
    assert_ne!(new_key, server_key);
    let followed = door.sync_until("the signing-key announcement", |r| {
        r.kind == "updated" && r.get("followed_signing_key") == "true"
    });
    let status = door.ask(&["status"]);
    assert_eq!(
        status.get("fingerprint"),
        cho_core::fingerprint::short_fingerprint(&new_key),
        "{}",
        door.transcript()
    );

    // The server is down: the sync gets no answer and a retry time.
    env.kill_server();
    let down = door.ask(&["sync", "0"]);
    down.expect_kind("retry_later");
    assert_eq!(down.get("failures"), "1", "{}", door.transcript());
    let status = door.ask(&["status"]);
    assert_eq!(status.get("failures"), "1");
    assert_eq!(door.check(&JANSEN), "BANNED");

    // Back, with the new key (as the README says: restart every instance
    // after the rotation). A new ban is published signed by it, and the
    // door takes it.
    env.restart_server_at_same_address();
    let kroon = env.http.login(KROON.0, KROON.1);
    kroon.issue(ban_body(
        VENUE_1,
        CATEGORY_1,
        json!({"mrz": DE_BRUIJN.passport()}),
    ));
    // (The restarted server may first publish a version of its own, before
    // the ban: sync until the ban is there.)
    let deadline = Instant::now() + REACH_DOOR;
    let mut have = followed.version();
    loop {
        let next = door.sync_until("a list signed by the new key", |r| {
            r.kind == "updated" && r.version() > have
        });
        have = next.version();
        if door.check(&DE_BRUIJN) == "BANNED" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the ban under the new key did not reach the door\n{}",
            door.transcript()
        );
    }
    assert_eq!(door.ask(&["status"]).get("failures"), "0");

    // The door reports its anonymous counts (running totals per hour and
    // verdict, nothing per check); its owner sees them as "checks tonight".
    // What the server acknowledged is not sent again.
    door.ask(&["counts"]).expect_kind("counts_sent");
    let fabriek = env.http.login(FABRIEK.0, FABRIEK.1);
    door.ask(&["counts"]).expect_kind("nothing_to_send");
    let devices = fabriek.get(&format!("/api/v1/areas/{AREA_1}/devices"));
    assert_eq!(devices.status, 200, "{}", devices.text());
    let mine = devices
        .json()
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["id"] == json!(device_id))
        .cloned()
        .expect("the door among the owner's devices");
    let tonight = &mine["checks_tonight"];
    for (field, verdict) in [
        ("banned", "BANNED"),
        ("possible_match", "POSSIBLE_MATCH"),
        ("welcome", "NOT_BANNED"),
        ("outdated", "LIST_OUTDATED"),
        ("no_list", "NO_LIST"),
    ] {
        assert_eq!(
            tonight[field].as_i64(),
            Some(door.counted(verdict)),
            "{field} in {tonight}\n{}",
            door.transcript()
        );
    }
    assert_eq!(
        tonight["total"].as_i64(),
        Some(door.counted.values().sum::<i64>())
    );

    // The beheerder revokes the door: its next sync wipes it (contract 3:
    // 401 device_revoked). No list, no keys, no credential; a sync is
    // refused until it is enrolled again.
    let beheerder = env.http.login(BEHEERDER.0, BEHEERDER.1);
    let a = env.http.request(
        "POST",
        &format!("/api/v1/devices/{device_id}/revoke"),
        Some(&beheerder.bearer),
        None,
    );
    assert_eq!(a.status, 204, "{}", a.text());
    let revoked = door.ask(&["sync", "0"]);
    revoked.expect_kind("revoked");
    let status = door.ask(&["status"]);
    assert_eq!(status.get("state"), "REVOKED", "{}", door.transcript());
    assert_eq!(status.get("version"), "none");
    assert_eq!(status.get("epochs"), "");
    assert_eq!(door.check(&JANSEN), "NO_LIST");
    assert_eq!(door.check(&DE_BRUIJN), "NO_LIST");
    door.ask(&["sync", "0"])
        .expect_error("DeviceRevoked", &door);
    // And so it stays after a restart.
    let mut door = door.restart();
    assert_eq!(door.ask(&["status"]).get("state"), "REVOKED");
    assert_eq!(door.check(&JANSEN), "NO_LIST");
    door.quit();
}

/// A door enrolled with `persist = false`: credential and area key live in
/// the program's keystore file, never in the data directory; both come
/// back from the keystore after a kill; a lost keystore leaves a door that
/// neither checks nor syncs until it enrols again.
fn keystore_life(env: &mut Env, launcher: &'static Launcher) {
    let store = launcher.work.join("store");
    fs::create_dir_all(&store).unwrap();
    let keystore = launcher.work.join("keystore.json");
    let mut door = Program::start(launcher, &store);
    let fabriek = env.http.login(FABRIEK.0, FABRIEK.1);
    let code = fabriek.post(
        &format!("/api/v1/venues/{VENUE_2}/enrolment-codes"),
        json!({"name": "Voordeur"}),
    );
    assert_eq!(code.status, 201, "{}", code.text());
    let link = enrolment_link(&code.json(), &signing_public_key(env), &env.server.base);
    door.ask(&["enrol", &link]).expect_kind("enrolled");
    door.sync_until("the first list", |r| r.kind == "updated");
    assert_eq!(door.check(&JANSEN), "BANNED");

    let kept: serde_json::Value =
        serde_json::from_slice(&fs::read(&keystore).expect("the keystore file")).unwrap();
    let credential = kept["credential"].as_str().expect("credential kept");
    let area_key = b64_standard(kept["area_key"]["identity_key"].as_str().expect("key kept"));
    assert_eq!(area_key.len(), 32);
    for file in files_under(&store) {
        let bytes = fs::read(&file).unwrap();
        assert!(
            !contains(&bytes, credential.as_bytes()) && !contains(&bytes, &area_key),
            "{} holds the credential or the area key",
            file.display()
        );
    }

    // Killed and started again: the keystore hands both back.
    let mut door = door.restart();
    assert_eq!(door.check(&JANSEN), "BANNED");
    let again = door.ask(&["sync", "0"]);
    assert!(
        matches!(again.kind.as_str(), "up_to_date" | "updated"),
        "{}",
        door.transcript()
    );

    // The keystore lost (a restored phone): no key, no credential.
    fs::remove_file(&keystore).unwrap();
    let mut door = door.restart();
    let check = door.ask(&[
        "check",
        JANSEN.surname,
        JANSEN.given_names,
        JANSEN.birth_date,
    ]);
    check.expect_error("AreaKeyMissing", &door);
    let sync = door.ask(&["sync", "0"]);
    sync.expect_error("CredentialMissing", &door);
    door.quit();
}

fn b64_standard(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64")
}

/// Every file below `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The deployment's list-signing public key, from the server's data
/// directory.
fn signing_public_key(env: &Env) -> Vec<u8> {
    let pkcs8 = fs::read(env.data_dir.path().join("list-signing.pk8")).expect("signing key");
    ListSigner::from_pkcs8(&pkcs8)
        .expect("key")
        .public_key()
        .to_vec()
}

/// The `cho-enrol:` link of an enrolment-code answer, checked against the
/// server's key: `cho-enrol:<URL>#code=<CODE>&key=<FULL FINGERPRINT>`, and
/// the short fingerprint beside the code (shared contract 2).
fn enrolment_link(answer: &serde_json::Value, key: &[u8], base: &str) -> String {
    let code = answer["code"].as_str().expect("code");
    let link = answer["link"].as_str().expect("link");
    assert_eq!(
        link,
        format!(
            "cho-enrol:{base}#code={code}&key={}",
            cho_core::fingerprint::fingerprint(key)
        )
    );
    assert_eq!(
        answer["key_fingerprint"].as_str(),
        Some(cho_core::fingerprint::short_fingerprint(key).as_str())
    );
    link.to_owned()
}

// ---------------------------------------------------------------------------
// The program and its conversation.

/// One answer line: its kind, then `name=value` fields.
struct Answer {
    line: String,
    kind: String,
    fields: BTreeMap<String, String>,
    /// `error` answers: the error's variant and reason.
    words: Vec<String>,
}

impl Answer {
    fn parse(line: &str) -> Self {
        let mut parts = line.split('\t');
        let kind = parts.next().unwrap_or_default().to_owned();
        let mut fields = BTreeMap::new();
        let mut words = Vec::new();
        for part in parts {
            match part.split_once('=') {
                Some((k, v)) if kind != "error" => {
                    fields.insert(k.to_owned(), v.to_owned());
                }
                _ => words.push(part.to_owned()),
            }
        }
        Self {
            line: line.to_owned(),
            kind,
            fields,
            words,
        }
    }

    fn get(&self, name: &str) -> String {
        self.fields
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in the answer {:?}", self.line))
            .clone()
    }

    fn version(&self) -> u64 {
        self.get("version")
            .parse()
            .unwrap_or_else(|_| panic!("no list version in {:?}", self.line))
    }

    fn expect_kind(&self, kind: &str) {
        assert_eq!(
            self.kind, kind,
            "expected a {kind} answer, got {:?}",
            self.line
        );
    }

    fn expect_error(&self, variant: &str, program: &Program) {
        assert!(
            self.kind == "error" && self.words.first().is_some_and(|w| w == variant),
            "expected the error {variant}, got {:?}\n{}",
            self.line,
            program.transcript()
        );
    }
}

/// A running door program.
struct Program {
    language: &'static str,
    launcher: &'static Launcher,
    store: PathBuf,
    /// The verdicts the door gave since its enrolment, as its tally
    /// counts them (the tally survives restarts; so does this).
    counted: BTreeMap<String, i64>,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    transcript: Vec<String>,
    transcript_file: PathBuf,
    stderr_file: PathBuf,
}

impl Program {
    fn start(launcher: &'static Launcher, store: &Path) -> Self {
        let runs = fs::read_dir(&launcher.work).map_or(0, |entries| {
            entries
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "transcript"))
                .count()
        });
        let stderr_file = launcher.work.join(format!("program-{runs}.stderr"));
        let transcript_file = launcher.work.join(format!("program-{runs}.transcript"));
        let mut child = (launcher.command)()
            .arg(store)
            .current_dir(&launcher.work)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&stderr_file).expect("stderr file"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {} program: {e}", launcher.language));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            language: launcher.language,
            launcher,
            store: store.to_path_buf(),
            counted: BTreeMap::new(),
            stdin: child.stdin.take(),
            child,
            lines,
            transcript: Vec::new(),
            transcript_file,
            stderr_file,
        }
    }

    /// Sends one command and waits for its answer.
    fn ask(&mut self, command: &[&str]) -> Answer {
        let line = command.join("\t");
        self.log(format!("> {line}"));
        let sent = self
            .stdin
            .as_mut()
            .map(|stdin| writeln!(stdin, "{line}").and_then(|()| stdin.flush()));
        if !matches!(sent, Some(Ok(()))) {
            panic!("cannot write to the program\n{}", self.transcript());
        }
        match self.lines.recv_timeout(ANSWER_TIMEOUT) {
            Ok(answer) => {
                self.log(format!("< {answer}"));
                Answer::parse(&answer)
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("no answer within {ANSWER_TIMEOUT:?}\n{}", self.transcript())
            }
            Err(RecvTimeoutError::Disconnected) => {
                let _ = self.child.wait();
                panic!("the program ended\n{}", self.transcript())
            }
        }
    }

    fn log(&mut self, line: String) {
        self.transcript.push(line);
        let _ = fs::write(&self.transcript_file, self.transcript.join("\n") + "\n");
    }

    /// The conversation so far and the program's stderr, for a failure.
    fn transcript(&self) -> String {
        format!(
            "--- {} program: conversation ---\n{}\n--- stderr ({}) ---\n{}",
            self.language,
            self.transcript.join("\n"),
            self.stderr_file.display(),
            fs::read_to_string(&self.stderr_file).unwrap_or_default()
        )
    }

    /// Syncs until `done` holds for an answer (updates, 304s and "nothing
    /// published" on the way are fine); returns that answer.
    fn sync_until(&mut self, what: &str, done: impl Fn(&Answer) -> bool) -> Answer {
        let deadline = Instant::now() + REACH_DOOR;
        loop {
            let asked = Instant::now();
            let answer = self.ask(&["sync", SYNC_WAIT]);
            if done(&answer) {
                return answer;
            }
            assert!(
                matches!(
                    answer.kind.as_str(),
                    "updated" | "up_to_date" | "nothing_published"
                ),
                "waiting for {what}: {:?}\n{}",
                answer.line,
                self.transcript()
            );
            assert!(
                Instant::now() < deadline,
                "{what} did not reach the door within {REACH_DOOR:?}\n{}",
                self.transcript()
            );
            // A server that does not hold syncs answers at once: poll.
            if asked.elapsed() < Duration::from_millis(500) {
                std::thread::sleep(Duration::from_millis(250));
            }
        }
    }

    /// The verdict for a person typed in.
    fn check(&mut self, p: &Person) -> String {
        let answer = self.ask(&["check", p.surname, p.given_names, p.birth_date]);
        self.verdict(&answer)
    }

    fn verdict(&mut self, answer: &Answer) -> String {
        answer.expect_kind("verdict");
        let verdict = answer.get("verdict");
        *self.counted.entry(verdict.clone()).or_default() += 1;
        verdict
    }

    /// How many checks gave `verdict` since the enrolment.
    fn counted(&self, verdict: &str) -> i64 {
        self.counted.get(verdict).copied().unwrap_or_default()
    }

    /// The verdict for a scanned MRZ (lines separated by newlines).
    fn check_mrz(&mut self, mrz: &str) -> String {
        let mut command = vec!["mrz"];
        command.extend(mrz.lines());
        let answer = self.ask(&command);
        self.verdict(&answer)
    }

    /// SIGKILL, as a phone's system kills an app, and a new start on the
    /// same data directory.
    fn restart(mut self) -> Self {
        self.log("(killed)".to_owned());
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut next = Self::start(self.launcher, &self.store);
        next.counted = std::mem::take(&mut self.counted);
        next
    }

    fn quit(mut self) {
        self.ask(&["quit"]).expect_kind("bye");
        drop(self.stdin.take());
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "{status}\n{}", self.transcript());
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            note(&self.transcript());
        }
    }
}
