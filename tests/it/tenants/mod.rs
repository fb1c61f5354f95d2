//! Tenants: the API that manages them, the boundary a tenant-bound key cannot cross, fan-out
//! and idempotency inside a tenant, and data dirs from before tenants existed.

mod api;
mod fan_out;
mod isolation;
mod migration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::delivery_kit::Env;
use crate::support::ApiClient;

/// Creates tenant `uid` with the team key.
pub async fn tenant(env: &Env, uid: &str) -> Value {
    env.api
        .post(
            "/api/v1/tenants",
            &json!({"uid": uid, "name": format!("Customer {uid}")}),
            StatusCode::CREATED,
        )
        .await
}

/// A key bound to tenant `uid`, with `scopes`, as an API client.
pub async fn bound_key(env: &Env, uid: &str, scopes: &[&str]) -> ApiClient {
    let created = env
        .api
        .post(
            &format!("/api/v1/tenants/{uid}/api-keys"),
            &json!({"name": format!("{uid} app"), "scopes": scopes}),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(created["tenant"], uid, "{created}");
    env.app
        .api(created["key"].as_str().expect("key shown once"))
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("has an id").to_owned()
}
