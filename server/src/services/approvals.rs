//! Four-eyes and the repeat rules (issue 9 items 5 and 6): the protocol
//! settings, the beheerder's approval queue, approving and rejecting a
//! requested ban, and the form for a ban the beheerder records on a venue
//! owner's instruction (issued through `bans::issue`).
//!
//! A requested ban's period starts at its approval; the repeat rules are
//! applied again as of that day (see `domain::repeat::approved_period`
//! and `approved_days` for why). A request nobody decides is deleted
//! after `repeat::UNDECIDED_REQUEST_DAYS` (`services::retention`).

use std::collections::HashMap;

use serde::Serialize;

use super::bans::{self, BanView, ListQuery};
use super::{App, AppError, AppResult};
use crate::domain::ban::{self as rules, BanStatus};
use crate::domain::protocol::{ProtocolError, ProtocolSettings, venue_admitted_on};
use crate::domain::repeat::{self, RepeatRule, RepeatRules, ReviewRules};
use crate::domain::roles::{Actor, Role};
use crate::storage::bans as store;
use crate::storage::{areas, venues};

/// A change of the repeat rules (all three replace the stored ones).
#[derive(Clone, Copy, Debug, Default)]
pub struct RepeatInput {
    pub breach_days: Option<i64>,
    pub repeat_count: Option<i64>,
    pub lookback_days: i64,
}

/// Four-eyes and the repeat rules as sent; `None` keeps what is stored, so
/// today's callers of `PUT /api/v1/areas/{id}/protocol` keep working.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReviewChanges {
    pub four_eyes: Option<bool>,
    pub repeat: Option<RepeatInput>,
}

/// Four-eyes and the repeat rules as the protocol shows them.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ReviewRulesView {
    pub four_eyes: bool,
    pub repeat_rules: RepeatRulesView,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct RepeatRulesView {
    pub breach_days: Option<i64>,
    pub repeat_count: Option<i64>,
    pub lookback_days: i64,
}

impl From<ReviewRules> for ReviewRulesView {
    fn from(r: ReviewRules) -> Self {
        Self {
            four_eyes: r.four_eyes,
            repeat_rules: RepeatRulesView {
                breach_days: r.repeat.breach_days,
                repeat_count: r.repeat.repeat_count,
                lookback_days: r.repeat.lookback_days,
            },
        }
    }
}

fn beheerder_area(actor: &Actor) -> AppResult<i64> {
    match (actor.role, actor.area_id) {
        (Role::Beheerder, Some(area_id)) => Ok(area_id),
        _ => Err(AppError::Forbidden),
    }
}

/// Four-eyes and the repeat rules of an area the caller may see (the
/// operator, the area's beheerder and owners).
pub async fn review_rules(app: &App, actor: &Actor, area_id: i64) -> AppResult<ReviewRulesView> {
    let may = match actor.role {
        Role::Operator => true,
        Role::Beheerder | Role::Owner => actor.area_id == Some(area_id),
        Role::Municipality => false,
    };
    if !may {
        return Err(AppError::Forbidden);
    }
    areas::review_rules(&app.db, area_id)
        .await?
        .map(ReviewRulesView::from)
        .ok_or(AppError::NotFound("area"))
}

/// Sets the protocol settings with four-eyes and the repeat rules, in one
/// transaction (audited `area.protocol`). The repeat rule's look-back may
/// not exceed the retention, also when only the retention changes: a 422
/// that names both.
pub async fn set_protocol(
    app: &App,
    actor: &Actor,
    area_id: i64,
    settings: ProtocolSettings,
    changes: ReviewChanges,
) -> AppResult<()> {
    if !actor.manages_area(area_id) {
        return Err(AppError::Forbidden);
    }
    let stored = areas::review_rules(&app.db, area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let repeat = match changes.repeat {
        Some(r) => RepeatRules::new(
            r.breach_days,
            r.repeat_count,
            r.lookback_days,
            settings.retention_days,
        )
        .map_err(ProtocolError::from)?,
        None => {
            stored
                .repeat
                .check_retention(settings.retention_days)
                .map_err(ProtocolError::from)?;
            stored.repeat
        }
    };
    let rules = ReviewRules {
        four_eyes: changes.four_eyes.unwrap_or(stored.four_eyes),
        repeat,
    };
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if !areas::set_settings(&mut tx, area_id, &settings).await?
        || !areas::set_review_rules(&mut tx, area_id, &rules).await?
    {
        return Err(AppError::NotFound("area"));
    }
    tx.audit(crate::domain::audit::AuditEvent {
        actor: actor.audit_name(),
        action: "area.protocol",
        object_type: "area",
        object_id: area_id.to_string(),
        area_id: Some(area_id),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Four-eyes and the repeat rules of the beheerder's own area.
pub async fn my_review_rules(app: &App, actor: &Actor) -> AppResult<ReviewRulesView> {
    let area_id = beheerder_area(actor)?;
    review_rules(app, actor, area_id).await
}

/// Sets four-eyes and the repeat rules of the beheerder's own area,
/// keeping the other protocol settings (the protocol page's own form).
pub async fn set_my_review_rules(
    app: &App,
    actor: &Actor,
    changes: ReviewChanges,
) -> AppResult<()> {
    let area_id = beheerder_area(actor)?;
    let area = areas::area(&app.db, area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    set_protocol(app, actor, area_id, area.settings, changes).await
}

/// A requested ban in the approval queue, with its venue and category.
pub struct QueuedBan {
    pub ban: BanView,
    pub venue_name: String,
    pub category_name: String,
}

/// The beheerder's approval queue: the requested bans of their area,
/// oldest first, with names (an audited read: `bans::list`).
pub async fn queue(app: &App, actor: &Actor) -> AppResult<Vec<QueuedBan>> {
    let area_id = beheerder_area(actor)?;
    let list = bans::list(
        app,
        actor,
        ListQuery {
            status: Some(BanStatus::Requested),
            venue_id: None,
            area_id: Some(area_id),
            issued_from: None,
            issued_to: None,
            after_id: 0,
            limit: 500,
        },
    )
    .await?;
    let venue_names: HashMap<i64, String> = venues::in_area(&app.db, area_id)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let category_names: HashMap<i64, String> = areas::categories(&app.db, area_id)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    Ok(list
        .into_iter()
        .map(|ban| QueuedBan {
            venue_name: venue_names.get(&ban.venue_id).cloned().unwrap_or_default(),
            category_name: category_names
                .get(&ban.category_id)
                .cloned()
                .unwrap_or_default(),
            ban,
        })
        .collect())
}

/// A requested ban of the beheerder's area (another area's, or one of an
/// owner's own, is "not found"; any other role is refused first).
async fn requested(app: &App, actor: &Actor, id: i64) -> AppResult<store::BanRow> {
    beheerder_area(actor)?;
    let row = bans::in_scope(app, actor, id).await?;
    if row.status(app.clock.today())? != BanStatus::Requested {
        return Err(AppError::Conflict(
            "only a requested ban can be approved or rejected".to_owned(),
        ));
    }
    Ok(row)
}

/// The beheerder approves a requested ban: it becomes active, its period
/// starting today (or later if so requested), and goes on the next list.
/// The repeat rules are applied again as of today (`repeat::approved_days`:
/// the other bans may have been approved, ended or overturned while it
/// waited; the look-back counts back from today). The permit and the
/// venue's admission must hold today, as at issue. Audited `ban.approve`.
pub async fn approve(app: &App, actor: &Actor, id: i64) -> AppResult<()> {
    let row = requested(app, actor, id).await?;
    let today = app.clock.today();
    let venue = venues::venue(&app.db, row.venue_id)
        .await?
        .ok_or(AppError::NotFound("venue"))?;
    let area = areas::area(&app.db, row.area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    rules::may_issue(
        area.permit.as_ref(),
        venue.admitted_on,
        venue.withdrawn_on,
        today,
    )?;
    let category = areas::category(&app.db, row.category_id)
        .await?
        .ok_or(AppError::NotFound("category"))?;
    let review = areas::review_rules(&app.db, row.area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let outcome =
        bans::repeat_for_stored(app, &row, &review.repeat, category.durations.max_days).await?;
    let days = repeat::approved_days(
        rules::duration_days(row.starts_on, row.ends_on),
        row.repeat_rule.as_deref().and_then(RepeatRule::parse),
        outcome,
        category.durations.default_days,
    );
    let (starts_on, ends_on) = repeat::approved_period(row.starts_on, days, today);
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let rule = outcome.map(|o| o.rule.as_str());
    if !store::approve(&mut tx, id, starts_on, ends_on, rule).await? {
        return Err(AppError::Conflict(
            "only a requested ban can be approved or rejected".to_owned(),
        ));
    }
    tx.audit(bans::ban_event(actor, "ban.approve", id, row.area_id))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The beheerder rejects a requested ban with a reason (sealed: it may
/// name people); it never reaches a list. Audited `ban.reject`.
pub async fn reject(app: &App, actor: &Actor, id: i64, reason: &str) -> AppResult<()> {
    let reason = rules::text(reason, "reason", true)?.unwrap_or_default();
    let row = requested(app, actor, id).await?;
    let record_id = row
        .record_id
        .as_deref()
        .ok_or(AppError::Internal("ban without record id"))?;
    let sealed = bans::seal_ban_text(app, row.area_id, record_id, bans::STATUS_REASON, &reason)?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if !store::reject(&mut tx, id, &sealed).await? {
        return Err(AppError::Conflict(
            "only a requested ban can be approved or rejected".to_owned(),
        ));
    }
    tx.audit(bans::ban_event(actor, "ban.reject", id, row.area_id))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The choices of the beheerder's ban form (on a venue owner's
/// instruction): the venues admitted today and the categories in use,
/// in the owner's form's shape.
pub async fn behalf_form(app: &App, actor: &Actor) -> AppResult<super::owner::IssueForm> {
    let area_id = beheerder_area(actor)?;
    let today = app.clock.today();
    let venues = venues::in_area(&app.db, area_id)
        .await?
        .into_iter()
        .filter(|v| venue_admitted_on(v.admitted_on, v.withdrawn_on, today))
        .map(|v| super::owner::VenueChoice {
            id: v.id,
            name: v.name,
        })
        .collect();
    let categories = areas::categories(&app.db, area_id)
        .await?
        .into_iter()
        .filter(|c| c.retired_on.is_none())
        .filter_map(|c| {
            let (starts_on, ends_on) =
                rules::ban_period(&c.durations, today, today, None, None).ok()?;
            Some(super::owner::CategoryChoice {
                id: c.id,
                name: c.name,
                days: rules::duration_days(starts_on, ends_on),
                starts_on,
                ends_on,
            })
        })
        .collect();
    Ok(super::owner::IssueForm {
        today,
        venues,
        categories,
    })
}
