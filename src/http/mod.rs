//! HTTP: the JSON API under /api/v1, the dashboard, static assets and shared middleware.

pub mod api;
pub mod assets;
pub mod client_ip;
pub mod serve;
pub mod ui;

use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, OriginalUri, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions_sqlx_store::SqliteStore;

use crate::delivery::StoreHealth;
use crate::error::Error;
use crate::ids::ObjectId;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
/// Longest a request may take; delivery tests (`/test`) stay well under it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub fn router(state: AppState, sessions: SqliteStore) -> Router {
    let x_api_key = HeaderName::from_static("x-api-key");
    let config = state.config.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(api::openapi_json))
        .route("/api/docs", get(api_docs))
        .route("/metrics", get(metrics))
        .nest("/api/v1", api::router(state.clone()))
        .merge(ui::router(state.clone(), sessions))
        .route("/static/{hash}/{file}", get(assets::serve))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), write_turn))
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION, header::COOKIE, x_api_key]))
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(move |req: &Request| {
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    let client = client_ip::of(req.extensions(), req.headers(), &config.trusted_proxies)
                        .map_or_else(|| "-".to_owned(), |ip| ip.to_string());
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), client = %client, request_id = %id)
                }))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::custom(|_| {
                    tracing::error!("handler panicked");
                    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
                }))
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(CSP),
                ))
                .layer(axum::middleware::map_response(deny_framing))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("same-origin"),
                )),
        )
}

/// A request that may write outside the delivery engine holds a turn at the database while it
/// runs (`DeliveryHandle::write_turn`), so a busy engine leaves SQLite's write lock free for
/// it. Reads never write, and ingest is written by the engine itself.
async fn write_turn(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let writes = !req.method().is_safe() && req.uri().path() != "/api/v1/events";
    let _turn = writes.then(|| state.delivery.write_turn());
    next.run(req).await
}

/// Marks a response that may be framed (the portal, when `portal_frame_ancestors` is set):
/// its CSP `frame-ancestors` decides, so it gets no `X-Frame-Options: DENY`.
#[derive(Clone, Copy)]
pub struct Framable;

async fn deny_framing(mut resp: Response) -> Response {
    if resp.extensions().get::<Framable>().is_none() {
        resp.headers_mut()
            .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    resp
}

/// 200 when the database answers and the engine's commits succeed; 503 naming the cause
/// otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    if let StoreHealth::Failing { since, cause } = state.delivery.store_health() {
        let body =
            serde_json::json!({"status": "failing", "cause": cause, "since": since.rfc3339()});
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    }
    match sqlx::query_scalar::<_, i64>("select 1")
        .fetch_one(&state.db)
        .await
    {
        Ok(_) => axum::Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "database unreachable"})),
            )
                .into_response()
        }
    }
}

/// The API reference page, drawn from the same document as `/api/openapi.json`.
async fn api_docs(State(state): State<AppState>) -> Response {
    let doc = serde_json::to_value(api::document(&state.config.wire)).unwrap_or_default();
    ui::api_docs::Reference::from_document(&doc).into_response()
}

/// Prometheus text exposition.
async fn metrics(State(state): State<AppState>) -> Response {
    let (pending, oldest) = crate::deliveries::pending_summary(&state.db)
        .await
        .unwrap_or((0, None));
    let age = oldest
        .map(|t| (crate::timestamp::Timestamp::now().millis() - t.millis()).max(0) as f64 / 1000.0)
        .unwrap_or(0.0);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::delivery::metrics::render(
            pending,
            age,
            state.delivery.store_health() != StoreHealth::Ok,
        ),
    )
        .into_response()
}

/// The fallback: no route matches.
async fn not_found(req: Request) -> Response {
    let what = if is_api(req.uri().path()) {
        "route"
    } else {
        "page"
    };
    not_found_at(req.uri().path(), what)
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// A 404 for `what`: the API's JSON error under /api, the dashboard's page elsewhere.
fn not_found_at(path: &str, what: &'static str) -> Response {
    if is_api(path) {
        api::ApiError(Error::NotFound(what)).into_response()
    } else {
        ui::HtmlError(Error::NotFound(what)).into_response()
    }
}

/// A typed id from the path (`/webhooks/{id}`). A malformed id, or one of another kind,
/// answers the same 404 as an unknown one, so handlers only ever see well-formed ids.
pub struct PathId<T>(pub T);

impl<T: ObjectId, S: Send + Sync> FromRequestParts<S> for PathId<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(PathId(id)),
            Err(_) => {
                // Nested routers see the path without their prefix (`/api/v1`).
                let path = match parts.extensions.get::<OriginalUri>() {
                    Some(OriginalUri(uri)) => uri.path(),
                    None => parts.uri.path(),
                };
                Err(not_found_at(path, T::OBJECT))
            }
        }
    }
}
