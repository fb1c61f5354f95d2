//! What the history's filter form and paging links send (`HistoryQuery`), read into the
//! domain's `DeliveryFilter`; typed times are in the browser's zone (`tz_offset`), else UTC.

use serde::Deserialize;

use crate::deliveries::{DeliveryFilter, Status};
use crate::http::ui::local_time::TypedZone;
use crate::ids::{DeliveryId, EndpointId};
use crate::timestamp::Timestamp;

/// The status filter's value for "failed, or retrying after a failed attempt".
pub const FAILING: &str = "failing";

/// Time-window presets: (query value, label, length).
const RANGES: [(&str, &str, u64); 3] = [
    ("1h", "Last hour", 3600),
    ("24h", "Last 24 hours", 24 * 3600),
    ("7d", "Last 7 days", 7 * 24 * 3600),
];

/// The history's query string, as the filter form and the paging links send it.
#[derive(Deserialize, Default, Clone)]
pub struct HistoryQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub event_type: String,
    /// `""` (any time), a preset from `RANGES`, or `custom` (use `since`/`until`).
    #[serde(default)]
    pub range: String,
    #[serde(default)]
    pub since: String,
    #[serde(default)]
    pub until: String,
    /// Minutes east of UTC that `since`/`until` were typed at (app.js); empty: UTC.
    #[serde(default)]
    pub tz_offset: String,
    #[serde(default)]
    pub before: String,
    #[serde(default)]
    pub after: String,
    /// Live mode: poll for newer rows.
    #[serde(default)]
    pub live: String,
    /// `1` on the live poll itself: answer only the new rows.
    #[serde(default)]
    pub poll: String,
    /// `endpoint` when the history sits inside the endpoint page (decides the pushed URL).
    #[serde(default)]
    pub view: String,
}

impl HistoryQuery {
    /// The filters (and live flag) as a query string, without paging.
    pub(super) fn filters_qs(&self) -> Vec<(&'static str, String)> {
        let mut qs = Vec::new();
        for (k, v) in [
            ("status", &self.status),
            ("event_type", &self.event_type),
            ("range", &self.range),
        ] {
            if !v.is_empty() {
                qs.push((k, v.clone()));
            }
        }
        if self.custom() {
            for (k, v) in [("since", &self.since), ("until", &self.until)] {
                if !v.is_empty() {
                    qs.push((k, v.clone()));
                }
            }
            let zone = self.zone();
            if zone.is_known() && !(self.since.is_empty() && self.until.is_empty()) {
                qs.push(("tz_offset", zone.field_value()));
            }
        }
        if self.is_live() {
            qs.push(("live", "1".into()));
        }
        qs
    }

    /// `since`/`until` apply when the range says custom, or when they come without a range
    /// (links written by hand, like the API's parameters).
    pub(super) fn custom(&self) -> bool {
        self.range == "custom"
            || (self.range.is_empty() && !(self.since.is_empty() && self.until.is_empty()))
    }

    /// The zone `since`/`until` were typed in.
    pub fn zone(&self) -> TypedZone {
        TypedZone::from_field(&self.tz_offset)
    }

    pub fn is_live(&self) -> bool {
        !self.live.is_empty() && self.live != "0"
    }

    /// Filters plus the paging cursor: the address of exactly this view.
    pub(super) fn paging_qs(&self) -> Vec<(&'static str, String)> {
        let mut qs = self.filters_qs();
        if DeliveryId::parse(&self.before).is_some() {
            qs.push(("before", self.before.clone()));
        }
        if DeliveryId::parse(&self.after).is_some() {
            qs.push(("after", self.after.clone()));
        }
        qs
    }
}

/// What a `datetime-local` field shows for `typed` after a round trip (as typed when unreadable).
fn local_value(typed: &str, zone: TypedZone) -> String {
    match zone.parse(typed) {
        Some(t) => zone.input_value(t),
        None => typed.to_owned(),
    }
}

/// What the filter form shows, and what went wrong reading it.
pub struct FilterForm {
    pub q: HistoryQuery,
    pub types: Vec<String>,
    pub error: Option<String>,
}

impl FilterForm {
    /// (value, label) of the status filter's choices.
    pub fn statuses(&self) -> [(&'static str, &'static str); 5] {
        [
            // Pending covers the deliveries the rows call "retrying" (pending after a failed
            // attempt), so the option says both.
            ("pending", "pending or retrying"),
            ("succeeded", "succeeded"),
            (FAILING, "failing (failed or retrying after a failure)"),
            ("failed", "failed"),
            ("cancelled", "cancelled"),
        ]
    }
    pub fn ranges(&self) -> Vec<(&'static str, &'static str)> {
        RANGES.iter().map(|(v, l, _)| (*v, *l)).collect()
    }
    /// The custom window's ends as `datetime-local` values, in the zone they were typed in.
    pub fn since_local(&self) -> String {
        local_value(&self.q.since, self.q.zone())
    }
    pub fn until_local(&self) -> String {
        local_value(&self.q.until, self.q.zone())
    }
    /// The zone the form's times are read in, e.g. `UTC` or `UTC+01:00`.
    pub fn zone_label(&self) -> String {
        self.q.zone().label()
    }
    pub fn zone_value(&self) -> String {
        self.q.zone().field_value()
    }
    /// The custom window said back, both ways: "from … (… UTC) to …".
    pub fn window_echo(&self) -> Option<String> {
        if !self.q.custom() {
            return None;
        }
        self.q.zone().echo_window(&self.q.since, &self.q.until)
    }
    pub fn range_is(&self, v: &str) -> bool {
        if v == "custom" {
            self.q.custom()
        } else {
            self.q.range == v
        }
    }
}

/// The domain filter for `q`, and the messages for filters that could not be read (those are
/// left out; the others still apply).
pub(super) fn filter_of(
    endpoint_id: &EndpointId,
    q: &HistoryQuery,
) -> (DeliveryFilter, Vec<String>) {
    let mut errors = Vec::new();
    let failing = q.status == FAILING;
    let status = match q.status.as_str() {
        "" | FAILING => None,
        s => Status::parse(s).or_else(|| {
            errors.push("Unknown status.".to_owned());
            None
        }),
    };
    let (since, until) = if q.custom() {
        let zone = q.zone();
        let since = zone.parse(&q.since);
        let until = zone.parse(&q.until);
        let example = format!("a time like 2026-11-23T10:00 ({})", zone.label());
        if since.is_none() && !q.since.trim().is_empty() {
            errors.push(format!("“From” is not {example}."));
        }
        if until.is_none() && !q.until.trim().is_empty() {
            errors.push(format!("“To” is not {example}."));
        }
        (since, until)
    } else {
        match RANGES.iter().find(|(v, _, _)| *v == q.range) {
            Some((_, _, secs)) => (
                Some(Timestamp::now().minus(std::time::Duration::from_secs(*secs))),
                None,
            ),
            None if q.range.is_empty() => (None, None),
            None => {
                errors.push("Unknown time range.".into());
                (None, None)
            }
        }
    };
    let filter = DeliveryFilter {
        endpoint_id: Some(endpoint_id.clone()),
        status,
        failing,
        event_type: Some(q.event_type.clone()).filter(|t| !t.is_empty()),
        since,
        until,
    };
    (filter, errors)
}
