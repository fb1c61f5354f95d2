//! Crash safety with the real binary: `kill -9` under load loses no acknowledged event, and a
//! restart delivers everything (at least once, with the original `webhook-id`).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::delivery_kit::{Hook, Reply, free_port};
use crate::support::bin::{command, hookd_async};
use crate::support::{ApiClient, wait_until};

/// A `hookd serve` child, SIGKILLed when dropped (also when the test fails).
struct Server {
    child: Child,
    url: String,
}

impl Server {
    async fn start(cwd: &Path, data: &str) -> Server {
        let port = free_port().await;
        let listen = format!("127.0.0.1:{port}");
        let child = command(cwd)
            .args([
                "serve",
                "--data-dir",
                data,
                "--listen",
                &listen,
                "--allow-http-targets",
                "--allow-private-targets",
                "--retry-schedule",
                "100ms",
                // Few slots and a slow receiver, so a backlog builds up and the kill hits
                // queued and in-flight deliveries alike.
                "--endpoint-concurrency",
                "2",
                "--log-level",
                "warn",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("hookd serve starts");
        let url = format!("http://{listen}");
        let server = Server { child, url };
        let health = format!("{}/healthz", server.url);
        wait_until(
            Duration::from_secs(30),
            "hookd serve answers /healthz",
            || {
                let health = health.clone();
                async move {
                    let ok = reqwest::get(&health)
                        .await
                        .is_ok_and(|r| r.status() == StatusCode::OK);
                    ok.then_some(())
                }
            },
        )
        .await;
        server
    }

    /// SIGKILL: no shutdown code runs.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test]
async fn sigkill_under_load_loses_no_acknowledged_event() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let key = hookd_async(
        dir.path(),
        &["api-key", "create", "--name", "load", "--data-dir", data],
        "",
    )
    .await;
    key.assert_success();
    let key = key.stdout.trim().to_owned();
    let hook = Hook::always(Reply::status(200).delay(Duration::from_millis(20))).await;
    let mut server = Server::start(dir.path(), data).await;
    let api = ApiClient::new(&server.url, Some(&key));
    api.post(
        "/api/v1/event-types",
        &json!({"name": "load.tick"}),
        StatusCode::CREATED,
    )
    .await;
    api.post(
        "/api/v1/webhooks",
        &json!({"url": hook.url(), "events": ["*"]}),
        StatusCode::CREATED,
    )
    .await;

    // Act: concurrent senders; kill -9 while they are still sending and deliveries are flowing.
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut senders = vec![];
    for worker in 0..4 {
        let acked = acked.clone();
        let url = format!("{}/api/v1/events", server.url);
        let key = key.clone();
        senders.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for i in 0.. {
                let resp = http
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&json!({"type": "load.tick", "data": {"worker": worker, "i": i}}))
                    .send()
                    .await;
                let Ok(resp) = resp else { break };
                if resp.status() != StatusCode::ACCEPTED {
                    break;
                }
                let Ok(body) = resp.json::<serde_json::Value>().await else {
                    break; // killed between the status line and the body: not an acknowledgement
                };
                acked
                    .lock()
                    .unwrap()
                    .push(body["id"].as_str().unwrap().to_owned());
            }
        }));
    }
    wait_until(
        Duration::from_secs(30),
        "200 events acknowledged and some delivered",
        || async { (acked.lock().unwrap().len() >= 200 && hook.hits().len() >= 20).then_some(()) },
    )
    .await;
    server.kill();
    for s in senders {
        s.await.unwrap();
    }
    let acked: BTreeSet<String> = acked.lock().unwrap().iter().cloned().collect();
    let before_restart: BTreeSet<String> = hook
        .hits()
        .iter()
        .map(|h| h.header("webhook-id").to_owned())
        .collect();

    // Assert: after a restart every acknowledged event arrives.
    let _server = Server::start(dir.path(), data).await;
    let got = wait_until(
        Duration::from_secs(30),
        "every acknowledged event was delivered after the restart",
        || async {
            let got: BTreeSet<String> = hook
                .hits()
                .iter()
                .map(|h| h.header("webhook-id").to_owned())
                .collect();
            acked.is_subset(&got).then_some(got)
        },
    )
    .await;
    assert!(
        acked.len() >= 200,
        "acknowledged {} events before the kill",
        acked.len()
    );
    assert!(
        before_restart.len() < acked.len(),
        "the kill should leave work for the restart ({} delivered of {})",
        before_restart.len(),
        acked.len()
    );
    assert!(got.len() >= acked.len());
}
