//! Endpoints: where events are delivered. `EndpointInput` is what a client sends (API JSON or
//! dashboard form); `validate` turns it into an `EndpointSpec` or precise field errors; `store`
//! holds the SQL, including the encrypted signing secrets.

mod by_tenant;
mod store;
mod validate;

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::ids::EndpointId;
use crate::tenants::{TenantUid, Visibility};
use crate::timestamp::Timestamp;

pub use by_tenant::{TenantEndpoints, count_by_tenant};
pub use store::{
    AUTO_DISABLE_AFTER, AUTO_DISABLE_DAYS, AUTO_DISABLE_MIN_FAILURES, HealthTally,
    count_unreadable_secrets, create, delete, drop_expired_previous_secrets, enabled, get, get_in,
    list, mark_triggered, record_health, rotate_secret, set_enabled, signing_secrets, update,
};
pub use validate::{RESERVED_HEADERS, TargetRules, check_url, validate};

pub const DEFAULT_RETRY_COUNT: i64 = 4;
pub const MAX_RETRY_COUNT: i64 = 10;
pub const DEFAULT_TIMEOUT_SECONDS: i64 = 10;
pub const MAX_TIMEOUT_SECONDS: i64 = 30;
/// A rotated-out secret keeps signing (second signature) this long.
pub const ROTATION_OVERLAP: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
/// At most this many secrets sign at once: the current one and those rotated out within
/// `ROTATION_OVERLAP`. A rotation past it is refused.
pub const MAX_LIVE_SECRETS: i64 = 5;

/// Client input: every field optional, so it serves create (defaults fill gaps) and PATCH
/// (the existing endpoint fills gaps). `channels: Some(None)` clears the channel filter.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointInput {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub headers: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "whole_number")]
    pub retry_count: Option<i64>,
    #[serde(default, deserialize_with = "whole_number")]
    pub timeout_seconds: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    pub channels: Option<Option<Vec<String>>>,
    pub tls_verify: Option<bool>,
    /// Only at creation: a caller-supplied `whsec_` secret instead of a generated one.
    pub secret: Option<String>,
    /// Only at creation (a PATCH may repeat it): the tenant uid the endpoint belongs to.
    pub tenant: Option<String>,
}

/// An integer also when written with a zero fraction (`7.0`): JSON has one kind of number,
/// and JSON Schema's `integer` (what the API document says) admits both spellings.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error as _;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
        _ => Err(D::Error::custom(format!(
            "expected a whole number, got {n}"
        ))),
    }
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A complete, validated endpoint configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointSpec {
    pub url: String,
    pub events: Vec<String>,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub headers: BTreeMap<String, String>,
    pub retry_count: i64,
    pub timeout_seconds: i64,
    pub channels: Option<Vec<String>>,
    pub tls_verify: bool,
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: EndpointId,
    /// `None`: the team's own endpoint.
    pub tenant: Option<TenantUid>,
    pub spec: EndpointSpec,
    pub secret_hint: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_triggered_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub last_failure_at: Option<Timestamp>,
    pub failure_count: i64,
    pub disabled_reason: Option<String>,
}

impl Endpoint {
    /// `whsec_••••abcd`
    pub fn secret_masked(&self) -> String {
        format!("{}••••{}", crate::crypto::SECRET_PREFIX, self.secret_hint)
    }
    /// The endpoint as input, so a PATCH can be laid over it and validated as a whole.
    pub fn as_input(&self) -> EndpointInput {
        let s = self.spec.clone();
        EndpointInput {
            url: Some(s.url),
            events: Some(s.events),
            name: Some(s.name),
            description: Some(s.description),
            enabled: Some(s.enabled),
            headers: Some(s.headers),
            retry_count: Some(s.retry_count),
            timeout_seconds: Some(s.timeout_seconds),
            channels: Some(s.channels),
            tls_verify: Some(s.tls_verify),
            secret: None,
            tenant: None,
        }
    }
    /// Does this endpoint want an event of this type on these channels?
    pub fn wants(&self, event_type: &str, channels: &[String]) -> bool {
        self.spec.enabled
            && matches_any(&self.spec.events, event_type)
            && channel_match(self.spec.channels.as_deref(), channels)
    }
}

/// How an endpoint's latest deliveries went: whichever of the last success and the last
/// failure is newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ok,
    Failing,
    /// Nothing delivered yet.
    Unknown,
}

impl Endpoint {
    /// The name, or the URL for an endpoint without one.
    pub fn display_name(&self) -> &str {
        if self.spec.name.is_empty() {
            &self.spec.url
        } else {
            &self.spec.name
        }
    }
    pub fn health(&self) -> Health {
        match (self.last_success_at, self.last_failure_at) {
            (Some(s), Some(f)) if f > s => Health::Failing,
            (Some(_), _) => Health::Ok,
            (None, Some(_)) => Health::Failing,
            (None, None) => Health::Unknown,
        }
    }
}

impl EndpointInput {
    /// `patch` laid over `self`, field by field.
    pub fn overlay(self, patch: EndpointInput) -> EndpointInput {
        EndpointInput {
            url: patch.url.or(self.url),
            events: patch.events.or(self.events),
            name: patch.name.or(self.name),
            description: patch.description.or(self.description),
            enabled: patch.enabled.or(self.enabled),
            headers: patch.headers.or(self.headers),
            retry_count: patch.retry_count.or(self.retry_count),
            timeout_seconds: patch.timeout_seconds.or(self.timeout_seconds),
            channels: patch.channels.or(self.channels),
            tls_verify: patch.tls_verify.or(self.tls_verify),
            secret: patch.secret.or(self.secret),
            tenant: patch.tenant.or(self.tenant),
        }
    }
}

/// Which URLs endpoints may point at: the configured rules, and a check of the addresses a URL's
/// host resolves to (the delivery engine's SSRF policy). Kept as a trait so this module needs no
/// HTTP client.
pub trait TargetPolicy: Sync {
    fn rules(&self) -> TargetRules;
    fn check(&self, url: &str) -> impl std::future::Future<Output = Result<(), String>> + Send;
}

/// Validates client input, checks the target address (`TargetPolicy::check`) and stores a new
/// endpoint with its secret, for the tenant `who` stamps (its own, or the one a team caller names).
pub async fn create_from_input(
    db: &crate::db::Db,
    keyring: &crate::crypto::Keyring,
    who: &Visibility,
    input: EndpointInput,
    targets: &impl TargetPolicy,
) -> crate::error::Result<(Endpoint, crate::crypto::Secret)> {
    let tenant = who.stamp(db, input.tenant.as_deref()).await?;
    let catalog = crate::event_types::active_names(db).await?;
    let (spec, secret) = validate(input, Some(&catalog), targets.rules())?;
    targets
        .check(&spec.url)
        .await
        .map_err(|m| crate::error::Error::invalid("url", m))?;
    create(db, keyring, tenant.as_ref(), spec, secret).await
}

/// Lays `patch` over the endpoint and validates what it changes. Subscriptions are checked
/// against the catalog only when the patch changes them, so archiving a type never blocks an
/// unrelated edit; likewise an unchanged URL is not judged again by the target rules, so an
/// endpoint refused by a setting turned off since (e.g. `allow_private_targets`) can still be
/// disabled or edited.
pub async fn update_from_input(
    db: &crate::db::Db,
    id: &EndpointId,
    patch: EndpointInput,
    targets: &impl TargetPolicy,
) -> crate::error::Result<Endpoint> {
    if patch.secret.is_some() {
        return Err(crate::error::Error::invalid(
            "secret",
            "The secret cannot be edited; rotate it instead.",
        ));
    }
    let current = get(db, id).await?;
    if let Some(named) = patch.tenant.as_deref()
        && Some(named) != current.tenant.as_ref().map(TenantUid::as_str)
    {
        return Err(crate::error::Error::invalid(
            "tenant",
            "An endpoint's tenant cannot change; create a new endpoint for the other tenant.",
        ));
    }
    let catalog = match patch.events {
        Some(_) => Some(crate::event_types::active_names(db).await?),
        None => None,
    };
    let url_unchanged = match patch.url.as_deref().map(str::trim) {
        None => true,
        Some(raw) => check_url(raw, TargetRules::UNCHANGED).is_ok_and(|u| u == current.spec.url),
    };
    let rules = if url_unchanged {
        TargetRules::UNCHANGED
    } else {
        targets.rules()
    };
    let (spec, _) = validate(current.as_input().overlay(patch), catalog.as_deref(), rules)?;
    if !url_unchanged {
        targets
            .check(&spec.url)
            .await
            .map_err(|m| crate::error::Error::invalid("url", m))?;
    }
    update(db, id, spec).await
}

/// Why the engine refuses attempts to `url` under the current settings (the address checks used
/// at creation), or `None` when it is allowed. The scheme is not judged: the engine sends to a
/// stored http:// URL even once `allow_http_targets` is off.
pub async fn target_refusal(url: &str, targets: &impl TargetPolicy) -> Option<String> {
    let rules = TargetRules {
        allow_http: true,
        ..targets.rules()
    };
    match check_url(url, rules) {
        Err(m) => Some(m),
        Ok(u) => targets.check(&u).await.err(),
    }
}

/// `*` matches every type except hookd's own (`hookd.…`, which an endpoint receives only when
/// it names them or `hookd.*`: an endpoint made for the application's events should not start
/// getting operational ones), `a.*` every type starting with `a.`, anything else itself.
pub fn pattern_matches(pattern: &str, event_type: &str) -> bool {
    match pattern.strip_suffix(".*") {
        _ if pattern == "*" => !crate::event_types::is_reserved(event_type),
        Some(prefix) => event_type
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.')),
        None => pattern == event_type,
    }
}

pub fn matches_any(patterns: &[String], event_type: &str) -> bool {
    patterns.iter().any(|p| pattern_matches(p, event_type))
}

/// An endpoint without channels takes every event; with channels, only events tagged with one.
pub fn channel_match(endpoint_channels: Option<&[String]>, event_channels: &[String]) -> bool {
    match endpoint_channels {
        None => true,
        Some(wanted) => event_channels.iter().any(|c| wanted.contains(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exactly_by_prefix_or_all() {
        assert!(pattern_matches("*", "a.b"));
        assert!(pattern_matches("a.b", "a.b"));
        assert!(!pattern_matches("a.b", "a.bc"));
        assert!(pattern_matches(
            "proxy_settings.*",
            "proxy_settings.approved"
        ));
        assert!(pattern_matches("a.*", "a.b.c"));
        assert!(!pattern_matches("a.*", "a"));
        assert!(!pattern_matches("a.*", "ab.c"));
    }

    #[test]
    fn only_a_named_subscription_takes_hookds_own_events() {
        assert!(!pattern_matches("*", "hookd.delivery.failed"));
        assert!(pattern_matches("hookd.*", "hookd.delivery.failed"));
        assert!(pattern_matches(
            "hookd.endpoint.disabled",
            "hookd.endpoint.disabled"
        ));
    }

    #[test]
    fn channels_filter_only_when_set() {
        let tenant = vec!["tenant-1".to_owned()];
        assert!(channel_match(None, &[]));
        assert!(channel_match(Some(&tenant), &tenant));
        assert!(!channel_match(Some(&tenant), &[]));
        assert!(!channel_match(Some(&tenant), &["tenant-2".to_owned()]));
    }
}
