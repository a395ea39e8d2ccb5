//! Which client a request comes from: the socket's peer, or, when the peer
//! is a trusted proxy (`--trusted-proxy`), the first address in
//! `X-Forwarded-For` that is not itself a trusted proxy, walking from the
//! right. Everything left of that is written by the client and proves
//! nothing. Configuration the services hold (`App::trusted_proxies`), so it
//! lives outside `http`.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::http::HeaderMap;

/// The client address of a request from `peer` with `headers`.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    // Several headers count as one list, in order.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut nearest = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            // A hop a trusted proxy wrote but nobody can read: stop at the
            // last address that is known.
            return nearest;
        };
        if !trusted.contains(ip) {
            return ip;
        }
        nearest = ip;
    }
    nearest
}

/// An address as proxies write them: bare, or with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// An address block: an IP address and a prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Network {
    type Err = String;

    /// `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = || format!("not an IP address or CIDR block: {s:?}");
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (s, None),
        };
        let addr = addr.parse::<IpAddr>().map_err(|_| bad())?.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        Ok(Self { addr, prefix })
    }
}

/// The proxies whose `X-Forwarded-For` is believed; none by default.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<[Network]>);

impl TrustedProxies {
    pub fn new(networks: Vec<Network>) -> Self {
        Self(networks.into())
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|n| n.contains(ip))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn trusted(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|s| s.parse().unwrap()).collect())
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn networks_parse_and_match() {
        let n: Network = "10.1.0.0/16".parse().unwrap();
        assert!(n.contains(ip("10.1.200.3")));
        assert!(!n.contains(ip("10.2.0.1")));
        assert!(!n.contains(ip("::1")));
        let one: Network = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: Network = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12:3456::1")) && !v6.contains(ip("fe80::1")));
        let all: Network = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        let mapped: Network = "::ffff:10.0.0.1".parse().unwrap();
        assert!(mapped.contains(ip("10.0.0.1")));
        for bad in ["10.0.0.0/33", "::/129", "proxy", "10.0.0.0/x", ""] {
            assert!(bad.parse::<Network>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let t = trusted(&["10.0.0.0/8"]);
        let h = xff(&["198.51.100.1"]);
        assert_eq!(client_address(ip("203.0.113.5"), &h, &t), ip("203.0.113.5"));
        assert_eq!(
            client_address(ip("203.0.113.5"), &h, &TrustedProxies::default()),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right() {
        let t = trusted(&["10.0.0.0/8", "192.0.2.1"]);
        // The client forged the first entry; the load balancer appended
        // the real peer; an inner proxy appended the balancer.
        let h = xff(&["1.2.3.4, 203.0.113.9", "192.0.2.1"]);
        assert_eq!(client_address(ip("10.0.0.2"), &h, &t), ip("203.0.113.9"));
        // Ports and IPv4-mapped addresses.
        let h = xff(&["203.0.113.9:5123"]);
        assert_eq!(client_address(ip("10.0.0.2"), &h, &t), ip("203.0.113.9"));
        let h = xff(&["[2001:db8::5]:443"]);
        assert_eq!(client_address(ip("10.0.0.2"), &h, &t), ip("2001:db8::5"));
        assert_eq!(
            client_address(ip("::ffff:10.0.0.2"), &xff(&["203.0.113.9"]), &t),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn odd_forwarding_headers() {
        let t = trusted(&["10.0.0.0/8"]);
        // None: the proxy itself.
        assert_eq!(
            client_address(ip("10.0.0.2"), &HeaderMap::new(), &t),
            ip("10.0.0.2")
        );
        // Every hop trusted: the farthest.
        let h = xff(&["10.9.9.9, 10.0.0.3"]);
        assert_eq!(client_address(ip("10.0.0.2"), &h, &t), ip("10.9.9.9"));
        // Garbage behind a trusted hop: stop at the trusted hop.
        let h = xff(&["203.0.113.9, garbage, 10.0.0.3"]);
        assert_eq!(client_address(ip("10.0.0.2"), &h, &t), ip("10.0.0.3"));
    }
}
