//! When the database cannot commit (a full disk, an I/O error, a lock): ingest answers 503 with
//! `Retry-After` and never a 202 for what is not stored, `/healthz` names the cause, the
//! dashboard and the metrics say so, and hookd recovers by itself once commits succeed again,
//! delivering every acknowledged event. The commit-fault hook drives the state machine
//! precisely; a small tmpfs data dir fills for real.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use hookd::config::CommitFaults;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::net::TcpListener;

use crate::delivery_kit::{Env, Hook, SOON};
use crate::support::wait_until;

/// An app whose commits fail while `faults` is armed, with `invoice.paid` sent to `hook`.
async fn env_with(faults: &CommitFaults, hook_url: &str) -> Env {
    let faults = faults.clone();
    let env = Env::start(move |cfg| cfg.commit_faults = faults).await;
    env.event_type("invoice.paid").await;
    env.webhook(json!({ "url": hook_url, "events": ["invoice.paid"] }))
        .await;
    env
}

/// POSTs an event; returns the status, `Retry-After` and body.
async fn post_event(env: &Env, n: u32) -> (StatusCode, Option<String>, Value) {
    let resp = env
        .api
        .request(reqwest::Method::POST, "/api/v1/events")
        .json(&json!({ "type": "invoice.paid", "data": { "n": n } }))
        .send()
        .await
        .expect("ingest answers");
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, retry_after, body)
}

async fn healthz(env: &Env) -> (StatusCode, Value) {
    let resp = reqwest::get(format!("{}/healthz", env.app.url()))
        .await
        .expect("healthz answers");
    (resp.status(), resp.json().await.expect("healthz is JSON"))
}

fn gauge(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// The `webhook-id`s the hook received.
fn received_ids(hook: &Hook) -> BTreeSet<String> {
    hook.hits()
        .iter()
        .map(|h| h.header("webhook-id").to_owned())
        .collect()
}

#[tokio::test]
async fn while_commits_fail_ingest_is_503_with_retry_after_health_names_the_cause_and_hookd_recovers_by_itself()
 {
    // Arrange
    let faults = CommitFaults::default();
    let hook = Hook::ok().await;
    let env = env_with(&faults, hook.url()).await;
    let endpoint = env.api.get("/api/v1/webhooks", StatusCode::OK).await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = env
        .app
        .login(crate::support::ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
        .await;
    let before = env.send("invoice.paid", json!({ "n": 1 })).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    hook.wait_for(1).await;

    // Act: every commit fails from now on.
    faults.fail_next(u32::MAX);
    let (status, retry_after, body) = post_event(&env, 2).await;

    // Assert: refused, not acknowledged; the store says why everywhere.
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
    let secs: u64 = retry_after.expect("a Retry-After header").parse().unwrap();
    assert!(secs >= 1);
    let (status, health) = healthz(&env).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{health}");
    assert_eq!(health["status"], "failing");
    assert!(
        health["cause"].as_str().unwrap().contains("disk is full"),
        "{health}"
    );
    let metrics = env.metrics().await;
    assert_eq!(
        gauge(&metrics, "hookd_store_failing"),
        Some(1.0),
        "{metrics}"
    );
    assert!(gauge(&metrics, "hookd_store_commit_failures_total").unwrap_or(0.0) >= 1.0);
    let page = admin.page("/").await;
    assert!(
        page.body.contains("hookd cannot write to its database"),
        "no banner on the overview:\n{}",
        page.body
    );
    let refused = admin
        .submit(
            &format!("/webhooks/{endpoint}/test"),
            &[("event_type", "invoice.paid"), ("payload", "{}")],
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .await;
    assert!(
        refused.header("retry-after").is_some(),
        "a dashboard 503 has Retry-After too"
    );
    assert!(
        refused.body.contains("Try again shortly"),
        "{}",
        refused.body
    );

    // Act: commits succeed again; nobody sends anything.
    faults.clear();

    // Assert: healthy by itself, within seconds.
    wait_until(SOON, "healthz is 200 again", || async {
        (healthz(&env).await.0 == StatusCode::OK).then_some(())
    })
    .await;
    let metrics = env.metrics().await;
    assert_eq!(
        gauge(&metrics, "hookd_store_failing"),
        Some(0.0),
        "{metrics}"
    );
    assert!(
        !admin
            .page("/")
            .await
            .body
            .contains("hookd cannot write to its database")
    );
    let after = env.send("invoice.paid", json!({ "n": 3 })).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    hook.wait_for(2).await;
    let expected: BTreeSet<String> = [before, after].into();
    assert_eq!(
        received_ids(&hook),
        expected,
        "exactly the acknowledged events arrive; the refused one was never stored"
    );
}

#[tokio::test]
async fn an_attempt_whose_outcome_cannot_be_committed_is_recorded_once_commits_succeed() {
    // Arrange: a receiver that makes the next few commits fail as it answers, so the commit
    // that records this attempt's outcome is among them.
    let faults = CommitFaults::default();
    let hits = Arc::new(Mutex::new(0u32));
    let url = {
        let (faults, hits) = (faults.clone(), hits.clone());
        let app = axum::Router::new().fallback(move || {
            let (faults, hits) = (faults.clone(), hits.clone());
            async move {
                *hits.lock().unwrap() += 1;
                faults.fail_next(4);
                "ok"
            }
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    };
    let env = env_with(&faults, &url).await;

    // Act
    let event = env.send("invoice.paid", json!({ "n": 1 })).await;
    let delivery = env.only_delivery_id(event["id"].as_str().unwrap()).await;

    // Assert: the failed commits happened, the store recovered by itself, and the attempt
    // made meanwhile is recorded (not lost, not left claimed for ever).
    wait_until(SOON, "every injected fault is used up", || async {
        (faults.remaining() == 0).then_some(())
    })
    .await;
    let done = env.wait_status(&delivery, "succeeded").await;
    assert_eq!(crate::delivery_kit::attempts(&done).len(), 1, "{done}");
    assert_eq!(*hits.lock().unwrap(), 1, "the attempt is not repeated");
    assert_eq!(healthz(&env).await.0, StatusCode::OK);
}

/// A tmpfs mounted on a temp dir for as long as it lives (root only).
struct Tmpfs {
    dir: TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: the app's files may still be open while it shuts down.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Writes zeros to `path` until the filesystem is full.
fn fill(path: &PathBuf) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).expect("filler file");
    let chunk = vec![0u8; 64 * 1024];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
}

#[tokio::test]
async fn a_full_disk_refuses_events_with_503_and_hookd_delivers_every_acknowledged_one_once_space_returns()
 {
    let fs = match Tmpfs::mount("16m") {
        Ok(fs) => fs,
        Err(why) => {
            eprintln!("SKIPPED: this test mounts a small tmpfs and needs root ({why})");
            return;
        }
    };
    // Arrange
    let hook = Hook::ok().await;
    let data = tempfile::tempdir_in(fs.path()).unwrap();
    let env = Env::start_in(data, |_| {}).await;
    env.event_type("invoice.paid").await;
    env.webhook(json!({ "url": hook.url(), "events": ["invoice.paid"] }))
        .await;
    let mut acknowledged = BTreeSet::new();
    let first = env.send("invoice.paid", json!({ "n": 0 })).await;
    acknowledged.insert(first["id"].as_str().unwrap().to_owned());
    let filler = fs.path().join("filler");

    // Act: the disk fills up; events keep coming until hookd refuses one.
    fill(&filler);
    let mut refused = None;
    for n in 1..5000 {
        let (status, retry_after, body) = post_event(&env, n).await;
        match status {
            StatusCode::ACCEPTED => {
                acknowledged.insert(body["id"].as_str().unwrap().to_owned());
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                refused = Some(retry_after);
                break;
            }
            other => panic!("ingest on a full disk answered {other}: {body}"),
        }
    }

    // Assert: refused with Retry-After; health names the cause.
    let retry_after = refused.expect("a full disk refuses an event");
    assert!(retry_after.is_some(), "503 without Retry-After");
    let (status, health) = healthz(&env).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{health}");
    assert!(
        health["cause"].as_str().unwrap().contains("full"),
        "{health}"
    );

    // Act: space returns.
    std::fs::remove_file(&filler).unwrap();

    // Assert: recovered by itself; everything acknowledged is delivered (at least once, with
    // its own webhook-id); new events are accepted and delivered.
    wait_until(SOON, "healthz is 200 after space returns", || async {
        (healthz(&env).await.0 == StatusCode::OK).then_some(())
    })
    .await;
    let last = env.send("invoice.paid", json!({ "n": "after" })).await;
    acknowledged.insert(last["id"].as_str().unwrap().to_owned());
    wait_until(
        SOON,
        &format!(
            "all {} acknowledged events are delivered",
            acknowledged.len()
        ),
        || async { received_ids(&hook).is_superset(&acknowledged).then_some(()) },
    )
    .await;
    env.app.shutdown().await;
    drop(fs);
}
