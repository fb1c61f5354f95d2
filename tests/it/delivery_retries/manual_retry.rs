//! Retrying a delivery by hand: a new attempt, which resets the failure count when it succeeds
//! and is a conflict while an attempt is in flight.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::{one_endpoint, send_one};
use crate::delivery_kit::{Hook, Reply, attempts};

#[tokio::test]
async fn a_failed_delivery_can_be_retried_by_hand_as_a_new_attempt() {
    // Arrange
    let hook = Hook::always(Reply::status(503)).await;
    let (env, _) = one_endpoint(hook.url(), json!({"retry_count": 0})).await;
    let (_, dlv) = send_one(&env).await;
    env.wait_status(&dlv, "failed").await;
    hook.set_default(Reply::status(204));

    // Act
    let retried = env
        .api
        .post(
            &format!("/api/v1/deliveries/{dlv}/retry"),
            &json!({}),
            StatusCode::OK,
        )
        .await;

    // Assert
    assert_eq!(retried["id"], dlv.as_str());
    assert_eq!(retried["status"], "succeeded", "{retried}");
    let log = attempts(&retried);
    assert_eq!(log.len(), 2);
    assert_eq!(log[1]["attempt_no"], 2);
    assert_eq!(log[1]["response_status"], 204);
    assert_eq!(hook.hits().len(), 2);
    assert_eq!(
        hook.hits()[0].header("webhook-id"),
        hook.hits()[1].header("webhook-id")
    );
    // The stored copy agrees.
    let stored = env.delivery(&dlv).await;
    assert_eq!(stored["status"], "succeeded");
}

#[tokio::test]
async fn a_successful_manual_retry_resets_the_failure_count() {
    // Arrange
    let hook = Hook::always(Reply::status(500)).await;
    let (env, wh) = one_endpoint(hook.url(), json!({"retry_count": 0})).await;
    for _ in 0..2 {
        let (_, dlv) = send_one(&env).await;
        env.wait_status(&dlv, "failed").await;
    }
    let (_, last) = send_one(&env).await;
    env.wait_status(&last, "failed").await;
    assert_eq!(env.endpoint(&wh).await["failure_count"], 3);
    hook.set_default(Reply::status(200));

    // Act
    env.api
        .post(
            &format!("/api/v1/deliveries/{last}/retry"),
            &json!({}),
            StatusCode::OK,
        )
        .await;

    // Assert
    let endpoint = env.endpoint(&wh).await;
    assert_eq!(endpoint["failure_count"], 0, "{endpoint}");
    assert!(endpoint["last_success_at"].is_string());
}

#[tokio::test]
async fn a_manual_retry_of_an_attempt_in_flight_is_a_conflict() {
    // Arrange: the receiver holds the first attempt for 2 s.
    let hook = Hook::always(Reply::status(200).delay(Duration::from_secs(2))).await;
    let (env, _) = one_endpoint(hook.url(), json!({"timeout_seconds": 5})).await;
    let (_, dlv) = send_one(&env).await;
    hook.wait_for(1).await;

    // Act
    let conflict = env
        .api
        .post(
            &format!("/api/v1/deliveries/{dlv}/retry"),
            &json!({}),
            StatusCode::CONFLICT,
        )
        .await;
    let missing = env
        .api
        .post(
            "/api/v1/deliveries/dlv_00000000000000000000000000000000/retry",
            &json!({}),
            StatusCode::NOT_FOUND,
        )
        .await;

    // Assert
    assert!(conflict["error"]["message"].is_string(), "{conflict}");
    assert!(missing["error"].is_object());
    let done = env.wait_status(&dlv, "succeeded").await;
    assert_eq!(attempts(&done).len(), 1);
    assert_eq!(hook.hits().len(), 1);
}
