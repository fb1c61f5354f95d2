//! The tenant portal in a real browser: the team mints a link through the API, the customer
//! opens it, sees only its own endpoints under the team's branding, creates one, sees its secret
//! once, sends a test event and sees the result in place.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use thirtyfour::prelude::*;

use crate::driver::Browser;
use crate::endpoints::{mark_document, open_panel, still_same_document, text_of};
use crate::support::{Receiver, TestApp, wait_until};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
#[cfg_attr(
    not(has_chromium),
    ignore = "Chromium is not installed: apt-get install chromium chromium-driver"
)]
async fn a_customer_opens_a_portal_link_creates_an_endpoint_and_tests_it() {
    // Arrange: the team's side, through the API.
    let Some(browser) = Browser::start_or_skip().await else {
        return;
    };
    let app = TestApp::spawn_with(|c| {
        c.portal.product_name = "Acme Cloud".into();
        c.portal.accent_color = "#0f766e".into();
        c.portal.support_url = Some(url::Url::parse("https://help.example.com/").unwrap());
    })
    .await;
    let admin = app.setup_admin().await;
    let api = app.api(&app.create_api_key(&admin, &["all"]).await);
    api.post(
        "/api/v1/event-types",
        &json!({"name": "order.shipped", "description": "An order left the warehouse",
                "example": {"order": "ord_42", "carrier": "DHL"}}),
        StatusCode::CREATED,
    )
    .await;
    for uid in ["shop-17", "shop-99"] {
        api.post("/api/v1/tenants", &json!({"uid": uid}), StatusCode::CREATED)
            .await;
    }
    let receiver = Receiver::start(StatusCode::OK).await;
    for (tenant, name) in [
        (Some("shop-17"), "Warehouse sync"),
        (Some("shop-99"), "Someone else's"),
        (None, "Team internal"),
    ] {
        let mut body =
            json!({"name": name, "url": format!("{}/hook", receiver.url()), "events": ["*"]});
        if let Some(t) = tenant {
            body["tenant"] = json!(t);
        }
        api.post("/api/v1/webhooks", &body, StatusCode::CREATED)
            .await;
    }
    let link = api
        .post(
            "/api/v1/tenants/shop-17/portal-links",
            &json!({}),
            StatusCode::CREATED,
        )
        .await["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let driver = browser.driver();

    // Act 1: the customer's browser opens the link.
    driver.goto(&link).await.unwrap();

    // Assert 1: the tenant's endpoints, under the team's name, and nothing else.
    wait_until(WAIT, "the portal's endpoint list shows", || async {
        (text_of(driver, "main h1").await? == "Endpoints").then_some(())
    })
    .await;
    assert_eq!(
        driver.current_url().await.unwrap().path(),
        "/portal/webhooks"
    );
    let main = text_of(driver, "main").await.unwrap();
    assert!(main.contains("Warehouse sync"), "{main}");
    assert!(
        !main.contains("Someone else's") && !main.contains("Team internal"),
        "{main}"
    );
    let brand = text_of(driver, ".topbar .brand").await.unwrap();
    assert!(brand.contains("Acme Cloud"), "{brand}");
    let nav = text_of(driver, "nav[aria-label='Main']").await.unwrap();
    assert!(!nav.contains("API keys") && !nav.contains("Users"), "{nav}");
    driver.set_window_rect(0, 0, 1280, 800).await.unwrap();
    browser.screenshot("portal-endpoints.png").await;

    // Act 2: create an endpoint with the form.
    driver
        .find(By::LinkText("New endpoint"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(WAIT, "the form shows", || async {
        driver.find(By::Id("endpoint-form")).await.ok()
    })
    .await;
    driver
        .find(By::Id("name"))
        .await
        .unwrap()
        .send_keys("Order updates")
        .await
        .unwrap();
    driver
        .find(By::Id("url"))
        .await
        .unwrap()
        .send_keys(format!("{}/orders", receiver.url()))
        .await
        .unwrap();
    driver
        .find(By::Css("input[name=events][value='order.shipped']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    driver
        .find(By::Css("#endpoint-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Assert 2: the secret, once, on the portal's endpoint page.
    let secret = wait_until(WAIT, "the secret is revealed", || async {
        text_of(driver, "#new-secret")
            .await
            .filter(|s| s.starts_with("whsec_"))
    })
    .await;
    let path = driver.current_url().await.unwrap().path().to_owned();
    assert!(path.starts_with("/portal/webhooks/wh_"), "{path}");
    let id = path.trim_start_matches("/portal/webhooks/").to_owned();
    let e = api
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    assert_eq!(e["tenant"], "shop-17", "{e}");
    driver.refresh().await.unwrap();
    wait_until(WAIT, "the page reloads", || async {
        (text_of(driver, "main h1").await? == "Order updates").then_some(())
    })
    .await;
    assert!(
        driver.find(By::Id("new-secret")).await.is_err(),
        "the secret shows once"
    );
    let page = driver.source().await.unwrap();
    assert!(!page.contains(&secret));

    // Act 3: send a test event from the page.
    mark_document(driver).await;
    open_panel(driver, "test-details").await;
    driver
        .find(By::Id("send-test-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Assert 3: the result in place, and the receiver got it.
    let status = wait_until(WAIT, "the test result shows", || async {
        text_of(driver, "#test-status").await
    })
    .await;
    assert_eq!(status, "200");
    let result = text_of(driver, "#test-result").await.unwrap();
    assert!(result.contains("succeeded"), "{result}");
    assert!(
        still_same_document(driver).await,
        "the result was swapped in place"
    );
    let got = receiver.wait_for(1, WAIT).await;
    assert!(
        got.iter().any(|r| r.path == "/orders"),
        "the test reached the new endpoint"
    );
    driver.set_window_rect(0, 0, 1280, 2100).await.unwrap();
    driver
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    browser.screenshot("portal-endpoint.png").await;

    browser.quit().await;
    app.shutdown().await;
}
