//! Accounts, their venues, and login sessions.

use sqlx::Row;

use super::{Db, Result, StorageError, WriteTx};
use crate::domain::roles::{Actor, Role};

pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub area_id: Option<i64>,
    /// Only for a `municipality` account: the municipality it reads for.
    pub municipality_id: Option<i64>,
    pub disabled: bool,
    /// Set by a password reset: the account must choose a new password
    /// before it may do anything else.
    pub must_change_password: bool,
    pub last_login_at: Option<i64>,
}

fn account_from(row: &sqlx::any::AnyRow) -> Result<AccountRow> {
    let role: String = row.try_get("role")?;
    Ok(AccountRow {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        role: Role::parse(&role).ok_or(StorageError::Inconsistent("account role"))?,
        area_id: row.try_get("area_id")?,
        municipality_id: row.try_get("municipality_id")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
        last_login_at: row.try_get("last_login_at")?,
    })
}

const ACCOUNT_COLUMNS: &str = "id, username, password_hash, role, area_id, municipality_id, disabled, must_change_password, last_login_at";

pub async fn create(
    tx: &mut WriteTx,
    username: &str,
    password_hash: &str,
    role: Role,
    area_id: Option<i64>,
) -> Result<i64> {
    let now = tx.now();
    let row = sqlx::query("INSERT INTO accounts (username, password_hash, role, area_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(username)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(area_id)
        .bind(now)
        .fetch_one(tx.conn())
        .await?;
    Ok(row.try_get("id")?)
}

pub async fn link_venue(tx: &mut WriteTx, account_id: i64, venue_id: i64) -> Result<()> {
    sqlx::query("INSERT INTO account_venues (account_id, venue_id) VALUES ($1, $2)")
        .bind(account_id)
        .bind(venue_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn by_username(db: &Db, username: &str) -> Result<Option<AccountRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = $1"
    )))
    .bind(username)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(account_from).transpose()
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<AccountRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(account_from).transpose()
}

/// Accounts of an area (beheerders and the owners of its venues).
pub async fn in_area(db: &Db, area_id: i64) -> Result<Vec<AccountRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE area_id = $1 ORDER BY id"
    )))
    .bind(area_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(account_from).collect()
}

pub async fn venue_ids(db: &Db, account_id: i64) -> Result<Vec<i64>> {
    let rows =
        sqlx::query("SELECT venue_id FROM account_venues WHERE account_id = $1 ORDER BY venue_id")
            .bind(account_id)
            .fetch_all(db.pool())
            .await?;
    rows.iter().map(|r| Ok(r.try_get("venue_id")?)).collect()
}

/// Every account, oldest first.
pub async fn all(db: &Db) -> Result<Vec<AccountRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"
    )))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(account_from).collect()
}

pub async fn set_username(tx: &mut WriteTx, account_id: i64, username: &str) -> Result<()> {
    sqlx::query("UPDATE accounts SET username = $1 WHERE id = $2")
        .bind(username)
        .bind(account_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn disable(tx: &mut WriteTx, account_id: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET disabled = 1 WHERE id = $1")
        .bind(account_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn enable(tx: &mut WriteTx, account_id: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET disabled = 0 WHERE id = $1")
        .bind(account_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Sets a one-time password the account must change at its next login.
pub async fn reset_password(tx: &mut WriteTx, account_id: i64, password_hash: &str) -> Result<()> {
    sqlx::query("UPDATE accounts SET password_hash = $1, must_change_password = 1 WHERE id = $2")
        .bind(password_hash)
        .bind(account_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn record_login(tx: &mut WriteTx, account_id: i64) -> Result<()> {
    let now = tx.now();
    sqlx::query("UPDATE accounts SET last_login_at = $1 WHERE id = $2")
        .bind(now)
        .bind(account_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Replaces an owner's venues.
pub async fn set_venues(tx: &mut WriteTx, account_id: i64, venue_ids: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM account_venues WHERE account_id = $1")
        .bind(account_id)
        .execute(tx.conn())
        .await?;
    for venue_id in venue_ids {
        link_venue(tx, account_id, *venue_id).await?;
    }
    Ok(())
}

/// Beheerder and operator accounts of every area, oldest first.
pub async fn staff(db: &Db) -> Result<Vec<AccountRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE role IN ('beheerder', 'operator') ORDER BY id"
    )))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(account_from).collect()
}

/// Sets a password the account chose (which clears a pending reset).
pub async fn set_password(tx: &mut WriteTx, account_id: i64, password_hash: &str) -> Result<()> {
    sqlx::query("UPDATE accounts SET password_hash = $1, must_change_password = 0 WHERE id = $2")
        .bind(password_hash)
        .bind(account_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// A new session; `idle_seconds` (browser sessions) ends it after that long
/// without a request, besides `expires_at`.
pub async fn create_session(
    tx: &mut WriteTx,
    token_hash: &[u8],
    account_id: i64,
    expires_at: i64,
    idle_seconds: Option<i64>,
) -> Result<()> {
    let now = tx.now();
    sqlx::query("INSERT INTO sessions (token_hash, account_id, expires_at, created_at, last_seen_at, idle_seconds) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(token_hash.to_vec())
        .bind(account_id)
        .bind(expires_at)
        .bind(now)
        .bind(now)
        .bind(idle_seconds)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Records a request on a session (its idle limit restarts from `tx.now()`).
pub async fn touch_session(tx: &mut WriteTx, token_hash: &[u8]) -> Result<()> {
    let now = tx.now();
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(now)
        .bind(token_hash.to_vec())
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn delete_session(tx: &mut WriteTx, token_hash: &[u8]) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash.to_vec())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Ends every session of an account (after a password change).
pub async fn delete_sessions_of(tx: &mut WriteTx, account_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// A live session: its actor, and when it was last seen (for the idle
/// limit's refresh).
pub struct LiveSession {
    pub actor: Actor,
    pub last_seen_at: Option<i64>,
}

/// The actor behind a live session token hash.
pub async fn actor_for_session(db: &Db, token_hash: &[u8], now: i64) -> Result<Option<Actor>> {
    Ok(live_session(db, token_hash, now).await?.map(|s| s.actor))
}

/// The session behind a token hash if it is live at `now`: before its
/// absolute limit and, when it has one, within its idle limit.
pub async fn live_session(db: &Db, token_hash: &[u8], now: i64) -> Result<Option<LiveSession>> {
    let row = sqlx::query(
        "SELECT a.id, a.role, a.area_id, a.municipality_id, a.must_change_password, s.last_seen_at FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.disabled = 0 \
         AND (s.idle_seconds IS NULL OR s.last_seen_at + s.idle_seconds > $2)",
    )
    .bind(token_hash.to_vec())
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let role: String = row.try_get("role")?;
    let account_id: i64 = row.try_get("id")?;
    let role = Role::parse(&role).ok_or(StorageError::Inconsistent("account role"))?;
    let venue_ids = if role == Role::Owner {
        venue_ids(db, account_id).await?
    } else {
        Vec::new()
    };
    Ok(Some(LiveSession {
        actor: Actor {
            account_id,
            role,
            area_id: row.try_get("area_id")?,
            venue_ids,
            municipality_id: row.try_get("municipality_id")?,
            must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
        },
        last_seen_at: row.try_get("last_seen_at")?,
    }))
}

pub async fn purge_expired_sessions(tx: &mut WriteTx) -> Result<u64> {
    let now = tx.now();
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected())
}

/// A `municipality` account: read-only for its municipality, with a
/// one-time password it must change at its first login.
pub async fn create_municipality_account(
    tx: &mut WriteTx,
    username: &str,
    password_hash: &str,
    municipality_id: i64,
) -> Result<i64> {
    let now = tx.now();
    let row = sqlx::query(
        "INSERT INTO accounts (username, password_hash, role, municipality_id, must_change_password, created_at) \
         VALUES ($1, $2, 'municipality', $3, 1, $4) RETURNING id",
    )
    .bind(username)
    .bind(password_hash)
    .bind(municipality_id)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(row.try_get("id")?)
}

/// The `municipality` accounts of a municipality.
pub async fn of_municipality(db: &Db, municipality_id: i64) -> Result<Vec<AccountRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE municipality_id = $1 ORDER BY username"
    )))
    .bind(municipality_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(account_from).collect()
}
