//! /api/v1/tenants: the team's customers, their bound keys and portal links. Team keys only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::params::TenantPath;
use super::responses::{Authenticated, JsonBody, NotFound, Query};
use super::{
    ApiJson, ApiQuery, ApiResult, Auth, ErrorBody, ListQuery, OptionalJson, Page, TeamRead,
    TeamWrite,
};
use crate::api_keys::{self, ApiKey};
use crate::http::PathId;
use crate::portal_links;
use crate::state::AppState;
use crate::tenants::{self, Tenant, TenantUid};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tenants", get(list_tenants).post(create_tenant))
        .route(
            "/tenants/{uid}",
            get(get_tenant)
                .put(put_tenant)
                .patch(update_tenant)
                .delete(delete_tenant),
        )
        .route("/tenants/{uid}/api-keys", post(create_tenant_key))
        .route("/tenants/{uid}/portal-links", post(create_portal_link))
}

/// One of the team's customers.
#[derive(Serialize, ToSchema)]
pub struct TenantOut {
    #[schema(example = "tn_0193b1c2d3e47f8a9b0c1d2e3f405162")]
    id: String,
    /// The team's own id for this customer.
    #[schema(example = "cus_42")]
    uid: String,
    name: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<Tenant> for TenantOut {
    fn from(t: Tenant) -> Self {
        TenantOut {
            id: t.id.to_string(),
            uid: t.uid.to_string(),
            name: t.name,
            created_at: t.created_at.rfc3339(),
            updated_at: t.updated_at.rfc3339(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantIn {
    /// 1–64 characters of `A-Z a-z 0-9 . _ : -`, unique.
    #[schema(
        example = "cus_42",
        min_length = 1,
        max_length = 64,
        pattern = r"^[A-Za-z0-9._:-]{1,64}$"
    )]
    uid: String,
    /// At most 200 characters, no control characters; surrounding spaces are dropped.
    #[schema(max_length = 200, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    name: Option<String>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TenantChange {
    /// At most 200 characters, no control characters; absent keeps the name.
    #[schema(max_length = 200, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    name: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TenantListQuery {
    /// 1–100, default 25.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page; any other value is refused (422).
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 171)]
    cursor: Option<String>,
    /// Part of a uid or name (case-insensitive).
    search: Option<String>,
}

/// List tenants by uid.
#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants", params(TenantListQuery),
    responses((status = 200, description = "OK", body = Page<TenantOut>), Authenticated, Query))]
async fn list_tenants(
    State(state): State<AppState>,
    _: Auth<TeamRead>,
    ApiQuery(q): ApiQuery<TenantListQuery>,
) -> ApiResult<Json<Page<TenantOut>>> {
    let page = ListQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let after = page.cursor(TenantUid::parse)?;
    let rows = tenants::list(&state.db, q.search.as_deref(), after.as_ref(), limit + 1).await?;
    Ok(Json(Page::from_rows(
        rows,
        limit,
        |t| t.uid.to_string(),
        TenantOut::from,
    )))
}

/// Create a tenant; a taken uid is 409.
#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants", request_body = TenantIn,
    responses((status = 201, description = "Created", body = TenantOut), (status = 409, description = "The uid is taken", body = ErrorBody), Authenticated, JsonBody))]
async fn create_tenant(
    State(state): State<AppState>,
    _: Auth<TeamWrite>,
    ApiJson(body): ApiJson<TenantIn>,
) -> ApiResult<(StatusCode, Json<TenantOut>)> {
    let t = tenants::create(&state.db, &body.uid, body.name.as_deref().unwrap_or("")).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// Create the tenant, or update its name: safe to call on every sign-up. 201 when created,
/// 200 when it existed.
#[utoipa::path(put, path = "/api/v1/tenants/{uid}", tag = "tenants", params(TenantPath), request_body(content = Option<TenantChange>, description = "Optional: an empty body creates the tenant or leaves it as it is"),
    responses((status = 201, description = "Created", body = TenantOut), (status = 200, description = "It existed; updated", body = TenantOut), Authenticated, JsonBody, NotFound))]
async fn put_tenant(
    State(state): State<AppState>,
    _: Auth<TeamWrite>,
    PathId(uid): PathId<TenantUid>,
    OptionalJson(body): OptionalJson<TenantChange>,
) -> ApiResult<(StatusCode, Json<TenantOut>)> {
    let name = body.name;
    let (t, created) = tenants::put(&state.db, &uid, name.as_deref()).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(t.into())))
}

/// Get a tenant.
#[utoipa::path(get, path = "/api/v1/tenants/{uid}", tag = "tenants", params(TenantPath),
    responses((status = 200, description = "OK", body = TenantOut), Authenticated, NotFound))]
async fn get_tenant(
    State(state): State<AppState>,
    _: Auth<TeamRead>,
    PathId(uid): PathId<TenantUid>,
) -> ApiResult<Json<TenantOut>> {
    Ok(Json(tenants::get(&state.db, &uid).await?.into()))
}

/// Change a tenant's name (its uid never changes).
#[utoipa::path(patch, path = "/api/v1/tenants/{uid}", tag = "tenants", params(TenantPath), request_body = TenantChange,
    responses((status = 200, description = "OK", body = TenantOut), Authenticated, JsonBody, NotFound))]
async fn update_tenant(
    State(state): State<AppState>,
    _: Auth<TeamWrite>,
    PathId(uid): PathId<TenantUid>,
    ApiJson(body): ApiJson<TenantChange>,
) -> ApiResult<Json<TenantOut>> {
    Ok(Json(
        tenants::update(&state.db, &uid, body.name.as_deref())
            .await?
            .into(),
    ))
}

/// Delete a tenant with its endpoints, events, deliveries, keys and portal links.
#[utoipa::path(delete, path = "/api/v1/tenants/{uid}", tag = "tenants", params(TenantPath),
    responses((status = 204, description = "Deleted"), Authenticated, NotFound))]
async fn delete_tenant(
    State(state): State<AppState>,
    _: Auth<TeamWrite>,
    PathId(uid): PathId<TenantUid>,
) -> ApiResult<StatusCode> {
    for id in tenants::delete(&state.db, &uid).await? {
        state.delivery.endpoint_changed(&id);
    }
    // Its keys are gone: no cached authentication may outlive them.
    state.api_keys.clear();
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantKeyIn {
    /// What the key is for; 1–100 characters, not only spaces.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    name: String,
    /// Default `["all"]` (everything a tenant-bound key may do).
    #[schema(value_type = Option<Vec<ScopeName>>)]
    scopes: Option<Vec<String>>,
}

/// A scope: `webhooks:write` includes `webhooks:read`, `all` everything.
#[derive(ToSchema)]
#[allow(dead_code)] // documentation only: scopes parse with `api_keys::parse_scopes`
pub enum ScopeName {
    #[schema(rename = "events:write")]
    EventsWrite,
    #[schema(rename = "webhooks:read")]
    WebhooksRead,
    #[schema(rename = "webhooks:write")]
    WebhooksWrite,
    #[schema(rename = "all")]
    All,
}

/// An API key; `key` appears only in the response that creates it.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyOut {
    #[schema(example = "key_0193b1c2d3e47f8a9b0c1d2e3f405162")]
    id: String,
    name: String,
    /// The first characters, to tell keys apart.
    prefix: String,
    scopes: Vec<String>,
    /// The tenant's uid the key is bound to; null for a team key.
    tenant: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    /// The whole key: present only here, once.
    key: String,
}

impl ApiKeyOut {
    fn new(k: ApiKey, plaintext: String) -> Self {
        ApiKeyOut {
            id: k.id.to_string(),
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            tenant: k.tenant.map(|t| t.to_string()),
            created_at: k.created_at.rfc3339(),
            key: plaintext,
        }
    }
}

/// Create an API key bound to this tenant: it sees and changes only the tenant's endpoints,
/// events and deliveries, and its events are the tenant's.
#[utoipa::path(post, path = "/api/v1/tenants/{uid}/api-keys", tag = "tenants", params(TenantPath), request_body = TenantKeyIn,
    responses((status = 201, description = "Created; `key` is shown only here", body = ApiKeyOut), Authenticated, JsonBody, NotFound))]
async fn create_tenant_key(
    State(state): State<AppState>,
    _: Auth<TeamWrite>,
    PathId(uid): PathId<TenantUid>,
    ApiJson(body): ApiJson<TenantKeyIn>,
) -> ApiResult<(StatusCode, Json<ApiKeyOut>)> {
    let uid = tenants::get(&state.db, &uid).await?.uid;
    let scopes = api_keys::parse_scopes(body.scopes.as_deref().unwrap_or_default())?;
    let (key, plaintext) = api_keys::create(&state.db, &body.name, scopes, Some(uid)).await?;
    tracing::info!(api_key = %key.id, tenant = ?key.tenant, "tenant API key created");
    Ok((StatusCode::CREATED, Json(ApiKeyOut::new(key, plaintext))))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PortalLinkIn {
    /// Show the portal without any control that changes something (default false).
    read_only: Option<bool>,
    /// How long the link can be opened: 60–604800, default 900.
    #[schema(minimum = 60, maximum = 604800)]
    #[serde(default, deserialize_with = "crate::endpoints::whole_number")]
    expires_in_seconds: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct PortalLinkOut {
    /// Absolute; works once.
    url: String,
    #[schema(format = DateTime)]
    expires_at: String,
}

/// A one-time link into this tenant's portal: send the customer's browser there.
#[utoipa::path(post, path = "/api/v1/tenants/{uid}/portal-links", tag = "tenants", params(TenantPath), request_body(content = Option<PortalLinkIn>, description = "Optional: an empty body makes a read-write link valid for 15 minutes"),
    responses((status = 201, description = "Created", body = PortalLinkOut), Authenticated, JsonBody, NotFound))]
async fn create_portal_link(
    State(state): State<AppState>,
    _: Auth<TeamWrite>,
    PathId(uid): PathId<TenantUid>,
    OptionalJson(body): OptionalJson<PortalLinkIn>,
) -> ApiResult<(StatusCode, Json<PortalLinkOut>)> {
    let uid = tenants::get(&state.db, &uid).await?.uid;
    let ttl = portal_links::ttl(body.expires_in_seconds)?;
    let link = portal_links::create(&state.db, &uid, body.read_only.unwrap_or(false), ttl).await?;
    Ok((
        StatusCode::CREATED,
        Json(PortalLinkOut {
            url: format!(
                "{}{}?token={}",
                state.public_url,
                portal_links::ENTER_PATH,
                link.token
            ),
            expires_at: link.expires_at.rfc3339(),
        }),
    ))
}
