//! Drawing the station. A verdict fills the screen with its colour, a
//! large icon and its word, so no one depends on colour alone; a status
//! line at the bottom shows the list, its age and whether the door is
//! online. Nothing drawn here ever names the person.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::app::{App, Form, Screen, Shown, VerdictKind, VerdictView};
use super::backend::Connection;
use super::text::Texts;

/// A cross: refused.
const ICON_CROSS: [&str; 5] = [
    "███      ███",
    "  ███  ███  ",
    "    ████    ",
    "  ███  ███  ",
    "███      ███",
];
/// A tick: welcome.
const ICON_TICK: [&str; 5] = [
    "            ████",
    "          ████  ",
    "████    ████    ",
    "  ████████      ",
    "    ████        ",
];
/// A question mark: look again.
const ICON_QUESTION: [&str; 5] = [
    "  ██████  ",
    "███    ███",
    "     ███  ",
    "          ",
    "    ██    ",
];
/// An exclamation mark: the list cannot be relied on.
const ICON_WARNING: [&str; 5] = ["  ███  ", "  ███  ", "  ███  ", "       ", "  ███  "];
/// A no-entry sign: this device is out of service.
const ICON_NO_ENTRY: [&str; 5] = [
    "  ██████  ",
    "██      ██",
    "██████████",
    "██      ██",
    "  ██████  ",
];

/// Colour, icon and word of one kind of result.
struct Look {
    background: Color,
    foreground: Color,
    icon: &'static [&'static str; 5],
    word: &'static str,
}

fn look(kind: VerdictKind, t: &Texts) -> Look {
    match kind {
        VerdictKind::Banned => Look {
            background: Color::Red,
            foreground: Color::White,
            icon: &ICON_CROSS,
            word: t.banned,
        },
        VerdictKind::PossibleMatch => Look {
            background: Color::Yellow,
            foreground: Color::Black,
            icon: &ICON_QUESTION,
            word: t.possible_match,
        },
        VerdictKind::Welcome => Look {
            background: Color::Green,
            foreground: Color::Black,
            icon: &ICON_TICK,
            word: t.welcome,
        },
        VerdictKind::ListOutdated => Look {
            background: Color::Indexed(208),
            foreground: Color::Black,
            icon: &ICON_WARNING,
            word: t.outdated,
        },
        VerdictKind::NoList => Look {
            background: Color::Indexed(208),
            foreground: Color::Black,
            icon: &ICON_WARNING,
            word: t.no_list,
        },
    }
}

pub fn draw(frame: &mut Frame, app: &App, now: Instant) {
    let t = app.lang.texts();
    let [main, hints, status] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    if app.revoked() {
        draw_big(
            frame,
            main,
            &Look {
                background: Color::Magenta,
                foreground: Color::White,
                icon: &ICON_NO_ENTRY,
                word: t.revoked,
            },
            None,
            vec![Line::from(t.revoked_help)],
        );
    } else {
        match &app.screen {
            Screen::Idle => draw_idle(frame, main, app, t),
            Screen::Result { shown, .. } => draw_result(frame, main, shown, t),
            Screen::Form(form) => draw_form(frame, main, form, t),
        }
    }
    let hint = match &app.screen {
        _ if app.revoked() => String::new(),
        Screen::Idle => t.hints_idle.to_owned(),
        Screen::Form(_) => t.hints_form.to_owned(),
        Screen::Result { held: true, .. } => format!("{}   {}", t.held, t.hints_held),
        Screen::Result { .. } => match app.clears_in(now) {
            Some(s) => format!("{} {s} {}   {}", t.clears_in, t.seconds, t.hints_result),
            None => t.hints_result.to_owned(),
        },
    };
    frame.render_widget(
        Paragraph::new(hint).alignment(Alignment::Center).style(
            Style::new()
                .fg(Color::White)
                .bg(Color::Black)
                .add_modifier(Modifier::BOLD),
        ),
        hints,
    );
    frame.render_widget(status_line(app, t), status);
}

/// The status line: list version and age, online or offline, area.
fn status_line(app: &App, t: &Texts) -> Paragraph<'static> {
    let base = Style::new().fg(Color::White).bg(Color::DarkGray);
    let warn = Style::new()
        .fg(Color::Black)
        .bg(Color::Indexed(208))
        .add_modifier(Modifier::BOLD);
    let mut spans = vec![Span::styled(" ", base)];
    match app.status.list {
        Some(list) => {
            spans.push(Span::styled(
                format!(
                    "{} v{} · {} {}",
                    t.list,
                    list.version,
                    t.duration(list.age_seconds),
                    t.old
                ),
                base,
            ));
            if list.outdated {
                spans.push(Span::styled(" ", base));
                spans.push(Span::styled(format!(" {} ", t.list_outdated_mark), warn));
            }
        }
        None => spans.push(Span::styled(format!(" {} ", t.no_list_status), warn)),
    }
    spans.push(Span::styled("  │  ", base));
    let sync_time = |unix: i64| {
        cho_core::dates::netherlands_time(unix)
            .ok()
            .map_or_else(String::new, |t| {
                format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
            })
    };
    match app.status.connection {
        Connection::Starting => spans.push(Span::styled(format!("{}…", t.connecting), base)),
        Connection::Online { last_sync } => {
            spans.push(Span::styled(
                t.online,
                Style::new()
                    .fg(Color::Black)
                    .bg(Color::Green)
                    .add_modifier(Modifier::BOLD),
            ));
            spans.push(Span::styled(
                format!(" {} {}", t.last_sync, sync_time(last_sync)),
                base,
            ));
        }
        Connection::Offline { last_sync } => {
            spans.push(Span::styled(format!(" {} ", t.offline), warn));
            let since = last_sync.map_or_else(
                || t.never_synced.to_owned(),
                |s| format!("{} {}", t.last_sync, sync_time(s)),
            );
            spans.push(Span::styled(format!(" {since}"), base));
        }
        Connection::Refused => spans.push(Span::styled(
            format!(" {} ", t.refused),
            Style::new()
                .fg(Color::White)
                .bg(Color::Magenta)
                .add_modifier(Modifier::BOLD),
        )),
        Connection::Revoked => spans.push(Span::styled(
            format!(" {} ", t.revoked),
            Style::new()
                .fg(Color::White)
                .bg(Color::Magenta)
                .add_modifier(Modifier::BOLD),
        )),
    }
    if let Some(area) = app.status.area_id {
        spans.push(Span::styled(format!("  │  {} {area}", t.area), base));
    }
    Paragraph::new(Line::from(spans)).style(base)
}

fn draw_idle(frame: &mut Frame, area: Rect, app: &App, t: &Texts) {
    frame.render_widget(Block::new().style(Style::new().bg(Color::Black)), area);
    let mut lines = vec![
        Line::styled(
            t.scan,
            Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
        ),
        Line::from(""),
        Line::styled(t.scan_help, Style::new().fg(Color::Gray)),
        Line::from(""),
    ];
    if let Some(progress) = app.progress() {
        // How far the read is, never what was read.
        lines.push(Line::styled(
            format!(
                "{}…  {} {}  {}",
                t.reading,
                t.line,
                progress.lines + 1,
                "▮".repeat(progress.chars.min(44) / 4)
            ),
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ));
    } else {
        lines.push(Line::from(""));
    }
    let warn = Style::new()
        .fg(Color::Black)
        .bg(Color::Indexed(208))
        .add_modifier(Modifier::BOLD);
    lines.push(Line::from(""));
    match app.status.list {
        None => lines.push(Line::styled(
            format!(" {}: {} ", t.no_list, t.no_list_help),
            warn,
        )),
        Some(list) if list.outdated => {
            lines.push(Line::styled(
                format!(" {}: {} ", t.outdated, t.outdated_help),
                warn,
            ));
        }
        Some(_) => {}
    }
    if matches!(app.status.connection, Connection::Offline { .. }) {
        lines.push(Line::styled(format!(" {} ", t.offline_banner), warn));
    }
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let inner = centre_vertically(area, height);
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        inner,
    );
}

fn centre_vertically(area: Rect, height: u16) -> Rect {
    let height = height.min(area.height);
    Rect {
        y: area.y + (area.height - height) / 2,
        height,
        ..area
    }
}

fn draw_result(frame: &mut Frame, area: Rect, shown: &Shown, t: &Texts) {
    match shown {
        Shown::Verdict(v) => draw_verdict(frame, area, v, t),
        Shown::Unreadable(reason) => draw_big(
            frame,
            area,
            &Look {
                background: Color::Blue,
                foreground: Color::White,
                icon: &ICON_QUESTION,
                word: t.unreadable,
            },
            None,
            vec![
                Line::from(t.unreadable_help),
                Line::from(format!("({reason})")),
            ],
        ),
        Shown::Invalid(reason) | Shown::Failed(reason) => draw_big(
            frame,
            area,
            &Look {
                background: Color::Blue,
                foreground: Color::White,
                icon: &ICON_WARNING,
                word: if matches!(shown, Shown::Invalid(_)) {
                    t.invalid
                } else {
                    t.failed
                },
            },
            None,
            vec![Line::from(reason.clone())],
        ),
    }
}

fn draw_verdict(frame: &mut Frame, area: Rect, v: &VerdictView, t: &Texts) {
    let look = look(v.kind, t);
    let mut details = Vec::new();
    let strong = Style::new().add_modifier(Modifier::BOLD);
    // A possible match's date is not a ban until all names are checked.
    if let Some(day) = v.banned_until.filter(|_| v.kind == VerdictKind::Banned) {
        details.push(Line::styled(t.banned_until(day), strong));
    }
    match v.kind {
        VerdictKind::PossibleMatch => details.push(Line::styled(t.possible_match_help, strong)),
        VerdictKind::ListOutdated => details.push(Line::from(t.outdated_help)),
        VerdictKind::NoList => details.push(Line::from(t.no_list_help)),
        _ => {}
    }
    let age_mark = if v.adult {
        Span::styled(format!("  {} ✔", t.adult), strong)
    } else {
        Span::styled(format!("  {}", t.under_18), strong)
    };
    details.push(Line::from(vec![
        Span::raw(format!("{} {} {}", t.age, v.age_years, t.years)),
        age_mark,
    ]));
    match v.document_expired {
        Some(true) => details.push(Line::styled(
            format!(" ⚠ {} ", t.document_expired),
            Style::new()
                .fg(Color::White)
                .bg(Color::Black)
                .add_modifier(Modifier::BOLD),
        )),
        Some(false) => details.push(Line::from(t.document_valid)),
        None => {}
    }
    let badge = (!v.adult).then_some(t.under_18);
    draw_big(frame, area, &look, badge, details);
}

/// The full-screen result: colour, icon, the word as a large label (with
/// an age badge beside it), then the details.
fn draw_big(
    frame: &mut Frame,
    area: Rect,
    look: &Look,
    badge: Option<&str>,
    details: Vec<Line<'static>>,
) {
    let base = Style::new().fg(look.foreground).bg(look.background);
    frame.render_widget(Block::new().style(base), area);
    let label = Style::new()
        .fg(look.background)
        .bg(look.foreground)
        .add_modifier(Modifier::BOLD);
    let badge_style = Style::new()
        .fg(Color::Black)
        .bg(Color::LightYellow)
        .add_modifier(Modifier::BOLD | Modifier::REVERSED);
    let word_width = look.word.chars().count() + 4;
    let pad = " ".repeat(word_width);
    let mut word_line = vec![Span::styled(format!("  {}  ", look.word), label)];
    let mut pad_line = vec![Span::styled(pad.clone(), label)];
    if let Some(badge) = badge {
        let badge_pad = " ".repeat(badge.chars().count() + 4);
        word_line.push(Span::styled("  ", base));
        word_line.push(Span::styled(format!("  {badge}  "), badge_style));
        pad_line.push(Span::styled("  ", base));
        pad_line.push(Span::styled(badge_pad, badge_style));
    }
    // Short screens drop the icon before anything that carries meaning;
    // tall ones (120x40) draw it twice as large.
    let details_height = u16::try_from(details.len()).unwrap_or(u16::MAX);
    let scale = if area.height >= 24 + details_height {
        2
    } else if area.height >= 14 + details_height {
        1
    } else {
        0
    };
    let mut lines: Vec<Line> = Vec::new();
    for row in look.icon.iter() {
        let wide: String = row
            .chars()
            .flat_map(|c| std::iter::repeat_n(c, scale))
            .collect();
        for _ in 0..scale {
            lines.push(Line::styled(
                wide.clone(),
                base.add_modifier(Modifier::BOLD),
            ));
        }
    }
    if scale > 0 {
        lines.push(Line::from(""));
    }
    lines.push(Line::from(pad_line.clone()));
    lines.push(Line::from(word_line));
    lines.push(Line::from(pad_line));
    lines.push(Line::from(""));
    lines.extend(details);
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: false })
            .style(base),
        centre_vertically(area, height),
    );
}

fn draw_form(frame: &mut Frame, area: Rect, form: &Form, t: &Texts) {
    frame.render_widget(Block::new().style(Style::new().bg(Color::Black)), area);
    let width = area.width.clamp(20, 70);
    let box_area = Rect {
        x: area.x + (area.width - width) / 2,
        width,
        ..centre_vertically(area, 13)
    };
    let block = Block::bordered()
        .title(format!(" {} ", t.typed_title))
        .style(Style::new().fg(Color::White).bg(Color::Black));
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    let labels = [t.surname, t.given_names, t.birth_date];
    let mut lines = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let focused = i == form.focus;
        let marker = if focused { "▶ " } else { "  " };
        lines.push(Line::styled(
            format!("{marker}{label}"),
            Style::new().add_modifier(Modifier::BOLD),
        ));
        let value_style = if focused {
            Style::new().fg(Color::Black).bg(Color::White)
        } else {
            Style::new().fg(Color::White).bg(Color::DarkGray)
        };
        let cursor = if focused { "▏" } else { "" };
        let field_width = usize::from(inner.width.saturating_sub(4));
        let text = format!("{}{cursor}", form.fields[i].as_str());
        // The end of a long entry stays in view.
        let shown: String = {
            let n = text.chars().count();
            text.chars().skip(n.saturating_sub(field_width)).collect()
        };
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(format!("{shown:<field_width$}"), value_style),
        ]));
        lines.push(Line::from(""));
    }
    if let Some(error) = &form.error {
        lines.push(Line::styled(
            format!("  ⚠ {error}"),
            Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::station::app::App;
    use crate::station::backend::{ListLine, StationStatus};
    use crate::station::text::Lang;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use std::time::Duration;

    fn screen_text(app: &App, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        let now = Instant::now();
        terminal.draw(|f| draw(f, app, now)).unwrap();
        let buffer = terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..height {
            for x in 0..width {
                out.push_str(buffer[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    fn app_with(lang: Lang, kind: VerdictKind, adult: bool) -> App {
        let mut app = App::new(lang, Duration::from_secs(20), Duration::from_secs(3));
        app.status = StationStatus {
            area_id: Some(1),
            list: Some(ListLine {
                version: 7,
                age_seconds: 125,
                outdated: kind == VerdictKind::ListOutdated,
            }),
            connection: Connection::Online {
                last_sync: 1_795_867_200,
            },
        };
        app.screen = Screen::Result {
            shown: Shown::Verdict(VerdictView {
                kind,
                banned_until: (kind == VerdictKind::Banned)
                    .then_some(time::macros::date!(2027 - 05 - 29)),
                age_years: if adult { 31 } else { 16 },
                adult,
                document_expired: Some(!adult),
            }),
            since: Instant::now(),
            held: false,
        };
        app
    }

    #[test]
    fn every_verdict_has_its_word_and_icon_in_both_languages_at_80x24_and_120x40() {
        let cases = [
            (
                VerdictKind::Banned,
                "GEEN TOEGANG",
                "ACCESS DENIED",
                ICON_CROSS[0],
            ),
            (
                VerdictKind::PossibleMatch,
                "MOGELIJKE MATCH: controleer alle namen",
                "POSSIBLE MATCH: check all names",
                ICON_QUESTION[0],
            ),
            (VerdictKind::Welcome, "WELKOM", "WELCOME", ICON_TICK[0]),
            (
                VerdictKind::ListOutdated,
                "LIJST VEROUDERD",
                "LIST OUTDATED",
                ICON_WARNING[0],
            ),
            (
                VerdictKind::NoList,
                "GEEN LIJST",
                "NO LIST",
                ICON_WARNING[0],
            ),
        ];
        for (kind, nl, en, icon) in cases {
            for (w, h) in [(80, 24), (120, 40)] {
                let text = screen_text(&app_with(Lang::Nl, kind, true), w, h);
                assert!(text.contains(nl), "{kind:?} {w}x{h}:\n{text}");
                let scale = if h >= 40 { 2 } else { 1 };
                let icon: String = icon
                    .trim()
                    .chars()
                    .flat_map(|c| std::iter::repeat_n(c, scale))
                    .collect();
                assert!(text.contains(&icon), "{kind:?} {w}x{h}:\n{text}");
                assert!(text.contains("Leeftijd 31 jaar  18+"), "{text}");
                assert!(text.contains("Lijst v7 · 2 min oud"), "{text}");
                assert!(text.contains("ONLINE laatste sync 13:00:00"), "{text}");
                assert!(text.contains("Gebied 1"), "{text}");
                assert!(text.contains("wist over 20 s"), "{text}");
                let text = screen_text(&app_with(Lang::En, kind, true), w, h);
                assert!(text.contains(en), "{kind:?} {w}x{h}:\n{text}");
                assert!(text.contains("List v7 · 2 min old"), "{text}");
                assert!(text.contains("clears in 20 s"), "{text}");
            }
        }
    }

    #[test]
    fn a_ban_shows_its_last_day_and_a_minor_gets_a_badge_and_expiry() {
        let text = screen_text(&app_with(Lang::Nl, VerdictKind::Banned, true), 80, 24);
        assert!(text.contains("Verbod tot en met 29 mei 2027"), "{text}");
        assert!(text.contains("document geldig"), "{text}");
        let text = screen_text(&app_with(Lang::Nl, VerdictKind::Welcome, false), 80, 24);
        let word_row = text.lines().find(|l| l.contains("WELKOM")).unwrap();
        assert!(word_row.contains("ONDER 18"), "beside WELKOM:\n{text}");
        assert!(text.contains("Leeftijd 16 jaar  ONDER 18"), "{text}");
        assert!(text.contains("DOCUMENT VERLOPEN"), "{text}");
        let text = screen_text(&app_with(Lang::En, VerdictKind::Welcome, false), 80, 24);
        let word_row = text.lines().find(|l| l.contains("WELCOME")).unwrap();
        assert!(word_row.contains("UNDER 18"), "{text}");
        assert!(text.contains("DOCUMENT EXPIRED"), "{text}");
        let text = screen_text(&app_with(Lang::En, VerdictKind::Banned, true), 80, 24);
        assert!(
            text.contains("Banned until 29 May 2027 (last day)"),
            "{text}"
        );
    }

    #[test]
    fn revoked_offline_idle_and_form() {
        let mut app = app_with(Lang::Nl, VerdictKind::Welcome, true);
        app.status.connection = Connection::Revoked;
        let text = screen_text(&app, 80, 24);
        assert!(text.contains("APPARAAT INGETROKKEN"), "{text}");
        assert!(!text.contains("WELKOM"), "{text}");
        app.lang = Lang::En;
        assert!(screen_text(&app, 80, 24).contains("DEVICE REVOKED"));

        let mut app = App::new(Lang::Nl, Duration::from_secs(20), Duration::from_secs(3));
        app.status.connection = Connection::Offline { last_sync: None };
        let text = screen_text(&app, 80, 24);
        assert!(text.contains("Scan het document"), "{text}");
        assert!(text.contains("GEEN LIJST"), "{text}");
        assert!(text.contains("OFFLINE"), "{text}");
        assert!(text.contains("nog nooit gesynchroniseerd"), "{text}");

        app.on_key(
            ratatui::crossterm::event::KeyEvent::new(
                ratatui::crossterm::event::KeyCode::Tab,
                ratatui::crossterm::event::KeyModifiers::NONE,
            ),
            Instant::now(),
            &NoDoor,
            0,
        );
        let text = screen_text(&app, 80, 24);
        assert!(text.contains("Met de hand invoeren"), "{text}");
        assert!(text.contains("Geboortedatum (JJJJ-MM-DD)"), "{text}");
    }

    struct NoDoor;
    impl crate::station::backend::DoorBackend for NoDoor {
        fn check_mrz(
            &self,
            _: &str,
            _: i64,
        ) -> Result<cho_core::checker::Check, crate::station::backend::CheckFailure> {
            Err(crate::station::backend::CheckFailure::Other("none".into()))
        }
        fn check_manual(
            &self,
            _: &str,
            _: &str,
            _: &str,
            _: i64,
        ) -> Result<cho_core::checker::Check, crate::station::backend::CheckFailure> {
            Err(crate::station::backend::CheckFailure::Other("none".into()))
        }
        fn status(&self, _: i64) -> StationStatus {
            StationStatus {
                area_id: None,
                list: None,
                connection: Connection::Starting,
            }
        }
        fn sync_loop(&self, _: &std::sync::atomic::AtomicBool, _: &(dyn Fn() -> i64 + Sync)) {}
    }
}
