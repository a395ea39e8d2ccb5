//! Login, sessions, logout, password change; slow-down and lockout after
//! failed logins.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};

use super::{App, AppError, AppResult};
use crate::domain::audit::AuditEvent;
use crate::domain::roles::{Actor, Role};
use crate::storage::accounts;

/// A session lasts 12 hours: a night at the door or an office day.
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// From the third failure each attempt waits twice as long (1 s, 2 s, ...).
const SLOW_DOWN_AFTER: i64 = 3;
/// The tenth failure locks the account for 15 minutes.
const LOCKOUT_AFTER: i64 = 10;
const LOCKOUT_SECONDS: i64 = 15 * 60;
pub const MIN_PASSWORD_CHARS: usize = 12;

/// When the next login may be tried after `failed` consecutive failures.
pub fn next_login_at(failed: i64, now: i64) -> i64 {
    if failed >= LOCKOUT_AFTER {
        now + LOCKOUT_SECONDS
    } else if failed >= SLOW_DOWN_AFTER {
        now + (1 << (failed - SLOW_DOWN_AFTER).min(6))
    } else {
        now
    }
}

/// Argon2id with the deployment's cost; tests use a cheap cost.
#[derive(Clone)]
pub struct PasswordHashing {
    params: Params,
}

impl PasswordHashing {
    /// OWASP's recommendation for Argon2id: 19 MiB, 2 iterations.
    pub fn production() -> Self {
        Self {
            params: Params::default(),
        }
    }

    /// For tests only: fast, and still Argon2id.
    pub fn fast_for_tests() -> Self {
        Self {
            params: Params::new(256, 1, 1, None).unwrap_or_default(),
        }
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub fn hash(&self, password: &str) -> AppResult<String> {
        let mut raw = [0u8; 16];
        SystemRandom::new()
            .fill(&mut raw)
            .map_err(|_| AppError::Internal("random"))?;
        let salt = SaltString::encode_b64(&raw).map_err(|_| AppError::Internal("salt"))?;
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|_| AppError::Internal("password hashing"))
    }

    pub fn verify(&self, password: &str, hash: &str) -> bool {
        PasswordHash::new(hash).is_ok_and(|parsed| {
            self.argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    }
}

/// Failed-login counters for usernames that do not exist, in memory (per
/// server instance), so they throttle exactly like real accounts.
#[derive(Clone, Default)]
pub struct UnknownLogins {
    counters: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, (i64, i64)>>>,
}

/// Bound on remembered unknown names; beyond it the oldest state is dropped
/// wholesale (a flood of random names gains nothing from that).
const MAX_UNKNOWN_NAMES: usize = 10_000;

impl UnknownLogins {
    fn attempt(&self, username: &str, now: i64) -> AppResult<()> {
        let mut counters = self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if counters.len() >= MAX_UNKNOWN_NAMES && !counters.contains_key(username) {
            counters.clear();
        }
        let (failed, next_at) = counters.entry(username.to_owned()).or_insert((0, 0));
        if *next_at > now {
            return Err(AppError::LoginThrottled {
                retry_after: *next_at - now,
            });
        }
        *failed += 1;
        *next_at = next_login_at(*failed, now);
        Ok(())
    }
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
}

/// A verified login yields a fresh session token; only its hash is stored.
pub async fn login(app: &App, username: &str, password: &str) -> AppResult<Session> {
    let now = app.clock.now();
    let account = accounts::by_username(&app.db, username).await?;
    let Some(account) = account.filter(|a| !a.disabled) else {
        // An unknown name is throttled like a real account, and costs the
        // same effort, so neither the answers nor their timing tell which
        // usernames exist.
        app.unknown_logins.attempt(username, now)?;
        let hashing = app.passwords.clone();
        let dummy = hashing.hash("dummy password for timing")?;
        let _ = tokio::task::spawn_blocking(move || hashing.verify("x", &dummy)).await;
        return Err(AppError::BadCredentials);
    };
    // Claim the attempt before checking the password: re-read the counters
    // in a write transaction (writers are serialised) and count the attempt
    // as failed until the password proves otherwise, so parallel guesses
    // cannot all pass the throttle on one stale read.
    let mut claim = app.db.begin_write(now).await?;
    let (failed_so_far, next_at) = accounts::login_counters(&mut claim, account.id).await?;
    if next_at > now {
        return Err(AppError::LoginThrottled {
            retry_after: next_at - now,
        });
    }
    let failed = failed_so_far + 1;
    accounts::record_login(&mut claim, account.id, failed, next_login_at(failed, now)).await?;
    claim.commit().await?;
    let hashing = app.passwords.clone();
    let password = password.to_owned();
    let stored = account.password_hash.clone();
    let ok = tokio::task::spawn_blocking(move || hashing.verify(&password, &stored))
        .await
        .map_err(|_| AppError::Internal("password check"))?;
    let mut tx = app.db.begin_write(now).await?;
    let event = |action| AuditEvent {
        actor: format!("account:{}", account.id),
        action,
        object_type: "account",
        object_id: account.id.to_string(),
        area_id: account.area_id,
    };
    if !ok {
        tx.audit(event("login.failed")).await?;
        tx.commit().await?;
        return Err(AppError::BadCredentials);
    }
    let mut raw = [0u8; 32];
    SystemRandom::new()
        .fill(&mut raw)
        .map_err(|_| AppError::Internal("random"))?;
    let token = URL_SAFE_NO_PAD.encode(raw);
    let expires_at = now + SESSION_SECONDS;
    accounts::record_login(&mut tx, account.id, 0, now).await?;
    accounts::create_session(&mut tx, &token_hash(&token), account.id, expires_at).await?;
    tx.audit(event("login")).await?;
    tx.commit().await?;
    Ok(Session {
        token,
        expires_at,
        role: account.role,
        account_id: account.id,
    })
}

/// The actor behind a bearer token, if the session is live.
pub async fn authenticate(app: &App, token: &str) -> AppResult<Actor> {
    accounts::actor_for_session(&app.db, &token_hash(token), app.clock.now())
        .await?
        .ok_or(AppError::Unauthenticated)
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

/// Changes the caller's password and ends all their sessions.
pub async fn change_password(app: &App, actor: &Actor, current: &str, new: &str) -> AppResult<()> {
    check_password_strength(new)?;
    let account = accounts::by_id(&app.db, actor.account_id)
        .await?
        .ok_or(AppError::NotFound("account"))?;
    let hashing = app.passwords.clone();
    let (current, stored, new) = (
        current.to_owned(),
        account.password_hash.clone(),
        new.to_owned(),
    );
    let new_hash = tokio::task::spawn_blocking(move || {
        if hashing.verify(&current, &stored) {
            hashing.hash(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(|_| AppError::Internal("password check"))??
    .ok_or(AppError::BadCredentials)?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    accounts::set_password(&mut tx, actor.account_id, &new_hash).await?;
    accounts::delete_sessions_of(&mut tx, actor.account_id).await?;
    tx.audit(AuditEvent {
        actor: actor.audit_name(),
        action: "password.change",
        object_type: "account",
        object_id: actor.account_id.to_string(),
        area_id: actor.area_id,
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_logins_slow_down_then_lock() {
        assert_eq!(next_login_at(1, 100), 100);
        assert_eq!(next_login_at(2, 100), 100);
        assert_eq!(next_login_at(3, 100), 101);
        assert_eq!(next_login_at(4, 100), 102);
        assert_eq!(next_login_at(9, 100), 164);
        assert_eq!(next_login_at(10, 100), 100 + 900);
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = PasswordHashing::fast_for_tests();
        let hash = h.hash("correct horse battery").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(h.verify("correct horse battery", &hash));
        assert!(!h.verify("wrong", &hash));
        assert!(!h.verify("x", "not a hash"));
    }
}
