//! What anyone may read without logging in (DOMAIN rule 10): the areas
//! that have a public page (every area with a permit valid today), each
//! area's page (venues taking part, categories and durations, how to
//! object, whom to ask), and the door sign of each participating venue.
//! Also the beheerder's editing of the area's contact fields.

use serde::Serialize;
use time::Date;

use super::look::{Look, look_for_municipality};
use super::views::iso_date;
use super::{App, AppError, AppResult};
use crate::domain::audit::AuditEvent;
use crate::domain::protocol::venue_admitted_on;
use crate::domain::roles::Actor;
use crate::storage::areas::{self, AreaRow};
use crate::storage::public::{self as store, ContactRow, ControllerRow};
use crate::storage::venues;

/// The path of an area's public page (pages and door signs link to it).
pub fn area_page_path(area_id: i64) -> String {
    format!("/gebieden/{area_id}")
}

/// The path of a venue's printable door sign.
pub fn door_sign_path(venue_id: i64) -> String {
    format!("/deurbord/{venue_id}")
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PublicAreaSummary {
    pub id: i64,
    pub name: String,
    pub municipality_name: String,
    /// The public page's path, e.g. `/gebieden/1`.
    pub path: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PublicArea {
    pub id: i64,
    pub name: String,
    /// The municipality's name and look.
    pub municipality: Look,
    #[serde(serialize_with = "iso_date")]
    pub on: Date,
    pub path: String,
    /// Venues admitted today, by name.
    pub venues: Vec<PublicVenue>,
    pub categories: Vec<PublicCategory>,
    pub complaint_window_days: i64,
    pub contact: Contact,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PublicVenue {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub door_sign_path: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PublicCategory {
    pub code: String,
    pub name: String,
    pub default_days: i64,
    pub max_days: i64,
}

/// An area's contact fields (all optional).
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    pub contact_email: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
    #[serde(default)]
    pub complaint_committee_address: Option<String>,
    #[serde(default)]
    pub complaint_committee_email: Option<String>,
    #[serde(default)]
    pub privacy_contact: Option<String>,
    /// Issue 9: the organisation keeping the list on behalf of the venues
    /// (the beheerder's), for the letter. For these four fields absent
    /// means unchanged (callers that do not know them change nothing);
    /// empty text clears one.
    #[serde(default)]
    pub controller_name: Option<String>,
    #[serde(default)]
    pub controller_address: Option<String>,
    /// The area's joint-controller statement, quoted in every letter.
    #[serde(default)]
    pub controller_statement: Option<String>,
    /// The public page's address when not this server's own page.
    #[serde(default)]
    pub public_page_url: Option<String>,
}

impl From<ContactRow> for Contact {
    fn from(c: ContactRow) -> Self {
        Self {
            contact_email: c.contact_email,
            contact_phone: c.contact_phone,
            complaint_committee_address: c.complaint_committee_address,
            complaint_committee_email: c.complaint_committee_email,
            privacy_contact: c.privacy_contact,
            controller_name: c.controller.controller_name,
            controller_address: c.controller.controller_address,
            controller_statement: c.controller.controller_statement,
            public_page_url: c.controller.public_page_url,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DoorSign {
    pub venue_id: i64,
    pub venue_name: String,
    pub area_id: i64,
    pub area_name: String,
    pub municipality: Look,
    /// The public page's path and full address (from the configured
    /// public URL), printed on the sign.
    pub public_path: String,
    pub public_url: String,
}

fn has_public_page(area: &AreaRow, today: Date) -> bool {
    area.permit.as_ref().is_some_and(|p| p.valid_on(today))
}

/// The public landing data: who runs the deployment, and every area with
/// a public page.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PublicIndex {
    pub deployment: super::look::Deployment,
    pub areas: Vec<PublicAreaSummary>,
}

/// The deployment and every area with a public page, by name.
pub async fn index(app: &App) -> AppResult<PublicIndex> {
    Ok(PublicIndex {
        deployment: app.deployment.clone(),
        areas: areas(app).await?,
    })
}

/// Every area with a public page, by name.
pub async fn areas(app: &App) -> AppResult<Vec<PublicAreaSummary>> {
    let today = app.clock.today();
    let municipalities = areas::municipalities(&app.db).await?;
    let mut out: Vec<PublicAreaSummary> = areas::areas(&app.db)
        .await?
        .into_iter()
        .filter(|a| has_public_page(a, today))
        .map(|a| PublicAreaSummary {
            path: area_page_path(a.id),
            municipality_name: municipalities
                .iter()
                .find(|(id, _)| *id == a.municipality_id)
                .map(|(_, name)| name.clone())
                .unwrap_or_default(),
            id: a.id,
            name: a.name,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The area with a permit valid today; any other is not found.
async fn permitted_area(app: &App, area_id: i64, today: Date) -> AppResult<AreaRow> {
    areas::area(&app.db, area_id)
        .await?
        .filter(|a| has_public_page(a, today))
        .ok_or(AppError::NotFound("area"))
}

/// An area's public page.
pub async fn area(app: &App, area_id: i64) -> AppResult<PublicArea> {
    let today = app.clock.today();
    let area = permitted_area(app, area_id, today).await?;
    let venues = venues::in_area(&app.db, area_id)
        .await?
        .into_iter()
        .filter(|v| venue_admitted_on(v.admitted_on, v.withdrawn_on, today))
        .map(|v| PublicVenue {
            door_sign_path: door_sign_path(v.id),
            id: v.id,
            name: v.name,
            address: v.address,
        })
        .collect();
    // A retired category keeps its bans but is no longer part of the
    // protocol a visitor is told about.
    let categories = areas::categories(&app.db, area_id)
        .await?
        .into_iter()
        .filter(|c| c.retired_on.is_none())
        .map(|c| PublicCategory {
            code: c.code,
            name: c.name,
            default_days: c.durations.default_days,
            max_days: c.durations.max_days,
        })
        .collect();
    let contact = store::contact(&app.db, area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    Ok(PublicArea {
        id: area.id,
        name: area.name,
        municipality: look_for_municipality(app, area.municipality_id).await?,
        on: today,
        path: area_page_path(area_id),
        venues,
        categories,
        complaint_window_days: area.settings.complaint_window_days,
        contact: contact.into(),
    })
}

/// The door sign of a venue admitted today under a valid permit; a
/// withdrawn (or not yet admitted) venue has none.
pub async fn door_sign(app: &App, venue_id: i64) -> AppResult<DoorSign> {
    let today = app.clock.today();
    let venue = venues::venue(&app.db, venue_id)
        .await?
        .filter(|v| venue_admitted_on(v.admitted_on, v.withdrawn_on, today))
        .ok_or(AppError::NotFound("venue"))?;
    let area = permitted_area(app, venue.area_id, today)
        .await
        .map_err(|_| AppError::NotFound("venue"))?;
    let public_path = area_page_path(area.id);
    Ok(DoorSign {
        venue_id: venue.id,
        venue_name: venue.name,
        area_id: area.id,
        area_name: area.name,
        municipality: look_for_municipality(app, area.municipality_id).await?,
        public_url: format!("{}{public_path}", app.public_url.trim_end_matches('/')),
        public_path,
    })
}

/// The area's contact fields as stored (for the beheerder's form).
pub async fn contact(app: &App, actor: &Actor, area_id: i64) -> AppResult<Contact> {
    super::views::may_read_area_figures(actor, area_id)?;
    Ok(store::contact(&app.db, area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?
        .into())
}

/// The area's beheerder sets its contact fields (empty text clears one).
pub async fn set_contact(app: &App, actor: &Actor, area_id: i64, c: &Contact) -> AppResult<()> {
    if !actor.manages_area(area_id) {
        return Err(if actor.role == crate::domain::roles::Role::Beheerder {
            AppError::NotFound("area")
        } else {
            AppError::Forbidden
        });
    }
    let row = ContactRow {
        contact_email: email(c.contact_email.as_deref(), "contact_email")?,
        contact_phone: phone(c.contact_phone.as_deref())?,
        complaint_committee_address: text(
            c.complaint_committee_address.as_deref(),
            "complaint_committee_address",
            400,
        )?,
        complaint_committee_email: email(
            c.complaint_committee_email.as_deref(),
            "complaint_committee_email",
        )?,
        privacy_contact: text(c.privacy_contact.as_deref(), "privacy_contact", 400)?,
        controller: ControllerRow::default(),
    };
    let controller = controller_fields(c)?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if !store::set_contact(&mut tx, area_id, &row).await? {
        return Err(AppError::NotFound("area"));
    }
    for (column, value) in controller {
        store::set_controller_field(&mut tx, area_id, column, value.as_deref()).await?;
    }
    tx.audit(AuditEvent {
        actor: actor.audit_name(),
        action: "area.contact",
        object_type: "area",
        object_id: area_id.to_string(),
        area_id: Some(area_id),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The controller fields that are given, checked: (column, value or
/// none to clear).
fn controller_fields(c: &Contact) -> AppResult<Vec<(&'static str, Option<String>)>> {
    let mut out = Vec::new();
    for (column, value, max) in [
        ("controller_name", &c.controller_name, 200),
        ("controller_address", &c.controller_address, 400),
        ("controller_statement", &c.controller_statement, 2000),
        ("public_page_url", &c.public_page_url, 300),
    ] {
        let Some(value) = value else { continue };
        let value = text(Some(&value.replace("\r\n", "\n")), column, max)?;
        if column == "public_page_url"
            && let Some(url) = &value
            && (!(url.starts_with("https://") || url.starts_with("http://"))
                || url.chars().any(char::is_whitespace))
        {
            return Err(AppError::Invalid(
                "public_page_url must be a web address starting with https://".to_owned(),
            ));
        }
        out.push((column, value));
    }
    Ok(out)
}

/// Trimmed text of at most `max` characters without control characters
/// (line breaks allowed, for an address); empty is none.
fn text(value: Option<&str>, field: &str, max: usize) -> AppResult<Option<String>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max || value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::Invalid(format!(
            "{field} must be at most {max} characters of text"
        )));
    }
    Ok(Some(value.replace("\r\n", "\n")))
}

/// A plausible e-mail address: one `@`, something on both sides, a dot in
/// the domain, no spaces; at most 254 characters.
pub(crate) fn email(value: Option<&str>, field: &str) -> AppResult<Option<String>> {
    let Some(value) = text(value, field, 254)? else {
        return Ok(None);
    };
    let ok = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if !ok {
        return Err(AppError::Invalid(format!(
            "{field} must be an e-mail address"
        )));
    }
    Ok(Some(value))
}

/// A phone number: digits, spaces and `+ - ( )`, at most 40 characters.
fn phone(value: Option<&str>) -> AppResult<Option<String>> {
    let Some(value) = text(value, "contact_phone", 40)? else {
        return Ok(None);
    };
    let digits = value.chars().filter(char::is_ascii_digit).count();
    if digits < 6
        || !value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'))
    {
        return Err(AppError::Invalid(
            "contact_phone must be a phone number".to_owned(),
        ));
    }
    Ok(Some(value))
}
