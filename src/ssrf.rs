//! SSRF classification: which addresses a webhook may be sent to. Pure, so endpoint
//! validation and the delivery engine apply the same rules; the engine's resolver
//! (`delivery::ssrf`) applies them to the addresses a connection really uses.
//!
//! IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that
//! IPv4 address.

use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Why an address is not public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpClass {
    /// 0.0.0.0, ::
    Unspecified,
    /// 0.0.0.0/8 ("this network")
    ThisNetwork,
    /// 127.0.0.0/8, ::1
    Loopback,
    /// 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16
    Private,
    /// 169.254.0.0/16, fe80::/10
    LinkLocal,
    /// 100.64.0.0/10 (carrier-grade NAT)
    Shared,
    /// 192.0.0.0/24, 2001::/23 (protocol assignments, Teredo, ORCHID…)
    IetfProtocol,
    /// 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32, 3fff::/20
    Documentation,
    /// 198.18.0.0/15, 2001:2::/48
    Benchmarking,
    /// 224.0.0.0/4, ff00::/8
    Multicast,
    /// 255.255.255.255
    Broadcast,
    /// 240.0.0.0/4, and IPv6 outside global unicast 2000::/3 not listed above
    Reserved,
    /// fc00::/7 (ULA)
    UniqueLocal,
    /// fec0::/10 (deprecated site-local)
    SiteLocal,
}

impl fmt::Display for IpClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IpClass::Unspecified => "an unspecified address",
            IpClass::ThisNetwork => "a \"this network\" address",
            IpClass::Loopback => "a loopback address",
            IpClass::Private => "a private address",
            IpClass::LinkLocal => "a link-local address",
            IpClass::Shared => "a shared (CGNAT) address",
            IpClass::IetfProtocol => "an IETF protocol assignment",
            IpClass::Documentation => "a documentation address",
            IpClass::Benchmarking => "a benchmarking address",
            IpClass::Multicast => "a multicast address",
            IpClass::Broadcast => "a broadcast address",
            IpClass::Reserved => "a reserved address",
            IpClass::UniqueLocal => "a unique local (ULA) address",
            IpClass::SiteLocal => "a site-local address",
        })
    }
}

/// `true` when a webhook may be sent to `ip` under the default policy.
pub fn is_public(ip: IpAddr) -> bool {
    classify(ip).is_none()
}

/// The reason `ip` is not public, or `None` if it is.
pub fn classify(ip: IpAddr) -> Option<IpClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<IpClass> {
    let [a, b, c, _] = ip.octets();
    let class = if ip.is_unspecified() {
        IpClass::Unspecified
    } else if a == 0 {
        IpClass::ThisNetwork
    } else if ip.is_loopback() {
        IpClass::Loopback
    } else if ip.is_private() {
        IpClass::Private
    } else if ip.is_link_local() {
        IpClass::LinkLocal
    } else if a == 100 && (64..128).contains(&b) {
        IpClass::Shared
    } else if a == 192 && b == 0 && c == 0 {
        IpClass::IetfProtocol
    } else if ip.is_documentation() {
        IpClass::Documentation
    } else if a == 198 && (b == 18 || b == 19) {
        IpClass::Benchmarking
    } else if ip.is_multicast() {
        IpClass::Multicast
    } else if ip.is_broadcast() {
        IpClass::Broadcast
    } else if a >= 240 {
        IpClass::Reserved
    } else {
        return None;
    };
    Some(class)
}

fn classify_v6(ip: Ipv6Addr) -> Option<IpClass> {
    if ip.is_unspecified() {
        return Some(IpClass::Unspecified);
    }
    if ip.is_loopback() {
        return Some(IpClass::Loopback);
    }
    if let Some(v4) = embedded_ipv4(ip) {
        return classify_v4(v4);
    }
    let s = ip.segments();
    let class = if ip.is_multicast() {
        IpClass::Multicast
    } else if ip.is_unique_local() {
        IpClass::UniqueLocal
    } else if ip.is_unicast_link_local() {
        IpClass::LinkLocal
    } else if s[0] & 0xffc0 == 0xfec0 {
        IpClass::SiteLocal
    } else if s[0] & 0xe000 != 0x2000 {
        // Outside global unicast 2000::/3: discard-only 100::/64, NAT64 local-use
        // 64:ff9b:1::/48, SRv6 5f00::/16, unassigned space.
        IpClass::Reserved
    } else if (s[0] == 0x2001 && s[1] == 0x0db8) || (s[0] == 0x3fff && s[1] < 0x1000) {
        IpClass::Documentation
    } else if s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0 {
        IpClass::Benchmarking
    } else if s[0] == 0x2001 && s[1] < 0x0200 {
        IpClass::IetfProtocol
    } else {
        return None;
    };
    Some(class)
}

/// The IPv4 address a connection to `ip` would really reach: IPv4-mapped `::ffff:a.b.c.d`,
/// IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:aabb:ccdd::/48`.
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = || Ipv4Addr::from_bits(ip.to_bits() as u32);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(low()),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low()),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::from_bits(u32::from(hi) << 16 | u32::from(lo))),
        _ => None,
    }
}

/// Which targets are allowed (`allow_private_targets` in the config).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// Allow every address, public or not (for local development and tests).
    pub allow_private: bool,
}

impl Policy {
    /// `Ok` when `ip` is public or private targets are allowed.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Blocked> {
        match classify(ip) {
            Some(class) if !self.allow_private => Err(Blocked {
                ip,
                class,
                host: None,
            }),
            _ => Ok(()),
        }
    }

    /// Checks a URL whose host is an IP literal (reqwest does not call the resolver for those).
    /// Domain names pass here; the resolver checks them.
    pub fn check_url_host(&self, url: &Url) -> Result<(), Blocked> {
        match url.host() {
            Some(Host::Ipv4(ip)) => self.check_ip(ip.into()),
            Some(Host::Ipv6(ip)) => self.check_ip(ip.into()),
            Some(Host::Domain(_)) | None => Ok(()),
        }
    }
}

/// A target refused by the SSRF policy. Its `Display` is what an attempt records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    /// The refused address (the first one, when a name resolved to several).
    pub ip: IpAddr,
    pub class: IpClass,
    /// The name that resolved to `ip`, if the target was not an IP literal.
    pub host: Option<String>,
}

impl Blocked {
    /// Why an endpoint URL is refused, naming the setting that allows it (as the http refusal
    /// names `allow_http_targets`).
    pub fn refusal(&self) -> String {
        format!(
            "Refused: {self} (private targets are turned off; the allow_private_targets setting allows them)."
        )
    }
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Blocked { ip, class, host } = self;
        match host {
            None => write!(f, "blocked by SSRF policy: {ip} is {class}"),
            Some(host) => write!(
                f,
                "blocked by SSRF policy: {host} resolves to {ip}, {class}"
            ),
        }
    }
}

impl StdError for Blocked {}

#[cfg(test)]
mod tests {
    use super::*;
    use IpClass::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv4_addresses_are_classified_at_every_range_edge() {
        let table: &[(&str, Option<IpClass>)] = &[
            ("0.0.0.0", Some(Unspecified)),
            ("0.0.0.1", Some(ThisNetwork)),
            ("0.255.255.255", Some(ThisNetwork)),
            ("1.0.0.0", None),
            ("1.1.1.1", None),
            ("8.8.8.8", None),
            ("9.255.255.255", None),
            ("10.0.0.0", Some(Private)),
            ("10.255.255.255", Some(Private)),
            ("11.0.0.0", None),
            ("100.63.255.255", None),
            ("100.64.0.0", Some(Shared)),
            ("100.127.255.255", Some(Shared)),
            ("100.128.0.0", None),
            ("126.255.255.255", None),
            ("127.0.0.0", Some(Loopback)),
            ("127.0.0.1", Some(Loopback)),
            ("127.255.255.255", Some(Loopback)),
            ("128.0.0.0", None),
            ("169.253.255.255", None),
            ("169.254.0.0", Some(LinkLocal)),
            ("169.254.169.254", Some(LinkLocal)),
            ("169.254.255.255", Some(LinkLocal)),
            ("169.255.0.0", None),
            ("172.15.255.255", None),
            ("172.16.0.0", Some(Private)),
            ("172.31.255.255", Some(Private)),
            ("172.32.0.0", None),
            ("191.255.255.255", None),
            ("192.0.0.0", Some(IetfProtocol)),
            ("192.0.0.9", Some(IetfProtocol)),
            ("192.0.0.255", Some(IetfProtocol)),
            ("192.0.1.0", None),
            ("192.0.2.0", Some(Documentation)),
            ("192.0.2.255", Some(Documentation)),
            ("192.0.3.0", None),
            ("192.167.255.255", None),
            ("192.168.0.0", Some(Private)),
            ("192.168.255.255", Some(Private)),
            ("192.169.0.0", None),
            ("198.17.255.255", None),
            ("198.18.0.0", Some(Benchmarking)),
            ("198.19.255.255", Some(Benchmarking)),
            ("198.20.0.0", None),
            ("198.51.100.0", Some(Documentation)),
            ("198.51.100.255", Some(Documentation)),
            ("198.51.101.0", None),
            ("203.0.112.255", None),
            ("203.0.113.0", Some(Documentation)),
            ("203.0.113.255", Some(Documentation)),
            ("203.0.114.0", None),
            ("223.255.255.255", None),
            ("224.0.0.0", Some(Multicast)),
            ("239.255.255.255", Some(Multicast)),
            ("240.0.0.0", Some(Reserved)),
            ("255.255.255.254", Some(Reserved)),
            ("255.255.255.255", Some(Broadcast)),
        ];
        for &(addr, want) in table {
            assert_eq!(classify(ip(addr)), want, "{addr}");
            assert_eq!(is_public(ip(addr)), want.is_none(), "{addr}");
        }
    }

    #[test]
    fn ipv6_addresses_are_classified_at_every_range_edge() {
        let table: &[(&str, Option<IpClass>)] = &[
            ("::", Some(Unspecified)),
            ("::1", Some(Loopback)),
            // Global unicast.
            ("2000::", None),
            ("2606:4700:4700::1111", None),
            ("2001:4860:4860::8888", None),
            ("2001:200::", None),
            ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("2001:db9::", None),
            ("2003::", None),
            ("3ffe:ffff::", None),
            ("3fef:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
            // Documentation.
            ("2001:db8::", Some(Documentation)),
            (
                "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(Documentation),
            ),
            ("3fff::", Some(Documentation)),
            (
                "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(Documentation),
            ),
            ("3fff:1000::", None),
            // IETF protocol assignments 2001::/23, Teredo 2001::/32, benchmarking 2001:2::/48.
            ("2001::", Some(IetfProtocol)),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", Some(IetfProtocol)),
            ("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", Some(IetfProtocol)),
            ("2001:2::", Some(Benchmarking)),
            ("2001:2:0:ffff:ffff:ffff:ffff:ffff", Some(Benchmarking)),
            ("2001:2:1::", Some(IetfProtocol)),
            // Unique local, link-local, site-local, multicast.
            ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("fc00::", Some(UniqueLocal)),
            ("fd12:3456:789a::1", Some(UniqueLocal)),
            ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(UniqueLocal)),
            ("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("fe80::", Some(LinkLocal)),
            ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(LinkLocal)),
            ("fec0::", Some(SiteLocal)),
            ("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(SiteLocal)),
            ("ff00::", Some(Multicast)),
            ("ff02::1", Some(Multicast)),
            ("ff0e::1", Some(Multicast)),
            // Outside 2000::/3.
            ("100::", Some(Reserved)),
            ("64:ff9b:1::a00:1", Some(Reserved)),
            ("5f00::1", Some(Reserved)),
            ("4000::", Some(Reserved)),
            ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("::2:0:0:1", Some(Reserved)),
            // IPv4-mapped: judged by the IPv4 address.
            ("::ffff:127.0.0.1", Some(Loopback)),
            ("::ffff:10.1.2.3", Some(Private)),
            ("::ffff:169.254.169.254", Some(LinkLocal)),
            ("::ffff:100.64.0.1", Some(Shared)),
            ("::ffff:0.0.0.0", Some(Unspecified)),
            ("::ffff:255.255.255.255", Some(Broadcast)),
            ("::ffff:8.8.8.8", None),
            // IPv4-compatible (deprecated).
            ("::127.0.0.1", Some(Loopback)),
            ("::192.168.1.1", Some(Private)),
            ("::0.0.0.2", Some(ThisNetwork)),
            ("::8.8.8.8", None),
            // NAT64.
            ("64:ff9b::127.0.0.1", Some(Loopback)),
            ("64:ff9b::a9fe:a9fe", Some(LinkLocal)),
            ("64:ff9b::8.8.8.8", None),
            // 6to4: bits 16..48 are the IPv4 address.
            ("2002:7f00:1::", Some(Loopback)),
            ("2002:c0a8:101::1", Some(Private)),
            ("2002:a9fe:a9fe::", Some(LinkLocal)),
            ("2002:808:808::1", None),
        ];
        for &(addr, want) in table {
            assert_eq!(classify(ip(addr)), want, "{addr}");
            assert_eq!(is_public(ip(addr)), want.is_none(), "{addr}");
        }
    }

    #[test]
    fn the_default_policy_blocks_and_names_the_class() {
        let policy = Policy::default();
        let table = [
            (
                "127.0.0.1",
                "blocked by SSRF policy: 127.0.0.1 is a loopback address",
            ),
            (
                "10.0.0.5",
                "blocked by SSRF policy: 10.0.0.5 is a private address",
            ),
            (
                "169.254.169.254",
                "blocked by SSRF policy: 169.254.169.254 is a link-local address",
            ),
            (
                "100.64.0.1",
                "blocked by SSRF policy: 100.64.0.1 is a shared (CGNAT) address",
            ),
            ("::", "blocked by SSRF policy: :: is an unspecified address"),
            (
                "fd00::1",
                "blocked by SSRF policy: fd00::1 is a unique local (ULA) address",
            ),
            (
                "::ffff:127.0.0.1",
                "blocked by SSRF policy: ::ffff:127.0.0.1 is a loopback address",
            ),
        ];
        for (addr, want) in table {
            assert_eq!(policy.check_ip(ip(addr)).unwrap_err().to_string(), want);
        }
        assert_eq!(policy.check_ip(ip("93.184.215.14")), Ok(()));
    }

    #[test]
    fn allow_private_allows_everything() {
        let policy = Policy {
            allow_private: true,
        };
        for addr in ["127.0.0.1", "10.0.0.1", "::1", "fe80::1", "8.8.8.8"] {
            assert_eq!(policy.check_ip(ip(addr)), Ok(()), "{addr}");
        }
    }

    #[test]
    fn ip_literal_urls_are_checked_including_normalised_forms() {
        let policy = Policy::default();
        let blocked = [
            "http://127.0.0.1/",
            "https://127.0.0.1:8443/hook",
            "http://[::1]:8080/",
            "http://[::ffff:7f00:1]/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://10.1/",
            "http://0/",
        ];
        for url in blocked {
            let url = Url::parse(url).unwrap();
            assert!(policy.check_url_host(&url).is_err(), "{url}");
        }
        for url in [
            "https://example.com/",
            "https://localhost/",
            "http://8.8.8.8/",
        ] {
            // Names are left to the resolver.
            assert_eq!(policy.check_url_host(&Url::parse(url).unwrap()), Ok(()));
        }
    }
}
