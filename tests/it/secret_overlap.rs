//! Issue 15: rotating a secret never cuts a receiver off at once. Every secret rotated out
//! within 24 h keeps signing (at most 5 live), a rotation past that is refused with a clear
//! message, and the dashboard's rotate is POST-then-redirect, so a reload does not rotate again.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::delivery_kit::{Env, Hook};
use crate::delivery_signing::standard_sig;
use crate::support::html::between;
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD};

/// Sends one event and asserts that `secret`'s Standard Webhooks signature is among those the
/// receiver got; returns how many signatures there were.
async fn assert_verifies_with(env: &Env, hook: &Hook, secret: &str) -> usize {
    let seen = hook.hits().len();
    let ack = env.send("invoice.paid", json!({"n": seen})).await;
    let hit = hook.wait_for(seen + 1).await.remove(seen);
    let id = ack["id"].as_str().unwrap();
    let sigs: Vec<&str> = hit.header("webhook-signature").split(' ').collect();
    let expected = standard_sig(secret, id, hit.header("webhook-timestamp"), &hit.body);
    assert!(
        sigs.contains(&expected.as_str()),
        "{secret} does not verify: {sigs:?}"
    );
    sigs.len()
}

async fn setup() -> (Env, Hook, Value) {
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let hook = Hook::ok().await;
    let wh = env
        .webhook(json!({"url": hook.url(), "events": ["invoice.paid"]}))
        .await;
    (env, hook, wh)
}

fn rotate_path(wh: &Value) -> String {
    format!(
        "/api/v1/webhooks/{}/rotate-secret",
        wh["id"].as_str().unwrap()
    )
}

#[tokio::test]
async fn a_receiver_holding_the_first_secret_still_verifies_after_two_quick_api_rotations() {
    // Arrange
    let (env, hook, wh) = setup().await;
    let first = wh["secret"].as_str().unwrap().to_owned();

    // Act
    let mut secrets = vec![first.clone()];
    for _ in 0..2 {
        let rotated = env
            .api
            .post(&rotate_path(&wh), &json!({}), StatusCode::OK)
            .await;
        secrets.push(rotated["secret"].as_str().unwrap().to_owned());
    }

    // Assert: three live secrets, each verifies, the first one included.
    for s in &secrets {
        assert_eq!(assert_verifies_with(&env, &hook, s).await, 3);
    }
}

#[tokio::test]
async fn a_rotation_past_five_live_secrets_is_refused_with_a_clear_message() {
    // Arrange: the first secret and four rotations make five live secrets.
    let (env, hook, wh) = setup().await;
    let first = wh["secret"].as_str().unwrap().to_owned();
    for _ in 0..4 {
        env.api
            .post(&rotate_path(&wh), &json!({}), StatusCode::OK)
            .await;
    }

    // Act
    let refused = env
        .api
        .post(&rotate_path(&wh), &json!({}), StatusCode::CONFLICT)
        .await;

    // Assert
    assert_eq!(refused["error"]["code"], "conflict", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("5 live signing secrets") && message.contains("at most 5"),
        "{message}"
    );
    assert_eq!(assert_verifies_with(&env, &hook, &first).await, 5);
}

#[tokio::test]
async fn the_dashboard_rotates_once_shows_the_secret_once_and_keeps_the_first_signing() {
    // Arrange
    let (env, hook, wh) = setup().await;
    let first = wh["secret"].as_str().unwrap().to_owned();
    let id = wh["id"].as_str().unwrap();
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let rotate = format!("/webhooks/{id}/rotate-secret");

    // Act: two quick rotations, each a POST answered with a redirect.
    let mut shown = vec![];
    for _ in 0..2 {
        let done = admin.submit(&rotate, &[], StatusCode::SEE_OTHER).await;
        assert_eq!(done.location(), format!("/webhooks/{id}"));
        let page = admin.page(&format!("/webhooks/{id}")).await.body;
        shown.push(
            between(&page, r#"id="new-secret">"#, "<")
                .expect("the new secret, once")
                .to_owned(),
        );
        // A reload shows it no more (and, being a GET, rotates nothing).
        let reload = admin.page(&format!("/webhooks/{id}")).await.body;
        assert!(!reload.contains(r#"id="new-secret""#));
        assert!(!reload.contains(shown.last().unwrap().as_str()));
    }
    let get = admin.get(&rotate, StatusCode::SEE_OTHER).await;

    // Assert: a GET of the rotate URL goes to the endpoint page; exactly two rotations
    // happened, so three secrets sign, the first among them.
    assert_eq!(get.location(), format!("/webhooks/{id}"));
    assert_ne!(shown[0], shown[1]);
    assert_eq!(assert_verifies_with(&env, &hook, &first).await, 3);
    assert_eq!(assert_verifies_with(&env, &hook, &shown[1]).await, 3);
}

#[tokio::test]
async fn the_dashboard_says_why_a_rotation_past_the_cap_changed_nothing() {
    // Arrange
    let (env, _hook, wh) = setup().await;
    let id = wh["id"].as_str().unwrap();
    for _ in 0..4 {
        env.api
            .post(&rotate_path(&wh), &json!({}), StatusCode::OK)
            .await;
    }
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let masked_before = env.endpoint(id).await["secret_masked"].clone();

    // Act
    admin
        .submit(
            &format!("/webhooks/{id}/rotate-secret"),
            &[],
            StatusCode::SEE_OTHER,
        )
        .await;
    let page = admin.page(&format!("/webhooks/{id}")).await.body;

    // Assert
    assert!(page.contains("5 live signing secrets"), "{page}");
    assert!(!page.contains(r#"id="new-secret""#));
    assert_eq!(env.endpoint(id).await["secret_masked"], masked_before);
}
