//! Fan-out inside a tenant: an event for T reaches only T's endpoints, one without a tenant only
//! the team's; channels and wildcards filter within that; idempotency keys are per tenant; a
//! test send belongs to its endpoint's tenant.

use reqwest::StatusCode;
use serde_json::json;

use super::{bound_key, id, tenant};
use crate::delivery_kit::{Env, Hook};

#[tokio::test]
async fn events_reach_only_their_tenants_endpoints_filtered_by_type_and_channel() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    env.event_type("user.created").await;
    tenant(&env, "a").await;
    tenant(&env, "b").await;
    let a_all = Hook::ok().await;
    let a_eu = Hook::ok().await;
    let b_all = Hook::ok().await;
    let team = Hook::ok().await;
    env.webhook(json!({"url": a_all.url(), "events": ["*"], "tenant": "a"}))
        .await;
    env.webhook(
        json!({"url": a_eu.url(), "events": ["invoice.*"], "channels": ["eu"], "tenant": "a"}),
    )
    .await;
    env.webhook(json!({"url": b_all.url(), "events": ["*"], "tenant": "b"}))
        .await;
    env.webhook(json!({"url": team.url(), "events": ["*"]}))
        .await;

    // Act: (tenant, type, channels, expected deliveries)
    let cases = [
        (Some("a"), "invoice.paid", json!(["eu"]), 2),
        (Some("a"), "invoice.paid", json!(["us"]), 1),
        (Some("a"), "user.created", json!(["eu"]), 1),
        (Some("b"), "invoice.paid", json!(["eu"]), 1),
        (None, "invoice.paid", json!(["eu"]), 1),
    ];
    for (t, ty, channels, expected) in &cases {
        let mut body = json!({"type": ty, "data": {}, "channels": channels});
        if let Some(t) = t {
            body["tenant"] = json!(t);
        }
        let ack = env.send_body(body).await;
        assert_eq!(ack["deliveries"], *expected, "{t:?} {ty} {channels}: {ack}");
    }

    // Assert: each receiver got exactly its events, and only its tenant's.
    let got = |hook: &Hook| {
        hook.hits()
            .iter()
            .map(|h| h.json()["type"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    a_all.wait_for(3).await;
    a_eu.wait_for(1).await;
    b_all.wait_for(1).await;
    team.wait_for(1).await;
    assert_eq!(got(&a_all).len(), 3);
    assert_eq!(got(&a_eu), ["invoice.paid"]);
    assert_eq!(got(&b_all), ["invoice.paid"]);
    assert_eq!(got(&team), ["invoice.paid"]);
}

#[tokio::test]
async fn idempotency_keys_are_per_tenant() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    tenant(&env, "a").await;
    tenant(&env, "b").await;
    let a = bound_key(&env, "a", &["events:write", "webhooks:read"]).await;
    let body = |t: Option<&str>| {
        let mut b = json!({"type": "invoice.paid", "data": {}, "idempotency_key": "order-1"});
        if let Some(t) = t {
            b["tenant"] = json!(t);
        }
        b
    };

    // Act
    let first_a = a
        .post("/api/v1/events", &body(None), StatusCode::ACCEPTED)
        .await;
    let repeat_a = a.post("/api/v1/events", &body(None), StatusCode::OK).await;
    let repeat_a_by_team = env
        .api
        .post("/api/v1/events", &body(Some("a")), StatusCode::OK)
        .await;
    let first_b = env
        .api
        .post("/api/v1/events", &body(Some("b")), StatusCode::ACCEPTED)
        .await;
    let first_team = env
        .api
        .post("/api/v1/events", &body(None), StatusCode::ACCEPTED)
        .await;
    let repeat_team = env
        .api
        .post("/api/v1/events", &body(None), StatusCode::OK)
        .await;

    // Assert
    assert_eq!(id(&repeat_a), id(&first_a));
    assert_eq!(id(&repeat_a_by_team), id(&first_a));
    assert_ne!(id(&first_b), id(&first_a));
    assert_ne!(id(&first_team), id(&first_a));
    assert_ne!(id(&first_team), id(&first_b));
    assert_eq!(id(&repeat_team), id(&first_team));
}

#[tokio::test]
async fn a_test_send_and_its_retry_stay_with_the_endpoints_tenant() {
    // Arrange
    let env = Env::start(|_| {}).await;
    let hook = Hook::ok().await;
    tenant(&env, "a").await;
    let endpoint = id(&env
        .webhook(json!({"url": hook.url(), "events": ["*"], "tenant": "a"}))
        .await);
    let a = bound_key(&env, "a", &["all"]).await;

    // Act
    let delivery = a
        .post(
            &format!("/api/v1/webhooks/{endpoint}/test"),
            &json!({}),
            StatusCode::OK,
        )
        .await;
    let retried = a
        .post(
            &format!("/api/v1/deliveries/{}/retry", id(&delivery)),
            &json!({}),
            StatusCode::OK,
        )
        .await;
    let events = a.get("/api/v1/events", StatusCode::OK).await;
    let team_events = env.api.get("/api/v1/events?tenant=a", StatusCode::OK).await;

    // Assert
    assert_eq!(delivery["status"], "succeeded", "{delivery}");
    assert_eq!(retried["attempts"], 2, "{retried}");
    assert_eq!(events["data"][0]["type"], "webhook.test", "{events}");
    assert_eq!(events["data"][0]["tenant"], "a");
    assert_eq!(team_events["data"].as_array().unwrap().len(), 1);
    hook.wait_for(2).await;
}
