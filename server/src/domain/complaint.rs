//! Complaints (bezwaar) against a ban (DOMAIN.md rule 5; COMPLIANCE.md):
//! the window to complain counts from the day of notice, or from the day of
//! issue when no notice is recorded; a late complaint is flagged but may
//! still be taken. The decision is due 6 weeks after receipt, extendable
//! once by at most 2 weeks with a recorded reason. A complaint does not
//! suspend the ban; an upheld one overturns it.

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

/// Weeks the committee has to decide, counted from receipt.
pub const DECISION_WEEKS: i64 = 6;
/// The most days one extension may add.
pub const MAX_EXTENSION_DAYS: i64 = 14;
/// Open complaints due within this many days are marked "due soon".
pub const DUE_SOON_DAYS: i64 = 7;

/// The committee's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The complaint is founded: the ban is overturned.
    Upheld,
    /// The ban stands.
    Rejected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upheld => "upheld",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "upheld" => Some(Self::Upheld),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ComplaintRuleError {
    #[error("received_on may not be in the future")]
    ReceivedInFuture,
    #[error("received_on may not be before the ban was issued or notified")]
    ReceivedBeforeBan,
    #[error("the decision period was already extended once")]
    AlreadyExtended,
    #[error("an extension is 1 to 14 days")]
    ExtensionDays,
    #[error("the complaint is already decided")]
    AlreadyDecided,
}

/// The day the complaint window starts: the notice's day, or the day of
/// issue when no notice is recorded.
pub fn window_start(notified_on: Option<Date>, issued_on: Date) -> Date {
    notified_on.unwrap_or(issued_on)
}

/// The last day a complaint is on time: `window_days` after the start.
pub fn last_day_on_time(window_start: Date, window_days: i64) -> Date {
    window_start + Duration::days(window_days)
}

/// Whether a complaint received on `received_on` is late.
pub fn is_late(received_on: Date, window_start: Date, window_days: i64) -> bool {
    received_on > last_day_on_time(window_start, window_days)
}

/// Checks the day of receipt: not in the future, not before the ban.
pub fn check_received(
    received_on: Date,
    earliest: Date,
    today: Date,
) -> Result<(), ComplaintRuleError> {
    if received_on > today {
        return Err(ComplaintRuleError::ReceivedInFuture);
    }
    if received_on < earliest {
        return Err(ComplaintRuleError::ReceivedBeforeBan);
    }
    Ok(())
}

/// The decision is due 6 weeks after receipt.
pub fn decide_by(received_on: Date) -> Date {
    received_on + Duration::weeks(DECISION_WEEKS)
}

/// The new due date after an extension by `days`: once only, 1 to 14 days.
pub fn extend(
    decide_by: Date,
    already_extended: bool,
    days: i64,
) -> Result<Date, ComplaintRuleError> {
    if already_extended {
        return Err(ComplaintRuleError::AlreadyExtended);
    }
    if !(1..=MAX_EXTENSION_DAYS).contains(&days) {
        return Err(ComplaintRuleError::ExtensionDays);
    }
    Ok(decide_by + Duration::days(days))
}

/// How urgent an open complaint is today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// The due date has passed.
    Overdue,
    /// Due within [`DUE_SOON_DAYS`] days (today included).
    DueSoon,
    Open,
    Decided,
}

/// Days left until the due date (negative when overdue).
pub fn days_left(decide_by: Date, today: Date) -> i64 {
    (decide_by - today).whole_days()
}

pub fn urgency(decided: bool, decide_by: Date, today: Date) -> Urgency {
    if decided {
        return Urgency::Decided;
    }
    let left = days_left(decide_by, today);
    if left < 0 {
        Urgency::Overdue
    } else if left <= DUE_SOON_DAYS {
        Urgency::DueSoon
    } else {
        Urgency::Open
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_window_counts_from_the_notice_or_else_from_issue() {
        let issued = date!(2026 - 11 - 01);
        assert_eq!(window_start(None, issued), issued);
        assert_eq!(
            window_start(Some(date!(2026 - 11 - 05)), issued),
            date!(2026 - 11 - 05)
        );
    }

    #[test]
    fn the_fourteenth_day_is_on_time_the_fifteenth_late() {
        let start = date!(2026 - 11 - 01);
        assert_eq!(last_day_on_time(start, 14), date!(2026 - 11 - 15));
        assert!(!is_late(date!(2026 - 11 - 01), start, 14));
        assert!(!is_late(date!(2026 - 11 - 15), start, 14));
        assert!(is_late(date!(2026 - 11 - 16), start, 14));
        // A shorter window of the area's own.
        assert!(is_late(date!(2026 - 11 - 09), start, 7));
    }

    #[test]
    fn receipt_may_not_be_in_the_future_or_before_the_ban() {
        let today = date!(2026 - 11 - 30);
        let issued = date!(2026 - 11 - 01);
        assert_eq!(check_received(today, issued, today), Ok(()));
        assert_eq!(check_received(issued, issued, today), Ok(()));
        assert_eq!(
            check_received(date!(2026 - 12 - 01), issued, today),
            Err(ComplaintRuleError::ReceivedInFuture)
        );
        assert_eq!(
            check_received(date!(2026 - 10 - 31), issued, today),
            Err(ComplaintRuleError::ReceivedBeforeBan)
        );
    }

    #[test]
    fn the_decision_is_due_six_weeks_after_receipt() {
        assert_eq!(decide_by(date!(2026 - 11 - 30)), date!(2027 - 01 - 11));
    }

    #[test]
    fn one_extension_of_at_most_two_weeks() {
        let due = date!(2027 - 01 - 11);
        assert_eq!(extend(due, false, 14), Ok(date!(2027 - 01 - 25)));
        assert_eq!(extend(due, false, 1), Ok(date!(2027 - 01 - 12)));
        assert_eq!(
            extend(due, false, 15),
            Err(ComplaintRuleError::ExtensionDays)
        );
        assert_eq!(
            extend(due, false, 0),
            Err(ComplaintRuleError::ExtensionDays)
        );
        assert_eq!(
            extend(due, false, -3),
            Err(ComplaintRuleError::ExtensionDays)
        );
        assert_eq!(
            extend(due, true, 7),
            Err(ComplaintRuleError::AlreadyExtended)
        );
    }

    #[test]
    fn urgency_marks_overdue_and_due_within_a_week() {
        let today = date!(2026 - 11 - 30);
        assert_eq!(
            urgency(false, date!(2026 - 11 - 29), today),
            Urgency::Overdue
        );
        assert_eq!(urgency(false, today, today), Urgency::DueSoon);
        assert_eq!(
            urgency(false, date!(2026 - 12 - 07), today),
            Urgency::DueSoon
        );
        assert_eq!(urgency(false, date!(2026 - 12 - 08), today), Urgency::Open);
        assert_eq!(
            urgency(true, date!(2026 - 11 - 01), today),
            Urgency::Decided
        );
        assert_eq!(days_left(date!(2026 - 11 - 29), today), -1);
        assert!(Urgency::Overdue < Urgency::DueSoon && Urgency::DueSoon < Urgency::Open);
    }

    #[test]
    fn outcomes_round_trip() {
        for o in [Outcome::Upheld, Outcome::Rejected] {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(Outcome::parse("granted"), None);
    }
}
