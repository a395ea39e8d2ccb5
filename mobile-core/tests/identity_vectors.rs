//! Replays `vectors/identity.json`, the identity contract's test vectors:
//! the tokens Rust computes must be exactly the ones listed, and each listed
//! token must be the HMAC of its written-out canonical message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cho_core::ffi::{TokenStrength, identity_tokens, mrz_identity_tokens};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    contract: String,
    key_hex: String,
    /// The key check value list headers carry (list format 2).
    key_check_hex: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    input: Input,
    tokens: Vec<Token>,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Input {
    Manual {
        surname: String,
        given_names: String,
        birth_date: String,
    },
    Mrz {
        mrz: String,
        today: String,
    },
}

#[derive(Deserialize)]
struct Token {
    message: String,
    token_hex: String,
    strength: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn identity_vectors_replay() {
    let vectors: Vectors =
        serde_json::from_str(include_str!("vectors/identity.json")).expect("identity.json parses");
    assert_eq!(vectors.contract, "CHO-ID/1");
    let key = unhex(&vectors.key_hex);
    let hmac_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    assert_eq!(
        hex(&cho_core::identity::IdentityKey::from_bytes(&key)
            .unwrap()
            .check_value()),
        vectors.key_check_hex
    );
    assert_eq!(
        hex(&ring::hmac::sign(&hmac_key, b"CHO-KCV/1").as_ref()[..8]),
        vectors.key_check_hex
    );
    assert!(vectors.cases.len() >= 10);
    for case in &vectors.cases {
        let produced = match &case.input {
            Input::Manual {
                surname,
                given_names,
                birth_date,
            } => identity_tokens(
                key.clone(),
                surname.clone(),
                given_names.clone(),
                birth_date.clone(),
            ),
            Input::Mrz { mrz, today } => {
                mrz_identity_tokens(key.clone(), mrz.clone(), today.clone())
            }
        }
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let produced: Vec<(String, &str)> = produced
            .iter()
            .map(|t| {
                let strength = match t.strength {
                    TokenStrength::Banned => "banned",
                    TokenStrength::PossibleMatch => "possible_match",
                };
                (hex(&t.token), strength)
            })
            .collect();
        let expected: Vec<(String, &str)> = case
            .tokens
            .iter()
            .map(|t| (t.token_hex.clone(), t.strength.as_str()))
            .collect();
        assert_eq!(produced, expected, "{}", case.name);
        for token in &case.tokens {
            let tag = ring::hmac::sign(&hmac_key, token.message.as_bytes());
            assert_eq!(hex(&tag.as_ref()[..16]), token.token_hex, "{}", case.name);
        }
    }
}
