//! The endpoint form as submitted (the API's field names, everything as text), what it shows,
//! and how it becomes an `EndpointInput`. Pure: no I/O, no HTTP.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::endpoints::{DEFAULT_RETRY_COUNT, DEFAULT_TIMEOUT_SECONDS, Endpoint, EndpointInput};
use crate::error::FieldErrors;
use crate::event_types::EventType;

/// Blank header rows offered below the filled ones.
const EMPTY_HEADER_ROWS: usize = 3;

/// As submitted.
#[derive(Deserialize, Default)]
pub(super) struct EndpointForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    extra_events: String,
    #[serde(default)]
    channels: String,
    #[serde(default)]
    header_name: Vec<String>,
    #[serde(default)]
    header_value: Vec<String>,
    #[serde(default)]
    retry_count: String,
    #[serde(default)]
    timeout_seconds: String,
    tls_verify: Option<String>,
    enabled: Option<String>,
    /// Only at creation: a tenant's uid.
    #[serde(default)]
    tenant: String,
}

/// What the form shows.
pub(super) struct FormValues {
    pub name: String,
    pub url: String,
    pub description: String,
    /// Every pattern, picked or typed.
    pub events: Vec<String>,
    pub extra_events: String,
    pub channels: String,
    pub headers: Vec<(String, String)>,
    pub retry_count: String,
    pub timeout_seconds: String,
    pub tls_verify: bool,
    pub enabled: bool,
    /// The tenant's uid; empty for the team's own.
    pub tenant: String,
}

impl FormValues {
    pub(super) fn blank() -> FormValues {
        FormValues {
            name: String::new(),
            url: String::new(),
            description: String::new(),
            events: vec![],
            extra_events: String::new(),
            channels: String::new(),
            headers: padded(vec![]),
            retry_count: DEFAULT_RETRY_COUNT.to_string(),
            timeout_seconds: DEFAULT_TIMEOUT_SECONDS.to_string(),
            tls_verify: true,
            enabled: true,
            tenant: String::new(),
        }
    }

    pub(super) fn of(e: &Endpoint, catalog: &[EventType]) -> FormValues {
        let s = &e.spec;
        FormValues {
            name: s.name.clone(),
            url: s.url.clone(),
            description: s.description.clone(),
            events: s.events.clone(),
            extra_events: extra_patterns(&s.events, catalog),
            channels: s.channels.as_deref().unwrap_or_default().join(", "),
            headers: padded(s.headers.clone().into_iter().collect()),
            retry_count: s.retry_count.to_string(),
            timeout_seconds: s.timeout_seconds.to_string(),
            tls_verify: s.tls_verify,
            enabled: s.enabled,
            tenant: e
                .tenant
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        }
    }

    pub(super) fn from_form(f: &EndpointForm, catalog: &[EventType]) -> FormValues {
        let events: Vec<String> = f.events.clone();
        FormValues {
            name: f.name.clone(),
            url: f.url.clone(),
            description: f.description.clone(),
            extra_events: {
                let mut extra = split_list(&f.extra_events);
                extra.retain(|p| !events.contains(p));
                let typed = extra_patterns(&events, catalog);
                if typed.is_empty() {
                    extra.join(", ")
                } else {
                    let mut all = vec![typed];
                    all.extend(extra);
                    all.join(", ")
                }
            },
            events,
            channels: f.channels.clone(),
            headers: padded(
                f.header_name
                    .iter()
                    .cloned()
                    .zip(f.header_value.iter().cloned())
                    .filter(|(k, v)| !k.trim().is_empty() || !v.trim().is_empty())
                    .collect(),
            ),
            retry_count: f.retry_count.clone(),
            timeout_seconds: f.timeout_seconds.clone(),
            tls_verify: f.tls_verify.is_some(),
            enabled: f.enabled.is_some(),
            tenant: f.tenant.clone(),
        }
    }

    /// Is this pattern ticked in the picker?
    pub fn picked(&self, pattern: &str) -> bool {
        self.events.iter().any(|e| e == pattern)
    }
}

/// Patterns that are neither `*` nor a catalog type: shown in the free-text box.
fn extra_patterns(events: &[String], catalog: &[EventType]) -> String {
    events
        .iter()
        .filter(|p| *p != "*" && !catalog.iter().any(|t| &t.name == *p))
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
}

fn padded(mut rows: Vec<(String, String)>) -> Vec<(String, String)> {
    rows.extend((0..EMPTY_HEADER_ROWS).map(|_| (String::new(), String::new())));
    rows
}

/// Comma- or whitespace-separated items, trimmed, empty ones dropped.
fn split_list(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn whole_number(field: &str, s: &str, errors: &mut FieldErrors) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    match s.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(field, "Enter a whole number.");
            None
        }
    }
}

/// The form as `EndpointInput`, plus errors found while reading it (numbers, headers).
pub(super) fn to_input(f: &EndpointForm) -> (EndpointInput, FieldErrors) {
    let mut errors = FieldErrors::default();
    let mut events: Vec<String> = f.events.iter().map(|e| e.trim().to_owned()).collect();
    for p in split_list(&f.extra_events) {
        if !events.contains(&p) {
            events.push(p);
        }
    }
    events.retain(|e| !e.is_empty());
    let channels = split_list(&f.channels);
    let mut headers = BTreeMap::new();
    for (k, v) in f.header_name.iter().zip(f.header_value.iter()) {
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() {
            if !v.is_empty() {
                errors.add("headers", "Give every header value a name.");
            }
            continue;
        }
        headers.insert(k.to_owned(), v.to_owned());
    }
    let input = EndpointInput {
        url: Some(f.url.trim().to_owned()),
        events: Some(events),
        name: Some(f.name.trim().to_owned()),
        description: Some(f.description.trim().to_owned()),
        enabled: Some(f.enabled.is_some()),
        headers: Some(headers),
        retry_count: whole_number("retry_count", &f.retry_count, &mut errors),
        timeout_seconds: whole_number("timeout_seconds", &f.timeout_seconds, &mut errors),
        channels: Some((!channels.is_empty()).then_some(channels)),
        tls_verify: Some(f.tls_verify.is_some()),
        secret: None,
        tenant: Some(f.tenant.trim().to_owned()).filter(|t| !t.is_empty()),
    };
    (input, errors)
}
