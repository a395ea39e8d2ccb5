//! The in-process metrics registry: requests and latencies per route
//! (recorded by the HTTP layer), active bans per area (refreshed from the
//! database by [`refresh_gauges`]). Kept in process; each server instance
//! reports its own requests. The HTTP side serves [`Metrics::render`] on its
//! own listener.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex, PoisonError};

use super::{App, AppResult};
use crate::storage::bans;

/// How often `serve` refreshes the database gauges.
pub const GAUGE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Latency bucket bounds in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Default)]
struct RouteStats {
    count: u64,
    sum_seconds: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Method, route template, status.
type RouteKey = (String, String, u16);

#[derive(Clone, Default)]
pub struct Metrics {
    routes: Arc<Mutex<BTreeMap<RouteKey, RouteStats>>>,
    /// Active bans per area, as of the last refresh.
    active_bans: Arc<Mutex<Vec<(i64, i64)>>>,
}

impl Metrics {
    /// Counts one request under its route template.
    pub fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        let stats = routes
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        stats.count += 1;
        stats.sum_seconds += seconds;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                stats.buckets[i] += 1;
            }
        }
    }

    fn set_active_bans(&self, active: Vec<(i64, i64)>) {
        *self
            .active_bans
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = active;
    }

    /// The exposition text, from memory only.
    pub fn render(&self) -> String {
        let active_bans = self
            .active_bans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut out = String::new();
        let routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        out.push_str("# HELP cho_http_requests_total HTTP requests by route and status.\n# TYPE cho_http_requests_total counter\n");
        for ((method, route, status), s) in routes.iter() {
            let _ = writeln!(
                out,
                "cho_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}",
                s.count
            );
        }
        out.push_str("# HELP cho_http_request_duration_seconds HTTP request latency by route.\n# TYPE cho_http_request_duration_seconds histogram\n");
        let mut by_route: BTreeMap<(String, String), RouteStats> = BTreeMap::new();
        for ((method, route, _), s) in routes.iter() {
            let agg = by_route.entry((method.clone(), route.clone())).or_default();
            agg.count += s.count;
            agg.sum_seconds += s.sum_seconds;
            for (a, b) in agg.buckets.iter_mut().zip(s.buckets) {
                *a += b;
            }
        }
        for ((method, route), s) in &by_route {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            for (bound, n) in BUCKETS.iter().zip(s.buckets) {
                let _ = writeln!(
                    out,
                    "cho_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "cho_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "cho_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum_seconds
            );
            let _ = writeln!(
                out,
                "cho_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out.push_str(
            "# HELP cho_active_bans Active bans per area.\n# TYPE cho_active_bans gauge\n",
        );
        for (area, n) in &active_bans {
            let _ = writeln!(out, "cho_active_bans{{area=\"{area}\"}} {n}");
        }
        out
    }
}

/// Reads the database gauges into memory (the background task's job).
pub async fn refresh_gauges(app: &App) -> AppResult<()> {
    let active = bans::active_counts(&app.db, app.clock.today()).await?;
    app.metrics.set_active_bans(active);
    Ok(())
}
