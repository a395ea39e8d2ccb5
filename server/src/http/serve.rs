//! The accept loop: HTTP/1.1 on hyper with the timeouts and the connection
//! limit a public server needs (axum::serve has no header-read timeout, so
//! a client trickling its headers could hold a connection for ever).
//!
//! Per connection:
//! - a request head must arrive within `header_read_timeout` of its first
//!   byte (hyper's own timer is the backstop; see below);
//! - a connection that moves no byte between requests for `idle_timeout`
//!   is closed (keep-alive);
//! - a request, body included, must be answered within the router's
//!   request timeout (see `http::Timeouts`; a route may opt into a longer
//!   one for a waiting sync), else 408;
//! - at most `max_connections` are served at once: beyond that, new
//!   connections wait in the listen backlog until one closes.
//!
//! Every request carries `ConnectInfo<SocketAddr>` (the socket's peer) in
//! its extensions, as `axum::serve` would give it.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// Connection-level limits of one listener.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// From a request's first byte to its complete head.
    pub header_read_timeout: Duration,
    /// No byte in either direction between requests.
    pub idle_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// How long a graceful stop waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            // Thousands of doors may hold a waiting sync at once; each
            // connection costs a socket and a few kilobytes.
            max_connections: 10_000,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// hyper's header limits sit above the router's own (`http::MAX_HEADERS`),
/// so that the router, not hyper, refuses oversized headers: with a JSON
/// body. Only heads beyond hyper's buffer get hyper's bare 431.
const HYPER_MAX_HEADERS: usize = 2 * super::MAX_HEADERS;

/// Serves `router` on `listener` until `shutdown` resolves, then stops
/// accepting, lets requests in flight finish (within the grace period) and
/// returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    // hyper's timer starts when it waits for a head, idle time included:
    // it is the backstop behind the finer watch in `watch_connection`.
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout.max(limits.idle_timeout))
        .max_headers(HYPER_MAX_HEADERS)
        .keep_alive(true);
    let http = Arc::new(http);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off a
                    // little instead of spinning, keep serving the rest.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let http = http.clone();
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            serve_connection(stream, peer, router, &http, limits, stop).await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a permit until it ends: all permits back
    // means all connections closed.
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(limits.shutdown_grace, permits.acquire_many(all)).await;
    Ok(())
}

/// What the watch of one connection knows.
struct Activity {
    started: Instant,
    /// Requests handed to the router and not yet answered.
    in_flight: AtomicUsize,
    /// Milliseconds since `started` of the last byte moved, or of the last
    /// answer.
    last: AtomicU64,
    /// Bytes of a new request head have arrived while nothing was in flight.
    head_started: AtomicBool,
    /// Milliseconds since `started` of the first byte of that head.
    head_at: AtomicU64,
    /// Wakes the watch when its deadline moves: a head starts, an answer
    /// is ready.
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last: AtomicU64::new(0),
            head_started: AtomicBool::new(false),
            head_at: AtomicU64::new(0),
            changed: Notify::new(),
        }
    }

    fn millis(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn moved(&self, read: bool) {
        let now = self.millis();
        self.last.store(now, Ordering::Relaxed);
        if read
            && self.in_flight.load(Ordering::Acquire) == 0
            && !self.head_started.swap(true, Ordering::AcqRel)
        {
            self.head_at.store(now, Ordering::Relaxed);
            self.changed.notify_one();
        }
    }

    fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(false, Ordering::Release);
    }

    fn request_done(&self) {
        self.last.store(self.millis(), Ordering::Relaxed);
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
        // notify_one keeps the wake-up if the watch is not waiting yet.
        self.changed.notify_one();
    }

    /// When the connection must be closed if nothing changes; None while a
    /// request is in flight (the router's request timeout governs it).
    fn deadline(&self, limits: &ConnectionLimits) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let (from, within) = if self.head_started.load(Ordering::Acquire) {
            (
                self.head_at.load(Ordering::Relaxed),
                limits.header_read_timeout,
            )
        } else {
            (self.last.load(Ordering::Relaxed), limits.idle_timeout)
        };
        Some(self.started + Duration::from_millis(from) + within)
    }
}

/// A socket that reports every byte it moves to the connection's watch.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.moved(true);
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.moved(false);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.moved(false);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Ends the request count of a connection when the answer is ready, or
/// when the request is dropped (the connection closed mid-request).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_done();
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    http: &hyper::server::conn::http1::Builder,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            activity.request_started();
            let in_flight = InFlight(activity.clone());
            request.extensions_mut().insert(ConnectInfo(peer));
            let router = router.clone();
            async move {
                let response = router.oneshot(request.map(axum::body::Body::new)).await;
                drop(in_flight);
                response
            }
        })
    };
    let connection = http.serve_connection(io, service);
    tokio::pin!(connection);
    let mut stopping = *stop.borrow();
    if stopping {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        let deadline = activity.deadline(&limits);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            changed = stop.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    // Finishes the request in flight, then closes.
                    connection.as_mut().graceful_shutdown();
                }
            }
            () = activity.changed.notified() => {}
            () = sleep_until(deadline) => {
                // Re-checked: a byte may have moved since the deadline was
                // computed.
                if activity.deadline(&limits).is_some_and(|d| d <= Instant::now()) {
                    tracing::debug!("connection closed: header or idle timeout");
                    return;
                }
            }
        }
    }
}

/// Sleeps until `deadline`; without one (a request in flight) until the
/// watch is woken by a change.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
