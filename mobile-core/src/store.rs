//! The door's local store: the list in force and the area's identity keys,
//! in a directory the app gives.
//!
//! Only tokens, last days, versions and keys are written: never an MRZ, a
//! name or a check. Every write goes to a temporary file that is synced and
//! then renamed over the old one, and the directory is synced, so a crash or
//! kill at any moment leaves either the old file or the new one in force.
//!
//! The list file keeps the last signed update as it arrived, so the list is
//! verified again on every load: for a snapshot that is the whole list; for a
//! delta the materialised entry set is stored beside it and must match the
//! delta's signed digest.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::identity::IdentityKey;
use crate::list_format::{
    self, DIGEST_LEN, Delta, ENTRY_LEN, EntrySet, ListError, ListHeader, ListUpdate, Snapshot,
};

const LIST_FILE: &str = "list.bin";
const KEYS_FILE: &str = "area-keys.bin";
const LIST_MAGIC: &[u8; 4] = b"CHOD";
const KEYS_MAGIC: &[u8; 4] = b"CHOK";
const STORE_FORMAT: u8 = 1;
const LIST_PREFIX_LEN: usize = 16;
/// Epochs kept at once: the list's and the ones that arrived ahead of it.
const MAX_EPOCHS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot {action} {file}: {source}")]
    Io {
        action: &'static str,
        file: &'static str,
        source: io::Error,
    },
    #[error("stored {file} is corrupt")]
    Corrupt { file: &'static str },
    #[error("stored list no longer verifies: {0}")]
    List(#[from] ListError),
}

/// The list in force as loaded: its signed header and digest, and the
/// entry set.
pub struct StoredList {
    pub header: ListHeader,
    pub digest: [u8; DIGEST_LEN],
    pub entries: EntrySet,
}

/// The area's identity keys by epoch.
#[derive(Clone, Debug)]
pub struct AreaKeys {
    pub area_id: u64,
    pub keys: Vec<(u32, IdentityKey)>,
}

impl AreaKeys {
    pub fn get(&self, epoch: u32) -> Option<&IdentityKey> {
        self.keys.iter().find(|(e, _)| *e == epoch).map(|(_, k)| k)
    }

    /// Adds or replaces the key of `epoch`, keeping the newest epochs.
    pub fn insert(&mut self, epoch: u32, key: IdentityKey) {
        self.keys.retain(|(e, _)| *e != epoch);
        self.keys.push((epoch, key));
        self.keys.sort_by_key(|(e, _)| *e);
        if self.keys.len() > MAX_EPOCHS {
            self.keys.drain(..self.keys.len() - MAX_EPOCHS);
        }
    }

    /// Drops the keys of epochs before `epoch`: their tokens are gone from
    /// the list, and a stolen phone should not carry them.
    /// Returns whether any key was dropped.
    pub fn forget_before(&mut self, epoch: u32) -> bool {
        let before = self.keys.len();
        self.keys.retain(|(e, _)| *e >= epoch);
        self.keys.len() != before
    }
}

pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        fs::create_dir_all(dir).map_err(io_error("create", "data directory"))?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// Loads and re-verifies the stored list, if there is one.
    pub fn load_list(&self, public_key: &[u8]) -> Result<Option<StoredList>, StoreError> {
        let Some(mut bytes) = read_if_exists(&self.path(LIST_FILE), LIST_FILE)? else {
            return Ok(None);
        };
        let corrupt = StoreError::Corrupt { file: LIST_FILE };
        if bytes.len() < LIST_PREFIX_LEN || &bytes[..4] != LIST_MAGIC || bytes[4] != STORE_FORMAT {
            return Err(corrupt);
        }
        let count = usize::try_from(u64::from_le_bytes(
            bytes[8..16]
                .try_into()
                .map_err(|_| StoreError::Corrupt { file: LIST_FILE })?,
        ))
        .map_err(|_| StoreError::Corrupt { file: LIST_FILE })?;
        let records_end = count
            .checked_mul(ENTRY_LEN)
            .and_then(|n| n.checked_add(LIST_PREFIX_LEN))
            .filter(|end| *end <= bytes.len())
            .ok_or(StoreError::Corrupt { file: LIST_FILE })?;
        match bytes[5] {
            1 => {
                bytes.drain(..LIST_PREFIX_LEN);
                match list_format::decode(bytes, public_key)? {
                    ListUpdate::Snapshot(s) => Ok(Some(StoredList {
                        header: s.header,
                        digest: s.digest,
                        entries: s.entries,
                    })),
                    ListUpdate::Delta(_) => Err(corrupt),
                }
            }
            2 => {
                let update_bytes = bytes.split_off(records_end);
                let update = list_format::decode(update_bytes, public_key)?;
                let ListUpdate::Delta(delta) = update else {
                    return Err(corrupt);
                };
                let entries = EntrySet::from_packed(bytes, LIST_PREFIX_LEN, count)?;
                if entries.digest() != delta.digest {
                    return Err(StoreError::List(ListError::DigestMismatch));
                }
                Ok(Some(StoredList {
                    header: delta.header,
                    digest: delta.digest,
                    entries,
                }))
            }
            _ => Err(corrupt),
        }
    }

    /// Replaces the stored list with a verified snapshot, atomically.
    pub fn save_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.write_atomically(LIST_FILE, &[&list_prefix(1, 0), snapshot.signed_bytes()])
    }

    /// Replaces the stored list with a verified delta and the entry set it
    /// resulted in, atomically.
    pub fn save_delta(&self, delta: &Delta, entries: &EntrySet) -> Result<(), StoreError> {
        let prefix = list_prefix(2, entries.len() as u64);
        self.write_atomically(
            LIST_FILE,
            &[&prefix, entries.records(), delta.signed_bytes()],
        )
    }

    pub fn load_keys(&self) -> Result<Option<AreaKeys>, StoreError> {
        let Some(bytes) = read_if_exists(&self.path(KEYS_FILE), KEYS_FILE)? else {
            return Ok(None);
        };
        let corrupt = || StoreError::Corrupt { file: KEYS_FILE };
        if bytes.len() < 16 || &bytes[..4] != KEYS_MAGIC || bytes[4] != STORE_FORMAT {
            return Err(corrupt());
        }
        let area_id = u64::from_le_bytes(bytes[8..16].try_into().map_err(|_| corrupt())?);
        let body = &bytes[16..];
        if body.len() % (4 + IdentityKey::LEN) != 0 {
            return Err(corrupt());
        }
        let mut keys = AreaKeys {
            area_id,
            keys: Vec::new(),
        };
        for chunk in body.chunks_exact(4 + IdentityKey::LEN) {
            let epoch = u32::from_le_bytes(chunk[..4].try_into().map_err(|_| corrupt())?);
            let key = IdentityKey::from_bytes(&chunk[4..]).map_err(|_| corrupt())?;
            keys.insert(epoch, key);
        }
        Ok(Some(keys))
    }

    /// Writes the keys file, readable by the app's user only.
    pub fn save_keys(&self, keys: &AreaKeys) -> Result<(), StoreError> {
        let mut bytes = Vec::with_capacity(16 + keys.keys.len() * 36);
        bytes.extend_from_slice(KEYS_MAGIC);
        bytes.extend_from_slice(&[STORE_FORMAT, 0, 0, 0]);
        bytes.extend_from_slice(&keys.area_id.to_le_bytes());
        for (epoch, key) in &keys.keys {
            bytes.extend_from_slice(&epoch.to_le_bytes());
            bytes.extend_from_slice(key.as_bytes());
        }
        self.write_atomically(KEYS_FILE, &[&bytes])
    }

    pub fn has_stored_keys(&self) -> bool {
        self.path(KEYS_FILE).exists()
    }

    pub fn remove_keys(&self) -> Result<(), StoreError> {
        remove_if_exists(&self.path(KEYS_FILE), KEYS_FILE)
    }

    /// Removes everything this store wrote, e.g. when the device leaves
    /// the area.
    pub fn wipe(&self) -> Result<(), StoreError> {
        for file in [LIST_FILE, KEYS_FILE] {
            remove_if_exists(&self.path(file), file)?;
            remove_if_exists(&self.path(&temp_name(file)), file)?;
        }
        sync_dir(&self.dir)
    }

    fn write_atomically(&self, file: &'static str, parts: &[&[u8]]) -> Result<(), StoreError> {
        let temp = self.path(&temp_name(file));
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut out: File = options.open(&temp).map_err(io_error("create", file))?;
        for part in parts {
            out.write_all(part).map_err(io_error("write", file))?;
        }
        out.sync_all().map_err(io_error("sync", file))?;
        drop(out);
        fs::rename(&temp, self.path(file)).map_err(io_error("replace", file))?;
        sync_dir(&self.dir)
    }
}

fn list_prefix(kind: u8, count: u64) -> Vec<u8> {
    let mut prefix = Vec::with_capacity(LIST_PREFIX_LEN);
    prefix.extend_from_slice(LIST_MAGIC);
    prefix.extend_from_slice(&[STORE_FORMAT, kind, 0, 0]);
    prefix.extend_from_slice(&count.to_le_bytes());
    prefix
}

fn temp_name(file: &str) -> String {
    format!("{file}.tmp")
}

fn read_if_exists(path: &Path, file: &'static str) -> Result<Option<Vec<u8>>, StoreError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error("read", file)(e)),
    }
}

fn remove_if_exists(path: &Path, file: &'static str) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("remove", file)(e)),
    }
}

/// Makes a rename durable: without syncing the directory a power cut may
/// forget it.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_error("sync", "data directory"))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn io_error(action: &'static str, file: &'static str) -> impl Fn(io::Error) -> StoreError {
    move |source| StoreError::Io {
        action,
        file,
        source,
    }
}
