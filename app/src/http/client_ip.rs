//! The client's IP: the socket peer, or — only when the peer is a configured trusted proxy — the
//! right-most address in `X-Forwarded-For` that is not itself a trusted proxy.

use ipnet::IpNet;
use std::net::IpAddr;

pub fn client_ip(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let Some(header) = forwarded_for else { return Some(peer) };
    let mut candidate = peer;
    for hop in header.rsplit(',').map(str::trim) {
        match hop.parse::<IpAddr>() {
            // A garbled hop ends the chain of trust: use the last good one.
            Err(_) => return Some(candidate),
            Ok(ip) if is_trusted(&ip) => candidate = ip,
            Ok(ip) => return Some(ip),
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

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_trusted() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(client_ip(Some(ip("203.0.113.9")), Some("1.2.3.4"), &trusted), Some(ip("203.0.113.9")));
        assert_eq!(client_ip(Some(ip("10.0.0.2")), Some("1.2.3.4"), &trusted), Some(ip("1.2.3.4")));
        assert_eq!(client_ip(Some(ip("10.0.0.2")), None, &trusted), Some(ip("10.0.0.2")));
    }

    #[test]
    fn the_rightmost_untrusted_hop_wins_so_clients_cannot_spoof_by_prepending() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let xff = "6.6.6.6, 198.51.100.7, 10.0.0.5";
        assert_eq!(client_ip(Some(ip("10.0.0.2")), Some(xff), &trusted), Some(ip("198.51.100.7")));
        assert_eq!(client_ip(Some(ip("10.0.0.2")), Some("junk, 10.0.0.5"), &trusted), Some(ip("10.0.0.5")));
        assert_eq!(client_ip(None, Some("1.2.3.4"), &trusted), None);
    }
}
