//! Retention: personal data and tokens of bans that ended longer ago than
//! their area's retention period, and of four-eyes requests nobody decided
//! within `domain::repeat::UNDECIDED_REQUEST_DAYS` (30) days, are deleted, leaving anonymous counts per
//! area, month, figure, category and venue. Idempotent, so `serve`'s job
//! and a cron `cho-server purge` can both run it.
//!
//! The purged bans' tokens also leave the published lists: the area gets a
//! new version without them and every older version and key announcement
//! that may hold them is deleted (`lists::forget_purged`).
//!
//! Anonymous door counts are deleted
//! [`door_counts::RETENTION_DAYS`](crate::domain::door_counts::RETENTION_DAYS)
//! days after their hour.

use std::collections::BTreeMap;

use super::{App, AppResult, lists};
use crate::domain::audit::AuditEvent;
use crate::storage::{accounts, bans, complaints};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub bans_purged: u64,
    pub sessions_removed: u64,
    /// Closed data-subject requests reduced to kind, dates and outcome.
    pub requests_purged: u64,
    /// Door counts (rows of one device, hour and verdict) past retention.
    pub door_counts_removed: u64,
}

pub async fn purge(app: &App) -> AppResult<PurgeReport> {
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let due = bans::purgeable(&mut tx, app.clock.today()).await?;
    for ban in &due {
        // Its complaints stay for the statistics, without what named anyone.
        complaints::forget_ban(&mut tx, ban.id).await?;
        bans::purge(&mut tx, ban).await?;
        tx.audit(AuditEvent {
            actor: "system".to_owned(),
            action: "ban.purge",
            object_type: "ban",
            object_id: ban.id.to_string(),
            area_id: Some(ban.area_id),
        })
        .await?;
    }
    // Closed data-subject requests past retention keep only kind, dates
    // and outcome (their open ones kept their bans above).
    let requests_purged = super::subject_requests::purge_closed(&mut tx, app.clock.today()).await?;
    let sessions_removed = accounts::purge_expired_sessions(&mut tx).await?;
    tx.commit().await?;
    // Per area, the latest moment a purged ban was on a list (a request
    // never decided, or rejected, never was: no list to renew for it).
    let mut off_list: BTreeMap<i64, i64> = BTreeMap::new();
    for ban in due.iter().filter(|b| b.was_listed) {
        let at = off_list.entry(ban.area_id).or_insert(ban.off_list_at);
        *at = (*at).max(ban.off_list_at);
    }
    for (area_id, off_list_at) in off_list {
        lists::forget_purged(app, area_id, off_list_at).await?;
    }
    let door_counts_removed = crate::storage::door_counts::delete_before(
        &app.db,
        crate::domain::door_counts::retention_cutoff(app.clock.now()),
    )
    .await?;
    Ok(PurgeReport {
        bans_purged: due.len() as u64,
        sessions_removed,
        requests_purged,
        door_counts_removed,
    })
}
