//! Bans, their identity tokens, and the anonymous statistics left when a
//! ban's data is purged.

use sqlx::Row;
use time::Date;

use super::areas::{format_date, parse_date};
use super::{Db, Result, StorageError, WriteTx};
use crate::domain::ban::BanStatus;
use crate::domain::notice::NoticeMethod;

/// A ban as stored; the personal data stays sealed.
pub struct BanRow {
    pub id: i64,
    pub area_id: i64,
    pub venue_id: i64,
    pub category_id: i64,
    pub issued_by: i64,
    pub starts_on: Date,
    pub ends_on: Date,
    pub stored_status: String,
    pub status_changed_at: Option<i64>,
    /// A plain reason of an earlier version, waiting to be sealed at start
    /// (migration 0111); None once sealed.
    pub legacy_status_reason: Option<String>,
    /// The revocation (or refusal, or decision) reason, sealed with
    /// `seal_ban_text(.., "status_reason", ..)`.
    pub sealed_status_reason: Option<Vec<u8>>,
    pub incident_at: i64,
    pub heard: bool,
    pub notice: Option<StoredNotice>,
    /// A free-text notification method of the first version, waiting to be
    /// sealed into the notice's note at start (migration 0070).
    pub legacy_notice_text: Option<String>,
    pub name_truncated: bool,
    pub sealed_personal_data: Vec<u8>,
    /// Random, fixed before insert, bound into the sealed data's associated
    /// data; None only for a row sealed before that (re-sealed at start).
    pub record_id: Option<Vec<u8>>,
    pub created_at: i64,
    /// The repeat rule that set the period (`breach`, `repeat`), if any.
    pub repeat_rule: Option<String>,
    /// Recorded by the beheerder on the venue owner's instruction.
    pub on_behalf: bool,
}

impl BanRow {
    pub fn status(&self, today: Date) -> Result<BanStatus> {
        BanStatus::derive(&self.stored_status, self.ends_on, today)
            .ok_or(StorageError::Inconsistent("ban status"))
    }
}

/// The notice of a ban as stored: its note stays sealed.
pub struct StoredNotice {
    pub notified_on: Date,
    pub method: NoticeMethod,
    pub sealed_note: Option<Vec<u8>>,
    pub recorded_by: Option<i64>,
    pub recorded_at: Option<i64>,
}

/// A notice to record (at issue, or later).
pub struct NewNotice<'a> {
    pub notified_on: Date,
    pub method: NoticeMethod,
    pub sealed_note: Option<&'a [u8]>,
}

pub struct NewBan<'a> {
    pub area_id: i64,
    pub venue_id: i64,
    pub category_id: i64,
    pub issued_by: i64,
    pub starts_on: Date,
    pub ends_on: Date,
    pub incident_at: i64,
    pub heard: bool,
    pub notice: Option<NewNotice<'a>>,
    pub name_truncated: bool,
    pub sealed_personal_data: &'a [u8],
    pub record_id: &'a [u8],
    /// Four-eyes: `requested` waits for the beheerder; else `active`.
    pub requested: bool,
    pub repeat_rule: Option<&'static str>,
    pub on_behalf: bool,
}

/// One identity token of a ban under one key epoch.
pub struct StoredToken {
    pub key_epoch: i64,
    pub token: [u8; 16],
    pub strength: u8,
}

pub async fn insert(tx: &mut WriteTx, ban: &NewBan<'_>, tokens: &[StoredToken]) -> Result<i64> {
    let now = tx.now();
    let row = sqlx::query(
        "INSERT INTO bans (area_id, venue_id, category_id, issued_by, starts_on, ends_on, status, incident_at, heard, \
         notice_on, notice_method, notice_note, notice_recorded_by, notice_recorded_at, name_truncated, personal_data, created_at, record_id, \
         repeat_rule, on_behalf) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id",
    )
    .bind(ban.area_id)
    .bind(ban.venue_id)
    .bind(ban.category_id)
    .bind(ban.issued_by)
    .bind(format_date(ban.starts_on))
    .bind(format_date(ban.ends_on))
    .bind(if ban.requested { "requested" } else { "active" })
    .bind(ban.incident_at)
    .bind(i64::from(ban.heard))
    .bind(ban.notice.as_ref().map(|n| format_date(n.notified_on)))
    .bind(ban.notice.as_ref().map(|n| n.method.as_str()))
    .bind(ban.notice.as_ref().and_then(|n| n.sealed_note.map(<[u8]>::to_vec)))
    .bind(ban.notice.as_ref().map(|_| ban.issued_by))
    .bind(ban.notice.as_ref().map(|_| now))
    .bind(i64::from(ban.name_truncated))
    .bind(ban.sealed_personal_data.to_vec())
    .bind(now)
    .bind(ban.record_id.to_vec())
    .bind(ban.repeat_rule)
    .bind(i64::from(ban.on_behalf))
    .fetch_one(tx.conn())
    .await?;
    let id: i64 = row.try_get("id")?;
    add_tokens(tx, id, ban.area_id, tokens).await?;
    Ok(id)
}

const COLUMNS: &str = "id, area_id, venue_id, category_id, issued_by, starts_on, ends_on, status, status_changed_at, status_reason, status_reason_sealed, \
     incident_at, heard, notice_on, notice_method, notice_note, notice_recorded_by, notice_recorded_at, legacy_notice_text, \
     name_truncated, personal_data, created_at, record_id, repeat_rule, on_behalf";

fn ban_from(row: &sqlx::any::AnyRow) -> Result<BanRow> {
    let starts_on: String = row.try_get("starts_on")?;
    let ends_on: String = row.try_get("ends_on")?;
    let notice_on: Option<String> = row.try_get("notice_on")?;
    let notice_method: Option<String> = row.try_get("notice_method")?;
    let notice = match (notice_on, notice_method) {
        (Some(on), Some(method)) => Some(StoredNotice {
            notified_on: parse_date(&on)?,
            method: NoticeMethod::parse(&method)
                .ok_or(StorageError::Inconsistent("notice method"))?,
            sealed_note: row.try_get("notice_note")?,
            recorded_by: row.try_get("notice_recorded_by")?,
            recorded_at: row.try_get("notice_recorded_at")?,
        }),
        (None, None) => None,
        _ => return Err(StorageError::Inconsistent("notice")),
    };
    Ok(BanRow {
        id: row.try_get("id")?,
        area_id: row.try_get("area_id")?,
        venue_id: row.try_get("venue_id")?,
        category_id: row.try_get("category_id")?,
        issued_by: row.try_get("issued_by")?,
        starts_on: parse_date(&starts_on)?,
        ends_on: parse_date(&ends_on)?,
        stored_status: row.try_get("status")?,
        status_changed_at: row.try_get("status_changed_at")?,
        legacy_status_reason: row.try_get("status_reason")?,
        sealed_status_reason: row.try_get("status_reason_sealed")?,
        incident_at: row.try_get("incident_at")?,
        heard: row.try_get::<i64, _>("heard")? != 0,
        notice,
        legacy_notice_text: row.try_get("legacy_notice_text")?,
        name_truncated: row.try_get::<i64, _>("name_truncated")? != 0,
        sealed_personal_data: row.try_get("personal_data")?,
        record_id: row.try_get("record_id")?,
        created_at: row.try_get("created_at")?,
        repeat_rule: row.try_get("repeat_rule")?,
        on_behalf: row.try_get::<i64, _>("on_behalf")? != 0,
    })
}

pub async fn ban(db: &Db, id: i64) -> Result<Option<BanRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bans WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(ban_from).transpose()
}

/// Every ban of an area, read inside a write (key rotation).
pub async fn in_area_for_rehash(tx: &mut WriteTx, area_id: i64) -> Result<Vec<BanRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bans WHERE area_id = $1 ORDER BY id"
    )))
    .bind(area_id)
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(ban_from).collect()
}

pub async fn add_tokens(
    tx: &mut WriteTx,
    ban_id: i64,
    area_id: i64,
    tokens: &[StoredToken],
) -> Result<()> {
    for t in tokens {
        sqlx::query("INSERT INTO ban_tokens (ban_id, area_id, key_epoch, token, strength) VALUES ($1, $2, $3, $4, $5)")
            .bind(ban_id)
            .bind(area_id)
            .bind(t.key_epoch)
            .bind(t.token.to_vec())
            .bind(i64::from(t.strength))
            .execute(tx.conn())
            .await?;
    }
    Ok(())
}

/// Deletes the area's tokens of epochs before `epoch`.
pub async fn delete_tokens_before(tx: &mut WriteTx, area_id: i64, epoch: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM ban_tokens WHERE area_id = $1 AND key_epoch < $2")
        .bind(area_id)
        .bind(epoch)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected())
}

/// Which bans to list. `venue_ids` narrows to an owner's venues.
#[derive(Default)]
pub struct BanFilter {
    pub area_id: Option<i64>,
    pub venue_ids: Option<Vec<i64>>,
    pub status: Option<BanStatus>,
    pub issued_from: Option<i64>,
    pub issued_to: Option<i64>,
    pub limit: i64,
    pub after_id: i64,
}

pub async fn list(db: &Db, filter: &BanFilter, today: Date) -> Result<Vec<BanRow>> {
    // The Any driver's QueryBuilder writes `?` placeholders, which
    // PostgreSQL refuses: number them by hand.
    enum Arg {
        Int(i64),
        Text(String),
    }
    let mut args: Vec<Arg> = Vec::new();
    let next = |args: &mut Vec<Arg>, a: Arg| {
        args.push(a);
        format!("${}", args.len())
    };
    let mut sql = format!(
        "SELECT {COLUMNS} FROM bans WHERE id > {}",
        next(&mut args, Arg::Int(filter.after_id))
    );
    if let Some(area_id) = filter.area_id {
        sql += &format!(" AND area_id = {}", next(&mut args, Arg::Int(area_id)));
    }
    if let Some(venues) = &filter.venue_ids {
        if venues.is_empty() {
            return Ok(Vec::new());
        }
        let p: Vec<String> = venues
            .iter()
            .map(|v| next(&mut args, Arg::Int(*v)))
            .collect();
        sql += &format!(" AND venue_id IN ({})", p.join(", "));
    }
    let today = format_date(today);
    match filter.status {
        Some(BanStatus::Active) => {
            sql += &format!(
                " AND status = 'active' AND ends_on >= {}",
                next(&mut args, Arg::Text(today))
            );
        }
        Some(BanStatus::Expired) => {
            sql += &format!(
                " AND status = 'active' AND ends_on < {}",
                next(&mut args, Arg::Text(today))
            );
        }
        Some(BanStatus::Revoked) => sql += " AND status = 'revoked'",
        Some(BanStatus::Overturned) => sql += " AND status = 'overturned'",
        Some(BanStatus::Requested) => sql += " AND status = 'requested'",
        Some(BanStatus::Rejected) => sql += " AND status = 'rejected'",
        None => {}
    }
    if let Some(from) = filter.issued_from {
        sql += &format!(" AND created_at >= {}", next(&mut args, Arg::Int(from)));
    }
    if let Some(to) = filter.issued_to {
        sql += &format!(" AND created_at < {}", next(&mut args, Arg::Int(to)));
    }
    sql += &format!(
        " ORDER BY id LIMIT {}",
        next(&mut args, Arg::Int(filter.limit))
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in args {
        q = match a {
            Arg::Int(n) => q.bind(n),
            Arg::Text(t) => q.bind(t),
        };
    }
    let rows = q.fetch_all(db.pool()).await?;
    rows.iter().map(ban_from).collect()
}

/// One stored token that equals a looked-up token.
pub struct TokenHit {
    pub ban_id: i64,
    pub token: [u8; 16],
    pub strength: u8,
}

/// The stored tokens of an area's bans that equal any of `tokens` (exact
/// match only: there is no search over names).
pub async fn token_hits(db: &Db, area_id: i64, tokens: &[[u8; 16]]) -> Result<Vec<TokenHit>> {
    if tokens.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..tokens.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT ban_id, token, strength FROM ban_tokens WHERE area_id = $1 AND token IN ({}) ORDER BY ban_id",
        placeholders.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(area_id);
    for t in tokens {
        q = q.bind(t.to_vec());
    }
    let rows = q.fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| {
            let token: Vec<u8> = r.try_get("token")?;
            Ok(TokenHit {
                ban_id: r.try_get("ban_id")?,
                token: token
                    .as_slice()
                    .try_into()
                    .map_err(|_| StorageError::Inconsistent("token length"))?,
                strength: u8::try_from(r.try_get::<i64, _>("strength")?)
                    .map_err(|_| StorageError::Inconsistent("token strength"))?,
            })
        })
        .collect()
}

/// The tokens of one ban under one key epoch, read inside a write.
pub async fn tokens_at_epoch(
    tx: &mut WriteTx,
    ban_id: i64,
    epoch: i64,
) -> Result<Vec<([u8; 16], u8)>> {
    let rows =
        sqlx::query("SELECT token, strength FROM ban_tokens WHERE ban_id = $1 AND key_epoch = $2")
            .bind(ban_id)
            .bind(epoch)
            .fetch_all(tx.conn())
            .await?;
    rows.iter().map(token_from).collect()
}

fn token_from(r: &sqlx::any::AnyRow) -> Result<([u8; 16], u8)> {
    let token: Vec<u8> = r.try_get("token")?;
    Ok((
        token
            .as_slice()
            .try_into()
            .map_err(|_| StorageError::Inconsistent("token length"))?,
        u8::try_from(r.try_get::<i64, _>("strength")?)
            .map_err(|_| StorageError::Inconsistent("token strength"))?,
    ))
}

/// Bans sealed before record ids existed, read inside a write.
pub async fn without_record_id(tx: &mut WriteTx) -> Result<Vec<BanRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bans WHERE record_id IS NULL ORDER BY id"
    )))
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(ban_from).collect()
}

/// Re-seals a legacy row under its new record id (only while it has none).
pub async fn set_record_id(
    tx: &mut WriteTx,
    ban_id: i64,
    record_id: &[u8],
    sealed_personal_data: &[u8],
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE bans SET record_id = $1, personal_data = $2 WHERE id = $3 AND record_id IS NULL",
    )
    .bind(record_id.to_vec())
    .bind(sealed_personal_data.to_vec())
    .bind(ban_id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records (or replaces) the notice of a ban, by `recorded_by` now. A
/// replaced note is overwritten, never kept.
pub async fn set_notice(
    tx: &mut WriteTx,
    ban_id: i64,
    notice: &NewNotice<'_>,
    recorded_by: i64,
) -> Result<bool> {
    let now = tx.now();
    let done = sqlx::query(
        "UPDATE bans SET notice_on = $1, notice_method = $2, notice_note = $3, notice_recorded_by = $4, \
         notice_recorded_at = $5, legacy_notice_text = NULL WHERE id = $6",
    )
    .bind(format_date(notice.notified_on))
    .bind(notice.method.as_str())
    .bind(notice.sealed_note.map(<[u8]>::to_vec))
    .bind(recorded_by)
    .bind(now)
    .bind(ban_id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Bans whose first-version free-text notification method still waits to
/// be sealed (migration 0070), with a record id to bind it to.
pub async fn with_legacy_notice_text(tx: &mut WriteTx) -> Result<Vec<BanRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bans WHERE legacy_notice_text IS NOT NULL AND record_id IS NOT NULL ORDER BY id"
    )))
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(ban_from).collect()
}

/// Stores the sealed note in place of the legacy text, and forgets the text.
pub async fn seal_legacy_notice_text(
    tx: &mut WriteTx,
    ban_id: i64,
    sealed_note: &[u8],
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE bans SET notice_note = $1, legacy_notice_text = NULL WHERE id = $2 AND legacy_notice_text IS NOT NULL",
    )
    .bind(sealed_note.to_vec())
    .bind(ban_id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The tokens of one ban, with their strengths.
pub async fn tokens_of(db: &Db, ban_id: i64) -> Result<Vec<([u8; 16], u8)>> {
    let rows = sqlx::query("SELECT token, strength FROM ban_tokens WHERE ban_id = $1")
        .bind(ban_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            let token: Vec<u8> = r.try_get("token")?;
            Ok((
                token
                    .as_slice()
                    .try_into()
                    .map_err(|_| StorageError::Inconsistent("token length"))?,
                u8::try_from(r.try_get::<i64, _>("strength")?)
                    .map_err(|_| StorageError::Inconsistent("token strength"))?,
            ))
        })
        .collect()
}

/// Replaces a ban's sealed personal data and all its tokens (a
/// rectification): the old tokens are gone, so the next list holds only
/// the corrected identity.
pub async fn rectify(
    tx: &mut WriteTx,
    ban_id: i64,
    area_id: i64,
    sealed_personal_data: &[u8],
    name_truncated: bool,
    tokens: &[StoredToken],
) -> Result<bool> {
    let done = sqlx::query("UPDATE bans SET personal_data = $1, name_truncated = $2 WHERE id = $3")
        .bind(sealed_personal_data.to_vec())
        .bind(i64::from(name_truncated))
        .bind(ban_id)
        .execute(tx.conn())
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM ban_tokens WHERE ban_id = $1")
        .bind(ban_id)
        .execute(tx.conn())
        .await?;
    add_tokens(tx, ban_id, area_id, tokens).await?;
    Ok(true)
}

/// Bans whose plain status reason of an earlier version still waits to be
/// sealed (migration 0111), with a record id to bind it to.
pub async fn with_legacy_status_reason(tx: &mut WriteTx) -> Result<Vec<BanRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bans WHERE status_reason IS NOT NULL AND record_id IS NOT NULL ORDER BY id"
    )))
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(ban_from).collect()
}

/// Stores the sealed reason in place of the plain one, and forgets it.
pub async fn seal_legacy_status_reason(
    tx: &mut WriteTx,
    ban_id: i64,
    sealed_reason: &[u8],
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE bans SET status_reason_sealed = $1, status_reason = NULL WHERE id = $2 AND status_reason IS NOT NULL",
    )
    .bind(sealed_reason.to_vec())
    .bind(ban_id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves an active ban to `revoked` or `overturned` with its reason, sealed
/// by the caller (`services::bans::seal_ban_text(.., "status_reason", ..)`);
/// false when it was not active.
pub async fn end(
    tx: &mut WriteTx,
    id: i64,
    status: BanStatus,
    sealed_reason: &[u8],
) -> Result<bool> {
    let status = match status {
        BanStatus::Revoked => "revoked",
        BanStatus::Overturned => "overturned",
        _ => {
            return Err(StorageError::Inconsistent(
                "a ban can only be ended by revocation or on complaint",
            ));
        }
    };
    let now = tx.now();
    let done = sqlx::query("UPDATE bans SET status = $1, status_changed_at = $2, status_reason = NULL, status_reason_sealed = $3 WHERE id = $4 AND status = 'active'")
        .bind(status)
        .bind(now)
        .bind(sealed_reason.to_vec())
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Four-eyes: a requested ban becomes active with the period it holds
/// from its approval; false when it was not requested (any more).
pub async fn approve(
    tx: &mut WriteTx,
    id: i64,
    starts_on: Date,
    ends_on: Date,
    repeat_rule: Option<&'static str>,
) -> Result<bool> {
    let now = tx.now();
    let done = sqlx::query(
        "UPDATE bans SET status = 'active', status_changed_at = $1, starts_on = $2, ends_on = $3, \
         repeat_rule = $4 WHERE id = $5 AND status = 'requested'",
    )
    .bind(now)
    .bind(format_date(starts_on))
    .bind(format_date(ends_on))
    .bind(repeat_rule)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Four-eyes: a requested ban is rejected with a sealed reason; false when
/// it was not requested (any more).
pub async fn reject(tx: &mut WriteTx, id: i64, sealed_reason: &[u8]) -> Result<bool> {
    let now = tx.now();
    let done = sqlx::query(
        "UPDATE bans SET status = 'rejected', status_changed_at = $1, status_reason_sealed = $2 \
         WHERE id = $3 AND status = 'requested'",
    )
    .bind(now)
    .bind(sealed_reason.to_vec())
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The one definition of an active ban on a day (bound as `$1`, the bans
/// table aliased `b`): not revoked or overturned, last day not passed. The
/// metrics gauge, the statistics and the overviews all count with it.
const ACTIVE_ON_DAY_1: &str = "b.status = 'active' AND b.ends_on >= $1";

/// Active bans per area, for metrics.
pub async fn active_counts(db: &Db, today: Date) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT b.area_id, COUNT(*) AS n FROM bans b WHERE {ACTIVE_ON_DAY_1} GROUP BY b.area_id ORDER BY b.area_id"
    )))
        .bind(format_date(today))
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("area_id")?, r.try_get("n")?)))
        .collect()
}

/// Active bans of an area on `today` per (category, venue), as
/// (category id, venue id, count).
pub async fn active_by_category_and_venue(
    db: &Db,
    area_id: i64,
    today: Date,
) -> Result<Vec<(i64, i64, i64)>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT b.category_id, b.venue_id, COUNT(*) AS n FROM bans b WHERE {ACTIVE_ON_DAY_1} AND b.area_id = $2 \
         GROUP BY b.category_id, b.venue_id ORDER BY b.category_id, b.venue_id"
    )))
    .bind(format_date(today))
    .bind(area_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("category_id")?,
                r.try_get("venue_id")?,
                r.try_get("n")?,
            ))
        })
        .collect()
}

/// What the statistics count of a ban: one figure in one month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Figure {
    /// Issued (put on the list), in the month of issue.
    Issued,
    /// Ran to its last day, in the month of that day.
    Expired,
    /// Revoked by its owner or the beheerder, in the month of revocation.
    Revoked,
    /// Overturned on a complaint, in the month of the decision.
    Overturned,
}

impl Figure {
    pub const ALL: [Self; 4] = [Self::Issued, Self::Expired, Self::Revoked, Self::Overturned];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Overturned => "overturned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// What the statistics need of a stored ban (nothing personal).
pub struct BanFacts {
    pub category_id: i64,
    pub venue_id: i64,
    pub created_at: i64,
    pub ends_on: Date,
    pub stored_status: String,
    pub status_changed_at: Option<i64>,
}

fn facts_from(r: &sqlx::any::AnyRow) -> Result<BanFacts> {
    Ok(BanFacts {
        category_id: r.try_get("category_id")?,
        venue_id: r.try_get("venue_id")?,
        created_at: r.try_get("created_at")?,
        ends_on: parse_date(&r.try_get::<String, _>("ends_on")?)?,
        stored_status: r.try_get("status")?,
        status_changed_at: r.try_get("status_changed_at")?,
    })
}

/// Every stored ban of an area, as the statistics see it.
pub async fn facts(db: &Db, area_id: i64) -> Result<Vec<BanFacts>> {
    let rows = sqlx::query(
        "SELECT category_id, venue_id, created_at, ends_on, status, status_changed_at FROM bans WHERE area_id = $1",
    )
    .bind(area_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(facts_from).collect()
}

/// The one definition of what a ban counts as, and in which month (`YYYY-MM`
/// in the Netherlands), on `today`: used for stored bans by the statistics
/// and for a purged ban's anonymous counts, so a figure never changes when
/// a ban is purged. A ban still requested or rejected (four-eyes) was never
/// issued and counts nothing.
pub fn figures(ban: &BanFacts, today: Date) -> Result<Vec<(Figure, String)>> {
    let ended_at = |what: &'static str| -> Result<String> {
        issue_month(ban.status_changed_at.unwrap_or(ban.created_at))
            .map_err(|_| StorageError::Inconsistent(what))
    };
    let mut out = Vec::new();
    match ban.stored_status.as_str() {
        "requested" | "rejected" => return Ok(out),
        "active" | "revoked" | "overturned" => {
            out.push((Figure::Issued, issue_month(ban.created_at)?));
        }
        _ => return Err(StorageError::Inconsistent("ban status")),
    }
    match ban.stored_status.as_str() {
        "active" if ban.ends_on < today => out.push((
            Figure::Expired,
            format!(
                "{:04}-{:02}",
                ban.ends_on.year(),
                u8::from(ban.ends_on.month())
            ),
        )),
        "revoked" => out.push((Figure::Revoked, ended_at("revocation time")?)),
        "overturned" => out.push((Figure::Overturned, ended_at("decision time")?)),
        _ => {}
    }
    Ok(out)
}

/// `YYYY-MM` of the day a ban was issued (in the Netherlands): the month
/// the statistics count a ban in, alive or purged.
pub fn issue_month(created_at: i64) -> Result<String> {
    let day = cho_core::dates::door_date(created_at)
        .map_err(|_| StorageError::Inconsistent("ban issue time"))?;
    Ok(format!("{:04}-{:02}", day.year(), u8::from(day.month())))
}

/// A ban past its retention: its id, area, venue, category, and the
/// figures it counts as (kept as anonymous counts when it is purged).
pub struct Purgeable {
    pub id: i64,
    pub area_id: i64,
    pub venue_id: i64,
    pub category_id: i64,
    pub figures: Vec<(Figure, String)>,
    /// When its data stopped being needed on a list: a list version
    /// issued before this may hold its tokens.
    pub off_list_at: i64,
    /// False for a ban that was never on a list (requested or rejected
    /// under four-eyes): no list needs to forget it.
    pub was_listed: bool,
}

/// Bans that ended (last day passed, revoked or overturned) longer ago than
/// their area's retention period, and requested bans (four-eyes) nobody
/// decided within `repeat::UNDECIDED_REQUEST_DAYS` of the request, but for
/// those a data-subject request
/// still open is about (kept until it is answered) and those with an
/// undecided complaint (its texts are needed for the decision).
pub async fn purgeable(tx: &mut WriteTx, today: Date) -> Result<Vec<Purgeable>> {
    let now = tx.now();
    let rows = sqlx::query(
        "SELECT b.id, b.area_id, b.venue_id, b.category_id, b.created_at, b.ends_on, b.status, b.status_changed_at, a.retention_days \
         FROM bans b JOIN areas a ON a.id = b.area_id \
         WHERE NOT EXISTS (SELECT 1 FROM subject_request_bans l JOIN subject_requests r ON r.id = l.request_id \
                           WHERE l.ban_id = b.id AND r.status IN ('identity_unverified', 'in_progress')) \
         AND NOT EXISTS (SELECT 1 FROM complaints c WHERE c.ban_id = b.id AND c.outcome IS NULL) \
         ORDER BY b.id",
    )
    .fetch_all(tx.conn())
    .await?;
    let mut out = Vec::new();
    for row in rows {
        let retention: i64 = row.try_get("retention_days")?;
        let facts = facts_from(&row)?;
        let ended_long_ago = match facts.stored_status.as_str() {
            // The ban's last day plus the retention has passed.
            "active" => facts.ends_on + time::Duration::days(retention) < today,
            // Four-eyes: a request nobody decided goes a fixed time after
            // it was made (it was never on a list).
            "requested" => {
                facts.created_at + crate::domain::repeat::UNDECIDED_REQUEST_DAYS * 86_400 <= now
            }
            _ => facts
                .status_changed_at
                .is_some_and(|at| at + retention * 86_400 <= now),
        };
        if ended_long_ago {
            out.push(purgeable_from(&row, &facts, today, now)?);
        }
    }
    Ok(out)
}

fn purgeable_from(
    row: &sqlx::any::AnyRow,
    facts: &BanFacts,
    today: Date,
    now: i64,
) -> Result<Purgeable> {
    // The day after the last day, at its latest (UTC+2) end: a version
    // issued until then may list it.
    let off_list_at = match facts.stored_status.as_str() {
        "active" => (facts.ends_on + time::Duration::days(2))
            .midnight()
            .assume_utc()
            .unix_timestamp(),
        _ => facts.status_changed_at.unwrap_or(now),
    };
    Ok(Purgeable {
        id: row.try_get("id")?,
        area_id: row.try_get("area_id")?,
        venue_id: facts.venue_id,
        category_id: facts.category_id,
        figures: figures(facts, today)?,
        off_list_at: off_list_at.min(now),
        was_listed: !matches!(facts.stored_status.as_str(), "requested" | "rejected"),
    })
}

/// One ban as the purge would take it, now (an erasure on request).
pub async fn erasable(tx: &mut WriteTx, ban_id: i64, today: Date) -> Result<Option<Purgeable>> {
    let now = tx.now();
    let row = sqlx::query(
        "SELECT b.id, b.area_id, b.venue_id, b.category_id, b.created_at, b.ends_on, b.status, b.status_changed_at \
         FROM bans b WHERE b.id = $1",
    )
    .bind(ban_id)
    .fetch_optional(tx.conn())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let facts = facts_from(&row)?;
    Ok(Some(purgeable_from(&row, &facts, today, now)?))
}

/// Deletes a ban with its tokens and personal data, and adds its figures
/// to the anonymous counts.
pub async fn purge(tx: &mut WriteTx, ban: &Purgeable) -> Result<()> {
    sqlx::query("DELETE FROM ban_tokens WHERE ban_id = $1")
        .bind(ban.id)
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM bans WHERE id = $1")
        .bind(ban.id)
        .execute(tx.conn())
        .await?;
    for (figure, month) in &ban.figures {
        add_count(
            tx,
            ban.area_id,
            month,
            *figure,
            ban.category_id,
            ban.venue_id,
        )
        .await?;
    }
    Ok(())
}

/// Adds one to an anonymous count.
pub async fn add_count(
    tx: &mut WriteTx,
    area_id: i64,
    month: &str,
    figure: Figure,
    category_id: i64,
    venue_id: i64,
) -> Result<()> {
    let updated = sqlx::query(
        "UPDATE ban_counts SET bans = bans + 1 WHERE area_id = $1 AND month = $2 AND figure = $3 \
         AND category_id = $4 AND venue_id = $5",
    )
    .bind(area_id)
    .bind(month)
    .bind(figure.as_str())
    .bind(category_id)
    .bind(venue_id)
    .execute(tx.conn())
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO ban_counts (area_id, month, figure, category_id, venue_id, bans) \
             VALUES ($1, $2, $3, $4, $5, 1)",
        )
        .bind(area_id)
        .bind(month)
        .bind(figure.as_str())
        .bind(category_id)
        .bind(venue_id)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

/// An anonymous count of purged bans.
pub struct CountRow {
    pub month: String,
    pub figure: Figure,
    pub category_id: i64,
    /// 0: a count kept before venues were counted (migration 0110).
    pub venue_id: i64,
    pub bans: i64,
}

/// The anonymous counts of an area's purged bans.
pub async fn counts(db: &Db, area_id: i64) -> Result<Vec<CountRow>> {
    let rows = sqlx::query(
        "SELECT month, figure, category_id, venue_id, bans FROM ban_counts WHERE area_id = $1 \
         ORDER BY month, figure, category_id, venue_id",
    )
    .bind(area_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let figure: String = r.try_get("figure")?;
            Ok(CountRow {
                month: r.try_get("month")?,
                figure: Figure::parse(&figure).ok_or(StorageError::Inconsistent("count figure"))?,
                category_id: r.try_get("category_id")?,
                venue_id: r.try_get("venue_id")?,
                bans: r.try_get("bans")?,
            })
        })
        .collect()
}
