//! The whole life of a webhook through /api/v1/webhooks (create, get, list, PATCH, DELETE) and
//! the 404 every route gives for an id it does not know.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{
    app_with_catalog, assert_error, assert_masked_for, create, field_error, id_of, ids, minimal,
    secret_of, secret_of_len,
};

#[tokio::test]
async fn webhooks_are_created_read_listed_updated_and_deleted() {
    let (app, api) = app_with_catalog(|_| {}).await;

    let created = create(
        &api,
        json!({
            "url": "https://example.com/hooks",
            "events": ["invoice.*", "user.created"],
            "name": "Billing",
            "description": "the billing service",
            "enabled": true,
            "headers": {"X-Tenant": "acme"},
            "retry_count": 3,
            "timeout_seconds": 20,
            "channels": ["tenant-1"],
            "tls_verify": false
        }),
    )
    .await;
    let id = id_of(&created);
    assert!(id.starts_with("wh_"), "{id}");
    assert_eq!(created["url"], "https://example.com/hooks");
    assert_eq!(created["events"], json!(["invoice.*", "user.created"]));
    assert_eq!(created["name"], "Billing");
    assert_eq!(created["description"], "the billing service");
    assert_eq!(created["enabled"], true);
    assert_eq!(created["headers"], json!({"X-Tenant": "acme"}));
    assert_eq!(created["retry_count"], 3);
    assert_eq!(created["timeout_seconds"], 20);
    assert_eq!(created["channels"], json!(["tenant-1"]));
    assert_eq!(created["tls_verify"], false);
    assert_eq!(created["failure_count"], 0);
    assert_eq!(created["has_secret"], true);
    let secret = secret_of(&created);
    let masked = created["secret_masked"]
        .as_str()
        .expect("secret_masked on create too");
    assert!(masked.ends_with(&secret[secret.len() - 4..]), "{masked}");
    assert!(!masked.contains(&secret[6..secret.len() - 4]), "{masked}");

    // Defaults.
    let plain = create(&api, minimal("https://hooks.example.org/in")).await;
    assert_eq!(
        plain["name"], "hooks.example.org",
        "name defaults to the host"
    );
    assert_eq!(plain["retry_count"], 4);
    assert_eq!(plain["timeout_seconds"], 10);
    assert_eq!(plain["enabled"], true);
    assert_eq!(plain["tls_verify"], true);
    assert_eq!(plain["channels"], Value::Null);
    assert_eq!(plain["headers"], json!({}));
    // `*` is a valid subscription too.
    create(
        &api,
        json!({"url": "https://example.com/all", "events": ["*"]}),
    )
    .await;

    let got = api
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    assert_masked_for(&got, &secret);
    assert_eq!(got["name"], "Billing");
    assert_eq!(got["headers"], json!({"X-Tenant": "acme"}));

    let list = api.get("/api/v1/webhooks", StatusCode::OK).await;
    assert_eq!(ids(&list).len(), 3);
    assert!(ids(&list).contains(&id));
    for item in list["data"].as_array().unwrap() {
        assert!(
            item.get("secret").is_none(),
            "list reveals a secret: {item}"
        );
    }
    assert_masked_for(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id.as_str())
            .unwrap(),
        &secret,
    );

    // PATCH changes only what it names.
    let patched = api
        .send(
            api.request(Method::PATCH, &format!("/api/v1/webhooks/{id}"))
                .json(&json!({"name": "Billing v2", "retry_count": 0, "enabled": false})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(patched["name"], "Billing v2");
    assert_eq!(patched["retry_count"], 0);
    assert_eq!(patched["enabled"], false);
    assert_eq!(patched["disabled_reason"], "manual");
    assert_eq!(patched["url"], "https://example.com/hooks");
    assert_eq!(patched["timeout_seconds"], 20);
    assert_eq!(patched["channels"], json!(["tenant-1"]));
    assert_masked_for(&patched, &secret);

    // Every create field can be patched.
    let patched = api
        .send(
            api.request(Method::PATCH, &format!("/api/v1/webhooks/{id}"))
                .json(&json!({
                    "url": "https://example.net/new",
                    "events": ["user.created"],
                    "description": "",
                    "enabled": true,
                    "headers": {"X-Other": "1"},
                    "timeout_seconds": 1,
                    "tls_verify": true
                })),
            StatusCode::OK,
        )
        .await;
    assert_eq!(patched["url"], "https://example.net/new");
    assert_eq!(patched["events"], json!(["user.created"]));
    assert_eq!(patched["description"], "");
    assert_eq!(patched["enabled"], true);
    assert_eq!(patched["disabled_reason"], Value::Null);
    assert_eq!(patched["headers"], json!({"X-Other": "1"}));
    assert_eq!(patched["timeout_seconds"], 1);
    assert_eq!(patched["tls_verify"], true);
    assert_eq!(patched["channels"], json!(["tenant-1"]));

    // `channels: null` clears the filter.
    let cleared = api
        .send(
            api.request(Method::PATCH, &format!("/api/v1/webhooks/{id}"))
                .json(&json!({"channels": null})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(cleared["channels"], Value::Null);
    let got = api
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    assert_eq!(got["channels"], Value::Null);
    assert_eq!(got["name"], "Billing v2");

    // The secret cannot be patched.
    let body = api
        .send(
            api.request(Method::PATCH, &format!("/api/v1/webhooks/{id}"))
                .json(&json!({"secret": secret_of_len(32)})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(field_error(&body, "secret").contains("rotate"), "{body}");

    // PATCH validates like create.
    let body = api
        .send(
            api.request(Method::PATCH, &format!("/api/v1/webhooks/{id}"))
                .json(&json!({"retry_count": 11, "events": [], "url": "ftp://x.example"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    field_error(&body, "retry_count");
    field_error(&body, "events");
    field_error(&body, "url");

    // DELETE, then it is gone.
    let gone = api
        .send(
            api.request(Method::DELETE, &format!("/api/v1/webhooks/{id}")),
            StatusCode::NO_CONTENT,
        )
        .await;
    assert_eq!(gone, Value::Null);
    api.get(&format!("/api/v1/webhooks/{id}"), StatusCode::NOT_FOUND)
        .await;
    api.send(
        api.request(Method::DELETE, &format!("/api/v1/webhooks/{id}")),
        StatusCode::NOT_FOUND,
    )
    .await;
    let list = api.get("/api/v1/webhooks", StatusCode::OK).await;
    assert_eq!(ids(&list).len(), 2);
    drop(app);
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404_on_every_route() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    let unknown = "wh_0193b1c2d3e47f8a9b0c1d2e3f405162";
    // A real id, but of another kind, must not be taken either.
    for id in [
        unknown,
        "nope",
        "wh_",
        "evt_0193b1c2d3e47f8a9b0c1d2e3f405162",
    ] {
        let path = format!("/api/v1/webhooks/{id}");
        let body = api.get(&path, StatusCode::NOT_FOUND).await;
        assert_error(&body, "not_found");
        let body = api
            .send(
                api.request(Method::PATCH, &path)
                    .json(&json!({"name": "x"})),
                StatusCode::NOT_FOUND,
            )
            .await;
        assert_error(&body, "not_found");
        let body = api
            .send(api.request(Method::DELETE, &path), StatusCode::NOT_FOUND)
            .await;
        assert_error(&body, "not_found");
        let body = api
            .send(
                api.request(Method::POST, &format!("{path}/rotate-secret")),
                StatusCode::NOT_FOUND,
            )
            .await;
        assert_error(&body, "not_found");
    }
}
