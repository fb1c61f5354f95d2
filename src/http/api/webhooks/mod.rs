//! /api/v1/webhooks: endpoints and their signing secrets. The JSON shapes are in `schema`.

mod schema;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use self::schema::{WebhookIn, WebhookOut, WebhookPatch, stats, with_stats};
use super::events::{AttemptOut, DeliveryOut};
use super::params::EndpointPath;
use super::responses::{Authenticated, JsonBody, NotFound, Query, Unavailable};
use super::{
    ApiJson, ApiQuery, ApiResult, Auth, ErrorBody, ListQuery, OptionalJson, Page, WebhooksRead,
    WebhooksWrite,
};
use crate::crypto::Secret;
use crate::deliveries::{self, DeliveryFilter, Status};
use crate::endpoints::{self, EndpointInput};
use crate::error::Error;
use crate::http::PathId;
use crate::ids::{DeliveryId, EndpointId};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list_webhooks).post(create_webhook))
        .route(
            "/webhooks/{id}",
            get(get_webhook)
                .patch(update_webhook)
                .delete(delete_webhook),
        )
        .route("/webhooks/{id}/rotate-secret", post(rotate_webhook_secret))
        .route("/webhooks/{id}/test", post(test_webhook))
        .route("/webhooks/test-url", post(test_url))
        .route("/webhooks/{id}/deliveries", get(list_webhook_deliveries))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WebhookListQuery {
    /// 1–100, default 25.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page; any other value is refused (422).
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 171)]
    cursor: Option<String>,
    /// Only this tenant's endpoints (a team key; an unknown uid is 422). A tenant-bound key
    /// always sees only its own.
    #[param(pattern = r"^[A-Za-z0-9._:-]{1,64}$")]
    tenant: Option<String>,
}

/// List endpoints, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(WebhookListQuery),
    responses((status = 200, description = "OK", body = Page<WebhookOut>), Authenticated, Query))]
async fn list_webhooks(
    State(state): State<AppState>,
    auth: Auth<WebhooksRead>,
    ApiQuery(q): ApiQuery<WebhookListQuery>,
) -> ApiResult<Json<Page<WebhookOut>>> {
    let who = auth.list_scope(&state, q.tenant.as_deref()).await?;
    let q = ListQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = q.limit()?;
    let before = q.cursor(EndpointId::parse)?;
    let rows = endpoints::list(&state.db, &who, before.as_ref(), limit + 1).await?;
    let mut page = Page::from_rows(
        rows,
        limit,
        |e| e.id.to_string(),
        |e| WebhookOut::new(e, None),
    );
    for out in &mut page.data {
        if let Some(id) = EndpointId::parse(&out.id) {
            out.stats = Some(stats(&state, &id).await?);
        }
    }
    Ok(Json(page))
}

/// Create an endpoint; the response carries its signing secret, once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookIn,
    responses((status = 201, description = "Created", body = WebhookOut), Authenticated, JsonBody))]
async fn create_webhook(
    State(state): State<AppState>,
    auth: Auth<WebhooksWrite>,
    ApiJson(input): ApiJson<EndpointInput>,
) -> ApiResult<(StatusCode, Json<WebhookOut>)> {
    let (endpoint, secret) =
        endpoints::create_from_input(&state.db, &state.keyring, &auth.who(), input, &state).await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookOut::new(endpoint, Some(secret))),
    ))
}

/// Get an endpoint (secret masked).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(EndpointPath),
    responses((status = 200, description = "OK", body = WebhookOut), Authenticated, NotFound))]
async fn get_webhook(
    State(state): State<AppState>,
    auth: Auth<WebhooksRead>,
    PathId(id): PathId<EndpointId>,
) -> ApiResult<Json<WebhookOut>> {
    let id = auth.reach(&state, id).await?;
    let endpoint = endpoints::get(&state.db, &id).await?;
    Ok(Json(with_stats(&state, endpoint, None).await?))
}

/// Change any of the create fields (not the secret: rotate it instead).
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(EndpointPath), request_body = WebhookPatch,
    responses((status = 200, description = "OK", body = WebhookOut), Authenticated, JsonBody, NotFound))]
async fn update_webhook(
    State(state): State<AppState>,
    auth: Auth<WebhooksWrite>,
    PathId(id): PathId<EndpointId>,
    ApiJson(patch): ApiJson<EndpointInput>,
) -> ApiResult<Json<WebhookOut>> {
    let id = auth.reach(&state, id).await?;
    let endpoint = endpoints::update_from_input(&state.db, &id, patch, &state).await?;
    state.delivery.endpoint_changed(&id);
    Ok(Json(with_stats(&state, endpoint, None).await?))
}

/// Delete an endpoint.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(EndpointPath),
    responses((status = 204, description = "Deleted"), Authenticated, NotFound))]
async fn delete_webhook(
    State(state): State<AppState>,
    auth: Auth<WebhooksWrite>,
    PathId(id): PathId<EndpointId>,
) -> ApiResult<StatusCode> {
    let id = auth.reach(&state, id).await?;
    endpoints::delete(&state.db, &id).await?;
    state.delivery.endpoint_changed(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// New signing secret (returned once). Every secret rotated out within the last 24 h keeps
/// signing beside it (one `webhook-signature` entry each), at most 5 live secrets: a rotation
/// past that is refused with 409 until the oldest expires.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks", params(EndpointPath),
    responses((status = 200, description = "OK", body = WebhookOut), Authenticated, NotFound,
        (status = 409, description = "Already 5 live secrets (the current one and those rotated out within 24 h)", body = ErrorBody)))]
async fn rotate_webhook_secret(
    State(state): State<AppState>,
    auth: Auth<WebhooksWrite>,
    PathId(id): PathId<EndpointId>,
) -> ApiResult<Json<WebhookOut>> {
    let id = auth.reach(&state, id).await?;
    let (endpoint, secret) = endpoints::rotate_secret(&state.db, &state.keyring, &id, None).await?;
    state.delivery.endpoint_changed(&id);
    Ok(Json(WebhookOut::new(endpoint, Some(secret))))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TestIn {
    /// Default (also when empty) `webhook.test`; otherwise an active catalog type.
    #[schema(pattern = r"^([a-z0-9_]+(\.[a-z0-9_]+)*)?$", max_length = 128)]
    event_type: Option<String>,
    /// The event's `data` (a JSON object); default a short message.
    #[schema(value_type = Option<Object>)]
    data: Option<Box<serde_json::value::RawValue>>,
}

/// Send a test event to this endpoint through the normal signed path; returns the delivery
/// with its first attempt.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", params(EndpointPath),
    request_body(content = Option<TestIn>, description = "Optional: an empty body sends the default `webhook.test`"),
    responses((status = 200, description = "OK", body = DeliveryOut), Authenticated, JsonBody, NotFound, Unavailable))]
async fn test_webhook(
    State(state): State<AppState>,
    auth: Auth<WebhooksWrite>,
    PathId(id): PathId<EndpointId>,
    OptionalJson(body): OptionalJson<TestIn>,
) -> ApiResult<Json<DeliveryOut>> {
    let id = auth.reach(&state, id).await?;
    endpoints::get(&state.db, &id).await?;
    let delivery = state
        .delivery
        .send_test(&id, body.event_type, body.data)
        .await?;
    Ok(Json(
        super::events::delivery_with_attempts(&state, &delivery).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestUrlIn {
    /// The same rules as an endpoint's `url`.
    #[schema(
        format = "uri",
        pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://",
        max_length = 2048
    )]
    url: String,
    /// Sign with this secret (`whsec_` + base64 of 24–64 bytes); default a fresh one (returned).
    #[schema(
        pattern = r"^(|whsec_((?:[A-Za-z0-9+/]{4}){8,21}(?:[A-Za-z0-9+/][AQgw]==)?|(?:[A-Za-z0-9+/]{4}){8,20}[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=))$"
    )]
    secret: Option<String>,
    /// Default true.
    tls_verify: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct TestUrlOut {
    /// The secret the request was signed with.
    secret: String,
    attempt: AttemptOut,
}

/// One signed `webhook.test` attempt to a URL that is not saved (same SSRF policy); the result
/// is returned, nothing is stored.
#[utoipa::path(post, path = "/api/v1/webhooks/test-url", tag = "webhooks", request_body = TestUrlIn,
    responses((status = 200, description = "OK", body = TestUrlOut), Authenticated, JsonBody))]
async fn test_url(
    State(state): State<AppState>,
    _: Auth<WebhooksWrite>,
    ApiJson(body): ApiJson<TestUrlIn>,
) -> ApiResult<Json<TestUrlOut>> {
    use crate::endpoints::TargetPolicy;
    let url = endpoints::check_url(body.url.trim(), state.rules())
        .map_err(|m| Error::invalid("url", m))?;
    state
        .check(&url)
        .await
        .map_err(|m| Error::invalid("url", m))?;
    let secret = match body
        .secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => Some(
            Secret::parse(s).map_err(|m| Error::invalid("secret", format!("The secret {m}.")))?,
        ),
    };
    let timeout = std::time::Duration::from_secs(endpoints::DEFAULT_TIMEOUT_SECONDS as u64);
    let (attempt, secret) = state
        .delivery
        .test_url(&url, secret, body.tls_verify.unwrap_or(true), timeout)
        .await;
    Ok(Json(TestUrlOut {
        secret: secret.expose().to_owned(),
        attempt: attempt.into(),
    }))
}

/// The values of the `status` filter.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documentation only
enum StatusFilter {
    Pending,
    Succeeded,
    Failed,
    Cancelled,
    Failing,
}

/// The `status` filter's value for "failed, or retrying after a failed attempt".
const FAILING: &str = "failing";

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListQuery {
    /// 1–100, default 25.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page; any other value is refused (422).
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 171)]
    cursor: Option<String>,
    /// pending, succeeded, failed, cancelled, or `failing`: failed or retrying after a failed
    /// attempt (pending with at least one attempt)
    #[param(value_type = Option<StatusFilter>, inline)]
    status: Option<String>,
    /// Only deliveries of this event type.
    event_type: Option<String>,
    /// Created at or after (RFC 3339).
    #[param(format = DateTime)]
    since: Option<String>,
    /// Created before (RFC 3339).
    #[param(format = DateTime)]
    until: Option<String>,
}

/// This endpoint's deliveries, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(EndpointPath, DeliveryListQuery),
    responses((status = 200, description = "OK", body = Page<DeliveryOut>), Authenticated, NotFound, Query))]
async fn list_webhook_deliveries(
    State(state): State<AppState>,
    auth: Auth<WebhooksRead>,
    PathId(id): PathId<EndpointId>,
    ApiQuery(q): ApiQuery<DeliveryListQuery>,
) -> ApiResult<Json<Page<DeliveryOut>>> {
    let id = auth.reach(&state, id).await?;
    endpoints::get(&state.db, &id).await?;
    let page = ListQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let before = page.cursor(DeliveryId::parse)?;
    let failing = q.status.as_deref() == Some(FAILING);
    let status = match q.status.as_deref().filter(|s| !s.is_empty() && *s != FAILING) {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            Error::invalid(
                "status",
                "use pending, succeeded, failing (failed or retrying after a failed attempt), failed or cancelled",
            )
        })?),
    };
    let filter = DeliveryFilter {
        endpoint_id: Some(id),
        status,
        failing,
        event_type: q.event_type.filter(|t| !t.is_empty()),
        since: super::events::parse_time("since", q.since.as_deref())?,
        until: super::events::parse_time("until", q.until.as_deref())?,
    };
    let rows = deliveries::list(&state.db, &filter, before.as_ref(), None, limit + 1).await?;
    Ok(Json(Page::from_rows(
        rows,
        limit,
        |d| d.id.to_string(),
        |d| DeliveryOut::new(d, None),
    )))
}
