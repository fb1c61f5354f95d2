//! Endpoints in lists: the overview shows a new one with no deliveries yet; the endpoints list
//! pages with an Older link after 25.

use reqwest::StatusCode;

use super::{TARGET, create_endpoint};
use crate::support::{TestApp, html};

#[tokio::test]
async fn overview_lists_a_new_endpoint_with_no_deliveries_yet() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    create_endpoint(&admin, "Billing").await;

    // Act
    let page = admin.page("/").await;

    // Assert: no getting-started card any more, the endpoint's row with nothing measured yet.
    assert!(!page.body.contains("Getting started"), "{}", page.body);
    let row = html::row_containing(&page.body, "Billing").expect("a row for the endpoint");
    assert!(row.contains(r#"href="/webhooks/wh_"#), "{row}");
    assert!(row.contains("0 succeeded, 0 failed"), "{row}");
    assert!(row.contains(">none<"), "no failure yet: {row}");
}

#[tokio::test]
async fn endpoints_list_pages_with_an_older_link_after_25() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    for n in 1..=26 {
        admin
            .submit(
                "/webhooks",
                &[
                    ("name", &format!("endpoint-{n:02}")),
                    ("url", TARGET),
                    ("events", "*"),
                ],
                StatusCode::OK,
            )
            .await;
    }

    // Act
    let first = admin.page("/webhooks").await;
    let before = html::between(&first.body, r#"href="/webhooks?before="#, "\"")
        .expect("an Older link")
        .to_owned();
    let second = admin.page(&format!("/webhooks?before={before}")).await;

    // Assert: newest first, 25 per page, the oldest on the second page.
    assert!(first.body.contains("endpoint-26") && first.body.contains("endpoint-02"));
    assert!(!first.body.contains("endpoint-01"));
    assert!(second.body.contains("endpoint-01") && !second.body.contains("endpoint-02"));
    assert!(!second.body.contains("?before="));
}
