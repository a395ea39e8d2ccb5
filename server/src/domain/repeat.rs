//! Repeat offences and breach (issue 9 item 6), and four-eyes (item 5): the
//! area's rules in its protocol, and which rule sets a new ban's period.
//!
//! Two rules, each optional:
//! - **breach**: an incident during a running ban of the same person in
//!   the area gives a new ban of `breach_days` (Woerden: 12 months);
//! - **repeat**: the `repeat_count`-th ban of the same person gives the
//!   category's maximum. Earlier bans count while running, or for
//!   `lookback_days` after their last day. The look-back never exceeds the
//!   area's retention: a rule may not count bans whose data the protocol
//!   says is gone (issue 9 item 8).
//!
//! Only bans that stand count: an active (or expired) ban. A revoked,
//! overturned, rejected or still requested ban is no offence on record.
//! Pure functions; the services find the earlier bans by identity tokens.

use time::{Date, Duration};

use super::protocol::MAX_BAN_DAYS;

/// The most bans the repeat rule may count up to.
pub const MAX_REPEAT_COUNT: i64 = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepeatRuleError {
    #[error("the breach rule's duration must be 1 to {MAX_BAN_DAYS} days")]
    BreachDays,
    #[error("the repeat rule's count must be 2 to {MAX_REPEAT_COUNT} bans")]
    RepeatCount,
    #[error("the repeat rule's look-back may not be negative")]
    NegativeLookback,
    #[error(
        "the repeat rule's look-back ({lookback_days} days) may not exceed the area's retention \
         ({retention_days} days): the rule may not count bans whose data is deleted"
    )]
    LookbackBeyondRetention {
        lookback_days: i64,
        retention_days: i64,
    },
}

/// The area's repeat rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RepeatRules {
    /// Days of a ban for a breach of a running ban; `None`: no breach rule.
    pub breach_days: Option<i64>,
    /// The k-th ban gets the category's maximum; `None`: no such rule.
    pub repeat_count: Option<i64>,
    /// Days after its last day an earlier ban still counts.
    pub lookback_days: i64,
}

impl RepeatRules {
    /// Checks the rules against the area's retention (days its data is kept
    /// after a ban ends).
    pub fn new(
        breach_days: Option<i64>,
        repeat_count: Option<i64>,
        lookback_days: i64,
        retention_days: i64,
    ) -> Result<Self, RepeatRuleError> {
        if breach_days.is_some_and(|d| !(1..=MAX_BAN_DAYS).contains(&d)) {
            return Err(RepeatRuleError::BreachDays);
        }
        if repeat_count.is_some_and(|k| !(2..=MAX_REPEAT_COUNT).contains(&k)) {
            return Err(RepeatRuleError::RepeatCount);
        }
        if lookback_days < 0 {
            return Err(RepeatRuleError::NegativeLookback);
        }
        let rules = Self {
            breach_days,
            repeat_count,
            lookback_days,
        };
        rules.check_retention(retention_days)?;
        Ok(rules)
    }

    /// The look-back may not exceed the retention (also checked when only
    /// the retention changes).
    pub fn check_retention(&self, retention_days: i64) -> Result<(), RepeatRuleError> {
        if self.lookback_days > retention_days {
            return Err(RepeatRuleError::LookbackBeyondRetention {
                lookback_days: self.lookback_days,
                retention_days,
            });
        }
        Ok(())
    }
}

/// Four-eyes and the repeat rules: the protocol settings of items 5 and 6.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReviewRules {
    /// An owner's new ban waits for the beheerder's approval.
    pub four_eyes: bool,
    pub repeat: RepeatRules,
}

/// An earlier ban of the same person in the area that stands (active or
/// expired), by its period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EarlierBan {
    pub starts_on: Date,
    pub ends_on: Date,
}

/// Which rule applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RepeatRule {
    /// The incident happened during a running ban.
    Breach,
    /// The k-th ban within the look-back.
    Repeat,
}

impl RepeatRule {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Breach => "breach",
            Self::Repeat => "repeat",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "breach" => Some(Self::Breach),
            "repeat" => Some(Self::Repeat),
            _ => None,
        }
    }
}

/// The outcome: the rule and the duration it sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepeatOutcome {
    pub rule: RepeatRule,
    pub days: i64,
}

/// Which rule, if any, sets the new ban's duration. `incident_day` is the
/// new incident's day; `category_max_days` the new ban's category maximum.
/// When both rules apply the longer duration wins (on a tie, breach: it is
/// the more specific finding). The result never exceeds the 2-year cap.
pub fn apply(
    rules: &RepeatRules,
    earlier: &[EarlierBan],
    incident_day: Date,
    today: Date,
    category_max_days: i64,
) -> Option<RepeatOutcome> {
    let breach = rules.breach_days.filter(|_| {
        earlier
            .iter()
            .any(|b| b.starts_on <= incident_day && incident_day <= b.ends_on)
    });
    let counted = earlier
        .iter()
        .filter(|b| b.ends_on + Duration::days(rules.lookback_days) >= today)
        .count();
    let repeat = rules
        .repeat_count
        .filter(|k| i64::try_from(counted).unwrap_or(i64::MAX) + 1 >= *k)
        .map(|_| category_max_days);
    let outcome = match (breach, repeat) {
        (Some(b), Some(r)) if r > b => RepeatOutcome {
            rule: RepeatRule::Repeat,
            days: r,
        },
        (Some(b), _) => RepeatOutcome {
            rule: RepeatRule::Breach,
            days: b,
        },
        (None, Some(r)) => RepeatOutcome {
            rule: RepeatRule::Repeat,
            days: r,
        },
        (None, None) => return None,
    };
    Some(RepeatOutcome {
        days: outcome.days.min(MAX_BAN_DAYS),
        ..outcome
    })
}

/// Four-eyes: the period of a requested ban once approved on `approved_on`,
/// lasting `days`. It starts at approval (or later, if it was set to start
/// later): a ban on no list bans nobody, so the days the protocol sets all
/// fall after the decision, and the notice (sent once the ban is decided)
/// names the dates that hold.
pub fn approved_period(starts_on: Date, days: i64, approved_on: Date) -> (Date, Date) {
    let start = starts_on.max(approved_on);
    (start, super::ban::last_day(start, days))
}

/// Four-eyes: how long a requested ban lasts once approved. The repeat
/// rules are applied again as of the approval (`at_approval`: the person's
/// standing bans on that day, the look-back counted back from it), since
/// the other bans may have changed while it waited: approved, ended,
/// revoked or overturned.
/// - a rule applies at approval: its duration;
/// - none applies any more, but one set the requested duration: the
///   category's default (the duration chosen at the request was replaced
///   by the rule's and is not kept);
/// - none applied at either time: the duration as requested.
pub fn approved_days(
    requested_days: i64,
    rule_at_request: Option<RepeatRule>,
    at_approval: Option<RepeatOutcome>,
    category_default_days: i64,
) -> i64 {
    match (at_approval, rule_at_request) {
        (Some(outcome), _) => outcome.days,
        (None, Some(_)) => category_default_days,
        (None, None) => requested_days,
    }
}

/// Four-eyes: a requested ban that nobody approves or rejects is deleted
/// this many days after the request (by the retention job, like any other
/// ban past its time). It is on no list and bans nobody; keeping a
/// person's name on an accusation nobody confirmed any longer is not
/// proportionate, and a month is time enough for a beheerder to decide
/// (the approval queue shows the day it goes).
pub const UNDECIDED_REQUEST_DAYS: i64 = 30;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::ban::duration_days;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 28);

    fn ban(starts_on: Date, ends_on: Date) -> EarlierBan {
        EarlierBan { starts_on, ends_on }
    }

    fn rules(breach: Option<i64>, count: Option<i64>, lookback: i64) -> RepeatRules {
        RepeatRules::new(breach, count, lookback, 183).unwrap()
    }

    #[test]
    fn no_rules_no_outcome() {
        let earlier = [ban(date!(2026 - 06 - 01), date!(2027 - 06 - 01))];
        assert_eq!(
            apply(&RepeatRules::default(), &earlier, TODAY, TODAY, 365),
            None
        );
    }

    #[test]
    fn breach_of_a_running_ban_gives_the_breach_duration() {
        let r = rules(Some(365), None, 0);
        let running = [ban(date!(2026 - 06 - 01), date!(2027 - 06 - 01))];
        assert_eq!(
            apply(&r, &running, TODAY, TODAY, 182),
            Some(RepeatOutcome {
                rule: RepeatRule::Breach,
                days: 365
            })
        );
        // The incident before the earlier ban started, or after it ended,
        // is no breach.
        let later = [ban(date!(2026 - 11 - 29), date!(2027 - 06 - 01))];
        assert_eq!(apply(&r, &later, TODAY, TODAY, 182), None);
        let ended = [ban(date!(2026 - 01 - 01), date!(2026 - 11 - 27))];
        assert_eq!(apply(&r, &ended, TODAY, TODAY, 182), None);
        // The last day still counts.
        let last = [ban(date!(2026 - 01 - 01), TODAY)];
        assert!(apply(&r, &last, TODAY, TODAY, 182).is_some());
    }

    #[test]
    fn the_kth_ban_gives_the_category_maximum() {
        let r = rules(None, Some(3), 90);
        let one = [ban(date!(2026 - 01 - 01), date!(2026 - 10 - 01))];
        assert_eq!(apply(&r, &one, TODAY, TODAY, 365), None);
        let two = [
            ban(date!(2026 - 01 - 01), date!(2026 - 10 - 01)),
            ban(date!(2026 - 10 - 02), date!(2027 - 04 - 01)),
        ];
        assert_eq!(
            apply(&r, &two, TODAY, TODAY, 365),
            Some(RepeatOutcome {
                rule: RepeatRule::Repeat,
                days: 365
            })
        );
        // An earlier ban that ended longer ago than the look-back no
        // longer counts (2026-08-29 + 90 days = 2026-11-27 < today).
        let old = [
            ban(date!(2026 - 01 - 01), date!(2026 - 08 - 29)),
            ban(date!(2026 - 10 - 02), date!(2027 - 04 - 01)),
        ];
        assert_eq!(apply(&r, &old, TODAY, TODAY, 365), None);
        let edge = [
            ban(date!(2026 - 01 - 01), date!(2026 - 08 - 30)),
            ban(date!(2026 - 10 - 02), date!(2027 - 04 - 01)),
        ];
        assert!(apply(&r, &edge, TODAY, TODAY, 365).is_some());
    }

    #[test]
    fn the_longer_rule_wins_and_the_cap_holds() {
        let r = rules(Some(365), Some(2), 0);
        let running = [ban(date!(2026 - 06 - 01), date!(2027 - 06 - 01))];
        assert_eq!(
            apply(&r, &running, TODAY, TODAY, 730),
            Some(RepeatOutcome {
                rule: RepeatRule::Repeat,
                days: 730
            })
        );
        assert_eq!(
            apply(&r, &running, TODAY, TODAY, 182),
            Some(RepeatOutcome {
                rule: RepeatRule::Breach,
                days: 365
            })
        );
        assert_eq!(
            apply(&r, &running, TODAY, TODAY, 365).map(|o| o.rule),
            Some(RepeatRule::Breach)
        );
    }

    #[test]
    fn the_lookback_may_not_exceed_retention() {
        assert_eq!(
            RepeatRules::new(None, Some(3), 184, 183),
            Err(RepeatRuleError::LookbackBeyondRetention {
                lookback_days: 184,
                retention_days: 183
            })
        );
        let err = RepeatRules::new(None, Some(3), 30, 0).unwrap_err();
        assert!(err.to_string().contains("(30 days)"));
        assert!(err.to_string().contains("(0 days)"));
        assert!(RepeatRules::new(None, Some(3), 0, 0).is_ok());
        assert_eq!(
            RepeatRules::new(Some(731), None, 0, 0),
            Err(RepeatRuleError::BreachDays)
        );
        assert_eq!(
            RepeatRules::new(None, Some(1), 0, 0),
            Err(RepeatRuleError::RepeatCount)
        );
        assert_eq!(
            RepeatRules::new(None, None, -1, 0),
            Err(RepeatRuleError::NegativeLookback)
        );
    }

    #[test]
    fn an_approved_ban_starts_at_approval_with_its_duration() {
        let days = duration_days(TODAY, date!(2027 - 05 - 28));
        let (s, e) = approved_period(TODAY, days, date!(2026 - 12 - 05));
        assert_eq!(s, date!(2026 - 12 - 05));
        assert_eq!(duration_days(s, e), days);
        // Set to start after the approval: unchanged.
        let (s, e) = approved_period(date!(2026 - 12 - 20), 31, date!(2026 - 12 - 05));
        assert_eq!((s, e), (date!(2026 - 12 - 20), date!(2027 - 01 - 19)));
    }

    #[test]
    fn the_rule_as_of_approval_sets_the_approved_duration() {
        let breach = RepeatOutcome {
            rule: RepeatRule::Breach,
            days: 365,
        };
        // A rule applies at approval: its days, whatever was requested.
        assert_eq!(approved_days(30, None, Some(breach), 90), 365);
        assert_eq!(
            approved_days(200, Some(RepeatRule::Repeat), Some(breach), 90),
            365
        );
        // A rule set the request but no longer applies: the default.
        assert_eq!(approved_days(365, Some(RepeatRule::Breach), None, 90), 90);
        // No rule either time: as requested.
        assert_eq!(approved_days(45, None, None, 90), 45);
    }
}
