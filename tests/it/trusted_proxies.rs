//! Behind a reverse proxy (`trusted_proxies`): the per-IP login throttle keys on the
//! X-Forwarded-For client only when the peer is a trusted proxy; a client talking to hookd
//! directly cannot dodge the throttle by writing the header itself.

use reqwest::{Method, StatusCode};

use crate::support::bin::hookd;
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, TestClient};

/// Per-IP sign-in attempts allowed a minute (`users::LoginThrottle`).
const PER_IP: usize = 20;

/// One sign-in attempt for `email` forwarded for `xff`; asserts `expect`.
async fn attempt(client: &TestClient, csrf: &str, xff: &str, email: &str, expect: StatusCode) {
    let password = if email == ADMIN_EMAIL {
        ADMIN_PASSWORD
    } else {
        "guess"
    };
    client
        .send(
            client
                .request(Method::POST, "/login")
                .header("X-Forwarded-For", xff)
                .form(&[
                    ("email", email),
                    ("password", password),
                    ("csrf_token", csrf),
                ]),
            expect,
        )
        .await;
}

/// Spends the per-IP budget with failed sign-ins, each to another account, forwarded for
/// `xff(i)`.
async fn exhaust(client: &TestClient, csrf: &str, xff: impl Fn(usize) -> String) {
    for i in 0..PER_IP {
        let email = format!("user{i}@example.com");
        attempt(client, csrf, &xff(i), &email, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_dodge_the_throttle() {
    // Arrange: no trusted proxies; the client writes a new X-Forwarded-For on every attempt.
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let client = app.client();
    let csrf = client.csrf().await;
    exhaust(&client, &csrf, |i| format!("198.51.100.{i}")).await;

    // Act + Assert: still throttled, whatever it claims to be.
    attempt(
        &client,
        &csrf,
        "203.0.113.77",
        ADMIN_EMAIL,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_throttle_keys_on_the_forwarded_client() {
    // Arrange: hookd trusts the proxy on 127.0.0.1 (the test client plays the proxy).
    let app =
        TestApp::spawn_with(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    app.setup_admin().await;
    let client = app.client();
    let csrf = client.csrf().await;
    exhaust(&client, &csrf, |_| "198.51.100.1".to_owned()).await;

    // Act + Assert: that client is throttled, also when it puts a spoofed address in front
    // (the proxy appends the real one on the right); another client behind the proxy is not.
    for (xff, expect) in [
        ("198.51.100.1", StatusCode::TOO_MANY_REQUESTS),
        ("203.0.113.5, 198.51.100.1", StatusCode::TOO_MANY_REQUESTS),
        ("198.51.100.2", StatusCode::SEE_OTHER),
    ] {
        attempt(&client, &csrf, xff, ADMIN_EMAIL, expect).await;
    }
}

#[test]
fn a_bad_trusted_proxy_cidr_is_refused_at_start_naming_the_key() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("hookd.toml");
    std::fs::write(
        &config,
        "trusted_proxies = [\"10.0.0.0/8\", \"proxy.local\"]\n",
    )
    .unwrap();
    let data = data.to_str().unwrap();

    // Act
    let by_flag = hookd(
        dir.path(),
        &[
            "migrate",
            "--trusted-proxies",
            "127.0.0.1/32,10.0.0.0/33",
            "--data-dir",
            data,
        ],
        "",
    );
    let by_file = hookd(
        dir.path(),
        &[
            "--config",
            config.to_str().unwrap(),
            "--data-dir",
            data,
            "migrate",
        ],
        "",
    );

    // Assert
    by_flag.assert_clean_failure();
    assert!(
        by_flag.stderr.contains("trusted_proxies"),
        "{}",
        by_flag.stderr
    );
    assert!(by_flag.stderr.contains("10.0.0.0/33"), "{}", by_flag.stderr);
    by_file.assert_clean_failure();
    assert!(
        by_file.stderr.contains("trusted_proxies"),
        "{}",
        by_file.stderr
    );
    assert!(by_file.stderr.contains("proxy.local"), "{}", by_file.stderr);
}
