//! The signed list files: a snapshot of an area's active ban tokens, and a
//! delta from one version to the next. Encoder and decoder live together so
//! they cannot drift apart.
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! offset size
//!      0    4  magic "CHOL"
//!      4    1  format version (2)
//!      5    1  kind: 1 snapshot, 2 delta
//!      6    2  reserved, zero
//!      8    8  area id
//!     16    4  identity key epoch
//!     20    4  maximum list age at the door, seconds
//!     24    8  list version (monotonic per area)
//!     32    8  base version: the version a delta applies to (0 in a snapshot)
//!     40    8  issued at, unix seconds
//!     48    4  entries (snapshot) or added/changed entries (delta)
//!     52    4  removed tokens (0 in a snapshot)
//!     56   32  SHA-256 of the resulting entry set
//!     88    8  key check value: the first 8 bytes of HMAC-SHA256(identity
//!              key of the epoch, "CHO-KCV/1"), so a wrong key is an error
//!              instead of a silent miss on every probe
//!     96   32  the deployment's next list-signing public key (Ed25519), all
//!              zero when none is announced: devices follow it after this
//!              list is in force
//!    128   19n entries sorted by token: token (16), last day banned (2, days
//!              since 2000-01-01), match strength (1)
//!      .   16m removed tokens, sorted (delta only)
//!    end   64  Ed25519 signature over the 128 header bytes followed by the
//!              SHA-256 of everything between header and signature
//! ```
//!
//! A snapshot costs 19 bytes per entry; a delta 19 per change (16 per
//! removal) plus 192 bytes of header and signature. Format 1 (an 88-byte
//! header without key check value and key announcement) is refused.

use ring::digest;
use ring::signature::{self, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

use zeroize::Zeroizing;

use crate::identity::{IdentityToken, KEY_CHECK_LEN, MatchStrength, TOKEN_LEN};

pub const MAGIC: &[u8; 4] = b"CHOL";
pub const FORMAT_VERSION: u8 = 2;
pub const HEADER_LEN: usize = 128;
pub const SIGNATURE_LEN: usize = 64;
pub const ENTRY_LEN: usize = TOKEN_LEN + 3;
pub const DIGEST_LEN: usize = 32;
pub const PUBLIC_KEY_LEN: usize = 32;

/// Why a list file was refused. None of these carries list contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    #[error("file is truncated")]
    Truncated,
    #[error("file is corrupt: {0}")]
    Corrupt(&'static str),
    #[error("unsupported list format version {0}")]
    UnsupportedFormat(u8),
    #[error("signature does not verify against the trusted key")]
    BadSignature,
    #[error("list is for area {found}, this device is in area {expected}")]
    WrongArea { expected: u64, found: u64 },
    #[error("list version {found} is older than version {current} in force")]
    Rollback { current: u64, found: u64 },
    #[error("delta applies to version {base}, the list in force is version {current}")]
    VersionGap { current: u64, base: u64 },
    #[error("resulting entry set does not match the signed digest")]
    DigestMismatch,
    #[error("list has more entries than this format can carry")]
    TooLarge,
    #[error("signing failed")]
    Signing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListKind {
    Snapshot = 1,
    Delta = 2,
}

/// The signed facts about a list version, common to snapshot and delta.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListHeader {
    pub area_id: u64,
    pub key_epoch: u32,
    pub max_age_seconds: u32,
    pub version: u64,
    pub issued_at: i64,
    /// `IdentityKey::check_value` of the epoch's key.
    pub key_check: [u8; KEY_CHECK_LEN],
    /// The list-signing key that follows the one that signed this list.
    pub next_signing_key: Option<[u8; PUBLIC_KEY_LEN]>,
}

/// One ban token on the list: the token, the last day (as a day number, see
/// `dates::day_number`) on which it bans, and how strong a hit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListEntry {
    pub token: IdentityToken,
    pub last_day: u16,
    pub strength: MatchStrength,
}

impl ListEntry {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.token.0);
        out.extend_from_slice(&self.last_day.to_le_bytes());
        out.push(self.strength.to_byte());
    }

    fn read(record: &[u8]) -> Result<Self, ListError> {
        let mut token = [0u8; TOKEN_LEN];
        token.copy_from_slice(&record[..TOKEN_LEN]);
        let last_day = u16::from_le_bytes([record[TOKEN_LEN], record[TOKEN_LEN + 1]]);
        let strength = MatchStrength::from_byte(record[TOKEN_LEN + 2])
            .ok_or(ListError::Corrupt("unknown match strength"))?;
        Ok(Self {
            token: IdentityToken(token),
            last_day,
            strength,
        })
    }
}

/// An area's active ban tokens, sorted by token and unique, held as the
/// packed 19-byte records of the file format. Keeping the packed bytes (not
/// a `Vec` of structs) is what lets a phone hold a million entries in about
/// 19 MB and load a snapshot without copying it.
#[derive(Clone)]
pub struct EntrySet {
    bytes: Vec<u8>,
    start: usize,
    count: usize,
}

impl std::fmt::Debug for EntrySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EntrySet({} entries)", self.count)
    }
}

/// Two sets are equal when their records are, wherever they are held.
impl PartialEq for EntrySet {
    fn eq(&self, other: &Self) -> bool {
        self.records() == other.records()
    }
}

impl Eq for EntrySet {}

impl Default for EntrySet {
    fn default() -> Self {
        Self::from_sorted_records(Vec::new(), 0, 0)
    }
}

impl EntrySet {
    /// Builds a set from entries in any order. When several entries share a
    /// token (two bans of one person), the strongest wins, and among equally
    /// strong ones the latest last day.
    pub fn from_entries(entries: impl IntoIterator<Item = ListEntry>) -> Self {
        let mut entries: Vec<ListEntry> = entries.into_iter().collect();
        entries.sort_by(|a, b| {
            a.token
                .cmp(&b.token)
                .then(b.strength.cmp(&a.strength))
                .then(b.last_day.cmp(&a.last_day))
        });
        entries.dedup_by_key(|e| e.token);
        let mut bytes = Vec::with_capacity(entries.len() * ENTRY_LEN);
        entries.iter().for_each(|e| e.write(&mut bytes));
        let count = entries.len();
        Self::from_sorted_records(bytes, 0, count)
    }

    fn from_sorted_records(bytes: Vec<u8>, start: usize, count: usize) -> Self {
        Self {
            bytes,
            start,
            count,
        }
    }

    /// Takes `count` packed records starting at `start` in `bytes`, checking
    /// that they are sorted, unique and well-formed.
    pub fn from_packed(bytes: Vec<u8>, start: usize, count: usize) -> Result<Self, ListError> {
        let end = count
            .checked_mul(ENTRY_LEN)
            .and_then(|n| n.checked_add(start))
            .filter(|end| *end <= bytes.len())
            .ok_or(ListError::Truncated)?;
        check_entries(&bytes[start..end])?;
        Ok(Self::from_sorted_records(bytes, start, count))
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The packed records, as they appear in a file.
    pub fn records(&self) -> &[u8] {
        &self.bytes[self.start..self.start + self.count * ENTRY_LEN]
    }

    fn record(&self, index: usize) -> &[u8] {
        let at = self.start + index * ENTRY_LEN;
        &self.bytes[at..at + ENTRY_LEN]
    }

    fn token_at(&self, index: usize) -> &[u8] {
        &self.record(index)[..TOKEN_LEN]
    }

    /// Binary search by token.
    pub fn get(&self, token: &IdentityToken) -> Option<ListEntry> {
        let (mut low, mut high) = (0, self.count);
        while low < high {
            let mid = low + (high - low) / 2;
            match self.token_at(mid).cmp(&token.0[..]) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return ListEntry::read(self.record(mid)).ok(),
            }
        }
        None
    }

    pub fn iter(&self) -> impl Iterator<Item = ListEntry> + '_ {
        self.records()
            .chunks_exact(ENTRY_LEN)
            .filter_map(|r| ListEntry::read(r).ok())
    }

    /// SHA-256 of the packed records: what a delta promises the result is.
    pub fn digest(&self) -> [u8; DIGEST_LEN] {
        sha256(self.records())
    }

    /// What turns `self` into `newer`: entries added or changed, and tokens
    /// removed, both sorted.
    pub fn diff(&self, newer: &EntrySet) -> (Vec<ListEntry>, Vec<IdentityToken>) {
        let (mut upserts, mut removals) = (Vec::new(), Vec::new());
        let (mut i, mut j) = (0, 0);
        while i < self.count || j < newer.count {
            let order = match (i < self.count, j < newer.count) {
                (true, true) => self.token_at(i).cmp(newer.token_at(j)),
                (true, false) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            match order {
                std::cmp::Ordering::Less => {
                    removals.extend(ListEntry::read(self.record(i)).ok().map(|e| e.token));
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    upserts.extend(ListEntry::read(newer.record(j)).ok());
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    if self.record(i) != newer.record(j) {
                        upserts.extend(ListEntry::read(newer.record(j)).ok());
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        (upserts, removals)
    }

    /// Applies a delta's changes in one merge pass. A removal of a token
    /// that is not there, or an upsert and a removal of the same token, means
    /// the delta was not made for this set.
    pub fn apply(
        &self,
        upserts: &[ListEntry],
        removals: &[IdentityToken],
    ) -> Result<EntrySet, ListError> {
        let mut out = Vec::with_capacity((self.count + upserts.len()) * ENTRY_LEN);
        let (mut i, mut u, mut r) = (0, 0, 0);
        let mut count = 0;
        while i < self.count || u < upserts.len() {
            let current = (i < self.count).then(|| self.token_at(i));
            let upsert = upserts.get(u);
            let take_upsert = match (current, upsert) {
                (Some(cur), Some(up)) => up.token.0[..] <= *cur,
                (None, Some(_)) => true,
                _ => false,
            };
            if take_upsert {
                let Some(up) = upsert else { break };
                if removals.get(r).is_some_and(|t| *t == up.token) {
                    return Err(ListError::Corrupt("delta adds and removes the same token"));
                }
                if current.is_some_and(|cur| *cur == up.token.0[..]) {
                    i += 1;
                }
                up.write(&mut out);
                u += 1;
                count += 1;
                continue;
            }
            let record = self.record(i);
            match removals.get(r) {
                Some(t) if t.0[..] == record[..TOKEN_LEN] => r += 1,
                Some(t) if t.0[..] < record[..TOKEN_LEN] => return Err(ListError::DigestMismatch),
                _ => {
                    out.extend_from_slice(record);
                    count += 1;
                }
            }
            i += 1;
        }
        if r != removals.len() {
            return Err(ListError::DigestMismatch);
        }
        Ok(Self::from_sorted_records(out, 0, count))
    }
}

/// A decoded, signature-checked list file.
#[derive(Debug, Clone)]
pub enum ListUpdate {
    Snapshot(Snapshot),
    Delta(Delta),
}

impl ListUpdate {
    pub fn header(&self) -> &ListHeader {
        match self {
            Self::Snapshot(s) => &s.header,
            Self::Delta(d) => &d.header,
        }
    }

    pub fn digest(&self) -> &[u8; DIGEST_LEN] {
        match self {
            Self::Snapshot(s) => &s.digest,
            Self::Delta(d) => &d.digest,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub header: ListHeader,
    pub digest: [u8; DIGEST_LEN],
    pub entries: EntrySet,
}

#[derive(Debug, Clone)]
pub struct Delta {
    pub header: ListHeader,
    pub base_version: u64,
    pub digest: [u8; DIGEST_LEN],
    pub upserts: Vec<ListEntry>,
    pub removals: Vec<IdentityToken>,
    signed_bytes: Vec<u8>,
}

impl Snapshot {
    /// The file exactly as it arrived and was verified: a decoded snapshot's
    /// entry set is the file itself, used in place.
    pub fn signed_bytes(&self) -> &[u8] {
        &self.entries.bytes
    }
}

impl Delta {
    /// The file exactly as it arrived and was verified.
    pub fn signed_bytes(&self) -> &[u8] {
        &self.signed_bytes
    }

    /// Applies this delta to `base` and checks the signed digest of the
    /// result. `base` is untouched either way.
    pub fn apply_to(&self, base: &EntrySet) -> Result<EntrySet, ListError> {
        let result = base.apply(&self.upserts, &self.removals)?;
        if result.digest() != self.digest {
            return Err(ListError::DigestMismatch);
        }
        Ok(result)
    }
}

/// The deployment's list-signing key (server side).
pub struct ListSigner {
    key_pair: Ed25519KeyPair,
}

impl ListSigner {
    /// From a PKCS#8 document as `generate_pkcs8` makes it.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, ListError> {
        let key_pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| ListError::Signing)?;
        Ok(Self { key_pair })
    }

    /// A new key as a PKCS#8 document, in a buffer wiped on drop. (ring's
    /// own key pair cannot be wiped; the bytes this crate holds are.)
    pub fn generate_pkcs8(
        rng: &dyn ring::rand::SecureRandom,
    ) -> Result<Zeroizing<Vec<u8>>, ListError> {
        Ok(Zeroizing::new(
            Ed25519KeyPair::generate_pkcs8(rng)
                .map_err(|_| ListError::Signing)?
                .as_ref()
                .to_vec(),
        ))
    }

    /// The 32-byte public key devices pin.
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        let mut out = [0u8; PUBLIC_KEY_LEN];
        out.copy_from_slice(self.key_pair.public_key().as_ref());
        out
    }

    /// A signed snapshot of `entries`.
    pub fn snapshot(&self, header: &ListHeader, entries: &EntrySet) -> Result<Vec<u8>, ListError> {
        let count = u32::try_from(entries.len()).map_err(|_| ListError::TooLarge)?;
        let mut out = Vec::with_capacity(HEADER_LEN + entries.records().len() + SIGNATURE_LEN);
        write_header(
            &mut out,
            ListKind::Snapshot,
            header,
            0,
            count,
            0,
            &entries.digest(),
        );
        out.extend_from_slice(entries.records());
        Ok(self.sign(out))
    }

    /// A signed delta that turns `base` (at `base_version`) into `result`.
    pub fn delta(
        &self,
        header: &ListHeader,
        base_version: u64,
        base: &EntrySet,
        result: &EntrySet,
    ) -> Result<Vec<u8>, ListError> {
        let (upserts, removals) = base.diff(result);
        let upsert_count = u32::try_from(upserts.len()).map_err(|_| ListError::TooLarge)?;
        let removal_count = u32::try_from(removals.len()).map_err(|_| ListError::TooLarge)?;
        let mut out = Vec::with_capacity(
            HEADER_LEN + upserts.len() * ENTRY_LEN + removals.len() * TOKEN_LEN + SIGNATURE_LEN,
        );
        write_header(
            &mut out,
            ListKind::Delta,
            header,
            base_version,
            upsert_count,
            removal_count,
            &result.digest(),
        );
        upserts.iter().for_each(|e| e.write(&mut out));
        removals.iter().for_each(|t| out.extend_from_slice(&t.0));
        Ok(self.sign(out))
    }

    fn sign(&self, mut file: Vec<u8>) -> Vec<u8> {
        let body_digest = sha256(&file[HEADER_LEN..]);
        let signature = self
            .key_pair
            .sign(&signed_message(&file[..HEADER_LEN], &body_digest));
        file.extend_from_slice(signature.as_ref());
        file
    }
}

fn write_header(
    out: &mut Vec<u8>,
    kind: ListKind,
    h: &ListHeader,
    base_version: u64,
    entries: u32,
    removals: u32,
    digest: &[u8; DIGEST_LEN],
) {
    out.extend_from_slice(MAGIC);
    out.push(FORMAT_VERSION);
    out.push(kind as u8);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&h.area_id.to_le_bytes());
    out.extend_from_slice(&h.key_epoch.to_le_bytes());
    out.extend_from_slice(&h.max_age_seconds.to_le_bytes());
    out.extend_from_slice(&h.version.to_le_bytes());
    out.extend_from_slice(&base_version.to_le_bytes());
    out.extend_from_slice(&h.issued_at.to_le_bytes());
    out.extend_from_slice(&entries.to_le_bytes());
    out.extend_from_slice(&removals.to_le_bytes());
    out.extend_from_slice(digest);
    out.extend_from_slice(&h.key_check);
    out.extend_from_slice(&h.next_signing_key.unwrap_or([0; PUBLIC_KEY_LEN]));
}

/// Fixed-offset little-endian reads from a buffer whose length was checked.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn array<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.0[at..at + N]);
        out
    }
    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.array(at))
    }
    fn u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.array(at))
    }
    fn i64(&self, at: usize) -> i64 {
        i64::from_le_bytes(self.array(at))
    }
}

/// Decodes a list file and verifies its signature with the pinned public
/// key, before any of its contents is believed. Takes the bytes by value so a
/// snapshot's entries are used in place, without a copy.
pub fn decode(bytes: Vec<u8>, public_key: &[u8]) -> Result<ListUpdate, ListError> {
    if bytes.len() < HEADER_LEN + SIGNATURE_LEN {
        return Err(
            if bytes.len() >= 5 && &bytes[..4] == MAGIC && bytes[4] != FORMAT_VERSION {
                ListError::UnsupportedFormat(bytes[4])
            } else {
                ListError::Truncated
            },
        );
    }
    let r = Reader(&bytes);
    if r.array::<4>(0) != *MAGIC {
        return Err(ListError::Corrupt("not a CHO list file"));
    }
    if bytes[4] != FORMAT_VERSION {
        return Err(ListError::UnsupportedFormat(bytes[4]));
    }
    let kind = match bytes[5] {
        1 => ListKind::Snapshot,
        2 => ListKind::Delta,
        _ => return Err(ListError::Corrupt("unknown list kind")),
    };
    if bytes[6..8] != [0, 0] {
        return Err(ListError::Corrupt("reserved bytes are not zero"));
    }
    let entries = r.u32(48) as usize;
    let removals = r.u32(52) as usize;
    let expected_len = entries
        .checked_mul(ENTRY_LEN)
        .and_then(|e| {
            removals
                .checked_mul(TOKEN_LEN)
                .and_then(|r| e.checked_add(r))
        })
        .and_then(|body| body.checked_add(HEADER_LEN + SIGNATURE_LEN))
        .ok_or(ListError::Corrupt("impossible entry counts"))?;
    if bytes.len() < expected_len {
        return Err(ListError::Truncated);
    }
    if bytes.len() > expected_len {
        return Err(ListError::Corrupt("trailing bytes after the signature"));
    }
    let signed_len = expected_len - SIGNATURE_LEN;
    let body_digest = sha256(&bytes[HEADER_LEN..signed_len]);
    UnparsedPublicKey::new(&signature::ED25519, public_key)
        .verify(
            &signed_message(&bytes[..HEADER_LEN], &body_digest),
            &bytes[signed_len..],
        )
        .map_err(|_| ListError::BadSignature)?;

    let header = ListHeader {
        area_id: r.u64(8),
        key_epoch: r.u32(16),
        max_age_seconds: r.u32(20),
        version: r.u64(24),
        issued_at: r.i64(40),
        key_check: r.array(88),
        next_signing_key: Some(r.array::<PUBLIC_KEY_LEN>(96)).filter(|k| *k != [0; PUBLIC_KEY_LEN]),
    };
    let base_version = r.u64(32);
    let digest: [u8; DIGEST_LEN] = r.array(56);
    let entries_end = HEADER_LEN + entries * ENTRY_LEN;
    check_entries(&bytes[HEADER_LEN..entries_end])?;
    match kind {
        ListKind::Snapshot => {
            if removals != 0 || base_version != 0 {
                return Err(ListError::Corrupt("snapshot with delta fields"));
            }
            // A snapshot's body is exactly its entry set, so the digest the
            // signature covered is the set's digest.
            if body_digest != digest {
                return Err(ListError::DigestMismatch);
            }
            let set = EntrySet::from_sorted_records(bytes, HEADER_LEN, entries);
            Ok(ListUpdate::Snapshot(Snapshot {
                header,
                digest,
                entries: set,
            }))
        }
        ListKind::Delta => {
            if base_version >= header.version {
                return Err(ListError::Corrupt(
                    "delta does not move the version forward",
                ));
            }
            let upserts = bytes[HEADER_LEN..entries_end]
                .chunks_exact(ENTRY_LEN)
                .map(ListEntry::read)
                .collect::<Result<Vec<_>, _>>()?;
            let removal_bytes = &bytes[entries_end..signed_len];
            let removed: Vec<IdentityToken> = removal_bytes
                .chunks_exact(TOKEN_LEN)
                .map(|c| {
                    let mut t = [0u8; TOKEN_LEN];
                    t.copy_from_slice(c);
                    IdentityToken(t)
                })
                .collect();
            if !removed.windows(2).all(|w| w[0] < w[1]) {
                return Err(ListError::Corrupt("removed tokens are not sorted"));
            }
            Ok(ListUpdate::Delta(Delta {
                header,
                base_version,
                digest,
                upserts,
                removals: removed,
                signed_bytes: bytes,
            }))
        }
    }
}

/// What the signature covers: the header and the SHA-256 of the body. The
/// body is hashed once (the snapshot's body digest doubles as its set digest)
/// instead of being fed to Ed25519's SHA-512 as well: loading a million
/// entries then costs one pass over them instead of two.
fn signed_message(header: &[u8], body_digest: &[u8; DIGEST_LEN]) -> Vec<u8> {
    let mut message = Vec::with_capacity(HEADER_LEN + DIGEST_LEN);
    message.extend_from_slice(header);
    message.extend_from_slice(body_digest);
    message
}

fn sha256(bytes: &[u8]) -> [u8; DIGEST_LEN] {
    let mut out = [0u8; DIGEST_LEN];
    out.copy_from_slice(digest::digest(&digest::SHA256, bytes).as_ref());
    out
}

/// Entries must be strictly sorted by token (so binary search works and no
/// token appears twice) and carry a known match strength.
fn check_entries(records: &[u8]) -> Result<(), ListError> {
    let mut previous: Option<&[u8]> = None;
    for record in records.chunks_exact(ENTRY_LEN) {
        let token = &record[..TOKEN_LEN];
        if previous.is_some_and(|p| p >= token) {
            return Err(ListError::Corrupt("entries are not sorted by token"));
        }
        if MatchStrength::from_byte(record[TOKEN_LEN + 2]).is_none() {
            return Err(ListError::Corrupt("unknown match strength"));
        }
        previous = Some(token);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn signer() -> ListSigner {
        let rng = ring::rand::SystemRandom::new();
        ListSigner::from_pkcs8(&ListSigner::generate_pkcs8(&rng).unwrap()).unwrap()
    }

    fn entry(n: u8, last_day: u16, strength: MatchStrength) -> ListEntry {
        ListEntry {
            token: IdentityToken([n; 16]),
            last_day,
            strength,
        }
    }

    fn header(version: u64) -> ListHeader {
        ListHeader {
            area_id: 42,
            key_epoch: 1,
            max_age_seconds: 86_400,
            version,
            issued_at: 1_800_000_000 + version as i64,
            key_check: [7; KEY_CHECK_LEN],
            next_signing_key: None,
        }
    }

    #[test]
    fn snapshot_round_trip_and_size() {
        let signer = signer();
        let set = EntrySet::from_entries(
            (0..100)
                .rev()
                .map(|n| entry(n, 9000 + u16::from(n), MatchStrength::Banned)),
        );
        let bytes = signer.snapshot(&header(3), &set).unwrap();
        assert_eq!(bytes.len(), HEADER_LEN + SIGNATURE_LEN + 100 * ENTRY_LEN);
        let ListUpdate::Snapshot(s) = decode(bytes, &signer.public_key()).unwrap() else {
            panic!("expected a snapshot")
        };
        assert_eq!(s.header, header(3));
        assert_eq!(s.entries, set);
        assert_eq!(
            s.entries.get(&IdentityToken([5; 16])).unwrap().last_day,
            9005
        );
        assert!(s.entries.get(&IdentityToken([200; 16])).is_none());
    }

    #[test]
    fn duplicates_keep_the_strongest_then_latest() {
        let set = EntrySet::from_entries([
            entry(1, 10, MatchStrength::PossibleMatch),
            entry(1, 5, MatchStrength::Banned),
            entry(1, 7, MatchStrength::Banned),
        ]);
        assert_eq!(set.len(), 1);
        assert_eq!(
            set.get(&IdentityToken([1; 16])),
            Some(entry(1, 7, MatchStrength::Banned))
        );
    }

    #[test]
    fn delta_round_trip() {
        let signer = signer();
        let base = EntrySet::from_entries((0..50).map(|n| entry(n, 100, MatchStrength::Banned)));
        let mut next: Vec<ListEntry> = base.iter().filter(|e| e.token.0[0] % 3 != 0).collect();
        next.push(entry(77, 300, MatchStrength::PossibleMatch));
        next.push(entry(1, 200, MatchStrength::Banned));
        let result = EntrySet::from_entries(next);
        let bytes = signer.delta(&header(8), 7, &base, &result).unwrap();
        let ListUpdate::Delta(d) = decode(bytes.clone(), &signer.public_key()).unwrap() else {
            panic!("expected a delta")
        };
        assert_eq!(d.base_version, 7);
        assert_eq!(d.removals.len(), 17);
        assert_eq!(d.upserts.len(), 2);
        assert_eq!(
            bytes.len(),
            HEADER_LEN + SIGNATURE_LEN + 2 * ENTRY_LEN + 17 * TOKEN_LEN
        );
        assert_eq!(d.apply_to(&base).unwrap(), result);
        // Applied to another base, the digest does not match.
        let other = EntrySet::from_entries((0..50).map(|n| entry(n, 101, MatchStrength::Banned)));
        assert_eq!(d.apply_to(&other), Err(ListError::DigestMismatch));
        let missing = EntrySet::from_entries((1..50).map(|n| entry(n, 100, MatchStrength::Banned)));
        assert_eq!(d.apply_to(&missing), Err(ListError::DigestMismatch));
    }

    #[test]
    fn tampering_is_refused() {
        let signer = signer();
        let set = EntrySet::from_entries((0..10).map(|n| entry(n, 100, MatchStrength::Banned)));
        let bytes = signer.snapshot(&header(1), &set).unwrap();
        let key = signer.public_key();
        for at in [0, 4, 5, 6, 9, 30, 60, HEADER_LEN + 3, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[at] ^= 0x01;
            assert!(decode(bad, &key).is_err(), "flip at {at}");
        }
        for len in [0, 10, HEADER_LEN, bytes.len() - 1] {
            assert_eq!(
                decode(bytes[..len].to_vec(), &key).unwrap_err(),
                ListError::Truncated,
                "len {len}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(decode(longer, &key), Err(ListError::Corrupt(_))));
        let other = super::tests::signer();
        assert_eq!(
            decode(bytes.clone(), &other.public_key()).unwrap_err(),
            ListError::BadSignature
        );
        assert_eq!(
            decode(bytes.clone(), &[0u8; 3]).unwrap_err(),
            ListError::BadSignature
        );
        let mut flip_entry = bytes;
        flip_entry[HEADER_LEN] ^= 0x80;
        assert_eq!(
            decode(flip_entry, &key).unwrap_err(),
            ListError::BadSignature
        );
    }

    #[test]
    fn signed_but_unsorted_entries_are_corrupt() {
        // A signer bug must not crash or confuse the phone.
        let signer = signer();
        let mut body = Vec::new();
        write_header(&mut body, ListKind::Snapshot, &header(1), 0, 2, 0, &[0; 32]);
        entry(2, 1, MatchStrength::Banned).write(&mut body);
        entry(1, 1, MatchStrength::Banned).write(&mut body);
        let bytes = signer.sign(body);
        assert!(matches!(
            decode(bytes, &signer.public_key()),
            Err(ListError::Corrupt(_))
        ));
    }

    #[test]
    fn key_check_and_announcement_are_signed() {
        let signer = signer();
        let next = [9u8; PUBLIC_KEY_LEN];
        let h = ListHeader {
            next_signing_key: Some(next),
            ..header(4)
        };
        let bytes = signer.snapshot(&h, &EntrySet::default()).unwrap();
        let decoded = decode(bytes.clone(), &signer.public_key()).unwrap();
        assert_eq!(*decoded.header(), h);
        for at in [88, 95, 96, 127] {
            let mut bad = bytes.clone();
            bad[at] ^= 1;
            assert_eq!(
                decode(bad, &signer.public_key()).unwrap_err(),
                ListError::BadSignature
            );
        }
        // A format-1 file is refused by its version byte.
        let mut old = bytes;
        old[4] = 1;
        assert_eq!(
            decode(old, &signer.public_key()).unwrap_err(),
            ListError::UnsupportedFormat(1)
        );
    }

    #[test]
    fn empty_sets_work() {
        let signer = signer();
        let empty = EntrySet::default();
        let bytes = signer.snapshot(&header(1), &empty).unwrap();
        let ListUpdate::Snapshot(s) = decode(bytes, &signer.public_key()).unwrap() else {
            panic!("expected a snapshot")
        };
        assert!(s.entries.is_empty());
        let d = signer.delta(&header(2), 1, &empty, &empty).unwrap();
        assert_eq!(d.len(), HEADER_LEN + SIGNATURE_LEN);
    }
}
