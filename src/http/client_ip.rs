//! Who the client is: the peer address, or behind a trusted reverse proxy the right-most
//! `X-Forwarded-For` address that is not itself a trusted proxy. Only the proxies' own entries
//! are believed; anything a client writes into the header sits to their left.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use ipnet::IpNet;

use crate::state::AppState;

const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address for throttling and logs (see the module doc).
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = of(
            &parts.extensions,
            &parts.headers,
            &state.config.trusted_proxies,
        );
        Ok(ClientIp(ip.unwrap_or(IpAddr::from([0, 0, 0, 0]))))
    }
}

/// The client's address, when the request was served with connect info.
pub fn of(extensions: &Extensions, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let ConnectInfo(peer) = extensions.get::<ConnectInfo<SocketAddr>>()?;
    Some(resolve(peer.ip(), headers, trusted))
}

/// Pure: `peer` unless it is trusted; then the right-most forwarded address not trusted (or
/// the left-most, when every hop is a proxy). An unreadable entry ends the walk at the last
/// address known good.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) if is_trusted(&ip) => client = ip,
            Some(ip) => return ip,
            None => break,
        }
    }
    client
}

/// `1.2.3.4`, `2001:db8::1`, or with a port: `1.2.3.4:5678`, `[2001:db8::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(FORWARDED_FOR, v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let h = xff(&["1.1.1.1"]);
        assert_eq!(resolve(ip("203.0.113.9"), &h, &trusted), ip("203.0.113.9"));
        assert_eq!(resolve(ip("10.0.0.1"), &h, &[]), ip("10.0.0.1"));
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // The client spoofed 1.1.1.1; the outer proxy appended 10.0.0.7, the real client 2.2.2.2.
        let h = xff(&["1.1.1.1, 2.2.2.2", "10.0.0.7"]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("2.2.2.2"));
        let h = xff(&["[2001:db8::1]:443, 10.0.0.7:80"]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("2001:db8::1"));
    }

    #[test]
    fn all_trusted_hops_or_garbage_stop_at_the_last_known_address() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            resolve(ip("10.0.0.1"), &xff(&["10.0.0.3, 10.0.0.2"]), &trusted),
            ip("10.0.0.3")
        );
        assert_eq!(
            resolve(ip("10.0.0.1"), &xff(&["2.2.2.2, nonsense"]), &trusted),
            ip("10.0.0.1")
        );
        assert_eq!(
            resolve(ip("10.0.0.1"), &HeaderMap::new(), &trusted),
            ip("10.0.0.1")
        );
    }
}
