//! The catalogues (`locales/<lang>/<part>.json`: flat key -> text, one
//! file per part of the UI so page modules do not share one big file)
//! and the choice of language: the `lang` cookie set by the switch, else
//! `Accept-Language`, else Dutch. Dates and times are shown as people
//! write them, in Dutch civil time.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::{HeaderMap, header};

use super::session::cookie;

/// The cookie the language switch sets.
pub const LANG_COOKIE: &str = "lang";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Nl,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Nl, Lang::En];

    /// The `<html lang>` and cookie value.
    pub fn code(self) -> &'static str {
        match self {
            Self::Nl => "nl",
            Self::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "nl" => Some(Self::Nl),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The language of a request: the switch's cookie, else the first
    /// language of `Accept-Language` we have (by weight), else Dutch.
    pub fn of(headers: &HeaderMap) -> Self {
        if let Some(lang) = cookie(headers, LANG_COOKIE).and_then(|c| Self::parse(&c)) {
            return lang;
        }
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(accepted)
            .unwrap_or(Self::Nl)
    }

    /// The other language (for the switch).
    pub fn other(self) -> Self {
        match self {
            Self::Nl => Self::En,
            Self::En => Self::Nl,
        }
    }

    fn catalogue(self) -> &'static HashMap<String, String> {
        match self {
            Self::Nl => &NL,
            Self::En => &EN,
        }
    }
}

/// The best language of an `Accept-Language` value that we have.
fn accepted(value: &str) -> Option<Lang> {
    let mut best: Option<(Lang, f32)> = None;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let weight = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        if let Some(lang) = Lang::parse(primary)
            && weight > 0.0
            && best.is_none_or(|(_, w)| weight > w)
        {
            best = Some((lang, weight));
        }
    }
    best.map(|(lang, _)| lang)
}

/// `part!("owner")` is the part's file in Dutch and in English.
macro_rules! part {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../locales/nl/", $name, ".json")),
            include_str!(concat!("../../locales/en/", $name, ".json")),
        )
    };
}

/// Every catalogue file: (part, Dutch, English). A part's keys start with
/// its name (`owner.` in `owner.json`), except `common`'s (months, roles,
/// navigation, layout, errors); the tests check that every file in
/// `locales/` is listed here, and that no key is in two files.
pub const PARTS: &[(&str, &str, &str)] = &[
    part!("common"),
    part!("a11y"),
    part!("account"),
    part!("area"),
    part!("landing"),
    part!("login"),
    part!("operator"),
    part!("public"),
    part!("owner"),
    part!("records"),
    part!("municipality"),
    part!("requests"),
    part!("letters"),
    part!("approvals"),
    part!("complaints"),
    // Issue 10: the door (key check beside the code, checks tonight).
    part!("doors"),
];

/// A part's file in `lang`.
pub fn part_json(part: &(&str, &'static str, &'static str), lang: Lang) -> &'static str {
    match lang {
        Lang::Nl => part.1,
        Lang::En => part.2,
    }
}

/// A catalogue; a broken file is an empty catalogue (the completeness
/// tests fail on it long before a release).
pub fn parse_catalogue(json: &str) -> HashMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The whole catalogue of `lang`: every part's file.
pub fn catalogue_of(lang: Lang) -> HashMap<String, String> {
    PARTS
        .iter()
        .flat_map(|part| parse_catalogue(part_json(part, lang)))
        .collect()
}

static NL: LazyLock<HashMap<String, String>> = LazyLock::new(|| catalogue_of(Lang::Nl));
static EN: LazyLock<HashMap<String, String>> = LazyLock::new(|| catalogue_of(Lang::En));

/// What templates translate with: `{{ tr.t("login.title") }}`, and
/// `{{ tr.t1("login.throttled", seconds) }}` for a text with one `{0}`.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }

    /// The text of `key`; the key itself when missing (the catalogue
    /// tests make sure no template uses a missing key).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match self.lang.catalogue().get(key) {
            Some(text) => text.as_str(),
            None => {
                tracing::warn!(key, lang = self.lang.code(), "missing catalogue key");
                key
            }
        }
    }

    /// The text of `key`, if the catalogue has it (for keys made from
    /// data, with a fallback of the caller's).
    pub fn lookup(&self, key: &str) -> Option<&'static str> {
        self.lang.catalogue().get(key).map(String::as_str)
    }

    /// The text of `key` with `{0}` replaced by `value`.
    pub fn t1(&self, key: &str, value: impl std::fmt::Display) -> String {
        self.lang
            .catalogue()
            .get(key)
            .map_or_else(|| key.to_owned(), |t| t.replace("{0}", &value.to_string()))
    }

    /// A day as people write it: `29 november 2026`, `29 November 2026`.
    pub fn date(&self, date: time::Date) -> String {
        let month = self.t(MONTH_KEYS[usize::from(u8::from(date.month())) - 1]);
        format!("{} {} {}", date.day(), month, date.year())
    }

    /// The day and time at `unix` seconds in the Netherlands:
    /// `29 november 2026, 01:30`; empty when out of range.
    pub fn date_time(&self, unix: i64) -> String {
        local(unix).map_or_else(String::new, |t| {
            format!("{}, {:02}:{:02}", self.date(t.date()), t.hour(), t.minute())
        })
    }

    /// The time of day at `unix` seconds in the Netherlands: `01:30`.
    pub fn time(&self, unix: i64) -> String {
        local(unix).map_or_else(String::new, |t| {
            format!("{:02}:{:02}", t.hour(), t.minute())
        })
    }
}

fn local(unix: i64) -> Option<time::OffsetDateTime> {
    cho_core::dates::netherlands_time(unix).ok()
}

/// The catalogue keys of the months, January first.
pub const MONTH_KEYS: [&str; 12] = [
    "month.1", "month.2", "month.3", "month.4", "month.5", "month.6", "month.7", "month.8",
    "month.9", "month.10", "month.11", "month.12",
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn the_cookie_beats_accept_language_which_beats_the_default() {
        assert_eq!(Lang::of(&headers(&[])), Lang::Nl);
        assert_eq!(
            Lang::of(&headers(&[("accept-language", "en-GB,en;q=0.9")])),
            Lang::En
        );
        assert_eq!(
            Lang::of(&headers(&[("accept-language", "de, en;q=0.5, nl;q=0.8")])),
            Lang::Nl
        );
        assert_eq!(
            Lang::of(&headers(&[("accept-language", "fr, de")])),
            Lang::Nl
        );
        assert_eq!(
            Lang::of(&headers(&[("accept-language", "en;q=0")])),
            Lang::Nl
        );
        assert_eq!(
            Lang::of(&headers(&[
                ("accept-language", "en"),
                ("cookie", "x=1; lang=nl")
            ])),
            Lang::Nl
        );
        assert_eq!(Lang::of(&headers(&[("cookie", "lang=en")])), Lang::En);
        assert_eq!(Lang::of(&headers(&[("cookie", "lang=xx")])), Lang::Nl);
    }

    /// 2026-11-29 00:30 UTC is 01:30 in the Netherlands (winter time);
    /// 2026-07-01 12:00 UTC is 14:00 (summer time).
    #[test]
    fn dates_and_times_as_people_write_them() {
        let nl = Tr::new(Lang::Nl);
        let en = Tr::new(Lang::En);
        let night = 1_795_912_200;
        assert_eq!(nl.date_time(night), "29 november 2026, 01:30");
        assert_eq!(en.date_time(night), "29 November 2026, 01:30");
        assert_eq!(nl.time(night), "01:30");
        let summer = 1_782_907_200;
        assert_eq!(en.date_time(summer), "1 July 2026, 14:00");
        assert_eq!(nl.date(time::macros::date!(2027 - 03 - 05)), "5 maart 2027");
    }
}
