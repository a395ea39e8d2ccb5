//! The command line: `serve`, `migrate`, `init`, `demo`, `purge`,
//! `rotate-identity-key`, `rotate-signing-key`, `correct-list-clock`,
//! `audit verify`. Every flag is also an environment variable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

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
    /// (put in enrolment QR codes); default: http:// plus the request's Host.
    #[arg(long, env = "CHO_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// Seconds this server's clock may be behind an area's latest list
    /// (issued by another instance) before it refuses to publish and alerts.
    #[arg(long, env = "CHO_MAX_CLOCK_SKEW", global = true,
          default_value_t = crate::services::lists::DEFAULT_MAX_CLOCK_SKEW_SECONDS)]
    max_clock_skew: i64,
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
    /// Rotate the list-signing key: make a new key, publish for every area a
    /// list signed by the old key that announces the new one (devices follow
    /// it), then put the new key in place and destroy the old key file.
    /// Stop every other instance first and give them the new key file after.
    /// Run it again to finish an interrupted rotation.
    RotateSigningKey,
    /// Publish a list for an area issued at this server's time, even though
    /// the latest list was issued later: the way out after a server clock
    /// ran ahead and published a list from the future (devices accept it
    /// because its version is higher).
    CorrectListClock {
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
    app.public_url = cli
        .public_url
        .as_ref()
        .map(|u| u.trim_end_matches('/').to_owned());
    app.max_clock_skew = cli.max_clock_skew.max(0);
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
        Command::RotateSigningKey => rotate_signing_key(&cli).await?,
        Command::CorrectListClock { area } => {
            let app = open(&cli).await?;
            let p = crate::services::lists::publish_with(
                &app,
                *area,
                crate::services::lists::PublishOptions {
                    correct_clock: true,
                    ..Default::default()
                },
            )
            .await?;
            println!(
                "area {area}: list version {} published, issued at this server's time",
                p.version
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

/// See `Command::RotateSigningKey`; every step can be repeated.
async fn rotate_signing_key(cli: &Cli) -> Result<(), CliError> {
    use crate::secrets::RotationState;
    let dir = &cli.data_dir;
    if matches!(
        Secrets::rotation_state(dir),
        RotationState::Swapping | RotationState::Destroying
    ) {
        // The announcements were published before the swap began.
        Secrets::retire_signing_key(dir)?;
        println!("finished an interrupted rotation: the new list-signing key is in place");
        return Ok(());
    }
    let app = open(cli).await?;
    let next = Secrets::next_signing_key(dir)?;
    let next_public = cho_core::list_format::ListSigner::from_pkcs8(&next)
        .map_err(|_| CliError::Message("the next signing key is not valid".into()))?
        .public_key();
    let announced = crate::services::signing::announce(&app, next_public).await?;
    for a in &announced {
        println!(
            "area {}: list version {} announces the new key",
            a.area_id, a.version
        );
    }
    drop(app);
    Secrets::retire_signing_key(dir)?;
    println!(
        "new list-signing public key: {}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(next_public)
    );
    println!(
        "the old key file was destroyed; copy {} to every other instance and restart them",
        dir.join("list-signing.pk8").display()
    );
    Ok(())
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
