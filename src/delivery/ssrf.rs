//! The engine's DNS resolver, which applies the SSRF policy (`crate::ssrf`) to the addresses a
//! connection actually uses (DESIGN.md): reqwest gets an [`SsrfResolver`] that drops refused
//! answers, so a name cannot resolve to a public address when checked and a private one when
//! connected (no DNS-rebinding window). reqwest skips the resolver for IP-literal hosts
//! (including `http://2130706433/`, which `url` normalises to 127.0.0.1), so call
//! [`Policy::check_url_host`] before each send as well.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use anyhow::Context;
use hickory_resolver::TokioResolver;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::ssrf::{Blocked, Policy};

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
    use crate::ssrf::IpClass::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
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
