//! Things every response promises: security headers, useful 404s, a health check.

use reqwest::StatusCode;

use crate::support::TestApp;

#[tokio::test]
async fn pages_carry_security_headers() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let anonymous = app.client();

    // Act
    let responses = [
        ("/login", anonymous.page("/login").await),
        ("/", admin.page("/").await),
        ("/nope", admin.get("/nope", StatusCode::NOT_FOUND).await),
        ("/healthz", anonymous.page("/healthz").await),
    ];

    // Assert
    for (path, resp) in responses {
        let csp = resp
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"));
        let directive = |name: &str| {
            csp.split(';')
                .map(str::trim)
                .find(|d| d.split_whitespace().next() == Some(name))
        };
        let scripts = directive("script-src")
            .or_else(|| directive("default-src"))
            .unwrap_or_else(|| panic!("{path}: CSP does not restrict scripts: {csp}"));
        assert!(!scripts.contains("'unsafe-inline'"), "{path}: {csp}");
        assert!(!scripts.contains("'unsafe-eval'"), "{path}: {csp}");
        assert!(!scripts.contains('*'), "{path}: {csp}");
        assert_eq!(
            directive("frame-ancestors"),
            Some("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(resp.header("x-frame-options"), Some("DENY"), "{path}");
        let referrer = resp
            .header("referrer-policy")
            .unwrap_or_else(|| panic!("{path}: no Referrer-Policy"));
        let strict_enough = [
            "no-referrer",
            "same-origin",
            "strict-origin",
            "strict-origin-when-cross-origin",
            "no-referrer-when-downgrade",
        ];
        assert!(strict_enough.contains(&referrer), "{path}: {referrer}");
        assert_eq!(
            resp.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn pages_load_no_inline_script() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;

    for path in ["/login", "/", "/api-keys", "/users"] {
        // Act
        let page = if path == "/login" {
            app.client().page(path).await
        } else {
            admin.page(path).await
        };

        // Assert: every <script> has a src (the CSP would block inline ones anyway).
        for tag in page.body.split("<script").skip(1) {
            let open = &tag[..tag.find('>').unwrap()];
            assert!(
                open.contains("src=\"/static/"),
                "{path}: inline script <script{open}>"
            );
        }
        assert!(!page.body.contains(" onclick="), "{path}: inline handler");
    }
}

#[tokio::test]
async fn unknown_page_is_an_html_404() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let resp = app
        .client()
        .get("/no/such/page", StatusCode::NOT_FOUND)
        .await;

    // Assert
    let ctype = resp.header("content-type").unwrap();
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(resp.body.contains("Not found"), "{}", resp.body);
    assert!(resp.body.contains("</html>"));
}

#[tokio::test]
async fn unknown_api_route_is_a_json_404() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let resp = app
        .client()
        .get("/api/v1/no-such-route", StatusCode::NOT_FOUND)
        .await;

    // Assert
    let ctype = resp.header("content-type").unwrap();
    assert!(ctype.starts_with("application/json"), "{ctype}");
    let body = resp.json();
    assert_eq!(body["error"]["code"], "not_found");
    assert!(body["error"]["message"].is_string());
    assert!(body["error"]["details"].is_object());
}

#[tokio::test]
async fn healthz_answers_ok_without_authentication() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let resp = app.client().page("/healthz").await;

    // Assert
    assert_eq!(resp.json(), serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn static_assets_are_served_from_fingerprinted_urls_with_a_long_cache() {
    // Arrange
    let app = TestApp::spawn().await;
    let login = app.client().page("/login").await;
    let css = crate::support::html::between(&login.body, r#"rel="stylesheet" href=""#, "\"")
        .expect("stylesheet link")
        .to_owned();

    // Act
    let resp = app.client().page(&css).await;

    // Assert
    assert!(resp.header("content-type").unwrap().starts_with("text/css"));
    assert!(resp.header("cache-control").unwrap().contains("immutable"));
}

#[tokio::test]
async fn shutdown_stops_serving() {
    // Arrange
    let app = TestApp::spawn().await;
    let url = format!("{}/healthz", app.url());
    app.client().page("/healthz").await;

    // Act
    app.shutdown().await;

    // Assert
    let after = reqwest::Client::new().get(&url).send().await;
    assert!(after.is_err(), "still answering after shutdown: {after:?}");
}
