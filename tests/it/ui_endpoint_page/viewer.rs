//! A viewer reads the endpoint page without its forms and is refused changes.

use reqwest::StatusCode;

use super::{fixture, row_ids};

#[tokio::test]
async fn a_viewer_reads_the_page_without_forms_and_is_refused_changes() {
    // Arrange
    let f = fixture().await;
    f.ingest("invoice.paid").await;
    f.settled(1).await;
    f.admin
        .submit(
            &format!("{}/enabled", f.page_path()),
            &[("enabled", "false")],
            StatusCode::SEE_OTHER,
        )
        .await;
    let user = f.app.create_user(&f.admin, "viewer").await;
    let viewer = f.app.login(&user.email, &user.password).await;

    // Act
    let page = viewer.page(&f.page_path()).await;

    // Assert: reads banner, stats, history and snippets; no buttons
    assert!(page.body.contains("This endpoint is disabled"));
    assert!(!page.body.contains("banner-reenable"));
    assert!(!page.body.contains(r#"id="send-test""#));
    assert_eq!(row_ids(&page.body).len(), 1);
    assert!(page.body.contains(r#"id="snippet-python-standard""#));
    viewer
        .page(&format!("/webhooks/{}/deliveries?status=succeeded", f.id))
        .await;
    for (path, fields) in [
        (format!("{}/test", f.page_path()), vec![("payload", "{}")]),
        (
            format!("{}/enabled", f.page_path()),
            vec![("enabled", "true")],
        ),
    ] {
        viewer.submit(&path, &fields, StatusCode::FORBIDDEN).await;
    }
    viewer
        .get(
            &format!("{}/test-example", f.page_path()),
            StatusCode::FORBIDDEN,
        )
        .await;
}
