//! Endpoint validation: one pass over all fields, collecting a precise message per field.

use std::collections::BTreeMap;

use super::{
    DEFAULT_RETRY_COUNT, DEFAULT_TIMEOUT_SECONDS, EndpointInput, EndpointSpec, MAX_RETRY_COUNT,
    MAX_TIMEOUT_SECONDS, pattern_matches,
};
use crate::crypto::Secret;
use crate::error::{FieldErrors, Result};
use crate::event_types;

pub const MAX_URL_LEN: usize = 2048;
pub const MAX_NAME_LEN: usize = 100;
pub const MAX_DESCRIPTION_LEN: usize = 1000;
const MAX_PATTERNS: usize = 100;
const MAX_CHANNELS: usize = 50;
const MAX_CHANNEL_LEN: usize = 128;
const MAX_HEADERS: usize = 20;
const MAX_HEADER_VALUE_LEN: usize = 1024;

/// Custom headers may not use these, nor any `x-webhook-*` or `webhook-*` name.
pub use crate::wire::RESERVED_HEADERS;

/// Which targets the server's configuration allows (`allow_http_targets`, `allow_private_targets`).
#[derive(Debug, Clone, Copy)]
pub struct TargetRules {
    pub allow_http: bool,
    pub allow_private: bool,
}

impl TargetRules {
    /// For a URL that is already stored and not being changed: it is not judged again.
    pub const UNCHANGED: TargetRules = TargetRules {
        allow_http: true,
        allow_private: true,
    };
}

/// Validates `input`; subscriptions are checked against the active event-type `catalog` when one
/// is given. Missing fields get their defaults. Address resolution (SSRF by DNS) is checked by the
/// delivery engine afterwards; literal IP hosts are judged here.
pub fn validate(
    input: EndpointInput,
    catalog: Option<&[String]>,
    rules: TargetRules,
) -> Result<(EndpointSpec, Option<Secret>)> {
    let mut errors = FieldErrors::default();

    let url = match input.url.as_deref().map(str::trim) {
        None | Some("") => {
            errors.add("url", "Enter the URL that should receive webhooks.");
            String::new()
        }
        Some(raw) => match check_url(raw, rules) {
            Ok(u) => u,
            Err(m) => {
                errors.add("url", m);
                raw.to_owned()
            }
        },
    };

    let events = normalise_list(input.events.unwrap_or_default());
    if events.is_empty() {
        errors.add(
            "events",
            "Subscribe to at least one event type, or * for all.",
        );
    } else if events.len() > MAX_PATTERNS {
        errors.add("events", format!("Use at most {MAX_PATTERNS} event types."));
    } else if let Some(m) = events.iter().find_map(|p| check_pattern(p, catalog)) {
        errors.add("events", m);
    }

    let name = input
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| default_name(&url));
    if name.chars().count() > MAX_NAME_LEN {
        errors.add("name", format!("Use at most {MAX_NAME_LEN} characters."));
    }
    let description = input.description.unwrap_or_default().trim().to_owned();
    if description.chars().count() > MAX_DESCRIPTION_LEN {
        errors.add(
            "description",
            format!("Use at most {MAX_DESCRIPTION_LEN} characters."),
        );
    }

    let retry_count = input.retry_count.unwrap_or(DEFAULT_RETRY_COUNT);
    if !(0..=MAX_RETRY_COUNT).contains(&retry_count) {
        errors.add(
            "retry_count",
            format!("Use a number of retries from 0 to {MAX_RETRY_COUNT}."),
        );
    }
    let timeout_seconds = input.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
    if !(1..=MAX_TIMEOUT_SECONDS).contains(&timeout_seconds) {
        errors.add(
            "timeout_seconds",
            format!("Use a timeout from 1 to {MAX_TIMEOUT_SECONDS} seconds."),
        );
    }

    let headers = input.headers.unwrap_or_default();
    if let Some(m) = check_headers(&headers) {
        errors.add("headers", m);
    }

    let channels = input
        .channels
        .flatten()
        .map(normalise_list)
        .filter(|c| !c.is_empty());
    if let Some(cs) = &channels {
        if cs.len() > MAX_CHANNELS {
            errors.add("channels", format!("Use at most {MAX_CHANNELS} channels."));
        } else if let Some(bad) = cs.iter().find(|c| !is_valid_channel(c)) {
            errors.add(
                "channels",
                format!("Channel {bad:?} is not valid: use letters, digits, _ . : - (at most {MAX_CHANNEL_LEN})."),
            );
        }
    }

    let secret = match input.secret.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => match Secret::parse(s) {
            Ok(secret) => Some(secret),
            Err(m) => {
                errors.add("secret", format!("The secret {m}."));
                None
            }
        },
    };

    errors.into_result()?;
    let spec = EndpointSpec {
        url,
        events,
        name,
        description,
        enabled: input.enabled.unwrap_or(true),
        headers,
        retry_count,
        timeout_seconds,
        channels,
        tls_verify: input.tls_verify.unwrap_or(true),
    };
    Ok((spec, secret))
}

fn normalise_list(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The URL in normalised form, or why it is refused.
pub fn check_url(raw: &str, rules: TargetRules) -> Result<String, String> {
    if raw.len() > MAX_URL_LEN {
        return Err(format!("The URL is longer than {MAX_URL_LEN} characters."));
    }
    let url = url::Url::parse(raw).map_err(|e| format!("This is not a valid URL ({e})."))?;
    match url.scheme() {
        "https" => {}
        "http" if rules.allow_http => {}
        "http" => return Err("Use an https:// URL (plain http is turned off; the allow_http_targets setting allows it).".into()),
        other => return Err(format!("Use an https:// URL, not {other}:.")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "Remove the user name and password from the URL; use a custom header for credentials."
                .into(),
        );
    }
    if url.fragment().is_some() {
        return Err("Remove the #fragment: it is never sent to the receiver.".into());
    }
    let host = url.host().ok_or("The URL needs a host name.")?;
    if !rules.allow_private {
        let ip = match host {
            url::Host::Ipv4(ip) => Some(std::net::IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => Some(std::net::IpAddr::V6(ip)),
            url::Host::Domain(_) => None,
        };
        if let Some(ip) = ip {
            crate::ssrf::Policy {
                allow_private: false,
            }
            .check_ip(ip)
            .map_err(|b| b.refusal())?;
        }
    }
    Ok(url.to_string())
}

fn default_name(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "endpoint".into())
}

fn check_pattern(pattern: &str, catalog: Option<&[String]>) -> Option<String> {
    if pattern == "*" {
        return None;
    }
    if let Some(prefix) = pattern.strip_suffix(".*") {
        if !event_types::is_valid_name(prefix) {
            return Some(format!(
                "{pattern:?} is not a valid pattern; use a type name, prefix.* or *."
            ));
        }
        let catalog = catalog?;
        if !catalog.iter().any(|t| pattern_matches(pattern, t)) {
            return Some(format!(
                "{pattern:?} matches no event type in the catalog; add the types first."
            ));
        }
        return None;
    }
    if !event_types::is_valid_name(pattern) {
        return Some(format!("{pattern:?} is not a valid event type name."));
    }
    let catalog = catalog?;
    if !catalog.iter().any(|t| t == pattern) {
        return Some(format!(
            "Event type {pattern:?} does not exist or is archived; add it on the Event types page first."
        ));
    }
    None
}

fn is_valid_channel(c: &str) -> bool {
    c.len() <= MAX_CHANNEL_LEN
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
}

fn check_headers(headers: &BTreeMap<String, String>) -> Option<String> {
    if headers.len() > MAX_HEADERS {
        return Some(format!("Use at most {MAX_HEADERS} custom headers."));
    }
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if !crate::wire::is_token(name) {
            return Some(format!("{name:?} is not a valid header name."));
        }
        if RESERVED_HEADERS.contains(&lower.as_str())
            || lower.starts_with("x-webhook-")
            || lower.starts_with("webhook-")
        {
            return Some(format!(
                "{name} is set by hookd and cannot be a custom header."
            ));
        }
        if value.len() > MAX_HEADER_VALUE_LEN {
            return Some(format!(
                "The value of {name} is longer than {MAX_HEADER_VALUE_LEN} bytes."
            ));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Some(format!(
                "The value of {name} contains a line break or control character."
            ));
        }
        // What an HTTP header can carry as text; anything else could not be sent as stored.
        if !value.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) {
            return Some(format!(
                "The value of {name} must be plain ASCII text: letters, digits, spaces and punctuation."
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: TargetRules = TargetRules {
        allow_http: true,
        allow_private: true,
    };
    const STRICT: TargetRules = TargetRules {
        allow_http: false,
        allow_private: false,
    };

    fn catalog() -> Vec<String> {
        vec![
            "invoice.paid".into(),
            "invoice.void".into(),
            "user.created".into(),
        ]
    }

    fn input(url: &str, events: &[&str]) -> EndpointInput {
        EndpointInput {
            url: Some(url.into()),
            events: Some(events.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        }
    }

    fn field_error(i: EndpointInput, rules: TargetRules, field: &str) -> String {
        match validate(i, Some(&catalog()), rules) {
            Err(crate::error::Error::Invalid(e)) => e
                .get(field)
                .unwrap_or_else(|| panic!("no error for {field}: {e:?}"))
                .to_owned(),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_minimal_endpoint_gets_the_defaults() {
        let (spec, secret) = validate(
            input("https://example.com/hook", &["invoice.*"]),
            Some(&catalog()),
            STRICT,
        )
        .unwrap();
        assert_eq!(spec.name, "example.com");
        assert_eq!(
            (
                spec.retry_count,
                spec.timeout_seconds,
                spec.enabled,
                spec.tls_verify
            ),
            (4, 10, true, true)
        );
        assert!(secret.is_none());
    }

    #[test]
    fn urls_are_refused_with_a_reason() {
        assert!(field_error(input("http://example.com", &["*"]), STRICT, "url").contains("https"));
        assert!(field_error(input("ftp://example.com", &["*"]), OPEN, "url").contains("https"));
        assert!(
            field_error(input("https://u:p@example.com", &["*"]), OPEN, "url").contains("password")
        );
        assert!(field_error(input("not a url", &["*"]), OPEN, "url").contains("not a valid URL"));
        assert!(
            field_error(input("https://127.0.0.1/x", &["*"]), STRICT, "url").contains("loopback")
        );
        assert!(field_error(input("https://[::1]/x", &["*"]), STRICT, "url").contains("SSRF"));
        let long = format!("https://example.com/{}", "a".repeat(2050));
        assert!(field_error(input(&long, &["*"]), OPEN, "url").contains("2048"));
    }

    #[test]
    fn events_must_exist_in_the_catalog() {
        assert!(field_error(input("https://e.com", &[]), OPEN, "events").contains("at least one"));
        assert!(
            field_error(input("https://e.com", &["invoice.missing"]), OPEN, "events")
                .contains("does not exist")
        );
        assert!(
            field_error(input("https://e.com", &["billing.*"]), OPEN, "events")
                .contains("matches no")
        );
        assert!(
            field_error(input("https://e.com", &["Bad Name"]), OPEN, "events")
                .contains("not a valid")
        );
    }

    #[test]
    fn ranges_headers_channels_and_secrets_are_checked() {
        let mut i = input("https://e.com", &["*"]);
        i.retry_count = Some(11);
        i.timeout_seconds = Some(0);
        i.headers = Some(BTreeMap::from([("X-Webhook-Signature".into(), "x".into())]));
        i.channels = Some(Some(vec!["ok".into(), "not ok".into()]));
        i.secret = Some("whsec_short".into());
        let Err(crate::error::Error::Invalid(e)) = validate(i, Some(&catalog()), OPEN) else {
            panic!()
        };
        for f in [
            "retry_count",
            "timeout_seconds",
            "headers",
            "channels",
            "secret",
        ] {
            assert!(e.get(f).is_some(), "{f}");
        }
        let mut i = input("https://e.com", &["*"]);
        i.headers = Some(BTreeMap::from([(
            "X-Tenant".into(),
            "a\r\nInjected: 1".into(),
        )]));
        assert!(field_error(i, OPEN, "headers").contains("line break"));
        let mut i = input("https://e.com", &["*"]);
        i.headers = Some(BTreeMap::from([("X-Tenant".into(), "café".into())]));
        assert!(field_error(i, OPEN, "headers").contains("ASCII"));
    }
}
