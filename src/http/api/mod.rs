//! The JSON API: `ApiError` renders the DESIGN error shape, `ApiJson` parses bodies with our
//! errors, `Auth<S>` authenticates an API key and checks scope `S`.

use std::marker::PhantomData;

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::api_keys::{self, ApiKey, Scope};
use crate::error::Error;
use crate::state::AppState;

pub fn router(state: AppState) -> Router<AppState> {
    let limit = state.config.max_payload_bytes;
    Router::new().layer(DefaultBodyLimit::max(limit))
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
        let status = match &e {
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
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
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection, state.config.max_payload_bytes)),
        }
    }
}

fn json_rejection(r: JsonRejection, limit: usize) -> Response {
    let error = match &r {
        JsonRejection::MissingJsonContentType(_) => {
            let body = json!({"error": {"code": "unsupported_media_type",
                "message": "send the body as JSON with Content-Type: application/json", "details": {}}});
            return (StatusCode::UNSUPPORTED_MEDIA_TYPE, axum::Json(body)).into_response();
        }
        JsonRejection::JsonDataError(e) => Error::invalid("body", json_error_text(e.body_text())),
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

/// The scope a route needs, as a type so that a handler's signature shows it.
pub trait RequiredScope {
    const SCOPE: Scope;
}
pub struct EventsWrite;
pub struct WebhooksRead;
pub struct WebhooksWrite;
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
        let key = api_keys::authenticate(&state.db, presented)
            .await?
            .ok_or_else(|| Error::Unauthorized("invalid or revoked API key".into()))?;
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
