//! The device state file, `device.bin`, in the data directory: the
//! enrolment (server, device id, area id, pinned signing key, the
//! credential when the app keeps it here) and the retry state.
//!
//! Same habits as the store (`crate::store`): a magic, a format byte,
//! little-endian fields, written through a synced temporary file that is
//! renamed over the old one, so a kill at any moment leaves the old state
//! or the new one. Mode 0600: the credential is a secret.
//!
//! Layout after the 8-byte prefix (`CHOE`, format, 3 reserved):
//! phase u8, flags u8 (1 persist, 2 setup pending), device id i64, area id
//! u64, key epoch u32, signing key [32], failures u32, next attempt i64
//! (0: none), server URL (u16 length + UTF-8), credential (u16 length +
//! UTF-8, 0: not here), pending area key (u8 present, epoch u32, key [32]).

use std::path::Path;

use zeroize::Zeroizing;

use crate::list_format::PUBLIC_KEY_LEN;
use crate::store::{self, StoreError};

pub const STATE_FILE: &str = "device.bin";
const MAGIC: &[u8; 4] = b"CHOE";
const FORMAT: u8 = 1;
const FLAG_PERSIST: u8 = 1;
const FLAG_SETUP_PENDING: u8 = 2;
const IDENTITY_KEY_LEN: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Enrolled,
    /// The server said `device_revoked`: keys, list and credential are
    /// gone; the rest stays to say so.
    Revoked,
}

/// No `Debug`: it holds the credential.
#[derive(Clone)]
pub struct DeviceState {
    pub phase: Phase,
    /// Keep the credential and area keys in the data directory (or only in
    /// memory, the app keeping them in its platform keystore).
    pub persist: bool,
    /// An enrolment was stored but the store not yet set up for it (wiped,
    /// area key set): finished at the next open.
    pub setup_pending: bool,
    pub device_id: i64,
    pub area_id: u64,
    /// The key epoch handed over at enrolment.
    pub key_epoch: u32,
    /// The list-signing key lists must verify against: the one matching
    /// the fingerprint at enrolment, or the one it announced since.
    pub signing_key: [u8; PUBLIC_KEY_LEN],
    /// Transient failures in a row.
    pub failures: u32,
    /// When to try again after them (Unix seconds).
    pub next_attempt_at: Option<i64>,
    pub server_url: String,
    /// Only with `persist`.
    pub credential: Option<Zeroizing<String>>,
    /// With `persist` and `setup_pending`: the area key to set up.
    pub pending_key: Option<(u32, Zeroizing<[u8; IDENTITY_KEY_LEN]>)>,
}

fn corrupt() -> StoreError {
    StoreError::Corrupt { file: STATE_FILE }
}

fn push_text(out: &mut Vec<u8>, text: &str) -> Result<(), StoreError> {
    let len = u16::try_from(text.len()).map_err(|_| corrupt())?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], StoreError> {
        let end = self.at.checked_add(len).ok_or_else(corrupt)?;
        let part = self.bytes.get(self.at..end).ok_or_else(corrupt)?;
        self.at = end;
        Ok(part)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], StoreError> {
        self.take(N)?.try_into().map_err(|_| corrupt())
    }

    fn u8(&mut self) -> Result<u8, StoreError> {
        Ok(self.array::<1>()?[0])
    }

    fn text(&mut self) -> Result<String, StoreError> {
        let len = u16::from_le_bytes(self.array()?);
        let bytes = self.take(usize::from(len))?;
        String::from_utf8(bytes.to_vec()).map_err(|_| corrupt())
    }
}

impl DeviceState {
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let mut out = Zeroizing::new(Vec::with_capacity(256));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[FORMAT, 0, 0, 0]);
        out.push(match self.phase {
            Phase::Enrolled => 1,
            Phase::Revoked => 2,
        });
        let mut flags = 0;
        if self.persist {
            flags |= FLAG_PERSIST;
        }
        if self.setup_pending {
            flags |= FLAG_SETUP_PENDING;
        }
        out.push(flags);
        out.extend_from_slice(&self.device_id.to_le_bytes());
        out.extend_from_slice(&self.area_id.to_le_bytes());
        out.extend_from_slice(&self.key_epoch.to_le_bytes());
        out.extend_from_slice(&self.signing_key);
        out.extend_from_slice(&self.failures.to_le_bytes());
        out.extend_from_slice(&self.next_attempt_at.unwrap_or(0).to_le_bytes());
        push_text(&mut out, &self.server_url)?;
        // Never on disk without `persist`, whatever the caller left here.
        let credential = self.credential.as_ref().filter(|_| self.persist);
        push_text(&mut out, credential.map_or("", |c| c.as_str()))?;
        match self.pending_key.as_ref().filter(|_| self.persist) {
            Some((epoch, key)) => {
                out.push(1);
                out.extend_from_slice(&epoch.to_le_bytes());
                out.extend_from_slice(key.as_ref());
            }
            None => out.push(0),
        }
        Ok(out)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(4)? != MAGIC || r.u8()? != FORMAT {
            return Err(corrupt());
        }
        r.take(3)?;
        let phase = match r.u8()? {
            1 => Phase::Enrolled,
            2 => Phase::Revoked,
            _ => return Err(corrupt()),
        };
        let flags = r.u8()?;
        let device_id = i64::from_le_bytes(r.array()?);
        let area_id = u64::from_le_bytes(r.array()?);
        let key_epoch = u32::from_le_bytes(r.array()?);
        let signing_key = r.array::<PUBLIC_KEY_LEN>()?;
        let failures = u32::from_le_bytes(r.array()?);
        let next = i64::from_le_bytes(r.array()?);
        let server_url = r.text()?;
        let credential = Zeroizing::new(r.text()?);
        let pending_key = match r.u8()? {
            0 => None,
            1 => {
                let epoch = u32::from_le_bytes(r.array()?);
                Some((epoch, Zeroizing::new(r.array::<IDENTITY_KEY_LEN>()?)))
            }
            _ => return Err(corrupt()),
        };
        if r.at != bytes.len() {
            return Err(corrupt());
        }
        Ok(Self {
            phase,
            persist: flags & FLAG_PERSIST != 0,
            setup_pending: flags & FLAG_SETUP_PENDING != 0,
            device_id,
            area_id,
            key_epoch,
            signing_key,
            failures,
            next_attempt_at: (next != 0).then_some(next),
            server_url,
            credential: (!credential.is_empty()).then_some(credential),
            pending_key,
        })
    }

    pub fn load(dir: &Path) -> Result<Option<Self>, StoreError> {
        let Some(bytes) = store::read_if_exists(&dir.join(STATE_FILE), STATE_FILE)? else {
            return Ok(None);
        };
        let bytes = Zeroizing::new(bytes);
        Self::decode(&bytes).map(Some)
    }

    pub fn save(&self, dir: &Path) -> Result<(), StoreError> {
        let bytes = self.encode()?;
        store::write_atomically(dir, STATE_FILE, &[&bytes])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample(persist: bool) -> DeviceState {
        DeviceState {
            phase: Phase::Enrolled,
            persist,
            setup_pending: true,
            device_id: 42,
            area_id: 7,
            key_epoch: 3,
            signing_key: [9; 32],
            failures: 2,
            next_attempt_at: Some(1_800_000_000),
            server_url: "https://cho.example.nl".to_owned(),
            credential: Some(Zeroizing::new("secret-credential".to_owned())),
            pending_key: Some((3, Zeroizing::new([5; 32]))),
        }
    }

    #[test]
    fn round_trip_and_no_secret_without_persist() {
        let state = sample(true);
        let back = DeviceState::decode(&state.encode().unwrap()).unwrap();
        assert_eq!(back.encode().unwrap(), state.encode().unwrap());
        assert_eq!(
            back.credential.as_deref().map(String::as_str),
            Some("secret-credential")
        );

        let bytes = sample(false).encode().unwrap();
        assert!(!bytes.windows(6).any(|w| w == b"secret"));
        assert!(!bytes.windows(32).any(|w| w == [5; 32]));
        let back = DeviceState::decode(&bytes).unwrap();
        assert!(back.credential.is_none() && back.pending_key.is_none());
    }

    #[test]
    fn a_damaged_file_is_corrupt_not_a_panic() {
        let bytes = sample(true).encode().unwrap();
        for len in 0..bytes.len() {
            assert!(DeviceState::decode(&bytes[..len]).is_err(), "{len}");
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(DeviceState::decode(&longer).is_err());
    }
}
