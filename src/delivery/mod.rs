//! The delivery engine: signs, sends, retries and records outbound webhooks. Everything outside
//! this module holds only a `DeliveryHandle`.
//!
//! Flow: `ingest` → group-commit `writer` (event + delivery rows, born claimed) → in-memory
//! handoff to the `worker` dispatcher → `request::send` → outcome recorded by the writer.
//! Retries and anything not handed over wait in the table and are claimed when due. After a
//! crash, claims are released at start, so in-flight deliveries are attempted again.

mod attempt;
mod budget;
mod health;
mod ingest;
pub mod metrics;
mod probe;
mod prune;
mod replay;
mod request;
pub mod signature;
mod ssrf;
mod worker;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The retry schedule's old path, which the integration tests still use.
pub use crate::retry_schedule as schedule;

use crate::config::Config;
use crate::crypto::Keyring;
use crate::db::Db;
use crate::deliveries::{self, Next};
use crate::endpoints;
use crate::error::{Error, Result};
use crate::events::{Ingested, NewEvent};
use crate::ids::{DeliveryId, EndpointId};
use crate::ssrf::Policy;
pub use health::StoreHealth;
pub use writer::Turn;

use attempt::Wait;
use budget::Budget;
use ssrf::SsrfResolver;
use writer::Op;

/// Jobs held in memory at most (queued plus running); the rest wait in the table.
const MAX_QUEUED: usize = 20_000;
/// How long shutdown waits for running attempts.
const DRAIN_DEADLINE: Duration = Duration::from_secs(10);

/// The engine's whole interface.
#[derive(Clone)]
pub struct DeliveryHandle {
    shared: attempt::Shared,
    resolver: SsrfResolver,
    wake: Arc<Notify>,
    replay_nudge: Arc<Notify>,
    health: health::Health,
    turns: writer::Turns,
}

/// Starts the engine; it stops when `stop` is cancelled (await the returned task to drain).
pub async fn spawn(
    db: Db,
    keyring: Keyring,
    config: &Config,
    stop: CancellationToken,
) -> anyhow::Result<(DeliveryHandle, JoinHandle<()>)> {
    let released = deliveries::release(&mut *db.acquire().await?, None).await?;
    if released > 0 {
        tracing::warn!(
            released,
            "deliveries that were in flight when hookd last stopped will be attempted again"
        );
    }
    let policy = Policy {
        allow_private: config.allow_private_targets,
    };
    let resolver = if config.dns_overrides.is_empty() {
        SsrfResolver::system(policy)?
    } else {
        SsrfResolver::fixed(policy, config.dns_overrides.clone())
    };
    let clients = request::Clients::new(resolver.clone(), policy, &config.wire.user_agent)?;
    let budget = Budget::new(MAX_QUEUED);
    let (jobs_tx, jobs_rx) = mpsc::unbounded_channel();
    let handoff = writer::Handoff {
        jobs: jobs_tx,
        budget: budget.clone(),
    };
    let health = health::Health::default();
    let turns = writer::Turns::default();
    let store = writer::Store {
        db: db.clone(),
        health: health.clone(),
        faults: config.commit_faults.clone(),
        turns: turns.clone(),
    };
    let (writer, writer_task) = writer::spawn(store, handoff, |ids| {
        for id in ids {
            tracing::warn!(
                endpoint = %id,
                "endpoint auto-disabled: all deliveries failed for {} days",
                endpoints::AUTO_DISABLE_DAYS
            );
        }
    });
    let shared = attempt::Shared::new(
        db.clone(),
        keyring,
        clients,
        writer,
        config.retry_schedule.clone(),
        config.wire.clone(),
    );
    let wake = Arc::new(Notify::new());
    let wiring = worker::Wiring {
        jobs: jobs_rx,
        wake: wake.clone(),
        stop: stop.clone(),
        budget,
        max_in_flight: config.delivery_concurrency,
        per_endpoint: config.endpoint_concurrency,
        drain_deadline: DRAIN_DEADLINE,
    };
    let dispatcher = tokio::spawn(worker::run(shared.clone(), wiring));
    let replay_nudge = Arc::new(Notify::new());
    let replayer = tokio::spawn(
        replay::Runner {
            db: db.clone(),
            writer: shared.writer.clone(),
            dispatch: wake.clone(),
            nudge: replay_nudge.clone(),
            batch: config.replay_batch,
            pause: config.replay_pause,
            stop: stop.clone(),
        }
        .run(),
    );
    let pruner = tokio::spawn(prune::run(db, turns.clone(), config.retention_days, stop));
    let handle = DeliveryHandle {
        shared,
        resolver,
        wake,
        replay_nudge,
        health,
        turns,
    };
    let task = tokio::spawn(async move {
        let _ = dispatcher.await;
        let _ = replayer.await;
        let _ = pruner.await;
        // The dispatcher and pruner are done; dropping the last writer senders ends the writer
        // after it has committed everything queued.
        // An attempt still running past the drain deadline holds a sender; don't wait on it.
        let _ = tokio::time::timeout(DRAIN_DEADLINE, writer_task).await;
    });
    Ok((handle, task))
}

impl DeliveryHandle {
    /// A turn at the database for a write outside the engine (see `writer::Turns`): held for
    /// the write's duration, it makes the engine's writer leave the lock free meanwhile.
    pub fn write_turn(&self) -> Turn {
        self.turns.take()
    }

    /// Stores an event and its deliveries; returns after the commit.
    pub async fn ingest(&self, event: NewEvent) -> Result<Ingested> {
        let ingested = self
            .shared
            .writer
            .ask(|reply| Op::Ingest { event, reply })
            .await?;
        if !ingested.duplicate {
            metrics::event_ingested(ingested.deliveries.len());
        }
        Ok(ingested)
    }

    /// Starts a background job that requeues the endpoint's failed deliveries created in
    /// `range`; progress is in the `replays` table. Conflict if one is running for it.
    pub async fn start_replay(
        &self,
        endpoint_id: &EndpointId,
        range: crate::replays::Range,
        requested_by: &str,
    ) -> Result<crate::replays::Replay> {
        let job = crate::replays::create(&self.shared.db, endpoint_id, range, requested_by).await?;
        self.replay_nudge.notify_one();
        Ok(job)
    }

    /// Whether the engine's last commit succeeded; while it fails, ingest answers
    /// `Error::Unavailable`.
    pub fn store_health(&self) -> StoreHealth {
        self.health.get()
    }

    /// Looks at the table now (e.g. after re-enabling an endpoint).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Endpoint settings changed: stop using the cached copy, and look at the table again (a
    /// re-enabled endpoint's waiting deliveries are due at once).
    pub fn endpoint_changed(&self, id: &EndpointId) {
        self.shared.forget(id);
        self.wake();
    }

    /// Attempts a delivery now (a new attempt on the same delivery), waits for it to be
    /// recorded. Conflict if an attempt of it is already queued or running.
    pub async fn retry_now(&self, id: &DeliveryId) -> Result<()> {
        let job = self
            .shared
            .writer
            .ask(|reply| Op::ClaimOne {
                id: id.clone(),
                reply,
            })
            .await?
            .ok_or_else(|| {
                Error::Conflict("an attempt of this delivery is already queued or running".into())
            })?;
        self.attempt_inline(&job).await
    }

    /// A claimed job attempted outside the dispatcher, through the same path, for a caller
    /// who waits for the result.
    async fn attempt_inline(&self, job: &deliveries::Job) -> Result<()> {
        match self.shared.run(job, Wait::Commit).await? {
            Some(Next::RetryAt(_)) => {
                self.wake();
                Ok(())
            }
            Some(_) => Ok(()),
            None => Err(Error::NotFound("endpoint")),
        }
    }
}
