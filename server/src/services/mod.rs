//! The application: what each caller may do, in terms of the domain and the
//! storage. HTTP handlers, web pages and the command line call these and
//! nothing else: permission checks, SQL and audit events live here and
//! below, never in a handler.
//!
//! This module never uses `crate::http` (the skins depend on the services,
//! not the other way round); `server/tests/api/seam.rs` checks it.

pub mod accounts;
pub mod admin;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod bans;
pub mod complaints;
pub mod devices;
pub mod door_counts;
pub mod health;
pub mod keys;
pub mod letters;
pub mod limits;
pub mod lists;
pub mod look;
pub mod metrics;
pub mod municipality;
pub mod overview;
pub mod owner;
pub mod propagation;
pub mod public;
pub mod records;
pub mod retention;
pub mod signing;
pub mod statistics;
pub mod subject_requests;
pub mod sync_cache;
pub mod views;

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::domain::ban::BanRuleError;
use crate::domain::look::LookError;
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
    pub metrics: metrics::Metrics,
    /// The attempt limits for logins, password changes and enrolment.
    pub limits: limits::Limits,
    /// Proxies whose X-Forwarded-For names the client (`--trusted-proxy`).
    pub trusted_proxies: crate::proxies::TrustedProxies,
    /// The address phones reach this server at, from configuration (put in
    /// enrolment links and QR codes; never from a request's headers).
    pub public_url: String,
    pub sync_cache: sync_cache::SyncCache,
    /// Where and how often audit checkpoints are written.
    pub checkpoints: audit::CheckpointConfig,
    /// `--max-clock-skew`: how far this server's clock may be behind an
    /// area's latest list before it refuses to publish (seconds).
    pub max_clock_skew: i64,
    /// Raised while publication is refused because the clock is behind.
    pub list_clock: lists::ListClockAlarm,
    /// The deployment's name and contact (`--deployment-name`,
    /// `--contact-email`): the pages' footer and default look.
    pub deployment: look::Deployment,
    /// Publication on commit, the version watch and the waiting doors
    /// (wired to `db`'s commit hook by `crate::app`).
    pub propagation: propagation::Propagation,
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
    /// A door device's credential that was revoked (by its owner, the
    /// beheerder, or the venue's withdrawal): the door wipes its keys and
    /// list. An unknown credential stays [`AppError::Unauthenticated`].
    #[error("this door device was revoked: enrol it again with a new code")]
    DeviceRevoked,
    #[error("too many failed logins: try again in {retry_after} seconds")]
    LoginThrottled { retry_after: i64 },
    #[error("too many attempts: try again in {retry_after} seconds")]
    TooManyAttempts { retry_after: i64 },
    #[error("the server is busy: try again in {retry_after} seconds")]
    Busy { retry_after: i64 },
    #[error("not allowed for this account")]
    Forbidden,
    /// The account's password was reset: only a password change, `me` and
    /// logout are allowed until it chooses a new one.
    #[error("the password was reset: change it first")]
    PasswordChangeRequired,
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
    /// A municipality's colour or logo refused (the pages name which
    /// check failed; the API answers `invalid` with the same message).
    #[error(transparent)]
    Look(#[from] LookError),
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

/// Serialises a date as people and JSON clients read it: `YYYY-MM-DD`.
pub fn iso_date<S: serde::Serializer>(date: &time::Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&cho_core::dates::format_iso_date(*date))
}

/// [`iso_date`] for an optional date (`null` when absent).
pub fn optional_iso_date<S: serde::Serializer>(
    date: &Option<time::Date>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match date {
        Some(d) => iso_date(d, s),
        None => s.serialize_none(),
    }
}
