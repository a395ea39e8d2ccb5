//! Published list versions and the active tokens they are built from.

use sqlx::Row;
use time::Date;

use super::areas::{format_date, parse_date};
use super::{Db, Result, StorageError, WriteTx};

/// A published version, without its (large) snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListVersionRow {
    pub area_id: i64,
    pub version: i64,
    pub key_epoch: i64,
    pub issued_at: i64,
    pub entries: i64,
    pub digest: Vec<u8>,
    /// The list file format the snapshot was written in.
    pub format: i64,
}

const COLUMNS: &str = "area_id, version, key_epoch, issued_at, entries, digest, format";

fn version_from(row: &sqlx::any::AnyRow) -> Result<ListVersionRow> {
    Ok(ListVersionRow {
        area_id: row.try_get("area_id")?,
        version: row.try_get("version")?,
        key_epoch: row.try_get("key_epoch")?,
        issued_at: row.try_get("issued_at")?,
        entries: row.try_get("entries")?,
        digest: row.try_get("digest")?,
        format: row.try_get("format")?,
    })
}

/// The latest version, read inside a write (so two instances agree on it).
pub async fn latest_in(tx: &mut WriteTx, area_id: i64) -> Result<Option<ListVersionRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM list_versions WHERE area_id = $1 ORDER BY version DESC LIMIT 1"
    )))
    .bind(area_id)
    .fetch_optional(tx.conn())
    .await?;
    row.as_ref().map(version_from).transpose()
}

pub async fn latest(db: &Db, area_id: i64) -> Result<Option<ListVersionRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM list_versions WHERE area_id = $1 ORDER BY version DESC LIMIT 1"
    )))
    .bind(area_id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(version_from).transpose()
}

/// Every area's latest version, in one query (the version watcher's poll).
pub async fn latest_versions(db: &Db) -> Result<Vec<(i64, i64)>> {
    let rows =
        sqlx::query("SELECT area_id, MAX(version) AS version FROM list_versions GROUP BY area_id")
            .fetch_all(db.pool())
            .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("area_id")?, r.try_get("version")?)))
        .collect()
}

/// PostgreSQL only: tells every listening instance, when `tx` commits,
/// that `version` of the area is published (payload `area:version`).
pub async fn notify_published(
    tx: &mut WriteTx,
    channel: &str,
    area_id: i64,
    version: i64,
) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(format!("{area_id}:{version}"))
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The signed snapshot of one version.
pub async fn snapshot(db: &Db, area_id: i64, version: i64) -> Result<Option<Vec<u8>>> {
    let row = sqlx::query("SELECT snapshot FROM list_versions WHERE area_id = $1 AND version = $2")
        .bind(area_id)
        .bind(version)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Ok(r.try_get("snapshot")?)).transpose()
}

pub async fn insert(tx: &mut WriteTx, v: &ListVersionRow, snapshot: &[u8]) -> Result<()> {
    sqlx::query(
        "INSERT INTO list_versions (area_id, version, key_epoch, issued_at, entries, digest, snapshot, format) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(v.area_id)
    .bind(v.version)
    .bind(v.key_epoch)
    .bind(v.issued_at)
    .bind(v.entries)
    .bind(v.digest.clone())
    .bind(snapshot.to_vec())
    .bind(v.format)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A list version signed by a retired key that announces its successor.
#[derive(Clone)]
pub struct Announcement {
    pub area_id: i64,
    pub old_public_key: Vec<u8>,
    pub new_public_key: Vec<u8>,
    pub version: i64,
    pub key_epoch: i64,
    pub snapshot: Vec<u8>,
}

const ANNOUNCEMENT_COLUMNS: &str =
    "area_id, old_public_key, new_public_key, version, key_epoch, snapshot";

fn announcement_from(row: &sqlx::any::AnyRow) -> Result<Announcement> {
    Ok(Announcement {
        area_id: row.try_get("area_id")?,
        old_public_key: row.try_get("old_public_key")?,
        new_public_key: row.try_get("new_public_key")?,
        version: row.try_get("version")?,
        key_epoch: row.try_get("key_epoch")?,
        snapshot: row.try_get("snapshot")?,
    })
}

pub async fn insert_announcement(tx: &mut WriteTx, a: &Announcement) -> Result<()> {
    let now = tx.now();
    sqlx::query(
        "INSERT INTO signing_key_announcements \
         (area_id, old_public_key, new_public_key, version, key_epoch, snapshot, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(a.area_id)
    .bind(a.old_public_key.clone())
    .bind(a.new_public_key.clone())
    .bind(a.version)
    .bind(a.key_epoch)
    .bind(a.snapshot.clone())
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Whether `public_key` was retired for the area (read inside the write,
/// so an instance still holding the old key cannot publish after the
/// announcement committed).
pub async fn key_retired_in(tx: &mut WriteTx, area_id: i64, public_key: &[u8]) -> Result<bool> {
    let row = sqlx::query(
        "SELECT 1 AS retired FROM signing_key_announcements WHERE area_id = $1 AND old_public_key = $2",
    )
    .bind(area_id)
    .bind(public_key.to_vec())
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.is_some())
}

/// The announcement that retired `old_public_key` in the area.
pub async fn announcement_by_old_key(
    db: &Db,
    area_id: i64,
    old_public_key: &[u8],
) -> Result<Option<Announcement>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ANNOUNCEMENT_COLUMNS} FROM signing_key_announcements WHERE area_id = $1 AND old_public_key = $2"
    )))
    .bind(area_id)
    .bind(old_public_key.to_vec())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(announcement_from).transpose()
}

/// The first announcement after version `have`: a device at `have` still
/// trusts the key that one retired.
pub async fn announcement_after(db: &Db, area_id: i64, have: i64) -> Result<Option<Announcement>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ANNOUNCEMENT_COLUMNS} FROM signing_key_announcements \
         WHERE area_id = $1 AND version > $2 ORDER BY version LIMIT 1"
    )))
    .bind(area_id)
    .bind(have)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(announcement_from).transpose()
}

/// One token of a running ban: the token, the ban's last day, strength.
pub struct ActiveToken {
    pub token: [u8; 16],
    pub last_day: Date,
    pub strength: u8,
}

/// The tokens under `key_epoch` of the area's bans that are active and
/// whose last day is `today` or later.
pub async fn active_tokens(
    tx: &mut WriteTx,
    area_id: i64,
    key_epoch: i64,
    today: Date,
) -> Result<Vec<ActiveToken>> {
    let rows = sqlx::query(
        "SELECT t.token, t.strength, b.ends_on FROM ban_tokens t JOIN bans b ON b.id = t.ban_id \
         WHERE t.area_id = $1 AND t.key_epoch = $2 AND b.status = 'active' AND b.ends_on >= $3",
    )
    .bind(area_id)
    .bind(key_epoch)
    .bind(format_date(today))
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|r| {
            let token: Vec<u8> = r.try_get("token")?;
            let ends_on: String = r.try_get("ends_on")?;
            Ok(ActiveToken {
                token: token
                    .as_slice()
                    .try_into()
                    .map_err(|_| StorageError::Inconsistent("token length"))?,
                last_day: parse_date(&ends_on)?,
                strength: u8::try_from(r.try_get::<i64, _>("strength")?)
                    .map_err(|_| StorageError::Inconsistent("token strength"))?,
            })
        })
        .collect()
}

/// Deletes the area's versions before `below_version` issued before
/// `issued_before` (unix seconds); the count deleted. A door holding one of
/// them gets the latest snapshot instead of a delta.
pub async fn prune(
    tx: &mut WriteTx,
    area_id: i64,
    below_version: i64,
    issued_before: i64,
) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM list_versions WHERE area_id = $1 AND version < $2 AND issued_at < $3",
    )
    .bind(area_id)
    .bind(below_version)
    .bind(issued_before)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

/// Deletes the area's key announcements made before `created_before`
/// (their snapshots may list bans purged since); the count deleted.
pub async fn delete_announcements_before(
    tx: &mut WriteTx,
    area_id: i64,
    created_before: i64,
) -> Result<u64> {
    let done =
        sqlx::query("DELETE FROM signing_key_announcements WHERE area_id = $1 AND created_at < $2")
            .bind(area_id)
            .bind(created_before)
            .execute(tx.conn())
            .await?;
    Ok(done.rows_affected())
}
