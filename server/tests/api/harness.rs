//! The test harness: a fresh database per test on SQLite (a temporary file)
//! and on PostgreSQL (one throwaway PostgreSQL 15 cluster per test process,
//! one fresh database per test), an app on a manual clock, and requests
//! driven through the router without sockets.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use cho_server::clock::ManualClock;
use cho_server::secrets::Secrets;
use cho_server::services::App;
use cho_server::services::auth::PasswordHashing;
use cho_server::services::limits::{LimitSettings, Limits, Rate};
use cho_server::storage::Db;

/// Every test starts at 2026-11-28 12:00 UTC (13:00 in the Netherlands).
pub const START: i64 = 1_795_867_200;
pub const DAY: i64 = 86_400;
/// The socket peer of requests that name none.
pub const DEFAULT_PEER: SocketAddr =
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)), 40_000);

/// `both!(name);` beside `async fn name(app: TestApp)` runs that body as
/// the tests `name::sqlite` and `name::postgres`, each on a fresh database.
/// Attributes (e.g. `#[ignore = "why"]`) before the name go on both.
#[macro_export]
macro_rules! both {
    ($(#[$meta:meta])* $name:ident) => {
        mod $name {
            $(#[$meta])*
            #[tokio::test]
            async fn sqlite() {
                $crate::harness::run($crate::harness::Backend::Sqlite, super::$name).await;
            }

            $(#[$meta])*
            #[tokio::test]
            async fn postgres() {
                $crate::harness::run($crate::harness::Backend::Postgres, super::$name).await;
            }
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Builds a fresh app on `backend`, runs `body` on it, closes the pool.
pub async fn run<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let app = TestApp::new(db).await;
    let pool = app.app.db.clone();
    body(app).await;
    pool.close().await;
}

/// A fresh, empty (migrated) database and where it lives.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    /// The SQLite file's directory, deleted with the test.
    _dir: tempfile::TempDir,
}

impl TestDb {
    /// None when PostgreSQL is not installed and not required.
    pub async fn new(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("cho.db").display()),
            Backend::Postgres => postgres()?.fresh_database(),
        };
        Some(Self {
            url,
            backend,
            _dir: dir,
        })
    }
}

// PostgreSQL: one throwaway cluster per test process (the test kit's).
pub use cho_testkit::postgres::{free_port, postgres};

// ---------------------------------------------------------------------------
// The app under test.

pub struct TestApp {
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub backend: Backend,
    router: axum::Router,
    _db: TestDb,
    _keys: tempfile::TempDir,
}

impl TestApp {
    pub async fn new(test_db: TestDb) -> Self {
        let db = Db::connect(&test_db.url)
            .await
            .expect("connect and migrate");
        let keys = tempfile::tempdir().expect("temp dir");
        let secrets = Secrets::create(keys.path()).expect("keys");
        let clock = ManualClock::new(START);
        let mut app = cho_server::app(
            db,
            secrets,
            clock.clone(),
            PasswordHashing::fast_for_tests(),
        );
        // The production limits, but for enrolment, which counts every
        // attempt: tests enrol many doors from one address at one instant
        // (tests/api/limits.rs sets the real limit where it is the subject).
        app.limits = Limits::new(LimitSettings {
            enrol_per_address: Rate::per_minute(10_000),
            ..LimitSettings::default()
        });
        Self {
            router: cho_server::http::router(app.clone()),
            app,
            clock,
            backend: test_db.backend,
            _db: test_db,
            _keys: keys,
        }
    }

    /// Stops this app and starts the server's code again on the same
    /// database and data directory, as a restart (or an upgrade) does:
    /// missing key files created, migrations applied, `on_start` run, and
    /// checkpoints written to `audit-checkpoints` in the data directory.
    pub async fn reopen(self) -> TestApp {
        let TestApp {
            app,
            clock,
            backend,
            _db,
            _keys,
            ..
        } = self;
        app.db.close().await;
        drop(app);
        cho_server::secrets::ensure_audit_secrets(_keys.path()).expect("key files");
        let db = Db::connect(&_db.url).await.expect("connect and migrate");
        let secrets = Secrets::load(_keys.path()).expect("keys");
        let mut app = cho_server::app(
            db,
            secrets,
            clock.clone(),
            PasswordHashing::fast_for_tests(),
        );
        app.checkpoints.log = Some(_keys.path().join("audit-checkpoints"));
        cho_server::on_start(&app).await.expect("start");
        TestApp {
            router: cho_server::http::router(app.clone()),
            app,
            clock,
            backend,
            _db,
            _keys,
        }
    }

    /// A second server instance on the same database and data directory
    /// (as another process behind the same load balancer would be), on the
    /// same clock: its app and router. Its background tasks are not started.
    pub async fn twin(&self) -> (App, axum::Router) {
        let db = Db::connect(&self._db.url)
            .await
            .expect("connect and migrate");
        let secrets = Secrets::load(self._keys.path()).expect("keys");
        let mut app = cho_server::app(
            db,
            secrets,
            self.clock.clone(),
            PasswordHashing::fast_for_tests(),
        );
        app.limits = self.app.limits.clone();
        let router = cho_server::http::router(app.clone());
        (app, router)
    }

    /// The router, for requests sent from spawned tasks.
    pub fn router(&self) -> axum::Router {
        self.router.clone()
    }

    pub fn db(&self) -> &Db {
        &self.app.db
    }

    /// The audit chain's key, as the server derives it from its data
    /// directory.
    pub fn audit_key(&self) -> ring::hmac::Key {
        self.app.secrets.deployment.audit_chain_key()
    }

    /// Verifies the whole audit chain under this app's key.
    pub async fn verify_audit_chain(&self) -> Result<i64, cho_server::domain::audit::ChainBreak> {
        let (events, head) = cho_server::storage::audit::chain(self.db())
            .await
            .expect("chain");
        cho_server::domain::audit::verify_chain(&events, &head, &self.audit_key())
    }

    /// The data directory holding this app's keys (for the command line).
    pub fn keys_dir(&self) -> &Path {
        self._keys.path()
    }

    /// Rebuilds the app (and its router) after `change`, e.g. to set
    /// stricter limits or another hashing gate.
    pub fn rebuild(&mut self, change: impl FnOnce(&mut App)) {
        change(&mut self.app);
        self.router = cho_server::http::router(self.app.clone());
    }

    /// Sends a request; answers status, headers and the raw body. A
    /// request without a peer address comes from [`DEFAULT_PEER`], as if
    /// over a socket (`serve` always provides one).
    pub async fn send(&self, mut request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        if request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .is_none()
        {
            request.extensions_mut().insert(ConnectInfo(DEFAULT_PEER));
        }
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        (status, headers, body)
    }

    /// A JSON request; the answer's body as JSON (Null when empty).
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, _, body) = self.request_full(method, path, token, body).await;
        (status, body)
    }

    pub async fn request_full(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        self.request_from(DEFAULT_PEER.ip(), method, path, token, body)
            .await
    }

    /// A JSON request from a socket peer at `peer`.
    pub async fn request_from(
        &self,
        peer: IpAddr,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut builder = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(path)
            .extension(ConnectInfo(SocketAddr::new(peer, 40_000)));
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        }
        .expect("request");
        let (status, headers, bytes) = self.send(request).await;
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let value = if bytes.is_empty() {
            Value::Null
        } else if !is_json {
            // Metrics: plain text.
            Value::String(String::from_utf8(bytes).expect("UTF-8 text"))
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!(
                    "{method} {path}: {status} with a body that is not JSON: {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        (status, headers, value)
    }

    /// A request with a raw body and content type.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> (StatusCode, Value) {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(ct) = content_type {
            builder = builder.header(header::CONTENT_TYPE, ct);
        }
        let (status, _, bytes) = self.send(builder.body(body.into()).expect("request")).await;
        let value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "{method} {path}: {status} with a body that is not JSON: {}",
                String::from_utf8_lossy(&bytes)
            )
        });
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request("POST", path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request("PUT", path, Some(token), Some(body)).await
    }

    /// Logs in and returns the session token; panics unless it succeeds.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let (status, body) = self
            .request(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Creates a resource and returns its id; panics unless 201.
    pub async fn create(&self, path: &str, token: &str, body: Value) -> i64 {
        let (status, answer) = self.post(path, token, body).await;
        assert_eq!(status, StatusCode::CREATED, "POST {path}: {answer}");
        answer["id"].as_i64().expect("id")
    }

    pub fn advance_days(&self, days: i64) {
        self.clock.advance(days * DAY);
    }
}

/// Asserts an error answer's status and JSON shape, and returns its code.
#[track_caller]
pub fn assert_error(answer: &(StatusCode, Value), status: StatusCode, code: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "expected {status} {code}, got {got}: {body}");
    assert_eq!(body["error"]["code"], code, "error code in {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "error message in {body}"
    );
}

#[track_caller]
pub fn assert_status(answer: &(StatusCode, Value), status: StatusCode) {
    assert_eq!(answer.0, status, "body: {}", answer.1);
}

/// Waits until `f` is true or panics after `seconds`.
pub fn wait_until(seconds: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    while !f() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
