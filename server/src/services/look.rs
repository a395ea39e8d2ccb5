//! The municipality look (name, primary colour, logo) that an area's pages
//! and letters use, and the deployment's own name and contact, which every
//! page shows where no municipality applies.

use serde::Serialize;

use super::{App, AppError, AppResult};
use crate::domain::audit::AuditEvent;
use crate::domain::look;
use crate::domain::roles::Actor;
use crate::storage::{areas, public};

/// The deployment: its name and contact e-mail for the footer
/// (`--deployment-name`, `--contact-email`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Deployment {
    pub name: String,
    pub contact_email: Option<String>,
}

/// The deployment name when none is configured.
pub const DEFAULT_DEPLOYMENT_NAME: &str = "CHO";

impl Deployment {
    /// A name of 1 to 100 characters and an optional e-mail address.
    pub fn new(name: &str, contact_email: Option<&str>) -> AppResult<Self> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(AppError::Invalid(
                "the deployment name must be 1 to 100 characters".to_owned(),
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            contact_email: super::public::email(contact_email, "contact e-mail")?,
        })
    }
}

impl Default for Deployment {
    fn default() -> Self {
        Self {
            name: DEFAULT_DEPLOYMENT_NAME.to_owned(),
            contact_email: None,
        }
    }
}

/// How a page looks: a municipality's, or the deployment's default.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Look {
    /// None for the deployment's default look.
    pub municipality_id: Option<i64>,
    pub name: String,
    /// `#rrggbb` with at least 4.5:1 contrast with white text; None: the
    /// theme's own colour.
    pub primary_colour: Option<String>,
    pub logo: Option<Logo>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Logo {
    /// Served by the pages, never put in JSON.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    pub content_type: String,
    /// Hex content hash, for cache-busting URLs.
    pub hash: String,
}

/// The deployment's default look.
pub fn default_look(app: &App) -> Look {
    Look {
        municipality_id: None,
        name: app.deployment.name.clone(),
        primary_colour: None,
        logo: None,
    }
}

/// A municipality's look (public: the public pages show it).
pub async fn look_for_municipality(app: &App, municipality_id: i64) -> AppResult<Look> {
    let row = public::municipality_look(&app.db, municipality_id)
        .await?
        .ok_or(AppError::NotFound("municipality"))?;
    Ok(Look {
        municipality_id: Some(row.id),
        name: row.name,
        primary_colour: row.primary_colour,
        logo: row.logo.map(|(bytes, content_type)| Logo {
            hash: look::content_hash(&bytes),
            bytes,
            content_type,
        }),
    })
}

/// The look of an area's pages: its municipality's.
pub async fn look_for_area(app: &App, area_id: i64) -> AppResult<Look> {
    let area = areas::area(&app.db, area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    look_for_municipality(app, area.municipality_id).await
}

/// A new look for a municipality; None clears the colour or the logo.
pub struct NewLook<'a> {
    pub primary_colour: Option<&'a str>,
    /// The logo's bytes and declared content type.
    pub logo: Option<(&'a [u8], &'a str)>,
}

/// The operator sets a municipality's colour and logo.
pub async fn set_look(
    app: &App,
    actor: &Actor,
    municipality_id: i64,
    new: NewLook<'_>,
) -> AppResult<()> {
    if !actor.is_operator() {
        return Err(AppError::Forbidden);
    }
    let colour = new.primary_colour.map(look::primary_colour).transpose()?;
    let logo = new
        .logo
        .map(|(bytes, content_type)| look::logo(bytes, content_type).map(|t| (bytes, t)))
        .transpose()?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if !public::set_look(&mut tx, municipality_id, colour.as_deref(), logo).await? {
        return Err(AppError::NotFound("municipality"));
    }
    tx.audit(AuditEvent {
        actor: actor.audit_name(),
        action: "municipality.look",
        object_type: "municipality",
        object_id: municipality_id.to_string(),
        area_id: None,
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A municipality's look for the operator's form (the operator only).
pub async fn look_of_municipality(
    app: &App,
    actor: &Actor,
    municipality_id: i64,
) -> AppResult<Look> {
    if !actor.is_operator() {
        return Err(AppError::Forbidden);
    }
    look_for_municipality(app, municipality_id).await
}

/// The operator sets (or with None clears) a municipality's primary
/// colour and keeps its logo.
pub async fn set_colour(
    app: &App,
    actor: &Actor,
    municipality_id: i64,
    colour: Option<&str>,
) -> AppResult<()> {
    if !actor.is_operator() {
        return Err(AppError::Forbidden);
    }
    let current = look_for_municipality(app, municipality_id).await?;
    let logo = current
        .logo
        .as_ref()
        .map(|l| (l.bytes.as_slice(), l.content_type.as_str()));
    set_look(
        app,
        actor,
        municipality_id,
        NewLook {
            primary_colour: colour,
            logo,
        },
    )
    .await
}

/// The operator sets (or with None removes) a municipality's logo, the
/// bytes with the content type the browser declared, and keeps its
/// colour. The logo is checked as on the API (`domain::look::logo`).
pub async fn set_logo(
    app: &App,
    actor: &Actor,
    municipality_id: i64,
    logo: Option<(&[u8], &str)>,
) -> AppResult<()> {
    if !actor.is_operator() {
        return Err(AppError::Forbidden);
    }
    let current = look_for_municipality(app, municipality_id).await?;
    set_look(
        app,
        actor,
        municipality_id,
        NewLook {
            primary_colour: current.primary_colour.as_deref(),
            logo,
        },
    )
    .await
}
