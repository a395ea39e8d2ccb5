//! A throwaway PostgreSQL 15: one cluster per test process, started on first
//! use, one fresh database per test. It lives in a temporary directory,
//! listens on 127.0.0.1 only, trusts every local login, and trades
//! durability for speed (tests kill servers, not the cluster). A watchdog
//! process stops it and deletes its files once the test process is gone,
//! however that ends.
//!
//! Without PostgreSQL 15 installed, [`postgres`] prints one loud `SKIPPED`
//! notice and answers None, unless `CHO_REQUIRE_POSTGRES=1`, which turns the
//! missing server into a failure (CI sets it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Once, OnceLock};

/// Where Debian's postgresql-15 puts its programs.
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The cluster of this test process.
pub struct Postgres {
    port: u16,
    root: bool,
    next_db: AtomicUsize,
}

static POSTGRES: OnceLock<Result<Postgres, String>> = OnceLock::new();
static SKIP_NOTICE: Once = Once::new();

/// Whether `CHO_REQUIRE_POSTGRES=1`: a missing PostgreSQL is then a failure.
pub fn required() -> bool {
    std::env::var("CHO_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// The shared cluster, started on first use; None (after one loud notice)
/// when PostgreSQL 15 is missing and not [`required`]. Panics when it is
/// installed but does not start.
pub fn postgres() -> Option<&'static Postgres> {
    if !Path::new(PG_BIN).join("initdb").exists() {
        assert!(
            !required(),
            "CHO_REQUIRE_POSTGRES=1 but PostgreSQL 15 is not installed ({PG_BIN}/initdb is \
             missing): apt-get install postgresql-15"
        );
        SKIP_NOTICE.call_once(|| {
            // Straight to the process's stderr: the test harness captures
            // `eprintln!` of passing tests.
            let notice = format!(
                "\n*** SKIPPED postgres: {PG_BIN}/initdb not found; the PostgreSQL half of \
                 these tests runs nothing. Install postgresql-15 (or set \
                 CHO_REQUIRE_POSTGRES=1 to fail). ***\n\n"
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
        });
        return None;
    }
    match POSTGRES.get_or_init(start) {
        Ok(pg) => Some(pg),
        Err(e) => panic!("cannot start the test PostgreSQL: {e}"),
    }
}

impl Postgres {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of `database` for the superuser `postgres`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates an empty database `t_<n>` and returns its URL.
    pub fn fresh_database(&self) -> String {
        let name = format!("t_{}", self.next_db.fetch_add(1, Ordering::SeqCst));
        let mut createdb = pg_command(self.root, "createdb");
        createdb.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
            &name,
        ]);
        if let Err(e) = run_checked(createdb, "createdb") {
            panic!("{e}");
        }
        self.url(&name)
    }
}

/// A port nobody listens on right now (another process may still take it
/// before the caller binds it: callers retry).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A PostgreSQL program, run as the `postgres` user when we are root
/// (PostgreSQL refuses to run as root).
fn pg_command(root: bool, program: &str) -> Command {
    let program = format!("{PG_BIN}/{program}");
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", &program]);
        c
    } else {
        Command::new(program)
    }
}

fn run_checked(mut c: Command, what: &str) -> Result<(), String> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn start() -> Result<Postgres, String> {
    let root = is_root();
    let base: PathBuf = tempfile::Builder::new()
        .prefix("cho-test-pg-")
        .tempdir_in("/tmp")
        .map_err(|e| e.to_string())?
        .keep();
    let data = base.join("data");
    if root {
        let mut chown = Command::new("chown");
        chown.arg("-R").arg("postgres").arg(&base);
        run_checked(chown, "chown")?;
    }
    // The watchdog stops the cluster and deletes its files once this test
    // process is gone, however it ends.
    let pg_ctl = if root {
        format!("runuser -u postgres -- {PG_BIN}/pg_ctl")
    } else {
        format!("{PG_BIN}/pg_ctl")
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         {pg_ctl} -D '{data}' stop -m immediate >/dev/null 2>&1; rm -rf '{base}'",
        pid = std::process::id(),
        data = data.display(),
        base = base.display(),
    );
    Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("watchdog: {e}"))?;

    let mut initdb = pg_command(root, "initdb");
    initdb
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "--no-sync"]);
    run_checked(initdb, "initdb")?;

    let mut last = String::new();
    for _ in 0..5 {
        let port = free_port();
        let mut start = pg_command(root, "pg_ctl");
        start
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(base.join("log"))
            .arg("-o")
            .arg(format!(
                "-k {} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                base.display()
            ))
            .args(["-w", "-t", "60", "start"]);
        // setsid: a Ctrl-C in the terminal must not kill the cluster before
        // the watchdog stops it.
        let mut detached = Command::new("setsid");
        detached.arg(start.get_program()).args(start.get_args());
        match run_checked(detached, "pg_ctl start") {
            Ok(()) => {
                return Ok(Postgres {
                    port,
                    root,
                    next_db: AtomicUsize::new(1),
                });
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}
