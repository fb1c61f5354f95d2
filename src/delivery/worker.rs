//! The dispatcher: per-endpoint queues under a global and a per-endpoint concurrency limit, so
//! a slow or dead endpoint only ever occupies its own slots (no head-of-line blocking).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use super::attempt::{Shared, Wait};
use super::budget::{Budget, Held};
use super::writer::Op;
use crate::deliveries::{self, Next};
use crate::ids::{DeliveryId, EndpointId};
use crate::tenants::TenantUid;
use crate::timestamp::Timestamp;
/// Jobs held per endpoint in memory; the rest wait in the table.
const ENDPOINT_QUEUE_CAP: usize = 1000;
/// Longest wait between looks at the table (retries falling due, released work).
const MAX_IDLE: Duration = Duration::from_secs(5);
/// Outcomes that may wait for the writer, per attempt slot.
const UNWRITTEN_PER_SLOT: usize = 4;
/// Most rows claimed from the table in one look.
const CLAIM_BATCH: usize = 500;

struct Dispatcher {
    shared: Shared,
    queues: HashMap<EndpointId, VecDeque<Held>>,
    running: HashMap<EndpointId, usize>,
    /// Attempts running per tenant (`None`: the team's own).
    tenant_running: HashMap<Option<TenantUid>, usize>,
    in_flight: usize,
    max_in_flight: usize,
    per_endpoint: usize,
    /// Jobs held in memory (queued or running); shared with the writer's handoff.
    budget: Budget,
    /// Finished jobs (their slots are freed when the dispatcher drops them) and when a retry
    /// falls due.
    done_tx: mpsc::UnboundedSender<(Held, Option<Timestamp>)>,
    next_look: tokio::time::Instant,
    active: HashSet<DeliveryId>,
    /// Outcomes handed to the writer and not yet committed (see `Wait::Slot`).
    unwritten: Arc<Semaphore>,
    /// Jobs that found their endpoint's queue full, to release together.
    overflow: Vec<DeliveryId>,
}

pub struct Wiring {
    pub jobs: mpsc::UnboundedReceiver<Held>,
    pub wake: Arc<Notify>,
    pub stop: CancellationToken,
    pub budget: Budget,
    pub max_in_flight: usize,
    pub per_endpoint: usize,
    pub drain_deadline: Duration,
}

/// Runs until `stop`, then lets running attempts finish (up to the deadline) and releases the
/// queued rest back to the table.
pub async fn run(shared: Shared, mut w: Wiring) {
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    let mut d = Dispatcher {
        shared,
        queues: HashMap::new(),
        running: HashMap::new(),
        tenant_running: HashMap::new(),
        in_flight: 0,
        max_in_flight: w.max_in_flight,
        per_endpoint: w.per_endpoint,
        budget: w.budget.clone(),
        done_tx,
        active: HashSet::new(),
        next_look: tokio::time::Instant::now(),
        unwritten: Arc::new(Semaphore::new(w.max_in_flight.max(64) * UNWRITTEN_PER_SLOT)),
        overflow: Vec::new(),
    };
    let mut look = true;
    loop {
        if look {
            look = false;
            d.claim_from_table().await;
            d.next_look = tokio::time::Instant::now() + d.until_next_due().await;
        }
        d.start_what_fits();
        if !d.overflow.is_empty() {
            let ids = std::mem::take(&mut d.overflow);
            let _ = d.shared.writer.send(Op::Release { ids });
        }
        tokio::select! {
            _ = w.stop.cancelled() => break,
            Some(job) = w.jobs.recv() => {
                // Take everything waiting, so a burst is queued (or released) in one round.
                d.accept(job);
                while let Ok(job) = w.jobs.try_recv() {
                    d.accept(job);
                }
            }
            Some((held, retry_at)) = done_rx.recv() => {
                d.finished(held);
                if let Some(t) = retry_at {
                    let wait = Duration::from_millis((t.millis() - Timestamp::now().millis()).max(0) as u64);
                    d.next_look = d.next_look.min(tokio::time::Instant::now() + wait);
                }
            }
            _ = w.wake.notified() => look = true,
            _ = tokio::time::sleep_until(d.next_look) => look = true,
        }
    }
    // Shutdown: nothing new starts; queued work goes back to the table; running attempts get
    // until the deadline to finish and be recorded.
    w.jobs.close();
    while let Ok(job) = w.jobs.try_recv() {
        d.accept(job);
    }
    let mut queued: Vec<DeliveryId> = d
        .queues
        .values_mut()
        .flat_map(|q| q.drain(..))
        .map(|h| h.job.delivery_id)
        .collect();
    queued.append(&mut d.overflow);
    if !queued.is_empty() {
        let _ = d.shared.writer.send(Op::Release { ids: queued });
    }
    let deadline = tokio::time::Instant::now() + w.drain_deadline;
    while d.in_flight > 0 {
        match tokio::time::timeout_at(deadline, done_rx.recv()).await {
            Ok(Some((held, _))) => d.finished(held),
            _ => break,
        }
    }
    if d.in_flight > 0 {
        tracing::warn!(
            in_flight = d.in_flight,
            "shutdown deadline passed with attempts still running; they will be retried at next start"
        );
    }
}

impl Dispatcher {
    fn accept(&mut self, held: Held) {
        let job = &held.job;
        if !self.active.insert(job.delivery_id.clone()) {
            return; // already held (a manual retry raced a claim)
        }
        let q = self.queues.entry(job.endpoint_id.clone()).or_default();
        if q.len() >= ENDPOINT_QUEUE_CAP {
            // Back to the table, in one write with the rest of this round's overflow.
            self.active.remove(&job.delivery_id);
            self.overflow.push(held.job.delivery_id);
            return;
        }
        q.push_back(held);
    }

    /// Dropping `held` frees its slot in the budget.
    fn finished(&mut self, held: Held) {
        self.in_flight -= 1;
        if let Some(n) = self.running.get_mut(&held.job.endpoint_id) {
            *n -= 1;
        }
        if let Some(n) = self.tenant_running.get_mut(&held.job.tenant) {
            *n -= 1;
            if *n == 0 {
                self.tenant_running.remove(&held.job.tenant);
            }
        }
        self.active.remove(&held.job.delivery_id);
    }

    /// Starts queued jobs, round-robin over endpoints, while slots are free.
    ///
    /// Fairness: the last quarter of the global slots is kept for those below their share. An
    /// endpoint that already has attempts running may not take it, so several hanging endpoints
    /// together cannot starve a healthy one for a whole timeout; nor may a tenant already
    /// holding its fair share of the slots (all slots / tenants with work), so one tenant's
    /// flood over many endpoints cannot delay another tenant's deliveries.
    fn start_what_fits(&mut self) {
        let shared_slots = (self.max_in_flight - self.max_in_flight / 4).max(1);
        let mut progress = true;
        while progress && self.in_flight < self.max_in_flight {
            progress = false;
            let ids: Vec<(EndpointId, Option<TenantUid>)> = self
                .queues
                .iter()
                .filter_map(|(k, q)| q.front().map(|h| (k.clone(), h.job.tenant.clone())))
                .collect();
            let mut tenants: HashSet<&Option<TenantUid>> = self.tenant_running.keys().collect();
            tenants.extend(ids.iter().map(|(_, t)| t));
            let fair_share = self.max_in_flight.div_ceil(tenants.len().max(1));
            for (id, tenant) in &ids {
                if self.in_flight >= self.max_in_flight {
                    break;
                }
                let running = self.running.get(id).copied().unwrap_or(0);
                let tenant_running = self.tenant_running.get(tenant).copied().unwrap_or(0);
                let reserved = self.in_flight >= shared_slots;
                if running >= self.per_endpoint
                    || (reserved && (running > 0 || tenant_running >= fair_share))
                {
                    continue;
                }
                let Some(held) = self.queues.get_mut(id).and_then(VecDeque::pop_front) else {
                    continue;
                };
                *self.running.entry(id.clone()).or_default() += 1;
                *self
                    .tenant_running
                    .entry(held.job.tenant.clone())
                    .or_default() += 1;
                self.in_flight += 1;
                progress = true;
                let shared = self.shared.clone();
                let done = self.done_tx.clone();
                let unwritten = self.unwritten.clone();
                tokio::spawn(async move {
                    let retry_at = run_job(&shared, &held, &unwritten).await;
                    let _ = done.send((held, retry_at));
                });
            }
        }
        self.queues.retain(|_, q| !q.is_empty());
    }

    async fn claim_from_table(&mut self) {
        let mut tickets = self.budget.take_up_to(CLAIM_BATCH);
        if tickets.is_empty() {
            return;
        }
        let room: HashMap<EndpointId, u32> = self
            .queues
            .iter()
            .map(|(k, q)| (k.clone(), ENDPOINT_QUEUE_CAP.saturating_sub(q.len()) as u32))
            .collect();
        let limit = tickets.len() as u32;
        let claimed = self
            .shared
            .writer
            .ask(|reply| Op::Claim {
                limit,
                per_endpoint: ENDPOINT_QUEUE_CAP as u32,
                room,
                reply,
            })
            .await;
        let jobs = claimed.unwrap_or_else(|e| {
            tracing::error!(error = %e, "claiming due deliveries failed");
            vec![]
        });
        for job in jobs {
            self.accept(Held::new(job, tickets.split_one()));
        }
    }

    /// How long until the table next has due work (bounded by `MAX_IDLE`).
    async fn until_next_due(&self) -> Duration {
        match deliveries::next_due_at(&self.shared.db).await {
            Ok(Some(t)) => {
                let ms = (t.millis() - Timestamp::now().millis()).max(0) as u64;
                Duration::from_millis(ms.max(5)).min(MAX_IDLE)
            }
            _ => MAX_IDLE,
        }
    }
}

/// Attempts a job and hands the outcome to the writer (see `Wait::Slot`); returns when a retry
/// falls due.
async fn run_job(shared: &Shared, held: &Held, unwritten: &Arc<Semaphore>) -> Option<Timestamp> {
    let job = &held.job;
    match shared.run(job, Wait::Slot(unwritten)).await {
        Ok(Some(Next::RetryAt(t))) => Some(t),
        Ok(_) => None,
        Err(e) => {
            tracing::error!(error = %e, delivery = %job.delivery_id, "attempt could not run; releasing it");
            None
        }
    }
}
