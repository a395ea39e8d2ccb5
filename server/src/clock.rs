//! Time, injected: the server asks a `Clock` for "now", so expiry,
//! retention, sessions and lockouts are tested without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::Date;

pub trait Clock: Send + Sync {
    /// Unix seconds.
    fn now(&self) -> i64;

    /// The calendar day in the Netherlands, which decides when a ban ends.
    fn today(&self) -> Date {
        // The door and the server share one rule for "which day is it".
        cho_core::dates::door_date(self.now()).unwrap_or(Date::MIN)
    }
}

pub type SharedClock = Arc<dyn Clock>;

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }
}

/// A clock tests set and advance by hand.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(now: i64) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(now)))
    }

    pub fn set(&self, now: i64) {
        self.0.store(now, Ordering::SeqCst);
    }

    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
