//! Usernames in one canonical form, so two accounts can never look alike.
//!
//! A username is compared and stored after NFKC normalisation and lower
//! casing (with `ß` as `ss` and a final sigma as `σ`, the two places where
//! Unicode case folding goes further than lower casing), so `Kroon`,
//! `KROON` and full-width `ｋｒｏｏｎ` all name the account `kroon`.
//! Characters that do not show are refused outright, never silently
//! dropped: spaces of any kind, control and format characters (the
//! zero-width space, joiners, bidi overrides), private-use and unassigned
//! code points, and the rest of Unicode's default-ignorable characters.
//! Look-alikes from other scripts (a Cyrillic `о` in `kroon`) are *not*
//! caught: that needs Unicode's confusables data.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Longest username, in characters of the canonical form.
pub const MAX_CHARS: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("a username needs 1 to {MAX_CHARS} characters")]
    Length,
    #[error("a username may not contain spaces, control characters or characters that do not show")]
    Invisible,
}

/// A username in canonical form.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Canonicalises typed text; surrounding whitespace is trimmed.
    pub fn parse(input: &str) -> Result<Self, UsernameError> {
        let input = input.trim();
        if input.chars().any(is_invisible) {
            return Err(UsernameError::Invisible);
        }
        let folded: String = input
            .nfkc()
            .collect::<String>()
            .to_lowercase()
            .replace('ß', "ss")
            .replace('ς', "σ");
        let canonical: String = folded.nfkc().collect();
        // NFKC can turn a visible character into a space (U+00A0 is one).
        if canonical.chars().any(is_invisible) {
            return Err(UsernameError::Invisible);
        }
        let n = canonical.chars().count();
        if n == 0 || n > MAX_CHARS {
            return Err(UsernameError::Length);
        }
        Ok(Self(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Characters that could make two usernames look alike.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c.general_category(),
            GeneralCategory::Control
                | GeneralCategory::Format
                | GeneralCategory::Surrogate
                | GeneralCategory::PrivateUse
                | GeneralCategory::Unassigned
                | GeneralCategory::SpaceSeparator
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
        || is_default_ignorable(c)
}

/// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt):
/// rendered as nothing at all. Most are format characters already; these
/// ranges add the fillers and selectors that are letters or marks.
fn is_default_ignorable(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x034F
            | 0x061C
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF0..=0xFFF8
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(s: &str) -> Result<String, UsernameError> {
        Username::parse(s).map(Username::into_string)
    }

    #[test]
    fn look_alikes_share_one_form() {
        for s in [
            "kroon",
            "Kroon",
            "KROON",
            " kroon ",
            "ｋｒｏｏｎ",
            "\u{212A}roon",
        ] {
            assert_eq!(canonical(s).as_deref(), Ok("kroon"), "{s:?}");
        }
        assert_eq!(canonical("Straße"), canonical("STRASSE"));
        assert_eq!(canonical("ΟΔΟΣ"), canonical("οδοσ"));
        // Composed and decomposed accents are one name.
        assert_eq!(canonical("Café"), canonical("Cafe\u{0301}"));
        assert_eq!(canonical("owner-b").as_deref(), Ok("owner-b"));
    }

    #[test]
    fn invisible_characters_are_refused() {
        for s in [
            "kroon\u{200B}",
            "kr\u{200D}oon",
            "kroon\u{00AD}",
            "kro\u{034F}on",
            "\u{202E}noork",
            "kroon\u{FE0F}",
            "kroon\u{E0041}",
            "kr oon",
            "kr\u{00A0}oon",
            "kr\u{3000}oon",
            "kroon\u{0007}",
            "kro\non",
            "kr\u{3164}oon",
            "kroon\u{E000}",
            "kr\u{2028}oon",
        ] {
            assert_eq!(canonical(s), Err(UsernameError::Invisible), "{s:?}");
        }
    }

    #[test]
    fn length_is_bounded() {
        assert_eq!(canonical(""), Err(UsernameError::Length));
        assert_eq!(canonical("   "), Err(UsernameError::Length));
        assert!(canonical(&"a".repeat(100)).is_ok());
        assert_eq!(canonical(&"a".repeat(101)), Err(UsernameError::Length));
    }
}
