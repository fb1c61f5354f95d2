//! Hourly per-endpoint roll-ups: deliveries by current state (kept by a trigger on
//! `deliveries`, in each delivery's creation hour), failed attempts and response times (added
//! by the delivery engine with each batch of outcomes); stats, sparklines and charts read a few dozen rows
//! instead of scanning the history.

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;
use sqlx::SqliteConnection;

use crate::db::Db;
use crate::error::Result;
use crate::ids::EndpointId;
use crate::tenants::TenantUid;
use crate::timestamp::Timestamp;

const HOUR_MS: i64 = 3_600_000;

/// Upper bounds (inclusive, ms) of the response-time histogram buckets; one more bucket holds
/// everything slower. Fine enough that an interpolated p95 is within a few percent.
pub const BUCKET_BOUNDS_MS: [i64; 27] = [
    1, 2, 5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000,
    5000, 7500, 10_000, 15_000, 20_000, 30_000,
];

/// What one attempt adds to its endpoint's hour. (Delivery states are counted by the
/// `deliveries_state_rollup` trigger, in the delivery's creation hour.)
#[derive(Debug, Clone)]
pub struct Sample<'a> {
    pub endpoint_id: &'a EndpointId,
    /// The attempt failed (whether or not it will be retried).
    pub attempt_failed: bool,
    /// The response time, when the attempt got an HTTP response.
    pub response_ms: Option<i64>,
}

fn hour_of(t: Timestamp) -> i64 {
    t.millis() - t.millis().rem_euclid(HOUR_MS)
}

fn bucket_of(ms: i64) -> usize {
    BUCKET_BOUNDS_MS.partition_point(|&b| b < ms)
}

/// Adds a batch of samples to the hour of `now`, in two statements. Samples of endpoints
/// deleted meanwhile are dropped.
pub async fn add(
    conn: &mut SqliteConnection,
    now: Timestamp,
    samples: &[Sample<'_>],
) -> Result<()> {
    if samples.is_empty() {
        return Ok(());
    }
    let mut counts: HashMap<&EndpointId, [i64; 3]> = HashMap::new();
    let mut latency: HashMap<(&EndpointId, usize), i64> = HashMap::new();
    for s in samples {
        let c = counts.entry(s.endpoint_id).or_default();
        if s.attempt_failed {
            c[0] += 1;
        }
        if let Some(ms) = s.response_ms {
            c[1] += 1;
            c[2] += ms;
            *latency.entry((s.endpoint_id, bucket_of(ms))).or_default() += 1;
        }
    }
    let counts: Vec<_> = counts
        .into_iter()
        .map(|(id, [failed, n, ms])| (id, failed, n, ms))
        .collect();
    let latency: Vec<_> = latency.into_iter().map(|((id, b), n)| (id, b, n)).collect();
    let hour = hour_of(now);
    // `where true` lets SQLite parse the upsert after a join.
    sqlx::query(
        "insert into endpoint_hourly (endpoint_id, hour, failed_attempts, attempts, duration_ms)
         select j.value->>0, ?1, j.value->>1, j.value->>2, j.value->>3
         from json_each(?2) j join endpoints e on e.id = j.value->>0 where true
         on conflict (endpoint_id, hour) do update set failed_attempts = failed_attempts + excluded.failed_attempts,
             attempts = attempts + excluded.attempts, duration_ms = duration_ms + excluded.duration_ms",
    )
    .bind(hour)
    .bind(serde_json::to_string(&counts).map_err(anyhow::Error::from)?)
    .execute(&mut *conn)
    .await?;
    if !latency.is_empty() {
        sqlx::query(
            "insert into endpoint_latency_hourly (endpoint_id, hour, bucket, count)
             select j.value->>0, ?1, j.value->>1, j.value->>2
             from json_each(?2) j join endpoints e on e.id = j.value->>0 where true
             on conflict (endpoint_id, hour, bucket) do update set count = count + excluded.count",
        )
        .bind(hour)
        .bind(serde_json::to_string(&latency).map_err(anyhow::Error::from)?)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// One endpoint's health over a window: the deliveries created in it, each counted once by its
/// current state, the failed attempts made in it, and response times.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WindowStats {
    pub succeeded: i64,
    pub failed: i64,
    /// Still pending after a failed attempt.
    pub retrying: i64,
    pub failed_attempts: i64,
    pub avg_response_ms: Option<f64>,
    /// Interpolated from the histogram.
    pub p95_response_ms: Option<i64>,
}

impl WindowStats {
    /// Share of tried deliveries that succeeded, 0–100: one still retrying after a failure
    /// has not (yet) been delivered, so it counts against the rate.
    pub fn success_rate(&self) -> Option<f64> {
        success_rate(self.succeeded, self.failed + self.retrying)
    }
}

/// `succeeded` out of `succeeded + not_delivered`, 0–100; `None` when both are zero.
pub fn success_rate(succeeded: i64, not_delivered: i64) -> Option<f64> {
    let tried = succeeded + not_delivered;
    (tried > 0).then(|| succeeded as f64 * 100.0 / tried as f64)
}

/// Stats of the hours that began at or after the hour containing `now - window`.
pub async fn window(
    db: &Db,
    endpoint_id: &EndpointId,
    now: Timestamp,
    window: Duration,
) -> Result<WindowStats> {
    let since = hour_of(now.minus(window));
    type Sums = (i64, i64, i64, i64, i64, i64);
    let (succeeded, failed, retrying, failed_attempts, attempts, duration): Sums = sqlx::query_as(
        "select d.*, a.* from
             (select coalesce(sum(succeeded), 0), coalesce(sum(failed), 0), coalesce(sum(retrying), 0)
              from endpoint_delivery_hourly where endpoint_id = ?1 and hour >= ?2) d,
             (select coalesce(sum(failed_attempts), 0), coalesce(sum(attempts), 0), coalesce(sum(duration_ms), 0)
              from endpoint_hourly where endpoint_id = ?1 and hour >= ?2) a",
    )
    .bind(endpoint_id)
    .bind(since)
    .fetch_one(db)
    .await?;
    let buckets: Vec<(i64, i64)> = sqlx::query_as(
        "select bucket, sum(count) from endpoint_latency_hourly where endpoint_id = ? and hour >= ?
         group by bucket order by bucket",
    )
    .bind(endpoint_id)
    .bind(since)
    .fetch_all(db)
    .await?;
    Ok(WindowStats {
        succeeded,
        failed,
        retrying,
        failed_attempts,
        avg_response_ms: (attempts > 0)
            .then(|| (duration as f64 / attempts as f64 * 10.0).round() / 10.0),
        p95_response_ms: quantile(&buckets, 0.95),
    })
}

/// The `q` quantile of a histogram of (bucket, count), interpolated linearly inside its bucket.
fn quantile(buckets: &[(i64, i64)], q: f64) -> Option<i64> {
    let total: i64 = buckets.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    let rank = q * total as f64;
    let mut seen = 0i64;
    for &(b, n) in buckets {
        if n > 0 && (seen + n) as f64 >= rank {
            let b = b.clamp(0, BUCKET_BOUNDS_MS.len() as i64) as usize;
            let lower = if b == 0 { 0 } else { BUCKET_BOUNDS_MS[b - 1] };
            let Some(&upper) = BUCKET_BOUNDS_MS.get(b) else {
                return Some(lower); // slower than the last bound: say at least that
            };
            let within = ((rank - seen as f64) / n as f64).clamp(0.0, 1.0);
            return Some((lower as f64 + within * (upper - lower) as f64).round() as i64);
        }
        seen += n;
    }
    None
}

/// One endpoint's hour: the deliveries created in it by current state, and the failed
/// attempts made in it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hour {
    pub succeeded: i64,
    pub failed: i64,
    pub retrying: i64,
    pub failed_attempts: i64,
}

/// Per endpoint, the last `hours` hours up to the current one, oldest first (empty hours zero).
pub async fn hourly(
    db: &Db,
    now: Timestamp,
    hours: usize,
) -> Result<HashMap<EndpointId, Vec<Hour>>> {
    let current = hour_of(now);
    let first = current - (hours as i64 - 1) * HOUR_MS;
    let states: Vec<(EndpointId, i64, i64, i64, i64)> = sqlx::query_as(
        "select endpoint_id, hour, succeeded, failed, retrying from endpoint_delivery_hourly
         where hour >= ? and hour <= ?",
    )
    .bind(first)
    .bind(current)
    .fetch_all(db)
    .await?;
    let attempts: Vec<(EndpointId, i64, i64)> = sqlx::query_as(
        "select endpoint_id, hour, failed_attempts from endpoint_hourly
         where hour >= ? and hour <= ? and failed_attempts > 0",
    )
    .bind(first)
    .bind(current)
    .fetch_all(db)
    .await?;
    let mut out: HashMap<EndpointId, Vec<Hour>> = HashMap::new();
    fn slot(
        out: &mut HashMap<EndpointId, Vec<Hour>>,
        (hours, first): (usize, i64),
        id: EndpointId,
        hour: i64,
    ) -> &mut Hour {
        let slots = out
            .entry(id)
            .or_insert_with(|| vec![Hour::default(); hours]);
        &mut slots[((hour - first) / HOUR_MS) as usize]
    }
    for (id, hour, succeeded, failed, retrying) in states {
        let h = slot(&mut out, (hours, first), id, hour);
        (h.succeeded, h.failed, h.retrying) = (succeeded, failed, retrying);
    }
    for (id, hour, failed_attempts) in attempts {
        slot(&mut out, (hours, first), id, hour).failed_attempts = failed_attempts;
    }
    Ok(out)
}

/// A tenant's deliveries over a window, summed over its endpoints, each counted once by its
/// current state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TenantDeliveries {
    pub succeeded: i64,
    pub failed: i64,
    /// Still pending after a failed attempt.
    pub retrying: i64,
}

impl TenantDeliveries {
    /// As `WindowStats::success_rate`: retrying counts against it.
    pub fn success_rate(&self) -> Option<f64> {
        success_rate(self.succeeded, self.failed + self.retrying)
    }
}

/// For each of `uids`, the deliveries created in the last `hours` hours up to the current one
/// (the overview's window); tenants without any are left out.
pub async fn by_tenant(
    db: &Db,
    uids: &[&TenantUid],
    now: Timestamp,
    hours: usize,
) -> Result<HashMap<TenantUid, TenantDeliveries>> {
    if uids.is_empty() {
        return Ok(HashMap::new());
    }
    let first = hour_of(now) - (hours as i64 - 1) * HOUR_MS;
    let rows: Vec<(TenantUid, i64, i64, i64)> = sqlx::query_as(
        "select e.tenant, sum(h.succeeded), sum(h.failed), sum(h.retrying)
         from endpoints e join endpoint_delivery_hourly h on h.endpoint_id = e.id and h.hour >= ?2
         where e.tenant in (select value from json_each(?1)) group by e.tenant",
    )
    .bind(serde_json::to_string(uids).map_err(anyhow::Error::from)?)
    .bind(first)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(uid, succeeded, failed, retrying)| {
            let d = TenantDeliveries {
                succeeded,
                failed,
                retrying,
            };
            (uid, d)
        })
        .collect())
}

/// Drops roll-ups of hours before `cutoff`.
pub async fn prune(db: &Db, cutoff: Timestamp) -> Result<u64> {
    let mut n = 0;
    for sql in [
        "delete from endpoint_hourly where hour < ?",
        "delete from endpoint_latency_hourly where hour < ?",
        "delete from endpoint_delivery_hourly where hour < ?",
    ] {
        n += sqlx::query(sql)
            .bind(cutoff)
            .execute(db)
            .await?
            .rows_affected();
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_inclusive_upper_bounds() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1), 0);
        assert_eq!(bucket_of(2), 1);
        assert_eq!(bucket_of(100), 10);
        assert_eq!(bucket_of(101), 11);
        assert_eq!(bucket_of(30_000), 26);
        assert_eq!(bucket_of(30_001), 27);
    }

    #[test]
    fn the_quantile_interpolates_inside_its_bucket() {
        // 100 attempts: 90 between 40 and 50 ms, 10 between 100 and 150 ms.
        let h = [(bucket_of(45) as i64, 90), (bucket_of(120) as i64, 10)];
        // Rank 95 is half-way through the second bucket (100, 150].
        assert_eq!(quantile(&h, 0.95), Some(125));
        // Rank 45 is half-way through (40, 50].
        assert_eq!(quantile(&h, 0.45), Some(45));
        assert_eq!(quantile(&[], 0.95), None);
        // Slower than every bound: the last bound, as a floor.
        assert_eq!(quantile(&[(27, 3)], 0.95), Some(30_000));
    }

    #[test]
    fn hours_start_on_the_hour() {
        let t = Timestamp::from_millis(5 * HOUR_MS + 1234);
        assert_eq!(hour_of(t), 5 * HOUR_MS);
    }
}
