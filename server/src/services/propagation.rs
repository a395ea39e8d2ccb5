//! A new ban at every door within seconds.
//!
//! Three parts, one per instance:
//!
//! - **Publication on commit.** Every write that changes an area's list
//!   content says so in its audit events (`AuditEvent::commit_signal`);
//!   after the commit, `WriteTx` hands the signals to the hook `crate::app`
//!   wires to [`Propagation::signal`]. The area is marked pending, and
//!   [`run_publisher`] publishes pending areas [`PUBLISH_DELAY`] after the
//!   first change: a burst of bans gives one publication (or a few), not
//!   one per ban. The periodic run (`PUBLISH_INTERVAL`) stays for freshness.
//! - **Versions, watched.** Each area's latest version is a
//!   `tokio::sync::watch` here. A publication on this instance sets it at
//!   once; [`run_watcher`] sets it for publications on other instances
//!   (PostgreSQL `LISTEN` on its own connection; on SQLite, or while the
//!   listener is down, a poll of one row per area every
//!   [`WATCH_INTERVAL`] of the audit chain's head, and of the versions
//!   and device events only when it moved). The watcher also learns the
//!   other instances' device revocations and venue admission changes
//!   (PostgreSQL: [`crate::storage::DEVICE_ACCESS_CHANNEL`]; polling: the
//!   chain), so the sync cache may keep a device for as long as the
//!   watcher follows ([`Propagation::watched_since`]). Waiting doors never
//!   query the database while idle: they hold a receiver, and a door
//!   renewing its wait finds its credential in the cache.
//! - **Waiting doors.** A waiting sync (`?wait=S`) holds a [`Waiter`]: it
//!   wakes on a new version of its area, on its device's revocation, at
//!   its deadline, or when waits are ended (a graceful stop answers every
//!   door 304 at once instead of keeping the stop waiting).

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::lists::{self, Published};
use super::sync_cache::{SYNC_CACHE_SECONDS, SyncCache};
use super::{App, AppResult};
use crate::domain::audit::CommitSignal;
use crate::storage::Backend;

/// From an area's first list change to its publication: long enough to
/// gather a burst of bans into one version, short enough that a ban is at
/// the doors within about a second.
pub const PUBLISH_DELAY: Duration = Duration::from_millis(250);

/// How often the watcher reads the latest versions when it cannot listen
/// (SQLite, or PostgreSQL while its listening connection is down): one
/// query per interval per instance, however many doors wait.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// The longest wait a door may ask for (`?wait=`); more is clipped to it.
pub const MAX_WAIT_SECONDS: u64 = 60;

/// The PostgreSQL channel a publication notifies (payload `area:version`).
pub const CHANNEL: &str = "cho_lists";

/// This instance's propagation state; cheap to clone (shared).
#[derive(Clone)]
pub struct Propagation {
    inner: Arc<Inner>,
}

struct Inner {
    /// The latest version known per area.
    versions: Mutex<HashMap<i64, watch::Sender<i64>>>,
    /// Areas whose list changed since their last publication run.
    pending: Mutex<BTreeSet<i64>>,
    pending_changed: Notify,
    /// Devices with an open wait: their revocation flag and how many
    /// waits hold it.
    devices: Mutex<HashMap<i64, (watch::Sender<bool>, usize)>>,
    /// Bumped to end every open wait (graceful stop, tests).
    ends: watch::Sender<u64>,
    stopping: AtomicBool,
    /// The watcher has read the latest versions once (or listens).
    ready: watch::Sender<bool>,
    /// Database queries the watcher made (for the benchmark and `/metrics`).
    watcher_queries: AtomicU64,
    /// Publication runs started by list changes.
    publications: AtomicU64,
    /// Where waits take their time from: tokio's clock (None), or a clock
    /// that tests move by hand (the time elapsed on it).
    wait_clock: watch::Sender<Option<Duration>>,
    /// Whether the watcher follows the other instances' changes.
    watched: Mutex<Watched>,
}

/// The watcher's hold on other instances' changes, in the app clock's
/// seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Watched {
    /// Not running, or lost: nothing learned from elsewhere.
    Down,
    /// PostgreSQL `LISTEN`: every change from `since` on is heard.
    Listening { since: i64 },
    /// Polling the chain from `since` on; the last poll that worked.
    Polling { since: i64, last_ok: i64 },
}

/// When a wait runs out, on the wait clock in use.
#[derive(Clone, Copy, Debug)]
pub enum Deadline {
    Tokio(Instant),
    Manual(Duration),
}

impl Default for Propagation {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                versions: Mutex::default(),
                pending: Mutex::default(),
                pending_changed: Notify::new(),
                devices: Mutex::default(),
                ends: watch::Sender::new(0),
                stopping: AtomicBool::new(false),
                ready: watch::Sender::new(false),
                watcher_queries: AtomicU64::new(0),
                publications: AtomicU64::new(0),
                wait_clock: watch::Sender::new(None),
                watched: Mutex::new(Watched::Down),
            }),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Why a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Woken {
    /// The area's version moved.
    Published,
    /// The device was revoked.
    Revoked,
    /// The door's `wait` ran out.
    TimedOut,
    /// Waits were ended (a graceful stop).
    Ended,
}

impl Propagation {
    /// What a committed write said (the hook `crate::app` installs).
    pub fn signal(&self, signals: &[CommitSignal]) {
        let mut any = false;
        for s in signals {
            match *s {
                CommitSignal::ListChanged(area) => {
                    lock(&self.inner.pending).insert(area);
                    any = true;
                }
                CommitSignal::DeviceRevoked(device) => self.device_revoked(device),
                // A sync checks the admission; the sync cache forgot the
                // venue's devices (`committed`). Withdrawn today, its
                // devices are revoked by the same commit.
                CommitSignal::VenueAdmission(_) => {}
            }
        }
        if any {
            // Stores a permit when the publisher is busy: nothing is lost.
            self.inner.pending_changed.notify_one();
        }
    }

    /// The areas waiting for publication, taken.
    pub fn take_pending(&self) -> Vec<i64> {
        std::mem::take(&mut *lock(&self.inner.pending))
            .into_iter()
            .collect()
    }

    /// Resolves once some area awaits publication.
    async fn changes(&self) {
        loop {
            let notified = self.inner.pending_changed.notified();
            if !lock(&self.inner.pending).is_empty() {
                return;
            }
            notified.await;
        }
    }

    fn sender(&self, area_id: i64) -> watch::Sender<i64> {
        lock(&self.inner.versions)
            .entry(area_id)
            .or_insert_with(|| watch::Sender::new(0))
            .clone()
    }

    /// The latest version of the area this instance knows of (0: none).
    pub fn known(&self, area_id: i64) -> i64 {
        lock(&self.inner.versions)
            .get(&area_id)
            .map_or(0, |s| *s.borrow())
    }

    /// A version is published (here or elsewhere): wakes the area's
    /// waiting doors. Call after the sync cache forgot the area's latest.
    pub fn published(&self, area_id: i64, version: i64) {
        self.sender(area_id).send_if_modified(|known| {
            let newer = version > *known;
            if newer {
                *known = version;
            }
            newer
        });
    }

    fn device_revoked(&self, device_id: i64) {
        if let Some((flag, _)) = lock(&self.inner.devices).get(&device_id) {
            flag.send_replace(true);
        }
    }

    /// Tests: waits from now on run on a clock moved by
    /// [`Propagation::advance_wait_clock`], not on tokio's.
    pub fn use_manual_wait_clock(&self) {
        self.inner.wait_clock.send_replace(Some(Duration::ZERO));
    }

    /// Tests: moves the manual wait clock on; waits whose time ran out
    /// answer.
    pub fn advance_wait_clock(&self, by: Duration) {
        self.inner
            .wait_clock
            .send_modify(|t| *t = Some(t.unwrap_or_default() + by));
    }

    /// The deadline of a wait of `wait` starting now.
    pub fn deadline(&self, wait: Duration) -> Deadline {
        match *self.inner.wait_clock.borrow() {
            Some(elapsed) => Deadline::Manual(elapsed + wait),
            None => Deadline::Tokio(Instant::now() + wait),
        }
    }

    /// Ends every open wait now (they answer 304).
    pub fn end_waits(&self) {
        self.inner.ends.send_modify(|g| *g += 1);
    }

    /// A graceful stop: open waits end, new ones answer at once.
    pub fn stop(&self) {
        self.inner.stopping.store(true, Ordering::Release);
        self.end_waits();
    }

    pub fn is_stopping(&self) -> bool {
        self.inner.stopping.load(Ordering::Acquire)
    }

    /// Resolves once the watcher knows the latest versions (it listens, or
    /// has polled once).
    pub async fn ready(&self) {
        let mut ready = self.inner.ready.subscribe();
        let _ = ready.wait_for(|r| *r).await;
    }

    /// Since when (app clock) this instance has heard every change made on
    /// other instances, if it does now: a device read at or after that may
    /// stay cached (`SyncCache::device`). A poll that has not worked for
    /// [`SYNC_CACHE_SECONDS`] no longer counts.
    pub fn watched_since(&self, now: i64) -> Option<i64> {
        match *lock(&self.inner.watched) {
            Watched::Down => None,
            Watched::Listening { since } => Some(since),
            Watched::Polling { since, last_ok } => {
                (now - last_ok < SYNC_CACHE_SECONDS).then_some(since)
            }
        }
    }

    fn set_watched(&self, watched: Watched) {
        *lock(&self.inner.watched) = watched;
    }

    /// A poll worked at `now`: polling from `now` on, or still since when
    /// it was (`fresh`: nothing from before may be trusted).
    fn polled(&self, now: i64, fresh: bool) {
        let mut watched = lock(&self.inner.watched);
        *watched = match *watched {
            Watched::Polling { since, .. } if !fresh => Watched::Polling {
                since,
                last_ok: now,
            },
            _ => Watched::Polling {
                since: now,
                last_ok: now,
            },
        };
    }

    /// Database queries the watcher has made since start.
    pub fn watcher_queries(&self) -> u64 {
        self.inner.watcher_queries.load(Ordering::Relaxed)
    }

    /// Publication runs started by list changes since start.
    pub fn publications(&self) -> u64 {
        self.inner.publications.load(Ordering::Relaxed)
    }

    /// Doors waiting at this moment.
    pub fn waiting_devices(&self) -> usize {
        lock(&self.inner.devices).values().map(|(_, n)| n).sum()
    }

    /// Prometheus lines for `/metrics`.
    pub fn render(&self) -> String {
        format!(
            "# HELP cho_sync_waiting Door syncs waiting for a new list on this instance.\n\
             # TYPE cho_sync_waiting gauge\n\
             cho_sync_waiting {}\n\
             # HELP cho_list_watch_queries_total Database queries of the list-version watcher.\n\
             # TYPE cho_list_watch_queries_total counter\n\
             cho_list_watch_queries_total {}\n\
             # HELP cho_list_change_publications_total Publication runs started by list changes.\n\
             # TYPE cho_list_change_publications_total counter\n\
             cho_list_change_publications_total {}\n",
            self.waiting_devices(),
            self.watcher_queries(),
            self.publications(),
        )
    }

    /// A wait of `device_id` for a new version of `area_id`. Everything it
    /// waits on is subscribed here, before the caller's first look at the
    /// database, so nothing that happens in between is missed.
    pub fn waiter(&self, area_id: i64, device_id: i64) -> Waiter {
        let revoked = {
            let mut devices = lock(&self.inner.devices);
            let entry = devices
                .entry(device_id)
                .or_insert_with(|| (watch::Sender::new(false), 0));
            entry.1 += 1;
            entry.0.subscribe()
        };
        let mut ends = self.inner.ends.subscribe();
        ends.borrow_and_update();
        Waiter {
            clock: self.inner.wait_clock.subscribe(),
            versions: self.sender(area_id).subscribe(),
            revoked,
            ends,
            device_id,
            inner: self.inner.clone(),
        }
    }
}

/// One door's open wait; see [`Propagation::waiter`].
pub struct Waiter {
    clock: watch::Receiver<Option<Duration>>,
    versions: watch::Receiver<i64>,
    revoked: watch::Receiver<bool>,
    ends: watch::Receiver<u64>,
    device_id: i64,
    inner: Arc<Inner>,
}

impl Waiter {
    /// Call right before reading the latest version: a version published
    /// after this wakes [`Waiter::until`].
    pub fn mark_seen(&mut self) {
        self.versions.borrow_and_update();
    }

    /// Waits for a new version, the device's revocation, `deadline`, or the
    /// end of all waits, whichever comes first.
    pub async fn until(&mut self, deadline: Deadline) -> Woken {
        if *self.revoked.borrow() {
            return Woken::Revoked;
        }
        let clock = &mut self.clock;
        let timeout = async move {
            match deadline {
                Deadline::Tokio(at) => tokio::time::sleep_until(at).await,
                Deadline::Manual(at) => {
                    if clock
                        .wait_for(|t| t.is_some_and(|t| t >= at))
                        .await
                        .is_err()
                    {
                        std::future::pending::<()>().await;
                    }
                }
            }
        };
        tokio::select! {
            biased;
            _ = self.ends.changed() => Woken::Ended,
            _ = self.revoked.wait_for(|r| *r) => Woken::Revoked,
            _ = self.versions.changed() => Woken::Published,
            () = timeout => Woken::TimedOut,
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let mut devices = lock(&self.inner.devices);
        if let Some(entry) = devices.get_mut(&self.device_id) {
            entry.1 = entry.1.saturating_sub(1);
            if entry.1 == 0 {
                devices.remove(&self.device_id);
            }
        }
    }
}

/// What a commit said, on this instance (the hook `crate::app` installs)
/// or, for device access, on another (the watcher): the sync cache forgets
/// first, so woken waits re-read the device from the database.
pub fn committed(propagation: &Propagation, sync_cache: &SyncCache, signals: &[CommitSignal]) {
    for signal in signals {
        sync_cache.forget(*signal);
    }
    propagation.signal(signals);
}

/// A device-access change made on another instance.
fn learned_device_access(app: &App, signal: CommitSignal) {
    if signal.device_access_payload().is_some() {
        committed(&app.propagation, &app.sync_cache, &[signal]);
    }
}

/// Publishes the areas whose list changed (the debouncer's step; tests
/// call it directly instead of waiting for [`run_publisher`]).
pub async fn publish_pending(app: &App) -> Vec<(i64, AppResult<Published>)> {
    let mut out = Vec::new();
    for area in app.propagation.take_pending() {
        app.propagation
            .inner
            .publications
            .fetch_add(1, Ordering::Relaxed);
        out.push((area, lists::publish(app, area).await));
    }
    out
}

/// Publishes changed areas [`PUBLISH_DELAY`] after their first change,
/// for ever (`serve` runs it).
pub async fn run_publisher(app: App) {
    loop {
        app.propagation.changes().await;
        tokio::time::sleep(PUBLISH_DELAY).await;
        for (area, result) in publish_pending(&app).await {
            if let Err(e) = result {
                tracing::warn!(area, error = %e, "list publication after a change failed");
            }
        }
    }
}

/// One look at what other instances wrote, from the chain's head `seen`
/// before (None: never, or maybe missed: every cached device is forgotten).
/// One query while nothing was written; when the head moved, the latest
/// versions (doors of areas that moved wake) and the device-access events
/// since `seen` (the sync cache forgets, revoked devices' waits end).
pub async fn poll_changes(app: &App, seen: &mut Option<i64>) -> AppResult<()> {
    let counted = || {
        app.propagation
            .inner
            .watcher_queries
            .fetch_add(1, Ordering::Relaxed)
    };
    let now = app.clock.now();
    counted();
    let head = crate::storage::audit::head_seq(&app.db).await?;
    if *seen != Some(head) {
        counted();
        for (area, version) in crate::storage::lists::latest_versions(&app.db).await? {
            learned(app, area, version).await;
        }
        match *seen {
            Some(from) => {
                counted();
                for (action, object_id) in
                    crate::storage::audit::device_access_since(&app.db, from).await?
                {
                    if let Some(signal) = CommitSignal::of_device_access(&action, &object_id) {
                        learned_device_access(app, signal);
                    }
                }
            }
            None => app.sync_cache.forget_all_devices(),
        }
    }
    app.propagation.polled(now, seen.is_none());
    *seen = Some(head);
    app.propagation.inner.ready.send_replace(true);
    Ok(())
}

/// A version published elsewhere: read once into the sync cache (else
/// forgotten there), so the woken doors find it without a herd of reads.
async fn learned(app: &App, area_id: i64, version: i64) {
    if version <= app.propagation.known(area_id) {
        return;
    }
    app.propagation
        .inner
        .watcher_queries
        .fetch_add(1, Ordering::Relaxed);
    match crate::storage::lists::latest(&app.db, area_id).await {
        Ok(Some(row)) if row.version >= version => {
            app.sync_cache.keep_published(row, app.clock.now());
        }
        _ => app.sync_cache.forget_latest(area_id),
    }
    app.propagation.published(area_id, version);
}

/// Watches for what other instances publish and revoke, for ever (`serve`
/// runs it): PostgreSQL `LISTEN` (no query while idle), else a poll every
/// `every`.
pub async fn run_watcher(app: App, every: Duration) {
    let mut seen = None;
    if app.db.backend() == Backend::Postgres {
        loop {
            if let Err(e) = listen(&app).await {
                tracing::warn!(error = %e, "list listener failed; polling until it is back");
            }
            app.propagation.set_watched(Watched::Down);
            // Down: poll for a while, then try to listen again.
            seen = None;
            for _ in 0..10 {
                if let Err(e) = poll_changes(&app, &mut seen).await {
                    tracing::warn!(error = %e, "change poll failed");
                }
                tokio::time::sleep(every).await;
            }
        }
    }
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(e) = poll_changes(&app, &mut seen).await {
            tracing::warn!(error = %e, "change poll failed");
        }
    }
}

/// Listens on [`CHANNEL`] and [`crate::storage::DEVICE_ACCESS_CHANNEL`]
/// until the connection fails for good. A lost connection (sqlx reconnects
/// by itself) may have dropped notifications: then one fresh poll catches
/// up (every cached device forgotten).
async fn listen(app: &App) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(app.db.url()).await?;
    listener
        .listen_all([CHANNEL, crate::storage::DEVICE_ACCESS_CHANNEL])
        .await?;
    // Listening from here on: what happened before is read once.
    catch_up(app).await;
    loop {
        match listener.try_recv().await? {
            Some(n) if n.channel() == CHANNEL => {
                if let Some((area, version)) = n
                    .payload()
                    .split_once(':')
                    .and_then(|(a, v)| Some((a.parse().ok()?, v.parse().ok()?)))
                {
                    learned(app, area, version).await;
                }
            }
            Some(n) => {
                if let Some(signal) = CommitSignal::from_device_access_payload(n.payload()) {
                    learned_device_access(app, signal);
                }
            }
            None => {
                app.propagation.set_watched(Watched::Down);
                catch_up(app).await;
            }
        }
    }
}

/// The fresh poll after (re)starting to listen: listening counts from
/// before it, as every cached device is forgotten in it.
async fn catch_up(app: &App) {
    let now = app.clock.now();
    if let Err(e) = poll_changes(app, &mut None).await {
        tracing::warn!(error = %e, "change poll failed");
        app.propagation.set_watched(Watched::Down);
    } else {
        app.propagation
            .set_watched(Watched::Listening { since: now });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A wait nobody wakes ends at its deadline, not before.
    #[tokio::test]
    async fn a_wait_times_out_at_its_deadline() {
        let p = Propagation::default();
        p.use_manual_wait_clock();
        let mut w = p.waiter(1, 7);
        w.mark_seen();
        let deadline = p.deadline(Duration::from_secs(60));
        let mut waiting = std::pin::pin!(w.until(deadline));
        p.advance_wait_clock(Duration::from_secs(59));
        assert!(futures_poll(&mut waiting).is_none());
        p.advance_wait_clock(Duration::from_secs(1));
        assert_eq!(waiting.await, Woken::TimedOut);
    }

    /// Polls a future once.
    fn futures_poll<F: std::future::Future + Unpin>(f: &mut F) -> Option<F::Output> {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        match std::pin::Pin::new(f).poll(&mut cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }
    }

    #[tokio::test]
    async fn a_publication_a_revocation_and_a_stop_each_end_a_wait() {
        let p = Propagation::default();
        p.use_manual_wait_clock();
        let deadline = p.deadline(Duration::from_secs(60));
        let mut w = p.waiter(1, 7);
        w.mark_seen();
        let other = p.clone();
        tokio::spawn(async move { other.published(1, 3) });
        assert_eq!(w.until(deadline).await, Woken::Published);
        // Another area's version does not wake it; its device's
        // revocation does.
        w.mark_seen();
        p.published(2, 9);
        p.signal(&[CommitSignal::DeviceRevoked(7)]);
        assert_eq!(w.until(deadline).await, Woken::Revoked);
        let mut w2 = p.waiter(1, 8);
        w2.mark_seen();
        p.stop();
        assert_eq!(w2.until(deadline).await, Woken::Ended);
        drop((w, w2));
        assert_eq!(p.waiting_devices(), 0);
    }

    /// A burst of changes to one area is one pending publication.
    #[test]
    fn a_burst_of_changes_is_one_pending_area() {
        let p = Propagation::default();
        for _ in 0..50 {
            p.signal(&[CommitSignal::ListChanged(4)]);
        }
        p.signal(&[CommitSignal::ListChanged(5)]);
        assert_eq!(p.take_pending(), vec![4, 5]);
        assert!(p.take_pending().is_empty());
    }
}
