//! Attempt outcomes: the attempt row, the delivery's new state, the hourly roll-ups and the
//! endpoint bookkeeping, for a whole group commit in a few statements.

use sqlx::SqliteConnection;

use super::{Next, Outcome, Status};
use crate::error::Result;
use crate::ids::{AttemptId, EndpointId};
use crate::stats;
use crate::timestamp::Timestamp;

/// Consecutive failed deliveries over at least this long disable an endpoint (with ≥ 10 of them).
pub const AUTO_DISABLE_AFTER: std::time::Duration = std::time::Duration::from_secs(5 * 24 * 3600);
pub const AUTO_DISABLE_MIN_FAILURES: i64 = 10;

/// Records attempts, moves deliveries, hourly roll-ups and endpoint bookkeeping on, in a few
/// statements for the whole batch plus one per endpoint (each statement is a round trip to SQLite's thread).
/// Returns the endpoints that this batch auto-disabled.
pub async fn record(
    conn: &mut SqliteConnection,
    outcomes: &[Outcome],
    now: Timestamp,
) -> Result<Vec<EndpointId>> {
    if outcomes.is_empty() {
        return Ok(vec![]);
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
            ended: match o.next {
                Next::Succeeded => Some(true),
                Next::Failed => Some(false),
                Next::RetryAt(_) => None,
            },
            response_ms: o.attempt.response_status.map(|_| o.attempt.duration_ms),
        })
        .collect();
    stats::add(&mut *conn, now, &samples).await?;

    // Endpoint bookkeeping, folded per endpoint in order: a success ends the failure streak.
    #[derive(Default)]
    struct Fold {
        succeeded: bool,
        failed_since_success: i64,
        attempt_failed: bool,
    }
    let mut folds: Vec<(EndpointId, Fold)> = Vec::new();
    for o in outcomes {
        let at = match folds.iter().position(|(id, _)| *id == o.endpoint_id) {
            Some(at) => at,
            None => {
                folds.push((o.endpoint_id.clone(), Fold::default()));
                folds.len() - 1
            }
        };
        let f = &mut folds[at].1;
        match o.next {
            Next::Succeeded => {
                f.succeeded = true;
                f.failed_since_success = 0;
            }
            Next::RetryAt(_) => f.attempt_failed = true,
            Next::Failed => {
                f.attempt_failed = true;
                f.failed_since_success += 1;
            }
        }
    }
    let mut disabled = Vec::new();
    for (id, f) in folds {
        if f.succeeded {
            sqlx::query(
                "update endpoints set last_success_at = ?1, failure_count = ?2,
                     failing_since = case when ?2 > 0 then ?1 end,
                     last_failure_at = case when ?3 then ?1 else last_failure_at end
                 where id = ?4",
            )
            .bind(now)
            .bind(f.failed_since_success)
            .bind(f.attempt_failed)
            .bind(&id)
            .execute(&mut *conn)
            .await?;
            continue;
        }
        let off: Option<i64> = sqlx::query_scalar(
            "update endpoints set last_failure_at = ?1, failure_count = failure_count + ?5,
                 failing_since = case when ?5 > 0 then coalesce(failing_since, ?1) else failing_since end,
                 enabled = case when enabled and ?5 > 0 and failure_count + ?5 >= ?2 and coalesce(failing_since, ?1) <= ?3
                                then 0 else enabled end,
                 disabled_reason = case when enabled and ?5 > 0 and failure_count + ?5 >= ?2 and coalesce(failing_since, ?1) <= ?3
                                then 'auto: every delivery failed for 5 days (' || (failure_count + ?5) || ' in a row)'
                                else disabled_reason end
             where id = ?4 returning case when enabled = 0 and disabled_reason like 'auto:%' then 1 else 0 end",
        )
        .bind(now)
        .bind(AUTO_DISABLE_MIN_FAILURES)
        .bind(now.minus(AUTO_DISABLE_AFTER))
        .bind(&id)
        .bind(f.failed_since_success)
        .fetch_optional(&mut *conn)
        .await?;
        if off == Some(1) && f.failed_since_success > 0 {
            disabled.push(id);
        }
    }
    Ok(disabled)
}
