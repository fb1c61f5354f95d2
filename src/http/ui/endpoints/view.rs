//! How an endpoint's state reads on screen; the domain says what it is, this says how it looks.

use crate::endpoints::{Endpoint, Health};

/// The "last delivery" badge: (CSS modifier, label); `None` before the first delivery.
pub fn health_badge(e: &Endpoint) -> Option<(&'static str, &'static str)> {
    match e.health() {
        Health::Ok => Some(("ok", "ok")),
        Health::Failing => Some(("bad", "failing")),
        Health::Unknown => None,
    }
}
