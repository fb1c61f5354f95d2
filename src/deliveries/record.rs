//! Attempt outcomes: the attempt row, the delivery's new state and the hourly roll-ups, for a
//! whole group commit in a few statements; the endpoints' failure streaks go to `endpoints`.

use sqlx::SqliteConnection;

use super::{Next, Outcome, Status};
use crate::endpoints;
use crate::error::Result;
use crate::ids::{AttemptId, DeliveryId, EndpointId};
use crate::stats;
use crate::timestamp::Timestamp;

/// What a batch of outcomes changed that hookd reports as its own events (`self_events`).
#[derive(Debug, Default)]
pub struct Recorded {
    /// Endpoints the batch auto-disabled.
    pub disabled: Vec<EndpointId>,
    /// Deliveries that ran out of retries.
    pub failed: Vec<DeliveryId>,
}

/// Records attempts, moves deliveries and hourly roll-ups on, in a few statements for the whole
/// batch (each statement is a round trip to SQLite's thread), then the endpoints' health.
pub async fn record(
    conn: &mut SqliteConnection,
    outcomes: &[Outcome],
    now: Timestamp,
) -> Result<Recorded> {
    if outcomes.is_empty() {
        return Ok(Recorded::default());
    }
    let rows: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| {
            let a = &o.attempt;
            let (status, next) = match o.next {
                Next::Succeeded => (Status::Succeeded, None),
                Next::RetryAt(t) => (Status::Pending, Some(t.millis())),
                Next::Failed => (Status::Failed, None),
            };
            serde_json::json!({
                "id": AttemptId::generate(), "d": o.delivery_id, "e": o.endpoint_id,
                "started": a.started_at.millis(), "ms": a.duration_ms, "url": a.url,
                "rh": serde_json::to_string(&a.request_headers).unwrap_or_default(),
                "st": a.response_status,
                "rsh": a.response_headers.as_ref().map(|h| serde_json::to_string(h).unwrap_or_default()),
                "body": a.response_body, "err": a.error, "kind": a.error_kind, "ok": a.succeeded,
                "status": status.as_str(), "next": next,
            })
        })
        .collect();
    let batch = serde_json::Value::Array(rows).to_string();
    // Numbered from the delivery's count before this batch; the join skips deliveries that were
    // pruned or went with a deleted endpoint meanwhile.
    sqlx::query(
        "insert into attempts (id, delivery_id, endpoint_id, attempt_no, started_at, duration_ms, url, request_headers,
             response_status, response_headers, response_body, error, error_kind, succeeded)
         select j.value->>'id', j.value->>'d', j.value->>'e', d.attempts + 1, j.value->>'started', j.value->>'ms',
             j.value->>'url', j.value->>'rh', j.value->>'st', j.value->>'rsh', j.value->>'body', j.value->>'err',
             j.value->>'kind', j.value->>'ok'
         from json_each(?) j join deliveries d on d.id = j.value->>'d'",
    )
    .bind(&batch)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "update deliveries set attempts = attempts + 1, status = o.status, next_attempt_at = o.next, claimed_at = null,
             last_status_code = o.st, last_error = o.err, updated_at = ?
         from (select value->>'d' as id, value->>'status' as status, value->>'next' as next, value->>'st' as st,
                      value->>'err' as err from json_each(?)) as o
         where deliveries.id = o.id",
    )
    .bind(now)
    .bind(&batch)
    .execute(&mut *conn)
    .await?;

    let samples: Vec<stats::Sample> = outcomes
        .iter()
        .map(|o| stats::Sample {
            endpoint_id: &o.endpoint_id,
            attempt_failed: o.next != Next::Succeeded,
            response_ms: o.attempt.response_status.map(|_| o.attempt.duration_ms),
        })
        .collect();
    stats::add(&mut *conn, now, &samples).await?;
    let disabled = endpoints::record_health(conn, health(outcomes), now).await?;
    let failed = outcomes
        .iter()
        .filter(|o| o.next == Next::Failed)
        .map(|o| o.delivery_id.clone())
        .collect();
    Ok(Recorded { disabled, failed })
}

/// Each endpoint's outcomes folded in batch order (a success ends the failure streak).
fn health(outcomes: &[Outcome]) -> Vec<(EndpointId, endpoints::HealthTally)> {
    let mut tallies: Vec<(EndpointId, endpoints::HealthTally)> = Vec::new();
    for o in outcomes {
        let at = match tallies.iter().position(|(id, _)| *id == o.endpoint_id) {
            Some(at) => at,
            None => {
                tallies.push((o.endpoint_id.clone(), Default::default()));
                tallies.len() - 1
            }
        };
        let tally = &mut tallies[at].1;
        match o.next {
            Next::Succeeded => tally.delivery_succeeded(),
            Next::RetryAt(_) => tally.attempt_failed(),
            Next::Failed => tally.delivery_failed(),
        }
    }
    tallies
}
