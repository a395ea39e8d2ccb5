//! The deployment's secrets in its data directory: the master key that
//! seals personal data (AES-256-GCM) and the Ed25519 list-signing key.
//! Files are created mode 0600 by `cho-server init` and never logged.
//!
//! The signing key can be rotated (`cho-server rotate-signing-key`): the
//! next key is written beside the current one, lists announcing it are
//! published under the current key, then the next key takes the current
//! one's place and the old file is overwritten and removed. Each step
//! survives a crash and the command can be run again to finish.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ring::aead::{self, AES_256_GCM, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

const MASTER_KEY_FILE: &str = "master.key";
const SIGNING_KEY_FILE: &str = "list-signing.pk8";
const NEXT_SIGNING_KEY_FILE: &str = "list-signing.next.pk8";
const RETIRED_SIGNING_KEY_FILE: &str = "list-signing.retired.pk8";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} already exists: refusing to overwrite a key")]
    Exists { path: PathBuf },
    #[error("{0} is not a valid key file")]
    Invalid(PathBuf),
    #[error("no random bytes available")]
    Random,
    #[error("sealed data does not open: wrong key or tampered record")]
    Unseal,
}

/// AES-256-GCM under the master key. Each sealed record gets a fresh random
/// nonce, stored in front of the ciphertext; the associated data binds a
/// record to its place (e.g. "ban personal data"), so a blob copied
/// elsewhere does not open.
pub struct MasterKey {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl MasterKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecretsError> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| SecretsError::Invalid(PathBuf::from(MASTER_KEY_FILE)))?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        })
    }

    pub fn seal(&self, associated: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SecretsError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| SecretsError::Random)?;
        let mut in_out = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(associated),
                &mut in_out,
            )
            .map_err(|_| SecretsError::Random)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&in_out);
        Ok(sealed)
    }

    pub fn open(&self, associated: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SecretsError> {
        if sealed.len() < NONCE_LEN {
            return Err(SecretsError::Unseal);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SecretsError::Unseal)?;
        let mut in_out = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, aead::Aad::from(associated), &mut in_out)
            .map_err(|_| SecretsError::Unseal)?;
        Ok(plain.to_vec())
    }
}

/// The keys in a data directory.
pub struct Secrets {
    pub master: MasterKey,
    /// Wiped from memory on drop (ring's key pairs made from it cannot be).
    pub signing_pkcs8: Zeroizing<Vec<u8>>,
    /// Its public key, derived once (the sync path compares it per request).
    pub signing_public_key: [u8; cho_core::list_format::PUBLIC_KEY_LEN],
}

impl Secrets {
    /// Creates both keys; refuses to overwrite existing ones.
    pub fn create(dir: &Path) -> Result<Self, SecretsError> {
        fs::create_dir_all(dir).map_err(io("create", dir))?;
        let rng = SystemRandom::new();
        let mut master = [0u8; 32];
        rng.fill(&mut master).map_err(|_| SecretsError::Random)?;
        let signing = cho_core::list_format::ListSigner::generate_pkcs8(&rng)
            .map_err(|_| SecretsError::Random)?;
        write_secret(&dir.join(MASTER_KEY_FILE), &master)?;
        write_secret(&dir.join(SIGNING_KEY_FILE), &signing)?;
        Self::load(dir)
    }

    pub fn load(dir: &Path) -> Result<Self, SecretsError> {
        let master_path = dir.join(MASTER_KEY_FILE);
        let master = fs::read(&master_path).map_err(io("read", &master_path))?;
        let signing_path = dir.join(SIGNING_KEY_FILE);
        let signing_pkcs8 =
            Zeroizing::new(fs::read(&signing_path).map_err(io("read", &signing_path))?);
        let signing_public_key = cho_core::list_format::ListSigner::from_pkcs8(&signing_pkcs8)
            .map_err(|_| SecretsError::Invalid(signing_path))?
            .public_key();
        Ok(Self {
            master: MasterKey::from_bytes(&master)
                .map_err(|_| SecretsError::Invalid(master_path))?,
            signing_pkcs8,
            signing_public_key,
        })
    }

    pub fn exist(dir: &Path) -> bool {
        dir.join(MASTER_KEY_FILE).exists()
    }

    /// Where a signing-key rotation in `dir` stands.
    pub fn rotation_state(dir: &Path) -> RotationState {
        let next = dir.join(NEXT_SIGNING_KEY_FILE).exists();
        let current = dir.join(SIGNING_KEY_FILE).exists();
        let retired = dir.join(RETIRED_SIGNING_KEY_FILE).exists();
        match (next, current, retired) {
            (true, false, true) => RotationState::Swapping,
            (true, _, _) => RotationState::Announcing,
            (false, _, true) => RotationState::Destroying,
            (false, _, false) => RotationState::Idle,
        }
    }

    /// The next list-signing key of a rotation, as PKCS#8: made and written
    /// (mode 0600) the first time, read back when a rotation is resumed.
    pub fn next_signing_key(dir: &Path) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
        let path = dir.join(NEXT_SIGNING_KEY_FILE);
        if !path.exists() {
            let next = cho_core::list_format::ListSigner::generate_pkcs8(&SystemRandom::new())
                .map_err(|_| SecretsError::Random)?;
            write_secret(&path, &next)?;
            sync_dir(dir)?;
        }
        let next = Zeroizing::new(fs::read(&path).map_err(io("read", &path))?);
        cho_core::list_format::ListSigner::from_pkcs8(&next)
            .map_err(|_| SecretsError::Invalid(path))?;
        Ok(next)
    }

    /// Makes the next key the list-signing key and destroys the old key
    /// file: renamed aside, the next key renamed into place, then the old
    /// one overwritten with zeros, synced and removed. (On flash storage
    /// and journalling file systems an overwrite does not guarantee the old
    /// blocks are gone; the key is useless to an attacker once every device
    /// follows the new key, which is why the README's compromise procedure
    /// does not rely on it.)
    pub fn retire_signing_key(dir: &Path) -> Result<(), SecretsError> {
        let current = dir.join(SIGNING_KEY_FILE);
        let next = dir.join(NEXT_SIGNING_KEY_FILE);
        let retired = dir.join(RETIRED_SIGNING_KEY_FILE);
        if next.exists() {
            if current.exists() {
                if retired.exists() {
                    destroy(&retired)?;
                }
                fs::rename(&current, &retired).map_err(io("rename", &current))?;
                sync_dir(dir)?;
            }
            fs::rename(&next, &current).map_err(io("rename", &next))?;
            sync_dir(dir)?;
        }
        if retired.exists() {
            destroy(&retired)?;
        }
        Ok(())
    }
}

/// How far a signing-key rotation got (files in the data directory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotationState {
    /// No rotation under way.
    Idle,
    /// The next key exists; announcements may be partly published.
    Announcing,
    /// The old key was moved aside, the next one not yet into place.
    Swapping,
    /// The new key is in place; the old file still has to be destroyed.
    Destroying,
}

/// Overwrites a key file with zeros, syncs it and removes it.
fn destroy(path: &Path) -> Result<(), SecretsError> {
    let len = fs::metadata(path).map_err(io("read", path))?.len();
    let mut file = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io("open", path))?;
    let zeros = vec![0u8; usize::try_from(len).unwrap_or(0)];
    file.write_all(&zeros).map_err(io("write", path))?;
    file.sync_all().map_err(io("sync", path))?;
    drop(file);
    fs::remove_file(path).map_err(io("remove", path))?;
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), SecretsError> {
    #[cfg(unix)]
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("sync", dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), SecretsError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            SecretsError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            io("create", path)(e)
        }
    })?;
    file.write_all(bytes).map_err(io("write", path))?;
    file.sync_all().map_err(io("sync", path))
}

fn io(action: &'static str, path: &Path) -> impl Fn(std::io::Error) -> SecretsError {
    let path = path.to_path_buf();
    move |source| SecretsError::Io {
        action,
        path: path.clone(),
        source,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let key = MasterKey::from_bytes(&[9; 32]).unwrap();
        let sealed = key.seal(b"ban", b"Jansen").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"Jansen"));
        assert_eq!(key.open(b"ban", &sealed).unwrap(), b"Jansen");
        assert!(key.open(b"other", &sealed).is_err());
        let again = key.seal(b"ban", b"Jansen").unwrap();
        assert_ne!(sealed, again, "fresh nonce per record");
        let mut tampered = sealed.clone();
        tampered[20] ^= 1;
        assert!(key.open(b"ban", &tampered).is_err());
        assert!(key.open(b"ban", &sealed[..5]).is_err());
    }

    #[test]
    fn a_signing_key_rotation_replaces_and_destroys_the_old_key() {
        let dir = tempfile::tempdir().unwrap();
        let old = Secrets::create(dir.path()).unwrap();
        assert_eq!(Secrets::rotation_state(dir.path()), RotationState::Idle);
        let next = Secrets::next_signing_key(dir.path()).unwrap();
        assert_eq!(
            Secrets::rotation_state(dir.path()),
            RotationState::Announcing
        );
        // Resumed: the same next key.
        assert_eq!(*Secrets::next_signing_key(dir.path()).unwrap(), *next);
        Secrets::retire_signing_key(dir.path()).unwrap();
        assert_eq!(Secrets::rotation_state(dir.path()), RotationState::Idle);
        let now = Secrets::load(dir.path()).unwrap();
        assert_eq!(*now.signing_pkcs8, *next);
        assert_ne!(*now.signing_pkcs8, *old.signing_pkcs8);
        let mut files: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        assert_eq!(files, vec![SIGNING_KEY_FILE, MASTER_KEY_FILE]);
        // A crash between the two renames is finished by running it again.
        Secrets::next_signing_key(dir.path()).unwrap();
        fs::rename(
            dir.path().join(SIGNING_KEY_FILE),
            dir.path().join(RETIRED_SIGNING_KEY_FILE),
        )
        .unwrap();
        assert_eq!(Secrets::rotation_state(dir.path()), RotationState::Swapping);
        Secrets::retire_signing_key(dir.path()).unwrap();
        assert_eq!(Secrets::rotation_state(dir.path()), RotationState::Idle);
        Secrets::load(dir.path()).unwrap();
    }

    #[test]
    fn keys_are_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        Secrets::create(dir.path()).unwrap();
        assert!(matches!(
            Secrets::create(dir.path()),
            Err(SecretsError::Exists { .. })
        ));
        Secrets::load(dir.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for file in [MASTER_KEY_FILE, SIGNING_KEY_FILE] {
                let mode = fs::metadata(dir.path().join(file))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600);
            }
        }
    }
}
