//! Test sends (`/webhooks/{id}/test`, `/webhooks/test-url`): the signed path, the attempt
//! returned inline, and what they refuse.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::one_endpoint;
use crate::delivery_kit::{Env, Hook, Reply, attempts};
use crate::support::assert_quiet_for;

#[tokio::test]
async fn test_sends_go_through_the_signed_path_and_return_the_attempt() {
    // Arrange
    let hook = Hook::ok().await;
    let (env, wh) = one_endpoint(hook.url(), json!({})).await;
    env.event_type("invoice.paid").await;

    // Act: the default test event
    let default = env
        .api
        .post(
            &format!("/api/v1/webhooks/{wh}/test"),
            &json!({}),
            StatusCode::OK,
        )
        .await;
    // …and a chosen type with custom data
    let chosen = env
        .api
        .post(
            &format!("/api/v1/webhooks/{wh}/test"),
            &json!({"event_type": "invoice.paid", "data": {"amount": 42}}),
            StatusCode::OK,
        )
        .await;

    // Assert
    assert_eq!(default["event_type"], "webhook.test");
    assert_eq!(default["status"], "succeeded", "{default}");
    assert_eq!(attempts(&default).len(), 1);
    assert_eq!(attempts(&default)[0]["response_status"], 200);
    assert_eq!(chosen["event_type"], "invoice.paid");
    assert_eq!(attempts(&chosen).len(), 1);
    let hits = hook.hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].header("x-webhook-event"), "webhook.test");
    assert_eq!(hits[0].json()["type"], "webhook.test");
    assert!(hits[0].headers.contains_key("webhook-signature"));
    assert_eq!(hits[1].header("x-webhook-event"), "invoice.paid");
    assert_eq!(hits[1].json()["data"], json!({"amount": 42}));
    assert_eq!(
        hits[1].header("webhook-id"),
        chosen["event_id"].as_str().unwrap()
    );
}

#[tokio::test]
async fn test_url_sends_one_signed_attempt_and_returns_it_inline() {
    // Arrange
    let hook = Hook::always(Reply::status(200).body("hello")).await;
    let env = Env::start(|_| {}).await;
    let chosen = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    // Act
    let generated = env
        .api
        .post(
            "/api/v1/webhooks/test-url",
            &json!({"url": format!("{}/a", hook.url())}),
            StatusCode::OK,
        )
        .await;
    let with_secret = env
        .api
        .post(
            "/api/v1/webhooks/test-url",
            &json!({"url": format!("{}/b", hook.url()), "secret": chosen}),
            StatusCode::OK,
        )
        .await;

    // Assert
    assert!(generated["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(generated["attempt"]["response_status"], 200);
    assert_eq!(generated["attempt"]["response_body"], "hello");
    assert_eq!(generated["attempt"]["succeeded"], true);
    assert_eq!(with_secret["secret"], chosen);
    let hits = hook.wait_for(2).await;
    assert_eq!(hits[0].path, "/a");
    assert_eq!(hits[1].path, "/b");
    assert_eq!(hits[1].header("x-webhook-event"), "webhook.test");
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(chosen.as_bytes()).unwrap();
    mac.update(&hits[1].body);
    assert_eq!(
        hits[1].header("x-webhook-signature"),
        hex::encode(mac.finalize().into_bytes())
    );
}

#[tokio::test]
async fn test_url_refuses_blocked_targets_when_private_addresses_are_not_allowed() {
    // Arrange
    let hook = Hook::ok().await;
    let port = hook.url().rsplit(':').next().unwrap().to_owned();
    let env = Env::start(|cfg| {
        cfg.allow_private_targets = false;
        cfg.dns_overrides
            .insert("internal.test".into(), vec!["10.1.2.3".parse().unwrap()]);
    })
    .await;

    // Act
    let refused = env
        .api
        .post(
            "/api/v1/webhooks/test-url",
            &json!({"url": hook.url()}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let by_name = env
        .api
        .post(
            "/api/v1/webhooks/test-url",
            &json!({"url": format!("http://internal.test:{port}/")}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

    // Assert
    assert!(refused["error"]["message"].is_string(), "{refused}");
    assert!(
        by_name.to_string().contains("10.1.2.3"),
        "the refusal names the resolved address: {by_name}"
    );
    assert_quiet_for(Duration::from_millis(200), || {
        assert!(hook.hits().is_empty())
    })
    .await;
}

#[tokio::test]
async fn a_test_send_refuses_bad_input_and_unknown_endpoints() {
    // Arrange
    let hook = Hook::ok().await;
    let (env, wh) = one_endpoint(hook.url(), json!({})).await;

    // Act + Assert
    for body in [
        json!({"event_type": "no.such.type"}),
        json!({"data": [1, 2, 3]}),
    ] {
        env.api
            .post(
                &format!("/api/v1/webhooks/{wh}/test"),
                &body,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
    }
    env.api
        .post(
            "/api/v1/webhooks/wh_00000000000000000000000000000000/test",
            &json!({}),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert!(hook.hits().is_empty());
}
