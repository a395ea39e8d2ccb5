//! Per-instance memory of what door syncs read, so the frequent "anything
//! new?" of thousands of doors costs the database nothing while nothing
//! changes.
//!
//! - **Devices** (credential hash -> row). An entry read within
//!   [`SYNC_CACHE_SECONDS`] is trusted; an older one only while this
//!   instance's watcher has been following the other instances since
//!   before it was read (`Propagation::watched_since`): a revocation or a
//!   venue's admission change anywhere then reaches [`SyncCache::forget`]
//!   (here through the commit hook, elsewhere through the watcher) within
//!   about a second. A door renewing its wait every minute thus costs no
//!   query. A read that raced a forget is not kept (the generation check).
//! - **Latest versions** per area, trusted the same way: the watcher
//!   hands every publication elsewhere to [`SyncCache::keep_published`] or
//!   [`SyncCache::forget_latest`].
//! - **Deltas** made since the latest publication, made once for all doors.
//! - **Sync notes**: the sync time an owner sees per phone, gathered here
//!   and written for all phones at once (`devices::write_sync_notes`), not
//!   one write per door.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::domain::audit::CommitSignal;
use crate::storage::devices::DeviceRow;
use crate::storage::lists::ListVersionRow;

/// How long an instance trusts what it read for a sync without its
/// watcher: a device's credential and an area's latest version. Changes
/// made on this instance act at once.
pub const SYNC_CACHE_SECONDS: i64 = 5;

/// A phone's sync time is noted at most this often: an owner sees "last
/// seen" to the minutes, and polling doors must not become a stream of
/// writes.
pub const SYNC_NOTE_SECONDS: i64 = 300;

/// Bound on cached devices; beyond it the cache starts afresh.
const MAX_CACHED_DEVICES: usize = 100_000;

/// Bound on cached deltas (each is small: about 18 bytes per change).
const MAX_CACHED_DELTAS: usize = 256;

/// A delta made once for every door that asks for it.
pub(crate) type DeltaCell = Arc<tokio::sync::OnceCell<Option<Vec<u8>>>>;

/// Cache entries are kept with the time they were read.
type Shared<T> = Arc<Mutex<T>>;

/// Whether what was read at `at` may still be used at `now`.
fn trusted(at: i64, now: i64, watched_since: Option<i64>) -> bool {
    now - at < SYNC_CACHE_SECONDS || watched_since.is_some_and(|since| since <= at)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Clone, Default)]
pub struct SyncCache {
    devices: Shared<HashMap<Vec<u8>, (DeviceRow, i64)>>,
    /// Moves on every forget: a device read before it is not kept.
    generation: Arc<AtomicU64>,
    latest: Shared<HashMap<i64, (Option<ListVersionRow>, i64)>>,
    /// None when the device gets the snapshot instead; per (area, from, to).
    deltas: Shared<HashMap<(i64, i64, i64), DeltaCell>>,
    /// Sync times not yet written, per device.
    notes: Shared<HashMap<i64, i64>>,
    /// Database statements the syncs made (cache misses, sync notes): what
    /// doors cost the database, in `/metrics`.
    db_statements: Arc<AtomicU64>,
}

impl SyncCache {
    /// Counts a database statement made for syncs.
    pub(crate) fn counted(&self) {
        self.db_statements.fetch_add(1, Ordering::Relaxed);
    }

    /// Database statements made for syncs since start.
    pub fn db_statements(&self) -> u64 {
        self.db_statements.load(Ordering::Relaxed)
    }

    /// Prometheus lines for `/metrics`.
    pub fn render(&self) -> String {
        format!(
            "# HELP cho_sync_db_reads_total Database statements of device syncs (credential and version reads on a cache miss, sync-time notes).\n\
             # TYPE cho_sync_db_reads_total counter\n\
             cho_sync_db_reads_total {}\n",
            self.db_statements()
        )
    }

    /// The device behind a credential hash, if cached and still trusted
    /// (see the module doc); `watched_since` is the watcher's
    /// (`Propagation::watched_since`).
    pub(crate) fn device(
        &self,
        hash: &[u8],
        now: i64,
        watched_since: Option<i64>,
    ) -> Option<DeviceRow> {
        let devices = lock(&self.devices);
        devices
            .get(hash)
            .filter(|(_, at)| trusted(*at, now, watched_since))
            .map(|(d, _)| d.clone())
    }

    /// Where a device read starts: hand it to [`SyncCache::keep_device`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps a device read since `generation`, unless something was
    /// forgotten meanwhile (the read may be older than that forget).
    pub(crate) fn keep_device(&self, hash: Vec<u8>, device: DeviceRow, now: i64, generation: u64) {
        let mut devices = lock(&self.devices);
        // Checked under the lock forgets take: no forget slips in between.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if devices.len() >= MAX_CACHED_DEVICES {
            devices.clear();
        }
        devices.insert(hash, (device, now));
    }

    /// What a committed change (here, or learned from another instance)
    /// means for the cached devices. Call only after the commit: a sync
    /// between an earlier forget and the commit would read the device as
    /// live and keep it.
    pub fn forget(&self, signal: CommitSignal) {
        let mut devices = lock(&self.devices);
        self.generation.fetch_add(1, Ordering::AcqRel);
        match signal {
            CommitSignal::DeviceRevoked(id) => devices.retain(|_, (d, _)| d.id != id),
            CommitSignal::VenueAdmission(id) => devices.retain(|_, (d, _)| d.venue_id != id),
            CommitSignal::ListChanged(_) => {}
        }
    }

    /// Forgets every device (the watcher may have missed a change).
    pub fn forget_all_devices(&self) {
        let mut devices = lock(&self.devices);
        self.generation.fetch_add(1, Ordering::AcqRel);
        devices.clear();
    }

    /// Notes a sync of the device behind `hash` at `now` if its last note
    /// is [`SYNC_NOTE_SECONDS`] old; written by `devices::write_sync_notes`.
    pub(crate) fn note_sync(&self, hash: &[u8], device: &DeviceRow, now: i64) {
        if device
            .last_sync_at
            .is_some_and(|t| now - t < SYNC_NOTE_SECONDS)
        {
            return;
        }
        lock(&self.notes).insert(device.id, now);
        if let Some((cached, _)) = lock(&self.devices).get_mut(hash) {
            cached.last_sync_at = Some(now);
        }
    }

    /// The sync times noted since the last call, taken.
    pub(crate) fn take_notes(&self) -> Vec<(i64, i64)> {
        let mut notes: Vec<(i64, i64)> = lock(&self.notes).drain().collect();
        notes.sort_unstable();
        notes
    }

    /// Notes that could not be written go back (unless newer ones came).
    pub(crate) fn restore_notes(&self, notes: &[(i64, i64)]) {
        let mut kept = lock(&self.notes);
        for (device, at) in notes {
            kept.entry(*device).or_insert(*at);
        }
    }

    pub(crate) fn delta_cell(&self, area_id: i64, from: i64, to: i64) -> DeltaCell {
        let mut deltas = lock(&self.deltas);
        // Deltas to an older version are of no more use.
        deltas.retain(|(a, _, t), _| *a != area_id || *t >= to);
        if deltas.len() >= MAX_CACHED_DELTAS {
            deltas.clear();
        }
        deltas.entry((area_id, from, to)).or_default().clone()
    }

    /// A version was published here: its row is what the next sync reads.
    pub fn keep_published(&self, row: ListVersionRow, now: i64) {
        self.keep_latest(row.area_id, Some(row), now);
    }

    pub(crate) fn latest(
        &self,
        area_id: i64,
        now: i64,
        watched_since: Option<i64>,
    ) -> Option<Option<ListVersionRow>> {
        lock(&self.latest)
            .get(&area_id)
            .filter(|(_, at)| trusted(*at, now, watched_since))
            .map(|(v, _)| v.clone())
    }

    pub(crate) fn keep_latest(&self, area_id: i64, version: Option<ListVersionRow>, now: i64) {
        lock(&self.latest).insert(area_id, (version, now));
    }

    /// A new version was published elsewhere: the next poll reads it.
    pub fn forget_latest(&self, area_id: i64) {
        lock(&self.latest).remove(&area_id);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(id: i64, venue_id: i64) -> DeviceRow {
        DeviceRow {
            id,
            area_id: 1,
            venue_id,
            name: "Voordeur".to_owned(),
            enrolled_at: 0,
            revoked_at: None,
            last_sync_at: None,
            venue_admitted_on: None,
            venue_withdrawn_on: None,
        }
    }

    fn kept(cache: &SyncCache, hash: &[u8], id: i64, venue: i64, now: i64) {
        let generation = cache.generation();
        cache.keep_device(hash.to_vec(), row(id, venue), now, generation);
    }

    #[test]
    fn an_entry_outlives_the_cache_time_only_while_watched_since_before_it() {
        let cache = SyncCache::default();
        kept(&cache, b"a", 1, 10, 100);
        let later = 100 + SYNC_CACHE_SECONDS;
        assert!(cache.device(b"a", later - 1, None).is_some());
        assert!(cache.device(b"a", later, None).is_none());
        assert!(cache.device(b"a", later + 3600, Some(100)).is_some());
        // The watcher came back after the read: it may have missed a change.
        assert!(cache.device(b"a", later, Some(101)).is_none());
    }

    #[test]
    fn a_revocation_or_an_admission_change_forgets_and_a_raced_read_is_not_kept() {
        let cache = SyncCache::default();
        kept(&cache, b"a", 1, 10, 100);
        kept(&cache, b"b", 2, 10, 100);
        kept(&cache, b"c", 3, 11, 100);
        cache.forget(CommitSignal::DeviceRevoked(1));
        assert!(cache.device(b"a", 100, Some(0)).is_none());
        assert!(cache.device(b"b", 100, Some(0)).is_some());
        cache.forget(CommitSignal::VenueAdmission(10));
        assert!(cache.device(b"b", 100, Some(0)).is_none());
        assert!(cache.device(b"c", 100, Some(0)).is_some());
        // A read that started before a forget is not kept.
        let before = cache.generation();
        cache.forget(CommitSignal::DeviceRevoked(4));
        cache.keep_device(b"d".to_vec(), row(4, 11), 100, before);
        assert!(cache.device(b"d", 100, Some(0)).is_none());
        cache.forget_all_devices();
        assert!(cache.device(b"c", 100, Some(0)).is_none());
    }

    #[test]
    fn a_sync_is_noted_once_per_note_time_and_unwritten_notes_come_back() {
        let cache = SyncCache::default();
        kept(&cache, b"a", 1, 10, 100);
        let device = cache.device(b"a", 100, None).unwrap();
        cache.note_sync(b"a", &device, 100);
        // The cached row carries the note: the next sync notes nothing.
        let device = cache.device(b"a", 101, None).unwrap();
        assert_eq!(device.last_sync_at, Some(100));
        cache.note_sync(b"a", &device, 101);
        assert_eq!(cache.take_notes(), vec![(1, 100)]);
        assert!(cache.take_notes().is_empty());
        cache.note_sync(b"a", &device, 100 + SYNC_NOTE_SECONDS);
        let notes = cache.take_notes();
        assert_eq!(notes, vec![(1, 100 + SYNC_NOTE_SECONDS)]);
        cache.restore_notes(&notes);
        assert_eq!(cache.take_notes(), notes);
    }
}
