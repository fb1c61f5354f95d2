//! Deliveries (one per event × endpoint) and their attempts: the SQL the delivery engine runs
//! inside its group commits, and the reads behind history pages, the API and endpoint stats.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::db::Db;
use crate::error::{Error, Result};
use crate::ids::{AttemptId, DeliveryId, EndpointId, EventId};
use crate::stats;
use crate::timestamp::Timestamp;

/// Consecutive failed deliveries over at least this long disable an endpoint (with ≥ 10 of them).
pub const AUTO_DISABLE_AFTER: std::time::Duration = std::time::Duration::from_secs(5 * 24 * 3600);
pub const AUTO_DISABLE_MIN_FAILURES: i64 = 10;

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

/// A delivery to insert, pending and due now. `claimed` rows are born claimed because the
/// caller hands them straight to the dispatcher (no polling on the happy path).
#[derive(Debug, Clone, Serialize)]
pub struct NewDelivery {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub endpoint_id: EndpointId,
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
        "insert into deliveries (id, event_id, endpoint_id, event_type, status, next_attempt_at, claimed_at, created_at, updated_at)
         select value->>'id', value->>'event_id', value->>'endpoint_id', value->>'event_type', 'pending', ?1,
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
}

const JOB_SELECT: &str = "select d.id as delivery_id, d.attempts, d.event_id, e.type as event_type, e.data as event_data,
        e.created_at as event_created_at, d.endpoint_id
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
    // there made each claim scan it all. Each eligible endpoint gets an equal share.
    let full: Vec<&EndpointId> = room
        .iter()
        .filter(|(_, r)| **r == 0)
        .map(|(id, _)| id)
        .collect();
    let eligible: Vec<EndpointId> = sqlx::query_scalar(
        "select e.id from endpoints e
         where e.enabled = 1 and e.id not in (select value from json_each(?2))
           and exists (select 1 from deliveries d where d.endpoint_id = e.id and d.status = 'pending'
                       and d.claimed_at is null and d.next_attempt_at <= ?1)",
    )
    .bind(now)
    .bind(serde_json::to_string(&full).unwrap_or_else(|_| "[]".into()))
    .fetch_all(&mut *conn)
    .await?;
    if eligible.is_empty() {
        return Ok(vec![]);
    }
    let share = limit.div_ceil(eligible.len() as u32).min(per_endpoint);
    let mut ids: Vec<DeliveryId> = Vec::new();
    for endpoint_id in &eligible {
        let take = room.get(endpoint_id).map_or(share, |r| share.min(*r));
        ids.extend(
            sqlx::query_scalar::<_, DeliveryId>(
                "update deliveries set claimed_at = ?1 where id in (
                     select id from deliveries
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
pub async fn jobs(conn: &mut SqliteConnection, ids: &[DeliveryId]) -> Result<Vec<Job>> {
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

/// A delivery and its attempts (oldest first), read in one transaction so both come from the
/// same commit (an outcome updates the delivery and adds its attempt together).
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

pub async fn for_event(db: &Db, event_id: &EventId) -> Result<Vec<Delivery>> {
    Ok(sqlx::query_as(&format!(
        "select {DELIVERY_COLUMNS} from deliveries d join events e on e.id = d.event_id where d.event_id = ? order by d.id"
    ))
    .bind(event_id)
    .fetch_all(db)
    .await?)
}

/// Filters of delivery history.
#[derive(Debug, Default, Clone)]
pub struct DeliveryFilter {
    pub endpoint_id: Option<EndpointId>,
    pub status: Option<Status>,
    pub event_type: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// Newest first. `before`/`after` are delivery ids (keyset paging: the cost does not grow with
/// depth); with `after` the page is the one just newer, still returned newest first.
///
/// The WHERE clause holds only the filters given, so SQLite can pick the matching index
/// (`deliveries_endpoint_status`, `deliveries_endpoint_type`, or `deliveries_endpoint`) and walk
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

// ---- bulk replay and the events log ---------------------------------------------------------

/// Sets up to `limit` failed deliveries of one endpoint back to pending, due now, in id order:
/// those created at or after `since`, with ids above `after` and below `upto`. Attempts are
/// kept. Returns the ids requeued, in id order.
pub async fn requeue_failed(
    conn: &mut SqliteConnection,
    endpoint_id: &EndpointId,
    since: Timestamp,
    after: Option<&str>,
    upto: &str,
    limit: u32,
    now: Timestamp,
) -> Result<Vec<DeliveryId>> {
    // `floor` bounds the index range by time (ids start with their creation millisecond);
    // `created_at` stays the exact test.
    let floor = DeliveryId::floor_at(since.millis() - 1000);
    let mut ids: Vec<DeliveryId> = sqlx::query_scalar(
        "update deliveries set status = 'pending', next_attempt_at = ?1, claimed_at = null, updated_at = ?1
         where id in (
             select id from deliveries indexed by deliveries_endpoint_status
             where endpoint_id = ?2 and status = 'failed' and id >= ?3 and id > coalesce(?4, '') and id < ?5
               and created_at >= ?6
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
    .fetch_all(&mut *conn)
    .await?;
    ids.sort();
    Ok(ids)
}

/// How many deliveries `requeue_failed` would walk through from the start.
pub async fn count_failed_since(
    db: &Db,
    endpoint_id: &EndpointId,
    since: Timestamp,
    upto: &str,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select count(*) from deliveries indexed by deliveries_endpoint_status
         where endpoint_id = ? and status = 'failed' and id >= ? and id < ? and created_at >= ?",
    )
    .bind(endpoint_id)
    .bind(DeliveryId::floor_at(since.millis() - 1000))
    .bind(upto)
    .bind(since)
    .fetch_one(db)
    .await?)
}

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
) -> Result<std::collections::HashMap<EventId, FanOutSummary>> {
    let mut out = std::collections::HashMap::new();
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
