//! The beheerder's records for the pages: the bans of their area with the
//! venue and category names beside the ids, a ban with its related bans,
//! and the area every `/gebied/...` page is about. The reading, auditing
//! and revoking itself is `services::bans`; this only adds names and the
//! role check of the beheerder's pages (an owner has their own).

use std::collections::BTreeMap;

use super::bans::{self, BanView, ListQuery};
use super::{App, AppError, AppResult};
use crate::domain::ban::BanStatus;
use crate::domain::roles::{Actor, Role};
use crate::storage::{areas, venues};

/// Bans per page of the list.
pub const PAGE_SIZE: i64 = 25;

/// A venue to filter by.
pub struct Choice {
    pub id: i64,
    pub name: String,
}

/// One ban with the names of its venue and category.
pub struct BanLine {
    pub ban: BanView,
    pub venue_name: String,
    pub category_name: String,
}

/// A page of the area's bans.
pub struct AreaBans {
    pub venues: Vec<Choice>,
    pub bans: Vec<BanLine>,
    /// Where the next page starts (None: this was the last).
    pub next_after: Option<i64>,
}

/// Another ban of the area that shares an identity token with this one.
/// A possible match may be someone else: it carries no personal data.
pub struct RelatedLine {
    pub ban_id: i64,
    /// The full identity matches (`same_person`), or only part of it.
    pub same_person: bool,
    pub status: BanStatus,
    pub starts_on: String,
    pub ends_on: String,
    pub venue_name: String,
    pub category_name: String,
}

/// One ban with its person and its related bans.
pub struct BanDetail {
    pub line: BanLine,
    pub related: Vec<RelatedLine>,
    /// Complaints about the ban, pending or decided (the texts are on the
    /// complaint's own page).
    pub complaints: Vec<super::complaints::ComplaintState>,
}

/// The area a beheerder's pages are about: theirs. Every other role is
/// refused (the operator reads an area's statistics by its id).
pub fn own_area(actor: &Actor) -> AppResult<i64> {
    match actor.role {
        Role::Beheerder => actor.area_id.ok_or(AppError::Forbidden),
        Role::Operator | Role::Owner | Role::Municipality => Err(AppError::Forbidden),
    }
}

struct Names {
    venues: BTreeMap<i64, String>,
    categories: BTreeMap<i64, String>,
}

impl Names {
    async fn of(app: &App, area_id: i64) -> AppResult<Self> {
        Ok(Self {
            venues: venues::in_area(&app.db, area_id)
                .await?
                .into_iter()
                .map(|v| (v.id, v.name))
                .collect(),
            categories: areas::categories(&app.db, area_id)
                .await?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect(),
        })
    }

    fn venue(&self, id: i64) -> String {
        self.venues.get(&id).cloned().unwrap_or_default()
    }

    fn category(&self, id: i64) -> String {
        self.categories.get(&id).cloned().unwrap_or_default()
    }

    fn line(&self, ban: BanView) -> BanLine {
        BanLine {
            venue_name: self.venue(ban.venue_id),
            category_name: self.category(ban.category_id),
            ban,
        }
    }
}

/// A page of the beheerder's area's bans (an audited read, by
/// `bans::list`), filtered by status and venue, after ban `after_id`.
pub async fn area_bans(
    app: &App,
    actor: &Actor,
    status: Option<BanStatus>,
    venue_id: Option<i64>,
    after_id: i64,
) -> AppResult<AreaBans> {
    let area_id = own_area(actor)?;
    let names = Names::of(app, area_id).await?;
    if venue_id.is_some_and(|v| !names.venues.contains_key(&v)) {
        return Err(AppError::NotFound("venue"));
    }
    let views = bans::list(
        app,
        actor,
        ListQuery {
            status,
            venue_id,
            area_id: Some(area_id),
            issued_from: None,
            issued_to: None,
            after_id,
            limit: PAGE_SIZE,
        },
    )
    .await?;
    let next_after = views
        .last()
        .map(|b| b.id)
        .filter(|_| views.len() as i64 == PAGE_SIZE);
    Ok(AreaBans {
        venues: names
            .venues
            .iter()
            .map(|(id, name)| Choice {
                id: *id,
                name: name.clone(),
            })
            .collect(),
        bans: views.into_iter().map(|b| names.line(b)).collect(),
        next_after,
    })
}

/// One ban of the beheerder's area with its person (an audited read, by
/// `bans::get`) and its related bans, without their personal data.
pub async fn ban_detail(app: &App, actor: &Actor, id: i64) -> AppResult<BanDetail> {
    let area_id = own_area(actor)?;
    let ban = bans::get(app, actor, id).await?;
    let names = Names::of(app, area_id).await?;
    let mut related = Vec::new();
    for r in ban.related_bans.as_deref().unwrap_or_default() {
        let other = bans::summary(app, actor, r.ban_id).await?;
        related.push(RelatedLine {
            ban_id: other.id,
            same_person: r.r#match == "same_person",
            status: other.status,
            venue_name: names.venue(other.venue_id),
            category_name: names.category(other.category_id),
            starts_on: other.starts_on,
            ends_on: other.ends_on,
        });
    }
    let complaints = super::complaints::of_ban(app, actor, id).await?;
    Ok(BanDetail {
        line: names.line(ban),
        related,
        complaints,
    })
}

/// The beheerder revokes a ban of their area (`bans::revoke`; the
/// owner revokes from their own pages).
pub async fn revoke(app: &App, actor: &Actor, id: i64, reason: &str) -> AppResult<()> {
    own_area(actor)?;
    bans::revoke(app, actor, id, reason).await
}
