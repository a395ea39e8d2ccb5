//! The enrolment as this door keeps it: `device.json` in the data
//! directory, mode 0600. It holds the server URL, the device id and
//! credential (a secret, no personal data), the area id and the pinned list
//! signing key. The area keys and the list are kept by `cho_core`'s store in
//! the same directory.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cho_core::checker::Door;
use serde::{Deserialize, Serialize};

use crate::Failure;

pub const DEVICE_FILE: &str = "device.json";

/// No `Debug`: the credential must not end up in a log line.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub server_url: String,
    pub device_id: i64,
    pub area_id: u64,
    pub credential: String,
    /// The list-signing public key received at enrolment (base64url, no
    /// padding): every list must verify against it.
    pub signing_public_key: String,
}

fn path(dir: &Path) -> PathBuf {
    dir.join(DEVICE_FILE)
}

fn storage_error(action: &str, e: &io::Error) -> Failure {
    Failure::other("storage", format!("cannot {action} {DEVICE_FILE}: {e}"))
}

impl Device {
    /// The enrolment in `dir`, if there is one.
    pub fn load(dir: &Path) -> Result<Option<Self>, Failure> {
        let bytes = match fs::read(path(dir)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(storage_error("read", &e)),
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Failure::other(
                "storage",
                format!(
                    "{} is damaged ({e}): enrol again with --force",
                    path(dir).display()
                ),
            )
        })
    }

    /// The enrolment in `dir`, or the advice to enrol.
    pub fn require(dir: &Path) -> Result<Self, Failure> {
        Self::load(dir)?.ok_or_else(|| {
            Failure::other(
                "not_enrolled",
                format!(
                    "this door is not enrolled (no {} in {}): run `cho-door enrol URL CODE` first",
                    DEVICE_FILE,
                    dir.display()
                ),
            )
        })
    }

    /// Writes `device.json` readable by this user only, to a temporary file
    /// that is synced and renamed: a crash leaves the old file or the new.
    pub fn save(&self, dir: &Path) -> Result<(), Failure> {
        let mut json = serde_json::to_vec_pretty(self)
            .map_err(|e| Failure::other("storage", format!("cannot encode {DEVICE_FILE}: {e}")))?;
        json.push(b'\n');
        let temp = dir.join(format!("{DEVICE_FILE}.tmp"));
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&temp)
            .map_err(|e| storage_error("create", &e))?;
        file.write_all(&json)
            .and_then(|()| file.sync_all())
            .map_err(|e| storage_error("write", &e))?;
        drop(file);
        fs::rename(&temp, path(dir)).map_err(|e| storage_error("replace", &e))?;
        #[cfg(unix)]
        {
            fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| storage_error("sync the directory of", &e))?;
        }
        Ok(())
    }

    pub fn remove(dir: &Path) -> Result<(), Failure> {
        match fs::remove_file(path(dir)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(storage_error("remove", &e)),
        }
    }

    pub fn public_key(&self) -> Result<Vec<u8>, Failure> {
        URL_SAFE_NO_PAD
            .decode(&self.signing_public_key)
            .map_err(|_| {
                Failure::other(
                    "storage",
                    format!("{DEVICE_FILE} holds no valid signing key: enrol again with --force"),
                )
            })
    }

    /// Opens the door's store with the pinned signing key.
    pub fn open_door(&self, dir: &Path) -> Result<Door, Failure> {
        open_door(dir, &self.public_key()?)
    }
}

pub fn open_door(dir: &Path, public_key: &[u8]) -> Result<Door, Failure> {
    Door::open(dir, public_key).map_err(|e| {
        Failure::other(
            "storage",
            format!("cannot open the door store in {}: {e}", dir.display()),
        )
    })
}

/// Creates the data directory, readable by this user only.
pub fn create_dir(dir: &Path) -> Result<(), Failure> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| {
        Failure::other(
            "storage",
            format!("cannot create the data directory {}: {e}", dir.display()),
        )
    })
}
