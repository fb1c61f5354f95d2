//! Idle and slow clients cannot hold connections (or file descriptors) for ever: slow headers
//! and idle keep-alive connections are closed after their timeouts, and with more idle
//! connections than the open-file soft limit a new client is still served.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::TestApp;
use crate::support::bin::{CLI_TIMEOUT, hookd, program};

/// Longest a test waits for a connection to be closed. A correctness bound (the connection
/// must close at all), not a speed assertion: the timeouts under test are 1 s.
const CLOSE_BOUND: Duration = Duration::from_secs(10);

/// Reads until the server closes the connection; returns when that happened.
async fn closed_by_server(stream: &mut TcpStream) -> Instant {
    let mut buf = [0u8; 4096];
    tokio::time::timeout(CLOSE_BOUND, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return Instant::now(),
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("the server closes the connection")
}

/// The connection lived out its 1 s timeout (printed: these are the measured lifetimes).
fn assert_closed_by_the_1s_timeout(what: &str, lived: Duration) {
    eprintln!("{what} closed after {lived:?}");
    assert!(
        lived >= Duration::from_millis(900),
        "{what} closed early: {lived:?}"
    );
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected_after_the_header_read_timeout() {
    // Arrange
    let app = TestApp::spawn_with(|c| {
        c.header_read_timeout = Duration::from_secs(1);
        c.idle_timeout = Duration::from_secs(60);
    })
    .await;
    let mut stream = TcpStream::connect(app.url().trim_start_matches("http://"))
        .await
        .unwrap();

    // Act: a slowloris client sends part of a request, then nothing.
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: hookd\r\nX-Slow: ")
        .await
        .unwrap();
    let sent = Instant::now();
    let closed = closed_by_server(&mut stream).await;

    // Assert: closed by the 1 s header timeout, not the 60 s idle one.
    assert_closed_by_the_1s_timeout("slow-header connection", closed - sent);
    app.shutdown().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    // Arrange: the header timeout is far longer, so only the idle timeout can close it.
    let app = TestApp::spawn_with(|c| {
        c.header_read_timeout = Duration::from_secs(60);
        c.idle_timeout = Duration::from_secs(1);
    })
    .await;
    let (mut stream, answered) = one_kept_alive_request(&app).await;

    // Act: the client keeps the connection and sends nothing more.
    let closed = closed_by_server(&mut stream).await;

    // Assert
    assert_closed_by_the_1s_timeout("idle keep-alive connection", closed - answered);
    app.shutdown().await;
}

#[tokio::test]
async fn a_kept_alive_connection_waiting_for_its_next_request_is_closed_after_the_header_read_timeout()
 {
    // Arrange: hyper's header timer also runs while an HTTP/1 connection waits for the next
    // request, so the shorter of the two timeouts closes it (as the README says).
    let app = TestApp::spawn_with(|c| {
        c.header_read_timeout = Duration::from_secs(1);
        c.idle_timeout = Duration::from_secs(60);
    })
    .await;
    let (mut stream, answered) = one_kept_alive_request(&app).await;

    // Act
    let closed = closed_by_server(&mut stream).await;

    // Assert
    assert_closed_by_the_1s_timeout(
        "kept-alive connection waiting for a request",
        closed - answered,
    );
    app.shutdown().await;
}

/// Sends one keep-alive request to /healthz and reads the response head; returns the open
/// connection and when the answer came.
async fn one_kept_alive_request(app: &TestApp) -> (TcpStream, Instant) {
    let mut stream = TcpStream::connect(app.url().trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: hookd\r\n\r\n")
        .await
        .unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the connection stays open after the response");
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    (stream, Instant::now())
}

/// How many idle connections the test opens: more than the 1,024 soft limit hookd starts under.
const IDLE_CONNECTIONS: usize = 1_100;

#[tokio::test]
async fn healthz_answers_while_more_idle_connections_are_open_than_the_soft_open_file_limit() {
    // Arrange: hookd under a 1,024 soft limit, with timeouts too long to help; the test itself
    // needs more than 1,100 descriptors.
    rlimit::increase_nofile_limit(4096).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let addr = server.addr.clone();
    let mut idle = Vec::with_capacity(IDLE_CONNECTIONS);
    for _ in 0..IDLE_CONNECTIONS {
        idle.push(TcpStream::connect(&addr).await.expect("connect"));
    }

    // Act
    let asked = Instant::now();
    let health = reqwest::Client::new()
        .get(format!("http://{addr}/healthz"))
        .timeout(Duration::from_secs(5)) // a correctness bound, not a speed assertion
        .send()
        .await;
    let took = asked.elapsed();

    // Assert
    eprintln!("healthz with {IDLE_CONNECTIONS} idle connections open answered in {took:?}");
    let health = health.expect("healthz answers with 1,100 idle connections open");
    assert_eq!(health.status(), StatusCode::OK);
    drop(idle);
    let log = server.stop();
    assert!(log.contains("open-file limit"), "{log}");
    assert!(!log.contains("Too many open files"), "{log}");
}

/// The real binary started by `sh` under `ulimit -Sn 1024`; its log is collected.
struct Server {
    child: Child,
    addr: String,
    lines: mpsc::Receiver<String>,
    log: String,
}

impl Server {
    fn start(dir: &std::path::Path) -> Server {
        let mut child = program("sh", dir)
            .arg("-c")
            .arg(r#"ulimit -Sn 1024 && exec "$0" serve "$@""#)
            .arg(env!("CARGO_BIN_EXE_hookd"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--header-read-timeout-seconds",
                "600",
                "--idle-timeout-seconds",
                "600",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sh starts");
        let (tx, lines) = mpsc::channel();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut server = Server {
            child,
            addr: String::new(),
            lines,
            log: String::new(),
        };
        let deadline = Instant::now() + CLI_TIMEOUT;
        while server.addr.is_empty() {
            let line = server
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("hookd did not start:\n{}", server.log));
            if line.contains("listening")
                && let Some(at) = line.find("addr=")
            {
                server.addr = line[at + 5..].split_whitespace().next().unwrap().to_owned();
            }
            server.log.push_str(&line);
            server.log.push('\n');
        }
        server
    }

    /// Stops hookd and returns its whole log.
    fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.log.push_str(&line);
            self.log.push('\n');
        }
        std::mem::take(&mut self.log)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn connection_settings_are_in_help_and_bad_values_are_refused_naming_the_key() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();

    // Act
    let help = hookd(dir.path(), &["serve", "--help"], "");
    let refused: Vec<_> = [
        (
            "--header-read-timeout-seconds",
            "0",
            "header_read_timeout_seconds",
        ),
        ("--idle-timeout-seconds", "0", "idle_timeout_seconds"),
        ("--max-connections", "0", "max_connections"),
    ]
    .into_iter()
    .map(|(flag, value, key)| {
        (
            key,
            hookd(
                dir.path(),
                &["migrate", "--data-dir", data, flag, value],
                "",
            ),
        )
    })
    .collect();

    // Assert
    help.assert_success();
    for flag in [
        "--header-read-timeout-seconds",
        "--idle-timeout-seconds",
        "--max-connections",
    ] {
        assert!(
            help.stdout.contains(flag),
            "{flag} in --help:\n{}",
            help.stdout
        );
    }
    assert!(help.stdout.contains("[default: 1024]"), "{}", help.stdout);
    for (key, run) in refused {
        run.assert_clean_failure();
        assert!(run.stderr.contains(key), "{key}: {}", run.stderr);
    }
}
