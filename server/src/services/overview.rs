//! Overviews, one call per page: the owner's dashboard, the area overview
//! (beheerder; the operator sees the same, which holds no personal data),
//! and the operator's overview of municipalities, areas and beheerders.
//! Ages are computed from `app.clock`; active bans are counted with the
//! statistics' definition (`storage::bans::active_by_category_and_venue`).

use std::collections::BTreeMap;

use serde::Serialize;
use time::Date;

use super::door_counts::CheckCounts;
use super::views::{iso_date, may_read_area_figures, option_iso_date};
use super::{App, AppError, AppResult};
use crate::domain::protocol::{Permit, venue_admitted_on};
use crate::domain::roles::{Actor, Role};
use crate::storage::devices::DeviceRow;
use crate::storage::venues::VenueRow;
use crate::storage::{accounts, areas, bans, devices, lists, venues};

/// A venue's admission on a day.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AdmissionState {
    /// Admitted and not withdrawn: takes part today.
    Admitted,
    /// Admitted from a later day.
    Pending,
    /// Withdrawn on or before today.
    Withdrawn,
    /// Never admitted.
    NotAdmitted,
}

impl AdmissionState {
    pub fn of(admitted_on: Option<Date>, withdrawn_on: Option<Date>, today: Date) -> Self {
        if venue_admitted_on(admitted_on, withdrawn_on, today) {
            Self::Admitted
        } else if withdrawn_on.is_some_and(|w| w <= today) {
            Self::Withdrawn
        } else if admitted_on.is_some() {
            Self::Pending
        } else {
            Self::NotAdmitted
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct VenueState {
    pub id: i64,
    pub name: String,
    pub address: String,
    #[serde(serialize_with = "option_iso_date")]
    pub admitted_on: Option<Date>,
    #[serde(serialize_with = "option_iso_date")]
    pub withdrawn_on: Option<Date>,
    pub admission: AdmissionState,
    pub active_bans: i64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DeviceView {
    pub id: i64,
    pub name: String,
    pub venue_id: i64,
    pub venue_name: String,
    /// Unix seconds.
    pub enrolled_at: i64,
    pub last_sync_at: Option<i64>,
    pub revoked: bool,
    pub revoked_at: Option<i64>,
    /// Live, but not synced (or, never synced, not enrolled) within the
    /// area's maximum list age: its door may be showing "list outdated".
    pub stale: bool,
    /// The owner's dashboard only: checks since tonight began (see
    /// `services::door_counts::tonight`); absent in the area overview.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks_tonight: Option<CheckCounts>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ListState {
    pub version: i64,
    /// Unix seconds.
    pub issued_at: i64,
    pub age_seconds: i64,
    pub entries: i64,
    /// Older than the area's maximum list age.
    pub outdated: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PermitState {
    pub reference: String,
    #[serde(serialize_with = "iso_date")]
    pub granted_on: Date,
    #[serde(serialize_with = "iso_date")]
    pub expires_on: Date,
    pub valid_today: bool,
    /// Negative once expired.
    pub days_until_expiry: i64,
    /// Valid, and expires within
    /// [`crate::domain::protocol::PERMIT_WARNING_DAYS`] days
    /// ([`Permit::expires_soon`]).
    pub expires_soon: bool,
    pub expired: bool,
}

impl PermitState {
    pub fn of(p: &Permit, today: Date) -> Self {
        let days = (p.expires_on - today).whole_days();
        let valid_today = p.valid_on(today);
        Self {
            reference: p.reference.clone(),
            granted_on: p.granted_on,
            expires_on: p.expires_on,
            valid_today,
            days_until_expiry: days,
            expires_soon: p.expires_soon(today),
            expired: today > p.expires_on,
        }
    }
}

/// The owner's dashboard.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Dashboard {
    pub area_id: i64,
    pub area_name: String,
    #[serde(serialize_with = "iso_date")]
    pub today: Date,
    /// Unix seconds.
    pub now: i64,
    pub permit_valid_today: bool,
    pub venues: Vec<VenueState>,
    pub active_bans: i64,
    /// Door phones of the owner's venues, revoked ones included.
    pub devices: Vec<DeviceView>,
    /// The area's latest published list; None before the first.
    pub list: Option<ListState>,
    pub max_list_age_seconds: i64,
}

/// The area overview.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AreaOverview {
    pub area_id: i64,
    pub area_name: String,
    pub municipality_id: i64,
    pub municipality_name: String,
    #[serde(serialize_with = "iso_date")]
    pub today: Date,
    pub now: i64,
    pub permit: Option<PermitState>,
    pub venues: Vec<VenueState>,
    pub active_bans: i64,
    pub devices: DeviceCounts,
    /// Live phones not synced within the maximum list age.
    pub stale_devices: Vec<DeviceView>,
    pub list: Option<ListState>,
    pub max_list_age_seconds: i64,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct DeviceCounts {
    pub active: i64,
    pub revoked: i64,
    pub stale: i64,
}

/// The operator's overview.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OperatorOverview {
    pub municipalities: Vec<MunicipalityOverview>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MunicipalityOverview {
    pub id: i64,
    pub name: String,
    pub areas: Vec<AreaSummary>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AreaSummary {
    pub id: i64,
    pub name: String,
    pub permit_valid_today: bool,
    pub beheerders: Vec<BeheerderAccount>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct BeheerderAccount {
    pub id: i64,
    pub username: String,
    pub disabled: bool,
}

fn venue_state(v: &VenueRow, today: Date, active: &BTreeMap<i64, i64>) -> VenueState {
    VenueState {
        id: v.id,
        name: v.name.clone(),
        address: v.address.clone(),
        admitted_on: v.admitted_on,
        withdrawn_on: v.withdrawn_on,
        admission: AdmissionState::of(v.admitted_on, v.withdrawn_on, today),
        active_bans: active.get(&v.id).copied().unwrap_or(0),
    }
}

fn device_view(d: &DeviceRow, venue_name: String, now: i64, max_age: i64) -> DeviceView {
    let seen = d.last_sync_at.unwrap_or(d.enrolled_at);
    DeviceView {
        id: d.id,
        name: d.name.clone(),
        venue_id: d.venue_id,
        venue_name,
        enrolled_at: d.enrolled_at,
        last_sync_at: d.last_sync_at,
        revoked: d.revoked_at.is_some(),
        revoked_at: d.revoked_at,
        stale: d.revoked_at.is_none() && now - seen > max_age,
        checks_tonight: None,
    }
}

async fn list_state(
    app: &App,
    area_id: i64,
    now: i64,
    max_age: i64,
) -> AppResult<Option<ListState>> {
    Ok(lists::latest(&app.db, area_id).await?.map(|l| {
        let age = (now - l.issued_at).max(0);
        ListState {
            version: l.version,
            issued_at: l.issued_at,
            age_seconds: age,
            entries: l.entries,
            outdated: age > max_age,
        }
    }))
}

/// Active bans per venue of an area today.
async fn active_per_venue(app: &App, area_id: i64, today: Date) -> AppResult<BTreeMap<i64, i64>> {
    let mut out = BTreeMap::new();
    for (_, venue_id, n) in bans::active_by_category_and_venue(&app.db, area_id, today).await? {
        *out.entry(venue_id).or_default() += n;
    }
    Ok(out)
}

/// The owner's dashboard: their venues, their bans, their door phones and
/// the area's latest list.
pub async fn dashboard(app: &App, actor: &Actor) -> AppResult<Dashboard> {
    let (Role::Owner, Some(area_id)) = (actor.role, actor.area_id) else {
        return Err(AppError::Forbidden);
    };
    let area = areas::area(&app.db, area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let (today, now) = (app.clock.today(), app.clock.now());
    let max_age = area.settings.max_list_age_seconds;
    let active = active_per_venue(app, area_id, today).await?;
    let mine: Vec<VenueRow> = venues::in_area(&app.db, area_id)
        .await?
        .into_iter()
        .filter(|v| actor.venue_ids.contains(&v.id))
        .collect();
    let name_of = |id: i64| {
        mine.iter()
            .find(|v| v.id == id)
            .map(|v| v.name.clone())
            .unwrap_or_default()
    };
    let rows: Vec<DeviceRow> = devices::in_area(&app.db, area_id)
        .await?
        .into_iter()
        .filter(|d| actor.venue_ids.contains(&d.venue_id))
        .collect();
    let pairs: Vec<(i64, i64)> = rows.iter().map(|d| (d.id, d.venue_id)).collect();
    let tonight = super::door_counts::tonight(app, actor, area_id, &pairs).await?;
    let devices = rows
        .iter()
        .map(|d| DeviceView {
            checks_tonight: Some(tonight.get(&d.id).copied().unwrap_or_default()),
            ..device_view(d, name_of(d.venue_id), now, max_age)
        })
        .collect();
    let venues: Vec<VenueState> = mine
        .iter()
        .map(|v| venue_state(v, today, &active))
        .collect();
    Ok(Dashboard {
        area_id,
        area_name: area.name,
        today,
        now,
        permit_valid_today: area.permit.as_ref().is_some_and(|p| p.valid_on(today)),
        active_bans: venues.iter().map(|v| v.active_bans).sum(),
        venues,
        devices,
        list: list_state(app, area_id, now, max_age).await?,
        max_list_age_seconds: max_age,
    })
}

/// The area overview for its beheerder and the operator.
pub async fn area(app: &App, actor: &Actor, area_id: i64) -> AppResult<AreaOverview> {
    may_read_area_figures(actor, area_id)?;
    let area = areas::area(&app.db, area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let (today, now) = (app.clock.today(), app.clock.now());
    let max_age = area.settings.max_list_age_seconds;
    let active = active_per_venue(app, area_id, today).await?;
    let venue_rows = venues::in_area(&app.db, area_id).await?;
    let name_of = |id: i64| {
        venue_rows
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.name.clone())
            .unwrap_or_default()
    };
    let all: Vec<DeviceView> = devices::in_area(&app.db, area_id)
        .await?
        .iter()
        .map(|d| device_view(d, name_of(d.venue_id), now, max_age))
        .collect();
    let count = |f: &dyn Fn(&DeviceView) -> bool| all.iter().filter(|d| f(d)).count() as i64;
    let counts = DeviceCounts {
        active: count(&|d| !d.revoked),
        revoked: count(&|d| d.revoked),
        stale: count(&|d| d.stale),
    };
    let municipality_name = areas::municipalities(&app.db)
        .await?
        .into_iter()
        .find(|(id, _)| *id == area.municipality_id)
        .map(|(_, name)| name)
        .unwrap_or_default();
    Ok(AreaOverview {
        area_id,
        area_name: area.name,
        municipality_id: area.municipality_id,
        municipality_name,
        today,
        now,
        permit: area.permit.as_ref().map(|p| PermitState::of(p, today)),
        venues: venue_rows
            .iter()
            .map(|v| venue_state(v, today, &active))
            .collect(),
        active_bans: active.values().sum(),
        devices: counts,
        stale_devices: all.into_iter().filter(|d| d.stale).collect(),
        list: list_state(app, area_id, now, max_age).await?,
        max_list_age_seconds: max_age,
    })
}

/// The operator's overview: municipalities, their areas, each area's
/// beheerder accounts.
pub async fn operator(app: &App, actor: &Actor) -> AppResult<OperatorOverview> {
    if !actor.is_operator() {
        return Err(AppError::Forbidden);
    }
    let today = app.clock.today();
    let all_areas = areas::areas(&app.db).await?;
    let beheerders: Vec<_> = accounts::all(&app.db)
        .await?
        .into_iter()
        .filter(|a| a.role == Role::Beheerder)
        .collect();
    let municipalities = areas::municipalities(&app.db)
        .await?
        .into_iter()
        .map(|(id, name)| MunicipalityOverview {
            areas: all_areas
                .iter()
                .filter(|a| a.municipality_id == id)
                .map(|a| AreaSummary {
                    id: a.id,
                    name: a.name.clone(),
                    permit_valid_today: a.permit.as_ref().is_some_and(|p| p.valid_on(today)),
                    beheerders: beheerders
                        .iter()
                        .filter(|b| b.area_id == Some(a.id))
                        .map(|b| BeheerderAccount {
                            id: b.id,
                            username: b.username.clone(),
                            disabled: b.disabled,
                        })
                        .collect(),
                })
                .collect(),
            id,
            name,
        })
        .collect();
    Ok(OperatorOverview { municipalities })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn admission_states() {
        let today = date!(2026 - 11 - 28);
        let s = |a, w| AdmissionState::of(a, w, today);
        assert_eq!(s(Some(today), None), AdmissionState::Admitted);
        assert_eq!(
            s(Some(date!(2026 - 12 - 01)), None),
            AdmissionState::Pending
        );
        assert_eq!(
            s(Some(date!(2026 - 01 - 01)), Some(today)),
            AdmissionState::Withdrawn
        );
        assert_eq!(
            s(Some(date!(2026 - 01 - 01)), Some(date!(2026 - 12 - 01))),
            AdmissionState::Admitted
        );
        assert_eq!(s(None, None), AdmissionState::NotAdmitted);
    }

    #[test]
    fn permit_warning_from_ninety_days() {
        let p = |expires| Permit::new("AP 1", date!(2025 - 01 - 01), expires).unwrap();
        let today = date!(2026 - 11 - 28);
        let far = PermitState::of(&p(date!(2027 - 02 - 27)), today);
        assert_eq!(
            (far.days_until_expiry, far.expires_soon, far.expired),
            (91, false, false)
        );
        let soon = PermitState::of(&p(date!(2027 - 02 - 26)), today);
        assert_eq!((soon.days_until_expiry, soon.expires_soon), (90, true));
        let last_day = PermitState::of(&p(today), today);
        assert!(last_day.valid_today && last_day.expires_soon && !last_day.expired);
        let gone = PermitState::of(&p(date!(2026 - 11 - 27)), today);
        assert!(!gone.valid_today && !gone.expires_soon && gone.expired);
        assert_eq!(gone.days_until_expiry, -1);
    }
}
