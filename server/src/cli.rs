//! The command line: `serve`, `migrate`, `init`, `demo`, `purge`,
//! `audit verify`, `audit checkpoint`. Every flag is also an environment
//! variable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use base64::Engine;
use clap::{Parser, Subcommand};
use ring::rand::{SecureRandom, SystemRandom};

use crate::clock::SystemClock;
use crate::domain::audit::AuditEvent;
use crate::domain::roles::Role;
use crate::secrets::Secrets;
use crate::services::{App, admin, auth::PasswordHashing, retention};
use crate::storage::{Db, accounts};

#[derive(Parser)]
#[command(
    name = "cho-server",
    version,
    about = "CHO server: collective hospitality bans under the area's AP protocol"
)]
pub struct Cli {
    /// Directory with the keys (and the SQLite database by default).
    #[arg(long, env = "CHO_DATA_DIR", global = true, default_value = "cho-data")]
    data_dir: PathBuf,
    /// sqlite://PATH or postgres://USER@HOST/DB; default: SQLite in the data directory.
    #[arg(long, env = "CHO_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// The URL door phones reach this server at, e.g. https://cho.example.nl
    /// (put in enrolment QR codes); default: http:// plus the request's Host.
    #[arg(long, env = "CHO_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// The file signed audit checkpoints are appended to (one line each;
    /// let an outside party copy it); default: audit-checkpoints in the
    /// data directory.
    #[arg(long, env = "CHO_AUDIT_CHECKPOINTS", global = true)]
    audit_checkpoints: Option<PathBuf>,
    /// While serving, a checkpoint at least every this many audit events.
    #[arg(
        long,
        env = "CHO_CHECKPOINT_EVERY",
        global = true,
        default_value_t = 1000
    )]
    checkpoint_every: i64,
    /// While serving, a checkpoint at least this often (seconds) when the
    /// audit chain grew.
    #[arg(
        long,
        env = "CHO_CHECKPOINT_INTERVAL",
        global = true,
        default_value_t = 300
    )]
    checkpoint_interval: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and run the retention job).
    Serve {
        #[arg(long, env = "CHO_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create the keys and the first operator account; prints a one-time password.
    Init {
        #[arg(long, env = "CHO_OPERATOR", default_value = "operator")]
        operator: String,
    },
    /// Start with demo data (a municipality, an area with a permit, venues, accounts, bans).
    Demo {
        #[arg(long, env = "CHO_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
    },
    /// Delete ban data past its area's retention period, then exit (for cron).
    Purge,
    /// Start a new identity-key epoch for an area: re-hash its bans and publish
    /// a list under the new key (devices fetch the key on their next sync).
    RotateIdentityKey {
        /// The area's id.
        area: i64,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the keyed chain and every checkpoint given; exit 1 if any event
    /// was edited, inserted or deleted, or the chain was cut or reset.
    Verify {
        /// Checkpoint files to check against (repeatable); default: the
        /// data directory's (or --audit-checkpoints).
        #[arg(long)]
        checkpoints: Vec<PathBuf>,
    },
    /// Sign a checkpoint of the chain's head now and append it to the file.
    Checkpoint,
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Message(String),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),
    #[error(transparent)]
    App(#[from] crate::services::AppError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cho-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cho-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn database_url(cli: &Cli) -> String {
    cli.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            cli.data_dir.join("cho.db").display()
        )
    })
}

fn checkpoint_file(cli: &Cli) -> PathBuf {
    cli.audit_checkpoints
        .clone()
        .unwrap_or_else(|| cli.data_dir.join(crate::services::audit::CHECKPOINT_FILE))
}

/// The app over the data directory's keys and the database, ready to serve:
/// keys a data directory made by an older version lacks are created, and
/// a chain with no keyed event yet gets its first signed checkpoint.
async fn open(cli: &Cli) -> Result<App, CliError> {
    if !Secrets::exist(&cli.data_dir) {
        return Err(CliError::Message(format!(
            "no keys in {}: run `cho-server init` first",
            cli.data_dir.display()
        )));
    }
    if !crate::secrets::deployment_secret_exists(&cli.data_dir) {
        // A chain already keyed needs its own secret back, not a new one.
        let db = Db::connect(&database_url(cli)).await?;
        let head = crate::storage::audit::head(&db).await?;
        db.close().await;
        if head.seq > head.keyed_from {
            return Err(CliError::Message(format!(
                "{} has no deployment.secret but the audit chain is keyed: restore the file from \
                 a backup of the data directory",
                cli.data_dir.display()
            )));
        }
    }
    for created in crate::secrets::ensure_audit_secrets(&cli.data_dir)? {
        tracing::info!(file = created, "created a missing key file (mode 0600)");
    }
    let app = open_existing(cli).await?;
    crate::on_start(&app).await?;
    Ok(app)
}

/// The app over existing keys, changing nothing (for `audit verify`).
async fn open_existing(cli: &Cli) -> Result<App, CliError> {
    if !Secrets::exist(&cli.data_dir) {
        return Err(CliError::Message(format!(
            "no keys in {}: run `cho-server init` first",
            cli.data_dir.display()
        )));
    }
    let secrets = Secrets::load(&cli.data_dir)?;
    let db = Db::connect(&database_url(cli)).await?;
    let mut app = crate::app(
        db,
        secrets,
        Arc::new(SystemClock),
        PasswordHashing::production(),
    );
    app.public_url = cli
        .public_url
        .as_ref()
        .map(|u| u.trim_end_matches('/').to_owned());
    app.checkpoints = crate::services::audit::CheckpointConfig {
        log: Some(checkpoint_file(cli)),
        every: cli.checkpoint_every.max(1),
        interval: std::time::Duration::from_secs(cli.checkpoint_interval.max(1)),
    };
    Ok(app)
}

async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match &cli.command {
        Command::Serve { bind } => {
            let app = open(&cli).await?;
            serve(app, *bind).await?;
        }
        Command::Migrate => {
            Db::connect(&database_url(&cli)).await?;
            println!("migrations applied");
        }
        Command::Init { operator } => {
            create_data_dir(&cli.data_dir)?;
            Secrets::create(&cli.data_dir)?;
            let app = open(&cli).await?;
            let password = one_time_password()?;
            create_operator(&app, operator, &password).await?;
            crate::services::audit::checkpoint(&app).await?;
            println!("Keys written to {} (mode 0600).", cli.data_dir.display());
            println!("Operator account: {operator}");
            println!("One-time password: {password}");
            println!("Log in and change it: POST /api/v1/auth/password");
        }
        Command::Demo { bind } => {
            create_data_dir(&cli.data_dir)?;
            if !Secrets::exist(&cli.data_dir) {
                Secrets::create(&cli.data_dir)?;
            }
            let app = open(&cli).await?;
            let seeded = crate::demo::seed(&app).await?;
            print_demo(*bind, &cli.data_dir, seeded);
            serve(app, *bind).await?;
        }
        Command::Purge => {
            let app = open(&cli).await?;
            let report = retention::purge(&app).await?;
            crate::services::audit::checkpoint(&app).await?;
            println!(
                "purged {} bans, removed {} expired sessions",
                report.bans_purged, report.sessions_removed
            );
        }
        Command::RotateIdentityKey { area } => {
            let app = open(&cli).await?;
            let r = crate::services::keys::rotate(&app, *area).await?;
            crate::services::audit::checkpoint(&app).await?;
            println!(
                "area {area}: identity key epoch {}, {} bans re-hashed, list version {} published",
                r.epoch, r.bans_rehashed, r.published.version
            );
        }
        Command::Audit {
            command: AuditCommand::Verify { checkpoints },
        } => return audit_verify(&cli, checkpoints).await,
        Command::Audit {
            command: AuditCommand::Checkpoint,
        } => {
            let app = open(&cli).await?;
            let c = crate::services::audit::checkpoint(&app).await?;
            println!(
                "checkpoint of event {} appended to {}",
                c.seq,
                checkpoint_file(&cli).display()
            );
            println!("{}", c.to_line());
            // What an outside party needs to check the signatures of its copy.
            println!(
                "checkpoint public key (Ed25519): {}",
                app.secrets
                    .checkpoint_signer
                    .public_key()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `audit verify`: the keyed chain, then each checkpoint file.
async fn audit_verify(cli: &Cli, files: &[PathBuf]) -> Result<ExitCode, CliError> {
    let app = open_existing(cli).await?;
    let default = checkpoint_file(cli);
    let mut checkpoints = Vec::new();
    let mut read = Vec::new();
    if files.is_empty() {
        if default.exists() {
            checkpoints =
                crate::services::audit::read_checkpoints(&default).map_err(CliError::Message)?;
            read.push(default);
        } else {
            println!(
                "no checkpoint file at {}: a cut tail or a reset chain cannot be detected",
                default.display()
            );
        }
    } else {
        for file in files {
            checkpoints
                .extend(crate::services::audit::read_checkpoints(file).map_err(CliError::Message)?);
            read.push(file.clone());
        }
    }
    Ok(
        match crate::services::audit::verify(&app, &checkpoints).await? {
            Ok(v) => {
                println!(
                    "audit chain intact: {} events (keyed after event {}); {} signed checkpoints match{}",
                    v.events,
                    v.keyed_from,
                    v.checkpoints,
                    if read.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " ({})",
                            read.iter()
                                .map(|p| p.display().to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                println!("audit chain BROKEN: {e}");
                ExitCode::FAILURE
            }
        },
    )
}

async fn serve(app: App, bind: SocketAddr) -> Result<(), CliError> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    tracing::info!(address = %listener.local_addr()?, "serving");
    crate::serve(listener, app, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// The data directory holds keys and (by default) the database: owner only.
fn create_data_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn one_time_password() -> Result<String, CliError> {
    let mut raw = [0u8; 18];
    SystemRandom::new()
        .fill(&mut raw)
        .map_err(|_| CliError::Message("no random bytes available".into()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
}

async fn create_operator(app: &App, username: &str, password: &str) -> Result<(), CliError> {
    if accounts::by_username(&app.db, username).await?.is_some() {
        return Err(CliError::Message(format!(
            "account {username} already exists"
        )));
    }
    let hash = admin::hash_blocking(app, password).await?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let id = admin::insert_account(&mut tx, username, &hash, Role::Operator, None, &[]).await?;
    tx.audit(AuditEvent {
        actor: "system".to_owned(),
        action: "account.create",
        object_type: "account",
        object_id: id.to_string(),
        area_id: None,
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

fn print_demo(bind: SocketAddr, data_dir: &Path, seeded: bool) {
    println!();
    println!(
        "CHO demo {} in {}",
        if seeded { "created" } else { "reopened" },
        data_dir.display()
    );
    println!("  API:      http://{bind}/api/v1   (OpenAPI: http://{bind}/api/v1/openapi.json)");
    println!("  Health:   http://{bind}/healthz   Metrics: http://{bind}/metrics");
    println!("  Logins (demo passwords; never use them for real):");
    for (user, password, what) in crate::demo::LOGINS {
        println!("    {user:<12} {password:<24} {what}");
    }
    println!();
}
