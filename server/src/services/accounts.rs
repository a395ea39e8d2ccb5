//! Accounts: creating them, listing them with their venues and last login,
//! and what a beheerder (for the owners of their area) or the operator (for
//! beheerders and operators) does to them: disable, re-enable, reset the
//! password, end all sessions, set an owner's venues.
//!
//! An account outside the caller's reach answers "not found", exactly like
//! a missing one; a role that never manages accounts (an owner) is
//! refused. Every change is audited by account id, never by username.

use ring::rand::{SecureRandom, SystemRandom};
use serde::Serialize;

use super::{App, AppError, AppResult, auth};
use crate::domain::audit::AuditEvent;
use crate::domain::roles::{Actor, Role};
use crate::domain::username::Username;
use crate::storage::accounts::{self, AccountRow};
use crate::storage::{WriteTx, areas, venues};

fn require(allowed: bool) -> AppResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn event(actor: &Actor, action: &'static str, account_id: i64, area_id: Option<i64>) -> AuditEvent {
    AuditEvent {
        actor: actor.audit_name(),
        action,
        object_type: "account",
        object_id: account_id.to_string(),
        area_id,
    }
}

pub struct NewAccount<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub role: Role,
    pub area_id: Option<i64>,
    pub venue_ids: &'a [i64],
}

/// The operator creates beheerders (and operators); a beheerder creates
/// owner accounts for venues of their own area.
pub async fn create_account(app: &App, actor: &Actor, new: NewAccount<'_>) -> AppResult<i64> {
    let username = Username::parse(new.username).map_err(|e| AppError::Invalid(e.to_string()))?;
    auth::check_password_strength(new.password)?;
    match new.role {
        // Municipality accounts are created with their municipality
        // (`accounts::create_municipality_account`), never through here.
        Role::Municipality => return Err(AppError::Forbidden),
        Role::Operator | Role::Beheerder if !new.venue_ids.is_empty() => {
            return Err(AppError::Invalid(
                "only an owner account has venues".to_owned(),
            ));
        }
        Role::Operator => require(actor.is_operator())?,
        Role::Beheerder => {
            require(actor.is_operator())?;
            let area_id = new
                .area_id
                .ok_or_else(|| AppError::Invalid("a beheerder needs an area_id".to_owned()))?;
            areas::area(&app.db, area_id)
                .await?
                .ok_or(AppError::NotFound("area"))?;
        }
        Role::Owner => {
            let area_id = new
                .area_id
                .ok_or_else(|| AppError::Invalid("an owner needs an area_id".to_owned()))?;
            require(actor.manages_area(area_id))?;
            if new.venue_ids.is_empty() {
                return Err(AppError::Invalid(
                    "an owner needs at least one venue".to_owned(),
                ));
            }
            for venue_id in new.venue_ids {
                let venue = venues::venue(&app.db, *venue_id)
                    .await?
                    .ok_or(AppError::NotFound("venue"))?;
                if venue.area_id != area_id {
                    return Err(AppError::Invalid(
                        "every venue must be in the owner's area".to_owned(),
                    ));
                }
            }
        }
    }
    let hash = hash_blocking(app, new.password).await?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let area_id = if new.role == Role::Operator {
        None
    } else {
        new.area_id
    };
    let id = insert_account(&mut tx, &username, &hash, new.role, area_id, new.venue_ids).await?;
    tx.audit(event(actor, "account.create", id, area_id))
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// An Argon2id hash of `password`, through the server's hashing gate.
pub async fn hash_blocking(app: &App, password: &str) -> AppResult<String> {
    app.passwords.hash(password).await
}

/// Inserts an account (the username already canonical) with its venues.
pub async fn insert_account(
    tx: &mut WriteTx,
    username: &Username,
    hash: &str,
    role: Role,
    area_id: Option<i64>,
    venue_ids: &[i64],
) -> AppResult<i64> {
    let id = accounts::create(tx, username.as_str(), hash, role, area_id).await?;
    for venue_id in venue_ids {
        accounts::link_venue(tx, id, *venue_id).await?;
    }
    Ok(id)
}

/// A venue as an account list names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VenueRef {
    pub id: i64,
    pub name: String,
}

/// An account as its manager sees it (never its password hash).
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub area_id: Option<i64>,
    pub venue_ids: Vec<i64>,
    pub venues: Vec<VenueRef>,
    pub disabled: bool,
    /// A reset password waits to be changed.
    pub must_change_password: bool,
    /// Unix seconds of the last successful login, if any since it was
    /// recorded.
    pub last_login_at: Option<i64>,
}

pub(crate) async fn view(app: &App, a: AccountRow, names: &[VenueRef]) -> AppResult<AccountView> {
    let venue_ids = accounts::venue_ids(&app.db, a.id).await?;
    let venues = venue_ids
        .iter()
        .map(|id| VenueRef {
            id: *id,
            name: names
                .iter()
                .find(|v| v.id == *id)
                .map_or_else(String::new, |v| v.name.clone()),
        })
        .collect();
    Ok(AccountView {
        id: a.id,
        username: a.username,
        role: a.role,
        area_id: a.area_id,
        venue_ids,
        venues,
        disabled: a.disabled,
        must_change_password: a.must_change_password,
        last_login_at: a.last_login_at,
    })
}

/// The accounts of an area: its beheerder sees every account of the area;
/// the operator sees the area's beheerders (owners are the beheerder's
/// business).
pub async fn of_area(app: &App, actor: &Actor, area_id: i64) -> AppResult<Vec<AccountView>> {
    require(actor.is_operator() || actor.manages_area(area_id))?;
    let names: Vec<VenueRef> = venues::in_area(&app.db, area_id)
        .await?
        .into_iter()
        .map(|v| VenueRef {
            id: v.id,
            name: v.name,
        })
        .collect();
    let mut out = Vec::new();
    for a in accounts::in_area(&app.db, area_id).await? {
        if actor.is_operator() && a.role == Role::Owner {
            continue;
        }
        out.push(view(app, a, &names).await?);
    }
    Ok(out)
}

/// Every beheerder and operator of the deployment (the operator only).
pub async fn staff(app: &App, actor: &Actor) -> AppResult<Vec<AccountView>> {
    require(actor.is_operator())?;
    let mut out = Vec::new();
    for a in accounts::staff(&app.db).await? {
        out.push(view(app, a, &[]).await?);
    }
    Ok(out)
}

/// Kept for callers of the old name.
pub async fn accounts_of_area(
    app: &App,
    actor: &Actor,
    area_id: i64,
) -> AppResult<Vec<AccountView>> {
    of_area(app, actor, area_id).await
}

/// The account `account_id` if `actor` manages it: the operator manages
/// beheerders and operators, a beheerder the owners of their own area.
/// Any other account, and a missing one, is "not found"; an owner manages
/// no account at all.
async fn managed(app: &App, actor: &Actor, account_id: i64) -> AppResult<AccountRow> {
    require(matches!(actor.role, Role::Operator | Role::Beheerder))?;
    accounts::by_id(&app.db, account_id)
        .await?
        .filter(|a| match actor.role {
            Role::Operator => a.role != Role::Owner,
            Role::Beheerder => {
                a.role == Role::Owner && a.area_id.is_some() && a.area_id == actor.area_id
            }
            Role::Owner | Role::Municipality => false,
        })
        .ok_or(AppError::NotFound("account"))
}

/// Disables an account and ends its sessions, in one transaction: its
/// next request is refused. Nobody disables their own account.
pub async fn disable(app: &App, actor: &Actor, account_id: i64) -> AppResult<()> {
    let account = managed(app, actor, account_id).await?;
    require(account.id != actor.account_id)?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    accounts::disable(&mut tx, account.id).await?;
    accounts::delete_sessions_of(&mut tx, account.id).await?;
    tx.audit(event(actor, "account.disable", account.id, account.area_id))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Re-enables a disabled account (it logs in again with its password).
pub async fn enable(app: &App, actor: &Actor, account_id: i64) -> AppResult<()> {
    let account = managed(app, actor, account_id).await?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    accounts::enable(&mut tx, account.id).await?;
    tx.audit(event(actor, "account.enable", account.id, account.area_id))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A one-time password, shown once to whoever reset it.
#[derive(Serialize)]
pub struct OneTimePassword {
    pub password: String,
}

/// Letters and digits that cannot be mistaken for one another when read
/// out or copied from a screen (no 0/O, 1/l/I); 32 of them, so each
/// random byte's low five bits pick one without bias.
const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789X";

/// 20 symbols of 5 bits: 100 bits, in groups of four.
pub(crate) fn one_time_password() -> AppResult<String> {
    let mut raw = [0u8; 20];
    SystemRandom::new()
        .fill(&mut raw)
        .map_err(|_| AppError::Internal("random"))?;
    let symbols: Vec<char> = raw
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect();
    Ok(symbols
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// Gives the account a strong one-time password (returned once, stored
/// only as its Argon2id hash) that it must change at its next login, and
/// ends its sessions.
pub async fn reset_password(
    app: &App,
    actor: &Actor,
    account_id: i64,
) -> AppResult<OneTimePassword> {
    let account = managed(app, actor, account_id).await?;
    let password = one_time_password()?;
    let hash = hash_blocking(app, &password).await?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    accounts::reset_password(&mut tx, account.id, &hash).await?;
    accounts::delete_sessions_of(&mut tx, account.id).await?;
    tx.audit(event(
        actor,
        "account.password_reset",
        account.id,
        account.area_id,
    ))
    .await?;
    tx.commit().await?;
    Ok(OneTimePassword { password })
}

/// Ends every session of the account (a lost phone, a shared PC).
pub async fn end_sessions(app: &App, actor: &Actor, account_id: i64) -> AppResult<()> {
    let account = managed(app, actor, account_id).await?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    accounts::delete_sessions_of(&mut tx, account.id).await?;
    tx.audit(event(
        actor,
        "account.sessions_end",
        account.id,
        account.area_id,
    ))
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces an owner's venues: at least one, all in the owner's area. The
/// owner's next request already has the new scope.
pub async fn set_venues(
    app: &App,
    actor: &Actor,
    account_id: i64,
    venue_ids: &[i64],
) -> AppResult<()> {
    let account = managed(app, actor, account_id).await?;
    if account.role != Role::Owner {
        return Err(AppError::Invalid(
            "only an owner account has venues".to_owned(),
        ));
    }
    let mut ids = venue_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(AppError::Invalid(
            "an owner needs at least one venue".to_owned(),
        ));
    }
    for venue_id in &ids {
        let in_area = venues::venue(&app.db, *venue_id)
            .await?
            .is_some_and(|v| Some(v.area_id) == account.area_id);
        if !in_area {
            return Err(AppError::Invalid(
                "every venue must be in the owner's area".to_owned(),
            ));
        }
    }
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    accounts::set_venues(&mut tx, account.id, &ids).await?;
    tx.audit(event(actor, "account.venues", account.id, account.area_id))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// An area and its beheerder accounts, for the operator's area page (the
/// operator only: the beheerder has pages of their own).
pub async fn area_beheerders(
    app: &App,
    actor: &Actor,
    area_id: i64,
) -> AppResult<(super::admin::AreaView, Vec<AccountView>)> {
    require(actor.is_operator())?;
    let area = super::admin::area(app, actor, area_id).await?;
    let beheerders = of_area(app, actor, area_id)
        .await?
        .into_iter()
        .filter(|a| a.role == Role::Beheerder)
        .collect();
    Ok((area, beheerders))
}
