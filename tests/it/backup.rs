//! `hookd backup --to FILE`: a consistent copy of the database taken while hookd serves, which
//! restores (with the secret key beside it) into an instance that still signs and shows history.

use serde_json::json;

use crate::delivery_kit::{Env, Hook};
use crate::delivery_signing::hmac_sha256;
use crate::support::bin::hookd_async;

#[tokio::test]
async fn a_backup_taken_while_hookd_serves_restores_history_and_secrets() {
    // Arrange: an endpoint, a delivered event, and the server still running.
    let env = Env::start(|_| {}).await;
    let hook = Hook::ok().await;
    env.event_type("order.paid").await;
    let endpoint = env
        .webhook(json!({"url": hook.url(), "events": ["*"]}))
        .await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    let before = env.send("order.paid", json!({"order": 1})).await;
    let first = env.only_delivery_id(before["id"].as_str().unwrap()).await;
    env.wait_status(&first, "succeeded").await;
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("hookd-backup.db");
    let data = env.app.data_dir().to_str().unwrap().to_owned();

    // Act
    let run = hookd_async(
        out.path(),
        &[
            "backup",
            "--to",
            file.to_str().unwrap(),
            "--data-dir",
            &data,
        ],
        "",
    )
    .await;

    // Assert: the copy is written, and it names the key that must travel with it.
    run.assert_success();
    assert!(
        run.stdout.contains("backed up the database"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("secret.key"), "{}", run.stderr);

    // Restore as README says: the copy as hookd.db beside the same secret.key.
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&file, restored.path().join("hookd.db")).unwrap();
    std::fs::copy(
        env.app.data_dir().join("secret.key"),
        restored.path().join("secret.key"),
    )
    .unwrap();
    let key = env.key.clone();
    env.app.shutdown().await;
    let env = Env::restart(restored, key, |_| {}).await;

    // The old history is there, and the stored secret still signs a new delivery.
    assert_eq!(env.delivery(&first).await["status"], "succeeded");
    let after = env.send("order.paid", json!({"order": 2})).await;
    let second = env.only_delivery_id(after["id"].as_str().unwrap()).await;
    env.wait_status(&second, "succeeded").await;
    let hit = hook.wait_for(2).await.pop().unwrap();
    let expected = hex::encode(hmac_sha256(secret.as_bytes(), &[&hit.body]));
    assert_eq!(hit.header("x-webhook-signature"), expected);
}

#[tokio::test]
async fn a_backup_never_overwrites_an_existing_file() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("taken.db");
    std::fs::write(&file, b"precious").unwrap();

    // Act
    let run = hookd_async(
        dir.path(),
        &[
            "backup",
            "--to",
            file.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ],
        "",
    )
    .await;

    // Assert
    run.assert_clean_failure();
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert_eq!(std::fs::read(&file).unwrap(), b"precious");
}
