//! The client address a request comes from, for the attempt limits (the
//! rule is in [`crate::proxies`]): an extractor over the socket's peer and
//! the request's headers.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

pub use crate::proxies::{Network, TrustedProxies, client_address};
use crate::services::App;

/// The client's address (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// What stands in for the peer when a request carries no `ConnectInfo`:
/// only in-process callers (tests driving the router), never `serve`.
pub const NO_PEER: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

impl FromRequestParts<App> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(NO_PEER, |c| c.0.ip());
        Ok(Self(client_address(
            peer,
            &parts.headers,
            &app.trusted_proxies,
        )))
    }
}
