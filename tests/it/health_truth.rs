//! Issue 15: what the dashboard and the API say about an endpoint's health is true. A broken
//! endpoint whose deliveries are all still retrying shows as failing everywhere, and a
//! delivery replayed successfully is counted once, as succeeded.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::delivery_kit::{Env, Hook, Reply};
use crate::support::html::{between, row_containing};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

/// The text of an element, tags dropped and whitespace collapsed.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn a_broken_endpoint_whose_deliveries_are_all_retrying_shows_as_failing_everywhere() {
    // Arrange: every attempt answers 500; after the second attempt the next is an hour away,
    // so all three deliveries are still inside their retry schedule.
    let env = Env::start(|cfg| {
        cfg.retry_schedule = hookd::delivery::schedule::RetrySchedule::parse("50ms,1h").unwrap();
    })
    .await;
    env.event_type("order.paid").await;
    let hook = Hook::always(Reply::status(500)).await;
    let wh = id(&env
        .webhook(json!({"url": hook.url(), "events": ["*"], "name": "Broken CRM"}))
        .await);
    let mut dlvs = vec![];
    for n in 0..3 {
        let event = id(&env.send("order.paid", json!({ "n": n })).await);
        let dlv = env.only_delivery_id(&event).await;
        env.wait_attempts(&dlv, 2).await;
        dlvs.push(dlv);
    }
    for dlv in &dlvs {
        assert_eq!(env.delivery(dlv).await["status"], "pending");
    }
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let overview = admin.page("/").await.body;
    let page = admin.page(&format!("/webhooks/{wh}")).await.body;
    let failing = admin
        .page(&format!("/webhooks/{wh}/deliveries?status=failing"))
        .await
        .body;
    let failed = admin
        .page(&format!("/webhooks/{wh}/deliveries?status=failed"))
        .await
        .body;
    let api = env.endpoint(&wh).await;
    let api_failing = env
        .api
        .get(
            &format!("/api/v1/webhooks/{wh}/deliveries?status=failing"),
            StatusCode::OK,
        )
        .await;
    let api_failed = env
        .api
        .get(
            &format!("/api/v1/webhooks/{wh}/deliveries?status=failed"),
            StatusCode::OK,
        )
        .await;

    // Assert: the overview's row reads 0.0 % delivered, three retrying, six failed attempts,
    // in red, with retrying bars in the sparkline.
    let row = row_containing(&overview, &format!(r#"id="health-{wh}""#)).unwrap();
    let row_text = text(row);
    assert!(row_text.contains("0.0%"), "{row_text}");
    assert!(
        row_text.contains("0 ok · 3 retrying · 0 failed"),
        "{row_text}"
    );
    assert!(row_text.contains("6 failed attempts"), "{row_text}");
    assert!(row.contains(r#"class="rate bad""#), "{row}");
    assert!(row.contains(r#"class="spark-retry""#), "{row}");
    assert!(
        row.contains("0 succeeded, 0 failed, 3 retrying after a failure; 6 failed attempts"),
        "sparkline label: {row}"
    );
    assert_eq!(
        between(&overview, r#"id="total-retrying">"#, "<"),
        Some("3")
    );
    assert_eq!(between(&overview, r#"id="total-rate">"#, "<"), Some("0.0%"));
    assert!(overview.contains("each counted once by its current state"));

    // The endpoint page: failing, the streak in failed attempts, the stats by current state.
    let status = text(between(&page, "<dt>Last delivery</dt>", "</dd>").unwrap());
    assert_eq!(status, "failing 6 failed attempts in a row");
    let day = text(row_containing(&page, "Last 24 hours").unwrap());
    assert!(day.starts_with("Last 24 hours 0 3 0 0.0 % 6 "), "{day}");

    // History rows say where each delivery stands.
    let history_row = text(row_containing(&page, &format!(r#"id="row-{}""#, dlvs[0])).unwrap());
    // (The next attempt is an hour away, ±10 % jitter.)
    assert!(
        history_row.contains("retrying · attempt 2 of 5 · next in "),
        "{history_row}"
    );
    assert!(
        history_row.contains(" min · last: HTTP 500"),
        "{history_row}"
    );

    // So does the delivery page.
    let delivery = admin.page(&format!("/deliveries/{}", dlvs[0])).await.body;
    assert!(
        delivery.contains(r#"id="delivery-state">retrying<"#),
        "{delivery}"
    );

    // The "failing" filter finds all three; "failed" none (they are not out of retries).
    for dlv in &dlvs {
        assert!(failing.contains(&format!(r#"id="row-{dlv}""#)), "{failing}");
        assert!(!failed.contains(&format!(r#"id="row-{dlv}""#)));
    }
    assert!(failing.contains("failing (failed or retrying after a failure)"));

    // The API says the same.
    assert_eq!(api["failure_count"], 6, "{api}");
    let w = &api["stats"]["last_24h"];
    assert_eq!(
        (
            &w["succeeded"],
            &w["failed"],
            &w["retrying"],
            &w["failed_attempts"]
        ),
        (&json!(0), &json!(0), &json!(3), &json!(6)),
        "{w}"
    );
    assert_eq!(w["success_rate"], 0.0, "{w}");
    assert_eq!(api_failing["data"].as_array().unwrap().len(), 3);
    assert_eq!(api_failed["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_replayed_delivery_that_now_succeeded_is_counted_once() {
    // Arrange: three deliveries fail (no retries), then the receiver is fixed and each is
    // retried by hand.
    let env = Env::start(|_| {}).await;
    env.event_type("order.paid").await;
    let hook = Hook::always(Reply::status(500)).await;
    let wh = id(&env
        .webhook(json!({"url": hook.url(), "events": ["*"], "retry_count": 0}))
        .await);
    let mut dlvs = vec![];
    for n in 0..3 {
        let event = id(&env.send("order.paid", json!({ "n": n })).await);
        let dlv = env.only_delivery_id(&event).await;
        env.wait_status(&dlv, "failed").await;
        dlvs.push(dlv);
    }
    let before = env.endpoint(&wh).await;
    assert_eq!(before["stats"]["last_24h"]["failed"], 3, "{before}");
    hook.set_default(Reply::status(200));

    // Act
    for dlv in &dlvs {
        env.api
            .post(
                &format!("/api/v1/deliveries/{dlv}/retry"),
                &json!({}),
                StatusCode::OK,
            )
            .await;
        env.wait_status(dlv, "succeeded").await;
    }

    // Assert: three deliveries, all succeeded; the three failed attempts stay visible.
    let after = env.endpoint(&wh).await;
    for window in ["last_24h", "last_30d"] {
        let w = &after["stats"][window];
        assert_eq!(w["succeeded"], 3, "{window}: {w}");
        assert_eq!(w["failed"], 0, "{window}: {w}");
        assert_eq!(w["retrying"], 0, "{window}: {w}");
        assert_eq!(w["failed_attempts"], 3, "{window}: {w}");
        assert_eq!(w["success_rate"], 100.0, "{window}: {w}");
    }
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let overview = admin.page("/").await.body;
    assert_eq!(
        between(&overview, r#"id="total-succeeded">"#, "<"),
        Some("3")
    );
    assert_eq!(between(&overview, r#"id="total-failed">"#, "<"), Some("0"));
    assert_eq!(
        between(&overview, r#"id="total-rate">"#, "<"),
        Some("100.0%")
    );
    let page = admin.page(&format!("/webhooks/{wh}")).await.body;
    let day = text(row_containing(&page, "Last 24 hours").unwrap());
    assert!(day.starts_with("Last 24 hours 3 0 0 100.0 % 3 "), "{day}");
}
