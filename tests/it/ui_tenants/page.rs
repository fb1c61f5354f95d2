//! The tenant page: only its endpoints, failures and keys; renaming; "Open portal as this
//! tenant"; deletion behind a page that says how much goes; 404 for an unknown uid.

use reqwest::StatusCode;
use serde_json::json;

use super::{put_tenant, tenant_webhook};
use crate::delivery_kit::Env;
use crate::support::html::{between, row_containing};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, Receiver};

/// acme: a healthy and a failing endpoint, one event to both (one failed delivery) and a bound
/// key; globex and the team one endpoint each. Returns (acme's failing endpoint, its failed
/// delivery, acme's key).
async fn two_tenants(env: &Env, ok: &Receiver, bad: &Receiver) -> (String, String, String) {
    env.event_type("order.paid").await;
    put_tenant(env, "acme", "Acme Inc.").await;
    put_tenant(env, "globex", "Globex").await;
    tenant_webhook(env, "acme", "Acme shop", ok.url()).await;
    let failing = tenant_webhook(env, "acme", "Acme billing", bad.url()).await;
    tenant_webhook(env, "globex", "Globex hook", ok.url()).await;
    env.webhook(json!({"url": ok.url(), "events": ["*"], "name": "Team hook"}))
        .await;
    let event = env
        .send_body(json!({"type": "order.paid", "data": {}, "tenant": "acme"}))
        .await;
    let mut failed = String::new();
    for d in env.delivery_ids(event["id"].as_str().unwrap()).await {
        let done =
            crate::support::wait_until(crate::delivery_kit::SOON, "delivery ends", || async {
                let v = env.delivery(&d).await;
                (v["status"] == "succeeded" || v["status"] == "failed").then_some(v)
            })
            .await;
        if done["status"] == "failed" {
            failed = d;
        }
    }
    let key = env
        .api
        .post(
            "/api/v1/tenants/acme/api-keys",
            &json!({"name": "acme-app"}),
            StatusCode::CREATED,
        )
        .await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    (failing, failed, key)
}

#[tokio::test]
async fn a_tenant_page_shows_only_its_endpoints_failures_keys_and_counts() {
    // Arrange
    let env = Env::start(|_| {}).await;
    let (ok, bad) = (
        Receiver::start(StatusCode::OK).await,
        Receiver::start(StatusCode::INTERNAL_SERVER_ERROR).await,
    );
    let (failing, failed, _) = two_tenants(&env, &ok, &bad).await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let page = admin.page("/tenants/acme").await.body;

    // Assert
    assert!(page.contains("<h1>Acme Inc.</h1>"), "{page}");
    let endpoints = between(&page, r#"id="tenant-endpoints""#, "</section>").unwrap();
    assert!(endpoints.contains("Acme shop") && endpoints.contains("Acme billing"));
    assert!(
        !page.contains("Globex hook") && !page.contains("Team hook"),
        "{page}"
    );
    let billing = row_containing(endpoints, "Acme billing").unwrap();
    assert!(
        billing.contains(&format!(r#"href="/webhooks/{failing}""#)),
        "{billing}"
    );
    assert!(
        billing.contains("failing") && billing.contains("0.0%"),
        "{billing}"
    );
    let failures = between(&page, r#"id="tenant-failures""#, "</section>").unwrap();
    assert!(
        failures.contains(&format!(r#"href="/deliveries/{failed}""#)),
        "{failures}"
    );
    assert!(failures.contains("HTTP 500"), "{failures}");
    let keys = between(&page, r#"id="tenant-keys""#, "</section>").unwrap();
    assert!(keys.contains("acme-app"), "{keys}");
    let holdings = between(&page, r#"id="tenant-holdings">"#, "</dd>").unwrap();
    assert_eq!(
        holdings,
        "2 endpoints · 1 event · 2 deliveries · 1 active API key"
    );
    assert!(page.contains("Open portal as this tenant"));
}

#[tokio::test]
async fn an_unknown_tenant_is_the_dashboards_not_found_page() {
    let env = Env::start(|_| {}).await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    for path in [
        "/tenants/nobody",
        "/tenants/not%20a%20uid",
        "/tenants/nobody/delete",
    ] {
        let page = admin.get(path, StatusCode::NOT_FOUND).await.body;
        assert!(
            page.contains("<html") && page.contains("Not found"),
            "{path}: {page}"
        );
    }
}

#[tokio::test]
async fn admins_rename_a_tenant_with_errors_shown_inline() {
    // Arrange
    let env = Env::start(|_| {}).await;
    put_tenant(&env, "acme", "Acme").await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let long = "x".repeat(201);
    let bad = admin
        .submit(
            "/tenants/acme",
            &[("name", &long)],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await
        .body;
    let done = admin
        .submit(
            "/tenants/acme",
            &[("name", "Acme Corp")],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert
    assert!(bad.contains(r#"id="tenant-name-error""#), "{bad}");
    assert_eq!(done.location(), "/tenants/acme");
    let api = env.api.get("/api/v1/tenants/acme", StatusCode::OK).await;
    assert_eq!(api["name"], "Acme Corp");
}

#[tokio::test]
async fn open_portal_sends_the_operator_through_a_fresh_one_time_link() {
    // Arrange
    let env = Env::start(|_| {}).await;
    put_tenant(&env, "acme", "Acme").await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let first = admin
        .submit("/tenants/acme/portal", &[], StatusCode::SEE_OTHER)
        .await;
    let second = admin
        .submit(
            "/tenants/acme/portal",
            &[("read_only", "true")],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert: each press mints its own link (a link opens once).
    let token = |to: &str| {
        to.strip_prefix("/portal/enter?token=")
            .unwrap_or_else(|| panic!("not a portal link: {to}"))
            .to_owned()
    };
    let (a, b) = (token(first.location()), token(second.location()));
    assert!(a.starts_with("hkp_") && b.starts_with("hkp_"), "{a} {b}");
    assert_ne!(a, b);
    // The link opens once, for its tenant, read-write or read-only as pressed. (The portal's
    // own entry page is tested with the portal; here the link row is redeemed directly.)
    let db = hookd::db::open(env.app.data_dir())
        .await
        .expect("the database opens");
    let grant = hookd::portal_links::redeem(&db, &a)
        .await
        .unwrap()
        .expect("a live link");
    assert_eq!((grant.tenant.as_str(), grant.read_only), ("acme", false));
    assert_eq!(
        hookd::portal_links::redeem(&db, &a).await.unwrap(),
        None,
        "once"
    );
    let grant = hookd::portal_links::redeem(&db, &b)
        .await
        .unwrap()
        .expect("a live link");
    assert!(grant.read_only);
    db.close().await;
    // Without the form token the link is not minted.
    admin
        .post_form("/tenants/acme/portal", &[], StatusCode::FORBIDDEN)
        .await;
    admin
        .submit("/tenants/nobody/portal", &[], StatusCode::NOT_FOUND)
        .await;
}

#[tokio::test]
async fn deleting_a_tenant_says_how_much_goes_then_removes_all_of_it() {
    // Arrange
    let env = Env::start(|_| {}).await;
    let (ok, bad) = (
        Receiver::start(StatusCode::OK).await,
        Receiver::start(StatusCode::INTERNAL_SERVER_ERROR).await,
    );
    let (failing, failed, key) = two_tenants(&env, &ok, &bad).await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let question = admin.page("/tenants/acme/delete").await.body;
    let done = admin
        .submit("/tenants/acme/delete", &[], StatusCode::SEE_OTHER)
        .await;

    // Assert: the question counts what goes.
    let holdings = between(&question, r#"id="delete-holdings">"#, "</ul>").unwrap();
    for count in [
        "<strong>2</strong> endpoints",
        "<strong>1</strong> event<",
        "<strong>2</strong> deliveries",
        "<strong>1</strong> active API key ",
    ] {
        assert!(holdings.contains(count), "{count} in {holdings}");
    }
    assert_eq!(done.location(), "/tenants");
    let list = admin.page("/tenants").await.body;
    assert!(list.contains("was deleted") && !list.contains(r#"id="tenant-acme""#));
    assert!(list.contains(r#"id="tenant-globex""#), "others stay");
    env.api
        .get("/api/v1/tenants/acme", StatusCode::NOT_FOUND)
        .await;
    env.api
        .get(
            &format!("/api/v1/webhooks/{failing}"),
            StatusCode::NOT_FOUND,
        )
        .await;
    env.api
        .get(
            &format!("/api/v1/deliveries/{failed}"),
            StatusCode::NOT_FOUND,
        )
        .await;
    env.app
        .api(&key)
        .get("/api/v1/webhooks", StatusCode::UNAUTHORIZED)
        .await;
}
