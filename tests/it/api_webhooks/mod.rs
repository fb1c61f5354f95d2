//! /api/v1/webhooks: every route (list with cursor paging, create, get, PATCH, DELETE,
//! rotate-secret), every validation rule of issue 3, body errors (400/413/415/422), scopes, and
//! how signing secrets are revealed, masked, stored, rotated and logged. One module per promise;
//! the helpers they share live here.

mod bodies;
mod fields;
mod lifecycle;
mod paging;
mod scopes;
mod secrets;
mod secrets_at_rest;
mod secrets_in_logs;
mod ssrf;
mod subscriptions;
mod urls;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hookd::crypto::Keyring;
use hookd::ids::EndpointId;
use hookd::timestamp::Timestamp;
use reqwest::StatusCode;
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
