//! `cho-door station`: a full-screen door screen for a desk ID reader (a
//! USB reader that types the MRZ like a keyboard, or a serial one) and for
//! typed entry. The verdict fills the screen; it clears itself after
//! `--clear-after` seconds; the list is kept current in the background.
//!
//! Privacy: the screen runs in the terminal's alternate screen (nothing
//! reaches the scrollback), typed characters are not echoed, the MRZ and
//! the form are wiped from memory once checked, and nothing is logged or
//! written to a file.
//!
//! Modules: `input` assembles MRZ lines, `app` is the state and the keys,
//! `render` draws, `backend` is the door behind the screen (check, status,
//! background sync), `serial` reads a serial reader, `text` the words.

mod app;
mod backend;
mod input;
mod render;
mod serial;
mod text;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use ratatui::crossterm::event::{self, Event};

use crate::{Context, Failure, Outcome};
use app::App;
use backend::{CoreBackend, DoorBackend};
use input::LineAssembler;
use text::Lang;

#[derive(Clone, Copy, ValueEnum)]
pub enum LangArg {
    Nl,
    En,
}

#[derive(Args)]
pub struct StationArgs {
    /// The screen's language.
    #[arg(long, value_enum, default_value = "nl")]
    pub lang: LangArg,

    /// Seconds a verdict stays on screen (Space keeps it, Esc clears it).
    #[arg(long, value_name = "SECONDS", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub clear_after: u64,

    /// Also read MRZ lines from this serial device (or FIFO), e.g.
    /// /dev/ttyUSB0; set its speed first (stty -F /dev/ttyUSB0 9600 raw).
    #[arg(long, value_name = "PATH")]
    pub serial: Option<PathBuf>,

    /// The waiting sync: the server holds each sync up to this long and
    /// answers as soon as a newer list is published (0: plain polling).
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u32).range(0..=60))]
    pub wait: u32,

    /// Seconds after which a half-read MRZ is dropped.
    #[arg(long, value_name = "SECONDS", default_value_t = input::DEFAULT_PARTIAL_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=60))]
    pub partial_timeout: u64,

    /// Send the anonymous counts (checks per hour and verdict, nothing
    /// else) after each sync, as `cho-door sync --send-counts` does. The
    /// station counts its checks either way; without this flag they stay
    /// on this machine.
    #[arg(long)]
    pub send_counts: bool,
}

fn terminal_failure(e: &std::io::Error) -> Failure {
    Failure::other("terminal", format!("the terminal failed: {e}"))
}

pub fn run(ctx: &Context, args: &StationArgs) -> Result<Outcome, Failure> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Failure::invalid("cho-door station needs a terminal"));
    }
    let backend = Arc::new(CoreBackend::open(ctx, args.wait, args.send_counts)?);
    // Wall time for checks: the system clock, or `--now` moving on.
    let started = Instant::now();
    let base = ctx.now;
    let clock =
        move || base.saturating_add(i64::try_from(started.elapsed().as_secs()).unwrap_or(i64::MAX));
    let stop = Arc::new(AtomicBool::new(false));
    {
        let backend = Arc::clone(&backend);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || backend.sync_loop(&stop, &clock));
    }
    let partial_timeout = Duration::from_secs(args.partial_timeout);
    let (serial_tx, serial_rx) = mpsc::channel();
    let serial_assembler = Arc::new(Mutex::new(LineAssembler::new(partial_timeout)));
    if let Some(path) = args.serial.clone() {
        let assembler = Arc::clone(&serial_assembler);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || serial::read_lines(path, assembler, serial_tx, stop));
    }
    let lang = match args.lang {
        LangArg::Nl => Lang::Nl,
        LangArg::En => Lang::En,
    };
    let mut app = App::new(lang, Duration::from_secs(args.clear_after), partial_timeout);

    let mut terminal = ratatui::try_init().map_err(|e| terminal_failure(&e))?;
    let result = (|| -> Result<(), std::io::Error> {
        while !app.quit {
            let now = Instant::now();
            app.status = backend.status(clock());
            {
                let mut serial = serial_assembler
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                serial.expire(now);
                app.serial_progress = serial.progress();
            }
            app.tick(now);
            terminal.draw(|frame| render::draw(frame, &app, now))?;
            if event::poll(Duration::from_millis(100))? {
                // Drain what arrived at once: a fast reader sends a burst.
                loop {
                    if let Event::Key(key) = event::read()? {
                        app.on_key(key, Instant::now(), backend.as_ref(), clock());
                    }
                    if app.quit || !event::poll(Duration::ZERO)? {
                        break;
                    }
                }
            }
            while let Ok(assembled) = serial_rx.try_recv() {
                app.on_assembled(assembled, Instant::now(), backend.as_ref(), clock());
            }
        }
        // Leave nothing on the alternate screen either.
        terminal.clear()
    })();
    stop.store(true, Ordering::Relaxed);
    drop(app);
    let restored = ratatui::try_restore();
    result.map_err(|e| terminal_failure(&e))?;
    restored.map_err(|e| terminal_failure(&e))?;
    Ok(Outcome::ok(String::new()))
}
