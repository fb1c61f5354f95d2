//! Deliveries (one per event × endpoint) and their attempts. `queue` is the SQL the delivery
//! engine runs inside its group commits (insert, claim, release, requeue); `record` stores
//! attempt outcomes; `history`, `activity` and `fan_out` are the reads behind history pages,
//! the API, the overview and the events log.

mod activity;
mod fan_out;
mod history;
mod queue;
mod record;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ids::{AttemptId, DeliveryId, EndpointId, EventId};
use crate::timestamp::Timestamp;

pub use activity::{
    AttemptPoint, Failure, oldest_pending, pending_count_upto, pending_summary, recent_attempts,
    recent_failures, recent_tenant_failures,
};
pub use fan_out::{FanOutRow, FanOutSummary, fan_out, fan_out_summaries};
pub use history::{
    DeliveryFilter, TenantDelivery, for_event, get_in, ids_for_event, list, prune_batch,
    with_attempts,
};
pub use queue::{
    Job, NewDelivery, claim_due, claim_one, count_failed_since, insert_pending, next_due_at,
    release, requeue_failed,
};
pub use record::{Recorded, record};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Succeeded,
    Failed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Pending,
            Status::Succeeded,
            Status::Failed,
            Status::Cancelled,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub endpoint_id: EndpointId,
    pub event_type: String,
    pub status: Status,
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Delivery {
    /// Pending after a failed attempt: not delivered, and the receiver has already said no.
    pub fn is_retrying(&self) -> bool {
        self.status == Status::Pending && self.attempts > 0
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attempt {
    pub id: AttemptId,
    pub delivery_id: DeliveryId,
    pub attempt_no: i64,
    pub started_at: Timestamp,
    pub duration_ms: i64,
    pub url: String,
    #[sqlx(json)]
    pub request_headers: BTreeMap<String, String>,
    pub response_status: Option<i64>,
    #[sqlx(json(nullable))]
    pub response_headers: Option<BTreeMap<String, String>>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub error_kind: Option<String>,
    pub succeeded: bool,
}

const DELIVERY_COLUMNS: &str = "d.id, d.event_id, d.endpoint_id, e.type as event_type, d.status, d.attempts, \
     d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at";
const ATTEMPT_COLUMNS: &str = "id, delivery_id, attempt_no, started_at, duration_ms, url, request_headers, \
     response_status, response_headers, response_body, error, error_kind, succeeded";

/// One attempt's record, as the engine measured it.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub started_at: Timestamp,
    pub duration_ms: i64,
    pub url: String,
    pub request_headers: BTreeMap<String, String>,
    pub response_status: Option<u16>,
    pub response_headers: Option<BTreeMap<String, String>>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub error_kind: Option<&'static str>,
    pub succeeded: bool,
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Succeeded,
    RetryAt(Timestamp),
    Failed,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub delivery_id: DeliveryId,
    pub endpoint_id: EndpointId,
    pub attempt: NewAttempt,
    pub next: Next,
}
