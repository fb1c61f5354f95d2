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

/// Read at most this much of a response body…
pub const RESPONSE_READ_LIMIT: usize = 64 * 1024;
/// …and keep this much of it.
pub const RESPONSE_STORE_LIMIT: usize = 8 * 1024;

pub const USER_AGENT: &str = concat!("hookd/", env!("CARGO_PKG_VERSION"));

/// The two outbound clients: certificate checks on, and off for `tls_verify = false`.
#[derive(Clone)]
pub struct Clients {
    verified: reqwest::Client,
    unverified: reqwest::Client,
    policy: Policy,
}

impl Clients {
    pub fn new(resolver: SsrfResolver, policy: Policy) -> anyhow::Result<Clients> {
        let build = |verify: bool| {
            reqwest::Client::builder()
                .user_agent(USER_AGENT)
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
    let secret_refs: Vec<&Secret> = req.secrets.iter().collect();
    let mut list: Vec<(String, String, bool)> = vec![
        ("content-type".into(), "application/json".into(), false),
        ("user-agent".into(), USER_AGENT.into(), false),
        ("x-webhook-event".into(), req.event_type.into(), false),
        ("x-webhook-id".into(), req.msg_id.into(), false),
        ("webhook-id".into(), req.msg_id.into(), false),
        ("webhook-timestamp".into(), timestamp.to_string(), false),
    ];
    if let Some(first) = req.secrets.first() {
        list.push((
            "x-webhook-signature".into(),
            signature::hex_signature(first, req.body.as_bytes()),
            true,
        ));
        list.push((
            "webhook-signature".into(),
            signature::standard_signature(&secret_refs, req.msg_id, timestamp, req.body.as_bytes()),
            true,
        ));
    }
    for (name, value) in req.custom_headers {
        let lower = name.to_ascii_lowercase();
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
