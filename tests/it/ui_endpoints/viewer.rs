//! Viewers read endpoints and the catalog, never a secret, and change nothing.

use reqwest::StatusCode;

use super::{TARGET, add_event_type, create_endpoint};
use crate::support::TestApp;

#[tokio::test]
async fn viewer_sees_endpoints_but_no_secret_and_cannot_change_them() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (id, secret) = create_endpoint(&admin, "Billing").await;
    let viewer_user = app.create_user(&admin, "viewer").await;
    let viewer = app.login(&viewer_user.email, &viewer_user.password).await;

    // Act
    let page = viewer.page(&format!("/webhooks/{id}")).await;

    // Assert
    assert!(page.body.contains("Billing"));
    assert!(page.body.contains("has a signing secret"), "{}", page.body);
    assert!(!page.body.contains("whsec_"), "{}", page.body);
    assert!(!page.body.contains(&secret));
    for action in ["Rotate secret", "/edit\"", "/delete\"", "toggle-enabled"] {
        assert!(!page.body.contains(action), "viewer sees {action}");
    }
    let list = viewer.page("/webhooks").await;
    assert!(!list.body.contains(r#"href="/webhooks/new""#));
    for (path, fields) in [
        ("/webhooks", vec![("url", TARGET), ("events", "*")]),
        (&*format!("/webhooks/{id}"), vec![("url", TARGET)]),
        (
            &*format!("/webhooks/{id}/enabled"),
            vec![("enabled", "false")],
        ),
        (&*format!("/webhooks/{id}/rotate-secret"), vec![]),
        (&*format!("/webhooks/{id}/delete"), vec![]),
    ] {
        viewer.submit(path, &fields, StatusCode::FORBIDDEN).await;
    }
    viewer.get("/webhooks/new", StatusCode::FORBIDDEN).await;
    assert!(
        admin
            .page(&format!("/webhooks/{id}"))
            .await
            .body
            .contains("badge-enabled")
    );
}

#[tokio::test]
async fn viewer_reads_the_event_type_catalog_but_cannot_change_it() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    add_event_type(&admin, "invoice.paid").await;
    let viewer_user = app.create_user(&admin, "viewer").await;
    let viewer = app.login(&viewer_user.email, &viewer_user.password).await;

    // Act
    let page = viewer.page("/event-types").await;

    // Assert
    assert!(page.body.contains("invoice.paid"));
    assert!(!page.body.contains("Add an event type") && !page.body.contains("Archive"));
    viewer
        .submit("/event-types", &[("name", "a.b")], StatusCode::FORBIDDEN)
        .await;
    viewer
        .submit(
            "/event-types/invoice.paid/archive",
            &[],
            StatusCode::FORBIDDEN,
        )
        .await;
}
