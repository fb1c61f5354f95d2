//! The JSON shapes of /api/v1/webhooks (`*Out` responses, `WebhookIn` for the document) and
//! the stats every endpoint response carries.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::crypto::Secret;
use crate::endpoints::Endpoint;
use crate::error::Error;
use crate::ids::EndpointId;
use crate::state::AppState;

/// Over a window: the deliveries created in it, each counted once by its current state, the
/// failed attempts made in it, and response times.
#[derive(Serialize, ToSchema)]
pub struct WindowStatsOut {
    /// Deliveries now succeeded (a failed delivery replayed successfully counts here only).
    succeeded: i64,
    /// Deliveries out of retries.
    failed: i64,
    /// Deliveries still pending after a failed attempt.
    retrying: i64,
    /// Attempts that failed, retried or not.
    failed_attempts: i64,
    /// `succeeded` / (`succeeded` + `failed` + `retrying`), 0–100; null before any attempt.
    success_rate: Option<f64>,
    avg_response_ms: Option<f64>,
    p95_response_ms: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct StatsOut {
    last_24h: WindowStatsOut,
    last_30d: WindowStatsOut,
}

pub(super) async fn stats(state: &AppState, id: &EndpointId) -> Result<StatsOut, Error> {
    let now = crate::timestamp::Timestamp::now();
    let window = async |hours: u64| -> Result<WindowStatsOut, Error> {
        let s = crate::stats::window(&state.db, id, now, Duration::from_secs(hours * 3600)).await?;
        Ok(WindowStatsOut {
            success_rate: s.success_rate().map(|r| (r * 10.0).round() / 10.0),
            succeeded: s.succeeded,
            failed: s.failed,
            retrying: s.retrying,
            failed_attempts: s.failed_attempts,
            avg_response_ms: s.avg_response_ms,
            p95_response_ms: s.p95_response_ms,
        })
    };
    Ok(StatsOut {
        last_24h: window(24).await?,
        last_30d: window(30 * 24).await?,
    })
}

pub(super) async fn with_stats(
    state: &AppState,
    e: Endpoint,
    secret: Option<Secret>,
) -> Result<WebhookOut, Error> {
    let s = stats(state, &e.id).await?;
    let mut out = WebhookOut::new(e, secret);
    out.stats = Some(s);
    Ok(out)
}

/// An endpoint. `secret` appears only in the responses that create it (creation, rotation).
#[derive(Serialize, ToSchema)]
pub struct WebhookOut {
    #[schema(example = "wh_0193b1c2d3e47f8a9b0c1d2e3f405162")]
    pub(super) id: String,
    /// The tenant's uid; null for the team's own endpoint.
    tenant: Option<String>,
    name: String,
    url: String,
    description: String,
    /// Event type names, `prefix.*` patterns or `*`.
    events: Vec<String>,
    /// When set, only events tagged with one of these channels are delivered.
    channels: Option<Vec<String>>,
    enabled: bool,
    headers: BTreeMap<String, String>,
    retry_count: i64,
    timeout_seconds: i64,
    tls_verify: bool,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    #[schema(format = DateTime)]
    last_triggered_at: Option<String>,
    #[schema(format = DateTime)]
    last_success_at: Option<String>,
    #[schema(format = DateTime)]
    last_failure_at: Option<String>,
    /// Consecutive failed attempts (retried or not) since the last success, so an endpoint whose
    /// deliveries are all still retrying shows as failing.
    failure_count: i64,
    /// null, `manual`, or `auto: <why>`.
    disabled_reason: Option<String>,
    has_secret: bool,
    #[schema(example = "whsec_••••abcd")]
    secret_masked: String,
    /// The full signing secret: present only here, once.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    /// Deliveries by current state (each counted once), failed attempts and response times,
    /// last 24 h and 30 days.
    pub(super) stats: Option<StatsOut>,
}

impl WebhookOut {
    pub(super) fn new(e: Endpoint, secret: Option<Secret>) -> Self {
        let masked = e.secret_masked();
        let s = e.spec;
        WebhookOut {
            id: e.id.to_string(),
            tenant: e.tenant.map(|t| t.to_string()),
            name: s.name,
            url: s.url,
            description: s.description,
            events: s.events,
            channels: s.channels,
            enabled: s.enabled,
            headers: s.headers,
            retry_count: s.retry_count,
            timeout_seconds: s.timeout_seconds,
            tls_verify: s.tls_verify,
            created_at: e.created_at.rfc3339(),
            updated_at: e.updated_at.rfc3339(),
            last_triggered_at: e.last_triggered_at.map(|t| t.rfc3339()),
            last_success_at: e.last_success_at.map(|t| t.rfc3339()),
            last_failure_at: e.last_failure_at.map(|t| t.rfc3339()),
            failure_count: e.failure_count,
            disabled_reason: e.disabled_reason,
            has_secret: true,
            secret_masked: masked,
            secret: secret.map(|s| s.expose().to_owned()),
            stats: None,
        }
    }
}

/// Body of create. Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // documentation only: requests parse into `EndpointInput`
pub struct WebhookIn {
    /// An absolute `https://` URL (`http://` too when the server allows plain-http targets),
    /// without user name, password or `#fragment`, at most 2,048 characters. Addresses in
    /// private, loopback and other non-public ranges are refused unless the server allows
    /// private targets.
    #[schema(
        example = "https://example.com/webhooks",
        format = "uri",
        pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://",
        max_length = 2048
    )]
    url: String,
    /// Event type names of the catalog, `prefix.*` patterns matching one of them, or `*`; at
    /// most 100.
    #[schema(example = json!(["invoice.*"]), min_items = 1, max_items = 100, value_type = Vec<EventPattern>)]
    events: Vec<String>,
    /// At most 100 characters; defaults to the URL's host.
    #[schema(max_length = 100)]
    name: Option<String>,
    /// At most 1,000 characters.
    #[schema(max_length = 1000)]
    description: Option<String>,
    /// Default true.
    enabled: Option<bool>,
    /// Custom request headers, at most 20: token names, except hookd's own (`content-type`,
    /// `user-agent`, the signature, id and event headers, any `webhook-*` or `x-webhook-*`) and
    /// hop-by-hop ones.
    #[schema(value_type = Option<CustomHeaders>)]
    headers: Option<BTreeMap<String, String>>,
    /// Retries after the first attempt, 0–10, default 4.
    #[schema(minimum = 0, maximum = 10)]
    retry_count: Option<i64>,
    /// Seconds to wait for the receiver's answer, 1–30, default 10.
    #[schema(minimum = 1, maximum = 30)]
    timeout_seconds: Option<i64>,
    /// Deliver only events tagged with one of these, at most 50; null or empty: no filter.
    #[schema(max_items = 50, value_type = Option<Vec<ChannelName>>)]
    channels: Option<Vec<String>>,
    /// Default true; false only for receivers with self-signed certificates.
    tls_verify: Option<bool>,
    /// `whsec_` + standard base64 of 24–64 bytes, instead of a generated secret; empty: generate
    /// one.
    #[schema(
        pattern = r"^(|whsec_((?:[A-Za-z0-9+/]{4}){8,21}(?:[A-Za-z0-9+/][AQgw]==)?|(?:[A-Za-z0-9+/]{4}){8,20}[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=))$"
    )]
    secret: Option<String>,
    /// The tenant uid the endpoint belongs to, which must exist (team keys; a tenant-bound
    /// key's endpoints are always its tenant's, and naming another is 422).
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,64}$")]
    tenant: Option<String>,
}

/// Body of PATCH: the create fields but the secret (rotate it instead), each optional; absent
/// fields stay as they are. Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // documentation only: requests parse into `EndpointInput`
pub struct WebhookPatch {
    /// As on create. An unchanged URL is not judged again.
    #[schema(
        format = "uri",
        pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://",
        max_length = 2048
    )]
    url: Option<String>,
    /// As on create.
    #[schema(min_items = 1, max_items = 100, value_type = Option<Vec<EventPattern>>)]
    events: Option<Vec<String>>,
    #[schema(max_length = 100)]
    name: Option<String>,
    #[schema(max_length = 1000)]
    description: Option<String>,
    enabled: Option<bool>,
    /// As on create; replaces all custom headers.
    #[schema(value_type = Option<CustomHeaders>)]
    headers: Option<BTreeMap<String, String>>,
    #[schema(minimum = 0, maximum = 10)]
    retry_count: Option<i64>,
    #[schema(minimum = 1, maximum = 30)]
    timeout_seconds: Option<i64>,
    /// null or empty clears the filter.
    #[schema(max_items = 50, value_type = Option<Vec<ChannelName>>)]
    channels: Option<Vec<String>>,
    tls_verify: Option<bool>,
    /// An endpoint's tenant never changes: only its current tenant is accepted here (422
    /// otherwise).
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,64}$")]
    tenant: Option<String>,
}

/// An event type name, `prefix.*` or `*`.
#[derive(ToSchema)]
#[schema(pattern = r"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$", max_length = 130)]
#[allow(dead_code)] // documentation only
pub struct EventPattern(String);

/// A channel name: letters, digits, `_ . : -`, at most 128; surrounding spaces are dropped,
/// and so are empty entries.
#[derive(ToSchema)]
#[schema(pattern = r"^\s*[A-Za-z0-9_.:-]{0,128}\s*$")]
#[allow(dead_code)] // documentation only
pub struct ChannelName(String);

/// Custom request headers: name → value, at most 20 (a map's size is no field attribute in
/// utoipa, hence by hand).
pub struct CustomHeaders;

impl utoipa::PartialSchema for CustomHeaders {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .additional_properties(Some(<HeaderText as utoipa::PartialSchema>::schema()))
            .max_properties(Some(20))
            .into()
    }
}

impl ToSchema for CustomHeaders {}

/// A header value: printable ASCII and tabs, at most 1,024.
#[derive(ToSchema)]
#[schema(pattern = r"^[\t\x20-\x7e]*$", max_length = 1024)]
#[allow(dead_code)] // documentation only
pub struct HeaderText(String);
