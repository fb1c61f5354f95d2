//! The Tenants list: what an empty one explains, counts and 24 h health per tenant, search,
//! paging, the create form, and what viewers may not do.

use reqwest::StatusCode;
use serde_json::json;

use super::{put_tenant, tenant_webhook};
use crate::delivery_kit::Env;
use crate::support::html::{between, row_containing};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, Receiver};

#[tokio::test]
async fn an_empty_tenants_page_explains_tenants_and_how_the_app_creates_them() {
    // Arrange
    let env = Env::start(|_| {}).await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let page = admin.page("/tenants").await.body;

    // Assert
    assert!(page.contains("No tenants yet"), "{page}");
    assert!(page.contains("PUT /api/v1/tenants/{uid}"), "{page}");
    assert!(
        page.contains(r#"href="/tenants" aria-current="page">Tenants</a>"#),
        "the nav marks Tenants: {page}"
    );
    assert!(page.contains(r#"id="tenant-form""#), "admins get the form");
}

#[tokio::test]
async fn each_tenant_shows_its_endpoints_success_rate_and_failing_endpoints() {
    // Arrange: acme has a healthy and a failing endpoint, globex one idle endpoint, the team
    // one endpoint of its own.
    let env = Env::start(|_| {}).await;
    env.event_type("order.paid").await;
    put_tenant(&env, "acme", "Acme Inc.").await;
    put_tenant(&env, "globex", "").await;
    let ok = Receiver::start(StatusCode::OK).await;
    let bad = Receiver::start(StatusCode::INTERNAL_SERVER_ERROR).await;
    tenant_webhook(&env, "acme", "Acme shop", ok.url()).await;
    tenant_webhook(&env, "acme", "Acme billing", bad.url()).await;
    tenant_webhook(&env, "globex", "Globex", ok.url()).await;
    env.webhook(json!({"url": ok.url(), "events": ["*"], "name": "Ours"}))
        .await;
    for _ in 0..2 {
        let event = env
            .send_body(json!({"type": "order.paid", "data": {}, "tenant": "acme"}))
            .await;
        for d in env.delivery_ids(event["id"].as_str().unwrap()).await {
            crate::support::wait_until(crate::delivery_kit::SOON, "delivery ends", || async {
                let s = env.delivery(&d).await["status"].clone();
                (s == "succeeded" || s == "failed").then_some(())
            })
            .await;
        }
    }
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let page = admin.page("/tenants").await.body;

    // Assert
    let acme = row_containing(&page, r#"id="tenant-acme""#).expect("acme is listed");
    assert!(acme.contains("Acme Inc."), "{acme}");
    assert!(acme.contains(r#"href="/tenants/acme""#), "{acme}");
    assert!(
        acme.contains(r#"href="/webhooks?tenant=acme">2</a>"#),
        "{acme}"
    );
    assert!(acme.contains("50.0%"), "{acme}");
    assert!(acme.contains("2 ok · 0 retrying · 2 failed"), "{acme}");
    assert!(acme.contains("1 failing"), "{acme}");
    let globex = row_containing(&page, r#"id="tenant-globex""#).expect("globex is listed");
    assert!(
        globex.contains(r#"href="/tenants/globex">globex</a>"#),
        "no name: the uid {globex}"
    );
    assert!(
        globex.contains(r#"href="/webhooks?tenant=globex">1</a>"#),
        "{globex}"
    );
    assert!(globex.contains("–"), "no deliveries, no rate: {globex}");
    assert!(!globex.contains("badge-bad"), "{globex}");
}

#[tokio::test]
async fn tenants_are_searched_by_uid_or_name_and_paged_by_uid() {
    // Arrange: 27 tenants, uids t00…t26; one is named "Initech".
    let env = Env::start(|_| {}).await;
    for n in 0..27 {
        let name = if n == 7 { "Initech" } else { "" };
        put_tenant(&env, &format!("t{n:02}"), name).await;
    }
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let first = admin.page("/tenants").await.body;
    let next = between(&first, r#"rel="next" href=""#, "\"")
        .expect("a next page")
        .replace("&amp;", "&");
    let second = admin.page(&next).await.body;
    let by_name = admin.page("/tenants?q=initech").await.body;
    let by_uid = admin.page("/tenants?q=t2").await.body;
    let none = admin.page("/tenants?q=nobody").await.body;
    let fragment = admin.htmx_get("/tenants?q=initech", StatusCode::OK).await;

    // Assert
    assert!(first.contains(r#"id="tenant-t00""#) && first.contains(r#"id="tenant-t24""#));
    assert!(!first.contains(r#"id="tenant-t25""#), "25 a page");
    assert_eq!(next, "/tenants?after=t24");
    assert!(second.contains(r#"id="tenant-t25""#) && second.contains(r#"id="tenant-t26""#));
    assert!(!second.contains(r#"id="tenant-t24""#));
    assert!(!second.contains(r#"rel="next""#), "the last page");
    assert!(second.contains("First page"));
    assert!(by_name.contains(r#"id="tenant-t07""#), "{by_name}");
    assert_eq!(by_name.matches(r#"id="tenant-t"#).count(), 1, "{by_name}");
    assert_eq!(by_uid.matches(r#"id="tenant-t"#).count(), 7, "t20…t26");
    assert!(none.contains("No tenant matches “nobody”"), "{none}");
    // htmx swaps only the results and pushes the address.
    assert!(!fragment.body.contains("<html"), "{}", fragment.body);
    assert!(fragment.body.contains(r#"id="tenant-t07""#));
    assert_eq!(fragment.header("hx-push-url"), Some("/tenants?q=initech"));
}

#[tokio::test]
async fn the_create_form_shows_field_errors_inline_and_a_new_tenant_gets_its_page() {
    // Arrange
    let env = Env::start(|_| {}).await;
    put_tenant(&env, "acme", "").await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let bad = admin
        .submit(
            "/tenants",
            &[("uid", "not a uid"), ("name", "Typed")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await
        .body;
    let taken = admin
        .htmx_submit(
            "/tenants",
            &[("uid", "acme"), ("name", "")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await
        .body;
    let created = admin
        .submit(
            "/tenants",
            &[("uid", "cus_42"), ("name", "Initech")],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert: the whole page without JS, the form alone for htmx; what was typed stays.
    assert!(bad.contains("<html"), "{bad}");
    assert!(bad.contains(r#"id="tenant-uid-error""#), "{bad}");
    assert!(bad.contains(r#"value="not a uid""#) && bad.contains(r#"value="Typed""#));
    assert!(taken.trim_start().starts_with("<form"), "{taken}");
    assert!(taken.contains("already exists"), "{taken}");
    assert_eq!(created.location(), "/tenants/cus_42");
    let page = admin.page("/tenants/cus_42").await.body;
    assert!(
        page.contains("Initech") && page.contains("was created"),
        "{page}"
    );
    let api = env.api.get("/api/v1/tenants/cus_42", StatusCode::OK).await;
    assert_eq!(api["name"], "Initech");
}

#[tokio::test]
async fn viewers_read_tenants_but_cannot_create_delete_or_open_the_portal() {
    // Arrange
    let env = Env::start(|_| {}).await;
    put_tenant(&env, "acme", "Acme").await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let viewer = env.app.create_user(&admin, "viewer").await;
    let viewer = env.app.login(&viewer.email, &viewer.password).await;

    // Act
    let list = viewer.page("/tenants").await.body;
    let page = viewer.page("/tenants/acme").await.body;

    // Assert
    assert!(
        list.contains("Acme") && !list.contains(r#"id="tenant-form""#),
        "{list}"
    );
    assert!(!page.contains(r#"action="/tenants/acme/portal""#), "{page}");
    assert!(!page.contains(r#"href="/tenants/acme/delete""#), "{page}");
    assert!(!page.contains(r#"id="rename-form""#));
    viewer
        .submit("/tenants", &[("uid", "new")], StatusCode::FORBIDDEN)
        .await;
    viewer
        .get("/tenants/acme/delete", StatusCode::FORBIDDEN)
        .await;
    viewer
        .submit("/tenants/acme/delete", &[], StatusCode::FORBIDDEN)
        .await;
    viewer
        .submit("/tenants/acme/portal", &[], StatusCode::FORBIDDEN)
        .await;
    viewer
        .submit("/tenants/acme", &[("name", "Mine")], StatusCode::FORBIDDEN)
        .await;
    assert_eq!(
        env.api.get("/api/v1/tenants/acme", StatusCode::OK).await["name"],
        "Acme"
    );
}
