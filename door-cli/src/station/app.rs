//! The station's state: what the screen shows and how keys change it. No
//! terminal here, so every rule is tested directly; time comes in as an
//! argument (`Instant` for the screen's timers, Unix seconds for checks).
//!
//! Nothing here keeps a name or an MRZ beyond the check: a verdict holds
//! only what door staff need to see, the form's fields wipe themselves
//! when the form closes.

use std::time::{Duration, Instant};

use cho_core::checker::{Check, Verdict};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use time::Date;
use zeroize::{Zeroize, Zeroizing};

use super::backend::{CheckFailure, Connection, DoorBackend, StationStatus};
use super::input::{Assembled, LineAssembler, Progress};
use super::text::Lang;

/// Longer than any name or date anyone types.
const FIELD_MAX: usize = 120;
/// A form left alone this long closes (and forgets what was typed).
const FORM_IDLE: Duration = Duration::from_secs(120);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerdictKind {
    Banned,
    PossibleMatch,
    Welcome,
    ListOutdated,
    NoList,
}

/// A verdict as shown: no name, no birth date, no document number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerdictView {
    pub kind: VerdictKind,
    pub banned_until: Option<Date>,
    pub age_years: u32,
    pub adult: bool,
    pub document_expired: Option<bool>,
}

impl From<&Check> for VerdictView {
    fn from(check: &Check) -> Self {
        Self {
            kind: match check.verdict {
                Verdict::Banned => VerdictKind::Banned,
                Verdict::PossibleMatch => VerdictKind::PossibleMatch,
                Verdict::NotBanned => VerdictKind::Welcome,
                Verdict::ListOutdated => VerdictKind::ListOutdated,
                Verdict::NoList => VerdictKind::NoList,
            },
            banned_until: check.banned_until,
            age_years: check.age_years,
            adult: check.adult,
            document_expired: check.document_expired,
        }
    }
}

/// A result on the screen: a verdict, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    Verdict(VerdictView),
    Unreadable(String),
    Invalid(String),
    Failed(String),
}

/// The typed-entry form.
pub struct Form {
    /// Surname, given names, birth date.
    pub fields: [Zeroizing<String>; 3],
    pub focus: usize,
    /// The core's reason for refusing the last try.
    pub error: Option<String>,
    last_key: Instant,
}

impl Form {
    fn new(now: Instant) -> Self {
        let field = || Zeroizing::new(String::with_capacity(FIELD_MAX));
        Self {
            fields: [field(), field(), field()],
            focus: 0,
            error: None,
            last_key: now,
        }
    }
}

pub enum Screen {
    Idle,
    Result {
        shown: Shown,
        since: Instant,
        held: bool,
    },
    Form(Form),
}

pub struct App {
    pub lang: Lang,
    pub clear_after: Duration,
    pub screen: Screen,
    pub keyboard: LineAssembler,
    /// A read in progress on the serial reader, for the screen.
    pub serial_progress: Option<Progress>,
    pub status: StationStatus,
    pub quit: bool,
}

impl App {
    pub fn new(lang: Lang, clear_after: Duration, partial_timeout: Duration) -> Self {
        Self {
            lang,
            clear_after,
            screen: Screen::Idle,
            keyboard: LineAssembler::new(partial_timeout),
            serial_progress: None,
            status: StationStatus {
                area_id: None,
                list: None,
                connection: Connection::Starting,
            },
            quit: false,
        }
    }

    pub fn revoked(&self) -> bool {
        self.status.connection == Connection::Revoked
    }

    /// A read in progress, from either reader.
    pub fn progress(&self) -> Option<Progress> {
        self.keyboard.progress().or(self.serial_progress)
    }

    fn show(&mut self, shown: Shown, now: Instant) {
        self.screen = Screen::Result {
            shown,
            since: now,
            held: false,
        };
    }

    fn show_check(&mut self, result: Result<Check, CheckFailure>, now: Instant) {
        let shown = match result {
            Ok(check) => Shown::Verdict(VerdictView::from(&check)),
            Err(CheckFailure::Unreadable(reason)) => Shown::Unreadable(reason),
            Err(CheckFailure::Invalid(reason)) => Shown::Invalid(reason),
            Err(CheckFailure::Revoked) => {
                self.status.connection = Connection::Revoked;
                self.screen = Screen::Idle;
                return;
            }
            Err(CheckFailure::Other(reason)) => Shown::Failed(reason),
        };
        self.show(shown, now);
    }

    /// A complete MRZ (or a misread) from a reader. The text is dropped,
    /// and so wiped, when this returns.
    pub fn on_assembled(
        &mut self,
        assembled: Assembled,
        now: Instant,
        backend: &dyn DoorBackend,
        unix: i64,
    ) {
        match assembled {
            Assembled::Mrz(text) => {
                if matches!(self.screen, Screen::Form(_)) {
                    // A document on the reader wins over a half-typed form.
                    self.screen = Screen::Idle;
                }
                let result = backend.check_mrz(&text, unix);
                drop(text);
                self.show_check(result, now);
            }
            Assembled::Unreadable(reason) => self.show(Shown::Unreadable(reason), now),
        }
    }

    /// The screen's timers: a half-read MRZ, a result's display time, a
    /// form left alone.
    pub fn tick(&mut self, now: Instant) {
        self.keyboard.expire(now);
        match &self.screen {
            Screen::Result {
                since, held: false, ..
            } if now.saturating_duration_since(*since) >= self.clear_after => {
                self.screen = Screen::Idle;
            }
            Screen::Form(form) if now.saturating_duration_since(form.last_key) >= FORM_IDLE => {
                self.screen = Screen::Idle;
            }
            _ => {}
        }
    }

    /// Seconds until the result clears, when one is shown and not kept.
    pub fn clears_in(&self, now: Instant) -> Option<u64> {
        match &self.screen {
            Screen::Result {
                since, held: false, ..
            } => {
                let left = self
                    .clear_after
                    .saturating_sub(now.saturating_duration_since(*since));
                Some(left.as_secs() + u64::from(left.subsec_nanos() > 0))
            }
            _ => None,
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, now: Instant, backend: &dyn DoorBackend, unix: i64) {
        if key.kind != KeyEventKind::Press {
            return;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c' | 'q')) {
            self.quit = true;
            return;
        }
        if let Screen::Form(form) = &mut self.screen {
            form.last_key = now;
            match key.code {
                KeyCode::Esc => self.screen = Screen::Idle,
                KeyCode::Tab | KeyCode::Down => form.focus = (form.focus + 1) % 3,
                KeyCode::BackTab | KeyCode::Up => form.focus = (form.focus + 2) % 3,
                KeyCode::Enter if form.focus < 2 => form.focus += 1,
                KeyCode::Enter => self.submit_form(now, backend, unix),
                KeyCode::Char('j' | 'm') if ctrl && form.focus < 2 => form.focus += 1,
                KeyCode::Char('j' | 'm') if ctrl => self.submit_form(now, backend, unix),
                KeyCode::Char('u') if ctrl => form.fields[form.focus].zeroize(),
                KeyCode::Backspace => {
                    form.fields[form.focus].pop();
                }
                KeyCode::Char(c) if !ctrl => {
                    let field = &mut form.fields[form.focus];
                    if field.len() + c.len_utf8() <= FIELD_MAX {
                        field.push(c);
                    }
                }
                _ => {}
            }
            return;
        }
        match key.code {
            KeyCode::Tab | KeyCode::F(2) if !self.revoked() => {
                self.keyboard.clear();
                self.screen = Screen::Form(Form::new(now));
            }
            KeyCode::Esc => {
                self.keyboard.clear();
                self.screen = Screen::Idle;
            }
            KeyCode::Char(' ') => {
                if let Screen::Result { held, .. } = &mut self.screen {
                    *held = !*held;
                }
            }
            // Enter is `\r`; in raw mode a `\n` arrives as Ctrl+J.
            KeyCode::Enter => self.line_end(now, backend, unix),
            KeyCode::Char('j' | 'm') if ctrl => self.line_end(now, backend, unix),
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
                self.keyboard.push_char(c, now);
            }
            _ => {}
        }
    }

    fn line_end(&mut self, now: Instant, backend: &dyn DoorBackend, unix: i64) {
        if let Some(assembled) = self.keyboard.end_line(now) {
            self.on_assembled(assembled, now, backend, unix);
        }
    }

    fn submit_form(&mut self, now: Instant, backend: &dyn DoorBackend, unix: i64) {
        let Screen::Form(form) = &mut self.screen else {
            return;
        };
        let [surname, given, birth] = &form.fields;
        let result = backend.check_manual(surname.trim(), given.trim(), birth.trim(), unix);
        match result {
            // A refused field keeps the form open to correct it.
            Err(CheckFailure::Invalid(reason)) => form.error = Some(reason),
            // Anything else closes the form; its fields wipe themselves.
            result => self.show_check(result, now),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicBool;

    /// Answers every check with `verdict`; remembers how many it saw.
    struct Fake {
        verdict: Verdict,
        seen: Mutex<Vec<&'static str>>,
    }

    fn check(verdict: Verdict) -> Check {
        Check {
            verdict,
            banned_until: None,
            age_years: 16,
            adult: false,
            document_expired: Some(false),
            list_version: Some(3),
            list_age_seconds: Some(10),
        }
    }

    impl DoorBackend for Fake {
        fn check_mrz(&self, mrz: &str, _: i64) -> Result<Check, CheckFailure> {
            self.seen.lock().unwrap().push("mrz");
            cho_core::mrz::parse(mrz).map_err(|e| CheckFailure::Unreadable(e.to_string()))?;
            Ok(check(self.verdict))
        }
        fn check_manual(
            &self,
            _: &str,
            _: &str,
            birth: &str,
            _: i64,
        ) -> Result<Check, CheckFailure> {
            self.seen.lock().unwrap().push("manual");
            if birth.len() != 10 {
                return Err(CheckFailure::Invalid(
                    "birth date must be YYYY-MM-DD".into(),
                ));
            }
            Ok(check(self.verdict))
        }
        fn status(&self, _: i64) -> StationStatus {
            StationStatus {
                area_id: Some(1),
                list: None,
                connection: Connection::Starting,
            }
        }
        fn sync_loop(&self, _: &AtomicBool, _: &(dyn Fn() -> i64 + Sync)) {}
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn type_text(app: &mut App, text: &str, now: Instant, fake: &Fake) {
        for c in text.chars() {
            let code = match c {
                '\r' => KeyCode::Enter,
                '\n' => {
                    app.on_key(
                        KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL),
                        now,
                        fake,
                        0,
                    );
                    continue;
                }
                '\t' => KeyCode::Tab,
                c => KeyCode::Char(c),
            };
            app.on_key(key(code), now, fake, 0);
        }
    }

    fn fake(verdict: Verdict) -> Fake {
        Fake {
            verdict,
            seen: Mutex::new(Vec::new()),
        }
    }

    #[test]
    fn an_mrz_typed_by_a_reader_shows_a_verdict_that_clears_unless_kept() {
        let fake = fake(Verdict::NotBanned);
        let mut app = App::new(Lang::Nl, Duration::from_secs(20), Duration::from_secs(3));
        let t0 = Instant::now();
        let mrz = cho_testkit::people::JANSEN.passport();
        type_text(
            &mut app,
            &format!("{}\r\n", mrz.replace('\n', "\r\n")),
            t0,
            &fake,
        );
        let Screen::Result {
            shown: Shown::Verdict(v),
            ..
        } = &app.screen
        else {
            panic!("no verdict");
        };
        assert_eq!(v.kind, VerdictKind::Welcome);
        assert!(!v.adult);
        assert_eq!(app.clears_in(t0), Some(20));
        app.tick(t0 + Duration::from_secs(19));
        assert!(matches!(app.screen, Screen::Result { .. }));
        app.tick(t0 + Duration::from_secs(20));
        assert!(matches!(app.screen, Screen::Idle));

        // Space keeps it.
        type_text(
            &mut app,
            &format!("{}\r", mrz.replace('\n', "\r")),
            t0,
            &fake,
        );
        app.on_key(key(KeyCode::Char(' ')), t0, &fake, 0);
        app.tick(t0 + Duration::from_secs(600));
        assert!(matches!(app.screen, Screen::Result { held: true, .. }));
        assert_eq!(app.clears_in(t0), None);
        app.on_key(key(KeyCode::Esc), t0, &fake, 0);
        assert!(matches!(app.screen, Screen::Idle));
        assert_eq!(*fake.seen.lock().unwrap(), ["mrz", "mrz"]);
    }

    #[test]
    fn typed_entry_moves_through_the_fields_and_keeps_the_form_on_a_bad_date() {
        let fake = fake(Verdict::PossibleMatch);
        let mut app = App::new(Lang::En, Duration::from_secs(5), Duration::from_secs(3));
        let t0 = Instant::now();
        type_text(&mut app, "\tJansen\rPiet\r17-5-1994\r", t0, &fake);
        let Screen::Form(form) = &app.screen else {
            panic!("the form closed");
        };
        assert!(form.error.is_some());
        assert_eq!(form.focus, 2);
        for _ in 0..10 {
            app.on_key(key(KeyCode::Backspace), t0, &fake, 0);
        }
        type_text(&mut app, "1994-05-17\r", t0, &fake);
        let Screen::Result {
            shown: Shown::Verdict(v),
            ..
        } = &app.screen
        else {
            panic!("no verdict");
        };
        assert_eq!(v.kind, VerdictKind::PossibleMatch);
        // Esc cancels a form; a form left alone closes.
        type_text(&mut app, "\tAbc", t0, &fake);
        app.on_key(key(KeyCode::Esc), t0, &fake, 0);
        assert!(matches!(app.screen, Screen::Idle));
        type_text(&mut app, "\tAbc", t0, &fake);
        app.tick(t0 + FORM_IDLE);
        assert!(matches!(app.screen, Screen::Idle));
    }

    #[test]
    fn a_revoked_device_checks_nobody() {
        let fake = fake(Verdict::NotBanned);
        let mut app = App::new(Lang::Nl, Duration::from_secs(20), Duration::from_secs(3));
        app.status.connection = Connection::Revoked;
        app.on_key(key(KeyCode::Tab), Instant::now(), &fake, 0);
        assert!(matches!(app.screen, Screen::Idle), "no form");
    }
}
