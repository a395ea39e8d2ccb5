//! The server's door API: enrolment, the list sync and the area key.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use ureq::Agent;
use ureq::http::Response;

use crate::{Exit, Failure};

/// A list of a million entries is about 19 MB; this leaves room.
const LIST_LIMIT_BYTES: u64 = 256 * 1024 * 1024;
/// JSON answers are small.
const JSON_LIMIT_BYTES: u64 = 64 * 1024;

pub struct Server {
    agent: Agent,
    base: String,
}

/// Trading a code for a device: what the door receives once.
pub struct Enrolment {
    pub device_id: i64,
    pub credential: String,
    pub area_id: u64,
    pub key_epoch: u32,
    pub identity_key: Vec<u8>,
    pub signing_public_key: Vec<u8>,
}

/// The area's current identity key.
pub struct AreaKey {
    pub area_id: u64,
    pub key_epoch: u32,
    pub identity_key: Vec<u8>,
}

/// The answer to a sync.
pub enum ListAnswer {
    /// 304: the door holds the latest version.
    Current,
    /// 404 `no_list`: nothing was published for the area yet.
    NothingPublished,
    Update {
        /// "snapshot" or "delta", from `x-cho-list-kind`.
        kind: String,
        /// From `x-cho-key-epoch`.
        key_epoch: Option<u32>,
        bytes: Vec<u8>,
    },
}

#[derive(Deserialize)]
struct EnrolBody {
    device_id: i64,
    credential: String,
    area_id: u64,
    key_epoch: u32,
    identity_key: String,
    signing_public_key: String,
}

#[derive(Deserialize)]
struct KeyBody {
    area_id: u64,
    key_epoch: u32,
    identity_key: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

/// Checks that `url` is an http(s) URL and drops a trailing slash.
pub fn normalise_url(url: &str) -> Result<String, Failure> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(url.to_owned()),
        _ => Err(Failure::invalid(
            "the server URL must start with https:// or http://",
        )),
    }
}

/// Whether `url` is plain http to another machine: the credential would
/// cross the network unencrypted.
pub fn plain_http_to_remote(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default()
    };
    !(host == "localhost" || host.starts_with("127.") || host == "::1")
}

fn network(base: &str, e: &ureq::Error) -> Failure {
    Failure::new(
        Exit::Network,
        "network",
        format!("cannot reach the server at {base}: {e}; the list in force stays"),
    )
}

fn key_bytes(text: &str, what: &str) -> Result<Vec<u8>, Failure> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| {
            Failure::other(
                "bad_answer",
                format!("the server sent an invalid {what} (not 32 bytes of base64url)"),
            )
        })
}

impl Server {
    pub fn new(base_url: &str) -> Result<Self, Failure> {
        let base = normalise_url(base_url)?;
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(180)))
            .user_agent(concat!("cho-door/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Self { agent, base })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn read(&self, response: &mut Response<ureq::Body>, limit: u64) -> Result<Vec<u8>, Failure> {
        response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| network(&self.base, &e))
    }

    /// A failure for an answer other than the expected ones: 401 is a
    /// revoked or unknown device, 5xx an unavailable server.
    fn unexpected(&self, mut response: Response<ureq::Body>, doing: &str) -> Failure {
        let status = response.status().as_u16();
        let body = self
            .read(&mut response, JSON_LIMIT_BYTES)
            .unwrap_or_default();
        let detail = serde_json::from_slice::<ErrorBody>(&body)
            .map(|b| format!(": {} ({})", b.error.message, b.error.code))
            .unwrap_or_default();
        match status {
            401 => Failure::new(
                Exit::Revoked,
                "revoked",
                "device revoked or unknown: the server refused this door's credential; \
                 the list in force stays usable until it is outdated; \
                 enrol again with a new code (cho-door enrol --force URL CODE)",
            ),
            500..=599 => Failure::new(
                Exit::Network,
                "server_unavailable",
                format!(
                    "the server at {} could not {doing} (HTTP {status}{detail}); the list in force stays",
                    self.base
                ),
            ),
            _ => Failure::other(
                "server_refused",
                format!("the server refused to {doing} (HTTP {status}{detail})",),
            ),
        }
    }

    fn json<T: serde::de::DeserializeOwned>(
        &self,
        response: &mut Response<ureq::Body>,
    ) -> Result<T, Failure> {
        let body = self.read(response, JSON_LIMIT_BYTES)?;
        serde_json::from_slice(&body).map_err(|e| {
            Failure::other(
                "bad_answer",
                format!("the server's answer was not understood: {e}"),
            )
        })
    }

    pub fn enrol(&self, code: &str) -> Result<Enrolment, Failure> {
        let body = serde_json::json!({ "code": code }).to_string();
        let mut response = self
            .agent
            .post(self.url("/api/v1/devices/enrol"))
            .header("content-type", "application/json")
            .send(body)
            .map_err(|e| network(&self.base, &e))?;
        match response.status().as_u16() {
            200 => {}
            422 => {
                return Err(Failure::new(
                    Exit::Usage,
                    "code_refused",
                    "the enrolment code is unknown, used or expired: ask the venue owner for a new one",
                ));
            }
            _ => return Err(self.unexpected(response, "enrol this door")),
        }
        let b: EnrolBody = self.json(&mut response)?;
        Ok(Enrolment {
            device_id: b.device_id,
            credential: b.credential,
            area_id: b.area_id,
            key_epoch: b.key_epoch,
            identity_key: key_bytes(&b.identity_key, "identity key")?,
            signing_public_key: key_bytes(&b.signing_public_key, "signing key")?,
        })
    }

    /// GET /api/v1/device/list?version=N, naming the list-signing key the
    /// door trusts (so a door that missed a key rotation is handed the list
    /// announcing the new key).
    pub fn list(
        &self,
        credential: &str,
        version: u64,
        signing_key: &[u8],
    ) -> Result<ListAnswer, Failure> {
        let mut response = self
            .agent
            .get(self.url(&format!("/api/v1/device/list?version={version}")))
            .header("authorization", format!("Device {credential}"))
            .header(
                "x-cho-signing-key",
                base64::Engine::encode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    signing_key,
                ),
            )
            .call()
            .map_err(|e| network(&self.base, &e))?;
        match response.status().as_u16() {
            200 => {}
            304 => return Ok(ListAnswer::Current),
            404 => {
                let body = self.read(&mut response, JSON_LIMIT_BYTES)?;
                let code = serde_json::from_slice::<ErrorBody>(&body).map(|b| b.error.code);
                return match code.as_deref() {
                    Ok("no_list") => Ok(ListAnswer::NothingPublished),
                    _ => Err(Failure::other(
                        "server_refused",
                        format!(
                            "{} has no list endpoint (HTTP 404): is this a CHO server?",
                            self.base
                        ),
                    )),
                };
            }
            _ => return Err(self.unexpected(response, "hand out the list")),
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let kind = header("x-cho-list-kind").unwrap_or_else(|| "update".to_owned());
        let key_epoch = header("x-cho-key-epoch").and_then(|v| v.parse().ok());
        let bytes = self.read(&mut response, LIST_LIMIT_BYTES)?;
        Ok(ListAnswer::Update {
            kind,
            key_epoch,
            bytes,
        })
    }

    /// GET /api/v1/device/key: the area's key of the current epoch.
    pub fn key(&self, credential: &str) -> Result<AreaKey, Failure> {
        let mut response = self
            .agent
            .get(self.url("/api/v1/device/key"))
            .header("authorization", format!("Device {credential}"))
            .call()
            .map_err(|e| network(&self.base, &e))?;
        if response.status().as_u16() != 200 {
            return Err(self.unexpected(response, "hand out the area key"));
        }
        let b: KeyBody = self.json(&mut response)?;
        Ok(AreaKey {
            area_id: b.area_id,
            key_epoch: b.key_epoch,
            identity_key: key_bytes(&b.identity_key, "identity key")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            normalise_url("http://127.0.0.1:8080/").ok().as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert!(normalise_url("ftp://x").is_err());
        assert!(normalise_url("https://").is_err());
        assert!(!plain_http_to_remote("http://127.0.0.1:8080"));
        assert!(!plain_http_to_remote("http://localhost"));
        assert!(!plain_http_to_remote("http://[::1]:80"));
        assert!(!plain_http_to_remote("https://cho.example.nl"));
        assert!(plain_http_to_remote("http://cho.example.nl"));
    }
}
