//! Opening the door's data directory and saying what went wrong. The
//! enrolment, the credential, the pinned key and the retry state are kept
//! by `cho_core::device` (`device.bin` beside the store), not here.

use std::path::Path;
use std::sync::Arc;

use cho_core::device::{DoorDevice, STATE_FILE};
use cho_core::ffi::ChoError;

use crate::{Exit, Failure};

/// What the cho-door before the core's device protocol kept.
const OLD_DEVICE_FILE: &str = "device.json";

pub const ENROL_HINT: &str =
    "cho-door enrol 'cho-enrol:...' (or URL CODE --fingerprint ABCD-EFGH-JKLM)";

/// Opens the data directory (created, readable by this user only).
pub fn open(dir: &Path) -> Result<Arc<DoorDevice>, Failure> {
    DoorDevice::open(dir.display().to_string()).map_err(|e| match e {
        ChoError::Storage { reason } => Failure::other(
            "storage",
            format!("cannot open the data directory {}: {reason}", dir.display()),
        ),
        e => failure(e),
    })
}

/// Whether `dir` holds an enrolment at all (without creating anything).
pub fn has_state(dir: &Path) -> bool {
    dir.join(STATE_FILE).exists()
}

/// The advice for a directory without an enrolment.
pub fn not_enrolled(dir: &Path) -> Failure {
    let message = if dir.join(OLD_DEVICE_FILE).exists() {
        format!(
            "{} holds an enrolment of an older cho-door, without the key fingerprint check: enrol again: {ENROL_HINT}",
            dir.display()
        )
    } else {
        format!(
            "this door is not enrolled (nothing in {}): run {ENROL_HINT} first",
            dir.display()
        )
    };
    Failure::other("not_enrolled", message)
}

/// The failure for an error of the core. Its reasons hold no personal data
/// and no credential.
pub fn failure(e: ChoError) -> Failure {
    let message = e.to_string();
    match e {
        ChoError::InvalidMrz { .. } | ChoError::InvalidInput { .. } => Failure::invalid(message),
        ChoError::InsecureServer { .. } => Failure::new(Exit::Usage, "insecure_server", message),
        ChoError::CodeRefused { .. } => Failure::new(Exit::Usage, "code_refused", message),
        ChoError::SigningKeyMismatch { .. } => Failure::other("key_mismatch", message),
        ChoError::ListRejected { .. } => Failure::other(
            "list_refused",
            format!("the server's list was refused ({message}); the list in force stays"),
        ),
        ChoError::AreaKeyMissing { .. } => Failure::other("area_key_missing", message),
        ChoError::Storage { .. } | ChoError::CredentialMissing { .. } => {
            Failure::other("storage", message)
        }
        ChoError::NotEnrolled { .. } => Failure::other(
            "not_enrolled",
            format!("this door is not enrolled: run {ENROL_HINT} first"),
        ),
        ChoError::DeviceRevoked { .. } => Failure::new(
            Exit::Revoked,
            "revoked",
            format!(
                "this door was revoked by the server: its keys, list and credential are wiped; enrol again with a new code ({ENROL_HINT})"
            ),
        ),
        ChoError::Unauthorized { .. } => Failure::new(
            Exit::Revoked,
            "unknown_device",
            format!(
                "the server does not know this door's credential: the list in force stays usable until it is outdated; enrol again with a new code (--force; {ENROL_HINT})"
            ),
        ),
        ChoError::ServerRefused { .. } => Failure::other("server_refused", message),
        ChoError::BadAnswer { .. } => Failure::other("bad_answer", message),
    }
}

/// The failure for a device the server just revoked.
pub fn revoked() -> Failure {
    failure(ChoError::DeviceRevoked {
        reason: String::new(),
    })
}
