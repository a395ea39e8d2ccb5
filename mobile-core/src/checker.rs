//! The check at the door: the list in force, the area's keys, and the
//! verdict for the person in front of the door staff.
//!
//! Rules, each here and nowhere else:
//! - "now" is never taken earlier than the list's issue time, so winding the
//!   phone's clock back cannot bring an ended ban back or a list forward;
//! - a ban whose last day has passed no longer matches, even on a list that
//!   was never refreshed;
//! - a list older than its signed maximum age still shows known bans, but
//!   never a silent "not banned": the verdict is `ListOutdated`;
//! - age, adulthood and document expiry are reported with or without a list.

use std::path::Path;

use time::Date;

use crate::dates::{self, DateError};
use crate::identity::{Identity, IdentityError, IdentityKey, MatchStrength};
use crate::list_format::{
    self, DIGEST_LEN, EntrySet, ListError, ListHeader, ListUpdate, PUBLIC_KEY_LEN,
};
use crate::mrz::{self, MrzError};
use crate::store::{AreaKeys, Store, StoreError, StoredList, Watermark};

/// A device clock this far behind the list's issue time is worth a warning
/// (the CoronaCheck scanner used the same 30 seconds).
pub const CLOCK_SKEW_WARNING_SECONDS: i64 = 30;

/// A list issued more than this far ahead of the device's clock is refused
/// (a server clock that jumped ahead would otherwise end bans early on
/// every phone, for good); a device clock more than this far behind its
/// list makes the list count as outdated.
pub const MAX_CLOCK_AHEAD_SECONDS: i64 = 300;

#[derive(Debug, thiserror::Error)]
pub enum DoorError {
    #[error(transparent)]
    Mrz(#[from] MrzError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Date(#[from] DateError),
    #[error(transparent)]
    List(#[from] ListError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("trusted public key must be {PUBLIC_KEY_LEN} bytes")]
    PublicKeyLength,
    #[error("no identity key for area {area_id} epoch {epoch}: sync to receive it")]
    AreaKeyMissing { area_id: u64, epoch: u32 },
    #[error("no area key has been set: enrol the device first")]
    NotEnrolled,
    #[error(
        "key is for area {found}, the list in force is for area {expected}: wipe the device first"
    )]
    OtherArea { expected: u64, found: u64 },
    #[error(
        "the identity key of epoch {epoch} does not match the list's key check value: wrong key"
    )]
    KeyCheckMismatch { epoch: u32 },
    #[error(
        "a different identity key of epoch {epoch} is already on the device: wipe and enrol again to replace it"
    )]
    KeyConflict { epoch: u32 },
    #[error(
        "the list was issued {seconds_ahead} s ahead of this device's clock (at most {MAX_CLOCK_AHEAD_SECONDS} s allowed): check the clock"
    )]
    IssuedInFuture { seconds_ahead: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Banned,
    PossibleMatch,
    NotBanned,
    ListOutdated,
    NoList,
}

/// The answer for one person. Carries no identity, only what door staff
/// need to see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub verdict: Verdict,
    pub banned_until: Option<Date>,
    pub age_years: u32,
    pub adult: bool,
    pub document_expired: Option<bool>,
    pub list_version: Option<u64>,
    pub list_age_seconds: Option<u64>,
}

/// What the device holds, at a given moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub area_id: Option<u64>,
    pub key_epochs: Vec<u32>,
    pub list: Option<ListFacts>,
    /// Set when the last update was refused because it was issued more
    /// than [`MAX_CLOCK_AHEAD_SECONDS`] ahead of the device clock: by how
    /// many seconds. Cleared by the next update that is applied.
    pub list_ahead_of_clock_seconds: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListFacts {
    pub header: ListHeader,
    pub entries: u64,
    pub age_seconds: u64,
    pub outdated: bool,
    /// Seconds the device clock is behind the list's issue time, when more
    /// than [`CLOCK_SKEW_WARNING_SECONDS`].
    pub clock_behind_seconds: Option<u64>,
}

struct ListInForce {
    header: ListHeader,
    digest: [u8; DIGEST_LEN],
    entries: EntrySet,
}

impl ListInForce {
    fn effective_now(&self, now: i64) -> i64 {
        now.max(self.header.issued_at)
    }

    fn age_seconds(&self, now: i64) -> u64 {
        u64::try_from(
            self.effective_now(now)
                .saturating_sub(self.header.issued_at),
        )
        .unwrap_or(0)
    }

    /// Older than its maximum age, or the device clock so far behind the
    /// list that its age cannot be told (a clock wound back must not keep
    /// a list fresh for ever).
    fn outdated(&self, now: i64) -> bool {
        self.age_seconds(now) > u64::from(self.header.max_age_seconds)
            || now.saturating_add(MAX_CLOCK_AHEAD_SECONDS) < self.header.issued_at
    }
}

/// The door's state: pinned signing key, area keys, list in force.
pub struct Door {
    store: Store,
    /// The signing keys followed since enrolment, oldest first; the last
    /// one is the key lists must be signed with now.
    signing_keys: Vec<[u8; PUBLIC_KEY_LEN]>,
    /// The highest list seen per signing key and area (kept across wipes).
    watermarks: Vec<Watermark>,
    keys: Option<AreaKeys>,
    /// Whether the app asked to keep the keys in the data directory (or in
    /// its platform keystore, handing them over at every start).
    persist_keys: bool,
    list: Option<ListInForce>,
    /// Why a stored list was refused at start, if it was.
    stored_list_refused: Option<String>,
    /// See [`Status::list_ahead_of_clock_seconds`].
    list_ahead_of_clock: Option<u64>,
}

impl Door {
    /// Opens the store in `data_dir`. A stored list that no longer verifies
    /// (edited, truncated, signed by another key) is not used: the device
    /// then has no list, which every check says out loud.
    ///
    /// `trusted_public_key` is the key the app pinned at enrolment. When the
    /// device has since followed a signing-key announcement from it, the
    /// newest key of that chain is used (see [`Door::trusted_public_key`]);
    /// a key the chain does not know (a new enrolment with another
    /// deployment) starts a new chain.
    pub fn open(data_dir: &Path, trusted_public_key: &[u8]) -> Result<Self, DoorError> {
        let pinned: [u8; PUBLIC_KEY_LEN] = trusted_public_key
            .try_into()
            .map_err(|_| DoorError::PublicKeyLength)?;
        let store = Store::open(data_dir)?;
        let mut signing_keys = store.load_signing_keys().unwrap_or_default();
        if !signing_keys.contains(&pinned) {
            signing_keys = vec![pinned];
            store.save_signing_keys(&signing_keys)?;
        }
        // A damaged watermark file must not stop the door; it only loses
        // the protection against replays until the next list.
        let watermarks = store.load_watermarks().unwrap_or_default();
        let mut keys = store.load_keys()?;
        let persist_keys = keys.is_some();
        // Newest key first; the one before it only for a list that
        // announced the newest (a crash between applying the announcement
        // and anything after it).
        let candidates: Vec<[u8; PUBLIC_KEY_LEN]> =
            signing_keys.iter().rev().take(2).copied().collect();
        let current = signing_keys.last().copied().unwrap_or(pinned);
        let (list, stored_list_refused) = match store.load_list(&candidates) {
            Ok(Some((
                StoredList {
                    header,
                    digest,
                    entries,
                },
                index,
            ))) => {
                let same_area = keys.as_ref().is_none_or(|k| k.area_id == header.area_id);
                let signed_ok = index == 0 || header.next_signing_key == Some(current);
                if !signed_ok {
                    (
                        None,
                        Some("stored list is signed by a retired key".to_owned()),
                    )
                } else if same_area {
                    (
                        Some(ListInForce {
                            header,
                            digest,
                            entries,
                        }),
                        None,
                    )
                } else {
                    (None, Some("stored list is for another area".to_owned()))
                }
            }
            Ok(None) => (None, None),
            Err(e @ (StoreError::List(_) | StoreError::Corrupt { .. })) => {
                (None, Some(e.to_string()))
            }
            Err(e) => return Err(e.into()),
        };
        if let (Some(list), Some(k)) = (&list, keys.as_mut()) {
            // A key that contradicts the signed check value is provably
            // wrong: drop it, so checks say "key missing" (never a silent
            // miss) and the right key can be handed over.
            if k.get(list.header.key_epoch)
                .is_some_and(|key| key.check_value() != list.header.key_check)
            {
                k.keys.retain(|(e, _)| *e != list.header.key_epoch);
            }
            // Keys of epochs before the list's are of no more use; a crash
            // may have left them behind.
            if k.forget_before(list.header.key_epoch) && persist_keys {
                store.save_keys(k)?;
            }
        }
        let mut door = Self {
            store,
            signing_keys,
            watermarks,
            keys,
            persist_keys,
            list,
            stored_list_refused,
            list_ahead_of_clock: None,
        };
        // Finish what a crash may have interrupted: the watermark of the
        // list in force, and following the key it announced.
        if let Some(list) = &door.list {
            let (header, digest) = (list.header, list.digest);
            door.record_seen(&header, &digest)?;
            door.follow_announcement(&header, &digest)?;
        }
        Ok(door)
    }

    /// The list-signing key lists must be signed with now: the one pinned
    /// at enrolment, or the newest one the device followed since. An app
    /// that keeps the pinned key itself should store this one after each
    /// update.
    pub fn trusted_public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.signing_keys
            .last()
            .copied()
            .unwrap_or([0; PUBLIC_KEY_LEN])
    }

    fn watermark(&self, area_id: u64) -> Option<&Watermark> {
        let key = self.trusted_public_key();
        self.watermarks
            .iter()
            .find(|w| w.signing_key == key && w.area_id == area_id)
    }

    /// Raises the watermark of (current signing key, area) to `header`.
    fn record_seen(
        &mut self,
        header: &ListHeader,
        digest: &[u8; DIGEST_LEN],
    ) -> Result<(), DoorError> {
        let key = self.trusted_public_key();
        self.record_seen_for(key, header, digest)
    }

    fn record_seen_for(
        &mut self,
        signing_key: [u8; PUBLIC_KEY_LEN],
        header: &ListHeader,
        digest: &[u8; DIGEST_LEN],
    ) -> Result<(), DoorError> {
        let mark = Watermark {
            signing_key,
            area_id: header.area_id,
            key_epoch: header.key_epoch,
            version: header.version,
            issued_at: header.issued_at,
            digest: *digest,
        };
        let mut marks = self.watermarks.clone();
        match marks
            .iter_mut()
            .find(|w| w.signing_key == signing_key && w.area_id == header.area_id)
        {
            Some(w) if (w.key_epoch, w.version) >= (mark.key_epoch, mark.version) => return Ok(()),
            Some(w) => *w = mark,
            None => marks.push(mark),
        }
        self.store.save_watermarks(&marks)?;
        self.watermarks = marks;
        Ok(())
    }

    /// After a list that announces the next signing key is in force, the
    /// device pins that key: later lists must be signed by it. The
    /// watermark moves along, so the new key cannot bring back an older
    /// list either.
    fn follow_announcement(
        &mut self,
        header: &ListHeader,
        digest: &[u8; DIGEST_LEN],
    ) -> Result<(), DoorError> {
        let Some(next) = header.next_signing_key else {
            return Ok(());
        };
        if self.signing_keys.contains(&next) {
            return Ok(());
        }
        let mut chain = self.signing_keys.clone();
        chain.push(next);
        self.store.save_signing_keys(&chain)?;
        self.signing_keys = chain;
        self.record_seen_for(next, header, digest)
    }

    /// Hands the door the area's identity key for `epoch`. With `persist`
    /// the key is written to the data directory; without, it is held in
    /// memory only and the app keeps it in its platform keystore.
    ///
    /// A key that contradicts the key check value of the list in force is
    /// refused, and so is a different key for an epoch the device already
    /// holds: a known epoch's key is never replaced silently.
    pub fn set_area_key(
        &mut self,
        area_id: u64,
        epoch: u32,
        key: &[u8],
        persist: bool,
    ) -> Result<(), DoorError> {
        let key = IdentityKey::from_bytes(key)?;
        if let Some(list) = &self.list {
            if list.header.area_id != area_id {
                return Err(DoorError::OtherArea {
                    expected: list.header.area_id,
                    found: area_id,
                });
            }
            if list.header.key_epoch == epoch && key.check_value() != list.header.key_check {
                return Err(DoorError::KeyCheckMismatch { epoch });
            }
        }
        let mut keys = match &self.keys {
            Some(keys) if keys.area_id == area_id => keys.clone(),
            _ => AreaKeys {
                area_id,
                keys: Vec::new(),
            },
        };
        if keys.get(epoch).is_some_and(|known| !known.same_as(&key)) {
            return Err(DoorError::KeyConflict { epoch });
        }
        keys.insert(epoch, key);
        if let Some(list) = &self.list {
            keys.forget_before(list.header.key_epoch);
        }
        // Disk first; memory only once it succeeded.
        self.save_or_remove_keys(Some(&keys), persist)?;
        self.keys = Some(keys);
        self.persist_keys = persist;
        Ok(())
    }

    fn save_or_remove_keys(&self, keys: Option<&AreaKeys>, persist: bool) -> Result<(), DoorError> {
        match (keys, persist) {
            (Some(keys), true) => self.store.save_keys(keys)?,
            _ if self.store.has_stored_keys() => self.store.remove_keys()?,
            _ => {}
        }
        Ok(())
    }

    /// Verifies and applies a snapshot or delta at device time `now`. On
    /// any error the list in force, in memory and on disk, is unchanged.
    ///
    /// Refused: a bad signature (under the key pinned now), another area, a
    /// key epoch whose key is missing or does not match the signed key
    /// check value, a list issued more than [`MAX_CLOCK_AHEAD_SECONDS`]
    /// ahead of `now`, and anything below the highest list this signing key
    /// has shown the device for the area (a lower epoch or version; the
    /// same version with other contents), even after a wipe. A higher
    /// version may carry an earlier issue time: that is how a list issued
    /// by a server clock that ran ahead is corrected.
    pub fn apply_update(&mut self, bytes: Vec<u8>, now: i64) -> Result<(), DoorError> {
        let keys = self.keys.as_ref().ok_or(DoorError::NotEnrolled)?;
        let update = list_format::decode(bytes, &self.trusted_public_key())?;
        let header = *update.header();
        if header.area_id != keys.area_id {
            return Err(ListError::WrongArea {
                expected: keys.area_id,
                found: header.area_id,
            }
            .into());
        }
        let key = keys
            .get(header.key_epoch)
            .ok_or(DoorError::AreaKeyMissing {
                area_id: header.area_id,
                epoch: header.key_epoch,
            })?;
        if key.check_value() != header.key_check {
            // The key is provably wrong for this epoch: drop it (disk, then
            // memory), so the right one can be handed over; until then every
            // check says the key is missing, never a silent "not banned".
            let mut kept = keys.clone();
            kept.keys.retain(|(e, _)| *e != header.key_epoch);
            self.save_or_remove_keys(Some(&kept), self.persist_keys)?;
            self.keys = Some(kept);
            return Err(DoorError::KeyCheckMismatch {
                epoch: header.key_epoch,
            });
        }
        let ahead = header.issued_at.saturating_sub(now);
        if ahead > MAX_CLOCK_AHEAD_SECONDS {
            let seconds_ahead = u64::try_from(ahead).unwrap_or(u64::MAX);
            self.list_ahead_of_clock = Some(seconds_ahead);
            return Err(DoorError::IssuedInFuture { seconds_ahead });
        }
        let rollback = |current: u64| -> DoorError {
            ListError::Rollback {
                current,
                found: header.version,
            }
            .into()
        };
        if let Some(w) = self.watermark(header.area_id) {
            let below = (header.key_epoch, header.version) < (w.key_epoch, w.version);
            let same_version_other_list = header.version == w.version
                && (*update.digest() != w.digest
                    || header.key_epoch != w.key_epoch
                    || header.issued_at != w.issued_at);
            if below || same_version_other_list {
                return Err(rollback(w.version));
            }
        }
        if let Some(current) = &self.list {
            let h = &current.header;
            if header.version < h.version || header.key_epoch < h.key_epoch {
                return Err(rollback(h.version));
            }
            if header.version == h.version {
                // The same version again (a retried download) changes nothing;
                // different contents under the same version is a forgery or a
                // server fault, and is refused like a rollback.
                return if *update.digest() == current.digest && header == *h {
                    self.list_ahead_of_clock = None;
                    Ok(())
                } else {
                    Err(rollback(h.version))
                };
            }
        }
        let (digest, entries) = match update {
            ListUpdate::Snapshot(snapshot) => {
                self.store.save_snapshot(&snapshot)?;
                (snapshot.digest, snapshot.entries)
            }
            ListUpdate::Delta(delta) => {
                let current = self.list.as_ref().ok_or(ListError::VersionGap {
                    current: 0,
                    base: delta.base_version,
                })?;
                if delta.base_version != current.header.version {
                    return Err(ListError::VersionGap {
                        current: current.header.version,
                        base: delta.base_version,
                    }
                    .into());
                }
                if header.key_epoch != current.header.key_epoch {
                    return Err(ListError::Corrupt("a delta cannot change the key epoch").into());
                }
                let entries = delta.apply_to(&current.entries)?;
                self.store.save_delta(&delta, &entries)?;
                (delta.digest, entries)
            }
        };
        // The list is on disk: it is in force now, in memory too.
        self.list = Some(ListInForce {
            header,
            digest,
            entries,
        });
        self.stored_list_refused = None;
        self.list_ahead_of_clock = None;
        self.record_seen(&header, &digest)?;
        self.follow_announcement(&header, &digest)?;
        // Rewrite the keys file only when a new epoch retired old keys.
        if let Some(keys) = &self.keys {
            let mut kept = keys.clone();
            if kept.forget_before(header.key_epoch) {
                self.save_or_remove_keys(Some(&kept), self.persist_keys)?;
                self.keys = Some(kept);
            }
        }
        Ok(())
    }

    pub fn status(&self, now: i64) -> Status {
        Status {
            area_id: self.keys.as_ref().map(|k| k.area_id),
            key_epochs: self
                .keys
                .as_ref()
                .map(|k| k.keys.iter().map(|(e, _)| *e).collect())
                .unwrap_or_default(),
            list: self.list.as_ref().map(|list| ListFacts {
                header: list.header,
                entries: list.entries.len() as u64,
                age_seconds: list.age_seconds(now),
                outdated: list.outdated(now),
                clock_behind_seconds: u64::try_from(list.header.issued_at.saturating_sub(now))
                    .ok()
                    .filter(|behind| *behind > CLOCK_SKEW_WARNING_SECONDS as u64),
            }),
            list_ahead_of_clock_seconds: self.list_ahead_of_clock,
        }
    }

    /// Why the list stored at start was not used, if it was not.
    pub fn stored_list_refused(&self) -> Option<&str> {
        self.stored_list_refused.as_deref()
    }

    /// Checks a scanned MRZ. The text is read here and dropped when this
    /// returns; only the verdict leaves.
    pub fn check_mrz(&self, text: &str, now: i64) -> Result<Check, DoorError> {
        let document = mrz::parse(text)?;
        let today = self.door_date(now)?;
        let identity = Identity::from_mrz(&document, today)?;
        let expiry = dates::resolve_expiry_date(&document.expiry_date, today)?;
        self.check(&identity, now, Some(expiry < today))
    }

    /// Checks a typed name and birth date (documents without an MRZ, or an
    /// MRZ that will not read).
    pub fn check_manual(
        &self,
        surname: &str,
        given_names: &str,
        birth_date: &str,
        now: i64,
    ) -> Result<Check, DoorError> {
        let identity = Identity::from_manual(surname, given_names, birth_date)?;
        self.check(&identity, now, None)
    }

    fn effective_now(&self, now: i64) -> i64 {
        self.list.as_ref().map_or(now, |l| l.effective_now(now))
    }

    fn door_date(&self, now: i64) -> Result<Date, DoorError> {
        Ok(dates::door_date(self.effective_now(now))?)
    }

    fn check(
        &self,
        identity: &Identity,
        now: i64,
        document_expired: Option<bool>,
    ) -> Result<Check, DoorError> {
        let today = self.door_date(now)?;
        let age_years = dates::age_years(identity.birth_date(), today);
        let mut check = Check {
            verdict: Verdict::NoList,
            banned_until: None,
            age_years,
            adult: age_years >= dates::ADULT_AGE,
            document_expired,
            list_version: None,
            list_age_seconds: None,
        };
        let Some(list) = &self.list else {
            return Ok(check);
        };
        let key = self
            .keys
            .as_ref()
            .and_then(|k| k.get(list.header.key_epoch))
            .ok_or(DoorError::AreaKeyMissing {
                area_id: list.header.area_id,
                epoch: list.header.key_epoch,
            })?;
        let today_number = dates::day_number(today)?;
        let best = identity
            .probes(key)
            .iter()
            .filter_map(|probe| {
                let entry = list.entries.get(&probe.token)?;
                (entry.last_day >= today_number)
                    .then(|| (entry.strength.min(probe.confidence), entry.last_day))
            })
            .max();
        check.list_version = Some(list.header.version);
        check.list_age_seconds = Some(list.age_seconds(now));
        check.banned_until = best.map(|(_, day)| dates::from_day_number(day));
        check.verdict = match best {
            Some((MatchStrength::Banned, _)) => Verdict::Banned,
            Some((MatchStrength::PossibleMatch, _)) => Verdict::PossibleMatch,
            None if list.outdated(now) => Verdict::ListOutdated,
            None => Verdict::NotBanned,
        };
        Ok(check)
    }

    /// Forgets the list and the keys, on disk and in memory: the device has
    /// left the area or was revoked.
    ///
    /// What the device has seen stays (see [`Door::apply_update`]): a wipe
    /// does not open the door to an old list of the same deployment.
    pub fn wipe(&mut self) -> Result<(), DoorError> {
        self.store.wipe()?;
        self.list = None;
        self.keys = None;
        self.persist_keys = false;
        self.stored_list_refused = None;
        self.list_ahead_of_clock = None;
        Ok(())
    }
}
