//! The isolation matrix: a key bound to tenant A, on every API route that takes an id or lists
//! rows, against tenant B's and the team's objects: 404 exactly like an unknown id (existence is
//! not leaked), lists and counts hold only A's rows, and nothing of B or the team changes.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{bound_key, id, tenant};
use crate::delivery_kit::{Env, Hook};
use crate::support::ApiClient;

/// One tenant's (or the team's) objects: an endpoint, an event with its delivery, a replay.
struct Owned {
    endpoint: String,
    event: String,
    delivery: String,
    replay: String,
}

async fn objects(env: &Env, hook: &Hook, tenant: Option<&str>) -> Owned {
    let mut body = json!({"url": hook.url(), "events": ["*"]});
    let mut event = json!({"type": "invoice.paid", "data": {"n": 1}});
    if let Some(t) = tenant {
        body["tenant"] = json!(t);
        event["tenant"] = json!(t);
    }
    let endpoint = id(&env.webhook(body).await);
    let ack = env.send_body(event).await;
    assert_eq!(ack["deliveries"], 1, "{tenant:?}: {ack}");
    let delivery = env.only_delivery_id(&id(&ack)).await;
    env.wait_status(&delivery, "succeeded").await;
    let replay = env
        .api
        .post(
            &format!("/api/v1/webhooks/{endpoint}/replay"),
            &json!({"since": "2020-01-01T00:00:00Z"}),
            StatusCode::ACCEPTED,
        )
        .await;
    Owned {
        endpoint,
        event: id(&ack),
        delivery,
        replay: replay["replay"]["id"]
            .as_str()
            .or(replay["id"].as_str())
            .expect("replay id")
            .to_owned(),
    }
}

/// Every id-taking route, as (method, path, body).
fn routes(o: &Owned) -> Vec<(Method, String, Option<Value>)> {
    let wh = &o.endpoint;
    vec![
        (Method::GET, format!("/api/v1/webhooks/{wh}"), None),
        (
            Method::PATCH,
            format!("/api/v1/webhooks/{wh}"),
            Some(json!({"name": "taken over"})),
        ),
        (
            Method::POST,
            format!("/api/v1/webhooks/{wh}/rotate-secret"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/webhooks/{wh}/test"),
            Some(json!({})),
        ),
        (
            Method::GET,
            format!("/api/v1/webhooks/{wh}/deliveries"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/webhooks/{wh}/replay"),
            Some(json!({"since": "2020-01-01T00:00:00Z"})),
        ),
        (Method::GET, format!("/api/v1/events/{}", o.event), None),
        (
            Method::GET,
            format!("/api/v1/deliveries/{}", o.delivery),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/deliveries/{}/retry", o.delivery),
            None,
        ),
        (Method::GET, format!("/api/v1/replays/{}", o.replay), None),
        (Method::DELETE, format!("/api/v1/webhooks/{wh}"), None),
    ]
}

/// Ids of the right kinds that were never created.
fn unknown() -> Owned {
    let zero = "0".repeat(32);
    Owned {
        endpoint: format!("wh_{zero}"),
        event: format!("evt_{zero}"),
        delivery: format!("dlv_{zero}"),
        replay: format!("rpl_{zero}"),
    }
}

async fn answer(
    api: &ApiClient,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let req = api.request(method, path);
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    let resp = req.send().await.expect("request reaches the app");
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn listed(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_key_bound_to_one_tenant_gets_404_for_every_other_object_and_lists_only_its_own() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let hook = Hook::ok().await;
    tenant(&env, "a").await;
    tenant(&env, "b").await;
    let mine = objects(&env, &hook, Some("a")).await;
    let theirs = objects(&env, &hook, Some("b")).await;
    let team = objects(&env, &hook, None).await;
    let a = bound_key(&env, "a", &["all"]).await;

    // Act + Assert: every route, for B's, the team's and unknown ids alike.
    let none = unknown();
    for (foreign, whose) in [(&theirs, "tenant b"), (&team, "the team")] {
        for ((method, path, body), (_, unknown_path, _)) in
            routes(foreign).into_iter().zip(routes(&none))
        {
            let (status, got) = answer(&a, method.clone(), &path, body.clone()).await;
            let (_, expected) = answer(&a, method.clone(), &unknown_path, body).await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "{method} {path} ({whose}): {got}"
            );
            assert_eq!(
                got, expected,
                "{method} {path} ({whose}) must read like an unknown id"
            );
        }
    }

    // Lists hold only A's rows; a filter naming another tenant is refused the same way
    // whether it exists or not.
    let endpoints = a.get("/api/v1/webhooks", StatusCode::OK).await;
    let events = a.get("/api/v1/events", StatusCode::OK).await;
    let history = a
        .get(
            &format!("/api/v1/webhooks/{}/deliveries", mine.endpoint),
            StatusCode::OK,
        )
        .await;
    assert_eq!(listed(&endpoints), vec![mine.endpoint.clone()]);
    assert_eq!(listed(&events), vec![mine.event.clone()]);
    assert_eq!(listed(&history), vec![mine.delivery.clone()]);
    assert!(endpoints["data"][0]["tenant"] == "a", "{endpoints}");
    let other = a
        .get(
            "/api/v1/webhooks?tenant=b",
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let nobody = a
        .get(
            "/api/v1/webhooks?tenant=nobody",
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_eq!(other, nobody);

    // Its own objects answer on the same routes.
    for (method, path, body) in routes(&mine)
        .into_iter()
        .filter(|(m, _, _)| *m == Method::GET)
    {
        let (status, got) = answer(&a, method, &path, body).await;
        assert!(status.is_success(), "{path}: {status} {got}");
    }

    // Nothing of B or the team was changed or removed by the refused calls.
    for o in [&theirs, &team] {
        let ep = env.endpoint(&o.endpoint).await;
        assert_ne!(ep["name"], "taken over", "{ep}");
        assert_eq!(
            env.delivery(&o.delivery).await["attempts"],
            1,
            "no retry ran for {}",
            o.delivery
        );
    }
}

#[tokio::test]
async fn a_bound_key_stamps_its_tenant_and_refuses_bodies_naming_another() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let hook = Hook::ok().await;
    let team_hook = Hook::ok().await;
    tenant(&env, "a").await;
    tenant(&env, "b").await;
    env.webhook(json!({"url": team_hook.url(), "events": ["*"]}))
        .await;
    let a = bound_key(&env, "a", &["all"]).await;

    // Act
    let endpoint = a
        .post(
            "/api/v1/webhooks",
            &json!({"url": hook.url(), "events": ["*"]}),
            StatusCode::CREATED,
        )
        .await;
    let foreign_endpoint = a
        .post(
            "/api/v1/webhooks",
            &json!({"url": hook.url(), "events": ["*"], "tenant": "b"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let moved = a
        .send(
            a.request(
                Method::PATCH,
                &format!("/api/v1/webhooks/{}", id(&endpoint)),
            )
            .json(&json!({"tenant": "b"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let ack = a
        .post(
            "/api/v1/events",
            &json!({"type": "invoice.paid", "data": {}}),
            StatusCode::ACCEPTED,
        )
        .await;
    let same = a
        .post(
            "/api/v1/events",
            &json!({"type": "invoice.paid", "data": {}, "tenant": "a"}),
            StatusCode::ACCEPTED,
        )
        .await;
    let foreign_event = a
        .post(
            "/api/v1/events",
            &json!({"type": "invoice.paid", "data": {}, "tenant": "b"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    hook.wait_for(2).await;

    // Assert
    assert_eq!(endpoint["tenant"], "a", "{endpoint}");
    assert!(
        foreign_endpoint["error"]["details"]["tenant"].is_string(),
        "{foreign_endpoint}"
    );
    assert!(moved["error"]["details"]["tenant"].is_string(), "{moved}");
    assert_eq!(ack["deliveries"], 1, "only A's endpoint: {ack}");
    assert_eq!(same["deliveries"], 1, "{same}");
    assert!(
        foreign_event["error"]["details"]["tenant"].is_string(),
        "{foreign_event}"
    );
    assert_eq!(env.event(&id(&ack)).await["tenant"], "a");
    assert!(
        team_hook.hits().is_empty(),
        "the team's endpoint got a tenant's event"
    );
}

#[tokio::test]
async fn a_team_key_sees_every_row_with_its_tenant_and_filters_by_tenant() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let hook = Hook::ok().await;
    tenant(&env, "a").await;
    tenant(&env, "b").await;
    let ea = id(&env
        .webhook(json!({"url": hook.url(), "events": ["*"], "tenant": "a"}))
        .await);
    let eb = id(&env
        .webhook(json!({"url": hook.url(), "events": ["*"], "tenant": "b"}))
        .await);
    let et = id(&env
        .webhook(json!({"url": hook.url(), "events": ["*"]}))
        .await);
    let va = id(&env
        .send_body(json!({"type": "invoice.paid", "data": {}, "tenant": "a"}))
        .await);

    // Act
    let all = env.api.get("/api/v1/webhooks", StatusCode::OK).await;
    let only_a = env
        .api
        .get("/api/v1/webhooks?tenant=a", StatusCode::OK)
        .await;
    let events_b = env.api.get("/api/v1/events?tenant=b", StatusCode::OK).await;
    let events_a = env.api.get("/api/v1/events?tenant=a", StatusCode::OK).await;
    let unknown = env
        .api
        .get(
            "/api/v1/webhooks?tenant=zzz",
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let unknown_body = env
        .api
        .post(
            "/api/v1/webhooks",
            &json!({"url": hook.url(), "events": ["*"], "tenant": "zzz"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

    // Assert
    assert_eq!(listed(&all), [et.clone(), eb.clone(), ea.clone()]);
    let tenants: Vec<&Value> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["tenant"])
        .collect();
    assert_eq!(tenants, [&Value::Null, &json!("b"), &json!("a")]);
    assert_eq!(listed(&only_a), [ea]);
    assert!(listed(&events_b).is_empty());
    assert_eq!(listed(&events_a), [va]);
    assert!(
        unknown["error"]["details"]["tenant"].is_string(),
        "{unknown}"
    );
    assert!(
        unknown_body["error"]["details"]["tenant"].is_string(),
        "{unknown_body}"
    );
}
