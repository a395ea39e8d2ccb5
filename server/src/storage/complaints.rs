//! Complaints against bans. Their texts stay sealed here; the services
//! open them. A complaint outlives its ban: the ban's purge keeps only the
//! dates, the lateness and the outcome ([`forget_ban`]).

use std::collections::BTreeMap;

use sqlx::Row;
use time::Date;

use super::areas::{format_date, parse_date};
use super::{Db, Result, StorageError, WriteTx};
use crate::domain::complaint::Outcome;

/// A complaint as stored.
pub struct ComplaintRow {
    pub id: i64,
    pub area_id: i64,
    /// None once the ban was purged.
    pub ban_id: Option<i64>,
    pub record_id: Vec<u8>,
    pub received_on: Date,
    pub late: bool,
    pub decide_by: Date,
    pub sealed_summary: Option<Vec<u8>>,
    pub extension_days: Option<i64>,
    pub sealed_extension_reason: Option<Vec<u8>>,
    pub extended_on: Option<Date>,
    pub outcome: Option<Outcome>,
    pub sealed_reasoning: Option<Vec<u8>>,
    pub decided_on: Option<Date>,
    pub decided_by: Option<i64>,
    pub created_at: i64,
}

pub struct NewComplaint<'a> {
    pub area_id: i64,
    pub ban_id: i64,
    pub record_id: &'a [u8],
    pub received_on: Date,
    pub late: bool,
    pub decide_by: Date,
    pub sealed_summary: &'a [u8],
    pub recorded_by: i64,
}

const COLUMNS: &str = "id, area_id, ban_id, record_id, received_on, late, decide_by, summary, extension_days, \
     extension_reason, extended_on, outcome, reasoning, decided_on, decided_by, created_at";

fn optional_date(row: &sqlx::any::AnyRow, column: &str) -> Result<Option<Date>> {
    row.try_get::<Option<String>, _>(column)?
        .as_deref()
        .map(parse_date)
        .transpose()
}

fn complaint_from(row: &sqlx::any::AnyRow) -> Result<ComplaintRow> {
    let outcome: Option<String> = row.try_get("outcome")?;
    Ok(ComplaintRow {
        id: row.try_get("id")?,
        area_id: row.try_get("area_id")?,
        ban_id: row.try_get("ban_id")?,
        record_id: row.try_get("record_id")?,
        received_on: parse_date(&row.try_get::<String, _>("received_on")?)?,
        late: row.try_get::<i64, _>("late")? != 0,
        decide_by: parse_date(&row.try_get::<String, _>("decide_by")?)?,
        sealed_summary: row.try_get("summary")?,
        extension_days: row.try_get("extension_days")?,
        sealed_extension_reason: row.try_get("extension_reason")?,
        extended_on: optional_date(row, "extended_on")?,
        outcome: outcome
            .map(|o| Outcome::parse(&o).ok_or(StorageError::Inconsistent("complaint outcome")))
            .transpose()?,
        sealed_reasoning: row.try_get("reasoning")?,
        decided_on: optional_date(row, "decided_on")?,
        decided_by: row.try_get("decided_by")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn insert(tx: &mut WriteTx, c: &NewComplaint<'_>) -> Result<i64> {
    let now = tx.now();
    let row = sqlx::query(
        "INSERT INTO complaints (area_id, ban_id, record_id, received_on, late, decide_by, summary, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(c.area_id)
    .bind(c.ban_id)
    .bind(c.record_id.to_vec())
    .bind(format_date(c.received_on))
    .bind(i64::from(c.late))
    .bind(format_date(c.decide_by))
    .bind(c.sealed_summary.to_vec())
    .bind(c.recorded_by)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(row.try_get("id")?)
}

pub async fn complaint(db: &Db, id: i64) -> Result<Option<ComplaintRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM complaints WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(complaint_from).transpose()
}

/// Every complaint of an area, oldest first.
pub async fn in_area(db: &Db, area_id: i64) -> Result<Vec<ComplaintRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM complaints WHERE area_id = $1 ORDER BY id"
    )))
    .bind(area_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(complaint_from).collect()
}

/// The complaints about one ban, oldest first.
pub async fn for_ban(db: &Db, ban_id: i64) -> Result<Vec<ComplaintRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM complaints WHERE ban_id = $1 ORDER BY id"
    )))
    .bind(ban_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(complaint_from).collect()
}

/// Whether the ban has an undecided complaint, read inside a write.
pub async fn has_open(tx: &mut WriteTx, ban_id: i64) -> Result<bool> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM complaints WHERE ban_id = $1 AND outcome IS NULL")
            .bind(ban_id)
            .fetch_one(tx.conn())
            .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// Records the one extension; false when already extended or decided.
pub async fn set_extension(
    tx: &mut WriteTx,
    id: i64,
    days: i64,
    decide_by: Date,
    sealed_reason: &[u8],
    on: Date,
    by: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE complaints SET extension_days = $1, decide_by = $2, extension_reason = $3, extended_on = $4, extended_by = $5 \
         WHERE id = $6 AND extension_days IS NULL AND outcome IS NULL",
    )
    .bind(days)
    .bind(format_date(decide_by))
    .bind(sealed_reason.to_vec())
    .bind(format_date(on))
    .bind(by)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the decision; false when already decided.
pub async fn set_decision(
    tx: &mut WriteTx,
    id: i64,
    outcome: Outcome,
    sealed_reasoning: &[u8],
    on: Date,
    by: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE complaints SET outcome = $1, reasoning = $2, decided_on = $3, decided_by = $4 \
         WHERE id = $5 AND outcome IS NULL",
    )
    .bind(outcome.as_str())
    .bind(sealed_reasoning.to_vec())
    .bind(format_date(on))
    .bind(by)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// At the ban's purge: its complaints keep only their dates, lateness and
/// outcome; the link to the ban, the sealed texts and who handled them go.
pub async fn forget_ban(tx: &mut WriteTx, ban_id: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE complaints SET ban_id = NULL, summary = NULL, extension_reason = NULL, reasoning = NULL, \
         recorded_by = NULL, extended_by = NULL, decided_by = NULL WHERE ban_id = $1",
    )
    .bind(ban_id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

/// Complaints of an area per month of receipt: (`YYYY-MM`, received,
/// upheld, rejected), oldest month first. Counts survive the bans' purge.
pub async fn complaints_per_month(db: &Db, area_id: i64) -> Result<Vec<(String, i64, i64, i64)>> {
    let rows = sqlx::query("SELECT received_on, outcome FROM complaints WHERE area_id = $1")
        .bind(area_id)
        .fetch_all(db.pool())
        .await?;
    let mut months: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for row in rows {
        let received = parse_date(&row.try_get::<String, _>("received_on")?)?;
        let month = format!("{:04}-{:02}", received.year(), u8::from(received.month()));
        let outcome: Option<String> = row.try_get("outcome")?;
        let entry = months.entry(month).or_default();
        entry.0 += 1;
        match outcome.as_deref().and_then(Outcome::parse) {
            Some(Outcome::Upheld) => entry.1 += 1,
            Some(Outcome::Rejected) => entry.2 += 1,
            None => {}
        }
    }
    Ok(months
        .into_iter()
        .map(|(m, (r, u, j))| (m, r, u, j))
        .collect())
}
