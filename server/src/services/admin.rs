//! Running the deployment and the areas: municipalities and areas (the
//! operator), the protocol, permit, venues and owner accounts (the area's
//! beheerder).

use ring::rand::SystemRandom;
use serde::Serialize;
use time::Date;

use super::{App, AppError, AppResult};
use crate::domain::audit::AuditEvent;
use crate::domain::protocol::{Durations, Permit, ProtocolSettings, venue_admitted_on};
use crate::domain::roles::{Actor, Role};
use crate::storage::areas::{self, AreaRow, CategoryRow};
use crate::storage::venues::{self, VenueRow};

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

/// A municipality.
#[derive(Debug, Clone, Serialize)]
pub struct MunicipalityView {
    pub id: i64,
    pub name: String,
}

/// The AP permit as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct PermitView {
    pub reference: String,
    #[serde(serialize_with = "super::iso_date")]
    pub granted_on: Date,
    #[serde(serialize_with = "super::iso_date")]
    pub expires_on: Date,
}

/// An area with its protocol settings and permit.
#[derive(Debug, Clone, Serialize)]
pub struct AreaView {
    pub id: i64,
    pub municipality_id: i64,
    pub name: String,
    pub permit: Option<PermitView>,
    pub complaint_window_days: i64,
    pub retention_days: i64,
    pub max_list_age_seconds: i64,
}

impl From<AreaRow> for AreaView {
    fn from(a: AreaRow) -> Self {
        Self {
            id: a.id,
            municipality_id: a.municipality_id,
            name: a.name,
            permit: a.permit.map(|p| PermitView {
                reference: p.reference,
                granted_on: p.granted_on,
                expires_on: p.expires_on,
            }),
            complaint_window_days: a.settings.complaint_window_days,
            retention_days: a.settings.retention_days,
            max_list_age_seconds: a.settings.max_list_age_seconds,
        }
    }
}

/// An offence category of the protocol.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub default_days: i64,
    pub max_days: i64,
    /// Since when no new ban may choose it; absent while it is in use.
    #[serde(
        serialize_with = "super::optional_iso_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub retired_on: Option<Date>,
    /// What the offence is, in Dutch and English (the notice letter).
    pub description_nl: Option<String>,
    pub description_en: Option<String>,
}

impl From<CategoryRow> for CategoryView {
    fn from(c: CategoryRow) -> Self {
        Self {
            id: c.id,
            code: c.code,
            name: c.name,
            default_days: c.durations.default_days,
            max_days: c.durations.max_days,
            retired_on: c.retired_on,
            description_nl: c.description_nl,
            description_en: c.description_en,
        }
    }
}

/// A category's texts for the letter (issue 9 item 1): `None` keeps what
/// is stored (so callers that do not know the texts change nothing),
/// empty text clears it.
#[derive(Debug, Clone, Default)]
pub struct CategoryTexts {
    pub description_nl: Option<String>,
    pub description_en: Option<String>,
}

/// Stores the texts that are given, in the caller's transaction.
async fn set_category_texts(
    tx: &mut crate::storage::WriteTx,
    category_id: i64,
    texts: &CategoryTexts,
) -> AppResult<()> {
    for (column, value) in [
        ("description_nl", &texts.description_nl),
        ("description_en", &texts.description_en),
    ] {
        if let Some(value) = value {
            let text = letter_text(value, column, 1000)?;
            areas::set_category_description(tx, category_id, column, text.as_deref()).await?;
        }
    }
    Ok(())
}

/// Trimmed text of at most `max` characters, line breaks allowed, no
/// other control characters; empty is none.
pub(crate) fn letter_text(value: &str, field: &str, max: usize) -> AppResult<Option<String>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > max
        || value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        return Err(AppError::Invalid(format!(
            "{field} must be at most {max} characters of text"
        )));
    }
    Ok(Some(value.replace("\r\n", "\n")))
}

/// The protocol's categories: those a new ban may choose, and the retired
/// ones (which keep their bans).
#[derive(Debug, Clone, Serialize)]
pub struct Categories {
    pub active: Vec<CategoryView>,
    pub retired: Vec<CategoryView>,
}

/// A venue and its admission under the permit.
#[derive(Debug, Clone, Serialize)]
pub struct VenueView {
    pub id: i64,
    pub area_id: i64,
    pub name: String,
    pub address: String,
    pub kvk_number: String,
    #[serde(serialize_with = "super::optional_iso_date")]
    pub admitted_on: Option<Date>,
    #[serde(serialize_with = "super::optional_iso_date")]
    pub withdrawn_on: Option<Date>,
}

impl From<VenueRow> for VenueView {
    fn from(v: VenueRow) -> Self {
        Self {
            id: v.id,
            area_id: v.area_id,
            name: v.name,
            address: v.address,
            kvk_number: v.kvk_number,
            admitted_on: v.admitted_on,
            withdrawn_on: v.withdrawn_on,
        }
    }
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

pub async fn municipalities(app: &App, actor: &Actor) -> AppResult<Vec<MunicipalityView>> {
    require(actor.is_operator())?;
    Ok(areas::municipalities(&app.db)
        .await?
        .into_iter()
        .map(|(id, name)| MunicipalityView { id, name })
        .collect())
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

pub async fn area(app: &App, actor: &Actor, area_id: i64) -> AppResult<AreaView> {
    require(may_see_area(actor, area_id))?;
    areas::area(&app.db, area_id)
        .await?
        .map(AreaView::from)
        .ok_or(AppError::NotFound("area"))
}

pub async fn list_areas(app: &App, actor: &Actor) -> AppResult<Vec<AreaView>> {
    let all = areas::areas(&app.db).await?;
    Ok(all
        .into_iter()
        .filter(|a| may_see_area(actor, a.id))
        .map(AreaView::from)
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
    // The repeat rule's look-back may not outlast the retention (issue 9
    // item 8): lowering the retention below it is refused too.
    if let Some(rules) = areas::review_rules(&app.db, area_id).await? {
        rules
            .repeat
            .check_retention(settings.retention_days)
            .map_err(crate::domain::protocol::ProtocolError::from)?;
    }
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
    create_category_with_texts(
        app,
        actor,
        area_id,
        code,
        name,
        durations,
        &CategoryTexts::default(),
    )
    .await
}

/// Adds a category with its texts for the letter.
pub async fn create_category_with_texts(
    app: &App,
    actor: &Actor,
    area_id: i64,
    code: &str,
    name: &str,
    durations: Durations,
    texts: &CategoryTexts,
) -> AppResult<i64> {
    require(actor.manages_area(area_id))?;
    let code = non_empty(code, "code", 40)?;
    let name = non_empty(name, "name", 200)?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let id = areas::create_category(&mut tx, area_id, &code, &name, &durations).await?;
    set_category_texts(&mut tx, id, texts).await?;
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

/// The area's categories, the retired ones apart.
pub async fn categories(app: &App, actor: &Actor, area_id: i64) -> AppResult<Categories> {
    require(may_see_area(actor, area_id))?;
    let (retired, active): (Vec<_>, Vec<_>) = areas::categories(&app.db, area_id)
        .await?
        .into_iter()
        .map(CategoryView::from)
        .partition(|c| c.retired_on.is_some());
    Ok(Categories { active, retired })
}

/// A category the caller manages (its area's beheerder); one of another
/// area is "not found", exactly like a missing one.
async fn managed_category(app: &App, actor: &Actor, category_id: i64) -> AppResult<CategoryRow> {
    require(actor.role == Role::Beheerder)?;
    areas::category(&app.db, category_id)
        .await?
        .filter(|c| actor.manages_area(c.area_id))
        .ok_or(AppError::NotFound("category"))
}

/// Changes a category's name and durations. A ban stores its own end
/// date, so the change applies only to bans issued after it.
pub async fn update_category(
    app: &App,
    actor: &Actor,
    category_id: i64,
    name: &str,
    durations: Durations,
) -> AppResult<()> {
    update_category_with_texts(
        app,
        actor,
        category_id,
        name,
        durations,
        &CategoryTexts::default(),
    )
    .await
}

/// Changes a category's name, durations and (those given of) its texts.
pub async fn update_category_with_texts(
    app: &App,
    actor: &Actor,
    category_id: i64,
    name: &str,
    durations: Durations,
    texts: &CategoryTexts,
) -> AppResult<()> {
    let category = managed_category(app, actor, category_id).await?;
    let name = non_empty(name, "name", 200)?;
    if category.retired_on.is_some() {
        return Err(AppError::Invalid(
            "a retired category cannot be changed".to_owned(),
        ));
    }
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    areas::update_category(&mut tx, category.id, &name, &durations).await?;
    set_category_texts(&mut tx, category.id, texts).await?;
    tx.audit(event(
        actor,
        "category.update",
        "offence_category",
        category.id,
        Some(category.area_id),
    ))
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Retires a category as of today: it keeps its bans, and no new ban may
/// choose it. Retiring a retired category changes nothing.
pub async fn retire_category(app: &App, actor: &Actor, category_id: i64) -> AppResult<()> {
    let category = managed_category(app, actor, category_id).await?;
    if category.retired_on.is_some() {
        return Ok(());
    }
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    areas::retire_category(&mut tx, category.id, app.clock.today()).await?;
    tx.audit(event(
        actor,
        "category.retire",
        "offence_category",
        category.id,
        Some(category.area_id),
    ))
    .await?;
    tx.commit().await?;
    Ok(())
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
    require(actor.role == Role::Beheerder)?;
    // Another area's venue is "not found", exactly like a missing one.
    let venue = venues::venue(&app.db, venue_id)
        .await?
        .filter(|v| actor.manages_area(v.area_id))
        .ok_or(AppError::NotFound("venue"))?;
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
    // The commit hook makes the sync cache forget the venue's devices and
    // ends their open waits (`services::propagation::committed`).
    tx.commit().await?;
    Ok(())
}

pub async fn venues_of_area(app: &App, actor: &Actor, area_id: i64) -> AppResult<Vec<VenueView>> {
    require(may_see_area(actor, area_id))?;
    Ok(venues::in_area(&app.db, area_id)
        .await?
        .into_iter()
        .map(VenueView::from)
        .collect())
}

// Account creation moved to `accounts`; the old paths stay for callers.
pub use super::accounts::{NewAccount, create_account, hash_blocking, insert_account};

/// The area a beheerder runs (the pages under `/gebied` have no area in
/// their path): any other role is refused.
pub fn managed_area_id(actor: &Actor) -> AppResult<i64> {
    match (actor.role, actor.area_id) {
        (Role::Beheerder, Some(area_id)) => Ok(area_id),
        _ => Err(AppError::Forbidden),
    }
}

/// Everything the beheerder's protocol page shows: settings and permit,
/// the categories, and the area's contact fields.
#[derive(Debug, Clone, Serialize)]
pub struct ProtocolView {
    pub area: AreaView,
    pub categories: Categories,
    pub contact: super::public::Contact,
}

/// The protocol of the beheerder's own area.
pub async fn protocol(app: &App, actor: &Actor) -> AppResult<ProtocolView> {
    let area_id = managed_area_id(actor)?;
    Ok(ProtocolView {
        area: area(app, actor, area_id).await?,
        categories: categories(app, actor, area_id).await?,
        contact: super::public::contact(app, actor, area_id).await?,
    })
}

/// One category of the beheerder's own area (another area's is "not
/// found", exactly like a missing one).
pub async fn category(app: &App, actor: &Actor, category_id: i64) -> AppResult<CategoryView> {
    managed_area_id(actor)?;
    Ok(managed_category(app, actor, category_id).await?.into())
}

/// One venue of the beheerder's own area (another area's is "not found").
pub async fn venue(app: &App, actor: &Actor, venue_id: i64) -> AppResult<VenueView> {
    managed_area_id(actor)?;
    venues::venue(&app.db, venue_id)
        .await?
        .filter(|v| actor.manages_area(v.area_id))
        .map(VenueView::from)
        .ok_or(AppError::NotFound("venue"))
}

/// Admits a venue from `on` (a withdrawn venue taking part again: the
/// withdrawal goes).
pub async fn admit_venue(app: &App, actor: &Actor, venue_id: i64, on: Date) -> AppResult<()> {
    venue(app, actor, venue_id).await?;
    set_venue_admission(app, actor, venue_id, Some(on), None).await
}

/// Withdraws a venue's admission from `on`; its door phones are revoked
/// (at once when `on` is today or earlier, see `set_venue_admission`).
pub async fn withdraw_venue(app: &App, actor: &Actor, venue_id: i64, on: Date) -> AppResult<()> {
    let v = venue(app, actor, venue_id).await?;
    set_venue_admission(app, actor, venue_id, v.admitted_on, Some(on)).await
}
