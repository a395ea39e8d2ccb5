//! Door devices: one-time enrolment codes, enrolment, and the sync that
//! hands a device its area's signed list.
//!
//! An owner creates a code for a door phone of their venue (valid
//! [`CODE_SECONDS`], shown as a QR code). The phone trades it once for a
//! device credential (only its hash is stored), the area's identity key of
//! the current epoch, and the deployment's list-signing public key, which it
//! pins. A revoked device gets 401 and no further list.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cho_core::list_format::{self, ListSigner, ListUpdate};
use ring::rand::{SecureRandom, SystemRandom};

use std::collections::HashMap;
use std::sync::PoisonError;

use super::admin::identity_key_aad;
use super::auth::token_hash;
use super::{App, AppError, AppResult};
use crate::domain::audit::AuditEvent;
use crate::domain::protocol::venue_admitted_on;
use crate::domain::roles::{Actor, Role};
use crate::storage::devices::{self, DeviceRow};
use crate::storage::lists::ListVersionRow;
use crate::storage::{areas, lists, venues};

/// An enrolment code is valid for 15 minutes.
pub const CODE_SECONDS: i64 = 15 * 60;
/// Codes are 10 characters from an alphabet without look-alikes (no 0/O,
/// 1/I/L): about 49 bits, typed at most once, within 15 minutes.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 10;

fn random_bytes<const N: usize>() -> AppResult<[u8; N]> {
    let mut out = [0u8; N];
    SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| AppError::Internal("random"))?;
    Ok(out)
}

pub(crate) fn device_event(
    actor: String,
    action: &'static str,
    device_id: i64,
    area_id: i64,
) -> AuditEvent {
    AuditEvent {
        actor,
        action,
        object_type: "device",
        object_id: device_id.to_string(),
        area_id: Some(area_id),
    }
}

/// Canonical form of a typed code: uppercase, separators removed.
fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Checks a configured public URL: http(s), a host, no fragment, query,
/// credentials or spaces, at most 200 characters; without a trailing `/`.
pub fn public_url(text: &str) -> Result<String, &'static str> {
    let url = text.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must start with https:// or http://")?;
    if url.len() > 200 {
        return Err("must be at most 200 characters");
    }
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() {
        return Err("must name a host");
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '#' | '?' | '@'))
    {
        return Err("must not contain spaces, '#', '?' or '@'");
    }
    Ok(url.to_owned())
}

/// Codes and enrolment need the venue admitted today under a permit valid
/// today, read in the write transaction that stores the code or device.
async fn require_admitted_for_enrolment(
    app: &App,
    tx: &mut crate::storage::WriteTx,
    venue_id: i64,
) -> AppResult<i64> {
    let admission = venues::admission_in(tx, venue_id)
        .await?
        .ok_or(AppError::NotFound("venue"))?;
    let today = app.clock.today();
    if !venue_admitted_on(admission.admitted_on, admission.withdrawn_on, today)
        || !admission.permit.is_some_and(|p| p.valid_on(today))
    {
        return Err(AppError::NotAdmitted);
    }
    Ok(admission.area_id)
}

/// The list and the key need the device's venue admitted today (as read
/// with the device). Not the permit: without one the area publishes an
/// empty list, which the doors must still receive.
fn require_admitted(app: &App, device: &DeviceRow) -> AppResult<()> {
    if venue_admitted_on(
        device.venue_admitted_on,
        device.venue_withdrawn_on,
        app.clock.today(),
    ) {
        Ok(())
    } else {
        Err(AppError::NotAdmitted)
    }
}

pub struct EnrolmentCode {
    pub code: String,
    /// `cho-enrol:<server URL>#<code>`, what the QR code holds.
    pub link: String,
    pub expires_at: i64,
    /// SVG of a QR code holding `cho-enrol:<server URL>#<code>`.
    pub qr_svg: String,
}

/// An owner creates a one-time code for a door phone of their venue. The
/// link holds the configured public URL, never anything from the request.
/// Everything that can fail happens before the commit, so an error never
/// leaves a stored code behind.
pub async fn create_code(
    app: &App,
    actor: &Actor,
    venue_id: i64,
    name: &str,
) -> AppResult<EnrolmentCode> {
    if actor.role != Role::Owner || !actor.venue_ids.contains(&venue_id) {
        return Err(AppError::Forbidden);
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::Invalid(
            "name must be 1 to 100 characters".to_owned(),
        ));
    }
    let venue = venues::venue(&app.db, venue_id)
        .await?
        .ok_or(AppError::NotFound("venue"))?;
    let random: [u8; CODE_LEN] = random_bytes()?;
    let code: String = random
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()]))
        .collect();
    let link = format!("cho-enrol:{}#{code}", app.public_url);
    let qr = qrcode::QrCode::new(link.as_bytes()).map_err(|_| AppError::Internal("QR code"))?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    let now = app.clock.now();
    let expires_at = now + CODE_SECONDS;
    let mut tx = app.db.begin_write(now).await?;
    require_admitted_for_enrolment(app, &mut tx, venue_id).await?;
    devices::create_code(
        &mut tx,
        &token_hash(&code),
        venue_id,
        actor.account_id,
        name,
        expires_at,
    )
    .await?;
    tx.audit(AuditEvent {
        actor: actor.audit_name(),
        action: "device.code",
        object_type: "venue",
        object_id: venue_id.to_string(),
        area_id: Some(venue.area_id),
    })
    .await?;
    tx.commit().await?;
    Ok(EnrolmentCode {
        code,
        link,
        expires_at,
        qr_svg,
    })
}

/// What an enrolled device receives, once.
pub struct Enrolment {
    pub device_id: i64,
    pub credential: String,
    pub area_id: i64,
    pub key_epoch: i64,
    pub identity_key: Vec<u8>,
    pub signing_public_key: Vec<u8>,
}

/// A phone trades a code for its credential and keys. Unknown, used and
/// expired codes all get the same answer.
pub async fn enrol(app: &App, code: &str) -> AppResult<Enrolment> {
    let credential = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let (venue_id, name) = devices::redeem_code(&mut tx, &token_hash(&normalise_code(code)))
        .await?
        .ok_or_else(|| {
            AppError::Invalid("enrolment code is unknown, used or expired".to_owned())
        })?;
    // Refused here, the transaction rolls back: the code stays unused but
    // useless until the venue is admitted again.
    let area_id = require_admitted_for_enrolment(app, &mut tx, venue_id).await?;
    // The key is read before the commit: an error leaves no device behind.
    let (key_epoch, identity_key) = area_key(app, area_id).await?;
    let signing_public_key = signer(app)?.public_key().to_vec();
    let device_id =
        devices::create(&mut tx, area_id, venue_id, &name, &token_hash(&credential)).await?;
    tx.audit(device_event(
        "system".to_owned(),
        "device.enrol",
        device_id,
        area_id,
    ))
    .await?;
    tx.commit().await?;
    Ok(Enrolment {
        device_id,
        credential,
        area_id,
        key_epoch,
        identity_key,
        signing_public_key,
    })
}

fn signer(app: &App) -> AppResult<ListSigner> {
    ListSigner::from_pkcs8(&app.secrets.signing_pkcs8)
        .map_err(|_| AppError::Internal("signing key"))
}

/// The area's current identity key, unsealed, for a device.
async fn area_key(app: &App, area_id: i64) -> AppResult<(i64, Vec<u8>)> {
    let (epoch, sealed) = areas::current_identity_key(&app.db, area_id)
        .await?
        .ok_or(AppError::Internal("area has no identity key"))?;
    Ok((
        epoch,
        app.master_key()
            .open(&identity_key_aad(area_id, epoch), &sealed)?,
    ))
}

/// How long a server instance trusts what it read for a sync: a device's
/// credential (so a revocation on another instance bites within this) and
/// an area's latest list version (so a new version reaches polling doors
/// within this). Revocations and publications on this instance act at once.
pub const SYNC_CACHE_SECONDS: i64 = 5;

/// Per-instance memory of devices and latest versions, so the frequent
/// "anything new?" poll answers 304 without touching the database.
#[derive(Clone, Default)]
pub struct SyncCache {
    devices: Shared<HashMap<Vec<u8>, (DeviceRow, i64)>>,
    latest: Shared<HashMap<i64, (Option<ListVersionRow>, i64)>>,
}

/// Cache entries are kept with the time they were read.
type Shared<T> = std::sync::Arc<std::sync::Mutex<T>>;

/// Bound on cached devices; beyond it the cache starts afresh.
const MAX_CACHED_DEVICES: usize = 100_000;

impl SyncCache {
    fn device(&self, hash: &[u8], now: i64) -> Option<DeviceRow> {
        let devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
        devices
            .get(hash)
            .filter(|(_, at)| now - at < SYNC_CACHE_SECONDS)
            .map(|(d, _)| d.clone())
    }

    fn keep_device(&self, hash: Vec<u8>, device: DeviceRow, now: i64) {
        let mut devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
        if devices.len() >= MAX_CACHED_DEVICES {
            devices.clear();
        }
        devices.insert(hash, (device, now));
    }

    /// Call only after the revocation committed: a poll between an earlier
    /// drop and the commit would read the device as live and cache it.
    pub fn forget_device(&self, device_id: i64) {
        let mut devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
        devices.retain(|_, (d, _)| d.id != device_id);
    }

    fn latest(&self, area_id: i64, now: i64) -> Option<Option<ListVersionRow>> {
        let latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        latest
            .get(&area_id)
            .filter(|(_, at)| now - at < SYNC_CACHE_SECONDS)
            .map(|(v, _)| v.clone())
    }

    fn keep_latest(&self, area_id: i64, version: Option<ListVersionRow>, now: i64) {
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        latest.insert(area_id, (version, now));
    }

    /// A new version was published here: the next poll reads it.
    pub fn forget_latest(&self, area_id: i64) {
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        latest.remove(&area_id);
    }
}

/// The live device behind a credential.
pub async fn authenticate(app: &App, credential: &str) -> AppResult<DeviceRow> {
    let hash = token_hash(credential);
    let now = app.clock.now();
    if let Some(device) = app.sync_cache.device(&hash, now) {
        return Ok(device);
    }
    let device = devices::by_credential(&app.db, &hash)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    app.sync_cache.keep_device(hash, device.clone(), now);
    Ok(device)
}

/// The device's current area key (after a key rotation).
pub async fn current_key(app: &App, device: &DeviceRow) -> AppResult<(i64, Vec<u8>)> {
    require_admitted(app, device)?;
    area_key(app, device.area_id).await
}

fn may_manage(actor: &Actor, device: &DeviceRow) -> bool {
    match actor.role {
        Role::Owner => actor.venue_ids.contains(&device.venue_id),
        Role::Beheerder => actor.area_id == Some(device.area_id),
        Role::Operator => false,
    }
}

/// Devices of an area: the beheerder sees all, an owner their venues'.
pub async fn list(app: &App, actor: &Actor, area_id: i64) -> AppResult<Vec<DeviceRow>> {
    if actor.area_id != Some(area_id) || actor.role == Role::Operator {
        return Err(AppError::Forbidden);
    }
    let all = devices::in_area(&app.db, area_id).await?;
    Ok(all.into_iter().filter(|d| may_manage(actor, d)).collect())
}

pub async fn rename(app: &App, actor: &Actor, device_id: i64, name: &str) -> AppResult<()> {
    let device = devices::device(&app.db, device_id)
        .await?
        .ok_or(AppError::NotFound("device"))?;
    if actor.role != Role::Owner || !may_manage(actor, &device) {
        return Err(AppError::Forbidden);
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::Invalid(
            "name must be 1 to 100 characters".to_owned(),
        ));
    }
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    devices::rename(&mut tx, device_id, name).await?;
    tx.audit(device_event(
        actor.audit_name(),
        "device.rename",
        device_id,
        device.area_id,
    ))
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn revoke(app: &App, actor: &Actor, device_id: i64) -> AppResult<()> {
    let device = devices::device(&app.db, device_id)
        .await?
        .ok_or(AppError::NotFound("device"))?;
    if !may_manage(actor, &device) {
        return Err(AppError::Forbidden);
    }
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if !devices::revoke(&mut tx, device_id).await? {
        return Err(AppError::Conflict("device is already revoked".to_owned()));
    }
    tx.audit(device_event(
        actor.audit_name(),
        "device.revoke",
        device_id,
        device.area_id,
    ))
    .await?;
    tx.commit().await?;
    // After the commit, never before: see `SyncCache::forget_device`.
    app.sync_cache.forget_device(device_id);
    Ok(())
}

/// The answer to a sync.
pub enum SyncAnswer {
    /// The device is current.
    NotModified { version: i64 },
    /// A signed snapshot or delta to hand to `DoorChecker::apply_update`.
    Update {
        version: i64,
        key_epoch: i64,
        delta_from: Option<i64>,
        bytes: Vec<u8>,
    },
    /// Nothing published for the area yet.
    NothingPublished,
}

/// What a device at `have` (0 for none) needs: nothing, a delta from its
/// version when that version is still stored under the same key epoch, or
/// the latest snapshot.
pub async fn sync(app: &App, device: &DeviceRow, have: i64) -> AppResult<SyncAnswer> {
    require_admitted(app, device)?;
    // Note the sync at most every five minutes: polling doors must not
    // turn into a stream of writes.
    let now = app.clock.now();
    if device.last_sync_at.is_none_or(|t| now - t >= 300) {
        devices::touch(&app.db, device.id, now).await?;
        app.sync_cache.forget_device(device.id);
    }
    let latest = match app.sync_cache.latest(device.area_id, now) {
        Some(latest) => latest,
        None => {
            let latest = lists::latest(&app.db, device.area_id).await?;
            app.sync_cache
                .keep_latest(device.area_id, latest.clone(), now);
            latest
        }
    };
    let Some(latest) = latest else {
        return Ok(SyncAnswer::NothingPublished);
    };
    if have == latest.version {
        return Ok(SyncAnswer::NotModified { version: have });
    }
    let snapshot = lists::snapshot(&app.db, device.area_id, latest.version)
        .await?
        .ok_or(AppError::Internal("snapshot missing"))?;
    if have > 0
        && have < latest.version
        && let Some(delta) = delta(app, device.area_id, have, &snapshot).await?
    {
        return Ok(SyncAnswer::Update {
            version: latest.version,
            key_epoch: latest.key_epoch,
            delta_from: Some(have),
            bytes: delta,
        });
    }
    Ok(SyncAnswer::Update {
        version: latest.version,
        key_epoch: latest.key_epoch,
        delta_from: None,
        bytes: snapshot,
    })
}

/// A signed delta from stored version `from` to the latest snapshot, when
/// both are under one key epoch and the delta is smaller than the snapshot.
async fn delta(
    app: &App,
    area_id: i64,
    from: i64,
    latest_snapshot: &[u8],
) -> AppResult<Option<Vec<u8>>> {
    let Some(base) = lists::snapshot(&app.db, area_id, from).await? else {
        return Ok(None);
    };
    let signer = signer(app)?;
    let public = signer.public_key();
    let decode = |bytes: Vec<u8>| match list_format::decode(bytes, &public) {
        Ok(ListUpdate::Snapshot(s)) => Ok(s),
        _ => Err(AppError::Internal("stored snapshot does not verify")),
    };
    let base = decode(base)?;
    let latest = decode(latest_snapshot.to_vec())?;
    if base.header.key_epoch != latest.header.key_epoch {
        return Ok(None);
    }
    let bytes = signer
        .delta(
            &latest.header,
            base.header.version,
            &base.entries,
            &latest.entries,
        )
        .map_err(|_| AppError::Internal("delta signing"))?;
    Ok((bytes.len() < latest_snapshot.len()).then_some(bytes))
}
