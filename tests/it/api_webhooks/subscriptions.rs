//! Which event types a webhook may subscribe to: names, `prefix.*` and `*`, checked against
//! the catalog (archived types excluded) when they are set.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{add_types, app_with_catalog, create, field_error, id_of, refused};

#[tokio::test]
async fn event_subscriptions_are_validated() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    add_types(&api, &["legacy.thing", "old.gone"]).await;
    for name in ["legacy.thing", "old.gone"] {
        api.send(
            api.request(Method::DELETE, &format!("/api/v1/event-types/{name}")),
            StatusCode::OK,
        )
        .await;
    }
    let url = "https://example.com/hooks";

    let m = refused(&api, json!({"url": url, "events": []}), "events").await;
    assert!(m.contains("at least one"), "{m}");
    let m = refused(&api, json!({"url": url}), "events").await;
    assert!(m.contains("at least one"), "{m}");
    let m = refused(&api, json!({"url": url, "events": ["  "]}), "events").await;
    assert!(m.contains("at least one"), "{m}");
    let m = refused(
        &api,
        json!({"url": url, "events": ["invoice.missing"]}),
        "events",
    )
    .await;
    assert!(m.contains("does not exist"), "{m}");
    let m = refused(
        &api,
        json!({"url": url, "events": ["invoice.paid", "legacy.thing"]}),
        "events",
    )
    .await;
    assert!(m.contains("archived") && m.contains("legacy.thing"), "{m}");
    let m = refused(&api, json!({"url": url, "events": ["billing.*"]}), "events").await;
    assert!(m.contains("matches no"), "{m}");
    // A prefix that matches only archived types matches nothing.
    let m = refused(&api, json!({"url": url, "events": ["old.*"]}), "events").await;
    assert!(m.contains("matches no"), "{m}");
    // `invoice` alone is not `invoice.*`.
    let m = refused(&api, json!({"url": url, "events": ["invoice"]}), "events").await;
    assert!(m.contains("does not exist"), "{m}");
    for bad in ["Bad Name", "invoice.**", "*.paid", "invoice.*.paid", ".*"] {
        let m = refused(&api, json!({"url": url, "events": [bad]}), "events").await;
        assert!(m.contains("not a valid"), "{bad}: {m}");
    }
    // Wrong JSON type names the field.
    let body = api
        .post(
            "/api/v1/webhooks",
            &json!({"url": url, "events": "invoice.paid"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    field_error(&body, "events");

    for good in [
        json!(["*"]),
        json!(["invoice.*"]),
        json!(["invoice.paid", "user.created"]),
        json!(["invoice.*", "invoice.paid"]),
    ] {
        let created = create(&api, json!({"url": url, "events": good})).await;
        assert_eq!(created["events"], good);
    }
}

/// Subscriptions are checked against the catalog only when a PATCH changes them: archiving a
/// type must not block an unrelated edit, but re-sending it is refused.
#[tokio::test]
async fn archiving_a_type_does_not_block_unrelated_edits() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    let ep = create(
        &api,
        json!({"url": "https://example.com/hooks", "events": ["invoice.paid", "user.created"]}),
    )
    .await;
    let one = format!("/api/v1/webhooks/{}", id_of(&ep));
    api.send(
        api.request(Method::DELETE, "/api/v1/event-types/invoice.paid"),
        StatusCode::OK,
    )
    .await;
    let patched = api
        .send(
            api.request(Method::PATCH, &one)
                .json(&json!({"name": "renamed"})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(patched["events"], json!(["invoice.paid", "user.created"]));
    let body = api
        .send(
            api.request(Method::PATCH, &one)
                .json(&json!({"events": ["invoice.paid", "user.created"]})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(field_error(&body, "events").contains("archived"), "{body}");
}
