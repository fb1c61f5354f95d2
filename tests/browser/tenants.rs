//! The tenant pages in a real browser: the create form's errors appear in place (htmx) and a
//! new tenant opens its page; on a phone, the tenant pages and the lists with a tenant column
//! fit the screen.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use thirtyfour::prelude::*;

use crate::driver::Browser;
use crate::endpoints::{mark_document, sign_in, still_same_document};
use crate::phone::{PHONE_WIDTH, horizontal_overflow, set_viewport_width};
use crate::support::{TestApp, wait_until};

const WAIT: Duration = Duration::from_secs(10);
const UID: &str = "acme-corporation-international:eu-west";

#[tokio::test]
#[cfg_attr(
    not(has_chromium),
    ignore = "Chromium is not installed: apt-get install chromium chromium-driver"
)]
async fn the_create_form_errors_in_place_and_the_tenant_pages_fit_a_phone() {
    // Arrange: a tenant with a long uid and name, an endpoint with a long URL, a bound key.
    let Some(browser) = Browser::start_or_skip().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.api(&app.create_api_key(&admin, &["all"]).await);
    let put = api
        .request(Method::PUT, &format!("/api/v1/tenants/{UID}"))
        .json(&json!({"name": "Acme Corporation International, European operations"}));
    api.send(put, StatusCode::CREATED).await;
    api.post(
        "/api/v1/webhooks",
        &json!({"url": "http://127.0.0.1:9/hooks/acme/production/receive-all-invoice-events",
            "events": ["*"], "tenant": UID, "name": "Acme invoicing (production)"}),
        StatusCode::CREATED,
    )
    .await;
    api.post(
        &format!("/api/v1/tenants/{UID}/api-keys"),
        &json!({"name": "acme-corporation-integration"}),
        StatusCode::CREATED,
    )
    .await;
    let driver = browser.driver();
    sign_in(driver, &app).await;

    // Act + Assert: a bad uid is refused in place, a good one opens the new tenant's page.
    driver.goto(format!("{}/tenants", app.url())).await.unwrap();
    mark_document(driver).await;
    let uid = driver.find(By::Id("tenant-uid")).await.unwrap();
    uid.send_keys("not a uid").await.unwrap();
    let submit = "#tenant-form button[type=submit]";
    driver
        .find(By::Css(submit))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(WAIT, "the uid error shows", || async {
        driver.find(By::Id("tenant-uid-error")).await.ok()
    })
    .await;
    assert!(still_same_document(driver).await, "swapped in place");
    let uid = driver.find(By::Id("tenant-uid")).await.unwrap();
    uid.clear().await.unwrap();
    uid.send_keys("cus_42").await.unwrap();
    driver
        .find(By::Css(submit))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(WAIT, "the tenant page opens", || async {
        let url = driver.current_url().await.ok()?;
        url.path().ends_with("/tenants/cus_42").then_some(())
    })
    .await;

    // On a phone, nothing is wider than the screen.
    set_viewport_width(driver, PHONE_WIDTH, 844).await;
    let mut problems = vec![];
    for path in [
        "/tenants".to_owned(),
        format!("/tenants/{UID}"),
        format!("/tenants/{UID}/delete"),
        "/webhooks".to_owned(),
        "/api-keys".to_owned(),
    ] {
        driver.goto(format!("{}{path}", app.url())).await.unwrap();
        wait_until(WAIT, "the page has loaded", || async {
            driver.find(By::Css("footer.footer")).await.ok()
        })
        .await;
        for p in horizontal_overflow(driver).await {
            problems.push(format!("{path}: {p}"));
        }
    }
    assert!(
        problems.is_empty(),
        "wider than a {PHONE_WIDTH} px screen:\n{}",
        problems.join("\n")
    );
}
