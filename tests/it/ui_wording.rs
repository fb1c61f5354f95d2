//! Wording that reads right: the article before an event type, a response status said once,
//! and a refused private URL naming the setting that allows it.

use reqwest::StatusCode;
use serde_json::json;

use crate::delivery_kit::{Env, Hook, Reply};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, html};

#[tokio::test]
async fn the_test_panel_chooses_a_or_an_from_the_event_type() {
    // Arrange
    let hook = Hook::ok().await;
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    env.event_type("user.created").await;
    let wh = env
        .webhook(json!({"url": hook.url(), "events": ["*"]}))
        .await;
    let id = wh["id"].as_str().unwrap();
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let invoice = admin
        .page(&format!("/webhooks/{id}?test_type=invoice.paid"))
        .await;
    let user = admin
        .page(&format!("/webhooks/{id}?test_type=user.created"))
        .await;

    // Assert
    assert!(
        invoice
            .body
            .contains("Sends an <code>invoice.paid</code> event"),
        "{}",
        invoice.body
    );
    assert!(
        user.body
            .contains("Sends a <code>user.created</code> event")
    );
}

#[tokio::test]
async fn a_failed_status_is_said_once_with_its_reason_and_no_kind_label() {
    // Arrange: a receiver that answers 500, no retries.
    let hook = Hook::always(Reply::status(500)).await;
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let wh = env
        .webhook(json!({"url": hook.url(), "events": ["*"], "retry_count": 0}))
        .await;
    let event = env.send("invoice.paid", json!({})).await;
    let dlv = env.only_delivery_id(event["id"].as_str().unwrap()).await;
    env.wait_status(&dlv, "failed").await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let delivery = admin.page(&format!("/deliveries/{dlv}")).await;
    let history = admin
        .page(&format!("/webhooks/{}", wh["id"].as_str().unwrap()))
        .await;

    // Assert: "HTTP 500 Internal Server Error" once per place, never doubled or labelled.
    let status = html::between(&delivery.body, r#"id="delivery-status""#, "</section>").unwrap();
    assert!(
        status.contains("HTTP 500 Internal Server Error"),
        "{status}"
    );
    assert!(!status.contains("Last error"), "{status}");
    let attempt = html::between(&delivery.body, r#"id="attempt-1""#, "</li>").unwrap();
    assert_eq!(
        attempt.matches("Internal Server Error").count(),
        1,
        "{attempt}"
    );
    assert!(!attempt.contains(">status<"), "{attempt}");
    let row = html::between(&history.body, &format!(r#"id="row-{dlv}""#), "</tr>").unwrap();
    assert!(!row.contains("HTTP 500 Internal Server Error"), "{row}");
    assert!(row.contains(">500<"), "{row}");
}

#[tokio::test]
async fn a_refused_private_url_names_allow_private_targets() {
    // Arrange
    let env = Env::start(|c| c.allow_private_targets = false).await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let form = admin
        .submit(
            "/webhooks",
            &[
                ("url", "https://10.0.0.5/hook"),
                ("events", "*"),
                ("retry_count", "0"),
                ("timeout_seconds", "10"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

    // Assert
    assert!(form.body.contains("allow_private_targets"), "{}", form.body);
    assert!(
        form.body.contains("10.0.0.5 is a private address"),
        "{}",
        form.body
    );
}
