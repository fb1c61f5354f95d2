//! A failed htmx request in a real browser: the error shows as a toast and the fragment the
//! request aimed at stays as it was (htmx 4 would otherwise swap the error page into it).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use thirtyfour::prelude::*;

use crate::driver::Browser;
use crate::endpoints::{mark_document, sign_in, still_same_document, text_of};
use crate::support::{Receiver, TestApp, wait_until};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
#[cfg_attr(
    not(has_chromium),
    ignore = "Chromium is not installed: apt-get install chromium chromium-driver"
)]
async fn toggling_an_endpoint_deleted_meanwhile_shows_a_toast_and_keeps_the_switch() {
    // Arrange: the endpoint page is open, then the endpoint is deleted behind its back.
    let Some(browser) = Browser::start_or_skip().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.api(&app.create_api_key(&admin, &["all"]).await);
    let receiver = Receiver::start(StatusCode::OK).await;
    let wh = api
        .post(
            "/api/v1/webhooks",
            &json!({"name": "Gone soon", "url": format!("{}/hook", receiver.url()), "events": ["*"]}),
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
    api.send(
        api.request(reqwest::Method::DELETE, &format!("/api/v1/webhooks/{id}")),
        StatusCode::NO_CONTENT,
    )
    .await;

    // Act
    driver
        .find(By::Id("toggle-enabled"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Assert
    let toast = wait_until(WAIT, "the error toast shows", || async {
        text_of(driver, "#toasts #error-toast").await
    })
    .await;
    assert!(toast.contains("does not exist"), "{toast}");
    assert!(
        driver.find(By::Id("toggle-enabled")).await.is_ok(),
        "the switch is still there"
    );
    assert!(
        driver
            .find(By::Css("#endpoint-toggle .status-code"))
            .await
            .is_err(),
        "no error page inside the switch"
    );
    assert!(still_same_document(driver).await, "no reload");
    browser.screenshot("htmx-error-toast.png").await;

    browser.quit().await;
    app.shutdown().await;
}
