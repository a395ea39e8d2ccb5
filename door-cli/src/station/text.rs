//! The station's words, in Dutch (the default) and English. The English
//! verdict words follow `cho-door check` where it has them.

use time::Date;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Nl,
    En,
}

pub struct Texts {
    pub lang: Lang,
    pub banned: &'static str,
    pub possible_match: &'static str,
    pub welcome: &'static str,
    pub outdated: &'static str,
    pub no_list: &'static str,
    pub revoked: &'static str,
    pub refused: &'static str,
    pub unreadable: &'static str,
    pub invalid: &'static str,
    pub failed: &'static str,
    pub under_18: &'static str,
    pub adult: &'static str,
    pub document_expired: &'static str,
    pub document_valid: &'static str,
    pub possible_match_help: &'static str,
    pub outdated_help: &'static str,
    pub no_list_help: &'static str,
    pub revoked_help: &'static str,
    pub unreadable_help: &'static str,
    pub scan: &'static str,
    pub scan_help: &'static str,
    pub reading: &'static str,
    pub line: &'static str,
    pub typed_title: &'static str,
    pub surname: &'static str,
    pub given_names: &'static str,
    pub birth_date: &'static str,
    pub hints_idle: &'static str,
    pub hints_result: &'static str,
    pub hints_held: &'static str,
    pub hints_form: &'static str,
    pub clears_in: &'static str,
    pub held: &'static str,
    pub list: &'static str,
    pub old: &'static str,
    pub list_outdated_mark: &'static str,
    pub no_list_status: &'static str,
    pub online: &'static str,
    pub offline: &'static str,
    pub connecting: &'static str,
    pub last_sync: &'static str,
    pub never_synced: &'static str,
    pub area: &'static str,
    pub offline_banner: &'static str,
    pub seconds: &'static str,
    pub minutes: &'static str,
    pub hours: &'static str,
    pub day: &'static str,
    pub days: &'static str,
    pub years: &'static str,
    pub age: &'static str,
    pub months: [&'static str; 12],
}

pub static NL: Texts = Texts {
    lang: Lang::Nl,
    banned: "GEEN TOEGANG",
    possible_match: "MOGELIJKE MATCH: controleer alle namen",
    welcome: "WELKOM",
    outdated: "LIJST VEROUDERD",
    no_list: "GEEN LIJST",
    revoked: "APPARAAT INGETROKKEN",
    refused: "APPARAAT NIET HERKEND",
    unreadable: "MRZ NIET GELEZEN",
    invalid: "INVOER NIET BRUIKBAAR",
    failed: "CONTROLE MISLUKT",
    under_18: "ONDER 18",
    adult: "18+",
    document_expired: "DOCUMENT VERLOPEN",
    document_valid: "document geldig",
    possible_match_help: "Voer ALLE namen van het document met de hand in (Tab)",
    outdated_help: "Geen bekend verbod, maar de lijst is te oud: zorg voor netwerk",
    no_list_help: "Nog geen lijst ontvangen: zorg voor netwerk",
    revoked_help: "Dit apparaat controleert niet meer. Meld het opnieuw aan met een nieuwe code",
    unreadable_help: "Scan opnieuw, of voer met de hand in (Tab)",
    scan: "Scan het document",
    scan_help: "Leg het document op de lezer, of druk Tab om met de hand in te voeren",
    reading: "Lezen",
    line: "regel",
    typed_title: "Met de hand invoeren",
    surname: "Achternaam",
    given_names: "Alle voornamen",
    birth_date: "Geboortedatum (JJJJ-MM-DD)",
    hints_idle: "Tab: met de hand invoeren   Ctrl+C: stoppen",
    hints_result: "Spatie: vasthouden   Esc: wissen   Tab: met de hand",
    hints_held: "Esc: wissen   Tab: met de hand",
    hints_form: "Tab: volgend veld   Enter: controleren   Esc: annuleren",
    clears_in: "wist over",
    held: "VASTGEHOUDEN",
    list: "Lijst",
    old: "oud",
    list_outdated_mark: "VEROUDERD",
    no_list_status: "Geen lijst",
    online: "ONLINE",
    offline: "OFFLINE",
    connecting: "verbinden",
    last_sync: "laatste sync",
    never_synced: "nog nooit gesynchroniseerd",
    area: "Gebied",
    offline_banner: "OFFLINE: controles gebruiken de lijst op dit apparaat",
    seconds: "s",
    minutes: "min",
    hours: "u",
    day: "dag",
    days: "dagen",
    years: "jaar",
    age: "Leeftijd",
    months: [
        "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
    ],
};

pub static EN: Texts = Texts {
    lang: Lang::En,
    banned: "ACCESS DENIED",
    possible_match: "POSSIBLE MATCH: check all names",
    welcome: "WELCOME",
    outdated: "LIST OUTDATED",
    no_list: "NO LIST",
    revoked: "DEVICE REVOKED",
    refused: "DEVICE NOT RECOGNISED",
    unreadable: "MRZ NOT READ",
    invalid: "INPUT NOT USABLE",
    failed: "CHECK FAILED",
    under_18: "UNDER 18",
    adult: "18+",
    document_expired: "DOCUMENT EXPIRED",
    document_valid: "document valid",
    possible_match_help: "Type in ALL names from the document (Tab)",
    outdated_help: "No known ban, but the list is too old: get this device online",
    no_list_help: "No list received yet: get this device online",
    revoked_help: "This device no longer checks. Enrol it again with a new code",
    unreadable_help: "Scan again, or type the details in (Tab)",
    scan: "Scan the document",
    scan_help: "Put the document on the reader, or press Tab to type the details",
    reading: "Reading",
    line: "line",
    typed_title: "Type in",
    surname: "Surname",
    given_names: "All given names",
    birth_date: "Birth date (YYYY-MM-DD)",
    hints_idle: "Tab: type in   Ctrl+C: quit",
    hints_result: "Space: keep   Esc: clear   Tab: type in",
    hints_held: "Esc: clear   Tab: type in",
    hints_form: "Tab: next field   Enter: check   Esc: cancel",
    clears_in: "clears in",
    held: "KEPT",
    list: "List",
    old: "old",
    list_outdated_mark: "OUTDATED",
    no_list_status: "No list",
    online: "ONLINE",
    offline: "OFFLINE",
    connecting: "connecting",
    last_sync: "last sync",
    never_synced: "never synced",
    area: "Area",
    offline_banner: "OFFLINE: checks use the list on this device",
    seconds: "s",
    minutes: "min",
    hours: "h",
    day: "day",
    days: "days",
    years: "years",
    age: "Age",
    months: [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
};

impl Lang {
    pub fn texts(self) -> &'static Texts {
        match self {
            Self::Nl => &NL,
            Self::En => &EN,
        }
    }
}

impl Texts {
    /// "45 s", "12 min", "3 u 5 min", "2 dagen 4 u".
    pub fn duration(&self, seconds: u64) -> String {
        const MINUTE: u64 = 60;
        const HOUR: u64 = 60 * MINUTE;
        const DAY: u64 = 24 * HOUR;
        match seconds {
            s if s < MINUTE => format!("{s} {}", self.seconds),
            s if s < HOUR => format!("{} {}", s / MINUTE, self.minutes),
            s if s < DAY => match (s % HOUR) / MINUTE {
                0 => format!("{} {}", s / HOUR, self.hours),
                m => format!("{} {} {m} {}", s / HOUR, self.hours, self.minutes),
            },
            s => {
                let days = s / DAY;
                let unit = if days == 1 { self.day } else { self.days };
                match (s % DAY) / HOUR {
                    0 => format!("{days} {unit}"),
                    h => format!("{days} {unit} {h} {}", self.hours),
                }
            }
        }
    }

    /// "29 mei 2027" / "29 May 2027": no day-month order to misread.
    pub fn date(&self, date: Date) -> String {
        let month = self.months[usize::from(u8::from(date.month())) - 1];
        format!("{} {month} {}", date.day(), date.year())
    }

    /// The ban's last day, as a sentence.
    pub fn banned_until(&self, date: Date) -> String {
        if self.lang == Lang::En {
            format!("Banned until {} (last day)", self.date(date))
        } else {
            format!("Verbod tot en met {}", self.date(date))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_dates() {
        assert_eq!(NL.duration(59), "59 s");
        assert_eq!(NL.duration(3 * 3600 + 300), "3 u 5 min");
        assert_eq!(NL.duration(2 * 86_400 + 4 * 3600), "2 dagen 4 u");
        assert_eq!(EN.duration(86_400), "1 day");
        let day = time::macros::date!(2027 - 05 - 29);
        assert_eq!(NL.banned_until(day), "Verbod tot en met 29 mei 2027");
        assert_eq!(EN.banned_until(day), "Banned until 29 May 2027 (last day)");
    }
}
