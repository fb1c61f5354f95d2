//! Events about hookd itself: `hookd.delivery.failed` when a delivery runs out of retries,
//! `hookd.endpoint.disabled` when an endpoint is auto-disabled, both signed and delivered like
//! any event to the endpoints that name them (`*` leaves them out); the `hookd.` namespace is
//! reserved; and a receiver of them that fails never starts an endless chain.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::delivery_kit::{Env, Hit, Hook, Reply, SOON};
use crate::delivery_signing::hmac_sha256;
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, assert_quiet_for, wait_until};

/// How long a test watches for a stray follow-up event.
const QUIET: Duration = Duration::from_millis(1500);

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

/// An endpoint that answers 500 to everything, with no retries: each delivery fails at once.
async fn dead_endpoint(env: &Env, hook: &Hook, events: Value) -> String {
    id(&env
        .webhook(json!({"url": hook.url(), "events": events, "retry_count": 0, "name": "Dead"}))
        .await)
}

/// Stops the app and makes these endpoints one failed delivery short of the auto-disable rule
/// (failing for six days, nine deliveries in a row), then starts it again: the way to reach a
/// five-day rule in a test, as `ui_overview` does.
async fn nearly_auto_disabled(env: Env, endpoints: &[&str]) -> Env {
    let key = env.key.clone();
    let data = env.app.stop_keeping_data().await;
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data.path().join("hookd.db").display()
    ))
    .await
    .unwrap();
    let six_days_ago = time::OffsetDateTime::now_utc() - time::Duration::days(6);
    for wh in endpoints {
        sqlx::query(
            "update endpoints set failing_since = ?, failed_deliveries_in_row = 9, failure_count = 9,
                 last_failure_at = ? where id = ?",
        )
        .bind((six_days_ago.unix_timestamp_nanos() / 1_000_000) as i64)
        .bind((six_days_ago.unix_timestamp_nanos() / 1_000_000) as i64)
        .bind(wh)
        .execute(&db)
        .await
        .unwrap();
    }
    db.close().await;
    Env::restart(data, key, |_| {}).await
}

fn of_type<'a>(hits: &'a [Hit], event_type: &str) -> Vec<&'a Hit> {
    hits.iter()
        .filter(|h| h.header("x-webhook-event") == event_type)
        .collect()
}

#[tokio::test]
async fn a_delivery_out_of_retries_sends_a_signed_hookd_delivery_failed_to_its_subscriber() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let dead = Hook::always(Reply::status(500).body("down for maintenance")).await;
    let watcher = Hook::ok().await;
    let failing = dead_endpoint(&env, &dead, json!(["invoice.paid"])).await;
    let watching = env
        .webhook(json!({"url": watcher.url(), "events": ["hookd.delivery.failed"]}))
        .await;
    let secret = watching["secret"].as_str().unwrap().to_owned();

    // Act
    let sent = env.send("invoice.paid", json!({"invoice": 7})).await;
    let dlv = env.only_delivery_id(sent["id"].as_str().unwrap()).await;
    env.wait_status(&dlv, "failed").await;
    let hit = watcher.wait_for(1).await.remove(0);

    // Assert: the body is the normal webhook body, signed with the watcher's secret.
    assert_eq!(hit.header("x-webhook-event"), "hookd.delivery.failed");
    let body = hit.json();
    assert_eq!(body["type"], "hookd.delivery.failed");
    assert_eq!(hit.header("x-webhook-id"), body["id"].as_str().unwrap());
    let expected = hex::encode(hmac_sha256(secret.as_bytes(), &[&hit.body]));
    assert_eq!(hit.header("x-webhook-signature"), expected);
    let data = &body["data"];
    assert_eq!(data["delivery_id"], dlv);
    assert_eq!(data["event_id"], sent["id"]);
    assert_eq!(data["event_type"], "invoice.paid");
    assert_eq!(data["endpoint_id"], failing);
    assert_eq!(data["attempts"], 1);
    assert_eq!(data["last_status_code"], 500);
    assert!(data["last_error"].is_string(), "{data}");
    assert_eq!(data["tenant"], Value::Null);
    // It is an event like any other: in the log, with its own delivery.
    let event = env.event(body["id"].as_str().unwrap()).await;
    assert_eq!(event["type"], "hookd.delivery.failed");
    assert_eq!(event["deliveries"].as_array().unwrap().len(), 1);
    assert_quiet_for(QUIET, || assert_eq!(watcher.hits().len(), 1)).await;
}

#[tokio::test]
async fn star_leaves_hookd_events_out_and_hookd_star_takes_them() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let dead = Hook::always(Reply::status(500)).await;
    let everything = Hook::ok().await;
    let operations = Hook::ok().await;
    dead_endpoint(&env, &dead, json!(["invoice.paid"])).await;
    env.webhook(json!({"url": everything.url(), "events": ["*"]}))
        .await;
    env.webhook(json!({"url": operations.url(), "events": ["hookd.*"]}))
        .await;

    // Act
    env.send("invoice.paid", json!({})).await;

    // Assert
    let ops = operations.wait_for(1).await;
    assert_eq!(ops[0].header("x-webhook-event"), "hookd.delivery.failed");
    let all = everything.wait_for(1).await;
    assert_eq!(all[0].header("x-webhook-event"), "invoice.paid");
    assert_quiet_for(QUIET, || {
        assert_eq!(everything.hits().len(), 1, "* received a hookd event");
        assert_eq!(operations.hits().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_tenants_failure_goes_to_the_teams_endpoints_and_that_tenants_but_no_others() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    for uid in ["acme", "globex"] {
        env.api
            .post("/api/v1/tenants", &json!({"uid": uid}), StatusCode::CREATED)
            .await;
    }
    let dead = Hook::always(Reply::status(500)).await;
    let (team, acme, globex) = (Hook::ok().await, Hook::ok().await, Hook::ok().await);
    let failing = id(&env
        .webhook(
            json!({"url": dead.url(), "events": ["invoice.paid"], "retry_count": 0,
                        "tenant": "acme"}),
        )
        .await);
    for (hook, tenant) in [
        (&team, None),
        (&acme, Some("acme")),
        (&globex, Some("globex")),
    ] {
        env.webhook(json!({"url": hook.url(), "events": ["hookd.*"], "tenant": tenant}))
            .await;
    }

    // Act
    env.send_body(json!({"type": "invoice.paid", "tenant": "acme", "data": {}}))
        .await;

    // Assert
    for hook in [&team, &acme] {
        let hit = hook.wait_for(1).await.remove(0);
        assert_eq!(hit.header("x-webhook-event"), "hookd.delivery.failed");
        assert_eq!(hit.json()["data"]["tenant"], "acme");
        assert_eq!(hit.json()["data"]["endpoint_id"], failing);
    }
    // The tenant sees the event about it with its own delivery only: the delivery to the
    // team's endpoint is the team's.
    let event = team.hits()[0].json()["id"].as_str().unwrap().to_owned();
    let acme_key = crate::tenants::bound_key(&env, "acme", &["all"]).await;
    let seen_by_team = env.event(&event).await;
    let seen_by_acme = acme_key
        .get(&format!("/api/v1/events/{event}"), StatusCode::OK)
        .await;
    assert_eq!(seen_by_team["deliveries"].as_array().unwrap().len(), 2);
    let acme_deliveries = seen_by_acme["deliveries"].as_array().unwrap();
    assert_eq!(acme_deliveries.len(), 1, "{seen_by_acme}");
    let team_delivery = seen_by_team["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] != acme_deliveries[0]["id"])
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    acme_key
        .get(
            &format!("/api/v1/deliveries/{team_delivery}"),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_quiet_for(QUIET, || {
        assert!(
            globex.hits().is_empty(),
            "another tenant heard of acme's failure"
        );
        assert_eq!(team.hits().len(), 1);
        assert_eq!(acme.hits().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn an_auto_disabled_endpoint_sends_hookd_endpoint_disabled() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let dead = Hook::always(Reply::status(500)).await;
    let watcher = Hook::ok().await;
    let failing = dead_endpoint(&env, &dead, json!(["invoice.paid"])).await;
    env.webhook(json!({"url": watcher.url(), "events": ["hookd.endpoint.disabled"]}))
        .await;
    let env = nearly_auto_disabled(env, &[&failing]).await;

    // Act: the tenth failed delivery in six days.
    env.send("invoice.paid", json!({})).await;
    let hit = watcher.wait_for(1).await.remove(0);

    // Assert
    let body = hit.json();
    assert_eq!(body["type"], "hookd.endpoint.disabled");
    let data = &body["data"];
    assert_eq!(data["endpoint_id"], failing);
    assert_eq!(data["endpoint_name"], "Dead");
    let endpoint = env.endpoint(&failing).await;
    assert_eq!(data["endpoint_url"], endpoint["url"]);
    assert_eq!(endpoint["enabled"], false);
    assert_eq!(data["reason"], endpoint["disabled_reason"]);
    assert!(
        data["reason"].as_str().unwrap().starts_with("auto: "),
        "{data}"
    );
    assert!(
        data["disabled_at"].as_str().unwrap().ends_with('Z'),
        "{data}"
    );
    assert_eq!(data["tenant"], Value::Null);
    assert_quiet_for(QUIET, || assert_eq!(watcher.hits().len(), 1)).await;
}

#[tokio::test]
async fn a_receiver_of_hookd_events_that_always_fails_causes_no_further_hookd_events() {
    // Arrange: B takes every hookd event, its own failures included, and fails them all.
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let (a_hook, b_hook) = (
        Hook::always(Reply::status(500)).await,
        Hook::always(Reply::status(500)).await,
    );
    let watcher = Hook::ok().await;
    dead_endpoint(&env, &a_hook, json!(["invoice.paid"])).await;
    let b = dead_endpoint(&env, &b_hook, json!(["hookd.*"])).await;
    env.webhook(json!({"url": watcher.url(), "events": ["hookd.*"]}))
        .await;

    // Act
    env.send("invoice.paid", json!({})).await;

    // Assert: one report of A's failure each, and none of B's failing it.
    let seen = b_hook.wait_for(1).await;
    let dlv = wait_until(SOON, "B's delivery has failed", || async {
        let page = env
            .api
            .get(
                &format!("/api/v1/webhooks/{b}/deliveries?status=failed"),
                StatusCode::OK,
            )
            .await;
        page["data"].as_array().unwrap().first().cloned()
    })
    .await;
    assert_eq!(dlv["event_type"], "hookd.delivery.failed");
    assert_quiet_for(QUIET, || {
        assert_eq!(b_hook.hits().len(), 1, "{:?}", types(&b_hook.hits()));
        assert_eq!(watcher.hits().len(), 1, "{:?}", types(&watcher.hits()));
    })
    .await;
    assert_eq!(seen[0].header("x-webhook-event"), "hookd.delivery.failed");
}

#[tokio::test]
async fn a_chain_of_auto_disables_ends_when_the_failing_receiver_is_disabled_too() {
    // Arrange: A fails the application's events, B fails hookd's own, C listens to hookd's own;
    // A and B are each one failed delivery short of being auto-disabled.
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let (a_hook, b_hook) = (
        Hook::always(Reply::status(500)).await,
        Hook::always(Reply::status(500)).await,
    );
    let watcher = Hook::ok().await;
    let a = dead_endpoint(&env, &a_hook, json!(["invoice.paid"])).await;
    let b = dead_endpoint(&env, &b_hook, json!(["hookd.*"])).await;
    env.webhook(json!({"url": watcher.url(), "events": ["hookd.*"]}))
        .await;
    let env = nearly_auto_disabled(env, &[&a, &b]).await;

    // Act
    env.send("invoice.paid", json!({})).await;

    // Assert: A's failure and A's disable reach B and C; B's failures of those two are not
    // reported (no hookd.delivery.failed about a hookd event), but B's own disable is, to C
    // only; then nothing more, ever.
    let seen = watcher.wait_for(3).await;
    assert_quiet_for(QUIET, || {
        assert_eq!(watcher.hits().len(), 3, "{:?}", types(&watcher.hits()));
        // Both of B's events were on their way when B was disabled; either may be cut short.
        let at_b = b_hook.hits().len();
        assert!((1..=2).contains(&at_b), "{:?}", types(&b_hook.hits()));
    })
    .await;
    let failed = of_type(&seen, "hookd.delivery.failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].json()["data"]["endpoint_id"], a);
    let disabled: Vec<Value> = of_type(&seen, "hookd.endpoint.disabled")
        .iter()
        .map(|h| h.json()["data"]["endpoint_id"].clone())
        .collect();
    assert_eq!(disabled.len(), 2);
    assert!(disabled.contains(&json!(a)) && disabled.contains(&json!(b)));
    assert_eq!(env.endpoint(&b).await["enabled"], false);
}

fn types(hits: &[Hit]) -> Vec<String> {
    hits.iter()
        .map(|h| h.header("x-webhook-event").to_owned())
        .collect()
}

#[tokio::test]
async fn the_hookd_namespace_is_reserved_and_its_types_are_built_in() {
    // Arrange
    let env = Env::start(|_| {}).await;

    // Act + Assert: an application cannot send hookd's events…
    let refused = env
        .api
        .post(
            "/api/v1/events",
            &json!({"type": "hookd.delivery.failed", "data": {}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let why = refused["error"]["details"]["type"].as_str().unwrap();
    assert!(why.contains("reserved"), "{refused}");
    // …nor add a type of its own there…
    let refused = env
        .api
        .post(
            "/api/v1/event-types",
            &json!({"name": "hookd.custom"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(refused["error"]["details"]["name"].is_string(), "{refused}");
    // …nor change or archive the built-in ones.
    for (method, body) in [
        (Method::PATCH, json!({"description": "mine now"})),
        (Method::PATCH, json!({"archived": true})),
        (Method::DELETE, json!(null)),
    ] {
        let req = env.api.request(
            method.clone(),
            "/api/v1/event-types/hookd.endpoint.disabled",
        );
        let req = if body.is_null() { req } else { req.json(&body) };
        let refused = env.api.send(req, StatusCode::CONFLICT).await;
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(message.contains("built in"), "{method}: {refused}");
    }

    // The catalog lists both, with a description and an example payload.
    let list = env.api.get("/api/v1/event-types", StatusCode::OK).await;
    for name in ["hookd.delivery.failed", "hookd.endpoint.disabled"] {
        let t = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in {list}"));
        assert_eq!(t["archived"], false);
        assert!(!t["description"].as_str().unwrap().is_empty());
        assert_eq!(t["example"]["tenant"], Value::Null, "{t}");
    }
    let failed = env
        .api
        .get("/api/v1/event-types/hookd.delivery.failed", StatusCode::OK)
        .await;
    for field in [
        "delivery_id",
        "event_id",
        "event_type",
        "endpoint_id",
        "attempts",
    ] {
        assert!(failed["example"].get(field).is_some(), "{field}: {failed}");
    }
    // Endpoints may subscribe to them, and a test send may use one, to try a receiver.
    let hook = Hook::ok().await;
    let wh = id(&env
        .webhook(json!({"url": hook.url(), "events": ["hookd.*"]}))
        .await);
    env.webhook(json!({"url": hook.url(), "events": ["hookd.endpoint.disabled"]}))
        .await;
    let tried = env
        .api
        .post(
            &format!("/api/v1/webhooks/{wh}/test"),
            &json!({"event_type": "hookd.endpoint.disabled", "data": {"tenant": null}}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(tried["status"], "succeeded", "{tried}");
    assert_eq!(
        hook.hits()[0].header("x-webhook-event"),
        "hookd.endpoint.disabled"
    );

    // The dashboard's catalog shows them as built in, without archive or edit forms.
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = admin.page("/event-types").await;
    assert!(
        page.body.contains("hookd.endpoint.disabled"),
        "{}",
        page.body
    );
    assert!(page.body.contains("built in"));
    assert!(
        !page
            .body
            .contains("/event-types/hookd.endpoint.disabled/archive")
    );
    assert!(
        !page
            .body
            .contains("/event-types/hookd.endpoint.disabled/edit")
    );
}
