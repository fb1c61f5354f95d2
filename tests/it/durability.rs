//! "202 means on disk": with the default durability, the commit that holds an event is synced
//! to stable storage (an fsync/fdatasync of the SQLite WAL) before the event is acknowledged.
//! Checked on the real binary under `strace`, which logs every sync call as it is made, so the
//! default cannot silently go back to a setting that leaves commits in the page cache.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::delivery_kit::free_port;
use crate::support::bin::{hookd_async, program};
use crate::support::{ApiClient, wait_until};

/// Events ingested one at a time in each test.
const EVENTS: usize = 20;

#[tokio::test]
#[cfg_attr(
    not(has_strace),
    ignore = "strace is not installed: apt-get install strace"
)]
async fn by_default_every_acknowledged_event_was_synced_to_disk_before_its_202() {
    // Arrange
    let mut traced = Traced::start(&[]).await;

    // Act: one event at a time, counting the WAL syncs made while each request was open.
    let synced_during = traced.ingest_one_by_one().await;

    // Assert
    assert!(
        synced_during.iter().all(|&n| n >= 1),
        "an event was acknowledged without a sync of the WAL during its request \
         (syncs per request: {synced_during:?})"
    );
    traced.stop();
}

#[tokio::test]
#[cfg_attr(
    not(has_strace),
    ignore = "strace is not installed: apt-get install strace"
)]
async fn durability_os_acknowledges_without_syncing_each_commit() {
    // Arrange: the relaxed setting, to show the check above can tell the two apart.
    let mut traced = Traced::start(&["--durability", "os"]).await;

    // Act
    let synced_during = traced.ingest_one_by_one().await;

    // Assert
    let total: usize = synced_during.iter().sum();
    assert!(
        total < EVENTS / 2,
        "with durability = os, commits should reach the disk at checkpoints only \
         (syncs per request: {synced_during:?})"
    );
    traced.stop();
}

/// `hookd serve` running under `strace -f -y -e trace=fsync,fdatasync`, logging to a file.
struct Traced {
    child: Child,
    api: ApiClient,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Traced {
    async fn start(extra: &[&str]) -> Traced {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let data = data.to_str().unwrap().to_owned();
        let key = hookd_async(
            dir.path(),
            &["api-key", "create", "--name", "sync", "--data-dir", &data],
            "",
        )
        .await;
        key.assert_success();
        let key = key.stdout.trim().to_owned();
        let log = dir.path().join("strace.log");
        let listen = format!("127.0.0.1:{}", free_port().await);
        let child = strace_command(dir.path(), &log)
            .arg(env!("CARGO_BIN_EXE_hookd"))
            .args(["serve", "--data-dir", &data, "--listen", &listen])
            .args(["--log-level", "warn"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("strace starts");
        let url = format!("http://{listen}");
        let traced = Traced {
            child,
            api: ApiClient::new(&url, Some(&key)),
            log,
            _dir: dir,
        };
        let health = format!("{url}/healthz");
        wait_until(Duration::from_secs(60), "hookd answers /healthz", || {
            let health = health.clone();
            async move {
                let ok = reqwest::get(&health)
                    .await
                    .is_ok_and(|r| r.status() == StatusCode::OK);
                ok.then_some(())
            }
        })
        .await;
        traced
            .api
            .post(
                "/api/v1/event-types",
                &json!({"name": "sync.check"}),
                StatusCode::CREATED,
            )
            .await;
        traced
    }

    /// Ingests `EVENTS` events one after another; for each, how many WAL syncs strace logged
    /// between sending it and receiving its 202.
    async fn ingest_one_by_one(&mut self) -> Vec<usize> {
        let mut during = Vec::with_capacity(EVENTS);
        for i in 0..EVENTS {
            let before = self.wal_syncs();
            self.api
                .post(
                    "/api/v1/events",
                    &json!({"type": "sync.check", "data": {"i": i}}),
                    StatusCode::ACCEPTED,
                )
                .await;
            during.push(self.wal_syncs() - before);
        }
        during
    }

    /// Sync calls on the WAL file so far (`-y` prints each descriptor's path).
    fn wal_syncs(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("sync(") && l.contains("hookd.db-wal>"))
            .count()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Traced {
    fn drop(&mut self) {
        self.stop();
    }
}

/// strace writes each line as the call returns (`-o` to a file is unbuffered per line), so a
/// line is in the log before the server can answer the request that caused it.
fn strace_command(cwd: &Path, log: &Path) -> Command {
    let mut cmd = program("strace", cwd);
    cmd.args(["-f", "-qq", "-y", "-o"]).arg(log).args([
        "-e",
        "trace=fsync,fdatasync",
        "-e",
        "signal=none",
    ]);
    cmd
}
