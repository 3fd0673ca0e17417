//! The client's IP: the socket peer, or — only when the peer is a configured trusted proxy — the
//! right-most address of the forwarding header that is not itself a trusted proxy. Every line of
//! the header counts, in order (a proxy that adds its own line instead of appending to the last
//! one must not let the client's line win). Which header is read is the operator's choice
//! (`JOBIN_FORWARDED_HEADER`): `X-Forwarded-For` (default) or RFC 7239 `Forwarded` — only the one
//! the proxy writes, since a client can send the other one as it likes.

pub use crate::config::ForwardedHeader;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// How a [`ForwardedHeader`] (a setting) is read.
impl ForwardedHeader {
    /// The hops of all the header's lines, in order (first = farthest); `None` for a hop that is
    /// not an address (garbled, `unknown`, an obfuscated identifier).
    pub fn hops<'a>(self, lines: impl IntoIterator<Item = &'a str>) -> Vec<Option<IpAddr>> {
        lines
            .into_iter()
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .filter(|hop| !hop.is_empty())
            .map(|hop| match self {
                Self::XForwardedFor => address(hop),
                Self::Forwarded => forwarded_for(hop).and_then(address),
            })
            .collect()
    }
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:4711`.
fn address(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    raw.parse::<IpAddr>()
        .ok()
        .or_else(|| raw.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')).and_then(|r| r.parse().ok()))
}

/// The `for=` value of one `Forwarded` element (`for=192.0.2.60;proto=http;by=203.0.113.43`).
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then(|| value.trim())
    })
}

pub fn client_ip(peer: Option<IpAddr>, hops: &[Option<IpAddr>], trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut candidate = peer;
    for hop in hops.iter().rev() {
        match hop {
            // A garbled hop ends the chain of trust: use the last good one.
            None => return Some(candidate),
            Some(ip) if is_trusted(ip) => candidate = *ip,
            Some(ip) => return Some(*ip),
        }
    }
    Some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(lines: &[&str]) -> Vec<Option<IpAddr>> {
        ForwardedHeader::XForwardedFor.hops(lines.iter().copied())
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_trusted() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(client_ip(Some(ip("203.0.113.9")), &xff(&["1.2.3.4"]), &trusted), Some(ip("203.0.113.9")));
        assert_eq!(client_ip(Some(ip("10.0.0.2")), &xff(&["1.2.3.4"]), &trusted), Some(ip("1.2.3.4")));
        assert_eq!(client_ip(Some(ip("10.0.0.2")), &[], &trusted), Some(ip("10.0.0.2")));
    }

    #[test]
    fn the_rightmost_untrusted_hop_wins_so_clients_cannot_spoof_by_prepending() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let chain = xff(&["6.6.6.6, 198.51.100.7, 10.0.0.5"]);
        assert_eq!(client_ip(Some(ip("10.0.0.2")), &chain, &trusted), Some(ip("198.51.100.7")));
        assert_eq!(client_ip(Some(ip("10.0.0.2")), &xff(&["junk, 10.0.0.5"]), &trusted), Some(ip("10.0.0.5")));
        assert_eq!(client_ip(None, &xff(&["1.2.3.4"]), &trusted), None);
    }

    #[test]
    fn every_line_counts_so_a_proxy_adding_its_own_line_is_not_bypassed() {
        // HAProxy `option forwardfor` adds a line; the client's own first line must not win.
        let trusted: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        let hops = xff(&["6.6.6.6", "198.51.100.7"]);
        assert_eq!(client_ip(Some(ip("127.0.0.1")), &hops, &trusted), Some(ip("198.51.100.7")));
        let hops = xff(&["6.6.6.6, 7.7.7.7", "198.51.100.7:5123"]);
        assert_eq!(client_ip(Some(ip("127.0.0.1")), &hops, &trusted), Some(ip("198.51.100.7")));
    }

    #[test]
    fn rfc_7239_elements_over_several_lines() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let f = ForwardedHeader::Forwarded;
        let hops = f.hops(["for=6.6.6.6", "for=\"[2001:db8:cafe::17]:4711\";proto=https, For=10.0.0.7;by=10.0.0.1"]);
        assert_eq!(hops, vec![Some(ip("6.6.6.6")), Some(ip("2001:db8:cafe::17")), Some(ip("10.0.0.7"))]);
        assert_eq!(client_ip(Some(ip("10.0.0.2")), &hops, &trusted), Some(ip("2001:db8:cafe::17")));
        let hidden = f.hops(["for=198.51.100.1, for=_hidden, for=10.0.0.9"]);
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), &hidden, &trusted),
            Some(ip("10.0.0.9")),
            "an opaque hop ends trust"
        );
        assert_eq!(ForwardedHeader::parse("Forwarded"), Some(f));
        assert_eq!(ForwardedHeader::parse("x-real-ip"), None);
    }
}
