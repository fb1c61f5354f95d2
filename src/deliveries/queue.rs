//! The delivery queue: rows inserted born claimed or due, claimed by the engine under its
//! group commit, released after a crash or at shutdown, requeued by bulk replays.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::SqliteConnection;

use crate::db::Db;
use crate::error::{Error, Result};
use crate::ids::{DeliveryId, EndpointId, EventId};
use crate::tenants::TenantUid;
use crate::timestamp::Timestamp;

/// A delivery to insert, pending and due now. `claimed` rows are born claimed because the
/// caller hands them straight to the dispatcher (no polling on the happy path).
#[derive(Debug, Clone, Serialize)]
pub struct NewDelivery {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub endpoint_id: EndpointId,
    /// Its endpoint's, so claims, lists and the tenant boundary go by it without a join.
    pub tenant: Option<TenantUid>,
    pub event_type: String,
    pub claimed: bool,
}

/// Inserts deliveries (of any number of events) in one statement: each statement is a round
/// trip to SQLite's thread, and a group commit may carry hundreds of fan-outs.
pub async fn insert_pending(
    conn: &mut SqliteConnection,
    rows: &[NewDelivery],
    now: Timestamp,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into deliveries (id, event_id, endpoint_id, tenant, event_type, status, next_attempt_at, claimed_at, created_at, updated_at)
         select value->>'id', value->>'event_id', value->>'endpoint_id', value->>'tenant', value->>'event_type', 'pending', ?1,
                case when value->>'claimed' then ?1 end, ?1, ?1
         from json_each(?2)",
    )
    .bind(now)
    .bind(serde_json::to_string(rows).map_err(anyhow::Error::from)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Everything one attempt needs, read in the same statement that claims the delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub delivery_id: DeliveryId,
    pub attempts: i64,
    pub event_id: EventId,
    pub event_type: String,
    pub event_data: String,
    pub event_created_at: Timestamp,
    pub endpoint_id: EndpointId,
    /// The tenant the delivery belongs to: the dispatcher shares its slots between tenants.
    pub tenant: Option<TenantUid>,
}

const JOB_SELECT: &str = "select d.id as delivery_id, d.attempts, d.event_id, e.type as event_type, e.data as event_data,
        e.created_at as event_created_at, d.endpoint_id, d.tenant
     from deliveries d join events e on e.id = d.event_id";

/// Claims up to `limit` due deliveries, at most `per_endpoint` from any endpoint and at most
/// the room listed in `room` for the endpoints it names (0 skips one).
pub async fn claim_due(
    conn: &mut SqliteConnection,
    now: Timestamp,
    limit: u32,
    per_endpoint: u32,
    room: &HashMap<EndpointId, u32>,
) -> Result<Vec<Job>> {
    // Seek per endpoint (index deliveries_due_endpoint) rather than walking the due rows in time
    // order: that walk passes every row of full or disabled endpoints, and a large backlog
    // there made each claim scan it all. `indexed by` keeps that plan whatever statistics say:
    // after an ANALYZE on a 1,000,000-row backlog SQLite preferred another index and claims
    // fell from about 9,000 to 650 a second. Each tenant with due work (the team counts as one) gets
    // an equal share, split equally between its eligible endpoints, so a tenant's flood or its
    // many endpoints cannot crowd out another tenant's deliveries.
    let full: Vec<&EndpointId> = room
        .iter()
        .filter(|(_, r)| **r == 0)
        .map(|(id, _)| id)
        .collect();
    let eligible: Vec<(EndpointId, Option<TenantUid>)> = sqlx::query_as(
        "select e.id, e.tenant from endpoints e
         where e.enabled = 1 and e.id not in (select value from json_each(?2))
           and exists (select 1 from deliveries d indexed by deliveries_due_endpoint
                       where d.endpoint_id = e.id and d.status = 'pending'
                       and d.claimed_at is null and d.next_attempt_at <= ?1)",
    )
    .bind(now)
    .bind(serde_json::to_string(&full).unwrap_or_else(|_| "[]".into()))
    .fetch_all(&mut *conn)
    .await?;
    if eligible.is_empty() {
        return Ok(vec![]);
    }
    let mut per_tenant: HashMap<Option<&TenantUid>, u32> = HashMap::new();
    for (_, tenant) in &eligible {
        *per_tenant.entry(tenant.as_ref()).or_default() += 1;
    }
    let tenant_share = limit.div_ceil(per_tenant.len() as u32);
    let mut ids: Vec<DeliveryId> = Vec::new();
    for (endpoint_id, tenant) in &eligible {
        let share = tenant_share
            .div_ceil(per_tenant[&tenant.as_ref()])
            .min(per_endpoint);
        let take = room.get(endpoint_id).map_or(share, |r| share.min(*r));
        ids.extend(
            sqlx::query_scalar::<_, DeliveryId>(
                "update deliveries set claimed_at = ?1 where id in (
                     select id from deliveries indexed by deliveries_due_endpoint
                     where endpoint_id = ?2 and status = 'pending' and claimed_at is null and next_attempt_at <= ?1
                     order by next_attempt_at limit ?3)
                 returning id",
            )
            .bind(now)
            .bind(endpoint_id)
            .bind(take)
            .fetch_all(&mut *conn)
            .await?,
        );
    }
    jobs(conn, &ids).await
}

/// Claims one delivery for a manual retry, whatever its status; `None` if an attempt is already
/// queued or running.
pub async fn claim_one(
    conn: &mut SqliteConnection,
    id: &DeliveryId,
    now: Timestamp,
) -> Result<Option<Job>> {
    let claimed: Option<DeliveryId> = sqlx::query_scalar(
        "update deliveries set claimed_at = ?, status = 'pending', next_attempt_at = ? where id = ? and claimed_at is null returning id",
    )
    .bind(now)
    .bind(now)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match claimed {
        Some(id) => Ok(jobs(conn, &[id]).await?.pop()),
        None => {
            let exists: Option<i64> = sqlx::query_scalar("select 1 from deliveries where id = ?")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            match exists {
                Some(_) => Ok(None),
                None => Err(Error::NotFound("delivery")),
            }
        }
    }
}

/// Jobs for deliveries already claimed (e.g. just inserted claimed).
async fn jobs(conn: &mut SqliteConnection, ids: &[DeliveryId]) -> Result<Vec<Job>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(sqlx::query_as(&format!(
        "{JOB_SELECT} where d.id in (select value from json_each(?)) order by d.next_attempt_at"
    ))
    .bind(serde_json::to_string(ids).unwrap_or_default())
    .fetch_all(conn)
    .await?)
}

/// Un-claims deliveries (at start after a crash, or at shutdown for queued work); they stay due.
pub async fn release(conn: &mut SqliteConnection, ids: Option<&[DeliveryId]>) -> Result<u64> {
    let done = match ids {
        None => {
            sqlx::query("update deliveries set claimed_at = null where claimed_at is not null")
                .execute(conn)
                .await?
        }
        Some(ids) => sqlx::query(
            "update deliveries set claimed_at = null where id in (select value from json_each(?))",
        )
        .bind(serde_json::to_string(ids).unwrap_or_default())
        .execute(conn)
        .await?,
    };
    Ok(done.rows_affected())
}

/// When the next unclaimed pending delivery of an enabled endpoint falls due. (A disabled
/// endpoint's deliveries wait, unclaimed, until it is enabled again.)
pub async fn next_due_at(db: &Db) -> Result<Option<Timestamp>> {
    Ok(sqlx::query_scalar(
        // Per enabled endpoint (one index seek each), so a disabled endpoint's backlog is
        // never walked.
        "select min((select min(d.next_attempt_at) from deliveries d
                     where d.endpoint_id = e.id and d.status = 'pending' and d.claimed_at is null))
         from endpoints e where e.enabled = 1",
    )
    .fetch_one(db)
    .await?)
}

/// Sets up to `limit` failed deliveries of one endpoint back to pending, due now, in id order:
/// those created at or after `since`, with ids above `after` and below `upto`. Attempts are
/// kept. Returns the ids requeued, in id order.
pub async fn requeue_failed(
    conn: &mut SqliteConnection,
    endpoint_id: &EndpointId,
    range: (Timestamp, Option<Timestamp>),
    after: Option<&str>,
    upto: &str,
    limit: u32,
    now: Timestamp,
) -> Result<Vec<DeliveryId>> {
    let (since, until) = range;
    // `floor` bounds the index range by time (ids start with their creation millisecond);
    // `created_at` stays the exact test.
    let floor = DeliveryId::floor_at(since.millis() - 1000);
    let mut ids: Vec<DeliveryId> = sqlx::query_scalar(
        "update deliveries set status = 'pending', next_attempt_at = ?1, claimed_at = null, updated_at = ?1
         where id in (
             select id from deliveries indexed by deliveries_endpoint_status
             where endpoint_id = ?2 and status = 'failed' and id >= ?3 and id > coalesce(?4, '') and id < ?5
               and created_at >= ?6 and (?8 is null or created_at < ?8)
             order by id limit ?7)
         returning id",
    )
    .bind(now)
    .bind(endpoint_id)
    .bind(floor)
    .bind(after)
    .bind(upto)
    .bind(since)
    .bind(limit)
    .bind(until)
    .fetch_all(&mut *conn)
    .await?;
    ids.sort();
    Ok(ids)
}

/// How many deliveries `requeue_failed` would walk through from the start.
pub async fn count_failed_since(
    db: &Db,
    endpoint_id: &EndpointId,
    (since, until): (Timestamp, Option<Timestamp>),
    upto: &str,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select count(*) from deliveries indexed by deliveries_endpoint_status
         where endpoint_id = ? and status = 'failed' and id >= ? and id < ? and created_at >= ?
           and (? is null or created_at < ?)",
    )
    .bind(endpoint_id)
    .bind(DeliveryId::floor_at(since.millis() - 1000))
    .bind(upto)
    .bind(since)
    .bind(until)
    .bind(until)
    .fetch_one(db)
    .await?)
}
