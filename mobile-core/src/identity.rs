//! The identity contract: how a person becomes 16-byte tokens.
//!
//! The server hashes a banned person's identity into *ban tokens*; the door
//! hashes the person in front of it into *probes*; a probe that equals a ban
//! token on the list is a hit. Both sides call this module, so they can never
//! hash differently. The rules, and why, are in `IDENTITY.md`:
//!
//! - `full`: canonical surname + all given names + birth date. Only a hit of
//!   a full probe from complete name data on a full ban token says
//!   **banned**; twins who share surname and birth date differ here.
//! - `initial`: surname + first initial + birth date, and `prefix`: the first
//!   [`SURNAME_PREFIX_LETTERS`] letters of the surname + birth date. These
//!   catch names that a TD1 card truncated, or that door staff typed
//!   incompletely, and say **possible match**: verify the document.

use ring::hmac;
use time::Date;
use zeroize::Zeroizing;

use crate::dates::{self, DateError};
use crate::mrz::Mrz;
use crate::names::{self, NameError};

/// Length of an identity token in bytes: with 16 bytes a false match stays
/// below 1e-12 even on a list of a million entries.
pub const TOKEN_LEN: usize = 16;

/// Letters of the surname that the `prefix` token keeps. A surname that a
/// TD1 card cut off fills 30 positions and so has far more letters than
/// this; a shorter surname is never cut and needs no prefix token.
pub const SURNAME_PREFIX_LETTERS: usize = 12;

/// Domain separation: the version of this contract. Changing any rule in
/// this module means a new label and new lists.
const CONTRACT: &[u8] = b"CHO-ID/1";

/// Length of a key check value (see [`IdentityKey::check_value`]).
pub const KEY_CHECK_LEN: usize = 8;

/// What the key check value is an HMAC of: a label no canonical identity
/// form can equal (those start with [`CONTRACT`]).
const KEY_CHECK_LABEL: &[u8] = b"CHO-KCV/1";

/// An area's identity key for one epoch: 32 random bytes.
///
/// The raw bytes are held in a buffer that is wiped on drop. ring's HMAC key
/// (the expanded key schedule) offers no way to wipe it; it is freed with
/// the rest, and that limit is accepted.
#[derive(Clone)]
pub struct IdentityKey(hmac::Key, Zeroizing<[u8; 32]>);

impl IdentityKey {
    pub const LEN: usize = 32;

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        let mut raw = Zeroizing::new([0u8; 32]);
        if bytes.len() != Self::LEN {
            return Err(IdentityError::KeyLength);
        }
        raw.copy_from_slice(bytes);
        Ok(Self(hmac::Key::new(hmac::HMAC_SHA256, &raw[..]), raw))
    }

    /// A fresh random key, for a new area or a new epoch.
    pub fn generate(rng: &dyn ring::rand::SecureRandom) -> Result<Self, IdentityError> {
        let mut raw = Zeroizing::new([0u8; 32]);
        rng.fill(&mut raw[..]).map_err(|_| IdentityError::Random)?;
        Self::from_bytes(&raw[..])
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.1
    }

    /// The key check value lists carry: the first 8 bytes of
    /// HMAC-SHA256(key, "CHO-KCV/1"). It tells a wrong key from the right
    /// one (a wrong key would make every probe miss, silently) and reveals
    /// nothing about tokens.
    pub fn check_value(&self) -> [u8; KEY_CHECK_LEN] {
        let tag = hmac::sign(&self.0, KEY_CHECK_LABEL);
        let mut out = [0u8; KEY_CHECK_LEN];
        out.copy_from_slice(&tag.as_ref()[..KEY_CHECK_LEN]);
        out
    }

    /// Whether two keys are the same bytes (for "a known epoch's key is
    /// never replaced silently").
    pub fn same_as(&self, other: &IdentityKey) -> bool {
        // Every byte is compared, whatever the first difference.
        self.1
            .iter()
            .zip(other.1.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl std::fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentityKey(..)")
    }
}

/// A 16-byte token: the truncated HMAC of one canonical identity form.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdentityToken(pub [u8; TOKEN_LEN]);

impl std::fmt::Debug for IdentityToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Tokens are pseudonymous personal data: not printed.
        f.write_str("IdentityToken(..)")
    }
}

/// How strongly a hit on a token identifies the person. Ordered: `Banned`
/// is stronger than `PossibleMatch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchStrength {
    PossibleMatch = 1,
    Banned = 2,
}

impl MatchStrength {
    pub fn to_byte(self) -> u8 {
        self as u8
    }

    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::PossibleMatch),
            2 => Some(Self::Banned),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Date(#[from] DateError),
    #[error("identity key must be 32 bytes")]
    KeyLength,
    #[error("no random bytes available")]
    Random,
}

/// How much of the name the source shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameCompleteness {
    /// Surname and all given names.
    Complete,
    /// The surname is whole but the given names may be cut (TD1 truncation).
    GivenNamesTruncated,
    /// Even the surname may be cut.
    SurnameTruncated,
}

/// One canonical spelling of a person's name (A-Z only).
#[derive(Clone, PartialEq, Eq)]
struct CanonicalName {
    surname: String,
    given_names: String,
}

/// A person as the identity contract sees them: canonical spellings, how
/// complete they are, and the birth date. Holds personal data: no `Debug`.
pub struct Identity {
    names: Vec<CanonicalName>,
    completeness: NameCompleteness,
    birth_date: Date,
}

/// One token to look up at the door, and the strongest verdict a hit on it
/// may give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    pub token: IdentityToken,
    pub confidence: MatchStrength,
}

impl Identity {
    /// From a manual entry: any spelling with diacritics, and the birth date
    /// as `YYYY-MM-DD`. Typed names are taken as complete.
    pub fn from_manual(
        surname: &str,
        given_names: &str,
        birth_date: &str,
    ) -> Result<Self, IdentityError> {
        let surnames = names::canonical_forms(surname, "surname", false)?;
        let givens = names::canonical_forms(given_names, "given names", true)?;
        let birth_date = dates::parse_iso_date(birth_date, "birth date")?;
        let names = surnames
            .iter()
            .flat_map(|s| {
                givens.iter().map(move |g| CanonicalName {
                    surname: s.clone(),
                    given_names: g.clone(),
                })
            })
            .collect();
        Ok(Self {
            names,
            completeness: NameCompleteness::Complete,
            birth_date,
        })
    }

    /// From an MRZ read on `today`, which resolves the two-digit birth year.
    pub fn from_mrz(mrz: &Mrz, today: Date) -> Result<Self, IdentityError> {
        let completeness = if !mrz.surname_complete {
            NameCompleteness::SurnameTruncated
        } else if mrz.name_truncated {
            NameCompleteness::GivenNamesTruncated
        } else {
            NameCompleteness::Complete
        };
        Ok(Self {
            names: vec![CanonicalName {
                surname: names::canonical_mrz_name(&mrz.surname),
                given_names: names::canonical_mrz_name(&mrz.given_names),
            }],
            completeness,
            birth_date: dates::resolve_birth_date(&mrz.birth_date, today)?,
        })
    }

    /// From names and birth date stored at issue time (the server re-hashes
    /// them when an area's key rotates): typed names, or the words an MRZ
    /// printed. `name_truncated` is the MRZ reader's flag; without given
    /// names a truncated MRZ name field held only (part of) the surname.
    pub fn from_stored(
        surname: &str,
        given_names: &str,
        birth_date: &str,
        name_truncated: bool,
    ) -> Result<Self, IdentityError> {
        let mut identity = Self::from_manual(surname, given_names, birth_date)?;
        identity.completeness = match (name_truncated, given_names.trim().is_empty()) {
            (false, _) => NameCompleteness::Complete,
            (true, true) => NameCompleteness::SurnameTruncated,
            (true, false) => NameCompleteness::GivenNamesTruncated,
        };
        Ok(identity)
    }

    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    pub fn completeness(&self) -> NameCompleteness {
        self.completeness
    }

    /// The tokens a ban of this person puts on the list, with the strength
    /// each may give, sorted and without duplicates.
    pub fn ban_tokens(&self, key: &IdentityKey) -> Vec<(IdentityToken, MatchStrength)> {
        let mut tokens: Vec<(IdentityToken, MatchStrength)> = self
            .probes(key)
            .into_iter()
            .map(|p| (p.token, p.confidence))
            .collect();
        tokens.sort();
        tokens.dedup_by_key(|(token, _)| *token);
        tokens
    }

    /// The tokens to look up for this person at the door, each with the
    /// strongest verdict a hit may give. A ban's tokens are exactly its
    /// probes: what one side hashes, the other side finds.
    pub fn probes(&self, key: &IdentityKey) -> Vec<Probe> {
        let birth = dates::format_iso_date(self.birth_date);
        let mut probes = Vec::new();
        for name in &self.names {
            match self.completeness {
                NameCompleteness::Complete => {
                    probes.push(Probe {
                        token: token(key, "full", &[&name.surname, &name.given_names, &birth]),
                        confidence: MatchStrength::Banned,
                    });
                    probes.extend(initial_probe(key, name, &birth));
                }
                NameCompleteness::GivenNamesTruncated => {
                    probes.extend(initial_probe(key, name, &birth));
                }
                NameCompleteness::SurnameTruncated => {}
            }
            probes.extend(prefix_probe(key, name, &birth));
        }
        probes
    }
}

fn initial_probe(key: &IdentityKey, name: &CanonicalName, birth: &str) -> Option<Probe> {
    let initial = name.given_names.get(..1)?;
    Some(Probe {
        token: token(key, "initial", &[&name.surname, initial, birth]),
        confidence: MatchStrength::PossibleMatch,
    })
}

fn prefix_probe(key: &IdentityKey, name: &CanonicalName, birth: &str) -> Option<Probe> {
    let prefix = name.surname.get(..SURNAME_PREFIX_LETTERS)?;
    Some(Probe {
        token: token(key, "prefix", &[prefix, birth]),
        confidence: MatchStrength::PossibleMatch,
    })
}

/// The message that is hashed: contract, kind and fields, each followed by
/// a NUL so no two field splits produce the same bytes. Public so test
/// vectors can show it and other platforms can recompute it.
pub fn token_message(kind: &str, fields: &[&str]) -> Vec<u8> {
    let mut message = Vec::with_capacity(64);
    message.extend_from_slice(CONTRACT);
    message.push(0);
    message.extend_from_slice(kind.as_bytes());
    for field in fields {
        message.push(0);
        message.extend_from_slice(field.as_bytes());
    }
    message
}

fn token(key: &IdentityKey, kind: &str, fields: &[&str]) -> IdentityToken {
    let tag = hmac::sign(&key.0, &token_message(kind, fields));
    let mut out = [0u8; TOKEN_LEN];
    out.copy_from_slice(&tag.as_ref()[..TOKEN_LEN]);
    IdentityToken(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 28);

    fn key() -> IdentityKey {
        IdentityKey::from_bytes(&[7u8; 32]).unwrap()
    }

    fn mrz_identity(
        surname: &str,
        given: &str,
        birth: &str,
        truncated: bool,
        surname_complete: bool,
    ) -> Identity {
        Identity {
            names: vec![CanonicalName {
                surname: names::canonical_mrz_name(surname),
                given_names: names::canonical_mrz_name(given),
            }],
            completeness: if !surname_complete {
                NameCompleteness::SurnameTruncated
            } else if truncated {
                NameCompleteness::GivenNamesTruncated
            } else {
                NameCompleteness::Complete
            },
            birth_date: dates::resolve_birth_date(birth, TODAY).unwrap(),
        }
    }

    /// The strongest verdict the door would give `door` against a list
    /// holding `ban`'s tokens.
    fn best_hit(ban: &Identity, door: &Identity) -> Option<MatchStrength> {
        let list = ban.ban_tokens(&key());
        door.probes(&key())
            .iter()
            .filter_map(|p| {
                list.iter()
                    .find(|(t, _)| *t == p.token)
                    .map(|(_, strength)| (*strength).min(p.confidence))
            })
            .max()
    }

    #[test]
    fn manual_entry_matches_mrz_in_every_icao_form() {
        let ban = Identity::from_manual("Müller", "Jürgen", "1990-05-01").unwrap();
        let passport = mrz_identity("MUELLER", "JUERGEN", "900501", false, true);
        let other_state = mrz_identity("MULLER", "JURGEN", "900501", false, true);
        assert_eq!(best_hit(&ban, &passport), Some(MatchStrength::Banned));
        assert_eq!(best_hit(&ban, &other_state), Some(MatchStrength::Banned));
        let typed_plain = Identity::from_manual("MUELLER", "juergen", "1990-05-01").unwrap();
        assert_eq!(best_hit(&ban, &typed_plain), Some(MatchStrength::Banned));
    }

    #[test]
    fn twins_are_never_banned_for_each_other() {
        let ban = Identity::from_manual("de Vries", "Jan Pieter", "2001-03-04").unwrap();
        let twin_same_initial = Identity::from_manual("de Vries", "Johan", "2001-03-04").unwrap();
        let twin_other_initial = Identity::from_manual("de Vries", "Kees", "2001-03-04").unwrap();
        assert_eq!(
            best_hit(&ban, &twin_same_initial),
            Some(MatchStrength::PossibleMatch)
        );
        assert_eq!(best_hit(&ban, &twin_other_initial), None);
        // Given names that are a prefix of the other's are still another person.
        let twin_prefix = Identity::from_manual("de Vries", "Jan", "2001-03-04").unwrap();
        assert_eq!(
            best_hit(&ban, &twin_prefix),
            Some(MatchStrength::PossibleMatch)
        );
        let stranger = Identity::from_manual("de Vries", "Jan Pieter", "2001-03-05").unwrap();
        assert_eq!(best_hit(&ban, &stranger), None);
    }

    #[test]
    fn td1_truncation_never_misses_and_never_says_banned() {
        // Passport (TD3) has room for the whole name; the ID card cut it.
        let ban = mrz_identity(
            "VAN DEN BERGHE VAN ZUYLEN",
            "JOHANNES PETRUS",
            "851224",
            false,
            true,
        );
        let id_card = mrz_identity("VAN DEN BERGHE VAN ZUYLEN", "JOH", "851224", true, true);
        assert_eq!(best_hit(&ban, &id_card), Some(MatchStrength::PossibleMatch));
        // A truncated card's brother, whose name would also cut to JOH.
        let brother_ban = mrz_identity("VAN DEN BERGHE VAN ZUYLEN", "JOHAN", "851224", false, true);
        assert_eq!(
            best_hit(&brother_ban, &id_card),
            Some(MatchStrength::PossibleMatch)
        );
        // Even the surname cut off: the prefix still finds the ban.
        let cut_surname =
            mrz_identity("VAN DEN BERGHE VAN ZUYLEN TOT H", "", "851224", true, false);
        assert_eq!(
            best_hit(&ban, &cut_surname),
            Some(MatchStrength::PossibleMatch)
        );
        // A ban issued from the truncated card is found by the passport, as
        // a possible match.
        assert_eq!(best_hit(&id_card, &ban), Some(MatchStrength::PossibleMatch));
    }

    #[test]
    fn a_truncated_card_matching_exactly_is_still_only_possible() {
        // The twin named JAN is banned; the other twin's card truncated
        // JANNEKE... to JAN. Never "banned".
        let ban = mrz_identity("BERG", "JAN", "851224", false, true);
        let card = mrz_identity("BERG", "JAN", "851224", true, true);
        assert_eq!(best_hit(&ban, &card), Some(MatchStrength::PossibleMatch));
    }

    #[test]
    fn tokens_depend_on_key_and_contract() {
        let person = Identity::from_manual("Jansen", "Piet", "1999-12-31").unwrap();
        let other_key = IdentityKey::from_bytes(&[8u8; 32]).unwrap();
        let a = person.ban_tokens(&key());
        let b = person.ban_tokens(&other_key);
        assert!(a.iter().all(|t| !b.contains(t)));
        assert_eq!(
            token_message("full", &["AB", "C"]),
            b"CHO-ID/1\0full\0AB\0C".to_vec()
        );
        assert_ne!(
            token_message("full", &["A", "BC"]),
            token_message("full", &["AB", "C"])
        );
    }

    #[test]
    fn ban_tokens_are_sorted_and_unique() {
        let person = Identity::from_manual("Öztürk", "Ümit", "1980-01-02").unwrap();
        let tokens = person.ban_tokens(&key());
        // 4 surname forms x 2 given-name forms full, initials: U for both
        // given forms per surname form, no prefix (surname < 12 letters).
        assert!(tokens.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(
            tokens
                .iter()
                .filter(|t| t.1 == MatchStrength::Banned)
                .count(),
            8
        );
        assert_eq!(
            tokens
                .iter()
                .filter(|t| t.1 == MatchStrength::PossibleMatch)
                .count(),
            4
        );
    }

    #[test]
    fn stored_mrz_names_hash_as_they_did_from_the_mrz() {
        for (surname, given, truncated, complete) in [
            ("DE BRUIJN", "WILLEKE LISELOTTE", false, true),
            ("VAN DEN BERGHE", "JOHANNES PETRU", true, true),
            ("WOLFESCHLEGELSTEINHAUSENBERGE", "", true, false),
        ] {
            let from_mrz = mrz_identity(surname, given, "851224", truncated, complete);
            let stored = Identity::from_stored(surname, given, "1985-12-24", truncated).unwrap();
            assert_eq!(
                from_mrz.ban_tokens(&key()),
                stored.ban_tokens(&key()),
                "{surname}"
            );
            assert_eq!(from_mrz.completeness(), stored.completeness());
        }
    }

    #[test]
    fn debug_output_hides_secrets() {
        assert_eq!(format!("{:?}", key()), "IdentityKey(..)");
        assert_eq!(format!("{:?}", IdentityToken([1; 16])), "IdentityToken(..)");
        assert!(IdentityKey::from_bytes(&[1; 31]).is_err());
    }
}
