//! The deployment's secrets in its data directory: the master key that
//! seals personal data (AES-256-GCM), the Ed25519 list-signing key, the
//! deployment secret from which purpose keys are derived (the audit chain's
//! HMAC key, the enrolment-code HMAC key), and the Ed25519 key that signs
//! audit checkpoints. Files are created mode 0600 by `cho-server init` and
//! never logged; all of them live outside the database, so write access to
//! the database alone cannot forge what they protect.
//!
//! Key bytes we hold are wiped on drop (`zeroize`). ring keeps its own
//! copies we cannot reach: the AES key schedule inside `LessSafeKey`, the
//! HMAC inner and outer states inside `hmac::Key`, and the private scalar
//! and seed inside `Ed25519KeyPair` (ring does not wipe them on drop).
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
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};
use zeroize::{ZeroizeOnDrop, Zeroizing};

const MASTER_KEY_FILE: &str = "master.key";
const SIGNING_KEY_FILE: &str = "list-signing.pk8";
const DEPLOYMENT_SECRET_FILE: &str = "deployment.secret";
const CHECKPOINT_KEY_FILE: &str = "audit-checkpoint.pk8";
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
    /// ring copies the key into its AES key schedule; the caller wipes
    /// `bytes`.
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
        // The buffer holds the plaintext after opening: wiped on drop.
        let mut in_out = Zeroizing::new(ciphertext.to_vec());
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
    /// Wiped on drop.
    pub signing_pkcs8: Zeroizing<Vec<u8>>,
    /// Source of the purpose keys (audit chain, enrolment codes).
    pub deployment: DeploymentSecret,
    /// Signs audit checkpoints.
    pub checkpoint_signer: CheckpointSigner,
    /// Its public key, derived once (the sync path compares it per request).
    pub signing_public_key: [u8; cho_core::list_format::PUBLIC_KEY_LEN],
}

impl Secrets {
    /// Creates both keys; refuses to overwrite existing ones.
    pub fn create(dir: &Path) -> Result<Self, SecretsError> {
        fs::create_dir_all(dir).map_err(io("create", dir))?;
        let rng = SystemRandom::new();
        let mut master = Zeroizing::new([0u8; 32]);
        rng.fill(master.as_mut_slice())
            .map_err(|_| SecretsError::Random)?;
        let signing = Zeroizing::new(
            cho_core::list_format::ListSigner::generate_pkcs8(&rng)
                .map_err(|_| SecretsError::Random)?,
        );
        write_secret(&dir.join(MASTER_KEY_FILE), master.as_slice())?;
        write_secret(&dir.join(SIGNING_KEY_FILE), &signing)?;
        create_audit_secrets(dir)?;
        Self::load(dir)
    }

    pub fn load(dir: &Path) -> Result<Self, SecretsError> {
        let master_path = dir.join(MASTER_KEY_FILE);
        let master = Zeroizing::new(fs::read(&master_path).map_err(io("read", &master_path))?);
        let signing_path = dir.join(SIGNING_KEY_FILE);
        let signing_pkcs8 =
            Zeroizing::new(fs::read(&signing_path).map_err(io("read", &signing_path))?);
        let signing_public_key = cho_core::list_format::ListSigner::from_pkcs8(&signing_pkcs8)
            .map_err(|_| SecretsError::Invalid(signing_path))?
            .public_key();
        let (deployment, checkpoint_signer) = load_audit_secrets(dir)?;
        Ok(Self {
            master: MasterKey::from_bytes(&master)
                .map_err(|_| SecretsError::Invalid(master_path))?,
            signing_pkcs8,
            deployment,
            checkpoint_signer,
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

/// Purpose labels for [`DeploymentSecret::derive`]; a new purpose gets a
/// new label, never a reused one.
pub const AUDIT_CHAIN_LABEL: &str = "cho-audit-chain/1";
pub const ENROLMENT_CODE_LABEL: &str = "cho-enrolment-code/1";

/// 32 random bytes in `deployment.secret`, never used directly: each
/// purpose gets its own key, HMAC-SHA256(secret, label), so a key leaked
/// from one use says nothing about another.
pub struct DeploymentSecret {
    bytes: Zeroizing<[u8; 32]>,
}

impl ZeroizeOnDrop for DeploymentSecret {}

impl DeploymentSecret {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecretsError> {
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| SecretsError::Invalid(PathBuf::from(DEPLOYMENT_SECRET_FILE)))?;
        Ok(Self {
            bytes: Zeroizing::new(bytes),
        })
    }

    /// The purpose key for `label`: HMAC-SHA256(secret, label).
    pub fn derive(&self, label: &str) -> PurposeKey {
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.bytes.as_slice());
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(hmac::sign(&key, label.as_bytes()).as_ref());
        PurposeKey(out)
    }

    /// The audit chain's HMAC key.
    pub fn audit_chain_key(&self) -> hmac::Key {
        self.derive(AUDIT_CHAIN_LABEL).hmac_key()
    }

    /// HMAC-SHA256 of an enrolment code under its purpose key: what is
    /// stored, so a copy of the database cannot test guesses of codes.
    pub fn enrolment_code_hash(&self, code: &str) -> Vec<u8> {
        let key = self.derive(ENROLMENT_CODE_LABEL).hmac_key();
        hmac::sign(&key, code.as_bytes()).as_ref().to_vec()
    }
}

/// A key derived for one purpose; its bytes are wiped on drop.
pub struct PurposeKey(Zeroizing<[u8; 32]>);

impl ZeroizeOnDrop for PurposeKey {}

impl PurposeKey {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// An HMAC-SHA256 key (ring keeps its own, unwiped, copy of the state).
    pub fn hmac_key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, self.0.as_slice())
    }
}

/// The Ed25519 key that signs audit checkpoints (`audit-checkpoint.pk8`),
/// separate from the list-signing key: phones pin that one, and neither
/// key should be usable for the other's statements.
pub struct CheckpointSigner {
    /// ring keeps its own copy of the private key; this one is wiped.
    _pkcs8: Zeroizing<Vec<u8>>,
    pair: Ed25519KeyPair,
}

impl CheckpointSigner {
    pub fn from_pkcs8(pkcs8: Zeroizing<Vec<u8>>) -> Result<Self, SecretsError> {
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
            .map_err(|_| SecretsError::Invalid(PathBuf::from(CHECKPOINT_KEY_FILE)))?;
        Ok(Self {
            _pkcs8: pkcs8,
            pair,
        })
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(message).as_ref());
        out
    }

    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.pair.public_key().as_ref());
        out
    }
}

/// Creates the deployment secret and the checkpoint key; refuses to
/// overwrite either.
fn create_audit_secrets(dir: &Path) -> Result<(), SecretsError> {
    create_deployment_secret(dir)?;
    create_checkpoint_key(dir)
}

fn create_deployment_secret(dir: &Path) -> Result<(), SecretsError> {
    let mut secret = Zeroizing::new([0u8; 32]);
    SystemRandom::new()
        .fill(secret.as_mut_slice())
        .map_err(|_| SecretsError::Random)?;
    write_secret(&dir.join(DEPLOYMENT_SECRET_FILE), secret.as_slice())
}

fn create_checkpoint_key(dir: &Path) -> Result<(), SecretsError> {
    let pkcs8 =
        Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| SecretsError::Random)?;
    let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
    write_secret(&dir.join(CHECKPOINT_KEY_FILE), &pkcs8)
}

fn load_audit_secrets(dir: &Path) -> Result<(DeploymentSecret, CheckpointSigner), SecretsError> {
    let secret_path = dir.join(DEPLOYMENT_SECRET_FILE);
    let secret = Zeroizing::new(fs::read(&secret_path).map_err(io("read", &secret_path))?);
    let deployment =
        DeploymentSecret::from_bytes(&secret).map_err(|_| SecretsError::Invalid(secret_path))?;
    let key_path = dir.join(CHECKPOINT_KEY_FILE);
    let pkcs8 = Zeroizing::new(fs::read(&key_path).map_err(io("read", &key_path))?);
    let signer =
        CheckpointSigner::from_pkcs8(pkcs8).map_err(|_| SecretsError::Invalid(key_path))?;
    Ok((deployment, signer))
}

/// Whether the data directory holds a deployment secret.
pub fn deployment_secret_exists(dir: &Path) -> bool {
    dir.join(DEPLOYMENT_SECRET_FILE).exists()
}

/// For a data directory made before these keys existed: creates the
/// deployment secret and the checkpoint key if missing, and says which
/// (the caller logs it). Existing files are never touched.
pub fn ensure_audit_secrets(dir: &Path) -> Result<Vec<&'static str>, SecretsError> {
    let mut created = Vec::new();
    if !dir.join(DEPLOYMENT_SECRET_FILE).exists() {
        create_deployment_secret(dir)?;
        created.push(DEPLOYMENT_SECRET_FILE);
    }
    if !dir.join(CHECKPOINT_KEY_FILE).exists() {
        create_checkpoint_key(dir)?;
        created.push(CHECKPOINT_KEY_FILE);
    }
    Ok(created)
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
    fn purpose_keys_are_hmac_of_their_label() {
        let secret = DeploymentSecret::from_bytes(&[7; 32]).unwrap();
        let key = hmac::Key::new(hmac::HMAC_SHA256, &[7; 32]);
        let expected = hmac::sign(&key, AUDIT_CHAIN_LABEL.as_bytes());
        assert_eq!(
            secret.derive(AUDIT_CHAIN_LABEL).as_bytes().as_slice(),
            expected.as_ref()
        );
        assert_ne!(
            secret.derive(AUDIT_CHAIN_LABEL).as_bytes(),
            secret.derive(ENROLMENT_CODE_LABEL).as_bytes()
        );
        let other = DeploymentSecret::from_bytes(&[8; 32]).unwrap();
        assert_ne!(
            secret.enrolment_code_hash("ABCDEFGHJK"),
            other.enrolment_code_hash("ABCDEFGHJK")
        );
        assert!(DeploymentSecret::from_bytes(&[7; 31]).is_err());
    }

    /// Key material we hold is wiped when dropped (item 22): checked at
    /// compile time, since a test cannot read freed memory soundly.
    #[test]
    fn key_material_is_wiped_on_drop() {
        fn wiped<T: ZeroizeOnDrop>() {}
        wiped::<DeploymentSecret>();
        wiped::<PurposeKey>();
        // The raw bytes behind the master, list-signing and checkpoint keys.
        wiped::<Zeroizing<Vec<u8>>>();
        let secrets_fields = |s: &Secrets| {
            let _: &Zeroizing<Vec<u8>> = &s.signing_pkcs8;
            let _: &Zeroizing<Vec<u8>> = &s.checkpoint_signer._pkcs8;
        };
        let dir = tempfile::tempdir().unwrap();
        secrets_fields(&Secrets::create(dir.path()).unwrap());
    }

    #[test]
    fn checkpoint_signatures_verify_with_the_public_key() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Secrets::create(dir.path()).unwrap();
        let signature = secrets.checkpoint_signer.sign(b"head");
        let public = ring::signature::UnparsedPublicKey::new(
            &ring::signature::ED25519,
            secrets.checkpoint_signer.public_key(),
        );
        public.verify(b"head", &signature).unwrap();
        assert!(public.verify(b"tail", &signature).is_err());
    }

    #[test]
    fn an_old_data_dir_gets_the_new_secrets_once() {
        let dir = tempfile::tempdir().unwrap();
        Secrets::create(dir.path()).unwrap();
        let secret = fs::read(dir.path().join(DEPLOYMENT_SECRET_FILE)).unwrap();
        assert!(ensure_audit_secrets(dir.path()).unwrap().is_empty());
        assert_eq!(
            fs::read(dir.path().join(DEPLOYMENT_SECRET_FILE)).unwrap(),
            secret
        );
        fs::remove_file(dir.path().join(DEPLOYMENT_SECRET_FILE)).unwrap();
        fs::remove_file(dir.path().join(CHECKPOINT_KEY_FILE)).unwrap();
        assert!(Secrets::load(dir.path()).is_err());
        assert_eq!(
            ensure_audit_secrets(dir.path()).unwrap(),
            vec![DEPLOYMENT_SECRET_FILE, CHECKPOINT_KEY_FILE]
        );
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
        assert_eq!(
            files,
            vec![
                CHECKPOINT_KEY_FILE,
                DEPLOYMENT_SECRET_FILE,
                SIGNING_KEY_FILE,
                MASTER_KEY_FILE
            ]
        );
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
            for file in [
                MASTER_KEY_FILE,
                SIGNING_KEY_FILE,
                DEPLOYMENT_SECRET_FILE,
                CHECKPOINT_KEY_FILE,
            ] {
                let mode = fs::metadata(dir.path().join(file))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600);
            }
        }
    }
}
