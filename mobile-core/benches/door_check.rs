//! The door check at list sizes a large area could reach: one check (MRZ
//! and typed), loading and re-verifying the stored list, and applying a delta.
//!
//! `cargo bench -p cho-core --bench door_check`. The 1,000,000-entry cases
//! take a few seconds each; all state lives in temporary directories.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use cho_core::checker::{Door, Verdict};
use cho_core::dates;
use cho_core::identity::{Identity, IdentityKey, IdentityToken, MatchStrength, TOKEN_LEN};
use cho_core::list_format::{
    self, ENTRY_LEN, EntrySet, HEADER_LEN, ListEntry, ListHeader, ListSigner, ListUpdate,
    SIGNATURE_LEN,
};
use cho_core::mrz;
// HIT_MRZ: the ICAO 9303 TD3 specimen (expired in 2012, which only sets
// `document_expired`).
use cho_testkit::mrz::{ICAO_TD3 as HIT_MRZ, td3};
use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};

const AREA: u64 = 7;
const EPOCH: u32 = 1;
const KEY: [u8; 32] = [0x11; 32];
/// 2026-11-28 12:00 UTC.
const NOW: i64 = time::macros::datetime!(2026-11-28 12:00 UTC).unix_timestamp();
const DAY: i64 = 86_400;

const HIT_MANUAL: (&str, &str, &str) = ("Eriksson", "Anna Maria", "1974-08-12");
const MISS_MANUAL: (&str, &str, &str) = ("Jansen", "Piet", "1980-01-02");

const DELTA_ADDED: usize = 600;
const DELTA_REMOVED: usize = 300;
const DELTA_CHANGED: usize = 100;
const DELTA_CHANGES: usize = DELTA_ADDED + DELTA_REMOVED + DELTA_CHANGED;

/// A TD3 passport MRZ with correct check digits, for someone not on the list.
fn miss_mrz() -> String {
    td3(
        "P<UTOJANSEN<<PIET",
        "X12345678",
        "UTO",
        "800102",
        'M',
        "310101",
        "",
    )
}

/// splitmix64: reproducible random tokens without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn token(&mut self) -> IdentityToken {
        let mut t = [0u8; TOKEN_LEN];
        t[..8].copy_from_slice(&self.next().to_le_bytes());
        t[8..].copy_from_slice(&self.next().to_le_bytes());
        IdentityToken(t)
    }

    fn entry(&mut self, today: u16) -> ListEntry {
        let r = self.next();
        ListEntry {
            token: self.token(),
            last_day: today + (r % 1500) as u16,
            strength: if r & (1 << 40) == 0 {
                MatchStrength::Banned
            } else {
                MatchStrength::PossibleMatch
            },
        }
    }
}

fn today_number() -> u16 {
    dates::day_number(dates::door_date(NOW).unwrap()).unwrap()
}

/// The ban tokens of the person in `HIT_MRZ` (read from the MRZ and typed),
/// banned for a year.
fn hit_entries() -> Vec<ListEntry> {
    let key = IdentityKey::from_bytes(&KEY).unwrap();
    let today = dates::door_date(NOW).unwrap();
    let from_mrz = Identity::from_mrz(&mrz::parse(HIT_MRZ).unwrap(), today).unwrap();
    let typed = Identity::from_manual(HIT_MANUAL.0, HIT_MANUAL.1, HIT_MANUAL.2).unwrap();
    let last_day = today_number() + 365;
    // The MRZ and the typed name share tokens: one entry each.
    let mut tokens: Vec<(IdentityToken, MatchStrength)> = [from_mrz, typed]
        .iter()
        .flat_map(|p| p.ban_tokens(&key))
        .collect();
    tokens.sort();
    tokens.dedup();
    tokens
        .into_iter()
        .map(|(token, strength)| ListEntry {
            token,
            last_day,
            strength,
        })
        .collect()
}

/// `n` entries: random tokens plus the known person's.
fn entry_set(n: usize, seed: u64) -> EntrySet {
    let mut rng = Rng(seed);
    let today = today_number();
    let hits = hit_entries();
    let random = n.saturating_sub(hits.len());
    EntrySet::from_entries(
        hits.into_iter()
            .chain((0..random).map(|_| rng.entry(today))),
    )
}

fn header(version: u64) -> ListHeader {
    ListHeader {
        area_id: AREA,
        key_epoch: EPOCH,
        max_age_seconds: DAY as u32,
        version,
        issued_at: NOW - 3600 + version as i64,
        key_check: IdentityKey::from_bytes(&KEY).unwrap().check_value(),
        next_signing_key: None,
    }
}

fn signer() -> ListSigner {
    let rng = ring::rand::SystemRandom::new();
    ListSigner::from_pkcs8(&ListSigner::generate_pkcs8(&rng).unwrap()).unwrap()
}

/// A door in `dir` holding `snapshot` as its list.
fn door_with(dir: &Path, signer: &ListSigner, snapshot: Vec<u8>) -> Door {
    let mut door = Door::open(dir, &signer.public_key()).unwrap();
    door.set_area_key(AREA, EPOCH, &KEY, true).unwrap();
    door.apply_update(snapshot, NOW).unwrap();
    door
}

/// Fails loudly if a "hit" would not hit or a "miss" would.
fn assert_verdicts(door: &Door, n: usize) {
    let hit = door.check_mrz(HIT_MRZ, NOW).unwrap();
    assert_eq!(hit.verdict, Verdict::Banned, "MRZ hit at {n}");
    let miss = door.check_mrz(&miss_mrz(), NOW).unwrap();
    assert_eq!(miss.verdict, Verdict::NotBanned, "MRZ miss at {n}");
    let (s, g, b) = HIT_MANUAL;
    assert_eq!(
        door.check_manual(s, g, b, NOW).unwrap().verdict,
        Verdict::Banned
    );
    let (s, g, b) = MISS_MANUAL;
    assert_eq!(
        door.check_manual(s, g, b, NOW).unwrap().verdict,
        Verdict::NotBanned
    );
    assert_eq!(door.status(NOW).list.map(|l| l.entries), Some(n as u64));
}

fn bench_checks(c: &mut Criterion, signer: &ListSigner, n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let set = entry_set(n, 1);
    assert_eq!(set.len(), n);
    let door = door_with(
        dir.path(),
        signer,
        signer.snapshot(&header(1), &set).unwrap(),
    );
    assert_verdicts(&door, n);
    let miss = miss_mrz();

    let mut group = c.benchmark_group("check");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_with_input(BenchmarkId::new("mrz_hit", n), &n, |b, _| {
        b.iter(|| door.check_mrz(black_box(HIT_MRZ), NOW).unwrap())
    });
    group.bench_with_input(BenchmarkId::new("mrz_miss", n), &n, |b, _| {
        b.iter(|| door.check_mrz(black_box(&miss), NOW).unwrap())
    });
    group.bench_with_input(BenchmarkId::new("manual_hit", n), &n, |b, _| {
        let (s, g, d) = HIT_MANUAL;
        b.iter(|| door.check_manual(black_box(s), g, d, NOW).unwrap())
    });
    group.bench_with_input(BenchmarkId::new("manual_miss", n), &n, |b, _| {
        let (s, g, d) = MISS_MANUAL;
        b.iter(|| door.check_manual(black_box(s), g, d, NOW).unwrap())
    });
    // Where a check's time goes: reading the MRZ, hashing the probes
    // (HMAC-SHA-256 each), and the binary searches in the list.
    let key = IdentityKey::from_bytes(&KEY).unwrap();
    let today = dates::door_date(NOW).unwrap();
    let person = Identity::from_mrz(&mrz::parse(HIT_MRZ).unwrap(), today).unwrap();
    let probes: Vec<IdentityToken> = person.probes(&key).iter().map(|p| p.token).collect();
    group.bench_with_input(BenchmarkId::new("part_mrz_parse", n), &n, |b, _| {
        b.iter(|| mrz::parse(black_box(HIT_MRZ)).unwrap())
    });
    group.bench_with_input(
        BenchmarkId::new("part_mrz_identity_probes", n),
        &n,
        |b, _| {
            let document = mrz::parse(HIT_MRZ).unwrap();
            b.iter(|| {
                Identity::from_mrz(black_box(&document), today)
                    .unwrap()
                    .probes(&key)
            })
        },
    );
    group.bench_with_input(
        BenchmarkId::new(format!("part_lookup_{}_probes", probes.len()), n),
        &n,
        |b, _| b.iter(|| black_box(&probes).iter().filter_map(|t| set.get(t)).count()),
    );
    // The lookups above repeat one person, so their search path stays in
    // cache; a different random token (a miss) on every call shows the cost
    // when it does not.
    let mut rng = Rng(7);
    let cold: Vec<IdentityToken> = (0..1 << 16).map(|_| rng.token()).collect();
    group.bench_with_input(
        BenchmarkId::new("part_lookup_random_miss", n),
        &n,
        |b, _| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % cold.len();
                set.get(black_box(&cold[i]))
            })
        },
    );
    group.finish();
}

fn checks(c: &mut Criterion) {
    let signer = signer();
    bench_checks(c, &signer, 10_000);
    bench_checks(c, &signer, 1_000_000);
}

/// `base` with `DELTA_CHANGES` changes: entries added, removed (never the
/// known person's) and given a later last day.
fn changed_set(base: &EntrySet) -> EntrySet {
    let mut rng = Rng(99);
    let today = today_number();
    let keep: Vec<IdentityToken> = hit_entries().iter().map(|e| e.token).collect();
    let n = base.len() as u64;
    let mut touched = std::collections::BTreeMap::new();
    while touched.len() < DELTA_REMOVED + DELTA_CHANGED {
        let index = (rng.next() % n) as usize;
        touched.insert(index, touched.len() < DELTA_REMOVED);
    }
    let mut entries: Vec<ListEntry> = base
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match touched.get(&i) {
            Some(true) if !keep.contains(&e.token) => None,
            Some(_) => Some(ListEntry {
                last_day: e.last_day + 30,
                ..e
            }),
            None => Some(e),
        })
        .collect();
    entries.extend((0..DELTA_ADDED).map(|_| rng.entry(today)));
    EntrySet::from_entries(entries)
}

fn large_list(c: &mut Criterion) {
    const N: usize = 1_000_000;
    let signer = signer();
    let public_key = signer.public_key();
    let pristine = tempfile::tempdir().unwrap();
    let base = entry_set(N, 1);
    let snapshot = signer.snapshot(&header(1), &base).unwrap();
    let result = changed_set(&base);
    let delta_bytes = signer.delta(&header(2), 1, &base, &result).unwrap();
    let ListUpdate::Delta(delta) = list_format::decode(delta_bytes.clone(), &public_key).unwrap()
    else {
        panic!("expected a delta")
    };
    assert_eq!(
        delta.upserts.len() + delta.removals.len(),
        DELTA_CHANGES,
        "delta size"
    );
    drop(result);

    eprintln!(
        "door_check: snapshot of {N} entries: {} bytes = {:.3} bytes/entry \
         ({ENTRY_LEN} per entry + {} of header and signature)",
        snapshot.len(),
        snapshot.len() as f64 / N as f64,
        HEADER_LEN + SIGNATURE_LEN,
    );
    eprintln!(
        "door_check: delta of {DELTA_CHANGES} changes ({} upserts: {DELTA_ADDED} added + \
         {DELTA_CHANGED} changed; {} removed): {} bytes = {:.2} bytes/change \
         ({:.2} without the {} bytes of header and signature)",
        delta.upserts.len(),
        delta.removals.len(),
        delta_bytes.len(),
        delta_bytes.len() as f64 / DELTA_CHANGES as f64,
        (delta_bytes.len() - HEADER_LEN - SIGNATURE_LEN) as f64 / DELTA_CHANGES as f64,
        HEADER_LEN + SIGNATURE_LEN,
    );

    let door = door_with(pristine.path(), &signer, snapshot.clone());
    assert_verdicts(&door, N);
    drop(door);
    let list_file = pristine.path().join("list.bin");
    eprintln!(
        "door_check: stored list.bin: {} bytes",
        std::fs::metadata(&list_file).unwrap().len()
    );

    let mut group = c.benchmark_group("list_1m");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    // Door::open reads list.bin (from the page cache here) and re-verifies
    // the signature, the entry order and the digest.
    group.bench_function("door_open_load_verify", |b| {
        b.iter(|| Door::open(pristine.path(), black_box(&public_key)).unwrap())
    });
    group.bench_function("decode", |b| {
        b.iter_batched(
            || snapshot.clone(),
            |bytes| list_format::decode(bytes, &public_key).unwrap(),
            BatchSize::PerIteration,
        )
    });
    // Where the load time goes: the parts of `decode` and `Door::open`.
    group.bench_function("part_read_list_file", |b| {
        b.iter(|| std::fs::read(&list_file).unwrap())
    });
    group.bench_function("part_sha256_digest", |b| b.iter(|| base.digest()));
    group.bench_function("part_from_packed_order_check", |b| {
        b.iter_batched(
            || snapshot.clone(),
            |bytes| EntrySet::from_packed(bytes, HEADER_LEN, N).unwrap(),
            BatchSize::PerIteration,
        )
    });

    group.bench_function("delta_1k_apply_to", |b| {
        b.iter(|| delta.apply_to(black_box(&base)).unwrap())
    });
    // The full update: decode and verify the delta, apply it, write the new
    // state file (about 19 MB, synced) and the keys file, atomically. Every
    // iteration starts from a copy of the stored version 1.
    let work = tempfile::tempdir().unwrap();
    group.bench_function("delta_1k_door_apply_update", |b| {
        b.iter_batched(
            || {
                for file in ["list.bin", "area-keys.bin"] {
                    std::fs::copy(pristine.path().join(file), work.path().join(file)).unwrap();
                }
                let door = Door::open(work.path(), &public_key).unwrap();
                (door, delta_bytes.clone())
            },
            |(mut door, bytes)| {
                door.apply_update(bytes, NOW).unwrap();
                door
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let after = Door::open(work.path(), &public_key).unwrap();
    let facts = after.status(NOW).list.unwrap();
    assert_eq!(facts.header.version, 2);
    assert_eq!(facts.entries as usize, N + DELTA_ADDED - DELTA_REMOVED);
    assert_eq!(
        after.check_mrz(HIT_MRZ, NOW).unwrap().verdict,
        Verdict::Banned
    );
}

criterion_group!(benches, checks, large_list);
criterion_main!(benches);
