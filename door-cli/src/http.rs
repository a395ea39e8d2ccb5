//! The transport, and nothing else: sends the requests `cho_core::device`
//! builds and hands back what the server answered. Every protocol decision
//! (what to ask, what an answer means, when to retry) is the core's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use cho_core::device::{HttpHeader, HttpRequest, HttpResponse};
use ureq::Agent;

/// Why a request got no answer. Only the kind of failure: ureq's message
/// may repeat the URL, which is fine, but nothing else of the request.
pub struct NoAnswer(pub String);

/// Sends `request` as it is: no redirects, the core's timeout and body
/// limit.
pub fn send(request: &HttpRequest) -> Result<HttpResponse, NoAnswer> {
    let agent: Agent = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(u64::from(
            request.timeout_seconds.max(1),
        ))))
        .user_agent(concat!("cho-door/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let no_answer = |e: ureq::Error| NoAnswer(e.to_string());
    let mut builder = ureq::http::Request::builder()
        .method(request.method.as_str())
        .uri(request.url.as_str());
    for h in &request.headers {
        builder = builder.header(h.name.as_str(), h.value.as_str());
    }
    let built = |e: ureq::http::Error| NoAnswer(format!("cannot build the request: {e}"));
    // A GET goes without a body (not even an empty one).
    let mut response = if request.body.is_empty() {
        agent.run(builder.body(()).map_err(built)?)
    } else {
        agent.run(builder.body(request.body.clone()).map_err(built)?)
    }
    .map_err(no_answer)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some(HttpHeader {
                name: name.as_str().to_owned(),
                value: value.to_str().ok()?.to_owned(),
            })
        })
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(request.max_response_bytes)
        .read_to_vec()
        .map_err(no_answer)?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// Sends on a thread of its own and waits for the answer or for `stop`
/// (None): a waiting sync never keeps `--follow` or the station from
/// stopping.
pub fn send_unless_stopped(
    request: HttpRequest,
    stop: &AtomicBool,
) -> Option<Result<HttpResponse, NoAnswer>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(send(&request));
    });
    loop {
        if stop.load(Ordering::SeqCst) {
            return None;
        }
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(answer) => return Some(answer),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Some(Err(NoAnswer("the request was lost".to_owned())));
            }
        }
    }
}
