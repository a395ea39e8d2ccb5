//! The notice: how the banned person was told of their ban in writing
//! (GDPR art. 13/14; DOMAIN.md rule 4). The complaint window counts from
//! its day. No postal address is ever stored: only the day, the way, and an
//! optional note that is sealed like the other personal data.

use serde::{Deserialize, Serialize};

/// How the notice reached (or did not reach) the person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeMethod {
    /// The letter was handed over at the door or the venue.
    HandedOver,
    /// The person refused to take the letter (it still counts as notice).
    Refused,
    Post,
    Email,
    Other,
}

impl NoticeMethod {
    pub const ALL: [Self; 5] = [
        Self::HandedOver,
        Self::Refused,
        Self::Post,
        Self::Email,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::HandedOver => "handed_over",
            Self::Refused => "refused",
            Self::Post => "post",
            Self::Email => "email",
            Self::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// The first version took the method as free text ("letter handed
    /// over"). Such a text becomes `other` with the text kept as the
    /// (sealed) note, so nothing the caller said is lost.
    pub fn from_legacy(text: &str) -> (Self, Option<String>) {
        match Self::parse(text.trim()) {
            Some(method) => (method, None),
            None => (
                Self::Other,
                Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_round_trips() {
        for m in NoticeMethod::ALL {
            assert_eq!(NoticeMethod::parse(m.as_str()), Some(m));
        }
        assert_eq!(NoticeMethod::parse("letter"), None);
    }

    #[test]
    fn a_free_text_method_becomes_other_with_the_text_as_note() {
        assert_eq!(
            NoticeMethod::from_legacy("letter handed over"),
            (NoticeMethod::Other, Some("letter handed over".to_owned()))
        );
        assert_eq!(
            NoticeMethod::from_legacy("post"),
            (NoticeMethod::Post, None)
        );
        assert_eq!(NoticeMethod::from_legacy("  "), (NoticeMethod::Other, None));
    }
}
