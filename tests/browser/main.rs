//! Real-browser tests: headless Debian Chromium driven over WebDriver (chromedriver), against
//! the real app. Without Chromium (when the tests were built) they are `ignored`, with the
//! reason; under `CI=true` the `tools` test of `tests/it` fails then.

#[allow(dead_code, unused_imports)] // the browser tests use only part of the shared support
#[path = "../it/support/mod.rs"]
mod support;

mod driver;
mod endpoint_page;
mod endpoints;
mod htmx_errors;
mod layout;
mod operations;
mod phone;
mod portal;
mod tenants;

use std::time::Duration;

use thirtyfour::prelude::*;

use driver::Browser;
use support::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, wait_until};

#[tokio::test]
#[cfg_attr(
    not(has_chromium),
    ignore = "Chromium is not installed: apt-get install chromium chromium-driver"
)]
async fn admin_signs_in_through_the_login_form_and_lands_on_the_overview() {
    // Arrange
    let Some(browser) = Browser::start_or_skip().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let driver = browser.driver();
    driver
        .goto(format!("{}/", app.url()))
        .await
        .expect("open the dashboard");
    // Signed out, the dashboard sends the browser to the login page.
    wait_until(Duration::from_secs(10), "the login page shows", || async {
        let url = driver.current_url().await.ok()?;
        (url.path() == "/login").then_some(())
    })
    .await;

    // Act: type into the real form and press the button, as a person would.
    let email = driver.find(By::Id("email")).await.expect("email field");
    email.send_keys(ADMIN_EMAIL).await.unwrap();
    let password = driver
        .find(By::Id("password"))
        .await
        .expect("password field");
    password.send_keys(ADMIN_PASSWORD).await.unwrap();
    driver
        .find(By::XPath("//button[normalize-space()='Sign in']"))
        .await
        .expect("Sign in button")
        .click()
        .await
        .unwrap();

    // Assert
    let heading = wait_until(Duration::from_secs(10), "the overview shows", || async {
        let h1 = driver.find(By::Css("main h1")).await.ok()?;
        let text = h1.text().await.ok()?;
        (text == "Overview").then_some(text)
    })
    .await;
    assert_eq!(heading, "Overview");
    assert_eq!(driver.current_url().await.unwrap().path(), "/");
    let nav = driver
        .find(By::Css("nav[aria-label='Main']"))
        .await
        .expect("main nav");
    assert!(nav.is_displayed().await.unwrap(), "navigation is visible");
    let nav_text = nav.text().await.unwrap();
    for item in ["Overview", "API keys", "Users"] {
        assert!(nav_text.contains(item), "nav lacks {item}: {nav_text}");
    }
    let who = driver.find(By::Css(".usermenu .who")).await.unwrap();
    assert!(who.text().await.unwrap().contains(ADMIN_EMAIL));
    browser.screenshot("overview.png").await;

    browser.quit().await;
    app.shutdown().await;
}

#[tokio::test]
#[cfg_attr(
    not(has_chromium),
    ignore = "Chromium is not installed: apt-get install chromium chromium-driver"
)]
async fn first_run_setup_in_the_browser_creates_the_admin() {
    // Arrange
    let Some(browser) = Browser::start_or_skip().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let driver = browser.driver();
    driver
        .goto(format!("{}{}", app.url(), app.setup_path()))
        .await
        .expect("open the setup link");

    // Act
    for (field, value) in [
        ("email", ADMIN_EMAIL),
        ("password", ADMIN_PASSWORD),
        ("password_confirm", ADMIN_PASSWORD),
    ] {
        driver
            .find(By::Id(field))
            .await
            .unwrap_or_else(|e| panic!("{field} field: {e}"))
            .send_keys(value)
            .await
            .unwrap();
    }
    driver
        .find(By::Css("form button[type=submit]"))
        .await
        .expect("submit button")
        .click()
        .await
        .unwrap();

    // Assert: signed in on the overview, with the welcome message.
    let flash = wait_until(
        Duration::from_secs(10),
        "the welcome message shows",
        || async {
            let flash = driver.find(By::Css(".flash")).await.ok()?;
            flash.text().await.ok()
        },
    )
    .await;
    assert!(flash.contains("first admin"), "{flash}");
    let h1 = driver.find(By::Css("main h1")).await.unwrap();
    assert_eq!(h1.text().await.unwrap(), "Overview");

    browser.quit().await;
    app.shutdown().await;
}
