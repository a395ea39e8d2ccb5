//! Publishing the door lists: each area's active ban tokens as a signed,
//! versioned snapshot that devices sync.
//!
//! `publish` is idempotent and safe with several server instances: it runs
//! in a write transaction (serialised on the audit head), compares the
//! digest of the active set with the latest version, and only signs a new
//! version when the set changed, the key epoch changed, or the latest
//! version is older than a quarter of the area's maximum list age (so
//! devices that sync never hold a list the door would call outdated).
//! Bans whose last day passed drop out at the next run without anyone
//! acting; `serve` runs it for every area every [`PUBLISH_INTERVAL`].

//!
//! Two guards keep a bad server clock from switching bans off on phones:
//! a version is never issued earlier than the latest one, and when this
//! server's clock is behind the latest issue time by more than
//! `--max-clock-skew`, it refuses to publish and raises the alarm (an
//! error in the log, `cho_list_clock_behind_seconds` in `/metrics`,
//! `list_clock` in `/healthz`). If a version was already issued in the
//! future, `cho-server correct-list-clock AREA` publishes a version issued
//! at the true time; devices accept it because its version is higher.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cho_core::identity::{IdentityKey, IdentityToken, MatchStrength};
use cho_core::list_format::{
    EntrySet, FORMAT_VERSION, ListEntry, ListHeader, ListSigner, PUBLIC_KEY_LEN,
};

use super::{App, AppError, AppResult};
use crate::domain::audit::AuditEvent;
use crate::storage::areas;
use crate::storage::lists::{self, Announcement, ListVersionRow};

/// How often `serve` publishes changed lists: a new ban reaches syncing
/// doors within this plus their sync interval.
pub const PUBLISH_INTERVAL: Duration = Duration::from_secs(30);

/// Default of `--max-clock-skew`: how far this server's clock may be behind
/// the latest issue time (another instance's clock) before it refuses to
/// publish. Phones accept lists up to 5 minutes ahead of their own clock.
pub const DEFAULT_MAX_CLOCK_SKEW_SECONDS: i64 = 120;

/// A version is refreshed when older than this share of the maximum age.
const REFRESH_DIVISOR: i64 = 4;

/// The outcome of a publication run for one area.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub version: i64,
    /// False when the latest version already said the same and was fresh.
    pub new_version: bool,
    pub entries: i64,
}

/// What a publication does beyond the ordinary.
#[derive(Clone, Copy, Debug, Default)]
pub struct PublishOptions {
    /// A new version even when nothing changed.
    pub force: bool,
    /// Announce this key as the deployment's next list-signing key (the
    /// version is signed by the current key; see `rotate-signing-key`).
    pub announce: Option<[u8; PUBLIC_KEY_LEN]>,
    /// Issue at this server's time even when the latest version was issued
    /// later: the way out after a clock that ran ahead.
    pub correct_clock: bool,
}

/// The alarm raised when this server's clock is too far behind an area's
/// latest list: seconds behind, per area, until a publication succeeds.
#[derive(Clone, Default)]
pub struct ListClockAlarm {
    behind: Arc<Mutex<HashMap<i64, i64>>>,
    refusals: Arc<std::sync::atomic::AtomicU64>,
}

impl ListClockAlarm {
    fn raise(&self, area_id: i64, seconds_behind: i64) {
        self.refusals
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut behind = self.behind.lock().unwrap_or_else(PoisonError::into_inner);
        behind.insert(area_id, seconds_behind);
    }

    fn clear(&self, area_id: i64) {
        let mut behind = self.behind.lock().unwrap_or_else(PoisonError::into_inner);
        behind.remove(&area_id);
    }

    /// The largest number of seconds this server's clock is behind an
    /// area's latest list, when publication is refused for that reason.
    pub fn seconds_behind(&self) -> Option<i64> {
        let behind = self.behind.lock().unwrap_or_else(PoisonError::into_inner);
        behind.values().copied().max()
    }

    /// Prometheus lines for `/metrics`.
    pub fn render(&self) -> String {
        format!(
            "# HELP cho_list_clock_behind_seconds How far this server's clock is behind an area's latest list (publication refused while above 0).\n\
             # TYPE cho_list_clock_behind_seconds gauge\n\
             cho_list_clock_behind_seconds {}\n\
             # HELP cho_list_publish_clock_refusals_total Publications refused because this server's clock was behind.\n\
             # TYPE cho_list_publish_clock_refusals_total counter\n\
             cho_list_publish_clock_refusals_total {}\n",
            self.seconds_behind().unwrap_or(0),
            self.refusals.load(std::sync::atomic::Ordering::Relaxed)
        )
    }
}

/// This instance's list signer.
pub fn signer(app: &App) -> AppResult<ListSigner> {
    ListSigner::from_pkcs8(&app.secrets.signing_pkcs8)
        .map_err(|_| AppError::Internal("signing key"))
}

/// After bans of the area were purged: a new version without them, and
/// every older version and key announcement that may still hold their
/// tokens (issued before `off_list_at`, the latest moment one of them was
/// on a list) deleted. No token of a purged ban survives anywhere.
pub async fn forget_purged(app: &App, area_id: i64, off_list_at: i64) -> AppResult<()> {
    let published = publish_with(
        app,
        area_id,
        PublishOptions {
            force: true,
            ..PublishOptions::default()
        },
    )
    .await?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let versions = lists::prune(&mut tx, area_id, published.version, off_list_at + 1).await?;
    let announcements =
        lists::delete_announcements_before(&mut tx, area_id, off_list_at + 1).await?;
    if versions + announcements > 0 {
        tx.audit(AuditEvent {
            actor: "system".to_owned(),
            action: "list.prune",
            object_type: "area",
            object_id: area_id.to_string(),
            area_id: Some(area_id),
        })
        .await?;
    }
    tx.commit().await?;
    app.sync_cache.forget_latest(area_id);
    Ok(())
}

pub async fn publish(app: &App, area_id: i64) -> AppResult<Published> {
    publish_with(app, area_id, PublishOptions::default()).await
}

pub async fn publish_with(
    app: &App,
    area_id: i64,
    options: PublishOptions,
) -> AppResult<Published> {
    let area = areas::area(&app.db, area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let (epoch, key) = super::bans::identity_key(app, area_id).await?;
    let signer = signer(app)?;
    let public_key = signer.public_key();
    let today = app.clock.today();
    let now = app.clock.now();
    let mut tx = app.db.begin_write(now).await?;
    if options.announce.is_none() && lists::key_retired_in(&mut tx, area_id, &public_key).await? {
        tracing::error!(
            area = area_id,
            "this instance's list-signing key was retired by rotate-signing-key: install the new key and restart; not publishing"
        );
        return Err(AppError::Conflict(
            "this instance's list-signing key was retired: install the new key and restart"
                .to_owned(),
        ));
    }
    let latest = lists::latest_in(&mut tx, area_id).await?;
    if let Some(l) = &latest {
        let behind = l.issued_at.saturating_sub(now);
        if behind > app.max_clock_skew && !options.correct_clock {
            app.list_clock.raise(area_id, behind);
            tracing::error!(
                area = area_id,
                seconds_behind = behind,
                "server clock is behind the area's latest list: not publishing; fix the clock, or if that list was issued in the future run `cho-server correct-list-clock`"
            );
            return Err(AppError::Conflict(format!(
                "this server's clock is {behind} s behind the latest list of area {area_id}: not publishing"
            )));
        }
    }
    app.list_clock.clear(area_id);
    // No list may be distributed without a valid AP permit: the area then
    // publishes an empty list, which clears every door.
    let tokens = if area.permit.as_ref().is_some_and(|p| p.valid_on(today)) {
        lists::active_tokens(&mut tx, area_id, epoch, today).await?
    } else {
        Vec::new()
    };
    let mut entries = Vec::with_capacity(tokens.len());
    for t in tokens {
        entries.push(ListEntry {
            token: IdentityToken(t.token),
            last_day: cho_core::dates::day_number(t.last_day)
                .map_err(|_| AppError::Internal("ban end date out of list range"))?,
            strength: MatchStrength::from_byte(t.strength)
                .ok_or(AppError::Internal("token strength"))?,
        });
    }
    let set = EntrySet::from_entries(entries);
    let digest = set.digest().to_vec();
    let max_age = area.settings.max_list_age_seconds;
    if let Some(l) = &latest
        && l.digest == digest
        && l.key_epoch == epoch
        && l.format == i64::from(FORMAT_VERSION)
        && now - l.issued_at < max_age / REFRESH_DIVISOR
        && !options.force
        && options.announce.is_none()
        && !options.correct_clock
    {
        return Ok(Published {
            version: l.version,
            new_version: false,
            entries: l.entries,
        });
    }
    let version = latest.as_ref().map_or(1, |l| l.version + 1);
    // Issue times never go backwards, even if a server's clock does (within
    // the skew allowed above), unless an operator corrects a time that ran
    // ahead.
    let issued_at = match &latest {
        Some(l) if !options.correct_clock => now.max(l.issued_at),
        _ => now,
    };
    let header = ListHeader {
        area_id: u64::try_from(area_id).map_err(|_| AppError::Internal("area id"))?,
        key_epoch: u32::try_from(epoch).map_err(|_| AppError::Internal("key epoch"))?,
        max_age_seconds: u32::try_from(max_age).map_err(|_| AppError::Internal("max age"))?,
        version: u64::try_from(version).map_err(|_| AppError::Internal("version"))?,
        issued_at,
        key_check: key_check(&key),
        next_signing_key: options.announce,
    };
    let snapshot = signer
        .snapshot(&header, &set)
        .map_err(|_| AppError::Internal("list signing"))?;
    let row = ListVersionRow {
        area_id,
        version,
        key_epoch: epoch,
        issued_at,
        entries: set.len() as i64,
        digest,
        format: i64::from(FORMAT_VERSION),
    };
    lists::insert(&mut tx, &row, &snapshot).await?;
    // Retention: older versions are kept only while a door may still hold
    // them as its current list (the area's maximum list age); a door with
    // an older one gets this snapshot instead of a delta.
    lists::prune(&mut tx, area_id, version, issued_at - max_age).await?;
    let action = if let Some(next) = options.announce {
        lists::insert_announcement(
            &mut tx,
            &Announcement {
                area_id,
                old_public_key: public_key.to_vec(),
                new_public_key: next.to_vec(),
                version,
                key_epoch: epoch,
                snapshot: snapshot.clone(),
            },
        )
        .await?;
        "list.announce_signing_key"
    } else if options.correct_clock {
        "list.correct_clock"
    } else {
        "list.publish"
    };
    tx.audit(AuditEvent {
        actor: "system".to_owned(),
        action,
        object_type: "list_version",
        object_id: format!("{area_id}:{version}"),
        area_id: Some(area_id),
    })
    .await?;
    // Other instances wake their waiting doors when this commits.
    if app.db.backend() == crate::storage::Backend::Postgres {
        lists::notify_published(&mut tx, super::propagation::CHANNEL, area_id, version).await?;
    }
    tx.commit().await?;
    // The woken doors find the new version in the cache: no herd of reads.
    let entries = row.entries;
    app.sync_cache.keep_published(row, now);
    app.propagation.published(area_id, version);
    Ok(Published {
        version,
        new_version: true,
        entries,
    })
}

fn key_check(key: &IdentityKey) -> [u8; cho_core::identity::KEY_CHECK_LEN] {
    key.check_value()
}

/// Publishes every area; errors are per area and do not stop the others.
pub async fn publish_all(app: &App) -> Vec<(i64, AppResult<Published>)> {
    let mut out = Vec::new();
    match areas::areas(&app.db).await {
        Ok(all) => {
            for area in all {
                out.push((area.id, publish(app, area.id).await));
            }
        }
        Err(e) => out.push((0, Err(e.into()))),
    }
    out
}
