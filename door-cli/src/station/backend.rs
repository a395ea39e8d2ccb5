//! What the station's screen needs from the door, whatever the transport:
//! a check by MRZ or by typed name, the status for the status line, and a
//! background loop that keeps the list current. The screen depends only on
//! [`DoorBackend`]; [`CoreBackend`] implements it on the core's device
//! protocol with the waiting sync.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use cho_core::checker::{Check, DoorError};
use cho_core::device::{
    CountsOutcome, DeviceOutcome, DeviceStep, DoorDevice, EnrolmentState, HttpRequest,
};
use cho_core::ffi::ChoError;

use crate::{Context, Failure, device, http};

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
    /// The server revoked this device: its keys and list are wiped.
    Revoked,
    /// The server does not know the credential (a plain 401): the list in
    /// force stays usable until it is outdated.
    Refused,
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

/// The core's device protocol (`cho_core::device`) behind the trait: the
/// core builds every request and digests every answer; this carries the
/// bytes (`crate::http::send`) on the sync thread. Checks go to the same
/// store through `DoorDevice::with_door`, never waiting for the network.
pub struct CoreBackend {
    device: Arc<DoorDevice>,
    connection: Mutex<Connection>,
    /// The waiting sync's wait: the server answers at once when a newer
    /// list exists, or after this many seconds.
    wait_seconds: u32,
    /// `--send-counts`: the tally goes to the server after each sync.
    send_counts: bool,
}

impl CoreBackend {
    pub fn open(ctx: &Context, wait_seconds: u32, send_counts: bool) -> Result<Self, Failure> {
        if !device::has_state(&ctx.data_dir) {
            return Err(device::not_enrolled(&ctx.data_dir));
        }
        let device = device::open(&ctx.data_dir)?;
        let connection = if device.status(ctx.now).state == EnrolmentState::Revoked {
            Connection::Revoked
        } else {
            Connection::Starting
        };
        Ok(Self {
            device,
            connection: Mutex::new(connection),
            wait_seconds,
            send_counts,
        })
    }

    fn revoked(&self) -> bool {
        *lock(&self.connection) == Connection::Revoked
    }

    /// A check on the store in force, counted in the door's anonymous
    /// tally (hour and verdict only). A tally that cannot be written costs
    /// a count, never the verdict.
    fn check(
        &self,
        now: i64,
        f: impl FnOnce(&cho_core::checker::Door) -> Result<Check, DoorError>,
    ) -> Result<Check, CheckFailure> {
        if self.revoked() {
            return Err(CheckFailure::Revoked);
        }
        let check = self.device.with_door(|door| match door {
            Some(door) => f(door).map_err(door_failure),
            None => Err(CheckFailure::Other("not enrolled".to_owned())),
        })?;
        let _ = self.device.count_check(check.verdict, now);
        Ok(check)
    }

    /// Sends the counts the server has not acknowledged, quietly: counts
    /// are optional, so a failure leaves them for the next sync; only a
    /// revocation changes what the station shows.
    fn send_counts(&self, now: i64) {
        let Ok(Some(request)) = self.device.start_counts(now) else {
            return;
        };
        if let Ok(response) = http::send(&request)
            && let Ok(CountsOutcome::Revoked) = self.device.handle_counts_response(response, now)
        {
            self.set(Connection::Revoked);
        }
    }

    fn set(&self, connection: Connection) {
        *lock(&self.connection) = connection;
    }

    fn offline(&self) {
        let mut connection = lock(&self.connection);
        let last_sync = match *connection {
            Connection::Online { last_sync } => Some(last_sync),
            Connection::Offline { last_sync } => last_sync,
            _ => None,
        };
        *connection = Connection::Offline { last_sync };
    }

    /// One exchange: the core's requests, sent until it is finished.
    /// `None` when stopped, or on an error of the core (`Err`).
    fn exchange(
        &self,
        first: HttpRequest,
        clock: &(dyn Fn() -> i64 + Sync),
        stop: &AtomicBool,
    ) -> Option<Result<(DeviceOutcome, i64), ChoError>> {
        let mut request = first;
        loop {
            let step = match http::send_unless_stopped(request, stop)? {
                Ok(response) => self.device.handle_response(response, clock()),
                Err(_) => self.device.transport_failed(clock()),
            };
            match step {
                Ok(DeviceStep::Send { request: next }) => request = next,
                Ok(DeviceStep::Finished {
                    outcome,
                    next_sync_at_unix,
                    ..
                }) => return Some(Ok((outcome, next_sync_at_unix))),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Sleeps until `clock()` reaches `until` (at most `cap`), waking early
/// when `stop` is set.
fn pause_until(until: i64, cap: Duration, clock: &(dyn Fn() -> i64 + Sync), stop: &AtomicBool) {
    let started = std::time::Instant::now();
    while clock() < until && started.elapsed() < cap && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl DoorBackend for CoreBackend {
    fn check_mrz(&self, mrz: &str, now: i64) -> Result<Check, CheckFailure> {
        self.check(now, |door| door.check_mrz(mrz, now))
    }

    fn check_manual(
        &self,
        surname: &str,
        given_names: &str,
        birth_date: &str,
        now: i64,
    ) -> Result<Check, CheckFailure> {
        self.check(now, |door| {
            door.check_manual(surname, given_names, birth_date, now)
        })
    }

    fn status(&self, now: i64) -> StationStatus {
        let status = self.device.status(now);
        let list = &status.list;
        StationStatus {
            area_id: status.area_id,
            list: match (list.list_version, list.list_age_seconds) {
                (Some(version), Some(age_seconds)) if list.has_list => Some(ListLine {
                    version,
                    age_seconds,
                    outdated: list.outdated,
                }),
                _ => None,
            },
            connection: if status.state == EnrolmentState::Revoked {
                Connection::Revoked
            } else {
                *lock(&self.connection)
            },
        }
    }

    /// The waiting sync, again and again: the server answers as soon as a
    /// newer list exists. The core says when to ask next (at once after a
    /// held sync, later after a failure, with backoff and jitter).
    fn sync_loop(&self, stop: &AtomicBool, clock: &(dyn Fn() -> i64 + Sync)) {
        while !stop.load(Ordering::Relaxed) {
            let request = match self.device.start_sync(clock(), self.wait_seconds) {
                Ok(request) => request,
                Err(ChoError::DeviceRevoked { .. }) => return self.set(Connection::Revoked),
                Err(_) => {
                    self.offline();
                    pause_until(i64::MAX, Duration::from_secs(10), clock, stop);
                    continue;
                }
            };
            let Some(result) = self.exchange(request, clock, stop) else {
                return;
            };
            let next = match result {
                Ok((DeviceOutcome::Revoked, _)) | Err(ChoError::DeviceRevoked { .. }) => {
                    return self.set(Connection::Revoked);
                }
                Ok((DeviceOutcome::RetryLater { .. }, next)) => {
                    self.offline();
                    next
                }
                Ok((_, next)) => {
                    self.set(Connection::Online { last_sync: clock() });
                    if self.send_counts {
                        self.send_counts(clock());
                    }
                    next
                }
                Err(ChoError::Unauthorized { .. }) => {
                    // An unknown credential (or a proxy's 401): the list
                    // stays usable until it is outdated; ask again later.
                    self.set(Connection::Refused);
                    clock().saturating_add(60)
                }
                Err(_) => {
                    self.offline();
                    clock().saturating_add(30)
                }
            };
            // Never spin: at least a moment between two requests.
            pause_until(next, Duration::from_secs(3600), clock, stop);
            pause_until(i64::MAX, Duration::from_millis(200), clock, stop);
        }
    }
}
