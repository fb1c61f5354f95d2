//! Recent activity for the overview, endpoint panels and metrics: attempt timings, the
//! pending backlog, the newest failures.

use crate::db::Db;
use crate::error::Result;
use crate::ids::{DeliveryId, EndpointId};
use crate::tenants::TenantUid;
use crate::timestamp::Timestamp;

/// One attempt's time and outcome, for the response-time chart.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptPoint {
    pub started_at: Timestamp,
    pub duration_ms: i64,
    pub succeeded: bool,
}

/// The endpoint's last `limit` attempts, oldest first (walks `attempts_endpoint_started`).
pub async fn recent_attempts(
    db: &Db,
    endpoint_id: &EndpointId,
    limit: u32,
) -> Result<Vec<AttemptPoint>> {
    let mut rows: Vec<AttemptPoint> = sqlx::query_as(
        "select started_at, duration_ms, succeeded from attempts where endpoint_id = ?
         order by started_at desc limit ?",
    )
    .bind(endpoint_id)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.reverse();
    Ok(rows)
}

/// Pending deliveries and the age of the oldest, for metrics and the overview.
pub async fn pending_summary(db: &Db) -> Result<(i64, Option<Timestamp>)> {
    Ok(
        sqlx::query_as("select count(*), min(created_at) from deliveries where status = 'pending'")
            .fetch_one(db)
            .await?,
    )
}

/// Pending deliveries, counted up to `cap` and no further (`cap + 1` means "more"): the
/// overview must stay fast while a backlog of a million rows drains, and counting them all
/// takes ~0.4 s where counting to 10,000 takes a few ms.
pub async fn pending_count_upto(db: &Db, cap: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select count(*) from (select 1 from deliveries where status = 'pending' limit ?)",
    )
    .bind(cap + 1)
    .fetch_one(db)
    .await?)
}

/// The oldest pending delivery, for the overview.
pub async fn oldest_pending(db: &Db) -> Result<Option<(DeliveryId, EndpointId, Timestamp)>> {
    Ok(sqlx::query_as(
        "select id, endpoint_id, created_at from deliveries where status = 'pending' order by created_at limit 1",
    )
    .fetch_optional(db)
    .await?)
}

/// A failed attempt, as the overview lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Failure {
    pub delivery_id: DeliveryId,
    pub endpoint_id: EndpointId,
    pub event_type: String,
    pub started_at: Timestamp,
    pub response_status: Option<i64>,
    pub error: Option<String>,
}

impl Failure {
    /// Why it failed, in a few words.
    pub fn reason(&self) -> String {
        match (&self.error, self.response_status) {
            (Some(e), _) => e.clone(),
            (None, Some(code)) => format!("HTTP {code}"),
            (None, None) => "failed".to_owned(),
        }
    }
}

/// The newest failed attempts, of one endpoint or of all (index-backed either way).
pub async fn recent_failures(
    db: &Db,
    endpoint_id: Option<&EndpointId>,
    limit: u32,
) -> Result<Vec<Failure>> {
    let filter = if endpoint_id.is_some() {
        "and a.endpoint_id = ?2"
    } else {
        ""
    };
    Ok(sqlx::query_as(&format!(
        "select a.delivery_id, a.endpoint_id, e.type as event_type, a.started_at, a.response_status, a.error
         from attempts a join deliveries d on d.id = a.delivery_id join events e on e.id = d.event_id
         where a.succeeded = 0 {filter} order by a.started_at desc limit ?1"
    ))
    .bind(limit)
    .bind(endpoint_id)
    .fetch_all(db)
    .await?)
}

/// The newest failed attempts to any of one tenant's endpoints.
pub async fn recent_tenant_failures(
    db: &Db,
    tenant: &TenantUid,
    limit: u32,
) -> Result<Vec<Failure>> {
    Ok(sqlx::query_as(
        "select a.delivery_id, a.endpoint_id, e.type as event_type, a.started_at, a.response_status, a.error
         from attempts a join deliveries d on d.id = a.delivery_id join events e on e.id = d.event_id
         where a.succeeded = 0 and a.endpoint_id in (select id from endpoints where tenant = ?1)
         order by a.started_at desc limit ?2",
    )
    .bind(tenant)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
