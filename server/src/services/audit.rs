//! The audit trail: a beheerder's paged, filtered reading of their area's
//! events; checkpoints and chain verification.
//!
//! A checkpoint is the committed head of the audit chain (sequence number,
//! link, where the keyed segment starts) signed with the deployment's
//! checkpoint key, appended as one line to a file an outside party copies
//! (`audit-checkpoints` in the data directory unless configured). Lines are
//! only ever appended. The chain's HMAC shows edits; the checkpoints show
//! what HMAC cannot: a tail cut off, or everything deleted and the head
//! reset. `serve` writes one at start, whenever `every` events have been
//! added, at least every `interval` while the chain grows, and at shutdown.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::{App, AppError, AppResult};
use crate::domain::audit::{
    ChainBreak, ChainHead, Checkpoint, parse_checkpoints, verify_chain, verify_checkpoints,
};
use crate::domain::roles::Actor;
use crate::storage::audit as store;
pub use crate::storage::audit::EventFilter;

/// Events per page unless the caller asks otherwise; at most [`MAX_PAGE`].
pub const DEFAULT_PAGE: i64 = 100;
pub const MAX_PAGE: i64 = 1000;

/// One event as the beheerder reads it (ids only: events hold no personal
/// data).
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// The event's link in the chain, hex.
    pub hash: String,
}

/// A page of events and where the next one starts (None: this was the
/// last).
#[derive(Debug, Clone, Serialize)]
pub struct EventPage {
    pub events: Vec<EventView>,
    pub next_after: Option<i64>,
    /// Whether events that pass the filter come before this page (the
    /// pages' "previous" link; the API pages forward only).
    #[serde(skip)]
    pub has_previous: bool,
}

/// Which page: events after `after` (a sequence number), at most `limit`;
/// or, paging back, the events just before `before` (which wins).
#[derive(Debug, Clone, Copy, Default)]
pub struct PageRequest {
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// The area's audit trail for its beheerder, oldest first, filtered.
pub async fn page(
    app: &App,
    actor: &Actor,
    area_id: i64,
    filter: &EventFilter,
    page: PageRequest,
) -> AppResult<EventPage> {
    if !actor.manages_area(area_id) {
        return Err(AppError::Forbidden);
    }
    let limit = page.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let (events, next_after) = match page.before {
        Some(before) => {
            let events =
                store::filtered_page_before(&app.db, area_id, filter, before, limit).await?;
            // The page we came back from follows this one.
            let next = events.last().map(|e| e.seq);
            (events, next)
        }
        None => {
            let events =
                store::filtered_page(&app.db, area_id, filter, page.after.unwrap_or(0), limit)
                    .await?;
            let next = events
                .last()
                .map(|e| e.seq)
                .filter(|_| events.len() as i64 == limit);
            (events, next)
        }
    };
    let has_previous = match events.first() {
        Some(first) => !store::filtered_page_before(&app.db, area_id, filter, first.seq, 1)
            .await?
            .is_empty(),
        None => page.after.is_some_and(|a| a > 0),
    };
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    Ok(EventPage {
        events: events
            .into_iter()
            .map(|e| EventView {
                hash: hex(&e.hash),
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                action: e.action,
                object_type: e.object_type,
                object_id: e.object_id,
            })
            .collect(),
        next_after,
        has_previous,
    })
}

/// The checkpoint file's name in the data directory.
pub const CHECKPOINT_FILE: &str = "audit-checkpoints";

/// Where and how often `serve` writes checkpoints.
#[derive(Clone, Debug)]
pub struct CheckpointConfig {
    /// None: checkpoints are signed but written nowhere (tests).
    pub log: Option<PathBuf>,
    /// A checkpoint at least every this many events.
    pub every: i64,
    /// And at least this often while events are added.
    pub interval: Duration,
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        Self {
            log: None,
            every: 1000,
            interval: Duration::from_secs(300),
        }
    }
}

/// Signs the committed head and appends it to the checkpoint file.
pub async fn checkpoint(app: &App) -> AppResult<Checkpoint> {
    let head = store::head(&app.db).await?;
    let signer = &app.secrets.checkpoint_signer;
    let checkpoint = Checkpoint::sign(&head, app.clock.now(), |m| signer.sign(m))
        .ok_or(AppError::Internal("audit head hash length"))?;
    if let Some(path) = app.checkpoints.log.clone() {
        let line = checkpoint.to_line();
        tokio::task::spawn_blocking(move || append_line(&path, &line))
            .await
            .map_err(|_| AppError::Internal("checkpoint writer"))?
            .map_err(|e| {
                tracing::error!(error = %e, "cannot append to the audit checkpoint file");
                AppError::Internal("checkpoint file")
            })?;
    }
    Ok(checkpoint)
}

/// Appends one line, synced, so a checkpoint that was reported is on disk.
fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    // One write call per line: O_APPEND keeps lines from several writers whole.
    file.write_all(format!("{line}\n").as_bytes())?;
    file.sync_all()
}

/// At start: a chain with no keyed event yet (a new database, or the
/// first start after the chain became keyed) gets a checkpoint of its
/// head before anything is added, so the legacy segment and `keyed_from`
/// are pinned by a signature from the start.
pub async fn on_open(app: &App) -> AppResult<Option<Checkpoint>> {
    let head = store::head(&app.db).await?;
    if head.seq != head.keyed_from {
        return Ok(None);
    }
    let checkpoint = checkpoint(app).await?;
    if head.keyed_from > 0 {
        tracing::info!(
            keyed_from = head.keyed_from,
            "audit chain continues keyed; signed a checkpoint of its unkeyed head"
        );
    }
    Ok(Some(checkpoint))
}

/// At start: the chain's last keyed event must verify under this data
/// directory's key. A lost or replaced deployment secret would otherwise
/// go on appending links nobody can ever verify together with the old
/// ones; better to stop and have the secret restored.
pub async fn check_key(app: &App) -> AppResult<()> {
    let head = store::head(&app.db).await?;
    if head.seq <= head.keyed_from {
        return Ok(());
    }
    let key = app.secrets.deployment.audit_chain_key();
    let matches = store::event(&app.db, head.seq).await?.is_some_and(|e| {
        e.hash == head.hash
            && crate::domain::audit::event_mac(&key, &e.prev_hash, e.seq, e.at, &e.fields())
                .as_slice()
                == e.hash.as_slice()
    });
    if matches {
        Ok(())
    } else {
        Err(AppError::Internal(
            "the audit chain's last event does not verify under deployment.secret: restore the \
             data directory's deployment.secret, or run `cho-server audit verify`",
        ))
    }
}

/// Reads a checkpoint file.
pub fn read_checkpoints(path: &Path) -> Result<Vec<Checkpoint>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_checkpoints(&text)
        .map_err(|line| format!("{} line {line}: not a checkpoint", path.display()))
}

/// What a verification covered.
#[derive(Debug, PartialEq, Eq)]
pub struct Verified {
    pub events: i64,
    pub keyed_from: i64,
    pub checkpoints: usize,
}

/// Verifies the whole chain under the audit key, then each checkpoint
/// against it with this deployment's checkpoint public key.
pub async fn verify(
    app: &App,
    checkpoints: &[Checkpoint],
) -> AppResult<Result<Verified, ChainBreak>> {
    let (events, head) = store::chain(&app.db).await?;
    let key = app.secrets.deployment.audit_chain_key();
    Ok(check(&events, &head, &key, checkpoints, app))
}

fn check(
    events: &[crate::domain::audit::ChainedEvent],
    head: &ChainHead,
    key: &ring::hmac::Key,
    checkpoints: &[Checkpoint],
    app: &App,
) -> Result<Verified, ChainBreak> {
    let n = verify_chain(events, head, key)?;
    let public = app.secrets.checkpoint_signer.public_key();
    let checked = verify_checkpoints(events, head, checkpoints, &public)?;
    Ok(Verified {
        events: n,
        keyed_from: head.keyed_from,
        checkpoints: checked,
    })
}

/// The checkpoint loop of `serve`: one at start, then whenever `every`
/// events were added or `interval` passed with the chain grown. A head
/// below the last checkpoint is logged as an alarm (the chain was cut).
pub async fn run_checkpointer(app: App) {
    let config = app.checkpoints.clone();
    let tick = config.interval.min(Duration::from_secs(1));
    let mut ticker = tokio::time::interval(tick);
    let mut last: Option<(i64, tokio::time::Instant)> = None;
    loop {
        ticker.tick().await;
        let head = match store::head(&app.db).await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "audit checkpoint: cannot read the head");
                continue;
            }
        };
        let due = match last {
            None => true,
            Some((seq, at)) => {
                if head.seq < seq {
                    tracing::error!(
                        head = head.seq,
                        checkpoint = seq,
                        "audit chain is shorter than its last checkpoint: events were deleted"
                    );
                }
                head.seq != seq
                    && (head.seq - seq >= config.every || at.elapsed() >= config.interval)
            }
        };
        if due {
            match checkpoint(&app).await {
                Ok(c) => last = Some((c.seq, tokio::time::Instant::now())),
                Err(e) => tracing::warn!(error = %e, "audit checkpoint failed"),
            }
        }
    }
}
