//! An endpoint's deliveries: filtered by status and event type, and summarised in its stats.

use reqwest::StatusCode;
use serde_json::json;

use super::{one_endpoint, send_one};
use crate::delivery_kit::{Hook, Reply};

#[tokio::test]
async fn the_deliveries_of_an_endpoint_can_be_filtered_by_status_and_type() {
    // Arrange
    let hook = Hook::scripted(vec![Reply::status(500)], Reply::status(200)).await;
    let (env, wh) = one_endpoint(hook.url(), json!({"retry_count": 0})).await;
    let (_, failed) = send_one(&env).await;
    env.wait_status(&failed, "failed").await;
    let (_, ok) = send_one(&env).await;
    env.wait_status(&ok, "succeeded").await;

    // Act
    let list = |q: &'static str| {
        let env = &env;
        let wh = wh.clone();
        async move {
            env.api
                .get(
                    &format!("/api/v1/webhooks/{wh}/deliveries{q}"),
                    StatusCode::OK,
                )
                .await["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };

    // Assert
    assert_eq!(list("?status=failed").await, vec![failed.clone()]);
    assert_eq!(list("?status=succeeded").await, vec![ok.clone()]);
    assert_eq!(list("?event_type=thing.happened").await.len(), 2);
    assert!(list("?event_type=other.type").await.is_empty());
    let endpoint = env.endpoint(&wh).await;
    for window in ["last_24h", "last_30d"] {
        let w = &endpoint["stats"][window];
        assert_eq!(w["succeeded"], 1, "{window}: {endpoint}");
        assert_eq!(w["failed"], 1, "{window}: {endpoint}");
        assert!(w["avg_response_ms"].is_number(), "{window}: {endpoint}");
        assert!(w["p95_response_ms"].is_number(), "{window}: {endpoint}");
    }
}
