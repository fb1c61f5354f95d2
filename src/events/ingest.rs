//! Ingest inside the engine's group commit: where an event goes (`Routing`), what a repeated
//! idempotency key answers (`find_repeat`), and the inserts.

use std::collections::HashSet;

use sqlx::SqliteConnection;

use super::{COLUMNS, Event, IDEMPOTENCY_WINDOW, NewEvent, TEST_EVENT_TYPE};
use crate::endpoints::{self, Endpoint};
use crate::error::{Error, Result};
use crate::ids::{DeliveryId, EndpointId, EventId};
use crate::tenants::TenantUid;
use crate::timestamp::Timestamp;
use crate::{deliveries, event_types};

/// The answer to an ingest.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub event_id: EventId,
    pub event_type: String,
    pub created_at: Timestamp,
    pub deliveries: Vec<DeliveryId>,
    /// True when an idempotency key matched an earlier event: nothing new was created.
    pub duplicate: bool,
}

/// Where one delivery of an event goes: the endpoint, and the tenant it belongs to, which the
/// delivery carries (an event about a tenant may also reach the team's own endpoints, and
/// those deliveries are the team's).
#[derive(Debug, Clone)]
pub struct Target {
    pub endpoint: EndpointId,
    pub tenant: Option<TenantUid>,
}

impl Target {
    fn of(e: &Endpoint) -> Target {
        Target {
            endpoint: e.id.clone(),
            tenant: e.tenant.clone(),
        }
    }
}

/// What an ingest checks events against: the active catalog and the enabled endpoints, read
/// once per group commit inside its transaction.
pub struct Routing {
    catalog: HashSet<String>,
    endpoints: Vec<Endpoint>,
}

impl Routing {
    pub async fn load(conn: &mut SqliteConnection) -> Result<Routing> {
        let catalog = event_types::active_names(&mut *conn).await?;
        let endpoints = endpoints::enabled(conn).await?;
        Ok(Routing {
            catalog: catalog.into_iter().collect(),
            endpoints,
        })
    }

    /// The endpoints an API ingest goes to: every enabled one of the event's tenant (or of the
    /// team, for an event without one) subscribed to the type and channels. Refused when the
    /// type is not in the catalog.
    pub fn fan_out(&self, event: &NewEvent) -> Result<Vec<Target>> {
        if event_types::is_reserved(&event.event_type) {
            return Err(Error::invalid(
                "type",
                format!(
                    "{:?} is in the {} namespace, which is reserved for events hookd sends about itself.",
                    event.event_type,
                    event_types::RESERVED_PREFIX
                ),
            ));
        }
        if !self.catalog.contains(&event.event_type) {
            return Err(Error::invalid(
                "type",
                format!(
                    "Unknown or archived event type {:?}; create it first (POST /api/v1/event-types).",
                    event.event_type
                ),
            ));
        }
        Ok(self
            .endpoints
            .iter()
            .filter(|e| e.tenant == event.tenant && e.wants(&event.event_type, &event.channels))
            .map(Target::of)
            .collect())
    }

    /// Where one of hookd's own events (`self_events`) goes: the enabled endpoints subscribed
    /// to its type of the team (those without a tenant: they hear about every tenant) and of
    /// the tenant the event is about (the tenant of the endpoint that was disabled or failed),
    /// never another tenant's; except those `gone` (disabled since this routing was read).
    pub fn self_event_targets(&self, event: &NewEvent, gone: &[EndpointId]) -> Vec<Target> {
        self.endpoints
            .iter()
            .filter(|e| e.tenant.is_none() || e.tenant == event.tenant)
            .filter(|e| !gone.contains(&e.id) && e.wants(&event.event_type, &event.channels))
            .map(Target::of)
            .collect()
    }

    /// A test send may use `webhook.test` or any catalog type.
    pub fn check_test(&self, event: &NewEvent) -> Result<()> {
        if event.event_type != TEST_EVENT_TYPE && !self.catalog.contains(&event.event_type) {
            return Err(Error::invalid(
                "event_type",
                format!("Unknown or archived event type {:?}.", event.event_type),
            ));
        }
        Ok(())
    }
}

/// The earlier ingest an idempotency key repeats (inside the window), answered as it was.
pub async fn find_repeat(
    conn: &mut SqliteConnection,
    tenant: Option<&TenantUid>,
    key: &str,
    now: Timestamp,
) -> Result<Option<Ingested>> {
    let Some(original) = find_by_idempotency_key(conn, tenant, key, now).await? else {
        return Ok(None);
    };
    let deliveries = deliveries::ids_for_event(conn, &original.id).await?;
    Ok(Some(Ingested {
        event_id: original.id,
        event_type: original.event_type,
        created_at: original.created_at,
        deliveries,
        duplicate: true,
    }))
}

/// The tenant's (or the team's) live event with this idempotency key (inside the window), if any.
async fn find_by_idempotency_key(
    conn: &mut SqliteConnection,
    tenant: Option<&TenantUid>,
    key: &str,
    now: Timestamp,
) -> Result<Option<Event>> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from events where coalesce(tenant, '') = coalesce(?, '') and idempotency_key = ? and created_at > ?"
    ))
    .bind(tenant)
    .bind(key)
    .bind(now.minus(IDEMPOTENCY_WINDOW))
    .fetch_optional(conn)
    .await?)
}

/// Inserts events: those without an idempotency key in one statement (a group commit carries
/// many), the others one by one through `insert`.
pub async fn insert_many(conn: &mut SqliteConnection, events: &[NewEvent]) -> Result<()> {
    let (keyed, plain): (Vec<&NewEvent>, Vec<&NewEvent>) =
        events.iter().partition(|e| e.idempotency_key.is_some());
    for e in keyed {
        insert(conn, e).await?;
    }
    if plain.is_empty() {
        return Ok(());
    }
    let rows: Vec<serde_json::Value> = plain
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": e.id, "tenant": e.tenant, "type": e.event_type, "data": e.data.get(),
                "channels": (!e.channels.is_empty()).then(|| serde_json::to_string(&e.channels).unwrap_or_default()),
                "created_at": e.created_at.millis(),
            })
        })
        .collect();
    sqlx::query(
        "insert into events (id, tenant, type, data, channels, idempotency_key, created_at)
         select value->>'id', value->>'tenant', value->>'type', value->>'data', value->>'channels', null, value->>'created_at'
         from json_each(?)",
    )
    .bind(serde_json::Value::Array(rows).to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts the event; a key whose window has passed is released first.
pub async fn insert(conn: &mut SqliteConnection, e: &NewEvent) -> Result<()> {
    if let Some(key) = &e.idempotency_key {
        sqlx::query("update events set idempotency_key = null where coalesce(tenant, '') = coalesce(?, '') and idempotency_key = ?")
            .bind(&e.tenant)
            .bind(key)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("insert into events (id, tenant, type, data, channels, idempotency_key, created_at) values (?, ?, ?, ?, ?, ?, ?)")
        .bind(&e.id)
        .bind(&e.tenant)
        .bind(&e.event_type)
        .bind(e.data.get())
        .bind((!e.channels.is_empty()).then(|| serde_json::to_string(&e.channels).unwrap_or_default()))
        .bind(&e.idempotency_key)
        .bind(e.created_at)
        .execute(conn)
        .await?;
    Ok(())
}
