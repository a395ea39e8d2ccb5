//! Anonymous door counts (issue 10, item 6): how many checks a door phone
//! did per hour and verdict, and nothing else. No token, identity, document
//! data or single check ever flows back from a door: a door sends its
//! running totals per (hour, verdict) and the server stores them, so a
//! resend after a lost answer sets the same numbers again.
//!
//! The rules live here once: which verdicts there are, which hours a door
//! may still report, how large one report may be, how long counts are kept,
//! and when "tonight" starts.

use time::{Duration, Time};

/// The verdicts a door counts, one hour in seconds (counts are per UTC
/// hour, `hour` being its start) and the most rows of one report (eight
/// days of every verdict): the contract with the door, defined once in the
/// core the door runs.
pub use cho_core::counts::{CountedVerdict, HOUR, MAX_ROWS};

/// Hours older than this (before `now`) are refused: a door keeps eight
/// days of counts (`cho_core::counts::KEEP_SECONDS`), and nothing older is
/// worth a write.
pub const MAX_AGE_SECONDS: i64 = cho_core::counts::KEEP_SECONDS;
/// Hours further ahead than this are refused (a door clock that runs a
/// little fast is fine; a far-future hour is a broken clock).
pub const MAX_AHEAD_SECONDS: i64 = HOUR;
/// More checks than this in one hour at one door is not a count but a
/// broken client (one a second all hour is 3,600).
pub const MAX_CHECKS_PER_HOUR: i64 = 100_000;
/// Counts are deleted by the retention job this many days after their
/// hour: enough for a season's comparison, short enough that they never
/// pile up.
pub const RETENTION_DAYS: i64 = 90;

/// One reported figure, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HourCount {
    pub hour: i64,
    pub verdict: CountedVerdict,
    pub checks: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountsError {
    #[error("a report holds at most {MAX_ROWS} counts")]
    TooMany,
    #[error("counts[{0}].hour must be the start of an hour (a multiple of 3600)")]
    NotAnHour(usize),
    #[error("counts[{0}].hour is more than 8 days ago")]
    TooOld(usize),
    #[error("counts[{0}].hour is more than 1 hour ahead of the server's clock")]
    InFuture(usize),
    #[error(
        "counts[{0}].verdict must be one of banned, possible_match, welcome, outdated, no_list"
    )]
    Verdict(usize),
    #[error("counts[{0}].checks must be 0 to {MAX_CHECKS_PER_HOUR}")]
    Checks(usize),
    #[error("counts[{0}] repeats an hour and verdict of the same report")]
    Duplicate(usize),
}

/// Checks a door's report against the server's clock: every hour whole,
/// within 8 days back and 1 hour ahead, a known verdict, a sane number,
/// each (hour, verdict) once. The error names the row, never a value.
pub fn check_report(rows: &[(i64, &str, i64)], now: i64) -> Result<Vec<HourCount>, CountsError> {
    if rows.len() > MAX_ROWS {
        return Err(CountsError::TooMany);
    }
    let mut out: Vec<HourCount> = Vec::with_capacity(rows.len());
    for (i, &(hour, verdict, checks)) in rows.iter().enumerate() {
        if hour.rem_euclid(HOUR) != 0 {
            return Err(CountsError::NotAnHour(i));
        }
        // The hour that started before `now - 8 days` ended is refused;
        // the hour holding that instant is still fine.
        if hour + HOUR <= now - MAX_AGE_SECONDS {
            return Err(CountsError::TooOld(i));
        }
        if hour > now + MAX_AHEAD_SECONDS {
            return Err(CountsError::InFuture(i));
        }
        let verdict = CountedVerdict::parse(verdict).ok_or(CountsError::Verdict(i))?;
        if !(0..=MAX_CHECKS_PER_HOUR).contains(&checks) {
            return Err(CountsError::Checks(i));
        }
        if out.iter().any(|c| c.hour == hour && c.verdict == verdict) {
            return Err(CountsError::Duplicate(i));
        }
        out.push(HourCount {
            hour,
            verdict,
            checks,
        });
    }
    Ok(out)
}

/// The start of "tonight" at `now`: 12:00 Dutch time on the day the
/// current night began. A night runs from noon to noon, so the counts of
/// 23:00 and of 03:00 the next morning are one night's, and at 11:59 the
/// owner still sees the night that just ended. Dutch time as the door's
/// calendar reads it (`cho_core::dates`), whole hours, so the start is
/// always the start of a counted hour.
pub fn tonight_starts_at(now: i64) -> Option<i64> {
    let local = cho_core::dates::netherlands_time(now).ok()?;
    let noon = Time::from_hms(12, 0, 0).ok()?;
    let day = if local.time() >= noon {
        local.date()
    } else {
        local.date().previous_day()?
    };
    // Noon's offset: the clocks change at 01:00 UTC, never near noon, so
    // the offset at noon UTC of that day is the offset at noon local.
    let noon_utc = day.with_time(noon).assume_utc().unix_timestamp();
    let offset = cho_core::dates::netherlands_time(noon_utc)
        .ok()?
        .offset()
        .whole_seconds();
    Some(noon_utc - i64::from(offset))
}

/// Counts whose hour started before this are deleted by the retention job.
pub fn retention_cutoff(now: i64) -> i64 {
    now - Duration::days(RETENTION_DAYS).whole_seconds()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn utc(text: &str) -> i64 {
        time::PrimitiveDateTime::parse(
            text,
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]"),
        )
        .unwrap()
        .assume_utc()
        .unix_timestamp()
    }

    #[test]
    fn tonight_starts_at_noon_dutch_time_of_the_nights_first_day() {
        // Winter (UTC+1): noon is 11:00 UTC.
        let start = utc("2026-11-28 11:00");
        assert_eq!(tonight_starts_at(utc("2026-11-28 11:00")), Some(start));
        assert_eq!(tonight_starts_at(utc("2026-11-28 22:59")), Some(start));
        // Midnight Dutch time (23:00 UTC) and after: still the same night.
        assert_eq!(tonight_starts_at(utc("2026-11-28 23:00")), Some(start));
        assert_eq!(tonight_starts_at(utc("2026-11-29 03:30")), Some(start));
        // 11:59 Dutch time the next day: the night that just ended.
        assert_eq!(tonight_starts_at(utc("2026-11-29 10:59")), Some(start));
        // Noon: a new night.
        assert_eq!(
            tonight_starts_at(utc("2026-11-29 11:00")),
            Some(utc("2026-11-29 11:00"))
        );
        // 11:59 Dutch time on the first day: yesterday's night.
        assert_eq!(
            tonight_starts_at(utc("2026-11-28 10:59")),
            Some(utc("2026-11-27 11:00"))
        );
        // Summer (UTC+2): noon is 10:00 UTC.
        assert_eq!(
            tonight_starts_at(utc("2026-07-04 23:30")),
            Some(utc("2026-07-04 10:00"))
        );
    }

    #[test]
    fn tonight_across_the_clock_changes() {
        // 2026-03-29: clocks go forward at 01:00 UTC (02:00 -> 03:00). The
        // night of Saturday 28 March began at noon CET (11:00 UTC); at
        // 03:30 CEST (01:30 UTC) it is still that night.
        assert_eq!(
            tonight_starts_at(utc("2026-03-29 01:30")),
            Some(utc("2026-03-28 11:00"))
        );
        // Sunday's noon is CEST: 10:00 UTC.
        assert_eq!(
            tonight_starts_at(utc("2026-03-29 09:59")),
            Some(utc("2026-03-28 11:00"))
        );
        assert_eq!(
            tonight_starts_at(utc("2026-03-29 10:00")),
            Some(utc("2026-03-29 10:00"))
        );
        // 2026-10-25: clocks go back at 01:00 UTC (03:00 -> 02:00). The
        // night began at noon CEST (10:00 UTC on the 24th); the repeated
        // hour (02:30 CET, 01:30 UTC) is still that night.
        assert_eq!(
            tonight_starts_at(utc("2026-10-25 00:30")),
            Some(utc("2026-10-24 10:00"))
        );
        assert_eq!(
            tonight_starts_at(utc("2026-10-25 01:30")),
            Some(utc("2026-10-24 10:00"))
        );
        // Sunday's noon is CET: 11:00 UTC.
        assert_eq!(
            tonight_starts_at(utc("2026-10-25 10:59")),
            Some(utc("2026-10-24 10:00"))
        );
        assert_eq!(
            tonight_starts_at(utc("2026-10-25 11:00")),
            Some(utc("2026-10-25 11:00"))
        );
    }

    #[test]
    fn reports_are_checked_against_the_clock() {
        let now = utc("2026-11-28 23:30");
        let hour = utc("2026-11-28 23:00");
        let ok = check_report(&[(hour, "banned", 2), (hour, "welcome", 40)], now).unwrap();
        assert_eq!(ok[1].verdict, CountedVerdict::Welcome);
        assert_eq!(
            check_report(&[(hour + 1, "banned", 1)], now),
            Err(CountsError::NotAnHour(0))
        );
        // Eight days back: the hour that holds `now - 8 days` is fine,
        // the one before is refused.
        let edge = hour - MAX_AGE_SECONDS;
        assert!(check_report(&[(edge, "welcome", 1)], now).is_ok());
        assert_eq!(
            check_report(&[(edge - HOUR, "welcome", 1)], now),
            Err(CountsError::TooOld(0))
        );
        // One hour ahead is fine, two are not.
        assert!(check_report(&[(hour + HOUR, "welcome", 1)], now).is_ok());
        assert_eq!(
            check_report(&[(hour + 2 * HOUR, "welcome", 1)], now),
            Err(CountsError::InFuture(0))
        );
        assert_eq!(
            check_report(&[(hour, "welcome", 1), (hour, "maybe", 1)], now),
            Err(CountsError::Verdict(1))
        );
        assert_eq!(
            check_report(&[(hour, "welcome", -1)], now),
            Err(CountsError::Checks(0))
        );
        assert_eq!(
            check_report(&[(hour, "welcome", 1), (hour, "welcome", 2)], now),
            Err(CountsError::Duplicate(1))
        );
        let many = vec![(hour, "welcome", 1); MAX_ROWS + 1];
        assert_eq!(check_report(&many, now), Err(CountsError::TooMany));
    }

    #[test]
    fn verdict_names_round_trip() {
        for v in CountedVerdict::ALL {
            assert_eq!(CountedVerdict::parse(v.as_str()), Some(v));
        }
        assert_eq!(CountedVerdict::parse("Banned"), None);
    }
}
