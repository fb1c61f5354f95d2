//! Passwords in the dashboard: anyone signed in changes their own on /account (the other
//! sessions end, this one stays); an admin sets someone else's on the Users page; viewers
//! cannot set anyone else's.

use reqwest::StatusCode;

use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, TestClient, html};

const NEW_PASSWORD: &str = "a brand new password";

/// The user id in `email`'s row of the Users page.
async fn user_id(admin: &TestClient, email: &str) -> String {
    let page = admin.page("/users").await;
    let row = html::row_containing(&page.body, email).expect("the user's row");
    html::form_action_id(row, "/users/", "/role").expect("the row's role form")
}

/// The old password is refused at the login form, the new one signs in.
async fn only_the_new_password_works(app: &TestApp, email: &str, old: &str) {
    app.client()
        .submit(
            "/login",
            &[("email", email), ("password", old)],
            StatusCode::UNAUTHORIZED,
        )
        .await;
    app.login(email, NEW_PASSWORD).await;
}

/// Whether `client` is still signed in.
async fn signed_in(client: &TestClient) -> bool {
    let resp = client
        .fetch(client.request(reqwest::Method::GET, "/account"))
        .await;
    resp.status == StatusCode::OK
}

#[tokio::test]
async fn a_user_changes_their_own_password_and_their_other_sessions_end() {
    // Arrange: a viewer signed in twice (two browsers)
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let viewer = app.create_user(&admin, "viewer").await;
    let here = app.login(&viewer.email, &viewer.password).await;
    let elsewhere = app.login(&viewer.email, &viewer.password).await;
    let account = here.page("/account").await;
    assert!(account.body.contains(&viewer.email));

    // Act
    let done = here
        .submit(
            "/account/password",
            &[
                ("current_password", &viewer.password),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert
    assert_eq!(done.location(), "/account");
    let after = here.page("/account").await;
    assert!(
        after.body.contains("Your password was changed."),
        "{}",
        after.body
    );
    assert!(signed_in(&here).await, "this session stays");
    assert!(!signed_in(&elsewhere).await, "the other session ended");
    only_the_new_password_works(&app, &viewer.email, &viewer.password).await;
}

#[tokio::test]
async fn a_wrong_current_password_or_a_bad_new_one_is_refused_inline() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;

    // Act
    let wrong = admin
        .submit(
            "/account/password",
            &[
                ("current_password", "not my password"),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let mismatch = admin
        .submit(
            "/account/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("password", NEW_PASSWORD),
                ("password_confirm", "something else entirely"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let short = admin
        .submit(
            "/account/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

    // Assert
    assert!(
        wrong.body.contains(r#"id="current_password-error""#),
        "{}",
        wrong.body
    );
    assert!(wrong.body.contains("That is not your current password."));
    assert!(mismatch.body.contains(r#"id="password_confirm-error""#));
    assert!(short.body.contains(r#"id="password-error""#));
    assert!(short.body.contains("Use at least 8 characters."));
    assert!(signed_in(&admin).await);
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn the_nav_links_to_the_account_page_for_viewers_too() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let viewer = app.create_user(&admin, "viewer").await;
    let viewer = app.login(&viewer.email, &viewer.password).await;

    // Act
    let page = viewer.page("/").await;

    // Assert
    assert!(page.body.contains(r#"<a href="/account""#), "{}", page.body);
}

#[tokio::test]
async fn an_admin_sets_a_new_password_for_another_user_who_is_signed_out() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let viewer = app.create_user(&admin, "viewer").await;
    let their_session = app.login(&viewer.email, &viewer.password).await;
    let id = user_id(&admin, &viewer.email).await;
    let users = admin.page("/users").await;
    assert!(
        users
            .body
            .contains(&format!(r#"action="/users/{id}/password""#))
    );
    assert!(users.body.contains("data-confirm=\"Set a new password for"));

    // Act
    let done = admin
        .submit(
            &format!("/users/{id}/password"),
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert
    assert_eq!(done.location(), "/users");
    let page = admin.page("/users").await;
    assert!(
        page.body.contains("Set a new password for"),
        "{}",
        page.body
    );
    assert!(!signed_in(&their_session).await, "their session ended");
    assert!(signed_in(&admin).await, "the admin's did not");
    only_the_new_password_works(&app, &viewer.email, &viewer.password).await;
}

#[tokio::test]
async fn a_refused_new_password_is_shown_in_that_users_row() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let viewer = app.create_user(&admin, "viewer").await;
    let id = user_id(&admin, &viewer.email).await;

    // Act
    let refused = admin
        .submit(
            &format!("/users/{id}/password"),
            &[("password", "short"), ("password_confirm", "shorter")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

    // Assert
    assert!(
        refused
            .body
            .contains(&format!(r#"id="pw-{id}-password-error""#)),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(&format!(r#"id="pw-{id}-password_confirm-error""#))
    );
    assert!(refused.body.contains("<details class=\"row-form\" open>"));
    app.login(&viewer.email, &viewer.password).await;
}

#[tokio::test]
async fn a_viewer_cannot_set_anyone_elses_password() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let other = app.create_user(&admin, "viewer").await;
    let other_id = user_id(&admin, &other.email).await;
    let admin_id = user_id(&admin, ADMIN_EMAIL).await;
    let viewer = app.create_user(&admin, "viewer").await;
    let viewer = app.login(&viewer.email, &viewer.password).await;

    // Act + Assert
    for id in [&admin_id, &other_id] {
        viewer
            .submit(
                &format!("/users/{id}/password"),
                &[
                    ("password", NEW_PASSWORD),
                    ("password_confirm", NEW_PASSWORD),
                ],
                StatusCode::FORBIDDEN,
            )
            .await;
    }
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.login(&other.email, &other.password).await;
}
