//! Login, sessions, logout, password change; the limits on password
//! guessing (see [`super::limits`]) and the gate every Argon2 hash and
//! verify passes.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::sync::{OnceCell, Semaphore};

use super::{App, AppError, AppResult};
use crate::domain::audit::AuditEvent;
use crate::domain::roles::{Actor, Role};
use crate::domain::username::Username;
use crate::storage::accounts;

/// A session lasts 12 hours: a night at the door or an office day.
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// A browser session also ends after 30 minutes without a request: a
/// venue's PC is shared, and people walk away from it.
pub const BROWSER_IDLE_SECONDS: i64 = 30 * 60;
/// A browser session's last request is written at most this often, so a
/// page view is not a write; the idle limit is that much less exact.
pub const TOUCH_EVERY_SECONDS: i64 = 60;
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Password checks waiting for the gate at most; more get 503 at once.
pub const MAX_WAITING_HASHES: usize = 32;
/// How long a password check waits for the gate before it gets 503.
const MAX_HASH_WAIT: Duration = Duration::from_secs(30);

/// Argon2id with the deployment's cost behind a server-wide gate: at most
/// `concurrency` hashes or verifies run at once, each on the blocking pool
/// (19 MiB apiece at the production cost: 200 at once took 5 GB). Up to
/// [`MAX_WAITING_HASHES`] more wait, for at most 30 seconds (a debug build
/// on a busy machine takes seconds a hash); beyond that
/// the caller gets [`AppError::Busy`]. The async workers that serve the
/// door sync never run Argon2.
#[derive(Clone)]
pub struct PasswordHashing {
    params: Params,
    gate: Arc<HashGate>,
    /// The hash every login of an unknown name is verified against, so it
    /// costs what a real account's login costs.
    dummy: Arc<OnceCell<String>>,
}

struct HashGate {
    permits: Arc<Semaphore>,
    concurrency: usize,
    waiting: AtomicUsize,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    done: Arc<AtomicUsize>,
}

/// Decrements a counter when dropped (also when a request is cancelled).
struct Counted<'a>(&'a AtomicUsize);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PasswordHashing {
    /// OWASP's recommendation for Argon2id: 19 MiB, 2 iterations; half the
    /// cores (at least one) may hash at once.
    pub fn production() -> Self {
        let half_the_cores = std::thread::available_parallelism()
            .map(|n| n.get() / 2)
            .unwrap_or(1)
            .max(1);
        Self::new(Params::default(), half_the_cores)
    }

    /// For tests only: fast, and still Argon2id.
    pub fn fast_for_tests() -> Self {
        Self::for_tests(256, 2)
    }

    /// For tests only: Argon2id over `memory_kib`, one pass, `concurrency`
    /// at once.
    pub fn for_tests(memory_kib: u32, concurrency: usize) -> Self {
        Self::new(
            Params::new(memory_kib.max(8), 1, 1, None).unwrap_or_default(),
            concurrency,
        )
    }

    fn new(params: Params, concurrency: usize) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            params,
            gate: Arc::new(HashGate {
                permits: Arc::new(Semaphore::new(concurrency)),
                concurrency,
                waiting: AtomicUsize::new(0),
                running: Arc::new(AtomicUsize::new(0)),
                peak: Arc::new(AtomicUsize::new(0)),
                done: Arc::new(AtomicUsize::new(0)),
            }),
            dummy: Arc::new(OnceCell::new()),
        }
    }

    /// The same cost with another number of hashes at once.
    pub fn with_concurrency(&self, concurrency: usize) -> Self {
        Self::new(self.params.clone(), concurrency)
    }

    /// How many hashes may run at once.
    pub fn concurrency(&self) -> usize {
        self.gate.concurrency
    }

    /// The most hashes and verifies that ever ran at once (for tests and
    /// metrics).
    pub fn peak_concurrency(&self) -> usize {
        self.gate.peak.load(Ordering::SeqCst)
    }

    /// Hashes and verifies done so far (for tests: one per attempt).
    pub fn operations(&self) -> usize {
        self.gate.done.load(Ordering::SeqCst)
    }

    fn argon2(params: &Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
    }

    /// Runs `work` on the blocking pool once the gate lets it through.
    async fn gated<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Argon2<'static>) -> T + Send + 'static,
    ) -> AppResult<T> {
        let gate = &self.gate;
        if gate.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING_HASHES {
            gate.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(AppError::Busy { retry_after: 1 });
        }
        let waiting = Counted(&gate.waiting);
        let permit = tokio::time::timeout(MAX_HASH_WAIT, gate.permits.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Busy { retry_after: 1 })?
            .map_err(|_| AppError::Internal("password gate closed"))?;
        drop(waiting);
        let running = gate.running.clone();
        let peak = gate.peak.clone();
        let done = gate.done.clone();
        let params = self.params.clone();
        // The permit moves into the blocking task: a cancelled request does
        // not stop the hash, so the gate must stay shut until it ends.
        tokio::task::spawn_blocking(move || {
            let now_running = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now_running, Ordering::SeqCst);
            let out = work(&Self::argon2(&params));
            running.fetch_sub(1, Ordering::SeqCst);
            done.fetch_add(1, Ordering::SeqCst);
            drop(permit);
            out
        })
        .await
        .map_err(|_| AppError::Internal("password hashing"))
    }

    /// A fresh Argon2id hash of `password` (through the gate).
    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let password = password.to_owned();
        self.gated(move |argon2| hash_with(argon2, &password))
            .await?
    }

    /// Whether `password` matches `hash` (through the gate).
    pub async fn verify(&self, password: &str, hash: &str) -> AppResult<bool> {
        let (password, hash) = (password.to_owned(), hash.to_owned());
        self.gated(move |argon2| verify_with(argon2, &password, &hash))
            .await
    }

    /// Makes the dummy hash now (at start), so the first unknown login
    /// does not pay for it.
    pub async fn warm_up(&self) -> AppResult<()> {
        self.dummy_hash().await.map(|_| ())
    }

    async fn dummy_hash(&self) -> AppResult<String> {
        self.dummy
            .get_or_try_init(|| self.hash("no account has this password"))
            .await
            .cloned()
    }
}

fn hash_with(argon2: &Argon2<'_>, password: &str) -> AppResult<String> {
    let mut raw = [0u8; 16];
    SystemRandom::new()
        .fill(&mut raw)
        .map_err(|_| AppError::Internal("random"))?;
    let salt = SaltString::encode_b64(&raw).map_err(|_| AppError::Internal("salt"))?;
    argon2
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| AppError::Internal("password hashing"))
}

fn verify_with(argon2: &Argon2<'_>, password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| argon2.verify_password(password.as_bytes(), &parsed).is_ok())
}

pub fn check_password_strength(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::Invalid(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

pub fn token_hash(token: &str) -> Vec<u8> {
    digest(&SHA256, token.as_bytes()).as_ref().to_vec()
}

pub struct Session {
    pub token: String,
    pub expires_at: i64,
    pub role: Role,
    pub account_id: i64,
    /// The password was reset: change it before anything else.
    pub must_change_password: bool,
}

/// A verified login yields a fresh session token; only its hash is stored.
///
/// Every attempt costs one Argon2 verify, against the account's hash or a
/// dummy, and every failure one audit event, so neither the answers nor
/// their timing tell which usernames exist; the limits are charged before
/// the verify (see [`super::limits`]).
pub async fn login(
    app: &App,
    client: IpAddr,
    username: &str,
    password: &str,
) -> AppResult<Session> {
    login_with(app, client, username, password, None).await
}

/// [`login`] for a person in a browser: the session also ends after
/// [`BROWSER_IDLE_SECONDS`] without a request.
pub async fn login_browser(
    app: &App,
    client: IpAddr,
    username: &str,
    password: &str,
) -> AppResult<Session> {
    login_with(app, client, username, password, Some(BROWSER_IDLE_SECONDS)).await
}

async fn login_with(
    app: &App,
    client: IpAddr,
    username: &str,
    password: &str,
    idle_seconds: Option<i64>,
) -> AppResult<Session> {
    let now = app.clock.now();
    let name = Username::parse(username).ok();
    let key = name.as_ref().map_or(username, Username::as_str);
    let attempt = app.limits.password_attempt(key, client, now)?;
    let account = match &name {
        Some(name) => accounts::by_username(&app.db, name.as_str())
            .await?
            .filter(|a| !a.disabled),
        None => None,
    };
    let stored = match &account {
        Some(a) => a.password_hash.clone(),
        None => app.passwords.dummy_hash().await?,
    };
    let verified = app.passwords.verify(password, &stored).await?;
    let mut tx = app.db.begin_write(now).await?;
    let account = match account {
        Some(account) if verified => account,
        other => {
            tx.audit(login_failed(other.as_ref())).await?;
            tx.commit().await?;
            return Err(AppError::BadCredentials);
        }
    };
    attempt.succeeded();
    let mut raw = [0u8; 32];
    SystemRandom::new()
        .fill(&mut raw)
        .map_err(|_| AppError::Internal("random"))?;
    let token = URL_SAFE_NO_PAD.encode(raw);
    let expires_at = now + SESSION_SECONDS;
    accounts::create_session(
        &mut tx,
        &token_hash(&token),
        account.id,
        expires_at,
        idle_seconds,
    )
    .await?;
    accounts::record_login(&mut tx, account.id).await?;
    tx.audit(AuditEvent {
        actor: format!("account:{}", account.id),
        action: "login",
        object_type: "account",
        object_id: account.id.to_string(),
        area_id: account.area_id,
    })
    .await?;
    tx.commit().await?;
    Ok(Session {
        token,
        expires_at,
        role: account.role,
        account_id: account.id,
        must_change_password: account.must_change_password,
    })
}

/// A failed login: of an account, or of a name no (enabled) account has
/// (the event names no name: usernames are personal data).
fn login_failed(account: Option<&accounts::AccountRow>) -> AuditEvent {
    match account {
        Some(a) => AuditEvent {
            actor: format!("account:{}", a.id),
            action: "login.failed",
            object_type: "account",
            object_id: a.id.to_string(),
            area_id: a.area_id,
        },
        None => AuditEvent {
            actor: "anonymous".to_owned(),
            action: "login.failed",
            object_type: "account",
            object_id: "unknown".to_owned(),
            area_id: None,
        },
    }
}

/// The actor behind a bearer token, if the session is live.
pub async fn authenticate(app: &App, token: &str) -> AppResult<Actor> {
    accounts::actor_for_session(&app.db, &token_hash(token), app.clock.now())
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// The actor behind a browser session's token, if the session is live;
/// records the request (at most once a minute) so the idle limit restarts.
pub async fn authenticate_browser(app: &App, token: &str) -> AppResult<Actor> {
    let now = app.clock.now();
    let hash = token_hash(token);
    let session = accounts::live_session(&app.db, &hash, now)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if session
        .last_seen_at
        .is_none_or(|seen| now - seen >= TOUCH_EVERY_SECONDS)
    {
        let mut tx = app.db.begin_write(now).await?;
        accounts::touch_session(&mut tx, &hash).await?;
        tx.commit().await?;
    }
    Ok(session.actor)
}

/// Who a logged-in person is, for their own pages.
pub struct AccountSummary {
    pub username: String,
    pub role: Role,
    /// The area's name (beheerders, owners).
    pub area_name: Option<String>,
}

/// The caller's own account: name, role, area.
pub async fn account_summary(app: &App, actor: &Actor) -> AppResult<AccountSummary> {
    let account = accounts::by_id(&app.db, actor.account_id)
        .await?
        .ok_or(AppError::NotFound("account"))?;
    let area_name = match actor.area_id {
        Some(area_id) => crate::storage::areas::area(&app.db, area_id)
            .await?
            .map(|a| a.name),
        None => None,
    };
    Ok(AccountSummary {
        username: account.username,
        role: account.role,
        area_name,
    })
}

pub async fn logout(app: &App, actor: &Actor, token: &str) -> AppResult<()> {
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    accounts::delete_session(&mut tx, &token_hash(token)).await?;
    tx.audit(AuditEvent {
        actor: actor.audit_name(),
        action: "logout",
        object_type: "account",
        object_id: actor.account_id.to_string(),
        area_id: actor.area_id,
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes the caller's password and ends all their sessions. The current
/// password is checked like a login (same limits, failures audited): a
/// stolen session must not become a way to guess it.
pub async fn change_password(
    app: &App,
    actor: &Actor,
    client: IpAddr,
    current: &str,
    new: &str,
) -> AppResult<()> {
    check_password_strength(new)?;
    let now = app.clock.now();
    let account = accounts::by_id(&app.db, actor.account_id)
        .await?
        .ok_or(AppError::NotFound("account"))?;
    let attempt = app
        .limits
        .password_attempt(&account.username, client, now)?;
    let event = |action| AuditEvent {
        actor: actor.audit_name(),
        action,
        object_type: "account",
        object_id: actor.account_id.to_string(),
        area_id: actor.area_id,
    };
    if !app
        .passwords
        .verify(current, &account.password_hash)
        .await?
    {
        let mut tx = app.db.begin_write(now).await?;
        tx.audit(event("password.change.failed")).await?;
        tx.commit().await?;
        return Err(AppError::BadCredentials);
    }
    attempt.succeeded();
    let new_hash = app.passwords.hash(new).await?;
    let mut tx = app.db.begin_write(now).await?;
    accounts::set_password(&mut tx, actor.account_id, &new_hash).await?;
    accounts::delete_sessions_of(&mut tx, actor.account_id).await?;
    tx.audit(event("password.change")).await?;
    tx.commit().await?;
    Ok(())
}

/// What [`canonicalise_usernames`] did to accounts made before usernames
/// were canonical.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct UsernameMigration {
    /// Accounts whose username was rewritten to its canonical form.
    pub renamed: Vec<i64>,
    /// Accounts disabled because another account holds (or was given) the
    /// same canonical name: the one already canonical, else the oldest,
    /// keeps it.
    pub disabled: Vec<i64>,
    /// Accounts whose username cannot be made canonical (invisible
    /// characters): disabled.
    pub refused: Vec<i64>,
}

/// Brings accounts from before canonical usernames in line; run at start.
/// Renames are audited; look-alike duplicates are disabled (audited), and
/// their sessions end, so no two live accounts share a canonical name.
pub async fn canonicalise_usernames(app: &App) -> AppResult<UsernameMigration> {
    let mut report = UsernameMigration::default();
    let all = accounts::all(&app.db).await?;
    let canonical = |a: &accounts::AccountRow| {
        Username::parse(&a.username).is_ok_and(|u| u.as_str() == a.username)
    };
    // Disabled accounts cannot log in: they are left as they are (and
    // running this again changes nothing).
    if all.iter().all(|a| a.disabled || canonical(a)) {
        return Ok(report);
    }
    let mut taken: std::collections::HashSet<String> = all
        .iter()
        .filter(|a| canonical(a))
        .map(|a| a.username.clone())
        .collect();
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let event = |action, a: &accounts::AccountRow| AuditEvent {
        actor: "system".to_owned(),
        action,
        object_type: "account",
        object_id: a.id.to_string(),
        area_id: a.area_id,
    };
    // `all` is in id order: the oldest look-alike gets the name.
    for a in all.iter().filter(|a| !a.disabled) {
        match Username::parse(&a.username) {
            Ok(u) if u.as_str() == a.username => {}
            Ok(u) if taken.insert(u.as_str().to_owned()) => {
                accounts::set_username(&mut tx, a.id, u.as_str()).await?;
                tx.audit(event("account.username.canonical", a)).await?;
                report.renamed.push(a.id);
            }
            parsed => {
                accounts::disable(&mut tx, a.id).await?;
                accounts::delete_sessions_of(&mut tx, a.id).await?;
                tx.audit(event("account.disable", a)).await?;
                if parsed.is_ok() {
                    report.disabled.push(a.id);
                } else {
                    report.refused.push(a.id);
                }
            }
        }
    }
    tx.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let h = PasswordHashing::fast_for_tests();
        let hash = h.hash("correct horse battery").await.unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            h.verify("correct horse battery", &hash)
                .await
                .unwrap_or(false)
        );
        assert!(!h.verify("wrong", &hash).await.unwrap_or(true));
        assert!(!h.verify("x", "not a hash").await.unwrap_or(true));
    }

    #[tokio::test]
    async fn the_dummy_hash_is_made_once() {
        let h = PasswordHashing::fast_for_tests();
        h.warm_up().await.unwrap_or_default();
        let first = h.dummy_hash().await.unwrap_or_default();
        assert_eq!(h.dummy_hash().await.unwrap_or_default(), first);
        assert!(first.starts_with("$argon2id$"));
    }
}
