//! An event's fan-out: its deliveries with their endpoints, and per-state counts for a page of
//! the events log.

use std::collections::HashMap;

use super::{DELIVERY_COLUMNS, Delivery, Status};
use crate::db::Db;
use crate::error::Result;
use crate::ids::EventId;

/// One delivery of an event, with the endpoint it went to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FanOutRow {
    #[sqlx(flatten)]
    pub delivery: Delivery,
    pub endpoint_name: String,
    pub endpoint_url: String,
}

impl FanOutRow {
    /// The endpoint's name, or its URL when it has none.
    pub fn endpoint_label(&self) -> &str {
        if self.endpoint_name.is_empty() {
            &self.endpoint_url
        } else {
            &self.endpoint_name
        }
    }
}

/// An event's deliveries with their endpoints' names, in creation order.
pub async fn fan_out(db: &Db, event_id: &EventId) -> Result<Vec<FanOutRow>> {
    Ok(sqlx::query_as(&format!(
        "select {DELIVERY_COLUMNS}, n.name as endpoint_name, n.url as endpoint_url
         from deliveries d join events e on e.id = d.event_id join endpoints n on n.id = d.endpoint_id
         where d.event_id = ? order by d.id"
    ))
    .bind(event_id)
    .fetch_all(db)
    .await?)
}

/// Deliveries per state for each of a page of events (the events log's fan-out column).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FanOutSummary {
    pub succeeded: i64,
    /// Pending with at least one failed attempt.
    pub retrying: i64,
    /// Pending, not attempted yet.
    pub pending: i64,
    pub failed: i64,
    pub cancelled: i64,
}

impl FanOutSummary {
    pub fn total(&self) -> i64 {
        self.succeeded + self.retrying + self.pending + self.failed + self.cancelled
    }
}

pub async fn fan_out_summaries(
    db: &Db,
    event_ids: &[EventId],
) -> Result<HashMap<EventId, FanOutSummary>> {
    let mut out = HashMap::new();
    if event_ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(EventId, Status, bool, i64)> = sqlx::query_as(
        "select event_id, status, attempts > 0, count(*) from deliveries
         where event_id in (select value from json_each(?)) group by event_id, status, attempts > 0",
    )
    .bind(serde_json::to_string(event_ids).map_err(anyhow::Error::from)?)
    .fetch_all(db)
    .await?;
    for (event_id, status, attempted, n) in rows {
        let s: &mut FanOutSummary = out.entry(event_id).or_default();
        match (status, attempted) {
            (Status::Succeeded, _) => s.succeeded += n,
            (Status::Failed, _) => s.failed += n,
            (Status::Cancelled, _) => s.cancelled += n,
            (Status::Pending, true) => s.retrying += n,
            (Status::Pending, false) => s.pending += n,
        }
    }
    Ok(out)
}
