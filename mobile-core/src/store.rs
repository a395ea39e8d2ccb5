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
//!
//! Beside them, two files that `wipe` keeps, because they protect the device
//! rather than describe the area: `seen.bin`, the highest list seen per
//! signing key and area (so an old list cannot be applied again after a
//! wipe or a refused stored list), and `signing-keys.bin`, the chain of
//! list-signing keys the device followed from the one it was enrolled with.
//!
//! One process at a time: `open` takes an advisory lock (`store.lock`) for
//! as long as the store is open, and a second open of the same directory
//! fails with [`StoreError::Locked`]. Temporary files have unique names and
//! are created exclusively.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use zeroize::Zeroizing;

use crate::identity::IdentityKey;
use crate::list_format::{
    self, DIGEST_LEN, Delta, ENTRY_LEN, EntrySet, ListError, ListHeader, ListUpdate,
    PUBLIC_KEY_LEN, Snapshot,
};

const LIST_FILE: &str = "list.bin";
const KEYS_FILE: &str = "area-keys.bin";
const SEEN_FILE: &str = "seen.bin";
const SIGNING_KEYS_FILE: &str = "signing-keys.bin";
const LOCK_FILE: &str = "store.lock";
const LIST_MAGIC: &[u8; 4] = b"CHOD";
const KEYS_MAGIC: &[u8; 4] = b"CHOK";
const SEEN_MAGIC: &[u8; 4] = b"CHOW";
const SIGNING_KEYS_MAGIC: &[u8; 4] = b"CHOS";
const STORE_FORMAT: u8 = 1;
/// Watermarks kept: one per (signing key, area) the device has known.
const MAX_WATERMARKS: usize = 32;
/// Signing keys kept in the chain (the oldest are dropped beyond this).
const MAX_SIGNING_KEYS: usize = 16;
const WATERMARK_LEN: usize = PUBLIC_KEY_LEN + 8 + 4 + 8 + 8 + DIGEST_LEN;
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
    #[error("the data directory is in use by another process (or another open DoorChecker)")]
    Locked,
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

/// The highest list a device has seen from one signing key for one area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watermark {
    pub signing_key: [u8; PUBLIC_KEY_LEN],
    pub area_id: u64,
    pub key_epoch: u32,
    pub version: u64,
    pub issued_at: i64,
    pub digest: [u8; DIGEST_LEN],
}

impl Watermark {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.signing_key);
        out.extend_from_slice(&self.area_id.to_le_bytes());
        out.extend_from_slice(&self.key_epoch.to_le_bytes());
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&self.issued_at.to_le_bytes());
        out.extend_from_slice(&self.digest);
    }

    fn read(record: &[u8]) -> Option<Self> {
        let at = |from: usize, len: usize| record.get(from..from + len);
        Some(Self {
            signing_key: at(0, 32)?.try_into().ok()?,
            area_id: u64::from_le_bytes(at(32, 8)?.try_into().ok()?),
            key_epoch: u32::from_le_bytes(at(40, 4)?.try_into().ok()?),
            version: u64::from_le_bytes(at(44, 8)?.try_into().ok()?),
            issued_at: i64::from_le_bytes(at(52, 8)?.try_into().ok()?),
            digest: at(60, 32)?.try_into().ok()?,
        })
    }
}

pub struct Store {
    dir: PathBuf,
    /// Held open for the store's lifetime: the advisory lock lives on it.
    _lock: File,
}

/// Makes temporary names unique within the process; the random part makes
/// them unique across processes too.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Store {
    /// Opens the directory and takes its lock. Leftover temporary files of
    /// an interrupted write are removed (under the lock, nobody else's).
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        fs::create_dir_all(dir).map_err(io_error("create", "data directory"))?;
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let lock = options
            .open(dir.join(LOCK_FILE))
            .map_err(io_error("open", LOCK_FILE))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(StoreError::Locked),
            Err(fs::TryLockError::Error(e)) => return Err(io_error("lock", LOCK_FILE)(e)),
        }
        let store = Self {
            dir: dir.to_path_buf(),
            _lock: lock,
        };
        store.remove_temp_files()?;
        Ok(store)
    }

    fn remove_temp_files(&self) -> Result<(), StoreError> {
        let entries = fs::read_dir(&self.dir).map_err(io_error("read", "data directory"))?;
        let mut removed = false;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".tmp") {
                remove_if_exists(&entry.path(), "temporary file")?;
                removed = true;
            }
        }
        if removed {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// Loads and re-verifies the stored list, if there is one, with the
    /// first of `public_keys` under which it verifies; returns that key's
    /// index too.
    pub fn load_list(
        &self,
        public_keys: &[[u8; PUBLIC_KEY_LEN]],
    ) -> Result<Option<(StoredList, usize)>, StoreError> {
        let mut last = None;
        for (index, key) in public_keys.iter().enumerate() {
            match self.load_list_with(key) {
                Ok(list) => return Ok(list.map(|l| (l, index))),
                Err(StoreError::List(ListError::BadSignature)) => {
                    last = Some(StoreError::List(ListError::BadSignature));
                }
                Err(e) => return Err(e),
            }
        }
        match last {
            Some(e) => Err(e),
            None => Ok(None),
        }
    }

    fn load_list_with(&self, public_key: &[u8]) -> Result<Option<StoredList>, StoreError> {
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
        let bytes = Zeroizing::new(bytes);
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
        let mut bytes = Zeroizing::new(Vec::with_capacity(16 + keys.keys.len() * 36));
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

    /// Removes the keys file; the directory is synced so the removal
    /// survives a power cut.
    pub fn remove_keys(&self) -> Result<(), StoreError> {
        remove_if_exists(&self.path(KEYS_FILE), KEYS_FILE)?;
        sync_dir(&self.dir)
    }

    /// Removes the list and the keys, e.g. when the device leaves the area.
    /// The watermarks and the signing-key chain stay: they only ever refuse
    /// old lists of a deployment, and a new deployment has other keys.
    pub fn wipe(&self) -> Result<(), StoreError> {
        for file in [LIST_FILE, KEYS_FILE] {
            remove_if_exists(&self.path(file), file)?;
        }
        sync_dir(&self.dir)?;
        self.remove_temp_files()
    }

    pub fn load_watermarks(&self) -> Result<Vec<Watermark>, StoreError> {
        let Some(bytes) = read_if_exists(&self.path(SEEN_FILE), SEEN_FILE)? else {
            return Ok(Vec::new());
        };
        let corrupt = StoreError::Corrupt { file: SEEN_FILE };
        if bytes.len() < 8
            || &bytes[..4] != SEEN_MAGIC
            || bytes[4] != STORE_FORMAT
            || (bytes.len() - 8) % WATERMARK_LEN != 0
        {
            return Err(corrupt);
        }
        bytes[8..]
            .chunks_exact(WATERMARK_LEN)
            .map(|r| Watermark::read(r).ok_or(StoreError::Corrupt { file: SEEN_FILE }))
            .collect()
    }

    pub fn save_watermarks(&self, marks: &[Watermark]) -> Result<(), StoreError> {
        let keep = &marks[marks.len().saturating_sub(MAX_WATERMARKS)..];
        let mut bytes = Vec::with_capacity(8 + keep.len() * WATERMARK_LEN);
        bytes.extend_from_slice(SEEN_MAGIC);
        bytes.extend_from_slice(&[STORE_FORMAT, 0, 0, 0]);
        keep.iter().for_each(|m| m.write(&mut bytes));
        self.write_atomically(SEEN_FILE, &[&bytes])
    }

    /// The signing keys the device followed, oldest first.
    pub fn load_signing_keys(&self) -> Result<Vec<[u8; PUBLIC_KEY_LEN]>, StoreError> {
        let Some(bytes) = read_if_exists(&self.path(SIGNING_KEYS_FILE), SIGNING_KEYS_FILE)? else {
            return Ok(Vec::new());
        };
        if bytes.len() < 8
            || &bytes[..4] != SIGNING_KEYS_MAGIC
            || bytes[4] != STORE_FORMAT
            || (bytes.len() - 8) % PUBLIC_KEY_LEN != 0
        {
            return Err(StoreError::Corrupt {
                file: SIGNING_KEYS_FILE,
            });
        }
        bytes[8..]
            .chunks_exact(PUBLIC_KEY_LEN)
            .map(|k| {
                k.try_into().map_err(|_| StoreError::Corrupt {
                    file: SIGNING_KEYS_FILE,
                })
            })
            .collect()
    }

    pub fn save_signing_keys(&self, chain: &[[u8; PUBLIC_KEY_LEN]]) -> Result<(), StoreError> {
        let keep = &chain[chain.len().saturating_sub(MAX_SIGNING_KEYS)..];
        let mut bytes = Vec::with_capacity(8 + keep.len() * PUBLIC_KEY_LEN);
        bytes.extend_from_slice(SIGNING_KEYS_MAGIC);
        bytes.extend_from_slice(&[STORE_FORMAT, 0, 0, 0]);
        keep.iter().for_each(|k| bytes.extend_from_slice(k));
        self.write_atomically(SIGNING_KEYS_FILE, &[&bytes])
    }

    fn write_atomically(&self, file: &'static str, parts: &[&[u8]]) -> Result<(), StoreError> {
        write_atomically(&self.dir, file, parts)
    }
}

/// Writes `file` in `dir` through a uniquely named temporary file that is
/// synced and renamed over the old one, then syncs the directory: a crash
/// or kill at any moment leaves the old file or the new one. Mode 0600.
/// Shared with the device state (`crate::device`), which keeps the same
/// habits.
pub(crate) fn write_atomically(
    dir: &Path,
    file: &'static str,
    parts: &[&[u8]],
) -> Result<(), StoreError> {
    let temp = dir.join(temp_name(file)?);
    let mut options = OpenOptions::new();
    // create_new: never write into a file someone else made (or a
    // symlink planted under a guessed name).
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut out: File = options.open(&temp).map_err(io_error("create", file))?;
    let written = parts
        .iter()
        .try_for_each(|part| out.write_all(part))
        .map_err(io_error("write", file))
        .and_then(|()| out.sync_all().map_err(io_error("sync", file)));
    drop(out);
    let replaced =
        written.and_then(|()| fs::rename(&temp, dir.join(file)).map_err(io_error("replace", file)));
    if replaced.is_err() {
        let _ = fs::remove_file(&temp);
    }
    replaced?;
    sync_dir(dir)
}

fn list_prefix(kind: u8, count: u64) -> Vec<u8> {
    let mut prefix = Vec::with_capacity(LIST_PREFIX_LEN);
    prefix.extend_from_slice(LIST_MAGIC);
    prefix.extend_from_slice(&[STORE_FORMAT, kind, 0, 0]);
    prefix.extend_from_slice(&count.to_le_bytes());
    prefix
}

/// `list.bin.<pid>-<counter>-<random>.tmp`: unique, so two writers (which
/// the lock rules out anyway) could never share a temporary file.
fn temp_name(file: &str) -> Result<String, StoreError> {
    let mut random = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random).map_err(
        |_| StoreError::Io {
            action: "create",
            file: "temporary file",
            source: io::Error::other("no random bytes available"),
        },
    )?;
    Ok(format!(
        "{file}.{}-{}-{:016x}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed),
        u64::from_le_bytes(random)
    ))
}

pub(crate) fn read_if_exists(
    path: &Path,
    file: &'static str,
) -> Result<Option<Vec<u8>>, StoreError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error("read", file)(e)),
    }
}

pub(crate) fn remove_if_exists(path: &Path, file: &'static str) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("remove", file)(e)),
    }
}

/// Makes a rename durable: without syncing the directory a power cut may
/// forget it.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
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
