//! Shared pieces of the views the services return to both skins: dates in
//! JSON as `YYYY-MM-DD`, and who may read an area's anonymous figures.

use serde::Serializer;
use time::Date;

use super::{AppError, AppResult};
use crate::domain::roles::{Actor, Role};

/// Serialises a `time::Date` as `YYYY-MM-DD`.
pub fn iso_date<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&cho_core::dates::format_iso_date(*date))
}

/// Serialises an optional `time::Date` as `YYYY-MM-DD` or null.
pub fn option_iso_date<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match date {
        Some(d) => iso_date(d, s),
        None => s.serialize_none(),
    }
}

/// The operator and the area's beheerder may read the area's anonymous
/// figures. Another area's beheerder is told it is not found, exactly like
/// a missing area; an owner's role never may (403 whatever the id).
pub fn may_read_area_figures(actor: &Actor, area_id: i64) -> AppResult<()> {
    match actor.role {
        Role::Operator => Ok(()),
        Role::Beheerder if actor.manages_area(area_id) => Ok(()),
        Role::Beheerder => Err(AppError::NotFound("area")),
        Role::Owner | Role::Municipality => Err(AppError::Forbidden),
    }
}
