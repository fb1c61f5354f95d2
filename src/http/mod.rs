//! HTTP: the JSON API under /api/v1, the dashboard, static assets and shared middleware.

pub mod api;
pub mod assets;
pub mod ui;

use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
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

use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
/// Longest a request may take; delivery tests (`/test`) stay well under it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub fn router(state: AppState, sessions: SqliteStore) -> Router {
    let x_api_key = HeaderName::from_static("x-api-key");
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(api::openapi_json))
        .route("/metrics", get(metrics))
        .nest("/api/v1", api::router(state.clone()))
        .merge(ui::router(state.clone(), sessions))
        .route("/static/{hash}/{file}", get(assets::serve))
        .fallback(not_found)
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION, header::COOKIE, x_api_key]))
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
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
                .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
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

/// 200 when the database answers.
async fn healthz(State(state): State<AppState>) -> Response {
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
        crate::delivery::metrics::render(pending, age),
    )
        .into_response()
}

/// JSON 404 under /api, an HTML page elsewhere.
async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        api::ApiError(crate::error::Error::NotFound("route")).into_response()
    } else {
        ui::HtmlError(crate::error::Error::NotFound("page")).into_response()
    }
}
