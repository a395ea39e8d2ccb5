//! cho-door: the reference door client of the CHO. It does in a terminal
//! what the door phone apps do: enrol with a one-time code, sync the
//! area's signed list, and check a person offline by MRZ or by typed name
//! and birth date.
//!
//! Privacy rule, here and in every module: an MRZ, a name or a birth date is
//! read, handed to `cho_core::checker::Door` and dropped. It is never
//! printed, logged or stored, not even in an error message; only the verdict
//! leaves.

mod check;
mod device;
mod http;
mod status;
mod sync;
mod term;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ArgGroup, Args, Parser, Subcommand};

/// The exit codes, one per outcome (see README.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Done; for `check`: NOT BANNED.
    Ok = 0,
    /// Any other error (not enrolled, storage, a refused list, ...).
    Other = 1,
    /// Usage or invalid input (a bad MRZ, name or date, a refused code).
    Usage = 2,
    /// The server refused the device credential: revoked or unknown.
    Revoked = 4,
    /// The server could not be reached (or answered 5xx).
    Network = 5,
    Banned = 10,
    PossibleMatch = 11,
    ListOutdated = 12,
    NoList = 13,
}

/// A command that did not complete. `message` never holds personal data.
pub struct Failure {
    pub exit: Exit,
    /// Machine-readable, for `--json`.
    pub code: &'static str,
    pub message: String,
}

impl Failure {
    pub fn new(exit: Exit, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            exit,
            code,
            message: message.into(),
        }
    }

    pub fn other(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Exit::Other, code, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, "invalid_input", message)
    }
}

/// What a command prints on stdout, and how the process exits.
pub struct Outcome {
    pub stdout: String,
    pub exit: Exit,
}

impl Outcome {
    pub fn ok(stdout: String) -> Self {
        Self {
            stdout,
            exit: Exit::Ok,
        }
    }
}

/// What every command needs besides its own arguments.
pub struct Context {
    pub data_dir: PathBuf,
    /// Unix seconds: the system clock, or `--now` in tests.
    pub now: i64,
}

#[derive(Parser)]
#[command(
    name = "cho-door",
    version,
    about = "The CHO door check in a terminal: enrol, sync the signed list, check a person offline",
    after_help = "Exit codes: 0 NOT BANNED / done, 10 BANNED, 11 POSSIBLE MATCH, 12 LIST OUTDATED, \
                  13 NO LIST, 2 usage or invalid input, 4 device revoked (wiped) or unknown, \
                  5 server unreachable, 1 other errors."
)]
struct Cli {
    /// Where the door keeps its enrolment, keys and list.
    #[arg(
        long,
        global = true,
        env = "CHO_DOOR_DIR",
        value_name = "DIR",
        default_value = "./cho-door-data"
    )]
    data_dir: PathBuf,

    /// The time as Unix seconds instead of the system clock (tests).
    #[arg(
        long,
        global = true,
        hide = true,
        env = "CHO_DOOR_NOW",
        value_name = "UNIX"
    )]
    now: Option<i64>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Enrol this door: the owner's `cho-enrol:` link, or the server URL,
    /// the one-time code and the key fingerprint shown beside it.
    Enrol {
        /// The `cho-enrol:...` link (quote it: it holds `#` and `&`), or
        /// the server, e.g. https://cho.example.nl (plain http only to
        /// this machine).
        #[arg(value_name = "LINK|URL")]
        target: String,
        /// The enrolment code, e.g. ABCD-EF23-GH (with a URL).
        code: Option<String>,
        /// The key fingerprint shown beside the code, e.g. ABCD-EFGH-JKLM
        /// (with a URL and code).
        #[arg(long, value_name = "FINGERPRINT")]
        fingerprint: Option<String>,
        /// Wipe an existing enrolment (credential, keys, list) and enrol anew,
        /// once the server has accepted the new code.
        #[arg(long)]
        force: bool,
    },
    /// Fetch the latest signed list (a delta or a snapshot).
    Sync {
        /// Print a JSON object instead of text (with --follow: one per line).
        #[arg(long)]
        json: bool,
        /// Keep waiting for new versions and apply each as it arrives, one
        /// line per version, until Ctrl-C or SIGTERM.
        #[arg(long)]
        follow: bool,
    },
    /// Check a person against the list in force, offline.
    Check(CheckArgs),
    /// Show the enrolment and the list in force.
    Status {
        /// Print a JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Exactly one of: an MRZ, an MRZ file, or surname + given names + birth
/// date.
#[derive(Args)]
#[command(group(
    ArgGroup::new("person")
        .required(true)
        .multiple(false)
        .args(["mrz", "mrz_file", "surname"])
))]
pub struct CheckArgs {
    /// The MRZ as scanned: its lines separated by newlines (or by spaces).
    /// Prefer --mrz-file -: a command line can be seen by other processes.
    #[arg(long, value_name = "TEXT")]
    pub mrz: Option<String>,

    /// Read the MRZ from FILE; `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub mrz_file: Option<PathBuf>,

    /// Surname, as on the document (diacritics welcome).
    #[arg(long, value_name = "SURNAME", requires_all = ["given_names", "birth_date"])]
    pub surname: Option<String>,

    /// All given names, as on the document (may be empty).
    #[arg(long, value_name = "NAMES", requires = "surname")]
    pub given_names: Option<String>,

    /// Birth date.
    #[arg(long, value_name = "YYYY-MM-DD", requires = "surname")]
    pub birth_date: Option<String>,

    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let context = Context {
        data_dir: cli.data_dir,
        now: cli.now.unwrap_or_else(system_now),
    };
    let (json, result) = match cli.command {
        Command::Enrol {
            target,
            code,
            fingerprint,
            force,
        } => (
            false,
            sync::enrol(
                &context,
                &sync::EnrolArgs {
                    target,
                    code,
                    fingerprint,
                    force,
                },
            ),
        ),
        Command::Sync { json, follow: true } => (json, follow(&context, json)),
        Command::Sync {
            json,
            follow: false,
        } => (json, sync::sync(&context, json)),
        Command::Check(args) => (args.json, check::run(&context, &args)),
        Command::Status { json } => (json, status::run(&context, json)),
    };
    match result {
        Ok(outcome) => {
            term::write_stdout(&outcome.stdout);
            ExitCode::from(outcome.exit as u8)
        }
        Err(failure) => {
            if json {
                let value = serde_json::json!({
                    "error": {"code": failure.code, "message": failure.message}
                });
                term::write_stdout(&format!("{value}\n"));
            } else {
                term::warn(&format!("error: {}", failure.message));
            }
            ExitCode::from(failure.exit as u8)
        }
    }
}

/// `sync --follow` until Ctrl-C or SIGTERM: the signals only raise a flag,
/// which the loop reads between (and during) requests.
fn follow(context: &Context, json: bool) -> Result<Outcome, Failure> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone())
            .map_err(|e| Failure::other("signal", format!("cannot watch for Ctrl-C: {e}")))?;
    }
    sync::follow(context, json, &stop)
}

/// Reports a command-line error. Clap's own message is used only where it
/// names nothing but this program's options; where it would repeat what
/// was typed (an unexpected value, an invalid value), which at the door may
/// be a name, the typed text is left out.
fn usage_error(e: &clap::Error) -> ExitCode {
    let exit = u8::try_from(e.exit_code()).unwrap_or(Exit::Usage as u8);
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        | ErrorKind::MissingRequiredArgument
        | ErrorKind::ArgumentConflict
        | ErrorKind::MissingSubcommand => {
            let _ = e.print();
            return ExitCode::from(exit);
        }
        _ => {}
    }
    let what = e.kind().as_str().unwrap_or("invalid command line");
    let mut message = format!("error: {what}");
    if let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) {
        // For an unexpected argument this is the typed text: shown only
        // when it is shaped like an option.
        let option_shaped = arg.starts_with('-')
            && arg
                .trim_start_matches('-')
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if e.kind() != ErrorKind::UnknownArgument || option_shaped {
            message.push_str(&format!(" ({arg})"));
        }
    }
    message.push_str("\n(what was typed is not repeated: it may be personal data)\n");
    if let Some(ContextValue::StyledStr(usage)) = e.get(ContextKind::Usage) {
        message.push_str(&format!("\n{usage}\n"));
    }
    message.push_str("\nFor more information, try '--help'.");
    term::warn(&message);
    ExitCode::from(exit)
}
