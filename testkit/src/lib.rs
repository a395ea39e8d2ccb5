//! Test support for every crate of the workspace, and only for tests (each
//! crate takes it as a dev-dependency): a throwaway PostgreSQL 15
//! ([`postgres`]), MRZ specimens with check digits computed here, not by
//! cho-core ([`mrz`]), the demo's people and logins ([`people`]), and one
//! blocking HTTP client for tests that talk to a real server ([`http`]), a
//! graceful stop of a process ([`process`]);
//! behind the `browser` feature (only the `tests` crate enables it), a
//! headless chromium with axe-core for the page tests ([`browser`]); behind
//! the `foreign` feature, the bindings generated from the cho-core cdylib and
//! the Python and Kotlin (JVM) tools that run programs on them ([`foreign`]).
//!
//! It depends on neither cho-core nor cho-server, so cho-core's own tests
//! can use it and an MRZ built here checks the core's reader independently.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "browser")]
pub mod browser;
#[cfg(feature = "foreign")]
pub mod foreign;
pub mod http;
pub mod mrz;
pub mod people;
pub mod postgres;
pub mod process;
