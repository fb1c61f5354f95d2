//! The endpoint page's layout in a real browser: health and history come first, the rest waits
//! in collapsed panels; and a time typed in the browser's own zone filters the history right.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use thirtyfour::prelude::*;

use crate::driver::Browser;
use crate::endpoints::{open_panel, sign_in, text_of};
use crate::phone::js_number;
use crate::support::{Receiver, TestApp, datetime_local, wait_until};

const WAIT: Duration = Duration::from_secs(15);

/// An app with one endpoint (and one delivery to it); returns the endpoint id.
async fn endpoint_with_a_delivery(app: &TestApp) -> (String, Receiver) {
    let admin = app.setup_admin().await;
    let api = app.api(&app.create_api_key(&admin, &["all"]).await);
    api.post(
        "/api/v1/event-types",
        &json!({"name": "invoice.paid", "example": {"invoice": "inv_1"}}),
        StatusCode::CREATED,
    )
    .await;
    let receiver = Receiver::start(StatusCode::OK).await;
    let wh = api
        .post(
            "/api/v1/webhooks",
            &json!({"name": "Billing", "url": receiver.url(), "events": ["*"]}),
            StatusCode::CREATED,
        )
        .await;
    api.post(
        "/api/v1/events",
        &json!({"type": "invoice.paid", "data": {"invoice": "inv_1"}}),
        StatusCode::ACCEPTED,
    )
    .await;
    receiver.wait_for(1, WAIT).await;
    (wh["id"].as_str().unwrap().to_owned(), receiver)
}

/// Top edge of the element `css` on the page.
async fn top_of(driver: &WebDriver, css: &str) -> f64 {
    let el = driver.find(By::Css(css)).await.unwrap();
    el.rect().await.unwrap().y
}

#[tokio::test]
#[cfg_attr(
    not(has_chromium),
    ignore = "Chromium is not installed: apt-get install chromium chromium-driver"
)]
async fn the_endpoint_page_shows_health_and_history_before_the_collapsed_panels() {
    // Arrange
    let Some(browser) = Browser::start_or_skip().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let (id, _receiver) = endpoint_with_a_delivery(&app).await;
    let driver = browser.driver();
    sign_in(driver, &app).await;
    driver.set_window_rect(0, 0, 1366, 900).await.unwrap();

    // Act
    driver
        .goto(format!("{}/webhooks/{id}", app.url()))
        .await
        .unwrap();

    // Assert: health, then history, then every other panel, each closed.
    let health = top_of(driver, "#health").await;
    let history = top_of(driver, "#history").await;
    assert!(
        health < history,
        "health ({health}) comes before history ({history})"
    );
    let panels = driver.find_all(By::Css("details.panel")).await.unwrap();
    assert!(
        panels.len() >= 4,
        "test, replay, configuration, secret, code"
    );
    for p in &panels {
        let id = p.id().await.unwrap().unwrap_or_default();
        assert!(
            p.attr("open").await.unwrap().is_none(),
            "{id} starts closed"
        );
        let y = p.rect().await.unwrap().y;
        assert!(
            y > history,
            "{id} ({y}) comes after the history ({history})"
        );
    }
    let row = text_of(driver, "#history-rows tr").await.unwrap();
    assert!(row.contains("invoice.paid"), "{row}");
    let height = js_number(driver, "document.documentElement.scrollHeight")
        .await
        .unwrap();
    assert!(height < 2000, "the page is {height} px tall");

    // A closed panel opens and works: the secret panel shows the masked secret.
    open_panel(driver, "secret-details").await;
    let masked = driver.find(By::Id("masked-secret")).await.unwrap();
    assert!(masked.is_displayed().await.unwrap());

    browser.quit().await;
    app.shutdown().await;
}

#[tokio::test]
#[cfg_attr(
    not(has_chromium),
    ignore = "Chromium is not installed: apt-get install chromium chromium-driver"
)]
async fn a_time_typed_in_the_browsers_zone_filters_the_history_and_is_shown_both_ways() {
    // Arrange: a browser in India (UTC+05:30 all year), a delivery made just now.
    let Some(browser) = Browser::start_in_zone_or_skip(Some("Asia/Kolkata")).await else {
        return;
    };
    let app = TestApp::spawn().await;
    let (id, _receiver) = endpoint_with_a_delivery(&app).await;
    let driver = browser.driver();
    sign_in(driver, &app).await;
    driver
        .goto(format!("{}/webhooks/{id}", app.url()))
        .await
        .unwrap();
    let label = text_of(driver, "label[for=h-since]").await.unwrap();
    assert!(label.contains("your time"), "{label}");
    // Ten minutes ago on the browser's clock; read as UTC it would be five hours ahead and
    // match nothing.
    let typed = datetime_local(
        time::OffsetDateTime::now_utc() - time::Duration::minutes(10),
        330,
    );

    // Act: type it into "From" (the change submits the filter through htmx).
    driver
        .execute(
            "const f = document.getElementById('h-since'); f.value = arguments[0];
             f.dispatchEvent(new Event('input', {bubbles: true}));
             f.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![json!(typed)],
        )
        .await
        .unwrap();

    // Assert: the window is said back in both zones, the delivery matches, the address keeps
    // the offset, and a reload shows the time as typed.
    let echo = wait_until(WAIT, "the filter's window is shown", || async {
        text_of(driver, "#h-window").await
    })
    .await;
    assert!(echo.contains("UTC+05:30"), "{echo}");
    assert!(echo.contains(&typed.replace('T', " ")), "{echo}");
    assert!(echo.contains(" UTC)"), "{echo}");
    let row = text_of(driver, "#history-rows tr").await.unwrap();
    assert!(row.contains("invoice.paid"), "{row}");
    let url = driver.current_url().await.unwrap();
    assert!(url.query().unwrap_or("").contains("tz_offset=330"), "{url}");
    driver.refresh().await.unwrap();
    let field = driver.find(By::Id("h-since")).await.unwrap();
    assert_eq!(
        field.value().await.unwrap().as_deref(),
        Some(typed.as_str())
    );

    browser.quit().await;
    app.shutdown().await;
}
