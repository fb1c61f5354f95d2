//! An endpoint's delivery history: filters (status, event type, time window), keyset paging on
//! the delivery id, and a live mode that polls for rows newer than the newest shown. Rendered
//! inside the endpoint page, alone at `/webhooks/{id}/deliveries`, or as an htmx fragment.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::PrimitiveDateTime;
use time::macros::format_description;

use super::{Chrome, HtmlResult, SignedIn};
use crate::deliveries::{self, Delivery, DeliveryFilter, Status};
use crate::endpoints::{self, Endpoint};
use crate::error::Error;
use crate::event_types;
use crate::events::TEST_EVENT_TYPE;
use crate::ids::{DeliveryId, EndpointId};
use crate::state::AppState;
use crate::timestamp::Timestamp;

/// Rows per history page.
pub const PAGE_SIZE: u32 = 25;
/// Seconds between live polls.
pub const LIVE_EVERY_SECONDS: u32 = 3;

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
    fn filters_qs(&self) -> Vec<(&'static str, String)> {
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
        }
        if self.is_live() {
            qs.push(("live", "1".into()));
        }
        qs
    }

    /// `since`/`until` apply when the range says custom, or when they come without a range
    /// (links written by hand, like the API's parameters).
    fn custom(&self) -> bool {
        self.range == "custom"
            || (self.range.is_empty() && !(self.since.is_empty() && self.until.is_empty()))
    }

    pub fn is_live(&self) -> bool {
        !self.live.is_empty() && self.live != "0"
    }
}

fn encode(pairs: &[(&str, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// `2026-11-23T10:00`, `…:05` (as `datetime-local` sends them, read as UTC) or RFC 3339.
fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    Timestamp::parse_rfc3339(s).or_else(|| {
        let minutes = format_description!("[year]-[month]-[day]T[hour]:[minute]");
        let seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        PrimitiveDateTime::parse(s, minutes)
            .or_else(|_| PrimitiveDateTime::parse(s, seconds))
            .ok()
            .map(|dt| Timestamp::from_datetime(dt.assume_utc()))
    })
}

fn local_value(s: &str) -> String {
    match parse_time(s) {
        Some(t) => {
            let dt = t.datetime();
            let minutes = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}",
                dt.year(),
                dt.month() as u8,
                dt.day(),
                dt.hour(),
                dt.minute()
            );
            match dt.second() {
                0 => minutes,
                s => format!("{minutes}:{s:02}"),
            }
        }
        None => s.to_owned(),
    }
}

/// What the filter form shows, and what went wrong reading it.
pub struct FilterForm {
    pub q: HistoryQuery,
    pub types: Vec<String>,
    pub error: Option<String>,
}

impl FilterForm {
    pub fn statuses(&self) -> [&'static str; 4] {
        ["pending", "succeeded", "failed", "cancelled"]
    }
    pub fn ranges(&self) -> Vec<(&'static str, &'static str)> {
        RANGES.iter().map(|(v, l, _)| (*v, *l)).collect()
    }
    /// The custom window's ends as `datetime-local` values (UTC).
    pub fn since_local(&self) -> String {
        local_value(&self.q.since)
    }
    pub fn until_local(&self) -> String {
        local_value(&self.q.until)
    }
    pub fn range_is(&self, v: &str) -> bool {
        if v == "custom" {
            self.q.custom()
        } else {
            self.q.range == v
        }
    }
}

/// The history block: filter form, table, paging, live poller.
#[derive(Template, WebTemplate)]
#[template(path = "endpoints/_history.html")]
pub struct HistoryFragment {
    pub endpoint_id: String,
    pub form: FilterForm,
    pub rows: Vec<Delivery>,
    /// Path of the full page the links lead to without JS.
    pub page_path: String,
    pub older: Option<String>,
    pub newer: Option<String>,
    /// The live poll URL, when live mode is on and this is the newest page.
    pub poll: Option<String>,
    /// Any filter is set (for the empty-state sentence).
    pub filtered: bool,
    pub live_every: u32,
}

impl HistoryFragment {
    /// The query string of the current view (filters, paging dropped): for the Refresh link.
    pub fn refresh(&self) -> String {
        with_qs(&self.page_path, &encode(&self.form.q.filters_qs()))
    }
    /// The fragment URL for a page link (htmx), keeping `view`.
    pub fn frag(&self, page_qs: &str) -> String {
        let mut qs = page_qs.to_owned();
        if !self.form.q.view.is_empty() {
            if !qs.is_empty() {
                qs.push('&');
            }
            qs.push_str(&encode(&[("view", self.form.q.view.clone())]));
        }
        with_qs(&format!("/webhooks/{}/deliveries", self.endpoint_id), &qs)
    }
    pub fn href(&self, page_qs: &str) -> String {
        with_qs(&self.page_path, page_qs)
    }
}

/// New rows for the live poll, and the poller with the new newest id.
#[derive(Template, WebTemplate)]
#[template(path = "endpoints/_history_poll.html")]
pub struct PollFragment {
    pub rows: Vec<Delivery>,
    pub poll: String,
    pub live_every: u32,
}

fn with_qs(path: &str, qs: &str) -> String {
    if qs.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{qs}")
    }
}

/// Event types offered in the filter: the whole catalog (archived too: old deliveries keep
/// their type) and the test type.
pub async fn filter_types(state: &AppState) -> Result<Vec<String>, Error> {
    let mut types: Vec<String> = event_types::list(&state.db, true, None, 1000)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    types.push(TEST_EVENT_TYPE.to_owned());
    types.sort();
    Ok(types)
}

/// The domain filter for `q`, and the messages for filters that could not be read (those are
/// left out; the others still apply).
fn filter_of(endpoint_id: &EndpointId, q: &HistoryQuery) -> (DeliveryFilter, Vec<String>) {
    let mut errors = Vec::new();
    let status = match q.status.as_str() {
        "" => None,
        s => Status::parse(s).or_else(|| {
            errors.push("Unknown status.".to_owned());
            None
        }),
    };
    let (since, until) = if q.custom() {
        let since = parse_time(&q.since);
        let until = parse_time(&q.until);
        if since.is_none() && !q.since.trim().is_empty() {
            errors.push("“From” is not a time like 2026-11-23T10:00 (UTC).".into());
        }
        if until.is_none() && !q.until.trim().is_empty() {
            errors.push("“To” is not a time like 2026-11-23T10:00 (UTC).".into());
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
        event_type: Some(q.event_type.clone()).filter(|t| !t.is_empty()),
        since,
        until,
    };
    (filter, errors)
}

/// Builds the history for `q`; a filter that cannot be read is reported in the form (and the
/// second value is true: answer 422) while the rest of the filters still apply.
pub async fn load(
    state: &AppState,
    endpoint_id: &EndpointId,
    q: HistoryQuery,
    page_path: String,
) -> Result<(HistoryFragment, bool), Error> {
    let (filter, errors) = filter_of(endpoint_id, &q);
    let before = DeliveryId::parse(&q.before);
    let after = DeliveryId::parse(&q.after);
    let limit = PAGE_SIZE as usize;
    let mut rows = deliveries::list(
        &state.db,
        &filter,
        before.as_ref(),
        after.as_ref(),
        PAGE_SIZE + 1,
    )
    .await?;
    // One row more than a page says whether there is more in the direction we walked; the other
    // direction is asked with a one-row query from the page's edge.
    let (has_older, has_newer) = if after.is_some() {
        let more = rows.len() > limit;
        if more {
            rows.remove(0);
        }
        let older = match rows.last() {
            Some(last) => !deliveries::list(&state.db, &filter, Some(&last.id), None, 1)
                .await?
                .is_empty(),
            None => false,
        };
        (older, more)
    } else {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let newer = match (&before, rows.first()) {
            (Some(_), Some(first)) => {
                !deliveries::list(&state.db, &filter, None, Some(&first.id), 1)
                    .await?
                    .is_empty()
            }
            (Some(_), None) => true,
            (None, _) => false,
        };
        (more, newer)
    };
    let base = q.filters_qs();
    let page_link = |key: &'static str, id: &DeliveryId| {
        let mut qs = base.clone();
        qs.push((key, id.to_string()));
        encode(&qs)
    };
    let older = has_older
        .then(|| rows.last().map(|d| page_link("before", &d.id)))
        .flatten();
    let newer = has_newer
        .then(|| rows.first().map(|d| page_link("after", &d.id)))
        .flatten()
        .or_else(|| {
            // An empty page reached through a cursor (rows deleted meanwhile, or a hand-written
            // link): back to the first page.
            (rows.is_empty() && (before.is_some() || after.is_some())).then(|| encode(&base))
        });
    let poll = (q.is_live() && !has_newer).then(|| poll_url(endpoint_id, &q, rows.first()));
    let filtered = filter.status.is_some()
        || filter.event_type.is_some()
        || filter.since.is_some()
        || filter.until.is_some();
    let types = filter_types(state).await?;
    let error = (!errors.is_empty()).then(|| errors.join(" "));
    let invalid = error.is_some();
    Ok((
        HistoryFragment {
            endpoint_id: endpoint_id.to_string(),
            form: FilterForm { q, types, error },
            rows,
            page_path,
            older,
            newer,
            poll,
            filtered,
            live_every: LIVE_EVERY_SECONDS,
        },
        invalid,
    ))
}

/// The live poll's URL: the same filters, rows after `newest` (or all, on an empty page).
fn poll_url(endpoint_id: &EndpointId, q: &HistoryQuery, newest: Option<&Delivery>) -> String {
    let mut qs = q.filters_qs();
    match newest {
        Some(d) => qs.push(("after", d.id.to_string())),
        // Nothing shown yet: poll for anything created from now on.
        None => qs.push((
            "after",
            DeliveryId::floor_at(
                Timestamp::now()
                    .minus(std::time::Duration::from_secs(5))
                    .millis(),
            )
            .to_string(),
        )),
    }
    qs.push(("poll", "1".into()));
    format!("/webhooks/{endpoint_id}/deliveries?{}", encode(&qs))
}

// ---- the route -----------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "endpoints/deliveries.html")]
struct HistoryPage {
    chrome: Chrome,
    e: Endpoint,
    history: HistoryFragment,
}

/// `GET /webhooks/{id}/deliveries`: a page of its own, the fragment for htmx, or (with
/// `poll=1`) only the rows newer than `after`.
pub async fn list_endpoint_deliveries(
    State(state): State<AppState>,
    SignedIn(ctx, _): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> HtmlResult {
    let id = EndpointId::parse(&id).ok_or(Error::NotFound("endpoint"))?;
    let e = endpoints::get(&state.db, &id).await?;
    if q.poll == "1" && ctx.htmx {
        return Ok(poll(&state, &id, q).await?.into_response());
    }
    let in_endpoint_page = q.view == "endpoint";
    let page_path = if in_endpoint_page {
        format!("/webhooks/{id}")
    } else {
        format!("/webhooks/{id}/deliveries")
    };
    let (history, invalid) = load(&state, &id, q, page_path).await?;
    let status = if invalid {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    if ctx.htmx {
        // The address bar shows the page this view belongs to, so a reload shows the same.
        let push = history.href(&encode(&history.form.q.paging_qs()));
        let push = if in_endpoint_page {
            format!("{push}#history")
        } else {
            push
        };
        let mut resp = (status, history).into_response();
        if let Ok(v) = HeaderValue::from_str(&push) {
            resp.headers_mut().insert("hx-push-url", v);
        }
        return Ok(resp);
    }
    let title = format!("Deliveries · {}", super::endpoints::display_name(&e));
    Ok((
        status,
        HistoryPage {
            chrome: ctx.chrome("webhooks", title).await,
            e,
            history,
        },
    )
        .into_response())
}

impl HistoryQuery {
    /// Filters plus the paging cursor: the address of exactly this view.
    fn paging_qs(&self) -> Vec<(&'static str, String)> {
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

/// Rows newer than `after`, at most a page (the oldest of them first: the next poll asks for
/// the rest), and the poller moved on to the newest row.
async fn poll(state: &AppState, id: &EndpointId, q: HistoryQuery) -> Result<Response, Error> {
    let after = DeliveryId::parse(&q.after)
        .ok_or_else(|| Error::BadRequest("after must be a delivery id".into()))?;
    let (filter, _) = filter_of(id, &q);
    let rows = deliveries::list(&state.db, &filter, None, Some(&after), PAGE_SIZE).await?;
    let poll = match rows.first() {
        Some(newest) => poll_url(id, &q, Some(newest)),
        None => {
            let mut qs = q.filters_qs();
            qs.push(("after", after.to_string()));
            qs.push(("poll", "1".into()));
            format!("/webhooks/{id}/deliveries?{}", encode(&qs))
        }
    };
    Ok(PollFragment {
        rows,
        poll,
        live_every: LIVE_EVERY_SECONDS,
    }
    .into_response())
}
