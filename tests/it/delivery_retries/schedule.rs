//! Retries over time: on the (test-shortened) schedule or `Retry-After` (capped at an hour),
//! each signed afresh, at the endpoint's current URL, none while it is disabled, until `failed`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::{one_endpoint, send_one, time_of};
use crate::delivery_kit::{Env, Hook, Reply, attempts};
use crate::support::{assert_quiet_for, wait_until};

#[tokio::test]
async fn a_failed_attempt_is_retried_and_then_succeeds_with_the_same_webhook_id() {
    // Arrange
    let hook = Hook::scripted(
        vec![Reply::status(500).body("try later")],
        Reply::status(200),
    )
    .await;
    let (env, wh) = one_endpoint(hook.url(), json!({"retry_count": 3})).await;

    // Act
    let (event, dlv) = send_one(&env).await;
    let done = env.wait_status(&dlv, "succeeded").await;

    // Assert
    let log = attempts(&done);
    assert_eq!(log.len(), 2, "{done}");
    assert_eq!(done["attempts"], 2);
    assert_eq!(log[0]["response_status"], 500);
    assert_eq!(log[0]["succeeded"], false);
    assert_eq!(log[1]["response_status"], 200);
    assert_eq!(log[1]["succeeded"], true);
    let hits = hook.hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].header("webhook-id"), event);
    assert_eq!(hits[1].header("webhook-id"), event);
    assert_eq!(hits[0].body, hits[1].body, "a retry sends the same body");
    let gap = hits[1].at - hits[0].at;
    assert!(
        gap < Duration::from_secs(3),
        "the retry waited {gap:?}; the test schedule is 100 ms"
    );
    let endpoint = env.endpoint(&wh).await;
    assert_eq!(endpoint["failure_count"], 0);
    assert!(endpoint["last_success_at"].is_string(), "{endpoint}");
}

#[tokio::test]
async fn after_the_last_retry_the_delivery_is_failed_and_counted_against_the_endpoint() {
    // Arrange
    let hook = Hook::always(Reply::status(500)).await;
    let (env, wh) = one_endpoint(hook.url(), json!({"retry_count": 1})).await;

    // Act
    let (_, dlv) = send_one(&env).await;
    let failed = env.wait_status(&dlv, "failed").await;

    // Assert
    assert_eq!(
        attempts(&failed).len(),
        2,
        "first attempt + 1 retry: {failed}"
    );
    assert_eq!(failed["attempts"], 2);
    assert_eq!(failed["last_status_code"], 500);
    assert!(failed["next_attempt_at"].is_null(), "{failed}");
    // Two failed attempts in a row (DESIGN: `failure_count` counts attempts, not deliveries).
    let endpoint = env.endpoint(&wh).await;
    assert_eq!(endpoint["failure_count"], 2, "{endpoint}");
    assert!(endpoint["last_failure_at"].is_string(), "{endpoint}");
    // No third attempt sneaks in.
    assert_quiet_for(Duration::from_millis(500), || {
        assert_eq!(hook.hits().len(), 2)
    })
    .await;
}

#[tokio::test]
async fn retry_after_on_429_overrides_the_schedule() {
    // Arrange
    let hook = Hook::scripted(
        vec![Reply::status(429).header("retry-after", "1")],
        Reply::status(200),
    )
    .await;
    let (env, _) = one_endpoint(hook.url(), json!({"retry_count": 2})).await;

    // Act
    let (_, dlv) = send_one(&env).await;
    let first = env.wait_attempts(&dlv, 1).await;
    let done = env.wait_status(&dlv, "succeeded").await;

    // Assert
    assert_eq!(attempts(&first)[0]["response_status"], 429);
    let started = time_of(attempts(&first)[0]["started_at"].as_str().unwrap());
    if let Some(next) = first["next_attempt_at"].as_str() {
        let wait = time_of(next) - started;
        assert!(
            wait >= time::Duration::milliseconds(900),
            "next attempt planned {wait} after the 429, expected ≈ 1 s (Retry-After)"
        );
    }
    let hits = hook.hits();
    assert_eq!(hits.len(), 2, "{done}");
    let gap = hits[1].at - hits[0].at;
    assert!(
        gap >= Duration::from_millis(900) && gap < Duration::from_secs(5),
        "retry came {gap:?} after the 429; Retry-After said 1 s (schedule says 100 ms)"
    );
}

#[tokio::test]
async fn retry_after_is_capped_at_one_hour() {
    // Arrange
    let hook = Hook::always(Reply::status(503).header("retry-after", "86400")).await;
    let (env, _) = one_endpoint(hook.url(), json!({"retry_count": 2})).await;

    // Act
    let (_, dlv) = send_one(&env).await;
    let first = env.wait_attempts(&dlv, 1).await;

    // Assert
    assert_eq!(first["status"], "pending");
    let started = time_of(attempts(&first)[0]["started_at"].as_str().unwrap());
    let next = time_of(first["next_attempt_at"].as_str().unwrap());
    let wait = next - started;
    assert!(
        wait >= time::Duration::minutes(59) && wait <= time::Duration::minutes(61),
        "Retry-After: 86400 planned the retry {wait} later; the cap is 1 h"
    );
}

#[tokio::test]
async fn every_attempt_is_signed_with_its_own_timestamp() {
    // Arrange: the retry comes ≥ 1 s later (Retry-After), so its timestamp differs.
    let hook = Hook::scripted(
        vec![Reply::status(503).header("retry-after", "1")],
        Reply::status(200),
    )
    .await;
    let env = Env::start(|_| {}).await;
    env.event_type("thing.happened").await;
    let wh = env
        .webhook(json!({"url": hook.url(), "events": ["*"], "retry_count": 1}))
        .await;
    let secret = wh["secret"].as_str().unwrap();

    // Act
    let (_, dlv) = send_one(&env).await;
    env.wait_status(&dlv, "succeeded").await;

    // Assert
    let hits = hook.hits();
    assert_eq!(hits.len(), 2);
    let t0: i64 = hits[0].header("webhook-timestamp").parse().unwrap();
    let t1: i64 = hits[1].header("webhook-timestamp").parse().unwrap();
    assert!(
        t1 > t0,
        "the retry carries a fresh timestamp ({t0} then {t1})"
    );
    use base64::Engine;
    use hmac::{Hmac, KeyInit, Mac};
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{t1}.", hits[1].header("webhook-id")).as_bytes());
    mac.update(&hits[1].body);
    let expect = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(hits[1].header("webhook-signature"), expect);
}

#[tokio::test]
async fn a_url_changed_during_retries_is_used_by_the_next_attempt() {
    // Arrange: the old URL asks for a 1 s pause; the endpoint is moved meanwhile.
    let old = Hook::always(Reply::status(503).header("retry-after", "1")).await;
    let new = Hook::ok().await;
    let (env, wh) = one_endpoint(old.url(), json!({"retry_count": 3})).await;
    let (_, dlv) = send_one(&env).await;
    env.wait_attempts(&dlv, 1).await;

    // Act
    env.api
        .send(
            env.api
                .request(reqwest::Method::PATCH, &format!("/api/v1/webhooks/{wh}"))
                .json(&json!({"url": new.url()})),
            StatusCode::OK,
        )
        .await;
    let done = env.wait_status(&dlv, "succeeded").await;

    // Assert
    assert_eq!(old.hits().len(), 1);
    assert_eq!(new.hits().len(), 1);
    let used = attempts(&done)[1]["url"].as_str().unwrap();
    assert!(used.starts_with(new.url()), "{used}");
}

#[tokio::test]
async fn a_disabled_endpoint_gets_no_retries_until_it_is_enabled_again() {
    // Arrange: the first attempt fails and asks for a 1 s pause.
    let hook = Hook::scripted(
        vec![Reply::status(503).header("retry-after", "1")],
        Reply::status(200),
    )
    .await;
    let (env, wh) = one_endpoint(hook.url(), json!({"retry_count": 3})).await;
    let (_, dlv) = send_one(&env).await;
    let first = env.wait_attempts(&dlv, 1).await;
    let patch = |enabled: bool| {
        env.api.send(
            env.api
                .request(reqwest::Method::PATCH, &format!("/api/v1/webhooks/{wh}"))
                .json(&json!({"enabled": enabled})),
            StatusCode::OK,
        )
    };

    // Act: disable it before the retry falls due, and let the due time pass.
    patch(false).await;
    let due = time_of(first["next_attempt_at"].as_str().unwrap());
    wait_until(
        Duration::from_secs(5),
        "the retry's due time has passed",
        || async {
            (time::OffsetDateTime::now_utc() > due + time::Duration::milliseconds(1500))
                .then_some(())
        },
    )
    .await;

    // Assert: nothing was sent while disabled…
    assert_eq!(
        hook.hits().len(),
        1,
        "a disabled endpoint must not receive retries"
    );
    assert_eq!(env.delivery(&dlv).await["status"], "pending");
    // …and re-enabling resumes the delivery.
    patch(true).await;
    env.wait_status(&dlv, "succeeded").await;
    assert_eq!(hook.hits().len(), 2);
}
