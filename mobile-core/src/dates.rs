//! Calendar rules of the door check: which day it is at the door, how old a
//! person is, how an MRZ's two-digit years resolve, and the compact day
//! numbers that lists carry.
//!
//! The calendar arithmetic itself is the `time` crate's; what lives here are
//! the CHO's own choices, each in one place.

use time::{Date, Month, OffsetDateTime, UtcOffset, Weekday};

/// Day 0 of the lists' compact day numbers.
const DAY_ZERO: Date = time::macros::date!(2000 - 01 - 01);

/// A date that cannot be read or does not exist. The message names the
/// field, never its content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("{field} must be YYYY-MM-DD")]
    Format { field: &'static str },
    #[error("{field} is not a date in the calendar")]
    NotACalendarDate { field: &'static str },
    #[error("{field} is in the future")]
    InFuture { field: &'static str },
    #[error("{field} is outside the range lists can carry")]
    OutOfRange { field: &'static str },
    #[error("time is outside the supported range")]
    TimeOutOfRange,
}

/// Parses `YYYY-MM-DD` strictly (four-digit year, two-digit month and day).
pub fn parse_iso_date(text: &str, field: &'static str) -> Result<Date, DateError> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return Err(DateError::Format { field });
    }
    let number = |range: std::ops::Range<usize>| -> u32 {
        bytes[range]
            .iter()
            .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
    };
    calendar_date(number(0..4), number(5..7), number(8..10), field)
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_iso_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn calendar_date(year: u32, month: u32, day: u32, field: &'static str) -> Result<Date, DateError> {
    let year = i32::try_from(year).map_err(|_| DateError::NotACalendarDate { field })?;
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or(DateError::NotACalendarDate { field })?;
    let day = u8::try_from(day).map_err(|_| DateError::NotACalendarDate { field })?;
    Date::from_calendar_date(year, month, day).map_err(|_| DateError::NotACalendarDate { field })
}

/// Splits an MRZ `YYMMDD` into numbers; the MRZ reader has already checked
/// that it is six digits.
fn yymmdd(text: &str, field: &'static str) -> Result<(u32, u32, u32), DateError> {
    let bytes = text.as_bytes();
    if bytes.len() != 6 || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(DateError::Format { field });
    }
    let pair = |i: usize| u32::from(bytes[i] - b'0') * 10 + u32::from(bytes[i + 1] - b'0');
    Ok((pair(0), pair(2), pair(4)))
}

/// Resolves an MRZ birth date against the day of the check: the MRZ prints
/// two year digits, and a birth date in the future belongs to the previous
/// century (someone born `050101` checked in 2026 is 21, not -79).
pub fn resolve_birth_date(text: &str, today: Date) -> Result<Date, DateError> {
    let field = "birth date";
    let (yy, mm, dd) = yymmdd(text, field)?;
    let this_century = (today.year() / 100) * 100;
    let base = u32::try_from(this_century).map_err(|_| DateError::TimeOutOfRange)?;
    let candidate = calendar_date(base + yy, mm, dd, field);
    match candidate {
        Ok(date) if date <= today => Ok(date),
        // In the future, or 29 February of a non-leap year in this century:
        // the previous century is the only reading left. In the years 0-99
        // there is none (checked: `base - 100` would underflow).
        _ => {
            let previous = base
                .checked_sub(100)
                .ok_or(DateError::OutOfRange { field })?;
            calendar_date(previous + yy, mm, dd, field)
        }
    }
}

/// Resolves an MRZ expiry date. Documents are valid for at most about ten
/// years, so the expiry lies within fifty years either side of today.
pub fn resolve_expiry_date(text: &str, today: Date) -> Result<Date, DateError> {
    let field = "expiry date";
    let (yy, mm, dd) = yymmdd(text, field)?;
    let this_century =
        u32::try_from((today.year() / 100) * 100).map_err(|_| DateError::TimeOutOfRange)?;
    let today_yy = u32::try_from(today.year() % 100).map_err(|_| DateError::TimeOutOfRange)?;
    // Checked: in the years 0-99 there is no previous century, and near the
    // end of `time`'s range no next one.
    let century = if yy > today_yy + 50 {
        this_century.checked_sub(100)
    } else if yy + 50 < today_yy {
        this_century.checked_add(100)
    } else {
        Some(this_century)
    };
    let year = century
        .and_then(|c| c.checked_add(yy))
        .ok_or(DateError::OutOfRange { field })?;
    calendar_date(year, mm, dd, field)
}

/// Whole years of age on `today`. Someone born on 29 February becomes a year
/// older on 1 March in a common year: for an 18+ check, the later day is the
/// safe one.
pub fn age_years(birth: Date, today: Date) -> u32 {
    // `time` years lie within +-999,999, so the difference fits an i32.
    let mut years = today.year().saturating_sub(birth.year());
    if (u8::from(today.month()), today.day()) < (u8::from(birth.month()), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// The age from which a person may be served alcohol in the Netherlands.
pub const ADULT_AGE: u32 = 18;

/// The calendar day at a Dutch door at `unix` seconds (see
/// [`netherlands_time`]).
pub fn door_date(unix: i64) -> Result<Date, DateError> {
    netherlands_time(unix).map(OffsetDateTime::date)
}

/// Dutch civil time at `unix` seconds.
///
/// Dutch civil time is UTC+1, and UTC+2 from 01:00 UTC on the last Sunday of
/// March to 01:00 UTC on the last Sunday of October (EU Directive
/// 2000/84/EC). The rule is written out rather than read from a time-zone
/// database so the phone's own settings cannot move a ban's last day (and
/// the server needs no time-zone database to show times).
pub fn netherlands_time(unix: i64) -> Result<OffsetDateTime, DateError> {
    let utc = OffsetDateTime::from_unix_timestamp(unix).map_err(|_| DateError::TimeOutOfRange)?;
    let year = utc.year();
    let summer_starts = last_sunday_0100_utc(year, Month::March)?;
    let summer_ends = last_sunday_0100_utc(year, Month::October)?;
    let offset_hours = if unix >= summer_starts && unix < summer_ends {
        2
    } else {
        1
    };
    let offset = UtcOffset::from_hms(offset_hours, 0, 0).map_err(|_| DateError::TimeOutOfRange)?;
    // `to_offset` panics when the local time leaves `time`'s range (the last
    // hour of 9999-12-31 UTC); the checked form makes that an error.
    utc.checked_to_offset(offset)
        .ok_or(DateError::TimeOutOfRange)
}

fn last_sunday_0100_utc(year: i32, month: Month) -> Result<i64, DateError> {
    let last_day = Date::from_calendar_date(year, month, month.length(year))
        .map_err(|_| DateError::TimeOutOfRange)?;
    let back = i64::from(last_day.weekday().number_days_from_sunday());
    let sunday = last_day
        .checked_sub(time::Duration::days(back))
        .ok_or(DateError::TimeOutOfRange)?;
    debug_assert_eq!(sunday.weekday(), Weekday::Sunday);
    sunday
        .midnight()
        .assume_utc()
        .unix_timestamp()
        .checked_add(3600)
        .ok_or(DateError::TimeOutOfRange)
}

/// The compact day number lists carry for a ban's last day: days since
/// 2000-01-01, so two bytes reach into the 2170s.
pub fn day_number(date: Date) -> Result<u16, DateError> {
    // Any two `time` dates are less than 2^31 days apart: no overflow.
    let days = (date - DAY_ZERO).whole_days();
    u16::try_from(days).map_err(|_| DateError::OutOfRange { field: "date" })
}

/// The date of a compact day number.
pub fn from_day_number(day: u16) -> Date {
    // 65,535 days after 2000-01-01 is in 2179, well inside `time`'s range,
    // so the addition cannot overflow.
    DAY_ZERO + time::Duration::days(i64::from(day))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn iso_dates_parse_strictly() {
        assert_eq!(
            parse_iso_date("1990-02-28", "d").unwrap(),
            date!(1990 - 02 - 28)
        );
        assert_eq!(
            parse_iso_date("1990-02-29", "birth date"),
            Err(DateError::NotACalendarDate {
                field: "birth date"
            })
        );
        for bad in [
            "1990-2-28",
            "19900228",
            "1990/02/28",
            " 1990-02-28",
            "1990-02-28x",
            "",
            "abcd-ef-gh",
        ] {
            assert_eq!(
                parse_iso_date(bad, "d"),
                Err(DateError::Format { field: "d" }),
                "{bad}"
            );
        }
        assert_eq!(format_iso_date(date!(2001 - 03 - 04)), "2001-03-04");
    }

    #[test]
    fn birth_year_in_the_future_is_previous_century() {
        let today = date!(2026 - 11 - 28);
        assert_eq!(
            resolve_birth_date("050101", today).unwrap(),
            date!(2005 - 01 - 01)
        );
        assert_eq!(
            resolve_birth_date("261128", today).unwrap(),
            date!(2026 - 11 - 28)
        );
        assert_eq!(
            resolve_birth_date("261129", today).unwrap(),
            date!(1926 - 11 - 29)
        );
        assert_eq!(
            resolve_birth_date("650310", today).unwrap(),
            date!(1965 - 03 - 10)
        );
        // 29 February 2000 existed; 29 February 1900 did not.
        assert_eq!(
            resolve_birth_date("000229", today).unwrap(),
            date!(2000 - 02 - 29)
        );
        assert!(resolve_birth_date("991301", today).is_err());
    }

    #[test]
    fn expiry_resolves_near_today() {
        let today = date!(2026 - 11 - 28);
        assert_eq!(
            resolve_expiry_date("310802", today).unwrap(),
            date!(2031 - 08 - 02)
        );
        assert_eq!(
            resolve_expiry_date("991231", today).unwrap(),
            date!(1999 - 12 - 31)
        );
        assert_eq!(
            resolve_expiry_date("760101", today).unwrap(),
            date!(2076 - 01 - 01)
        );
    }

    #[test]
    fn age_counts_whole_years() {
        let birth = date!(2008 - 11 - 29);
        assert_eq!(age_years(birth, date!(2026 - 11 - 28)), 17);
        assert_eq!(age_years(birth, date!(2026 - 11 - 29)), 18);
        let leap = date!(2008 - 02 - 29);
        assert_eq!(age_years(leap, date!(2026 - 02 - 28)), 17);
        assert_eq!(age_years(leap, date!(2026 - 03 - 01)), 18);
        assert_eq!(age_years(date!(2030 - 01 - 01), date!(2026 - 01 - 01)), 0);
    }

    #[test]
    fn door_date_follows_dutch_summer_time() {
        // 2026-03-29 is the last Sunday of March: 00:59 UTC is 01:59 CET,
        // 01:00 UTC is 03:00 CEST.
        let t = |s: &str| {
            time::PrimitiveDateTime::parse(
                s,
                time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]"),
            )
            .unwrap()
            .assume_utc()
            .unix_timestamp()
        };
        assert_eq!(
            door_date(t("2026-11-28 22:59")).unwrap(),
            date!(2026 - 11 - 28)
        );
        assert_eq!(
            door_date(t("2026-11-28 23:00")).unwrap(),
            date!(2026 - 11 - 29)
        );
        assert_eq!(
            door_date(t("2026-07-01 21:59")).unwrap(),
            date!(2026 - 07 - 01)
        );
        assert_eq!(
            door_date(t("2026-07-01 22:00")).unwrap(),
            date!(2026 - 07 - 02)
        );
        assert_eq!(
            door_date(t("2026-03-28 22:59")).unwrap(),
            date!(2026 - 03 - 28)
        );
        assert_eq!(
            door_date(t("2026-10-24 22:00")).unwrap(),
            date!(2026 - 10 - 25)
        );
        assert_eq!(
            door_date(t("2026-10-25 22:59")).unwrap(),
            date!(2026 - 10 - 25)
        );
        assert_eq!(
            door_date(t("2026-10-25 23:00")).unwrap(),
            date!(2026 - 10 - 26)
        );
        assert!(door_date(i64::MAX).is_err());
    }

    #[test]
    fn netherlands_time_jumps_at_01_00_utc_on_the_last_sundays() {
        let t = |s: &str| {
            time::PrimitiveDateTime::parse(
                s,
                time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]"),
            )
            .unwrap()
            .assume_utc()
            .unix_timestamp()
        };
        let clock = |utc: &str| {
            let local = netherlands_time(t(utc)).unwrap();
            (local.hour(), local.minute(), local.offset().whole_hours())
        };
        // Spring: 01:59 CET is followed by 03:00 CEST.
        assert_eq!(clock("2026-03-29 00:59"), (1, 59, 1));
        assert_eq!(clock("2026-03-29 01:00"), (3, 0, 2));
        // Autumn: 02:59 CEST is followed by 02:00 CET.
        assert_eq!(clock("2026-10-25 00:59"), (2, 59, 2));
        assert_eq!(clock("2026-10-25 01:00"), (2, 0, 1));
        // Winter and summer.
        assert_eq!(clock("2026-11-29 00:30"), (1, 30, 1));
        assert_eq!(clock("2026-07-01 12:00"), (14, 0, 2));
        assert!(netherlands_time(i64::MAX).is_err());
    }

    #[test]
    fn years_0_to_99_have_no_previous_century() {
        // Used to underflow a u32 (a panic in debug builds).
        let today = date!(0050 - 06 - 01);
        assert_eq!(
            resolve_birth_date("010101", today).unwrap(),
            date!(0001 - 01 - 01)
        );
        assert_eq!(
            resolve_birth_date("990101", today),
            Err(DateError::OutOfRange {
                field: "birth date"
            })
        );
        assert_eq!(
            resolve_expiry_date("990101", date!(0010 - 01 - 01)),
            Err(DateError::OutOfRange {
                field: "expiry date"
            })
        );
        assert!(resolve_expiry_date("010101", date!(9990 - 01 - 01)).is_err());
        assert!(resolve_birth_date("010101", Date::MIN).is_err());
    }

    #[test]
    fn door_date_at_the_end_of_time_is_an_error() {
        // 9999-12-31T23:00:00Z is 10000-01-01 in the Netherlands: outside
        // `time`'s range; `to_offset` panicked here.
        let t = Date::MAX.midnight().assume_utc().unix_timestamp() + 23 * 3600;
        assert_eq!(door_date(t), Err(DateError::TimeOutOfRange));
        assert_eq!(door_date(t - 3600).unwrap(), Date::MAX);
        assert!(door_date(i64::MIN).is_err());
        let first = Date::MIN.midnight().assume_utc().unix_timestamp();
        assert_eq!(door_date(first).unwrap(), Date::MIN);
    }

    #[test]
    fn day_numbers_round_trip() {
        assert_eq!(day_number(date!(2000 - 01 - 01)).unwrap(), 0);
        assert_eq!(
            from_day_number(day_number(date!(2028 - 11 - 28)).unwrap()),
            date!(2028 - 11 - 28)
        );
        assert!(day_number(date!(1999 - 12 - 31)).is_err());
        assert_eq!(from_day_number(u16::MAX), date!(2179 - 06 - 06));
    }
}
