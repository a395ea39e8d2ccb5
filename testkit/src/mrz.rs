//! MRZ specimens (ICAO 9303 TD1, TD2, TD3) with correct check digits,
//! computed here so that a test never trusts the reader it tests.
//!
//! The low-level builders take each field as printed (YYMMDD dates, `<` for
//! spaces) and pad it with fillers; [`passport`] and [`id_card`] make the
//! Dutch documents the stories use, carrying the BSN-shaped [`BSN`] that the
//! reader must discard.

/// The ICAO 9303 part 4 TD3 specimen (Anna Maria Eriksson, Utopia).
pub const ICAO_TD3: &str = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n\
                            L898902C36UTO7408122F1204159ZE184226B<<<<<10";
/// The ICAO 9303 part 5 TD1 specimen.
pub const ICAO_TD1: &str = "I<UTOD231458907<<<<<<<<<<<<<<<\n\
                            7408122F1204159UTO<<<<<<<<<<<6\n\
                            ERIKSSON<<ANNA<MARIA<<<<<<<<<<";
/// The ICAO 9303 part 6 TD2 specimen.
pub const ICAO_TD2: &str = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\n\
                            D231458907UTO7408122F1204159<<<<<<<6";

/// The BSN-shaped personal number every Dutch specimen carries (a valid
/// "elfproef" number reserved for tests).
pub const BSN: &str = "999999990";

/// ICAO 9303 check digit: weights 7, 3, 1 repeating; digits count as
/// themselves, A-Z as 10-35, `<` as 0. Panics on any other character, so a
/// lowercase field in a test is caught here rather than hashed.
pub fn check_digit(field: &str) -> char {
    let weights = [7, 3, 1];
    let mut sum = 0u32;
    for (i, c) in field.chars().enumerate() {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            '<' => 0,
            _ => panic!("not an MRZ character: {c:?}"),
        };
        sum += value * weights[i % 3];
    }
    char::from_digit(sum % 10, 10).expect("a digit")
}

/// `s` followed by fillers up to `n` characters; panics when it does not fit.
pub fn pad(s: &str, n: usize) -> String {
    assert!(s.chars().count() <= n, "field too long for {n}: {s}");
    let fill = n - s.chars().count();
    format!("{s}{}", "<".repeat(fill))
}

/// The name field `SURNAME<<GIVEN<NAMES`: spaces become fillers, letters are
/// upper-cased (the caller keeps ICAO transliteration in its own hands).
pub fn name_field(surname: &str, given_names: &str) -> String {
    let mrz = |s: &str| s.to_uppercase().replace(' ', "<");
    format!("{}<<{}", mrz(surname), mrz(given_names))
}

/// A TD3 (passport, 2 x 44) with correct check digits. `head` is line 1:
/// document code, issuing state and name (padded to 44); `nat` the
/// nationality (padded to 3); dates YYMMDD.
pub fn td3(
    head: &str,
    doc: &str,
    nat: &str,
    birth: &str,
    sex: char,
    expiry: &str,
    personal: &str,
) -> String {
    let doc = pad(doc, 9);
    let personal = pad(personal, 14);
    let doc_part = format!("{doc}{}", check_digit(&doc));
    let birth_part = format!("{birth}{}", check_digit(birth));
    let expiry_part = format!(
        "{expiry}{}{personal}{}",
        check_digit(expiry),
        check_digit(&personal)
    );
    let composite = check_digit(&format!("{doc_part}{birth_part}{expiry_part}"));
    let line2 = format!(
        "{doc_part}{}{birth_part}{sex}{expiry_part}{composite}",
        pad(nat, 3)
    );
    assert_eq!(line2.chars().count(), 44, "TD3 line 2: {line2}");
    format!("{}\n{line2}", pad(head, 44))
}

/// A TD2 (2 x 36) with correct check digits. `head` is line 1 (code, state,
/// name; padded to 36); `optional` the optional data (padded to 7).
pub fn td2(
    head: &str,
    doc: &str,
    nat: &str,
    birth: &str,
    sex: char,
    expiry: &str,
    optional: &str,
) -> String {
    let doc = pad(doc, 9);
    let optional = pad(optional, 7);
    let doc_part = format!("{doc}{}", check_digit(&doc));
    let birth_part = format!("{birth}{}", check_digit(birth));
    let expiry_part = format!("{expiry}{}{optional}", check_digit(expiry));
    let composite = check_digit(&format!("{doc_part}{birth_part}{expiry_part}"));
    let line2 = format!(
        "{doc_part}{}{birth_part}{sex}{expiry_part}{composite}",
        pad(nat, 3)
    );
    assert_eq!(line2.chars().count(), 36, "TD2 line 2: {line2}");
    format!("{}\n{line2}", pad(head, 36))
}

/// A TD1 (identity card, 3 x 30) with correct check digits. `code_state` is
/// line 1 positions 1-5 (`I<NLD`); `optional1` the optional data after the
/// document number (where older Dutch cards carry the BSN); `name` line 3,
/// cut at 30 characters as the card cuts it.
#[allow(clippy::too_many_arguments)]
pub fn td1(
    code_state: &str,
    doc: &str,
    optional1: &str,
    birth: &str,
    sex: char,
    expiry: &str,
    nat: &str,
    optional2: &str,
    name: &str,
) -> String {
    let doc = pad(doc, 9);
    let line1_tail = format!("{doc}{}{}", check_digit(&doc), pad(optional1, 15));
    let line1 = format!("{code_state}{line1_tail}");
    let birth_part = format!("{birth}{}", check_digit(birth));
    let expiry_part = format!("{expiry}{}", check_digit(expiry));
    let optional2 = pad(optional2, 11);
    let composite = check_digit(&format!("{line1_tail}{birth_part}{expiry_part}{optional2}"));
    let line2 = format!(
        "{birth_part}{sex}{expiry_part}{}{optional2}{composite}",
        pad(nat, 3)
    );
    assert_eq!(line1.chars().count(), 30, "TD1 line 1: {line1}");
    assert_eq!(line2.chars().count(), 30, "TD1 line 2: {line2}");
    let name: String = name.chars().take(30).collect();
    format!("{line1}\n{line2}\n{}", pad(&name, 30))
}

/// A Dutch passport (TD3, document `SPECI2014`, sex F) carrying [`BSN`].
/// `surname` and `given` as printed, spaces allowed; dates YYMMDD.
pub fn passport(surname: &str, given: &str, birth: &str, expiry: &str) -> String {
    td3(
        &format!("P<NLD{}", name_field(surname, given)),
        "SPECI2014",
        "NLD",
        birth,
        'F',
        expiry,
        BSN,
    )
}

/// A Dutch identity card (TD1, document `SPECI2021`, sex F) carrying [`BSN`]
/// on line 1; a name longer than 30 characters is cut, as on the card.
pub fn id_card(surname: &str, given: &str, birth: &str, expiry: &str) -> String {
    td1(
        "I<NLD",
        "SPECI2021",
        BSN,
        birth,
        'F',
        expiry,
        "NLD",
        "",
        &name_field(surname, given),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_of_the_icao_examples() {
        assert_eq!(check_digit("L898902C3"), '6');
        assert_eq!(check_digit("740812"), '2');
        assert_eq!(check_digit("120415"), '9');
        assert_eq!(check_digit("D23145890"), '7');
        assert_eq!(check_digit(""), '0');
    }

    #[test]
    fn the_builders_rebuild_the_icao_specimens() {
        assert_eq!(
            td3(
                "P<UTOERIKSSON<<ANNA<MARIA",
                "L898902C3",
                "UTO",
                "740812",
                'F',
                "120415",
                "ZE184226B"
            ),
            ICAO_TD3
        );
        assert_eq!(
            td1(
                "I<UTO",
                "D23145890",
                "",
                "740812",
                'F',
                "120415",
                "UTO",
                "",
                "ERIKSSON<<ANNA<MARIA"
            ),
            ICAO_TD1
        );
        assert_eq!(
            td2(
                "I<UTOERIKSSON<<ANNA<MARIA",
                "D23145890",
                "UTO",
                "740812",
                'F',
                "120415",
                ""
            ),
            ICAO_TD2
        );
    }

    #[test]
    fn dutch_documents_carry_the_bsn_and_cut_long_names_on_the_card() {
        // The example in the API's OpenAPI document, built by hand once.
        let p = passport("de Bruijn", "Willeke Liselotte", "650310", "240115");
        assert_eq!(
            p,
            "P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<\n\
             SPECI20142NLD6503101F2401151999999990<<<<<82"
        );
        assert!(p.contains(BSN));
        let card = id_card("van den Berghe van Zuylen", "Johannes", "851224", "310302");
        let lines: Vec<&str> = card.lines().collect();
        assert_eq!(lines[0], "I<NLDSPECI20212999999990<<<<<<");
        assert_eq!(lines[2], "VAN<DEN<BERGHE<VAN<ZUYLEN<<JOH");
    }

    #[test]
    #[should_panic(expected = "not an MRZ character")]
    fn lowercase_is_not_an_mrz_character() {
        check_digit("abc");
    }
}
