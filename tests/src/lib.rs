//! Support for the end-to-end stories: a real `cho-server` process on
//! SQLite or on the test kit's PostgreSQL, a door (the real
//! `cho_core::checker::Door`), and the test kit's HTTP client and people.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cho_core::checker::{Door, Verdict};
pub use cho_testkit::browser::{Browser, Focused, Viewport, Violation};
pub use cho_testkit::http::{Answer, Http, Session};
pub use cho_testkit::mrz::BSN;
pub use cho_testkit::people::{
    AREA_1, BEHEERDER, CATEGORY_1, FABRIEK, JANSEN, KROON, OPERATOR, Person, VENUE_FABRIEK,
    VENUE_KROON,
};
pub use cho_testkit::postgres::{free_port, postgres};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Backends.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `story` on SQLite and on PostgreSQL, each in its own thread, with
/// its own server process, data directory and database. PostgreSQL is
/// skipped (loudly) when it is not installed, unless
/// `CHO_REQUIRE_POSTGRES=1`.
pub fn on_both_backends(server_binary: &str, name: &str, story: fn(&mut Env)) {
    let mut backends = vec![Backend::Sqlite];
    if postgres().is_some() {
        backends.push(Backend::Postgres);
    }
    on_backends(server_binary, name, backends, story);
}

/// Runs `story` on SQLite only (the browser journeys: the in-process
/// route tests cover both databases).
pub fn on_sqlite(server_binary: &str, name: &str, story: fn(&mut Env)) {
    on_backends(server_binary, name, vec![Backend::Sqlite], story);
}

/// Runs `story` on PostgreSQL only (several server instances share one
/// database only there); skipped as [`on_both_backends`] skips it.
pub fn on_postgres(server_binary: &str, name: &str, story: fn(&mut Env)) {
    if postgres().is_some() {
        on_backends(server_binary, name, vec![Backend::Postgres], story);
    }
}

fn on_backends(server_binary: &str, name: &str, backends: Vec<Backend>, story: fn(&mut Env)) {
    let _ = SERVER_BINARY.set(PathBuf::from(server_binary));
    let handles: Vec<_> = backends
        .into_iter()
        .map(|backend| {
            let name = name.to_owned();
            std::thread::Builder::new()
                .name(format!("{name}-{backend:?}"))
                .spawn(move || {
                    let started = Instant::now();
                    let mut env = Env::new(backend);
                    story(&mut env);
                    eprintln!(
                        "story {name} on {backend:?}: passed in {:.1} s",
                        started.elapsed().as_secs_f64()
                    );
                })
                .expect("thread")
        })
        .collect();
    let mut failed = Vec::new();
    for h in handles {
        let backend = h.thread().name().unwrap_or_default().to_owned();
        if h.join().is_err() {
            failed.push(backend);
        }
    }
    assert!(failed.is_empty(), "failed: {failed:?}");
}

// ---------------------------------------------------------------------------
// The server process.

static SERVER_BINARY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// `serve --publish-interval` of every server a story starts.
pub const PUBLISH_INTERVAL_SECONDS: u64 = 1;

/// One story's world: its backend, data directory, database and server.
pub struct Env {
    pub backend: Backend,
    pub server: Server,
    pub http: Http,
    pub data_dir: tempfile::TempDir,
    pub database_url: Option<String>,
}

impl Env {
    fn new(backend: Backend) -> Self {
        let database_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(postgres().expect("PostgreSQL").fresh_database()),
        };
        let data_dir = tempfile::tempdir().expect("data dir");
        let server = Server::start(data_dir.path(), database_url.as_deref(), "demo");
        let http = Http::new(&server.base);
        Self {
            backend,
            server,
            http,
            data_dir,
            database_url,
        }
    }

    /// Kills the server process with SIGKILL.
    pub fn kill_server(&mut self) {
        self.server.kill();
    }

    /// Starts `serve` on the same data directory and database.
    pub fn restart_server(&mut self) {
        self.server = Server::start(self.data_dir.path(), self.database_url.as_deref(), "serve");
        self.http = Http::new(&self.server.base);
    }

    /// Kills the server and starts `serve` on the same data directory,
    /// database and address: what an enrolled door knows as its server.
    pub fn restart_server_at_same_address(&mut self) {
        let port = self.server.port;
        self.server.kill();
        self.server = Server::start_at(
            self.data_dir.path(),
            self.database_url.as_deref(),
            "serve",
            Some(port),
        );
        self.http = Http::new(&self.server.base);
    }

    /// Starts another `serve` process on the same data directory (keys)
    /// and database: a second instance behind the same load balancer.
    pub fn start_another_server(&self) -> Server {
        Server::start(self.data_dir.path(), self.database_url.as_deref(), "serve")
    }

    /// Runs a one-shot subcommand of the server binary (e.g.
    /// `rotate-identity-key 1`) as its own process; returns its stdout.
    pub fn run_cli(&self, args: &[&str]) -> String {
        let mut c = Command::new(server_binary());
        c.arg("--data-dir").arg(self.data_dir.path());
        if let Some(url) = &self.database_url {
            c.arg("--database-url").arg(url);
        }
        let out = c
            .args(args)
            .env_remove("CHO_DATA_DIR")
            .env_remove("CHO_DATABASE_URL")
            .stdin(Stdio::null())
            .output()
            .expect("run the server binary");
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn server_binary() -> PathBuf {
    SERVER_BINARY
        .get()
        .expect("on_both_backends sets the server binary")
        .clone()
}

pub struct Server {
    child: Child,
    pub base: String,
    pub port: u16,
}

impl Server {
    fn start(data_dir: &Path, database_url: Option<&str>, command: &str) -> Self {
        Self::start_at(data_dir, database_url, command, None)
    }

    /// On `port`, or on a free port when None.
    fn start_at(
        data_dir: &Path,
        database_url: Option<&str>,
        command: &str,
        port: Option<u16>,
    ) -> Self {
        let mut last = String::new();
        for attempt in 0..3 {
            let port = port.unwrap_or_else(free_port);
            let log = data_dir.join(format!("server-{command}-{port}-{attempt}.log"));
            let log_file = std::fs::File::create(&log).expect("log");
            let mut c = Command::new(server_binary());
            c.arg("--data-dir").arg(data_dir);
            if let Some(url) = database_url {
                c.arg("--database-url").arg(url);
            }
            // `serve` requires the public URL; the metrics listener takes
            // any free port (port 0: no race with parallel stories). A list is
            // published within a second of a change, so a story waits a
            // second per step, not the production 30.
            let child = c
                .args([command, "--bind", &format!("127.0.0.1:{port}")])
                .args(["--public-url", &format!("http://127.0.0.1:{port}")])
                .args(["--metrics-bind", "127.0.0.1:0"])
                .args(["--publish-interval", &PUBLISH_INTERVAL_SECONDS.to_string()])
                .env_remove("CHO_DATA_DIR")
                .env_remove("CHO_DATABASE_URL")
                .env_remove("CHO_BIND")
                .env_remove("CHO_PUBLIC_URL")
                .env_remove("CHO_PUBLISH_INTERVAL")
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("log"))
                .stderr(log_file)
                .spawn()
                .expect("spawn the server");
            let mut server = Self {
                child,
                base: format!("http://127.0.0.1:{port}"),
                port,
            };
            let http = Http::new(&server.base);
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = server.child.try_wait() {
                    last = format!(
                        "server exited ({status}): {}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                    break;
                }
                if http.try_get("/healthz").is_some_and(|a| a.status == 200) {
                    return server;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            server.kill();
            if last.is_empty() {
                last = format!(
                    "no /healthz within 60 s: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        }
        panic!("cannot start the server: {last}");
    }

    /// SIGTERM: the exit status, None when it did not stop within 15 s.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        cho_testkit::process::terminate(&mut self.child, Duration::from_secs(15))
    }

    /// Kills the process with SIGKILL and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

// ---------------------------------------------------------------------------
// The door.

pub fn b64(v: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(v.as_str().expect("base64 text"))
        .expect("base64")
}

/// A door device: the real door core in its own data directory.
pub struct DoorPhone {
    pub door: Door,
    pub credential: String,
    pub device_id: i64,
    pub area_id: u64,
    _dir: tempfile::TempDir,
}

impl DoorPhone {
    pub fn new(enrolment: &Value) -> Self {
        let dir = tempfile::tempdir().expect("door dir");
        let mut door =
            Door::open(dir.path(), &b64(&enrolment["signing_public_key"])).expect("door");
        let area_id = enrolment["area_id"].as_u64().expect("area");
        door.set_area_key(
            area_id,
            u32::try_from(enrolment["key_epoch"].as_u64().expect("epoch")).expect("epoch"),
            &b64(&enrolment["identity_key"]),
            true,
        )
        .expect("area key");
        Self {
            door,
            credential: enrolment["credential"]
                .as_str()
                .expect("credential")
                .to_owned(),
            device_id: enrolment["device_id"].as_i64().expect("device id"),
            area_id,
            _dir: dir,
        }
    }

    pub fn version(&self) -> u64 {
        self.door.status(now()).list.map_or(0, |l| l.header.version)
    }

    /// Waits for a list newer than the one in force, fetches a new area
    /// key if the list's key epoch is new, and applies it. Returns the
    /// bytes applied.
    pub fn sync_new(&mut self, http: &Http) -> Vec<u8> {
        let a = http.wait_for_new_list(&self.credential, self.version());
        let epoch: u32 = a
            .header("x-cho-key-epoch")
            .expect("x-cho-key-epoch")
            .parse()
            .expect("epoch");
        if !self.door.status(now()).key_epochs.contains(&epoch) {
            let key = http.device_key(&self.credential);
            assert_eq!(key["key_epoch"].as_u64(), Some(u64::from(epoch)));
            self.door
                .set_area_key(self.area_id, epoch, &b64(&key["identity_key"]), true)
                .expect("new area key");
        }
        self.door
            .apply_update(a.body.clone(), now())
            .expect("apply list");
        a.body
    }

    pub fn manual(&self, p: &Person, at: i64) -> Verdict {
        self.door
            .check_manual(p.surname, p.given_names, p.birth_date, at)
            .expect("check")
            .verdict
    }

    pub fn mrz(&self, text: &str, at: i64) -> Verdict {
        self.door.check_mrz(text, at).expect("check").verdict
    }
}

// ---------------------------------------------------------------------------
// Time, people, MRZs, bans.

pub fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("time")
}

/// Today at a Dutch door, YYYY-MM-DD.
pub fn door_today(at: i64) -> String {
    cho_core::dates::format_iso_date(cho_core::dates::door_date(at).expect("date"))
}

/// `at` as RFC 3339 in UTC.
pub fn rfc3339(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .expect("time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

pub const VENUE_1: i64 = VENUE_KROON;
pub const VENUE_2: i64 = VENUE_FABRIEK;

/// A ban body for `venue` and `category`; the incident was a minute ago.
pub fn ban_body(venue: i64, category: i64, person: Value) -> Value {
    json!({
        "venue_id": venue,
        "category_id": category,
        "person": person,
        "incident_at": rfc3339(now() - 60),
        "incident_description": "Struck another guest at the bar",
        "hearing": {"statement": "Says he was provoked"}
    })
}
