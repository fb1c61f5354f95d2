//! The JSON API: `ApiError` renders the DESIGN error shape, `ApiJson` parses bodies with our
//! errors, `Auth<S>` authenticates an API key and checks scope `S`.

use std::marker::PhantomData;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::api_keys::{ApiKey, Scope};
use crate::error::Error;
use crate::ids::ObjectId;
use crate::state::AppState;
use crate::tenants::{Owned, Visibility};

mod event_types;
mod events;
mod meta;
pub mod params;
mod replays;
pub mod responses;
mod tenants;
mod webhooks;

pub use meta::{document, openapi_json};

pub fn router(state: AppState) -> Router<AppState> {
    let limit = state.config.max_payload_bytes;
    Router::new()
        .merge(event_types::router())
        .merge(webhooks::router())
        .merge(events::router())
        .merge(replays::router())
        .merge(tenants::router())
        .layer(DefaultBodyLimit::max(limit))
}

/// The error shape, for the OpenAPI document.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    code: ErrorCode,
    message: String,
    /// For validation errors, one message per field; otherwise empty.
    details: std::collections::BTreeMap<String, String>,
}

/// Machine-readable: `Error::code`, and `unsupported_media_type` for a body not sent as JSON.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)] // documentation only: responses are built from `Error`
pub enum ErrorCode {
    NotFound,
    Conflict,
    ValidationFailed,
    BadRequest,
    Unauthorized,
    Forbidden,
    RateLimited,
    Unavailable,
    PayloadTooLarge,
    UnsupportedMediaType,
    Internal,
}

/// A page of a list, with the cursor of the next page (null on the last).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// `rows` was fetched with `limit + 1`: the extra row only says there is a next page.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: u32,
        key: impl Fn(&R) -> String,
        out: impl Fn(R) -> T,
    ) -> Page<T> {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| crate::db::cursor::encode(&key(r)))
        } else {
            None
        };
        Page {
            data: rows.into_iter().map(out).collect(),
            next_cursor,
        }
    }
}

pub const DEFAULT_LIMIT: u32 = 25;
pub const MAX_LIMIT: u32 = 100;

/// `limit` and `cursor` of list routes.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1–100, default 25.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page; any other value is refused (422).
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 171)]
    pub cursor: Option<String>,
}

impl ListQuery {
    pub fn limit(&self) -> Result<u32, Error> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(Error::invalid("limit", "limit must be between 1 and 100")),
        }
    }
    /// The sort key to continue after: `next_cursor` decoded, then checked by `parse` as the
    /// key of this list, so every list refuses a cursor it did not hand out in the same way.
    pub fn cursor<T>(&self, parse: impl FnOnce(&str) -> Option<T>) -> Result<Option<T>, Error> {
        self.cursor
            .as_deref()
            .map(|c| {
                crate::db::cursor::decode(c)
                    .and_then(|key| parse(&key))
                    .ok_or_else(|| Error::invalid("cursor", "cursor is not one hookd returned"))
            })
            .transpose()
    }
}

/// `axum::extract::Query` with our error shape.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|r| ApiError(Error::invalid("query", json_error_text(r.body_text()))))
    }
}

/// A domain error rendered as `{"error":{"code","message","details"}}`.
pub struct ApiError(pub Error);

impl<E: Into<Error>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = e.status();
        let (message, details) = match &e {
            Error::Internal(inner) => {
                tracing::error!(error = %format!("{inner:#}"), "internal error");
                ("internal error; see the server log".to_owned(), json!({}))
            }
            Error::Invalid(fields) => {
                let first = fields
                    .0
                    .iter()
                    .next()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .unwrap_or_default();
                (format!("invalid request: {first}"), json!(fields))
            }
            other => (other.to_string(), json!({})),
        };
        let mut resp = (
            status,
            axum::Json(
                json!({"error": {"code": e.code(), "message": message, "details": details}}),
            ),
        )
            .into_response();
        if let Some(secs) = e.retry_after() {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

/// `axum::Json` with our error shape: bad syntax → 400, wrong shape → 422 naming the field,
/// wrong content type → 415, too large → 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.config.max_payload_bytes;
        let (parts, body) = req.into_parts();
        let bytes = read_body(Request::from_parts(parts.clone(), body), state).await?;
        let req = Request::from_parts(parts, Body::from(bytes.clone()));
        match axum::Json::<T>::from_request(req, state).await {
            // serde reads a struct from an array of its fields in order too; every body of
            // this API is an object (or, for `OptionalJson`, `null`).
            Ok(_) if bytes.trim_ascii_start().starts_with(b"[") => Err(ApiError(Error::invalid(
                "body",
                "the body must be a JSON object",
            ))
            .into_response()),
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection, limit)),
        }
    }
}

/// The whole body, within the body limit (413 past it).
async fn read_body(req: Request, state: &AppState) -> Result<Bytes, Response> {
    Bytes::from_request(req, state).await.map_err(|r| {
        let error = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::PayloadTooLarge(state.config.max_payload_bytes)
        } else {
            Error::BadRequest(r.body_text())
        };
        ApiError(error).into_response()
    })
}

/// `ApiJson` for a body that may be left out: an empty (or blank) body, or JSON `null`, is
/// `T::default()` (an empty body whatever its content type); any other body is read as
/// `ApiJson` reads it.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default + Send> FromRequest<AppState> for OptionalJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bytes = read_body(Request::from_parts(parts.clone(), body), state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        let req = Request::from_parts(parts, Body::from(bytes));
        let ApiJson(v) = ApiJson::<Option<T>>::from_request(req, state).await?;
        Ok(OptionalJson(v.unwrap_or_default()))
    }
}

fn json_rejection(r: JsonRejection, limit: usize) -> Response {
    let error = match &r {
        JsonRejection::MissingJsonContentType(_) => {
            let body = json!({"error": {"code": "unsupported_media_type",
                "message": "send the body as JSON with Content-Type: application/json", "details": {}}});
            return (StatusCode::UNSUPPORTED_MEDIA_TYPE, axum::Json(body)).into_response();
        }
        JsonRejection::JsonDataError(e) => {
            // serde_path_to_error puts the failing field first: "retry_count: invalid type: …"
            let text = json_error_text(e.body_text());
            match text.split_once(": ") {
                Some((path, msg)) if !path.contains(' ') && path != "." => {
                    Error::invalid(path, msg)
                }
                _ => Error::invalid("body", text),
            }
        }
        JsonRejection::JsonSyntaxError(e) => Error::BadRequest(format!(
            "malformed JSON: {}",
            json_error_text(e.body_text())
        )),
        _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge(limit),
        _ => Error::BadRequest(r.body_text()),
    };
    ApiError(error).into_response()
}

/// serde's message without axum's "Failed to deserialize the JSON body into the target type: ".
fn json_error_text(text: String) -> String {
    match text.split_once(": ") {
        Some((head, rest)) if head.starts_with("Failed to") => rest.to_owned(),
        _ => text,
    }
}

/// The scope a route needs, as a type so that a handler's signature shows it; `TEAM_ONLY`
/// routes (tenants, keys, the catalog's changes) refuse tenant-bound keys.
pub trait RequiredScope {
    const SCOPE: Scope;
    const TEAM_ONLY: bool = false;
}
pub struct EventsWrite;
pub struct WebhooksRead;
pub struct WebhooksWrite;
/// `webhooks:read`, team keys only.
pub struct TeamRead;
/// `webhooks:write`, team keys only.
pub struct TeamWrite;
impl RequiredScope for TeamRead {
    const SCOPE: Scope = Scope::WebhooksRead;
    const TEAM_ONLY: bool = true;
}
impl RequiredScope for TeamWrite {
    const SCOPE: Scope = Scope::WebhooksWrite;
    const TEAM_ONLY: bool = true;
}
impl RequiredScope for EventsWrite {
    const SCOPE: Scope = Scope::EventsWrite;
}
impl RequiredScope for WebhooksRead {
    const SCOPE: Scope = Scope::WebhooksRead;
}
impl RequiredScope for WebhooksWrite {
    const SCOPE: Scope = Scope::WebhooksWrite;
}

/// An authenticated API key holding scope `S`: `Authorization: Bearer hk_…` or `X-API-Key`.
pub struct Auth<S>(pub ApiKey, PhantomData<S>);

impl<S> Auth<S> {
    /// What this key may see: everything (a team key) or its tenant.
    pub fn who(&self) -> Visibility {
        self.0.visibility()
    }
    /// `id` if this key may see it; otherwise the 404 of an unknown id.
    pub async fn reach<T: Owned + ObjectId>(&self, state: &AppState, id: T) -> Result<T, Error> {
        self.who().check(&state.db, id).await
    }
    /// What a list shows: the key's tenant, or for a team key everything or the `?tenant=`
    /// named (which must exist).
    pub async fn list_scope(
        &self,
        state: &AppState,
        tenant: Option<&str>,
    ) -> Result<Visibility, Error> {
        self.who().narrowed(&state.db, tenant).await
    }
}

impl<S: RequiredScope> FromRequestParts<AppState> for Auth<S> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            });
        let presented =
            bearer.or_else(|| parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()));
        let Some(presented) = presented.map(str::trim) else {
            return Err(Error::Unauthorized(
                "missing API key: send Authorization: Bearer hk_…".into(),
            )
            .into());
        };
        let key = state
            .api_keys
            .authenticate(&state.db, presented)
            .await?
            .ok_or_else(|| Error::Unauthorized("invalid or revoked API key".into()))?;
        if S::TEAM_ONLY && key.tenant.is_some() {
            return Err(Error::Forbidden(
                "a tenant-bound API key cannot manage tenants, API keys or the event catalog"
                    .into(),
            )
            .into());
        }
        if !key.allows(S::SCOPE) {
            return Err(Error::Forbidden(format!(
                "this API key lacks the {} scope",
                S::SCOPE.as_str()
            ))
            .into());
        }
        Ok(Auth(key, PhantomData))
    }
}
