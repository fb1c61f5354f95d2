//! The event-type choices forms and filters offer, read the same way everywhere.

use crate::error::Error;
use crate::event_types::{self, EventType};
use crate::events::TEST_EVENT_TYPE;
use crate::state::AppState;

/// More than any catalog has; the pickers show them all.
const MAX_TYPES: u32 = 1000;

/// Types that can be sent and subscribed to, by name.
pub async fn active(state: &AppState) -> Result<Vec<EventType>, Error> {
    event_types::list(&state.db, false, None, MAX_TYPES).await
}

/// Names offered by the delivery and event filters: the whole catalog (archived too: old
/// deliveries keep their type) and the test type, sorted.
pub async fn filter_names(state: &AppState) -> Result<Vec<String>, Error> {
    let mut types: Vec<String> = event_types::list(&state.db, true, None, MAX_TYPES)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    types.push(TEST_EVENT_TYPE.to_owned());
    types.sort();
    Ok(types)
}
