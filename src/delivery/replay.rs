//! The bulk-replay runner: works through running `replays` jobs one batch at a time, each batch
//! a writer operation (so it shares the single writer with ingest instead of fighting it for
//! SQLite's lock), and wakes the dispatcher after each so requeued deliveries go out at once.
//! Jobs left running by a stop or crash are picked up again at start.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::writer::{Op, Writer};
use crate::db::Db;
use crate::error::Error;
use crate::replays::{self, Replay};

/// Looks at the table this often even without a nudge (e.g. after a failed read).
const IDLE_CHECK: Duration = Duration::from_secs(60);

pub struct Runner {
    pub db: Db,
    pub writer: Writer,
    /// Wakes the dispatcher.
    pub dispatch: Arc<Notify>,
    /// Nudged when a job is created.
    pub nudge: Arc<Notify>,
    pub batch: u32,
    pub pause: Duration,
    pub stop: CancellationToken,
}

impl Runner {
    pub async fn run(self) {
        loop {
            match replays::running(&self.db).await {
                Ok(jobs) => {
                    for job in jobs {
                        if self.stop.is_cancelled() {
                            return;
                        }
                        self.run_job(&job).await;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "replay: cannot read the jobs; will try again")
                }
            }
            tokio::select! {
                _ = self.stop.cancelled() => return,
                _ = self.nudge.notified() => {}
                _ = tokio::time::sleep(IDLE_CHECK) => {}
            }
        }
    }

    /// Runs one job to its end, or until `stop` (it stays running and resumes at next start).
    async fn run_job(&self, job: &Replay) {
        tracing::info!(replay = %job.id, endpoint = %job.endpoint_id, done = job.done, total = job.total, "replay: working");
        loop {
            let step = self
                .writer
                .ask(|reply| Op::ReplayStep {
                    id: job.id.clone(),
                    batch: self.batch.max(1),
                    reply,
                })
                .await;
            match step {
                Ok(step) => {
                    if step.requeued > 0 {
                        self.dispatch.notify_one();
                    }
                    if step.finished {
                        tracing::info!(replay = %job.id, "replay: every delivery requeued");
                        return;
                    }
                }
                Err(Error::Unavailable(_)) => {
                    // The store cannot commit now: the batch was not written; try it again.
                    tracing::warn!(replay = %job.id, "replay: the store is failing; waiting");
                }
                Err(e) => {
                    tracing::error!(replay = %job.id, error = %e, "replay: a batch failed; the job stops");
                    if let Err(e) = replays::fail(
                        &self.db,
                        &job.id,
                        "The job stopped after an internal error; hookd's log has the details.",
                    )
                    .await
                    {
                        tracing::error!(replay = %job.id, error = %e, "replay: cannot mark the job failed");
                    }
                    return;
                }
            }
            tokio::select! {
                _ = self.stop.cancelled() => return,
                _ = tokio::time::sleep(self.pause) => {}
            }
        }
    }
}
