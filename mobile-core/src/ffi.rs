//! The API the door apps see, exported with uniffi to Kotlin, Swift and
//! Python. Thin wrappers: parse the foreign types, call the core, map the
//! result. All internal errors become one small [`ChoError`] here, and no
//! message carries personal data.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use crate::checker::{self, Door, DoorError};
use crate::counts;
use crate::dates::{self, DateError};
use crate::identity::{self, Identity, IdentityError, IdentityKey};
use crate::list_format::ListError;
use crate::mrz::{self, MrzError};
use crate::store::StoreError;

/// The one error type that crosses the FFI. Each variant carries a reason
/// for logs and support; none carries a name, a date or MRZ text.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ChoError {
    /// The MRZ did not read: wrong shape, character or check digit (the
    /// reason names the line and column). Rescan or enter by hand.
    #[error("invalid MRZ: {reason}")]
    InvalidMrz { reason: String },
    /// A name, date or key handed over is not acceptable.
    #[error("invalid input: {reason}")]
    InvalidInput { reason: String },
    /// A list update was refused; the list in force is unchanged.
    #[error("list update refused: {reason}")]
    ListRejected { reason: String },
    /// The area key for the list's epoch is not on the device: enrol, or
    /// hand over the key from the platform keystore.
    #[error("area key missing: {reason}")]
    AreaKeyMissing { reason: String },
    /// The data directory could not be read or written.
    #[error("storage error: {reason}")]
    Storage { reason: String },
    /// The device protocol needs an enrolment first.
    #[error("not enrolled: {reason}")]
    NotEnrolled { reason: String },
    /// The server revoked this device; it is wiped. Enrol again.
    #[error("device revoked: {reason}")]
    DeviceRevoked { reason: String },
    /// `persist = false`: hand the credential back from the platform
    /// keystore (`DoorDevice::set_credential`) first.
    #[error("credential missing: {reason}")]
    CredentialMissing { reason: String },
    /// Plain http to another machine than this one: use https.
    #[error("insecure server URL: {reason}")]
    InsecureServer { reason: String },
    /// The enrolment answer's signing key does not match the fingerprint
    /// given with the code: nothing was changed.
    #[error("signing key mismatch: {reason}")]
    SigningKeyMismatch { reason: String },
    /// The server refused the enrolment code (unknown, used or expired);
    /// an enrolment in force is untouched.
    #[error("enrolment code refused: {reason}")]
    CodeRefused { reason: String },
    /// The server does not know the device credential (a plain 401): not
    /// wiped; enrol again.
    #[error("credential refused: {reason}")]
    Unauthorized { reason: String },
    /// The server answered with an unexpected status.
    #[error("server refused (HTTP {status}): {reason}")]
    ServerRefused { status: u16, reason: String },
    /// The server's answer could not be read.
    #[error("bad answer: {reason}")]
    BadAnswer { reason: String },
}

impl From<MrzError> for ChoError {
    fn from(e: MrzError) -> Self {
        Self::InvalidMrz {
            reason: e.to_string(),
        }
    }
}

impl From<IdentityError> for ChoError {
    fn from(e: IdentityError) -> Self {
        Self::InvalidInput {
            reason: e.to_string(),
        }
    }
}

impl From<DateError> for ChoError {
    fn from(e: DateError) -> Self {
        Self::InvalidInput {
            reason: e.to_string(),
        }
    }
}

impl From<DoorError> for ChoError {
    fn from(e: DoorError) -> Self {
        let reason = e.to_string();
        match e {
            DoorError::Mrz(e) => e.into(),
            DoorError::Identity(e) => e.into(),
            DoorError::Date(e) => e.into(),
            DoorError::List(_) | DoorError::Store(StoreError::List(_)) => {
                Self::ListRejected { reason }
            }
            DoorError::Store(_) => Self::Storage { reason },
            DoorError::IssuedInFuture { .. } => Self::ListRejected { reason },
            DoorError::PublicKeyLength
            | DoorError::OtherArea { .. }
            | DoorError::KeyCheckMismatch { .. }
            | DoorError::KeyConflict { .. } => Self::InvalidInput { reason },
            DoorError::AreaKeyMissing { .. } | DoorError::NotEnrolled => {
                Self::AreaKeyMissing { reason }
            }
        }
    }
}

impl From<ListError> for ChoError {
    fn from(e: ListError) -> Self {
        Self::ListRejected {
            reason: e.to_string(),
        }
    }
}

/// The fields of a read MRZ. The optional-data and personal-number fields
/// (the BSN on older Dutch documents) are never part of it.
#[derive(uniffi::Record)]
pub struct MrzDocument {
    pub document_code: String,
    pub issuing_state: String,
    pub document_number: String,
    pub surname: String,
    pub given_names: String,
    pub nationality: String,
    /// `YYMMDD` as printed.
    pub birth_date: String,
    /// `YYMMDD` as printed.
    pub expiry_date: String,
    pub sex: String,
    /// The name field is full: the name may have been cut off.
    pub name_truncated: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum TokenStrength {
    /// A hit on this token alone says banned.
    Banned,
    /// A hit on this token says: possible match, verify the document.
    PossibleMatch,
}

/// One 16-byte identity token and the strongest verdict a hit on it gives.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct IdentityToken {
    pub token: Vec<u8>,
    pub strength: TokenStrength,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Verdict {
    /// On the list: refuse entry. `banned_until` says the last day.
    Banned,
    /// A hit that relies on incomplete name data (a truncated ID card, a
    /// shared initial): verify the document's full name before refusing.
    PossibleMatch,
    NotBanned,
    /// No known ban matched, but the list is older than the area allows:
    /// sync before relying on the answer.
    ListOutdated,
    /// The device has no list yet: sync first.
    NoList,
}

#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CheckResult {
    pub verdict: Verdict,
    /// Last day of the ban, `YYYY-MM-DD`, for `Banned` and `PossibleMatch`.
    pub banned_until: Option<String>,
    pub age_years: u32,
    /// 18 or older.
    pub adult: bool,
    /// Unknown for manual entry.
    pub document_expired: Option<bool>,
    pub list_version: Option<u64>,
    pub list_age_seconds: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ListStatus {
    /// Area of the key handed to the device, if any.
    pub area_id: Option<u64>,
    /// Key epochs the device holds.
    pub key_epochs: Vec<u32>,
    pub has_list: bool,
    pub list_version: Option<u64>,
    pub key_epoch: Option<u32>,
    pub issued_at_unix: Option<i64>,
    pub list_age_seconds: Option<u64>,
    pub max_age_seconds: Option<u32>,
    pub outdated: bool,
    pub entry_count: u64,
    /// Set when the device clock is more than 30 s behind the list's issue
    /// time: show a clock warning.
    pub clock_behind_seconds: Option<u64>,
    /// Why the list found on disk at start was not used, if it was not.
    pub stored_list_refused: Option<String>,
    /// Set when the last update was refused because it was issued more than
    /// 5 minutes ahead of the device clock (by this many seconds): show
    /// "check the clock". Cleared by the next applied update.
    pub list_ahead_of_clock_seconds: Option<u64>,
}

/// Reads an MRZ (TD1, TD2 or TD3) as phone OCR hands it over.
#[uniffi::export]
pub fn parse_mrz(text: String) -> Result<MrzDocument, ChoError> {
    let m = mrz::parse(&text)?;
    Ok(MrzDocument {
        document_code: m.document_code,
        issuing_state: m.issuing_state,
        document_number: m.document_number,
        surname: m.surname,
        given_names: m.given_names,
        nationality: m.nationality,
        birth_date: m.birth_date,
        expiry_date: m.expiry_date,
        sex: m.sex,
        name_truncated: m.name_truncated,
    })
}

/// The ban tokens of a person entered by hand (birth date `YYYY-MM-DD`),
/// sorted, under an area's 32-byte identity key.
#[uniffi::export]
pub fn identity_tokens(
    key: Vec<u8>,
    surname: String,
    given_names: String,
    birth_date: String,
) -> Result<Vec<IdentityToken>, ChoError> {
    let key = IdentityKey::from_bytes(&key)?;
    let identity = Identity::from_manual(&surname, &given_names, &birth_date)?;
    Ok(export_tokens(&identity, &key))
}

/// The ban tokens of the person an MRZ describes; `today` (`YYYY-MM-DD`)
/// resolves the two-digit birth year.
#[uniffi::export]
pub fn mrz_identity_tokens(
    key: Vec<u8>,
    mrz: String,
    today: String,
) -> Result<Vec<IdentityToken>, ChoError> {
    let key = IdentityKey::from_bytes(&key)?;
    let today = dates::parse_iso_date(&today, "today")?;
    let document = mrz::parse(&mrz)?;
    let identity = Identity::from_mrz(&document, today)?;
    Ok(export_tokens(&identity, &key))
}

fn export_tokens(identity: &Identity, key: &IdentityKey) -> Vec<IdentityToken> {
    identity
        .ban_tokens(key)
        .into_iter()
        .map(|(token, strength)| IdentityToken {
            token: token.0.to_vec(),
            strength: match strength {
                identity::MatchStrength::Banned => TokenStrength::Banned,
                identity::MatchStrength::PossibleMatch => TokenStrength::PossibleMatch,
            },
        })
        .collect()
}

/// The offline door check: one per data directory. Safe to share between
/// threads; calls are serialised.
///
/// A `DoorDevice` hands out one on its own store (`checker()`): before
/// the device is enrolled it has no store, and every call but `status`
/// says so.
#[derive(uniffi::Object)]
pub struct DoorChecker {
    door: Arc<Mutex<Option<Door>>>,
    /// The device's anonymous tally (`counts`): each check's verdict is
    /// counted there. A checker opened on its own counts nothing.
    tally: Option<Arc<Mutex<counts::Tally>>>,
}

impl DoorChecker {
    /// A checker on the store a `DoorDevice` holds, counting into its tally.
    pub(crate) fn sharing(
        door: Arc<Mutex<Option<Door>>>,
        tally: Arc<Mutex<counts::Tally>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            door,
            tally: Some(tally),
        })
    }

    /// Counts a check's verdict. A tally that cannot be written never
    /// stops a check: the counts are optional, the verdict is not.
    fn count(&self, check: &checker::Check, now: i64) {
        if let Some(tally) = &self.tally {
            let mut tally = tally.lock().unwrap_or_else(PoisonError::into_inner);
            let _ = tally.record(check.verdict, now);
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Door>> {
        // A poisoned lock means a panic mid-call, which the lints rule out;
        // the door's state is only replaced whole, so it is still consistent.
        self.door.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn with_door<T>(
        &self,
        f: impl FnOnce(&mut Door) -> Result<T, ChoError>,
    ) -> Result<T, ChoError> {
        match self.slot().as_mut() {
            Some(door) => f(door),
            None => Err(ChoError::NotEnrolled {
                reason: "this device is not enrolled".to_owned(),
            }),
        }
    }
}

#[uniffi::export]
impl DoorChecker {
    /// Opens (or creates) the store in `data_dir`, pinning the deployment's
    /// 32-byte Ed25519 list-signing key.
    #[uniffi::constructor]
    pub fn new(data_dir: String, trusted_public_key: Vec<u8>) -> Result<Arc<Self>, ChoError> {
        let door = Door::open(&PathBuf::from(data_dir), &trusted_public_key)?;
        Ok(Arc::new(Self {
            door: Arc::new(Mutex::new(Some(door))),
            tally: None,
        }))
    }

    /// Hands over the area's identity key for `epoch`. With `persist` it is
    /// kept in the data directory; without, only in memory, and the app
    /// hands it over again from its platform keystore at every start.
    pub fn set_area_key(
        &self,
        area_id: u64,
        epoch: u32,
        key: Vec<u8>,
        persist: bool,
    ) -> Result<(), ChoError> {
        // The foreign side's copy is its own; this one is wiped on return.
        let key = zeroize::Zeroizing::new(key);
        self.with_door(|door| Ok(door.set_area_key(area_id, epoch, &key, persist)?))
    }

    /// Verifies and applies a snapshot or delta. On error the list in force
    /// stays as it was. `now_unix` is the device clock: a list issued more
    /// than 5 minutes after it is refused (and the status says so).
    pub fn apply_update(&self, bytes: Vec<u8>, now_unix: i64) -> Result<ListStatus, ChoError> {
        self.with_door(|door| {
            door.apply_update(bytes, now_unix)?;
            Ok(export_status(door, now_unix))
        })
    }

    /// The 32-byte list-signing key the device trusts now: the one pinned
    /// at enrolment, or the newer one a signed list announced and the
    /// device followed. Store it in place of the enrolment key.
    pub fn trusted_public_key(&self) -> Vec<u8> {
        self.slot()
            .as_ref()
            .map(|door| door.trusted_public_key().to_vec())
            .unwrap_or_default()
    }

    pub fn check_mrz(&self, mrz: String, now_unix: i64) -> Result<CheckResult, ChoError> {
        let check = self.with_door(|door| Ok(door.check_mrz(&mrz, now_unix)?))?;
        self.count(&check, now_unix);
        Ok(export_check(check))
    }

    /// Birth date as `YYYY-MM-DD`; names as printed, diacritics welcome.
    pub fn check_manual(
        &self,
        surname: String,
        given_names: String,
        birth_date: String,
        now_unix: i64,
    ) -> Result<CheckResult, ChoError> {
        let check = self.with_door(|door| {
            Ok(door.check_manual(&surname, &given_names, &birth_date, now_unix)?)
        })?;
        self.count(&check, now_unix);
        Ok(export_check(check))
    }

    pub fn status(&self, now_unix: i64) -> ListStatus {
        match self.slot().as_ref() {
            Some(door) => export_status(door, now_unix),
            None => empty_status(),
        }
    }

    /// Deletes the list and keys from the device (left the area, revoked).
    pub fn wipe(&self) -> Result<(), ChoError> {
        self.with_door(|door| Ok(door.wipe()?))
    }
}

fn export_check(c: checker::Check) -> CheckResult {
    CheckResult {
        verdict: match c.verdict {
            checker::Verdict::Banned => Verdict::Banned,
            checker::Verdict::PossibleMatch => Verdict::PossibleMatch,
            checker::Verdict::NotBanned => Verdict::NotBanned,
            checker::Verdict::ListOutdated => Verdict::ListOutdated,
            checker::Verdict::NoList => Verdict::NoList,
        },
        banned_until: c.banned_until.map(dates::format_iso_date),
        age_years: c.age_years,
        adult: c.adult,
        document_expired: c.document_expired,
        list_version: c.list_version,
        list_age_seconds: c.list_age_seconds,
    }
}

/// The status of a device without a store (not enrolled).
pub(crate) fn empty_status() -> ListStatus {
    ListStatus {
        area_id: None,
        key_epochs: Vec::new(),
        has_list: false,
        list_version: None,
        key_epoch: None,
        issued_at_unix: None,
        list_age_seconds: None,
        max_age_seconds: None,
        outdated: false,
        entry_count: 0,
        clock_behind_seconds: None,
        stored_list_refused: None,
        list_ahead_of_clock_seconds: None,
    }
}

pub(crate) fn export_status(door: &Door, now: i64) -> ListStatus {
    let s = door.status(now);
    ListStatus {
        area_id: s.area_id,
        key_epochs: s.key_epochs,
        has_list: s.list.is_some(),
        list_version: s.list.as_ref().map(|l| l.header.version),
        key_epoch: s.list.as_ref().map(|l| l.header.key_epoch),
        issued_at_unix: s.list.as_ref().map(|l| l.header.issued_at),
        list_age_seconds: s.list.as_ref().map(|l| l.age_seconds),
        max_age_seconds: s.list.as_ref().map(|l| l.header.max_age_seconds),
        outdated: s.list.as_ref().is_some_and(|l| l.outdated),
        entry_count: s.list.as_ref().map_or(0, |l| l.entries),
        clock_behind_seconds: s.list.as_ref().and_then(|l| l.clock_behind_seconds),
        stored_list_refused: door.stored_list_refused().map(str::to_owned),
        list_ahead_of_clock_seconds: s.list_ahead_of_clock_seconds,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_the_exported_kinds() {
        let e: ChoError = DoorError::NotEnrolled.into();
        assert!(matches!(e, ChoError::AreaKeyMissing { .. }));
        let e: ChoError = DoorError::List(ListError::BadSignature).into();
        assert!(matches!(e, ChoError::ListRejected { .. }));
        let e: ChoError = DoorError::PublicKeyLength.into();
        assert!(matches!(e, ChoError::InvalidInput { .. }));
        assert!(matches!(
            identity_tokens(vec![0; 31], "A".into(), "B".into(), "2000-01-01".into()),
            Err(ChoError::InvalidInput { .. })
        ));
        assert!(matches!(
            mrz_identity_tokens(vec![0; 32], "nonsense".into(), "2026-01-01".into()),
            Err(ChoError::InvalidMrz { .. })
        ));
    }
}

// ---------------------------------------------------------------------------
// Anonymous door counts (issue 10, contract 5).

impl From<StoreError> for ChoError {
    fn from(e: StoreError) -> Self {
        Self::Storage {
            reason: e.to_string(),
        }
    }
}

/// A verdict as the counts report names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum CountedVerdict {
    Banned,
    PossibleMatch,
    Welcome,
    Outdated,
    NoList,
}

impl From<counts::CountedVerdict> for CountedVerdict {
    fn from(v: counts::CountedVerdict) -> Self {
        match v {
            counts::CountedVerdict::Banned => Self::Banned,
            counts::CountedVerdict::PossibleMatch => Self::PossibleMatch,
            counts::CountedVerdict::Welcome => Self::Welcome,
            counts::CountedVerdict::Outdated => Self::Outdated,
            counts::CountedVerdict::NoList => Self::NoList,
        }
    }
}

impl From<CountedVerdict> for counts::CountedVerdict {
    fn from(v: CountedVerdict) -> Self {
        match v {
            CountedVerdict::Banned => Self::Banned,
            CountedVerdict::PossibleMatch => Self::PossibleMatch,
            CountedVerdict::Welcome => Self::Welcome,
            CountedVerdict::Outdated => Self::Outdated,
            CountedVerdict::NoList => Self::NoList,
        }
    }
}

impl From<Verdict> for counts::CountedVerdict {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Banned => Self::Banned,
            Verdict::PossibleMatch => Self::PossibleMatch,
            Verdict::NotBanned => Self::Welcome,
            Verdict::ListOutdated => Self::Outdated,
            Verdict::NoList => Self::NoList,
        }
    }
}

/// One row of a counts report: the running total of an hour and verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CountRow {
    /// Unix seconds of the hour's start (UTC).
    pub hour: i64,
    pub verdict: CountedVerdict,
    pub checks: u32,
}

/// `POST /api/v1/device/counts` with `body` (application/json, the device
/// credential); after a 204 (or a 422: never taken) hand `rows` to
/// [`DoorTally::acknowledge`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CountsReport {
    pub body: String,
    pub rows: Vec<CountRow>,
}

/// The door's anonymous tally of checks per hour and verdict, kept in the
/// data directory (`counts.bin`). One per data directory. Sending it is
/// the venue's choice: a door that sends nothing is fine.
#[derive(uniffi::Object)]
pub struct DoorTally {
    tally: Mutex<counts::Tally>,
}

impl DoorTally {
    fn tally(&self) -> std::sync::MutexGuard<'_, counts::Tally> {
        // The tally is only replaced whole; a poisoned lock is still sound.
        self.tally.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[uniffi::export]
impl DoorTally {
    #[uniffi::constructor]
    pub fn new(data_dir: String) -> Result<Arc<Self>, ChoError> {
        let tally = counts::Tally::open(&PathBuf::from(data_dir))?;
        Ok(Arc::new(Self {
            tally: Mutex::new(tally),
        }))
    }

    /// Counts one check (call it with each `CheckResult.verdict`).
    pub fn record(&self, verdict: Verdict, now_unix: i64) -> Result<(), ChoError> {
        Ok(self.tally().record(verdict, now_unix)?)
    }

    /// The report of what the server has not acknowledged; `None` when
    /// there is nothing to send.
    pub fn pending(&self, now_unix: i64) -> Option<CountsReport> {
        self.tally().pending(now_unix).map(|b| CountsReport {
            body: b.json,
            rows: b
                .rows
                .into_iter()
                .map(|r| CountRow {
                    hour: r.hour,
                    verdict: r.verdict.into(),
                    checks: r.checks,
                })
                .collect(),
        })
    }

    /// After a 204 (or a 422) to the report holding `rows`.
    pub fn acknowledge(&self, rows: Vec<CountRow>) -> Result<(), ChoError> {
        let rows: Vec<counts::CountRow> = rows
            .into_iter()
            .map(|r| counts::CountRow {
                hour: r.hour,
                verdict: r.verdict.into(),
                checks: r.checks,
            })
            .collect();
        Ok(self.tally().acknowledge(&rows)?)
    }

    /// Forgets the tally (revoked, or left the area).
    pub fn clear(&self) -> Result<(), ChoError> {
        Ok(self.tally().clear()?)
    }
}
