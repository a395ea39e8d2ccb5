//! What the owner's pages show, one call per page: the ban form's choices
//! (venues, categories with the end date a ban would get today), and the
//! bans of their venues with the names of venue and category. The bans
//! themselves are read, issued, found and revoked by `services::bans`,
//! which these call (with the same audit events).

use std::collections::HashMap;

use time::Date;

use super::bans::{self, BanView, ListQuery, PersonInput};
use super::{App, AppError, AppResult};
use crate::domain::ban::{self as rules, BanStatus};
use crate::domain::roles::{Actor, Role};
use crate::storage::{areas, venues};

/// A venue to choose in a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VenueChoice {
    pub id: i64,
    pub name: String,
}

/// A category of the area's protocol as the ban form offers it: with the
/// period a ban issued today would get by default, computed by the rule
/// `bans::issue` applies (`domain::ban::ban_period`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryChoice {
    pub id: i64,
    pub name: String,
    pub days: i64,
    pub starts_on: Date,
    pub ends_on: Date,
}

/// The choices of the ban form.
#[derive(Clone, Debug)]
pub struct IssueForm {
    pub today: Date,
    pub venues: Vec<VenueChoice>,
    /// The categories still in use (retired ones are not offered).
    pub categories: Vec<CategoryChoice>,
}

fn owner_area(actor: &Actor) -> AppResult<i64> {
    match (actor.role, actor.area_id) {
        (Role::Owner, Some(area_id)) => Ok(area_id),
        _ => Err(AppError::Forbidden),
    }
}

async fn my_venues(app: &App, actor: &Actor, area_id: i64) -> AppResult<Vec<VenueChoice>> {
    Ok(venues::in_area(&app.db, area_id)
        .await?
        .into_iter()
        .filter(|v| actor.venue_ids.contains(&v.id))
        .map(|v| VenueChoice {
            id: v.id,
            name: v.name,
        })
        .collect())
}

/// The ban form of an owner.
pub async fn issue_form(app: &App, actor: &Actor) -> AppResult<IssueForm> {
    let area_id = owner_area(actor)?;
    let today = app.clock.today();
    let categories = areas::categories(&app.db, area_id)
        .await?
        .into_iter()
        .filter(|c| c.retired_on.is_none())
        .filter_map(|c| {
            // A category whose default does not fit the rules today cannot
            // be chosen anyway (the service would refuse it).
            let (starts_on, ends_on) =
                rules::ban_period(&c.durations, today, today, None, None).ok()?;
            Some(CategoryChoice {
                id: c.id,
                name: c.name,
                days: rules::duration_days(starts_on, ends_on),
                starts_on,
                ends_on,
            })
        })
        .collect();
    Ok(IssueForm {
        today,
        venues: my_venues(app, actor, area_id).await?,
        categories,
    })
}

/// A ban with the names of its venue and category.
pub struct NamedBan {
    pub ban: BanView,
    pub venue_name: String,
    pub category_name: String,
    /// Complaints about the ban, pending or decided (no texts); filled on
    /// the one-ban page only.
    pub complaints: Vec<super::complaints::ComplaintState>,
}

/// A search result: `same_person`, or `possible_match` (no personal data).
pub struct FoundBan {
    pub r#match: &'static str,
    pub ban: NamedBan,
}

impl FoundBan {
    pub fn same_person(&self) -> bool {
        self.r#match == "same_person"
    }
}

/// Venue and category names of an area.
struct Names {
    venues: HashMap<i64, String>,
    categories: HashMap<i64, String>,
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

    fn name(&self, ban: BanView) -> NamedBan {
        NamedBan {
            venue_name: self.venues.get(&ban.venue_id).cloned().unwrap_or_default(),
            category_name: self
                .categories
                .get(&ban.category_id)
                .cloned()
                .unwrap_or_default(),
            ban,
            complaints: Vec::new(),
        }
    }
}

/// How many bans the list page shows at most.
pub const LIST_LIMIT: i64 = 500;

/// The bans of the owner's venues, newest first, optionally of one status
/// (an audited read, see `bans::list`).
pub async fn bans(app: &App, actor: &Actor, status: Option<BanStatus>) -> AppResult<Vec<NamedBan>> {
    let area_id = owner_area(actor)?;
    let mut list = bans::list(
        app,
        actor,
        ListQuery {
            status,
            venue_id: None,
            area_id: None,
            issued_from: None,
            issued_to: None,
            after_id: 0,
            limit: LIST_LIMIT,
        },
    )
    .await?;
    list.sort_by_key(|b| std::cmp::Reverse(b.id));
    let names = Names::of(app, area_id).await?;
    Ok(list.into_iter().map(|b| names.name(b)).collect())
}

/// One ban of the owner's venues with its personal data (audited; another
/// venue's ban is "not found").
pub async fn ban(app: &App, actor: &Actor, id: i64) -> AppResult<NamedBan> {
    let area_id = owner_area(actor)?;
    let ban = bans::get(app, actor, id).await?;
    let mut named = Names::of(app, area_id).await?.name(ban);
    named.complaints = super::complaints::of_ban(app, actor, id).await?;
    Ok(named)
}

/// The bans of one person at the owner's venues (the token search).
pub async fn find(app: &App, actor: &Actor, person: &PersonInput) -> AppResult<Vec<FoundBan>> {
    let area_id = owner_area(actor)?;
    let hits = bans::find_person(app, actor, person).await?;
    let names = Names::of(app, area_id).await?;
    Ok(hits
        .into_iter()
        .map(|h| FoundBan {
            r#match: h.r#match,
            ban: names.name(h.ban),
        })
        .collect())
}
