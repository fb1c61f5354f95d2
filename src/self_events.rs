//! Events about hookd itself: `hookd.endpoint.disabled` and `hookd.delivery.failed`. This is
//! the one place their payloads, catalog entries and loop rule are written down; the delivery
//! engine builds them (`gather`) inside the group commit that records the outcomes they are
//! about, so each is stored exactly when its cause is, and then delivered like any event.
//!
//! The `hookd.` namespace is reserved (`event_types::is_reserved`): applications cannot ingest
//! into it, and `*` does not match it, so only endpoints that name these types (or `hookd.*`)
//! receive them.
//!
//! No loops: a delivery *of* a `hookd.` event that runs out of retries never emits
//! `hookd.delivery.failed` (nor does a `webhook.test` send). `hookd.endpoint.disabled` is
//! emitted whatever the failing deliveries carried (an operator wants to hear that their alert
//! endpoint is dead), but only to endpoints still enabled, and an endpoint is auto-disabled at
//! most once until a person enables it again: so a chain of disables (A's event fails at B
//! until B is disabled, whose event goes to C, …) is at most as long as the number of
//! endpoints, and then stops.

use serde::Serialize;
use serde_json::value::RawValue;
use sqlx::SqliteConnection;

use crate::db::Db;
use crate::deliveries::{self, Recorded};
use crate::endpoints;
use crate::error::Result;
use crate::event_types;
use crate::events::{NewEvent, TEST_EVENT_TYPE};
use crate::ids::{DeliveryId, EndpointId, EventId};
use crate::tenants::TenantUid;
use crate::timestamp::Timestamp;

pub const ENDPOINT_DISABLED: &str = "hookd.endpoint.disabled";
pub const DELIVERY_FAILED: &str = "hookd.delivery.failed";

/// `data` of `hookd.endpoint.disabled`: hookd turned an endpoint off by itself.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointDisabled {
    pub endpoint_id: EndpointId,
    pub endpoint_name: String,
    pub endpoint_url: String,
    /// `auto: …`, as in the endpoint's `disabled_reason`.
    pub reason: String,
    /// RFC 3339 UTC.
    pub disabled_at: String,
    /// The endpoint's tenant uid; null for the team's own endpoints.
    pub tenant: Option<TenantUid>,
}

/// `data` of `hookd.delivery.failed`: a delivery ran out of retries.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryFailed {
    pub delivery_id: DeliveryId,
    pub event_id: EventId,
    pub event_type: String,
    pub endpoint_id: EndpointId,
    pub attempts: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    /// The tenant of the event and endpoint; null for the team's own.
    pub tenant: Option<TenantUid>,
}

/// Does a delivery of `event_type` that runs out of retries emit `hookd.delivery.failed`?
/// Never for hookd's own events (no loops) nor for test sends.
pub fn reports_failure(event_type: &str) -> bool {
    !event_types::is_reserved(event_type) && event_type != TEST_EVENT_TYPE
}

/// The catalog entries: name, description and example payload (built from the same structs,
/// so the example cannot drift from what is sent).
pub fn catalog() -> [(&'static str, &'static str, serde_json::Value); 2] {
    let endpoint = EndpointId::parse("wh_0192f1a2b3c47d8e9f0a1b2c3d4e5f60").expect("example id");
    let disabled = EndpointDisabled {
        endpoint_id: endpoint.clone(),
        endpoint_name: "Orders service".into(),
        endpoint_url: "https://orders.example.com/webhooks".into(),
        reason: format!(
            "auto: every delivery failed for {} days (12 in a row)",
            endpoints::AUTO_DISABLE_DAYS
        ),
        disabled_at: "2025-01-06T09:30:00Z".into(),
        tenant: None,
    };
    let failed = DeliveryFailed {
        delivery_id: DeliveryId::parse("dlv_0192f1a2b3c47d8e9f0a1b2c3d4e5f61").expect("example id"),
        event_id: EventId::parse("evt_0192f1a2b3c47d8e9f0a1b2c3d4e5f62").expect("example id"),
        event_type: "order.shipped".into(),
        endpoint_id: endpoint,
        attempts: 5,
        last_status_code: Some(503),
        last_error: Some("HTTP 503 Service Unavailable".into()),
        tenant: None,
    };
    let value = |v: serde_json::Result<serde_json::Value>| v.expect("payloads serialise");
    [
        (
            ENDPOINT_DISABLED,
            "Sent by hookd when it disables an endpoint whose deliveries have all failed for days. \
             Subscribe to it by name or with hookd.* (* does not include hookd's own events).",
            value(serde_json::to_value(&disabled)),
        ),
        (
            DELIVERY_FAILED,
            "Sent by hookd when a delivery runs out of retries (never for deliveries of hookd's own \
             events). Subscribe to it by name or with hookd.* (* does not include hookd's own events).",
            value(serde_json::to_value(&failed)),
        ),
    ]
}

/// Puts the built-in types in the catalog (at every start, so their text follows the binary).
pub async fn seed_catalog(db: &Db) -> Result<()> {
    for (name, description, example) in catalog() {
        event_types::put_built_in(db, name, description, &example).await?;
    }
    Ok(())
}

/// The events an outcome batch causes: one per endpoint it auto-disabled, one per delivery it
/// failed (except those `reports_failure` leaves out). Read inside the batch's transaction,
/// after the outcomes are written.
pub async fn gather(
    conn: &mut SqliteConnection,
    recorded: &Recorded,
    now: Timestamp,
) -> Result<Vec<NewEvent>> {
    let mut out = Vec::new();
    for endpoint in endpoints::get_in(conn, &recorded.disabled).await? {
        let data = EndpointDisabled {
            endpoint_id: endpoint.id.clone(),
            endpoint_name: endpoint.spec.name.clone(),
            endpoint_url: endpoint.spec.url.clone(),
            reason: endpoint.disabled_reason.clone().unwrap_or_default(),
            disabled_at: now.rfc3339(),
            tenant: endpoint.tenant.clone(),
        };
        out.push(event(ENDPOINT_DISABLED, &data, data.tenant.clone(), now));
    }
    for row in deliveries::get_in(conn, &recorded.failed).await? {
        let d = row.delivery;
        if !reports_failure(&d.event_type) {
            continue;
        }
        let data = DeliveryFailed {
            delivery_id: d.id,
            event_id: d.event_id,
            event_type: d.event_type,
            endpoint_id: d.endpoint_id,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            tenant: row.tenant,
        };
        out.push(event(DELIVERY_FAILED, &data, data.tenant.clone(), now));
    }
    Ok(out)
}

/// The event belongs to the tenant it is about (so that tenant's keys and portal see it);
/// `events::Routing::self_event_targets` also sends it to the team's endpoints.
fn event(
    event_type: &str,
    data: &impl Serialize,
    tenant: Option<TenantUid>,
    now: Timestamp,
) -> NewEvent {
    let json = serde_json::to_string(data).expect("payloads serialise");
    NewEvent {
        id: EventId::generate(),
        tenant,
        event_type: event_type.to_owned(),
        data: RawValue::from_string(json).expect("serialised JSON is JSON"),
        channels: vec![],
        idempotency_key: None,
        created_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_types::RESERVED_PREFIX;

    #[test]
    fn only_application_events_report_failed_deliveries() {
        assert!(reports_failure("invoice.paid"));
        assert!(!reports_failure(DELIVERY_FAILED));
        assert!(!reports_failure(ENDPOINT_DISABLED));
        assert!(!reports_failure(TEST_EVENT_TYPE));
    }

    #[test]
    fn the_catalog_names_are_reserved_and_carry_a_tenant_field() {
        for (name, _, example) in catalog() {
            assert!(name.starts_with(RESERVED_PREFIX));
            assert!(event_types::is_reserved(name));
            assert!(example.get("tenant").is_some_and(|t| t.is_null()), "{name}");
        }
    }
}
