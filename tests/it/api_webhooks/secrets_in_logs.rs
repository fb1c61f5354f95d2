//! Secrets never reach the server log, even at level trace.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{add_types, create, id_of, minimal, secret_of, secret_of_len, with};
use crate::support::{ApiClient, wait_until};

/// The real binary at log level trace, driven through the API: its whole output (stdout and
/// stderr) holds neither the signing secrets nor the API key.
#[tokio::test]
async fn secrets_never_appear_in_the_server_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap().to_owned();
    let log_path = dir.path().join("hookd.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = crate::support::bin::command(dir.path())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            &data_arg,
            "--log-level",
            "trace",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("hookd starts");
    let _reaper = KillOnPanic(child.id());
    let read_log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let base = wait_until(
        Duration::from_secs(20),
        "hookd reports its address in the log",
        || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "hookd exited ({status}) before reporting its address; log:\n{}",
                    read_log()
                );
            }
            let text = read_log();
            let url = text.find("dashboard at http://").map(|at| {
                text[at + "dashboard at ".len()..]
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_owned()
            });
            async move { url }
        },
    )
    .await;

    let run = crate::support::bin::hookd_async(
        dir.path(),
        &[
            "api-key",
            "create",
            "--name",
            "logs",
            "--scope",
            "webhooks:write",
            "--data-dir",
            &data_arg,
        ],
        "",
    )
    .await;
    run.assert_success();
    let key = run.stdout.trim().to_owned();
    let api = ApiClient::new(&base, Some(&key));
    add_types(&api, &["invoice.paid"]).await;
    let supplied = secret_of_len(40);
    let a = create(
        &api,
        with(minimal("https://example.com/a"), "secret", json!(supplied)),
    )
    .await;
    let b = create(&api, minimal("https://example.com/b")).await;
    let generated = secret_of(&b);
    let rotated = api
        .send(
            api.request(
                Method::POST,
                &format!("/api/v1/webhooks/{}/rotate-secret", id_of(&b)),
            ),
            StatusCode::OK,
        )
        .await;
    let rotated = secret_of(&rotated);
    let refused_secret = format!("whsec_{}", STANDARD.encode([9u8; 8]));
    api.post(
        "/api/v1/webhooks",
        &with(
            minimal("https://example.com/c"),
            "secret",
            json!(refused_secret),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let patched_secret = secret_of_len(30);
    api.send(
        api.request(Method::PATCH, &format!("/api/v1/webhooks/{}", id_of(&a)))
            .json(&json!({"secret": patched_secret})),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    api.get("/api/v1/webhooks", StatusCode::OK).await;
    // A wrong key is logged at most as a failure, never echoed.
    let wrong = format!("{key}x");
    ApiClient::new(&base, Some(&wrong))
        .get("/api/v1/webhooks", StatusCode::UNAUTHORIZED)
        .await;

    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(term.success());
    let status = tokio::task::spawn_blocking(move || {
        crate::support::bin::wait_with_deadline(
            &mut child,
            std::time::Duration::from_secs(15),
            &["serve"],
        )
    })
    .await
    .unwrap();
    assert!(status.success(), "exit after SIGTERM: {status}");

    let text = read_log();
    assert!(
        text.contains("listening") && text.lines().count() > 3,
        "the log is too thin to prove anything:\n{text}"
    );
    for s in [
        &supplied,
        &generated,
        &rotated,
        &refused_secret,
        &patched_secret,
    ] {
        let body = &s["whsec_".len()..];
        assert!(
            !text.contains(body),
            "the log holds the secret {s}:\n{text}"
        );
    }
    let key_secret_part = key.trim_start_matches("hk_");
    assert!(
        !text.contains(key_secret_part),
        "the log holds the API key:\n{text}"
    );
    assert!(
        !text.contains(&wrong[3..]),
        "the log holds a presented key:\n{text}"
    );
}

/// Kills the server when the test fails before stopping it, so a failure leaves no process
/// behind (a `std::process::Child` is not killed when dropped).
struct KillOnPanic(u32);

impl Drop for KillOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &self.0.to_string()])
                .status();
        }
    }
}
