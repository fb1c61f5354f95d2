//! Signing in and out, throttling and session expiry.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, TestClient, wait_until_backoff};

#[tokio::test]
async fn login_with_the_right_password_lands_on_the_dashboard() {
    // Arrange
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let client = app.client();

    // Act
    let resp = client
        .submit(
            "/login",
            &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert
    assert_eq!(resp.location(), "/");
    let set_cookie = resp
        .header("set-cookie")
        .expect("login sets the session cookie");
    assert!(set_cookie.starts_with("hookd_session="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let overview = client.page("/").await;
    assert!(overview.body.contains("<h1>Overview</h1>"));
    assert!(overview.body.contains(ADMIN_EMAIL));
}

#[tokio::test]
async fn login_cycles_the_session_id_against_fixation() {
    // Arrange: a session id the client already holds (anonymous visits have none, so it is
    // one from an earlier sign-in, as a planted cookie would be).
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let client = app.client();
    client.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let before = client.session_cookie().expect("signed-in session exists");

    // Act
    client.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Assert: the pre-login id is not the signed-in one, and it grants nothing.
    let after = client.session_cookie().expect("signed-in session exists");
    assert_ne!(before, after);
    let planted = TestClient::replaying(app.url(), &format!("hookd_session={before}"));
    planted.get("/", StatusCode::SEE_OTHER).await;
}

#[tokio::test]
async fn login_after_next_returns_to_the_page_asked_for_but_never_off_site() {
    // Arrange
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let client = app.client();
    let bounce = client.get("/api-keys", StatusCode::SEE_OTHER).await;
    assert_eq!(bounce.location(), "/login?next=%2Fapi-keys");

    // Act
    let back = client
        .submit(
            "/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "/api-keys"),
            ],
            StatusCode::SEE_OTHER,
        )
        .await;
    let other = app.client();
    let offsite = other
        .submit(
            "/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "//evil.example/"),
            ],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert
    assert_eq!(back.location(), "/api-keys");
    assert_eq!(offsite.location(), "/");
}

#[tokio::test]
async fn login_with_a_wrong_password_is_refused_with_a_message_and_no_session() {
    // Arrange
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let client = app.client();

    // Act
    let resp = client
        .submit(
            "/login",
            &[("email", ADMIN_EMAIL), ("password", "wrong password")],
            StatusCode::UNAUTHORIZED,
        )
        .await;

    // Assert
    assert!(
        resp.body.contains("Wrong email or password."),
        "{}",
        resp.body
    );
    assert!(
        resp.body.contains(ADMIN_EMAIL),
        "the email is kept in the form"
    );
    let home = client.get("/", StatusCode::SEE_OTHER).await;
    assert_eq!(home.location(), "/login?next=%2F");
}

#[tokio::test]
async fn login_for_an_unknown_email_gets_the_same_answer_as_a_wrong_password() {
    // Arrange
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let client = app.client();

    // Act
    let resp = client
        .submit(
            "/login",
            &[
                ("email", "nobody@example.com"),
                ("password", ADMIN_PASSWORD),
            ],
            StatusCode::UNAUTHORIZED,
        )
        .await;

    // Assert
    assert!(
        resp.body.contains("Wrong email or password."),
        "{}",
        resp.body
    );
}

#[tokio::test]
async fn sixth_login_attempt_within_a_minute_is_throttled_even_with_the_right_password() {
    // Arrange
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let client = app.client();
    for _ in 0..5 {
        client
            .submit(
                "/login",
                &[("email", ADMIN_EMAIL), ("password", "guess")],
                StatusCode::UNAUTHORIZED,
            )
            .await;
    }

    // Act
    let resp = client
        .submit(
            "/login",
            &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;

    // Assert
    assert!(
        resp.body.contains("Too many sign-in attempts"),
        "{}",
        resp.body
    );
    client.get("/", StatusCode::SEE_OTHER).await;
}

#[tokio::test]
async fn account_throttle_ignores_the_case_of_the_email() {
    // Arrange
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let client = app.client();
    for email in [
        "ADMIN@example.com",
        "Admin@Example.com",
        "admin@EXAMPLE.com",
        "aDmIn@example.com",
        "ADMIN@EXAMPLE.COM",
    ] {
        client
            .submit(
                "/login",
                &[("email", email), ("password", "guess")],
                StatusCode::UNAUTHORIZED,
            )
            .await;
    }

    // Act + Assert
    client
        .submit(
            "/login",
            &[("email", ADMIN_EMAIL), ("password", "guess")],
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
}

#[tokio::test]
async fn one_address_trying_many_accounts_is_throttled_after_twenty_attempts() {
    // Arrange
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let client = app.client();
    let csrf = client.csrf().await;
    for i in 0..20 {
        let email = format!("user{i}@example.com");
        client
            .post_form(
                "/login",
                &[
                    ("email", &email),
                    ("password", "guess"),
                    ("csrf_token", &csrf),
                ],
                StatusCode::UNAUTHORIZED,
            )
            .await;
    }

    // Act
    let resp = client
        .post_form(
            "/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("csrf_token", &csrf),
            ],
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;

    // Assert
    assert!(resp.body.contains("Too many sign-in attempts"));
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let cookie = admin.cookie_header().expect("signed in");

    // Act
    let resp = admin.submit("/logout", &[], StatusCode::SEE_OTHER).await;

    // Assert
    assert_eq!(resp.location(), "/login");
    let home = admin.get("/", StatusCode::SEE_OTHER).await;
    assert_eq!(home.location(), "/login?next=%2F");
    // A copy of the old cookie (e.g. stolen before logout) grants nothing either.
    let replay = TestClient::replaying(app.url(), &cookie);
    let home = replay.get("/", StatusCode::SEE_OTHER).await;
    assert_eq!(home.location(), "/login?next=%2F");
}

#[tokio::test]
async fn session_expires_after_the_inactivity_timeout() {
    // Arrange
    let timeout = Duration::from_secs(1);
    let app = TestApp::spawn_with(|c| c.session_timeout = timeout).await;
    let admin = app.setup_admin().await;
    // Replay the cookie by hand: the jar would drop it at its Max-Age, and we test the server.
    let replay = TestClient::replaying(app.url(), &admin.cookie_header().unwrap());
    replay.page("/").await;
    let signed_in_at = Instant::now();

    // Act: every page view counts as activity, so the pause between checks must grow past
    // the timeout before the session can lapse.
    let location = wait_until_backoff(
        Duration::from_secs(20),
        Duration::from_millis(100),
        Duration::from_secs(3),
        "the session expires",
        || async {
            let resp = replay
                .fetch(replay.request(reqwest::Method::GET, "/"))
                .await;
            (resp.status == StatusCode::SEE_OTHER).then(|| resp.location().to_owned())
        },
    )
    .await;

    // Assert
    assert_eq!(location, "/login?next=%2F");
    assert!(
        signed_in_at.elapsed() >= timeout,
        "expired after {:?}, before the timeout",
        signed_in_at.elapsed()
    );
}

#[tokio::test]
async fn activity_keeps_a_session_alive_past_the_timeout() {
    // Arrange
    let timeout = Duration::from_secs(2);
    let app = TestApp::spawn_with(|c| c.session_timeout = timeout).await;
    let admin = app.setup_admin().await;
    let started = Instant::now();

    // Act + Assert: a page every 400 ms for twice the timeout never lands on the login page.
    let mut pace = tokio::time::interval(Duration::from_millis(400));
    while started.elapsed() < timeout * 2 {
        pace.tick().await;
        admin.page("/").await;
    }
}
