//! What one attempt records: status and body (up to 8 KiB, without stalling on a huge one),
//! timeouts, refused connections, redirects (not followed), and the SSRF policy at send time.

use std::time::Duration;

use serde_json::json;

use super::{one_endpoint, send_one};
use crate::delivery_kit::{Env, Hook, Reply, attempts, refusing_port};

#[tokio::test]
async fn a_receiver_slower_than_the_timeout_is_recorded_as_a_timeout() {
    // Arrange
    let hook = Hook::always(Reply::status(200).delay(Duration::from_secs(4))).await;
    let (env, _) = one_endpoint(hook.url(), json!({"retry_count": 0, "timeout_seconds": 1})).await;

    // Act
    let (_, dlv) = send_one(&env).await;
    let failed = env.wait_status(&dlv, "failed").await;

    // Assert
    let a = &attempts(&failed)[0];
    assert_eq!(a["error_kind"], "timeout", "{a}");
    assert!(a["response_status"].is_null());
    let ms = a["duration_ms"].as_i64().unwrap();
    assert!(
        (900..3500).contains(&ms),
        "timed out after {ms} ms, timeout is 1 s"
    );
}

#[tokio::test]
async fn redirects_are_not_followed_and_count_as_failures() {
    // Arrange
    let elsewhere = Hook::ok().await;
    let hook =
        Hook::always(Reply::status(302).header("location", &format!("{}/moved", elsewhere.url())))
            .await;
    let (env, _) = one_endpoint(hook.url(), json!({"retry_count": 0})).await;

    // Act
    let (_, dlv) = send_one(&env).await;
    let failed = env.wait_status(&dlv, "failed").await;

    // Assert
    let a = &attempts(&failed)[0];
    assert_eq!(a["response_status"], 302, "{a}");
    assert_eq!(a["error_kind"], "redirect", "{a}");
    assert_eq!(a["succeeded"], false);
    assert_eq!(hook.hits().len(), 1);
    assert!(
        elsewhere.hits().is_empty(),
        "the redirect target must receive nothing"
    );
}

#[tokio::test]
async fn status_410_and_500_are_recorded_with_status_and_body() {
    for (status, body) in [(410, "gone for good"), (500, "boom: stack trace")] {
        // Arrange
        let hook = Hook::always(Reply::status(status).body(body).header("x-receiver", "yes")).await;
        let (env, _) = one_endpoint(hook.url(), json!({"retry_count": 0})).await;

        // Act
        let (_, dlv) = send_one(&env).await;
        let failed = env.wait_status(&dlv, "failed").await;

        // Assert
        let a = &attempts(&failed)[0];
        assert_eq!(a["response_status"], status, "{a}");
        assert_eq!(a["response_body"], body, "{a}");
        assert_eq!(a["response_headers"]["x-receiver"], "yes", "{a}");
        assert_eq!(a["error_kind"], "status", "{a}");
        assert_eq!(failed["last_status_code"], status);
    }
}

#[tokio::test]
async fn a_large_response_body_is_stored_up_to_8_kib() {
    // Arrange
    let big = "x".repeat(100 * 1024);
    let hook = Hook::always(Reply::status(500).body(&big)).await;
    let (env, _) = one_endpoint(hook.url(), json!({"retry_count": 0})).await;

    // Act
    let (_, dlv) = send_one(&env).await;
    let failed = env.wait_status(&dlv, "failed").await;

    // Assert
    let stored = attempts(&failed)[0]["response_body"]
        .as_str()
        .unwrap()
        .len();
    assert_eq!(stored, 8 * 1024);
}

#[tokio::test]
async fn a_huge_response_body_does_not_stall_the_attempt() {
    // Arrange
    let huge = "y".repeat(4 * 1024 * 1024);
    let hook = Hook::always(Reply::status(200).body(&huge)).await;
    let (env, _) = one_endpoint(hook.url(), json!({"timeout_seconds": 5})).await;

    // Act
    let (_, dlv) = send_one(&env).await;
    let done = env.wait_status(&dlv, "succeeded").await;

    // Assert
    let a = &attempts(&done)[0];
    assert_eq!(a["response_body"].as_str().unwrap().len(), 8 * 1024);
    assert_eq!(a["succeeded"], true);
}

#[tokio::test]
async fn connection_refused_is_recorded() {
    // Arrange
    let (_held, port) = refusing_port();
    let (env, _) = one_endpoint(
        &format!("http://127.0.0.1:{port}/hook"),
        json!({"retry_count": 0}),
    )
    .await;

    // Act
    let (_, dlv) = send_one(&env).await;
    let failed = env.wait_status(&dlv, "failed").await;

    // Assert
    let a = &attempts(&failed)[0];
    assert_eq!(a["error_kind"], "connect", "{a}");
    assert!(a["response_status"].is_null());
    assert!(
        a["error"].as_str().unwrap().contains("refused"),
        "error says what happened: {a}"
    );
    assert!(failed["last_error"].is_string(), "{failed}");
}

#[tokio::test]
async fn the_ssrf_policy_is_applied_again_at_attempt_time() {
    // Arrange: a name that resolves (without DNS) to loopback. The endpoints are created while
    // private targets are allowed; then the app restarts with them refused.
    let hook = Hook::ok().await;
    let port = hook.url().rsplit(':').next().unwrap().to_owned();
    let overrides = |cfg: &mut hookd::Config| {
        cfg.dns_overrides
            .insert("rebind.test".into(), vec!["127.0.0.1".parse().unwrap()]);
    };
    let env = Env::start(|cfg| {
        overrides(cfg);
        cfg.allow_private_targets = true;
    })
    .await;
    env.event_type("thing.happened").await;
    for url in [
        format!("http://rebind.test:{port}/by-name"),
        format!("{}/by-ip", hook.url()),
    ] {
        env.webhook(json!({"url": url, "events": ["thing.happened"], "retry_count": 0}))
            .await;
    }
    let key = env.key.clone();
    let data = env.app.stop_keeping_data().await;
    let env = Env::restart(data, key, |cfg| {
        overrides(cfg);
        cfg.allow_private_targets = false;
    })
    .await;

    // Act
    let ack = env.send("thing.happened", json!({})).await;
    let ids = env.delivery_ids(ack["id"].as_str().unwrap()).await;

    // Assert
    assert_eq!(ids.len(), 2);
    for id in ids {
        let failed = env.wait_status(&id, "failed").await;
        let a = &attempts(&failed)[0];
        assert_eq!(a["error_kind"], "ssrf", "{a}");
        assert!(
            a["error"]
                .as_str()
                .unwrap()
                .contains("blocked by SSRF policy"),
            "{a}"
        );
    }
    assert!(hook.hits().is_empty(), "a blocked target receives nothing");
}
