//! cho-server: areas, venues, accounts and bans under each area's AP
//! protocol, over a JSON API, on SQLite or PostgreSQL.
//!
//! `domain` holds the rules, `storage` the SQL, `services` what each role may
//! do, `http` the API, `cli` the commands.

pub mod cli;
pub mod clock;
pub mod demo;
pub mod domain;
pub mod http;
pub mod secrets;
pub mod services;
pub mod storage;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::services::App;

/// How often `serve` runs the retention job by default.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// How `serve` runs; `Default` is what the command line defaults to.
pub struct ServeConfig {
    /// Between list publication runs.
    pub publish_interval: Duration,
    /// Between retention purge runs.
    pub purge_interval: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            publish_interval: services::lists::PUBLISH_INTERVAL,
            purge_interval: PURGE_INTERVAL,
        }
    }
}

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
    let result = axum::serve(listener, http::router(app))
        .with_graceful_shutdown(shutdown)
        .await;
    purger.abort();
    publisher.abort();
    result
}

/// Builds the application state.
pub fn app(
    db: storage::Db,
    secrets: secrets::Secrets,
    clock: clock::SharedClock,
    passwords: services::auth::PasswordHashing,
) -> App {
    App {
        db,
        secrets: Arc::new(secrets),
        clock,
        passwords,
        metrics: http::metrics::Metrics::default(),
        unknown_logins: services::auth::UnknownLogins::default(),
        public_url: None,
        sync_cache: services::devices::SyncCache::default(),
    }
}
