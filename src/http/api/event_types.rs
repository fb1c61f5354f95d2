//! /api/v1/event-types

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::responses::{Authenticated, JsonBody, NotFound, Query};
use super::{
    ApiJson, ApiQuery, ApiResult, Auth, ErrorBody, ListQuery, Page, TeamWrite, WebhooksRead,
};
use crate::error::Error;
use crate::event_types::{self, EventType, EventTypeChanges, NewEventType};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/event-types",
            get(list_event_types).post(create_event_type),
        )
        .route(
            "/event-types/{name}",
            delete(archive_event_type)
                .get(get_event_type)
                .patch(update_event_type),
        )
}

/// An event type of the catalog.
#[derive(Serialize, ToSchema)]
pub struct EventTypeOut {
    #[schema(example = "invoice.paid")]
    name: String,
    description: String,
    /// Example payload (`data`) shown in the dashboard and used for test sends.
    example: Option<serde_json::Value>,
    archived: bool,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<EventType> for EventTypeOut {
    fn from(t: EventType) -> Self {
        EventTypeOut {
            name: t.name,
            description: t.description,
            example: t.example,
            archived: t.archived,
            created_at: t.created_at.rfc3339(),
            updated_at: t.updated_at.rfc3339(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventTypeIn {
    /// Lowercase letters, digits and underscores in dot-separated parts, at most 128.
    #[schema(
        example = "invoice.paid",
        pattern = r"^[a-z0-9_]+(\.[a-z0-9_]+)*$",
        min_length = 1,
        max_length = 128
    )]
    name: String,
    /// At most 1,000 characters.
    #[serde(default)]
    #[schema(max_length = 1000)]
    description: String,
    /// Example payload (`data`): a JSON object of at most 64 KiB.
    #[schema(value_type = Option<Object>)]
    example: Option<serde_json::Value>,
}

/// Changes to an event type; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventTypePatch {
    /// At most 1,000 characters.
    #[schema(max_length = 1000)]
    description: Option<String>,
    /// A JSON object of at most 64 KiB; `null` removes the example.
    #[serde(default, deserialize_with = "crate::endpoints::double_option")]
    #[schema(value_type = Option<Object>)]
    example: Option<Option<serde_json::Value>>,
    /// `true` archives the type (new events of it are refused), `false` restores it.
    archived: Option<bool>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventTypeListQuery {
    /// 1–100, default 25.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page; any other value is refused (422).
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 171)]
    cursor: Option<String>,
    /// Include archived types.
    #[serde(default)]
    include_archived: bool,
}

/// List event types, by name.
#[utoipa::path(get, path = "/api/v1/event-types", tag = "event-types", params(EventTypeListQuery),
    responses((status = 200, description = "OK", body = Page<EventTypeOut>), Authenticated, Query))]
async fn list_event_types(
    State(state): State<AppState>,
    _: Auth<WebhooksRead>,
    ApiQuery(q): ApiQuery<EventTypeListQuery>,
) -> ApiResult<Json<Page<EventTypeOut>>> {
    let page = ListQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let after = page.cursor(|key| event_types::is_valid_name(key).then(|| key.to_owned()))?;
    let rows =
        event_types::list(&state.db, q.include_archived, after.as_deref(), limit + 1).await?;
    Ok(Json(Page::from_rows(
        rows,
        limit,
        |t| t.name.clone(),
        EventTypeOut::from,
    )))
}

/// Add an event type (or restore an archived one of the same name). Names starting with
/// `hookd.` are reserved (422).
#[utoipa::path(post, path = "/api/v1/event-types", tag = "event-types", request_body = EventTypeIn,
    responses((status = 201, description = "Created", body = EventTypeOut), Authenticated, JsonBody,
        (status = 409, description = "An active type of this name exists", body = ErrorBody)))]
async fn create_event_type(
    State(state): State<AppState>,
    _: Auth<TeamWrite>,
    ApiJson(body): ApiJson<EventTypeIn>,
) -> ApiResult<(StatusCode, Json<EventTypeOut>)> {
    let new = NewEventType {
        name: body.name,
        description: body.description,
        example: body.example,
    };
    let created = event_types::create(&state.db, new).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Get one event type.
#[utoipa::path(get, path = "/api/v1/event-types/{name}", tag = "event-types", params(("name" = String, Path, description = "The event type's name", pattern = r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", min_length = 1, max_length = 128)),
    responses((status = 200, description = "OK", body = EventTypeOut), Authenticated, NotFound))]
async fn get_event_type(
    State(state): State<AppState>,
    _: Auth<WebhooksRead>,
    Path(name): Path<String>,
) -> ApiResult<Json<EventTypeOut>> {
    let t = event_types::get(&state.db, &name)
        .await?
        .ok_or(Error::NotFound("event type"))?;
    Ok(Json(t.into()))
}

/// Archive an event type: new events of this type are refused; history stays. hookd's own
/// types (`hookd.…`) are built in: archiving one is a conflict.
#[utoipa::path(delete, path = "/api/v1/event-types/{name}", tag = "event-types", params(("name" = String, Path, description = "The event type's name", pattern = r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", min_length = 1, max_length = 128)),
    responses((status = 200, description = "Archived (also when it already was)", body = EventTypeOut), (status = 409, description = "One of hookd's own, built-in types", body = super::ErrorBody), Authenticated, NotFound))]
async fn archive_event_type(
    State(state): State<AppState>,
    _: Auth<TeamWrite>,
    Path(name): Path<String>,
) -> ApiResult<Json<EventTypeOut>> {
    Ok(Json(event_types::archive(&state.db, &name).await?.into()))
}

/// Change an event type's description or example, or archive or restore it. hookd's own types
/// (`hookd.…`) are built in: changing one is a conflict.
#[utoipa::path(patch, path = "/api/v1/event-types/{name}", tag = "event-types", params(("name" = String, Path, description = "The event type's name", pattern = r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", min_length = 1, max_length = 128)), request_body = EventTypePatch,
    responses((status = 200, description = "OK", body = EventTypeOut), (status = 409, description = "One of hookd's own, built-in types", body = super::ErrorBody), Authenticated, JsonBody, NotFound))]
async fn update_event_type(
    State(state): State<AppState>,
    _: Auth<TeamWrite>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<EventTypePatch>,
) -> ApiResult<Json<EventTypeOut>> {
    let changes = EventTypeChanges {
        description: body.description,
        example: body.example,
        archived: body.archived,
    };
    Ok(Json(
        event_types::update(&state.db, &name, changes).await?.into(),
    ))
}
