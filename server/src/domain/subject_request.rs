//! Data-subject requests (GDPR art. 12, 15-21; DOMAIN.md rule 6): the
//! answer is due one calendar month after receipt, extendable once by up to
//! two more months when the person is told (with reasons) within the first
//! month. Identity is checked proportionately and recorded as a choice,
//! never as a stored copy of an ID document (the AP fined DPG Media for
//! demanding one).

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// What the person asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Access,
    Rectification,
    Erasure,
    Restriction,
    Objection,
}

impl RequestKind {
    pub const ALL: [Self; 5] = [
        Self::Access,
        Self::Rectification,
        Self::Erasure,
        Self::Restriction,
        Self::Objection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Rectification => "rectification",
            Self::Erasure => "erasure",
            Self::Restriction => "restriction",
            Self::Objection => "objection",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// How the beheerder made sure the requester is the person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityCheck {
    /// The person showed an ID document in person; nothing was copied.
    DocumentShownInPerson,
    /// A copy was sent, checked, and destroyed at once.
    CopyCheckedThenDestroyed,
    /// The request came from a contact already known to be the person
    /// (e.g. the address the notice was sent to).
    KnownContact,
    /// Described in the (sealed) note.
    Other,
}

impl IdentityCheck {
    pub const ALL: [Self; 4] = [
        Self::DocumentShownInPerson,
        Self::CopyCheckedThenDestroyed,
        Self::KnownContact,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DocumentShownInPerson => "document_shown_in_person",
            Self::CopyCheckedThenDestroyed => "copy_checked_then_destroyed",
            Self::KnownContact => "known_contact",
            Self::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    IdentityUnverified,
    InProgress,
    Completed,
    Refused,
}

impl RequestStatus {
    pub const ALL: [Self; 4] = [
        Self::IdentityUnverified,
        Self::InProgress,
        Self::Completed,
        Self::Refused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::IdentityUnverified => "identity_unverified",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Refused => "refused",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Completed or refused: nothing more happens to it.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Completed | Self::Refused)
    }

    /// The status a request starts in: checked at receipt, or not yet.
    pub fn initial(check: Option<IdentityCheck>) -> Self {
        if check.is_some() {
            Self::InProgress
        } else {
            Self::IdentityUnverified
        }
    }
}

/// A step on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    VerifyIdentity,
    Extend,
    /// Acting on it: export, rectify, erase.
    Act,
    Complete,
    Refuse,
}

/// Why a step is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestRuleError {
    #[error("the request is closed")]
    Closed,
    #[error("the requester's identity is not verified yet")]
    IdentityUnverified,
    #[error("the identity is already verified")]
    AlreadyVerified,
    #[error("the request was already extended once")]
    AlreadyExtended,
    #[error("an extension is 1 or 2 months")]
    ExtensionLength,
    #[error("the person must be told of an extension within the first month")]
    ToldTooLate,
    #[error("the person cannot have been told before the request was received or in the future")]
    ToldOutOfRange,
    #[error("received_on may not lie in the future or more than a year back")]
    ReceivedOutOfRange,
}

/// Whether `step` may happen to a request in `status`. A refusal is open
/// at every open stage (e.g. identity could not be established); anything
/// else needs a verified identity.
pub fn may(status: RequestStatus, step: Step) -> Result<(), RequestRuleError> {
    use RequestStatus::*;
    match (status, step) {
        (Completed | Refused, _) => Err(RequestRuleError::Closed),
        (IdentityUnverified, Step::VerifyIdentity | Step::Refuse | Step::Extend) => Ok(()),
        (IdentityUnverified, _) => Err(RequestRuleError::IdentityUnverified),
        (InProgress, Step::VerifyIdentity) => Err(RequestRuleError::AlreadyVerified),
        (InProgress, _) => Ok(()),
    }
}

/// `date` plus whole calendar months; a day the target month lacks becomes
/// its last day (31 January + 1 month = 28 or 29 February), as GDPR deadlines
/// are counted (Regulation 1182/71 art. 3(2)(c)).
pub fn add_months(date: Date, months: u32) -> Date {
    let zero_based = i64::from(u8::from(date.month())) - 1 + i64::from(months);
    let year = date.year() + i32::try_from(zero_based / 12).unwrap_or(0);
    let month_number = u8::try_from(zero_based % 12 + 1).unwrap_or(1);
    let month = Month::try_from(month_number).unwrap_or(Month::January);
    let last = month.length(year);
    // Both always valid: the day is clamped to the month's length.
    Date::from_calendar_date(year, month, date.day().min(last)).unwrap_or(date)
}

/// The answer is due one calendar month after receipt.
pub fn due_on(received_on: Date) -> Date {
    add_months(received_on, 1)
}

/// A receipt date must be plausible: not in the future, not over a year ago.
pub fn check_received(received_on: Date, today: Date) -> Result<(), RequestRuleError> {
    if received_on > today || received_on < today - time::Duration::days(366) {
        return Err(RequestRuleError::ReceivedOutOfRange);
    }
    Ok(())
}

/// The one extension: by 1 or 2 months counted from the original due date,
/// the person told (with the reason) on a day between receipt and that due
/// date, and not after today. Returns the new due date.
pub fn extend(
    received_on: Date,
    due_on: Date,
    already_extended: bool,
    months: u32,
    told_on: Date,
    today: Date,
) -> Result<Date, RequestRuleError> {
    if already_extended {
        return Err(RequestRuleError::AlreadyExtended);
    }
    if !(1..=2).contains(&months) {
        return Err(RequestRuleError::ExtensionLength);
    }
    if told_on < received_on || told_on > today {
        return Err(RequestRuleError::ToldOutOfRange);
    }
    if told_on > due_on {
        return Err(RequestRuleError::ToldTooLate);
    }
    Ok(add_months(due_on, months))
}

/// Days left until the answer is due (negative: overdue).
pub fn days_left(due: Date, today: Date) -> i64 {
    (due - today).whole_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn names_round_trip() {
        for k in RequestKind::ALL {
            assert_eq!(RequestKind::parse(k.as_str()), Some(k));
        }
        for c in IdentityCheck::ALL {
            assert_eq!(IdentityCheck::parse(c.as_str()), Some(c));
        }
        for s in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(RequestKind::parse("delete"), None);
        assert_eq!(IdentityCheck::parse("id_copy_kept"), None);
    }

    #[test]
    fn due_one_calendar_month_later() {
        assert_eq!(due_on(date!(2026 - 11 - 30)), date!(2026 - 12 - 30));
        assert_eq!(due_on(date!(2026 - 12 - 15)), date!(2027 - 01 - 15));
    }

    #[test]
    fn month_ends_clamp_to_the_shorter_month() {
        assert_eq!(due_on(date!(2027 - 01 - 31)), date!(2027 - 02 - 28));
        assert_eq!(due_on(date!(2028 - 01 - 31)), date!(2028 - 02 - 29));
        assert_eq!(due_on(date!(2026 - 03 - 31)), date!(2026 - 04 - 30));
        assert_eq!(add_months(date!(2026 - 12 - 31), 2), date!(2027 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 11 - 30), 14), date!(2028 - 01 - 30));
    }

    #[test]
    fn one_extension_of_at_most_two_months_told_within_the_first() {
        let received = date!(2026 - 11 - 30);
        let due = due_on(received);
        let today = date!(2026 - 12 - 10);
        assert_eq!(
            extend(received, due, false, 2, today, today),
            Ok(date!(2027 - 02 - 28))
        );
        assert_eq!(
            extend(received, due, false, 1, today, today),
            Ok(date!(2027 - 01 - 30))
        );
        assert_eq!(
            extend(received, due, true, 1, today, today),
            Err(RequestRuleError::AlreadyExtended)
        );
        assert_eq!(
            extend(received, due, false, 3, today, today),
            Err(RequestRuleError::ExtensionLength)
        );
        assert_eq!(
            extend(received, due, false, 0, today, today),
            Err(RequestRuleError::ExtensionLength)
        );
        // Told after the first month: too late.
        let late = date!(2026 - 12 - 31);
        assert_eq!(
            extend(received, due, false, 1, late, late),
            Err(RequestRuleError::ToldTooLate)
        );
        // Told on the due day itself: still in time.
        assert!(extend(received, due, false, 1, due, due).is_ok());
        // Told before receipt or in the future.
        assert_eq!(
            extend(received, due, false, 1, date!(2026 - 11 - 29), today),
            Err(RequestRuleError::ToldOutOfRange)
        );
        assert_eq!(
            extend(received, due, false, 1, date!(2026 - 12 - 11), today),
            Err(RequestRuleError::ToldOutOfRange)
        );
    }

    #[test]
    fn transitions() {
        use RequestStatus::*;
        assert_eq!(RequestStatus::initial(None), IdentityUnverified);
        assert_eq!(
            RequestStatus::initial(Some(IdentityCheck::KnownContact)),
            InProgress
        );
        assert_eq!(may(IdentityUnverified, Step::VerifyIdentity), Ok(()));
        assert_eq!(may(IdentityUnverified, Step::Refuse), Ok(()));
        assert_eq!(may(IdentityUnverified, Step::Extend), Ok(()));
        assert_eq!(
            may(IdentityUnverified, Step::Act),
            Err(RequestRuleError::IdentityUnverified)
        );
        assert_eq!(
            may(IdentityUnverified, Step::Complete),
            Err(RequestRuleError::IdentityUnverified)
        );
        assert_eq!(
            may(InProgress, Step::VerifyIdentity),
            Err(RequestRuleError::AlreadyVerified)
        );
        for step in [Step::Extend, Step::Act, Step::Complete, Step::Refuse] {
            assert_eq!(may(InProgress, step), Ok(()));
        }
        for closed in [Completed, Refused] {
            assert!(closed.is_closed());
            for step in [
                Step::VerifyIdentity,
                Step::Extend,
                Step::Act,
                Step::Complete,
                Step::Refuse,
            ] {
                assert_eq!(may(closed, step), Err(RequestRuleError::Closed));
            }
        }
    }

    #[test]
    fn received_must_be_plausible() {
        let today = date!(2026 - 11 - 30);
        assert!(check_received(today, today).is_ok());
        assert!(check_received(date!(2026 - 01 - 01), today).is_ok());
        assert!(check_received(date!(2026 - 12 - 01), today).is_err());
        assert!(check_received(date!(2025 - 11 - 01), today).is_err());
    }

    #[test]
    fn days_left_goes_negative_when_overdue() {
        assert_eq!(days_left(date!(2026 - 12 - 30), date!(2026 - 11 - 30)), 30);
        assert_eq!(days_left(date!(2026 - 12 - 30), date!(2027 - 01 - 02)), -3);
    }
}
