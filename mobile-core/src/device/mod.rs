//! The device protocol, without I/O: enrolment, sync (304, delta, snapshot,
//! a refused delta retried as a snapshot, a new key epoch, a followed
//! signing key, nothing published yet), revocation and retries.
//!
//! The core builds each request ([`HttpRequest`]: method, full URL, headers,
//! body) and digests each answer ([`HttpResponse`]); the app only carries
//! the bytes with its platform's HTTP stack (OkHttp, URLSession, ureq in
//! `cho-door`). One exchange:
//!
//! ```text
//! let mut request = device.start_sync(now, 60)?;
//! loop {
//!     let step = match http(request) {
//!         Ok(response) => device.handle_response(response, now)?,
//!         Err(_) => device.transport_failed(now)?,
//!     };
//!     match step {
//!         DeviceStep::Send { request: next } => request = next,
//!         DeviceStep::Finished { outcome, .. } => break outcome,
//!     }
//! }
//! ```
//!
//! The device state lives in the data directory beside the store
//! (`state.rs`): written atomically, so a kill between two steps leaves the
//! old state or the new one, and the next sync starts afresh. A step in
//! flight is only held in memory.
//!
//! Nothing here puts personal data or the credential in an error, an
//! outcome or a reason string. The credential does travel in the
//! `authorization` header of the requests built here: apps must not log
//! request headers.

mod counts;
pub mod link;
mod state;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::checker::{Door, DoorError};
use crate::ffi::{ChoError, DoorChecker, ListStatus, export_status};
use crate::fingerprint;
use crate::list_format::{ListError, PUBLIC_KEY_LEN};
use crate::store::StoreError;

pub use state::STATE_FILE;
use state::{DeviceState, Phase};

/// The longest wait a sync asks for (contract: the server clips to 60).
pub const MAX_WAIT_SECONDS: u32 = 60;
/// First retry delay after a transient failure; doubled per failure.
pub const BACKOFF_BASE_SECONDS: i64 = 5;
/// The longest retry delay from backoff alone.
pub const BACKOFF_MAX_SECONDS: i64 = 900;
/// A `Retry-After` beyond this is read as this.
pub const RETRY_AFTER_MAX_SECONDS: i64 = 3600;
/// Against a server that does not hold a sync (one from before the waiting
/// sync), a door following the list polls this often.
pub const POLL_SECONDS_WITHOUT_WAIT: i64 = 10;
/// How long the door believes a server does not wait before asking again.
const REPROBE_WAIT_SECONDS: i64 = 3600;
/// A list of a million entries is about 19 MB; this leaves room.
pub const LIST_LIMIT_BYTES: u64 = 256 * 1024 * 1024;
/// JSON answers are small.
pub const JSON_LIMIT_BYTES: u64 = 64 * 1024;
/// Time for a request besides the wait it asks for.
const REQUEST_TIMEOUT_SECONDS: u32 = 30;
const LOCK_FILE: &str = "device.lock";

/// One HTTP header.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// A request for the app to send as it is. It may hold the credential (in
/// `authorization`): do not log its headers.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The full URL, query included.
    pub url: String,
    pub headers: Vec<HttpHeader>,
    /// Empty for a GET.
    pub body: Vec<u8>,
    /// Give up (and report `transport_failed`) after this long.
    pub timeout_seconds: u32,
    /// Read at most this much of the answer's body (a longer one is a
    /// transport failure).
    pub max_response_bytes: u64,
}

/// Without the credential: a request's headers are left out.
impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The server's answer as the app received it. Redirects should not be
/// followed (the server sends none); header names in any case.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ListKind {
    /// The whole list.
    Snapshot,
    /// The changes since the version the device held.
    Delta,
}

/// An area key for the app's platform keystore.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct AreaKey {
    pub area_id: u64,
    pub key_epoch: u32,
    pub identity_key: Vec<u8>,
}

/// What the app must keep in its platform keystore and hand back at every
/// start (`set_credential`, `DoorChecker::set_area_key(.., false)`): only
/// for a device enrolled with `persist = false`, which keeps none of it in
/// the data directory.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct KeystoreItems {
    /// Set at enrolment.
    pub credential: Option<String>,
    /// Set at enrolment and when a new key epoch was fetched.
    pub area_key: Option<AreaKey>,
}

impl std::fmt::Debug for KeystoreItems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeystoreItems { .. }")
    }
}

/// How an exchange ended.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum DeviceOutcome {
    /// Enrolled; the old enrolment, list and keys (if any) are gone.
    Enrolled {
        device_id: i64,
        area_id: u64,
        key_epoch: u32,
        server_url: String,
    },
    /// 304: the device holds the latest list (none if `list_version` is
    /// empty... which only a server without a list would say).
    UpToDate { list_version: Option<u64> },
    /// 404 `no_list`: the server has published nothing for the area yet.
    NothingPublished,
    /// A new list is in force.
    Updated {
        list_version: u64,
        kind: ListKind,
        entries: u64,
        key_epoch: u32,
        /// A delta that did not fit was refused and a snapshot fetched.
        retried_as_snapshot: bool,
        /// The list announced a new signing key and the device now trusts
        /// it (the state pins it).
        followed_signing_key: bool,
        /// A new key epoch's area key was fetched.
        fetched_area_key: bool,
    },
    /// The server revoked this device: its keys, list and credential are
    /// wiped. Checks say no list; enrol again with a new code.
    Revoked,
    /// A transient failure (network, 5xx, 429): try again at
    /// `retry_at_unix`. `failures` counts them in a row.
    RetryLater {
        retry_at_unix: i64,
        failures: u32,
        reason: String,
    },
}

/// What to do next.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum DeviceStep {
    /// Send this request and hand its answer to `handle_response` (or
    /// report `transport_failed`).
    Send { request: HttpRequest },
    /// Done. `next_sync_at_unix`: when to sync again to follow the list
    /// (now, against a server that holds a waiting sync). `keystore`: only
    /// with `persist = false`, what to keep in the platform keystore.
    Finished {
        outcome: DeviceOutcome,
        next_sync_at_unix: i64,
        keystore: Option<KeystoreItems>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum EnrolmentState {
    NotEnrolled,
    Enrolled,
    /// Revoked by the server: wiped; enrol again with a new code.
    Revoked,
}

/// The device as the app shows it. No credential.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DeviceStatus {
    pub state: EnrolmentState,
    pub server_url: Option<String>,
    pub device_id: Option<i64>,
    pub area_id: Option<u64>,
    /// Credential and area keys kept in the data directory.
    pub persist: bool,
    /// `persist = false` and the credential was not handed back yet.
    pub credential_needed: bool,
    /// The short fingerprint of the signing key trusted now.
    pub signing_key_fingerprint: Option<String>,
    /// Transient failures in a row, and when to try again.
    pub failures: u32,
    pub next_attempt_at_unix: Option<i64>,
    pub list: ListStatus,
}

/// The exchange in flight.
enum Pending {
    Enrol {
        target: link::EnrolTarget,
        persist: bool,
    },
    List(ListRun),
    Key(ListRun, HeldList),
}

/// A sync across its requests.
struct ListRun {
    have: u64,
    /// The wait this request asked for (0: none).
    wait: u32,
    retried: bool,
    fetched_key: Option<AreaKey>,
    /// The last update applied in this run.
    applied: Option<(ListKind, bool)>,
}

/// A list that waits for the key of its epoch.
struct HeldList {
    kind: ListKind,
    bytes: Vec<u8>,
}

type Jitter = Box<dyn FnMut() -> f64 + Send>;

struct Inner {
    dir: PathBuf,
    state: Option<DeviceState>,
    /// In memory in both modes; on disk only with `persist`.
    credential: Option<Zeroizing<String>>,
    pending: Option<Pending>,
    /// Since when the server is believed not to hold a sync.
    no_wait_since: Option<i64>,
    /// A fraction in [0, 1): where in [delay/2, delay] a retry falls.
    jitter: Jitter,
}

/// The device protocol for one data directory: enrolment, sync, retries.
/// Opens the same store as [`DoorChecker`] (get it with `checker()`).
/// Safe to share between threads; calls are serialised.
#[derive(uniffi::Object)]
pub struct DoorDevice {
    inner: Mutex<Inner>,
    door: Arc<Mutex<Option<Door>>>,
    /// The anonymous tally of checks per hour and verdict (`crate::counts`),
    /// shared with the checker, which counts each verdict.
    tally: Arc<Mutex<crate::counts::Tally>>,
    /// The counts report in flight (see `device/counts.rs`).
    pending_counts: Mutex<Option<Vec<crate::counts::CountRow>>>,
    /// Held open for the device's lifetime: the advisory lock lives on it.
    _lock: File,
}

#[derive(Deserialize)]
struct EnrolAnswer {
    device_id: i64,
    credential: String,
    area_id: u64,
    key_epoch: u32,
    identity_key: String,
    signing_public_key: String,
}

#[derive(Deserialize)]
struct KeyAnswer {
    area_id: u64,
    key_epoch: u32,
    identity_key: String,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock means a panic mid-call, which the lints rule out;
    // every state change is written whole, so it is still consistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn storage(e: StoreError) -> ChoError {
    ChoError::Storage {
        reason: e.to_string(),
    }
}

fn bad_answer(what: &str) -> ChoError {
    ChoError::BadAnswer {
        reason: format!("the server's answer was not understood ({what})"),
    }
}

fn header<'a>(response: &'a HttpResponse, name: &str) -> Option<&'a str> {
    response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.trim())
}

fn error_code(response: &HttpResponse) -> Option<String> {
    serde_json::from_slice::<ErrorAnswer>(&response.body)
        .ok()
        .map(|a| a.error.code)
}

fn key_bytes(text: &str, what: &str) -> Result<[u8; 32], ChoError> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
        .ok_or_else(|| bad_answer(&format!("{what} is not 32 bytes of base64url")))
}

fn json<T: serde::de::DeserializeOwned>(response: &HttpResponse) -> Result<T, ChoError> {
    serde_json::from_slice(&response.body).map_err(|_| bad_answer("not the expected JSON"))
}

/// The default jitter: a random fraction from the system's generator.
fn system_jitter() -> f64 {
    let mut bytes = [0u8; 4];
    let ok = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).is_ok();
    if ok {
        f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
    } else {
        0.5
    }
}

/// The delay after `failures` transient failures in a row: exponential,
/// capped, then placed in [delay/2, delay] by `jitter` so doors that failed
/// together do not come back together.
pub fn backoff_seconds(failures: u32, jitter: f64) -> i64 {
    let exponent = failures.saturating_sub(1).min(20);
    let delay = BACKOFF_BASE_SECONDS
        .saturating_mul(1_i64 << exponent)
        .min(BACKOFF_MAX_SECONDS);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let half = delay / 2;
    // Truncation is the point: whole seconds.
    #[allow(clippy::cast_possible_truncation)]
    let spread = ((delay - half) as f64 * jitter) as i64;
    (half + spread).clamp(1, delay)
}

/// `Retry-After` in seconds (an HTTP date is not used: the device clock may
/// be off, which is why time here is always the caller's).
fn retry_after(response: &HttpResponse) -> Option<i64> {
    header(response, "retry-after")
        .and_then(|v| v.parse::<i64>().ok())
        .map(|s| s.clamp(0, RETRY_AFTER_MAX_SECONDS))
}

impl Inner {
    fn enrolled(&self) -> Result<&DeviceState, ChoError> {
        match &self.state {
            Some(s) if s.phase == Phase::Enrolled => Ok(s),
            Some(_) => Err(ChoError::DeviceRevoked {
                reason:
                    "this device was revoked by the server and wiped: enrol again with a new code"
                        .to_owned(),
            }),
            None => Err(ChoError::NotEnrolled {
                reason: "this device is not enrolled".to_owned(),
            }),
        }
    }

    fn save(&self, state: &DeviceState) -> Result<(), ChoError> {
        state.save(&self.dir).map_err(storage)
    }

    fn device_headers(&self) -> Result<Vec<HttpHeader>, ChoError> {
        let credential = self
            .credential
            .as_ref()
            .ok_or_else(|| ChoError::CredentialMissing {
                reason: "the device credential is kept in the platform keystore: hand it over with set_credential".to_owned(),
            })?;
        Ok(vec![HttpHeader {
            name: "authorization".to_owned(),
            value: format!("Device {}", credential.as_str()),
        }])
    }

    /// Whether to ask the server to hold this sync.
    fn server_waits(&self, now: i64) -> bool {
        self.no_wait_since
            .is_none_or(|since| now.saturating_sub(since) >= REPROBE_WAIT_SECONDS)
    }

    fn list_request(&self, door: &Door, have: u64, wait: u32) -> Result<HttpRequest, ChoError> {
        let state = self.enrolled()?;
        let mut headers = self.device_headers()?;
        // The signing key the device trusts, so one that missed a rotation
        // is handed the list announcing the new key.
        headers.push(HttpHeader {
            name: "x-cho-signing-key".to_owned(),
            value: URL_SAFE_NO_PAD.encode(door.trusted_public_key()),
        });
        headers.push(HttpHeader {
            name: "accept".to_owned(),
            value: "application/octet-stream".to_owned(),
        });
        // Without a wait the parameter is left out: a server from before
        // the waiting sync refuses unknown query parameters.
        let url = if wait == 0 {
            format!("{}/api/v1/device/list?version={have}", state.server_url)
        } else {
            format!(
                "{}/api/v1/device/list?version={have}&wait={wait}",
                state.server_url
            )
        };
        Ok(HttpRequest {
            method: "GET".to_owned(),
            url,
            headers,
            body: Vec::new(),
            timeout_seconds: wait + REQUEST_TIMEOUT_SECONDS,
            max_response_bytes: LIST_LIMIT_BYTES,
        })
    }

    fn key_request(&self) -> Result<HttpRequest, ChoError> {
        let state = self.enrolled()?;
        let mut headers = self.device_headers()?;
        headers.push(HttpHeader {
            name: "accept".to_owned(),
            value: "application/json".to_owned(),
        });
        Ok(HttpRequest {
            method: "GET".to_owned(),
            url: format!("{}/api/v1/device/key", state.server_url),
            headers,
            body: Vec::new(),
            timeout_seconds: REQUEST_TIMEOUT_SECONDS,
            max_response_bytes: JSON_LIMIT_BYTES,
        })
    }

    /// Counts a transient failure, persists when to retry, and says so.
    fn transient(
        &mut self,
        now: i64,
        at_least: Option<i64>,
        reason: String,
    ) -> Result<DeviceStep, ChoError> {
        let enrolled = matches!(&self.state, Some(s) if s.phase == Phase::Enrolled);
        let during_enrolment = matches!(self.pending, Some(Pending::Enrol { .. }));
        self.pending = None;
        let failures = if enrolled && !during_enrolment {
            self.state
                .as_ref()
                .map_or(0, |s| s.failures)
                .saturating_add(1)
        } else {
            // An enrolment's failure does not touch a working enrolment's
            // retry state.
            1
        };
        let delay = backoff_seconds(failures, (self.jitter)()).max(at_least.unwrap_or(0));
        let retry_at = now.saturating_add(delay);
        if enrolled
            && !during_enrolment
            && let Some(state) = &self.state
        {
            let mut state = state.clone();
            state.failures = failures;
            state.next_attempt_at = Some(retry_at);
            self.save(&state)?;
            self.state = Some(state);
        }
        Ok(DeviceStep::Finished {
            outcome: DeviceOutcome::RetryLater {
                retry_at_unix: retry_at,
                failures,
                reason,
            },
            next_sync_at_unix: retry_at,
            keystore: None,
        })
    }

    /// Clears the retry state after an answer that was not a failure.
    fn succeeded(&mut self) -> Result<(), ChoError> {
        if let Some(state) = &self.state
            && (state.failures != 0 || state.next_attempt_at.is_some())
        {
            let mut state = state.clone();
            state.failures = 0;
            state.next_attempt_at = None;
            self.save(&state)?;
            self.state = Some(state);
        }
        Ok(())
    }

    fn next_sync_at(&self, now: i64) -> i64 {
        if self.server_waits(now) {
            now
        } else {
            now.saturating_add(POLL_SECONDS_WITHOUT_WAIT)
        }
    }

    /// The server said `device_revoked`: the state first (so a kill after
    /// it still ends wiped: `open` finishes the wipe), then the store.
    fn revoke(&mut self, door: &mut Option<Door>, now: i64) -> Result<DeviceStep, ChoError> {
        self.pending = None;
        if let Some(state) = &self.state {
            let mut state = state.clone();
            state.phase = Phase::Revoked;
            state.credential = None;
            state.pending_key = None;
            state.setup_pending = false;
            state.failures = 0;
            state.next_attempt_at = None;
            self.save(&state)?;
            self.state = Some(state);
        }
        self.credential = None;
        if let Some(door) = door.as_mut() {
            door.wipe()?;
        }
        Ok(DeviceStep::Finished {
            outcome: DeviceOutcome::Revoked,
            next_sync_at_unix: now,
            keystore: None,
        })
    }

    /// What every device endpoint may answer besides its own answers.
    /// `Some` ends the exchange.
    fn common_answer(
        &mut self,
        response: &HttpResponse,
        door: &mut Option<Door>,
        now: i64,
    ) -> Option<Result<DeviceStep, ChoError>> {
        match response.status {
            401 => Some(
                if error_code(response).as_deref() == Some("device_revoked") {
                    self.revoke(door, now)
                } else {
                    // An unknown credential (a plain 401) does NOT wipe: only
                    // `device_revoked` does. A server from before that code
                    // answers every refused credential with a plain 401, and a
                    // proxy or misconfigured server may too; wiping on those
                    // would empty working doors. (Branch `doorapi` adds the
                    // code to the server's device authentication.)
                    self.pending = None;
                    Err(ChoError::Unauthorized {
                    reason: "the server does not know this device's credential: enrol again with a new code".to_owned(),
                })
                },
            ),
            429 => Some(self.transient(
                now,
                retry_after(response),
                "the server asked to slow down (HTTP 429)".to_owned(),
            )),
            500..=599 => Some(self.transient(
                now,
                retry_after(response),
                format!("the server is unavailable (HTTP {})", response.status),
            )),
            _ => None,
        }
    }

    fn finish_list_run(
        &mut self,
        run: ListRun,
        door: &Door,
        now: i64,
        nothing: bool,
    ) -> Result<DeviceStep, ChoError> {
        self.pending = None;
        self.succeeded()?;
        let status = door.status(now);
        let outcome = match (run.applied, &status.list) {
            (Some((kind, followed)), Some(list)) => DeviceOutcome::Updated {
                list_version: list.header.version,
                kind,
                entries: list.entries,
                key_epoch: list.header.key_epoch,
                retried_as_snapshot: run.retried,
                followed_signing_key: followed,
                fetched_area_key: run.fetched_key.is_some(),
            },
            _ if nothing => DeviceOutcome::NothingPublished,
            _ => DeviceOutcome::UpToDate {
                list_version: status.list.as_ref().map(|l| l.header.version),
            },
        };
        let persist = self.state.as_ref().is_some_and(|s| s.persist);
        let keystore = match run.fetched_key {
            Some(key) if !persist => Some(KeystoreItems {
                credential: None,
                area_key: Some(key),
            }),
            _ => None,
        };
        Ok(DeviceStep::Finished {
            outcome,
            next_sync_at_unix: self.next_sync_at(now),
            keystore,
        })
    }

    /// Applies a list and decides what follows it.
    fn apply(
        &mut self,
        mut run: ListRun,
        held: HeldList,
        door: &mut Door,
        now: i64,
    ) -> Result<DeviceStep, ChoError> {
        let key_before = door.trusted_public_key();
        match door.apply_update(held.bytes, now) {
            Ok(()) if door.trusted_public_key() != key_before => {
                // The list announced a new signing key and the door follows
                // it: pin it in the state too, then ask what the new key
                // signed.
                self.pin_signing_key(door.trusted_public_key())?;
                run.have = door.status(now).list.map_or(0, |l| l.header.version);
                run.applied = Some((held.kind, true));
                run.wait = 0;
                let request = self.list_request(door, run.have, 0)?;
                self.pending = Some(Pending::List(run));
                Ok(DeviceStep::Send { request })
            }
            Ok(()) => {
                let followed = run.applied.is_some_and(|(_, f)| f);
                run.applied = Some((held.kind, followed));
                self.finish_list_run(run, door, now, false)
            }
            Err(DoorError::List(ListError::VersionGap { .. } | ListError::DigestMismatch))
                if !run.retried && run.have != 0 =>
            {
                // The delta does not fit the list in force: once, the
                // whole list.
                run.retried = true;
                run.have = 0;
                run.wait = 0;
                let request = self.list_request(door, 0, 0)?;
                self.pending = Some(Pending::List(run));
                Ok(DeviceStep::Send { request })
            }
            Err(e) => {
                self.pending = None;
                Err(e.into())
            }
        }
    }

    fn pin_signing_key(&mut self, key: [u8; PUBLIC_KEY_LEN]) -> Result<(), ChoError> {
        if let Some(state) = &self.state
            && state.signing_key != key
        {
            let mut state = state.clone();
            state.signing_key = key;
            self.save(&state)?;
            self.state = Some(state);
        }
        Ok(())
    }

    fn list_answer(
        &mut self,
        mut run: ListRun,
        response: HttpResponse,
        slot: &mut Option<Door>,
        now: i64,
    ) -> Result<DeviceStep, ChoError> {
        if let Some(step) = self.common_answer(&response, slot, now) {
            return step;
        }
        let door = slot.as_mut().ok_or_else(|| ChoError::NotEnrolled {
            reason: "the store is not open".to_owned(),
        })?;
        if run.wait > 0 {
            if response.status == 400 {
                // A server from before the waiting sync refuses the `wait`
                // parameter: ask again without it, and poll.
                self.no_wait_since = Some(now);
                run.wait = 0;
                let request = self.list_request(door, run.have, 0)?;
                self.pending = Some(Pending::List(run));
                return Ok(DeviceStep::Send { request });
            }
            // A server that holds syncs says so on every answer.
            if header(&response, "x-cho-wait-max").is_some() {
                self.no_wait_since = None;
            } else {
                self.no_wait_since = Some(now);
            }
        }
        match response.status {
            200 => {}
            304 => return self.finish_list_run(run, door, now, false),
            404 if error_code(&response).as_deref() == Some("no_list") => {
                return self.finish_list_run(run, door, now, true);
            }
            status => {
                self.pending = None;
                return Err(ChoError::ServerRefused {
                    status,
                    reason: format!("the server refused to hand out the list (HTTP {status})"),
                });
            }
        }
        let kind = match header(&response, "x-cho-list-kind") {
            Some("delta") => ListKind::Delta,
            Some("snapshot") => ListKind::Snapshot,
            _ if run.have == 0 => ListKind::Snapshot,
            _ => ListKind::Delta,
        };
        let epoch = header(&response, "x-cho-key-epoch").and_then(|v| v.parse::<u32>().ok());
        let held = HeldList {
            kind,
            bytes: response.body,
        };
        if let Some(epoch) = epoch
            && !door.status(now).key_epochs.contains(&epoch)
        {
            // A list of a key epoch the device does not hold: the area key
            // first, then this list.
            let request = self.key_request()?;
            self.pending = Some(Pending::Key(run, held));
            return Ok(DeviceStep::Send { request });
        }
        self.apply(run, held, door, now)
    }

    fn key_answer(
        &mut self,
        mut run: ListRun,
        held: HeldList,
        response: HttpResponse,
        slot: &mut Option<Door>,
        now: i64,
    ) -> Result<DeviceStep, ChoError> {
        if let Some(step) = self.common_answer(&response, slot, now) {
            return step;
        }
        self.pending = None;
        if response.status != 200 {
            return Err(ChoError::ServerRefused {
                status: response.status,
                reason: format!(
                    "the server refused to hand out the area key (HTTP {})",
                    response.status
                ),
            });
        }
        let answer: KeyAnswer = json(&response)?;
        let state = self.enrolled()?;
        let (area_id, persist) = (state.area_id, state.persist);
        if answer.area_id != area_id {
            return Err(bad_answer("a key for another area"));
        }
        let key = Zeroizing::new(key_bytes(&answer.identity_key, "the identity key")?);
        let door = slot.as_mut().ok_or_else(|| ChoError::NotEnrolled {
            reason: "the store is not open".to_owned(),
        })?;
        door.set_area_key(area_id, answer.key_epoch, key.as_ref(), persist)?;
        run.fetched_key = Some(AreaKey {
            area_id,
            key_epoch: answer.key_epoch,
            identity_key: key.to_vec(),
        });
        self.apply(run, held, door, now)
    }

    fn enrol_answer(
        &mut self,
        target: link::EnrolTarget,
        persist: bool,
        response: HttpResponse,
        slot: &mut Option<Door>,
        now: i64,
    ) -> Result<DeviceStep, ChoError> {
        match response.status {
            200 => {}
            422 => {
                return Err(ChoError::CodeRefused {
                    reason: "the enrolment code is unknown, used or expired: ask the venue owner for a new one".to_owned(),
                });
            }
            429 | 500..=599 => {
                // Put back so `transient` sees an enrolment (and leaves a
                // working enrolment's retry state alone).
                self.pending = Some(Pending::Enrol { target, persist });
                let why = format!(
                    "the server could not enrol this device now (HTTP {})",
                    response.status
                );
                return self.transient(now, retry_after(&response), why);
            }
            status => {
                return Err(ChoError::ServerRefused {
                    status,
                    reason: format!("the server refused the enrolment (HTTP {status})"),
                });
            }
        }
        let answer: EnrolAnswer = json(&response)?;
        let signing_key = key_bytes(&answer.signing_public_key, "the signing key")?;
        let identity_key = Zeroizing::new(key_bytes(&answer.identity_key, "the identity key")?);
        // No trust on first use: the key must be the one the owner's page
        // (or the link) named. Nothing was changed yet.
        if !fingerprint::matches(&signing_key, &target.fingerprint).unwrap_or(false) {
            return Err(ChoError::SigningKeyMismatch {
                reason: "the server answered with a signing key that does not match the fingerprint given with the code: not enrolled (is someone between this device and the server?)".to_owned(),
            });
        }
        let credential = Zeroizing::new(answer.credential);
        // The code was accepted: only now is an old enrolment replaced.
        // The state goes first, marked "setup pending" and (with persist)
        // holding the area key, so a kill before the store is set up is
        // finished by the next open; then the store; then the final state.
        let mut state = DeviceState {
            phase: Phase::Enrolled,
            persist,
            setup_pending: true,
            device_id: answer.device_id,
            area_id: answer.area_id,
            key_epoch: answer.key_epoch,
            signing_key,
            failures: 0,
            next_attempt_at: None,
            server_url: target.server_url.clone(),
            credential: persist.then(|| credential.clone()),
            pending_key: persist.then(|| (answer.key_epoch, identity_key.clone())),
        };
        self.save(&state)?;
        self.state = Some(state.clone());
        self.credential = Some(credential.clone());
        self.no_wait_since = None;
        // The old store's lock goes before the new one is taken.
        *slot = None;
        let mut door = Door::open(&self.dir, &signing_key)?;
        door.wipe()?;
        door.set_area_key(
            answer.area_id,
            answer.key_epoch,
            identity_key.as_ref(),
            persist,
        )?;
        *slot = Some(door);
        state.setup_pending = false;
        state.pending_key = None;
        self.save(&state)?;
        self.state = Some(state);
        let keystore = (!persist).then(|| KeystoreItems {
            credential: Some(credential.to_string()),
            area_key: Some(AreaKey {
                area_id: answer.area_id,
                key_epoch: answer.key_epoch,
                identity_key: identity_key.to_vec(),
            }),
        });
        Ok(DeviceStep::Finished {
            outcome: DeviceOutcome::Enrolled {
                device_id: answer.device_id,
                area_id: answer.area_id,
                key_epoch: answer.key_epoch,
                server_url: target.server_url,
            },
            next_sync_at_unix: now,
            keystore,
        })
    }
}

impl From<link::LinkError> for ChoError {
    fn from(e: link::LinkError) -> Self {
        match e {
            link::LinkError::PlainHttp => Self::InsecureServer {
                reason: e.to_string(),
            },
            e => Self::InvalidInput {
                reason: e.to_string(),
            },
        }
    }
}

/// Takes `device.lock` for the device's lifetime: one `DoorDevice` per
/// data directory.
fn take_lock(dir: &Path) -> Result<File, ChoError> {
    let io = |action: &'static str| {
        move |source| {
            storage(StoreError::Io {
                action,
                file: LOCK_FILE,
                source,
            })
        }
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| {
        storage(StoreError::Io {
            action: "create",
            file: "data directory",
            source,
        })
    })?;
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(dir.join(LOCK_FILE)).map_err(io("open"))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(storage(StoreError::Locked)),
        Err(std::fs::TryLockError::Error(e)) => Err(io("lock")(e)),
    }
}

impl DoorDevice {
    /// [`DoorDevice::open`] with the jitter drawn from `jitter` (a fraction
    /// in [0, 1)): tests make retry times exact.
    pub fn open_with_jitter(
        data_dir: &Path,
        jitter: impl FnMut() -> f64 + Send + 'static,
    ) -> Result<Arc<Self>, ChoError> {
        let lock = take_lock(data_dir)?;
        let mut state = DeviceState::load(data_dir).map_err(storage)?;
        let mut door = None;
        if let Some(s) = state.as_mut() {
            let mut opened = Door::open(data_dir, &s.signing_key)?;
            match s.phase {
                // A kill between the revoked state and the wipe: finish it.
                Phase::Revoked => opened.wipe()?,
                Phase::Enrolled if s.setup_pending => {
                    // A kill between storing an enrolment and setting up the
                    // store for it: finish that.
                    opened.wipe()?;
                    if let Some((epoch, key)) = &s.pending_key {
                        opened.set_area_key(s.area_id, *epoch, key.as_ref(), true)?;
                    }
                    s.setup_pending = false;
                    s.pending_key = None;
                    s.save(data_dir).map_err(storage)?;
                }
                Phase::Enrolled => {}
            }
            door = Some(opened);
        }
        let credential = state
            .as_ref()
            .filter(|s| s.phase == Phase::Enrolled)
            .and_then(|s| s.credential.clone());
        let tally = crate::counts::Tally::open(data_dir).map_err(storage)?;
        Ok(Arc::new(Self {
            tally: Arc::new(Mutex::new(tally)),
            pending_counts: Mutex::new(None),
            inner: Mutex::new(Inner {
                dir: data_dir.to_path_buf(),
                state,
                credential,
                pending: None,
                no_wait_since: None,
                jitter: Box::new(jitter),
            }),
            door: Arc::new(Mutex::new(door)),
            _lock: lock,
        }))
    }
}

#[uniffi::export]
impl DoorDevice {
    /// Opens (or creates) the data directory. An enrolled device opens its
    /// store with the pinned signing key; with `persist = false` hand the
    /// credential back (`set_credential`) and the area key
    /// (`checker().set_area_key(.., false)`) before syncing.
    #[uniffi::constructor]
    pub fn open(data_dir: String) -> Result<Arc<Self>, ChoError> {
        Self::open_with_jitter(&PathBuf::from(data_dir), system_jitter)
    }

    /// The door check on this device's store (the same list and keys).
    pub fn checker(&self) -> Arc<DoorChecker> {
        DoorChecker::sharing(self.door.clone(), self.tally.clone())
    }

    /// Hands back the credential kept in the platform keystore
    /// (`persist = false`). It stays in memory only.
    pub fn set_credential(&self, credential: String) -> Result<(), ChoError> {
        let credential = Zeroizing::new(credential);
        let mut inner = lock(&self.inner);
        inner.enrolled()?;
        if credential.trim().is_empty() {
            return Err(ChoError::InvalidInput {
                reason: "the credential is empty".to_owned(),
            });
        }
        inner.credential = Some(credential);
        Ok(())
    }

    /// Starts an enrolment from a scanned `cho-enrol:` link. The enrolment
    /// in force (if any) stays until the server accepted the code and the
    /// key matched the link's fingerprint.
    pub fn start_enrol_link(&self, link: String, persist: bool) -> Result<HttpRequest, ChoError> {
        let target = link::parse_link(&link)?;
        self.start_enrol_target(target, persist)
    }

    /// Starts an enrolment typed by hand: the server URL, the code and the
    /// short key fingerprint shown beside it (`ABCD-EFGH-JKLM`).
    pub fn start_enrol(
        &self,
        server_url: String,
        code: String,
        fingerprint: String,
        persist: bool,
    ) -> Result<HttpRequest, ChoError> {
        let target = link::typed(&server_url, &code, &fingerprint)?;
        self.start_enrol_target(target, persist)
    }

    /// Starts a sync: asks for what follows the list in force, the server
    /// holding the request up to `wait_seconds` (0..=60; 0 asks at once)
    /// until a newer list exists.
    pub fn start_sync(&self, now_unix: i64, wait_seconds: u32) -> Result<HttpRequest, ChoError> {
        let mut inner = lock(&self.inner);
        inner.enrolled()?;
        let door = lock(&self.door);
        let door = door.as_ref().ok_or_else(|| ChoError::NotEnrolled {
            reason: "the store is not open".to_owned(),
        })?;
        let have = door.status(now_unix).list.map_or(0, |l| l.header.version);
        let wait = if inner.server_waits(now_unix) {
            wait_seconds.min(MAX_WAIT_SECONDS)
        } else {
            0
        };
        let request = inner.list_request(door, have, wait)?;
        inner.pending = Some(Pending::List(ListRun {
            have,
            wait,
            retried: false,
            fetched_key: None,
            applied: None,
        }));
        Ok(request)
    }

    /// Digests the answer to the last request handed out.
    pub fn handle_response(
        &self,
        response: HttpResponse,
        now_unix: i64,
    ) -> Result<DeviceStep, ChoError> {
        let mut inner = lock(&self.inner);
        let mut door = lock(&self.door);
        let step = match inner.pending.take() {
            None => Err(ChoError::InvalidInput {
                reason: "no request is waiting for an answer".to_owned(),
            }),
            Some(Pending::Enrol { target, persist }) => {
                inner.enrol_answer(target, persist, response, &mut door, now_unix)
            }
            Some(Pending::List(run)) => inner.list_answer(run, response, &mut door, now_unix),
            Some(Pending::Key(run, held)) => {
                inner.key_answer(run, held, response, &mut door, now_unix)
            }
        };
        // A new enrolment or a revocation starts the tally afresh: counts
        // belong to the credential (and venue) they were made under.
        if let Ok(DeviceStep::Finished {
            outcome: DeviceOutcome::Enrolled { .. } | DeviceOutcome::Revoked,
            ..
        }) = &step
        {
            self.forget_counts()?;
        }
        step
    }

    /// The last request got no answer (no network, timeout, TLS failure):
    /// when to try again.
    pub fn transport_failed(&self, now_unix: i64) -> Result<DeviceStep, ChoError> {
        let mut inner = lock(&self.inner);
        if inner.pending.is_none() {
            return Err(ChoError::InvalidInput {
                reason: "no request is waiting for an answer".to_owned(),
            });
        }
        inner.transient(now_unix, None, "the server could not be reached".to_owned())
    }

    pub fn status(&self, now_unix: i64) -> DeviceStatus {
        let inner = lock(&self.inner);
        let door = lock(&self.door);
        let list = match door.as_ref() {
            Some(door) => export_status(door, now_unix),
            None => crate::ffi::empty_status(),
        };
        let Some(state) = &inner.state else {
            return DeviceStatus {
                state: EnrolmentState::NotEnrolled,
                server_url: None,
                device_id: None,
                area_id: None,
                persist: false,
                credential_needed: false,
                signing_key_fingerprint: None,
                failures: 0,
                next_attempt_at_unix: None,
                list,
            };
        };
        let enrolled = state.phase == Phase::Enrolled;
        let trusted = door
            .as_ref()
            .map_or(state.signing_key, Door::trusted_public_key);
        DeviceStatus {
            state: if enrolled {
                EnrolmentState::Enrolled
            } else {
                EnrolmentState::Revoked
            },
            server_url: Some(state.server_url.clone()),
            device_id: Some(state.device_id),
            area_id: Some(state.area_id),
            persist: state.persist,
            credential_needed: enrolled && inner.credential.is_none(),
            signing_key_fingerprint: Some(fingerprint::short_fingerprint(&trusted)),
            failures: state.failures,
            next_attempt_at_unix: state.next_attempt_at,
            list,
        }
    }
}

impl DoorDevice {
    /// The store, for a Rust app that checks through [`Door`] itself
    /// (`cho-door`); `None` before enrolment.
    pub fn with_door<T>(&self, f: impl FnOnce(Option<&Door>) -> T) -> T {
        f(lock(&self.door).as_ref())
    }

    fn start_enrol_target(
        &self,
        target: link::EnrolTarget,
        persist: bool,
    ) -> Result<HttpRequest, ChoError> {
        let mut inner = lock(&self.inner);
        let body = serde_json::json!({ "code": target.code })
            .to_string()
            .into_bytes();
        let request = HttpRequest {
            method: "POST".to_owned(),
            url: format!("{}/api/v1/devices/enrol", target.server_url),
            headers: vec![
                HttpHeader {
                    name: "content-type".to_owned(),
                    value: "application/json".to_owned(),
                },
                HttpHeader {
                    name: "accept".to_owned(),
                    value: "application/json".to_owned(),
                },
            ],
            body,
            timeout_seconds: REQUEST_TIMEOUT_SECONDS,
            max_response_bytes: JSON_LIMIT_BYTES,
        };
        inner.pending = Some(Pending::Enrol { target, persist });
        Ok(request)
    }
}

#[cfg(test)]
mod tests;
