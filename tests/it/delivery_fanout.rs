//! Who gets what: event-type matching (`*`, `prefix.*`), channels, idempotency, and isolation
//! of a hanging endpoint from healthy ones.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::delivery_kit::{Env, Hook, Reply};
use crate::support::{assert_quiet_for, wait_until};

#[tokio::test]
async fn events_fan_out_by_type_wildcards_and_channels() {
    // Arrange
    let env = Env::start(|_| {}).await;
    for t in [
        "invoice.paid",
        "invoice.void",
        "invoices.created",
        "user.created",
    ] {
        env.event_type(t).await;
    }
    let prefix = Hook::ok().await; // invoice.*
    let all = Hook::ok().await; // *
    let tenant = Hook::ok().await; // user.created, channel t1
    let paid = Hook::ok().await; // invoice.paid, channels t1/t2
    let disabled = Hook::ok().await; // *, but disabled
    env.webhook(json!({"url": prefix.url(), "events": ["invoice.*"]}))
        .await;
    env.webhook(json!({"url": all.url(), "events": ["*"]}))
        .await;
    env.webhook(json!({"url": tenant.url(), "events": ["user.created"], "channels": ["t1"]}))
        .await;
    env.webhook(json!({"url": paid.url(), "events": ["invoice.paid"], "channels": ["t1", "t2"]}))
        .await;
    env.webhook(json!({"url": disabled.url(), "events": ["*"], "enabled": false}))
        .await;

    // Act: (type, channels, expected fan-out)
    let cases = [
        ("invoice.paid", None, 2),
        ("invoice.void", Some(json!(["t2"])), 2),
        ("user.created", Some(json!(["t1"])), 2),
        ("user.created", Some(json!(["t3"])), 1),
        ("invoice.paid", Some(json!(["t2"])), 3),
        ("invoices.created", None, 1),
    ];
    let mut ids = vec![];
    for (t, channels, expect) in &cases {
        let mut body = json!({"type": t, "data": {}});
        if let Some(c) = channels {
            body["channels"] = c.clone();
        }
        let ack = env.send_body(body).await;
        assert_eq!(ack["deliveries"], *expect, "{t} {channels:?}: {ack}");
        ids.push(ack["id"].as_str().unwrap().to_owned());
    }

    // Assert: each receiver got exactly its events
    let expected: BTreeMap<&str, (&Hook, Vec<usize>)> = BTreeMap::from([
        ("invoice.*", (&prefix, vec![0, 1, 4])),
        ("*", (&all, vec![0, 1, 2, 3, 4, 5])),
        ("user.created@t1", (&tenant, vec![2])),
        ("invoice.paid@t1,t2", (&paid, vec![4])),
    ]);
    for (name, (hook, want)) in &expected {
        let hits = hook.wait_for(want.len()).await;
        let got: BTreeSet<String> = hits
            .iter()
            .map(|h| h.header("webhook-id").to_owned())
            .collect();
        let want: BTreeSet<String> = want.iter().map(|i| ids[*i].clone()).collect();
        assert_eq!(got, want, "endpoint {name} received the wrong events");
    }
    // No duplicate or stray arrives later either.
    assert_quiet_for(Duration::from_millis(300), || {
        for (name, (hook, want)) in &expected {
            assert_eq!(
                hook.hits().len(),
                want.len(),
                "endpoint {name}: duplicates or strays"
            );
        }
        assert!(
            disabled.hits().is_empty(),
            "a disabled endpoint receives nothing"
        );
    })
    .await;
    let fan_out = env.event(&ids[4]).await;
    assert_eq!(fan_out["deliveries"].as_array().unwrap().len(), 3);
    assert_eq!(fan_out["channels"], json!(["t2"]));
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_original_event_and_sends_nothing_new() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("order.created").await;
    let hook = Hook::ok().await;
    env.webhook(json!({"url": hook.url(), "events": ["*"]}))
        .await;
    let body = json!({"type": "order.created", "data": {"n": 1}, "idempotency_key": "order-1"});

    // Act
    let first = env.send_body(body.clone()).await;
    let again = env.api.post("/api/v1/events", &body, StatusCode::OK).await;
    let other = env
        .send_body(json!({"type": "order.created", "data": {"n": 1}, "idempotency_key": "order-2"}))
        .await;

    // Assert
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["created_at"], first["created_at"]);
    assert_ne!(other["id"], first["id"]);
    let id = first["id"].as_str().unwrap();
    assert_eq!(env.delivery_ids(id).await.len(), 1);
    hook.wait_for(2).await;
    assert_quiet_for(Duration::from_millis(300), || {
        let got: Vec<String> = hook
            .hits()
            .iter()
            .map(|h| h.header("webhook-id").to_owned())
            .collect();
        assert_eq!(got.iter().filter(|g| *g == id).count(), 1, "{got:?}");
        assert_eq!(got.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn several_hanging_endpoints_together_do_not_take_every_slot() {
    // Arrange: three hanging endpoints could hold 3 × 4 = 12 attempts, more than the 8 global
    // slots; a healthy endpoint arrives after their backlogs. Their receiver hangs past their
    // timeout, so no hanging attempt ends (fails) before it; 2 s, so that on a busy machine the
    // healthy deliveries need not race a short timer.
    let env = Env::start(|cfg| {
        cfg.endpoint_concurrency = 4;
        cfg.delivery_concurrency = 8;
    })
    .await;
    env.event_type("a.event").await;
    env.event_type("b.event").await;
    let hanging = Hook::always(Reply::status(200).delay(Duration::from_secs(5))).await;
    let healthy = Hook::ok().await;
    let mut hanging_ids = vec![];
    for _ in 0..3 {
        let wh = env
            .webhook(json!({"url": hanging.url(), "events": ["a.event"], "timeout_seconds": 2, "retry_count": 0}))
            .await;
        hanging_ids.push(wh["id"].as_str().unwrap().to_owned());
    }
    env.webhook(json!({"url": healthy.url(), "events": ["b.event"]}))
        .await;
    for i in 0..10 {
        env.send("a.event", json!({"i": i})).await;
    }

    // Act
    for i in 0..10 {
        env.send("b.event", json!({"i": i})).await;
    }
    healthy.wait_for(10).await;

    // Assert: B got all 10 while every hanging attempt was still in progress. Had the hanging
    // endpoints taken all 8 slots, B would have waited for one of them to time out.
    for id in &hanging_ids {
        let ended = deliveries_with_status(&env, id, "failed").await;
        assert!(
            ended.is_empty(),
            "the healthy endpoint waited behind hanging ones: {} hanging attempt(s) timed out first",
            ended.len()
        );
    }
}

/// The deliveries of endpoint `id` with `status` (up to 100). With `retry_count: 0`, the
/// `failed` ones are those whose only attempt has ended.
async fn deliveries_with_status(env: &Env, id: &str, status: &str) -> Vec<serde_json::Value> {
    let page = env
        .api
        .get(
            &format!("/api/v1/webhooks/{id}/deliveries?status={status}&limit=100"),
            StatusCode::OK,
        )
        .await;
    page["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_hanging_endpoint_does_not_delay_a_healthy_one() {
    // Arrange: A's receiver hangs past its timeout (2 s, so that B's deliveries need not race a
    // short timer on a busy machine); B answers at once.
    let env = Env::start(|cfg| {
        cfg.endpoint_concurrency = 2;
        cfg.delivery_concurrency = 8;
    })
    .await;
    env.event_type("a.event").await;
    env.event_type("b.event").await;
    let hanging = Hook::always(Reply::status(200).delay(Duration::from_secs(5))).await;
    let healthy = Hook::ok().await;
    let a = env
        .webhook(json!({"url": hanging.url(), "events": ["a.event"], "timeout_seconds": 2, "retry_count": 0}))
        .await;
    env.webhook(json!({"url": healthy.url(), "events": ["b.event"]}))
        .await;

    // Act: A's backlog first, then B's events.
    for i in 0..10 {
        env.send("a.event", json!({"i": i})).await;
    }
    for i in 0..20 {
        env.send("b.event", json!({"i": i})).await;
    }
    healthy.wait_for(20).await;

    // Assert: all 20 arrived while A's first attempts were still hanging. A's attempts each
    // take its 2 s timeout: had they taken the healthy endpoint's slots, B would have waited
    // for one of them to end.
    let a_id = a["id"].as_str().unwrap();
    let ended = deliveries_with_status(&env, a_id, "failed").await;
    assert!(
        ended.is_empty(),
        "the healthy endpoint's 20 deliveries waited behind a hanging one: {} of A's attempts timed out first",
        ended.len()
    );
    let pending = deliveries_with_status(&env, a_id, "pending").await;
    assert!(
        !pending.is_empty(),
        "A's deliveries should still be hanging behind its 2 slots: {pending:?}"
    );
    // And A's backlog does drain, each attempt recorded as a timeout.
    let failed = wait_until(
        Duration::from_secs(20),
        "A's backlog has drained",
        || async {
            let failed = deliveries_with_status(&env, a_id, "failed").await;
            (failed.len() == 10).then_some(failed)
        },
    )
    .await;
    assert!(failed.iter().all(|d| {
        d["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("timed out"))
    }));
}

#[tokio::test]
async fn concurrent_requests_with_one_idempotency_key_create_one_event() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("order.created").await;
    let hook = Hook::ok().await;
    env.webhook(json!({"url": hook.url(), "events": ["*"]}))
        .await;
    let body = json!({"type": "order.created", "data": {}, "idempotency_key": "race-1"});

    // Act: 16 at once, so they share group-commit batches.
    let sends: Vec<_> = (0..16)
        .map(|_| {
            let req = env
                .api
                .request(reqwest::Method::POST, "/api/v1/events")
                .json(&body);
            tokio::spawn(async move {
                let resp = req.send().await.unwrap();
                let status = resp.status();
                let json: serde_json::Value = resp.json().await.unwrap();
                (status, json["id"].as_str().unwrap_or_default().to_owned())
            })
        })
        .collect();
    let mut results = vec![];
    for s in sends {
        results.push(s.await.unwrap());
    }

    // Assert
    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::ACCEPTED)
        .count();
    let replayed = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!((created, replayed), (1, 15), "{results:?}");
    let ids: BTreeSet<&str> = results.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(ids.len(), 1, "{results:?}");
    hook.wait_for(1).await;
    assert_quiet_for(Duration::from_millis(300), || {
        assert_eq!(hook.hits().len(), 1)
    })
    .await;
}
