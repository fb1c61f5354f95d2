//! Bulk replay over the API: `POST /api/v1/webhooks/{id}/replay` starts the job (202),
//! `GET /api/v1/replays/{id}` reports its progress; 409 while one runs, 404 for unknown ids,
//! 422 for bad times, scopes, and `until` leaving later failures alone.

use std::time::Duration;

use hookd::Config;
use hookd::timestamp::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_webhooks::{assert_error, field_error};
use crate::delivery_kit::{Env, Hook, Reply, SOON};
use crate::support::wait_until;
use crate::ui_replays::failed_deliveries;

fn an_hour_ago() -> String {
    Timestamp::now().minus(Duration::from_secs(3600)).rfc3339()
}

async fn wait_completed(env: &Env, replay: &str) -> Value {
    wait_until(SOON, "the replay completes", || async {
        let r = env
            .api
            .get(&format!("/api/v1/replays/{replay}"), StatusCode::OK)
            .await;
        (r["status"] == "completed" && r["pending"] == 0).then_some(r)
    })
    .await
}

#[tokio::test]
async fn the_api_starts_a_replay_and_reports_its_progress() {
    // Arrange
    let hook = Hook::always(Reply::status(500)).await;
    let env = Env::start(|_| {}).await;
    let (wh, _) = failed_deliveries(&env, &hook, 2).await;
    hook.set_default(Reply::status(200));

    // Act
    let started = env
        .api
        .post(
            &format!("/api/v1/webhooks/{wh}/replay"),
            &json!({"since": an_hour_ago()}),
            StatusCode::ACCEPTED,
        )
        .await;
    let id = started["id"].as_str().unwrap();
    let done = wait_completed(&env, id).await;

    // Assert
    assert!(id.starts_with("rpl_"), "{started}");
    assert_eq!(started["webhook_id"], wh.as_str());
    assert_eq!(started["total"], 2);
    assert_eq!(started["until"], Value::Null);
    assert!(
        started["requested_by"]
            .as_str()
            .unwrap()
            .starts_with("api key ")
    );
    assert_eq!(
        (done["done"].as_i64(), done["total"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(done["succeeded"], 2);
    assert!(done["finished_at"].is_string());
    assert_eq!(
        hook.hits().len(),
        4,
        "each failed delivery was sent once more"
    );
}

#[tokio::test]
async fn a_second_replay_while_one_runs_is_a_conflict() {
    // Arrange: a slow job (one delivery per batch, 400 ms apart).
    let hook = Hook::always(Reply::status(500)).await;
    let env = Env::start(|cfg: &mut Config| {
        cfg.replay_batch = 1;
        cfg.replay_pause = Duration::from_millis(400);
    })
    .await;
    let (wh, _) = failed_deliveries(&env, &hook, 3).await;
    let path = format!("/api/v1/webhooks/{wh}/replay");
    let first = env
        .api
        .post(
            &path,
            &json!({"since": an_hour_ago()}),
            StatusCode::ACCEPTED,
        )
        .await;

    // Act
    let again = env
        .api
        .post(
            &path,
            &json!({"since": an_hour_ago()}),
            StatusCode::CONFLICT,
        )
        .await;

    // Assert
    assert_error(&again, "conflict");
    assert!(
        again["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already running")
    );
    let running = env
        .api
        .get(
            &format!("/api/v1/replays/{}", first["id"].as_str().unwrap()),
            StatusCode::OK,
        )
        .await;
    assert_eq!(running["status"], "running");
}

#[tokio::test]
async fn unknown_endpoints_and_replays_are_404() {
    // Arrange
    let env = Env::start(|_| {}).await;

    // Act
    let no_endpoint = env
        .api
        .post(
            "/api/v1/webhooks/wh_00000000000000000000000000000000/replay",
            &json!({"since": an_hour_ago()}),
            StatusCode::NOT_FOUND,
        )
        .await;
    let no_replay = env
        .api
        .get(
            "/api/v1/replays/rpl_00000000000000000000000000000000",
            StatusCode::NOT_FOUND,
        )
        .await;
    let malformed = env
        .api
        .get("/api/v1/replays/nonsense", StatusCode::NOT_FOUND)
        .await;

    // Assert
    for body in [&no_endpoint, &no_replay, &malformed] {
        assert_error(body, "not_found");
    }
}

#[tokio::test]
async fn bad_times_are_refused_with_422_naming_the_field() {
    // Arrange
    let hook = Hook::always(Reply::status(500)).await;
    let env = Env::start(|_| {}).await;
    let (wh, _) = failed_deliveries(&env, &hook, 1).await;
    let path = format!("/api/v1/webhooks/{wh}/replay");
    let future = Timestamp::now().plus(Duration::from_secs(3600)).rfc3339();
    let post = |body: Value| {
        let path = path.clone();
        let env = &env;
        async move {
            env.api
                .post(&path, &body, StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
    };

    // Act
    let missing = post(json!({})).await;
    let nonsense = post(json!({"since": "yesterday"})).await;
    let in_future = post(json!({"since": future})).await;
    let since = an_hour_ago();
    let backwards = post(json!({"since": since, "until": since})).await;
    let bad_until = post(json!({"since": since, "until": "later"})).await;

    // Assert
    assert_error(&missing, "validation_failed");
    assert!(field_error(&nonsense, "since").contains("RFC 3339"));
    assert!(field_error(&in_future, "since").contains("future"));
    assert!(field_error(&backwards, "until").contains("after the start"));
    assert!(field_error(&bad_until, "until").contains("RFC 3339"));
}

#[tokio::test]
async fn starting_needs_webhooks_write_and_reading_needs_webhooks_read() {
    // Arrange
    let hook = Hook::always(Reply::status(500)).await;
    let env = Env::start(|_| {}).await;
    let (wh, _) = failed_deliveries(&env, &hook, 1).await;
    let admin = env
        .app
        .login(crate::support::ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
        .await;
    let reader = env
        .app
        .api(&env.app.create_api_key(&admin, &["webhooks:read"]).await);
    let sender = env
        .app
        .api(&env.app.create_api_key(&admin, &["events:write"]).await);
    let path = format!("/api/v1/webhooks/{wh}/replay");
    let body = json!({"since": an_hour_ago()});

    // Act
    let refused = reader.post(&path, &body, StatusCode::FORBIDDEN).await;
    let started = env.api.post(&path, &body, StatusCode::ACCEPTED).await;
    let progress = format!("/api/v1/replays/{}", started["id"].as_str().unwrap());
    let read = reader.get(&progress, StatusCode::OK).await;
    let not_read = sender.get(&progress, StatusCode::FORBIDDEN).await;

    // Assert
    assert_error(&refused, "forbidden");
    assert_eq!(read["id"], started["id"]);
    assert_error(&not_read, "forbidden");
}

#[tokio::test]
async fn a_replay_with_until_leaves_later_failures_alone() {
    // Arrange: two failures, then the end of the range, then one more failure.
    let hook = Hook::always(Reply::status(500)).await;
    let env = Env::start(|_| {}).await;
    let (wh, early) = failed_deliveries(&env, &hook, 2).await;
    let late = env.send("order.created", json!({"late": true})).await;
    let until = late["created_at"].as_str().unwrap().to_owned();
    let late_dlv = env.only_delivery_id(late["id"].as_str().unwrap()).await;
    env.wait_status(&late_dlv, "failed").await;
    hook.set_default(Reply::status(200));

    // Act
    let started = env
        .api
        .post(
            &format!("/api/v1/webhooks/{wh}/replay"),
            &json!({"since": an_hour_ago(), "until": until}),
            StatusCode::ACCEPTED,
        )
        .await;
    let done = wait_completed(&env, started["id"].as_str().unwrap()).await;

    // Assert
    assert_eq!(started["until"], until.as_str());
    assert_eq!(
        (done["total"].as_i64(), done["succeeded"].as_i64()),
        (Some(2), Some(2))
    );
    for event in &early {
        let dlv = env.only_delivery_id(event).await;
        assert_eq!(env.delivery(&dlv).await["status"], "succeeded");
    }
    assert_eq!(env.delivery(&late_dlv).await["status"], "failed");
    let late_hits = hook
        .hits()
        .iter()
        .filter(|h| h.header("webhook-id") == late["id"].as_str().unwrap())
        .count();
    assert_eq!(late_hits, 1, "created at `until`: not part of the replay");
}
