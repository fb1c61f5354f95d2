//! Retention: deletes attempts, deliveries and events older than `retention_days`, in small
//! batches with pauses so the writer is never held up for long.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::writer::Turns;
use crate::db::Db;
use crate::timestamp::Timestamp;
use crate::{deliveries, stats};

const EVERY: Duration = Duration::from_secs(3600);
const BATCH: u32 = 500;
const PAUSE: Duration = Duration::from_millis(50);
const ROLLUPS_KEPT: Duration = Duration::from_secs(31 * 24 * 3600);

pub async fn run(db: Db, turns: Turns, retention_days: u32, stop: CancellationToken) {
    let keep = Duration::from_secs(u64::from(retention_days) * 24 * 3600);
    loop {
        match run_once(&db, &turns, Timestamp::now().minus(keep), &stop).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                rows = n,
                "retention: pruned old deliveries, attempts and events"
            ),
            Err(e) => tracing::warn!(error = %e, "retention: pruning failed; will try again"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// Prunes everything older than `cutoff`; returns rows deleted.
/// Each write holds a turn (`Turns`), so a busy engine lets it in.
pub async fn run_once(
    db: &Db,
    turns: &Turns,
    cutoff: Timestamp,
    stop: &CancellationToken,
) -> crate::error::Result<u64> {
    let turn = turns.take();
    crate::endpoints::drop_expired_previous_secrets(db, Timestamp::now()).await?;
    // Roll-ups are tiny; they stay for the 30-day stats even when the history goes sooner.
    let mut total = stats::prune(db, cutoff.min(Timestamp::now().minus(ROLLUPS_KEPT))).await?;
    drop(turn);
    loop {
        let turn = turns.take();
        let n = deliveries::prune_batch(db, cutoff, BATCH).await?;
        drop(turn);
        total += n;
        if n == 0 || stop.is_cancelled() {
            return Ok(total);
        }
        tokio::time::sleep(PAUSE).await;
    }
}
