//! One HTTP attempt: the signed request, sent without redirects through the SSRF-checking
//! resolver, with the response read up to 64 KiB and kept up to 8 KiB.

use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::signature;
use super::ssrf::{self, SsrfResolver};
use crate::crypto::Secret;
use crate::deliveries::NewAttempt;
use crate::ssrf::Policy;
use crate::timestamp::Timestamp;
use crate::wire::WireFormat;

/// Read at most this much of a response body…
pub const RESPONSE_READ_LIMIT: usize = 64 * 1024;
/// …and keep this much of it.
pub const RESPONSE_STORE_LIMIT: usize = 8 * 1024;

/// The two outbound clients: certificate checks on, and off for `tls_verify = false`.
#[derive(Clone)]
pub struct Clients {
    verified: reqwest::Client,
    unverified: reqwest::Client,
    policy: Policy,
}

impl Clients {
    pub fn new(
        resolver: SsrfResolver,
        policy: Policy,
        user_agent: &str,
    ) -> anyhow::Result<Clients> {
        let build = |verify: bool| {
            reqwest::Client::builder()
                .user_agent(user_agent)
                .redirect(reqwest::redirect::Policy::none())
                // An environment proxy would connect on our behalf, bypassing the address check.
                .no_proxy()
                .dns_resolver(resolver.clone())
                .pool_max_idle_per_host(64)
                .tcp_nodelay(true)
                .tls_danger_accept_invalid_certs(!verify)
                .build()
        };
        Ok(Clients {
            verified: build(true)?,
            unverified: build(false)?,
            policy,
        })
    }
}

/// What to send.
pub struct Request<'a> {
    pub url: &'a str,
    pub msg_id: &'a str,
    pub event_type: &'a str,
    pub body: String,
    pub secrets: &'a [Secret],
    pub custom_headers: &'a BTreeMap<String, String>,
    pub timeout: Duration,
    pub tls_verify: bool,
    /// Header names and User-Agent (the body is already rendered).
    pub wire: &'a WireFormat,
}

/// The attempt's record, plus `Retry-After` when the receiver asked for a pause.
pub struct Sent {
    pub attempt: NewAttempt,
    pub retry_after: Option<Duration>,
}

/// Sends one signed attempt. Never fails: every problem becomes the attempt's error.
pub async fn send(clients: &Clients, req: Request<'_>) -> Sent {
    let started_at = Timestamp::now();
    let clock = Instant::now();
    let (headers, shown) = headers(&req, started_at.unix_seconds());
    let fail = |shown: BTreeMap<String, String>, kind: &'static str, error: String, ms: i64| Sent {
        attempt: NewAttempt {
            started_at,
            duration_ms: ms,
            url: req.url.to_owned(),
            request_headers: shown,
            response_status: None,
            response_headers: None,
            response_body: None,
            error: Some(error),
            error_kind: Some(kind),
            succeeded: false,
        },
        retry_after: None,
    };
    let url = match url::Url::parse(req.url) {
        Ok(u) => u,
        Err(e) => return fail(shown, "url", format!("invalid URL: {e}"), 0),
    };
    // reqwest skips the resolver for IP literals, so they are judged here.
    if let Err(blocked) = clients.policy.check_url_host(&url) {
        return fail(shown, "ssrf", blocked.to_string(), 0);
    }
    let client = if req.tls_verify {
        &clients.verified
    } else {
        &clients.unverified
    };
    let result = client
        .post(url)
        .headers(headers)
        .body(req.body)
        .timeout(req.timeout)
        .send()
        .await;
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => {
            let (kind, text) = classify(&e);
            return fail(shown, kind, text, elapsed_ms(clock));
        }
    };
    let status = resp.status();
    let response_headers: BTreeMap<String, String> = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let retry_after = if status.as_u16() == 429 || status.as_u16() == 503 {
        resp.headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| crate::retry_schedule::retry_after(v, std::time::SystemTime::now()))
    } else {
        None
    };
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    let mut body_error = None;
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() >= RESPONSE_READ_LIMIT {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                body_error = Some(classify(&e));
                break;
            }
        }
    }
    body.truncate(RESPONSE_STORE_LIMIT);
    let duration_ms = elapsed_ms(clock);
    let succeeded = status.is_success() && body_error.is_none();
    let (error_kind, error) = if succeeded {
        (None, None)
    } else if let Some((kind, text)) = body_error.filter(|_| status.is_success()) {
        (
            Some(kind),
            Some(format!("reading the response failed: {text}")),
        )
    } else if status.is_redirection() {
        let to = location.map(|l| format!(" to {l}")).unwrap_or_default();
        (
            Some("redirect"),
            Some(format!("HTTP {status}: redirect{to} not followed")),
        )
    } else {
        (Some("status"), Some(format!("HTTP {status}")))
    };
    Sent {
        attempt: NewAttempt {
            started_at,
            duration_ms,
            url: req.url.to_owned(),
            request_headers: shown,
            response_status: Some(status.as_u16()),
            response_headers: Some(response_headers),
            response_body: Some(String::from_utf8_lossy(&body).into_owned()),
            error,
            error_kind,
            succeeded,
        },
        retry_after,
    }
}

fn elapsed_ms(clock: Instant) -> i64 {
    clock.elapsed().as_millis().min(i64::MAX as u128) as i64
}

/// The headers to send, and the same headers as recorded (signatures and likely credentials
/// masked).
fn headers(req: &Request<'_>, timestamp: i64) -> (HeaderMap, BTreeMap<String, String>) {
    let wire = req.wire;
    let lower = |name: &str| name.to_ascii_lowercase();
    let mut list: Vec<(String, String, bool)> = vec![
        ("content-type".into(), "application/json".into(), false),
        ("user-agent".into(), wire.user_agent.clone(), false),
        (lower(&wire.event_header), req.event_type.into(), false),
        (lower(&wire.id_header), req.msg_id.into(), false),
    ];
    if wire.standard_webhooks {
        list.push(("webhook-id".into(), req.msg_id.into(), false));
        list.push(("webhook-timestamp".into(), timestamp.to_string(), false));
    }
    if let Some(first) = req.secrets.first() {
        list.push((
            lower(&wire.signature_header),
            format!(
                "{}{}",
                wire.signature_prefix,
                signature::hex_signature(first, req.body.as_bytes())
            ),
            true,
        ));
        if wire.standard_webhooks {
            let secret_refs: Vec<&Secret> = req.secrets.iter().collect();
            list.push((
                "webhook-signature".into(),
                signature::standard_signature(
                    &secret_refs,
                    req.msg_id,
                    timestamp,
                    req.body.as_bytes(),
                ),
                true,
            ));
        }
    }
    // Custom headers never replace hookd's own (the wire names are settings, so endpoint
    // validation cannot know them all).
    let own = wire.own_headers();
    for (name, value) in req.custom_headers {
        let lower = lower(name);
        if own.contains(&lower) {
            continue;
        }
        let sensitive = [
            "auth",
            "token",
            "key",
            "secret",
            "cookie",
            "password",
            "signature",
        ]
        .iter()
        .any(|w| lower.contains(w));
        list.push((lower, value.clone(), sensitive));
    }
    let mut map = HeaderMap::new();
    let mut shown = BTreeMap::new();
    for (name, value, sensitive) in list {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            map.insert(n, v);
        }
        shown.insert(name, if sensitive { mask(&value) } else { value });
    }
    (map, shown)
}

fn mask(value: &str) -> String {
    if value.starts_with("v1,") {
        "v1,••••".to_owned()
    } else {
        "••••".to_owned()
    }
}

/// An error kind and a message that says what went wrong, for the attempt record.
fn classify(e: &reqwest::Error) -> (&'static str, String) {
    if let Some(blocked) = ssrf::find_blocked(e) {
        return ("ssrf", blocked.to_string());
    }
    let chain = chain_text(e);
    if e.is_timeout() {
        return ("timeout", "timed out waiting for the receiver".to_owned());
    }
    let lower = chain.to_lowercase();
    if lower.contains("dns error") || lower.contains("resolve") {
        ("dns", format!("DNS lookup failed: {chain}"))
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        ("tls", format!("TLS error: {chain}"))
    } else if lower.contains("connection refused") {
        ("connect", "connection refused".to_owned())
    } else if e.is_connect() {
        ("connect", format!("connection failed: {chain}"))
    } else {
        ("network", chain)
    }
}

/// The innermost messages of an error chain, which say more than reqwest's outer one.
fn chain_text(e: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![];
    let mut next = e.source();
    while let Some(err) = next {
        parts.push(err.to_string());
        next = err.source();
    }
    parts.last().cloned().unwrap_or_else(|| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn request<'a>(
        wire: &'a WireFormat,
        secrets: &'a [Secret],
        custom: &'a BTreeMap<String, String>,
    ) -> Request<'a> {
        Request {
            url: "https://example.com/hook",
            msg_id: "evt_1",
            event_type: "invoice.paid",
            body: events::body(
                &wire.body,
                "evt_1",
                "invoice.paid",
                Timestamp::from_millis(1_768_480_200_000),
                r#"{"n": 1}"#,
            ),
            secrets,
            custom_headers: custom,
            timeout: Duration::from_secs(1),
            tls_verify: true,
            wire,
        }
    }

    #[test]
    fn the_default_wire_is_the_body_and_header_set_hookd_always_sent() {
        let wire = WireFormat::default();
        let secrets = [Secret::parse(SECRET).unwrap()];
        let custom = BTreeMap::from([("X-Tenant".to_owned(), "acme".to_owned())]);
        let req = request(&wire, &secrets, &custom);
        assert_eq!(
            req.body,
            r#"{"id":"evt_1","timestamp":"2026-01-15T12:30:00Z","type":"invoice.paid","data":{"n": 1}}"#
        );
        let (sent, shown) = headers(&req, 1_768_480_201);
        let names: Vec<&str> = sent.keys().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "content-type",
                "user-agent",
                "x-webhook-event",
                "x-webhook-id",
                "webhook-id",
                "webhook-timestamp",
                "x-webhook-signature",
                "webhook-signature",
                "x-tenant",
            ]
        );
        let value = |name: &str| sent[name].to_str().unwrap();
        assert_eq!(
            value("user-agent"),
            concat!("hookd/", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(value("x-webhook-event"), "invoice.paid");
        assert_eq!(value("x-webhook-id"), "evt_1");
        assert_eq!(value("webhook-timestamp"), "1768480201");
        assert_eq!(
            value("x-webhook-signature"),
            signature::hex_signature(&secrets[0], req.body.as_bytes())
        );
        assert!(value("webhook-signature").starts_with("v1,"));
        assert_eq!(shown["x-webhook-signature"], "••••");
        assert_eq!(shown["webhook-signature"], "v1,••••");
        assert_eq!(shown.len(), names.len());
    }

    #[test]
    fn a_renamed_wire_uses_its_names_and_prefix_and_can_drop_standard_webhooks() {
        let wire = WireFormat {
            signature_header: "X-VPN-Signature".into(),
            signature_prefix: "sha256=".into(),
            standard_webhooks: false,
            user_agent: "Vpn/2".into(),
            ..WireFormat::default()
        };
        let secrets = [Secret::parse(SECRET).unwrap()];
        // A custom header with hookd's own name never replaces it.
        let custom = BTreeMap::from([("X-VPN-Signature".to_owned(), "forged".to_owned())]);
        let req = request(&wire, &secrets, &custom);
        let (sent, shown) = headers(&req, 1);
        assert!(sent.get("webhook-signature").is_none());
        assert!(sent.get("webhook-id").is_none());
        assert!(sent.get("x-webhook-signature").is_none());
        assert_eq!(
            sent["x-vpn-signature"].to_str().unwrap(),
            format!(
                "sha256={}",
                signature::hex_signature(&secrets[0], req.body.as_bytes())
            )
        );
        assert_eq!(sent["user-agent"], "Vpn/2");
        assert_eq!(shown["x-vpn-signature"], "••••");
    }
}
