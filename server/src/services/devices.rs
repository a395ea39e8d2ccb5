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
use cho_core::list_format::{self, ListUpdate};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use super::admin::identity_key_aad;
use super::auth::token_hash;
use super::door_counts::CheckCounts;
use super::propagation::Woken;
use super::{App, AppError, AppResult};
use crate::domain::audit::AuditEvent;
use crate::domain::protocol::venue_admitted_on;
use crate::domain::roles::{Actor, Role};
use crate::storage::devices::{self, DeviceRow};
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

#[derive(serde::Serialize)]
pub struct EnrolmentCode {
    pub code: String,
    /// What the QR code holds: see [`enrolment_link`].
    pub link: String,
    /// The short fingerprint of the list-signing key the phone will be
    /// handed (`ABCD-EFGH-JKLM`): typed beside the code when the QR code
    /// cannot be scanned, so a phone never trusts a key on first use.
    pub key_fingerprint: String,
    pub expires_at: i64,
    /// SVG of a QR code holding [`Self::link`].
    pub qr_svg: String,
}

/// `cho-enrol:<public URL>#code=<CODE>&key=<full fingerprint>`: the
/// server, the one-time code, and the fingerprint of the deployment's
/// list-signing key (`cho_core::fingerprint`), which the phone compares
/// with the key in the enrolment answer before it pins it. The code and
/// key sit in the fragment, which no HTTP client sends anywhere.
pub fn enrolment_link(public_url: &str, code: &str, signing_public_key: &[u8]) -> String {
    format!(
        "cho-enrol:{public_url}#code={code}&key={}",
        cho_core::fingerprint::fingerprint(signing_public_key)
    )
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
    if actor.role != Role::Owner {
        return Err(AppError::Forbidden);
    }
    // Another owner's venue is "not found", exactly like a missing one.
    if !actor.venue_ids.contains(&venue_id) {
        return Err(AppError::NotFound("venue"));
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
    // The key the enrolment answer will carry: this instance's current
    // list-signing key (after a rotation, the new one).
    let signing_key = &app.secrets.signing_public_key;
    let link = enrolment_link(&app.public_url, &code, signing_key);
    let key_fingerprint = cho_core::fingerprint::short_fingerprint(signing_key);
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
        &code_hash(app, &code),
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
        key_fingerprint,
        expires_at,
        qr_svg,
    })
}

/// What is stored of a code: an HMAC under a key derived from the
/// deployment secret, which is not in the database. A code has only about
/// 49 bits, so a plain hash could be reversed by anyone who reads the
/// table within the code's 15 minutes.
fn code_hash(app: &App, code: &str) -> Vec<u8> {
    app.secrets.deployment.enrolment_code_hash(code)
}

/// What an enrolled device receives, once.
pub struct Enrolment {
    pub device_id: i64,
    pub credential: String,
    pub area_id: i64,
    pub key_epoch: i64,
    pub identity_key: Zeroizing<Vec<u8>>,
    pub signing_public_key: Vec<u8>,
}

/// A phone trades a code for its credential and keys. Unknown, used and
/// expired codes all get the same answer.
///
/// Attempts are limited per client address (`--enrol-attempts-per-minute`,
/// hits and misses alike); a miss is answered from a read, and misses and
/// refused attempts are audited as counts (never the code), at most one
/// write a minute (see [`audit_enrol_failures`]).
pub async fn enrol(app: &App, client: std::net::IpAddr, code: &str) -> AppResult<Enrolment> {
    let now = app.clock.now();
    if let Err(retry_after) = app.limits.enrol_attempt(client, now) {
        app.limits.enrol_failures().throttled += 1;
        audit_enrol_failures(app, now, None).await?;
        return Err(AppError::TooManyAttempts { retry_after });
    }
    let miss = || AppError::Invalid("enrolment code is unknown, used or expired".to_owned());
    let code_hash = code_hash(app, &normalise_code(code));
    if !devices::code_is_live(&app.db, &code_hash, now).await? {
        app.limits.enrol_failures().misses += 1;
        audit_enrol_failures(app, now, None).await?;
        return Err(miss());
    }
    let credential = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let mut tx = app.db.begin_write(now).await?;
    // The read above may have raced another phone with the same code: the
    // update decides, and a loser writes nothing.
    let Some((venue_id, name)) = devices::redeem_code(&mut tx, &code_hash).await? else {
        drop(tx);
        app.limits.enrol_failures().misses += 1;
        return Err(miss());
    };
    // Refused here, the transaction rolls back: the code stays unused but
    // useless until the venue is admitted again.
    let area_id = require_admitted_for_enrolment(app, &mut tx, venue_id).await?;
    // The key is read before the commit (an error leaves no device
    // behind), on the transaction's own connection.
    let (key_epoch, identity_key) = area_key(app, tx.conn(), area_id).await?;
    let signing_public_key = app.secrets.signing_public_key.to_vec();
    let device_id =
        devices::create(&mut tx, area_id, venue_id, &name, &token_hash(&credential)).await?;
    tx.audit(device_event(
        "system".to_owned(),
        "device.enrol",
        device_id,
        area_id,
    ))
    .await?;
    audit_enrol_failures(app, now, Some(&mut tx)).await?;
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

/// How often failed enrolments may cost a write of their own.
pub const ENROL_FAILURE_AUDIT_SECONDS: i64 = 60;

/// Writes the enrolment misses (`device.enrol.failed`) and refused
/// attempts (`device.enrol.throttled`) counted since the last such event,
/// the count as the object id: in `tx` when there is one (a successful
/// enrolment carries them along), else in a write of its own, but at most
/// once per [`ENROL_FAILURE_AUDIT_SECONDS`], so the first miss of a burst
/// is in the trail at once and a guessing flood costs one write a minute.
async fn audit_enrol_failures(
    app: &App,
    now: i64,
    tx: Option<&mut crate::storage::WriteTx>,
) -> AppResult<()> {
    let (misses, throttled) = {
        let mut f = app.limits.enrol_failures();
        let due = f
            .last_written_at
            .is_none_or(|t| now - t >= ENROL_FAILURE_AUDIT_SECONDS);
        if (f.misses == 0 && f.throttled == 0) || (tx.is_none() && !due) {
            return Ok(());
        }
        f.last_written_at = Some(now);
        (
            std::mem::take(&mut f.misses),
            std::mem::take(&mut f.throttled),
        )
    };
    let event = |action, count: u64| AuditEvent {
        actor: "anonymous".to_owned(),
        action,
        object_type: "enrolment_attempts",
        object_id: count.to_string(),
        area_id: None,
    };
    let write = async |tx: &mut crate::storage::WriteTx| -> AppResult<()> {
        if misses > 0 {
            tx.audit(event("device.enrol.failed", misses)).await?;
        }
        if throttled > 0 {
            tx.audit(event("device.enrol.throttled", throttled)).await?;
        }
        Ok(())
    };
    let result = match tx {
        Some(tx) => write(tx).await,
        None => {
            async {
                let mut own = app.db.begin_write(now).await?;
                write(&mut own).await?;
                own.commit().await.map_err(AppError::from)
            }
            .await
        }
    };
    if result.is_err() {
        // Not written: count them again for the next event.
        let mut f = app.limits.enrol_failures();
        f.misses += misses;
        f.throttled += throttled;
    }
    result
}

/// The area's current identity key, unsealed, for a device.
async fn area_key<'c, E>(app: &App, conn: E, area_id: i64) -> AppResult<(i64, Zeroizing<Vec<u8>>)>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let (epoch, sealed) = areas::current_identity_key(conn, area_id)
        .await?
        .ok_or(AppError::Internal("area has no identity key"))?;
    Ok((
        epoch,
        Zeroizing::new(
            app.master_key()
                .open(&identity_key_aad(area_id, epoch), &sealed)?,
        ),
    ))
}

/// An authenticated door device, as [`authenticate`] found it; what the
/// device endpoints hand back to [`sync`] and [`current_key`]. Its storage
/// row stays inside the services.
pub struct Door(DeviceRow, Vec<u8>);

impl Door {
    pub fn id(&self) -> i64 {
        self.0.id
    }

    pub fn area_id(&self) -> i64 {
        self.0.area_id
    }
}

/// A door device as its owner and the beheerder see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceView {
    pub id: i64,
    pub venue_id: i64,
    pub name: String,
    pub enrolled_at: i64,
    pub revoked_at: Option<i64>,
    pub last_sync_at: Option<i64>,
    /// The owner's view only: the phone's checks since tonight began
    /// (`services::door_counts::tonight`); absent for the beheerder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks_tonight: Option<CheckCounts>,
}

impl From<DeviceRow> for DeviceView {
    fn from(d: DeviceRow) -> Self {
        Self {
            id: d.id,
            venue_id: d.venue_id,
            name: d.name,
            enrolled_at: d.enrolled_at,
            revoked_at: d.revoked_at,
            last_sync_at: d.last_sync_at,
            checks_tonight: None,
        }
    }
}

/// The live device behind a credential. A revoked one is
/// [`AppError::DeviceRevoked`] (its door wipes itself on that answer), an
/// unknown one [`AppError::Unauthenticated`]; neither is cached. A live
/// one is cached as `services::sync_cache` explains: a revocation anywhere
/// reaches it within about a second (the watcher), or within
/// [`SYNC_CACHE_SECONDS`](super::sync_cache::SYNC_CACHE_SECONDS) when this
/// instance's watcher is down.
pub async fn authenticate(app: &App, credential: &str) -> AppResult<Door> {
    authenticate_hash(app, token_hash(credential)).await
}

/// The same authentication again, for a door whose wait was woken: a
/// device revoked meanwhile gets exactly the answer a new request gets.
pub async fn reauthenticate(app: &App, door: &Door) -> AppResult<Door> {
    authenticate_hash(app, door.1.clone()).await
}

async fn authenticate_hash(app: &App, hash: Vec<u8>) -> AppResult<Door> {
    let now = app.clock.now();
    let watched_since = app.propagation.watched_since(now);
    if let Some(device) = app.sync_cache.device(&hash, now, watched_since) {
        return Ok(Door(device, hash));
    }
    let generation = app.sync_cache.generation();
    app.sync_cache.counted();
    let device = devices::by_credential(&app.db, &hash)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if device.revoked_at.is_some() {
        return Err(AppError::DeviceRevoked);
    }
    app.sync_cache
        .keep_device(hash.clone(), device.clone(), now, generation);
    Ok(Door(device, hash))
}

/// The device's current area key (after a key rotation).
pub async fn current_key(app: &App, door: &Door) -> AppResult<(i64, Zeroizing<Vec<u8>>)> {
    let device = &door.0;
    require_admitted(app, device)?;
    area_key(app, app.db.pool(), device.area_id).await
}

fn may_manage(actor: &Actor, device: &DeviceRow) -> bool {
    match actor.role {
        Role::Owner => actor.venue_ids.contains(&device.venue_id),
        Role::Beheerder => actor.area_id == Some(device.area_id),
        Role::Operator | Role::Municipality => false,
    }
}

/// Devices of an area: the beheerder sees all, an owner their venues'.
pub async fn list(app: &App, actor: &Actor, area_id: i64) -> AppResult<Vec<DeviceView>> {
    if actor.area_id != Some(area_id) || actor.role == Role::Operator {
        return Err(AppError::Forbidden);
    }
    let all: Vec<DeviceRow> = devices::in_area(&app.db, area_id)
        .await?
        .into_iter()
        .filter(|d| may_manage(actor, d))
        .collect();
    // The owner also sees how many checks each phone did tonight.
    let tonight = if actor.role == Role::Owner {
        let pairs: Vec<(i64, i64)> = all.iter().map(|d| (d.id, d.venue_id)).collect();
        Some(super::door_counts::tonight(app, actor, area_id, &pairs).await?)
    } else {
        None
    };
    Ok(all
        .into_iter()
        .map(|d| {
            let counts = tonight
                .as_ref()
                .map(|t| t.get(&d.id).copied().unwrap_or_default());
            DeviceView {
                checks_tonight: counts,
                ..DeviceView::from(d)
            }
        })
        .collect())
}

/// A device the caller manages; one outside their scope is "not found",
/// exactly like a missing one, so device ids do not leak.
async fn managed_device(app: &App, actor: &Actor, device_id: i64) -> AppResult<DeviceRow> {
    devices::device(&app.db, device_id)
        .await?
        .filter(|d| may_manage(actor, d))
        .ok_or(AppError::NotFound("device"))
}

pub async fn rename(app: &App, actor: &Actor, device_id: i64, name: &str) -> AppResult<()> {
    if actor.role != Role::Owner {
        return Err(AppError::Forbidden);
    }
    let device = managed_device(app, actor, device_id).await?;
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
    if actor.role == Role::Operator {
        return Err(AppError::Forbidden);
    }
    let device = managed_device(app, actor, device_id).await?;
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
    // The commit hook makes the sync cache forget the device and ends its
    // open waits (`services::propagation::committed`).
    tx.commit().await?;
    Ok(())
}

/// Writes the sync times noted since the last run (`SyncCache::note_sync`)
/// in a few statements for all phones; returns how many phones. `serve`
/// runs it every [`SYNC_NOTE_INTERVAL`] and at a stop. Notes a failed
/// write could not store are kept for the next run.
pub async fn write_sync_notes(app: &App) -> AppResult<usize> {
    let notes = app.sync_cache.take_notes();
    for chunk in notes.chunks(devices::MAX_SYNC_NOTES_PER_STATEMENT) {
        app.sync_cache.counted();
        if let Err(e) = devices::note_syncs(&app.db, chunk).await {
            app.sync_cache.restore_notes(&notes);
            return Err(e.into());
        }
    }
    Ok(notes.len())
}

/// How often `serve` writes the noted sync times.
pub const SYNC_NOTE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Writes the noted sync times every [`SYNC_NOTE_INTERVAL`], for ever.
pub async fn run_sync_notes(app: App) {
    let mut interval = tokio::time::interval(SYNC_NOTE_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(e) = write_sync_notes(&app).await {
            tracing::warn!(error = %e, "writing the door phones' sync times failed");
        }
    }
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
///
/// A device that still trusts a list-signing key retired since (it was
/// offline during `rotate-signing-key`) first gets the version that key
/// signed to announce its successor, so it can follow. It is known by the
/// key it names (`signing_key`, the `x-cho-signing-key` header), or by a
/// version older than an announcement: no device that followed can be
/// there.
pub async fn sync(
    app: &App,
    door: &Door,
    have: i64,
    signing_key: Option<&[u8]>,
) -> AppResult<SyncAnswer> {
    let device = &door.0;
    require_admitted(app, device)?;
    let now = app.clock.now();
    app.sync_cache.note_sync(&door.1, device, now);
    let latest =
        match app
            .sync_cache
            .latest(device.area_id, now, app.propagation.watched_since(now))
        {
            Some(latest) => latest,
            None => {
                app.sync_cache.counted();
                let latest = lists::latest(&app.db, device.area_id).await?;
                app.sync_cache
                    .keep_latest(device.area_id, latest.clone(), now);
                latest
            }
        };
    let Some(latest) = latest else {
        return Ok(SyncAnswer::NothingPublished);
    };
    let current_key = &app.secrets.signing_public_key;
    let named_old_key = signing_key.filter(|k| *k != current_key.as_slice());
    if have == latest.version && named_old_key.is_none() {
        return Ok(SyncAnswer::NotModified { version: have });
    }
    let announcement = match named_old_key {
        Some(old) => lists::announcement_by_old_key(&app.db, device.area_id, old).await?,
        None if have > 0 => lists::announcement_after(&app.db, device.area_id, have).await?,
        None => None,
    };
    if let Some(a) = announcement.filter(|a| a.version > have || named_old_key.is_some()) {
        return Ok(SyncAnswer::Update {
            version: a.version,
            key_epoch: a.key_epoch,
            delta_from: None,
            bytes: a.snapshot,
        });
    }
    if have == latest.version {
        return Ok(SyncAnswer::NotModified { version: have });
    }
    // After a publication every waiting door asks for the same delta at
    // once: it is made (read, verified, signed) once and shared.
    let cell = (have > 0 && have < latest.version).then(|| {
        app.sync_cache
            .delta_cell(device.area_id, have, latest.version)
    });
    if let Some(cell) = &cell
        && let Some(Some(delta)) = cell.get()
    {
        return Ok(SyncAnswer::Update {
            version: latest.version,
            key_epoch: latest.key_epoch,
            delta_from: Some(have),
            bytes: delta.clone(),
        });
    }
    let made = match &cell {
        Some(cell) => cell
            .get_or_try_init(|| async {
                let snapshot = lists::snapshot(&app.db, device.area_id, latest.version)
                    .await?
                    .ok_or(AppError::Internal("snapshot missing"))?;
                delta(app, device.area_id, have, &snapshot).await
            })
            .await?
            .clone(),
        None => None,
    };
    let snapshot = match made {
        Some(_) => Vec::new(),
        None => lists::snapshot(&app.db, device.area_id, latest.version)
            .await?
            .ok_or(AppError::Internal("snapshot missing"))?,
    };
    if let Some(delta) = made {
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

/// A waiting sync (`?wait=`): [`sync`], but a device that is current
/// waits up to `wait` for a newer version instead of getting 304 at once.
/// Woken by a publication (on any instance) or its device's revocation, it
/// authenticates again and syncs again; a revoked device so gets the same
/// 401 a new request would. At the deadline, or when this instance stops,
/// the answer is the 304 it would have had.
pub async fn sync_waiting(
    app: &App,
    door: Door,
    have: i64,
    signing_key: Option<&[u8]>,
    wait: std::time::Duration,
) -> AppResult<SyncAnswer> {
    let deadline = app.propagation.deadline(wait);
    let mut waiter = app.propagation.waiter(door.area_id(), door.id());
    let mut door = door;
    loop {
        waiter.mark_seen();
        let answer = sync(app, &door, have, signing_key).await?;
        if !matches!(answer, SyncAnswer::NotModified { .. })
            || wait.is_zero()
            || app.propagation.is_stopping()
        {
            return Ok(answer);
        }
        match waiter.until(deadline).await {
            Woken::TimedOut | Woken::Ended => return Ok(answer),
            Woken::Published | Woken::Revoked => {}
        }
        door = reauthenticate(app, &door).await?;
    }
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
    let signer = super::lists::signer(app)?;
    let public = signer.public_key();
    // A version signed by a retired key, or written in an older format,
    // does not decode here: then the device gets the snapshot.
    let decode = |bytes: Vec<u8>| match list_format::decode(bytes, &public) {
        Ok(ListUpdate::Snapshot(s)) => Some(s),
        _ => None,
    };
    let (Some(base), Some(latest)) = (decode(base), decode(latest_snapshot.to_vec())) else {
        return Ok(None);
    };
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
