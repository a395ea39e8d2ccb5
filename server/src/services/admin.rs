//! Running the deployment and the areas: municipalities and areas (the
//! operator), the protocol, permit, venues and owner accounts (the area's
//! beheerder).

use ring::rand::SystemRandom;
use time::Date;

use super::{App, AppError, AppResult};
use crate::domain::audit::AuditEvent;
use crate::domain::protocol::{Durations, Permit, ProtocolSettings, venue_admitted_on};
use crate::domain::roles::{Actor, Role};
use crate::storage::areas::{self, AreaRow, CategoryRow};
use crate::storage::venues::{self, VenueRow};
use crate::storage::{WriteTx, accounts};

fn event(
    actor: &Actor,
    action: &'static str,
    object_type: &'static str,
    object_id: i64,
    area_id: Option<i64>,
) -> AuditEvent {
    AuditEvent {
        actor: actor.audit_name(),
        action,
        object_type,
        object_id: object_id.to_string(),
        area_id,
    }
}

fn require(allowed: bool) -> AppResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn non_empty(value: &str, field: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(AppError::Invalid(format!(
            "{field} must be 1 to {max} characters"
        )));
    }
    Ok(value.to_owned())
}

/// The associated data that binds a sealed identity key to its area and
/// epoch.
pub fn identity_key_aad(area_id: i64, epoch: i64) -> Vec<u8> {
    format!("cho-area-identity-key:{area_id}:{epoch}").into_bytes()
}

pub async fn create_municipality(app: &App, actor: &Actor, name: &str) -> AppResult<i64> {
    require(actor.is_operator())?;
    let name = non_empty(name, "name", 200)?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let id = areas::create_municipality(&mut tx, &name).await?;
    tx.audit(event(
        actor,
        "municipality.create",
        "municipality",
        id,
        None,
    ))
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn municipalities(app: &App, actor: &Actor) -> AppResult<Vec<(i64, String)>> {
    require(actor.is_operator())?;
    Ok(areas::municipalities(&app.db).await?)
}

/// Creates an area with its protocol settings and the first identity key
/// (epoch 1). No ban can be issued until the beheerder records the permit.
pub async fn create_area(
    app: &App,
    actor: &Actor,
    municipality_id: i64,
    name: &str,
    settings: ProtocolSettings,
) -> AppResult<i64> {
    require(actor.is_operator())?;
    let name = non_empty(name, "name", 200)?;
    if !areas::municipalities(&app.db)
        .await?
        .iter()
        .any(|(id, _)| *id == municipality_id)
    {
        return Err(AppError::NotFound("municipality"));
    }
    let key = cho_core::identity::IdentityKey::generate(&SystemRandom::new())
        .map_err(|_| AppError::Internal("random"))?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let id = areas::create_area(&mut tx, municipality_id, &name, &settings).await?;
    let sealed = app
        .master_key()
        .seal(&identity_key_aad(id, 1), key.as_bytes())?;
    areas::add_identity_key(&mut tx, id, 1, &sealed).await?;
    tx.audit(event(actor, "area.create", "area", id, Some(id)))
        .await?;
    tx.commit().await?;
    Ok(id)
}

fn may_see_area(actor: &Actor, area_id: i64) -> bool {
    actor.is_operator() || actor.area_id == Some(area_id)
}

pub async fn area(app: &App, actor: &Actor, area_id: i64) -> AppResult<AreaRow> {
    require(may_see_area(actor, area_id))?;
    areas::area(&app.db, area_id)
        .await?
        .ok_or(AppError::NotFound("area"))
}

pub async fn list_areas(app: &App, actor: &Actor) -> AppResult<Vec<AreaRow>> {
    let all = areas::areas(&app.db).await?;
    Ok(all
        .into_iter()
        .filter(|a| may_see_area(actor, a.id))
        .collect())
}

pub async fn set_permit(app: &App, actor: &Actor, area_id: i64, permit: Permit) -> AppResult<()> {
    require(actor.manages_area(area_id))?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if !areas::set_permit(&mut tx, area_id, &permit).await? {
        return Err(AppError::NotFound("area"));
    }
    tx.audit(event(actor, "area.permit", "area", area_id, Some(area_id)))
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_settings(
    app: &App,
    actor: &Actor,
    area_id: i64,
    settings: ProtocolSettings,
) -> AppResult<()> {
    require(actor.manages_area(area_id))?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if !areas::set_settings(&mut tx, area_id, &settings).await? {
        return Err(AppError::NotFound("area"));
    }
    tx.audit(event(
        actor,
        "area.protocol",
        "area",
        area_id,
        Some(area_id),
    ))
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn create_category(
    app: &App,
    actor: &Actor,
    area_id: i64,
    code: &str,
    name: &str,
    durations: Durations,
) -> AppResult<i64> {
    require(actor.manages_area(area_id))?;
    let code = non_empty(code, "code", 40)?;
    let name = non_empty(name, "name", 200)?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let id = areas::create_category(&mut tx, area_id, &code, &name, &durations).await?;
    tx.audit(event(
        actor,
        "category.create",
        "offence_category",
        id,
        Some(area_id),
    ))
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn categories(app: &App, actor: &Actor, area_id: i64) -> AppResult<Vec<CategoryRow>> {
    require(may_see_area(actor, area_id))?;
    Ok(areas::categories(&app.db, area_id).await?)
}

/// A KvK (Chamber of Commerce) number has eight digits.
fn kvk(value: &str) -> AppResult<String> {
    let value = value.trim();
    if value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(AppError::Invalid("kvk_number must be 8 digits".to_owned()))
    }
}

pub async fn create_venue(
    app: &App,
    actor: &Actor,
    area_id: i64,
    name: &str,
    address: &str,
    kvk_number: &str,
    admitted_on: Option<Date>,
) -> AppResult<i64> {
    require(actor.manages_area(area_id))?;
    let (name, address, kvk_number) = (
        non_empty(name, "name", 200)?,
        non_empty(address, "address", 400)?,
        kvk(kvk_number)?,
    );
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let id = venues::create(&mut tx, area_id, &name, &address, &kvk_number, admitted_on).await?;
    tx.audit(event(actor, "venue.create", "venue", id, Some(area_id)))
        .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn set_venue_admission(
    app: &App,
    actor: &Actor,
    venue_id: i64,
    admitted_on: Option<Date>,
    withdrawn_on: Option<Date>,
) -> AppResult<()> {
    let venue = venues::venue(&app.db, venue_id)
        .await?
        .ok_or(AppError::NotFound("venue"))?;
    require(actor.manages_area(venue.area_id))?;
    if let (Some(a), Some(w)) = (admitted_on, withdrawn_on)
        && w < a
    {
        return Err(AppError::Invalid(
            "withdrawn_on is before admitted_on".to_owned(),
        ));
    }
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    venues::set_admission(&mut tx, venue_id, admitted_on, withdrawn_on).await?;
    tx.audit(event(
        actor,
        "venue.admission",
        "venue",
        venue_id,
        Some(venue.area_id),
    ))
    .await?;
    // A venue that no longer takes part loses its door phones at once, in
    // this transaction; a withdrawal dated later bites at each sync.
    let revoked = if venue_admitted_on(admitted_on, withdrawn_on, app.clock.today()) {
        Vec::new()
    } else {
        crate::storage::devices::revoke_venue(&mut tx, venue_id).await?
    };
    for device_id in &revoked {
        tx.audit(super::devices::device_event(
            actor.audit_name(),
            "device.revoke",
            *device_id,
            venue.area_id,
        ))
        .await?;
    }
    tx.commit().await?;
    for device_id in revoked {
        app.sync_cache.forget_device(device_id);
    }
    Ok(())
}

pub async fn venues_of_area(app: &App, actor: &Actor, area_id: i64) -> AppResult<Vec<VenueRow>> {
    require(may_see_area(actor, area_id))?;
    Ok(venues::in_area(&app.db, area_id).await?)
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
    let username = non_empty(new.username, "username", 100)?;
    super::auth::check_password_strength(new.password)?;
    match new.role {
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
    tx.audit(event(actor, "account.create", "account", id, area_id))
        .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn hash_blocking(app: &App, password: &str) -> AppResult<String> {
    let hashing = app.passwords.clone();
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hashing.hash(&password))
        .await
        .map_err(|_| AppError::Internal("password hashing"))?
}

pub async fn insert_account(
    tx: &mut WriteTx,
    username: &str,
    hash: &str,
    role: Role,
    area_id: Option<i64>,
    venue_ids: &[i64],
) -> AppResult<i64> {
    let id = accounts::create(tx, username, hash, role, area_id).await?;
    for venue_id in venue_ids {
        accounts::link_venue(tx, id, *venue_id).await?;
    }
    Ok(id)
}

pub struct AccountView {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub area_id: Option<i64>,
    pub venue_ids: Vec<i64>,
}

pub async fn accounts_of_area(
    app: &App,
    actor: &Actor,
    area_id: i64,
) -> AppResult<Vec<AccountView>> {
    require(actor.is_operator() || actor.manages_area(area_id))?;
    let mut out = Vec::new();
    for a in accounts::in_area(&app.db, area_id).await? {
        out.push(AccountView {
            venue_ids: accounts::venue_ids(&app.db, a.id).await?,
            id: a.id,
            username: a.username,
            role: a.role,
            area_id: a.area_id,
        });
    }
    Ok(out)
}
