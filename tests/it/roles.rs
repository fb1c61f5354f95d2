//! Viewers read everything they may see and change nothing.

use reqwest::StatusCode;

use crate::support::{ADMIN_EMAIL, TestApp, html};

#[tokio::test]
async fn viewer_can_read_the_dashboard_pages() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let viewer = app.create_user(&admin, "viewer").await;
    app.create_api_key(&admin, &["all"]).await;

    // Act
    let client = app.login(&viewer.email, &viewer.password).await;
    let overview = client.page("/").await;
    let keys = client.page("/api-keys").await;

    // Assert
    assert!(overview.body.contains("<h1>Overview</h1>"));
    assert!(overview.body.contains(">viewer<"), "role badge shown");
    assert!(
        !overview.body.contains(r#"href="/users""#),
        "no Users link for viewers"
    );
    assert!(keys.body.contains("<h1>API keys</h1>"));
    assert!(keys.body.contains(">active<"), "viewer sees the key list");
    assert!(
        !keys.body.contains("Create a key"),
        "no create form for viewers"
    );
    assert!(
        !keys.body.contains("/revoke"),
        "no revoke buttons for viewers"
    );
}

#[tokio::test]
async fn viewer_gets_403_on_every_change_and_nothing_changes() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let viewer = app.create_user(&admin, "viewer").await;
    app.create_api_key(&admin, &["all"]).await;
    let users_page = admin.page("/users").await;
    let admin_row = html::row_containing(&users_page.body, ADMIN_EMAIL).unwrap();
    let admin_id = html::form_action_id(admin_row, "/users/", "/role").unwrap();
    let keys_page = admin.page("/api-keys").await;
    let key_id = html::form_action_id(&keys_page.body, "/api-keys/", "/revoke").unwrap();
    let client = app.login(&viewer.email, &viewer.password).await;

    // Act + Assert
    let attempts: [(&str, &[(&str, &str)]); 5] = [
        ("/api-keys", &[("name", "viewer-key"), ("scopes", "all")]),
        (&format!("/api-keys/{key_id}/revoke"), &[]),
        (
            "/users",
            &[
                ("email", "new@example.com"),
                ("password", "new password 1"),
                ("role", "admin"),
            ],
        ),
        (&format!("/users/{admin_id}/role"), &[("role", "viewer")]),
        (&format!("/users/{admin_id}/delete"), &[]),
    ];
    for (path, fields) in attempts {
        let resp = client.submit(path, fields, StatusCode::FORBIDDEN).await;
        assert!(
            resp.body.contains("Only admins can change this"),
            "{path}: {}",
            resp.body
        );
    }
    client.get("/users", StatusCode::FORBIDDEN).await;

    let users_after = admin.page("/users").await;
    let admin_row = html::row_containing(&users_after.body, ADMIN_EMAIL).unwrap();
    assert!(admin_row.contains(">admin<"), "admin kept the role");
    assert!(
        !users_after.body.contains("new@example.com"),
        "no user added"
    );
    let keys_after = admin.page("/api-keys").await;
    assert!(!keys_after.body.contains("viewer-key"), "no key added");
    assert!(!keys_after.body.contains(">revoked<"), "key not revoked");
}

#[tokio::test]
async fn admin_can_make_a_viewer_an_admin() {
    // Arrange: the control for the test above, with the same forms.
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let viewer = app.create_user(&admin, "viewer").await;
    let page = admin.page("/users").await;
    let row = html::row_containing(&page.body, &viewer.email).unwrap();
    let id = html::form_action_id(row, "/users/", "/role").unwrap();

    // Act
    admin
        .submit(
            &format!("/users/{id}/role"),
            &[("role", "admin")],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert
    let client = app.login(&viewer.email, &viewer.password).await;
    client.page("/users").await;
}
