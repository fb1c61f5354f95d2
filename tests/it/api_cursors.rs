//! Every list checks its cursor the same way: only a `next_cursor` that list handed out is
//! accepted; anything else (garbage, a long run of `A`s, another list's id) is 422.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::json;

use crate::delivery_kit::{Env, Hook};

#[tokio::test]
async fn every_list_refuses_a_cursor_it_did_not_hand_out() {
    // Arrange: two of everything, so each list has a second page.
    let env = Env::start(|_| {}).await;
    let hook = Hook::ok().await;
    env.event_type("a.one").await;
    env.event_type("a.two").await;
    let endpoint = env
        .webhook(json!({"url": hook.url(), "events": ["*"]}))
        .await;
    env.webhook(json!({"url": hook.url(), "events": ["*"]}))
        .await;
    env.send("a.one", json!({})).await;
    env.send("a.one", json!({})).await;
    let id = endpoint["id"].as_str().unwrap();
    let lists = [
        "/api/v1/webhooks".to_owned(),
        format!("/api/v1/webhooks/{id}/deliveries"),
        "/api/v1/events".to_owned(),
        "/api/v1/event-types".to_owned(),
    ];
    let mut handed_out = vec![];
    for list in &lists {
        let first = env
            .api
            .get(&format!("{list}?limit=1"), StatusCode::OK)
            .await;
        let cursor = first["next_cursor"].as_str().expect("a second page");
        handed_out.push(cursor.to_owned());
    }

    for (i, list) in lists.iter().enumerate() {
        // Act + Assert: its own cursor works…
        let next = env
            .api
            .get(
                &format!("{list}?limit=1&cursor={}", handed_out[i]),
                StatusCode::OK,
            )
            .await;
        assert_eq!(next["data"].as_array().unwrap().len(), 1, "{list}");
        // …and nothing else does.
        let mut foreign = vec![
            "A".repeat(3000),
            "!!".to_owned(),
            URL_SAFE_NO_PAD.encode("not-a-key"),
        ];
        // The id-keyed lists also refuse each other's cursors (an event-type name has no
        // prefix to tell it apart, so that list is left out of this one).
        if i < 3 {
            foreign.push(handed_out[(i + 1) % 3].clone());
        }
        for cursor in foreign {
            let refused = env
                .api
                .get(
                    &format!("{list}?cursor={cursor}"),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            assert!(
                refused["error"]["details"]["cursor"].is_string(),
                "{list} with cursor {cursor:.20}…: {refused}"
            );
        }
    }
}
