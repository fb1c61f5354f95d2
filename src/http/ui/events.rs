//! The events log (filter by type and time, exact search by id or idempotency key, keyset
//! paging; htmx swaps the results and pushes the URL) and the event page with its fan-out.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::ctx::{push_url, replace_main};
use super::local_time::TypedZone;
use super::paths::{self, query, with_query};
use super::tenants::column::TenantColumn;
use super::{Chrome, FormErrors, HtmlResult, SignedIn, catalog};
use crate::deliveries::{self, FanOutRow, FanOutSummary};
use crate::error::{Error, FieldErrors};
use crate::events::{self, Event, EventFilter, PageFrom};
use crate::http::PathId;
use crate::ids::EventId;
use crate::state::AppState;
use crate::tenants;
use crate::timestamp::Timestamp;

const PAGE_SIZE: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::EVENTS, get(list_events))
        .route("/events/{id}", get(show_event))
}

/// The filter form as typed; also what paging links carry along.
#[derive(Deserialize, Default, Clone)]
struct LogQuery {
    #[serde(default, rename = "type")]
    event_type: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    /// Minutes east of UTC that `since`/`until` were typed at (app.js); empty: UTC.
    #[serde(default)]
    tz_offset: String,
    #[serde(default)]
    q: String,
    /// A tenant's uid: only its events.
    #[serde(default)]
    tenant: String,
    before: Option<String>,
    after: Option<String>,
}

impl LogQuery {
    /// `/events?…` with the filters and one paging key.
    fn url(&self, page: Option<(&'static str, &str)>) -> String {
        let mut pairs: Vec<(&str, String)> = [
            ("type", &self.event_type),
            ("since", &self.since),
            ("until", &self.until),
            ("q", &self.q),
            ("tenant", &self.tenant),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_owned()))
        .collect();
        let zone = self.zone();
        if zone.is_known() && !(self.since.trim().is_empty() && self.until.trim().is_empty()) {
            pairs.push(("tz_offset", zone.field_value()));
        }
        if let Some((k, v)) = page {
            pairs.push((k, v.to_owned()));
        }
        with_query(paths::EVENTS, &query(&pairs))
    }

    fn filtered(&self) -> bool {
        [
            &self.event_type,
            &self.since,
            &self.until,
            &self.q,
            &self.tenant,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }

    /// The zone `since`/`until` were typed in.
    fn zone(&self) -> TypedZone {
        TypedZone::from_field(&self.tz_offset)
    }

    /// The typed window said back both ways, for the sentence under the form.
    fn window_echo(&self) -> Option<String> {
        self.zone().echo_window(&self.since, &self.until)
    }

    fn parse(&self) -> Result<EventFilter, FieldErrors> {
        let mut errors = FieldErrors::default();
        let zone = self.zone();
        let mut time = |field: &str, v: &str| {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            let t = zone.parse(v);
            if t.is_none() {
                errors.add(
                    field,
                    format!("Use a time like 2026-11-23T10:00 ({}).", zone.label()),
                );
            }
            t
        };
        let since = time("since", &self.since);
        let until = time("until", &self.until);
        if let (Some(s), Some(u)) = (since, until)
            && u <= s
        {
            errors.add("until", "“Until” must be later than “since”.");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(EventFilter {
            event_type: Some(self.event_type.trim().to_owned()).filter(|t| !t.is_empty()),
            since,
            until,
            search: Some(self.q.trim().to_owned()).filter(|q| !q.is_empty()),
            tenant: None,
        })
    }
}

/// One row of the log.
struct Row {
    event: Event,
    fan_out: FanOutSummary,
}

/// The results table with its pager: what htmx swaps.
#[derive(Template, WebTemplate)]
#[template(path = "events/_results.html")]
struct ResultsFragment {
    rows: Vec<Row>,
    filtered: bool,
    searched: bool,
    older: Option<String>,
    newer: Option<String>,
    invalid: bool,
    /// The typed time window said back, in the typed zone and in UTC.
    window: Option<String>,
    tenants: TenantColumn,
}

#[derive(Template, WebTemplate)]
#[template(path = "events/list.html")]
struct ListPage {
    chrome: Chrome,
    q: LogQuery,
    types: Vec<String>,
    errors: FormErrors,
    results: ResultsFragment,
    now_utc: String,
}

async fn list_events(
    State(state): State<AppState>,
    SignedIn(ctx, _): SignedIn,
    Query(q): Query<LogQuery>,
) -> HtmlResult<Response> {
    let (results, errors) = match filter_of(&state, &q).await? {
        Ok(filter) => (results(&state, &q, &filter).await?, FieldErrors::default()),
        Err(errors) => (
            ResultsFragment {
                rows: vec![],
                filtered: true,
                searched: false,
                older: None,
                newer: None,
                invalid: true,
                window: None,
                tenants: TenantColumn::load(&state.db, []).await?,
            },
            errors,
        ),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page_url = q.url(match (&q.before, &q.after) {
        (Some(b), _) => Some(("before", b.as_str())),
        (None, Some(a)) => Some(("after", a.as_str())),
        _ => None,
    });
    // A filter error is shown next to its field, so htmx gets the whole page's <main> then.
    if ctx.htmx && errors.is_empty() {
        let mut resp = (status, results).into_response();
        push_url(&mut resp, &page_url);
        return Ok(resp);
    }
    let types = catalog::filter_names(&state).await?;
    let page = ListPage {
        chrome: ctx.chrome("events", "Events").await,
        q,
        types,
        errors,
        results,
        now_utc: Timestamp::now().form_utc(),
    };
    let mut resp = (status, page).into_response();
    if ctx.htmx {
        replace_main(&mut resp, "outerHTML");
    }
    Ok(resp)
}

/// The typed filters, with the tenant checked against the database.
async fn filter_of(
    state: &AppState,
    q: &LogQuery,
) -> Result<Result<EventFilter, FieldErrors>, Error> {
    let parsed = q.parse();
    let tenant = match q.tenant.trim() {
        "" => Ok(None),
        uid => match tenants::existing(&state.db, "tenant", uid).await {
            Ok(t) => Ok(Some(t)),
            Err(Error::Invalid(errors)) => Err(errors),
            Err(e) => return Err(e),
        },
    };
    Ok(match (parsed, tenant) {
        (Ok(filter), Ok(tenant)) => Ok(EventFilter { tenant, ..filter }),
        (Ok(_), Err(errors)) => Err(errors),
        (Err(errors), Ok(_)) => Err(errors),
        (Err(mut errors), Err(more)) => {
            for (k, v) in more.0 {
                errors.add(k, v);
            }
            Err(errors)
        }
    })
}

async fn results(
    state: &AppState,
    q: &LogQuery,
    filter: &EventFilter,
) -> Result<ResultsFragment, Error> {
    let from = match (&q.before, &q.after) {
        (Some(b), _) if EventId::parse(b).is_some() => PageFrom::Before(b),
        (_, Some(a)) if EventId::parse(a).is_some() => PageFrom::After(a),
        _ => PageFrom::Newest,
    };
    let page = events::log_page(&state.db, filter, from, PAGE_SIZE).await?;
    let ids: Vec<EventId> = page.events.iter().map(|e| e.id.clone()).collect();
    let mut summaries: HashMap<EventId, FanOutSummary> =
        deliveries::fan_out_summaries(&state.db, &ids).await?;
    let older = page
        .has_older
        .then(|| page.events.last())
        .flatten()
        .map(|e| q.url(Some(("before", e.id.as_str()))));
    let newer = page
        .has_newer
        .then(|| page.events.first())
        .flatten()
        .map(|e| q.url(Some(("after", e.id.as_str()))));
    let tenants =
        TenantColumn::load(&state.db, page.events.iter().map(|e| e.tenant.as_ref())).await?;
    Ok(ResultsFragment {
        tenants,
        rows: page
            .events
            .into_iter()
            .map(|event| Row {
                fan_out: summaries.remove(&event.id).unwrap_or_default(),
                event,
            })
            .collect(),
        filtered: q.filtered(),
        searched: filter.search.is_some(),
        older,
        newer,
        invalid: false,
        window: q.window_echo(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "events/show.html")]
struct ShowPage {
    chrome: Chrome,
    event: Event,
    fan_out: Vec<FanOutRow>,
}

async fn show_event(
    State(state): State<AppState>,
    SignedIn(ctx, _): SignedIn,
    PathId(id): PathId<EventId>,
) -> HtmlResult<ShowPage> {
    let event = events::get(&state.db, &id).await?;
    let fan_out = deliveries::fan_out(&state.db, &id).await?;
    Ok(ShowPage {
        chrome: ctx
            .chrome("events", format!("Event {}", event.event_type))
            .await,
        event,
        fan_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_links_keep_the_filters_and_drop_empty_ones() {
        let q = LogQuery {
            event_type: "invoice.paid".into(),
            since: "2026-11-23T10:00".into(),
            q: " ".into(),
            ..LogQuery::default()
        };
        assert_eq!(
            q.url(Some(("before", "evt_1"))),
            "/events?type=invoice.paid&since=2026-11-23T10%3A00&before=evt_1"
        );
        assert_eq!(LogQuery::default().url(None), "/events");
    }

    #[test]
    fn until_must_follow_since() {
        let q = LogQuery {
            since: "2026-11-23T10:00".into(),
            until: "2026-11-23T09:00".into(),
            ..LogQuery::default()
        };
        assert!(q.parse().unwrap_err().get("until").is_some());
    }
}
