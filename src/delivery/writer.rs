//! The group-commit writer: every engine write (ingest, outcomes, claims) goes through one task
//! that drains what is waiting and commits it in one transaction. Callers are answered only
//! after the commit, so "202 means committed" holds while hundreds share one fsync.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::SqliteConnection;
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};

use super::budget::{Budget, Held};
use super::health::Health;
use super::ingest::{self, Inserts};
use crate::config::CommitFaults;
use crate::db::Db;
use crate::deliveries::{self, Job, Outcome};
use crate::endpoints;
use crate::error::{Error, Result};
use crate::events::{Ingested, NewEvent, Routing};
use crate::ids::{DeliveryId, EndpointId, ReplayId};
use crate::replays;
use crate::self_events;
use crate::timestamp::Timestamp;

/// Most operations folded into one transaction.
const MAX_BATCH: usize = 512;

pub enum Op {
    /// Fan out to every matching enabled endpoint.
    Ingest {
        event: NewEvent,
        reply: oneshot::Sender<Result<Ingested>>,
    },
    /// A test send to one endpoint; the reply is its delivery, claimed, to attempt inline.
    SendTo {
        event: NewEvent,
        endpoint: EndpointId,
        reply: oneshot::Sender<Result<Job>>,
    },
    Record {
        outcome: Outcome,
        done: Option<oneshot::Sender<()>>,
        /// Released after the commit: bounds the outcomes waiting to be written.
        hold: Option<OwnedSemaphorePermit>,
    },
    Claim {
        limit: u32,
        /// At most this many from any one endpoint.
        per_endpoint: u32,
        /// Room left in the queues the dispatcher holds (0: skip that endpoint).
        room: HashMap<EndpointId, u32>,
        reply: oneshot::Sender<Result<Vec<Job>>>,
    },
    ClaimOne {
        id: DeliveryId,
        reply: oneshot::Sender<Result<Option<Job>>>,
    },
    Release {
        ids: Vec<DeliveryId>,
    },
    /// The next batch of a bulk replay: requeue and record progress in one commit.
    ReplayStep {
        id: ReplayId,
        batch: u32,
        reply: oneshot::Sender<Result<replays::Step>>,
    },
}

/// Sends operations to the writer.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::UnboundedSender<Op>,
}

impl Writer {
    pub fn send(&self, op: Op) -> Result<()> {
        self.tx
            .send(op)
            .map_err(|_| Error::Internal(anyhow::anyhow!("the delivery engine has stopped")))
    }

    pub async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<Result<T>>) -> Op) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        self.send(make(tx))?;
        // The writer drops a reply only when its batch failed partway through that operation.
        rx.await.map_err(|_| not_stored())?
    }
}

/// Jobs the writer hands straight to the dispatcher, and the budget that bounds them.
pub struct Handoff {
    pub jobs: mpsc::UnboundedSender<Held>,
    pub budget: Budget,
}

/// Where the writer commits, and what it reports about that.
pub struct Store {
    pub db: Db,
    pub health: Health,
    /// The test hook (see `Config::commit_faults`).
    pub faults: CommitFaults,
    pub turns: Turns,
}

/// Starts the writer task. It ends when every `Writer` is dropped.
///
/// A batch that cannot commit is rolled back on a connection that is then closed (a failed
/// COMMIT can leave sqlx's idea of the transaction wrong), its callers are told to try again,
/// and what the engine must not lose (attempt outcomes, releases) is kept and tried again
/// after a short pause, with a probe write, until a commit succeeds.
pub fn spawn(
    store: Store,
    handoff: Handoff,
    on_disabled: impl Fn(&[EndpointId]) + Send + Sync + 'static,
) -> (Writer, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Op>();
    let task = tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut kept = Kept::default();
        let mut backoff = FIRST_BACKOFF;
        let mut last_gap = tokio::time::Instant::now();
        loop {
            let open = if store.health.is_failing() {
                // Don't wait for new work: kept work and the probe go again after the pause.
                let next = tokio::time::timeout(backoff, rx.recv_many(&mut batch, MAX_BATCH));
                !matches!(next.await, Ok(0))
            } else {
                rx.recv_many(&mut batch, MAX_BATCH).await > 0
            };
            if !open && kept.is_empty() {
                break;
            }
            let mut ops = kept.into_ops();
            ops.append(&mut batch);
            kept = run_batch(&store, ops, &handoff, &on_disabled).await;
            if last_gap.elapsed() >= BETWEEN_GAPS && store.turns.step_aside().await {
                last_gap = tokio::time::Instant::now();
            }
            backoff = match store.health.is_failing() {
                true => (backoff * 2).min(MAX_BACKOFF),
                false => FIRST_BACKOFF,
            };
            if !open {
                if !kept.is_empty() {
                    tracing::error!(
                        outcomes = kept.outcomes.len(),
                        "stopping with attempt outcomes that could not be stored; those \
                         deliveries stay claimed and are attempted again at next start"
                    );
                }
                break;
            }
        }
    });
    (Writer { tx }, task)
}

/// Longest the writer stays out of the lock for writers waiting their turn, and how long it
/// then keeps going before it steps aside again (so a request that holds a turn for long, e.g.
/// a slow test send, costs the engine at most a fifth of its time).
const LOCK_GAP: Duration = Duration::from_millis(110);
const BETWEEN_GAPS: Duration = Duration::from_millis(450);
const GAP_STEP: Duration = Duration::from_millis(2);

/// Writers other than the engine's (dashboard and API edits, retention) take a turn while they
/// run. Back-to-back group commits retake SQLite's write lock the moment they commit, and the
/// busy handler other connections wait in retries only every 100 ms at its slowest, so without
/// this they would time out with "database is locked" whenever the engine is busy. With it the
/// writer leaves the lock free while someone waits, and never pauses when nobody does.
#[derive(Clone, Default)]
pub struct Turns(Arc<AtomicUsize>);

/// Held while a writer outside the engine runs; dropping it ends the turn.
pub struct Turn(Arc<AtomicUsize>);

impl Turns {
    pub fn take(&self) -> Turn {
        self.0.fetch_add(1, Ordering::SeqCst);
        Turn(self.0.clone())
    }

    fn waiting(&self) -> bool {
        self.0.load(Ordering::SeqCst) > 0
    }

    /// Pauses while someone waits, up to `LOCK_GAP`; true when it paused.
    async fn step_aside(&self) -> bool {
        if !self.waiting() {
            return false;
        }
        let start = tokio::time::Instant::now();
        while self.waiting() && start.elapsed() < LOCK_GAP {
            tokio::time::sleep(GAP_STEP).await;
        }
        true
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// First pause before a failed batch's kept work is tried again; it doubles up to the max.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// What a failed batch must not lose, written by a later one.
#[derive(Default)]
struct Kept {
    outcomes: Vec<Outcome>,
    released: Vec<DeliveryId>,
}

impl Kept {
    fn is_empty(&self) -> bool {
        self.outcomes.is_empty() && self.released.is_empty()
    }

    /// Keeps what `op` must write; answers its caller, if any, that nothing was stored.
    fn keep(&mut self, op: Op) {
        match op {
            Op::Record { outcome, done, .. } => {
                self.outcomes.push(outcome);
                if let Some(done) = done {
                    let _ = done.send(());
                }
            }
            Op::Release { ids } => self.released.extend(ids),
            Op::Ingest { reply, .. } => drop(reply.send(Err(not_stored()))),
            Op::SendTo { reply, .. } => drop(reply.send(Err(not_stored()))),
            Op::Claim { reply, .. } => drop(reply.send(Err(not_stored()))),
            Op::ClaimOne { reply, .. } => drop(reply.send(Err(not_stored()))),
            Op::ReplayStep { reply, .. } => drop(reply.send(Err(not_stored()))),
        }
    }

    fn into_ops(self) -> Vec<Op> {
        let mut ops: Vec<Op> = self
            .outcomes
            .into_iter()
            .map(|outcome| Op::Record {
                outcome,
                done: None,
                hold: None,
            })
            .collect();
        if !self.released.is_empty() {
            ops.push(Op::Release { ids: self.released });
        }
        ops
    }
}

/// What callers of a batch that did not commit are told.
fn not_stored() -> Error {
    Error::Unavailable(
        "hookd cannot write to its database right now; nothing was stored. Try again later.".into(),
    )
}

enum Reply {
    Ingest(
        oneshot::Sender<Result<Ingested>>,
        Result<Ingested>,
        Vec<Held>,
    ),
    SendTo(oneshot::Sender<Result<Job>>, Result<Job>),
    Done(Option<oneshot::Sender<()>>, Option<OwnedSemaphorePermit>),
    Claim(oneshot::Sender<Result<Vec<Job>>>, Result<Vec<Job>>),
    ClaimOne(oneshot::Sender<Result<Option<Job>>>, Result<Option<Job>>),
    ReplayStep(
        oneshot::Sender<Result<replays::Step>>,
        Result<replays::Step>,
    ),
}

/// What a batch has gathered and not yet written: inserts, outcomes, and the routing read once
/// for its ingests.
#[derive(Default)]
struct Pending {
    routing: Option<Routing>,
    inserts: Inserts,
    outcomes: Vec<Outcome>,
    /// Outcomes written in this transaction: kept again if it does not commit.
    written: Vec<Outcome>,
    /// Deliveries released in this transaction, likewise.
    released: Vec<DeliveryId>,
    /// Endpoints the recorded outcomes auto-disabled.
    disabled: Vec<EndpointId>,
    /// Deliveries of hookd's own events, handed to the dispatcher once committed.
    held: Vec<Held>,
}

impl Pending {
    async fn routing(&mut self, conn: &mut SqliteConnection) -> Result<&Routing> {
        if self.routing.is_none() {
            self.routing = Some(Routing::load(conn).await?);
        }
        Ok(self.routing.as_ref().expect("just loaded"))
    }

    /// Writes the gathered inserts and outcomes, before anything that reads the table, and
    /// the events about hookd itself those outcomes cause (in the same transaction: they are
    /// stored exactly when their cause is, and written again with it if this batch fails).
    async fn settle(
        &mut self,
        conn: &mut SqliteConnection,
        budget: &Budget,
        now: Timestamp,
    ) -> Result<()> {
        self.inserts.flush(conn, now).await?;
        let outcomes = std::mem::take(&mut self.outcomes);
        let recorded = deliveries::record(conn, &outcomes, now).await;
        self.written.extend(outcomes);
        let recorded = recorded?;
        self.disabled.extend(recorded.disabled.iter().cloned());
        let events = self_events::gather(conn, &recorded, now).await?;
        if events.is_empty() {
            return Ok(());
        }
        let gone = self.disabled.clone();
        for event in events {
            let targets = self.routing(conn).await?.self_event_targets(&event, &gone);
            // Stored only when someone listens: an install that subscribes to none of them
            // writes nothing more per failure.
            if targets.is_empty() {
                continue;
            }
            let (_, held) =
                ingest::fan_out(conn, &mut self.inserts, event, targets, budget, now).await?;
            self.held.extend(held);
        }
        self.inserts.flush(conn, now).await
    }
}

/// Runs one batch in one transaction, then answers every caller; returns what must be
/// written again because the batch did not commit.
async fn run_batch(
    store: &Store,
    ops: Vec<Op>,
    handoff: &Handoff,
    on_disabled: &impl Fn(&[EndpointId]),
) -> Kept {
    let now = Timestamp::now();
    let mut replies = Vec::with_capacity(ops.len());
    let mut pending = Pending::default();
    let mut ops = ops.into_iter();
    let mut conn = None;
    let outcome: Result<()> = async {
        let conn = conn.insert(store.db.acquire().await?);
        // IMMEDIATE takes the write lock up front: a deferred transaction that reads first
        // cannot wait for the lock when it upgrades, and would fail with SQLITE_BUSY.
        let mut tx = sqlx::Connection::begin_with(&mut **conn, "BEGIN IMMEDIATE").await?;
        if store.health.is_failing() {
            probe(&mut tx).await?;
        }
        for op in ops.by_ref() {
            replies.push(apply(&mut tx, &mut pending, op, &handoff.budget, now).await?);
        }
        pending.settle(&mut tx, &handoff.budget, now).await?;
        if !pending.inserts.triggered.is_empty() {
            let ids: Vec<EndpointId> = pending.inserts.triggered.drain().collect();
            endpoints::mark_triggered(&mut tx, &ids, now).await?;
        }
        if store.faults.take() {
            return Err(
                anyhow::anyhow!("database or disk is full (injected by the test hook)").into(),
            );
        }
        tx.commit().await?;
        Ok(())
    }
    .await;
    let mut kept = Kept::default();
    let committed = match outcome {
        Ok(()) => {
            store.health.committed();
            true
        }
        Err(e) => {
            // The cause as SQLite put it ("(code: 13) database or disk is full"), for health.
            let cause = match &e {
                Error::Internal(inner) => inner.root_cause().to_string(),
                other => other.to_string(),
            };
            tracing::error!(error = %e, "delivery engine: a write batch failed and was rolled back; its outcomes will be written again");
            store.health.failed(cause);
            // Never reuse a connection whose transaction failed: after a failed COMMIT sqlx
            // may count a transaction that SQLite already rolled back, and every later BEGIN
            // on it would fail. Closing it rolls back whatever is left.
            if let Some(conn) = conn.as_mut() {
                conn.close_on_drop();
            }
            kept.outcomes = std::mem::take(&mut pending.written);
            kept.outcomes.append(&mut pending.outcomes);
            kept.released = std::mem::take(&mut pending.released);
            for op in ops {
                kept.keep(op);
            }
            false
        }
    };
    drop(conn);
    if committed && !pending.disabled.is_empty() {
        on_disabled(&pending.disabled);
    }
    if committed {
        for job in std::mem::take(&mut pending.held) {
            let _ = handoff.jobs.send(job);
        }
    }
    // Otherwise dropping the held jobs gives their budget back.
    for reply in replies {
        match reply {
            Reply::Ingest(tx, result, held) => {
                if committed {
                    for job in held {
                        let _ = handoff.jobs.send(job);
                    }
                }
                // Otherwise dropping the jobs gives their budget back.
                answer(tx, result, committed);
            }
            Reply::SendTo(tx, result) => answer(tx, result, committed),
            Reply::Done(done, _hold) => {
                if let Some(tx) = done {
                    let _ = tx.send(());
                }
            }
            Reply::Claim(tx, result) => answer(tx, result, committed),
            Reply::ClaimOne(tx, result) => answer(tx, result, committed),
            Reply::ReplayStep(tx, step) => answer(tx, step, committed),
        }
    }
    kept
}

/// While the store is failing, every batch writes something, so that a commit that succeeds
/// shows the store takes writes again (an empty transaction commits even on a full disk).
async fn probe(tx: &mut SqliteConnection) -> Result<()> {
    let version: i64 = sqlx::query_scalar("pragma user_version")
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(&format!("pragma user_version = {version}"))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Applies one operation inside the batch's transaction. An `Err` fails the whole batch; a
/// refusal (e.g. an unknown event type) is the caller's answer, written nowhere.
async fn apply(
    tx: &mut SqliteConnection,
    pending: &mut Pending,
    op: Op,
    budget: &Budget,
    now: Timestamp,
) -> Result<Reply> {
    Ok(match op {
        Op::Ingest { event, reply } => match pending.routing(tx).await?.fan_out(&event) {
            Ok(targets) => {
                let inserts = &mut pending.inserts;
                let (ingested, held) =
                    ingest::fan_out(tx, inserts, event, targets, budget, now).await?;
                Reply::Ingest(reply, Ok(ingested), held)
            }
            Err(e) => Reply::Ingest(reply, Err(e), vec![]),
        },
        Op::SendTo {
            event,
            endpoint,
            reply,
        } => {
            let checked = pending.routing(tx).await?.check_test(&event);
            let job = checked.map(|()| ingest::send_to(&mut pending.inserts, event, endpoint));
            Reply::SendTo(reply, job)
        }
        Op::Record {
            outcome,
            done,
            hold,
        } => {
            // Recorded together at the end (or before the next claim), a few statements for
            // the whole batch.
            pending.outcomes.push(outcome);
            Reply::Done(done, hold)
        }
        Op::Claim {
            limit,
            per_endpoint,
            room,
            reply,
        } => {
            pending.settle(tx, budget, now).await?;
            let jobs = deliveries::claim_due(tx, now, limit, per_endpoint, &room).await;
            Reply::Claim(reply, jobs)
        }
        Op::ClaimOne { id, reply } => {
            pending.settle(tx, budget, now).await?;
            Reply::ClaimOne(reply, deliveries::claim_one(tx, &id, now).await)
        }
        Op::Release { ids } => {
            pending.released.extend(ids.iter().cloned());
            pending.settle(tx, budget, now).await?;
            deliveries::release(tx, Some(&ids)).await?;
            Reply::Done(None, None) // nobody waits on a release
        }
        Op::ReplayStep { id, batch, reply } => {
            pending.inserts.flush(tx, now).await?;
            // In a savepoint: a failing replay batch must not take the ingests that share this
            // transaction down with it.
            let mut sp = sqlx::Connection::begin(&mut *tx).await?;
            let step = replays::step(&mut sp, &id, batch, now).await;
            if step.is_ok() {
                sp.commit().await?;
            } else {
                sp.rollback().await?;
            }
            Reply::ReplayStep(reply, step)
        }
    })
}

/// The operation's own result once the batch is committed; otherwise: nothing was stored.
fn answer<T>(tx: oneshot::Sender<Result<T>>, result: Result<T>, committed: bool) {
    let result = match committed {
        true => result,
        false => Err(not_stored()),
    };
    let _ = tx.send(result);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_writer_steps_aside_only_while_a_turn_is_held() {
        let turns = Turns::default();
        assert!(!turns.step_aside().await, "nobody waits: no pause");

        let turn = turns.take();
        let other = turns.clone();
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            drop(turn);
        });
        let start = std::time::Instant::now();
        assert!(other.step_aside().await, "a turn is held: it pauses");
        release.await.unwrap();
        assert!(!other.waiting(), "the turn ended with its guard");
        assert!(
            start.elapsed() >= Duration::from_millis(10),
            "it waited for the turn to end"
        );
        assert!(!other.step_aside().await, "and no longer pauses");
    }
}
