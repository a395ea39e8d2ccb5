//! The command line: `serve`, `migrate`, `init`, `demo`, `purge`,
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
use crate::domain::username::Username;
use crate::http::client::{Network, TrustedProxies};
use crate::secrets::Secrets;
use crate::services::limits::{self, LimitSettings, Limits, Rate};
use crate::services::{App, admin, auth, auth::PasswordHashing, retention};
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
    /// Proxies (IPs or CIDR blocks, comma-separated) whose X-Forwarded-For
    /// names the client; the attempt limits count per client address.
    #[arg(
        long = "trusted-proxy",
        env = "CHO_TRUSTED_PROXIES",
        global = true,
        value_delimiter = ','
    )]
    trusted_proxies: Vec<Network>,
    /// Enrolment attempts (hits and misses) one client address may make per
    /// minute; raise it to enrol many doors from one address (a benchmark).
    #[arg(
        long,
        env = "CHO_ENROL_ATTEMPTS_PER_MINUTE",
        global = true,
        default_value_t = limits::DEFAULT_ENROL_PER_MINUTE,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    enrol_attempts_per_minute: u32,
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
    app.trusted_proxies = TrustedProxies::new(cli.trusted_proxies.clone());
    app.limits = Limits::new(LimitSettings {
        enrol_per_address: Rate::per_minute(cli.enrol_attempts_per_minute),
        ..LimitSettings::default()
    });
    let migrated = auth::canonicalise_usernames(&app).await?;
    if migrated != auth::UsernameMigration::default() {
        // Ids only: usernames are personal data.
        tracing::warn!(
            renamed = ?migrated.renamed,
            disabled_duplicates = ?migrated.disabled,
            disabled_invalid = ?migrated.refused,
            "usernames made canonical"
        );
    }
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

async fn serve(app: App, bind: SocketAddr) -> Result<(), CliError> {
    // The dummy hash unknown names are checked against, made now rather
    // than at the first such login (beside the start, not delaying it: a
    // login that comes first waits for the same one).
    let passwords = app.passwords.clone();
    tokio::spawn(async move {
        if passwords.warm_up().await.is_err() {
            tracing::warn!("could not make the dummy password hash");
        }
    });
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
    let username =
        Username::parse(username).map_err(|e| CliError::Message(format!("operator name: {e}")))?;
    if accounts::by_username(&app.db, username.as_str())
        .await?
        .is_some()
    {
        return Err(CliError::Message(format!(
            "account {} already exists",
            username.as_str()
        )));
    }
    let hash = admin::hash_blocking(app, password).await?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let id = admin::insert_account(&mut tx, &username, &hash, Role::Operator, None, &[]).await?;
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn limit_flags_parse() {
        let cli = Cli::try_parse_from([
            "cho-server",
            "serve",
            "--trusted-proxy",
            "10.0.0.0/8,192.0.2.1",
            "--enrol-attempts-per-minute",
            "5000",
        ])
        .unwrap();
        let proxies = TrustedProxies::new(cli.trusted_proxies.clone());
        assert!(proxies.contains(ip("10.20.30.40")) && proxies.contains(ip("192.0.2.1")));
        assert!(!proxies.contains(ip("192.0.2.2")));
        assert_eq!(cli.enrol_attempts_per_minute, 5000);

        let defaults = Cli::try_parse_from(["cho-server", "serve"]).unwrap();
        assert!(defaults.trusted_proxies.is_empty());
        assert_eq!(
            defaults.enrol_attempts_per_minute,
            limits::DEFAULT_ENROL_PER_MINUTE
        );
        for bad in [
            ["--trusted-proxy", "10.0.0.0/33"],
            ["--trusted-proxy", "proxy.example"],
            ["--enrol-attempts-per-minute", "0"],
        ] {
            assert!(
                Cli::try_parse_from(["cho-server", "serve", bad[0], bad[1]]).is_err(),
                "{bad:?}"
            );
        }
    }
}
