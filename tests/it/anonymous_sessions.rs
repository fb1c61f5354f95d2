//! Sessions begin at sign-in: anonymous visits (bots on the login page) store nothing, while the
//! login and setup forms keep their CSRF protection (a token bound to a cookie).

use reqwest::{Method, StatusCode};

use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};

/// Rows in the session store, read directly: the API cannot show them.
async fn session_rows(app: &TestApp) -> i64 {
    let db = hookd::db::open_sessions(app.data_dir())
        .await
        .expect("the session database opens");
    let n = sqlx::query_scalar("select count(*) from tower_sessions")
        .fetch_one(&db)
        .await
        .expect("the session table exists");
    db.close().await;
    n
}

#[tokio::test]
async fn anonymous_visits_to_the_login_and_setup_pages_create_no_sessions() {
    // Arrange
    let app = TestApp::spawn().await;
    let setup = app.setup_path();
    let before = session_rows(&app).await;

    // Act
    for _ in 0..10 {
        let bot = app.client();
        let login = bot.get("/login", StatusCode::OK).await;
        bot.get(&setup, StatusCode::OK).await;
        bot.get("/", StatusCode::SEE_OTHER).await;
        assert!(bot.session_cookie().is_none(), "{:?}", login.headers);
    }

    // Assert
    assert_eq!(session_rows(&app).await, before);
}

#[tokio::test]
async fn a_failed_login_creates_no_session_and_a_successful_one_does() {
    // Arrange
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let before = session_rows(&app).await;
    let client = app.client();

    // Act
    client
        .submit(
            "/login",
            &[("email", ADMIN_EMAIL), ("password", "wrong password")],
            StatusCode::UNAUTHORIZED,
        )
        .await;
    let after_failure = session_rows(&app).await;
    client.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Assert
    assert_eq!(after_failure, before);
    assert_eq!(session_rows(&app).await, before + 1);
}

#[tokio::test]
async fn a_login_post_without_the_form_cookie_or_without_the_field_is_refused() {
    // Arrange
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let browser = app.client();
    let token = browser.csrf().await;
    let form = [
        ("email", ADMIN_EMAIL),
        ("password", ADMIN_PASSWORD),
        ("csrf_token", token.as_str()),
    ];

    // Act + Assert: the token alone (no cookie, as a cross-site form in another browser would
    // send it) is refused, and so is the cookie alone.
    let cookieless = app.client();
    let refused = cookieless
        .send(
            cookieless.request(Method::POST, "/login").form(&form),
            StatusCode::FORBIDDEN,
        )
        .await;
    assert!(refused.body.contains("Reload the page"), "{}", refused.body);
    browser
        .post_form(
            "/login",
            &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
            StatusCode::FORBIDDEN,
        )
        .await;
    browser.get("/", StatusCode::SEE_OTHER).await;

    // The control: cookie and field together sign in.
    let done = browser
        .post_form("/login", &form, StatusCode::SEE_OTHER)
        .await;
    assert_eq!(done.location(), "/");
}

#[tokio::test]
async fn a_token_from_another_browser_does_not_fit_this_browsers_cookie() {
    // Arrange
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let attacker = app.client();
    let victim = app.client();
    victim.csrf().await;
    let foreign = attacker.csrf().await;

    // Act + Assert
    victim
        .post_form(
            "/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("csrf_token", &foreign),
            ],
            StatusCode::FORBIDDEN,
        )
        .await;
    victim.get("/", StatusCode::SEE_OTHER).await;
}
