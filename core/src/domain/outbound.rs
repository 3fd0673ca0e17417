//! Where the server may send a request that a user's input directs (today: saved-search webhooks).
//! One deployment serves accounts that do not trust each other, so such a request must never
//! reach inside the server's own network.
//!
//! The policy, by default:
//! - `https://` only; no credentials (`user:pass@`) in the URL;
//! - the host is a public name or a globally routable address. An address literal in any form the
//!   URL standard reads (`0x7f000001`, `2130706433`, `127.1`, `[::ffff:127.0.0.1]`) is read as
//!   that address and checked; `localhost`, `*.localhost` and single-label names (which resolve
//!   through search domains to internal hosts) are refused outright;
//! - at send time the name is resolved and refused if **any** address it resolves to is not
//!   globally routable; the connection goes to the addresses that were checked (the HTTP client is
//!   handed them, with no second lookup), and redirects are not followed.
//!
//! An operator may allow loopback and private destinations for development
//! ([`OutboundPolicy::allow_private`]; on under `--demo`): `http://` is then accepted too, and
//! loopback, private (RFC 1918, unique-local, CGNAT) addresses and internal names pass. Link-local
//! (cloud metadata at 169.254.169.254), multicast, unspecified, documentation and other reserved
//! addresses stay refused even then.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of destination an address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Globally routable.
    Public,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7 (unique local).
    Private,
    /// 169.254/16, fe80::/10.
    LinkLocal,
    /// Everything else that is not globally routable: unspecified, broadcast, multicast,
    /// documentation, benchmarking, reserved, IPv4-mapped/compatible and translated IPv6, 6to4,
    /// Teredo, discard-only, site-local.
    Reserved,
}

impl AddressClass {
    /// The stable name of the class (a refusal's `rule`).
    pub const fn as_str(self) -> &'static str {
        match self {
            AddressClass::Public => "public_address",
            AddressClass::Loopback => "loopback_address",
            AddressClass::Private => "private_address",
            AddressClass::LinkLocal => "link_local_address",
            AddressClass::Reserved => "reserved_address",
        }
    }
}

/// The class of an IPv4 address.
pub fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (127, _, _) => AddressClass::Loopback,
        (10, _, _) | (192, 168, _) => AddressClass::Private,
        (172, b, _) if (16..=31).contains(&b) => AddressClass::Private,
        (100, b, _) if (64..=127).contains(&b) => AddressClass::Private,
        (169, 254, _) => AddressClass::LinkLocal,
        // 0/8 "this network", 192.0.0/24 protocol assignments, 192.0.2/24, 198.51.100/24 and
        // 203.0.113/24 documentation, 192.88.99/24 6to4 relays, 198.18/15 benchmarking,
        // 224/4 multicast, 240/4 reserved and the broadcast address.
        (0, _, _) | (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) | (192, 88, 99) => {
            AddressClass::Reserved
        }
        (198, 18 | 19, _) => AddressClass::Reserved,
        (a, _, _) if a >= 224 => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

/// The class of an IPv6 address. Only global unicast (2000::/3) can be public; every form that
/// embeds or translates an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) is reserved,
/// so an IPv4 destination cannot be reached through an IPv6 spelling.
pub fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let s = ip.segments();
    if ip == Ipv6Addr::LOCALHOST {
        return AddressClass::Loopback;
    }
    if s[0] & 0xfe00 == 0xfc00 {
        return AddressClass::Private;
    }
    if s[0] & 0xffc0 == 0xfe80 {
        return AddressClass::LinkLocal;
    }
    let global_unicast = s[0] & 0xe000 == 0x2000;
    // 2001::/23 (protocol assignments, Teredo), 2001:db8::/32 (documentation), 2002::/16 (6to4),
    // 3fff::/20 (documentation).
    let excluded = (s[0] == 0x2001 && (s[1] < 0x0200 || s[1] == 0x0db8)) || s[0] == 0x2002 || s[0] & 0xfff0 == 0x3ff0;
    if global_unicast && !excluded { AddressClass::Public } else { AddressClass::Reserved }
}

pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// Why a destination is refused. `rule()` is its stable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the URL could not be read")]
    Malformed,
    #[error("only https:// URLs are allowed")]
    HttpsRequired,
    #[error("credentials (user:password@) are not allowed in the URL")]
    Credentials,
    #[error("names of this machine or of the local network (localhost, single-label names) are not allowed")]
    InternalName,
    #[error("the destination is not a public address ({})", .0.as_str())]
    Address(AddressClass),
}

impl Refusal {
    /// The stable name of the rule that refused.
    pub const fn rule(self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed_url",
            Refusal::HttpsRequired => "https_required",
            Refusal::Credentials => "credentials_in_url",
            Refusal::InternalName => "internal_name",
            Refusal::Address(class) => class.as_str(),
        }
    }
}

/// Where a URL the policy accepted points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An address literal (already checked).
    Address(IpAddr),
    /// A name to resolve at send time, every address of it checked with [`OutboundPolicy::address`].
    Name(String),
}

impl From<IpAddr> for Destination {
    fn from(ip: IpAddr) -> Self {
        Destination::Address(ip)
    }
}

/// The outbound policy (see the module's documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// Operator opt-in for development: `http://`, loopback and private destinations pass.
    pub allow_private: bool,
}

impl OutboundPolicy {
    pub const STRICT: OutboundPolicy = OutboundPolicy { allow_private: false };

    /// Whether a request may go to `ip`.
    pub fn address(&self, ip: IpAddr) -> Result<(), Refusal> {
        match classify(ip) {
            AddressClass::Public => Ok(()),
            AddressClass::Loopback | AddressClass::Private if self.allow_private => Ok(()),
            class => Err(Refusal::Address(class)),
        }
    }

    /// Checks a URL as a whole: scheme, credentials and host (an address literal in full, a name
    /// by its form; its addresses are checked when it is resolved).
    pub fn url(&self, raw: &str) -> Result<Destination, Refusal> {
        let url = url::Url::parse(raw.trim()).map_err(|_| Refusal::Malformed)?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return Err(Refusal::HttpsRequired),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal::Credentials);
        }
        let (destination, internal) = match url.host() {
            None => return Err(Refusal::Malformed),
            Some(url::Host::Ipv4(ip)) => (IpAddr::V4(ip).into(), classify_v4(ip) != AddressClass::Public),
            Some(url::Host::Ipv6(ip)) => (IpAddr::V6(ip).into(), classify_v6(ip) != AddressClass::Public),
            Some(url::Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                let internal =
                    name.is_empty() || name == "localhost" || name.ends_with(".localhost") || !name.contains('.');
                (Destination::Name(name), internal)
            }
        };
        // Plain http only under the opt-in, and only inside (public receivers get https).
        if !(https || (self.allow_private && internal)) {
            return Err(Refusal::HttpsRequired);
        }
        match &destination {
            Destination::Address(ip) => self.address(*ip)?,
            Destination::Name(_) if internal && !self.allow_private => return Err(Refusal::InternalName),
            Destination::Name(_) => {}
        }
        Ok(destination)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> &'static str {
        OutboundPolicy::STRICT.url(url).expect_err(url).rule()
    }

    #[test]
    fn every_internal_ipv4_class_is_refused() {
        for (url, rule) in [
            ("https://127.0.0.1/x", "loopback_address"),
            ("https://127.255.255.254:8443/", "loopback_address"),
            ("https://10.0.0.1/", "private_address"),
            ("https://172.16.0.1/", "private_address"),
            ("https://172.31.255.255/", "private_address"),
            ("https://192.168.1.1/", "private_address"),
            ("https://100.64.0.1/", "private_address"),
            ("https://169.254.169.254/latest/meta-data/", "link_local_address"),
            ("https://0.0.0.0/", "reserved_address"),
            ("https://255.255.255.255/", "reserved_address"),
            ("https://224.0.0.1/", "reserved_address"),
            ("https://240.0.0.1/", "reserved_address"),
            ("https://192.0.2.10/", "reserved_address"),
            ("https://198.51.100.1/", "reserved_address"),
            ("https://203.0.113.9/", "reserved_address"),
            ("https://198.18.0.1/", "reserved_address"),
            ("https://192.0.0.8/", "reserved_address"),
        ] {
            assert_eq!(refused(url), rule, "{url}");
        }
    }

    /// The URL standard reads these as IPv4 addresses (and so does the HTTP client): they are
    /// checked as the address they are.
    #[test]
    fn numeric_spellings_are_read_as_the_address_they_are() {
        for url in [
            "https://0x7f000001/",
            "https://2130706433/",
            "https://127.1/",
            "https://0177.0.0.1/",
            "https://0x7f.0.0.1/",
            "https://127.0.0.1./",
            "https://%31%32%37.0.0.1/",
        ] {
            assert_eq!(refused(url), "loopback_address", "{url}");
        }
        assert_eq!(refused("https://0xa9fea9fe/"), "link_local_address");
        assert_eq!(refused("https://167772161/"), "private_address");
    }

    #[test]
    fn every_internal_ipv6_class_is_refused() {
        for (url, rule) in [
            ("https://[::1]/", "loopback_address"),
            ("https://[::]/", "reserved_address"),
            ("https://[::ffff:127.0.0.1]/", "reserved_address"),
            ("https://[::ffff:7f00:1]/", "reserved_address"),
            ("https://[::ffff:169.254.169.254]/", "reserved_address"),
            ("https://[::127.0.0.1]/", "reserved_address"),
            ("https://[64:ff9b::a00:1]/", "reserved_address"),
            ("https://[2002:7f00:1::1]/", "reserved_address"),
            ("https://[2001:0:4136:e378::1]/", "reserved_address"),
            ("https://[2001:db8::1]/", "reserved_address"),
            ("https://[3fff::1]/", "reserved_address"),
            ("https://[fc00::1]/", "private_address"),
            ("https://[fd12:3456::1]/", "private_address"),
            ("https://[fe80::1]/", "link_local_address"),
            ("https://[fec0::1]/", "reserved_address"),
            ("https://[ff02::1]/", "reserved_address"),
            ("https://[100::1]/", "reserved_address"),
        ] {
            assert_eq!(refused(url), rule, "{url}");
        }
    }

    #[test]
    fn scheme_credentials_and_names_of_this_network_are_refused() {
        assert_eq!(refused("http://hooks.example.com/x"), "https_required");
        assert_eq!(refused("ftp://hooks.example.com/x"), "https_required");
        assert_eq!(refused("file:///etc/passwd"), "https_required");
        assert_eq!(refused("https://user:pw@hooks.example.com/"), "credentials_in_url");
        assert_eq!(refused("https://user@hooks.example.com/"), "credentials_in_url");
        for url in [
            "https://localhost/",
            "https://LOCALHOST:8443/",
            "https://api.localhost/",
            "https://localhost./",
            "https://intranet/",
        ] {
            assert_eq!(refused(url), "internal_name", "{url}");
        }
        assert_eq!(refused("https://"), "malformed_url");
        assert_eq!(refused("not a url"), "malformed_url");
    }

    #[test]
    fn public_destinations_pass() {
        assert_eq!(
            OutboundPolicy::STRICT.url("https://Hooks.Example.com/jobin?x=1"),
            Ok(Destination::Name("hooks.example.com".into()))
        );
        for ip in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "2a00:1450::1"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(OutboundPolicy::STRICT.address(ip), Ok(()), "{ip}");
        }
    }

    #[test]
    fn the_development_opt_in_allows_loopback_and_private_only() {
        let dev = OutboundPolicy { allow_private: true };
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://localhost/x",
            "https://10.1.2.3/",
            "http://[::1]/",
            "https://[fd00::1]/",
            "http://intranet/",
        ] {
            assert!(dev.url(url).is_ok(), "{url}");
        }
        for url in [
            "http://169.254.169.254/",
            "http://[fe80::1]/",
            "http://0.0.0.0/",
            "http://[::ffff:127.0.0.1]/",
            "http://224.0.0.1/",
        ] {
            assert!(dev.url(url).is_err(), "{url}");
        }
        // Public receivers still get https.
        assert_eq!(dev.url("http://hooks.example.com/x").unwrap_err(), Refusal::HttpsRequired);
        assert_eq!(dev.url("http://8.8.8.8/x").unwrap_err(), Refusal::HttpsRequired);
        assert!(dev.url("https://hooks.example.com/x").is_ok());
        assert_eq!(dev.url("http://u:p@127.0.0.1/").unwrap_err(), Refusal::Credentials);
    }
}
