//! Property tests for the MRZ reader: it must never panic on whatever the
//! door phone's OCR hands over, never quote the input in an error, and read
//! back every valid generated passport MRZ.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cho_core::mrz::{MrzFormat, parse};
// Check digits computed outside the crate, so the reader is checked
// independently.
use cho_testkit::mrz::{ICAO_TD1, ICAO_TD2, check_digit as cd, pad, td3};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Td3Fields {
    state: String,
    surname: Vec<String>,
    given: Vec<String>,
    document_number: String,
    nationality: String,
    birth: String,
    sex: char,
    expiry: String,
    personal: String,
}

impl Td3Fields {
    fn name_field(&self) -> String {
        format!("{}<<{}", self.surname.join("<"), self.given.join("<"))
    }

    fn text(&self) -> String {
        td3(
            &format!("P<{}{}", pad(&self.state, 3), self.name_field()),
            &self.document_number,
            &self.nationality,
            &self.birth,
            self.sex,
            &self.expiry,
            &self.personal,
        )
    }
}

fn date() -> impl Strategy<Value = String> {
    (0u32..100, 1u32..=12, 1u32..=31).prop_map(|(y, m, d)| {
        let max = match m {
            2 => 29,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        format!("{y:02}{m:02}{:02}", d.min(max))
    })
}

fn words(max_words: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[A-Z]{1,8}", 1..=max_words)
}

prop_compose! {
    fn td3_fields()(
        state in "[A-Z]{1,3}",
        surname in words(2),
        given in prop::collection::vec("[A-Z]{1,5}", 0..=3),
        document_number in "[A-Z0-9]{1}[A-Z0-9<]{0,7}[A-Z0-9]{0,1}",
        nationality in "[A-Z]{1,3}",
        birth in date(),
        sex in prop::sample::select(vec!['M', 'F', '<', 'X']),
        expiry in date(),
        personal in "[0-9<]{0,14}",
    ) -> Td3Fields {
        Td3Fields {
            state,
            surname,
            given,
            document_number,
            nationality,
            birth,
            sex,
            expiry,
            personal,
        }
    }
}

fn valid_mrz() -> impl Strategy<Value = String> {
    prop_oneof![
        td3_fields().prop_map(|f| f.text()),
        Just(ICAO_TD1.to_owned()),
        Just(ICAO_TD2.to_owned()),
    ]
}

/// Error messages may hold numbers and fixed lowercase words, never input.
fn assert_message_quotes_nothing(message: &str) {
    assert!(
        !message
            .replace("MRZ", "")
            .chars()
            .any(|c| c.is_ascii_uppercase() || c == '<' || !c.is_ascii()),
        "{message}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_strings(text in any::<String>()) {
        if let Err(e) = parse(&text) {
            assert_message_quotes_nothing(&e.to_string());
        }
    }

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn never_panics_on_mrz_like_strings(text in "[A-Za-z0-9< \r\n]{0,200}") {
        if let Err(e) = parse(&text) {
            assert_message_quotes_nothing(&e.to_string());
        }
    }

    #[test]
    fn never_panics_on_mutated_mrzs(
        text in valid_mrz(),
        index in any::<prop::sample::Index>(),
        with in prop::sample::select(vec![
            'A', 'Z', 'O', '0', '1', '9', '<', ' ', '\n', '\r', '\t', 'a', 'é', 'ß', '€', '#',
        ]),
        delete in any::<bool>(),
    ) {
        let mut chars: Vec<char> = text.chars().collect();
        let i = index.index(chars.len());
        if delete {
            chars.remove(i);
        } else {
            chars[i] = with;
        }
        let mutated: String = chars.into_iter().collect();
        if let Err(e) = parse(&mutated) {
            assert_message_quotes_nothing(&e.to_string());
        }
    }

    #[test]
    fn valid_td3_parses_back(fields in td3_fields()) {
        let mrz = parse(&fields.text()).unwrap();
        prop_assert_eq!(mrz.format, MrzFormat::Td3);
        prop_assert_eq!(&mrz.document_code, "P");
        prop_assert_eq!(&mrz.issuing_state, &fields.state);
        prop_assert_eq!(&mrz.document_number, fields.document_number.trim_end_matches('<'));
        prop_assert_eq!(&mrz.surname, &fields.surname.join(" "));
        prop_assert_eq!(&mrz.given_names, &fields.given.join(" "));
        prop_assert_eq!(&mrz.nationality, &fields.nationality);
        prop_assert_eq!(&mrz.birth_date, &fields.birth);
        prop_assert_eq!(&mrz.expiry_date, &fields.expiry);
        let sex = if fields.sex == '<' { 'X' } else { fields.sex };
        prop_assert_eq!(mrz.sex, sex.to_string());
        prop_assert!(mrz.surname_complete);
        prop_assert!(!mrz.name_truncated);
    }

    #[test]
    fn valid_td3_survives_ocr_noise(fields in td3_fields(), crlf in any::<bool>(), lower in any::<bool>()) {
        let clean = parse(&fields.text()).unwrap();
        let mut noisy: String = fields
            .text()
            .split('\n')
            .map(|l| format!("  {}   ", l.trim_end_matches('<')))
            .collect::<Vec<_>>()
            .join(if crlf { "\r\n\n" } else { "\n" });
        if lower {
            noisy = noisy.to_lowercase();
        }
        prop_assert!(parse(&noisy).unwrap() == clean);
    }
}

proptest! {
    /// The public check digit helper agrees with the independent one above.
    #[test]
    fn public_check_digit_matches(field in "[A-Z0-9<]{0,40}") {
        prop_assert_eq!(cho_core::mrz::check_digit_of(&field), cd(&field));
    }
}
