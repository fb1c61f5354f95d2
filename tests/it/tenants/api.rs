//! /api/v1/tenants: create, upsert, read, rename, list with search and paging, delete with
//! everything the tenant owned, and who may call it.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{bound_key, id, tenant};
use crate::delivery_kit::{Env, Hook};

#[tokio::test]
async fn tenants_are_created_upserted_renamed_and_refused_with_precise_errors() {
    // Arrange
    let env = Env::start(|_| {}).await;

    // Act
    let created = tenant(&env, "cus_1").await;
    let taken = env
        .api
        .post(
            "/api/v1/tenants",
            &json!({"uid": "cus_1"}),
            StatusCode::CONFLICT,
        )
        .await;
    let bad = env
        .api
        .post(
            "/api/v1/tenants",
            &json!({"uid": "has space"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let put_new = env
        .api
        .send(
            env.api
                .request(Method::PUT, "/api/v1/tenants/org:42")
                .json(&json!({"name": "Org 42"})),
            StatusCode::CREATED,
        )
        .await;
    let put_again = env
        .api
        .send(
            env.api
                .request(Method::PUT, "/api/v1/tenants/org:42")
                .json(&json!({"name": "Org Forty-Two"})),
            StatusCode::OK,
        )
        .await;
    let put_empty = env
        .api
        .send(
            env.api.request(Method::PUT, "/api/v1/tenants/org:42"),
            StatusCode::OK,
        )
        .await;
    let patched = env
        .api
        .send(
            env.api
                .request(Method::PATCH, "/api/v1/tenants/cus_1")
                .json(&json!({"name": "Renamed"})),
            StatusCode::OK,
        )
        .await;
    let fetched = env.api.get("/api/v1/tenants/cus_1", StatusCode::OK).await;
    let missing = env
        .api
        .get("/api/v1/tenants/nobody", StatusCode::NOT_FOUND)
        .await;

    // Assert
    assert!(id(&created).starts_with("tn_"), "{created}");
    assert_eq!(created["uid"], "cus_1");
    assert_eq!(taken["error"]["code"], "conflict", "{taken}");
    assert!(bad["error"]["details"]["uid"].is_string(), "{bad}");
    assert_eq!(put_new["name"], "Org 42");
    assert_eq!(id(&put_again), id(&put_new), "PUT updates the same tenant");
    assert_eq!(put_again["name"], "Org Forty-Two");
    assert_eq!(
        put_empty["name"], "Org Forty-Two",
        "a PUT without a name keeps it"
    );
    assert_eq!(patched["name"], "Renamed");
    assert_eq!(fetched["name"], "Renamed");
    assert_eq!(missing["error"]["code"], "not_found", "{missing}");
}

#[tokio::test]
async fn the_list_pages_by_uid_and_searches_uid_and_name() {
    // Arrange
    let env = Env::start(|_| {}).await;
    for uid in ["a1", "a2", "b1", "b2", "c1"] {
        tenant(&env, uid).await;
    }
    env.api
        .send(
            env.api
                .request(Method::PATCH, "/api/v1/tenants/c1")
                .json(&json!({"name": "Acme Widgets"})),
            StatusCode::OK,
        )
        .await;

    // Act
    let first = env.api.get("/api/v1/tenants?limit=2", StatusCode::OK).await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = env
        .api
        .get(
            &format!("/api/v1/tenants?limit=2&cursor={cursor}"),
            StatusCode::OK,
        )
        .await;
    let by_name = env
        .api
        .get("/api/v1/tenants?search=acme", StatusCode::OK)
        .await;
    let by_uid = env
        .api
        .get("/api/v1/tenants?search=b", StatusCode::OK)
        .await;

    // Assert
    let uids = |v: &serde_json::Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["uid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(uids(&first), ["a1", "a2"]);
    assert_eq!(uids(&second), ["b1", "b2"]);
    assert_eq!(uids(&by_name), ["c1"]);
    assert_eq!(uids(&by_uid), ["b1", "b2"]);
}

#[tokio::test]
async fn deleting_a_tenant_removes_its_endpoints_events_history_and_keys_only() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let hook = Hook::ok().await;
    tenant(&env, "gone").await;
    tenant(&env, "kept").await;
    let gone_ep = env
        .webhook(json!({"url": hook.url(), "events": ["*"], "tenant": "gone"}))
        .await;
    let kept_ep = env
        .webhook(json!({"url": hook.url(), "events": ["*"], "tenant": "kept"}))
        .await;
    let team_ep = env
        .webhook(json!({"url": hook.url(), "events": ["*"]}))
        .await;
    let gone_key = bound_key(&env, "gone", &["all"]).await;
    let gone_event = env
        .send_body(json!({"type": "invoice.paid", "data": {}, "tenant": "gone"}))
        .await;
    let kept_event = env
        .send_body(json!({"type": "invoice.paid", "data": {}, "tenant": "kept"}))
        .await;
    let delivery = env.only_delivery_id(&id(&gone_event)).await;
    hook.wait_for(2).await;

    // Act
    env.api
        .send(
            env.api.request(Method::DELETE, "/api/v1/tenants/gone"),
            StatusCode::NO_CONTENT,
        )
        .await;

    // Assert
    env.api
        .get("/api/v1/tenants/gone", StatusCode::NOT_FOUND)
        .await;
    env.api
        .get(
            &format!("/api/v1/webhooks/{}", id(&gone_ep)),
            StatusCode::NOT_FOUND,
        )
        .await;
    env.api
        .get(
            &format!("/api/v1/events/{}", id(&gone_event)),
            StatusCode::NOT_FOUND,
        )
        .await;
    env.api
        .get(
            &format!("/api/v1/deliveries/{delivery}"),
            StatusCode::NOT_FOUND,
        )
        .await;
    gone_key
        .get("/api/v1/webhooks", StatusCode::UNAUTHORIZED)
        .await;
    env.endpoint(&id(&kept_ep)).await;
    env.endpoint(&id(&team_ep)).await;
    env.event(&id(&kept_event)).await;
}

#[tokio::test]
async fn a_tenant_bound_key_cannot_manage_tenants_keys_or_the_catalog_but_reads_event_types() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    tenant(&env, "a").await;
    let a = bound_key(&env, "a", &["all"]).await;

    // Act
    let refused = [
        a.fetch_status_of(Method::GET, "/api/v1/tenants", None)
            .await,
        a.fetch_status_of(Method::POST, "/api/v1/tenants", Some(json!({"uid": "x"})))
            .await,
        a.fetch_status_of(Method::GET, "/api/v1/tenants/a", None)
            .await,
        a.fetch_status_of(Method::PUT, "/api/v1/tenants/a", Some(json!({})))
            .await,
        a.fetch_status_of(Method::DELETE, "/api/v1/tenants/a", None)
            .await,
        a.fetch_status_of(
            Method::POST,
            "/api/v1/tenants/a/api-keys",
            Some(json!({"name": "k"})),
        )
        .await,
        a.fetch_status_of(
            Method::POST,
            "/api/v1/tenants/a/portal-links",
            Some(json!({})),
        )
        .await,
        a.fetch_status_of(
            Method::POST,
            "/api/v1/event-types",
            Some(json!({"name": "x.y"})),
        )
        .await,
        a.fetch_status_of(
            Method::PATCH,
            "/api/v1/event-types/invoice.paid",
            Some(json!({"description": "d"})),
        )
        .await,
        a.fetch_status_of(Method::DELETE, "/api/v1/event-types/invoice.paid", None)
            .await,
    ];
    let catalog = a.get("/api/v1/event-types", StatusCode::OK).await;

    // Assert
    assert!(
        refused.iter().all(|s| *s == StatusCode::FORBIDDEN),
        "{refused:?}"
    );
    // hookd's own built-in types (`hookd.…`) sort first.
    let names: Vec<&str> = catalog["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"invoice.paid"), "{catalog}");
}

#[tokio::test]
async fn a_portal_link_is_absolute_expires_and_its_lifetime_is_checked() {
    // Arrange
    let env = Env::start(|_| {}).await;
    tenant(&env, "a").await;

    // Act
    let link = env
        .api
        .post(
            "/api/v1/tenants/a/portal-links",
            &json!({"read_only": true, "expires_in_seconds": 120}),
            StatusCode::CREATED,
        )
        .await;
    let default = env
        .api
        .send(
            env.api
                .request(Method::POST, "/api/v1/tenants/a/portal-links"),
            StatusCode::CREATED,
        )
        .await;
    let too_long = env
        .api
        .post(
            "/api/v1/tenants/a/portal-links",
            &json!({"expires_in_seconds": 99_999_999}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let unknown = env
        .api
        .post(
            "/api/v1/tenants/b/portal-links",
            &json!({}),
            StatusCode::NOT_FOUND,
        )
        .await;

    // Assert
    let url = link["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/portal/enter?token=hkp_", env.app.url())),
        "{link}"
    );
    let expires = time::OffsetDateTime::parse(
        default["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = expires - time::OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::minutes(14) && left <= time::Duration::minutes(15),
        "default lifetime is 15 minutes: {default}"
    );
    assert_ne!(default["url"], link["url"]);
    assert!(
        too_long["error"]["details"]["expires_in_seconds"].is_string(),
        "{too_long}"
    );
    assert_eq!(unknown["error"]["code"], "not_found");
}

#[tokio::test]
async fn the_command_line_makes_a_tenant_bound_key_and_refuses_an_unknown_tenant() {
    // Arrange
    let env = Env::start(|_| {}).await;
    let hook = Hook::ok().await;
    tenant(&env, "a").await;
    tenant(&env, "b").await;
    let theirs = env
        .webhook(json!({"url": hook.url(), "events": ["*"], "tenant": "b"}))
        .await;
    let dir = env.app.data_dir().to_str().unwrap().to_owned();
    let args = |t: &'static str| -> Vec<String> {
        [
            "api-key",
            "create",
            "--name",
            "acme",
            "--tenant",
            t,
            "--data-dir",
            &dir,
        ]
        .map(str::to_owned)
        .to_vec()
    };

    // Act
    let made = crate::support::bin::hookd_async(
        env.app.data_dir(),
        &args("a").iter().map(String::as_str).collect::<Vec<_>>(),
        "",
    )
    .await;
    let unknown = crate::support::bin::hookd_async(
        env.app.data_dir(),
        &args("nobody")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        "",
    )
    .await;

    // Assert
    made.assert_success();
    assert!(made.stderr.contains("bound to tenant a"), "{}", made.stderr);
    let a = env.app.api(made.stdout.trim());
    let mine = a
        .post(
            "/api/v1/webhooks",
            &json!({"url": hook.url(), "events": ["*"]}),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(mine["tenant"], "a");
    a.get(
        &format!("/api/v1/webhooks/{}", id(&theirs)),
        StatusCode::NOT_FOUND,
    )
    .await;
    unknown.assert_clean_failure();
    assert!(unknown.stderr.contains("nobody"), "{}", unknown.stderr);
}
