//! Issue 15: the `Idempotency-Key` header de-duplicates events, like the body's
//! `idempotency_key`; a repeat answers 200 with the original event, a conflict between the two
//! is 422.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::delivery_kit::{Env, Hook};

async fn setup() -> (Env, Hook) {
    let env = Env::start(|_| {}).await;
    env.event_type("order.paid").await;
    let hook = Hook::ok().await;
    env.webhook(json!({"url": hook.url(), "events": ["*"]}))
        .await;
    (env, hook)
}

async fn post_with_key(env: &Env, key: &str, body: &Value, expect: StatusCode) -> Value {
    env.api
        .send(
            env.api
                .request(reqwest::Method::POST, "/api/v1/events")
                .header("Idempotency-Key", key)
                .json(body),
            expect,
        )
        .await
}

async fn event_count(env: &Env) -> usize {
    env.api.get("/api/v1/events", StatusCode::OK).await["data"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn the_idempotency_key_header_answers_a_repeat_with_the_original_event() {
    // Arrange
    let (env, hook) = setup().await;
    let body = json!({"type": "order.paid", "data": {"n": 1}});

    // Act
    let first = post_with_key(&env, "k", &body, StatusCode::ACCEPTED).await;
    let again = post_with_key(&env, "k", &body, StatusCode::OK).await;

    // Assert
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["created_at"], first["created_at"]);
    assert_eq!(event_count(&env).await, 1);
    hook.wait_for(1).await;
    let shown = env.event(first["id"].as_str().unwrap()).await;
    assert_eq!(shown["idempotency_key"], "k");
}

#[tokio::test]
async fn the_body_field_and_the_header_are_the_same_key() {
    // Arrange
    let (env, _hook) = setup().await;

    // Act
    let by_body = env
        .send_body(json!({"type": "order.paid", "data": {}, "idempotency_key": "k2"}))
        .await;
    let by_header = post_with_key(
        &env,
        "k2",
        &json!({"type": "order.paid", "data": {}}),
        StatusCode::OK,
    )
    .await;
    let both = post_with_key(
        &env,
        "k2",
        &json!({"type": "order.paid", "data": {}, "idempotency_key": "k2"}),
        StatusCode::OK,
    )
    .await;

    // Assert
    assert_eq!(by_header["id"], by_body["id"]);
    assert_eq!(both["id"], by_body["id"]);
    assert_eq!(event_count(&env).await, 1);
}

#[tokio::test]
async fn a_header_and_a_body_key_that_differ_are_refused_with_422() {
    // Arrange
    let (env, _hook) = setup().await;

    // Act
    let refused = post_with_key(
        &env,
        "from-header",
        &json!({"type": "order.paid", "data": {}, "idempotency_key": "from-body"}),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // Assert
    let details = &refused["error"]["details"];
    assert!(
        details["idempotency_key"]
            .as_str()
            .is_some_and(|m| m.contains("Idempotency-Key header")),
        "{refused}"
    );
    assert_eq!(event_count(&env).await, 0);
}
