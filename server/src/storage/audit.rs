//! Reading the audit trail: pages for a beheerder, the whole chain for
//! `audit verify`.

use sqlx::Row;

use super::{Backend, Db, Result};
use crate::domain::audit::{ChainHead, ChainedEvent, DEVICE_ACCESS_ACTIONS};

fn event_from(row: &sqlx::any::AnyRow) -> Result<ChainedEvent> {
    Ok(ChainedEvent {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        object_type: row.try_get("object_type")?,
        object_id: row.try_get("object_id")?,
        area_id: row.try_get("area_id")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

const COLUMNS: &str = "seq, at, actor, action, object_type, object_id, area_id, prev_hash, hash";

/// Which of an area's events a page holds; every field narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// At or after this instant (unix seconds).
    pub from: Option<i64>,
    /// Before this instant (unix seconds).
    pub until: Option<i64>,
}

/// A page of an area's events after `after_seq`, oldest first.
pub async fn page(db: &Db, area_id: i64, after_seq: i64, limit: i64) -> Result<Vec<ChainedEvent>> {
    filtered_page(db, area_id, &EventFilter::default(), after_seq, limit).await
}

/// A page of an area's events after `after_seq` that pass `filter`, oldest
/// first. The conditions are fixed text with numbered parameters; only
/// their values come from the caller.
pub async fn filtered_page(
    db: &Db,
    area_id: i64,
    filter: &EventFilter,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<ChainedEvent>> {
    filtered(db, area_id, filter, Bound::After(after_seq), limit).await
}

/// The page of an area's events that pass `filter` just before
/// `before_seq` (the previous page when paging back), oldest first.
pub async fn filtered_page_before(
    db: &Db,
    area_id: i64,
    filter: &EventFilter,
    before_seq: i64,
    limit: i64,
) -> Result<Vec<ChainedEvent>> {
    let mut events = filtered(db, area_id, filter, Bound::Before(before_seq), limit).await?;
    events.reverse();
    Ok(events)
}

/// Which side of a sequence number a page lies on.
enum Bound {
    After(i64),
    Before(i64),
}

async fn filtered(
    db: &Db,
    area_id: i64,
    filter: &EventFilter,
    bound: Bound,
    limit: i64,
) -> Result<Vec<ChainedEvent>> {
    let (condition, seq, order) = match bound {
        Bound::After(seq) => (">", seq, "seq"),
        // Newest first so LIMIT keeps the events nearest the bound.
        Bound::Before(seq) => ("<", seq, "seq DESC"),
    };
    let mut sql =
        format!("SELECT {COLUMNS} FROM audit_events WHERE area_id = $1 AND seq {condition} $2");
    let mut n = 2;
    let mut texts: Vec<&str> = Vec::new();
    for (column, value) in [
        ("action", &filter.action),
        ("actor", &filter.actor),
        ("object_type", &filter.object_type),
        ("object_id", &filter.object_id),
    ] {
        if let Some(value) = value {
            n += 1;
            sql.push_str(&format!(" AND {column} = ${n}"));
            texts.push(value);
        }
    }
    let mut instants: Vec<i64> = Vec::new();
    for (condition, value) in [("at >=", filter.from), ("at <", filter.until)] {
        if let Some(value) = value {
            n += 1;
            sql.push_str(&format!(" AND {condition} ${n}"));
            instants.push(value);
        }
    }
    n += 1;
    sql.push_str(&format!(" ORDER BY {order} LIMIT ${n}"));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(area_id)
        .bind(seq);
    for text in texts {
        query = query.bind(text.to_owned());
    }
    for instant in instants {
        query = query.bind(instant);
    }
    let rows = query.bind(limit).fetch_all(db.pool()).await?;
    rows.iter().map(event_from).collect()
}

/// The whole chain in order, and the head, read from one snapshot: while
/// the server writes, events and head must come from the same moment or a
/// live chain would look cut (the head row is updated in the same
/// transaction as its events).
pub async fn chain(db: &Db) -> Result<(Vec<ChainedEvent>, ChainHead)> {
    let mut tx = db.pool().begin().await?;
    if db.backend() == Backend::Postgres {
        // READ COMMITTED would give each statement its own snapshot. On
        // SQLite (WAL) a read transaction keeps the snapshot of its first read.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .execute(&mut *tx)
            .await?;
    }
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_events ORDER BY seq"
    )))
    .fetch_all(&mut *tx)
    .await?;
    let events = rows.iter().map(event_from).collect::<Result<Vec<_>>>()?;
    let head = head_from(&sqlx::query(HEAD).fetch_one(&mut *tx).await?)?;
    tx.rollback().await?;
    Ok((events, head))
}

const HEAD: &str = "SELECT seq, hash, keyed_from FROM audit_head WHERE id = 1";

/// The chain's head sequence number: it moves with every write, so a
/// watcher that sees it unchanged knows nothing was written.
pub async fn head_seq(db: &Db) -> Result<i64> {
    Ok(sqlx::query("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(db.pool())
        .await?
        .try_get("seq")?)
}

/// The device-access events (`domain::audit::DEVICE_ACCESS_ACTIONS`) after
/// `seq`, as (action, object id), in chain order.
pub async fn device_access_since(db: &Db, seq: i64) -> Result<Vec<(String, String)>> {
    let placeholders: Vec<String> = (0..DEVICE_ACCESS_ACTIONS.len())
        .map(|i| format!("${}", i + 2))
        .collect();
    // Only placeholders are formatted in; every value is bound.
    let sql = format!(
        "SELECT action, object_id FROM audit_events WHERE seq > $1 AND action IN ({}) ORDER BY seq",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(seq);
    for action in DEVICE_ACCESS_ACTIONS {
        query = query.bind(*action);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("action")?, r.try_get("object_id")?)))
        .collect()
}

fn head_from(row: &sqlx::any::AnyRow) -> Result<ChainHead> {
    Ok(ChainHead {
        seq: row.try_get("seq")?,
        hash: row.try_get("hash")?,
        keyed_from: row.try_get("keyed_from")?,
    })
}

/// One event by its sequence number.
pub async fn event(db: &Db, seq: i64) -> Result<Option<ChainedEvent>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_events WHERE seq = $1"
    )))
    .bind(seq)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(event_from).transpose()
}

/// The head row as committed.
pub async fn head(db: &Db) -> Result<ChainHead> {
    head_from(&sqlx::query(HEAD).fetch_one(db.pool()).await?)
}
