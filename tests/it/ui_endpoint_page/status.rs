//! What the endpoint page says about the endpoint's state: the disabled banner with re-enable,
//! and the stats and chart of recent attempts.

use reqwest::StatusCode;

use super::fixture;
use crate::support::html;

#[tokio::test]
async fn a_disabled_endpoint_shows_why_and_re_enable_turns_it_back_on_in_place() {
    // Arrange
    let f = fixture().await;
    let enabled = format!("{}/enabled", f.page_path());
    f.admin
        .submit(&enabled, &[("enabled", "false")], StatusCode::SEE_OTHER)
        .await;

    // Act
    let page = f.admin.page(&f.page_path()).await;

    // Assert: the banner explains, and offers the button
    let banner = html::between(&page.body, r#"id="disabled-banner""#, "</div>\n</div>")
        .unwrap_or_else(|| panic!("no banner:\n{}", page.body));
    assert!(banner.contains("This endpoint is disabled"), "{banner}");
    assert!(banner.contains("It was disabled by hand"), "{banner}");
    assert!(banner.contains(r#"id="banner-reenable""#), "{banner}");

    // Act: re-enable with htmx from the banner
    let swap = f
        .admin
        .htmx_submit(&enabled, &[("enabled", "true")], StatusCode::OK)
        .await;

    // Assert: the switch says enabled and the banner is emptied out of band
    assert!(swap.body.contains("badge-enabled"), "{}", swap.body);
    assert!(
        swap.body
            .contains(r#"<div id="disabled-banner" hx-swap-oob="true"></div>"#),
        "{}",
        swap.body
    );
    let page = f.admin.page(&f.page_path()).await;
    assert!(!page.body.contains("This endpoint is disabled"));
    assert!(page.body.contains(r#"<div id="disabled-banner"></div>"#));
}

#[tokio::test]
async fn stats_and_chart_summarise_recent_attempts() {
    // Arrange
    let f = fixture().await;
    f.ingest("invoice.paid").await;
    f.settled(1).await;

    // Act
    let page = f.admin.page(&f.page_path()).await;

    // Assert
    let stats = html::between(&page.body, r#"id="stats""#, "</section>").unwrap();
    let day = html::row_containing(stats, "Last 24 hours").unwrap();
    assert!(day.contains("<td>1</td><td>0</td>"), "{day}");
    assert!(
        stats.contains(r#"role="img""#) && stats.contains("<title"),
        "{stats}"
    );
    assert!(
        stats.contains("Response times of the last 1 attempts"),
        "{stats}"
    );
    assert_eq!(stats.matches(r#"class="bar-ok""#).count(), 1);
}
