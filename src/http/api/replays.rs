//! Bulk replay: `POST /webhooks/{id}/replay` starts a background job that retries the endpoint's
//! failed deliveries created in a time range; `GET /replays/{id}` reports its progress.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::params::{EndpointPath, ReplayPath};
use super::responses::{Authenticated, JsonBody, NotFound};
use super::{ApiJson, ApiResult, Auth, ErrorBody, WebhooksRead, WebhooksWrite};
use crate::error::Error;
use crate::http::PathId;
use crate::ids::{EndpointId, ReplayId};
use crate::replays::{self, Range, Replay};
use crate::state::AppState;
use crate::timestamp::Timestamp;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/{id}/replay", post(start_replay))
        .route("/replays/{id}", get(get_replay))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayIn {
    /// Retry failed deliveries created at or after this instant (RFC 3339, in the past).
    #[schema(format = DateTime, example = "2026-11-23T10:00:00Z")]
    since: String,
    /// …and before this one (RFC 3339, after `since`); no end when absent.
    #[schema(format = DateTime)]
    until: Option<String>,
}

/// Where a replay job stands.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documentation only: `replays::Status::as_str` writes it
enum ReplayStatus {
    Running,
    Completed,
    Failed,
}

/// A bulk replay job and its progress.
#[derive(Serialize, ToSchema)]
pub struct ReplayOut {
    #[schema(example = "rpl_0193a4c1d2e37f00a1b2c3d4e5f60718")]
    id: String,
    webhook_id: String,
    #[schema(value_type = ReplayStatus)]
    status: &'static str,
    #[schema(format = DateTime)]
    since: String,
    #[schema(format = DateTime)]
    until: Option<String>,
    /// Failed deliveries in range when the job started (when done: the number requeued).
    total: i64,
    /// Requeued so far.
    done: i64,
    /// How the requeued deliveries have fared since.
    succeeded: i64,
    failed: i64,
    pending: i64,
    /// Who started it: a user's email or `api key <name>`.
    requested_by: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    finished_at: Option<String>,
    error: Option<String>,
}

async fn replay_out(state: &AppState, r: Replay) -> ApiResult<ReplayOut> {
    let outcomes = replays::outcomes(&state.db, &r.id).await?;
    Ok(ReplayOut {
        id: r.id.to_string(),
        webhook_id: r.endpoint_id.to_string(),
        status: r.status.as_str(),
        since: r.since.rfc3339(),
        until: r.until.map(Timestamp::rfc3339),
        total: r.total,
        done: r.done,
        succeeded: outcomes.succeeded,
        failed: outcomes.failed,
        pending: outcomes.pending,
        requested_by: r.requested_by,
        created_at: r.created_at.rfc3339(),
        finished_at: r.finished_at.map(Timestamp::rfc3339),
        error: r.error,
    })
}

fn parse_time(field: &str, value: &str) -> Result<Timestamp, Error> {
    Timestamp::parse_rfc3339(value.trim())
        .ok_or_else(|| Error::invalid(field, "use an RFC 3339 time such as 2026-11-23T10:00:00Z"))
}

/// Start retrying the endpoint's failed deliveries created in `[since, until)`, in the
/// background; the answer is the job, whose progress `GET /api/v1/replays/{id}` reports.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/replay", tag = "webhooks", params(EndpointPath), request_body = ReplayIn,
    responses((status = 202, description = "Started", body = ReplayOut), Authenticated, JsonBody, NotFound,
        (status = 409, description = "A replay of this endpoint is already running", body = ErrorBody)))]
async fn start_replay(
    State(state): State<AppState>,
    auth: Auth<WebhooksWrite>,
    PathId(id): PathId<EndpointId>,
    ApiJson(body): ApiJson<ReplayIn>,
) -> ApiResult<(StatusCode, Json<ReplayOut>)> {
    let id = auth.reach(&state, id).await?;
    let key = &auth.0;
    let since = parse_time("since", &body.since)?;
    let until = match body.until.as_deref() {
        Some(u) => Some(parse_time("until", u)?),
        None => None,
    };
    let range = Range::new(since, until, Timestamp::now())?;
    let job = state
        .delivery
        .start_replay(&id, range, &format!("api key {}", key.name))
        .await?;
    tracing::info!(api_key = %key.id, endpoint = %id, replay = %job.id, total = job.total, "bulk replay started");
    Ok((StatusCode::ACCEPTED, Json(replay_out(&state, job).await?)))
}

/// A replay job's progress.
#[utoipa::path(get, path = "/api/v1/replays/{id}", tag = "webhooks", params(ReplayPath),
    responses((status = 200, description = "OK", body = ReplayOut), Authenticated, NotFound))]
async fn get_replay(
    State(state): State<AppState>,
    auth: Auth<WebhooksRead>,
    PathId(id): PathId<ReplayId>,
) -> ApiResult<Json<ReplayOut>> {
    let id = auth.reach(&state, id).await?;
    let r = replays::get(&state.db, &id).await?;
    Ok(Json(replay_out(&state, r).await?))
}
