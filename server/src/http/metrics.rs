//! Prometheus metrics: requests and latencies per route, active bans per
//! area. Kept in process; each server instance reports its own requests.
//!
//! Served on a listener of their own (`--metrics-bind`, loopback by
//! default), never on the public one. A scrape only reads memory: the
//! database gauges are refreshed by a background task ([`refresh_gauges`]
//! every [`GAUGE_INTERVAL`]), so scraping cannot load the database.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::services::App;
// The registry and its gauges live in the services; these names stay
// here for callers of the HTTP side.
pub use crate::services::metrics::{GAUGE_INTERVAL, Metrics, refresh_gauges};

/// Middleware: times every request under its route template (never the
/// concrete path, which could carry identifiers).
pub async fn track(State(app): State<App>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    app.metrics.record(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The metrics listener's router: `/metrics` and nothing else.
pub fn router(app: App) -> Router {
    Router::new().route("/metrics", get(scrape)).with_state(app)
}

async fn scrape(State(app): State<App>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/plain; version=0.0.4"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        app.metrics.render()
            + &app.list_clock.render()
            + &app.propagation.render()
            + &app.sync_cache.render(),
    )
}
