//! Names in their canonical form: the ICAO 9303 Latin alphabet A-Z only.
//!
//! An MRZ already prints names transliterated, in A-Z and `<`. A name typed
//! at the door or on the server may carry diacritics, and ICAO 9303 (part 3,
//! transliteration of multinational Latin characters) lets a state print
//! some of them in two ways: Ü as UE or U, Ä as AE or A, and so on. A manual
//! entry therefore yields every permitted form, so that it meets whichever
//! form the person's document prints. Fillers, spaces, hyphens and
//! apostrophes are removed: `d'Ancona`, `D ANCONA` and `DANCONA` are one name.

/// At most this many letters with two permitted forms in one name; 2^6 = 64
/// forms per name keeps a ban's token set and a check's probes small.
const MAX_AMBIGUOUS_LETTERS: usize = 6;

/// A name that cannot be put in canonical form. Messages never repeat the
/// name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{field} is empty")]
    Empty { field: &'static str },
    #[error("{field} contains a character outside the Latin alphabet at position {position}")]
    Character {
        field: &'static str,
        position: usize,
    },
    #[error(
        "{field} has more than {MAX_AMBIGUOUS_LETTERS} letters with two permitted transliterations"
    )]
    TooManyForms { field: &'static str },
    #[error("{field} is longer than {MAX_NAME_CHARS} characters")]
    TooLong { field: &'static str },
}

/// Longest name accepted from manual entry, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// The transliteration of one input character.
enum Letter {
    /// Letters the canonical form keeps: one form.
    One(&'static str),
    /// ICAO permits two forms.
    Two(&'static str, &'static str),
    /// Removed: separators and marks that do not change the name.
    Skip,
}

/// The ICAO 9303 transliteration of one uppercase character, or `None` for a
/// character no name may contain.
fn transliterate(c: char) -> Option<Letter> {
    use Letter::{One, Skip, Two};
    let letter = match c {
        'A'..='Z' => {
            // Every A-Z character is its own one-letter string.
            const AZ: [&str; 26] = [
                "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P",
                "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z",
            ];
            One(AZ[(c as usize) - ('A' as usize)])
        }
        ' ' | '<' | '-' | '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{00B4}' | '.' | '\u{2010}'
        | '\u{2011}' => Skip,
        'Ä' => Two("AE", "A"),
        'Å' => Two("AA", "A"),
        'Ö' => Two("OE", "O"),
        'Ø' => Two("OE", "O"),
        'Ü' => Two("UE", "U"),
        'Æ' => One("AE"),
        'Œ' => One("OE"),
        'Ĳ' => One("IJ"),
        'Þ' => One("TH"),
        'ẞ' | 'ß' => One("SS"),
        'À' | 'Á' | 'Â' | 'Ã' | 'Ā' | 'Ă' | 'Ą' => One("A"),
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => One("C"),
        'Ð' | 'Ď' | 'Đ' => One("D"),
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => One("E"),
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => One("G"),
        'Ĥ' | 'Ħ' => One("H"),
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => One("I"),
        'Ĵ' => One("J"),
        'Ķ' => One("K"),
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => One("L"),
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' | 'Ŋ' => One("N"),
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ō' | 'Ŏ' | 'Ő' => One("O"),
        'Ŕ' | 'Ŗ' | 'Ř' => One("R"),
        'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => One("S"),
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => One("T"),
        'Ù' | 'Ú' | 'Û' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => One("U"),
        'Ŵ' => One("W"),
        'Ý' | 'Ŷ' | 'Ÿ' => One("Y"),
        'Ź' | 'Ż' | 'Ž' => One("Z"),
        _ => return None,
    };
    Some(letter)
}

/// A combining diaeresis (U+0308) after A, O or U makes the umlaut that has
/// two forms; other combining marks (U+0300-U+036F) do not change the letter.
fn combine(base: &Letter, mark: char) -> Option<Letter> {
    if mark != '\u{0308}' {
        return None;
    }
    match base {
        Letter::One("A") => Some(Letter::Two("AE", "A")),
        Letter::One("O") => Some(Letter::Two("OE", "O")),
        Letter::One("U") => Some(Letter::Two("UE", "U")),
        _ => None,
    }
}

fn is_combining_mark(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c)
}

/// Every canonical form (A-Z only) of a typed name, in a stable order: the
/// first is ICAO's recommended transliteration. May be empty when `allow_empty`.
pub fn canonical_forms(
    text: &str,
    field: &'static str,
    allow_empty: bool,
) -> Result<Vec<String>, NameError> {
    if text.chars().count() > MAX_NAME_CHARS {
        return Err(NameError::TooLong { field });
    }
    let mut letters: Vec<Letter> = Vec::new();
    for (index, c) in text.trim().chars().enumerate() {
        let position = index + 1;
        if is_combining_mark(c) {
            match letters.last().and_then(|base| combine(base, c)) {
                Some(combined) => {
                    if let Some(last) = letters.last_mut() {
                        *last = combined;
                    }
                }
                None if matches!(letters.last(), Some(Letter::One(_) | Letter::Two(..))) => {}
                None => return Err(NameError::Character { field, position }),
            }
            continue;
        }
        // ß has no single uppercase character in most tables; map it before
        // uppercasing turns it into "SS" (which would be right too).
        let upper = if c == 'ß' {
            Some('ß')
        } else {
            single_uppercase(c)
        };
        let letter = upper
            .and_then(transliterate)
            .ok_or(NameError::Character { field, position })?;
        letters.push(letter);
    }
    let ambiguous = letters
        .iter()
        .filter(|l| matches!(l, Letter::Two(..)))
        .count();
    if ambiguous > MAX_AMBIGUOUS_LETTERS {
        return Err(NameError::TooManyForms { field });
    }
    let mut forms = vec![String::new()];
    for letter in &letters {
        match letter {
            Letter::One(s) => forms.iter_mut().for_each(|f| f.push_str(s)),
            Letter::Two(first, second) => {
                let mut seconds: Vec<String> =
                    forms.iter().map(|f| format!("{f}{second}")).collect();
                forms.iter_mut().for_each(|f| f.push_str(first));
                forms.append(&mut seconds);
            }
            Letter::Skip => {}
        }
    }
    if forms.iter().any(String::is_empty) && !allow_empty {
        return Err(NameError::Empty { field });
    }
    forms.dedup();
    Ok(forms)
}

/// The single uppercase form of `c`, or `None` when uppercasing would yield
/// several characters (which no name letter we accept does, except ß).
fn single_uppercase(c: char) -> Option<char> {
    let mut upper = c.to_uppercase();
    let first = upper.next()?;
    upper.next().is_none().then_some(first)
}

/// The canonical form of a name read from an MRZ, where it is already A-Z
/// words separated by spaces.
pub fn canonical_mrz_name(words: &str) -> String {
    words.chars().filter(char::is_ascii_uppercase).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn forms(s: &str) -> Vec<String> {
        canonical_forms(s, "surname", false).unwrap()
    }

    #[test]
    fn separators_and_case_disappear() {
        assert_eq!(forms("d'Ancona"), vec!["DANCONA"]);
        assert_eq!(forms("van der Berg-Jansen"), vec!["VANDERBERGJANSEN"]);
        assert_eq!(forms("  O\u{2019}Brien "), vec!["OBRIEN"]);
    }

    #[test]
    fn umlauts_yield_both_icao_forms() {
        assert_eq!(forms("Müller"), vec!["MUELLER", "MULLER"]);
        assert_eq!(forms("Mu\u{0308}ller"), vec!["MUELLER", "MULLER"]);
        assert_eq!(
            forms("Åsa Öberg"),
            vec!["AASAOEBERG", "ASAOEBERG", "AASAOBERG", "ASAOBERG"]
        );
    }

    #[test]
    fn single_form_letters() {
        assert_eq!(forms("Çelik"), vec!["CELIK"]);
        assert_eq!(forms("Strauß"), vec!["STRAUSS"]);
        assert_eq!(forms("Ĳsbrand"), vec!["IJSBRAND"]);
        assert_eq!(forms("Þór"), vec!["THOR"]);
        assert_eq!(forms("Łukasz"), vec!["LUKASZ"]);
        assert_eq!(forms("Zoë"), vec!["ZOE"]);
        assert_eq!(forms("José"), vec!["JOSE"]);
        assert_eq!(forms("Jose\u{0301}"), vec!["JOSE"]);
    }

    #[test]
    fn other_scripts_and_symbols_are_refused_with_position() {
        assert_eq!(
            canonical_forms("Ivan Пётр", "given names", false),
            Err(NameError::Character {
                field: "given names",
                position: 6
            })
        );
        assert!(canonical_forms("R2D2", "surname", false).is_err());
        assert!(canonical_forms("\u{0308}A", "surname", false).is_err());
        let err = canonical_forms("Smith!", "surname", false)
            .unwrap_err()
            .to_string();
        assert!(!err.to_lowercase().contains("smith"), "{err}");
    }

    #[test]
    fn empty_names() {
        assert_eq!(
            canonical_forms(" - ", "surname", false),
            Err(NameError::Empty { field: "surname" })
        );
        assert_eq!(
            canonical_forms("", "given names", true).unwrap(),
            vec![String::new()]
        );
    }

    #[test]
    fn too_many_forms_is_an_error() {
        assert_eq!(forms("ÜÜÜÜÜÜ").len(), 64);
        assert_eq!(
            canonical_forms("ÜÜÜÜÜÜÜ", "surname", false),
            Err(NameError::TooManyForms { field: "surname" })
        );
        assert!(canonical_forms(&"A".repeat(201), "surname", false).is_err());
    }

    #[test]
    fn mrz_words() {
        assert_eq!(canonical_mrz_name("DE BRUIJN"), "DEBRUIJN");
    }
}
