//! Ingest inside a group commit: the domain decides where an event goes (`events::Routing`,
//! `events::find_repeat`); this queues its rows for the batch's two insert statements and
//! makes the jobs the dispatcher gets in memory.

use std::collections::HashSet;

use sqlx::SqliteConnection;

use super::budget::{Budget, Held};
use crate::deliveries::{self, Job};
use crate::error::Result;
use crate::events::{self, Ingested, NewEvent, Target};
use crate::ids::{DeliveryId, EndpointId};
use crate::timestamp::Timestamp;

/// Events and deliveries of this batch, inserted together (two statements) before anything
/// that reads them and before the commit; and the endpoints they went to.
#[derive(Default)]
pub struct Inserts {
    events: Vec<NewEvent>,
    deliveries: Vec<deliveries::NewDelivery>,
    pub triggered: HashSet<EndpointId>,
}

impl Inserts {
    pub async fn flush(&mut self, conn: &mut SqliteConnection, now: Timestamp) -> Result<()> {
        events::insert_many(conn, &self.events).await?;
        deliveries::insert_pending(conn, &self.deliveries, now).await?;
        self.events.clear();
        self.deliveries.clear();
        Ok(())
    }

    /// Queues the event with one delivery per target: their ids, and their jobs when
    /// `claimed`.
    fn push(
        &mut self,
        event: NewEvent,
        targets: &[Target],
        claimed: bool,
    ) -> (Vec<DeliveryId>, Vec<Job>) {
        let ids: Vec<DeliveryId> = targets.iter().map(|_| DeliveryId::generate()).collect();
        let jobs = match claimed {
            true => ids
                .iter()
                .zip(targets)
                .map(|(id, target)| Job {
                    delivery_id: id.clone(),
                    attempts: 0,
                    event_id: event.id.clone(),
                    event_type: event.event_type.clone(),
                    event_data: event.data.get().to_owned(),
                    event_created_at: event.created_at,
                    endpoint_id: target.endpoint.clone(),
                    tenant: target.tenant.clone(),
                })
                .collect(),
            false => vec![],
        };
        self.deliveries
            .extend(
                ids.iter()
                    .zip(targets)
                    .map(|(id, target)| deliveries::NewDelivery {
                        id: id.clone(),
                        event_id: event.id.clone(),
                        endpoint_id: target.endpoint.clone(),
                        tenant: target.tenant.clone(),
                        event_type: event.event_type.clone(),
                        claimed,
                    }),
            );
        self.triggered
            .extend(targets.iter().map(|t| t.endpoint.clone()));
        self.events.push(event);
        (ids, jobs)
    }
}

/// Stores an event for `targets` (or answers an idempotent repeat). Deliveries are born claimed
/// and handed over in memory when the budget has room; otherwise the dispatcher claims them
/// from the table.
pub async fn fan_out(
    conn: &mut SqliteConnection,
    inserts: &mut Inserts,
    event: NewEvent,
    targets: Vec<Target>,
    budget: &Budget,
    now: Timestamp,
) -> Result<(Ingested, Vec<Held>)> {
    let keyed = event.idempotency_key.is_some();
    if let Some(key) = &event.idempotency_key {
        // A key is looked up against everything before it, this batch's inserts included.
        inserts.flush(conn, now).await?;
        if let Some(original) = events::find_repeat(conn, event.tenant.as_ref(), key, now).await? {
            return Ok((original, vec![]));
        }
    }
    let (event_id, event_type, created_at) =
        (event.id.clone(), event.event_type.clone(), event.created_at);
    let tickets = budget.take(targets.len());
    let (ids, jobs) = inserts.push(event, &targets, tickets.is_some());
    let held = match tickets {
        Some(mut tickets) => jobs
            .into_iter()
            .map(|job| Held::new(job, tickets.split_one()))
            .collect(),
        None => vec![],
    };
    if keyed {
        // Written at once, so a later event with the same key in this batch finds it.
        inserts.flush(conn, now).await?;
    }
    let ingested = Ingested {
        event_id,
        event_type,
        created_at,
        deliveries: ids,
        duplicate: false,
    };
    Ok((ingested, held))
}

/// Stores a test event with one delivery to `endpoint`, born claimed: the caller attempts it
/// inline, outside the dispatcher and its budget.
pub fn send_to(inserts: &mut Inserts, event: NewEvent, endpoint: EndpointId) -> Job {
    // A test event takes its endpoint's tenant (`send_test`), so the delivery does too.
    let target = Target {
        endpoint,
        tenant: event.tenant.clone(),
    };
    let (_, mut jobs) = inserts.push(event, &[target], true);
    jobs.pop().expect("one target, one job")
}
