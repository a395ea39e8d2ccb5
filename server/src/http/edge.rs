//! What every answer of the public listener goes through: security
//! headers, the header limits and the request timeout.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::{MAX_HEADER_BYTES, MAX_HEADERS, Timeouts};

/// The Content-Security-Policy of every page: our own stylesheets and
/// images only, no script at all, no inline style, forms only to
/// ourselves, never in a frame.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// `nosniff` on every answer; `no-store` on every answer that did not say
/// otherwise: answers carry personal data, session tokens and device
/// credentials, which no cache may keep. The signed lists, the OpenAPI
/// document and the hashed assets set their own `Cache-Control`. Pages
/// (every path outside the JSON interface) also get the CSP and
/// `Referrer-Policy: same-origin`.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let page = !super::is_api_path(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if page {
        // An answer with a policy of its own keeps it: an SVG logo is a
        // document with a stricter one (see `web::public::logo`).
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PAGE_CSP),
            );
        }
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
    }
    response
}

/// An error answer after which the connection closes: the request's body
/// may be half read.
fn closing(error: ApiError) -> Response {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Too many or too large headers: 431 with a JSON body (hyper's own limits
/// sit above these, see `serve`).
pub async fn header_limits(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return closing(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("request headers exceed {MAX_HEADERS} fields or {MAX_HEADER_BYTES} bytes"),
        ));
    }
    next.run(request).await
}

#[derive(Clone)]
pub struct RequestTimeouts {
    pub timeouts: Timeouts,
    /// Route templates that use the long-wait timeout.
    pub long_wait_routes: Arc<[&'static str]>,
}

/// 408 when the request, body included, is not answered in time.
pub async fn request_timeout(
    State(limits): State<RequestTimeouts>,
    request: Request,
    next: Next,
) -> Response {
    let long = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| limits.long_wait_routes.contains(&p.as_str()));
    let within = if long {
        limits.timeouts.long_wait
    } else {
        limits.timeouts.request
    };
    match tokio::time::timeout(within, next.run(request)).await {
        Ok(response) => response,
        Err(_) => closing(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "the request was not complete in time",
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    /// A route that opted into the long wait outlasts the request timeout;
    /// the same handler elsewhere gets 408.
    #[tokio::test]
    async fn a_long_wait_route_gets_the_longer_timeout() {
        async fn slow() -> &'static str {
            tokio::time::sleep(Duration::from_millis(300)).await;
            "done"
        }
        let router = Router::new()
            .route("/waiting-sync", get(slow))
            .route("/other", get(slow))
            .layer(axum::middleware::from_fn_with_state(
                RequestTimeouts {
                    timeouts: Timeouts {
                        request: Duration::from_millis(100),
                        long_wait: Duration::from_secs(5),
                    },
                    long_wait_routes: Arc::from(["/waiting-sync"]),
                },
                request_timeout,
            ));
        let status = |path: &'static str| {
            let router = router.clone();
            async move {
                let request = Request::get(path).body(Body::empty()).unwrap();
                router.oneshot(request).await.unwrap()
            }
        };
        assert_eq!(status("/waiting-sync").await.status(), StatusCode::OK);
        let timed_out = status("/other").await;
        assert_eq!(timed_out.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(timed_out.headers()[header::CONNECTION], "close");
    }
}
