//! One attempt, whoever asked for it (the dispatcher, a test send, a manual retry): the
//! endpoint as it is now (cached briefly), the signed request, the retry decision, and the
//! outcome handed to the writer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, oneshot};

use super::request::{self, Clients};
use super::writer::{Op, Writer};
use crate::crypto::{Keyring, Secret};
use crate::db::Db;
use crate::deliveries::{self, Job, Next, Outcome};
use crate::endpoints::{self, Endpoint};
use crate::error::Result;
use crate::ids::EndpointId;
use crate::retry_schedule::{self, RetrySchedule};
use crate::timestamp::Timestamp;
use crate::wire::WireFormat;

/// Endpoint settings are re-read at most this often (edits apply within it).
const TARGET_TTL: Duration = Duration::from_secs(1);

/// How the caller of `Shared::run` waits for the outcome to be written.
pub enum Wait<'a> {
    /// A dispatcher slot: free for the next attempt as soon as the outcome is handed over. The
    /// delivery stays claimed in the table until it is written (so nothing can claim it twice,
    /// and a crash before the commit means one more attempt). The semaphore bounds the
    /// outcomes waiting for the writer; when it is exhausted, slots wait, which slows the
    /// dispatcher down to the writer's pace.
    Slot(&'a Arc<Semaphore>),
    /// Someone shows the result (a test send, a manual retry): wait for the commit.
    Commit,
}

/// What an attempt needs from its endpoint, cached briefly.
struct Target {
    endpoint: Endpoint,
    secrets: std::result::Result<Vec<Secret>, String>,
}

/// Endpoint id → (when read, what was read).
type TargetCache = HashMap<EndpointId, (Instant, Arc<Target>)>;

#[derive(Clone)]
pub struct Shared {
    pub db: Db,
    keyring: Keyring,
    pub clients: Clients,
    pub writer: Writer,
    schedule: Arc<RetrySchedule>,
    pub wire: Arc<WireFormat>,
    targets: Arc<std::sync::Mutex<TargetCache>>,
}

impl Shared {
    pub fn new(
        db: Db,
        keyring: Keyring,
        clients: Clients,
        writer: Writer,
        schedule: RetrySchedule,
        wire: WireFormat,
    ) -> Shared {
        Shared {
            db,
            keyring,
            clients,
            writer,
            schedule: Arc::new(schedule),
            wire: Arc::new(wire),
            targets: Default::default(),
        }
    }

    /// The endpoint as it is now (cached for `TARGET_TTL`); `None` once deleted.
    async fn target(&self, id: &EndpointId) -> Result<Option<Arc<Target>>> {
        if let Some((at, t)) = self.targets.lock().expect("target cache").get(id)
            && at.elapsed() < TARGET_TTL
        {
            return Ok(Some(t.clone()));
        }
        let endpoint = match endpoints::get(&self.db, id).await {
            Ok(e) => e,
            Err(crate::error::Error::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let secrets = endpoints::signing_secrets(&self.db, &self.keyring, id, Timestamp::now())
            .await
            .map_err(|e| match e {
                crate::error::Error::Internal(inner) => format!("{inner:#}"),
                other => other.to_string(),
            });
        let target = Arc::new(Target { endpoint, secrets });
        self.targets
            .lock()
            .expect("target cache")
            .insert(id.clone(), (Instant::now(), target.clone()));
        Ok(Some(target))
    }

    pub fn forget(&self, id: &EndpointId) {
        self.targets.lock().expect("target cache").remove(id);
    }

    /// Runs one attempt of `job` and hands its outcome to the writer, waiting for the commit as
    /// `wait` says; returns what happens next. `None` when the endpoint is gone. An attempt
    /// that cannot run is released back to the table and its error returned.
    pub async fn run(&self, job: &Job, wait: Wait<'_>) -> Result<Option<Next>> {
        let outcome = match self.attempt(job).await {
            Ok(Some(outcome)) => outcome,
            Ok(None) => return Ok(None), // endpoint deleted: its deliveries went with it
            Err(e) => {
                self.writer.send(Op::Release {
                    ids: vec![job.delivery_id.clone()],
                })?;
                return Err(e);
            }
        };
        let next = outcome.next;
        // A retry always waits for its commit, so the dispatcher's next look at the due time
        // finds the delivery unclaimed and due.
        let (hold, wait_commit) = match wait {
            Wait::Slot(unwritten) => (
                unwritten.clone().acquire_owned().await.ok(),
                matches!(next, Next::RetryAt(_)),
            ),
            Wait::Commit => (None, true),
        };
        let (tx, rx) = oneshot::channel();
        self.writer.send(Op::Record {
            outcome,
            done: wait_commit.then_some(tx),
            hold,
        })?;
        if wait_commit {
            let _ = rx.await;
        }
        Ok(Some(next))
    }

    /// The attempt itself; its outcome is not yet recorded.
    async fn attempt(&self, job: &Job) -> Result<Option<Outcome>> {
        let Some(target) = self.target(&job.endpoint_id).await? else {
            return Ok(None);
        };
        let spec = &target.endpoint.spec;
        let body = crate::events::body(
            &self.wire.body,
            job.event_id.as_str(),
            &job.event_type,
            job.event_created_at,
            &job.event_data,
        );
        let sent = match &target.secrets {
            // Never send unsigned: a secret that cannot be opened fails the attempt.
            Err(why) => request::Sent {
                attempt: deliveries::NewAttempt {
                    started_at: Timestamp::now(),
                    duration_ms: 0,
                    url: spec.url.clone(),
                    request_headers: Default::default(),
                    response_status: None,
                    response_headers: None,
                    response_body: None,
                    error: Some(format!(
                        "not sent: the signing secret cannot be read ({why})"
                    )),
                    error_kind: Some("secret"),
                    succeeded: false,
                },
                retry_after: None,
            },
            Ok(secrets) => {
                request::send(
                    &self.clients,
                    request::Request {
                        url: &spec.url,
                        msg_id: job.event_id.as_str(),
                        event_type: &job.event_type,
                        body,
                        secrets,
                        custom_headers: &spec.headers,
                        timeout: Duration::from_secs(spec.timeout_seconds.max(1) as u64),
                        tls_verify: spec.tls_verify,
                        wire: &self.wire,
                    },
                )
                .await
            }
        };
        let done = job.attempts + 1;
        let next = if sent.attempt.succeeded {
            Next::Succeeded
        } else if done > spec.retry_count {
            Next::Failed
        } else {
            let delay = sent.retry_after.unwrap_or_else(|| {
                retry_schedule::with_jitter(
                    self.schedule.delay_for(done as u32),
                    rand::random::<f64>() * 2.0 - 1.0,
                )
            });
            Next::RetryAt(Timestamp::now().plus(delay))
        };
        super::metrics::attempt(&sent.attempt, next);
        Ok(Some(Outcome {
            delivery_id: job.delivery_id.clone(),
            endpoint_id: job.endpoint_id.clone(),
            attempt: sent.attempt,
            next,
        }))
    }
}
