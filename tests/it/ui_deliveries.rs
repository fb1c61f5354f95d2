//! The delivery page: the event and payload, the request as sent, every attempt, and "Retry
//! now" (with and without htmx), for a delivery to a real receiver.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::delivery_kit::{Env, Hook, Reply, attempts};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD};

/// An endpoint on `hook` subscribed to `invoice.paid`, one retry; returns (env, endpoint id).
async fn setup(hook: &Hook) -> (Env, String) {
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let wh = env
        .webhook(json!({
            "url": format!("{}/hooks/billing", hook.url()),
            "events": ["invoice.paid"],
            "name": "Billing receiver",
            "retry_count": 1,
            "headers": {"Authorization": "Bearer receiver-credential-123"},
        }))
        .await;
    (env, wh["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_delivery_page_shows_the_event_the_request_and_every_attempt() {
    // Arrange: the receiver fails once with a body, then accepts.
    let hook = Hook::scripted(
        vec![Reply::status(500).body("database <down>")],
        Reply::status(200)
            .header("x-receiver", "yes")
            .body("thanks"),
    )
    .await;
    let (env, wh) = setup(&hook).await;
    let ack = env
        .send_body(
            json!({"type": "invoice.paid", "data": {"amount": 4200, "memo": "<script>x</script>"},
            "channels": ["acme"], "idempotency_key": "inv-1"}),
        )
        .await;
    let event_id = ack["id"].as_str().unwrap().to_owned();
    let dlv = env.only_delivery_id(&event_id).await;
    env.wait_status(&dlv, "succeeded").await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let page = admin.page(&format!("/deliveries/{dlv}")).await;

    // Assert: the event, linked, with its payload pretty-printed and escaped.
    let body = &page.body;
    assert!(
        body.contains(&format!("href=\"/events/{event_id}\"")),
        "{body}"
    );
    assert!(body.contains(&format!("href=\"/webhooks/{wh}\"")));
    assert!(body.contains("Billing receiver"));
    assert!(body.contains("invoice.paid"));
    assert!(body.contains(">acme<"), "channels shown");
    let payload = crate::support::html::between(body, "id=\"event-payload\">", "</pre>").unwrap();
    assert!(
        payload.contains("\n  "),
        "payload is pretty-printed: {payload}"
    );
    assert!(payload.contains("4200"));
    assert!(!body.contains("<script>x</script>"), "payload is escaped");
    // The request: method, URL, headers of the latest attempt (credentials masked), exact body.
    assert!(body.contains(&format!("POST {}/hooks/billing", hook.url())));
    for header in [
        "webhook-id",
        "webhook-signature",
        "x-webhook-signature",
        "user-agent",
    ] {
        assert!(
            body.contains(&format!("<code>{header}</code>")),
            "header {header} listed"
        );
    }
    assert!(
        !body.contains("receiver-credential-123"),
        "custom credential is masked"
    );
    let sent = hook.hits();
    assert_eq!(sent.len(), 2);
    let request_body =
        crate::support::html::between(body, "id=\"request-body\">", "</pre>").unwrap();
    assert!(request_body.contains(&event_id) && request_body.contains("4200"));
    assert!(
        !body.contains(sent[1].header("webhook-signature")),
        "signature is masked"
    );
    // Every attempt, newest first, with codes, response headers and bodies.
    let second = body.find("id=\"attempt-2\"").expect("attempt 2");
    let first = body.find("id=\"attempt-1\"").expect("attempt 1");
    assert!(second < first, "newest first");
    assert!(body.contains("HTTP 500") && body.contains("HTTP 200"));
    assert!(body.contains("database &lt;down&gt;") || body.contains("database &#60;down&#62;"));
    assert!(body.contains("thanks"));
    assert!(body.contains("x-receiver"));
    assert!(body.contains("id=\"delivery-state\">succeeded<"));
    assert!(
        body.contains("id=\"retry-now\""),
        "admins get the retry button"
    );
}

#[tokio::test]
async fn retry_now_makes_a_new_attempt_with_the_same_webhook_id() {
    // Arrange
    let hook = Hook::ok().await;
    let (env, _) = setup(&hook).await;
    let ack = env.send("invoice.paid", json!({"n": 1})).await;
    let event_id = ack["id"].as_str().unwrap().to_owned();
    let dlv = env.only_delivery_id(&event_id).await;
    env.wait_status(&dlv, "succeeded").await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let path = format!("/deliveries/{dlv}/retry");

    // Act 1: the plain form (no JavaScript) redirects back with a flash.
    let done = admin.submit(&path, &[], StatusCode::SEE_OTHER).await;
    assert_eq!(done.location(), format!("/deliveries/{dlv}"));
    let page = admin.page(&format!("/deliveries/{dlv}")).await;

    // Assert 1
    assert!(page.body.contains("A new attempt was made."), "flash shown");
    assert!(page.body.contains("id=\"attempt-2\""));
    let hits = hook.wait_for(2).await;
    assert_eq!(hits[1].header("webhook-id"), event_id);
    assert_eq!(hits[0].header("webhook-id"), hits[1].header("webhook-id"));

    // Act 2: htmx gets the status, request and attempts fragment back, in place.
    let fragment = admin.htmx_submit(&path, &[], StatusCode::OK).await;

    // Assert 2
    assert!(fragment.body.starts_with("<div id=\"delivery-detail\">"));
    assert!(!fragment.body.contains("<html"), "a fragment, not a page");
    assert!(fragment.body.contains("id=\"attempt-3\""));
    assert!(fragment.body.contains("A new attempt was made."));
    assert_eq!(hook.wait_for(3).await[2].header("webhook-id"), event_id);
    assert_eq!(attempts(&env.delivery(&dlv).await).len(), 3);
}

#[tokio::test]
async fn retrying_an_attempt_in_flight_says_so() {
    // Arrange: the receiver holds each request for 2 s.
    let hook = Hook::always(Reply::status(200).delay(Duration::from_secs(2))).await;
    let (env, _) = setup(&hook).await;
    let ack = env.send("invoice.paid", json!({})).await;
    let dlv = env.only_delivery_id(ack["id"].as_str().unwrap()).await;
    hook.wait_for(1).await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let conflict = admin
        .htmx_submit(
            &format!("/deliveries/{dlv}/retry"),
            &[],
            StatusCode::CONFLICT,
        )
        .await;

    // Assert
    assert!(
        conflict.body.contains("already queued or running"),
        "{}",
        conflict.body
    );
    env.wait_status(&dlv, "succeeded").await;
    assert_eq!(hook.hits().len(), 1);
}

#[tokio::test]
async fn unknown_or_malformed_deliveries_are_404_and_viewers_cannot_retry() {
    // Arrange
    let hook = Hook::ok().await;
    let (env, _) = setup(&hook).await;
    let ack = env.send("invoice.paid", json!({})).await;
    let dlv = env.only_delivery_id(ack["id"].as_str().unwrap()).await;
    env.wait_status(&dlv, "succeeded").await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let viewer = env.app.create_user(&admin, "viewer").await;
    let viewer = env.app.login(&viewer.email, &viewer.password).await;

    // Act + Assert
    let missing = admin
        .get(
            "/deliveries/dlv_00000000000000000000000000000000",
            StatusCode::NOT_FOUND,
        )
        .await;
    assert!(missing.body.contains("does not exist"));
    admin
        .get("/deliveries/not-an-id", StatusCode::NOT_FOUND)
        .await;
    admin
        .submit(
            "/deliveries/dlv_00000000000000000000000000000000/retry",
            &[],
            StatusCode::NOT_FOUND,
        )
        .await;
    let seen = viewer.page(&format!("/deliveries/{dlv}")).await;
    assert!(seen.body.contains("id=\"attempt-1\""));
    assert!(
        !seen.body.contains("id=\"retry-now\""),
        "no button for viewers"
    );
    viewer
        .submit(
            &format!("/deliveries/{dlv}/retry"),
            &[],
            StatusCode::FORBIDDEN,
        )
        .await;
    assert_eq!(hook.hits().len(), 1, "the viewer's POST sent nothing");
}
