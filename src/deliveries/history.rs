//! Delivery history: one delivery with its attempts, an event's deliveries, the filtered and
//! paged history list, and retention.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{ATTEMPT_COLUMNS, Attempt, DELIVERY_COLUMNS, Delivery, Status};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::ids::{DeliveryId, EndpointId, EventId};
use crate::tenants::{Owned, TenantUid, Visibility};
use crate::timestamp::Timestamp;

/// A delivery and its attempts (oldest first), read in one transaction so both come from the
/// same commit (an outcome updates the delivery and adds its attempt together).
/// A delivery belongs to its endpoint's tenant (copied onto the row).
impl Owned for DeliveryId {
    async fn owner(&self, db: &Db) -> Result<Option<Option<TenantUid>>> {
        Ok(
            sqlx::query_scalar("select tenant from deliveries where id = ?")
                .bind(self)
                .fetch_optional(db)
                .await?,
        )
    }
}

pub async fn with_attempts(db: &Db, id: &DeliveryId) -> Result<(Delivery, Vec<Attempt>)> {
    let mut tx = db.begin().await?;
    let d = sqlx::query_as(&format!(
        "select {DELIVERY_COLUMNS} from deliveries d join events e on e.id = d.event_id where d.id = ?"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound("delivery"))?;
    let attempts = sqlx::query_as(&format!(
        "select {ATTEMPT_COLUMNS} from attempts where delivery_id = ? order by attempt_no"
    ))
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((d, attempts))
}

/// An event's deliveries that `who` may see (an event about a tenant may also have gone to the
/// team's own endpoints; the tenant does not see those).
pub async fn for_event(db: &Db, who: &Visibility, event_id: &EventId) -> Result<Vec<Delivery>> {
    Ok(sqlx::query_as(&format!(
        "select {DELIVERY_COLUMNS} from deliveries d join events e on e.id = d.event_id
         where d.event_id = ?1 and (?2 is null or d.tenant = ?2) order by d.id"
    ))
    .bind(event_id)
    .bind(who.tenant())
    .fetch_all(db)
    .await?)
}

/// A delivery with its tenant (its endpoint's; `None` for the team's own).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenantDelivery {
    #[sqlx(flatten)]
    pub delivery: Delivery,
    pub tenant: Option<TenantUid>,
}

/// These deliveries (those that still exist) with their tenants, in id order, inside an open
/// transaction.
pub async fn get_in(
    conn: &mut SqliteConnection,
    ids: &[DeliveryId],
) -> Result<Vec<TenantDelivery>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(sqlx::query_as(&format!(
        "select {DELIVERY_COLUMNS}, d.tenant as tenant from deliveries d join events e on e.id = d.event_id
         where d.id in (select value from json_each(?)) order by d.id"
    ))
    .bind(serde_json::to_string(ids).map_err(anyhow::Error::from)?)
    .fetch_all(conn)
    .await?)
}

/// An event's delivery ids in creation order, inside an open transaction (an idempotent
/// repeat of an ingest answers with them).
pub async fn ids_for_event(
    conn: &mut SqliteConnection,
    event_id: &EventId,
) -> Result<Vec<DeliveryId>> {
    Ok(
        sqlx::query_scalar("select id from deliveries where event_id = ? order by id")
            .bind(event_id)
            .fetch_all(conn)
            .await?,
    )
}

/// Filters of delivery history.
#[derive(Debug, Default, Clone)]
pub struct DeliveryFilter {
    pub endpoint_id: Option<EndpointId>,
    pub status: Option<Status>,
    /// Only deliveries that failed or are retrying after a failed attempt.
    pub failing: bool,
    pub event_type: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// Newest first. `before`/`after` are delivery ids (keyset paging: the cost does not grow with
/// depth); with `after` the page is the one just newer, still returned newest first.
///
/// The WHERE clause holds only the filters given, so SQLite can pick the matching index
/// (`deliveries_endpoint_status`, `deliveries_endpoint_failing`, `deliveries_endpoint_type`, or
/// `deliveries_endpoint`) and walk
/// it in id order; a time window also bounds the id range (ids are UUIDv7: they start with the
/// creation time), so a deep or narrow window does not scan the newer rows first.
pub async fn list(
    db: &Db,
    f: &DeliveryFilter,
    before: Option<&DeliveryId>,
    after: Option<&DeliveryId>,
    limit: u32,
) -> Result<Vec<Delivery>> {
    let mut q = QueryBuilder::<Sqlite>::new(format!(
        "select {LIST_COLUMNS} from deliveries d where 1 = 1"
    ));
    if let Some(endpoint_id) = &f.endpoint_id {
        q.push(" and d.endpoint_id = ")
            .push_bind(endpoint_id.clone());
    }
    if let Some(status) = f.status {
        q.push(" and d.status = ").push_bind(status);
    }
    if f.failing {
        // Written exactly as `deliveries_endpoint_failing`'s condition, so SQLite uses it.
        q.push(" and (d.status = 'failed' or (d.status = 'pending' and d.attempts > 0))");
    }
    if let Some(event_type) = &f.event_type {
        q.push(" and d.event_type = ").push_bind(event_type.clone());
    }
    if let Some(since) = f.since {
        q.push(" and d.created_at >= ").push_bind(since);
        q.push(" and d.id >= ")
            .push_bind(DeliveryId::floor_at(since.minus(ID_CLOCK_SLACK).millis()));
    }
    if let Some(until) = f.until {
        q.push(" and d.created_at < ").push_bind(until);
        q.push(" and d.id < ")
            .push_bind(DeliveryId::floor_at(until.plus(ID_CLOCK_SLACK).millis()));
    }
    if let Some(before) = before {
        q.push(" and d.id < ").push_bind(before.clone());
    }
    if let Some(after) = after {
        q.push(" and d.id > ").push_bind(after.clone());
    }
    q.push(if after.is_some() {
        " order by d.id asc limit "
    } else {
        " order by d.id desc limit "
    })
    .push_bind(limit);
    let mut rows: Vec<Delivery> = q.build_query_as().fetch_all(db).await?;
    if after.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// Like `DELIVERY_COLUMNS`, with the event type copied onto the delivery (no join).
const LIST_COLUMNS: &str = "d.id, d.event_id, d.endpoint_id, d.event_type, d.status, d.attempts, \
     d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at";

/// How far a delivery id's embedded time may be from its `created_at` (both are taken while
/// the row is inserted); the id bound of a time window is widened by this much.
const ID_CLOCK_SLACK: std::time::Duration = std::time::Duration::from_secs(60);

/// Deletes attempts, deliveries and events older than `cutoff`, `batch` rows at a time per
/// table, so the writer lock is never held long. Returns rows deleted.
pub async fn prune_batch(db: &Db, cutoff: Timestamp, batch: u32) -> Result<u64> {
    let mut total = 0;
    for sql in [
        // A pending delivery keeps its whole history until it ends.
        "delete from attempts where rowid in (select a.rowid from attempts a join deliveries d on d.id = a.delivery_id
             where a.started_at < ? and d.status != 'pending' limit ?)",
        "delete from deliveries where rowid in (select rowid from deliveries where created_at < ? and status != 'pending' limit ?)",
        "delete from events where rowid in (select e.rowid from events e where e.created_at < ?
             and not exists (select 1 from deliveries d where d.event_id = e.id) limit ?)",
    ] {
        total += sqlx::query(sql)
            .bind(cutoff)
            .bind(batch)
            .execute(db)
            .await?
            .rows_affected();
    }
    Ok(total)
}
