//! POST /api/v1/events: what is refused and why, and the Prometheus metrics the engine exposes.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::delivery_kit::{Env, Hook, attempts};
use crate::support::assert_quiet_for;

async fn refused(env: &Env, body: Value, expect: StatusCode) -> Value {
    env.api.post("/api/v1/events", &body, expect).await
}

#[tokio::test]
async fn ingest_refuses_unknown_and_archived_types_and_non_object_data() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("order.created").await;
    env.event_type("order.old").await;
    env.api
        .send(
            env.api
                .request(Method::DELETE, "/api/v1/event-types/order.old"),
            StatusCode::OK,
        )
        .await;
    let hook = Hook::ok().await;
    env.webhook(json!({"url": hook.url(), "events": ["*"]}))
        .await;

    // Act + Assert
    let unknown = refused(
        &env,
        json!({"type": "no.such", "data": {}}),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(unknown["error"]["code"].is_string(), "{unknown}");
    refused(
        &env,
        json!({"type": "order.old", "data": {}}),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    for data in [json!([1, 2]), json!("text"), json!(3), json!(null)] {
        refused(
            &env,
            json!({"type": "order.created", "data": data}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    // Still fine afterwards; and nothing refused was delivered.
    env.send("order.created", json!({"ok": true})).await;
    let hits = hook.wait_for(1).await;
    assert_quiet_for(Duration::from_millis(200), || {
        assert_eq!(hook.hits().len(), 1)
    })
    .await;
    assert_eq!(hits[0].header("x-webhook-event"), "order.created");
}

#[tokio::test]
async fn ingest_refuses_oversized_bodies_with_413() {
    // Arrange
    let env = Env::start(|cfg| cfg.max_payload_bytes = 4096).await;
    env.event_type("blob.stored").await;

    // Act
    let big = refused(
        &env,
        json!({"type": "blob.stored", "data": {"x": "y".repeat(8192)}}),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;

    // Assert
    assert!(big["error"]["code"].is_string(), "{big}");
    env.send("blob.stored", json!({"x": "y".repeat(1000)}))
        .await;
}

#[tokio::test]
async fn ingest_needs_a_key_with_the_events_write_scope() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("order.created").await;
    let admin = env
        .app
        .login(crate::support::ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
        .await;
    let read_only = env
        .app
        .api(&env.app.create_api_key(&admin, &["webhooks:read"]).await);
    let writer = env
        .app
        .api(&env.app.create_api_key(&admin, &["events:write"]).await);
    let body = json!({"type": "order.created", "data": {}});

    // Act + Assert
    env.app
        .api_anonymous()
        .post("/api/v1/events", &body, StatusCode::UNAUTHORIZED)
        .await;
    read_only
        .post("/api/v1/events", &body, StatusCode::FORBIDDEN)
        .await;
    writer
        .post("/api/v1/events", &body, StatusCode::ACCEPTED)
        .await;
}

#[tokio::test]
async fn metrics_expose_ingest_attempts_durations_and_the_pending_queue() {
    // Arrange: one endpoint that succeeds, one that fails and then waits an hour to retry.
    let env = Env::start(|cfg| {
        cfg.retry_schedule = hookd::delivery::schedule::RetrySchedule::parse("1h").unwrap();
    })
    .await;
    env.event_type("m.event").await;
    let ok = Hook::ok().await;
    let down = Hook::always(crate::delivery_kit::Reply::status(503)).await;
    env.webhook(json!({"url": ok.url(), "events": ["*"]})).await;
    env.webhook(json!({"url": down.url(), "events": ["*"], "retry_count": 3}))
        .await;

    // Act
    let ack = env.send("m.event", json!({})).await;
    for id in env.delivery_ids(ack["id"].as_str().unwrap()).await {
        let d = env.wait_attempts(&id, 1).await;
        assert_eq!(attempts(&d).len(), 1);
    }
    let text = env.metrics().await;

    // Assert
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name) && !l.starts_with('#'))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no sample {name} in:\n{text}"))
    };
    assert!(value("hookd_events_ingested_total") >= 1.0);
    assert!(value("hookd_attempts_total{result=\"success\"}") >= 1.0);
    assert!(value("hookd_attempts_total{result=\"5xx\"}") >= 1.0);
    assert!(
        text.contains("hookd_attempt_duration_seconds_bucket{le=\"0.005\"}"),
        "histogram buckets:\n{text}"
    );
    assert!(text.contains("hookd_attempt_duration_seconds_bucket{le=\"+Inf\"}"));
    assert!(value("hookd_attempt_duration_seconds_count") >= 2.0);
    assert_eq!(
        value("hookd_pending_deliveries"),
        1.0,
        "the failing endpoint's delivery waits for its retry"
    );
    assert!(text.contains("hookd_oldest_pending_age_seconds"));
}

#[tokio::test]
async fn concurrent_ingest_acknowledges_and_delivers_every_event_once() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("burst.tick").await;
    let hook = Hook::ok().await;
    env.webhook(json!({"url": hook.url(), "events": ["*"]}))
        .await;

    // Act: 64 requests at once share group-commit batches with each other and with the API
    // key's bookkeeping writes.
    let sends: Vec<_> = (0..64)
        .map(|i| {
            let req = env
                .api
                .request(Method::POST, "/api/v1/events")
                .json(&json!({"type": "burst.tick", "data": {"i": i}}));
            tokio::spawn(async move {
                let resp = req.send().await.unwrap();
                let status = resp.status();
                (status, resp.text().await.unwrap())
            })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for s in sends {
        let (status, body) = s.await.unwrap();
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        ids.insert(v["id"].as_str().unwrap().to_owned());
    }

    // Assert
    assert_eq!(ids.len(), 64);
    let hits = hook.wait_for(64).await;
    let got: std::collections::BTreeSet<String> = hits
        .iter()
        .map(|h| h.header("webhook-id").to_owned())
        .collect();
    assert_eq!(got, ids);
    assert_quiet_for(Duration::from_millis(300), || {
        assert_eq!(hook.hits().len(), 64, "each event delivered once");
    })
    .await;
}

#[tokio::test]
async fn ingest_refuses_data_nested_deeper_than_it_can_show_back() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("tree.grown").await;
    let nested = |levels: usize| {
        format!(
            r#"{{"type":"tree.grown","data":{}1{}}}"#,
            r#"{"a":"#.repeat(levels),
            "}".repeat(levels)
        )
    };
    let post = |body: String| {
        env.api
            .request(Method::POST, "/api/v1/events")
            .header("content-type", "application/json")
            .body(body)
    };

    // Act
    let refused = env
        .api
        .send(post(nested(128)), StatusCode::UNPROCESSABLE_ENTITY)
        .await;
    let accepted = env.api.send(post(nested(64)), StatusCode::ACCEPTED).await;

    // Assert: the limit is named; what is accepted reads back whole.
    let message = refused["error"]["details"]["data"].to_string();
    assert!(message.contains("64 levels"), "{refused}");
    let event = env.event(accepted["id"].as_str().unwrap()).await;
    let mut value = &event["data"];
    for _ in 0..64 {
        value = &value["a"];
    }
    assert_eq!(value, 1, "{event}");
}
