//! An endpoint whose private URL was allowed when it was created, after `allow_private_targets`
//! is turned off: it can still be disabled and edited (a PATCH validates only what it changes),
//! a new private URL is still refused, and its page says why its attempts are refused.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::delivery_kit::Env;
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD};

const PRIVATE_URL: &str = "https://10.0.0.1/hook";

/// An endpoint on a private address, created while allowed; then the app runs without it.
async fn env_with_refused_endpoint() -> (Env, String) {
    let env = Env::start(|c| c.allow_private_targets = true).await;
    env.event_type("invoice.paid").await;
    let created = env
        .webhook(json!({"url": PRIVATE_URL, "events": ["invoice.paid"]}))
        .await;
    let id = created["id"].as_str().expect("an id").to_owned();
    let Env { app, key, .. } = env;
    let data = app.stop().await;
    let env = Env::restart(data, key, |c| c.allow_private_targets = false).await;
    (env, id)
}

async fn patch(env: &Env, id: &str, body: Value, expect: StatusCode) -> Value {
    env.api
        .send(
            env.api
                .request(Method::PATCH, &format!("/api/v1/webhooks/{id}"))
                .json(&body),
            expect,
        )
        .await
}

#[tokio::test]
async fn an_endpoint_whose_private_url_is_now_refused_can_still_be_disabled() {
    // Arrange
    let (env, id) = env_with_refused_endpoint().await;

    // Act
    let disabled = patch(&env, &id, json!({"enabled": false}), StatusCode::OK).await;
    let renamed = patch(
        &env,
        &id,
        json!({"name": "Old office", "url": PRIVATE_URL}),
        StatusCode::OK,
    )
    .await;

    // Assert
    assert_eq!(disabled["enabled"], false, "{disabled}");
    assert_eq!(renamed["name"], "Old office", "{renamed}");
    assert_eq!(renamed["url"], PRIVATE_URL, "{renamed}");
}

#[tokio::test]
async fn patching_in_a_new_private_url_is_still_refused() {
    // Arrange
    let (env, id) = env_with_refused_endpoint().await;

    // Act
    let body = patch(
        &env,
        &id,
        json!({"url": "https://10.0.0.2/hook"}),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // Assert
    let m = body["error"]["details"]["url"].as_str().unwrap_or_default();
    assert!(m.contains("allow_private_targets"), "{body}");
    assert_eq!(env.endpoint(&id).await["url"], PRIVATE_URL);
}

#[tokio::test]
async fn the_dashboard_edit_form_saves_an_endpoint_whose_url_is_unchanged() {
    // Arrange
    let (env, id) = env_with_refused_endpoint().await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let saved = admin
        .submit(
            &format!("/webhooks/{id}"),
            &[
                ("name", "Old office"),
                ("url", PRIVATE_URL),
                ("events", "invoice.paid"),
            ],
            StatusCode::SEE_OTHER,
        )
        .await;
    let refused = admin
        .submit(
            &format!("/webhooks/{id}"),
            &[
                ("name", "Old office"),
                ("url", "https://10.0.0.2/hook"),
                ("events", "invoice.paid"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

    // Assert
    assert_eq!(saved.location(), format!("/webhooks/{id}"));
    assert!(
        refused.body.contains("allow_private_targets"),
        "{}",
        refused.body
    );
    let endpoint = env.endpoint(&id).await;
    assert_eq!(endpoint["name"], "Old office");
    assert_eq!(
        endpoint["enabled"], false,
        "an unticked box disables: {endpoint}"
    );
}

#[tokio::test]
async fn the_endpoint_page_says_why_attempts_are_refused() {
    // Arrange
    let (env, id) = env_with_refused_endpoint().await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let page = admin.page(&format!("/webhooks/{id}")).await;

    // Assert
    let banner = page
        .body
        .split(r#"id="target-refused""#)
        .nth(1)
        .expect("a warning about the refused target");
    let banner = &banner[..banner.find("</div>\n</div>").unwrap_or(banner.len())];
    assert!(banner.contains("10.0.0.1"), "{banner}");
    assert!(banner.contains("allow_private_targets"), "{banner}");
}

#[tokio::test]
async fn the_endpoint_page_has_no_warning_while_private_targets_are_allowed() {
    // Arrange
    let env = Env::start(|c| c.allow_private_targets = true).await;
    env.event_type("invoice.paid").await;
    let created = env
        .webhook(json!({"url": PRIVATE_URL, "events": ["invoice.paid"]}))
        .await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let page = admin
        .page(&format!("/webhooks/{}", created["id"].as_str().unwrap()))
        .await;

    // Assert
    assert!(!page.body.contains("target-refused"), "{}", page.body);
}
