//! Door devices and enrolment codes.

use sqlx::Row;
use time::Date;

use super::areas::parse_date;
use super::{Db, Result, WriteTx};

#[derive(Clone)]
pub struct DeviceRow {
    pub id: i64,
    pub area_id: i64,
    pub venue_id: i64,
    pub name: String,
    pub enrolled_at: i64,
    pub revoked_at: Option<i64>,
    pub last_sync_at: Option<i64>,
    /// The venue's admission, read with the device (a sync checks it
    /// without another query).
    pub venue_admitted_on: Option<Date>,
    pub venue_withdrawn_on: Option<Date>,
}

/// Devices with their venue's admission; callers add `WHERE d...`.
const SELECT: &str = "SELECT d.id, d.area_id, d.venue_id, d.name, d.enrolled_at, d.revoked_at, d.last_sync_at, \
     v.admitted_on AS venue_admitted_on, v.withdrawn_on AS venue_withdrawn_on \
     FROM devices d JOIN venues v ON v.id = d.venue_id";

fn device_from(row: &sqlx::any::AnyRow) -> Result<DeviceRow> {
    let admitted: Option<String> = row.try_get("venue_admitted_on")?;
    let withdrawn: Option<String> = row.try_get("venue_withdrawn_on")?;
    Ok(DeviceRow {
        id: row.try_get("id")?,
        area_id: row.try_get("area_id")?,
        venue_id: row.try_get("venue_id")?,
        name: row.try_get("name")?,
        enrolled_at: row.try_get("enrolled_at")?,
        revoked_at: row.try_get("revoked_at")?,
        last_sync_at: row.try_get("last_sync_at")?,
        venue_admitted_on: admitted.as_deref().map(parse_date).transpose()?,
        venue_withdrawn_on: withdrawn.as_deref().map(parse_date).transpose()?,
    })
}

pub async fn create_code(
    tx: &mut WriteTx,
    code_hash: &[u8],
    venue_id: i64,
    created_by: i64,
    name: &str,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO enrolment_codes (code_hash, venue_id, created_by, name, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(code_hash.to_vec())
        .bind(venue_id)
        .bind(created_by)
        .bind(name)
        .bind(expires_at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Whether an unused, unexpired code has this hash: a read, so a guess
/// that misses never queues behind the writers.
pub async fn code_is_live(db: &Db, code_hash: &[u8], now: i64) -> Result<bool> {
    let row = sqlx::query(
        "SELECT 1 AS live FROM enrolment_codes WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(code_hash.to_vec())
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.is_some())
}

/// Marks an unused, unexpired code used; returns its venue and name.
pub async fn redeem_code(tx: &mut WriteTx, code_hash: &[u8]) -> Result<Option<(i64, String)>> {
    let now = tx.now();
    let row = sqlx::query("UPDATE enrolment_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING venue_id, name")
        .bind(now)
        .bind(code_hash.to_vec())
        .fetch_optional(tx.conn())
        .await?;
    row.map(|r| Ok((r.try_get("venue_id")?, r.try_get("name")?)))
        .transpose()
}

pub async fn create(
    tx: &mut WriteTx,
    area_id: i64,
    venue_id: i64,
    name: &str,
    credential_hash: &[u8],
) -> Result<i64> {
    let now = tx.now();
    let row = sqlx::query("INSERT INTO devices (area_id, venue_id, name, credential_hash, enrolled_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(area_id)
        .bind(venue_id)
        .bind(name)
        .bind(credential_hash.to_vec())
        .bind(now)
        .fetch_one(tx.conn())
        .await?;
    Ok(row.try_get("id")?)
}

pub async fn device(db: &Db, id: i64) -> Result<Option<DeviceRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE d.id = $1")))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(device_from).transpose()
}

/// The device holding this credential, revoked or not (the caller tells
/// a revoked device so; an unknown credential is `None`).
pub async fn by_credential(db: &Db, credential_hash: &[u8]) -> Result<Option<DeviceRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE d.credential_hash = $1"
    )))
    .bind(credential_hash.to_vec())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(device_from).transpose()
}

pub async fn in_area(db: &Db, area_id: i64) -> Result<Vec<DeviceRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE d.area_id = $1 ORDER BY d.id"
    )))
    .bind(area_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(device_from).collect()
}

pub async fn rename(tx: &mut WriteTx, id: i64, name: &str) -> Result<()> {
    sqlx::query("UPDATE devices SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Revokes a live device; false when it was already revoked.
pub async fn revoke(tx: &mut WriteTx, id: i64) -> Result<bool> {
    let now = tx.now();
    let done =
        sqlx::query("UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(tx.conn())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every live device of a venue; returns their ids.
pub async fn revoke_venue(tx: &mut WriteTx, venue_id: i64) -> Result<Vec<i64>> {
    let now = tx.now();
    let rows = sqlx::query(
        "UPDATE devices SET revoked_at = $1 WHERE venue_id = $2 AND revoked_at IS NULL RETURNING id",
    )
    .bind(now)
    .bind(venue_id)
    .fetch_all(tx.conn())
    .await?;
    let mut ids = rows
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<std::result::Result<Vec<i64>, _>>()?;
    ids.sort_unstable();
    Ok(ids)
}

/// Phones per [`note_syncs`] statement (two values each, well within both
/// databases' limits on bound values).
pub const MAX_SYNC_NOTES_PER_STATEMENT: usize = 500;

/// Notes the sync times (device id, time) of many phones in one statement
/// (outside the audit chain: syncs are reads of no personal data, and far
/// too frequent to chain). A note never moves a time back.
pub async fn note_syncs(db: &Db, notes: &[(i64, i64)]) -> Result<()> {
    if notes.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..notes.len())
        .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
        .collect();
    // Only placeholders are formatted in; every value is bound. `column1`
    // and `column2` are what both databases name a VALUES list's columns.
    let sql = format!(
        "UPDATE devices SET last_sync_at = v.column2 FROM (VALUES {}) AS v \
         WHERE devices.id = v.column1 AND (devices.last_sync_at IS NULL OR devices.last_sync_at < v.column2)",
        values.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (device, at) in notes {
        query = query.bind(*device).bind(*at);
    }
    let _turn = db.writer_turn().await;
    query.execute(db.pool()).await?;
    Ok(())
}
