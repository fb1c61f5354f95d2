//! Graceful shutdown: accepted events are delivered or left pending (never stuck "in flight"),
//! and a restart on the same data dir delivers the rest, with the same `webhook-id`s.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::delivery_kit::{Env, Hook, Reply};
use crate::support::wait_until;

#[tokio::test]
async fn shutdown_leaves_nothing_in_flight_and_a_restart_delivers_the_rest() {
    // Arrange: a slow receiver, one attempt at a time, so most events are still queued.
    let hook = Hook::always(Reply::status(200).delay(Duration::from_millis(200))).await;
    let env = Env::start(|cfg| cfg.endpoint_concurrency = 1).await;
    env.event_type("job.done").await;
    let wh = env
        .webhook(json!({"url": hook.url(), "events": ["job.done"]}))
        .await;
    let wh = wh["id"].as_str().unwrap().to_owned();
    let mut ids = BTreeSet::new();
    for i in 0..15 {
        let ack = env.send("job.done", json!({"i": i})).await;
        ids.insert(ack["id"].as_str().unwrap().to_owned());
    }
    hook.wait_for(1).await;

    // Act
    let key = env.key.clone();
    let data = env.app.stop_keeping_data().await;

    // Assert: every delivery is succeeded or pending, and none is claimed.
    let db_path = data.path().join("hookd.db");
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", db_path.display()))
        .await
        .expect("open the stopped app's database");
    let rows: Vec<(String, Option<i64>)> =
        sqlx::query_as("select status, claimed_at from deliveries")
            .fetch_all(&db)
            .await
            .unwrap();
    db.close().await;
    assert_eq!(rows.len(), 15);
    assert!(
        rows.iter().all(|(_, claimed)| claimed.is_none()),
        "deliveries left claimed after a graceful shutdown: {rows:?}"
    );
    assert!(
        rows.iter().all(|(s, _)| s == "succeeded" || s == "pending"),
        "{rows:?}"
    );
    let pending_at_stop = rows.iter().filter(|(s, _)| s == "pending").count();
    assert!(
        pending_at_stop > 0,
        "the test needs work left over at shutdown"
    );
    let delivered_at_stop = hook.hits().len();
    assert_eq!(
        delivered_at_stop,
        15 - pending_at_stop,
        "every attempt that reached the receiver was recorded before exit"
    );

    // Act: start again on the same data dir.
    let env = Env::restart(data, key, |_| {}).await;

    // Assert: the rest arrives; every accepted event at least once, nothing lost.
    let hits = hook.wait_for(15).await;
    let got: BTreeSet<String> = hits
        .iter()
        .map(|h| h.header("webhook-id").to_owned())
        .collect();
    assert_eq!(got, ids, "every acknowledged event arrives");
    wait_until(
        Duration::from_secs(10),
        "all deliveries succeeded",
        || async {
            let page = env
                .api
                .get(
                    &format!("/api/v1/webhooks/{wh}/deliveries?status=succeeded&limit=100"),
                    StatusCode::OK,
                )
                .await;
            (page["data"].as_array().unwrap().len() == 15).then_some(())
        },
    )
    .await;
    env.app.shutdown().await;
}
