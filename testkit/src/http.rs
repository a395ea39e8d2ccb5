//! One blocking HTTP client for tests that talk to a real server over a
//! socket (the end-to-end stories, the door client's tests, the command
//! line tests): plain HTTP to 127.0.0.1, a status is an answer, not an
//! error, and a few calls of the cho API (login, ban, enrolment, device
//! sync) that every such test needs.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A response: status, headers and body as they came.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON; Null when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A client for one server (`base` like `http://127.0.0.1:8080`).
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

    /// A request with an optional `authorization` header value and JSON
    /// body; None when no answer came (refused, reset, timed out).
    pub fn try_request(
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

    pub fn try_get(&self, path: &str) -> Option<Answer> {
        self.try_request("GET", path, None, None)
    }

    /// Like [`Http::try_request`]; panics when no answer came.
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

    /// Logs in; panics unless 200.
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

    /// Polls the list until a version newer than `have` is published;
    /// returns that 200 answer. Panics after 45 s.
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
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// GET /api/v1/device/key as a device; panics unless 200.
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
    /// `Bearer <token>`.
    pub bearer: String,
}

impl Session<'_> {
    /// The session token alone.
    pub fn token(&self) -> &str {
        self.bearer.trim_start_matches("Bearer ")
    }

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

    /// A one-time enrolment code for a door of `venue`; panics unless 201.
    pub fn enrolment_code(&self, venue: i64) -> String {
        let code = self.post(
            &format!("/api/v1/venues/{venue}/enrolment-codes"),
            json!({"name": "Voordeur"}),
        );
        assert_eq!(code.status, 201, "code: {}", code.text());
        code.json()["code"].as_str().expect("code").to_owned()
    }

    /// Enrols a door phone at `venue`: an enrolment code, then the public
    /// enrol call. Returns the enrolment answer.
    pub fn enrol(&self, venue: i64) -> Value {
        let code = self.enrolment_code(venue);
        let a = self.http.request(
            "POST",
            "/api/v1/devices/enrol",
            None,
            Some(&json!({"code": code})),
        );
        assert_eq!(a.status, 200, "enrol: {}", a.text());
        a.json()
    }
}
