//! Data-subject requests: the register, the bans each request's person
//! matched, and the audit events that returned those bans' data. Every
//! free text and the person's identity stay sealed; this layer never sees
//! them in the clear.

use sqlx::Row;
use time::Date;

use super::areas::{format_date, parse_date};
use super::{Db, Result, StorageError, WriteTx};
use crate::domain::subject_request::{IdentityCheck, RequestKind, RequestStatus};

/// A request as stored.
pub struct RequestRow {
    pub id: i64,
    pub area_id: i64,
    pub record_id: Vec<u8>,
    pub kind: RequestKind,
    pub received_on: Date,
    pub due_on: Date,
    pub identity_check: Option<IdentityCheck>,
    pub sealed_identity_note: Option<Vec<u8>>,
    /// The person as typed or read (sealed); None once purged.
    pub sealed_person: Option<Vec<u8>>,
    pub status: RequestStatus,
    pub extended_to: Option<Date>,
    pub sealed_extension_reason: Option<Vec<u8>>,
    pub extension_told_on: Option<Date>,
    pub sealed_refusal_reason: Option<Vec<u8>>,
    pub closed_on: Option<Date>,
    pub created_by: i64,
    pub created_at: i64,
    pub purged_at: Option<i64>,
}

impl RequestRow {
    /// The day the answer is due: the extended date once extended.
    pub fn answer_due(&self) -> Date {
        self.extended_to.unwrap_or(self.due_on)
    }
}

pub struct NewRequest<'a> {
    pub area_id: i64,
    pub record_id: &'a [u8],
    pub kind: RequestKind,
    pub received_on: Date,
    pub due_on: Date,
    pub identity_check: Option<IdentityCheck>,
    pub sealed_identity_note: Option<&'a [u8]>,
    pub sealed_person: &'a [u8],
    pub status: RequestStatus,
    pub created_by: i64,
}

const COLUMNS: &str = "id, area_id, record_id, kind, received_on, due_on, identity_check, identity_note, person, status, \
     extended_to, extension_reason, extension_told_on, refusal_reason, closed_on, created_by, created_at, purged_at";

fn optional_date(row: &sqlx::any::AnyRow, column: &str) -> Result<Option<Date>> {
    row.try_get::<Option<String>, _>(column)?
        .as_deref()
        .map(parse_date)
        .transpose()
}

fn request_from(row: &sqlx::any::AnyRow) -> Result<RequestRow> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let check: Option<String> = row.try_get("identity_check")?;
    Ok(RequestRow {
        id: row.try_get("id")?,
        area_id: row.try_get("area_id")?,
        record_id: row.try_get("record_id")?,
        kind: RequestKind::parse(&kind).ok_or(StorageError::Inconsistent("request kind"))?,
        received_on: parse_date(&row.try_get::<String, _>("received_on")?)?,
        due_on: parse_date(&row.try_get::<String, _>("due_on")?)?,
        identity_check: check
            .as_deref()
            .map(|c| IdentityCheck::parse(c).ok_or(StorageError::Inconsistent("identity check")))
            .transpose()?,
        sealed_identity_note: row.try_get("identity_note")?,
        sealed_person: row.try_get("person")?,
        status: RequestStatus::parse(&status)
            .ok_or(StorageError::Inconsistent("request status"))?,
        extended_to: optional_date(row, "extended_to")?,
        sealed_extension_reason: row.try_get("extension_reason")?,
        extension_told_on: optional_date(row, "extension_told_on")?,
        sealed_refusal_reason: row.try_get("refusal_reason")?,
        closed_on: optional_date(row, "closed_on")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        purged_at: row.try_get("purged_at")?,
    })
}

/// Registers a request with the bans its person matched exactly.
pub async fn insert(tx: &mut WriteTx, r: &NewRequest<'_>, ban_ids: &[i64]) -> Result<i64> {
    let now = tx.now();
    let row = sqlx::query(
        "INSERT INTO subject_requests (area_id, record_id, kind, received_on, due_on, identity_check, identity_note, person, status, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(r.area_id)
    .bind(r.record_id.to_vec())
    .bind(r.kind.as_str())
    .bind(format_date(r.received_on))
    .bind(format_date(r.due_on))
    .bind(r.identity_check.map(IdentityCheck::as_str))
    .bind(r.sealed_identity_note.map(<[u8]>::to_vec))
    .bind(r.sealed_person.to_vec())
    .bind(r.status.as_str())
    .bind(r.created_by)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    let id: i64 = row.try_get("id")?;
    link_bans(tx, id, ban_ids).await?;
    Ok(id)
}

/// Adds links from a request to bans (those already linked stay).
pub async fn link_bans(tx: &mut WriteTx, request_id: i64, ban_ids: &[i64]) -> Result<()> {
    for ban_id in ban_ids {
        sqlx::query(
            "INSERT INTO subject_request_bans (request_id, ban_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(request_id)
        .bind(*ban_id)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

pub async fn request(db: &Db, id: i64) -> Result<Option<RequestRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM subject_requests WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(request_from).transpose()
}

/// An area's requests, open ones first by due date, then closed ones,
/// newest first.
pub async fn in_area(db: &Db, area_id: i64) -> Result<Vec<RequestRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM subject_requests WHERE area_id = $1 ORDER BY id"
    )))
    .bind(area_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(request_from).collect()
}

/// The bans a request is linked to.
pub async fn ban_ids(db: &Db, request_id: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT ban_id FROM subject_request_bans WHERE request_id = $1 ORDER BY ban_id",
    )
    .bind(request_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<i64, _>("ban_id")?))
        .collect()
}

const OPEN: &str = "status IN ('identity_unverified', 'in_progress')";

/// Records how identity was checked; false unless it was unverified.
pub async fn verify(
    tx: &mut WriteTx,
    id: i64,
    check: IdentityCheck,
    sealed_note: Option<&[u8]>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE subject_requests SET identity_check = $1, identity_note = $2, status = 'in_progress' \
         WHERE id = $3 AND status = 'identity_unverified'",
    )
    .bind(check.as_str())
    .bind(sealed_note.map(<[u8]>::to_vec))
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The one extension; false when already extended or closed.
pub async fn extend(
    tx: &mut WriteTx,
    id: i64,
    extended_to: Date,
    sealed_reason: &[u8],
    told_on: Date,
) -> Result<bool> {
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE subject_requests SET extended_to = $1, extension_reason = $2, extension_told_on = $3 \
         WHERE id = $4 AND extended_to IS NULL AND {OPEN}"
    )))
    .bind(format_date(extended_to))
    .bind(sealed_reason.to_vec())
    .bind(format_date(told_on))
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes an open request as completed or refused (with a sealed reason).
pub async fn close(
    tx: &mut WriteTx,
    id: i64,
    status: RequestStatus,
    on: Date,
    sealed_refusal_reason: Option<&[u8]>,
) -> Result<bool> {
    if !status.is_closed() {
        return Err(StorageError::Inconsistent(
            "a request closes as completed or refused",
        ));
    }
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE subject_requests SET status = $1, closed_on = $2, refusal_reason = $3 WHERE id = $4 AND {OPEN}"
    )))
    .bind(status.as_str())
    .bind(format_date(on))
    .bind(sealed_refusal_reason.map(<[u8]>::to_vec))
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closed requests whose identifying data is past the area's retention
/// (closed longer ago than `retention_days`), not yet purged.
pub async fn purgeable(tx: &mut WriteTx, today: Date) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT r.id, r.area_id, r.closed_on, a.retention_days FROM subject_requests r JOIN areas a ON a.id = r.area_id \
         WHERE r.purged_at IS NULL AND r.closed_on IS NOT NULL ORDER BY r.id",
    )
    .fetch_all(tx.conn())
    .await?;
    let mut out = Vec::new();
    for row in rows {
        let retention: i64 = row.try_get("retention_days")?;
        let closed_on = parse_date(&row.try_get::<String, _>("closed_on")?)?;
        if closed_on + time::Duration::days(retention) < today {
            out.push((row.try_get("id")?, row.try_get("area_id")?));
        }
    }
    Ok(out)
}

/// Forgets everything of a closed request but its kind, dates and outcome.
pub async fn purge(tx: &mut WriteTx, id: i64) -> Result<()> {
    let now = tx.now();
    sqlx::query("DELETE FROM subject_request_bans WHERE request_id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "UPDATE subject_requests SET identity_note = NULL, person = NULL, extension_reason = NULL, \
         refusal_reason = NULL, purged_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One audit event that returned a ban's personal data.
pub struct BanRead {
    pub ban_id: i64,
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
}

/// Every indexed event that named one of `ban_ids`, oldest first.
pub async fn reads_of(db: &Db, ban_ids: &[i64]) -> Result<Vec<BanRead>> {
    if ban_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ban_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT x.ban_id, e.seq, e.at, e.actor, e.action FROM audit_event_bans x JOIN audit_events e ON e.seq = x.seq \
         WHERE x.ban_id IN ({}) ORDER BY e.seq, x.ban_id",
        placeholders.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ban_ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| {
            Ok(BanRead {
                ban_id: r.try_get("ban_id")?,
                seq: r.try_get("seq")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
            })
        })
        .collect()
}

/// Each request's kind, receipt day, status and closing day (for the
/// monthly figures; these survive the purge).
pub async fn figures(
    db: &Db,
    area_id: i64,
) -> Result<Vec<(RequestKind, Date, RequestStatus, Option<Date>)>> {
    let rows = sqlx::query(
        "SELECT kind, received_on, status, closed_on FROM subject_requests WHERE area_id = $1 ORDER BY id",
    )
    .bind(area_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let status: String = r.try_get("status")?;
            Ok((
                RequestKind::parse(&kind).ok_or(StorageError::Inconsistent("request kind"))?,
                parse_date(&r.try_get::<String, _>("received_on")?)?,
                RequestStatus::parse(&status)
                    .ok_or(StorageError::Inconsistent("request status"))?,
                optional_date(r, "closed_on")?,
            ))
        })
        .collect()
}

/// An account's role, if it still exists (for the export's readers).
pub async fn account_role(db: &Db, account_id: i64) -> Result<Option<String>> {
    let row = sqlx::query("SELECT role FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Ok(r.try_get::<String, _>("role")?)).transpose()
}
