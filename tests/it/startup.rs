//! Starting the real `hookd` binary: clear errors for bad data dirs and settings, the
//! first-run setup link, and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::support::bin::{CLI_TIMEOUT, command, hookd, wait_with_deadline};

#[test]
fn unwritable_data_dir_fails_with_a_message_naming_data_dir() {
    // Arrange: a data dir under a regular file can be created by nobody, root included.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let data = file.join("data");
    let data = data.to_str().unwrap();

    for args in [
        vec!["migrate", "--data-dir", data],
        vec!["serve", "--listen", "127.0.0.1:0", "--data-dir", data],
        vec!["--listen", "127.0.0.1:0", "--data-dir", data],
        vec!["user", "list", "--data-dir", data],
    ] {
        // Act
        let run = hookd(dir.path(), &args, "");

        // Assert
        run.assert_clean_failure();
        assert!(run.stderr.contains("data_dir"), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(data),
            "{args:?}: names the path: {}",
            run.stderr
        );
    }
}

#[tokio::test]
async fn app_start_on_an_unwritable_data_dir_returns_an_error_naming_data_dir() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let config = hookd::Config {
        data_dir: file.join("data"),
        ..hookd::Config::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();

    // Act
    let result = hookd::App::start(config, listener).await;

    // Assert
    let err = format!("{:#}", result.err().expect("start fails"));
    assert!(err.contains("data_dir"), "{err}");
}

#[test]
fn config_file_with_an_unknown_key_is_refused_naming_the_key() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hookd.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nretention_dayz = 7\n").unwrap();
    let data = dir.path().join("data");

    // Act
    let run = hookd(
        dir.path(),
        &[
            "--config",
            config.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
            "migrate",
        ],
        "",
    );

    // Assert
    run.assert_clean_failure();
    assert!(run.stderr.contains("retention_dayz"), "{}", run.stderr);
    assert!(
        run.stderr.contains("hookd.toml"),
        "names the file: {}",
        run.stderr
    );
    assert!(!data.exists(), "nothing was created");
}

#[test]
fn config_file_settings_apply_and_flags_override_them() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let from_file = dir.path().join("from-file");
    let from_flag = dir.path().join("from-flag");
    let config = dir.path().join("hookd.toml");
    std::fs::write(
        &config,
        format!("data_dir = {:?}\n", from_file.to_str().unwrap()),
    )
    .unwrap();
    let config = config.to_str().unwrap();

    // Act
    let file_only = hookd(dir.path(), &["--config", config, "migrate"], "");
    let flag_wins = hookd(
        dir.path(),
        &[
            "--config",
            config,
            "migrate",
            "--data-dir",
            from_flag.to_str().unwrap(),
        ],
        "",
    );

    // Assert
    file_only.assert_success();
    assert!(from_file.join("hookd.db").exists());
    flag_wins.assert_success();
    assert!(from_flag.join("hookd.db").exists());
}

#[test]
fn invalid_setting_value_is_refused_naming_the_key() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    // Act
    let run = hookd(
        dir.path(),
        &[
            "migrate",
            "--retention-days",
            "0",
            "--data-dir",
            data.to_str().unwrap(),
        ],
        "",
    );

    // Assert
    run.assert_clean_failure();
    assert!(run.stderr.contains("retention_days"), "{}", run.stderr);
}

#[test]
fn serve_on_defaults_prints_a_setup_link_that_works_and_stops_cleanly_on_sigterm() {
    // Arrange: an empty folder, as after copying the binary alone.
    let dir = tempfile::tempdir().unwrap();
    let mut child = command(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hookd starts");
    let (lines_tx, lines) = mpsc::channel();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });

    // Act
    let deadline = Instant::now() + CLI_TIMEOUT;
    let setup_url = loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("no setup URL in hookd's log")
            });
        if let Some(at) = line.find("http://")
            && line.contains("/setup?token=")
        {
            break line[at..].split_whitespace().next().unwrap().to_owned();
        }
    };
    let page = blocking_get(&setup_url);
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    let status = wait_with_deadline(&mut child, Duration::from_secs(15), &["serve"]);

    // Assert
    assert!(page.contains("Create the first admin"), "{page}");
    assert!(term.success());
    assert!(status.success(), "exit after SIGTERM: {status}");
    assert!(
        dir.path().join("hookd-data").join("hookd.db").exists(),
        "default data dir used"
    );
}

/// A GET from a synchronous test.
fn blocking_get(url: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let resp = reqwest::get(url).await.expect("GET reaches hookd");
        assert_eq!(resp.status(), StatusCode::OK);
        resp.text().await.unwrap()
    })
}

#[test]
fn bad_wire_settings_are_refused_at_start_naming_the_key() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let config = dir.path().join("hookd.toml");
    std::fs::write(
        &config,
        "body_type_field = \"event\"\nbody_data_field = \"event\"\n",
    )
    .unwrap();

    // Act: a flag, an environment variable and a file key
    let flag = hookd(
        dir.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data,
            "--signature-header",
            "Transfer-Encoding",
        ],
        "",
    );
    let env = command(dir.path())
        .args(["migrate", "--data-dir", data])
        .env("HOOKD_ID_HEADER", "X Webhook Id")
        .stdin(Stdio::null())
        .output()
        .expect("hookd runs");
    let file = hookd(
        dir.path(),
        &[
            "--config",
            config.to_str().unwrap(),
            "migrate",
            "--data-dir",
            data,
        ],
        "",
    );

    // Assert
    flag.assert_clean_failure();
    assert!(
        flag.stderr
            .contains("signature_header: Transfer-Encoding is reserved"),
        "{}",
        flag.stderr
    );
    let env_err = String::from_utf8_lossy(&env.stderr);
    assert_eq!(env.status.code(), Some(1), "{env_err}");
    assert!(env_err.contains("id_header:"), "{env_err}");
    file.assert_clean_failure();
    assert!(
        file.stderr.contains("body_data_field:") && file.stderr.contains("body_type_field"),
        "{}",
        file.stderr
    );
    assert!(!std::path::Path::new(data).exists(), "nothing was created");
}
