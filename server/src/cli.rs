//! The command line: `serve`, `migrate`, `init`, `demo`, `purge`,
//! `audit verify`. Every flag is also an environment variable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use clap::{Parser, Subcommand};
use ring::rand::{SecureRandom, SystemRandom};

use crate::clock::SystemClock;
use crate::domain::audit::{AuditEvent, verify_chain};
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
    /// (put in enrolment links and QR codes). Required by `serve`; `demo`
    /// defaults to http://<bind>. Never taken from a request.
    #[arg(long, env = "CHO_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and run the retention job).
    Serve {
        #[arg(long, env = "CHO_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        #[command(flatten)]
        options: ServeOptions,
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
        #[command(flatten)]
        options: ServeOptions,
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

/// How `serve` and `demo` run: background job intervals, the metrics
/// listener, timeouts and the connection limit.
#[derive(clap::Args)]
struct ServeOptions {
    /// Seconds between list publication runs (a new ban reaches syncing
    /// doors within this plus their poll interval).
    #[arg(long, env = "CHO_PUBLISH_INTERVAL", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    publish_interval: u64,
    /// Seconds between retention purge runs.
    #[arg(long, env = "CHO_PURGE_INTERVAL", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..=604_800))]
    purge_interval: u64,
    /// Where Prometheus scrapes `/metrics` (keep it off the public network).
    #[arg(long, env = "CHO_METRICS_BIND", default_value = "127.0.0.1:9090")]
    metrics_bind: SocketAddr,
    /// Connections served at once; more wait in the listen backlog. Keep
    /// the open-files limit (ulimit -n) above it.
    #[arg(long, env = "CHO_MAX_CONNECTIONS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,
    /// Seconds from a request's first byte to its complete headers.
    #[arg(long, env = "CHO_HEADER_READ_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_read_timeout: u64,
    /// Seconds a request (body included) may take before 408.
    #[arg(long, env = "CHO_REQUEST_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    request_timeout: u64,
    /// Seconds a kept-alive connection may stay silent between requests.
    #[arg(long, env = "CHO_IDLE_TIMEOUT", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    idle_timeout: u64,
}

impl ServeOptions {
    async fn config(&self) -> Result<crate::ServeConfig, CliError> {
        let metrics = tokio::net::TcpListener::bind(self.metrics_bind)
            .await
            .map_err(|e| {
                CliError::Message(format!(
                    "cannot listen for metrics on {} (--metrics-bind): {e}",
                    self.metrics_bind
                ))
            })?;
        tracing::info!(address = %metrics.local_addr()?, "metrics");
        let defaults = crate::ServeConfig::default();
        Ok(crate::ServeConfig {
            publish_interval: Duration::from_secs(self.publish_interval),
            purge_interval: Duration::from_secs(self.purge_interval),
            connections: crate::http::serve::ConnectionLimits {
                header_read_timeout: Duration::from_secs(self.header_read_timeout),
                idle_timeout: Duration::from_secs(self.idle_timeout),
                max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
                ..defaults.connections
            },
            timeouts: crate::http::Timeouts {
                request: Duration::from_secs(self.request_timeout),
                ..defaults.timeouts
            },
            metrics_listener: Some(metrics),
            ..defaults
        })
    }
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the hash chain; exit 1 if any event was edited, inserted or deleted.
    Verify,
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

async fn open(cli: &Cli) -> Result<App, CliError> {
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
    if let Some(url) = &cli.public_url {
        app.public_url = crate::services::devices::public_url(url)
            .map_err(|e| CliError::Message(format!("--public-url: {e}")))?;
    }
    Ok(app)
}

async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match &cli.command {
        Command::Serve { bind, options } => {
            if cli.public_url.is_none() {
                return Err(CliError::Message(
                    "serve needs --public-url (CHO_PUBLIC_URL): the https:// address door \
                     phones reach this server at, put in enrolment links"
                        .to_owned(),
                ));
            }
            let app = open(&cli).await?;
            serve(app, *bind, options.config().await?).await?;
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
            println!("Keys written to {} (mode 0600).", cli.data_dir.display());
            println!("Operator account: {operator}");
            println!("One-time password: {password}");
            println!("Log in and change it: POST /api/v1/auth/password");
        }
        Command::Demo { bind, options } => {
            create_data_dir(&cli.data_dir)?;
            if !Secrets::exist(&cli.data_dir) {
                Secrets::create(&cli.data_dir)?;
            }
            let mut app = open(&cli).await?;
            if cli.public_url.is_none() {
                app.public_url = format!("http://{bind}");
            }
            let seeded = crate::demo::seed(&app).await?;
            let config = options.config().await?;
            let metrics = config
                .metrics_listener
                .as_ref()
                .and_then(|l| l.local_addr().ok());
            print_demo(*bind, metrics, &app.public_url, &cli.data_dir, seeded);
            serve(app, *bind, config).await?;
        }
        Command::Purge => {
            let app = open(&cli).await?;
            let report = retention::purge(&app).await?;
            println!(
                "purged {} bans, removed {} expired sessions",
                report.bans_purged, report.sessions_removed
            );
        }
        Command::RotateIdentityKey { area } => {
            let app = open(&cli).await?;
            let r = crate::services::keys::rotate(&app, *area).await?;
            println!(
                "area {area}: identity key epoch {}, {} bans re-hashed, list version {} published",
                r.epoch, r.bans_rehashed, r.published.version
            );
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let db = Db::connect(&database_url(&cli)).await?;
            let (events, head_seq, head_hash) = crate::storage::audit::chain(&db).await?;
            return Ok(match verify_chain(&events, head_seq, &head_hash) {
                Ok(n) => {
                    println!("audit chain intact: {n} events");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    println!("audit chain BROKEN: {e}");
                    ExitCode::FAILURE
                }
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(app: App, bind: SocketAddr, config: crate::ServeConfig) -> Result<(), CliError> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    tracing::info!(address = %listener.local_addr()?, "serving");
    crate::serve_with(listener, app, config, shutdown_signal()).await?;
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

fn print_demo(
    bind: SocketAddr,
    metrics: Option<SocketAddr>,
    public_url: &str,
    data_dir: &Path,
    seeded: bool,
) {
    println!();
    println!(
        "CHO demo {} in {}",
        if seeded { "created" } else { "reopened" },
        data_dir.display()
    );
    println!("  API:      http://{bind}/api/v1   (OpenAPI: http://{bind}/api/v1/openapi.json)");
    println!("  Health:   http://{bind}/healthz");
    if let Some(metrics) = metrics {
        println!("  Metrics:  http://{metrics}/metrics   (its own listener, --metrics-bind)");
    }
    println!("  Enrolment links point at {public_url}   (--public-url)");
    println!("  Logins (demo passwords; never use them for real):");
    for (user, password, what) in crate::demo::LOGINS {
        println!("    {user:<12} {password:<24} {what}");
    }
    println!();
}
