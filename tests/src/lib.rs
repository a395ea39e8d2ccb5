//! Support for the end-to-end stories: a PostgreSQL starter, a real
//! `cho-server` process, a small blocking HTTP client, a door (the real
//! `cho_core::checker::Door`) and test people with their MRZs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cho_core::checker::{Door, Verdict};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Backends and PostgreSQL.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// Runs `story` on SQLite and on PostgreSQL, each in its own thread, with
/// its own server process, data directory and database. PostgreSQL is
/// skipped (loudly) when it is not installed, unless
/// `CHO_REQUIRE_POSTGRES=1`.
pub fn on_both_backends(server_binary: &str, name: &str, story: fn(&mut Env)) {
    let _ = SERVER_BINARY.set(PathBuf::from(server_binary));
    let mut backends = vec![Backend::Sqlite];
    if postgres_available() {
        backends.push(Backend::Postgres);
    }
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

fn postgres_available() -> bool {
    let required = std::env::var("CHO_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    if Path::new(PG_BIN).join("initdb").exists() {
        return true;
    }
    assert!(
        !required,
        "CHO_REQUIRE_POSTGRES=1 but PostgreSQL 15 is not installed ({PG_BIN}/initdb is missing)"
    );
    let notice = format!(
        "\n*** SKIPPED postgres: {PG_BIN}/initdb not found; these stories ran on SQLite only. \
         Install postgresql-15 (or set CHO_REQUIRE_POSTGRES=1 to fail). ***\n\n"
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
    false
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn pg_command(root: bool, program: &str) -> Command {
    let program = format!("{PG_BIN}/{program}");
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", &program]);
        c
    } else {
        Command::new(program)
    }
}

fn run_checked(mut c: Command, what: &str) {
    let out = c
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A PostgreSQL cluster of one story; stopped and removed on drop.
pub struct Postgres {
    base: PathBuf,
    data: PathBuf,
    port: u16,
    root: bool,
}

impl Postgres {
    pub fn start() -> Self {
        let root = is_root();
        let base = tempfile::Builder::new()
            .prefix("cho-e2e-pg-")
            .tempdir_in("/tmp")
            .expect("temp dir")
            .keep();
        let data = base.join("data");
        if root {
            let mut chown = Command::new("chown");
            chown.arg("-R").arg("postgres").arg(&base);
            run_checked(chown, "chown");
        }
        let mut initdb = pg_command(root, "initdb");
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync"]);
        run_checked(initdb, "initdb");
        let port = free_port();
        let mut start = pg_command(root, "pg_ctl");
        start
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(base.join("log"))
            .arg("-o")
            .arg(format!(
                "-k {} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off",
                base.display()
            ))
            .args(["-w", "-t", "60", "start"]);
        run_checked(start, "pg_ctl start");
        let pg = Self {
            base,
            data,
            port,
            root,
        };
        let mut createdb = pg_command(root, "createdb");
        createdb.args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
            "cho",
        ]);
        run_checked(createdb, "createdb");
        pg
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/cho", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let mut stop = pg_command(self.root, "pg_ctl");
        stop.arg("-D")
            .arg(&self.data)
            .args(["stop", "-m", "immediate"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = stop.status();
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

// ---------------------------------------------------------------------------
// The server process.

static SERVER_BINARY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// One story's world: its backend, data directory, database and server.
pub struct Env {
    pub backend: Backend,
    pub server: Server,
    pub http: Http,
    pub data_dir: tempfile::TempDir,
    pub database_url: Option<String>,
    _postgres: Option<Postgres>,
}

impl Env {
    fn new(backend: Backend) -> Self {
        let postgres = (backend == Backend::Postgres).then(Postgres::start);
        let database_url = postgres.as_ref().map(Postgres::url);
        let data_dir = tempfile::tempdir().expect("data dir");
        let server = Server::start(data_dir.path(), database_url.as_deref(), "demo");
        let http = Http::new(&server.base);
        Self {
            backend,
            server,
            http,
            data_dir,
            database_url,
            _postgres: postgres,
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
        let mut last = String::new();
        for attempt in 0..3 {
            let port = free_port();
            let log = data_dir.join(format!("server-{command}-{port}-{attempt}.log"));
            let log_file = std::fs::File::create(&log).expect("log");
            let mut c = Command::new(server_binary());
            c.arg("--data-dir").arg(data_dir);
            if let Some(url) = database_url {
                c.arg("--database-url").arg(url);
            }
            // `serve` requires the public URL; the metrics listener takes
            // any free port (port 0: no race with parallel stories).
            let child = c
                .args([command, "--bind", &format!("127.0.0.1:{port}")])
                .args(["--public-url", &format!("http://127.0.0.1:{port}")])
                .args(["--metrics-bind", "127.0.0.1:0"])
                .env_remove("CHO_DATA_DIR")
                .env_remove("CHO_DATABASE_URL")
                .env_remove("CHO_BIND")
                .env_remove("CHO_PUBLIC_URL")
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

    fn kill(&mut self) {
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
// HTTP.

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub struct Http {
    agent: ureq::Agent,
    pub base: String,
}

impl Http {
    pub fn new(base: &str) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        Self {
            agent: ureq::Agent::new_with_config(config),
            base: base.to_owned(),
        }
    }

    fn try_request(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: Option<&Value>,
    ) -> Option<Answer> {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(a) = authorization {
            request = request.header("authorization", a);
        }
        let bytes = match body {
            Some(b) => {
                request = request.header("content-type", "application/json");
                serde_json::to_vec(b).ok()?
            }
            None => Vec::new(),
        };
        let request = request.body(bytes).ok()?;
        let mut response = self.agent.run(request).ok()?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = response.body_mut().read_to_vec().ok()?;
        Some(Answer {
            status,
            headers,
            body,
        })
    }

    fn try_get(&self, path: &str) -> Option<Answer> {
        self.try_request("GET", path, None, None)
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        self.try_request(method, path, authorization, body)
            .unwrap_or_else(|| panic!("{method} {path}: no answer"))
    }

    pub fn login(&self, username: &str, password: &str) -> Session<'_> {
        let a = self.request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(&json!({"username": username, "password": password})),
        );
        assert_eq!(a.status, 200, "login {username}: {}", a.text());
        Session {
            http: self,
            bearer: format!("Bearer {}", a.json()["token"].as_str().expect("token")),
        }
    }

    /// GET /api/v1/device/list?version=N as a device.
    pub fn sync(&self, credential: &str, version: u64) -> Answer {
        self.request(
            "GET",
            &format!("/api/v1/device/list?version={version}"),
            Some(&format!("Device {credential}")),
            None,
        )
    }

    /// Polls the list until a version newer than `have` is published
    /// (`serve` publishes every 30 s); returns that 200 answer.
    pub fn wait_for_new_list(&self, credential: &str, have: u64) -> Answer {
        let deadline = Instant::now() + Duration::from_secs(45);
        loop {
            let a = self.sync(credential, have);
            match a.status {
                200 => return a,
                304 | 404 => {}
                other => panic!("sync: {other} {}", a.text()),
            }
            assert!(
                Instant::now() < deadline,
                "no list newer than version {have} within 45 s"
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// GET /api/v1/device/key as a device.
    pub fn device_key(&self, credential: &str) -> Value {
        let a = self.request(
            "GET",
            "/api/v1/device/key",
            Some(&format!("Device {credential}")),
            None,
        );
        assert_eq!(a.status, 200, "key: {}", a.text());
        a.json()
    }
}

/// A logged-in account.
pub struct Session<'a> {
    pub http: &'a Http,
    pub bearer: String,
}

impl Session<'_> {
    pub fn get(&self, path: &str) -> Answer {
        self.http.request("GET", path, Some(&self.bearer), None)
    }

    pub fn post(&self, path: &str, body: Value) -> Answer {
        self.http
            .request("POST", path, Some(&self.bearer), Some(&body))
    }

    pub fn put(&self, path: &str, body: Value) -> Answer {
        self.http
            .request("PUT", path, Some(&self.bearer), Some(&body))
    }

    /// POSTs and returns the new resource's id; panics unless 201.
    pub fn create(&self, path: &str, body: Value) -> i64 {
        let a = self.post(path, body);
        assert_eq!(a.status, 201, "POST {path}: {}", a.text());
        a.json()["id"].as_i64().expect("id")
    }

    /// Issues a ban; returns its id.
    pub fn issue(&self, body: Value) -> i64 {
        self.create("/api/v1/bans", body)
    }

    pub fn revoke_ban(&self, id: i64) {
        let a = self.post(
            &format!("/api/v1/bans/{id}/revoke"),
            json!({"reason": "Objection upheld after review"}),
        );
        assert!(
            a.status == 200 || a.status == 204,
            "revoke: {} {}",
            a.status,
            a.text()
        );
    }

    /// Enrols a door phone at `venue`: an enrolment code, then the public
    /// enrol call. Returns the enrolment answer.
    pub fn enrol(&self, venue: i64) -> Value {
        let code = self.post(
            &format!("/api/v1/venues/{venue}/enrolment-codes"),
            json!({"name": "Voordeur"}),
        );
        assert_eq!(code.status, 201, "code: {}", code.text());
        let a = self.http.request(
            "POST",
            "/api/v1/devices/enrol",
            None,
            Some(&json!({"code": code.json()["code"]})),
        );
        assert_eq!(a.status, 200, "enrol: {}", a.text());
        a.json()
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

#[derive(Clone, Copy, Debug)]
pub struct Person {
    pub surname: &'static str,
    pub given_names: &'static str,
    /// YYYY-MM-DD.
    pub birth_date: &'static str,
}

impl Person {
    pub fn manual_json(&self) -> Value {
        json!({"surname": self.surname, "given_names": self.given_names, "birth_date": self.birth_date})
    }

    fn mrz_birth(&self) -> String {
        self.birth_date[2..].replace('-', "")
    }

    fn mrz_name(&self) -> String {
        format!(
            "{}<<{}",
            self.surname.to_uppercase().replace(' ', "<"),
            self.given_names.to_uppercase().replace(' ', "<")
        )
    }

    /// A Dutch passport (TD3) with correct check digits.
    pub fn passport(&self) -> String {
        let line1 = pad(&format!("P<NLD{}", self.mrz_name()), 44);
        let number = "SPECI2014";
        let birth = self.mrz_birth();
        let expiry = "340115";
        let personal = pad(BSN, 14);
        let mut line2 = format!(
            "{number}{}NLD{birth}{}F{expiry}{}{personal}{}",
            cd(number),
            cd(&birth),
            cd(expiry),
            cd(&personal)
        );
        let composite: String = [&line2[0..10], &line2[13..20], &line2[21..43]].concat();
        line2.push(cd(&composite));
        assert_eq!(line2.len(), 44);
        format!("{line1}\n{line2}")
    }

    /// A Dutch identity card (TD1) with correct check digits; the name must
    /// fit its 30 characters.
    pub fn id_card(&self) -> String {
        let name = self.mrz_name();
        assert!(name.len() <= 30, "name does not fit a TD1: {name}");
        let doc = "SPECI2021";
        let line1_tail = format!("{doc}{}{}", cd(doc), pad(BSN, 15));
        let line1 = format!("I<NLD{line1_tail}");
        let birth = self.mrz_birth();
        let birth_part = format!("{birth}{}", cd(&birth));
        let expiry = "340115";
        let expiry_part = format!("{expiry}{}", cd(expiry));
        let optional2 = pad("", 11);
        let composite = cd(&format!("{line1_tail}{birth_part}{expiry_part}{optional2}"));
        let line2 = format!("{birth_part}F{expiry_part}NLD{optional2}{composite}");
        assert_eq!(line1.len(), 30);
        assert_eq!(line2.len(), 30);
        format!("{line1}\n{line2}\n{}", pad(&name, 30))
    }
}

/// The BSN-shaped personal number every test MRZ carries.
pub const BSN: &str = "999999990";

fn cd(field: &str) -> char {
    cho_core::mrz::check_digit_of(field)
}

fn pad(s: &str, n: usize) -> String {
    format!("{s:<<n$}")
}

/// The demo's first banned person (banned at venue 1).
pub const JANSEN: Person = Person {
    surname: "Jansen",
    given_names: "Piet Hendrik",
    birth_date: "1994-05-17",
};

pub const KROON: (&str, &str) = ("kroon", "demo-kroon-2026");
pub const FABRIEK: (&str, &str) = ("fabriek", "demo-fabriek-2026");
pub const BEHEERDER: (&str, &str) = ("beheerder", "demo-beheerder-2026");
pub const OPERATOR: (&str, &str) = ("operator", "demo-operator-2026");
pub const AREA_1: u64 = 1;
pub const VENUE_1: i64 = 1;
pub const VENUE_2: i64 = 2;
pub const CATEGORY_1: i64 = 1;

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
