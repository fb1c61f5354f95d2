//! Retention: finished deliveries, their attempts and events older than `retention_days` are
//! pruned (the job runs at start, then hourly); pending work and recent history are kept.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::delivery_kit::{Env, Hook, Reply};
use crate::support::wait_until;

#[tokio::test]
async fn old_finished_history_is_pruned_and_pending_or_recent_work_is_kept() {
    // Arrange: one delivered event, one still waiting for a retry (an hour away), one recent.
    let ok = Hook::ok().await;
    let down = Hook::always(Reply::status(500)).await;
    let env = Env::start(|cfg| {
        cfg.retry_schedule = hookd::delivery::schedule::RetrySchedule::parse("1h").unwrap();
    })
    .await;
    env.event_type("old.done").await;
    env.event_type("old.waiting").await;
    env.webhook(json!({"url": ok.url(), "events": ["old.done"]}))
        .await;
    env.webhook(json!({"url": down.url(), "events": ["old.waiting"], "retry_count": 3}))
        .await;
    let done = env.send("old.done", json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let waiting = env.send("old.waiting", json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done_dlv = env.only_delivery_id(&done).await;
    let waiting_dlv = env.only_delivery_id(&waiting).await;
    env.wait_status(&done_dlv, "succeeded").await;
    env.wait_attempts(&waiting_dlv, 1).await;
    let key = env.key.clone();
    let data = env.app.stop_keeping_data().await;

    // Make those two events and their history 40 days old.
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data.path().join("hookd.db").display()
    ))
    .await
    .unwrap();
    let days_40_ms: i64 = 40 * 24 * 3600 * 1000;
    for sql in [
        "update events set created_at = created_at - ?",
        "update deliveries set created_at = created_at - ?, updated_at = updated_at - ?",
        "update attempts set started_at = started_at - ?",
    ] {
        let mut q = sqlx::query(sql).bind(days_40_ms);
        if sql.contains("updated_at") {
            q = q.bind(days_40_ms);
        }
        q.execute(&db).await.unwrap();
    }
    db.close().await;

    // Act: restart with 30 days of retention; send one recent event.
    let env = Env::restart(data, key, |cfg| {
        cfg.retention_days = 30;
        cfg.retry_schedule = hookd::delivery::schedule::RetrySchedule::parse("1h").unwrap();
    })
    .await;
    let recent = env.send("old.done", json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Assert
    wait_until(
        Duration::from_secs(10),
        "the old event is pruned",
        || async {
            let resp = env
                .api
                .fetch_status(&format!("/api/v1/events/{done}"))
                .await;
            (resp == StatusCode::NOT_FOUND).then_some(())
        },
    )
    .await;
    env.api
        .get(
            &format!("/api/v1/deliveries/{done_dlv}"),
            StatusCode::NOT_FOUND,
        )
        .await;
    // The pending delivery (and so its event) survives.
    let still = env.delivery(&waiting_dlv).await;
    assert_eq!(still["status"], "pending");
    env.event(&waiting).await;
    env.event(&recent).await;
}
