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
    let checkpointer = tokio::spawn(services::audit::run_checkpointer(app.clone()));
    let result = axum::serve(listener, http::router(app.clone()))
        .with_graceful_shutdown(shutdown)
        .await;
    purger.abort();
    publisher.abort();
    checkpointer.abort();
    // The last word of this instance: the head it leaves behind.
    if let Err(e) = services::audit::checkpoint(&app).await {
        tracing::warn!(error = %e, "final audit checkpoint failed");
    }
    result
}

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
    let db = db.with_audit_key(secrets.deployment.audit_chain_key());
    App {
        db,
        secrets: Arc::new(secrets),
        clock,
        passwords,
        metrics: http::metrics::Metrics::default(),
        unknown_logins: services::auth::UnknownLogins::default(),
        public_url: None,
        sync_cache: services::devices::SyncCache::default(),
        checkpoints: services::audit::CheckpointConfig::default(),
    }
}
