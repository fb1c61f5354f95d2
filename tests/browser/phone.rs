//! Every main page at phone width (390 px): nothing sticks out of the viewport sideways. Tables
//! may scroll inside their own `.table-wrap`, but the wrapper itself must fit.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use thirtyfour::prelude::*;

use crate::driver::Browser;
use crate::endpoints::sign_in;
use crate::support::{Receiver, TestApp, wait_until};

const WAIT: Duration = Duration::from_secs(15);
pub(crate) const PHONE_WIDTH: u32 = 390;

/// What sticks out of the viewport horizontally: the document's scroll width, and every
/// visible element whose box extends past either edge (elements inside a container that
/// scrolls or clips sideways are that container's business, and it is checked itself).
const OVERFLOW_JS: &str = r##"
const vw = document.documentElement.clientWidth;
const out = [];
if (document.documentElement.scrollWidth > vw) {
  out.push("document is " + document.documentElement.scrollWidth + " px wide, viewport " + vw);
}
function clippedByAncestor(el) {
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    const ox = getComputedStyle(p).overflowX;
    if (ox === "auto" || ox === "scroll" || ox === "hidden") return true;
  }
  return false;
}
function describe(el) {
  let s = el.tagName.toLowerCase();
  if (el.id) s += "#" + el.id;
  if (el.className && typeof el.className === "string") s += "." + el.className.trim().split(/\s+/).join(".");
  return s;
}
for (const el of document.querySelectorAll("body *")) {
  if (el.closest(".skip, .sr-only, script, title, svg title, desc")) continue;
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) continue;
  const st = getComputedStyle(el);
  if (st.visibility === "hidden" || st.display === "none") continue;
  if (clippedByAncestor(el)) continue;
  if (r.right > vw + 0.5 || r.left < -0.5) {
    out.push(describe(el) + " spans " + Math.round(r.left) + ".." + Math.round(r.right));
  }
}
return out;
"##;

/// Resizes the window so the page's viewport is `width` CSS pixels wide (the window has a
/// frame in some modes, so the outer size is corrected once).
pub(crate) async fn set_viewport_width(driver: &WebDriver, width: u32, height: u32) {
    driver
        .set_window_rect(0, 0, width, height)
        .await
        .expect("resize the window");
    let inner = js_number(driver, "window.innerWidth")
        .await
        .unwrap_or(width);
    if inner != width {
        // The window's frame takes the difference; grow (or shrink) the window by it.
        let outer = (2 * width).saturating_sub(inner);
        driver
            .set_window_rect(0, 0, outer, height)
            .await
            .expect("resize the window");
    }
}

/// A screenshot of the whole page (up to a few screens), as a person scrolling would see it;
/// the window is back to a phone's height afterwards.
pub(crate) async fn tall_screenshot(browser: &Browser, name: &str) {
    let driver = browser.driver();
    let height = js_number(driver, "document.documentElement.scrollHeight")
        .await
        .unwrap_or(844)
        .min(3000);
    let rect = driver.get_window_rect().await.unwrap();
    let frame = rect.height as u32 - js_number(driver, "window.innerHeight").await.unwrap_or(0);
    driver
        .set_window_rect(0, 0, rect.width as u32, height + frame)
        .await
        .unwrap();
    browser.screenshot(name).await;
    driver
        .set_window_rect(0, 0, rect.width as u32, rect.height as u32)
        .await
        .unwrap();
}

/// The value of a JavaScript expression that gives a whole number of pixels.
pub(crate) async fn js_number(driver: &WebDriver, expr: &str) -> Option<u32> {
    let ret = driver
        .execute(format!("return {expr};"), vec![])
        .await
        .unwrap();
    ret.json().as_f64().map(|n| n as u32)
}

/// The offenders on the current page, after it has loaded (the local-time script has run).
pub(crate) async fn horizontal_overflow(driver: &WebDriver) -> Vec<String> {
    let ret = driver.execute(OVERFLOW_JS, vec![]).await.unwrap();
    ret.json()
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
#[cfg_attr(
    not(has_chromium),
    ignore = "Chromium is not installed: apt-get install chromium chromium-driver"
)]
async fn every_main_page_fits_a_phone_screen() {
    // Arrange: data that makes pages wide: a long URL, a failure, an example payload, an API
    // key, a second user.
    let Some(browser) = Browser::start_or_skip().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    app.create_user(&admin, "viewer").await;
    let api = app.api(&app.create_api_key(&admin, &["all"]).await);
    api.post(
        "/api/v1/event-types",
        &json!({
            "name": "invoice.payment_succeeded",
            "description": "An invoice was paid in full, by card or bank transfer",
            "example": {"invoice_id": "in_1PaidInFullWithALongIdentifier", "amount_cents": 420000,
                "customer": {"id": "cus_1234567890", "email": "billing@example.com"}}
        }),
        StatusCode::CREATED,
    )
    .await;
    let broken = Receiver::start(StatusCode::INTERNAL_SERVER_ERROR).await;
    let wh = api
        .post(
            "/api/v1/webhooks",
            &json!({"name": "Billing service (production)",
                "url": format!("{}/hooks/billing/production/receive-all-invoice-events", broken.url()),
                "events": ["*"], "retry_count": 0,
                "headers": {"X-Tenant-Identifier": "acme-corporation-international"}}),
            StatusCode::CREATED,
        )
        .await;
    let wh = wh["id"].as_str().unwrap().to_owned();
    let ack = api
        .post(
            "/api/v1/events",
            &json!({"type": "invoice.payment_succeeded", "data": {"invoice_id": "in_1"}}),
            StatusCode::ACCEPTED,
        )
        .await;
    let event = ack["id"].as_str().unwrap().to_owned();
    let delivery = wait_until(WAIT, "the delivery failed", || async {
        let e = api
            .get(&format!("/api/v1/events/{event}"), StatusCode::OK)
            .await;
        let d = &e["deliveries"][0];
        (d["status"] == "failed").then(|| d["id"].as_str().unwrap().to_owned())
    })
    .await;
    let driver = browser.driver();
    sign_in(driver, &app).await;
    set_viewport_width(driver, PHONE_WIDTH, 844).await;

    // Act + Assert: each page, a screenshot, and nothing wider than the screen.
    let pages = [
        ("/", "phone-overview.png"),
        ("/webhooks", "phone-endpoints.png"),
        (&*format!("/webhooks/{wh}"), "phone-endpoint.png"),
        (&*format!("/webhooks/{wh}/edit"), "phone-endpoint-form.png"),
        (&*format!("/deliveries/{delivery}"), "phone-delivery.png"),
        ("/events", "phone-events.png"),
        ("/event-types", "phone-event-types.png"),
        ("/api-keys", "phone-api-keys.png"),
        ("/users", "phone-users.png"),
    ];
    let mut problems = vec![];
    for (path, shot) in pages {
        driver.goto(format!("{}{path}", app.url())).await.unwrap();
        wait_until(WAIT, "the page has loaded", || async {
            driver.find(By::Css("footer.footer")).await.ok()
        })
        .await;
        for p in horizontal_overflow(driver).await {
            problems.push(format!("{path}: {p}"));
        }
        tall_screenshot(&browser, shot).await;
    }
    // Signed out: the login page.
    driver.delete_all_cookies().await.unwrap();
    driver.goto(format!("{}/login", app.url())).await.unwrap();
    tall_screenshot(&browser, "phone-login.png").await;
    for p in horizontal_overflow(driver).await {
        problems.push(format!("/login: {p}"));
    }
    assert!(
        problems.is_empty(),
        "wider than a {PHONE_WIDTH} px screen:\n{}",
        problems.join("\n")
    );

    browser.quit().await;
    app.shutdown().await;
}
