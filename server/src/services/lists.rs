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

use std::time::Duration;

use cho_core::identity::{IdentityToken, MatchStrength};
use cho_core::list_format::{EntrySet, ListEntry, ListHeader, ListSigner};

use super::{App, AppError, AppResult};
use crate::domain::audit::AuditEvent;
use crate::storage::areas;
use crate::storage::lists::{self, ListVersionRow};

/// How often `serve` publishes changed lists: a new ban reaches syncing
/// doors within this plus their sync interval.
pub const PUBLISH_INTERVAL: Duration = Duration::from_secs(30);

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

pub async fn publish(app: &App, area_id: i64) -> AppResult<Published> {
    let area = areas::area(&app.db, area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let (epoch, _) = areas::current_identity_key(&app.db, area_id)
        .await?
        .ok_or(AppError::Internal("area has no identity key"))?;
    let today = app.clock.today();
    let now = app.clock.now();
    let mut tx = app.db.begin_write(now).await?;
    let latest = lists::latest_in(&mut tx, area_id).await?;
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
        && now - l.issued_at < max_age / REFRESH_DIVISOR
    {
        return Ok(Published {
            version: l.version,
            new_version: false,
            entries: l.entries,
        });
    }
    let version = latest.as_ref().map_or(1, |l| l.version + 1);
    // Issue times never go backwards, even if a server's clock does.
    let issued_at = latest.as_ref().map_or(now, |l| now.max(l.issued_at));
    let header = ListHeader {
        area_id: u64::try_from(area_id).map_err(|_| AppError::Internal("area id"))?,
        key_epoch: u32::try_from(epoch).map_err(|_| AppError::Internal("key epoch"))?,
        max_age_seconds: u32::try_from(max_age).map_err(|_| AppError::Internal("max age"))?,
        version: u64::try_from(version).map_err(|_| AppError::Internal("version"))?,
        issued_at,
    };
    let signer = ListSigner::from_pkcs8(&app.secrets.signing_pkcs8)
        .map_err(|_| AppError::Internal("signing key"))?;
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
    };
    lists::insert(&mut tx, &row, &snapshot).await?;
    tx.audit(AuditEvent {
        actor: "system".to_owned(),
        action: "list.publish",
        object_type: "list_version",
        object_id: format!("{area_id}:{version}"),
        area_id: Some(area_id),
    })
    .await?;
    tx.commit().await?;
    app.sync_cache.forget_latest(area_id);
    Ok(Published {
        version,
        new_version: true,
        entries: row.entries,
    })
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
