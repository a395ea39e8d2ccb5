//! Door devices and enrolment codes.

use sqlx::Row;

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
}

const COLUMNS: &str = "id, area_id, venue_id, name, enrolled_at, revoked_at, last_sync_at";

fn device_from(row: &sqlx::any::AnyRow) -> Result<DeviceRow> {
    Ok(DeviceRow {
        id: row.try_get("id")?,
        area_id: row.try_get("area_id")?,
        venue_id: row.try_get("venue_id")?,
        name: row.try_get("name")?,
        enrolled_at: row.try_get("enrolled_at")?,
        revoked_at: row.try_get("revoked_at")?,
        last_sync_at: row.try_get("last_sync_at")?,
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
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM devices WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(device_from).transpose()
}

/// The live (not revoked) device holding this credential.
pub async fn by_credential(db: &Db, credential_hash: &[u8]) -> Result<Option<DeviceRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM devices WHERE credential_hash = $1 AND revoked_at IS NULL"
    )))
    .bind(credential_hash.to_vec())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(device_from).transpose()
}

pub async fn in_area(db: &Db, area_id: i64) -> Result<Vec<DeviceRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM devices WHERE area_id = $1 ORDER BY id"
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

/// Notes a sync (outside the audit chain: syncs are reads of no personal
/// data, and far too frequent to chain).
pub async fn touch(db: &Db, id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE devices SET last_sync_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}
