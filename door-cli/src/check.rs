//! `cho-door check`: the verdict for the person at the door, offline.
//!
//! The MRZ or the typed name and birth date go to the door core and are
//! dropped; only the verdict is printed. Error messages come from the core,
//! whose reasons never hold a name, a date or MRZ text.

use std::io::Read;

use cho_core::checker::{Check, Door, DoorError, Verdict};
use cho_core::dates;
use serde_json::json;

use cho_core::device::EnrolmentState;

use crate::device;
use crate::term::{self, Colour, Paint};
use crate::{CheckArgs, Context, Exit, Failure, Outcome};

/// More than any MRZ with OCR noise around it.
const MRZ_INPUT_LIMIT: u64 = 64 * 1024;

enum Person {
    Mrz(String),
    Manual {
        surname: String,
        given_names: String,
        birth_date: String,
    },
}

pub fn exit_code(verdict: Verdict) -> Exit {
    match verdict {
        Verdict::NotBanned => Exit::Ok,
        Verdict::Banned => Exit::Banned,
        Verdict::PossibleMatch => Exit::PossibleMatch,
        Verdict::ListOutdated => Exit::ListOutdated,
        Verdict::NoList => Exit::NoList,
    }
}

pub fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Banned => "banned",
        Verdict::PossibleMatch => "possible_match",
        Verdict::NotBanned => "not_banned",
        Verdict::ListOutdated => "list_outdated",
        Verdict::NoList => "no_list",
    }
}

/// Reads the MRZ file (`-`: stdin). The path is not echoed in errors: it
/// may be named after the person.
fn read_mrz_file(path: &std::path::Path) -> Result<String, Failure> {
    let mut text = String::new();
    let result = if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(MRZ_INPUT_LIMIT)
            .read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MRZ_INPUT_LIMIT).read_to_string(&mut text))
    };
    result.map_err(|e| Failure::invalid(format!("cannot read the MRZ: {}", e.kind())))?;
    Ok(text)
}

/// An MRZ typed on one line: its lines separated by spaces or by a typed
/// `\n` (no MRZ holds a backslash).
fn mrz_lines(text: String) -> String {
    let text = text.replace("\\n", "\n");
    if text.trim().contains('\n') {
        text
    } else {
        text.split_whitespace().collect::<Vec<_>>().join("\n")
    }
}

fn person(args: &CheckArgs) -> Result<Person, Failure> {
    if let Some(text) = &args.mrz {
        return Ok(Person::Mrz(mrz_lines(text.clone())));
    }
    if let Some(path) = &args.mrz_file {
        return Ok(Person::Mrz(mrz_lines(read_mrz_file(path)?)));
    }
    match (&args.surname, &args.given_names, &args.birth_date) {
        (Some(surname), Some(given_names), Some(birth_date)) => Ok(Person::Manual {
            surname: surname.clone(),
            given_names: given_names.clone(),
            birth_date: birth_date.clone(),
        }),
        // clap's groups make this unreachable; say so without panicking.
        _ => Err(Failure::invalid(
            "give --mrz, --mrz-file, or --surname with --given-names and --birth-date",
        )),
    }
}

fn check_error(e: DoorError) -> Failure {
    match e {
        DoorError::Mrz(e) => Failure::invalid(format!("invalid MRZ: {e}")),
        DoorError::Identity(e) => Failure::invalid(format!("invalid input: {e}")),
        DoorError::Date(e) => Failure::invalid(format!("invalid input: {e}")),
        DoorError::AreaKeyMissing { .. } => Failure::other("area_key_missing", format!("{e}")),
        e => Failure::other("check_failed", format!("{e}")),
    }
}

pub fn run(ctx: &Context, args: &CheckArgs) -> Result<Outcome, Failure> {
    let person = person(args)?;
    let dir = &ctx.data_dir;
    if !device::has_state(dir) {
        return Err(device::not_enrolled(dir));
    }
    let device = device::open(dir)?;
    if device.status(ctx.now).state == EnrolmentState::Revoked {
        term::warn(&format!(
            "warning: this door was revoked by the server and wiped: enrol again with a new code ({})",
            device::ENROL_HINT
        ));
    }
    device.with_door(|door| {
        let door = door.ok_or_else(|| device::not_enrolled(dir))?;
        let check = match person {
            Person::Mrz(text) => door.check_mrz(&text, ctx.now),
            Person::Manual {
                surname,
                given_names,
                birth_date,
            } => door.check_manual(&surname, &given_names, &birth_date, ctx.now),
        }
        .map_err(check_error)?;
        warnings(door, ctx.now);
        let stdout = if args.json {
            json_verdict(&check)
        } else {
            human(&check, door, ctx.now, Paint::for_stdout())
        };
        Ok(Outcome {
            stdout,
            exit: exit_code(check.verdict),
        })
    })
}

/// What door staff should know beside the verdict, on stderr.
fn warnings(door: &Door, now: i64) {
    if let Some(reason) = door.stored_list_refused() {
        term::warn(&format!(
            "warning: the stored list was not used ({reason}): sync"
        ));
    }
    if let Some(behind) = door.status(now).list.and_then(|l| l.clock_behind_seconds) {
        term::warn(&format!(
            "warning: this device's clock is {} behind the list's issue time: set the clock",
            term::duration(behind)
        ));
    }
}

fn json_verdict(check: &Check) -> String {
    json!({
        "verdict": verdict_name(check.verdict),
        "banned_until": check.banned_until.map(dates::format_iso_date),
        "age_years": check.age_years,
        "adult": check.adult,
        "document_expired": check.document_expired,
        "list_version": check.list_version,
        "list_age_seconds": check.list_age_seconds,
    })
    .to_string()
        + "\n"
}

fn human(check: &Check, door: &Door, now: i64, paint: Paint) -> String {
    let verdict = match check.verdict {
        Verdict::Banned => paint.strong(
            Colour::Red,
            &match check.banned_until {
                Some(day) => format!("BANNED until {}", dates::format_iso_date(day)),
                None => "BANNED".to_owned(),
            },
        ),
        Verdict::PossibleMatch => paint.strong(
            Colour::Yellow,
            "POSSIBLE MATCH - verify: enter all names from the document",
        ),
        Verdict::NotBanned => paint.strong(Colour::Green, "NOT BANNED"),
        Verdict::ListOutdated => paint.strong(
            Colour::Yellow,
            "LIST OUTDATED - sync before relying on this",
        ),
        Verdict::NoList => paint.strong(Colour::Yellow, "NO LIST - sync first"),
    };
    let mut out = format!("{verdict}\n");
    let age = if check.adult {
        paint.colour(Colour::Green, "adult (18+)")
    } else {
        paint.strong(Colour::Yellow, "UNDER 18")
    };
    out.push_str(&format!("age:      {} years, {age}\n", check.age_years));
    match check.document_expired {
        Some(true) => out.push_str(&format!(
            "document: {}\n",
            paint.strong(Colour::Yellow, "EXPIRED")
        )),
        Some(false) => out.push_str("document: valid\n"),
        None => {}
    }
    let list = door.status(now).list;
    match (check.list_version, check.list_age_seconds) {
        (Some(version), Some(age)) => {
            let outdated = list.is_some_and(|l| l.outdated);
            let note = if outdated {
                format!(" ({})", paint.colour(Colour::Yellow, "outdated: sync"))
            } else {
                String::new()
            };
            out.push_str(&format!(
                "list:     version {version}, {} old{note}\n",
                term::duration(age)
            ));
        }
        _ => out.push_str("list:     none\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_mrz_becomes_lines() {
        assert_eq!(mrz_lines("AAA<< BBB<<".to_owned()), "AAA<<\nBBB<<");
        assert_eq!(mrz_lines("AAA \nBBB".to_owned()), "AAA \nBBB");
        assert_eq!(mrz_lines("AAA<<\\nBBB".to_owned()), "AAA<<\nBBB");
    }

    #[test]
    fn one_exit_code_per_verdict() {
        let codes = [
            Verdict::NotBanned,
            Verdict::Banned,
            Verdict::PossibleMatch,
            Verdict::ListOutdated,
            Verdict::NoList,
        ]
        .map(|v| exit_code(v) as u8);
        assert_eq!(codes, [0, 10, 11, 12, 13]);
    }
}
