//! Terminal output: colour only on a terminal and without `NO_COLOR`, and
//! writes that never panic on a closed pipe.

use std::io::{IsTerminal, Write};

/// ANSI colours, or none.
#[derive(Clone, Copy)]
pub struct Paint {
    enabled: bool,
}

#[derive(Clone, Copy)]
pub enum Colour {
    Red,
    Yellow,
    Green,
}

impl Paint {
    /// Colour for stdout: on a terminal, unless `NO_COLOR` is set
    /// (<https://no-color.org>).
    pub fn for_stdout() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            enabled: !no_color && std::io::stdout().is_terminal(),
        }
    }

    /// Bold and coloured.
    pub fn strong(self, colour: Colour, text: &str) -> String {
        if !self.enabled {
            return text.to_owned();
        }
        let code = match colour {
            Colour::Red => "1;31",
            Colour::Yellow => "1;33",
            Colour::Green => "1;32",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// Coloured, not bold.
    pub fn colour(self, colour: Colour, text: &str) -> String {
        if !self.enabled {
            return text.to_owned();
        }
        let code = match colour {
            Colour::Red => "31",
            Colour::Yellow => "33",
            Colour::Green => "32",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

/// Writes to stdout; a closed pipe is not an error worth a panic.
pub fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// One line on stderr.
pub fn warn(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// "45 s", "12 min", "3 h 5 min", "2 days 4 h".
pub fn duration(seconds: u64) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    match seconds {
        s if s < MINUTE => format!("{s} s"),
        s if s < HOUR => format!("{} min", s / MINUTE),
        s if s < DAY => match (s % HOUR) / MINUTE {
            0 => format!("{} h", s / HOUR),
            m => format!("{} h {m} min", s / HOUR),
        },
        s => {
            let days = s / DAY;
            let unit = if days == 1 { "day" } else { "days" };
            match (s % DAY) / HOUR {
                0 => format!("{days} {unit}"),
                h => format!("{days} {unit} {h} h"),
            }
        }
    }
}

/// A Unix time as "2026-11-28 12:00:00 UTC".
pub fn utc(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .map_or_else(|| format!("@{unix}"), |t| format!("{t} UTC"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(59), "59 s");
        assert_eq!(duration(60), "1 min");
        assert_eq!(duration(3600), "1 h");
        assert_eq!(duration(3600 + 5 * 60), "1 h 5 min");
        assert_eq!(duration(86_400), "1 day");
        assert_eq!(duration(2 * 86_400 + 4 * 3600), "2 days 4 h");
    }

    #[test]
    fn utc_times() {
        assert_eq!(utc(1_795_867_200), "2026-11-28 12:00:00 UTC");
    }

    #[test]
    fn no_colour_means_plain_text() {
        let plain = Paint { enabled: false };
        assert_eq!(plain.strong(Colour::Red, "BANNED"), "BANNED");
        let coloured = Paint { enabled: true };
        assert_eq!(
            coloured.strong(Colour::Red, "BANNED"),
            "\x1b[1;31mBANNED\x1b[0m"
        );
    }
}
