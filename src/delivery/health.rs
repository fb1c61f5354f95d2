//! Whether the store commits: set by the writer after each batch, read by `/healthz`, the
//! dashboard banner and the metrics.

use std::sync::{Arc, Mutex};

use crate::timestamp::Timestamp;

/// The store as the writer last found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreHealth {
    Ok,
    /// Commits fail since `since`; `cause` is the last error (e.g. "database or disk is full").
    Failing {
        since: Timestamp,
        cause: String,
    },
}

/// Shared between the writer (which sets it) and the handle (which reads it).
#[derive(Clone)]
pub struct Health(Arc<Mutex<StoreHealth>>);

impl Default for Health {
    fn default() -> Self {
        Health(Arc::new(Mutex::new(StoreHealth::Ok)))
    }
}

impl Health {
    pub fn get(&self) -> StoreHealth {
        self.0.lock().expect("store health").clone()
    }

    pub fn is_failing(&self) -> bool {
        matches!(
            *self.0.lock().expect("store health"),
            StoreHealth::Failing { .. }
        )
    }

    /// A commit failed: failing since the first failure, with the latest cause.
    pub fn failed(&self, cause: String) {
        super::metrics::commit_failed();
        let mut h = self.0.lock().expect("store health");
        let since = match &*h {
            StoreHealth::Failing { since, .. } => *since,
            StoreHealth::Ok => {
                tracing::error!(
                    cause,
                    "the store cannot commit; ingest answers 503 until it can"
                );
                Timestamp::now()
            }
        };
        *h = StoreHealth::Failing { since, cause };
    }

    /// A commit that wrote something succeeded.
    pub fn committed(&self) {
        let mut h = self.0.lock().expect("store health");
        if let StoreHealth::Failing { since, .. } = &*h {
            let secs = (Timestamp::now().millis() - since.millis()) / 1000;
            tracing::warn!(failing_for_seconds = secs, "the store commits again");
            *h = StoreHealth::Ok;
        }
    }
}
