//! Letters to the banned person (issue 9): printable A4 pages on
//! `templates/letters/layout.html`, in the language chosen per letter
//! (`?taal=nl|en` on the pages, `?lang=nl|en` on the API), independent of
//! the page language. A letter template is a struct with a `frame:
//! LetterFrame` (what the layout reads) and its own view.

use super::assets;
use super::i18n::{Lang, Tr};

/// What the letter layout reads.
pub struct LetterFrame {
    /// The letter's language: every text of the sheet.
    pub tr: Tr,
    /// The page's language: the toolbar only.
    pub ui: Tr,
    /// The document title (the browser's tab, a saved PDF's name).
    pub title: String,
    pub stylesheet: &'static str,
    /// The page the toolbar returns to; `None` (the JSON API's HTML):
    /// no toolbar at all.
    pub back: Option<String>,
    /// The toolbar's links to this letter in the other language(s):
    /// (href, label in the page language).
    pub languages: Vec<(String, String)>,
}

impl LetterFrame {
    /// A letter without toolbar (the API's HTML).
    pub fn bare(lang: Lang, title: String) -> Self {
        Self {
            tr: Tr::new(lang),
            ui: Tr::new(lang),
            title,
            stylesheet: assets::stylesheet_url(),
            back: None,
            languages: Vec::new(),
        }
    }

    /// A letter page: a toolbar in the page language back to `back`, with
    /// a link to the letter in the other language (`path?taal=..`).
    pub fn page(lang: Lang, ui: Lang, title: String, back: String, path: &str) -> Self {
        let ui_tr = Tr::new(ui);
        let other = lang.other();
        let label = ui_tr.t(match other {
            Lang::Nl => "letters.toolbar.in_dutch",
            Lang::En => "letters.toolbar.in_english",
        });
        Self {
            languages: vec![(format!("{path}?taal={}", other.code()), label.to_owned())],
            back: Some(back),
            ui: ui_tr,
            ..Self::bare(lang, title)
        }
    }
}

/// The letter language of a `?taal=` / `?lang=` value: absent is the page
/// language; anything but `nl` or `en` is refused (400).
pub fn letter_lang(value: Option<&str>, default: Lang) -> Option<Lang> {
    match value {
        None => Some(default),
        Some(code) => Lang::parse(code),
    }
}
