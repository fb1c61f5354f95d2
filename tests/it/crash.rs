//! Crash safety: the real binary is killed with SIGKILL while events are being accepted and
//! delivered, then restarted on the same data dir. Every event it acknowledged (202) arrives.

use std::collections::HashSet;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::bin::{command, hookd_async};
use crate::support::{Receiver, wait_until};

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve(dir: &std::path::Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = command(dir)
        .args([
            "--data-dir",
            dir.to_str().unwrap(),
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args([
            "--allow-http-targets",
            "--allow-private-targets",
            "--log-level",
            "warn",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start hookd");
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let health = format!("{}/healthz", server.url);
    wait_until(Duration::from_secs(30), "hookd answers /healthz", || {
        let (client, health) = (client.clone(), health.clone());
        async move {
            client
                .get(&health)
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success())
                .map(|_| ())
        }
    })
    .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_event_arrives_after_a_sigkill_under_load() {
    // Arrange: a data dir with an API key, an event type and an endpoint at a real receiver.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap().to_owned();
    let key = hookd_async(
        dir.path(),
        &["--data-dir", &path, "api-key", "create", "--name", "crash"],
        "",
    )
    .await
    .stdout
    .trim()
    .to_owned();
    let receiver = Receiver::start(StatusCode::OK).await;
    let mut server = serve(dir.path()).await;
    let client = reqwest::Client::new();
    let auth = format!("Bearer {key}");
    let r = client
        .post(format!("{}/api/v1/event-types", server.url))
        .header("authorization", &auth)
        .json(&json!({"name": "order.created"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = client
        .post(format!("{}/api/v1/webhooks", server.url))
        .header("authorization", &auth)
        .json(&json!({"url": format!("{}/hook", receiver.url()), "events": ["*"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // Act: 8 senders post events; after 300 acknowledgements the process is SIGKILLed.
    let acked = Arc::new(Mutex::new(HashSet::<String>::new()));
    let mut senders = vec![];
    for _ in 0..8 {
        let (client, url, auth, acked) = (
            client.clone(),
            format!("{}/api/v1/events", server.url),
            auth.clone(),
            acked.clone(),
        );
        senders.push(tokio::spawn(async move {
            for n in 0..1_000 {
                let sent = client
                    .post(&url)
                    .header("authorization", &auth)
                    .json(&json!({"type": "order.created", "data": {"n": n}}))
                    .send()
                    .await;
                let Ok(resp) = sent else { return }; // the server is gone
                if resp.status() != StatusCode::ACCEPTED {
                    return;
                }
                let Ok(body) = resp.json::<serde_json::Value>().await else {
                    return;
                };
                acked
                    .lock()
                    .unwrap()
                    .insert(body["id"].as_str().unwrap().to_owned());
            }
        }));
    }
    wait_until(Duration::from_secs(60), "300 events acknowledged", || {
        let acked = acked.clone();
        async move { (acked.lock().unwrap().len() >= 300).then_some(()) }
    })
    .await;
    server.child.kill().expect("SIGKILL hookd"); // Child::kill sends SIGKILL on Unix
    server.child.wait().unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let acknowledged = acked.lock().unwrap().clone();
    let _restarted = serve(dir.path()).await;

    // Assert: every acknowledged event id reaches the receiver (duplicates are allowed:
    // at-least-once), and each arrives with its own id as webhook-id.
    let received = wait_until(
        Duration::from_secs(60),
        "every acknowledged event delivered",
        || {
            let (receiver, acknowledged) = (&receiver, &acknowledged);
            async move {
                let ids: HashSet<String> = receiver
                    .requests()
                    .iter()
                    .filter_map(|r| r.header("webhook-id").map(str::to_owned))
                    .collect();
                acknowledged.is_subset(&ids).then_some(ids)
            }
        },
    )
    .await;
    assert!(acknowledged.len() >= 300);
    for r in receiver.requests() {
        assert_eq!(
            r.json()["id"].as_str(),
            r.header("webhook-id"),
            "body id and webhook-id agree"
        );
    }
    assert!(received.len() >= acknowledged.len());
}
