//! /api/v1/webhooks: endpoints and their signing secrets.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    ApiJson, ApiQuery, ApiResult, Auth, ErrorBody, ListQuery, Page, WebhooksRead, WebhooksWrite,
};
use crate::crypto::Secret;
use crate::endpoints::{self, Endpoint, EndpointInput};
use crate::error::Error;
use crate::ids::EndpointId;
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
}

/// An endpoint. `secret` appears only in the responses that create it (creation, rotation).
#[derive(Serialize, ToSchema)]
pub struct WebhookOut {
    #[schema(example = "wh_0193b1c2d3e47f8a9b0c1d2e3f405162")]
    id: String,
    name: String,
    url: String,
    description: String,
    /// Event type names, `prefix.*` patterns or `*`.
    events: Vec<String>,
    /// When set, only events tagged with one of these channels are delivered.
    channels: Option<Vec<String>>,
    enabled: bool,
    headers: BTreeMap<String, String>,
    retry_count: i64,
    timeout_seconds: i64,
    tls_verify: bool,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    last_triggered_at: Option<String>,
    last_success_at: Option<String>,
    last_failure_at: Option<String>,
    /// Consecutive failed deliveries.
    failure_count: i64,
    /// null, `manual`, or `auto: <why>`.
    disabled_reason: Option<String>,
    has_secret: bool,
    #[schema(example = "whsec_••••abcd")]
    secret_masked: String,
    /// The full signing secret: present only here, once.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl WebhookOut {
    fn new(e: Endpoint, secret: Option<Secret>) -> Self {
        let masked = e.secret_masked();
        let s = e.spec;
        WebhookOut {
            id: e.id.to_string(),
            name: s.name,
            url: s.url,
            description: s.description,
            events: s.events,
            channels: s.channels,
            enabled: s.enabled,
            headers: s.headers,
            retry_count: s.retry_count,
            timeout_seconds: s.timeout_seconds,
            tls_verify: s.tls_verify,
            created_at: e.created_at.rfc3339(),
            updated_at: e.updated_at.rfc3339(),
            last_triggered_at: e.last_triggered_at.map(|t| t.rfc3339()),
            last_success_at: e.last_success_at.map(|t| t.rfc3339()),
            last_failure_at: e.last_failure_at.map(|t| t.rfc3339()),
            failure_count: e.failure_count,
            disabled_reason: e.disabled_reason,
            has_secret: true,
            secret_masked: masked,
            secret: secret.map(|s| s.expose().to_owned()),
        }
    }
}

/// Body of create and PATCH (every field optional on PATCH; `url` and `events` required on
/// create). Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // documentation only: requests parse into `EndpointInput`
pub struct WebhookIn {
    #[schema(example = "https://example.com/webhooks")]
    url: Option<String>,
    #[schema(example = json!(["invoice.*"]))]
    events: Option<Vec<String>>,
    /// Defaults to the URL's host.
    name: Option<String>,
    description: Option<String>,
    /// Default true.
    enabled: Option<bool>,
    /// Custom request headers; reserved and hop-by-hop names are refused.
    headers: Option<BTreeMap<String, String>>,
    /// Retries after the first attempt, 0–10, default 4.
    retry_count: Option<i64>,
    /// 1–30, default 10.
    timeout_seconds: Option<i64>,
    /// null clears the filter.
    channels: Option<Vec<String>>,
    /// Default true; false only for receivers with self-signed certificates.
    tls_verify: Option<bool>,
    /// Creation only: `whsec_` + base64 of 24–64 bytes, instead of a generated secret.
    secret: Option<String>,
}

fn parse_id(id: &str) -> Result<EndpointId, Error> {
    EndpointId::parse(id).ok_or(Error::NotFound("endpoint"))
}

/// List endpoints, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(ListQuery),
    responses((status = 200, description = "OK", body = Page<WebhookOut>), (status = 401, description = "Missing or invalid API key", body = ErrorBody)))]
async fn list_webhooks(
    State(state): State<AppState>,
    _: Auth<WebhooksRead>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<WebhookOut>>> {
    let limit = q.limit()?;
    let before = match q.cursor_text()? {
        None => None,
        Some(c) => Some(
            EndpointId::parse(&c)
                .ok_or_else(|| Error::invalid("cursor", "cursor is not one hookd returned"))?,
        ),
    };
    let rows = endpoints::list(&state.db, before.as_ref(), limit + 1).await?;
    Ok(Json(Page::from_rows(
        rows,
        limit,
        |e| e.id.to_string(),
        |e| WebhookOut::new(e, None),
    )))
}

/// Create an endpoint; the response carries its signing secret, once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookIn,
    responses((status = 201, description = "Created", body = WebhookOut), (status = 422, description = "Validation failed: one details entry per field", body = ErrorBody), (status = 413, description = "Body larger than max_payload_bytes", body = ErrorBody)))]
async fn create_webhook(
    State(state): State<AppState>,
    _: Auth<WebhooksWrite>,
    ApiJson(input): ApiJson<EndpointInput>,
) -> ApiResult<(StatusCode, Json<WebhookOut>)> {
    let (endpoint, secret) =
        endpoints::create_from_input(&state.db, &state.keyring, input, &state).await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookOut::new(endpoint, Some(secret))),
    ))
}

/// Get an endpoint (secret masked).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    responses((status = 200, description = "OK", body = WebhookOut), (status = 404, description = "Not found", body = ErrorBody)))]
async fn get_webhook(
    State(state): State<AppState>,
    _: Auth<WebhooksRead>,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookOut>> {
    Ok(Json(WebhookOut::new(
        endpoints::get(&state.db, &parse_id(&id)?).await?,
        None,
    )))
}

/// Change any of the create fields (not the secret: rotate it instead).
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", request_body = WebhookIn,
    responses((status = 200, description = "OK", body = WebhookOut), (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Validation failed: one details entry per field", body = ErrorBody)))]
async fn update_webhook(
    State(state): State<AppState>,
    _: Auth<WebhooksWrite>,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<EndpointInput>,
) -> ApiResult<Json<WebhookOut>> {
    let id = parse_id(&id)?;
    let endpoint = endpoints::update_from_input(&state.db, &id, patch, &state).await?;
    Ok(Json(WebhookOut::new(endpoint, None)))
}

/// Delete an endpoint.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn delete_webhook(
    State(state): State<AppState>,
    _: Auth<WebhooksWrite>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    endpoints::delete(&state.db, &parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// New signing secret (returned once); the previous one keeps signing for 24 h.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    responses((status = 200, description = "OK", body = WebhookOut), (status = 404, description = "Not found", body = ErrorBody)))]
async fn rotate_webhook_secret(
    State(state): State<AppState>,
    _: Auth<WebhooksWrite>,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookOut>> {
    let (endpoint, secret) =
        endpoints::rotate_secret(&state.db, &state.keyring, &parse_id(&id)?, None).await?;
    Ok(Json(WebhookOut::new(endpoint, Some(secret))))
}
