//! What the station's screen needs from the door, whatever the transport:
//! a check by MRZ or by typed name, the status for the status line, and a
//! background loop that keeps the list current. The screen depends only on
//! [`DoorBackend`]; [`CliBackend`] implements it with this crate's sync.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use cho_core::checker::{Check, Door, DoorError};
use cho_core::list_format::ListError;

use crate::device::Device;
use crate::http::{ListAnswer, Server};
use crate::{Context, Exit, Failure};

/// Why a check gave no verdict. Never holds what was typed or scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckFailure {
    /// The MRZ does not read: the core's reason (a line and a column).
    Unreadable(String),
    /// A typed field was refused: the core's reason.
    Invalid(String),
    /// The server revoked this device: it no longer checks anyone.
    Revoked,
    /// Anything else (storage, a missing area key): the reason.
    Other(String),
}

/// Whether the door reaches its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// No sync finished yet.
    Starting,
    /// The last sync succeeded at `last_sync` (Unix seconds).
    Online { last_sync: i64 },
    /// The server cannot be reached; the list in force stays.
    Offline { last_sync: Option<i64> },
    /// The server refused this device's credential.
    Revoked,
}

/// The list in force, for the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListLine {
    pub version: u64,
    pub age_seconds: u64,
    pub outdated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StationStatus {
    pub area_id: Option<u64>,
    pub list: Option<ListLine>,
    pub connection: Connection,
}

/// The door behind the screen. Implementations are shared between the
/// screen's thread and the sync thread.
pub trait DoorBackend: Send + Sync {
    fn check_mrz(&self, mrz: &str, now: i64) -> Result<Check, CheckFailure>;
    fn check_manual(
        &self,
        surname: &str,
        given_names: &str,
        birth_date: &str,
        now: i64,
    ) -> Result<Check, CheckFailure>;
    fn status(&self, now: i64) -> StationStatus;
    /// Keeps the list current until `stop` is set; `clock` gives the time.
    fn sync_loop(&self, stop: &AtomicBool, clock: &(dyn Fn() -> i64 + Sync));
}

fn door_failure(e: DoorError) -> CheckFailure {
    match e {
        DoorError::Mrz(e) => CheckFailure::Unreadable(e.to_string()),
        DoorError::Identity(e) => CheckFailure::Invalid(e.to_string()),
        DoorError::Date(e) => CheckFailure::Invalid(e.to_string()),
        e => CheckFailure::Other(e.to_string()),
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Today's door-cli protocol (`http.rs`) behind the trait. The store is
/// held open for the station's life (its lock keeps a second `cho-door`
/// off the directory); the network is never called with the store locked,
/// so a check never waits for the server.
pub struct CliBackend {
    device: Device,
    data_dir: std::path::PathBuf,
    server: Server,
    door: Mutex<Door>,
    connection: Mutex<Connection>,
    /// Seconds between polls while online.
    every: Duration,
}

/// The sync's outcome, for the loop.
enum Round {
    Done,
    Failed(Failure),
}

impl CliBackend {
    pub fn open(ctx: &Context, every: Duration) -> Result<Self, Failure> {
        let device = Device::require(&ctx.data_dir)?;
        let door = device.open_door(&ctx.data_dir)?;
        let server = Server::new(&device.server_url)?;
        Ok(Self {
            device,
            data_dir: ctx.data_dir.clone(),
            server,
            door: Mutex::new(door),
            connection: Mutex::new(Connection::Starting),
            every,
        })
    }

    fn revoked(&self) -> bool {
        *lock(&self.connection) == Connection::Revoked
    }

    /// One sync: what follows the version in force, applied. Mirrors
    /// `sync::fetch_and_apply`, but takes the store's lock only to read the
    /// version and to apply, never across a request.
    fn sync_once(&self, now: i64) -> Result<(), Failure> {
        let mut retried = false;
        let mut have = None;
        for _ in 0..8 {
            let (version, key) = {
                let door = lock(&self.door);
                let version =
                    have.unwrap_or_else(|| door.status(now).list.map_or(0, |l| l.header.version));
                (version, door.trusted_public_key())
            };
            let answer = self.server.list(&self.device.credential, version, &key)?;
            let ListAnswer::Update {
                key_epoch, bytes, ..
            } = answer
            else {
                return Ok(());
            };
            let needs_key = key_epoch
                .is_some_and(|epoch| !lock(&self.door).status(now).key_epochs.contains(&epoch));
            if needs_key {
                let key = self.server.key(&self.device.credential)?;
                if key.area_id != self.device.area_id {
                    return Err(Failure::other("bad_answer", "a key for another area"));
                }
                lock(&self.door)
                    .set_area_key(key.area_id, key.key_epoch, &key.identity_key, true)
                    .map_err(|e| Failure::other("storage", e.to_string()))?;
            }
            let mut door = lock(&self.door);
            let key_before = door.trusted_public_key();
            match door.apply_update(bytes, now) {
                Ok(()) if door.trusted_public_key() != key_before => {
                    // A new signing key was announced: pin it, fetch on.
                    let trusted = door.trusted_public_key();
                    drop(door);
                    self.pin(&trusted)?;
                    have = None;
                }
                Ok(()) => return Ok(()),
                Err(DoorError::List(ListError::VersionGap { .. } | ListError::DigestMismatch))
                    if !retried && version != 0 =>
                {
                    retried = true;
                    have = Some(0);
                }
                Err(e) => return Err(Failure::other("list_refused", e.to_string())),
            }
        }
        Ok(())
    }

    fn pin(&self, trusted: &[u8]) -> Result<(), Failure> {
        let device = Device {
            signing_public_key: base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                trusted,
            ),
            server_url: self.device.server_url.clone(),
            device_id: self.device.device_id,
            area_id: self.device.area_id,
            credential: self.device.credential.clone(),
        };
        device.save(&self.data_dir)
    }

    fn round(&self, now: i64) -> Round {
        match self.sync_once(now) {
            Ok(()) => Round::Done,
            Err(f) => Round::Failed(f),
        }
    }
}

/// Sleeps up to `total`, waking early when `stop` is set.
fn pause(total: Duration, stop: &AtomicBool) {
    let step = Duration::from_millis(100);
    let mut left = total;
    while !left.is_zero() && !stop.load(Ordering::Relaxed) {
        let nap = left.min(step);
        std::thread::sleep(nap);
        left = left.saturating_sub(nap);
    }
}

impl DoorBackend for CliBackend {
    fn check_mrz(&self, mrz: &str, now: i64) -> Result<Check, CheckFailure> {
        if self.revoked() {
            return Err(CheckFailure::Revoked);
        }
        lock(&self.door).check_mrz(mrz, now).map_err(door_failure)
    }

    fn check_manual(
        &self,
        surname: &str,
        given_names: &str,
        birth_date: &str,
        now: i64,
    ) -> Result<Check, CheckFailure> {
        if self.revoked() {
            return Err(CheckFailure::Revoked);
        }
        lock(&self.door)
            .check_manual(surname, given_names, birth_date, now)
            .map_err(door_failure)
    }

    fn status(&self, now: i64) -> StationStatus {
        let status = lock(&self.door).status(now);
        StationStatus {
            area_id: status.area_id.or(Some(self.device.area_id)),
            list: status.list.map(|l| ListLine {
                version: l.header.version,
                age_seconds: l.age_seconds,
                outdated: l.outdated,
            }),
            connection: *lock(&self.connection),
        }
    }

    /// Polls every `every` while online; offline, retries after 2 s, 4 s,
    /// ... up to a minute. A revoked device stops syncing.
    fn sync_loop(&self, stop: &AtomicBool, clock: &(dyn Fn() -> i64 + Sync)) {
        let mut backoff = Duration::from_secs(2);
        while !stop.load(Ordering::Relaxed) {
            let now = clock();
            match self.round(now) {
                Round::Done => {
                    *lock(&self.connection) = Connection::Online { last_sync: now };
                    backoff = Duration::from_secs(2);
                    pause(self.every, stop);
                }
                Round::Failed(f) if f.exit == Exit::Revoked => {
                    *lock(&self.connection) = Connection::Revoked;
                    return;
                }
                Round::Failed(_) => {
                    let mut connection = lock(&self.connection);
                    let last_sync = match *connection {
                        Connection::Online { last_sync } => Some(last_sync),
                        Connection::Offline { last_sync } => last_sync,
                        _ => None,
                    };
                    *connection = Connection::Offline { last_sync };
                    drop(connection);
                    pause(backoff, stop);
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                }
            }
        }
    }
}
