//! The group-commit writer: every engine write (ingest, outcomes, claims) goes through one task
//! that drains what is waiting and commits it in one transaction. Callers are answered only
//! after the commit, so "202 means committed" holds while hundreds share one fsync.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};

use crate::db::Db;
use crate::deliveries::{self, Job, Outcome};
use crate::endpoints::{self, Endpoint};
use crate::error::{Error, Result};
use crate::events::{self, NewEvent, TEST_EVENT_TYPE};
use crate::ids::{DeliveryId, EndpointId, EventId, ReplayId};
use crate::replays;
use crate::timestamp::Timestamp;

/// Most operations folded into one transaction.
const MAX_BATCH: usize = 512;

/// The answer to an ingest.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub event_id: EventId,
    pub event_type: String,
    pub created_at: Timestamp,
    pub deliveries: Vec<DeliveryId>,
    /// True when an idempotency key matched an earlier event: nothing new was created.
    pub duplicate: bool,
    /// For single-endpoint (test) sends: the claimed job, for the caller to attempt inline.
    pub inline: Option<Job>,
}

pub enum Op {
    /// Fan out to every matching enabled endpoint, or only to `only` (test sends).
    Ingest {
        event: NewEvent,
        only: Option<EndpointId>,
        reply: oneshot::Sender<Result<Ingested>>,
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
    pub jobs: mpsc::UnboundedSender<Job>,
    pub queued: Arc<AtomicUsize>,
    pub max_queued: usize,
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
        Vec<Job>,
    ),
    Done(Option<oneshot::Sender<()>>, Option<OwnedSemaphorePermit>),
    Claim(oneshot::Sender<Result<Vec<Job>>>, Result<Vec<Job>>),
    ClaimOne(oneshot::Sender<Result<Option<Job>>>, Result<Option<Job>>),
    ReplayStep(
        oneshot::Sender<Result<replays::Step>>,
        Result<replays::Step>,
    ),
}

/// Events and deliveries of this batch, inserted together (two statements) before anything
/// that reads them and before the commit; and the endpoints they went to.
#[derive(Default)]
struct Inserts {
    events: Vec<NewEvent>,
    deliveries: Vec<deliveries::NewDelivery>,
    triggered: HashSet<EndpointId>,
}

impl Inserts {
    async fn flush(&mut self, conn: &mut sqlx::SqliteConnection, now: Timestamp) -> Result<()> {
        events::insert_many(conn, &self.events).await?;
        deliveries::insert_pending(conn, &self.deliveries, now).await?;
        self.events.clear();
        self.deliveries.clear();
        Ok(())
    }
}

async fn run_batch(db: &Db, ops: Vec<Op>, handoff: &Handoff, on_disabled: &impl Fn(&[EndpointId])) {
    let now = Timestamp::now();
    let mut replies = Vec::with_capacity(ops.len());
    let mut disabled = Vec::new();
    let outcome: Result<()> = async {
        // IMMEDIATE takes the write lock up front: a deferred transaction that reads first
        // cannot wait for the lock when it upgrades, and would fail with SQLITE_BUSY.
        let mut tx = db.begin_with("BEGIN IMMEDIATE").await?;
        let mut catalog: Option<(HashSet<String>, Vec<Endpoint>)> = None;
        let mut outcomes: Vec<Outcome> = Vec::new();
        let mut inserts = Inserts::default();
        for op in ops {
            match op {
                Op::Ingest { event, only, reply } => {
                    if catalog.is_none() {
                        let names = sqlx::query_scalar::<_, String>(
                            "select name from event_types where archived_at is null",
                        )
                        .fetch_all(&mut *tx)
                        .await?;
                        let eps = endpoints::enabled(&mut tx).await?;
                        catalog = Some((names.into_iter().collect(), eps));
                    }
                    let (names, eps) = catalog.as_ref().expect("catalog loaded");
                    // Refusals (unknown type) happen before any write; a database error fails
                    // the whole batch, so no event is ever half stored.
                    let found = (names, eps.as_slice());
                    let result = ingest_one(
                        &mut tx,
                        event,
                        only.as_ref(),
                        found,
                        now,
                        handoff,
                        &mut inserts,
                    );
                    match result.await {
                        Ok((ingested, jobs)) => {
                            replies.push(Reply::Ingest(reply, Ok(ingested), jobs));
                        }
                        Err(e @ Error::Invalid(_)) => {
                            replies.push(Reply::Ingest(reply, Err(e), vec![]))
                        }
                        Err(e) => return Err(e),
                    }
                }
                Op::Record {
                    outcome,
                    done,
                    hold,
                } => {
                    // Recorded together below (or before the next claim), a few statements
                    // for the whole batch.
                    outcomes.push(outcome);
                    replies.push(Reply::Done(done, hold));
                }
                Op::Claim {
                    limit,
                    per_endpoint,
                    room,
                    reply,
                } => {
                    inserts.flush(&mut tx, now).await?;
                    disabled.extend(deliveries::record(&mut tx, &outcomes, now).await?);
                    outcomes.clear();
                    let jobs =
                        deliveries::claim_due(&mut tx, now, limit, per_endpoint, &room).await;
                    replies.push(Reply::Claim(reply, jobs));
                }
                Op::ClaimOne { id, reply } => {
                    inserts.flush(&mut tx, now).await?;
                    disabled.extend(deliveries::record(&mut tx, &outcomes, now).await?);
                    outcomes.clear();
                    let job = deliveries::claim_one(&mut tx, &id, now).await;
                    replies.push(Reply::ClaimOne(reply, job));
                }
                Op::Release { ids } => {
                    inserts.flush(&mut tx, now).await?;
                    disabled.extend(deliveries::record(&mut tx, &outcomes, now).await?);
                    outcomes.clear();
                    deliveries::release(&mut tx, Some(&ids)).await?;
                }
                Op::ReplayStep { id, batch, reply } => {
                    inserts.flush(&mut tx, now).await?;
                    // In a savepoint: a failing replay batch must not take the ingests that
                    // share this transaction down with it.
                    let mut sp = sqlx::Connection::begin(&mut *tx).await?;
                    let step = replays::step(&mut sp, &id, batch, now).await;
                    if step.is_ok() {
                        sp.commit().await?;
                    } else {
                        sp.rollback().await?;
                    }
                    replies.push(Reply::ReplayStep(reply, step));
                }
            }
        }
        inserts.flush(&mut tx, now).await?;
        disabled.extend(deliveries::record(&mut tx, &outcomes, now).await?);
        if !inserts.triggered.is_empty() {
            let ids: Vec<EndpointId> = inserts.triggered.into_iter().collect();
            endpoints::mark_triggered(&mut tx, &ids, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
    .await;
    if let Err(e) = &outcome {
        tracing::error!(error = %e, "delivery engine: a write batch failed and was rolled back");
    }
    if !disabled.is_empty() {
        on_disabled(&disabled);
    }
    for reply in replies {
        match (reply, &outcome) {
            (Reply::Ingest(tx, result, jobs), Ok(())) => {
                for job in jobs {
                    let _ = handoff.jobs.send(job);
                }
                let _ = tx.send(result);
            }
            (Reply::Ingest(tx, _, jobs), Err(_)) => {
                handoff.queued.fetch_sub(jobs.len(), Ordering::SeqCst);
                let _ = tx.send(Err(Error::Internal(anyhow::anyhow!(
                    "the event could not be stored"
                ))));
            }
            (Reply::Done(done, _hold), _) => {
                if let Some(tx) = done {
                    let _ = tx.send(());
                }
            }
            (Reply::Claim(tx, result), Ok(())) => {
                let _ = tx.send(result);
            }
            (Reply::ClaimOne(tx, result), Ok(())) => {
                let _ = tx.send(result);
            }
            (Reply::Claim(tx, _), Err(_)) => {
                let _ = tx.send(Err(Error::Internal(anyhow::anyhow!("claim failed"))));
            }
            (Reply::ClaimOne(tx, _), Err(_)) => {
                let _ = tx.send(Err(Error::Internal(anyhow::anyhow!("claim failed"))));
            }
            (Reply::ReplayStep(tx, step), Ok(())) => {
                let _ = tx.send(step);
            }
            (Reply::ReplayStep(tx, _), Err(_)) => {
                let _ = tx.send(Err(Error::Internal(anyhow::anyhow!(
                    "the replay batch was rolled back"
                ))));
            }
        }
    }
}

async fn ingest_one(
    conn: &mut sqlx::SqliteConnection,
    event: NewEvent,
    only: Option<&EndpointId>,
    (catalog, endpoints): (&HashSet<String>, &[Endpoint]),
    now: Timestamp,
    handoff: &Handoff,
    inserts: &mut Inserts,
) -> Result<(Ingested, Vec<Job>)> {
    if only.is_none() && !catalog.contains(&event.event_type) {
        return Err(Error::invalid(
            "type",
            format!(
                "Unknown or archived event type {:?}; create it first (POST /api/v1/event-types).",
                event.event_type
            ),
        ));
    }
    if only.is_some() && event.event_type != TEST_EVENT_TYPE && !catalog.contains(&event.event_type)
    {
        return Err(Error::invalid(
            "event_type",
            format!("Unknown or archived event type {:?}.", event.event_type),
        ));
    }
    // A key is looked up against everything before it, this batch's inserts included.
    if event.idempotency_key.is_some() {
        inserts.flush(conn, now).await?;
    }
    if let Some(key) = &event.idempotency_key
        && let Some(original) = events::find_by_idempotency_key(conn, key, now).await?
    {
        let ids: Vec<DeliveryId> =
            sqlx::query_scalar("select id from deliveries where event_id = ? order by id")
                .bind(&original.id)
                .fetch_all(&mut *conn)
                .await?;
        let ingested = Ingested {
            event_id: original.id,
            event_type: original.event_type,
            created_at: original.created_at,
            deliveries: ids,
            duplicate: true,
            inline: None,
        };
        return Ok((ingested, vec![]));
    }
    let targets: Vec<EndpointId> = match only {
        Some(id) => vec![id.clone()],
        None => endpoints
            .iter()
            .filter(|e| e.wants(&event.event_type, &event.channels))
            .map(|e| e.id.clone())
            .collect(),
    };
    // Born claimed and handed over in memory when the dispatcher has room; otherwise left for
    // it to claim from the table.
    // Test sends are attempted inline by the caller, so they are born claimed but not handed over.
    let claimed = only.is_some()
        || handoff
            .queued
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |q| {
                (q + targets.len() <= handoff.max_queued).then_some(q + targets.len())
            })
            .is_ok();
    let ids: Vec<DeliveryId> = targets.iter().map(|_| DeliveryId::generate()).collect();
    inserts
        .deliveries
        .extend(
            ids.iter()
                .zip(&targets)
                .map(|(id, endpoint_id)| deliveries::NewDelivery {
                    id: id.clone(),
                    event_id: event.id.clone(),
                    endpoint_id: endpoint_id.clone(),
                    event_type: event.event_type.clone(),
                    claimed,
                }),
        );
    inserts.triggered.extend(targets.iter().cloned());
    let jobs = if claimed {
        ids.iter()
            .zip(&targets)
            .map(|(id, endpoint_id)| Job {
                delivery_id: id.clone(),
                attempts: 0,
                event_id: event.id.clone(),
                event_type: event.event_type.clone(),
                event_data: event.data.get().to_owned(),
                event_created_at: event.created_at,
                endpoint_id: endpoint_id.clone(),
            })
            .collect()
    } else {
        vec![]
    };
    let (inline, jobs) = if only.is_some() {
        (jobs.into_iter().next(), vec![])
    } else {
        (None, jobs)
    };
    let ingested = Ingested {
        event_id: event.id.clone(),
        event_type: event.event_type.clone(),
        created_at: event.created_at,
        deliveries: ids,
        duplicate: false,
        inline,
    };
    let keyed = event.idempotency_key.is_some();
    inserts.events.push(event);
    if keyed {
        // Written at once, so a later event with the same key in this batch finds it.
        inserts.flush(conn, now).await?;
    }
    Ok((ingested, jobs))
}
