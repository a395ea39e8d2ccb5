//! Bans: the rules a ban must satisfy when it is issued, its lifecycle, and
//! the personal data it carries (sealed at rest, never logged).

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use super::protocol::{Durations, MAX_BAN_DAYS, Permit};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BanRuleError {
    #[error("the area has no valid AP permit on {0}: no ban may be issued")]
    NoValidPermit(String),
    #[error("the venue is not admitted under the area's permit")]
    VenueNotAdmitted,
    #[error("the ban would last {days} days; the category allows at most {max} days")]
    TooLongForCategory { days: i64, max: i64 },
    #[error(
        "the ban would last {days} days; no ban may last more than {MAX_BAN_DAYS} days (2 years)"
    )]
    TooLong { days: i64 },
    #[error("the ban ends before it starts")]
    EndsBeforeStart,
    #[error("the ban may not start before the incident or more than 30 days after today")]
    StartOutOfRange,
    #[error("the incident may not be in the future")]
    IncidentInFuture,
    #[error("the incident may not be more than a year ago")]
    IncidentTooLongAgo,
    #[error("the birth date may not be before 1900")]
    BirthDateBefore1900,
    #[error("the birth date may not be in the future")]
    BirthDateInFuture,
    #[error("record the hearing statement, or why the person was not heard")]
    HearingMissing,
    #[error("{0} may not be empty")]
    Empty(&'static str),
    #[error("{0} is too long")]
    TooLongText(&'static str),
}

/// The ban's last day from its start and duration: a ban of N days that
/// starts on day S bans on S .. S+N-1 inclusive.
pub fn last_day(starts_on: Date, days: i64) -> Date {
    starts_on + Duration::days(days - 1)
}

/// Days a ban lasts, counting its first and last day.
pub fn duration_days(starts_on: Date, ends_on: Date) -> i64 {
    (ends_on - starts_on).whole_days() + 1
}

/// The first birth date a person may have: anything earlier is a typing
/// error (or a date field's default), not a guest.
pub const EARLIEST_BIRTH_DATE: Date = time::macros::date!(1900 - 01 - 01);

/// A birth date must be plausible: not before 1900, not after today.
pub fn plausible_birth_date(birth_date: Date, today: Date) -> Result<(), BanRuleError> {
    if birth_date < EARLIEST_BIRTH_DATE {
        Err(BanRuleError::BirthDateBefore1900)
    } else if birth_date > today {
        Err(BanRuleError::BirthDateInFuture)
    } else {
        Ok(())
    }
}

/// The same day a year before `today` (28 February for 29 February).
pub fn a_year_before(today: Date) -> Date {
    let year = today.year() - 1;
    today
        .replace_year(year)
        .or_else(|_| (today - Duration::days(1)).replace_year(year))
        .unwrap_or(today - Duration::days(365))
}

/// An incident must lie between a year ago and today: older, and the ban
/// comes too late to be proportionate (and the date is more likely a typo).
pub fn plausible_incident_day(incident_day: Date, today: Date) -> Result<(), BanRuleError> {
    if incident_day > today {
        Err(BanRuleError::IncidentInFuture)
    } else if incident_day < a_year_before(today) {
        Err(BanRuleError::IncidentTooLongAgo)
    } else {
        Ok(())
    }
}

/// Checks the period of a new ban against the category and the 2-year cap,
/// filling in the default duration when no end is given.
pub fn ban_period(
    durations: &Durations,
    incident_day: Date,
    today: Date,
    starts_on: Option<Date>,
    ends_on: Option<Date>,
) -> Result<(Date, Date), BanRuleError> {
    plausible_incident_day(incident_day, today)?;
    let starts_on = starts_on.unwrap_or(today);
    if starts_on < incident_day || starts_on > today + Duration::days(30) {
        return Err(BanRuleError::StartOutOfRange);
    }
    let ends_on = ends_on.unwrap_or_else(|| last_day(starts_on, durations.default_days));
    if ends_on < starts_on {
        return Err(BanRuleError::EndsBeforeStart);
    }
    let days = duration_days(starts_on, ends_on);
    if days > MAX_BAN_DAYS {
        return Err(BanRuleError::TooLong { days });
    }
    if days > durations.max_days {
        return Err(BanRuleError::TooLongForCategory {
            days,
            max: durations.max_days,
        });
    }
    Ok((starts_on, ends_on))
}

/// No ban without a permit valid today, and none for a venue not admitted
/// (or withdrawn) under it.
pub fn may_issue(
    permit: Option<&Permit>,
    venue_admitted_on: Option<Date>,
    venue_withdrawn_on: Option<Date>,
    today: Date,
) -> Result<(), BanRuleError> {
    if !permit.is_some_and(|p| p.valid_on(today)) {
        return Err(BanRuleError::NoValidPermit(
            cho_core::dates::format_iso_date(today),
        ));
    }
    if !super::protocol::venue_admitted_on(venue_admitted_on, venue_withdrawn_on, today) {
        return Err(BanRuleError::VenueNotAdmitted);
    }
    Ok(())
}

/// Where a ban is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BanStatus {
    /// Four-eyes: issued by an owner, waiting for the beheerder's approval;
    /// on no list.
    Requested,
    Active,
    /// Its last day has passed.
    Expired,
    /// Withdrawn by the issuing venue or the beheerder, with a reason.
    Revoked,
    /// Overturned on complaint.
    Overturned,
    /// Four-eyes: refused by the beheerder, with a reason; never on a list.
    Rejected,
}

impl BanStatus {
    /// The stored state plus the calendar: an active ban whose last day has
    /// passed is expired without anyone acting.
    pub fn derive(stored: &str, ends_on: Date, today: Date) -> Option<Self> {
        match stored {
            "active" if ends_on < today => Some(Self::Expired),
            "active" => Some(Self::Active),
            "requested" => Some(Self::Requested),
            "rejected" => Some(Self::Rejected),
            "revoked" => Some(Self::Revoked),
            "overturned" => Some(Self::Overturned),
            _ => None,
        }
    }
}

/// The personal data of a ban, sealed as one JSON record under the master
/// key. No `Debug`: it must never reach a log.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PersonalData {
    pub surname: String,
    pub given_names: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub incident_description: String,
    pub hearing_statement: Option<String>,
    pub not_heard_reason: Option<String>,
}

pub const MAX_TEXT: usize = 4000;

/// Trims and bounds a free-text field.
pub fn text(
    value: &str,
    field: &'static str,
    required: bool,
) -> Result<Option<String>, BanRuleError> {
    let value = value.trim();
    if value.is_empty() {
        return if required {
            Err(BanRuleError::Empty(field))
        } else {
            Ok(None)
        };
    }
    if value.chars().count() > MAX_TEXT {
        return Err(BanRuleError::TooLongText(field));
    }
    Ok(Some(value.to_owned()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 28);

    fn fight() -> Durations {
        Durations::new(182, 365).unwrap()
    }

    #[test]
    fn default_duration_from_the_category() {
        let (s, e) = ban_period(&fight(), TODAY, TODAY, None, None).unwrap();
        assert_eq!(s, TODAY);
        assert_eq!(duration_days(s, e), 182);
        assert_eq!(e, date!(2027 - 05 - 28));
    }

    #[test]
    fn too_long_says_why() {
        let err =
            ban_period(&fight(), TODAY, TODAY, None, Some(date!(2027 - 12 - 01))).unwrap_err();
        assert_eq!(
            err,
            BanRuleError::TooLongForCategory {
                days: 369,
                max: 365
            }
        );
        let weapons = Durations::new(730, 730).unwrap();
        let err =
            ban_period(&weapons, TODAY, TODAY, None, Some(date!(2028 - 11 - 28))).unwrap_err();
        assert_eq!(err, BanRuleError::TooLong { days: 732 });
        assert!(ban_period(&weapons, TODAY, TODAY, None, Some(date!(2028 - 11 - 26))).is_ok());
        assert!(err.to_string().contains("2 years"));
    }

    #[test]
    fn periods_are_sane() {
        assert_eq!(
            ban_period(&fight(), TODAY, TODAY, None, Some(date!(2026 - 11 - 27))),
            Err(BanRuleError::EndsBeforeStart)
        );
        assert_eq!(
            ban_period(&fight(), date!(2026 - 11 - 29), TODAY, None, None),
            Err(BanRuleError::IncidentInFuture)
        );
        assert_eq!(
            ban_period(&fight(), TODAY, TODAY, Some(date!(2026 - 11 - 27)), None),
            Err(BanRuleError::StartOutOfRange)
        );
    }

    #[test]
    fn permit_and_admission_are_required() {
        let permit = Permit::new("AP-1", date!(2025 - 01 - 01), date!(2027 - 01 - 01)).unwrap();
        assert!(may_issue(Some(&permit), Some(date!(2025 - 02 - 01)), None, TODAY).is_ok());
        assert!(matches!(
            may_issue(None, Some(date!(2025 - 02 - 01)), None, TODAY),
            Err(BanRuleError::NoValidPermit(_))
        ));
        assert!(matches!(
            may_issue(
                Some(&permit),
                Some(date!(2025 - 02 - 01)),
                None,
                date!(2027 - 01 - 02)
            ),
            Err(BanRuleError::NoValidPermit(_))
        ));
        assert_eq!(
            may_issue(Some(&permit), None, None, TODAY),
            Err(BanRuleError::VenueNotAdmitted)
        );
        assert_eq!(
            may_issue(
                Some(&permit),
                Some(date!(2025 - 02 - 01)),
                Some(TODAY),
                TODAY
            ),
            Err(BanRuleError::VenueNotAdmitted)
        );
    }

    #[test]
    fn status_follows_the_calendar() {
        assert_eq!(
            BanStatus::derive("active", TODAY, TODAY),
            Some(BanStatus::Active)
        );
        assert_eq!(
            BanStatus::derive("active", date!(2026 - 11 - 27), TODAY),
            Some(BanStatus::Expired)
        );
        assert_eq!(
            BanStatus::derive("revoked", TODAY, TODAY),
            Some(BanStatus::Revoked)
        );
        assert_eq!(BanStatus::derive("bogus", TODAY, TODAY), None);
    }
}
