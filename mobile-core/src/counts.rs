//! The door's anonymous tally: how many checks gave which verdict, per
//! hour. It is what a door may send back to the server
//! (`POST /api/v1/device/counts`, issue 10 contract 5), and nothing else:
//! no token, no identity, no document data, no single check, no time finer
//! than the hour.
//!
//! The tally lives in `counts.bin` beside the store (written aside, synced
//! and renamed like the store's files, so a kill at any moment leaves the
//! old tally or the new one). It is bounded: hours older than
//! [`KEEP_SECONDS`] (8 days) are dropped, so it never holds more than
//! 8 * 24 + 1 hours of 5 verdicts.
//!
//! Sending: [`Tally::pending`] builds the JSON body of the counts that the
//! server has not acknowledged yet (running totals per hour and verdict:
//! the server sets them, so a resend after a lost answer is harmless);
//! after a `204` the app calls [`Tally::acknowledge`] with the rows it
//! sent. A `422` means the server will never take those rows (a clock far
//! off): acknowledge them too, so the door does not resend them forever.
//! Counts recorded after the body was built stay pending.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::checker::Verdict;
use crate::store::{self, StoreError};

const COUNTS_FILE: &str = "counts.bin";
const COUNTS_MAGIC: &[u8; 4] = b"CHOC";
const COUNTS_FORMAT: u8 = 1;
/// hour (i64) + verdict (u8) + checks (u32) + acknowledged (u32).
const RECORD_LEN: usize = 8 + 1 + 4 + 4;

pub const HOUR: i64 = 3600;
/// Hours are kept this long: the server refuses hours older than 8 days.
pub const KEEP_SECONDS: i64 = 8 * 24 * HOUR;
/// Hours are sent only this recent, a day inside what the server takes,
/// so a door clock somewhat behind the server's is never refused.
pub const SEND_SECONDS: i64 = 7 * 24 * HOUR;
/// At most this many rows in one body: eight days of every verdict (the
/// server takes it as its limit, `domain::door_counts`).
pub const MAX_ROWS: usize = 24 * 8 * 5;

/// A verdict as the door reports it: the names are the contract with the
/// server (`POST /api/v1/device/counts`), which parses them with this type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CountedVerdict {
    Banned,
    PossibleMatch,
    Welcome,
    Outdated,
    NoList,
}

impl CountedVerdict {
    pub const ALL: [Self; 5] = [
        Self::Banned,
        Self::PossibleMatch,
        Self::Welcome,
        Self::Outdated,
        Self::NoList,
    ];

    /// The name in the request body.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Banned => "banned",
            Self::PossibleMatch => "possible_match",
            Self::Welcome => "welcome",
            Self::Outdated => "outdated",
            Self::NoList => "no_list",
        }
    }

    /// The verdict named `text` in a request body.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == text)
    }

    fn code(self) -> u8 {
        match self {
            Self::Banned => 1,
            Self::PossibleMatch => 2,
            Self::Welcome => 3,
            Self::Outdated => 4,
            Self::NoList => 5,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }
}

impl From<Verdict> for CountedVerdict {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Banned => Self::Banned,
            Verdict::PossibleMatch => Self::PossibleMatch,
            Verdict::NotBanned => Self::Welcome,
            Verdict::ListOutdated => Self::Outdated,
            Verdict::NoList => Self::NoList,
        }
    }
}

/// One row of a counts body: the running total of an hour and verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountRow {
    /// Unix seconds of the hour's start (UTC).
    pub hour: i64,
    pub verdict: CountedVerdict,
    pub checks: u32,
}

/// The body of `POST /api/v1/device/counts` and the rows it holds (to
/// hand back to [`Tally::acknowledge`] after a 204).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountsBody {
    /// `{"counts":[{"hour":..,"verdict":"..","checks":..},..]}`.
    pub json: String,
    pub rows: Vec<CountRow>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Figure {
    checks: u32,
    acknowledged: u32,
}

/// The tally of one door, kept in its data directory. One per directory:
/// the door's device object owns it.
pub struct Tally {
    dir: PathBuf,
    figures: BTreeMap<(i64, CountedVerdict), Figure>,
}

impl Tally {
    /// Opens the tally in `dir` (empty when there is none). A damaged file
    /// starts an empty tally: counts must never stop a door.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let bytes = store::read_if_exists(&dir.join(COUNTS_FILE), COUNTS_FILE)?;
        let figures = bytes.as_deref().and_then(decode).unwrap_or_default();
        Ok(Self {
            dir: dir.to_path_buf(),
            figures,
        })
    }

    /// Counts one check of `verdict` at `now_unix` and saves the tally.
    pub fn record(
        &mut self,
        verdict: impl Into<CountedVerdict>,
        now_unix: i64,
    ) -> Result<(), StoreError> {
        let hour = now_unix.div_euclid(HOUR) * HOUR;
        let figure = self.figures.entry((hour, verdict.into())).or_default();
        figure.checks = figure.checks.saturating_add(1);
        self.forget_old(now_unix);
        self.save()
    }

    /// The body for the counts the server has not acknowledged, oldest
    /// first, at most [`MAX_ROWS`]; `None` when there is nothing to send.
    pub fn pending(&self, now_unix: i64) -> Option<CountsBody> {
        let rows: Vec<CountRow> = self
            .figures
            .iter()
            .filter(|((hour, _), f)| {
                f.checks != f.acknowledged && *hour + HOUR > now_unix - SEND_SECONDS
            })
            .take(MAX_ROWS)
            .map(|(&(hour, verdict), f)| CountRow {
                hour,
                verdict,
                checks: f.checks,
            })
            .collect();
        if rows.is_empty() {
            return None;
        }
        let items: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{{\"hour\":{},\"verdict\":\"{}\",\"checks\":{}}}",
                    r.hour,
                    r.verdict.as_str(),
                    r.checks
                )
            })
            .collect();
        Some(CountsBody {
            json: format!("{{\"counts\":[{}]}}", items.join(",")),
            rows,
        })
    }

    /// The server took (204) or will never take (422) these rows: they are
    /// not sent again unless more checks are counted in their hour.
    pub fn acknowledge(&mut self, rows: &[CountRow]) -> Result<(), StoreError> {
        let mut changed = false;
        for row in rows {
            if let Some(f) = self.figures.get_mut(&(row.hour, row.verdict))
                && f.acknowledged < row.checks
            {
                f.acknowledged = row.checks.min(f.checks);
                changed = true;
            }
        }
        if changed { self.save() } else { Ok(()) }
    }

    /// The running total of an hour and verdict (for tests and screens).
    pub fn checks(&self, hour: i64, verdict: CountedVerdict) -> u32 {
        self.figures.get(&(hour, verdict)).map_or(0, |f| f.checks)
    }

    /// Hours the tally holds.
    pub fn hours(&self) -> usize {
        let mut hours: Vec<i64> = self.figures.keys().map(|(h, _)| *h).collect();
        hours.dedup();
        hours.len()
    }

    /// Forgets everything (the device was revoked or left the area).
    pub fn clear(&mut self) -> Result<(), StoreError> {
        self.figures.clear();
        self.save()
    }

    fn forget_old(&mut self, now_unix: i64) {
        self.figures
            .retain(|(hour, _), _| *hour + HOUR > now_unix - KEEP_SECONDS);
    }

    fn save(&self) -> Result<(), StoreError> {
        let mut bytes = Vec::with_capacity(12 + self.figures.len() * RECORD_LEN);
        bytes.extend_from_slice(COUNTS_MAGIC);
        bytes.extend_from_slice(&[COUNTS_FORMAT, 0, 0, 0]);
        // At most 193 hours of 5 verdicts: always fits.
        let count = u32::try_from(self.figures.len()).unwrap_or(u32::MAX);
        bytes.extend_from_slice(&count.to_le_bytes());
        for (&(hour, verdict), f) in &self.figures {
            bytes.extend_from_slice(&hour.to_le_bytes());
            bytes.push(verdict.code());
            bytes.extend_from_slice(&f.checks.to_le_bytes());
            bytes.extend_from_slice(&f.acknowledged.to_le_bytes());
        }
        store::write_atomically(&self.dir, COUNTS_FILE, &[&bytes])
    }
}

fn decode(bytes: &[u8]) -> Option<BTreeMap<(i64, CountedVerdict), Figure>> {
    let (head, rest) = bytes.split_at_checked(12)?;
    if &head[..4] != COUNTS_MAGIC || head[4] != COUNTS_FORMAT {
        return None;
    }
    let count = usize::try_from(u32::from_le_bytes(head[8..12].try_into().ok()?)).ok()?;
    if rest.len() != count.checked_mul(RECORD_LEN)? {
        return None;
    }
    let mut out = BTreeMap::new();
    for record in rest.chunks_exact(RECORD_LEN) {
        let hour = i64::from_le_bytes(record[..8].try_into().ok()?);
        let verdict = CountedVerdict::from_code(record[8])?;
        let checks = u32::from_le_bytes(record[9..13].try_into().ok()?);
        let acknowledged = u32::from_le_bytes(record[13..17].try_into().ok()?);
        out.insert(
            (hour, verdict),
            Figure {
                checks,
                acknowledged,
            },
        );
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_540_000; // 2025-11-30 22:00 UTC, an hour's start

    #[test]
    fn counts_per_hour_and_verdict_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = Tally::open(dir.path()).unwrap();
        t.record(Verdict::NotBanned, NOW + 10).unwrap();
        t.record(Verdict::NotBanned, NOW + 3599).unwrap();
        t.record(Verdict::Banned, NOW + 20).unwrap();
        t.record(Verdict::NotBanned, NOW + 3600).unwrap();
        let t = Tally::open(dir.path()).unwrap();
        assert_eq!(t.checks(NOW, CountedVerdict::Welcome), 2);
        assert_eq!(t.checks(NOW, CountedVerdict::Banned), 1);
        assert_eq!(t.checks(NOW + HOUR, CountedVerdict::Welcome), 1);
        assert_eq!(t.hours(), 2);
    }

    #[test]
    fn the_body_is_contract_5_and_holds_only_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = Tally::open(dir.path()).unwrap();
        assert_eq!(t.pending(NOW), None);
        t.record(Verdict::PossibleMatch, NOW + 5).unwrap();
        t.record(Verdict::ListOutdated, NOW + 6).unwrap();
        t.record(Verdict::NoList, NOW + 7).unwrap();
        let body = t.pending(NOW + 8).unwrap();
        assert_eq!(
            body.json,
            format!(
                "{{\"counts\":[{{\"hour\":{NOW},\"verdict\":\"possible_match\",\"checks\":1}},\
                 {{\"hour\":{NOW},\"verdict\":\"outdated\",\"checks\":1}},\
                 {{\"hour\":{NOW},\"verdict\":\"no_list\",\"checks\":1}}]}}"
            )
        );
        assert_eq!(body.rows.len(), 3);
        // On disk: the magic, the format, and 17 bytes per figure.
        let file = std::fs::read(dir.path().join(COUNTS_FILE)).unwrap();
        assert_eq!(file.len(), 12 + 3 * RECORD_LEN);
    }

    #[test]
    fn acknowledged_counts_are_not_sent_again_but_later_checks_are() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = Tally::open(dir.path()).unwrap();
        t.record(Verdict::NotBanned, NOW).unwrap();
        let sent = t.pending(NOW).unwrap();
        // A check between building the body and the 204.
        t.record(Verdict::NotBanned, NOW + 1).unwrap();
        t.acknowledge(&sent.rows).unwrap();
        let again = t.pending(NOW + 2).unwrap();
        assert_eq!(again.rows[0].checks, 2, "the running total, not the rest");
        t.acknowledge(&again.rows).unwrap();
        assert_eq!(t.pending(NOW + 3), None);
        // Acknowledgements survive a restart.
        let t = Tally::open(dir.path()).unwrap();
        assert_eq!(t.pending(NOW + 3), None);
    }

    #[test]
    fn old_hours_are_dropped_and_not_sent() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = Tally::open(dir.path()).unwrap();
        t.record(Verdict::NotBanned, NOW).unwrap();
        // Seven days later the hour is no longer sent...
        let later = NOW + SEND_SECONDS + HOUR;
        assert_eq!(t.pending(later), None);
        t.record(Verdict::Banned, later).unwrap();
        assert_eq!(t.checks(NOW, CountedVerdict::Welcome), 1);
        // ...and after eight days it is gone.
        t.record(Verdict::Banned, NOW + KEEP_SECONDS + HOUR)
            .unwrap();
        assert_eq!(t.checks(NOW, CountedVerdict::Welcome), 0);
        assert_eq!(t.hours(), 2);
    }

    #[test]
    fn the_tally_stays_bounded_over_weeks_of_checks() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = Tally::open(dir.path()).unwrap();
        let verdicts = [
            Verdict::Banned,
            Verdict::PossibleMatch,
            Verdict::NotBanned,
            Verdict::ListOutdated,
            Verdict::NoList,
        ];
        for h in 0..(21 * 24) {
            for v in verdicts {
                t.record(v, NOW + h * HOUR).unwrap();
            }
        }
        assert!(t.hours() <= 8 * 24 + 1, "{}", t.hours());
        let body = t.pending(NOW + 21 * 24 * HOUR).unwrap();
        assert!(body.rows.len() <= MAX_ROWS);
        assert!(body.json.len() < 64 * 1024, "{}", body.json.len());
    }

    #[test]
    fn a_damaged_file_starts_an_empty_tally() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(COUNTS_FILE), b"CHOC\x01\0\0\0\x05\0\0\0xx").unwrap();
        let mut t = Tally::open(dir.path()).unwrap();
        assert_eq!(t.hours(), 0);
        t.record(Verdict::Banned, NOW).unwrap();
        assert_eq!(Tally::open(dir.path()).unwrap().hours(), 1);
    }

    #[test]
    fn clear_forgets_everything() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = Tally::open(dir.path()).unwrap();
        t.record(Verdict::Banned, NOW).unwrap();
        t.clear().unwrap();
        assert_eq!(Tally::open(dir.path()).unwrap().hours(), 0);
    }
}
