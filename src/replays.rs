//! Bulk replay jobs: "retry every failed delivery of this endpoint created since T" (and, if
//! given, before U). A job is a
//! row in `replays`; the delivery engine's runner advances it in small batches (`step`, inside
//! the writer's transaction, so progress and the requeue commit together) and resumes running
//! jobs after a restart from `cursor`.

use sqlx::SqliteConnection;

use crate::db::Db;
use crate::deliveries;
use crate::error::{Error, FieldErrors, Result};
use crate::ids::{DeliveryId, EndpointId, ReplayId};
use crate::tenants::{Owned, TenantUid};
use crate::timestamp::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(rename_all = "lowercase")]
pub enum ReplayStatus {
    Running,
    Completed,
    Failed,
}

impl ReplayStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplayStatus::Running => "running",
            ReplayStatus::Completed => "completed",
            ReplayStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Replay {
    pub id: ReplayId,
    pub endpoint_id: EndpointId,
    pub since: Timestamp,
    /// Only deliveries created before this instant, when set.
    pub until: Option<Timestamp>,
    /// Deliveries with ids from here on were created after the job started: not part of it.
    pub upto: String,
    pub requested_by: String,
    pub status: ReplayStatus,
    pub total: i64,
    pub done: i64,
    pub cursor: Option<String>,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub error: Option<String>,
}

impl Replay {
    pub fn is_running(&self) -> bool {
        self.status == ReplayStatus::Running
    }
}

const COLUMNS: &str = "id, endpoint_id, since, until, upto, requested_by, status, total, done, cursor, \
     created_at, finished_at, error";

/// The failed deliveries created in `[since, until)` (no end when `until` is none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub since: Timestamp,
    pub until: Option<Timestamp>,
}

impl Range {
    /// A range that starts in the past and ends after it starts; the errors name `since` and
    /// `until`.
    pub fn new(since: Timestamp, until: Option<Timestamp>, now: Timestamp) -> Result<Range> {
        let mut errors = FieldErrors::default();
        if since > now {
            errors.add(
                "since",
                "That time is in the future; choose one in the past.",
            );
        }
        if until.is_some_and(|u| u <= since) {
            errors.add("until", "Choose an end after the start.");
        }
        errors.into_result()?;
        Ok(Range { since, until })
    }
}

/// How many deliveries a job started now over `range` would retry.
pub async fn preview(db: &Db, endpoint_id: &EndpointId, range: Range) -> Result<i64> {
    let upto = DeliveryId::generate().to_string();
    deliveries::count_failed_since(db, endpoint_id, (range.since, range.until), &upto).await
}

/// Creates a running job. Conflict when one is already running for the endpoint.
pub async fn create(
    db: &Db,
    endpoint_id: &EndpointId,
    range: Range,
    requested_by: &str,
) -> Result<Replay> {
    let now = Timestamp::now();
    // Every delivery that exists now has a smaller id than one generated now.
    let upto = DeliveryId::generate().to_string();
    let total =
        deliveries::count_failed_since(db, endpoint_id, (range.since, range.until), &upto).await?;
    let inserted = sqlx::query_as(&format!(
        "insert into replays (id, endpoint_id, since, until, upto, requested_by, status, total, created_at)
         values (?, ?, ?, ?, ?, ?, 'running', ?, ?) returning {COLUMNS}"
    ))
    .bind(ReplayId::generate())
    .bind(endpoint_id)
    .bind(range.since)
    .bind(range.until)
    .bind(&upto)
    .bind(requested_by)
    .bind(total)
    .bind(now)
    .fetch_one(db)
    .await;
    match inserted {
        Ok(r) => Ok(r),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(Error::Conflict(
            "A replay of this endpoint is already running; wait for it to finish.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// A replay belongs to its endpoint's tenant.
impl Owned for ReplayId {
    async fn owner(&self, db: &Db) -> Result<Option<Option<TenantUid>>> {
        Ok(sqlx::query_scalar(
            "select e.tenant from replays r join endpoints e on e.id = r.endpoint_id where r.id = ?",
        )
        .bind(self)
        .fetch_optional(db)
        .await?)
    }
}

pub async fn get(db: &Db, id: &ReplayId) -> Result<Replay> {
    sqlx::query_as(&format!("select {COLUMNS} from replays where id = ?"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(Error::NotFound("replay"))
}

/// The endpoint's most recent job, if any.
pub async fn latest(db: &Db, endpoint_id: &EndpointId) -> Result<Option<Replay>> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from replays where endpoint_id = ? order by id desc limit 1"
    ))
    .bind(endpoint_id)
    .fetch_optional(db)
    .await?)
}

/// Jobs still to be worked on, oldest first.
pub async fn running(db: &Db) -> Result<Vec<Replay>> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from replays where status = 'running' order by id"
    ))
    .fetch_all(db)
    .await?)
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub requeued: usize,
    pub finished: bool,
}

/// Requeues the job's next `batch` deliveries and records the progress, in the caller's
/// transaction. A short batch means the walk is over: the job is completed.
pub async fn step(
    conn: &mut SqliteConnection,
    id: &ReplayId,
    batch: u32,
    now: Timestamp,
) -> Result<Step> {
    let replay: Option<Replay> =
        sqlx::query_as(&format!("select {COLUMNS} from replays where id = ?"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(replay) = replay.filter(Replay::is_running) else {
        // Finished meanwhile, or its endpoint (and so the job) was deleted.
        return Ok(Step {
            requeued: 0,
            finished: true,
        });
    };
    let ids = deliveries::requeue_failed(
        conn,
        &replay.endpoint_id,
        (replay.since, replay.until),
        replay.cursor.as_deref(),
        &replay.upto,
        batch,
        now,
    )
    .await?;
    if !ids.is_empty() {
        sqlx::query(
            "insert or ignore into replay_deliveries (replay_id, delivery_id)
             select ?, value from json_each(?)",
        )
        .bind(id)
        .bind(serde_json::to_string(&ids).map_err(anyhow::Error::from)?)
        .execute(&mut *conn)
        .await?;
    }
    let finished = ids.len() < batch as usize;
    // When done, the total becomes what was actually requeued: a delivery counted at the start
    // may have been retried by hand (and succeeded) meanwhile.
    sqlx::query(
        "update replays set done = done + ?1, cursor = coalesce(?2, cursor),
             status = case when ?3 then 'completed' else status end,
             total = case when ?3 then done + ?1 else max(total, done + ?1) end,
             finished_at = case when ?3 then ?4 else finished_at end
         where id = ?5",
    )
    .bind(ids.len() as i64)
    .bind(ids.last())
    .bind(finished)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(Step {
        requeued: ids.len(),
        finished,
    })
}

/// Ends a job that cannot go on; `error` is shown on the endpoint page.
pub async fn fail(db: &Db, id: &ReplayId, error: &str) -> Result<()> {
    sqlx::query(
        "update replays set status = 'failed', error = ?, finished_at = ? where id = ? and status = 'running'",
    )
    .bind(error)
    .bind(Timestamp::now())
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// How the deliveries a job requeued have fared since.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub succeeded: i64,
    pub failed: i64,
    pub pending: i64,
}

pub async fn outcomes(db: &Db, id: &ReplayId) -> Result<Outcomes> {
    let (succeeded, failed, pending): (i64, i64, i64) = sqlx::query_as(
        "select coalesce(sum(d.status = 'succeeded'), 0), coalesce(sum(d.status in ('failed', 'cancelled')), 0),
                coalesce(sum(d.status = 'pending'), 0)
         from replay_deliveries r join deliveries d on d.id = r.delivery_id where r.replay_id = ?",
    )
    .bind(id)
    .fetch_one(db)
    .await?;
    Ok(Outcomes {
        succeeded,
        failed,
        pending,
    })
}
