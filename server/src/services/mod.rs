//! The application: what each caller may do, in terms of the domain and the
//! storage. HTTP handlers and the command line call these and nothing else.

pub mod admin;
pub mod auth;
pub mod bans;
pub mod devices;
pub mod keys;
pub mod lists;
pub mod retention;

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::domain::ban::BanRuleError;
use crate::domain::protocol::ProtocolError;
use crate::secrets::{MasterKey, Secrets, SecretsError};
use crate::storage::{Db, StorageError};

/// Everything a request needs.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub secrets: Arc<Secrets>,
    pub clock: SharedClock,
    pub passwords: auth::PasswordHashing,
    pub metrics: crate::http::metrics::Metrics,
    pub unknown_logins: auth::UnknownLogins,
    /// The address phones reach this server at, from configuration (put in
    /// enrolment links and QR codes; never from a request's headers).
    pub public_url: String,
    pub sync_cache: devices::SyncCache,
}

impl App {
    pub fn master_key(&self) -> &MasterKey {
        &self.secrets.master
    }
}

/// The application's one error type; the HTTP edge maps each variant to a
/// status and a stable code. Messages never contain personal data.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("authentication required")]
    Unauthenticated,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many failed logins: try again in {retry_after} seconds")]
    LoginThrottled { retry_after: i64 },
    #[error("not allowed for this account")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The venue is not admitted under the area's permit today (or the
    /// permit is not valid): no codes, enrolment, list or key.
    #[error("the venue is not admitted under a valid permit of the area today")]
    NotAdmitted,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    BanRule(#[from] BanRuleError),
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error("storage failure")]
    Storage(#[source] StorageError),
    #[error("key failure")]
    Secrets(#[from] SecretsError),
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl From<StorageError> for AppError {
    fn from(e: StorageError) -> Self {
        if e.is_constraint_violation() {
            Self::Conflict(
                "conflicts with existing data (duplicate or invalid reference)".to_owned(),
            )
        } else {
            Self::Storage(e)
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
