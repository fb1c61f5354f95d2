//! Running the real `hookd` binary from this build, with a deadline, off the async runtime
//! when an app under test shares it.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Longest any one CLI command may take before the test fails.
pub const CLI_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn assert_success(&self) -> &Self {
        assert!(
            self.status.success(),
            "hookd failed ({}):\n{}",
            self.status,
            self.stderr
        );
        self
    }
    pub fn assert_clean_failure(&self) -> &Self {
        assert!(
            !self.status.success(),
            "hookd succeeded unexpectedly:\n{}",
            self.stdout
        );
        assert_eq!(self.status.code(), Some(1), "exit code: {}", self.status);
        assert!(
            !self.stderr.contains("panicked"),
            "hookd panicked:\n{}",
            self.stderr
        );
        self
    }
}

/// `hookd` from this build, in `cwd`, with no `HOOKD_…` variables inherited.
pub fn command(cwd: &Path) -> Command {
    program(env!("CARGO_BIN_EXE_hookd"), cwd)
}

/// `program` in `cwd` without the `HOOKD_…` variables of the test's environment (e.g. a tracer
/// that starts hookd).
pub fn program(program: &str, cwd: &Path) -> Command {
    let mut cmd = Command::new(program);
    for (name, _) in std::env::vars() {
        if name.starts_with("HOOKD_") || name == "RUST_LOG" {
            cmd.env_remove(name);
        }
    }
    cmd.current_dir(cwd);
    cmd
}

/// Runs `hookd args…` with `stdin`, waiting at most `CLI_TIMEOUT`.
pub fn hookd(cwd: &Path, args: &[&str], stdin: &str) -> Run {
    let mut child = command(cwd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hookd starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let stdout = read_all(child.stdout.take().unwrap());
    let stderr = read_all(child.stderr.take().unwrap());
    let status = wait_with_deadline(&mut child, CLI_TIMEOUT, args);
    Run {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// The same, off the async runtime (the app under test runs on it).
pub async fn hookd_async(cwd: &Path, args: &[&str], stdin: &str) -> Run {
    let (cwd, stdin) = (cwd.to_owned(), stdin.to_owned());
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        hookd(&cwd, &args, &stdin)
    })
    .await
    .unwrap()
}

fn read_all(mut r: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut s = String::new();
        let _ = r.read_to_string(&mut s);
        s
    })
}

pub fn wait_with_deadline(child: &mut Child, timeout: Duration, what: &[&str]) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("wait for hookd") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("hookd {what:?} still running after {timeout:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}
