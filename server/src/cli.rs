//! The command line: `serve`, `migrate`, `init`, `demo`, `purge`,
//! `rotate-identity-key`, `rotate-signing-key`, `correct-list-clock`,
//! `audit verify`, `audit checkpoint`. Every flag is also an environment
//! variable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use clap::{Parser, Subcommand};
use ring::rand::{SecureRandom, SystemRandom};

use crate::clock::SystemClock;
use crate::domain::audit::AuditEvent;
use crate::domain::roles::Role;
use crate::domain::username::Username;
use crate::proxies::{Network, TrustedProxies};
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
    /// (put in enrolment links and QR codes). Required by `serve`; `demo`
    /// defaults to http://<bind>. Never taken from a request.
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
    /// Personal data: `privacy inventory` prints every column that can hold
    /// personal data or tokens (for the DPIA).
    Privacy {
        #[command(subcommand)]
        command: PrivacyCommand,
    },
}

#[derive(Subcommand)]
enum PrivacyCommand {
    /// Print every column that can hold personal data or tokens: table,
    /// column, purpose, legal basis, retention rule, sealed/hashed/plain,
    /// which roles can read it; then the other columns with why they are
    /// not personal. Needs no database.
    Inventory {
        #[arg(long, value_enum, default_value_t = InventoryFormat::Md)]
        format: InventoryFormat,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum InventoryFormat {
    /// Markdown tables, for the DPIA.
    Md,
    /// JSON: `{"columns": [...]}`.
    Json,
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
    /// The deployment's name, shown in the pages' footer and on pages no
    /// municipality's look applies to.
    #[arg(long, env = "CHO_DEPLOYMENT_NAME", default_value = crate::services::look::DEFAULT_DEPLOYMENT_NAME)]
    deployment_name: String,
    /// The deployment's contact e-mail address, shown in the pages' footer.
    #[arg(long, env = "CHO_CONTACT_EMAIL")]
    contact_email: Option<String>,
}

impl ServeOptions {
    /// The deployment's name and contact, checked.
    fn deployment(&self) -> Result<crate::services::look::Deployment, CliError> {
        crate::services::look::Deployment::new(&self.deployment_name, self.contact_email.as_deref())
            .map_err(|e| CliError::Message(format!("--deployment-name / --contact-email: {e}")))
    }

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
        warn_if_few_files(self.max_connections);
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
    if let Some(url) = &cli.public_url {
        app.public_url = crate::services::devices::public_url(url)
            .map_err(|e| CliError::Message(format!("--public-url: {e}")))?;
    }
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
    app.checkpoints = crate::services::audit::CheckpointConfig {
        log: Some(checkpoint_file(cli)),
        every: cli.checkpoint_every.max(1),
        interval: std::time::Duration::from_secs(cli.checkpoint_interval.max(1)),
    };
    app.max_clock_skew = cli.max_clock_skew.max(0);
    Ok(app)
}

async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match &cli.command {
        Command::Privacy {
            command: PrivacyCommand::Inventory { format },
        } => match format {
            InventoryFormat::Md => print!("{}", crate::privacy::markdown()),
            InventoryFormat::Json => println!(
                "{}",
                crate::privacy::json().map_err(|e| CliError::Message(e.to_string()))?
            ),
        },
        Command::Serve { bind, options } => {
            if cli.public_url.is_none() {
                return Err(CliError::Message(
                    "serve needs --public-url (CHO_PUBLIC_URL): the https:// address door \
                     phones reach this server at, put in enrolment links"
                        .to_owned(),
                ));
            }
            let shutdown = shutdown_signal();
            let mut app = open(&cli).await?;
            app.deployment = options.deployment()?;
            serve(app, *bind, options.config().await?, shutdown).await?;
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
        Command::Demo { bind, options } => {
            let shutdown = shutdown_signal();
            create_data_dir(&cli.data_dir)?;
            if !Secrets::exist(&cli.data_dir) {
                Secrets::create(&cli.data_dir)?;
            }
            let mut app = open(&cli).await?;
            app.deployment = options.deployment()?;
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
            serve(app, *bind, config, shutdown).await?;
        }
        Command::Purge => {
            let app = open(&cli).await?;
            let report = retention::purge(&app).await?;
            crate::services::audit::checkpoint(&app).await?;
            println!(
                "purged {} bans, removed {} expired sessions, {} old door counts",
                report.bans_purged, report.sessions_removed, report.door_counts_removed
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

async fn serve(
    app: App,
    bind: SocketAddr,
    config: crate::ServeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), CliError> {
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
    crate::serve_with(listener, app, config, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Each connection is an open file: warns when the process may open fewer
/// files than `--max-connections` asks for (accepts would then fail with
/// "too many open files" first). Linux only; silent elsewhere.
fn warn_if_few_files(max_connections: u64) {
    let Ok(limits) = std::fs::read_to_string("/proc/self/limits") else {
        return;
    };
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse::<u64>().ok());
    if let Some(soft) = soft
        && soft < max_connections.saturating_add(64)
    {
        tracing::warn!(
            open_files = soft,
            max_connections,
            "the open-files limit (ulimit -n) is below --max-connections plus a margin: raise it"
        );
    }
}

/// Resolves on Ctrl-C or SIGTERM. The SIGTERM handler is installed when
/// this is called, not when the future is first polled: a stop sent right
/// after the start banner must stop the server gracefully, not kill it.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {},
            () = term => {},
        }
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

fn print_demo(
    bind: SocketAddr,
    metrics: Option<SocketAddr>,
    public_url: &str,
    data_dir: &Path,
    seeded: bool,
) {
    println!();
    println!("Open in a browser: http://{bind}/");
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
