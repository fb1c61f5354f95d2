//! The group-commit writer: every engine write (ingest, outcomes, claims) goes through one task
//! that drains what is waiting and commits it in one transaction. Callers are answered only
//! after the commit, so "202 means committed" holds while hundreds share one fsync.

use std::collections::HashMap;

use sqlx::SqliteConnection;
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};

use super::budget::{Budget, Held};
use super::ingest::{self, Inserts};
use crate::db::Db;
use crate::deliveries::{self, Job, Outcome};
use crate::endpoints;
use crate::error::{Error, Result};
use crate::events::{Ingested, NewEvent, Routing};
use crate::ids::{DeliveryId, EndpointId, ReplayId};
use crate::replays;
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
        rx.await
            .map_err(|_| Error::Internal(anyhow::anyhow!("the delivery engine has stopped")))?
    }
}

/// Jobs the writer hands straight to the dispatcher, and the budget that bounds them.
pub struct Handoff {
    pub jobs: mpsc::UnboundedSender<Held>,
    pub budget: Budget,
}

/// Starts the writer task. It ends when every `Writer` is dropped.
pub fn spawn(
    db: Db,
    handoff: Handoff,
    on_disabled: impl Fn(&[EndpointId]) + Send + Sync + 'static,
) -> (Writer, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Op>();
    let task = tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let ops = std::mem::take(&mut batch);
            run_batch(&db, ops, &handoff, &on_disabled).await;
        }
    });
    (Writer { tx }, task)
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
    /// Endpoints the recorded outcomes auto-disabled.
    disabled: Vec<EndpointId>,
}

impl Pending {
    async fn routing(&mut self, conn: &mut SqliteConnection) -> Result<&Routing> {
        if self.routing.is_none() {
            self.routing = Some(Routing::load(conn).await?);
        }
        Ok(self.routing.as_ref().expect("just loaded"))
    }

    /// Writes the gathered inserts and outcomes, before anything that reads the table.
    async fn settle(&mut self, conn: &mut SqliteConnection, now: Timestamp) -> Result<()> {
        self.inserts.flush(conn, now).await?;
        let outcomes = std::mem::take(&mut self.outcomes);
        self.disabled
            .extend(deliveries::record(conn, &outcomes, now).await?);
        Ok(())
    }
}

/// Runs one batch in one transaction, then answers every caller.
async fn run_batch(db: &Db, ops: Vec<Op>, handoff: &Handoff, on_disabled: &impl Fn(&[EndpointId])) {
    let now = Timestamp::now();
    let mut replies = Vec::with_capacity(ops.len());
    let mut pending = Pending::default();
    let outcome: Result<()> = async {
        // IMMEDIATE takes the write lock up front: a deferred transaction that reads first
        // cannot wait for the lock when it upgrades, and would fail with SQLITE_BUSY.
        let mut tx = db.begin_with("BEGIN IMMEDIATE").await?;
        for op in ops {
            replies.push(apply(&mut tx, &mut pending, op, &handoff.budget, now).await?);
        }
        pending.settle(&mut tx, now).await?;
        if !pending.inserts.triggered.is_empty() {
            let ids: Vec<EndpointId> = pending.inserts.triggered.drain().collect();
            endpoints::mark_triggered(&mut tx, &ids, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
    .await;
    if let Err(e) = &outcome {
        tracing::error!(error = %e, "delivery engine: a write batch failed and was rolled back");
    }
    if !pending.disabled.is_empty() {
        on_disabled(&pending.disabled);
    }
    let committed = outcome.is_ok();
    for reply in replies {
        match reply {
            Reply::Ingest(tx, result, held) => {
                if committed {
                    for job in held {
                        let _ = handoff.jobs.send(job);
                    }
                }
                // Otherwise dropping the jobs gives their budget back.
                answer(tx, result, committed, "the event could not be stored");
            }
            Reply::SendTo(tx, result) => {
                answer(tx, result, committed, "the event could not be stored")
            }
            Reply::Done(done, _hold) => {
                if let Some(tx) = done {
                    let _ = tx.send(());
                }
            }
            Reply::Claim(tx, result) => answer(tx, result, committed, "claim failed"),
            Reply::ClaimOne(tx, result) => answer(tx, result, committed, "claim failed"),
            Reply::ReplayStep(tx, step) => {
                answer(tx, step, committed, "the replay batch was rolled back")
            }
        }
    }
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
            pending.settle(tx, now).await?;
            let jobs = deliveries::claim_due(tx, now, limit, per_endpoint, &room).await;
            Reply::Claim(reply, jobs)
        }
        Op::ClaimOne { id, reply } => {
            pending.settle(tx, now).await?;
            Reply::ClaimOne(reply, deliveries::claim_one(tx, &id, now).await)
        }
        Op::Release { ids } => {
            pending.settle(tx, now).await?;
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

/// The operation's own result once the batch is committed; otherwise an error saying `why`.
fn answer<T>(tx: oneshot::Sender<Result<T>>, result: Result<T>, committed: bool, why: &str) {
    let result = match committed {
        true => result,
        false => Err(Error::Internal(anyhow::anyhow!("{why}"))),
    };
    let _ = tx.send(result);
}
