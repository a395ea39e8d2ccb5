//! The municipality's view (issue 9, item 7): a `municipality` account
//! reads, for its own municipality only, the areas' permits and protocols
//! and their anonymous statistics (from `services::statistics`, with small
//! per-venue counts hidden). Never a ban, a name, a token or an account.
//!
//! The operator creates such accounts, with a one-time password the
//! account must change at its first login.

use serde::Serialize;
use time::Date;

use super::accounts::{self as account_service, AccountView};
use super::admin::PermitView;
use super::views::iso_date;
use super::{App, AppError, AppResult, look};
use crate::domain::audit::AuditEvent;
use crate::domain::roles::{Actor, Role};
use crate::domain::username::Username;
use crate::storage::{accounts, areas};

/// Where an area's permit stands today.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PermitState {
    /// No permit recorded: no ban may be issued, the list is empty.
    None,
    /// Not yet in force.
    NotYetValid,
    Valid,
    /// In force, and expires within
    /// [`crate::domain::protocol::PERMIT_WARNING_DAYS`]
    /// ([`crate::domain::protocol::Permit::expires_soon`]).
    ExpiresSoon,
    Expired,
}

/// One category of an area's protocol.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CategoryLine {
    pub code: String,
    pub name: String,
    pub default_days: i64,
    pub max_days: i64,
    /// Since when no new ban may choose it.
    #[serde(serialize_with = "super::views::option_iso_date")]
    pub retired_on: Option<Date>,
}

/// An area as its municipality sees it.
#[derive(Clone, Debug, Serialize)]
pub struct MunicipalArea {
    pub id: i64,
    pub name: String,
    pub permit: Option<PermitView>,
    pub permit_state: PermitState,
    /// Days until the permit's last day (negative once expired).
    pub permit_days_left: Option<i64>,
    pub complaint_window_days: i64,
    pub retention_days: i64,
    pub max_list_age_seconds: i64,
    pub categories: Vec<CategoryLine>,
}

/// The municipality's start page.
#[derive(Clone, Debug, Serialize)]
pub struct MunicipalOverview {
    pub municipality_id: i64,
    pub municipality_name: String,
    #[serde(serialize_with = "iso_date")]
    pub on: Date,
    pub areas: Vec<MunicipalArea>,
}

fn permit_state(permit: Option<&crate::domain::protocol::Permit>, today: Date) -> PermitState {
    match permit {
        None => PermitState::None,
        Some(p) if today < p.granted_on => PermitState::NotYetValid,
        Some(p) if today > p.expires_on => PermitState::Expired,
        Some(p) if p.expires_soon(today) => PermitState::ExpiresSoon,
        Some(_) => PermitState::Valid,
    }
}

/// The municipality's own areas with permit and protocol (the
/// `municipality` role only).
pub async fn overview(app: &App, actor: &Actor) -> AppResult<MunicipalOverview> {
    let municipality_id = match (actor.role, actor.municipality_id) {
        (Role::Municipality, Some(id)) => id,
        _ => return Err(AppError::Forbidden),
    };
    let municipality_name = areas::municipalities(&app.db)
        .await?
        .into_iter()
        .find(|(id, _)| *id == municipality_id)
        .map(|(_, name)| name)
        .ok_or(AppError::NotFound("municipality"))?;
    let today = app.clock.today();
    let mut out = Vec::new();
    for area in areas::areas(&app.db)
        .await?
        .into_iter()
        .filter(|a| a.municipality_id == municipality_id)
    {
        let categories = areas::categories(&app.db, area.id)
            .await?
            .into_iter()
            .map(|c| CategoryLine {
                code: c.code,
                name: c.name,
                default_days: c.durations.default_days,
                max_days: c.durations.max_days,
                retired_on: c.retired_on,
            })
            .collect();
        out.push(MunicipalArea {
            id: area.id,
            name: area.name,
            permit_state: permit_state(area.permit.as_ref(), today),
            permit_days_left: area
                .permit
                .as_ref()
                .map(|p| (p.expires_on - today).whole_days()),
            permit: area.permit.map(|p| PermitView {
                reference: p.reference,
                granted_on: p.granted_on,
                expires_on: p.expires_on,
            }),
            complaint_window_days: area.settings.complaint_window_days,
            retention_days: area.settings.retention_days,
            max_list_age_seconds: area.settings.max_list_age_seconds,
            categories,
        });
    }
    Ok(MunicipalOverview {
        municipality_id,
        municipality_name,
        on: today,
        areas: out,
    })
}

/// A municipality account just made: its id, and the one-time password
/// shown once to the operator.
#[derive(Debug, Serialize)]
pub struct NewMunicipalityAccount {
    pub id: i64,
    pub username: String,
    pub password: String,
}

/// The operator creates a `municipality` account for `municipality_id`
/// with a one-time password (changed at its first login). Audited by
/// account id.
pub async fn create_account(
    app: &App,
    actor: &Actor,
    municipality_id: i64,
    username: &str,
) -> AppResult<NewMunicipalityAccount> {
    if !actor.is_operator() {
        return Err(AppError::Forbidden);
    }
    let username = Username::parse(username).map_err(|e| AppError::Invalid(e.to_string()))?;
    if !areas::municipalities(&app.db)
        .await?
        .iter()
        .any(|(id, _)| *id == municipality_id)
    {
        return Err(AppError::NotFound("municipality"));
    }
    let password = account_service::one_time_password()?;
    let hash = account_service::hash_blocking(app, &password).await?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let id =
        accounts::create_municipality_account(&mut tx, username.as_str(), &hash, municipality_id)
            .await?;
    tx.audit(AuditEvent {
        actor: actor.audit_name(),
        action: "account.create",
        object_type: "account",
        object_id: id.to_string(),
        area_id: None,
    })
    .await?;
    tx.commit().await?;
    Ok(NewMunicipalityAccount {
        id,
        username: username.as_str().to_owned(),
        password,
    })
}

/// The `municipality` accounts of a municipality (the operator only).
pub async fn accounts(
    app: &App,
    actor: &Actor,
    municipality_id: i64,
) -> AppResult<Vec<AccountView>> {
    if !actor.is_operator() {
        return Err(AppError::Forbidden);
    }
    let mut out = Vec::new();
    for a in accounts::of_municipality(&app.db, municipality_id).await? {
        out.push(account_service::view(app, a, &[]).await?);
    }
    Ok(out)
}

/// The operator's page of a municipality: its look and its accounts.
pub struct MunicipalityAdmin {
    pub look: look::Look,
    pub accounts: Vec<AccountView>,
}

/// Everything the operator's municipality page shows, in one call.
pub async fn for_operator(
    app: &App,
    actor: &Actor,
    municipality_id: i64,
) -> AppResult<MunicipalityAdmin> {
    let look = look::look_of_municipality(app, actor, municipality_id).await?;
    let accounts = accounts(app, actor, municipality_id).await?;
    Ok(MunicipalityAdmin { look, accounts })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::protocol::Permit;
    use time::macros::date;

    #[test]
    fn the_permit_state_warns_ninety_days_ahead() {
        let p = Permit::new("AP 1", date!(2025 - 01 - 01), date!(2026 - 12 - 31)).unwrap();
        assert_eq!(permit_state(None, date!(2026 - 01 - 01)), PermitState::None);
        assert_eq!(
            permit_state(Some(&p), date!(2024 - 12 - 31)),
            PermitState::NotYetValid
        );
        assert_eq!(
            permit_state(Some(&p), date!(2026 - 10 - 01)),
            PermitState::Valid
        );
        assert_eq!(
            permit_state(Some(&p), date!(2026 - 10 - 02)),
            PermitState::ExpiresSoon
        );
        assert_eq!(
            permit_state(Some(&p), date!(2026 - 09 - 01)),
            PermitState::Valid
        );
        assert_eq!(
            permit_state(Some(&p), date!(2027 - 01 - 01)),
            PermitState::Expired
        );
    }
}
