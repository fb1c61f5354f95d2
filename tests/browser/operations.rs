//! The delivery page and bulk replay in a real browser: "Retry now" shows the new attempt in
//! place, and a replay's progress bar on the endpoint page fills by itself (htmx polling).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use thirtyfour::prelude::*;

use crate::driver::Browser;
use crate::endpoints::{mark_document, open_panel, sign_in, still_same_document, text_of};
use crate::support::{ApiClient, Receiver, TestApp, wait_until};

const WAIT: Duration = Duration::from_secs(15);

async fn delivery_of(api: &ApiClient, event: &str) -> Value {
    let e = api
        .get(&format!("/api/v1/events/{event}"), StatusCode::OK)
        .await;
    e["deliveries"][0].clone()
}

#[tokio::test]
#[cfg_attr(
    not(has_chromium),
    ignore = "Chromium is not installed: apt-get install chromium chromium-driver"
)]
async fn retry_now_and_a_bulk_replay_update_the_pages_in_place() {
    // Arrange: two deliveries failed (no retries) on a receiver answering 500, then fixed.
    let Some(browser) = Browser::start_or_skip().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let key = app.create_api_key(&admin, &["all"]).await;
    let api = app.api(&key);
    let receiver = Receiver::start(reqwest::StatusCode::INTERNAL_SERVER_ERROR).await;
    api.post(
        "/api/v1/event-types",
        &json!({"name": "order.created"}),
        StatusCode::CREATED,
    )
    .await;
    let wh = api
        .post(
            "/api/v1/webhooks",
            &json!({"url": receiver.url(), "events": ["order.created"], "retry_count": 0, "name": "Orders"}),
            StatusCode::CREATED,
        )
        .await;
    let wh = wh["id"].as_str().unwrap().to_owned();
    let mut events = vec![];
    for i in 0..2 {
        let ack = api
            .post(
                "/api/v1/events",
                &json!({"type": "order.created", "data": {"order": i, "total": "12.50"}}),
                StatusCode::ACCEPTED,
            )
            .await;
        events.push(ack["id"].as_str().unwrap().to_owned());
    }
    for e in &events {
        wait_until(WAIT, "the delivery failed", || async {
            (delivery_of(&api, e).await["status"] == "failed").then_some(())
        })
        .await;
    }
    receiver.set_status(reqwest::StatusCode::OK);
    let dlv = delivery_of(&api, &events[0]).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let driver = browser.driver();
    sign_in(driver, &app).await;

    // Act 1: Retry now on the delivery page.
    driver
        .goto(format!("{}/deliveries/{dlv}", app.url()))
        .await
        .unwrap();
    assert_eq!(text_of(driver, "#delivery-state").await.unwrap(), "failed");
    mark_document(driver).await;
    driver
        .find(By::Id("retry-now"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Assert 1: the new attempt and the new status appear without a page load.
    wait_until(WAIT, "attempt 2 shows", || async {
        driver.find(By::Id("attempt-2")).await.ok()?;
        (text_of(driver, "#delivery-state").await? == "succeeded").then_some(())
    })
    .await;
    assert!(still_same_document(driver).await, "swapped in place");
    assert!(
        text_of(driver, "#retry-notice")
            .await
            .unwrap()
            .contains("new attempt")
    );
    assert_eq!(receiver.requests().len(), 3);
    browser.screenshot("delivery.png").await;

    // Act 2: a bulk replay from the endpoint page (the preset: the last 24 hours).
    driver
        .goto(format!("{}/webhooks/{wh}", app.url()))
        .await
        .unwrap();
    mark_document(driver).await;
    open_panel(driver, "replay-details").await;
    let start = driver.find(By::Id("replay-start")).await.unwrap();
    start.scroll_into_view().await.unwrap();
    start.click().await.unwrap();
    // It asks first, in place: how many deliveries, and a button to go ahead.
    let confirm = wait_until(WAIT, "the replay asks first", || async {
        driver.find(By::Id("replay-confirm")).await.ok()
    })
    .await;
    assert!(
        text_of(driver, "#replay-preview")
            .await
            .unwrap()
            .contains("This will retry")
    );
    confirm.click().await.unwrap();

    // Assert 2: the bar fills and the job reports completion, still on the same page.
    let bar = wait_until(WAIT, "the replay completes", || async {
        let p = driver
            .find(By::Css(
                "#replay-progress[data-status='completed'] progress",
            ))
            .await
            .ok()?;
        let value = p.attr("value").await.ok()??;
        let max = p.attr("max").await.ok()??;
        (value == max).then_some((value, max))
    })
    .await;
    assert_eq!(
        bar,
        ("1".to_owned(), "1".to_owned()),
        "one delivery was still failed"
    );
    wait_until(WAIT, "the replayed delivery succeeded", || async {
        let text = text_of(driver, "#replay-progress").await?;
        text.contains("1 succeeded").then_some(())
    })
    .await;
    assert!(
        still_same_document(driver).await,
        "progress refreshed in place"
    );
    assert!(
        text_of(driver, "#replay-progress")
            .await
            .unwrap()
            .contains("1 of 1 requeued")
    );
    assert_eq!(receiver.requests().len(), 4);
    driver
        .find(By::Id("replay-panel"))
        .await
        .unwrap()
        .scroll_into_view()
        .await
        .unwrap();
    browser.screenshot("replay.png").await;

    // The events log, for the record.
    driver.goto(format!("{}/events", app.url())).await.unwrap();
    let rows = driver
        .find_all(By::Css("#events-table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    browser.screenshot("events.png").await;

    // The overview: the endpoint's health with its hourly sparkline and the failures it had.
    driver.goto(format!("{}/", app.url())).await.unwrap();
    let spark = driver
        .find(By::Css(format!("#health-{wh} svg.spark")))
        .await
        .expect("the endpoint's sparkline");
    let label = spark.attr("aria-label").await.unwrap().unwrap_or_default();
    assert!(
        label.contains("succeeded") && label.contains("failed"),
        "{label}"
    );
    let failures = driver
        .find_all(By::Css("#recent-failures tbody tr"))
        .await
        .unwrap();
    assert_eq!(failures.len(), 2, "both first attempts failed");
    browser.screenshot("overview-health.png").await;

    browser.quit().await;
    app.shutdown().await;
}
