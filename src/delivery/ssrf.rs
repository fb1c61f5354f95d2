//! SSRF policy: which addresses a webhook may be sent to.
//!
//! The check runs on the address actually used for the connection (DESIGN.md): reqwest gets an
//! [`SsrfResolver`] that drops non-public answers, so a name cannot resolve to a public address
//! when checked and a private one when connected (no DNS-rebinding window). reqwest skips the
//! resolver for IP-literal hosts (including `http://2130706433/`, which `url` normalises to
//! 127.0.0.1), so call [`Policy::check_url_host`] before each send as well.
//!
//! The classification ([`classify`], [`is_public`]) is pure. IPv6 forms that carry an IPv4
//! address (mapped, compatible, NAT64, 6to4) are judged by that IPv4 address.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use anyhow::Context;
use hickory_resolver::TokioResolver;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
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

/// Why [`SsrfResolver::resolve_and_check`] returned no address.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Blocked(#[from] Blocked),
    #[error("cannot resolve {host}: {source}")]
    Lookup {
        host: String,
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    #[error("cannot resolve {host}: no addresses found")]
    NoAddresses { host: String },
}

/// Finds a [`Blocked`] anywhere in an error's source chain, e.g. inside the `reqwest::Error`
/// of a send whose target the resolver refused.
pub fn find_blocked<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a Blocked> {
    let mut next = Some(err);
    while let Some(err) = next {
        if let Some(blocked) = err.downcast_ref::<Blocked>() {
            return Some(blocked);
        }
        if let Some(ResolveError::Blocked(blocked)) = err.downcast_ref::<ResolveError>() {
            return Some(blocked);
        }
        next = err.source();
    }
    None
}

/// DNS for outbound webhooks: resolves, then keeps only the addresses the policy allows.
/// Give it to reqwest with `ClientBuilder::dns_resolver`, together with `.no_proxy()` (a proxy
/// would connect on our behalf, unchecked).
#[derive(Clone)]
pub struct SsrfResolver {
    policy: Policy,
    lookup: Arc<Lookup>,
}

enum Lookup {
    System(Box<TokioResolver>),
    Fixed(HashMap<String, Vec<IpAddr>>),
}

impl fmt::Debug for SsrfResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lookup = match *self.lookup {
            Lookup::System(_) => "system",
            Lookup::Fixed(_) => "fixed",
        };
        f.debug_struct("SsrfResolver")
            .field("policy", &self.policy)
            .field("lookup", &lookup)
            .finish()
    }
}

impl SsrfResolver {
    /// Resolves with hickory using the system configuration (`/etc/resolv.conf`). The hosts
    /// file is honoured, and `localhost` / `*.localhost` resolve to loopback without a query
    /// (RFC 6761).
    pub fn system(policy: Policy) -> anyhow::Result<SsrfResolver> {
        let resolver = TokioResolver::builder_tokio()
            .and_then(|builder| builder.build())
            .context("cannot set up DNS resolution from the system configuration")?;
        Ok(SsrfResolver {
            policy,
            lookup: Arc::new(Lookup::System(Box::new(resolver))),
        })
    }

    /// Resolves only the names in `hosts` (case-insensitive, trailing dot ignored), without
    /// DNS. For tests.
    pub fn fixed(policy: Policy, hosts: HashMap<String, Vec<IpAddr>>) -> SsrfResolver {
        let hosts = hosts
            .into_iter()
            .map(|(name, ips)| (normalize(&name), ips))
            .collect();
        SsrfResolver {
            policy,
            lookup: Arc::new(Lookup::Fixed(hosts)),
        }
    }

    /// The addresses a connection to `host:port` may use, for validating a target before it
    /// is saved. `host` may be a name or an IP literal (`[::1]` brackets allowed, as in
    /// `Url::host_str`). Errors with [`ResolveError::Blocked`] when every address is refused.
    pub async fn resolve_and_check(
        &self,
        host: &str,
        port: u16,
    ) -> Result<Vec<SocketAddr>, ResolveError> {
        let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
        if let Ok(ip) = literal.unwrap_or(host).parse::<IpAddr>() {
            self.policy.check_ip(ip)?;
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let ips = self.lookup(host).await?;
        let mut first_blocked = None;
        let allowed: Vec<SocketAddr> = ips
            .into_iter()
            .filter(|&ip| match self.policy.check_ip(ip) {
                Ok(()) => true,
                Err(blocked) => {
                    first_blocked.get_or_insert(blocked);
                    false
                }
            })
            .map(|ip| SocketAddr::new(ip, port))
            .collect();
        match first_blocked {
            Some(blocked) if allowed.is_empty() => Err(ResolveError::Blocked(Blocked {
                host: Some(host.to_owned()),
                ..blocked
            })),
            _ => Ok(allowed),
        }
    }

    async fn lookup(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        let ips: Vec<IpAddr> = match &*self.lookup {
            Lookup::System(resolver) => resolver
                .lookup_ip(host)
                .await
                .map_err(|e| ResolveError::Lookup {
                    host: host.to_owned(),
                    source: Box::new(e),
                })?
                .iter()
                .collect(),
            Lookup::Fixed(hosts) => hosts.get(&normalize(host)).cloned().unwrap_or_default(),
        };
        if ips.is_empty() {
            return Err(ResolveError::NoAddresses {
                host: host.to_owned(),
            });
        }
        Ok(ips)
    }
}

impl Resolve for SsrfResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        Box::pin(async move {
            // Port 0: reqwest fills in the URL's port.
            let addrs = this.resolve_and_check(name.as_str(), 0).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

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

    fn resolver(policy: Policy) -> SsrfResolver {
        let hosts = [
            ("public.test", vec!["93.184.215.14"]),
            ("internal.test", vec!["127.0.0.1"]),
            ("mixed.test", vec!["10.0.0.1", "93.184.215.14", "::1"]),
            ("private.test", vec!["192.168.1.10", "fd00::10"]),
        ];
        let hosts = hosts
            .into_iter()
            .map(|(name, ips)| (name.to_owned(), ips.into_iter().map(ip).collect()))
            .collect();
        SsrfResolver::fixed(policy, hosts)
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[tokio::test]
    async fn resolver_keeps_only_allowed_addresses() {
        let r = resolver(Policy::default());
        let got = r.resolve_and_check("mixed.test", 443).await.unwrap();
        assert_eq!(got, vec![addr("93.184.215.14:443")]);
        let got = r.resolve_and_check("PUBLIC.test.", 80).await.unwrap();
        assert_eq!(got, vec![addr("93.184.215.14:80")]);
    }

    #[tokio::test]
    async fn resolver_refuses_a_name_with_only_blocked_addresses() {
        let r = resolver(Policy::default());
        let err = r.resolve_and_check("private.test", 443).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "blocked by SSRF policy: private.test resolves to 192.168.1.10, a private address"
        );
        assert_eq!(find_blocked(&err).unwrap().class, Private);
    }

    #[tokio::test]
    async fn resolver_checks_ip_literals_without_a_lookup() {
        let r = resolver(Policy::default());
        assert_eq!(
            r.resolve_and_check("8.8.8.8", 443).await.unwrap(),
            vec![addr("8.8.8.8:443")]
        );
        let err = r.resolve_and_check("[::1]", 443).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "blocked by SSRF policy: ::1 is a loopback address"
        );
    }

    #[tokio::test]
    async fn resolver_with_allow_private_returns_everything() {
        let r = resolver(Policy {
            allow_private: true,
        });
        let got = r.resolve_and_check("mixed.test", 8080).await.unwrap();
        assert_eq!(
            got,
            vec![
                addr("10.0.0.1:8080"),
                addr("93.184.215.14:8080"),
                addr("[::1]:8080")
            ]
        );
    }

    #[tokio::test]
    async fn resolver_reports_unknown_names() {
        let err = resolver(Policy::default())
            .resolve_and_check("nowhere.test", 443)
            .await
            .unwrap_err();
        assert!(matches!(err, ResolveError::NoAddresses { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "cannot resolve nowhere.test: no addresses found"
        );
        assert!(find_blocked(&err).is_none());
    }

    fn client(resolver: SsrfResolver) -> reqwest::Client {
        reqwest::Client::builder()
            .dns_resolver(resolver)
            .no_proxy()
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn reqwest_refuses_a_name_that_resolves_to_loopback() {
        let client = client(resolver(Policy::default()));

        let err = client
            .post("http://internal.test:9/hook")
            .send()
            .await
            .unwrap_err();

        let blocked = find_blocked(&err).expect("the SSRF error is in the source chain");
        assert_eq!(
            blocked.to_string(),
            "blocked by SSRF policy: internal.test resolves to 127.0.0.1, a loopback address"
        );
        assert!(err.is_connect(), "{err:?}");
    }

    #[tokio::test]
    async fn reqwest_connects_through_the_resolver_when_private_targets_are_allowed() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let n = socket.read(&mut buf).await.unwrap();
            socket
                .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        let client = client(resolver(Policy {
            allow_private: true,
        }));

        let response = client
            .get(format!("http://internal.test:{port}/hook"))
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), reqwest::StatusCode::NO_CONTENT);
        let request = server.await.unwrap();
        assert!(request.starts_with("GET /hook HTTP/1.1\r\n"), "{request:?}");
        assert!(
            request
                .to_ascii_lowercase()
                .contains("host: internal.test:")
        );
    }

    #[tokio::test]
    async fn system_resolver_answers_localhost_without_dns_and_blocks_it() {
        // Needs /etc/resolv.conf to exist (hickory reads it) but sends no query: localhost
        // comes from /etc/hosts or RFC 6761 special-casing.
        let r = SsrfResolver::system(Policy::default()).unwrap();
        let lookup = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            r.resolve_and_check("localhost", 80),
        )
        .await
        .expect("localhost must not wait for a DNS server");
        let blocked = find_blocked(&lookup.unwrap_err()).cloned().unwrap();
        assert_eq!(blocked.class, Loopback);

        let allowing = SsrfResolver::system(Policy {
            allow_private: true,
        })
        .unwrap();
        let addrs = allowing.resolve_and_check("localhost", 80).await.unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
