//! Property tests for the signed list format: snapshots and deltas read back
//! exactly what was written, `decode` refuses every changed byte without
//! panicking, and the binary search finds exactly the members of a set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use cho_core::identity::{IdentityToken, MatchStrength, TOKEN_LEN};
use cho_core::list_format::{
    self, ENTRY_LEN, EntrySet, HEADER_LEN, ListEntry, ListError, ListHeader, ListSigner,
    ListUpdate, SIGNATURE_LEN,
};
use proptest::prelude::*;

/// One signing key for the whole file: generating a key per case would only
/// slow the properties down.
fn signer() -> &'static ListSigner {
    static SIGNER: OnceLock<ListSigner> = OnceLock::new();
    SIGNER.get_or_init(|| {
        let rng = ring::rand::SystemRandom::new();
        ListSigner::from_pkcs8(&ListSigner::generate_pkcs8(&rng).unwrap()).unwrap()
    })
}

fn strength(banned: bool) -> MatchStrength {
    if banned {
        MatchStrength::Banned
    } else {
        MatchStrength::PossibleMatch
    }
}

fn any_token() -> impl Strategy<Value = IdentityToken> {
    any::<[u8; TOKEN_LEN]>().prop_map(IdentityToken)
}

/// Tokens that share long prefixes and collide often, so sorting, duplicate
/// handling and the search see neighbours that differ in one late byte.
fn near_token() -> impl Strategy<Value = IdentityToken> {
    (0u8..4, 0u8..8).prop_map(|(a, b)| {
        let mut t = [0x5a; TOKEN_LEN];
        t[0] = a;
        t[TOKEN_LEN - 1] = b;
        IdentityToken(t)
    })
}

fn token() -> impl Strategy<Value = IdentityToken> {
    prop_oneof![3 => any_token(), 1 => near_token()]
}

fn entry() -> impl Strategy<Value = ListEntry> {
    (token(), any::<u16>(), any::<bool>()).prop_map(|(token, last_day, banned)| ListEntry {
        token,
        last_day,
        strength: strength(banned),
    })
}

fn header() -> impl Strategy<Value = ListHeader> {
    (
        any::<u64>(),
        any::<u32>(),
        any::<u32>(),
        0u64..u64::MAX,
        any::<i64>(),
        any::<[u8; 8]>(),
        prop::option::of(any::<[u8; 32]>().prop_filter("zero means none", |k| *k != [0; 32])),
    )
        .prop_map(
            |(
                area_id,
                key_epoch,
                max_age_seconds,
                version,
                issued_at,
                key_check,
                next_signing_key,
            )| {
                ListHeader {
                    area_id,
                    key_epoch,
                    max_age_seconds,
                    version,
                    issued_at,
                    key_check,
                    next_signing_key,
                }
            },
        )
}

/// What `EntrySet::from_entries` promises: one entry per token, the
/// strongest, and among equally strong the latest last day.
fn model(entries: &[ListEntry]) -> BTreeMap<IdentityToken, ListEntry> {
    let mut out: BTreeMap<IdentityToken, ListEntry> = BTreeMap::new();
    for e in entries {
        let keep = out
            .get(&e.token)
            .is_none_or(|old| (e.strength, e.last_day) > (old.strength, old.last_day));
        if keep {
            out.insert(e.token, *e);
        }
    }
    out
}

fn decode_snapshot(bytes: Vec<u8>) -> list_format::Snapshot {
    match list_format::decode(bytes, &signer().public_key()) {
        Ok(ListUpdate::Snapshot(s)) => s,
        other => panic!("expected a snapshot, got {other:?}"),
    }
}

fn decode_delta(bytes: Vec<u8>) -> list_format::Delta {
    match list_format::decode(bytes, &signer().public_key()) {
        Ok(ListUpdate::Delta(d)) => d,
        other => panic!("expected a delta, got {other:?}"),
    }
}

/// A token's fate from a base set to a result set.
#[derive(Clone, Debug)]
enum Fate {
    /// In the base; gone from the result.
    Removed(u16, bool),
    /// In the base and the result, unchanged.
    Kept(u16, bool),
    /// In the base and the result, with another last day or strength (or,
    /// by chance, the same).
    Changed((u16, bool), (u16, bool)),
    /// Only in the result.
    Added(u16, bool),
}

fn fate() -> impl Strategy<Value = Fate> {
    let attrs = || (any::<u16>(), any::<bool>());
    prop_oneof![
        1 => attrs().prop_map(|(d, s)| Fate::Removed(d, s)),
        2 => attrs().prop_map(|(d, s)| Fate::Kept(d, s)),
        1 => (attrs(), attrs()).prop_map(|(a, b)| Fate::Changed(a, b)),
        1 => attrs().prop_map(|(d, s)| Fate::Added(d, s)),
    ]
}

/// A base set and a result set over shared tokens.
fn base_and_result() -> impl Strategy<Value = (EntrySet, EntrySet)> {
    prop::collection::btree_map(token(), fate(), 0..80).prop_map(|fates| {
        let make = |token: IdentityToken, (last_day, banned): (u16, bool)| ListEntry {
            token,
            last_day,
            strength: strength(banned),
        };
        let (mut base, mut result) = (Vec::new(), Vec::new());
        for (token, fate) in fates {
            match fate {
                Fate::Removed(d, s) => base.push(make(token, (d, s))),
                Fate::Kept(d, s) => {
                    base.push(make(token, (d, s)));
                    result.push(make(token, (d, s)));
                }
                Fate::Changed(a, b) => {
                    base.push(make(token, a));
                    result.push(make(token, b));
                }
                Fate::Added(d, s) => result.push(make(token, (d, s))),
            }
        }
        (EntrySet::from_entries(base), EntrySet::from_entries(result))
    })
}

/// A change to a valid file: byte flips, a truncation or an extension.
#[derive(Clone, Debug)]
enum Mutation {
    /// (position as a fraction of the length, non-zero xor mask)
    Flips(Vec<(prop::sample::Index, u8)>),
    Truncate(prop::sample::Index),
    Extend(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4)
            .prop_map(Mutation::Flips),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        1 => prop::collection::vec(any::<u8>(), 1..40).prop_map(Mutation::Extend),
    ]
}

/// Applies `m` to `bytes`; flips at the same position may cancel out, so the
/// caller compares the result with the original.
fn mutate(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let mut out = bytes.to_vec();
    match m {
        Mutation::Flips(flips) => {
            for (at, mask) in flips {
                let at = at.index(out.len());
                out[at] ^= mask;
            }
        }
        Mutation::Truncate(len) => out.truncate(len.index(bytes.len())),
        Mutation::Extend(tail) => out.extend_from_slice(tail),
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// (a) A snapshot reads back its header, digest and exactly the entries
    /// `from_entries` kept, and costs 19 bytes per entry plus 192.
    #[test]
    fn snapshot_round_trip(
        entries in prop::collection::vec(entry(), 0..120),
        header in header(),
    ) {
        let set = EntrySet::from_entries(entries.clone());
        let expected = model(&entries);
        prop_assert_eq!(set.len(), expected.len());
        prop_assert_eq!(set.iter().collect::<Vec<_>>(), expected.values().copied().collect::<Vec<_>>());

        let bytes = signer().snapshot(&header, &set).unwrap();
        prop_assert_eq!(bytes.len(), HEADER_LEN + SIGNATURE_LEN + set.len() * ENTRY_LEN);
        let snapshot = decode_snapshot(bytes.clone());
        prop_assert_eq!(snapshot.header, header);
        prop_assert_eq!(snapshot.digest, set.digest());
        prop_assert_eq!(snapshot.signed_bytes(), &bytes[..]);
        prop_assert_eq!(snapshot.entries.records(), set.records());
        prop_assert_eq!(&snapshot.entries, &set);
        prop_assert_eq!(snapshot.entries.digest(), set.digest());
        prop_assert_eq!(
            snapshot.entries.iter().collect::<Vec<_>>(),
            expected.values().copied().collect::<Vec<_>>()
        );
    }

    /// (b) A delta from a base to a result, applied to the base, gives the
    /// result; it carries exactly the changed entries and the removals.
    #[test]
    fn delta_round_trip(
        (base, result) in base_and_result(),
        header in header(),
        gap in 1u64..1000,
    ) {
        let base_version = header.version.saturating_sub(gap);
        prop_assume!(base_version < header.version);
        let bytes = signer().delta(&header, base_version, &base, &result).unwrap();
        let delta = decode_delta(bytes.clone());
        prop_assert_eq!(delta.header, header);
        prop_assert_eq!(delta.base_version, base_version);
        prop_assert_eq!(delta.digest, result.digest());
        prop_assert_eq!(delta.signed_bytes(), &bytes[..]);

        let base_map: BTreeMap<_, _> = base.iter().map(|e| (e.token, e)).collect();
        let result_map: BTreeMap<_, _> = result.iter().map(|e| (e.token, e)).collect();
        let upserts: Vec<ListEntry> = result
            .iter()
            .filter(|e| base_map.get(&e.token) != Some(e))
            .collect();
        let removals: Vec<IdentityToken> = base
            .iter()
            .map(|e| e.token)
            .filter(|t| !result_map.contains_key(t))
            .collect();
        prop_assert_eq!(&delta.upserts, &upserts);
        prop_assert_eq!(&delta.removals, &removals);
        prop_assert_eq!(
            bytes.len(),
            HEADER_LEN + SIGNATURE_LEN + upserts.len() * ENTRY_LEN + removals.len() * TOKEN_LEN
        );

        let applied = delta.apply_to(&base).unwrap();
        prop_assert_eq!(&applied, &result);
        prop_assert_eq!(applied.digest(), result.digest());
        // The base is untouched, and the delta also applies to a base decoded
        // from a snapshot (records held at an offset in the file's bytes).
        let decoded_base = decode_snapshot(signer().snapshot(&ListHeader { version: base_version, ..header }, &base).unwrap());
        prop_assert_eq!(delta.apply_to(&decoded_base.entries).unwrap(), result.clone());
        // Applied to another base with the same tokens but other last days,
        // the delta gives the result only when it overwrites or removes
        // every base entry; otherwise the signed digest refuses it.
        let shifted = EntrySet::from_entries(base.iter().map(|e| ListEntry {
            last_day: e.last_day.wrapping_add(1),
            ..e
        }));
        let covered = base.iter().all(|e| {
            !result_map.contains_key(&e.token) || upserts.iter().any(|u| u.token == e.token)
        });
        let other = delta.apply_to(&shifted);
        if covered {
            prop_assert_eq!(other, Ok(result));
        } else {
            prop_assert_eq!(other, Err(ListError::DigestMismatch));
        }
    }

    /// (c) `decode` returns an error, never a panic, on arbitrary bytes.
    #[test]
    fn decode_never_panics_on_noise(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        key in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        prop_assert!(list_format::decode(bytes.clone(), &key).is_err());
        prop_assert!(list_format::decode(bytes, &signer().public_key()).is_err());
    }

    /// (c) Noise behind a well-formed header with consistent counts gets as
    /// far as the signature, and no further.
    #[test]
    fn decode_refuses_well_shaped_noise(
        kind in 1u8..=2,
        entries in 0u32..6,
        removals in 0u32..6,
        body in prop::collection::vec(any::<u8>(), 6 * ENTRY_LEN + 6 * TOKEN_LEN + SIGNATURE_LEN + HEADER_LEN),
    ) {
        let removals = if kind == 1 { 0 } else { removals };
        let len = HEADER_LEN + SIGNATURE_LEN + entries as usize * ENTRY_LEN + removals as usize * TOKEN_LEN;
        let mut bytes = body[..len].to_vec();
        bytes[..4].copy_from_slice(list_format::MAGIC);
        bytes[4] = list_format::FORMAT_VERSION;
        bytes[5] = kind;
        bytes[6..8].fill(0);
        bytes[48..52].copy_from_slice(&entries.to_le_bytes());
        bytes[52..56].copy_from_slice(&removals.to_le_bytes());
        prop_assert_eq!(
            list_format::decode(bytes, &signer().public_key()).unwrap_err(),
            ListError::BadSignature
        );
    }

    /// (c) Any change to a valid signed snapshot or delta is refused: flips,
    /// truncations and extensions.
    #[test]
    fn decode_refuses_every_change(
        (base, result) in base_and_result(),
        header in header(),
        delta in any::<bool>(),
        m in mutation(),
    ) {
        let header = ListHeader { version: header.version.max(1), ..header };
        let bytes = if delta {
            signer().delta(&header, header.version - 1, &base, &result).unwrap()
        } else {
            signer().snapshot(&header, &result).unwrap()
        };
        let changed = mutate(&bytes, &m);
        let decoded = list_format::decode(changed.clone(), &signer().public_key());
        if changed == bytes {
            prop_assert!(decoded.is_ok());
        } else {
            prop_assert!(decoded.is_err(), "changed file accepted: {:?}", m);
        }
    }

    /// (d) `get` finds every member with its entry and nothing else, in a
    /// set built in memory, decoded from a file, or taken from packed bytes
    /// at an offset.
    #[test]
    fn get_finds_exactly_the_members(
        entries in prop::collection::vec(entry(), 0..120),
        probes in prop::collection::vec(token(), 0..60),
        offset in 0usize..40,
    ) {
        let expected = model(&entries);
        let set = EntrySet::from_entries(entries);
        let decoded = decode_snapshot(
            signer().snapshot(&ListHeader { area_id: 1, key_epoch: 1, max_age_seconds: 1, version: 1, issued_at: 0, key_check: [0; 8], next_signing_key: None }, &set).unwrap(),
        ).entries;
        let mut packed = vec![0xa5; offset];
        packed.extend_from_slice(set.records());
        packed.extend_from_slice(&[0x5a; 7]);
        let from_packed = EntrySet::from_packed(packed, offset, set.len()).unwrap();

        // Members, their neighbours one step either side in the last byte
        // (the search's off-by-one cases), and arbitrary tokens.
        let mut tokens: Vec<IdentityToken> = probes;
        for t in expected.keys() {
            tokens.push(*t);
            for delta in [1u8, 255] {
                let mut n = *t;
                n.0[TOKEN_LEN - 1] = n.0[TOKEN_LEN - 1].wrapping_add(delta);
                tokens.push(n);
            }
        }
        tokens.push(IdentityToken([0; TOKEN_LEN]));
        tokens.push(IdentityToken([0xff; TOKEN_LEN]));
        for each in [&set, &decoded, &from_packed] {
            prop_assert_eq!(each.len(), expected.len());
            prop_assert_eq!(each.is_empty(), expected.is_empty());
            for t in &tokens {
                prop_assert_eq!(each.get(t), expected.get(t).copied());
            }
        }
    }

    /// `from_packed` accepts exactly the sorted, unique, well-formed record
    /// runs that fit in the buffer, and never panics.
    #[test]
    fn from_packed_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        start in 0usize..220,
        count in 0usize..12,
    ) {
        let fits = start + count * ENTRY_LEN <= bytes.len();
        let well_formed = fits && {
            let records = &bytes[start..start + count * ENTRY_LEN];
            let chunks: Vec<&[u8]> = records.chunks_exact(ENTRY_LEN).collect();
            chunks.windows(2).all(|w| w[0][..TOKEN_LEN] < w[1][..TOKEN_LEN])
                && chunks.iter().all(|c| MatchStrength::from_byte(c[TOKEN_LEN + 2]).is_some())
        };
        match EntrySet::from_packed(bytes.clone(), start, count) {
            Ok(set) => {
                prop_assert!(well_formed);
                prop_assert_eq!(set.records(), &bytes[start..start + count * ENTRY_LEN]);
                prop_assert_eq!(set.iter().count(), count);
            }
            Err(ListError::Truncated) => prop_assert!(!fits),
            Err(e) => {
                prop_assert!(fits && !well_formed, "{e:?}");
            }
        }
        prop_assert!(EntrySet::from_packed(bytes, usize::MAX, count.max(1)).is_err());
    }
}
