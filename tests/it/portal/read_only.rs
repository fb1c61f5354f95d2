//! A read-only link shows the same pages without any control that changes something, and the
//! server refuses every change (403 saying why), whatever the page shows.

use reqwest::StatusCode;

use super::{World, change_routes, csrf};

#[tokio::test]
async fn a_read_only_session_sees_the_pages_but_no_control_that_changes_something() {
    // Arrange
    let w = World::new().await;
    let delivery = w.delivery_of(&w.acme_endpoint).await;
    let viewer = w.portal("acme", true).await;

    // Act
    let list = viewer.page("/portal/webhooks").await;
    let page = viewer
        .page(&format!("/portal/webhooks/{}", w.acme_endpoint))
        .await;
    let detail = viewer.page(&format!("/portal/deliveries/{delivery}")).await;

    // Assert
    assert!(
        list.body.contains(r#"id="read-only-badge""#),
        "{}",
        list.body
    );
    assert!(!list.body.contains("/portal/webhooks/new"), "{}", list.body);
    for control in [
        "/edit\"",
        "/delete\"",
        "/rotate-secret",
        "/enabled\"",
        "id=\"test-form\"",
        "id=\"replay-form\"",
    ] {
        assert!(
            !page.body.contains(control),
            "{control} shown read-only:\n{}",
            page.body
        );
    }
    assert!(page.body.contains("Delivery history"), "{}", page.body);
    assert!(page.body.contains("Verify deliveries in your receiver"));
    assert!(
        !detail.body.contains(r#"id="retry-now""#),
        "{}",
        detail.body
    );
}

#[tokio::test]
async fn a_read_only_session_is_refused_every_change_by_the_server() {
    // Arrange
    let w = World::new().await;
    let e = w.acme_endpoint.clone();
    let delivery = w.delivery_of(&e).await;
    let viewer = w.portal("acme", true).await;
    let token = csrf(&viewer).await;

    // Act / Assert
    for path in [
        "/portal/webhooks/new".to_owned(),
        format!("/portal/webhooks/{e}/edit"),
        format!("/portal/webhooks/{e}/delete"),
        format!("/portal/webhooks/{e}/test-example?test_type=webhook.test"),
    ] {
        let page = viewer.get(&path, StatusCode::FORBIDDEN).await;
        assert!(page.body.contains("read-only"), "{path}: {}", page.body);
    }
    let create = (
        "/portal/webhooks".to_owned(),
        vec![("url", "http://127.0.0.1:9/x"), ("events", "*")],
    );
    for (path, fields) in std::iter::once(create).chain(change_routes(&e, &delivery)) {
        let mut all = fields.clone();
        all.push(("csrf_token", &token));
        let resp = viewer.post_form(&path, &all, StatusCode::FORBIDDEN).await;
        assert!(resp.body.contains("read-only"), "{path}: {}", resp.body);
    }
    let after = w.endpoint_json(&e).await;
    assert_eq!(after["enabled"], true, "{after}");
    assert_eq!(after["url"], super::TARGET, "{after}");
    let listed = w
        .api
        .get("/api/v1/webhooks?tenant=acme", StatusCode::OK)
        .await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1), "{listed}");
}
