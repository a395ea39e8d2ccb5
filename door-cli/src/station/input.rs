//! Assembling an MRZ from what a desk reader types or sends.
//!
//! A USB reader types the MRZ like a keyboard, each line ended by Enter
//! (`\r`); some send `\r\n`, some send all lines in one burst; a serial
//! reader sends the same bytes on a line. TD1 (ID cards) has 3 lines of 30
//! characters, TD2 2 of 36 and TD3 (passports) 2 of 44. Lines are kept
//! until the last two or three parse as an MRZ; a half-read MRZ (a card
//! pulled out early) is dropped after a pause, so its lines cannot mix with
//! the next document's.
//!
//! The buffers hold personal data: they are allocated once at their full
//! size (no reallocation leaves a copy behind) and wiped when taken, dropped
//! or timed out.

use std::time::{Duration, Instant};

use cho_core::mrz;
use zeroize::{Zeroize, Zeroizing};

/// Longer than any MRZ line (44) with OCR noise; a longer line is noise.
const MAX_LINE: usize = 64;
/// A TD1 has three lines; more are never needed.
const MAX_LINES: usize = 3;
/// How long a half-read MRZ waits for its next character by default.
pub const DEFAULT_PARTIAL_TIMEOUT: Duration = Duration::from_secs(3);

/// What a line end produced.
pub enum Assembled {
    /// A complete MRZ, lines joined by `\n`; wiped when dropped.
    Mrz(Zeroizing<String>),
    /// Something shaped like a complete MRZ that does not read (a wrong
    /// check digit, a misread): the core's reason, which names a line and a
    /// column, never the text.
    Unreadable(String),
}

/// How far a read has come, for the screen (never the characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Complete lines held.
    pub lines: usize,
    /// Characters of the line being typed.
    pub chars: usize,
}

pub struct LineAssembler {
    current: Zeroizing<String>,
    /// Set when the current line grew past [`MAX_LINE`]: it is noise.
    overflow: bool,
    lines: Vec<Zeroizing<String>>,
    last_input: Option<Instant>,
    timeout: Duration,
}

fn line_buffer() -> Zeroizing<String> {
    Zeroizing::new(String::with_capacity(MAX_LINE))
}

/// A TD2/TD3 second line ends in the composite check digit; a first line
/// ends in a name or a filler, never a digit.
fn is_closing_two_line(line: &str) -> bool {
    matches!(line.len(), 36 | 44) && line.ends_with(|c: char| c.is_ascii_digit())
}

impl LineAssembler {
    pub fn new(timeout: Duration) -> Self {
        Self {
            current: line_buffer(),
            overflow: false,
            lines: Vec::with_capacity(MAX_LINES + 1),
            last_input: None,
            timeout,
        }
    }

    /// Whether part of an MRZ is held.
    pub fn is_reading(&self) -> bool {
        !self.current.is_empty() || !self.lines.is_empty() || self.overflow
    }

    pub fn progress(&self) -> Option<Progress> {
        self.is_reading().then(|| Progress {
            lines: self.lines.len(),
            chars: self.current.len(),
        })
    }

    /// Wipes everything held.
    pub fn clear(&mut self) {
        self.current.zeroize();
        self.overflow = false;
        // Each line wipes itself when dropped.
        self.lines.clear();
        self.last_input = None;
    }

    /// Drops a half-read MRZ after the pause; true when one was dropped.
    pub fn expire(&mut self, now: Instant) -> bool {
        let stale = self
            .last_input
            .is_some_and(|last| now.saturating_duration_since(last) > self.timeout);
        if stale && self.is_reading() {
            self.clear();
            return true;
        }
        if stale {
            self.last_input = None;
        }
        false
    }

    /// One typed character. Anything but the MRZ alphabet (letters, digits,
    /// `<`) is ignored: readers send none of it.
    pub fn push_char(&mut self, c: char, now: Instant) {
        if !(c.is_ascii_alphanumeric() || c == '<') {
            return;
        }
        self.expire(now);
        self.last_input = Some(now);
        if self.current.len() >= MAX_LINE {
            self.overflow = true;
            return;
        }
        self.current.push(c.to_ascii_uppercase());
    }

    /// Bytes from a serial reader: `\r` and `\n` end a line.
    pub fn push_bytes(&mut self, bytes: &[u8], now: Instant) -> Vec<Assembled> {
        let mut out = Vec::new();
        for &b in bytes {
            match b {
                b'\r' | b'\n' => out.extend(self.end_line(now)),
                b => self.push_char(char::from(b), now),
            }
        }
        out
    }

    /// Enter (`\r`), or `\n`. An empty line (the `\n` of a `\r\n`, a blank
    /// line) is ignored.
    pub fn end_line(&mut self, now: Instant) -> Option<Assembled> {
        self.expire(now);
        self.last_input = Some(now);
        if self.overflow {
            self.clear();
            return Some(Assembled::Unreadable(format!(
                "a line longer than {MAX_LINE} characters"
            )));
        }
        if self.current.is_empty() {
            return None;
        }
        let line = std::mem::replace(&mut self.current, line_buffer());
        if self.lines.len() == MAX_LINES {
            self.lines.remove(0);
        }
        self.lines.push(line);
        self.complete()
    }

    /// The last `n` lines joined by `\n`, in a buffer that wipes itself.
    fn joined(&self, n: usize) -> Zeroizing<String> {
        let tail = &self.lines[self.lines.len() - n..];
        let mut text = Zeroizing::new(String::with_capacity(MAX_LINES * (MAX_LINE + 1)));
        for (i, line) in tail.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            text.push_str(line);
        }
        text
    }

    fn complete(&mut self) -> Option<Assembled> {
        for n in [2, 3] {
            if self.lines.len() >= n {
                let text = self.joined(n);
                if mrz::parse(&text).is_ok() {
                    self.clear();
                    return Some(Assembled::Mrz(text));
                }
            }
        }
        // Shaped like a whole MRZ yet unreadable: say so now rather than
        // wait for lines that will not come.
        let count = self.lines.len();
        let last = self.lines.last().map_or(0, |l| l.len());
        let shaped = if count >= 2
            && is_closing_two_line(&self.lines[count - 1])
            && self.lines[count - 2].len() == last
        {
            Some(2)
        } else if count >= 3 && self.lines[count - 3..].iter().all(|l| l.len() == 30) {
            Some(3)
        } else {
            None
        };
        let n = shaped?;
        let reason = mrz::parse(&self.joined(n))
            .err()
            .map_or_else(|| "unreadable".to_owned(), |e| e.to_string());
        self.clear();
        Some(Assembled::Unreadable(reason))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use cho_testkit::mrz as kit;

    fn td3() -> String {
        kit::td3(
            &format!("P<NLD{}", kit::name_field("Jansen", "Piet Hendrik")),
            "SPECI2014",
            "NLD",
            "940517",
            'M',
            "300101",
            kit::BSN,
        )
    }

    fn td1() -> String {
        kit::id_card("de Bruijn", "Willeke", "650310", "310101")
    }

    /// Feeds `text` as key presses: `\r` and `\n` are Enter.
    fn type_keys(a: &mut LineAssembler, text: &str, at: Instant) -> Vec<Assembled> {
        let mut out = Vec::new();
        for c in text.chars() {
            match c {
                '\r' | '\n' => out.extend(a.end_line(at)),
                c => a.push_char(c, at),
            }
        }
        out
    }

    fn mrz_of(out: &[Assembled]) -> Vec<String> {
        out.iter()
            .map(|o| match o {
                Assembled::Mrz(text) => text.to_string(),
                Assembled::Unreadable(reason) => format!("unreadable: {reason}"),
            })
            .collect()
    }

    #[test]
    fn td3_with_enter_after_each_line() {
        let mut a = LineAssembler::new(DEFAULT_PARTIAL_TIMEOUT);
        let now = Instant::now();
        let mrz = td3();
        let (l1, l2) = mrz.split_once('\n').unwrap();
        assert!(type_keys(&mut a, &format!("{l1}\r"), now).is_empty());
        assert_eq!(a.progress(), Some(Progress { lines: 1, chars: 0 }));
        let out = type_keys(&mut a, &format!("{l2}\r"), now);
        assert_eq!(mrz_of(&out), vec![mrz]);
        assert!(!a.is_reading());
    }

    #[test]
    fn crlf_readers_and_a_final_newline() {
        let mut a = LineAssembler::new(DEFAULT_PARTIAL_TIMEOUT);
        let now = Instant::now();
        let mrz = td3();
        let out = type_keys(&mut a, &format!("{}\r\n", mrz.replace('\n', "\r\n")), now);
        assert_eq!(mrz_of(&out), vec![mrz.clone()]);
        // Serial bytes, the same.
        let out = a.push_bytes(format!("{}\r\n", mrz.replace('\n', "\r\n")).as_bytes(), now);
        assert_eq!(mrz_of(&out), vec![mrz]);
    }

    #[test]
    fn td1_three_lines_fast_and_two_documents_in_one_burst() {
        let mut a = LineAssembler::new(DEFAULT_PARTIAL_TIMEOUT);
        let now = Instant::now();
        let id = td1();
        let pass = td3();
        // Both documents, no pause at all, as one burst of bytes.
        let burst = format!("{}\r{}\r", id.replace('\n', "\r"), pass.replace('\n', "\r"));
        let out = a.push_bytes(burst.as_bytes(), now);
        assert_eq!(mrz_of(&out), vec![id.clone(), pass]);
        // A TD1 does not complete after two lines.
        let lines: Vec<&str> = id.lines().collect();
        assert!(type_keys(&mut a, &format!("{}\r{}\r", lines[0], lines[1]), now).is_empty());
        assert_eq!(a.progress(), Some(Progress { lines: 2, chars: 0 }));
        assert_eq!(
            mrz_of(&type_keys(&mut a, &format!("{}\r", lines[2]), now)),
            vec![id]
        );
    }

    #[test]
    fn a_half_read_mrz_is_dropped_after_the_pause() {
        let timeout = Duration::from_secs(2);
        let mut a = LineAssembler::new(timeout);
        let start = Instant::now();
        let mrz = td3();
        let (l1, l2) = mrz.split_once('\n').unwrap();
        type_keys(&mut a, &format!("{l1}\r{}", &l2[..10]), start);
        assert!(a.is_reading());
        assert!(!a.expire(start + timeout));
        assert!(a.expire(start + timeout + Duration::from_millis(1)));
        assert!(!a.is_reading());
        // The next document reads cleanly, not mixed with the old line.
        let later = start + Duration::from_secs(10);
        let out = type_keys(&mut a, &format!("{l2}\r"), later);
        assert!(out.is_empty(), "a second line alone is no MRZ");
        // And the stale line expires on its own when the next key comes late.
        let out = type_keys(
            &mut a,
            &format!("{l1}\r{l2}\r"),
            later + Duration::from_secs(5),
        );
        assert_eq!(mrz_of(&out), vec![mrz]);
    }

    #[test]
    fn a_misread_is_reported_without_its_text() {
        let mut a = LineAssembler::new(DEFAULT_PARTIAL_TIMEOUT);
        let now = Instant::now();
        let mut bad = td3();
        bad.replace_range(bad.len() - 1.., if bad.ends_with('0') { "1" } else { "0" });
        let out = mrz_of(&type_keys(&mut a, &format!("{bad}\r"), now));
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].starts_with("unreadable: "), "{out:?}");
        for piece in ["JANSEN", "PIET", "940517", "SPECI"] {
            assert!(!out[0].contains(piece), "{out:?}");
        }
        assert!(!a.is_reading());
        // Noise: an over-long line is dropped with a reason.
        let out = mrz_of(&type_keys(&mut a, &format!("{}\r", "A".repeat(100)), now));
        assert_eq!(out.len(), 1);
        assert!(out[0].contains("longer than"), "{out:?}");
    }

    #[test]
    fn keys_outside_the_mrz_alphabet_are_ignored() {
        let mut a = LineAssembler::new(DEFAULT_PARTIAL_TIMEOUT);
        let now = Instant::now();
        let mrz = td3();
        let noisy = mrz.replace('\n', " \r\n");
        let out = type_keys(&mut a, &format!("{}\r", noisy.to_lowercase()), now);
        assert_eq!(mrz_of(&out), vec![mrz]);
    }
}
