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

/// How often `serve` runs the retention job.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// Serves `app` on `listener` until `shutdown` resolves, running the
/// retention job and list publication in the background. Tests bind port 0 and pass the listener.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let purger = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(PURGE_INTERVAL);
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
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(services::lists::PUBLISH_INTERVAL);
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
        max_clock_skew: services::lists::DEFAULT_MAX_CLOCK_SKEW_SECONDS,
        list_clock: services::lists::ListClockAlarm::default(),
    }
}
