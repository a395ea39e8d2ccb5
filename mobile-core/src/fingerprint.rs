//! The fingerprint of a deployment's list-signing key: how a door knows,
//! at enrolment, that the key it is handed is the deployment's and not one
//! slipped in by whoever sits between the phone and the server (the venue's
//! Wi-Fi, a captive portal). No trust on first use: the owner's page shows
//! the fingerprint beside the code, and the `cho-enrol:` link carries it.
//!
//! The fingerprint is the first 20 bytes of SHA-256 over a label and the
//! 32-byte Ed25519 public key, written in RFC 4648 base32 (A-Z, 2-7): 32
//! characters in a link. People type the first 12 characters (60 bits), in
//! groups of four: `ABCD-EFGH-JKLM`. Finding another key with the same 60
//! bits takes about 2^60 key generations, far beyond anyone's reach in the
//! 15 minutes a code lives (or in years).
//!
//! The server shows fingerprints with these functions and the door checks
//! them with [`matches`]: one rule, one place.

use ring::digest;

/// Length of the full fingerprint in a `cho-enrol:` link.
pub const FULL_LEN: usize = 32;
/// Characters a person types beside a code (without the dashes).
pub const SHORT_LEN: usize = 12;

/// Domain separation: this hash means "the fingerprint of a list-signing
/// key", never anything else computed over the same bytes.
const LABEL: &[u8] = b"cho-signing-key-fingerprint/1\0";
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FingerprintError {
    #[error(
        "a key fingerprint has {SHORT_LEN} characters (as shown beside the code) or {FULL_LEN} (in a link), not {0}"
    )]
    Length(usize),
    #[error("a key fingerprint holds only the letters A-Z and the digits 2-7")]
    Character,
}

/// The full fingerprint: 32 base32 characters, upper case.
pub fn fingerprint(public_key: &[u8]) -> String {
    let mut input = Vec::with_capacity(LABEL.len() + public_key.len());
    input.extend_from_slice(LABEL);
    input.extend_from_slice(public_key);
    let hash = digest::digest(&digest::SHA256, &input);
    base32(&hash.as_ref()[..20])
}

/// The part a person types, grouped for reading aloud: `ABCD-EFGH-JKLM`.
pub fn short_fingerprint(public_key: &[u8]) -> String {
    let full = fingerprint(public_key);
    full.as_bytes()[..SHORT_LEN]
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Whether `given` (full or short, any case, with or without dashes or
/// spaces) is the fingerprint of `public_key`. People misread base32's
/// missing digits as letters, so 0, 1 and 8 are read as O, I and B.
pub fn matches(public_key: &[u8], given: &str) -> Result<bool, FingerprintError> {
    let given = normalise(given)?;
    let full = fingerprint(public_key);
    Ok(match given.len() {
        FULL_LEN => given == full,
        SHORT_LEN => given == full[..SHORT_LEN],
        other => return Err(FingerprintError::Length(other)),
    })
}

/// Upper case without separators, misread digits mapped to their letters.
pub fn normalise(given: &str) -> Result<String, FingerprintError> {
    let mut out = String::with_capacity(FULL_LEN);
    for c in given.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            '0' => 'O',
            '1' => 'I',
            '8' => 'B',
            c if c.is_ascii_uppercase() || ('2'..='7').contains(&c) => c,
            _ => return Err(FingerprintError::Character),
        };
        out.push(c);
    }
    Ok(out)
}

/// RFC 4648 base32 without padding; 20 bytes give exactly 32 characters.
fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn base32_follows_rfc_4648() {
        // RFC 4648 section 10 test vectors (without padding).
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"fo"), "MZXQ");
        assert_eq!(base32(b"foo"), "MZXW6");
        assert_eq!(base32(b"foob"), "MZXW6YQ");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }

    #[test]
    fn the_full_fingerprint_has_32_characters_and_the_short_one_is_its_start() {
        let full = fingerprint(&KEY);
        assert_eq!(full.len(), FULL_LEN);
        let short = short_fingerprint(&KEY);
        assert_eq!(short.len(), SHORT_LEN + 2);
        assert_eq!(short.replace('-', ""), full[..SHORT_LEN]);
    }

    #[test]
    fn typed_fingerprints_match_in_any_case_and_grouping() {
        let short = short_fingerprint(&KEY);
        assert_eq!(matches(&KEY, &short), Ok(true));
        assert_eq!(matches(&KEY, &short.to_lowercase()), Ok(true));
        assert_eq!(matches(&KEY, &short.replace('-', " ")), Ok(true));
        assert_eq!(matches(&KEY, &fingerprint(&KEY)), Ok(true));
    }

    #[test]
    fn another_key_does_not_match() {
        let other = [8u8; 32];
        assert_eq!(matches(&other, &short_fingerprint(&KEY)), Ok(false));
        assert_eq!(matches(&other, &fingerprint(&KEY)), Ok(false));
    }

    #[test]
    fn misread_digits_are_read_as_letters() {
        assert_eq!(normalise("o0-i1-b8").as_deref(), Ok("OOIIBB"));
    }

    #[test]
    fn a_wrong_length_or_character_is_an_error_not_a_mismatch() {
        assert_eq!(matches(&KEY, "ABCD"), Err(FingerprintError::Length(4)));
        assert_eq!(
            matches(&KEY, "ABCD-EFGH-JKL9"),
            Err(FingerprintError::Character)
        );
        assert_eq!(matches(&KEY, ""), Err(FingerprintError::Length(0)));
    }
}
