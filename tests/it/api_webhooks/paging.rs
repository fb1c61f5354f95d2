//! Listing webhooks: newest first, in pages of 25 by default, with a cursor.

use reqwest::StatusCode;
use serde_json::Value;

use super::{app_with_catalog, assert_error, create, id_of, ids, minimal};

#[tokio::test]
async fn webhooks_page_newest_first_with_a_cursor() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    let mut made = Vec::new();
    for i in 0..3 {
        let c = create(&api, minimal(&format!("https://example.com/{i}"))).await;
        made.push(id_of(&c));
    }
    let first = api.get("/api/v1/webhooks?limit=2", StatusCode::OK).await;
    assert_eq!(ids(&first), [made[2].clone(), made[1].clone()]);
    let cursor = first["next_cursor"].as_str().expect("a next cursor");
    let second = api
        .get(
            &format!("/api/v1/webhooks?limit=2&cursor={cursor}"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(ids(&second), [made[0].clone()]);
    assert_eq!(second["next_cursor"], Value::Null);

    let exact = api.get("/api/v1/webhooks?limit=3", StatusCode::OK).await;
    assert_eq!(ids(&exact).len(), 3);
    assert_eq!(exact["next_cursor"], Value::Null);

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=garbage", "cursor"),
        ("cursor=", "cursor"),
    ] {
        let body = api
            .get(
                &format!("/api/v1/webhooks?{query}"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert!(
            body["error"]["details"][field].is_string(),
            "{query}: {body}"
        );
    }
    for query in ["limit=-1", "limit=abc", "colour=red"] {
        let body = api
            .get(
                &format!("/api/v1/webhooks?{query}"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert_error(&body, "validation_failed");
    }
    api.get("/api/v1/webhooks?limit=1", StatusCode::OK).await;
    api.get("/api/v1/webhooks?limit=100", StatusCode::OK).await;
}

#[tokio::test]
async fn the_default_page_holds_25() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    for i in 0..26 {
        create(&api, minimal(&format!("https://example.com/{i}"))).await;
    }
    let first = api.get("/api/v1/webhooks", StatusCode::OK).await;
    assert_eq!(ids(&first).len(), 25);
    let cursor = first["next_cursor"].as_str().expect("a next cursor");
    let rest = api
        .get(&format!("/api/v1/webhooks?cursor={cursor}"), StatusCode::OK)
        .await;
    assert_eq!(ids(&rest).len(), 1);
    assert_eq!(rest["next_cursor"], Value::Null);
}
