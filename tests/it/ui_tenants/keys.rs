//! API keys bound to a tenant from the dashboard: the field, its error, the list's column, and
//! what such a key sees through the API.

use reqwest::StatusCode;
use serde_json::json;

use super::{put_tenant, tenant_webhook};
use crate::delivery_kit::Env;
use crate::support::html::{revealed_api_key, row_containing};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD};

const TARGET: &str = "http://127.0.0.1:9/hook";

#[tokio::test]
async fn a_key_bound_to_a_tenant_in_the_dashboard_sees_only_that_tenant() {
    // Arrange
    let env = Env::start(|_| {}).await;
    put_tenant(&env, "acme", "Acme Inc.").await;
    put_tenant(&env, "globex", "Globex").await;
    let mine = tenant_webhook(&env, "acme", "Acme hook", TARGET).await;
    let theirs = tenant_webhook(&env, "globex", "Globex hook", TARGET).await;
    let team = super::id(
        &env.webhook(json!({"url": TARGET, "events": ["*"], "name": "Team hook"}))
            .await,
    );
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let prefilled = admin.page("/api-keys?tenant=acme").await.body;
    let unknown = admin
        .submit(
            "/api-keys",
            &[("name", "bad"), ("scopes", "all"), ("tenant", "nobody")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await
        .body;
    let created = admin
        .submit(
            "/api-keys",
            &[("name", "acme-app"), ("scopes", "all"), ("tenant", "acme")],
            StatusCode::OK,
        )
        .await
        .body;
    let key = revealed_api_key(&created);

    // Assert: the form, then the list.
    assert!(
        prefilled.contains(r#"name="tenant" value="acme""#),
        "{prefilled}"
    );
    assert!(unknown.contains(r#"id="tenant-error""#), "{unknown}");
    assert!(unknown.contains(r#"value="bad""#), "the name stays");
    let row = row_containing(&created, "acme-app").unwrap();
    assert!(
        row.contains(r#"<a href="/tenants/acme">Acme Inc.</a>"#),
        "{row}"
    );
    let tenant_page = admin.page("/tenants/acme").await.body;
    assert!(tenant_page.contains("acme-app"));
    // The key lists only its tenant's endpoints and cannot open the others.
    let bound = env.app.api(&key);
    let listed = bound.get("/api/v1/webhooks", StatusCode::OK).await;
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![mine.as_str()]);
    for other in [&theirs, &team] {
        bound
            .get(&format!("/api/v1/webhooks/{other}"), StatusCode::NOT_FOUND)
            .await;
    }
}
