//! /api/v1/webhooks: every route (list with cursor paging, create, get, PATCH, DELETE,
//! rotate-secret), every validation rule of issue 3, body errors (400/413/415/422), scopes, and
//! how signing secrets are revealed, masked, stored, rotated and logged.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hookd::crypto::Keyring;
use hookd::ids::EndpointId;
use hookd::timestamp::Timestamp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::ApiClient;
use crate::support::TestApp;

/// An /api/v1 client whose key holds only `webhooks:write` (which implies read).
pub async fn writer(app: &TestApp) -> ApiClient {
    let admin = app.setup_admin().await;
    app.api(&app.create_api_key(&admin, &["webhooks:write"]).await)
}

/// Asserts the DESIGN error shape and its code.
pub fn assert_error(body: &Value, code: &str) {
    let e = &body["error"];
    assert_eq!(e["code"], code, "unexpected error code in {body}");
    assert!(e["message"].is_string(), "no message in {body}");
    assert!(e["details"].is_object(), "no details object in {body}");
}

/// The 422 message for `field`; fails when the body is not a validation error naming it.
pub fn field_error(body: &Value, field: &str) -> String {
    assert_error(body, "validation_failed");
    body["error"]["details"][field]
        .as_str()
        .unwrap_or_else(|| panic!("no details.{field} in {body}"))
        .to_owned()
}

async fn add_types(api: &ApiClient, names: &[&str]) {
    for name in names {
        api.post(
            "/api/v1/event-types",
            &json!({"name": name}),
            StatusCode::CREATED,
        )
        .await;
    }
}

/// An app whose key can write, with `invoice.paid`, `invoice.void` and `user.created`.
async fn app_with_catalog(adjust: impl FnOnce(&mut hookd::Config)) -> (TestApp, ApiClient) {
    let app = TestApp::spawn_with(adjust).await;
    let api = writer(&app).await;
    add_types(&api, &["invoice.paid", "invoice.void", "user.created"]).await;
    (app, api)
}

async fn create(api: &ApiClient, body: Value) -> Value {
    api.post("/api/v1/webhooks", &body, StatusCode::CREATED)
        .await
}

/// POSTs `body`, expects 422 and returns the message for `field`.
async fn refused(api: &ApiClient, body: Value, field: &str) -> String {
    let resp = api
        .post("/api/v1/webhooks", &body, StatusCode::UNPROCESSABLE_ENTITY)
        .await;
    field_error(&resp, field)
}

fn minimal(url: &str) -> Value {
    json!({"url": url, "events": ["invoice.paid"]})
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data in {page}"))
        .iter()
        .map(id_of)
        .collect()
}

fn secret_of(v: &Value) -> String {
    let s = v["secret"].as_str().expect("the full secret").to_owned();
    assert!(s.starts_with("whsec_"), "{s}");
    s
}

fn assert_masked_for(v: &Value, secret: &str) {
    assert!(v.get("secret").is_none(), "secret revealed again: {v}");
    assert_eq!(v["has_secret"], true);
    let masked = v["secret_masked"].as_str().expect("secret_masked");
    assert!(masked.starts_with("whsec_"), "{masked}");
    assert!(
        masked.ends_with(&secret[secret.len() - 4..]),
        "{masked} does not end with the last 4 characters of the secret"
    );
    assert!(!v.to_string().contains(secret), "full secret in {v}");
}

fn secret_of_len(bytes: usize) -> String {
    format!("whsec_{}", STANDARD.encode(vec![7u8; bytes]))
}

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

#[tokio::test]
async fn urls_are_validated() {
    let (_app, api) = app_with_catalog(|c| {
        c.allow_http_targets = false;
        c.allow_private_targets = false;
    })
    .await;
    let m = refused(&api, minimal("not a url"), "url").await;
    assert!(m.contains("not a valid URL"), "{m}");
    let m = refused(&api, minimal("example.com/hooks"), "url").await;
    assert!(m.contains("not a valid URL"), "{m}");
    let m = refused(&api, minimal("http://example.com/hooks"), "url").await;
    assert!(
        m.contains("https") && m.contains("allow_http_targets"),
        "{m}"
    );
    let m = refused(&api, minimal("ftp://example.com/hooks"), "url").await;
    assert!(m.contains("https"), "{m}");
    let m = refused(&api, json!({"events": ["*"]}), "url").await;
    assert!(!m.is_empty());

    for creds in [
        "https://user:pass@example.com/hooks",
        "https://user@example.com/hooks",
        "https://:pass@example.com/hooks",
    ] {
        let m = refused(&api, minimal(creds), "url").await;
        assert!(m.contains("password"), "{creds}: {m}");
        assert!(
            !m.contains("pass@"),
            "the message repeats the credentials: {m}"
        );
    }

    // At most 2048 characters.
    let base = "https://example.com/";
    let exact = format!("{base}{}", "a".repeat(2048 - base.len()));
    assert_eq!(exact.len(), 2048);
    create(&api, minimal(&exact)).await;
    let long = format!("{exact}a");
    let m = refused(&api, minimal(&long), "url").await;
    assert!(m.contains("2048"), "{m}");

    // A public https URL is fine.
    create(&api, minimal("https://example.com/ok")).await;
}

#[tokio::test]
async fn http_targets_are_allowed_only_when_configured() {
    let (_app, api) = app_with_catalog(|c| c.allow_http_targets = true).await;
    let created = create(&api, minimal("http://example.com/hooks")).await;
    assert_eq!(created["url"], "http://example.com/hooks");
    let m = refused(&api, minimal("ftp://example.com/hooks"), "url").await;
    assert!(m.contains("https"), "{m}");
}

#[tokio::test]
async fn private_targets_are_refused_by_the_ssrf_policy() {
    let (_app, api) = app_with_catalog(|c| c.allow_private_targets = false).await;
    for url in [
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://10.0.0.1/",
        "https://192.168.1.1/",
        "https://172.16.0.1/",
        "https://169.254.169.254/",
        "https://[::ffff:127.0.0.1]/",
        "https://0.0.0.0/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
    ] {
        let m = refused(&api, minimal(url), "url").await;
        assert!(m.contains("SSRF"), "{url}: {m}");
    }
    let ok = create(&api, minimal("https://example.com/")).await;
    // PATCH to a private target is refused the same way.
    let body = api
        .send(
            api.request(Method::PATCH, &format!("/api/v1/webhooks/{}", id_of(&ok)))
                .json(&json!({"url": "https://10.0.0.1/"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(field_error(&body, "url").contains("SSRF"), "{body}");
}

/// `localhost` resolves to loopback (hosts file): names are resolved at creation.
#[tokio::test]
async fn host_names_resolving_to_private_addresses_are_refused() {
    let (_app, api) = app_with_catalog(|c| c.allow_private_targets = false).await;
    let m = refused(&api, minimal("https://localhost/"), "url").await;
    assert!(m.contains("SSRF"), "{m}");
}

#[tokio::test]
async fn private_targets_are_allowed_when_configured() {
    let (_app, api) = app_with_catalog(|c| c.allow_private_targets = true).await;
    for url in [
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://10.0.0.1/",
        "https://localhost/",
    ] {
        create(&api, minimal(url)).await;
    }
}

#[tokio::test]
async fn event_subscriptions_are_validated() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    add_types(&api, &["legacy.thing", "old.gone"]).await;
    for name in ["legacy.thing", "old.gone"] {
        api.send(
            api.request(Method::DELETE, &format!("/api/v1/event-types/{name}")),
            StatusCode::OK,
        )
        .await;
    }
    let url = "https://example.com/hooks";

    let m = refused(&api, json!({"url": url, "events": []}), "events").await;
    assert!(m.contains("at least one"), "{m}");
    let m = refused(&api, json!({"url": url}), "events").await;
    assert!(m.contains("at least one"), "{m}");
    let m = refused(&api, json!({"url": url, "events": ["  "]}), "events").await;
    assert!(m.contains("at least one"), "{m}");
    let m = refused(
        &api,
        json!({"url": url, "events": ["invoice.missing"]}),
        "events",
    )
    .await;
    assert!(m.contains("does not exist"), "{m}");
    let m = refused(
        &api,
        json!({"url": url, "events": ["invoice.paid", "legacy.thing"]}),
        "events",
    )
    .await;
    assert!(m.contains("archived") && m.contains("legacy.thing"), "{m}");
    let m = refused(&api, json!({"url": url, "events": ["billing.*"]}), "events").await;
    assert!(m.contains("matches no"), "{m}");
    // A prefix that matches only archived types matches nothing.
    let m = refused(&api, json!({"url": url, "events": ["old.*"]}), "events").await;
    assert!(m.contains("matches no"), "{m}");
    // `invoice` alone is not `invoice.*`.
    let m = refused(&api, json!({"url": url, "events": ["invoice"]}), "events").await;
    assert!(m.contains("does not exist"), "{m}");
    for bad in ["Bad Name", "invoice.**", "*.paid", "invoice.*.paid", ".*"] {
        let m = refused(&api, json!({"url": url, "events": [bad]}), "events").await;
        assert!(m.contains("not a valid"), "{bad}: {m}");
    }
    // Wrong JSON type names the field.
    let body = api
        .post(
            "/api/v1/webhooks",
            &json!({"url": url, "events": "invoice.paid"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    field_error(&body, "events");

    for good in [
        json!(["*"]),
        json!(["invoice.*"]),
        json!(["invoice.paid", "user.created"]),
        json!(["invoice.*", "invoice.paid"]),
    ] {
        let created = create(&api, json!({"url": url, "events": good})).await;
        assert_eq!(created["events"], good);
    }
}

/// Subscriptions are checked against the catalog only when a PATCH changes them: archiving a
/// type must not block an unrelated edit, but re-sending it is refused.
#[tokio::test]
async fn archiving_a_type_does_not_block_unrelated_edits() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    let ep = create(
        &api,
        json!({"url": "https://example.com/hooks", "events": ["invoice.paid", "user.created"]}),
    )
    .await;
    let one = format!("/api/v1/webhooks/{}", id_of(&ep));
    api.send(
        api.request(Method::DELETE, "/api/v1/event-types/invoice.paid"),
        StatusCode::OK,
    )
    .await;
    let patched = api
        .send(
            api.request(Method::PATCH, &one)
                .json(&json!({"name": "renamed"})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(patched["events"], json!(["invoice.paid", "user.created"]));
    let body = api
        .send(
            api.request(Method::PATCH, &one)
                .json(&json!({"events": ["invoice.paid", "user.created"]})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(field_error(&body, "events").contains("archived"), "{body}");
}

#[tokio::test]
async fn json_with_a_charset_is_accepted() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    api.send(
        api.request(Method::POST, "/api/v1/webhooks")
            .header("content-type", "application/json; charset=utf-8")
            .body(r#"{"url": "https://example.com/hooks", "events": ["*"]}"#),
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn numbers_names_and_headers_are_validated() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    let base = minimal("https://example.com/hooks");

    for n in [-1, 11, 1000] {
        let m = refused(
            &api,
            with(base.clone(), "retry_count", json!(n)),
            "retry_count",
        )
        .await;
        assert!(m.contains("0 to 10"), "{n}: {m}");
    }
    for n in [0, 10] {
        let c = create(&api, with(base.clone(), "retry_count", json!(n))).await;
        assert_eq!(c["retry_count"], n);
    }
    for n in [0, 31, -5] {
        let m = refused(
            &api,
            with(base.clone(), "timeout_seconds", json!(n)),
            "timeout_seconds",
        )
        .await;
        assert!(m.contains("1 to 30"), "{n}: {m}");
    }
    for n in [1, 30] {
        let c = create(&api, with(base.clone(), "timeout_seconds", json!(n))).await;
        assert_eq!(c["timeout_seconds"], n);
    }
    // Wrong JSON types name the field.
    for (field, value) in [
        ("retry_count", json!("3")),
        ("timeout_seconds", json!(2.5)),
        ("enabled", json!("yes")),
        ("headers", json!(["X-A"])),
    ] {
        let body = api
            .post(
                "/api/v1/webhooks",
                &with(base.clone(), field, value),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        field_error(&body, field);
    }

    // Names: at most 100 characters (not bytes).
    let m = refused(
        &api,
        with(base.clone(), "name", json!("n".repeat(101))),
        "name",
    )
    .await;
    assert!(m.contains("100"), "{m}");
    create(&api, with(base.clone(), "name", json!("n".repeat(100)))).await;
    create(&api, with(base.clone(), "name", json!("é".repeat(100)))).await;

    // Header names and values.
    for name in ["Bad Header", "X-Tenant:", "X(A)", "Ünicode", ""] {
        let m = refused(
            &api,
            with(base.clone(), "headers", json!({ name: "v" })),
            "headers",
        )
        .await;
        assert!(m.contains("not a valid header name"), "{name:?}: {m}");
    }
    for name in [
        "Host",
        "Content-Length",
        "Content-Type",
        "content-type",
        "Transfer-Encoding",
        "Connection",
        "User-Agent",
        "X-Webhook-Signature",
        "x-webhook-anything",
        "webhook-id",
        "Webhook-Signature",
    ] {
        let m = refused(
            &api,
            with(base.clone(), "headers", json!({ name: "v" })),
            "headers",
        )
        .await;
        assert!(m.contains("set by hookd"), "{name}: {m}");
    }
    for value in ["a\r\nInjected: 1", "a\nb", "a\rb", "a\u{0}b"] {
        let m = refused(
            &api,
            with(base.clone(), "headers", json!({"X-Tenant": value})),
            "headers",
        )
        .await;
        assert!(m.contains("line break"), "{value:?}: {m}");
    }
    let ok = create(
        &api,
        with(
            base.clone(),
            "headers",
            json!({"X-Tenant": "acme corp\tok", "Authorization": "Bearer abc", "X-Webhooks-Team": "x"}),
        ),
    )
    .await;
    assert_eq!(ok["headers"]["Authorization"], "Bearer abc");

    // Several bad fields: one details entry per field.
    let body = api
        .post(
            "/api/v1/webhooks",
            &json!({
                "url": "ftp://example.com",
                "events": [],
                "name": "n".repeat(101),
                "retry_count": 11,
                "timeout_seconds": 0,
                "headers": {"Host": "x"},
                "secret": "nope"
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    for field in [
        "url",
        "events",
        "name",
        "retry_count",
        "timeout_seconds",
        "headers",
        "secret",
    ] {
        field_error(&body, field);
    }
}

#[tokio::test]
async fn supplied_secrets_must_be_whsec_base64_of_24_to_64_bytes() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    let base = minimal("https://example.com/hooks");
    for bytes in [24, 32, 64] {
        let secret = secret_of_len(bytes);
        let created = create(&api, with(base.clone(), "secret", json!(secret))).await;
        assert_eq!(created["secret"], secret.as_str());
        let got = api
            .get(
                &format!("/api/v1/webhooks/{}", id_of(&created)),
                StatusCode::OK,
            )
            .await;
        assert_masked_for(&got, &secret);
    }
    let no_prefix = STANDARD.encode([1u8; 32]);
    for (bad, why) in [
        (secret_of_len(23), "between 24 and 64"),
        (secret_of_len(65), "between 24 and 64"),
        (no_prefix, "whsec_"),
        (format!("sk_{}", STANDARD.encode([1u8; 32])), "whsec_"),
        ("whsec_not base64!!".to_owned(), "base64"),
    ] {
        let m = refused(&api, with(base.clone(), "secret", json!(bad)), "secret").await;
        assert!(m.contains(why), "{bad}: {m}");
        assert!(!m.contains(&bad), "the message repeats the secret: {m}");
    }
}

#[tokio::test]
async fn bodies_are_checked_before_validation() {
    let (_app, api) = app_with_catalog(|c| c.max_payload_bytes = 1024).await;
    let ok = create(&api, minimal("https://example.com/hooks")).await;
    let one = format!("/api/v1/webhooks/{}", id_of(&ok));

    for (method, path) in [
        (Method::POST, "/api/v1/webhooks"),
        (Method::PATCH, one.as_str()),
    ] {
        let body = api
            .send(
                api.request(method.clone(), path)
                    .json(&json!({"url": "https://example.com", "events": ["*"], "colour": "red"})),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert_error(&body, "validation_failed");
        assert!(
            body["error"]["details"].to_string().contains("colour"),
            "{method} {path}: unknown field not named: {body}"
        );

        let body = api
            .send(
                api.request(method.clone(), path)
                    .header("content-type", "application/json")
                    .body(r#"{"url": "https://example.com", "events": ["#),
                StatusCode::BAD_REQUEST,
            )
            .await;
        assert_error(&body, "bad_request");
        let body = api
            .send(
                api.request(method.clone(), path)
                    .header("content-type", "application/json")
                    .body("not json"),
                StatusCode::BAD_REQUEST,
            )
            .await;
        assert_error(&body, "bad_request");

        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
        ] {
            let mut req = api
                .request(method.clone(), path)
                .body(r#"{"url": "https://example.com", "events": ["*"]}"#);
            if let Some(ct) = content_type {
                req = req.header("content-type", ct);
            }
            let body = api.send(req, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
            assert_error(&body, "unsupported_media_type");
        }

        let big = json!({"url": "https://example.com", "events": ["*"],
                         "description": "x".repeat(2000)});
        let body = api
            .send(
                api.request(method.clone(), path).json(&big),
                StatusCode::PAYLOAD_TOO_LARGE,
            )
            .await;
        assert_error(&body, "payload_too_large");
    }
    // Nothing of the above changed the endpoint.
    let got = api.get(&one, StatusCode::OK).await;
    assert_eq!(got["description"], "");
    let list = api.get("/api/v1/webhooks", StatusCode::OK).await;
    assert_eq!(ids(&list).len(), 1);
}

#[tokio::test]
async fn webhooks_page_newest_first_with_a_cursor() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    let mut made = Vec::new();
    for i in 0..3 {
        let c = create(&api, minimal(&format!("https://example.com/{i}"))).await;
        made.push(id_of(&c));
    }
    let first = api.get("/api/v1/webhooks?limit=2", StatusCode::OK).await;
    assert_eq!(ids(&first), [made[2].clone(), made[1].clone()]);
    let cursor = first["next_cursor"].as_str().expect("a next cursor");
    let second = api
        .get(
            &format!("/api/v1/webhooks?limit=2&cursor={cursor}"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(ids(&second), [made[0].clone()]);
    assert_eq!(second["next_cursor"], Value::Null);

    let exact = api.get("/api/v1/webhooks?limit=3", StatusCode::OK).await;
    assert_eq!(ids(&exact).len(), 3);
    assert_eq!(exact["next_cursor"], Value::Null);

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=garbage", "cursor"),
        ("cursor=", "cursor"),
    ] {
        let body = api
            .get(
                &format!("/api/v1/webhooks?{query}"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert!(
            body["error"]["details"][field].is_string(),
            "{query}: {body}"
        );
    }
    for query in ["limit=-1", "limit=abc", "colour=red"] {
        let body = api
            .get(
                &format!("/api/v1/webhooks?{query}"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert_error(&body, "validation_failed");
    }
    api.get("/api/v1/webhooks?limit=1", StatusCode::OK).await;
    api.get("/api/v1/webhooks?limit=100", StatusCode::OK).await;
}

#[tokio::test]
async fn the_default_page_holds_25() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    for i in 0..26 {
        create(&api, minimal(&format!("https://example.com/{i}"))).await;
    }
    let first = api.get("/api/v1/webhooks", StatusCode::OK).await;
    assert_eq!(ids(&first).len(), 25);
    let cursor = first["next_cursor"].as_str().expect("a next cursor");
    let rest = api
        .get(&format!("/api/v1/webhooks?cursor={cursor}"), StatusCode::OK)
        .await;
    assert_eq!(ids(&rest).len(), 1);
    assert_eq!(rest["next_cursor"], Value::Null);
}

#[tokio::test]
async fn a_read_key_cannot_change_webhooks() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let writer = app.api(&app.create_api_key(&admin, &["webhooks:write"]).await);
    let reader = app.api(&app.create_api_key(&admin, &["webhooks:read"]).await);
    let events_only = app.api(&app.create_api_key(&admin, &["events:write"]).await);
    add_types(&writer, &["invoice.paid"]).await;
    let ok = create(&writer, minimal("https://example.com/hooks")).await;
    let one = format!("/api/v1/webhooks/{}", id_of(&ok));

    reader.get("/api/v1/webhooks", StatusCode::OK).await;
    reader.get(&one, StatusCode::OK).await;
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/webhooks".to_owned(),
            Some(minimal("https://example.com/x")),
        ),
        (Method::PATCH, one.clone(), Some(json!({"name": "x"}))),
        (Method::DELETE, one.clone(), None),
        (Method::POST, format!("{one}/rotate-secret"), None),
    ] {
        let mut req = reader.request(method.clone(), &path);
        if let Some(b) = &body {
            req = req.json(b);
        }
        let resp = reader.send(req, StatusCode::FORBIDDEN).await;
        assert_error(&resp, "forbidden");
        assert!(
            resp["error"]["message"]
                .as_str()
                .unwrap()
                .contains("webhooks:write"),
            "{resp}"
        );
    }
    // Without any webhooks scope not even reading.
    let resp = events_only
        .get("/api/v1/webhooks", StatusCode::FORBIDDEN)
        .await;
    assert_error(&resp, "forbidden");
    events_only.get(&one, StatusCode::FORBIDDEN).await;
    // Without a key: 401.
    let anonymous = app.api_anonymous();
    anonymous
        .get("/api/v1/webhooks", StatusCode::UNAUTHORIZED)
        .await;
    anonymous
        .post(
            "/api/v1/webhooks",
            &minimal("https://example.com/x"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    // Nothing changed.
    let got = writer.get(&one, StatusCode::OK).await;
    assert_eq!(got["name"], "example.com");
    assert_eq!(got["secret_masked"], ok["secret_masked"]);
}

/// The stored secrets of endpoint `id`, read as the delivery engine will: with the key in the
/// data dir (or failing when it cannot open them).
async fn signing_secrets(
    data_dir: &std::path::Path,
    id: &str,
    at: Timestamp,
) -> hookd::error::Result<Vec<String>> {
    let db = hookd::db::open(data_dir).await.expect("the database opens");
    let keyring = Keyring::load_or_create(data_dir, None).expect("the key loads");
    let id = EndpointId::parse(id).expect("an endpoint id");
    let secrets = hookd::endpoints::signing_secrets(&db, &keyring, &id, at).await;
    db.close().await;
    secrets.map(|v| v.iter().map(|s| s.expose().to_owned()).collect())
}

#[tokio::test]
async fn rotation_reveals_the_new_secret_once_and_keeps_the_previous_for_a_day() {
    let (app, api) = app_with_catalog(|_| {}).await;
    let created = create(&api, minimal("https://example.com/hooks")).await;
    let id = id_of(&created);
    let first = secret_of(&created);
    assert_eq!(
        signing_secrets(app.data_dir(), &id, Timestamp::now())
            .await
            .unwrap(),
        std::slice::from_ref(&first)
    );

    let rotated = api
        .send(
            api.request(
                Method::POST,
                &format!("/api/v1/webhooks/{id}/rotate-secret"),
            ),
            StatusCode::OK,
        )
        .await;
    let second = secret_of(&rotated);
    assert_ne!(second, first);
    assert_eq!(rotated["id"], id.as_str());
    assert!(
        rotated["secret_masked"]
            .as_str()
            .unwrap()
            .ends_with(&second[second.len() - 4..])
    );
    let got = api
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    assert_masked_for(&got, &second);
    assert!(!got.to_string().contains(&first));

    // Both sign for 24 h, then only the new one.
    assert_eq!(
        signing_secrets(app.data_dir(), &id, Timestamp::now())
            .await
            .unwrap(),
        [second.clone(), first.clone()]
    );
    let in_23h = Timestamp::now().plus(std::time::Duration::from_secs(23 * 3600));
    assert_eq!(
        signing_secrets(app.data_dir(), &id, in_23h).await.unwrap(),
        [second.clone(), first.clone()]
    );
    let in_25h = Timestamp::now().plus(std::time::Duration::from_secs(25 * 3600));
    assert_eq!(
        signing_secrets(app.data_dir(), &id, in_25h).await.unwrap(),
        std::slice::from_ref(&second)
    );

    // Rotating again: the masked secret changes again; the one before becomes the previous.
    let again = api
        .send(
            api.request(
                Method::POST,
                &format!("/api/v1/webhooks/{id}/rotate-secret"),
            ),
            StatusCode::OK,
        )
        .await;
    let third = secret_of(&again);
    assert_ne!(third, second);
    let got = api
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    assert_masked_for(&got, &third);
    assert_eq!(
        signing_secrets(app.data_dir(), &id, Timestamp::now())
            .await
            .unwrap(),
        [third, second]
    );
}

/// Every byte of every file in `dir` (the database, its WAL, the key file …).
fn all_bytes(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("data dir lists") {
        let path = entry.unwrap().path();
        if path.is_file() {
            out.push((
                path.display().to_string(),
                std::fs::read(&path).expect("file reads"),
            ));
        } else if path.is_dir() {
            out.extend(all_bytes(&path));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn secrets_are_stored_encrypted_and_never_shown_again() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let key = app.create_api_key(&admin, &["webhooks:write"]).await;
    let api = app.api(&key);
    add_types(&api, &["invoice.paid"]).await;
    let supplied = secret_of_len(40);
    let created = create(
        &api,
        with(minimal("https://example.com/a"), "secret", json!(supplied)),
    )
    .await;
    let generated_ep = create(&api, minimal("https://example.com/b")).await;
    let generated = secret_of(&generated_ep);
    let id = id_of(&generated_ep);
    let rotated = api
        .send(
            api.request(
                Method::POST,
                &format!("/api/v1/webhooks/{id}/rotate-secret"),
            ),
            StatusCode::OK,
        )
        .await;
    let rotated = secret_of(&rotated);
    // Refused secrets are not echoed either.
    let refused_secret = format!("whsec_{}", STANDARD.encode([9u8; 8]));
    let resp = api
        .post(
            "/api/v1/webhooks",
            &with(
                minimal("https://example.com/c"),
                "secret",
                json!(refused_secret),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(!resp.to_string().contains(&refused_secret), "{resp}");
    let patch = api
        .send(
            api.request(
                Method::PATCH,
                &format!("/api/v1/webhooks/{}", id_of(&created)),
            )
            .json(&json!({"secret": secret_of_len(30)})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(!patch.to_string().contains(&secret_of_len(30)));

    let secrets = [supplied.clone(), generated.clone(), rotated.clone()];

    // API reads: masked only.
    let list = api.get("/api/v1/webhooks", StatusCode::OK).await;
    let one = api
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    for s in &secrets {
        assert!(!list.to_string().contains(s.as_str()), "list shows {s}");
        assert!(!one.to_string().contains(s.as_str()), "get shows {s}");
    }

    // At rest: neither the text nor the key bytes appear in any file of the data dir.
    let files = all_bytes(app.data_dir());
    assert!(
        files.iter().any(|(p, _)| p.ends_with("hookd.db")),
        "no hookd.db"
    );
    for s in &secrets {
        let raw = STANDARD.decode(&s["whsec_".len()..]).unwrap();
        for (path, bytes) in &files {
            assert!(
                !contains(bytes, s.as_bytes()),
                "{path} holds the secret {s}"
            );
            assert!(
                !contains(bytes, &raw),
                "{path} holds the raw key bytes of {s}"
            );
        }
    }
    let db = hookd::db::open(app.data_dir()).await.unwrap();
    let rows: Vec<(Vec<u8>, Option<Vec<u8>>)> =
        sqlx::query_as("select secret_enc, previous_secret_enc from endpoints")
            .fetch_all(&db)
            .await
            .unwrap();
    db.close().await;
    assert_eq!(rows.len(), 2);
    for (current, previous) in &rows {
        assert!(current.len() > 24, "secret_enc looks empty");
        for s in &secrets {
            assert!(!contains(current, s.as_bytes()));
            if let Some(p) = previous {
                assert!(!contains(p, s.as_bytes()));
            }
        }
    }

    // Dashboard pages (as the admin who could see everything).
    let admin = app
        .login(crate::support::ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
        .await;
    for page in ["/", "/api-keys"] {
        let body = admin.page(page).await.body;
        for s in &secrets {
            assert!(!body.contains(s.as_str()), "{page} shows {s}");
        }
    }

    drop(key);
}

/// The real binary at log level trace, driven through the API: its whole output (stdout and
/// stderr) holds neither the signing secrets nor the API key.
#[tokio::test]
async fn secrets_never_appear_in_the_server_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap().to_owned();
    let log_path = dir.path().join("hookd.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = crate::support::bin::command(dir.path())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            &data_arg,
            "--log-level",
            "trace",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("hookd starts");
    let read_log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let base = loop {
        let text = read_log();
        if let Some(at) = text.find("dashboard at http://") {
            let url = text[at + "dashboard at ".len()..]
                .split_whitespace()
                .next()
                .unwrap();
            break url.trim_end_matches('/').to_owned();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("hookd did not report its address; log:\n{text}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };

    let run = crate::support::bin::hookd_async(
        dir.path(),
        &[
            "api-key",
            "create",
            "--name",
            "logs",
            "--scope",
            "webhooks:write",
            "--data-dir",
            &data_arg,
        ],
        "",
    )
    .await;
    run.assert_success();
    let key = run.stdout.trim().to_owned();
    let api = ApiClient::new(&base, Some(&key));
    add_types(&api, &["invoice.paid"]).await;
    let supplied = secret_of_len(40);
    let a = create(
        &api,
        with(minimal("https://example.com/a"), "secret", json!(supplied)),
    )
    .await;
    let b = create(&api, minimal("https://example.com/b")).await;
    let generated = secret_of(&b);
    let rotated = api
        .send(
            api.request(
                Method::POST,
                &format!("/api/v1/webhooks/{}/rotate-secret", id_of(&b)),
            ),
            StatusCode::OK,
        )
        .await;
    let rotated = secret_of(&rotated);
    let refused_secret = format!("whsec_{}", STANDARD.encode([9u8; 8]));
    api.post(
        "/api/v1/webhooks",
        &with(
            minimal("https://example.com/c"),
            "secret",
            json!(refused_secret),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let patched_secret = secret_of_len(30);
    api.send(
        api.request(Method::PATCH, &format!("/api/v1/webhooks/{}", id_of(&a)))
            .json(&json!({"secret": patched_secret})),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    api.get("/api/v1/webhooks", StatusCode::OK).await;
    // A wrong key is logged at most as a failure, never echoed.
    let wrong = format!("{key}x");
    ApiClient::new(&base, Some(&wrong))
        .get("/api/v1/webhooks", StatusCode::UNAUTHORIZED)
        .await;

    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(term.success());
    let status = tokio::task::spawn_blocking(move || {
        crate::support::bin::wait_with_deadline(
            &mut child,
            std::time::Duration::from_secs(15),
            &["serve"],
        )
    })
    .await
    .unwrap();
    assert!(status.success(), "exit after SIGTERM: {status}");

    let text = read_log();
    assert!(
        text.contains("listening") && text.lines().count() > 3,
        "the log is too thin to prove anything:\n{text}"
    );
    for s in [
        &supplied,
        &generated,
        &rotated,
        &refused_secret,
        &patched_secret,
    ] {
        let body = &s["whsec_".len()..];
        assert!(
            !text.contains(body),
            "the log holds the secret {s}:\n{text}"
        );
    }
    let key_secret_part = key.trim_start_matches("hk_");
    assert!(
        !text.contains(key_secret_part),
        "the log holds the API key:\n{text}"
    );
    assert!(
        !text.contains(&wrong[3..]),
        "the log holds a presented key:\n{text}"
    );
}

#[tokio::test]
async fn losing_the_key_file_keeps_the_app_up_but_old_secrets_unreadable() {
    let (app, api) = app_with_catalog(|_| {}).await;
    let created = create(&api, minimal("https://example.com/hooks")).await;
    let id = id_of(&created);
    let secret = secret_of(&created);
    let dir = app.stop().await;
    let key_file = dir.path().join("secret.key");
    let old_key = std::fs::read(&key_file).expect("the app created secret.key");
    std::fs::remove_file(&key_file).unwrap();

    let app = TestApp::spawn_in(dir, |_| {}).await;
    let new_key = std::fs::read(&key_file).expect("a new key file");
    assert_ne!(new_key, old_key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The API still answers, showing the masked secret (it is not decrypted for that).
    let admin = app
        .login(crate::support::ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
        .await;
    let api2 = app.api(&app.create_api_key(&admin, &["webhooks:write"]).await);
    drop(api);
    let got = api2
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    assert_masked_for(&got, &secret);

    // The engine's way to the secrets fails, saying why, instead of yielding none.
    let err = signing_secrets(app.data_dir(), &id, Timestamp::now())
        .await
        .expect_err("old secrets cannot be opened with the new key");
    let msg = format!("{:#}", anyhow_of(err));
    assert!(msg.contains("secret.key"), "{msg}");

    // New endpoints work with the new key.
    let fresh = create(&api2, minimal("https://example.com/fresh")).await;
    assert_eq!(
        signing_secrets(app.data_dir(), &id_of(&fresh), Timestamp::now())
            .await
            .unwrap(),
        [secret_of(&fresh)]
    );
}

fn anyhow_of(e: hookd::error::Error) -> String {
    match e {
        hookd::error::Error::Internal(inner) => format!("{inner:#}"),
        other => other.to_string(),
    }
}
