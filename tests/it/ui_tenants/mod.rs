//! The operator's tenant pages: the Tenants list (counts, 24 h health, search, paging, create),
//! the tenant page (its endpoints, failures, keys, portal, delete behind a question), and the
//! tenant column and filter on endpoints, events and API keys.
//!
//! Tenants and their endpoints are made the way the team's app makes them: through the API
//! with a team key (`Env`).

mod columns;
mod keys;
mod list;
mod page;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::delivery_kit::Env;

/// `PUT /api/v1/tenants/{uid}`, as the team's app calls it on a sign-up.
async fn put_tenant(env: &Env, uid: &str, name: &str) {
    let req = env
        .api
        .request(Method::PUT, &format!("/api/v1/tenants/{uid}"))
        .json(&json!({ "name": name }));
    env.api.send(req, StatusCode::CREATED).await;
}

/// An endpoint of `tenant` for every event, never retried; returns its id.
async fn tenant_webhook(env: &Env, tenant: &str, name: &str, url: &str) -> String {
    id(&env
        .webhook(json!({
            "url": url, "events": ["*"], "name": name, "retry_count": 0, "tenant": tenant
        }))
        .await)
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}
