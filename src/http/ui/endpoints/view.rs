//! How an endpoint's state reads on screen; the domain says what it is, this says how it looks.

use crate::deliveries::Delivery;
use crate::endpoints::{Endpoint, Health};
use crate::http::ui::overview::age;
use crate::timestamp::Timestamp;

/// The "last delivery" badge: (CSS modifier, label); `None` before the first delivery.
pub fn health_badge(e: &Endpoint) -> Option<(&'static str, &'static str)> {
    match e.health() {
        Health::Ok => Some(("ok", "ok")),
        Health::Failing => Some(("bad", "failing")),
        Health::Unknown => None,
    }
}

/// How a delivery's state reads in a history row: (badge CSS modifier, label, detail). A
/// delivery pending after a failed attempt reads "retrying", with where it stands.
pub fn delivery_state(
    d: &Delivery,
    max_attempts: &i64,
    now: &Timestamp,
) -> (&'static str, &'static str, String) {
    let (max_attempts, now) = (*max_attempts, *now);
    if !d.is_retrying() {
        return (d.status.as_str(), d.status.as_str(), String::new());
    }
    let mut parts = vec![format!(
        "attempt {} of {}",
        d.attempts,
        max_attempts.max(d.attempts)
    )];
    if let Some(next) = d.next_attempt_at {
        parts.push(if next > now {
            format!("next in {}", age(now, next))
        } else {
            "next now".to_owned()
        });
    }
    match (&d.last_status_code, &d.last_error) {
        (Some(code), _) => parts.push(format!("last: HTTP {code}")),
        (None, Some(err)) => parts.push(format!("last: {}", truncate(err, 80))),
        (None, None) => {}
    }
    ("retrying", "retrying", parts.join(" · "))
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}
