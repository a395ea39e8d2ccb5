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
}

const COLUMNS: &str = "area_id, version, key_epoch, issued_at, entries, digest";

fn version_from(row: &sqlx::any::AnyRow) -> Result<ListVersionRow> {
    Ok(ListVersionRow {
        area_id: row.try_get("area_id")?,
        version: row.try_get("version")?,
        key_epoch: row.try_get("key_epoch")?,
        issued_at: row.try_get("issued_at")?,
        entries: row.try_get("entries")?,
        digest: row.try_get("digest")?,
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
        "INSERT INTO list_versions (area_id, version, key_epoch, issued_at, entries, digest, snapshot) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(v.area_id)
    .bind(v.version)
    .bind(v.key_epoch)
    .bind(v.issued_at)
    .bind(v.entries)
    .bind(v.digest.clone())
    .bind(snapshot.to_vec())
    .execute(tx.conn())
    .await?;
    Ok(())
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
