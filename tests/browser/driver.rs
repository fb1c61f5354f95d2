//! Starts chromedriver on a free port for one test and drives Debian's headless Chromium.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;
use thirtyfour::prelude::*;

use crate::support::wait_until;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A headless Chromium session; `quit` ends it cleanly.
pub struct Browser {
    driver: Option<WebDriver>,
    chromedriver: Chromedriver,
    /// A fresh profile per test, removed afterwards.
    _profile: TempDir,
}

impl Browser {
    /// Starts a browser. Tests that call it are `#[cfg_attr(not(has_chromium), ignore = …)]`
    /// (build.rs looks for Chromium), so a browser missing here is a failure, never a skip; the
    /// `Option` stays so that callers' `let Some(browser) = … else` reads the same.
    pub async fn start_or_skip() -> Option<Browser> {
        Browser::start_in_zone_or_skip(None).await
    }

    /// As `start_or_skip`, with the browser's time zone set (`TZ`, e.g. `Asia/Kolkata`).
    pub async fn start_in_zone_or_skip(zone: Option<&str>) -> Option<Browser> {
        let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        assert!(
            missing.is_empty(),
            "{} not found, though the build found them; install Debian's chromium and \
             chromium-driver (.ci/run does), or touch build.rs to probe again",
            missing.join(" and ")
        );
        Some(Browser::start(zone).await)
    }

    async fn start(zone: Option<&str>) -> Browser {
        let port = free_port();
        let mut command = Command::new(CHROMEDRIVER);
        if let Some(zone) = zone {
            // Chromium, started by chromedriver, inherits it.
            command.env("TZ", zone);
        }
        let chromedriver = command
            .arg(format!("--port={port}"))
            // Its own process group, so Chromium goes down with it even if a test panics
            // before `quit`.
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(Chromedriver)
            .expect("chromedriver starts");
        let server = format!("http://127.0.0.1:{port}");
        let ready = reqwest::Client::new();
        let status_url = format!("{server}/status");
        let started = tokio::time::timeout(
            Duration::from_secs(30),
            wait_until(Duration::from_secs(30), "chromedriver is ready", || async {
                let resp = ready.get(&status_url).send().await.ok()?;
                resp.status().is_success().then_some(())
            }),
        )
        .await;
        assert!(started.is_ok(), "chromedriver did not become ready");

        let profile = tempfile::tempdir().expect("browser profile dir");
        let mut caps = DesiredCapabilities::chrome();
        let setup = (|| -> WebDriverResult<()> {
            caps.set_binary(CHROMIUM)?;
            caps.set_headless()?;
            caps.set_no_sandbox()?; // CI runs as root
            caps.set_disable_gpu()?;
            // Without these Chromium keeps calling home, which this closed network refuses.
            for arg in [
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--window-size=1280,800",
            ] {
                caps.add_arg(arg)?;
            }
            caps.add_arg(&format!("--user-data-dir={}", profile.path().display()))
        })();
        setup.expect("chrome capabilities");
        let driver = WebDriver::new(&server, caps)
            .await
            .unwrap_or_else(|e| panic!("cannot start a Chromium session: {e}"));
        Browser {
            driver: Some(driver),
            chromedriver,
            _profile: profile,
        }
    }

    pub fn driver(&self) -> &WebDriver {
        self.driver.as_ref().expect("browser is running")
    }

    /// Saves a PNG of the current page to `target/screenshots/<name>`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(name);
        self.driver()
            .screenshot(&path)
            .await
            .expect("take a screenshot");
        path
    }

    /// Ends the browser session (chromedriver itself is killed on drop).
    pub async fn quit(mut self) {
        if let Some(driver) = self.driver.take() {
            driver.quit().await.expect("browser quits");
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.chromedriver.kill();
        // Only reached with a live session when the test panicked before `quit`. thirtyfour's
        // own drop would then retry DELETE /session against the dead chromedriver for two
        // minutes; the session died with it, so forget the handle instead.
        if let Some(driver) = self.driver.take() {
            std::mem::forget(driver);
        }
    }
}

/// The chromedriver process; killing it (or dropping it) kills its process group, which holds
/// the Chromium processes it started, so nothing outlives a test, even one that panicked.
struct Chromedriver(Child);

impl Chromedriver {
    fn kill(&mut self) {
        if matches!(self.0.try_wait(), Ok(Some(_))) {
            return;
        }
        // The group id is chromedriver's pid (`process_group(0)`).
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.wait();
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port that was free a moment ago (chromedriver needs a number, not a listener).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().unwrap().port()
}
