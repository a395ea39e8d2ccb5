//! The command line, as processes: init, serve, demo (stopped by SIGTERM),
//! audit verify, migrate, purge. On SQLite, and `migrate` and `audit
//! verify` on PostgreSQL too.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cho_testkit::http::Http;

use crate::harness::{Backend, TestApp, TestDb, free_port, postgres, wait_until};

const BIN: &str = env!("CARGO_BIN_EXE_cho-server");

/// `cho-server --data-dir DIR ARGS...`, with no CHO_* settings inherited.
fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("CHO_") {
            c.env_remove(key);
        }
    }
    c.env("RUST_LOG", "info")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null());
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("run cho-server")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A running server whose stdout is collected in the background.
struct Server {
    child: Child,
    port: u16,
    out: Arc<Mutex<String>>,
}

impl Server {
    fn start(dir: &Path, subcommand: &str) -> Self {
        Self::start_with(dir, subcommand, &[])
    }

    /// `serve` gets the public URL it requires; the metrics listener any
    /// free port (port 0: no race between tests run in parallel), which
    /// `metrics_port` reads from the log.
    fn start_with(dir: &Path, subcommand: &str, extra: &[&str]) -> Self {
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let public_url = format!("http://{bind}");
        let mut args = vec![subcommand, "--bind", &bind, "--metrics-bind", "127.0.0.1:0"];
        if subcommand == "serve" {
            args.extend(["--public-url", &public_url]);
        }
        args.extend_from_slice(extra);
        let mut child = command(dir, &args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let out = Arc::new(Mutex::new(String::new()));
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let out = out.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    let mut out = out.lock().expect("lock");
                    out.push_str(&line);
                    out.push('\n');
                }
            });
        }
        let mut server = Self { child, port, out };
        let started = Instant::now();
        while http(port, "GET", "/healthz", None, None).map(|r| r.0) != Some(200) {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("{subcommand} exited with {status}:\n{}", server.output());
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{subcommand} did not answer /healthz:\n{}",
                server.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn output(&self) -> String {
        self.out.lock().expect("lock").clone()
    }

    /// The metrics listener's port, from the "metrics address=..." log line.
    fn metrics_port(&self) -> u16 {
        let mut port = None;
        wait_until(10, "the metrics address in the log", || {
            port = self
                .output()
                .lines()
                .find(|l| l.contains(" metrics "))
                .and_then(|l| {
                    let at = l.rfind("127.0.0.1:")? + "127.0.0.1:".len();
                    let digits: String = l[at..].chars().take_while(char::is_ascii_digit).collect();
                    digits.parse().ok()
                });
            port.is_some()
        });
        port.unwrap()
    }

    /// SIGTERM, then the exit code (within 15 s).
    fn terminate(mut self) -> Option<i32> {
        match cho_testkit::process::terminate(&mut self.child, Duration::from_secs(15)) {
            Some(status) => status.code(),
            None => panic!("no exit 15 s after SIGTERM:\n{}", self.output()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failed test must not leave the server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request with the test kit's client: (status, body); None when no
/// answer came.
fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Option<(u16, String)> {
    let body = body.map(|b| serde_json::from_str(b).expect("a JSON body"));
    let auth = token.map(|t| format!("Bearer {t}"));
    let answer = Http::new(&format!("http://127.0.0.1:{port}")).try_request(
        method,
        path,
        auth.as_deref(),
        body.as_ref(),
    )?;
    Some((answer.status, answer.text()))
}

/// A request with any headers: (status, lower-cased head, body bytes).
fn http_raw(
    port: u16,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&response[..split]).to_lowercase();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, response[split + 4..].to_vec())
}

fn header_value(head: &str, name: &str) -> Option<String> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::to_owned)
}

fn login(port: u16, user: &str, password: &str) -> (u16, serde_json::Value) {
    let body = serde_json::json!({"username": user, "password": password}).to_string();
    let (status, body) =
        http(port, "POST", "/api/v1/auth/login", None, Some(&body)).expect("login");
    (
        status,
        serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    )
}

#[test]
fn init_creates_keys_and_a_one_time_password() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(&data, &["init"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let password = text
        .lines()
        .find_map(|l| l.strip_prefix("One-time password: "))
        .unwrap_or_else(|| panic!("no password in {text}"))
        .trim()
        .to_owned();
    assert!(password.len() >= 20, "{password}");
    let mut keys = Vec::new();
    for file in ["master.key", "list-signing.pk8"] {
        let path = data.join(file);
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&path).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "{file}");
        keys.push(std::fs::read(&path).unwrap());
    }
    // The key material never reaches the output.
    assert!(!text.contains("BEGIN") && !stderr(&out).contains("PRIVATE"));

    // A second init refuses and keeps the keys.
    let again = run(&data, &["init"]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read(data.join("master.key")).unwrap(), keys[0]);
    assert_eq!(
        std::fs::read(data.join("list-signing.pk8")).unwrap(),
        keys[1]
    );

    // The password logs in to a served instance; SIGTERM stops it cleanly.
    let server = Server::start(&data, "serve");
    let (status, body) = login(server.port, "operator", &password);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["role"], "operator");
    let (status, _) = login(server.port, "operator", "not the password");
    assert_eq!(status, 401);
    let output = server.output();
    assert!(
        !output.contains(&password),
        "the password was logged:\n{output}"
    );
    assert_eq!(server.terminate(), Some(0));

    // Serving without a public URL refuses: enrolment links must never
    // come from a request's Host header.
    let out = run(&data, &["serve", "--bind", "127.0.0.1:1"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--public-url"), "{}", stderr(&out));
    for bad in [
        "cho.example.nl",
        "https://",
        "https://x.nl/#frag",
        "https://a b.nl",
    ] {
        let out = run(
            &data,
            &["--public-url", bad, "serve", "--bind", "127.0.0.1:1"],
        );
        assert!(!out.status.success(), "{bad}");
        assert!(
            stderr(&out).contains("--public-url"),
            "{bad}: {}",
            stderr(&out)
        );
    }

    // Serving without keys refuses.
    let empty = dir.path().join("empty");
    let out = run(
        &empty,
        &[
            "--public-url",
            "https://cho.example.nl",
            "serve",
            "--bind",
            "127.0.0.1:1",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("cho-server init"), "{}", stderr(&out));
}

#[test]
fn demo_serves_and_stops_on_sigterm_then_audit_migrate_purge() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let server = Server::start(data, "demo");
    let port = server.port;
    wait_until(10, "the demo banner", || server.output().contains("Logins"));
    let banner = server.output();
    assert!(
        banner.contains(&format!("http://127.0.0.1:{port}/api/v1")),
        "{banner}"
    );
    for (user, password, _) in cho_server::demo::LOGINS {
        assert!(
            banner.contains(user) && banner.contains(password),
            "{user} in {banner}"
        );
    }
    let (status, body) = login(port, "kroon", "demo-kroon-2026");
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let (status, bans) = http(port, "GET", "/api/v1/bans", Some(&token), None).unwrap();
    assert_eq!(status, 200, "{bans}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&bans)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Metrics: on their own listener only.
    let (status, _) = http(port, "GET", "/metrics", None, None).unwrap();
    assert_eq!(status, 404);
    // The gauges are refreshed by a background task, first at start.
    let metrics_port = server.metrics_port();
    wait_until(10, "the active-ban gauge", || {
        http(metrics_port, "GET", "/metrics", None, None)
            .is_some_and(|(status, m)| status == 200 && m.contains("cho_active_bans{area=\"1\"} 3"))
    });
    let output = server.output();
    assert!(
        !output.contains("Jansen") && !output.contains(&token),
        "personal data or a token in the log:\n{output}"
    );
    assert_eq!(server.terminate(), Some(0), "graceful stop");

    // Reopened, not seeded twice.
    let server = Server::start(data, "demo");
    wait_until(10, "the demo banner", || server.output().contains("Logins"));
    assert!(server.output().contains("reopened"), "{}", server.output());
    assert_eq!(server.terminate(), Some(0));

    let out = run(data, &["audit", "verify"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("audit chain intact"),
        "{}",
        stdout(&out)
    );

    let out = run(data, &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("migrations applied"));
    let out = run(data, &["purge"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("purged 0 bans"), "{}", stdout(&out));
    let out = run(data, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(0));

    // Tamper with the file: verify fails with exit status 1.
    let url = format!("sqlite://{}", data.join("cho.db").display());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            sqlx::any::install_default_drivers();
            let db = sqlx::AnyPool::connect(&url).await.unwrap();
            sqlx::query("UPDATE audit_events SET action = 'ban.read' WHERE seq = 5")
                .execute(&db)
                .await
                .unwrap();
            db.close().await;
        });
    let out = run(data, &["audit", "verify"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("BROKEN") && stdout(&out).contains("event 5"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn migrate_and_audit_verify_on_postgres() {
    if postgres().is_none() {
        return;
    }
    let db = TestDb::new(Backend::Postgres).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = db.url.clone();
    let cli = |args: &[&str]| {
        let mut all = vec!["--database-url", url.as_str()];
        all.extend_from_slice(args);
        run(dir.path(), &all)
    };
    let out = cli(&["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("migrations applied"));
    // Twice is fine.
    assert!(cli(&["migrate"]).status.success());
    let app = TestApp::new(db).await;
    // `audit verify` needs the keys: the app's data directory.
    let keys = app.keys_dir().to_owned();
    let verify = || run(&keys, &["--database-url", url.as_str(), "audit", "verify"]);
    let out = verify();
    assert!(
        stdout(&out).contains("intact: 0 events"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    app.seed().await;
    let events = app.count("audit_events").await;
    let out = verify();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains(&format!("intact: {events} events")),
        "{}",
        stdout(&out)
    );

    sqlx::query("DELETE FROM audit_events WHERE seq = $1")
        .bind(events)
        .execute(app.db().pool())
        .await
        .unwrap();
    let out = verify();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("BROKEN"), "{}", stdout(&out));
    app.db().close().await;
}

#[test]
fn demo_publishes_at_the_configured_interval_and_links_to_its_bind_address() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), "demo", &["--publish-interval", "1"]);
    let port = server.port;
    let (_, body) = login(port, "kroon", "demo-kroon-2026");
    let kroon = body["token"].as_str().unwrap().to_owned();
    let (status, code) = http(
        port,
        "POST",
        "/api/v1/venues/1/enrolment-codes",
        Some(&kroon),
        Some(r#"{"name":"Voordeur"}"#),
    )
    .unwrap();
    assert_eq!(status, 201, "{code}");
    let code: serde_json::Value = serde_json::from_str(&code).unwrap();
    let (status, enrolled) = http(
        port,
        "POST",
        "/api/v1/devices/enrol",
        None,
        Some(&serde_json::json!({"code": code["code"]}).to_string()),
    )
    .unwrap();
    assert_eq!(status, 200, "{enrolled}");
    let enrolled: serde_json::Value = serde_json::from_str(&enrolled).unwrap();
    // The demo's public URL defaults to its bind address; the link and the
    // typed check carry the fingerprint of the key the phone was handed.
    let signing_key = crate::devices::b64(&enrolled["signing_public_key"]);
    assert_eq!(
        code["link"],
        format!(
            "cho-enrol:http://127.0.0.1:{port}#code={}&key={}",
            code["code"].as_str().unwrap(),
            cho_core::fingerprint::fingerprint(&signing_key)
        )
    );
    assert_eq!(
        code["key_fingerprint"],
        cho_core::fingerprint::short_fingerprint(&signing_key)
    );
    let device = format!(
        "Authorization: Device {}\r\n",
        enrolled["credential"].as_str().unwrap()
    );
    let version = || {
        let (status, head, _) = http_raw(port, "GET", "/api/v1/device/list", &device, "");
        assert_eq!(status, 200, "{head}");
        header_value(&head, "x-cho-list-version")
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };
    let mut first = 0;
    wait_until(10, "a first list", || {
        first = version();
        first > 0
    });
    // A revocation is published within the one-second interval (plus the
    // 5-second sync cache), not the default 30 seconds.
    let (_, body) = login(port, "beheerder", "demo-beheerder-2026");
    let beheerder = body["token"].as_str().unwrap().to_owned();
    let (status, answer) = http(
        port,
        "POST",
        "/api/v1/bans/1/revoke",
        Some(&beheerder),
        Some(r#"{"reason":"issued for the wrong person"}"#),
    )
    .unwrap();
    assert_eq!(status, 204, "{answer}");
    let started = Instant::now();
    wait_until(15, "a new list version", || version() > first);
    assert!(started.elapsed() < Duration::from_secs(15));

    // The door reports its counts; once revoked, every device endpoint
    // says so, and the credential never reaches the log.
    let credential = enrolled["credential"].as_str().unwrap();
    let hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 3600
        * 3600;
    let counts = format!(r#"{{"counts":[{{"hour":{hour},"verdict":"welcome","checks":3}}]}}"#);
    let (status, head, _) = http_raw(port, "POST", "/api/v1/device/counts", &device, &counts);
    assert_eq!(status, 204, "{head}");
    let (status, answer) = http(
        port,
        "POST",
        &format!("/api/v1/devices/{}/revoke", enrolled["device_id"]),
        Some(&kroon),
        None,
    )
    .unwrap();
    assert_eq!(status, 204, "{answer}");
    for (method, path, body) in [
        ("GET", "/api/v1/device/list", ""),
        ("GET", "/api/v1/device/key", ""),
        ("POST", "/api/v1/device/counts", counts.as_str()),
    ] {
        let (status, head, body) = http_raw(port, method, path, &device, body);
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, 401, "{path}: {head}");
        assert!(body.contains("\"device_revoked\""), "{path}: {body}");
    }
    let log = server.output();
    assert!(!log.contains(credential), "the credential is in the log");
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn demo_takes_the_deployment_name_and_contact() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        "demo",
        &[
            "--deployment-name",
            "Horeca Zwolle",
            "--contact-email",
            "cho@horeca-zwolle.example",
        ],
    );
    let (status, body) = http(server.port, "GET", "/api/v1/public/areas", None, None).unwrap();
    assert_eq!(status, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["deployment"],
        serde_json::json!({"name": "Horeca Zwolle", "contact_email": "cho@horeca-zwolle.example"})
    );
    assert_eq!(body["areas"][0]["name"], "Binnenstad Zwolle");
    assert_eq!(server.terminate(), Some(0));

    let out = run(
        dir.path(),
        &[
            "demo",
            "--bind",
            "127.0.0.1:0",
            "--contact-email",
            "not an address",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--contact-email"), "{}", stderr(&out));
}

/// The three forgeries of someone who can write the database but holds no
/// key file, each caught by `audit verify` against the checkpoint file
/// that `audit checkpoint` and `serve` append to.
async fn forgeries_are_caught_by_audit_verify(backend: Backend) {
    use crate::checkpoints::{forge_cut, forge_edit, forge_reset, more_events};
    for forgery in ["edit", "reset", "cut"] {
        let Some(db) = TestDb::new(backend).await else {
            return;
        };
        let url = db.url.clone();
        let app = TestApp::new(db).await;
        app.seed().await;
        let keys = app.keys_dir().to_owned();
        let cli = |args: &[&str]| {
            let mut all = vec!["--database-url", url.as_str()];
            all.extend_from_slice(args);
            run(&keys, &all)
        };
        let out = cli(&["audit", "checkpoint"]);
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
        let first = app.count("audit_events").await;
        assert!(
            stdout(&out).contains(&format!("checkpoint of event {first}")),
            "{}",
            stdout(&out)
        );
        let public: String = app
            .app
            .secrets
            .checkpoint_signer
            .public_key()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(
            stdout(&out).contains(&format!("checkpoint public key (Ed25519): {public}")),
            "{}",
            stdout(&out)
        );
        more_events(&app, 4).await;
        assert!(cli(&["audit", "checkpoint"]).status.success());
        let lines = std::fs::read_to_string(keys.join("audit-checkpoints")).unwrap();
        assert_eq!(lines.lines().count(), 2, "{lines}");
        let out = cli(&["audit", "verify"]);
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
        assert!(
            stdout(&out).contains("2 signed checkpoints match"),
            "{}",
            stdout(&out)
        );
        let pool = app.db().pool();
        let expected = match forgery {
            "edit" => {
                forge_edit(pool, first / 2, first / 2, false).await;
                format!("event {}: hash does not match", first / 2)
            }
            "reset" => {
                forge_reset(pool).await;
                format!(
                    "ends at event 0 but a signed checkpoint vouches for event {}",
                    first + 4
                )
            }
            _ => {
                forge_cut(pool, first + 2).await;
                format!(
                    "ends at event {} but a signed checkpoint vouches for event {}",
                    first + 2,
                    first + 4
                )
            }
        };
        let out = cli(&["audit", "verify"]);
        assert_eq!(out.status.code(), Some(1), "{forgery}: {}", stdout(&out));
        assert!(
            stdout(&out).contains("BROKEN") && stdout(&out).contains(&expected),
            "{forgery}: {}",
            stdout(&out)
        );
        // The same file named explicitly, as an outside party would.
        let copy = tempfile::NamedTempFile::new().unwrap();
        std::fs::copy(keys.join("audit-checkpoints"), copy.path()).unwrap();
        std::fs::remove_file(keys.join("audit-checkpoints")).unwrap();
        let out = cli(&[
            "audit",
            "verify",
            "--checkpoints",
            copy.path().to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{forgery}: {}", stdout(&out));
        app.db().close().await;
    }
}

#[tokio::test]
async fn forgeries_are_caught_by_audit_verify_on_sqlite() {
    forgeries_are_caught_by_audit_verify(Backend::Sqlite).await;
}

#[tokio::test]
async fn forgeries_are_caught_by_audit_verify_on_postgres() {
    forgeries_are_caught_by_audit_verify(Backend::Postgres).await;
}

#[test]
fn serve_writes_signed_checkpoints_and_guards_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(&data, &["init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let password = stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("One-time password: "))
        .unwrap()
        .trim()
        .to_owned();
    let file = data.join("audit-checkpoints");
    let lines = |f: &Path| {
        std::fs::read_to_string(f)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    // init signed the empty chain and the chain after the operator.
    assert_eq!(lines(&file).len(), 2, "{:?}", lines(&file));
    for key in ["deployment.secret", "audit-checkpoint.pk8"] {
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(data.join(key)).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "{key}");
    }

    let server = Server::start_with(&data, "serve", &["--checkpoint-every", "3"]);
    wait_until(10, "a checkpoint at start", || lines(&file).len() == 3);
    for _ in 0..3 {
        assert_eq!(login(server.port, "operator", &password).0, 200);
    }
    wait_until(10, "a checkpoint after 3 events", || {
        lines(&file).len() == 4
    });
    assert_eq!(login(server.port, "operator", &password).0, 200);
    assert_eq!(server.terminate(), Some(0));
    let all = lines(&file);
    assert_eq!(all.len(), 5, "one more at shutdown: {all:?}");
    let out = run(&data, &["audit", "verify"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("intact: 5 events (keyed after event 0); 5 signed checkpoints match"),
        "{}",
        stdout(&out)
    );
    assert!(all[4].contains(" seq=5 "), "{}", all[4]);

    // Without its deployment secret, a keyed chain refuses to start rather
    // than going on under a new one.
    let secret = std::fs::read(data.join("deployment.secret")).unwrap();
    std::fs::remove_file(data.join("deployment.secret")).unwrap();
    let out = run(
        &data,
        &[
            "serve",
            "--bind",
            "127.0.0.1:1",
            "--public-url",
            "http://127.0.0.1:1",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("restore"), "{}", stderr(&out));
    assert!(!data.join("deployment.secret").exists());
    // Nor under a different one.
    std::fs::write(data.join("deployment.secret"), [7u8; 32]).unwrap();
    let out = run(&data, &["purge"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("does not verify"), "{}", stderr(&out));
    std::fs::write(data.join("deployment.secret"), secret).unwrap();
    assert!(run(&data, &["purge"]).status.success());

    // A data directory from before these keys: created at first start,
    // with a log line.
    let old = dir.path().join("old");
    assert!(run(&old, &["init"]).status.success());
    for file in [
        "deployment.secret",
        "audit-checkpoint.pk8",
        "cho.db",
        "cho.db-wal",
        "cho.db-shm",
        "audit-checkpoints",
    ] {
        let _ = std::fs::remove_file(old.join(file));
    }
    let server = Server::start(&old, "serve");
    let output = server.output();
    assert_eq!(server.terminate(), Some(0));
    assert!(
        output.contains("created a missing key file") && output.contains("deployment.secret"),
        "{output}"
    );
    assert!(old.join("deployment.secret").exists() && old.join("audit-checkpoint.pk8").exists());
}

#[test]
fn rotate_signing_key_and_correct_list_clock() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let server = Server::start(data, "demo");
    wait_until(10, "the demo banner", || server.output().contains("Logins"));
    assert_eq!(server.terminate(), Some(0));
    let old_key = std::fs::read(data.join("list-signing.pk8")).unwrap();

    let out = run(data, &["rotate-signing-key"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("area 1: list version"), "{text}");
    assert!(text.contains("announces the new key"), "{text}");
    assert!(text.contains("new list-signing public key"), "{text}");
    let new_key = std::fs::read(data.join("list-signing.pk8")).unwrap();
    assert_ne!(new_key, old_key);
    for leftover in ["list-signing.next.pk8", "list-signing.retired.pk8"] {
        assert!(!data.join(leftover).exists(), "{leftover}");
    }
    let out = run(data, &["correct-list-clock", "1"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("issued at this server's time"),
        "{}",
        stdout(&out)
    );
    let out = run(data, &["correct-list-clock", "999"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let out = run(data, &["audit", "verify"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}
