//! The endpoint page in a real browser: picking a type fills the payload, a test event's result
//! shows in place, and with live mode on the new delivery appears in the history by itself.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

use crate::driver::Browser;
use crate::endpoints::{mark_document, open_panel, sign_in, still_same_document, text_of};
use crate::support::{Receiver, TestApp, wait_until};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
#[cfg_attr(
    not(has_chromium),
    ignore = "Chromium is not installed: apt-get install chromium chromium-driver"
)]
async fn admin_sends_a_test_event_sees_the_result_inline_and_the_delivery_arrives_live() {
    // Arrange: an endpoint for a local receiver, created through the API.
    let Some(browser) = Browser::start_or_skip().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.api(&app.create_api_key(&admin, &["all"]).await);
    api.post(
        "/api/v1/event-types",
        &json!({"name": "invoice.paid", "description": "Paid", "example": {"invoice": "inv_1", "amount": 1200}}),
        StatusCode::CREATED,
    )
    .await;
    let receiver = Receiver::start(StatusCode::OK).await;
    let wh = api
        .post(
            "/api/v1/webhooks",
            &json!({"name": "Billing", "url": format!("{}/hook", receiver.url()), "events": ["*"]}),
            StatusCode::CREATED,
        )
        .await;
    let id = wh["id"].as_str().unwrap();
    let driver = browser.driver();
    sign_in(driver, &app).await;
    driver
        .goto(format!("{}/webhooks/{id}", app.url()))
        .await
        .unwrap();
    mark_document(driver).await;
    assert!(
        text_of(driver, "#history .empty")
            .await
            .unwrap()
            .contains("No deliveries yet")
    );

    // Act 1: live mode on; the history is swapped in place with a poller.
    driver
        .find(By::Id("h-live"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(WAIT, "the live poller is in place", || async {
        driver.find(By::Id("history-poll")).await.ok()
    })
    .await;
    let url = driver.current_url().await.unwrap();
    assert_eq!(
        url.path(),
        format!("/webhooks/{id}"),
        "the pushed address is the page's"
    );
    assert!(url.query().unwrap_or("").contains("live=1"), "{url}");

    // Act 2: open the test panel, pick the type; its catalog example fills the payload.
    open_panel(driver, "test-details").await;
    let select = driver.find(By::Id("test-type")).await.unwrap();
    SelectElement::new(&select)
        .await
        .unwrap()
        .select_by_value("invoice.paid")
        .await
        .unwrap();
    wait_until(WAIT, "the example fills the payload", || async {
        let payload = driver.find(By::Id("test-payload")).await.ok()?;
        payload.value().await.ok()??.contains("inv_1").then_some(())
    })
    .await;

    // Act 3: send it.
    driver
        .find(By::Id("send-test-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Assert: the result in place, the receiver got the example, the row arrives by polling.
    let status = wait_until(WAIT, "the test result shows", || async {
        text_of(driver, "#test-status").await
    })
    .await;
    assert_eq!(status, "200");
    let result = text_of(driver, "#test-result").await.unwrap();
    assert!(result.contains("succeeded"), "{result}");
    assert!(result.contains("invoice.paid"), "{result}");
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(got[0].json()["data"]["invoice"], "inv_1");
    let row = wait_until(WAIT, "the delivery appears in the history", || async {
        text_of(driver, "#history tbody.history-new tr").await
    })
    .await;
    assert!(
        row.contains("invoice.paid") && row.contains("succeeded"),
        "{row}"
    );
    assert!(
        still_same_document(driver).await,
        "everything happened in place"
    );
    // Tall enough to show health, the history and the test result together.
    driver.set_window_rect(0, 0, 1366, 1700).await.unwrap();
    driver
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    browser.screenshot("endpoint.png").await;

    // Act 4: disable with the switch; the banner appears out of band, and its button
    // re-enables in place.
    driver
        .find(By::Id("toggle-enabled"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let banner = wait_until(WAIT, "the disabled banner shows", || async {
        text_of(driver, "#disabled-banner .banner-warn").await
    })
    .await;
    assert!(banner.contains("It was disabled by hand"), "{banner}");
    driver
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    browser.screenshot("endpoint-disabled.png").await;
    driver
        .find(By::Id("banner-reenable"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(WAIT, "the banner goes away", || async {
        driver
            .find(By::Css("#disabled-banner .banner-warn"))
            .await
            .is_err()
            .then_some(())
    })
    .await;
    assert_eq!(
        text_of(driver, "#endpoint-toggle .badge").await.unwrap(),
        "enabled"
    );
    assert!(still_same_document(driver).await);

    // After a reload the stats count the delivery and the chart has its bar.
    driver.refresh().await.unwrap();
    let chart = driver.find(By::Css("#stats svg[role=img]")).await.unwrap();
    assert!(chart.is_displayed().await.unwrap(), "the chart renders");
    assert_eq!(
        chart.find_all(By::Css("rect.bar-ok")).await.unwrap().len(),
        1
    );
    driver
        .execute("document.getElementById('stats').scrollIntoView();", vec![])
        .await
        .unwrap();
    browser.screenshot("endpoint-stats.png").await;

    browser.quit().await;
    app.shutdown().await;
}
