//! Anonymous door counts (issue 10, item 6): a door reports its running
//! totals per hour and verdict; its owner sees "checks tonight" per door
//! phone. The beheerder does not: the area's AP permit covers the list and
//! its use, not figures on how busy each venue's door is, so the counts
//! stay with the venue that made them (see the README, "Door counts").

use std::collections::HashMap;

use serde::Serialize;

use super::devices::Door;
use super::{App, AppError, AppResult};
use crate::domain::door_counts::{self, CountedVerdict};
use crate::domain::roles::{Actor, Role};
use crate::storage;

/// A door's report: stored whole (each (hour, verdict) set to the door's
/// running total) or refused whole (`invalid`, naming the row).
pub async fn record(app: &App, door: &Door, rows: &[(i64, &str, i64)]) -> AppResult<()> {
    let counts = door_counts::check_report(rows, app.clock.now())
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    storage::door_counts::set(&app.db, door.id(), &counts).await?;
    Ok(())
}

/// Checks of one door phone since tonight began, per verdict.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct CheckCounts {
    pub banned: i64,
    pub possible_match: i64,
    pub welcome: i64,
    pub outdated: i64,
    pub no_list: i64,
    pub total: i64,
}

impl CheckCounts {
    fn add(&mut self, verdict: CountedVerdict, checks: i64) {
        let slot = match verdict {
            CountedVerdict::Banned => &mut self.banned,
            CountedVerdict::PossibleMatch => &mut self.possible_match,
            CountedVerdict::Welcome => &mut self.welcome,
            CountedVerdict::Outdated => &mut self.outdated,
            CountedVerdict::NoList => &mut self.no_list,
        };
        *slot += checks;
        self.total += checks;
    }
}

/// Checks tonight (since 12:00 Dutch time of the night's first day, see
/// `domain::door_counts::tonight_starts_at`) per door phone of the owner's
/// venues in the area. Owners only; a phone without counts is absent.
pub async fn tonight(
    app: &App,
    actor: &Actor,
    area_id: i64,
    device_venues: &[(i64, i64)],
) -> AppResult<HashMap<i64, CheckCounts>> {
    if actor.role != Role::Owner || actor.area_id != Some(area_id) {
        return Err(AppError::Forbidden);
    }
    let since = door_counts::tonight_starts_at(app.clock.now())
        .ok_or(AppError::Internal("clock out of range"))?;
    let mine = |device_id: i64| {
        device_venues
            .iter()
            .any(|(d, v)| *d == device_id && actor.venue_ids.contains(v))
    };
    let mut out: HashMap<i64, CheckCounts> = HashMap::new();
    for (device_id, verdict, checks) in
        storage::door_counts::since_per_device(&app.db, area_id, since).await?
    {
        if mine(device_id) {
            out.entry(device_id).or_default().add(verdict, checks);
        }
    }
    Ok(out)
}
