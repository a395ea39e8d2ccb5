//! An area's CHO protocol, approved under its AP permit: offence categories
//! with their durations, the complaint window, retention, and how old a list
//! may be at the door.

use time::Date;

/// The AP-approved model protocol caps every ban at two years.
pub const MAX_BAN_DAYS: i64 = 730;
/// Default complaint window (model protocol): 14 days.
pub const DEFAULT_COMPLAINT_WINDOW_DAYS: i64 = 14;
/// Default freshness at the door: refuse a list after 24 hours (as the
/// CoronaCheck scanner did).
pub const DEFAULT_MAX_LIST_AGE_SECONDS: i64 = 86_400;
/// Default retention of a ban's data after it ended: none.
pub const DEFAULT_RETENTION_DAYS: i64 = 0;
/// Longest retention a protocol may set: half a year after the end.
pub const MAX_RETENTION_DAYS: i64 = 183;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("the maximum duration may not exceed {MAX_BAN_DAYS} days (2 years)")]
    MaximumTooLong,
    #[error("durations must be at least one day and the default may not exceed the maximum")]
    DefaultOutOfRange,
    #[error("the permit expires before it was granted")]
    PermitDates,
    #[error("{0} is out of range")]
    OutOfRange(&'static str),
    #[error("{0} may not be empty")]
    Empty(&'static str),
    /// Four-eyes and repeat rules (issue 9 items 5, 6 and 8).
    #[error(transparent)]
    Repeat(#[from] super::repeat::RepeatRuleError),
}

/// The AP permit that allows the area to keep its list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permit {
    pub reference: String,
    pub granted_on: Date,
    pub expires_on: Date,
}

impl Permit {
    pub fn new(reference: &str, granted_on: Date, expires_on: Date) -> Result<Self, ProtocolError> {
        let reference = reference.trim();
        if reference.is_empty() {
            return Err(ProtocolError::Empty("permit reference"));
        }
        if expires_on < granted_on {
            return Err(ProtocolError::PermitDates);
        }
        Ok(Self {
            reference: reference.to_owned(),
            granted_on,
            expires_on,
        })
    }

    pub fn valid_on(&self, day: Date) -> bool {
        self.granted_on <= day && day <= self.expires_on
    }

    /// In force on `day`, and its last day within [`PERMIT_WARNING_DAYS`]:
    /// the one rule behind "permit expires soon" on the beheerder's
    /// overview and in the municipality's view.
    pub fn expires_soon(&self, day: Date) -> bool {
        self.valid_on(day) && (self.expires_on - day).whole_days() <= PERMIT_WARNING_DAYS
    }
}

/// A permit is flagged this many days before its last day. 90, not
/// fewer: a renewal goes to the Autoriteit Persoonsgegevens, which reviews
/// changes about every three months (DOMAIN.md rule 1), so a beheerder or
/// municipality warned later may not get the new permit in time, and
/// without a valid permit no ban is issued or distributed.
pub const PERMIT_WARNING_DAYS: i64 = 90;

/// Whether a venue takes part on `day`: admitted on or before it and not
/// withdrawn on or before it. Bans, enrolment codes, enrolment, the list
/// and the area key all require it.
pub fn venue_admitted_on(admitted_on: Option<Date>, withdrawn_on: Option<Date>, day: Date) -> bool {
    admitted_on.is_some_and(|d| d <= day) && withdrawn_on.is_none_or(|d| d > day)
}

/// Protocol settings besides the permit and the categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtocolSettings {
    pub complaint_window_days: i64,
    pub retention_days: i64,
    pub max_list_age_seconds: i64,
}

impl Default for ProtocolSettings {
    fn default() -> Self {
        Self {
            complaint_window_days: DEFAULT_COMPLAINT_WINDOW_DAYS,
            retention_days: DEFAULT_RETENTION_DAYS,
            max_list_age_seconds: DEFAULT_MAX_LIST_AGE_SECONDS,
        }
    }
}

impl ProtocolSettings {
    pub fn new(
        complaint_window_days: i64,
        retention_days: i64,
        max_list_age_seconds: i64,
    ) -> Result<Self, ProtocolError> {
        if !(1..=90).contains(&complaint_window_days) {
            return Err(ProtocolError::OutOfRange("complaint window (1-90 days)"));
        }
        if !(0..=MAX_RETENTION_DAYS).contains(&retention_days) {
            return Err(ProtocolError::OutOfRange("retention (0-183 days)"));
        }
        if !(300..=7 * 86_400).contains(&max_list_age_seconds) {
            return Err(ProtocolError::OutOfRange(
                "maximum list age (5 minutes to 7 days)",
            ));
        }
        Ok(Self {
            complaint_window_days,
            retention_days,
            max_list_age_seconds,
        })
    }
}

/// An offence category of the protocol with its durations in days.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Durations {
    pub default_days: i64,
    pub max_days: i64,
}

impl Durations {
    pub fn new(default_days: i64, max_days: i64) -> Result<Self, ProtocolError> {
        if max_days > MAX_BAN_DAYS {
            return Err(ProtocolError::MaximumTooLong);
        }
        if default_days < 1 || default_days > max_days {
            return Err(ProtocolError::DefaultOutOfRange);
        }
        Ok(Self {
            default_days,
            max_days,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn durations_are_capped_at_two_years() {
        assert!(Durations::new(365, 730).is_ok());
        assert_eq!(Durations::new(365, 731), Err(ProtocolError::MaximumTooLong));
        assert_eq!(Durations::new(0, 10), Err(ProtocolError::DefaultOutOfRange));
        assert_eq!(
            Durations::new(11, 10),
            Err(ProtocolError::DefaultOutOfRange)
        );
    }

    #[test]
    fn permits_are_valid_between_their_dates() {
        let p = Permit::new(
            "AP z2024-01234",
            date!(2025 - 01 - 01),
            date!(2029 - 12 - 31),
        )
        .unwrap();
        assert!(p.valid_on(date!(2026 - 11 - 28)));
        assert!(p.valid_on(date!(2029 - 12 - 31)));
        assert!(!p.valid_on(date!(2030 - 01 - 01)));
        assert!(!p.valid_on(date!(2024 - 12 - 31)));
        assert!(Permit::new(" ", date!(2025 - 01 - 01), date!(2029 - 12 - 31)).is_err());
        assert!(Permit::new("x", date!(2025 - 01 - 01), date!(2024 - 12 - 31)).is_err());
    }

    #[test]
    fn settings_ranges() {
        assert!(ProtocolSettings::new(14, 0, 86_400).is_ok());
        assert!(ProtocolSettings::new(0, 0, 86_400).is_err());
        assert!(ProtocolSettings::new(14, 400, 86_400).is_err());
        assert!(ProtocolSettings::new(14, 0, 10).is_err());
    }
}
