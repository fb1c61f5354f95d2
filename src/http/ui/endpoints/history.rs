//! An endpoint's delivery history: filters (status, event type, time window), keyset paging on
//! the delivery id, and a live mode that polls for rows newer than the newest shown. Rendered
//! inside the endpoint page, alone at `/webhooks/{id}/deliveries`, or as an htmx fragment.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub use super::history_filter::HistoryQuery;
use super::history_filter::{FilterForm, filter_of};
use crate::deliveries::{self, Delivery};
use crate::endpoints::{self, Endpoint};
use crate::error::Error;
use crate::http::PathId;
use crate::http::ui::ctx::push_url;
use crate::http::ui::paths::{self, query, with_query};
use crate::http::ui::{Chrome, HtmlResult, Viewer, catalog};
use crate::ids::{DeliveryId, EndpointId};
use crate::state::AppState;
use crate::timestamp::Timestamp;

/// Rows per history page.
pub const PAGE_SIZE: u32 = 25;
/// Seconds between live polls.
pub const LIVE_EVERY_SECONDS: u32 = 3;

/// The history block: filter form, table, paging, live poller.
#[derive(Template, WebTemplate)]
#[template(path = "endpoints/_history.html")]
pub struct HistoryFragment {
    /// See `Chrome::base`.
    pub base: &'static str,
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
    /// For the rows' "attempt n of m" (the first attempt plus the endpoint's retries).
    pub max_attempts: i64,
    pub now: Timestamp,
}

impl HistoryFragment {
    /// The query string of the current view (filters, paging dropped): for the Refresh link.
    pub fn refresh(&self) -> String {
        with_query(&self.page_path, &query(&self.form.q.filters_qs()))
    }
    /// The fragment URL for a page link (htmx), keeping `view`.
    pub fn frag(&self, page_qs: &str) -> String {
        let mut qs = page_qs.to_owned();
        if !self.form.q.view.is_empty() {
            if !qs.is_empty() {
                qs.push('&');
            }
            qs.push_str(&query(&[("view", self.form.q.view.clone())]));
        }
        with_query(
            &format!(
                "{}{}",
                self.base,
                paths::endpoint_deliveries(&self.endpoint_id)
            ),
            &qs,
        )
    }
    pub fn href(&self, page_qs: &str) -> String {
        with_query(&self.page_path, page_qs)
    }
}

/// New rows for the live poll, and the poller with the new newest id.
#[derive(Template, WebTemplate)]
#[template(path = "endpoints/_history_poll.html")]
pub struct PollFragment {
    pub base: &'static str,
    pub rows: Vec<Delivery>,
    pub poll: String,
    pub live_every: u32,
    pub max_attempts: i64,
    pub now: Timestamp,
}

/// Builds the history for `q`; a filter that cannot be read is reported in the form (and the
/// second value is true: answer 422) while the rest of the filters still apply.
pub async fn load(
    state: &AppState,
    endpoint: &Endpoint,
    q: HistoryQuery,
    page_path: String,
    surface: &'static str,
) -> Result<(HistoryFragment, bool), Error> {
    let endpoint_id = &endpoint.id;
    let max_attempts = max_attempts(endpoint);
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
        query(&qs)
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
            (rows.is_empty() && (before.is_some() || after.is_some())).then(|| query(&base))
        });
    let poll =
        (q.is_live() && !has_newer).then(|| poll_url(surface, endpoint_id, &q, rows.first()));
    let filtered = filter.status.is_some()
        || filter.failing
        || filter.event_type.is_some()
        || filter.since.is_some()
        || filter.until.is_some();
    let types = catalog::filter_names(state).await?;
    let error = (!errors.is_empty()).then(|| errors.join(" "));
    let invalid = error.is_some();
    Ok((
        HistoryFragment {
            base: surface,
            endpoint_id: endpoint_id.to_string(),
            form: FilterForm { q, types, error },
            rows,
            page_path,
            older,
            newer,
            poll,
            filtered,
            live_every: LIVE_EVERY_SECONDS,
            max_attempts,
            now: Timestamp::now(),
        },
        invalid,
    ))
}

/// The first attempt and the endpoint's retries.
fn max_attempts(e: &Endpoint) -> i64 {
    e.spec.retry_count + 1
}

/// The live poll's URL: the same filters, rows after `newest` (or all, on an empty page).
fn poll_url(
    base: &str,
    endpoint_id: &EndpointId,
    q: &HistoryQuery,
    newest: Option<&Delivery>,
) -> String {
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
    with_query(
        &format!("{base}{}", paths::endpoint_deliveries(endpoint_id)),
        &query(&qs),
    )
}

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
    Viewer { ctx, who, .. }: Viewer,
    PathId(id): PathId<EndpointId>,
    Query(q): Query<HistoryQuery>,
) -> HtmlResult {
    let id = who.check(&state.db, id).await?;
    let e = endpoints::get(&state.db, &id).await?;
    if q.poll == "1" && ctx.htmx {
        return Ok(poll(&state, ctx.base, &e, q).await?.into_response());
    }
    let in_endpoint_page = q.view == "endpoint";
    let page_path = if in_endpoint_page {
        ctx.at(&paths::endpoint(&id))
    } else {
        ctx.at(&paths::endpoint_deliveries(&id))
    };
    let (history, invalid) = load(&state, &e, q, page_path, ctx.base).await?;
    let status = if invalid {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    if ctx.htmx {
        // The address bar shows the page this view belongs to, so a reload shows the same.
        let push = history.href(&query(&history.form.q.paging_qs()));
        let push = if in_endpoint_page {
            format!("{push}#history")
        } else {
            push
        };
        let mut resp = (status, history).into_response();
        push_url(&mut resp, &push);
        return Ok(resp);
    }
    let title = format!("Deliveries · {}", e.display_name());
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

/// Rows newer than `after`, at most a page (the oldest of them first: the next poll asks for
/// the rest), and the poller moved on to the newest row.
async fn poll(
    state: &AppState,
    base: &'static str,
    e: &Endpoint,
    q: HistoryQuery,
) -> Result<Response, Error> {
    let id = &e.id;
    let after = DeliveryId::parse(&q.after)
        .ok_or_else(|| Error::BadRequest("after must be a delivery id".into()))?;
    let (filter, _) = filter_of(id, &q);
    let rows = deliveries::list(&state.db, &filter, None, Some(&after), PAGE_SIZE).await?;
    let poll = match rows.first() {
        Some(newest) => poll_url(base, id, &q, Some(newest)),
        None => {
            let mut qs = q.filters_qs();
            qs.push(("after", after.to_string()));
            qs.push(("poll", "1".into()));
            with_query(
                &format!("{base}{}", paths::endpoint_deliveries(id)),
                &query(&qs),
            )
        }
    };
    Ok(PollFragment {
        base,
        rows,
        poll,
        live_every: LIVE_EVERY_SECONDS,
        max_attempts: max_attempts(e),
        now: Timestamp::now(),
    }
    .into_response())
}
