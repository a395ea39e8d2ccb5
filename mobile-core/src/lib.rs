//! cho-core: the shared core of the CHO door check.
//!
//! The door apps (Kotlin, Swift) and the server link this one crate, so both
//! sides read MRZs, canonicalise identities, hash tokens and encode lists in
//! exactly the same way. `IDENTITY.md` beside this crate explains the
//! identity rules; `ffi` is what the apps see.

pub mod checker;
pub mod counts;
pub mod dates;
pub mod device;
pub mod ffi;
pub mod fingerprint;
pub mod identity;
pub mod list_format;
pub mod mrz;
pub mod names;
pub mod store;

uniffi::setup_scaffolding!();
