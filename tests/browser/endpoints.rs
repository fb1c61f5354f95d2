//! The endpoint pages in a real browser: the htmx form shows errors in place, the secret is
//! revealed once, the toggle swaps in place, rotate asks first, delete confirms on its own page.

use std::time::Duration;

use thirtyfour::prelude::*;

use crate::driver::Browser;
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, wait_until};

const WAIT: Duration = Duration::from_secs(10);

/// Signs in through the login form and waits for the overview.
pub(crate) async fn sign_in(driver: &WebDriver, app: &TestApp) {
    driver.goto(format!("{}/login", app.url())).await.unwrap();
    driver
        .find(By::Id("email"))
        .await
        .unwrap()
        .send_keys(ADMIN_EMAIL)
        .await
        .unwrap();
    driver
        .find(By::Id("password"))
        .await
        .unwrap()
        .send_keys(ADMIN_PASSWORD)
        .await
        .unwrap();
    driver
        .find(By::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(WAIT, "the overview shows", || async {
        let h1 = driver.find(By::Css("main h1")).await.ok()?;
        (h1.text().await.ok()? == "Overview").then_some(())
    })
    .await;
}

/// Marks the current document; the mark survives htmx swaps but not a page load.
pub(crate) async fn mark_document(driver: &WebDriver) {
    driver
        .execute("window.hookdMark = 'same-page';", vec![])
        .await
        .unwrap();
}

pub(crate) async fn still_same_document(driver: &WebDriver) -> bool {
    let ret = driver
        .execute("return window.hookdMark || null;", vec![])
        .await
        .unwrap();
    ret.json().as_str() == Some("same-page")
}

/// Opens one of the endpoint page's collapsed panels (`<details id=…>`) by clicking its summary,
/// as a person would.
pub(crate) async fn open_panel(driver: &WebDriver, id: &str) {
    let details = driver.find(By::Id(id)).await.unwrap();
    if details.attr("open").await.unwrap().is_none() {
        let summary = details.find(By::Css("summary")).await.unwrap();
        summary.scroll_into_view().await.unwrap();
        summary.click().await.unwrap();
    }
}

pub(crate) async fn text_of(driver: &WebDriver, css: &str) -> Option<String> {
    driver.find(By::Css(css)).await.ok()?.text().await.ok()
}

#[tokio::test]
#[cfg_attr(
    not(has_chromium),
    ignore = "Chromium is not installed: apt-get install chromium chromium-driver"
)]
async fn admin_creates_an_endpoint_sees_the_secret_once_toggles_and_deletes_it() {
    // Arrange: signed in, with one event type added through the catalog page.
    let Some(browser) = Browser::start_or_skip().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let driver = browser.driver();
    sign_in(driver, &app).await;
    driver
        .goto(format!("{}/event-types", app.url()))
        .await
        .unwrap();
    driver
        .find(By::Id("et-name"))
        .await
        .unwrap()
        .send_keys("invoice.paid")
        .await
        .unwrap();
    driver
        .find(By::Id("et-description"))
        .await
        .unwrap()
        .send_keys("An invoice was paid")
        .await
        .unwrap();
    driver
        .find(By::Css("#event-type-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(WAIT, "the event type is listed", || async {
        text_of(driver, "table")
            .await?
            .contains("invoice.paid")
            .then_some(())
    })
    .await;

    // Act 1: an invalid URL, submitted with htmx.
    driver
        .goto(format!("{}/webhooks/new", app.url()))
        .await
        .unwrap();
    mark_document(driver).await;
    driver
        .find(By::Id("name"))
        .await
        .unwrap()
        .send_keys("Billing")
        .await
        .unwrap();
    driver
        .find(By::Id("url"))
        .await
        .unwrap()
        .send_keys("not a url")
        .await
        .unwrap();
    driver
        .find(By::Css("input[name=events][value='invoice.paid']"))
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

    // Assert 1: the error appears next to the field, without a page load, input kept.
    let error = wait_until(WAIT, "the URL error shows", || async {
        text_of(driver, "#url-error").await
    })
    .await;
    assert!(!error.is_empty());
    assert!(
        still_same_document(driver).await,
        "the form was swapped in place, not reloaded"
    );
    let name = driver
        .find(By::Id("name"))
        .await
        .unwrap()
        .value()
        .await
        .unwrap();
    assert_eq!(name.as_deref(), Some("Billing"));

    // Act 2: fix the URL and submit again.
    let url = driver.find(By::Id("url")).await.unwrap();
    url.clear().await.unwrap();
    url.send_keys("http://127.0.0.1:9/hook").await.unwrap();
    driver
        .find(By::Css("#endpoint-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Assert 2: the endpoint page with the secret, once.
    let secret = wait_until(WAIT, "the secret is revealed", || async {
        text_of(driver, "#new-secret")
            .await
            .filter(|s| s.starts_with("whsec_"))
    })
    .await;
    let reveal = text_of(driver, "#revealed-secret").await.unwrap();
    assert!(reveal.contains("it will not be shown again"), "{reveal}");
    let path = driver.current_url().await.unwrap().path().to_owned();
    assert!(
        path.starts_with("/webhooks/"),
        "the endpoint URL is pushed: {path}"
    );
    assert_ne!(path, "/webhooks/new");
    assert!(
        still_same_document(driver).await,
        "htmx swapped the page in"
    );
    let title = driver.title().await.unwrap();
    assert!(
        title.starts_with("Billing"),
        "the title follows the page: {title}"
    );
    let scrolled = driver
        .execute("return window.scrollY;", vec![])
        .await
        .unwrap();
    assert_eq!(
        scrolled.json().as_f64(),
        Some(0.0),
        "the page starts at the top"
    );
    browser.screenshot("endpoint-created.png").await;

    driver.refresh().await.unwrap();
    open_panel(driver, "secret-details").await;
    let masked = wait_until(WAIT, "the masked secret shows", || async {
        text_of(driver, "#masked-secret").await
    })
    .await;
    assert_eq!(masked, format!("whsec_••••{}", &secret[secret.len() - 4..]));
    assert!(
        !driver.source().await.unwrap().contains(&secret),
        "the secret is gone after reload"
    );

    // Act 3: disable, then enable, in place.
    mark_document(driver).await;
    driver
        .find(By::Id("toggle-enabled"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(WAIT, "the endpoint shows disabled", || async {
        let t = text_of(driver, "#endpoint-toggle").await?;
        (t.contains("disabled") && t.contains("Enable")).then_some(())
    })
    .await;
    driver
        .find(By::Id("toggle-enabled"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(WAIT, "the endpoint shows enabled", || async {
        let t = text_of(driver, "#endpoint-toggle").await?;
        (t.contains("enabled") && t.contains("Disable")).then_some(())
    })
    .await;
    assert!(
        still_same_document(driver).await,
        "the toggle swapped in place"
    );

    // Act 4: rotate asks first (window.confirm), then reveals a new secret.
    driver
        .find(By::XPath("//button[normalize-space()='Rotate secret']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(WAIT, "the confirm dialog opens", || async {
        driver.accept_alert().await.ok()
    })
    .await;
    let rotated = wait_until(WAIT, "the new secret is revealed", || async {
        text_of(driver, "#new-secret")
            .await
            .filter(|s| s.starts_with("whsec_"))
    })
    .await;
    assert_ne!(rotated, secret);

    // Act 5: delete through the confirmation page.
    driver
        .find(By::LinkText("Delete"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(WAIT, "the confirmation page shows", || async {
        (text_of(driver, "main h1").await? == "Delete endpoint?").then_some(())
    })
    .await;
    driver
        .find(By::XPath("//button[normalize-space()='Delete endpoint']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Assert 5
    let flash = wait_until(WAIT, "the deleted message shows", || async {
        text_of(driver, ".flash").await
    })
    .await;
    assert!(flash.contains("was deleted"), "{flash}");
    assert_eq!(driver.current_url().await.unwrap().path(), "/webhooks");
    assert!(
        text_of(driver, "main")
            .await
            .unwrap()
            .contains("No endpoints yet")
    );

    browser.quit().await;
    app.shutdown().await;
}
