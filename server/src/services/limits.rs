//! The attempt limits that keep guessing slow, in one place for the three
//! doors a guesser knocks on: logins, password changes (both "password
//! checks") and enrolment codes.
//!
//! Everything is in memory, per server instance, on the app's clock (so the
//! tests advance time instead of sleeping). Password checks are limited
//! three ways, all charged *before* the Argon2 verify and given back when
//! the password turns out right, so parallel guesses cannot all slip past
//! one stale count, and only failures (and checks in flight) cost anything:
//!
//! - per (username, client address): the backoff of [`next_attempt_at`]
//!   (from the third failure each try waits twice as long, the tenth locks
//!   for 15 minutes). Keyed by the address too, so an attacker at one
//!   address cannot lock the real user out at theirs.
//! - per client address, over every username: a guesser at one address
//!   gains nothing by spreading guesses over many names.
//! - overall: a distributed guesser is slowed too, and a flood costs at
//!   most this many Argon2 checks a minute however many addresses it has.
//!
//! Enrolment attempts are limited per client address (every attempt
//! counts, hit or miss; configurable, so a benchmark can enrol thousands of
//! doors from one address).
//!
//! The tables are bounded: state that has run out (a bucket filled up
//! again, a backoff forgotten) is dropped first; when the table is still
//! full, the least telling quarter of the entries goes (the fewest
//! failures, the smallest debt), never the whole table, so inventing names
//! or addresses cannot wipe out the state that slows a real attack.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};

use super::AppError;

/// From the third failure each attempt waits twice as long (1 s, 2 s, ...).
const SLOW_DOWN_AFTER: u32 = 3;
/// The tenth failure locks (the pair, not the account) for 15 minutes.
const LOCKOUT_AFTER: u32 = 10;
const LOCKOUT_SECONDS: i64 = 15 * 60;
/// A (username, address) pair's failures are forgotten a day after the last
/// one (a success forgets them at once).
const FORGET_FAILURES_AFTER: i64 = 24 * 3600;

/// When the next attempt may be made after `failed` consecutive failures.
pub fn next_attempt_at(failed: u32, now: i64) -> i64 {
    if failed >= LOCKOUT_AFTER {
        now + LOCKOUT_SECONDS
    } else if failed >= SLOW_DOWN_AFTER {
        now + (1i64 << (failed - SLOW_DOWN_AFTER).min(6))
    } else {
        now
    }
}

/// A rate: `burst` at once, then `per_minute` (spread evenly).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub per_minute: u32,
}

impl Rate {
    pub const fn per_minute(n: u32) -> Self {
        Self {
            burst: n,
            per_minute: n,
        }
    }

    /// Milliseconds between two attempts at the sustained rate.
    fn interval_ms(self) -> i64 {
        60_000 / i64::from(self.per_minute.max(1))
    }
}

/// The limits of one server instance.
#[derive(Clone, Debug)]
pub struct LimitSettings {
    /// Failed password checks (logins and password changes) from one client
    /// address, over every username.
    pub password_per_address: Rate,
    /// Failed password checks on this instance, from everywhere.
    pub password_overall: Rate,
    /// Enrolment attempts (hits and misses) from one client address.
    pub enrol_per_address: Rate,
    /// Entries each table keeps at most.
    pub table_capacity: usize,
}

/// Default of `--enrol-attempts-per-minute`.
pub const DEFAULT_ENROL_PER_MINUTE: u32 = 20;

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            password_per_address: Rate {
                burst: 20,
                per_minute: 10,
            },
            password_overall: Rate {
                burst: 200,
                per_minute: 600,
            },
            enrol_per_address: Rate::per_minute(DEFAULT_ENROL_PER_MINUTE),
            table_capacity: 100_000,
        }
    }
}

/// The key a client address is limited under: IPv6 by its /64, which one
/// subscriber usually holds whole (one address each would be free to get).
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// What a table entry says about how much it still matters.
trait Standing {
    /// Nothing left to remember: the entry may go.
    fn spent(&self, now_ms: i64) -> bool;
    /// How much the entry restrains its key; the least go first when full.
    fn weight(&self, now_ms: i64) -> i64;
}

/// A bounded map from keys to state (see the module doc).
struct Table<K, S> {
    entries: HashMap<K, S>,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, S: Standing + Default> Table<K, S> {
    fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            capacity: capacity.max(4),
        }
    }

    fn get(&self, key: &K) -> Option<&S> {
        self.entries.get(key)
    }

    fn get_mut(&mut self, key: &K) -> Option<&mut S> {
        self.entries.get_mut(key)
    }

    /// The entry for `key`, made (room permitting) when new.
    fn entry(&mut self, key: &K, now_ms: i64) -> &mut S {
        if !self.entries.contains_key(key) && self.entries.len() >= self.capacity {
            self.make_room(now_ms);
        }
        self.entries.entry(key.clone()).or_default()
    }

    fn remove(&mut self, key: &K) {
        self.entries.remove(key);
    }

    fn make_room(&mut self, now_ms: i64) {
        self.entries.retain(|_, s| !s.spent(now_ms));
        if self.entries.len() < self.capacity {
            return;
        }
        // Still full of live state: drop the least telling quarter.
        let mut weights: Vec<i64> = self.entries.values().map(|s| s.weight(now_ms)).collect();
        let cut = weights.len() / 4;
        let (_, threshold, _) = weights.select_nth_unstable(cut);
        let threshold = *threshold;
        let mut to_drop = cut + 1;
        self.entries.retain(|_, s| {
            if to_drop > 0 && s.weight(now_ms) <= threshold {
                to_drop -= 1;
                false
            } else {
                true
            }
        });
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// A token bucket as its "theoretical arrival time" (GCRA): the bucket is
/// full when `tat <= now`; each attempt moves `tat` one interval on.
#[derive(Default, Clone, Copy)]
struct Bucket {
    tat_ms: i64,
}

impl Bucket {
    /// Takes one attempt, or says how many seconds until one is free.
    fn take(&mut self, rate: Rate, now_ms: i64) -> Result<(), i64> {
        let t = rate.interval_ms();
        let tat = self.tat_ms.max(now_ms);
        let allowed_from = tat - t * i64::from(rate.burst.saturating_sub(1));
        if now_ms < allowed_from {
            return Err(seconds_until(allowed_from - now_ms));
        }
        self.tat_ms = tat + t;
        Ok(())
    }

    /// Whether [`take`](Self::take) would succeed.
    fn check(&self, rate: Rate, now_ms: i64) -> Result<(), i64> {
        let mut copy = *self;
        copy.take(rate, now_ms)
    }

    /// Gives an attempt back (a password proved right).
    fn give_back(&mut self, rate: Rate) {
        self.tat_ms -= rate.interval_ms();
    }
}

impl Standing for Bucket {
    fn spent(&self, now_ms: i64) -> bool {
        self.tat_ms <= now_ms
    }

    fn weight(&self, now_ms: i64) -> i64 {
        self.tat_ms - now_ms
    }
}

/// Whole seconds (at least 1) for a Retry-After.
fn seconds_until(ms: i64) -> i64 {
    (ms.max(1) + 999) / 1000
}

/// Consecutive failures of one (username, address) pair.
#[derive(Default, Clone, Copy)]
struct Backoff {
    failures: u32,
    next_at: i64,
    last_failure_at: i64,
}

impl Standing for Backoff {
    fn spent(&self, now_ms: i64) -> bool {
        let now = now_ms / 1000;
        self.next_at <= now && now - self.last_failure_at >= FORGET_FAILURES_AFTER
    }

    fn weight(&self, _: i64) -> i64 {
        i64::from(self.failures)
    }
}

/// Why a password check may not happen now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This pair or this address must wait (429).
    Throttled { retry_after: i64 },
    /// The instance as a whole takes no more guesses for now (503).
    Busy { retry_after: i64 },
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Throttled { retry_after } => AppError::LoginThrottled { retry_after },
            Refusal::Busy { retry_after } => AppError::Busy { retry_after },
        }
    }
}

struct PasswordState {
    pairs: Table<(String, IpAddr), Backoff>,
    addresses: Table<IpAddr, Bucket>,
    overall: Bucket,
}

/// Enrolment misses and throttled attempts not yet in the audit trail.
#[derive(Default)]
pub struct EnrolFailures {
    pub misses: u64,
    pub throttled: u64,
    pub last_written_at: Option<i64>,
}

/// The limits and their state (cheap to clone: shared).
#[derive(Clone)]
pub struct Limits {
    settings: Arc<LimitSettings>,
    passwords: Arc<Mutex<PasswordState>>,
    enrolments: Arc<Mutex<Table<IpAddr, Bucket>>>,
    enrol_failures: Arc<Mutex<EnrolFailures>>,
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(LimitSettings::default())
    }
}

/// A password check that has been charged as a failure; [`succeeded`]
/// gives it back. Dropped without that (a wrong password, an error, a
/// cancelled request), the failure stands.
///
/// [`succeeded`]: PasswordAttempt::succeeded
#[must_use = "call succeeded() when the password is right"]
pub struct PasswordAttempt {
    limits: Limits,
    pair: (String, IpAddr),
}

impl PasswordAttempt {
    pub fn succeeded(self) {
        let rates = &self.limits.settings;
        let mut state = self.limits.lock_passwords();
        state.pairs.remove(&self.pair);
        if let Some(bucket) = state.addresses.get_mut(&self.pair.1) {
            bucket.give_back(rates.password_per_address);
        }
        state.overall.give_back(rates.password_overall);
    }
}

impl Limits {
    pub fn new(settings: LimitSettings) -> Self {
        let capacity = settings.table_capacity;
        Self {
            settings: Arc::new(settings),
            passwords: Arc::new(Mutex::new(PasswordState {
                pairs: Table::new(capacity),
                addresses: Table::new(capacity),
                overall: Bucket::default(),
            })),
            enrolments: Arc::new(Mutex::new(Table::new(capacity))),
            enrol_failures: Arc::new(Mutex::new(EnrolFailures::default())),
        }
    }

    pub fn settings(&self) -> &LimitSettings {
        &self.settings
    }

    fn lock_passwords(&self) -> std::sync::MutexGuard<'_, PasswordState> {
        // The state stays consistent at every await-free step, so a
        // panicked holder leaves nothing half-done.
        self.passwords
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Claims a password check for `username` (its canonical form, or the
    /// text as typed when it cannot be a username) from `client`, charged
    /// as a failure until [`PasswordAttempt::succeeded`].
    pub fn password_attempt(
        &self,
        username: &str,
        client: IpAddr,
        now: i64,
    ) -> Result<PasswordAttempt, Refusal> {
        let now_ms = now.saturating_mul(1000);
        let address = address_key(client);
        // Only the first 100 characters key the pair: no username is
        // longer, and a long invented one must not cost memory.
        let name: String = username.chars().take(100).collect();
        let pair = (name, address);
        let rates = &self.settings;
        let mut state = self.lock_passwords();
        if let Some(b) = state.pairs.get(&pair)
            && b.next_at > now
        {
            return Err(Refusal::Throttled {
                retry_after: b.next_at - now,
            });
        }
        if let Some(bucket) = state.addresses.get(&address) {
            bucket
                .check(rates.password_per_address, now_ms)
                .map_err(|retry_after| Refusal::Throttled { retry_after })?;
        }
        state
            .overall
            .take(rates.password_overall, now_ms)
            .map_err(|retry_after| Refusal::Busy { retry_after })?;
        // The address's bucket was checked above, under the same lock.
        let _ = state
            .addresses
            .entry(&address, now_ms)
            .take(rates.password_per_address, now_ms);
        let backoff = state.pairs.entry(&pair, now_ms);
        backoff.failures = backoff.failures.saturating_add(1);
        backoff.next_at = next_attempt_at(backoff.failures, now);
        backoff.last_failure_at = now;
        drop(state);
        Ok(PasswordAttempt {
            limits: self.clone(),
            pair,
        })
    }

    /// Counts an enrolment attempt from `client`; Err(seconds to wait).
    pub fn enrol_attempt(&self, client: IpAddr, now: i64) -> Result<(), i64> {
        let now_ms = now.saturating_mul(1000);
        let mut table = self
            .enrolments
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        table
            .entry(&address_key(client), now_ms)
            .take(self.settings.enrol_per_address, now_ms)
    }

    /// The enrolment failures not yet audited.
    pub fn enrol_failures(&self) -> std::sync::MutexGuard<'_, EnrolFailures> {
        self.enrol_failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7));

    fn settings() -> LimitSettings {
        LimitSettings {
            password_per_address: Rate {
                burst: 1000,
                per_minute: 1000,
            },
            password_overall: Rate {
                burst: 1000,
                per_minute: 1000,
            },
            ..LimitSettings::default()
        }
    }

    #[test]
    fn failures_slow_down_then_lock() {
        assert_eq!(next_attempt_at(1, 100), 100);
        assert_eq!(next_attempt_at(2, 100), 100);
        assert_eq!(next_attempt_at(3, 100), 101);
        assert_eq!(next_attempt_at(4, 100), 102);
        assert_eq!(next_attempt_at(9, 100), 164);
        assert_eq!(next_attempt_at(10, 100), 100 + 900);
        assert_eq!(next_attempt_at(u32::MAX, 100), 100 + 900);
    }

    #[test]
    fn a_pair_locked_at_one_address_is_free_at_another() {
        let limits = Limits::new(settings());
        let mut now = 1_000;
        for _ in 0..10 {
            loop {
                match limits.password_attempt("kroon", A, now) {
                    Ok(_) => break,
                    Err(Refusal::Throttled { retry_after }) => now += retry_after,
                    Err(e) => panic!("{e:?}"),
                }
            }
        }
        assert_eq!(
            limits.password_attempt("kroon", A, now).err(),
            Some(Refusal::Throttled { retry_after: 900 })
        );
        // The same user, elsewhere: at once, and a success forgets.
        limits
            .password_attempt("kroon", B, now)
            .unwrap()
            .succeeded();
        limits
            .password_attempt("kroon", B, now)
            .unwrap()
            .succeeded();
        assert!(limits.password_attempt("kroon", A, now).is_err());
    }

    #[test]
    fn an_address_is_limited_over_every_name() {
        let limits = Limits::new(LimitSettings {
            password_per_address: Rate {
                burst: 5,
                per_minute: 6,
            },
            ..settings()
        });
        let now = 1_000;
        for n in 0..5 {
            let _failed = limits
                .password_attempt(&format!("name{n}"), A, now)
                .unwrap();
        }
        assert_eq!(
            limits.password_attempt("name99", A, now).err(),
            Some(Refusal::Throttled { retry_after: 10 })
        );
        // Another address is not affected; time refills the bucket.
        let _ = limits.password_attempt("name99", B, now).unwrap();
        let _ = limits.password_attempt("name99", A, now + 10).unwrap();
        assert!(limits.password_attempt("name98", A, now + 10).is_err());
    }

    #[test]
    fn successes_are_given_back() {
        let limits = Limits::new(LimitSettings {
            password_per_address: Rate {
                burst: 2,
                per_minute: 1,
            },
            password_overall: Rate {
                burst: 2,
                per_minute: 1,
            },
            ..settings()
        });
        for _ in 0..50 {
            limits.password_attempt("kroon", A, 5).unwrap().succeeded();
        }
    }

    #[test]
    fn the_overall_limit_spans_addresses() {
        let limits = Limits::new(LimitSettings {
            password_overall: Rate {
                burst: 3,
                per_minute: 60,
            },
            ..settings()
        });
        for n in 0..3u8 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, n));
            let _ = limits.password_attempt("kroon", ip, 0).unwrap();
        }
        assert_eq!(
            limits.password_attempt("kroon", B, 0).err(),
            Some(Refusal::Busy { retry_after: 1 })
        );
        let _ = limits.password_attempt("kroon", B, 1).unwrap();
    }

    #[test]
    fn ipv6_is_limited_by_its_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(address_key(mapped), A);
    }

    #[test]
    fn inventing_names_cannot_flush_a_lockout() {
        let limits = Limits::new(LimitSettings {
            table_capacity: 100,
            ..settings()
        });
        let mut now = 0;
        // The real user's pair at the attacker's address: locked.
        for _ in 0..10 {
            while let Err(Refusal::Throttled { retry_after }) =
                limits.password_attempt("kroon", A, now)
            {
                now += retry_after;
            }
        }
        assert!(limits.password_attempt("kroon", A, now).is_err());
        // Ten thousand invented names later, the lockout stands and the
        // table stays bounded.
        for n in 0..10_000 {
            let _ = limits.password_attempt(&format!("x{n}"), A, now);
        }
        assert!(matches!(
            limits.password_attempt("kroon", A, now),
            Err(Refusal::Throttled { .. })
        ));
        assert!(limits.lock_passwords().pairs.len() <= 100);
    }

    #[test]
    fn spent_state_is_dropped_first() {
        let mut table: Table<u32, Bucket> = Table::new(4);
        let rate = Rate::per_minute(60);
        for k in 0..4 {
            table.entry(&k, 0).take(rate, 0).unwrap();
        }
        // A second later every bucket is full again: all may go.
        table.entry(&9, 1000).take(rate, 1000).unwrap();
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn enrolment_attempts_per_address() {
        let limits = Limits::new(LimitSettings {
            enrol_per_address: Rate::per_minute(3),
            ..settings()
        });
        for _ in 0..3 {
            limits.enrol_attempt(A, 0).unwrap();
        }
        assert_eq!(limits.enrol_attempt(A, 0), Err(20));
        limits.enrol_attempt(B, 0).unwrap();
        limits.enrol_attempt(A, 20).unwrap();
    }
}
