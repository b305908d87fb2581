//! The client's address, as far as it can be believed. Behind a reverse proxy every
//! connection comes from the proxy; the proxy names the client in `X-Forwarded-For`. Anyone
//! can send that header, so it counts only when the connection comes from a proxy listed in
//! `server.trusted_proxies`, and then only up to the first address no trusted proxy wrote.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// Walks `X-Forwarded-For` from the right (the nearest hop) past the trusted proxies; the
/// first address that is not one of them is the client. Whatever stands left of it was
/// written by the client itself and is ignored.
pub fn client_ip(trusted: &[IpNet], peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.into_iter().rev() {
        // A trusted proxy writes only addresses; anything else came from further out, and
        // the nearest hop we could read is the best we know.
        let Some(ip) = parse_hop(hop) else {
            return client;
        };
        client = ip;
        if !is_trusted(&client) {
            return client;
        }
    }
    client
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let h = xff(&["203.0.113.7"]);
        assert_eq!(client_ip(&[], ip("198.51.100.1"), &h), ip("198.51.100.1"));
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(&trusted, ip("198.51.100.1"), &h),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn the_rightmost_address_no_trusted_proxy_wrote_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1/32"]);
        let h = xff(&["1.1.1.1, 203.0.113.7, 10.0.0.2"]);
        assert_eq!(client_ip(&trusted, ip("127.0.0.1"), &h), ip("203.0.113.7"));
        // Several headers read as one list, in order.
        let h = xff(&["1.1.1.1", "203.0.113.7", "10.0.0.2"]);
        assert_eq!(client_ip(&trusted, ip("127.0.0.1"), &h), ip("203.0.113.7"));
    }

    #[test]
    fn a_forged_left_part_changes_nothing() {
        let trusted = nets(&["127.0.0.1/32"]);
        let forged = xff(&["10.9.9.9, 127.0.0.1, 203.0.113.7"]);
        assert_eq!(
            client_ip(&trusted, ip("127.0.0.1"), &forged),
            ip("203.0.113.7")
        );
        let garbage = xff(&["not-an-address, 203.0.113.7"]);
        assert_eq!(
            client_ip(&trusted, ip("127.0.0.1"), &garbage),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn odd_shapes_fall_back_to_the_nearest_hop_known() {
        let trusted = nets(&["127.0.0.1/32"]);
        assert_eq!(
            client_ip(&trusted, ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
        let h = xff(&["203.0.113.7, garbage"]);
        assert_eq!(client_ip(&trusted, ip("127.0.0.1"), &h), ip("127.0.0.1"));
        let h = xff(&["[2001:db8::1]:4711"]);
        assert_eq!(client_ip(&trusted, ip("127.0.0.1"), &h), ip("2001:db8::1"));
        let mapped = ip("::ffff:127.0.0.1");
        let h = xff(&["203.0.113.7"]);
        assert_eq!(client_ip(&trusted, mapped, &h), ip("203.0.113.7"));
    }
}
