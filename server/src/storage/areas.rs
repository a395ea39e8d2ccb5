//! Municipalities, areas with their protocol and identity keys, and the
//! protocol's offence categories.

use sqlx::Row;
use time::Date;

use super::{Db, Result, StorageError, WriteTx};
use crate::domain::protocol::{Durations, Permit, ProtocolSettings};
use crate::domain::repeat::{RepeatRules, ReviewRules};

pub struct AreaRow {
    pub id: i64,
    pub municipality_id: i64,
    pub name: String,
    pub permit: Option<Permit>,
    pub settings: ProtocolSettings,
}

pub struct CategoryRow {
    pub id: i64,
    pub area_id: i64,
    pub code: String,
    pub name: String,
    pub durations: Durations,
    /// Since when no new ban may choose it (its bans stay).
    pub retired_on: Option<Date>,
    /// What the offence is, for the letter (migration 0071).
    pub description_nl: Option<String>,
    pub description_en: Option<String>,
}

pub fn parse_date(text: &str) -> Result<Date> {
    cho_core::dates::parse_iso_date(text, "stored date")
        .map_err(|_| StorageError::Inconsistent("stored date"))
}

pub fn format_date(date: Date) -> String {
    cho_core::dates::format_iso_date(date)
}

pub async fn create_municipality(tx: &mut WriteTx, name: &str) -> Result<i64> {
    let now = tx.now();
    let row =
        sqlx::query("INSERT INTO municipalities (name, created_at) VALUES ($1, $2) RETURNING id")
            .bind(name)
            .bind(now)
            .fetch_one(tx.conn())
            .await?;
    Ok(row.try_get("id")?)
}

pub async fn municipalities(db: &Db) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query("SELECT id, name FROM municipalities ORDER BY id")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect()
}

pub async fn create_area(
    tx: &mut WriteTx,
    municipality_id: i64,
    name: &str,
    settings: &ProtocolSettings,
) -> Result<i64> {
    let now = tx.now();
    let row = sqlx::query(
        "INSERT INTO areas (municipality_id, name, complaint_window_days, retention_days, max_list_age_seconds, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(municipality_id)
    .bind(name)
    .bind(settings.complaint_window_days)
    .bind(settings.retention_days)
    .bind(settings.max_list_age_seconds)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(row.try_get("id")?)
}

pub async fn set_permit(tx: &mut WriteTx, area_id: i64, permit: &Permit) -> Result<bool> {
    let done = sqlx::query("UPDATE areas SET permit_reference = $1, permit_granted_on = $2, permit_expires_on = $3 WHERE id = $4")
        .bind(permit.reference.as_str())
        .bind(format_date(permit.granted_on))
        .bind(format_date(permit.expires_on))
        .bind(area_id)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_settings(tx: &mut WriteTx, area_id: i64, s: &ProtocolSettings) -> Result<bool> {
    let done = sqlx::query("UPDATE areas SET complaint_window_days = $1, retention_days = $2, max_list_age_seconds = $3 WHERE id = $4")
        .bind(s.complaint_window_days)
        .bind(s.retention_days)
        .bind(s.max_list_age_seconds)
        .bind(area_id)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Four-eyes and the repeat rules of an area (issue 9 items 5 and 6);
/// `None` for a missing area.
pub async fn review_rules(db: &Db, area_id: i64) -> Result<Option<ReviewRules>> {
    let row = sqlx::query(
        "SELECT four_eyes, repeat_breach_days, repeat_count, repeat_lookback_days FROM areas WHERE id = $1",
    )
    .bind(area_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        Ok(ReviewRules {
            four_eyes: r.try_get::<i64, _>("four_eyes")? != 0,
            repeat: RepeatRules {
                breach_days: r.try_get("repeat_breach_days")?,
                repeat_count: r.try_get("repeat_count")?,
                lookback_days: r.try_get("repeat_lookback_days")?,
            },
        })
    })
    .transpose()
}

pub async fn set_review_rules(tx: &mut WriteTx, area_id: i64, rules: &ReviewRules) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE areas SET four_eyes = $1, repeat_breach_days = $2, repeat_count = $3, repeat_lookback_days = $4 WHERE id = $5",
    )
    .bind(i64::from(rules.four_eyes))
    .bind(rules.repeat.breach_days)
    .bind(rules.repeat.repeat_count)
    .bind(rules.repeat.lookback_days)
    .bind(area_id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

const AREA_COLUMNS: &str = "id, municipality_id, name, permit_reference, permit_granted_on, permit_expires_on, \
     complaint_window_days, retention_days, max_list_age_seconds";

fn area_from(row: &sqlx::any::AnyRow) -> Result<AreaRow> {
    let reference: Option<String> = row.try_get("permit_reference")?;
    let granted: Option<String> = row.try_get("permit_granted_on")?;
    let expires: Option<String> = row.try_get("permit_expires_on")?;
    let permit = match (reference, granted, expires) {
        (Some(r), Some(g), Some(e)) => Some(Permit {
            reference: r,
            granted_on: parse_date(&g)?,
            expires_on: parse_date(&e)?,
        }),
        _ => None,
    };
    Ok(AreaRow {
        id: row.try_get("id")?,
        municipality_id: row.try_get("municipality_id")?,
        name: row.try_get("name")?,
        permit,
        settings: ProtocolSettings {
            complaint_window_days: row.try_get("complaint_window_days")?,
            retention_days: row.try_get("retention_days")?,
            max_list_age_seconds: row.try_get("max_list_age_seconds")?,
        },
    })
}

pub async fn area(db: &Db, id: i64) -> Result<Option<AreaRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {AREA_COLUMNS} FROM areas WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(area_from).transpose()
}

pub async fn areas(db: &Db) -> Result<Vec<AreaRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {AREA_COLUMNS} FROM areas ORDER BY id"
    )))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(area_from).collect()
}

/// Stores an identity key of the area, sealed under the master key.
pub async fn add_identity_key(
    tx: &mut WriteTx,
    area_id: i64,
    epoch: i64,
    sealed_key: &[u8],
) -> Result<()> {
    let now = tx.now();
    sqlx::query(
        "INSERT INTO area_keys (area_id, epoch, sealed_key, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(area_id)
    .bind(epoch)
    .bind(sealed_key.to_vec())
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The current (highest) epoch's sealed identity key.
///
/// Read on `conn`: the pool, or a write transaction's own connection (a
/// write must never wait for a second connection of the pool while it
/// holds one: enough writers at once would hold them all).
pub async fn current_identity_key<'c, E>(conn: E, area_id: i64) -> Result<Option<(i64, Vec<u8>)>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT epoch, sealed_key FROM area_keys WHERE area_id = $1 ORDER BY epoch DESC LIMIT 1",
    )
    .bind(area_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((r.try_get("epoch")?, r.try_get("sealed_key")?)))
        .transpose()
}

/// Deletes the area's identity keys of epochs before `epoch`.
pub async fn delete_identity_keys_before(tx: &mut WriteTx, area_id: i64, epoch: i64) -> Result<()> {
    sqlx::query("DELETE FROM area_keys WHERE area_id = $1 AND epoch < $2")
        .bind(area_id)
        .bind(epoch)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn create_category(
    tx: &mut WriteTx,
    area_id: i64,
    code: &str,
    name: &str,
    d: &Durations,
) -> Result<i64> {
    let row = sqlx::query("INSERT INTO offence_categories (area_id, code, name, default_days, max_days) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(area_id)
        .bind(code)
        .bind(name)
        .bind(d.default_days)
        .bind(d.max_days)
        .fetch_one(tx.conn())
        .await?;
    Ok(row.try_get("id")?)
}

fn category_from(row: &sqlx::any::AnyRow) -> Result<CategoryRow> {
    let retired: Option<String> = row.try_get("retired_on")?;
    Ok(CategoryRow {
        retired_on: retired.as_deref().map(parse_date).transpose()?,
        id: row.try_get("id")?,
        area_id: row.try_get("area_id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        durations: Durations {
            default_days: row.try_get("default_days")?,
            max_days: row.try_get("max_days")?,
        },
        description_nl: row.try_get("description_nl")?,
        description_en: row.try_get("description_en")?,
    })
}

const CATEGORY_COLUMNS: &str =
    "id, area_id, code, name, default_days, max_days, retired_on, description_nl, description_en";

/// The area's categories, retired ones included.
pub async fn categories(db: &Db, area_id: i64) -> Result<Vec<CategoryRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CATEGORY_COLUMNS} FROM offence_categories WHERE area_id = $1 ORDER BY code"
    )))
    .bind(area_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(category_from).collect()
}

pub async fn category(db: &Db, id: i64) -> Result<Option<CategoryRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CATEGORY_COLUMNS} FROM offence_categories WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(category_from).transpose()
}

/// Changes a category's name and durations (bans already issued keep
/// their end dates).
pub async fn update_category(tx: &mut WriteTx, id: i64, name: &str, d: &Durations) -> Result<()> {
    sqlx::query(
        "UPDATE offence_categories SET name = $1, default_days = $2, max_days = $3 WHERE id = $4",
    )
    .bind(name)
    .bind(d.default_days)
    .bind(d.max_days)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Sets a category's description in one language (`description_nl` or
/// `description_en`; `None` clears it).
pub async fn set_category_description(
    tx: &mut WriteTx,
    id: i64,
    column: &'static str,
    text: Option<&str>,
) -> Result<()> {
    if !matches!(column, "description_nl" | "description_en") {
        return Err(super::StorageError::Inconsistent("category text column"));
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE offence_categories SET {column} = $1 WHERE id = $2"
    )))
    .bind(text)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Retires a category as of `on`.
pub async fn retire_category(tx: &mut WriteTx, id: i64, on: Date) -> Result<()> {
    sqlx::query("UPDATE offence_categories SET retired_on = $1 WHERE id = $2")
        .bind(format_date(on))
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
