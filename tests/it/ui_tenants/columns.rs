//! The tenant column and filter on the endpoints list and the events log, the tenant on the
//! endpoint page, and the endpoint form's tenant field (chosen at creation, fixed afterwards).

use reqwest::StatusCode;
use serde_json::json;

use super::{id, put_tenant, tenant_webhook};
use crate::delivery_kit::Env;
use crate::support::html::{between, row_containing};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD};

const TARGET: &str = "http://127.0.0.1:9/hook";

#[tokio::test]
async fn the_endpoints_list_shows_each_endpoints_tenant_and_filters_by_one() {
    // Arrange
    let env = Env::start(|_| {}).await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    env.webhook(json!({"url": TARGET, "events": ["*"], "name": "Team hook"}))
        .await;
    let single_team = admin.page("/webhooks").await.body;
    put_tenant(&env, "acme", "Acme Inc.").await;
    put_tenant(&env, "globex", "").await;
    tenant_webhook(&env, "acme", "Acme hook", TARGET).await;
    tenant_webhook(&env, "globex", "Globex hook", TARGET).await;

    // Act
    let all = admin.page("/webhooks").await.body;
    let acme = admin.page("/webhooks?tenant=acme").await.body;
    let unknown = admin
        .get("/webhooks?tenant=nobody", StatusCode::UNPROCESSABLE_ENTITY)
        .await
        .body;

    // Assert: no tenant column before there are tenants.
    assert!(!single_team.contains(r#"<th scope="col">Tenant</th>"#));
    assert!(!single_team.contains(r#"id="endpoints-filter""#));
    let row = row_containing(&all, "Acme hook").unwrap();
    assert!(
        row.contains(r#"<a href="/tenants/acme">Acme Inc.</a>"#),
        "{row}"
    );
    let row = row_containing(&all, "Globex hook").unwrap();
    assert!(
        row.contains(r#"<a href="/tenants/globex">globex</a>"#),
        "{row}"
    );
    let row = row_containing(&all, "Team hook").unwrap();
    assert!(row.contains("Team"), "{row}");
    assert!(acme.contains("Acme hook"), "{acme}");
    assert!(!acme.contains("Globex hook") && !acme.contains("Team hook"));
    assert!(
        acme.contains(r#"name="tenant" value="acme""#),
        "the filter shows it"
    );
    assert!(unknown.contains(r#"id="f-tenant-error""#), "{unknown}");
    assert!(unknown.contains("No tenant has uid"), "{unknown}");
}

#[tokio::test]
async fn the_events_log_shows_each_events_tenant_and_filters_by_one() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("order.paid").await;
    put_tenant(&env, "acme", "Acme Inc.").await;
    put_tenant(&env, "globex", "Globex").await;
    let acme = id(&env
        .send_body(json!({"type": "order.paid", "data": {}, "tenant": "acme"}))
        .await);
    let globex = id(&env
        .send_body(json!({"type": "order.paid", "data": {}, "tenant": "globex"}))
        .await);
    let team = id(&env.send("order.paid", json!({})).await);
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let all = admin.page("/events").await.body;
    let only_acme = admin.page("/events?tenant=acme").await.body;
    let fragment = admin
        .htmx_get("/events?tenant=globex", StatusCode::OK)
        .await;
    let unknown = admin
        .get("/events?tenant=nobody", StatusCode::UNPROCESSABLE_ENTITY)
        .await
        .body;

    // Assert
    let row = row_containing(&all, &acme).unwrap();
    assert!(
        row.contains(r#"<a href="/tenants/acme">Acme Inc.</a>"#),
        "{row}"
    );
    assert!(row_containing(&all, &team).unwrap().contains("Team"));
    assert!(only_acme.contains(&acme), "{only_acme}");
    assert!(!only_acme.contains(&globex) && !only_acme.contains(&team));
    assert!(fragment.body.contains(&globex) && !fragment.body.contains(&acme));
    assert_eq!(
        fragment.header("hx-push-url"),
        Some("/events?tenant=globex")
    );
    assert!(unknown.contains(r#"id="f-tenant-error""#), "{unknown}");
    let shown = admin.page(&format!("/events/{acme}")).await.body;
    let tenant = between(&shown, r#"id="event-tenant">"#, "</dd>").unwrap();
    assert!(tenant.contains(r#"href="/tenants/acme""#), "{tenant}");
    assert!(
        !admin
            .page(&format!("/events/{team}"))
            .await
            .body
            .contains("event-tenant")
    );
}

#[tokio::test]
async fn the_endpoint_form_takes_a_tenant_at_creation_and_shows_it_fixed_afterwards() {
    // Arrange
    let env = Env::start(|_| {}).await;
    put_tenant(&env, "acme", "Acme Inc.").await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let fields = |tenant: &'static str| {
        vec![
            ("name", "Acme receiver"),
            ("url", TARGET),
            ("events", "*"),
            ("retry_count", "4"),
            ("timeout_seconds", "10"),
            ("enabled", "true"),
            ("tenant", tenant),
        ]
    };

    // Act
    let form = admin.page("/webhooks/new").await.body;
    let unknown = admin
        .submit(
            "/webhooks",
            &fields("nobody"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await
        .body;
    let created = admin
        .submit("/webhooks", &fields("acme"), StatusCode::OK)
        .await
        .body;

    // Assert
    assert!(form.contains(r#"name="tenant""#), "{form}");
    assert!(
        form.contains(r#"<option value="acme">"#),
        "suggested: {form}"
    );
    assert!(unknown.contains(r#"id="tenant-error""#), "{unknown}");
    assert!(unknown.contains(r#"value="nobody""#), "kept as typed");
    let id = between(&created, r#"href="/webhooks/"#, r#"/edit""#).unwrap();
    let api = env
        .api
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    assert_eq!(api["tenant"], "acme");
    let page = admin.page(&format!("/webhooks/{id}")).await.body;
    let shown = between(&page, r#"id="endpoint-tenant">"#, "</dd>").unwrap();
    assert!(shown.contains(r#"href="/tenants/acme""#), "{shown}");
    let edit = admin.page(&format!("/webhooks/{id}/edit")).await.body;
    assert!(!edit.contains(r#"name="tenant""#), "not editable: {edit}");
    assert!(edit.contains(r#"id="tenant-fixed""#) && edit.contains("acme"));
    // Saving the edit form keeps the tenant.
    admin
        .submit(
            &format!("/webhooks/{id}"),
            &fields("")[..6],
            StatusCode::SEE_OTHER,
        )
        .await;
    let api = env
        .api
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    assert_eq!(api["tenant"], "acme");
}
