//! Whatever arrives as a list file, or sits in the data directory, the door
//! answers with an error or a consistent list, never a panic.
//!
//! Every input is first decoded as it is, against a fixed public key. The
//! first byte then picks a deeper path, since random bytes almost never carry
//! a valid Ed25519 signature:
//!
//! - flips in a valid signed snapshot or delta, not re-signed: must be refused;
//! - a valid file, edited and then *re-signed* with the fixed key, so the
//!   fuzzer reaches everything behind the signature check (counts, order,
//!   strengths, digests, delta fields);
//! - a body with a well-formed header whose counts fit its length, signed;
//! - `EntrySet::from_packed` on the raw bytes (the stored entry set);
//! - `EntrySet::apply` of arbitrary (even unsorted) upserts and removals to a
//!   fixed base set.

#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use cho_core::identity::{IdentityToken, MatchStrength, TOKEN_LEN};
use cho_core::list_format::{
    self, ENTRY_LEN, EntrySet, HEADER_LEN, ListEntry, ListHeader, ListSigner, ListUpdate,
    SIGNATURE_LEN,
};
use libfuzzer_sys::fuzz_target;
use ring::signature::Ed25519KeyPair;

/// An Ed25519 PKCS#8 v2 document (seed 01..20, as `generate_pkcs8` lays it
/// out): a fixed key, so crashes reproduce.
const PKCS8: [u8; 85] = [
    0x30, 0x53, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
    0xa1, 0x23, 0x03, 0x21, 0x00, 0x79, 0xb5, 0x56, 0x2e, 0x8f, 0xe6, 0x54, 0xf9, 0x40, 0x78, 0xb1,
    0x12, 0xe8, 0xa9, 0x8b, 0xa7, 0x90, 0x1f, 0x85, 0x3a, 0xe6, 0x95, 0xbe, 0xd7, 0xe0, 0xe3, 0x91,
    0x0b, 0xad, 0x04, 0x96, 0x64,
];

struct Fixture {
    key_pair: Ed25519KeyPair,
    public_key: [u8; 32],
    base: EntrySet,
    snapshot: Vec<u8>,
    delta: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let signer = ListSigner::from_pkcs8(&PKCS8).unwrap();
        let key_pair = Ed25519KeyPair::from_pkcs8(&PKCS8).unwrap();
        let entry = |n: u8, last_day: u16| ListEntry {
            token: IdentityToken([n.wrapping_mul(37); TOKEN_LEN]),
            last_day,
            strength: if n.is_multiple_of(3) {
                MatchStrength::PossibleMatch
            } else {
                MatchStrength::Banned
            },
        };
        let base = EntrySet::from_entries((0..24).map(|n| entry(n, 9_000 + u16::from(n))));
        let result = EntrySet::from_entries(
            (0..24)
                .filter(|n| n % 5 != 0)
                .map(|n| entry(n, 9_000 + u16::from(n) + u16::from(n % 4 == 0)))
                .chain((24..30).map(|n| entry(n, 9_500))),
        );
        let header = |version| ListHeader {
            area_id: 7,
            key_epoch: 1,
            max_age_seconds: 86_400,
            version,
            issued_at: 1_800_000_000,
            key_check: [1; 8],
            next_signing_key: None,
        };
        let snapshot = signer.snapshot(&header(1), &base).unwrap();
        let delta = signer.delta(&header(2), 1, &base, &result).unwrap();
        Fixture {
            public_key: signer.public_key(),
            key_pair,
            base,
            snapshot,
            delta,
        }
    })
}

/// Appends a signature by the fixed key over `body`.
fn sign(body: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    out.extend_from_slice(fixture().key_pair.sign(body).as_ref());
    out
}

/// Checks what a successful decode promises.
fn check_update(update: &ListUpdate) {
    let f = fixture();
    match update {
        ListUpdate::Snapshot(s) => {
            assert_eq!(s.entries.digest(), s.digest);
            assert_eq!(s.entries.iter().count(), s.entries.len());
            assert_eq!(s.entries.records().len(), s.entries.len() * ENTRY_LEN);
            for e in s.entries.iter() {
                assert_eq!(s.entries.get(&e.token), Some(e));
            }
            let (upserts, removals) = f.base.diff(&s.entries);
            let again = f.base.apply(&upserts, &removals).unwrap();
            assert_eq!(again, s.entries);
        }
        ListUpdate::Delta(d) => {
            assert!(d.base_version < d.header.version);
            assert!(d.upserts.windows(2).all(|w| w[0].token < w[1].token));
            assert!(d.removals.windows(2).all(|w| w[0] < w[1]));
            if let Ok(result) = d.apply_to(&f.base) {
                assert_eq!(result.digest(), d.digest);
                for u in &d.upserts {
                    assert_eq!(result.get(&u.token), Some(*u));
                }
                for r in &d.removals {
                    assert_eq!(result.get(r), None);
                }
            }
        }
    }
}

fn decode(bytes: Vec<u8>) -> Result<ListUpdate, list_format::ListError> {
    let decoded = list_format::decode(bytes, &fixture().public_key);
    if let Ok(update) = &decoded {
        check_update(update);
    }
    decoded
}

/// Edits `bytes` by the (position, xor, insert/delete) triples in `edits`.
fn edit(mut bytes: Vec<u8>, edits: &[u8]) -> Vec<u8> {
    for e in edits.chunks_exact(4) {
        let at = usize::from(u16::from_le_bytes([e[0], e[1]]));
        match e[3] % 8 {
            0 if at <= bytes.len() => bytes.insert(at, e[2]),
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            2 => bytes.truncate(at),
            _ if !bytes.is_empty() => {
                let at = at % bytes.len();
                bytes[at] ^= e[2];
            }
            _ => {}
        }
    }
    bytes
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    // Anything at all, as it arrives.
    let _ = decode(data.to_vec());
    let _ = list_format::decode(data.to_vec(), data.get(..32).unwrap_or(data));

    let Some((&tag, rest)) = data.split_first() else {
        return;
    };
    let valid = if tag & 0x80 == 0 {
        &f.snapshot
    } else {
        &f.delta
    };
    match tag % 6 {
        // Flips without a new signature: refused unless nothing changed.
        0 => {
            let changed = edit(valid.clone(), rest);
            let same = changed == *valid;
            let decoded = decode(changed);
            assert_eq!(decoded.is_ok(), same, "edited file accepted");
        }
        // Edited, then re-signed with the fixed key.
        1 => {
            let edited = edit(valid[..valid.len() - SIGNATURE_LEN].to_vec(), rest);
            let _ = decode(sign(&edited));
        }
        // A body behind a well-formed header whose counts fit its length.
        2 | 3 => {
            let mut body = valid[..HEADER_LEN].to_vec();
            body[5] = if tag % 6 == 2 { 1 } else { 2 };
            let (header_edits, records) = rest.split_at(rest.len().min(8));
            body = edit(body, header_edits);
            body.resize(HEADER_LEN, 0);
            let removals = if body[5] == 2 {
                (records.len() / 2) / TOKEN_LEN
            } else {
                0
            };
            let entries = (records.len() - removals * TOKEN_LEN) / ENTRY_LEN;
            body[48..52].copy_from_slice(&(entries as u32).to_le_bytes());
            body[52..56].copy_from_slice(&(removals as u32).to_le_bytes());
            body.extend_from_slice(&records[..entries * ENTRY_LEN + removals * TOKEN_LEN]);
            let _ = decode(sign(&body));
        }
        // The stored entry set: packed records at an offset.
        4 => {
            let start = usize::from(rest.first().copied().unwrap_or(0) % 32);
            let count = usize::from(rest.get(1).copied().unwrap_or(0));
            if let Ok(set) = EntrySet::from_packed(rest.to_vec(), start, count) {
                assert_eq!(set.len(), count);
                assert_eq!(set.iter().count(), count);
                for e in set.iter() {
                    assert_eq!(set.get(&e.token), Some(e));
                }
                let (upserts, removals) = f.base.diff(&set);
                assert_eq!(f.base.apply(&upserts, &removals).unwrap(), set);
                let (upserts, removals) = set.diff(&f.base);
                assert_eq!(set.apply(&upserts, &removals).unwrap(), f.base);
            }
        }
        // Arbitrary, even unsorted, upserts and removals on the base set.
        _ => {
            let split = usize::from(rest.first().copied().unwrap_or(0)).min(rest.len());
            let (ups, rms) = rest.split_at(split);
            let upserts: Vec<ListEntry> = ups
                .chunks_exact(ENTRY_LEN)
                .map(|r| ListEntry {
                    token: IdentityToken(r[..TOKEN_LEN].try_into().unwrap()),
                    last_day: u16::from_le_bytes([r[TOKEN_LEN], r[TOKEN_LEN + 1]]),
                    strength: if r[TOKEN_LEN + 2] & 1 == 0 {
                        MatchStrength::Banned
                    } else {
                        MatchStrength::PossibleMatch
                    },
                })
                .collect();
            let removals: Vec<IdentityToken> = rms
                .chunks_exact(TOKEN_LEN)
                .map(|t| IdentityToken(t.try_into().unwrap()))
                .collect();
            if let Ok(result) = f.base.apply(&upserts, &removals) {
                let _ = result.digest();
                let _ = result.iter().count();
            }
        }
    }
});
