//! /api/v1/events and /api/v1/deliveries.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use super::params::{DeliveryPath, EventPath};
use super::responses::{Authenticated, JsonBody, NotFound, Query, Unavailable};
use super::{
    ApiJson, ApiQuery, ApiResult, Auth, ErrorBody, EventsWrite, ListQuery, Page, WebhooksRead,
    WebhooksWrite,
};
use crate::deliveries::{self, Attempt, Delivery};
use crate::error::Error;
use crate::events::{self, Event, EventFilter, NewEvent};
use crate::http::PathId;
use crate::ids::{DeliveryId, EventId};
use crate::state::AppState;
use crate::timestamp::Timestamp;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", post(create_event).get(list_events))
        .route("/events/{id}", get(get_event))
        .route("/deliveries/{id}", get(get_delivery))
        .route("/deliveries/{id}/retry", post(retry_delivery))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventIn {
    /// An active event type of the catalog (else 422); not one of hookd's own (`hookd.…`,
    /// reserved: 422).
    #[schema(
        example = "invoice.paid",
        pattern = r"^[a-z0-9_]+(\.[a-z0-9_]+)*$",
        min_length = 1,
        max_length = 128
    )]
    #[serde(rename = "type")]
    event_type: String,
    /// Any JSON object, nested at most 64 levels; delivered byte for byte.
    #[schema(value_type = Object)]
    data: Box<RawValue>,
    /// Only endpoints with one of these channels (or none set) receive it. At most 10.
    #[schema(max_items = 10, value_type = Option<Vec<Channel>>)]
    channels: Option<Vec<String>>,
    /// Same key within 24 h returns the original event (200); nothing new is sent. The
    /// `Idempotency-Key` header does the same; if both are sent they must be equal (else 422).
    /// At most 255 characters; empty means none.
    #[schema(max_length = 255)]
    idempotency_key: Option<String>,
    /// The tenant uid the event is for: it reaches only that tenant's endpoints (without one,
    /// only the team's); it must exist. A tenant-bound key's events are always its tenant's
    /// (naming another is 422).
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,64}$")]
    tenant: Option<String>,
}

/// A channel an event is tagged with.
#[derive(ToSchema)]
#[schema(min_length = 1, max_length = 128)]
#[allow(dead_code)] // documentation only
struct Channel(String);

#[derive(Serialize, ToSchema)]
pub struct EventAccepted {
    #[schema(pattern = r"^evt_[0-9a-f]{32}$")]
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    #[schema(format = DateTime)]
    created_at: String,
    /// Deliveries created (one per matching endpoint).
    deliveries: usize,
}

/// Send an event. 202 once it and its deliveries are committed; 200 with the original event for
/// a repeated idempotency key (the `Idempotency-Key` header, or the body's `idempotency_key`).
#[utoipa::path(post, path = "/api/v1/events", tag = "events", request_body = EventIn,
    params(("Idempotency-Key" = Option<String>, Header, max_length = 255, description = "Same key within 24 h answers 200 with the original event and sends nothing new; an alternative to the body's `idempotency_key` (both sent and different: 422)")),
    responses((status = 202, description = "Accepted", body = EventAccepted), (status = 200, body = EventAccepted, description = "idempotent replay"),
        Authenticated, JsonBody, Unavailable))]
async fn create_event(
    State(state): State<AppState>,
    auth: Auth<EventsWrite>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<EventIn>,
) -> ApiResult<(StatusCode, Json<EventAccepted>)> {
    let key = idempotency_key(&headers, body.idempotency_key)?;
    let tenant = auth.who().stamp(&state.db, body.tenant.as_deref()).await?;
    let mut event = NewEvent::parse(body.event_type, body.data, body.channels, key)?;
    event.tenant = tenant;
    let done = state.delivery.ingest(event).await?;
    let status = if done.duplicate {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((
        status,
        Json(EventAccepted {
            id: done.event_id.to_string(),
            event_type: done.event_type,
            created_at: done.created_at.rfc3339(),
            deliveries: done.deliveries.len(),
        }),
    ))
}

/// The `Idempotency-Key` header (the common convention) or the body's `idempotency_key`; both
/// may be sent only when they agree.
fn idempotency_key(headers: &HeaderMap, body: Option<String>) -> Result<Option<String>, Error> {
    let header = match headers.get(IDEMPOTENCY_KEY) {
        None => None,
        Some(v) => Some(v.to_str().map(str::to_owned).map_err(|_| {
            Error::invalid(
                "idempotency_key",
                "the Idempotency-Key header must be visible ASCII",
            )
        })?),
    };
    match (header, body) {
        (Some(h), Some(b)) if h != b => Err(Error::invalid(
            "idempotency_key",
            "the Idempotency-Key header and the body's idempotency_key differ; send one, or the same value in both",
        )),
        (h, b) => Ok(h.or(b)),
    }
}

const IDEMPOTENCY_KEY: &str = "idempotency-key";

#[derive(Serialize, ToSchema)]
pub struct EventOut {
    id: String,
    /// The tenant's uid; null for the team's own event.
    tenant: Option<String>,
    #[serde(rename = "type")]
    event_type: String,
    #[schema(value_type = Object)]
    data: serde_json::Value,
    channels: Option<Vec<String>>,
    idempotency_key: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    /// With GET /events/{id}: the fan-out.
    #[serde(skip_serializing_if = "Option::is_none")]
    deliveries: Option<Vec<DeliveryOut>>,
}

impl EventOut {
    fn new(e: Event, deliveries: Option<Vec<DeliveryOut>>) -> Self {
        EventOut {
            data: e.data_value(),
            id: e.id.to_string(),
            tenant: e.tenant.map(|t| t.to_string()),
            event_type: e.event_type,
            channels: e.channels,
            idempotency_key: e.idempotency_key,
            created_at: e.created_at.rfc3339(),
            deliveries,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventListQuery {
    /// 1–100, default 25.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page; any other value is refused (422).
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 171)]
    cursor: Option<String>,
    /// Only events of this type.
    #[serde(rename = "type")]
    event_type: Option<String>,
    /// Created at or after (RFC 3339).
    #[param(format = DateTime)]
    since: Option<String>,
    /// Created before (RFC 3339).
    #[param(format = DateTime)]
    until: Option<String>,
    /// Only this tenant's events (a team key; an unknown uid is 422). A tenant-bound key always
    /// sees only its own.
    #[param(pattern = r"^[A-Za-z0-9._:-]{1,64}$")]
    tenant: Option<String>,
}

/// An optional RFC 3339 time filter; present but empty is no time, and refused like any other.
pub fn parse_time(field: &str, v: Option<&str>) -> Result<Option<Timestamp>, Error> {
    match v {
        None => Ok(None),
        Some(s) => Timestamp::parse_rfc3339(s)
            .map(Some)
            .ok_or_else(|| Error::invalid(field, "use an RFC 3339 time like 2026-11-23T10:00:00Z")),
    }
}

/// List events, newest first.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventListQuery),
    responses((status = 200, description = "OK", body = Page<EventOut>), Authenticated, Query))]
async fn list_events(
    State(state): State<AppState>,
    auth: Auth<WebhooksRead>,
    ApiQuery(q): ApiQuery<EventListQuery>,
) -> ApiResult<Json<Page<EventOut>>> {
    let who = auth.list_scope(&state, q.tenant.as_deref()).await?;
    let page = ListQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let before = page.cursor(|key| EventId::parse(key).map(|_| key.to_owned()))?;
    let filter = EventFilter {
        event_type: q.event_type.filter(|t| !t.is_empty()),
        since: parse_time("since", q.since.as_deref())?,
        until: parse_time("until", q.until.as_deref())?,
        search: None,
        tenant: who.tenant().cloned(),
    };
    let rows = events::list(&state.db, &filter, before.as_deref(), limit + 1).await?;
    Ok(Json(Page::from_rows(
        rows,
        limit,
        |e| e.id.to_string(),
        |e| EventOut::new(e, None),
    )))
}

/// Get an event with its deliveries.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(EventPath),
    responses((status = 200, description = "OK", body = EventOut), Authenticated, NotFound))]
async fn get_event(
    State(state): State<AppState>,
    auth: Auth<WebhooksRead>,
    PathId(id): PathId<EventId>,
) -> ApiResult<Json<EventOut>> {
    let id = auth.reach(&state, id).await?;
    let event = events::get(&state.db, &id).await?;
    let fan_out = deliveries::for_event(&state.db, &auth.who(), &id)
        .await?
        .into_iter()
        .map(|d| DeliveryOut::new(d, None))
        .collect();
    Ok(Json(EventOut::new(event, Some(fan_out))))
}

/// Where a delivery stands.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documentation only: `deliveries::Status::as_str` writes it
enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
    Cancelled,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryOut {
    id: String,
    event_id: String,
    endpoint_id: String,
    event_type: String,
    #[schema(value_type = DeliveryStatus)]
    status: String,
    /// Attempts made so far.
    attempts: i64,
    #[schema(format = DateTime)]
    next_attempt_at: Option<String>,
    last_status_code: Option<i64>,
    last_error: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    /// Every attempt, oldest first (on single-delivery responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    attempt_log: Option<Vec<AttemptOut>>,
}

impl DeliveryOut {
    pub fn new(d: Delivery, attempts: Option<Vec<Attempt>>) -> Self {
        DeliveryOut {
            id: d.id.to_string(),
            event_id: d.event_id.to_string(),
            endpoint_id: d.endpoint_id.to_string(),
            event_type: d.event_type,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.map(|t| t.rfc3339()),
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            created_at: d.created_at.rfc3339(),
            updated_at: d.updated_at.rfc3339(),
            attempt_log: attempts.map(|a| a.into_iter().map(AttemptOut::from).collect()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AttemptOut {
    attempt_no: i64,
    #[schema(format = DateTime)]
    started_at: String,
    duration_ms: i64,
    url: String,
    /// As sent, with signatures masked.
    request_headers: std::collections::BTreeMap<String, String>,
    response_status: Option<i64>,
    response_headers: Option<std::collections::BTreeMap<String, String>>,
    /// First 8 KiB.
    response_body: Option<String>,
    error: Option<String>,
    /// timeout, connect, dns, tls, ssrf, redirect, status, secret, …
    error_kind: Option<String>,
    succeeded: bool,
}

impl From<Attempt> for AttemptOut {
    fn from(a: Attempt) -> Self {
        AttemptOut {
            attempt_no: a.attempt_no,
            started_at: a.started_at.rfc3339(),
            duration_ms: a.duration_ms,
            url: a.url,
            request_headers: a.request_headers,
            response_status: a.response_status,
            response_headers: a.response_headers,
            response_body: a.response_body,
            error: a.error,
            error_kind: a.error_kind,
            succeeded: a.succeeded,
        }
    }
}

impl From<crate::deliveries::NewAttempt> for AttemptOut {
    fn from(a: crate::deliveries::NewAttempt) -> Self {
        AttemptOut {
            attempt_no: 1,
            started_at: a.started_at.rfc3339(),
            duration_ms: a.duration_ms,
            url: a.url,
            request_headers: a.request_headers,
            response_status: a.response_status.map(i64::from),
            response_headers: a.response_headers,
            response_body: a.response_body,
            error: a.error,
            error_kind: a.error_kind.map(str::to_owned),
            succeeded: a.succeeded,
        }
    }
}

pub async fn delivery_with_attempts(
    state: &AppState,
    id: &DeliveryId,
) -> Result<DeliveryOut, Error> {
    let (d, attempts) = deliveries::with_attempts(&state.db, id).await?;
    Ok(DeliveryOut::new(d, Some(attempts)))
}

/// Get a delivery with every attempt.
#[utoipa::path(get, path = "/api/v1/deliveries/{id}", tag = "deliveries", params(DeliveryPath),
    responses((status = 200, description = "OK", body = DeliveryOut), Authenticated, NotFound))]
async fn get_delivery(
    State(state): State<AppState>,
    auth: Auth<WebhooksRead>,
    PathId(id): PathId<DeliveryId>,
) -> ApiResult<Json<DeliveryOut>> {
    let id = auth.reach(&state, id).await?;
    Ok(Json(delivery_with_attempts(&state, &id).await?))
}

/// Attempt a delivery again now; returns it with the new attempt.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/retry", tag = "deliveries", params(DeliveryPath),
    responses((status = 200, description = "OK", body = DeliveryOut), Authenticated, NotFound,
        (status = 409, description = "An attempt of this delivery is already queued or running", body = ErrorBody), Unavailable))]
async fn retry_delivery(
    State(state): State<AppState>,
    auth: Auth<WebhooksWrite>,
    PathId(id): PathId<DeliveryId>,
) -> ApiResult<Json<DeliveryOut>> {
    let id = auth.reach(&state, id).await?;
    state.delivery.retry_now(&id).await?;
    Ok(Json(delivery_with_attempts(&state, &id).await?))
}
