//! Retention: personal data and tokens of bans that ended longer ago than
//! their area's retention period are deleted, leaving anonymous counts per
//! area, category and month. Idempotent, so `serve`'s job and a cron
//! `cho-server purge` can both run it.

use super::{App, AppResult};
use crate::domain::audit::AuditEvent;
use crate::storage::{accounts, bans, complaints};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub bans_purged: u64,
    pub sessions_removed: u64,
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
    let sessions_removed = accounts::purge_expired_sessions(&mut tx).await?;
    tx.commit().await?;
    Ok(PurgeReport {
        bans_purged: due.len() as u64,
        sessions_removed,
    })
}
