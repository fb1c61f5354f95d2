//! First run: with no users, a one-time setup link creates the first admin.

use reqwest::StatusCode;

use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, html};

#[tokio::test]
async fn setup_page_is_not_found_without_the_token_or_with_a_wrong_one() {
    // Arrange
    let app = TestApp::spawn().await;
    let client = app.client();

    // Act + Assert
    client.get("/setup", StatusCode::NOT_FOUND).await;
    client
        .get("/setup?token=not-the-token", StatusCode::NOT_FOUND)
        .await;
    let csrf = client.csrf().await;
    client
        .post_form(
            "/setup",
            &[
                ("token", "not-the-token"),
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("password_confirm", ADMIN_PASSWORD),
                ("csrf_token", &csrf),
            ],
            StatusCode::NOT_FOUND,
        )
        .await;
    // Nobody was created: the admin cannot sign in.
    client
        .submit(
            "/login",
            &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
            StatusCode::UNAUTHORIZED,
        )
        .await;
}

#[tokio::test]
async fn setup_creates_the_first_admin_and_signs_them_in() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let admin = app.setup_admin().await;

    // Assert
    let overview = admin.page("/").await;
    assert!(overview.body.contains("<h1>Overview</h1>"));
    assert!(
        overview.body.contains(ADMIN_EMAIL),
        "user menu shows who is signed in"
    );
    assert!(
        overview.body.contains("the first admin"),
        "welcome flash shown"
    );
    let users = admin.page("/users").await;
    let row = html::row_containing(&users.body, ADMIN_EMAIL).expect("admin listed");
    assert!(row.contains(">admin<"), "first user is an admin: {row}");
    // A fresh client can sign in with the new account.
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.page("/").await;
}

#[tokio::test]
async fn setup_link_is_dead_once_the_admin_exists() {
    // Arrange
    let app = TestApp::spawn().await;
    let setup_path = app.setup_path();
    app.setup_admin().await;
    let other = app.client();

    // Act + Assert: neither the page nor the form works again; the page says the link was
    // used and leads to sign-in.
    let used = other.get(&setup_path, StatusCode::GONE).await;
    assert!(
        used.body.contains("This setup link has been used"),
        "{}",
        used.body
    );
    assert!(used.body.contains(r#"href="/login""#), "{}", used.body);
    let token = setup_path.split("token=").nth(1).unwrap();
    let csrf = other.csrf().await;
    other
        .post_form(
            "/setup",
            &[
                ("token", token),
                ("email", "intruder@example.com"),
                ("password", "intruder password"),
                ("password_confirm", "intruder password"),
                ("csrf_token", &csrf),
            ],
            StatusCode::GONE,
        )
        .await;
    other
        .submit(
            "/login",
            &[
                ("email", "intruder@example.com"),
                ("password", "intruder password"),
            ],
            StatusCode::UNAUTHORIZED,
        )
        .await;
}

#[tokio::test]
async fn setup_with_mismatched_passwords_shows_the_form_again() {
    // Arrange
    let app = TestApp::spawn().await;
    let client = app.client();
    let form = client.page(&app.setup_path()).await;
    let token = html::between(&form.body, r#"name="token" value=""#, "\"").unwrap();

    // Act
    let resp = client
        .post_form(
            "/setup",
            &[
                ("token", token),
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("password_confirm", "something else"),
                ("csrf_token", &form.csrf_token()),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

    // Assert: the error is shown and the link still works.
    assert!(resp.body.contains("do not match"), "{}", resp.body);
    client.page(&app.setup_path()).await;
}
