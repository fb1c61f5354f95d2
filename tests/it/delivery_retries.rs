//! Attempt rules and retries: 2xx succeeds, everything else is recorded and retried on the
//! (test-shortened) schedule or `Retry-After`, until `failed`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::delivery_kit::{Env, Hook, Reply, attempts, closed_port};
use crate::support::{assert_quiet_for, wait_until};

/// An app with one event type and one endpoint at `url`; returns the env and the endpoint id.
async fn one_endpoint(url: &str, extra: serde_json::Value) -> (Env, String) {
    let env = Env::start(|_| {}).await;
    env.event_type("thing.happened").await;
    let mut body = json!({"url": url, "events": ["thing.happened"]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let wh = env.webhook(body).await;
    let id = wh["id"].as_str().unwrap().to_owned();
    (env, id)
}

/// Sends one event and returns (event id, its one delivery id).
async fn send_one(env: &Env) -> (String, String) {
    let ack = env.send("thing.happened", json!({"k": "v"})).await;
    let event = ack["id"].as_str().unwrap().to_owned();
    let dlv = env.only_delivery_id(&event).await;
    (event, dlv)
}

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
    let endpoint = env.endpoint(&wh).await;
    assert_eq!(endpoint["failure_count"], 1, "{endpoint}");
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

fn time_of(s: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}

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
async fn connection_refused_is_recorded() {
    // Arrange
    let port = closed_port().await;
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
async fn the_deliveries_of_an_endpoint_can_be_filtered_by_status_and_type() {
    // Arrange
    let hook = Hook::scripted(vec![Reply::status(500)], Reply::status(200)).await;
    let (env, wh) = one_endpoint(hook.url(), json!({"retry_count": 0})).await;
    let (_, failed) = send_one(&env).await;
    env.wait_status(&failed, "failed").await;
    let (_, ok) = send_one(&env).await;
    env.wait_status(&ok, "succeeded").await;

    // Act
    let list = |q: &'static str| {
        let env = &env;
        let wh = wh.clone();
        async move {
            env.api
                .get(
                    &format!("/api/v1/webhooks/{wh}/deliveries{q}"),
                    StatusCode::OK,
                )
                .await["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };

    // Assert
    assert_eq!(list("?status=failed").await, vec![failed.clone()]);
    assert_eq!(list("?status=succeeded").await, vec![ok.clone()]);
    assert_eq!(list("?event_type=thing.happened").await.len(), 2);
    assert!(list("?event_type=other.type").await.is_empty());
    let endpoint = env.endpoint(&wh).await;
    for window in ["last_24h", "last_30d"] {
        let w = &endpoint["stats"][window];
        assert_eq!(w["succeeded"], 1, "{window}: {endpoint}");
        assert_eq!(w["failed"], 1, "{window}: {endpoint}");
        assert!(w["avg_response_ms"].is_number(), "{window}: {endpoint}");
        assert!(w["p95_response_ms"].is_number(), "{window}: {endpoint}");
    }
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
