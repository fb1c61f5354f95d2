//! Cross-site request forgery: state-changing forms need the session's token, and browsers'
//! cross-site requests are refused whatever they carry.

use reqwest::{Method, StatusCode};

use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, html};

#[tokio::test]
async fn form_post_without_the_csrf_token_is_refused_and_changes_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;

    // Act
    let resp = admin
        .post_form(
            "/api-keys",
            &[("name", "forged"), ("scopes", "all")],
            StatusCode::FORBIDDEN,
        )
        .await;

    // Assert
    assert!(resp.body.contains("Reload the page"), "{}", resp.body);
    let keys = admin.page("/api-keys").await;
    assert!(!keys.body.contains("forged"), "no key was created");
}

#[tokio::test]
async fn form_post_with_a_wrong_csrf_token_is_refused_and_changes_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    // A valid token, but from another session.
    let foreign_token = app.client().csrf().await;

    // Act
    admin
        .post_form(
            "/api-keys",
            &[
                ("name", "forged"),
                ("scopes", "all"),
                ("csrf_token", &foreign_token),
            ],
            StatusCode::FORBIDDEN,
        )
        .await;
    admin
        .post_form(
            "/api-keys",
            &[("name", "forged"), ("scopes", "all"), ("csrf_token", "")],
            StatusCode::FORBIDDEN,
        )
        .await;

    // Assert
    let keys = admin.page("/api-keys").await;
    assert!(!keys.body.contains("forged"), "no key was created");
}

#[tokio::test]
async fn login_and_logout_need_the_csrf_token_too() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let stranger = app.client();

    // Act + Assert: login CSRF would sign a victim into the attacker's account.
    stranger
        .post_form(
            "/login",
            &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
            StatusCode::FORBIDDEN,
        )
        .await;
    stranger.get("/", StatusCode::SEE_OTHER).await;
    admin.post_form("/logout", &[], StatusCode::FORBIDDEN).await;
    admin.page("/").await;
}

#[tokio::test]
async fn cross_site_post_is_refused_even_with_a_valid_token() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let csrf = admin.csrf().await;
    let form = [
        ("name", "cross-site"),
        ("scopes", "all"),
        ("csrf_token", csrf.as_str()),
    ];

    // Act + Assert: by Origin alone (older browsers) and by Sec-Fetch-Site.
    admin
        .send(
            admin
                .request(Method::POST, "/api-keys")
                .header("Origin", "https://evil.example")
                .form(&form),
            StatusCode::FORBIDDEN,
        )
        .await;
    admin
        .send(
            admin
                .request(Method::POST, "/api-keys")
                .header("Sec-Fetch-Site", "cross-site")
                .header("Origin", "https://evil.example")
                .form(&form),
            StatusCode::FORBIDDEN,
        )
        .await;
    let keys = admin.page("/api-keys").await;
    assert!(!keys.body.contains("cross-site"), "no key was created");
}

#[tokio::test]
async fn same_origin_post_from_a_browser_is_accepted() {
    // Arrange: the control for the test above, so it cannot pass by refusing everything.
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let csrf = admin.csrf().await;

    // Act
    let page = admin
        .send(
            admin
                .request(Method::POST, "/api-keys")
                .header("Origin", app.url())
                .header("Sec-Fetch-Site", "same-origin")
                .form(&[
                    ("name", "same-site"),
                    ("scopes", "all"),
                    ("csrf_token", &csrf),
                ]),
            StatusCode::OK,
        )
        .await;

    // Assert
    assert!(html::revealed_api_key(&page.body).starts_with("hk_"));
}
