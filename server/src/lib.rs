//! cho-server: areas, venues, accounts and bans under each area's AP
//! protocol, over a JSON API, on SQLite or PostgreSQL.
//!
//! `domain` holds the rules, `storage` the SQL, `services` what each role may
//! do, `http` the API, `web` the pages, `cli` the commands.

pub mod cli;
pub mod clock;
pub mod demo;
pub mod domain;
pub mod http;
pub mod privacy;
pub mod proxies;
pub mod secrets;
pub mod services;
pub mod storage;
pub mod web;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::services::App;

/// How often `serve` runs the retention job by default.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// How `serve` runs; `Default` is what the command line defaults to
/// (except the metrics listener, which the command line binds).
pub struct ServeConfig {
    /// Between list publication runs (the freshness refresh; a change is
    /// published within `services::propagation::PUBLISH_DELAY`).
    pub publish_interval: Duration,
    /// Between reads of the latest list versions when the watcher cannot
    /// listen (SQLite; PostgreSQL while its listener is down).
    pub watch_interval: Duration,
    /// Between retention purge runs.
    pub purge_interval: Duration,
    /// Between refreshes of the database gauges of `/metrics`.
    pub gauge_interval: Duration,
    /// Header-read and idle timeouts and the connection limit.
    pub connections: http::serve::ConnectionLimits,
    /// Request timeouts.
    pub timeouts: http::Timeouts,
    /// Where `/metrics` is served; not at all without one.
    pub metrics_listener: Option<TcpListener>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            publish_interval: services::lists::PUBLISH_INTERVAL,
            watch_interval: services::propagation::WATCH_INTERVAL,
            purge_interval: PURGE_INTERVAL,
            gauge_interval: services::metrics::GAUGE_INTERVAL,
            connections: http::serve::ConnectionLimits::default(),
            timeouts: http::Timeouts::default(),
            metrics_listener: None,
        }
    }
}

/// Scrapers are few: a small connection limit for the metrics listener.
const METRICS_MAX_CONNECTIONS: usize = 16;

/// Serves `app` on `listener` with the default configuration until
/// `shutdown` resolves. Tests bind port 0 and pass the listener.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, ServeConfig::default(), shutdown).await
}

/// Serves `app` on `listener` until `shutdown` resolves, running the
/// retention job and list publication in the background at the
/// configured intervals.
pub async fn serve_with(
    listener: TcpListener,
    app: App,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let purger = {
        let app = app.clone();
        let every = config.purge_interval;
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            loop {
                interval.tick().await;
                match services::retention::purge(&app).await {
                    Ok(report) if report.bans_purged > 0 => {
                        tracing::info!(bans = report.bans_purged, "retention purge")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "retention purge failed"),
                }
            }
        })
    };
    let publisher = {
        let app = app.clone();
        let every = config.publish_interval;
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            loop {
                interval.tick().await;
                for (area, result) in services::lists::publish_all(&app).await {
                    if let Err(e) = result {
                        tracing::warn!(area, error = %e, "list publication failed");
                    }
                }
            }
        })
    };
    let gauges = {
        let app = app.clone();
        let every = config.gauge_interval;
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            loop {
                interval.tick().await;
                if let Err(e) = services::metrics::refresh_gauges(&app).await {
                    tracing::warn!(error = %e, "metrics gauge refresh failed");
                }
            }
        })
    };
    let checkpointer = tokio::spawn(services::audit::run_checkpointer(app.clone()));
    let change_publisher = tokio::spawn(services::propagation::run_publisher(app.clone()));
    let watcher = tokio::spawn(services::propagation::run_watcher(
        app.clone(),
        config.watch_interval,
    ));
    let sync_notes = tokio::spawn(services::devices::run_sync_notes(app.clone()));
    // A stop first ends every waiting sync (each door gets its 304), so
    // the grace period is not spent on doors that would wait a minute.
    let shutdown = {
        let propagation = app.propagation.clone();
        async move {
            shutdown.await;
            propagation.stop();
        }
    };
    let (stop_metrics, metrics_stopped) = tokio::sync::watch::channel(());
    let metrics = config.metrics_listener.map(|listener| {
        let limits = http::serve::ConnectionLimits {
            max_connections: METRICS_MAX_CONNECTIONS,
            ..config.connections
        };
        let router = http::metrics::router(app.clone());
        let mut stopped = metrics_stopped.clone();
        tokio::spawn(http::serve::serve(listener, router, limits, async move {
            let _ = stopped.changed().await;
        }))
    });
    let result = http::serve::serve(
        listener,
        http::router_with(app.clone(), config.timeouts),
        config.connections,
        shutdown,
    )
    .await;
    let _ = stop_metrics.send(());
    if let Some(task) = metrics {
        let _ = task.await;
    }
    purger.abort();
    publisher.abort();
    gauges.abort();
    checkpointer.abort();
    change_publisher.abort();
    watcher.abort();
    sync_notes.abort();
    if let Err(e) = services::devices::write_sync_notes(&app).await {
        tracing::warn!(error = %e, "writing the door phones' sync times at the stop failed");
    }
    // The last word of this instance: the head it leaves behind.
    if let Err(e) = services::audit::checkpoint(&app).await {
        tracing::warn!(error = %e, "final audit checkpoint failed");
    }
    result
}

/// The public URL of an app built by [`app`] until configured (the demo's
/// default address; `serve` refuses to start without a configured one).
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// Brings a database written by an earlier version up to date, before the
/// app serves or writes (every command that opens the app calls this): a
/// chain with no keyed event yet gets a signed checkpoint of its head, then
/// bans sealed without a record id are re-sealed under one. Refuses to
/// start when the chain's last event does not verify under the data
/// directory's key (a lost deployment secret replaced by a new one).
pub async fn on_start(app: &App) -> Result<(), services::AppError> {
    services::audit::check_key(app).await?;
    services::audit::on_open(app).await?;
    services::bans::reseal_legacy(app).await?;
    services::bans::seal_legacy_notice_texts(app).await?;
    services::bans::seal_legacy_status_reasons(app).await?;
    Ok(())
}

/// Builds the application state.
pub fn app(
    db: storage::Db,
    secrets: secrets::Secrets,
    clock: clock::SharedClock,
    passwords: services::auth::PasswordHashing,
) -> App {
    // Every write links its audit event under the key from the data
    // directory, never one from the database.
    let propagation = services::propagation::Propagation::default();
    let sync_cache = services::sync_cache::SyncCache::default();
    // After each commit: see `services::propagation::committed`.
    let hook: storage::CommitHook = {
        let propagation = propagation.clone();
        let sync_cache = sync_cache.clone();
        Arc::new(move |signals| {
            services::propagation::committed(&propagation, &sync_cache, signals);
        })
    };
    let db = db
        .with_audit_key(secrets.deployment.audit_chain_key())
        .on_commit(hook);
    App {
        db,
        secrets: Arc::new(secrets),
        clock,
        passwords,
        metrics: services::metrics::Metrics::default(),
        limits: services::limits::Limits::default(),
        trusted_proxies: proxies::TrustedProxies::default(),
        public_url: DEFAULT_PUBLIC_URL.to_owned(),
        sync_cache,
        propagation,
        checkpoints: services::audit::CheckpointConfig::default(),
        max_clock_skew: services::lists::DEFAULT_MAX_CLOCK_SKEW_SECONDS,
        list_clock: services::lists::ListClockAlarm::default(),
        deployment: services::look::Deployment::default(),
    }
}
