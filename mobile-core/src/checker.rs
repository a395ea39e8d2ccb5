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
use crate::store::{AreaKeys, Store, StoreError, StoredList};

/// A device clock this far behind the list's issue time is worth a warning
/// (the CoronaCheck scanner used the same 30 seconds).
pub const CLOCK_SKEW_WARNING_SECONDS: i64 = 30;

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

    fn outdated(&self, now: i64) -> bool {
        self.age_seconds(now) > u64::from(self.header.max_age_seconds)
    }
}

/// The door's state: pinned signing key, area keys, list in force.
pub struct Door {
    store: Store,
    public_key: [u8; PUBLIC_KEY_LEN],
    keys: Option<AreaKeys>,
    /// Whether the app asked to keep the keys in the data directory (or in
    /// its platform keystore, handing them over at every start).
    persist_keys: bool,
    list: Option<ListInForce>,
    /// Why a stored list was refused at start, if it was.
    stored_list_refused: Option<String>,
}

impl Door {
    /// Opens the store in `data_dir`. A stored list that no longer verifies
    /// (edited, truncated, signed by another key) is not used: the device
    /// then has no list, which every check says out loud.
    pub fn open(data_dir: &Path, trusted_public_key: &[u8]) -> Result<Self, DoorError> {
        let public_key: [u8; PUBLIC_KEY_LEN] = trusted_public_key
            .try_into()
            .map_err(|_| DoorError::PublicKeyLength)?;
        let store = Store::open(data_dir)?;
        let keys = store.load_keys()?;
        let persist_keys = keys.is_some();
        let (list, stored_list_refused) = match store.load_list(&public_key) {
            Ok(Some(StoredList {
                header,
                digest,
                entries,
            })) => {
                let same_area = keys.as_ref().is_none_or(|k| k.area_id == header.area_id);
                if same_area {
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
        Ok(Self {
            store,
            public_key,
            keys,
            persist_keys,
            list,
            stored_list_refused,
        })
    }

    /// Hands the door the area's identity key for `epoch`. With `persist`
    /// the key is written to the data directory; without, it is held in
    /// memory only and the app keeps it in its platform keystore.
    pub fn set_area_key(
        &mut self,
        area_id: u64,
        epoch: u32,
        key: &[u8],
        persist: bool,
    ) -> Result<(), DoorError> {
        let key = IdentityKey::from_bytes(key)?;
        if let Some(list) = &self.list
            && list.header.area_id != area_id
        {
            return Err(DoorError::OtherArea {
                expected: list.header.area_id,
                found: area_id,
            });
        }
        let keys = match &mut self.keys {
            Some(keys) if keys.area_id == area_id => keys,
            slot => slot.insert(AreaKeys {
                area_id,
                keys: Vec::new(),
            }),
        };
        keys.insert(epoch, key);
        if let Some(list) = &self.list {
            let _ = keys.forget_before(list.header.key_epoch);
        }
        self.persist_keys = persist;
        self.save_or_remove_keys()
    }

    fn save_or_remove_keys(&self) -> Result<(), DoorError> {
        match (&self.keys, self.persist_keys) {
            (Some(keys), true) => self.store.save_keys(keys)?,
            _ if self.store.has_stored_keys() => self.store.remove_keys()?,
            _ => {}
        }
        Ok(())
    }

    /// Verifies and applies a snapshot or delta. On any error the list in
    /// force, in memory and on disk, is unchanged.
    pub fn apply_update(&mut self, bytes: Vec<u8>) -> Result<(), DoorError> {
        let keys = self.keys.as_ref().ok_or(DoorError::NotEnrolled)?;
        let update = list_format::decode(bytes, &self.public_key)?;
        let header = *update.header();
        if header.area_id != keys.area_id {
            return Err(ListError::WrongArea {
                expected: keys.area_id,
                found: header.area_id,
            }
            .into());
        }
        if keys.get(header.key_epoch).is_none() {
            return Err(DoorError::AreaKeyMissing {
                area_id: header.area_id,
                epoch: header.key_epoch,
            });
        }
        if let Some(current) = &self.list {
            let h = &current.header;
            if header.version < h.version
                || header.issued_at < h.issued_at
                || header.key_epoch < h.key_epoch
            {
                return Err(ListError::Rollback {
                    current: h.version,
                    found: header.version,
                }
                .into());
            }
            if header.version == h.version {
                // The same version again (a retried download) changes nothing;
                // different contents under the same version is a forgery or a
                // server fault, and is refused like a rollback.
                return if *update.digest() == current.digest && header == *h {
                    Ok(())
                } else {
                    Err(ListError::Rollback {
                        current: h.version,
                        found: header.version,
                    }
                    .into())
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
        self.list = Some(ListInForce {
            header,
            digest,
            entries,
        });
        self.stored_list_refused = None;
        // Rewrite the keys file only when a new epoch retired old keys.
        let retired = self
            .keys
            .as_mut()
            .is_some_and(|keys| keys.forget_before(header.key_epoch));
        if retired {
            self.save_or_remove_keys()
        } else {
            Ok(())
        }
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
    pub fn wipe(&mut self) -> Result<(), DoorError> {
        self.store.wipe()?;
        self.list = None;
        self.keys = None;
        self.persist_keys = false;
        self.stored_list_refused = None;
        Ok(())
    }
}
