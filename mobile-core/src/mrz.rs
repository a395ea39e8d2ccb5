//! Reading the machine readable zone (MRZ, ICAO Doc 9303) of an identity
//! document, as handed over by the door phone's OCR.
//!
//! Supports TD1 (ID cards, 3 lines of 30), TD2 (2 lines of 36) and TD3
//! (passports, 2 lines of 44). The reader is lenient about what OCR really
//! produces (case, line endings, surrounding whitespace, dropped trailing
//! fillers) and strict about anything that may be a misread: a wrong check
//! digit, an impossible date or a digit in a name is an error, never a guess
//! or a correction, because a misread identity would silently miss a ban.
//!
//! # The BSN rule
//!
//! Older Dutch documents carry the citizen service number (BSN) in the
//! optional data (TD1, TD2) or personal number (TD3) field, and private
//! parties may not process it. Those fields are therefore only fed into the
//! composite check digit and then dropped: they are never interpreted, never
//! stored in [`Mrz`], never returned and never named in an [`MrzError`]. The
//! `Layout` below names their positions only in its `composite` list.
//!
//! Everything else in the MRZ is personal data too, so [`Mrz`] has no derived
//! `Debug`, [`MrzError`] messages carry only line and column numbers, and the
//! normalised text lives only in a local of [`parse`].

use std::fmt;

/// The three ICAO 9303 MRZ sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MrzFormat {
    /// ID card size: 3 lines of 30 characters.
    Td1,
    /// 2 lines of 36 characters.
    Td2,
    /// Passport size: 2 lines of 44 characters.
    Td3,
}

impl MrzFormat {
    const fn line_length(self) -> usize {
        match self {
            Self::Td1 => 30,
            Self::Td2 => 36,
            Self::Td3 => 44,
        }
    }

    const fn layout(self) -> &'static Layout {
        match self {
            Self::Td1 => &TD1,
            Self::Td2 => &TD2,
            Self::Td3 => &TD3,
        }
    }
}

/// The fields of an MRZ that the door check may use.
///
/// Deliberately has no field for the optional data / personal number (see the
/// module documentation), and no derived `Debug` because it holds personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct Mrz {
    pub format: MrzFormat,
    /// Positions 1-2 with trailing `<` removed: "P", "I", "ID", "PN", ...
    pub document_code: String,
    /// With trailing `<` removed ("D" for Germany, "NLD").
    pub issuing_state: String,
    /// With trailing `<` removed.
    pub document_number: String,
    /// Name words joined by single spaces, e.g. "DE BRUIJN".
    pub surname: String,
    /// Name words joined by single spaces; empty when there are none.
    pub given_names: String,
    /// The name field had no trailing filler (ICAO's truncation mark; an
    /// exactly fitting name looks the same) or no `<<` separator at all.
    pub name_truncated: bool,
    /// The `<<` separator between surname and given names was present, so the
    /// surname was not cut off.
    pub surname_complete: bool,
    /// With trailing `<` removed.
    pub nationality: String,
    /// YYMMDD exactly as printed.
    pub birth_date: String,
    /// "M", "F" or "X" (an unspecified `<` is read as "X").
    pub sex: String,
    /// YYMMDD exactly as printed.
    pub expiry_date: String,
}

impl fmt::Debug for Mrz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mrz")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// Why an MRZ could not be read.
///
/// Messages never quote the input (it is personal data); they point at the
/// line and column (1-based, counted after leading whitespace is trimmed) so
/// the door app can tell the user what to rescan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MrzError {
    #[error("no MRZ text")]
    Empty,
    #[error("expected 2 or 3 lines, found {found}")]
    LineCount { found: usize },
    #[error("line {line}: expected {expected} characters, found {found}")]
    LineLength {
        line: usize,
        expected: usize,
        found: usize,
    },
    #[error("line {line}, column {column}: character not allowed in an MRZ")]
    Character { line: usize, column: usize },
    /// Two lines whose lengths fit no known format.
    #[error("line lengths match no MRZ format")]
    Format,
    #[error("line {line}, column {column}: {field} check digit does not match")]
    CheckDigit {
        field: &'static str,
        line: usize,
        column: usize,
    },
    #[error("line {line}, column {column}: {field} is not a valid date")]
    Date {
        field: &'static str,
        line: usize,
        column: usize,
    },
    #[error("line {line}, column {column}: sex code not allowed")]
    Sex { line: usize, column: usize },
    /// A field that every real document fills (or a name starting with a filler).
    #[error("line {line}, column {column}: {field} is empty")]
    EmptyField {
        field: &'static str,
        line: usize,
        column: usize,
    },
    /// A character valid in an MRZ but not in this field, such as a digit in a
    /// name: fields outside check digits can only be checked this way.
    #[error("line {line}, column {column}: character not allowed in the {field}")]
    FieldCharacter {
        field: &'static str,
        line: usize,
        column: usize,
    },
}

impl MrzError {
    /// The 1-based line the error is about, if it is about one line.
    pub fn line(&self) -> Option<usize> {
        match *self {
            Self::Empty | Self::LineCount { .. } | Self::Format => None,
            Self::LineLength { line, .. }
            | Self::Character { line, .. }
            | Self::CheckDigit { line, .. }
            | Self::Date { line, .. }
            | Self::Sex { line, .. }
            | Self::EmptyField { line, .. }
            | Self::FieldCharacter { line, .. } => Some(line),
        }
    }

    /// The 1-based column the error is about, if it is about one position.
    pub fn column(&self) -> Option<usize> {
        match *self {
            Self::Empty | Self::LineCount { .. } | Self::Format | Self::LineLength { .. } => None,
            Self::Character { column, .. }
            | Self::CheckDigit { column, .. }
            | Self::Date { column, .. }
            | Self::Sex { column, .. }
            | Self::EmptyField { column, .. }
            | Self::FieldCharacter { column, .. } => Some(column),
        }
    }
}

/// A run of positions on one line, 1-based and inclusive as in ICAO 9303.
#[derive(Clone, Copy)]
struct Span {
    line: usize,
    from: usize,
    to: usize,
}

const fn span(line: usize, from: usize, to: usize) -> Span {
    Span { line, from, to }
}

const fn pos(line: usize, column: usize) -> Span {
    Span {
        line,
        from: column,
        to: column,
    }
}

impl Span {
    /// Empty rather than a panic if the span lies outside `lines`; `parse`
    /// makes every line exactly as long as its layout, so that cannot happen.
    fn bytes(self, lines: &[Vec<u8>]) -> &[u8] {
        lines
            .get(self.line.wrapping_sub(1))
            .and_then(|l| l.get(self.from.wrapping_sub(1)..self.to))
            .unwrap_or_default()
    }
}

/// Where each field sits in one format.
struct Layout {
    document_code: Span,
    issuing_state: Span,
    document_number: Span,
    document_number_check: Span,
    nationality: Span,
    birth_date: Span,
    birth_date_check: Span,
    sex: Span,
    expiry_date: Span,
    expiry_date_check: Span,
    name: Span,
    /// What the composite check digit covers. This is the ONLY place the
    /// optional data / personal number positions (which may hold a BSN) are
    /// named: they are summed into the check digit and never read otherwise.
    composite: &'static [Span],
    composite_check: Span,
}

const TD1: Layout = Layout {
    document_code: span(1, 1, 2),
    issuing_state: span(1, 3, 5),
    document_number: span(1, 6, 14),
    document_number_check: pos(1, 15),
    nationality: span(2, 16, 18),
    birth_date: span(2, 1, 6),
    birth_date_check: pos(2, 7),
    sex: pos(2, 8),
    expiry_date: span(2, 9, 14),
    expiry_date_check: pos(2, 15),
    name: span(3, 1, 30),
    // Line 1 16-30 and line 2 19-29 are optional data (BSN on older Dutch cards).
    composite: &[
        span(1, 6, 30),
        span(2, 1, 7),
        span(2, 9, 15),
        span(2, 19, 29),
    ],
    composite_check: pos(2, 30),
};

const TD2: Layout = Layout {
    document_code: span(1, 1, 2),
    issuing_state: span(1, 3, 5),
    name: span(1, 6, 36),
    document_number: span(2, 1, 9),
    document_number_check: pos(2, 10),
    nationality: span(2, 11, 13),
    birth_date: span(2, 14, 19),
    birth_date_check: pos(2, 20),
    sex: pos(2, 21),
    expiry_date: span(2, 22, 27),
    expiry_date_check: pos(2, 28),
    // Line 2 29-35 is optional data (may hold a BSN).
    composite: &[span(2, 1, 10), span(2, 14, 20), span(2, 22, 35)],
    composite_check: pos(2, 36),
};

const TD3: Layout = Layout {
    document_code: span(1, 1, 2),
    issuing_state: span(1, 3, 5),
    name: span(1, 6, 44),
    document_number: span(2, 1, 9),
    document_number_check: pos(2, 10),
    nationality: span(2, 11, 13),
    birth_date: span(2, 14, 19),
    birth_date_check: pos(2, 20),
    sex: pos(2, 21),
    expiry_date: span(2, 22, 27),
    expiry_date_check: pos(2, 28),
    // Line 2 29-43 is the personal number and its check digit (BSN on older
    // Dutch passports); the position-43 digit is deliberately not verified on
    // its own, as that would mean looking at the personal number by itself.
    composite: &[span(2, 1, 10), span(2, 14, 20), span(2, 22, 43)],
    composite_check: pos(2, 44),
};

/// Reads an MRZ from OCR text. See the module documentation.
pub fn parse(text: &str) -> Result<Mrz, MrzError> {
    // Trimming each line drops leading whitespace, a `\r` from CRLF and
    // trailing spaces; the latter stand for fillers, which padding restores.
    let raw_lines: Vec<&str> = text
        .trim()
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();

    let format = match raw_lines.as_slice() {
        [] => return Err(MrzError::Empty),
        [_, _, _] => MrzFormat::Td1,
        // Line 2 of TD2 and TD3 ends in the composite check digit, so unlike
        // line 1 it cannot have lost trailing fillers: its length is reliable.
        [_, second] => match second.chars().count() {
            36 => MrzFormat::Td2,
            44 => MrzFormat::Td3,
            found if found > 44 => {
                return Err(MrzError::LineLength {
                    line: 2,
                    expected: 44,
                    found,
                });
            }
            _ => return Err(MrzError::Format),
        },
        more => return Err(MrzError::LineCount { found: more.len() }),
    };

    let lines = raw_lines
        .iter()
        .enumerate()
        .map(|(i, raw)| normalise_line(raw, i + 1, format.line_length()))
        .collect::<Result<Vec<_>, _>>()?;
    read(format, &lines)
}

/// Uppercases, checks the alphabet and pads one already trimmed line to
/// `length` with fillers.
fn normalise_line(raw: &str, line: usize, length: usize) -> Result<Vec<u8>, MrzError> {
    let found = raw.chars().count();
    if found > length {
        return Err(MrzError::LineLength {
            line,
            expected: length,
            found,
        });
    }
    // OCR turns some trailing fillers into spaces, so spaces within the final
    // run of fillers count as fillers; a space anywhere else is an error.
    let filler_run_start = raw
        .chars()
        .enumerate()
        .filter(|&(_, c)| c != '<' && !c.is_whitespace())
        .last()
        .map_or(0, |(i, _)| i + 1);

    let mut out = Vec::with_capacity(length);
    for (i, c) in raw.chars().enumerate() {
        let byte = match c {
            _ if i >= filler_run_start => b'<',
            '<' => b'<',
            c if c.is_ascii_alphanumeric() => c.to_ascii_uppercase() as u8,
            _ => {
                return Err(MrzError::Character {
                    line,
                    column: i + 1,
                });
            }
        };
        out.push(byte);
    }
    out.resize(length, b'<');
    Ok(out)
}

fn read(format: MrzFormat, lines: &[Vec<u8>]) -> Result<Mrz, MrzError> {
    let layout = format.layout();

    verify_check_digit(
        lines,
        "document number",
        &[layout.document_number],
        layout.document_number_check,
    )?;
    verify_check_digit(
        lines,
        "birth date",
        &[layout.birth_date],
        layout.birth_date_check,
    )?;
    verify_check_digit(
        lines,
        "expiry date",
        &[layout.expiry_date],
        layout.expiry_date_check,
    )?;
    // The optional data / personal number (possible BSN) is used here and
    // nowhere else: the composite is computed straight from the line slices.
    verify_check_digit(lines, "composite", layout.composite, layout.composite_check)?;

    // From here on only the non-optional fields are read.
    let birth_date = date(lines, "birth date", layout.birth_date)?;
    let expiry_date = date(lines, "expiry date", layout.expiry_date)?;
    let sex = sex(lines, layout.sex)?;
    let document_code = required(lines, "document code", layout.document_code)?;
    let issuing_state = country(lines, "issuing state", layout.issuing_state)?;
    let nationality = country(lines, "nationality", layout.nationality)?;
    let document_number = required(lines, "document number", layout.document_number)?;
    let name = name(lines, layout.name)?;

    Ok(Mrz {
        format,
        document_code,
        issuing_state,
        document_number,
        surname: name.surname,
        given_names: name.given_names,
        name_truncated: name.truncated,
        surname_complete: name.surname_complete,
        nationality,
        birth_date,
        sex,
        expiry_date,
    })
}

/// The ICAO 9303 check digit of a field as printed (`A`-`Z`, `0`-`9`, `<`),
/// for composing MRZs: specimens, demo data and test documents.
pub fn check_digit_of(field: &str) -> char {
    char::from(check_digit(field.as_bytes()))
}

/// ICAO 9303 check digit: weights 7, 3, 1 repeating over the concatenated
/// characters; digits count as themselves, A-Z as 10-35, `<` as 0.
fn check_digit<'a>(chars: impl IntoIterator<Item = &'a u8>) -> u8 {
    let sum = chars
        .into_iter()
        .zip([7u32, 3, 1].into_iter().cycle())
        .map(|(&c, weight)| {
            let value = match c {
                b'0'..=b'9' => u32::from(c - b'0'),
                b'A'..=b'Z' => u32::from(c - b'A') + 10,
                _ => 0,
            };
            value * weight
        })
        .fold(0u32, |acc, v| (acc + v) % 10);
    // `sum` is below 10, so this cannot truncate.
    b'0' + sum as u8
}

fn verify_check_digit(
    lines: &[Vec<u8>],
    field: &'static str,
    covered: &[Span],
    check: Span,
) -> Result<(), MrzError> {
    let expected = check_digit(covered.iter().flat_map(|s| s.bytes(lines)));
    if check.bytes(lines) == [expected] {
        Ok(())
    } else {
        Err(MrzError::CheckDigit {
            field,
            line: check.line,
            column: check.from,
        })
    }
}

fn ascii_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn strip_fillers(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != b'<').map_or(0, |i| i + 1);
    bytes.get(..end).unwrap_or_default()
}

/// A YYMMDD date: six digits, month 01-12, day valid for the month. The year
/// has only two digits, so 29 February is always allowed.
fn date(lines: &[Vec<u8>], field: &'static str, at: Span) -> Result<String, MrzError> {
    let bytes = at.bytes(lines);
    let error = |offset: usize| MrzError::Date {
        field,
        line: at.line,
        column: at.from + offset,
    };
    if let Some(i) = bytes.iter().position(|b| !b.is_ascii_digit()) {
        return Err(error(i));
    }
    let Ok([_, _, m1, m2, d1, d2]) = <[u8; 6]>::try_from(bytes) else {
        return Err(error(0));
    };
    let month = (m1 - b'0') * 10 + (m2 - b'0');
    let day = (d1 - b'0') * 10 + (d2 - b'0');
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => 29,
        _ => return Err(error(2)),
    };
    if !(1..=days_in_month).contains(&day) {
        return Err(error(4));
    }
    Ok(ascii_string(bytes))
}

fn sex(lines: &[Vec<u8>], at: Span) -> Result<String, MrzError> {
    match at.bytes(lines) {
        b"M" => Ok("M".to_owned()),
        b"F" => Ok("F".to_owned()),
        b"X" | b"<" => Ok("X".to_owned()),
        _ => Err(MrzError::Sex {
            line: at.line,
            column: at.from,
        }),
    }
}

/// A field with trailing fillers removed, which real documents never leave empty.
fn required(lines: &[Vec<u8>], field: &'static str, at: Span) -> Result<String, MrzError> {
    let value = strip_fillers(at.bytes(lines));
    if value.is_empty() {
        return Err(MrzError::EmptyField {
            field,
            line: at.line,
            column: at.from,
        });
    }
    Ok(ascii_string(value))
}

/// A country code: letters only, as no check digit covers it.
fn country(lines: &[Vec<u8>], field: &'static str, at: Span) -> Result<String, MrzError> {
    if let Some(i) = at.bytes(lines).iter().position(u8::is_ascii_digit) {
        return Err(MrzError::FieldCharacter {
            field,
            line: at.line,
            column: at.from + i,
        });
    }
    required(lines, field, at)
}

struct Name {
    surname: String,
    given_names: String,
    truncated: bool,
    surname_complete: bool,
}

/// Words separated by any run of fillers, joined by single spaces.
fn words(bytes: &[u8]) -> String {
    bytes
        .split(|&b| b == b'<')
        .filter(|w| !w.is_empty())
        .map(ascii_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn name(lines: &[Vec<u8>], at: Span) -> Result<Name, MrzError> {
    let field = at.bytes(lines);
    // No check digit covers the name, so a digit (typically an OCR'd O or I)
    // would otherwise silently change the identity.
    if let Some(i) = field.iter().position(u8::is_ascii_digit) {
        return Err(MrzError::FieldCharacter {
            field: "name",
            line: at.line,
            column: at.from + i,
        });
    }
    if matches!(field.first(), None | Some(b'<')) {
        return Err(MrzError::EmptyField {
            field: "surname",
            line: at.line,
            column: at.from,
        });
    }
    let separator = field.windows(2).position(|w| w == b"<<");
    let (primary, secondary) = match separator.and_then(|i| field.split_at_checked(i)) {
        Some((primary, rest)) => (primary, rest.get(2..).unwrap_or_default()),
        None => (field, &[][..]),
    };
    let surname_complete = separator.is_some();
    Ok(Name {
        surname: words(primary),
        given_names: words(secondary),
        // ICAO marks truncation by a name that runs up to the field's last
        // position; a name that fits exactly is indistinguishable from that.
        truncated: field.last() != Some(&b'<') || !surname_complete,
        surname_complete,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    // MRZ builders with a check digit computed outside this module, so the
    // tests do not trust the module's own.
    use cho_testkit::mrz::{ICAO_TD1, ICAO_TD2, ICAO_TD3, check_digit as cd, td1, td2, td3};

    fn dutch_passport() -> String {
        td3(
            "P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE",
            "SPECI2021",
            "NLD",
            "650310",
            'F',
            "310302",
            "999999990",
        )
    }

    fn dutch_id_card() -> String {
        td1(
            "I<NLD",
            "SPECI2021",
            "999999990",
            "650310",
            'F',
            "310302",
            "NLD",
            "",
            "DE<BRUIJN<<WILLEKE<LISELOTTE",
        )
    }

    /// Replaces the character at 1-based (line, column) of a text built with
    /// `\n` separators.
    fn replace_at(text: &str, line: usize, column: usize, with: char) -> String {
        text.split('\n')
            .enumerate()
            .map(|(i, l)| {
                if i + 1 == line {
                    l.chars()
                        .enumerate()
                        .map(|(j, c)| if j + 1 == column { with } else { c })
                        .collect()
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<String>>()
            .join("\n")
    }

    fn char_at(text: &str, line: usize, column: usize) -> char {
        text.split('\n')
            .nth(line - 1)
            .unwrap()
            .chars()
            .nth(column - 1)
            .unwrap()
    }

    /// Changes the digit at (line, column) to another digit and asserts the
    /// named check digit error at (check_line, check_column).
    fn assert_check_digit_error(
        text: &str,
        (line, column): (usize, usize),
        field: &'static str,
        (check_line, check_column): (usize, usize),
    ) {
        let old = char_at(text, line, column);
        let new = if old == '1' { '2' } else { '1' };
        let err = parse(&replace_at(text, line, column, new)).unwrap_err();
        assert_eq!(
            err,
            MrzError::CheckDigit {
                field,
                line: check_line,
                column: check_column,
            }
        );
        assert_eq!(err.line(), Some(check_line));
        assert_eq!(err.column(), Some(check_column));
    }

    #[test]
    fn icao_td3_example() {
        let mrz = parse(ICAO_TD3).unwrap();
        assert_eq!(mrz.format, MrzFormat::Td3);
        assert_eq!(mrz.document_code, "P");
        assert_eq!(mrz.issuing_state, "UTO");
        assert_eq!(mrz.document_number, "L898902C3");
        assert_eq!(mrz.surname, "ERIKSSON");
        assert_eq!(mrz.given_names, "ANNA MARIA");
        assert!(!mrz.name_truncated);
        assert!(mrz.surname_complete);
        assert_eq!(mrz.nationality, "UTO");
        assert_eq!(mrz.birth_date, "740812");
        assert_eq!(mrz.sex, "F");
        assert_eq!(mrz.expiry_date, "120415");
    }

    #[test]
    fn icao_td1_example() {
        let mrz = parse(ICAO_TD1).unwrap();
        assert_eq!(mrz.format, MrzFormat::Td1);
        assert_eq!(mrz.document_code, "I");
        assert_eq!(mrz.issuing_state, "UTO");
        assert_eq!(mrz.document_number, "D23145890");
        assert_eq!(mrz.surname, "ERIKSSON");
        assert_eq!(mrz.given_names, "ANNA MARIA");
        assert!(!mrz.name_truncated);
        assert!(mrz.surname_complete);
        assert_eq!(mrz.nationality, "UTO");
        assert_eq!(mrz.birth_date, "740812");
        assert_eq!(mrz.sex, "F");
        assert_eq!(mrz.expiry_date, "120415");
    }

    #[test]
    fn icao_td2_example() {
        let mrz = parse(ICAO_TD2).unwrap();
        assert_eq!(mrz.format, MrzFormat::Td2);
        assert_eq!(mrz.document_code, "I");
        assert_eq!(mrz.issuing_state, "UTO");
        assert_eq!(mrz.document_number, "D23145890");
        assert_eq!(mrz.surname, "ERIKSSON");
        assert_eq!(mrz.given_names, "ANNA MARIA");
        assert_eq!(mrz.nationality, "UTO");
        assert_eq!(mrz.birth_date, "740812");
        assert_eq!(mrz.sex, "F");
        assert_eq!(mrz.expiry_date, "120415");
    }

    #[test]
    fn dutch_passport_parses() {
        let mrz = parse(&dutch_passport()).unwrap();
        assert_eq!(mrz.format, MrzFormat::Td3);
        assert_eq!(mrz.document_code, "P");
        assert_eq!(mrz.issuing_state, "NLD");
        assert_eq!(mrz.document_number, "SPECI2021");
        assert_eq!(mrz.surname, "DE BRUIJN");
        assert_eq!(mrz.given_names, "WILLEKE LISELOTTE");
        assert!(!mrz.name_truncated);
        assert!(mrz.surname_complete);
        assert_eq!(mrz.nationality, "NLD");
        assert_eq!(mrz.birth_date, "650310");
        assert_eq!(mrz.sex, "F");
        assert_eq!(mrz.expiry_date, "310302");
    }

    #[test]
    fn dutch_id_card_parses() {
        let mrz = parse(&dutch_id_card()).unwrap();
        assert_eq!(mrz.format, MrzFormat::Td1);
        assert_eq!(mrz.document_code, "I");
        assert_eq!(mrz.issuing_state, "NLD");
        assert_eq!(mrz.document_number, "SPECI2021");
        assert_eq!(mrz.surname, "DE BRUIJN");
        assert_eq!(mrz.given_names, "WILLEKE LISELOTTE");
        assert_eq!(mrz.birth_date, "650310");
        assert_eq!(mrz.expiry_date, "310302");
    }

    #[test]
    fn dutch_td2_with_optional_data_parses() {
        let text = td2(
            "ID<NLDDE<BRUIJN<<WILLEKE",
            "SPECI2021",
            "NLD",
            "650310",
            'F',
            "310302",
            "9999999",
        );
        let mrz = parse(&text).unwrap();
        assert_eq!(mrz.document_code, "ID");
        assert_eq!(mrz.given_names, "WILLEKE");
    }

    fn all_fields(mrz: &Mrz) -> Vec<&str> {
        vec![
            &mrz.document_code,
            &mrz.issuing_state,
            &mrz.document_number,
            &mrz.surname,
            &mrz.given_names,
            &mrz.nationality,
            &mrz.birth_date,
            &mrz.sex,
            &mrz.expiry_date,
        ]
    }

    #[test]
    fn bsn_is_never_kept() {
        for text in [dutch_passport(), dutch_id_card()] {
            assert!(text.contains("999999990"));
            let mrz = parse(&text).unwrap();
            let debug = format!("{mrz:?}");
            assert!(!debug.contains("999999990"));
            assert!(!debug.contains('9'));
            for field in all_fields(&mrz) {
                assert!(!field.contains("999999990"), "BSN leaked into a field");
            }
        }
    }

    #[test]
    fn changed_optional_data_fails_the_composite() {
        // Passport personal number, position 29 (first BSN digit); the
        // position-43 check digit is stale too, but only the composite counts.
        assert_check_digit_error(&dutch_passport(), (2, 29), "composite", (2, 44));
        // ID card optional data on line 1 (positions 16-30).
        assert_check_digit_error(&dutch_id_card(), (1, 16), "composite", (2, 30));
        assert_check_digit_error(&dutch_id_card(), (1, 24), "composite", (2, 30));
        // TD2 optional data (29-35).
        let td2 = td2(
            "I<NLDDE<BRUIJN<<WILLEKE",
            "SPECI2021",
            "NLD",
            "650310",
            'F',
            "310302",
            "9999999",
        );
        assert_check_digit_error(&td2, (2, 30), "composite", (2, 36));
    }

    #[test]
    fn td1_optional_data_line_2_is_covered_by_the_composite() {
        let text = td1(
            "I<NLD",
            "SPECI2021",
            "",
            "650310",
            'F',
            "310302",
            "NLD",
            "99999999",
            "DE<BRUIJN<<WILLEKE",
        );
        assert!(parse(&text).is_ok());
        assert_check_digit_error(&text, (2, 19), "composite", (2, 30));
    }

    #[test]
    fn td3_personal_number_check_digit_is_not_verified() {
        let text = replace_at(&dutch_passport(), 2, 43, '<');
        // Fix the composite so only position 43 is wrong.
        let line2 = text.split('\n').nth(1).unwrap();
        let composite = cd(&format!(
            "{}{}{}",
            &line2[0..10],
            &line2[13..20],
            &line2[21..43]
        ));
        let text = replace_at(&text, 2, 44, composite);
        assert!(parse(&text).is_ok());
    }

    #[test]
    fn debug_shows_only_the_format() {
        let mrz = parse(ICAO_TD3).unwrap();
        assert_eq!(format!("{mrz:?}"), "Mrz { format: Td3, .. }");
    }

    #[test]
    fn lowercase_is_accepted() {
        let mrz = parse(&ICAO_TD3.to_lowercase()).unwrap();
        assert_eq!(mrz, parse(ICAO_TD3).unwrap());
    }

    #[test]
    fn crlf_is_accepted() {
        let mrz = parse(&ICAO_TD1.replace('\n', "\r\n")).unwrap();
        assert_eq!(mrz, parse(ICAO_TD1).unwrap());
    }

    #[test]
    fn surrounding_whitespace_and_blank_lines_are_ignored() {
        let text = format!(
            "\n\r\n   {}\n\n  \t\n\t  \r\n\n  ",
            ICAO_TD2.replace('\n', "  \n\n  ")
        );
        let mrz = parse(&text).unwrap();
        assert_eq!(mrz, parse(ICAO_TD2).unwrap());
        let td1 = format!("  {}  ", ICAO_TD1.replace('\n', "\r\n\r\n \t"));
        assert_eq!(parse(&td1).unwrap(), parse(ICAO_TD1).unwrap());
    }

    #[test]
    fn trailing_spaces_stand_for_fillers() {
        let spaced: String = ICAO_TD3
            .split('\n')
            .map(|l| {
                let kept = l.trim_end_matches('<');
                format!("{kept}{}", " ".repeat(l.len() - kept.len()))
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(spaced.starts_with("P<UTOERIKSSON<<ANNA<MARIA    "));
        assert_eq!(parse(&spaced).unwrap(), parse(ICAO_TD3).unwrap());
        // A mix of spaces and fillers at the end, and more spaces than fit.
        let mixed = ICAO_TD1.replace(
            "I<UTOD231458907<<<<<<<<<<<<<<<",
            "I<UTOD231458907<< << <   <<<<      ",
        );
        assert_eq!(parse(&mixed).unwrap(), parse(ICAO_TD1).unwrap());
    }

    #[test]
    fn dropped_trailing_fillers_are_restored() {
        let trimmed: String = ICAO_TD1
            .split('\n')
            .map(|l| l.trim_end_matches('<'))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            trimmed,
            "I<UTOD231458907\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA"
        );
        assert_eq!(parse(&trimmed).unwrap(), parse(ICAO_TD1).unwrap());
        let td3 = ICAO_TD3.replace("MARIA<<<<<<<<<<<<<<<<<<<", "MARIA");
        assert_eq!(parse(&td3).unwrap(), parse(ICAO_TD3).unwrap());
    }

    #[test]
    fn space_inside_a_line_is_an_error() {
        let text = ICAO_TD3.replace("ERIKSSON<<ANNA", "ERIKSSON  ANNA");
        assert_eq!(
            parse(&text).unwrap_err(),
            MrzError::Character {
                line: 1,
                column: 14
            }
        );
        let text = ICAO_TD1.replace("UTO<<<<<<<<<<<6", "UTO<<<<< <<<<<6");
        assert_eq!(
            parse(&text).unwrap_err(),
            MrzError::Character {
                line: 2,
                column: 24
            }
        );
    }

    #[test]
    fn td3_document_number_check_digit() {
        assert_check_digit_error(ICAO_TD3, (2, 10), "document number", (2, 10));
    }

    #[test]
    fn td3_birth_date_check_digit() {
        assert_check_digit_error(ICAO_TD3, (2, 20), "birth date", (2, 20));
    }

    #[test]
    fn td3_expiry_date_check_digit() {
        assert_check_digit_error(ICAO_TD3, (2, 28), "expiry date", (2, 28));
    }

    #[test]
    fn td3_composite_check_digit() {
        assert_check_digit_error(ICAO_TD3, (2, 44), "composite", (2, 44));
    }

    #[test]
    fn changed_data_fails_its_own_check_digit() {
        assert_check_digit_error(ICAO_TD3, (2, 3), "document number", (2, 10));
        assert_check_digit_error(ICAO_TD3, (2, 19), "birth date", (2, 20));
        assert_check_digit_error(ICAO_TD3, (2, 27), "expiry date", (2, 28));
        assert_check_digit_error(ICAO_TD1, (1, 9), "document number", (1, 15));
    }

    #[test]
    fn td2_document_number_check_digit() {
        assert_check_digit_error(ICAO_TD2, (2, 10), "document number", (2, 10));
    }

    #[test]
    fn td2_birth_date_check_digit() {
        assert_check_digit_error(ICAO_TD2, (2, 20), "birth date", (2, 20));
    }

    #[test]
    fn td2_expiry_date_check_digit() {
        assert_check_digit_error(ICAO_TD2, (2, 28), "expiry date", (2, 28));
    }

    #[test]
    fn td2_composite_check_digit() {
        assert_check_digit_error(ICAO_TD2, (2, 36), "composite", (2, 36));
    }

    #[test]
    fn td1_document_number_check_digit() {
        assert_check_digit_error(ICAO_TD1, (1, 15), "document number", (1, 15));
    }

    #[test]
    fn td1_birth_date_check_digit() {
        assert_check_digit_error(ICAO_TD1, (2, 7), "birth date", (2, 7));
    }

    #[test]
    fn td1_expiry_date_check_digit() {
        assert_check_digit_error(ICAO_TD1, (2, 15), "expiry date", (2, 15));
    }

    #[test]
    fn td1_composite_check_digit() {
        assert_check_digit_error(ICAO_TD1, (2, 30), "composite", (2, 30));
    }

    #[test]
    fn td1_filler_as_document_number_check_digit_is_an_error() {
        // No long document number overflow: `<` at 15 is simply wrong.
        let text = replace_at(ICAO_TD1, 1, 15, '<');
        assert_eq!(
            parse(&text).unwrap_err(),
            MrzError::CheckDigit {
                field: "document number",
                line: 1,
                column: 15
            }
        );
    }

    #[test]
    fn bad_character_names_line_and_column_but_not_the_character() {
        let text = replace_at(ICAO_TD3, 2, 5, '#');
        let err = parse(&text).unwrap_err();
        assert_eq!(err, MrzError::Character { line: 2, column: 5 });
        let message = err.to_string();
        assert_eq!(message, "line 2, column 5: character not allowed in an MRZ");
        assert!(!message.contains('#'));
        // Non-ASCII letters are not uppercased into something else.
        let text = replace_at(ICAO_TD1, 3, 3, 'ß');
        assert_eq!(
            parse(&text).unwrap_err(),
            MrzError::Character { line: 3, column: 3 }
        );
        let text = replace_at(ICAO_TD1, 3, 3, 'é');
        assert_eq!(
            parse(&text).unwrap_err(),
            MrzError::Character { line: 3, column: 3 }
        );
    }

    #[test]
    fn error_messages_never_quote_the_input() {
        let inputs = [
            replace_at(ICAO_TD3, 2, 5, '#'),
            replace_at(ICAO_TD3, 1, 8, '1'),
            replace_at(ICAO_TD3, 2, 21, 'Q'),
            replace_at(ICAO_TD3, 2, 12, '7'),
            replace_at(ICAO_TD1, 1, 7, 'Z'),
            replace_at(ICAO_TD1, 2, 9, 'P'),
            ICAO_TD3.replace("ERIKSSON<<", "<<<<<<<<<<"),
            format!("{ICAO_TD3}X"),
            format!("{ICAO_TD3}\nERIKSSON"),
            "ERIKSSON".to_owned(),
            "ERIKSSON\nANNA".to_owned(),
            String::new(),
        ];
        for input in &inputs {
            let err = parse(input).unwrap_err();
            let message = err.to_string();
            for word in [
                "ERIKSSON",
                "ANNA",
                "MARIA",
                "UTO",
                "L898902C3",
                "D23145890",
                "#",
            ] {
                assert!(!message.contains(word), "{message}");
            }
            assert!(
                !message
                    .replace("MRZ", "")
                    .chars()
                    .any(|c| c.is_ascii_uppercase() || c == '<'),
                "{message}"
            );
        }
    }

    #[test]
    fn wrong_line_count() {
        assert_eq!(parse(""), Err(MrzError::Empty));
        assert_eq!(parse(" \r\n\t\n "), Err(MrzError::Empty));
        assert_eq!(
            parse("P<UTOERIKSSON<<ANNA<MARIA"),
            Err(MrzError::LineCount { found: 1 })
        );
        let five = format!("{ICAO_TD1}\nA\nB");
        let err = parse(&five).unwrap_err();
        assert_eq!(err, MrzError::LineCount { found: 5 });
        assert_eq!(err.to_string(), "expected 2 or 3 lines, found 5");
        assert_eq!(err.line(), None);
        assert_eq!(
            parse(&format!("{ICAO_TD3}\n{ICAO_TD3}")),
            Err(MrzError::LineCount { found: 4 })
        );
    }

    #[test]
    fn too_long_lines() {
        let err = parse(&ICAO_TD3.replace("\nL898", "\nL898<<<")).unwrap_err();
        assert_eq!(
            err,
            MrzError::LineLength {
                line: 2,
                expected: 44,
                found: 47
            }
        );
        assert_eq!(err.to_string(), "line 2: expected 44 characters, found 47");
        assert_eq!((err.line(), err.column()), (Some(2), None));
        assert_eq!(
            parse(&ICAO_TD3.replace("P<UTO", "P<UTO<")),
            Err(MrzError::LineLength {
                line: 1,
                expected: 44,
                found: 45
            })
        );
        assert_eq!(
            parse(&ICAO_TD1.replace("\nERIKSSON", "\nXERIKSSON")),
            Err(MrzError::LineLength {
                line: 3,
                expected: 30,
                found: 31
            })
        );
    }

    #[test]
    fn two_lines_of_no_known_length() {
        let text = ICAO_TD3.replace("ZE184226B", "ZE18");
        assert_eq!(parse(&text), Err(MrzError::Format));
        assert_eq!(parse("ABC\nDEF"), Err(MrzError::Format));
    }

    fn td3_with_dates(birth: &str, expiry: &str) -> Result<Mrz, MrzError> {
        parse(&td3(
            "P<UTOERIKSSON<<ANNA",
            "L898902C3",
            "UTO",
            birth,
            'F',
            expiry,
            "",
        ))
    }

    #[test]
    fn invalid_dates() {
        let date = |field, column| MrzError::Date {
            field,
            line: 2,
            column,
        };
        assert_eq!(
            td3_with_dates("741312", "120415"),
            Err(date("birth date", 16))
        );
        assert_eq!(
            td3_with_dates("740012", "120415"),
            Err(date("birth date", 16))
        );
        assert_eq!(
            td3_with_dates("740800", "120415"),
            Err(date("birth date", 18))
        );
        assert_eq!(
            td3_with_dates("740431", "120415"),
            Err(date("birth date", 18))
        );
        assert_eq!(
            td3_with_dates("740230", "120415"),
            Err(date("birth date", 18))
        );
        assert_eq!(
            td3_with_dates("740132", "120415"),
            Err(date("birth date", 18))
        );
        assert_eq!(
            td3_with_dates("74O812", "120415"),
            Err(date("birth date", 16))
        );
        assert_eq!(
            td3_with_dates("7408<<", "120415"),
            Err(date("birth date", 18))
        );
        assert_eq!(
            td3_with_dates("740812", "121315"),
            Err(date("expiry date", 24))
        );
        assert_eq!(
            td3_with_dates("740812", "120431"),
            Err(date("expiry date", 26))
        );
        let err = td3_with_dates("740812", "120431").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2, column 26: expiry date is not a valid date"
        );
    }

    #[test]
    fn valid_edge_dates() {
        let mrz = td3_with_dates("000229", "991231").unwrap();
        assert_eq!(mrz.birth_date, "000229");
        assert_eq!(mrz.expiry_date, "991231");
        assert!(td3_with_dates("010131", "300930").is_ok());
    }

    #[test]
    fn long_dutch_double_surname_truncates() {
        let text = td1(
            "I<NLD",
            "SPECI2021",
            "999999990",
            "650310",
            'M',
            "310302",
            "NLD",
            "",
            "VAN<DEN<BERGHE<VAN<ZUYLEN<<JOH",
        );
        let mrz = parse(&text).unwrap();
        assert_eq!(mrz.surname, "VAN DEN BERGHE VAN ZUYLEN");
        assert_eq!(mrz.given_names, "JOH");
        assert!(mrz.name_truncated);
        assert!(mrz.surname_complete);
    }

    #[test]
    fn surname_filling_the_field_without_separator() {
        let name = "WOLFESCHLEGELSTEINHAUSENBERGE";
        let name = format!("{name}R");
        assert_eq!(name.len(), 30);
        let text = td1(
            "I<UTO",
            "D23145890",
            "",
            "740812",
            'F',
            "120415",
            "UTO",
            "",
            &name,
        );
        let mrz = parse(&text).unwrap();
        assert_eq!(mrz.surname, name);
        assert_eq!(mrz.given_names, "");
        assert!(!mrz.surname_complete);
        assert!(mrz.name_truncated);
    }

    #[test]
    fn surname_with_single_trailing_filler_is_not_complete() {
        let name = "ABCDEFGHIJKLMNOPQRSTUVWXYZABC<";
        let text = td1(
            "I<UTO",
            "D23145890",
            "",
            "740812",
            'F',
            "120415",
            "UTO",
            "",
            name,
        );
        let mrz = parse(&text).unwrap();
        assert_eq!(mrz.surname, "ABCDEFGHIJKLMNOPQRSTUVWXYZABC");
        assert!(!mrz.surname_complete);
        assert!(mrz.name_truncated);
    }

    #[test]
    fn surname_only() {
        let text = ICAO_TD3.replace("ERIKSSON<<ANNA<MARIA", "ERIKSSON<<<<<<<<<<<<");
        let mrz = parse(&text).unwrap();
        assert_eq!(mrz.surname, "ERIKSSON");
        assert_eq!(mrz.given_names, "");
        assert!(mrz.surname_complete);
        assert!(!mrz.name_truncated);
    }

    #[test]
    fn runs_of_fillers_in_given_names_collapse() {
        let text = ICAO_TD3.replace("ERIKSSON<<ANNA<MARIA<<<", "ERIKSSON<<ANNA<<<MARIA<");
        let mrz = parse(&text).unwrap();
        assert_eq!(mrz.given_names, "ANNA MARIA");
        assert!(mrz.surname_complete);
        assert!(!mrz.name_truncated);
        let text = ICAO_TD3.replace("ERIKSSON<<ANNA", "ERIKSSON<<<ANNA");
        let text = text.replace("MARIA<<<<<<<<<<<<<<<<<<<", "MARIA<<<<<<<<<<<<<<<<<<");
        assert_eq!(parse(&text).unwrap().given_names, "ANNA MARIA");
    }

    #[test]
    fn exactly_fitting_given_names_count_as_truncated() {
        let name = "ERIKSSON<<ANNA<MARIA<BEATRIX<CHRISTIN<J";
        assert_eq!(name.len(), 39);
        let text = td3(
            &format!("P<UTO{name}"),
            "L898902C3",
            "UTO",
            "740812",
            'F',
            "120415",
            "",
        );
        let mrz = parse(&text).unwrap();
        assert_eq!(mrz.given_names, "ANNA MARIA BEATRIX CHRISTIN J");
        assert!(mrz.name_truncated);
        assert!(mrz.surname_complete);
    }

    #[test]
    fn empty_or_leading_filler_name_is_an_error() {
        let empty = ICAO_TD3.replace("ERIKSSON<<ANNA<MARIA", "<<<<<<<<<<<<<<<<<<<<");
        assert_eq!(
            parse(&empty),
            Err(MrzError::EmptyField {
                field: "surname",
                line: 1,
                column: 6
            })
        );
        let leading = ICAO_TD3.replace("ERIKSSON<<ANNA", "<<ERIKSSONANNA");
        assert_eq!(
            parse(&leading),
            Err(MrzError::EmptyField {
                field: "surname",
                line: 1,
                column: 6
            })
        );
        // Only the code and state left: the name's fillers were all dropped.
        let text = ICAO_TD2.replace("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "I<UTO");
        assert_eq!(
            parse(&text),
            Err(MrzError::EmptyField {
                field: "surname",
                line: 1,
                column: 6
            })
        );
        let td1_empty = ICAO_TD1.replace("ERIKSSON<<ANNA<MARIA<<<<<<<<<<", "<");
        assert_eq!(
            parse(&td1_empty),
            Err(MrzError::EmptyField {
                field: "surname",
                line: 3,
                column: 1
            })
        );
    }

    #[test]
    fn digit_in_name_is_an_error() {
        let text = ICAO_TD3.replace("ERIKSSON", "ERIKSS0N");
        let err = parse(&text).unwrap_err();
        assert_eq!(
            err,
            MrzError::FieldCharacter {
                field: "name",
                line: 1,
                column: 12
            }
        );
        assert_eq!(
            err.to_string(),
            "line 1, column 12: character not allowed in the name"
        );
    }

    #[test]
    fn digit_in_country_code_is_an_error() {
        let text = ICAO_TD3.replace("P<UTO", "P<UT0");
        assert_eq!(
            parse(&text),
            Err(MrzError::FieldCharacter {
                field: "issuing state",
                line: 1,
                column: 5
            })
        );
        let text = ICAO_TD3.replace("C36UTO", "C36U7O");
        assert_eq!(
            parse(&text),
            Err(MrzError::FieldCharacter {
                field: "nationality",
                line: 2,
                column: 12
            })
        );
    }

    #[test]
    fn short_country_codes_lose_their_fillers() {
        let text = td3(
            "P<D<<MUSTERMANN<<ERIKA",
            "C01X00T47",
            "D<<",
            "640812",
            'F',
            "270228",
            "",
        );
        let mrz = parse(&text).unwrap();
        assert_eq!(mrz.issuing_state, "D");
        assert_eq!(mrz.nationality, "D");
        assert_eq!(mrz.surname, "MUSTERMANN");
    }

    #[test]
    fn empty_fields_are_errors() {
        let text = td3(
            "P<UTOERIKSSON<<ANNA",
            "",
            "UTO",
            "740812",
            'F',
            "120415",
            "",
        );
        assert_eq!(
            parse(&text),
            Err(MrzError::EmptyField {
                field: "document number",
                line: 2,
                column: 1
            })
        );
        let text = td3(
            "P<<<<ERIKSSON<<ANNA",
            "L898902C3",
            "UTO",
            "740812",
            'F',
            "120415",
            "",
        );
        assert_eq!(
            parse(&text),
            Err(MrzError::EmptyField {
                field: "issuing state",
                line: 1,
                column: 3
            })
        );
    }

    #[test]
    fn sex_codes() {
        let with_sex = |sex| {
            parse(&td3(
                "P<UTOERIKSSON<<ANNA",
                "L898902C3",
                "UTO",
                "740812",
                sex,
                "120415",
                "",
            ))
        };
        assert_eq!(with_sex('M').unwrap().sex, "M");
        assert_eq!(with_sex('F').unwrap().sex, "F");
        assert_eq!(with_sex('X').unwrap().sex, "X");
        assert_eq!(with_sex('<').unwrap().sex, "X");
        assert_eq!(
            with_sex('Q'),
            Err(MrzError::Sex {
                line: 2,
                column: 21
            })
        );
        let td1 = replace_at(ICAO_TD1, 2, 8, '<');
        assert_eq!(parse(&td1).unwrap().sex, "X");
    }

    #[test]
    fn error_positions() {
        assert_eq!(MrzError::Empty.line(), None);
        assert_eq!(MrzError::Format.column(), None);
        let err = MrzError::Character { line: 1, column: 7 };
        assert_eq!((err.line(), err.column()), (Some(1), Some(7)));
        assert_eq!(
            err.to_string(),
            "line 1, column 7: character not allowed in an MRZ"
        );
        let err = MrzError::CheckDigit {
            field: "document number",
            line: 2,
            column: 10,
        };
        assert_eq!(
            err.to_string(),
            "line 2, column 10: document number check digit does not match"
        );
    }

    #[test]
    fn module_check_digit_matches_helper() {
        for s in ["L898902C3", "740812", "<<<<<<", "ZE184226B<<<<<", "AZ09<"] {
            assert_eq!(char::from(check_digit(s.as_bytes())), cd(s), "{s}");
        }
    }
}
