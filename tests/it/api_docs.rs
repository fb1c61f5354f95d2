//! `/api/docs`: the API reference hookd renders from its own OpenAPI document, with no script
//! and no sign-in, linked from every dashboard page.

use reqwest::StatusCode;

use crate::support::TestApp;

#[tokio::test]
async fn the_reference_shows_every_route_of_the_openapi_document() {
    // Arrange
    let app = TestApp::spawn().await;
    let anonymous = app.client();
    let doc = anonymous
        .get("/api/openapi.json", StatusCode::OK)
        .await
        .json();

    // Act
    let page = anonymous.get("/api/docs", StatusCode::OK).await;

    // Assert: each path and method of the document, and each named schema, is on the page.
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(!page.body.contains("<script"), "server-rendered, no script");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 10, "{} paths", paths.len());
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            let anchor = format!(r#"id="{id}""#);
            assert!(page.body.contains(&anchor), "no {method} {path} ({id})");
            assert!(
                page.body.contains(&format!("<code>{path}</code>")),
                "no {path}"
            );
        }
    }
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(
            page.body.contains(&format!(r#"id="schema-{name}""#)),
            "no schema {name}"
        );
    }
    assert!(
        page.body.contains("1–100"),
        "the list limit's range is shown"
    );
}

#[tokio::test]
async fn every_dashboard_page_links_to_the_reference() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;

    // Act
    let overview = admin.page("/").await;

    // Assert
    assert!(
        overview
            .body
            .contains(r#"<a href="/api/docs">API reference</a>"#)
    );
}
