//! Bulk replay asks first: the endpoint page's form answers with "this will retry N
//! deliveries" and a confirm button (in place with htmx, a page without), and only the confirm
//! starts the job; an optional `until` leaves later failures alone.

use reqwest::StatusCode;
use serde_json::json;

use crate::delivery_kit::{Env, Hook, Reply, SOON};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, TestClient, html, wait_until};
use crate::ui_replays::failed_deliveries;

/// The hidden (since, until) of the confirm form.
fn confirm_fields(body: &str) -> (String, String) {
    let form = html::between(body, r#"id="replay-confirm-form""#, "</form>")
        .unwrap_or_else(|| panic!("no confirm form in {body}"));
    let value = |name: &str| {
        html::between(form, &format!(r#"name="{name}" value=""#), "\"")
            .unwrap()
            .to_owned()
    };
    (value("since"), value("until"))
}

async fn wait_completed(admin: &TestClient, wh: &str) -> String {
    wait_until(SOON, "the replay completes", || async {
        let page = admin.page(&format!("/webhooks/{wh}")).await;
        page.body
            .contains(r#"data-status="completed""#)
            .then_some(page.body)
    })
    .await
}

#[tokio::test]
async fn the_form_shows_how_many_deliveries_it_will_retry_and_starts_only_on_confirm() {
    // Arrange
    let hook = Hook::always(Reply::status(500)).await;
    let env = Env::start(|_| {}).await;
    let (wh, _) = failed_deliveries(&env, &hook, 2).await;
    hook.set_default(Reply::status(200));
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act 1: the form, with htmx
    let preview = admin
        .htmx_submit(
            &format!("/webhooks/{wh}/replays/preview"),
            &[("preset", "24h"), ("since", ""), ("until", "")],
            StatusCode::OK,
        )
        .await;

    // Assert 1: the panel in place, with the count and a confirm; nothing started
    assert!(
        preview
            .body
            .starts_with("<section class=\"card\" id=\"replay-panel\""),
        "{}",
        preview.body
    );
    assert!(
        preview
            .body
            .contains(r#"This will retry <strong id="replay-count">2</strong> failed deliveries"#),
        "{}",
        preview.body
    );
    assert!(
        preview
            .body
            .contains(r#"id="replay-confirm">Retry 2 deliveries<"#)
    );
    assert!(preview.body.contains(r#"id="replay-none""#), "no job yet");
    assert_eq!(hook.hits().len(), 2, "nothing was sent again");

    // Act 2: confirm
    let (since, until) = confirm_fields(&preview.body);
    admin
        .htmx_submit(
            &format!("/webhooks/{wh}/replays"),
            &[("since", &since), ("until", &until)],
            StatusCode::OK,
        )
        .await;

    // Assert 2
    let page = wait_completed(&admin, &wh).await;
    assert!(page.contains(r#"id="replay-total">2<"#), "{page}");
}

#[tokio::test]
async fn without_javascript_the_preview_is_a_page_and_bad_times_are_inline() {
    // Arrange
    let hook = Hook::always(Reply::status(500)).await;
    let env = Env::start(|_| {}).await;
    let (wh, _) = failed_deliveries(&env, &hook, 1).await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let path = format!("/webhooks/{wh}/replays/preview");

    // Act
    let page = admin
        .submit(&path, &[("preset", "1h")], StatusCode::OK)
        .await;
    let backwards = admin
        .submit(
            &path,
            &[("since", "2026-01-02T10:00"), ("until", "2026-01-01T10:00")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let nonsense = admin
        .htmx_submit(
            &path,
            &[("preset", "1h"), ("until", "soon")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

    // Assert
    assert!(page.body.contains("<html"), "a page of its own");
    assert!(
        page.body.contains("failed delivery created since"),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"action="/webhooks/"#) && page.body.contains("replay-confirm"));
    assert!(backwards.body.contains("<html"));
    assert!(backwards.body.contains(r#"id="replay-until-error""#));
    assert!(backwards.body.contains("Choose an end after the start."));
    assert!(
        backwards.body.contains(r#"value="2026-01-01T10:00""#),
        "input kept"
    );
    assert!(nonsense.body.contains(r#"id="replay-until-error""#));
    assert!(!nonsense.body.contains("replay-confirm"));
}

#[tokio::test]
async fn a_replay_until_a_time_leaves_later_failures_alone() {
    // Arrange: two failures, then the end of the range, then one more failure.
    let hook = Hook::always(Reply::status(500)).await;
    let env = Env::start(|_| {}).await;
    let (wh, early) = failed_deliveries(&env, &hook, 2).await;
    let late = env.send("order.created", json!({"late": true})).await;
    let late_id = late["id"].as_str().unwrap().to_owned();
    let until = late["created_at"].as_str().unwrap().to_owned();
    let late_dlv = env.only_delivery_id(&late_id).await;
    env.wait_status(&late_dlv, "failed").await;
    hook.set_default(Reply::status(200));
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let preview = admin
        .htmx_submit(
            &format!("/webhooks/{wh}/replays/preview"),
            &[("preset", "24h"), ("until", &until)],
            StatusCode::OK,
        )
        .await;
    let (since, until_field) = confirm_fields(&preview.body);
    admin
        .htmx_submit(
            &format!("/webhooks/{wh}/replays"),
            &[("since", &since), ("until", &until_field)],
            StatusCode::OK,
        )
        .await;
    let page = wait_completed(&admin, &wh).await;

    // Assert
    assert!(
        preview
            .body
            .contains(r#"<strong id="replay-count">2</strong>"#),
        "{}",
        preview.body
    );
    assert_eq!(until_field, until);
    assert!(page.contains(r#"id="replay-total">2<"#), "{page}");
    for event in &early {
        let dlv = env.only_delivery_id(event).await;
        env.wait_status(&dlv, "succeeded").await;
    }
    assert_eq!(env.delivery(&late_dlv).await["status"], "failed");
    let late_hits = hook
        .hits()
        .iter()
        .filter(|h| h.header("webhook-id") == late_id)
        .count();
    assert_eq!(late_hits, 1, "created at `until`: not replayed");
}
