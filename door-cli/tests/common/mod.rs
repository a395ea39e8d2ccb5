//! The test harness: a real cho-server on the demo data, in process on a
//! port-0 listener, driven over HTTP with the test kit's client; and the real `cho-door`
//! binary, run as a door would run it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    unreachable_pub
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use cho_server::clock::SystemClock;
use cho_server::secrets::Secrets;
use cho_server::services::App;
use cho_server::services::auth::PasswordHashing;
use cho_server::storage::Db;
use cho_testkit::http::Http;
use cho_testkit::{mrz, people};
use serde_json::{Value, json};

/// The demo's only area.
pub const AREA: i64 = 1;
/// Café De Kroon (owner "kroon") and Club De Fabriek (owner "fabriek").
pub const VENUE_KROON: i64 = 1;
pub const VENUE_FABRIEK: i64 = 2;
/// A demo person with a ban (surname, given names, birth date).
pub const JANSEN: (&str, &str, &str) = people::JANSEN.as_tuple();
/// Someone the list does not know.
pub const STRANGER: (&str, &str, &str) = people::DE_BRUIJN.as_tuple();

pub struct TestServer {
    pub url: String,
    pub app: App,
    runtime: tokio::runtime::Runtime,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    http: Http,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// A fresh database with the demo seed, served on 127.0.0.1:0.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let url = format!("sqlite://{}/cho.db?mode=rwc", dir.path().display());
        let (app, listener) = runtime.block_on(async {
            let db = Db::connect(&url).await.unwrap();
            let app = cho_server::app(
                db,
                Secrets::create(&dir.path().join("secrets")).unwrap(),
                Arc::new(SystemClock),
                PasswordHashing::fast_for_tests(),
            );
            assert!(cho_server::demo::seed(&app).await.unwrap());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            (app, listener)
        });
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = runtime.spawn(cho_server::serve(listener, app.clone(), async move {
            let _ = rx.await;
        }));
        let http = Http::new(&url);
        Self {
            url,
            app,
            runtime,
            shutdown: Some(tx),
            task: Some(task),
            http,
            _dir: dir,
        }
    }

    /// Publishes the area's list now (`serve` does it every 30 s).
    pub fn publish(&self) -> i64 {
        self.runtime
            .block_on(cho_server::services::lists::publish(&self.app, AREA))
            .unwrap()
            .version
    }

    /// Rotates the area's identity key (and publishes under the new epoch).
    pub fn rotate_key(&self) -> i64 {
        self.runtime
            .block_on(cho_server::services::keys::rotate(&self.app, AREA))
            .unwrap()
            .epoch
    }

    /// The first half of `rotate-signing-key`: every area gets a list,
    /// signed by the current key, announcing a new one. Returns the new
    /// public key.
    pub fn announce_new_signing_key(&self) -> [u8; 32] {
        let rng = ring::rand::SystemRandom::new();
        let next = cho_core::list_format::ListSigner::from_pkcs8(
            &cho_core::list_format::ListSigner::generate_pkcs8(&rng).unwrap(),
        )
        .unwrap()
        .public_key();
        self.runtime
            .block_on(cho_server::services::signing::announce(&self.app, next))
            .unwrap();
        next
    }

    /// Stops serving; the database stays for inspection.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = self
                .runtime
                .block_on(async { tokio::time::timeout(Duration::from_secs(10), task).await });
        }
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let auth = token.map(|t| format!("Bearer {t}"));
        let answer = self
            .http
            .request(method, path, auth.as_deref(), body.as_ref());
        (answer.status, answer.json())
    }

    /// A session token for a demo login.
    pub fn login(&self, username: &str) -> String {
        let (_, password, _) = cho_server::demo::LOGINS
            .iter()
            .find(|l| l.0 == username)
            .unwrap();
        let (status, body) = self.request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        );
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// A one-time enrolment code for a door of `venue`.
    pub fn enrolment_code(&self, owner: &str, venue: i64) -> String {
        let token = self.login(owner);
        let (status, body) = self.request(
            "POST",
            &format!("/api/v1/venues/{venue}/enrolment-codes"),
            Some(&token),
            Some(json!({"name": "Voordeur"})),
        );
        assert_eq!(status, 201, "{body}");
        body["code"].as_str().unwrap().to_owned()
    }

    /// The short fingerprint of the server's list-signing key, as the
    /// owner's page shows it beside a code.
    pub fn fingerprint(&self) -> String {
        cho_core::fingerprint::short_fingerprint(&self.app.secrets.signing_public_key)
    }

    /// The `cho-enrol:` link for a new code of `venue`.
    pub fn enrolment_link(&self, owner: &str, venue: i64) -> String {
        format!(
            "cho-enrol:{}#code={}&key={}",
            self.url,
            self.enrolment_code(owner, venue),
            cho_core::fingerprint::fingerprint(&self.app.secrets.signing_public_key)
        )
    }

    /// Issues a ban (category "geweld-licht") for an incident two hours ago.
    pub fn issue_ban(&self, owner: &str, venue: i64, person: (&str, &str, &str)) {
        let token = self.login(owner);
        let (_, categories) = self.request(
            "GET",
            &format!("/api/v1/areas/{AREA}/categories"),
            Some(&token),
            None,
        );
        let category = categories
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == "geweld-licht")
            .unwrap()["id"]
            .clone();
        let now = time::OffsetDateTime::now_utc();
        let incident = (now - time::Duration::hours(2))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let today = cho_core::dates::format_iso_date(
            cho_core::dates::door_date(now.unix_timestamp()).unwrap(),
        );
        let (status, body) = self.request(
            "POST",
            "/api/v1/bans",
            Some(&token),
            Some(json!({
                "venue_id": venue,
                "category_id": category,
                "person": {"surname": person.0, "given_names": person.1, "birth_date": person.2},
                "incident_at": incident,
                "incident_description": "Struck another guest at the bar",
                "hearing": {"statement": "Says he was provoked"},
                "notification": {"notified_on": today, "method": "letter handed over"}
            })),
        );
        assert_eq!(status, 201, "{body}");
    }

    pub fn revoke_device(&self, owner: &str, device_id: i64) {
        let token = self.login(owner);
        let (status, body) = self.request(
            "POST",
            &format!("/api/v1/devices/{device_id}/revoke"),
            Some(&token),
            None,
        );
        assert_eq!(status, 204, "{body}");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What a run of `cho-door` did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout and stderr together, for "never printed" assertions.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A door: a data directory and the binary.
pub struct DoorCli {
    dir: tempfile::TempDir,
    now: Option<i64>,
}

impl DoorCli {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            now: None,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("door")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cho-door"));
        command
            .args(args)
            .env("CHO_DOOR_DIR", self.data_dir())
            .env("NO_COLOR", "1")
            .env_remove("CHO_DOOR_NOW");
        if let Some(now) = self.now {
            command.env("CHO_DOOR_NOW", now.to_string());
        }
        command
    }

    fn finish(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Self::finish(self.command(args).stdin(Stdio::null()).output().unwrap())
    }

    /// Runs with `input` on stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        Self::finish(child.wait_with_output().unwrap())
    }

    /// Runs at `now` (Unix seconds) instead of the system clock.
    pub fn run_at(&mut self, now: i64, args: &[&str]) -> Run {
        self.now = Some(now);
        let run = self.run(args);
        self.now = None;
        run
    }

    pub fn check_manual(&self, person: (&str, &str, &str), extra: &[&str]) -> Run {
        let mut args = vec![
            "check",
            "--surname",
            person.0,
            "--given-names",
            person.1,
            "--birth-date",
            person.2,
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    pub fn enrol(&self, server: &TestServer, owner: &str, venue: i64) -> Run {
        let code = server.enrolment_code(owner, venue);
        self.run(&[
            "enrol",
            &server.url,
            &code,
            "--fingerprint",
            &server.fingerprint(),
        ])
    }

    pub fn device_id(&self) -> i64 {
        let status = self.run(&["status", "--json"]);
        serde_json::from_str::<Value>(&status.stdout).unwrap()["device_id"]
            .as_i64()
            .unwrap()
    }

    /// Starts `cho-door` with `args` and stdout piped, for `sync --follow`.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Every file the door wrote, with its bytes.
    pub fn stored_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    let bytes = std::fs::read(&path).unwrap();
                    out.push((path, bytes));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.data_dir(), &mut out);
        out
    }
}

/// A TD3 passport MRZ with correct check digits; `birth` and `expiry` are
/// YYMMDD.
pub fn passport(surname: &str, given: &str, birth: &str, expiry: &str) -> String {
    mrz::td3(
        &format!("P<NLD{}", mrz::name_field(surname, given)),
        "SPECI2014",
        "NLD",
        birth,
        'M',
        expiry,
        mrz::BSN,
    )
}

/// Whether `haystack` holds `needle`, ignoring ASCII case.
pub fn contains_ignoring_case(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.to_ascii_lowercase().into_bytes();
    haystack
        .to_ascii_lowercase()
        .windows(needle.len())
        .any(|w| w == needle.as_slice())
}
