//! Resident memory of a door holding a 1,000,000-entry list.
//!
//! `cargo bench -p cho-core --bench door_memory`. The parent process writes
//! the data directory (a signed snapshot, then the same list reached by a
//! delta), then runs this same binary again for each reading, so that no
//! allocation made while building the list counts: the child's baseline is a
//! fresh process, and its peak (VmHWM) covers only `Door::open` (and, in the
//! last reading, one delta update).
//!
//! Lines look like
//! `door_memory: 1000000 entries: RSS after open 21.3 MB (peak 21.4 MB), baseline 2.0 MB`
//! with MB = 10^6 bytes, read from /proc/self/status (Linux only).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use cho_core::checker::{Door, Verdict};
use cho_core::dates;
use cho_core::identity::{Identity, IdentityKey, IdentityToken, MatchStrength, TOKEN_LEN};
use cho_core::list_format::{EntrySet, ListEntry, ListHeader, ListSigner};
use cho_core::mrz;
use cho_testkit::mrz::ICAO_TD3 as HIT_MRZ;

const N: usize = 1_000_000;
const AREA: u64 = 7;
const KEY: [u8; 32] = [0x11; 32];
/// 2026-11-28 12:00 UTC.
const NOW: i64 = time::macros::datetime!(2026-11-28 12:00 UTC).unix_timestamp();
const CHILD_ENV: &str = "CHO_DOOR_MEMORY_CHILD";
const PUBLIC_KEY_FILE: &str = "bench-public-key.bin";
const DELTA_FILE: &str = "bench-delta.bin";

/// VmRSS and VmHWM in bytes.
fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map_or(0, |kib| kib * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn entry(&mut self, today: u16) -> ListEntry {
        let mut t = [0u8; TOKEN_LEN];
        t[..8].copy_from_slice(&self.next().to_le_bytes());
        t[8..].copy_from_slice(&self.next().to_le_bytes());
        let r = self.next();
        ListEntry {
            token: IdentityToken(t),
            last_day: today + (r % 1500) as u16,
            strength: if r & 1 == 0 {
                MatchStrength::Banned
            } else {
                MatchStrength::PossibleMatch
            },
        }
    }
}

fn header(version: u64) -> ListHeader {
    ListHeader {
        area_id: AREA,
        key_epoch: 1,
        max_age_seconds: 86_400,
        version,
        issued_at: NOW - 3600 + version as i64,
        key_check: cho_core::identity::IdentityKey::from_bytes(&KEY)
            .unwrap()
            .check_value(),
        next_signing_key: None,
    }
}

/// Writes a data directory holding `N` entries (the ICAO specimen's ban
/// tokens among them) at version 1, and a delta to version 2 beside it.
/// Everything it allocates is freed when it returns.
fn write_store(dir: &Path) {
    let rng = ring::rand::SystemRandom::new();
    let signer = ListSigner::from_pkcs8(&ListSigner::generate_pkcs8(&rng).unwrap()).unwrap();
    let today = dates::door_date(NOW).unwrap();
    let today_number = dates::day_number(today).unwrap();
    let key = IdentityKey::from_bytes(&KEY).unwrap();
    let person = Identity::from_mrz(&mrz::parse(HIT_MRZ).unwrap(), today).unwrap();
    let hits: Vec<ListEntry> = person
        .ban_tokens(&key)
        .into_iter()
        .map(|(token, strength)| ListEntry {
            token,
            last_day: today_number + 365,
            strength,
        })
        .collect();
    let mut random = Rng(1);
    let base = EntrySet::from_entries(
        hits.iter()
            .copied()
            .chain((0..N - hits.len()).map(|_| random.entry(today_number))),
    );
    // Version 2: 1,000 changes (600 added, 400 with a later last day), so
    // the list keeps its size class.
    let mut next: Vec<ListEntry> = base
        .iter()
        .enumerate()
        .map(|(i, e)| {
            if i % 2500 == 1 {
                ListEntry {
                    last_day: e.last_day + 30,
                    ..e
                }
            } else {
                e
            }
        })
        .collect();
    next.extend((0..600).map(|_| random.entry(today_number)));
    let next = EntrySet::from_entries(next);
    let snapshot = signer.snapshot(&header(1), &base).unwrap();
    let delta = signer.delta(&header(2), 1, &base, &next).unwrap();

    let mut door = Door::open(dir, &signer.public_key()).unwrap();
    door.set_area_key(AREA, 1, &KEY, true).unwrap();
    door.apply_update(snapshot, NOW).unwrap();
    std::fs::write(dir.join(PUBLIC_KEY_FILE), signer.public_key()).unwrap();
    std::fs::write(dir.join(DELTA_FILE), delta).unwrap();
}

/// The measurement, in a fresh process.
fn child(dir: &Path, mode: &str) {
    let public_key = std::fs::read(dir.join(PUBLIC_KEY_FILE)).unwrap();
    let delta = if mode == "update" {
        std::fs::read(dir.join(DELTA_FILE)).unwrap()
    } else {
        Vec::new()
    };
    let (baseline, _) = rss();
    let mut door = Door::open(dir, &public_key).unwrap();
    let (after_open, peak_open) = rss();
    let entries = door.status(NOW).list.map_or(0, |l| l.entries);
    assert!(
        door.stored_list_refused().is_none(),
        "stored list refused: {:?}",
        door.stored_list_refused()
    );
    assert_eq!(
        door.check_mrz(HIT_MRZ, NOW).unwrap().verdict,
        Verdict::Banned
    );
    let (after_check, _) = rss();
    match mode {
        "update" => {
            door.apply_update(delta, NOW).unwrap();
            let (after_update, peak_update) = rss();
            let entries = door.status(NOW).list.map_or(0, |l| l.entries);
            println!(
                "door_memory: {entries} entries: RSS after a 1,000-change delta update {:.1} MB \
                 (peak during open + update {:.1} MB), baseline {:.1} MB",
                mb(after_update),
                mb(peak_update),
                mb(baseline),
            );
        }
        _ => {
            println!(
                "door_memory: {entries} entries: RSS after open {:.1} MB (peak {:.1} MB), \
                 baseline {:.1} MB [{mode}; after one check {:.1} MB; list {:.1} MB above baseline]",
                mb(after_open),
                mb(peak_open),
                mb(baseline),
                mb(after_check),
                mb(after_open.saturating_sub(baseline)),
            );
        }
    }
}

fn run_child(exe: &Path, dir: &Path, mode: &str) {
    let status = Command::new(exe)
        .env(CHILD_ENV, format!("{mode}:{}", dir.display()))
        .status()
        .unwrap();
    assert!(status.success(), "measurement {mode} failed: {status}");
}

fn main() {
    // cargo bench passes `--bench` and maybe a filter; cargo test passes
    // nothing or test flags. None of them changes what is measured.
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        let (mode, dir) = spec.split_once(':').unwrap();
        child(&PathBuf::from(dir), mode);
        return;
    }
    if !cfg!(target_os = "linux") {
        println!("door_memory: skipped, needs /proc/self/status (Linux)");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_store(dir.path());
    // The stored snapshot, as after a full download.
    run_child(&exe, dir.path(), "snapshot stored");
    // One delta update on top, then the state as a delta leaves it.
    run_child(&exe, dir.path(), "update");
    run_child(&exe, dir.path(), "delta stored");
}
