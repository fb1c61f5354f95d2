//! The real `hookd` binary: user and API key management, version and help.

use reqwest::StatusCode;

use crate::support::TestApp;
use crate::support::bin::{hookd, hookd_async};

#[tokio::test]
async fn user_created_on_the_command_line_can_sign_in() {
    // Arrange
    let app = TestApp::spawn().await;
    let dir = app.data_dir().to_str().unwrap().to_owned();

    // Act: two identical lines, and a single line, both work when stdin is not a terminal.
    let two_lines = hookd_async(
        app.data_dir(),
        &[
            "user",
            "create",
            "--email",
            "ops@example.com",
            "--role",
            "admin",
            "--data-dir",
            &dir,
        ],
        "ops password 1\nops password 1\n",
    )
    .await;
    let one_line = hookd_async(
        app.data_dir(),
        &[
            "user",
            "create",
            "--email",
            "view@example.com",
            "--role",
            "viewer",
            "--data-dir",
            &dir,
        ],
        "view password 1\n",
    )
    .await;

    // Assert
    two_lines.assert_success();
    assert!(
        two_lines
            .stdout
            .contains("created admin user ops@example.com"),
        "{}",
        two_lines.stdout
    );
    one_line.assert_success();
    let admin = app.login("ops@example.com", "ops password 1").await;
    admin.page("/users").await;
    let viewer = app.login("view@example.com", "view password 1").await;
    viewer.get("/users", StatusCode::FORBIDDEN).await;
    let list = hookd_async(app.data_dir(), &["user", "list", "--data-dir", &dir], "").await;
    list.assert_success();
    assert!(
        list.stdout.contains("ops@example.com\tadmin"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout.contains("view@example.com\tviewer"),
        "{}",
        list.stdout
    );
}

#[test]
fn user_create_refuses_two_different_passwords_and_short_ones() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let create = [
        "user",
        "create",
        "--email",
        "a@example.com",
        "--data-dir",
        data,
    ];

    // Act
    let mismatch = hookd(dir.path(), &create, "first password\nsecond password\n");
    let short = hookd(dir.path(), &create, "short\n");

    // Assert
    mismatch.assert_clean_failure();
    assert!(
        mismatch.stderr.contains("do not match"),
        "{}",
        mismatch.stderr
    );
    short.assert_clean_failure();
    assert!(short.stderr.contains("password"), "{}", short.stderr);
    let list = hookd(dir.path(), &["user", "list", "--data-dir", data], "");
    assert_eq!(list.assert_success().stdout, "", "no user was created");
}

#[tokio::test]
async fn api_key_created_on_the_command_line_authenticates() {
    // Arrange
    let app = TestApp::spawn().await;
    let dir = app.data_dir().to_str().unwrap().to_owned();

    // Act
    let run = hookd_async(
        app.data_dir(),
        &[
            "api-key",
            "create",
            "--name",
            "billing",
            "--scope",
            "webhooks:read",
            "--data-dir",
            &dir,
        ],
        "",
    )
    .await;

    // Assert: stdout is the key alone, so `KEY=$(hookd api-key create …)` works.
    run.assert_success();
    let key = run.stdout.trim();
    assert!(
        key.starts_with("hk_") && !key.contains(char::is_whitespace),
        "{:?}",
        run.stdout
    );
    assert!(run.stderr.contains("shown only now"), "{}", run.stderr);
    let body = app
        .api(key)
        .get("/api/v1/event-types", StatusCode::OK)
        .await;
    assert!(body["data"].is_array());
}

#[test]
fn api_key_list_and_revoke_never_print_the_key() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let created = hookd(
        dir.path(),
        &["api-key", "create", "--name", "ci", "--data-dir", data],
        "",
    );
    let key = created.assert_success().stdout.trim().to_owned();

    // Act
    let list = hookd(dir.path(), &["api-key", "list", "--data-dir", data], "");
    let id = list.stdout.split('\t').next().unwrap().to_owned();
    let revoke = hookd(
        dir.path(),
        &["api-key", "revoke", &id, "--data-dir", data],
        "",
    );
    let after = hookd(dir.path(), &["api-key", "list", "--data-dir", data], "");

    // Assert
    list.assert_success();
    assert!(list.stdout.contains("\tci\t"), "{}", list.stdout);
    assert!(list.stdout.contains("active"), "{}", list.stdout);
    assert!(!list.stdout.contains(&key), "list printed the key");
    revoke.assert_success();
    assert!(after.stdout.contains("revoked"), "{}", after.stdout);
    assert!(!after.stdout.contains(&key));
}

#[test]
fn version_prints_the_crate_version() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();

    // Act
    let run = hookd(dir.path(), &["--version"], "");

    // Assert
    run.assert_success();
    assert_eq!(
        run.stdout.trim(),
        format!("hookd {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn serve_help_lists_every_setting_with_its_default_and_env_name() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let settings = [
        ("--listen", "HOOKD_LISTEN", Some("127.0.0.1:8080")),
        ("--data-dir", "HOOKD_DATA_DIR", Some("./hookd-data")),
        ("--base-url", "HOOKD_BASE_URL", None),
        (
            "--allow-http-targets",
            "HOOKD_ALLOW_HTTP_TARGETS",
            Some("false"),
        ),
        (
            "--allow-private-targets",
            "HOOKD_ALLOW_PRIVATE_TARGETS",
            Some("false"),
        ),
        (
            "--max-payload-bytes",
            "HOOKD_MAX_PAYLOAD_BYTES",
            Some("262144"),
        ),
        ("--retention-days", "HOOKD_RETENTION_DAYS", Some("30")),
        (
            "--delivery-concurrency",
            "HOOKD_DELIVERY_CONCURRENCY",
            Some("64"),
        ),
        ("--log-format", "HOOKD_LOG_FORMAT", Some("text")),
        ("--log-level", "HOOKD_LOG_LEVEL", Some("info")),
        ("--secret-key", "HOOKD_SECRET_KEY", None),
        (
            "--session-timeout-seconds",
            "HOOKD_SESSION_TIMEOUT_SECONDS",
            Some("43200"),
        ),
        ("--config", "HOOKD_CONFIG", None),
        (
            "--signature-header",
            "HOOKD_SIGNATURE_HEADER",
            Some("X-Webhook-Signature"),
        ),
        (
            "--signature-prefix",
            "HOOKD_SIGNATURE_PREFIX",
            Some("empty"),
        ),
        (
            "--event-header",
            "HOOKD_EVENT_HEADER",
            Some("X-Webhook-Event"),
        ),
        ("--id-header", "HOOKD_ID_HEADER", Some("X-Webhook-Id")),
        (
            "--user-agent",
            "HOOKD_USER_AGENT",
            Some(concat!("hookd/", env!("CARGO_PKG_VERSION"))),
        ),
        (
            "--standard-webhooks",
            "HOOKD_STANDARD_WEBHOOKS",
            Some("true"),
        ),
        ("--body-id-field", "HOOKD_BODY_ID_FIELD", Some("id")),
        ("--body-type-field", "HOOKD_BODY_TYPE_FIELD", Some("type")),
        (
            "--body-timestamp-field",
            "HOOKD_BODY_TIMESTAMP_FIELD",
            Some("timestamp"),
        ),
        ("--body-data-field", "HOOKD_BODY_DATA_FIELD", Some("data")),
        (
            "--portal-product-name",
            "HOOKD_PORTAL_PRODUCT_NAME",
            Some("Webhooks"),
        ),
        (
            "--portal-accent-color",
            "HOOKD_PORTAL_ACCENT_COLOR",
            Some("#4338ca"),
        ),
        ("--portal-logo-url", "HOOKD_PORTAL_LOGO_URL", Some("none")),
        (
            "--portal-support-url",
            "HOOKD_PORTAL_SUPPORT_URL",
            Some("none"),
        ),
        (
            "--portal-frame-ancestors",
            "HOOKD_PORTAL_FRAME_ANCESTORS",
            None,
        ),
    ];

    // Act
    let run = hookd(dir.path(), &["serve", "--help"], "");

    // Assert
    run.assert_success();
    let help = run.stdout.replace('\n', " ");
    for (flag, env, default) in settings {
        let at = help
            .find(&format!("{flag} "))
            .unwrap_or_else(|| panic!("{flag} missing from help:\n{}", run.stdout));
        let next_flag = help[at + 2..]
            .find("  --")
            .map_or(help.len(), |n| at + 2 + n);
        let entry = &help[at..next_flag];
        assert!(
            entry.contains(&format!("[env: {env}")),
            "{flag}: no {env}: {entry}"
        );
        if let Some(d) = default {
            assert!(
                entry.contains(&format!("[default: {d}]")),
                "{flag}: no default {d}: {entry}"
            );
        }
    }
}
