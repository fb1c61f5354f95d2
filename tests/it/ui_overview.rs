//! The overview page: per-endpoint health from real deliveries, totals, the pending backlog,
//! recent failures and the auto-disabled banner.

use reqwest::StatusCode;
use serde_json::json;

use crate::delivery_kit::Env;
use crate::support::html::{between, row_containing};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, Receiver};

fn id(v: &serde_json::Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

#[tokio::test]
async fn each_endpoint_shows_its_success_rate_sparkline_and_last_failure() {
    // Arrange: one healthy and one failing endpoint, three events to both.
    let env = Env::start(|_| {}).await;
    env.event_type("order.paid").await;
    let good_rx = Receiver::start(StatusCode::OK).await;
    let bad_rx = Receiver::start(StatusCode::INTERNAL_SERVER_ERROR).await;
    let good = id(&env
        .webhook(json!({"url": good_rx.url(), "events": ["*"], "name": "Shop", "retry_count": 0}))
        .await);
    let bad = id(&env
        .webhook(json!({"url": bad_rx.url(), "events": ["*"], "name": "Billing", "retry_count": 0}))
        .await);
    let mut bad_deliveries = vec![];
    for _ in 0..3 {
        let event = id(&env.send("order.paid", json!({"n": 1})).await);
        for d in env.event(&event).await["deliveries"].as_array().unwrap() {
            let (dlv, wh) = (id(d), d["endpoint_id"].as_str().unwrap().to_owned());
            let end = if wh == bad { "failed" } else { "succeeded" };
            env.wait_status(&dlv, end).await;
            if wh == bad {
                bad_deliveries.push(dlv);
            }
        }
    }
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let page = admin.page("/").await.body;

    // Assert: totals over both endpoints.
    let stat = |id: &str| {
        between(&page, &format!(r#"id="{id}">"#), "<")
            .unwrap_or_else(|| panic!("no {id} in {page}"))
            .to_owned()
    };
    assert_eq!(stat("total-succeeded"), "3");
    assert_eq!(stat("total-failed"), "3");
    assert_eq!(stat("total-rate"), "50.0%");
    assert_eq!(stat("total-pending"), "0");
    assert!(page.contains("nothing pending"));

    // Each endpoint's row: its own rate, a sparkline whose label counts its deliveries.
    let good_row = row_containing(&page, &format!(r#"id="health-{good}""#)).unwrap();
    assert!(good_row.contains("100.0%"), "{good_row}");
    assert!(
        good_row.contains("3 succeeded, 0 failed"),
        "sparkline label: {good_row}"
    );
    assert!(good_row.contains(r#"class="spark-ok""#), "{good_row}");
    assert!(!good_row.contains(r#"class="spark-bad""#), "{good_row}");
    let bad_row = row_containing(&page, &format!(r#"id="health-{bad}""#)).unwrap();
    assert!(bad_row.contains("0.0%"), "{bad_row}");
    assert!(bad_row.contains("0 succeeded, 3 failed"), "{bad_row}");
    assert!(bad_row.contains(r#"class="spark-bad""#), "{bad_row}");
    // The last failure, with its reason and a link to the newest failed delivery.
    assert!(bad_row.contains("HTTP 500"), "{bad_row}");
    assert!(bad_row.contains(&format!("/deliveries/{}", bad_deliveries[2])));

    // Recent failures across endpoints: the three failed deliveries, newest first.
    let failures = between(&page, r#"id="recent-failures""#, "</table>").unwrap();
    let linked: Vec<&str> = failures
        .split(r#"href="/deliveries/"#)
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    let mut newest_first = bad_deliveries.clone();
    newest_first.reverse();
    assert_eq!(linked, newest_first);
    assert!(failures.contains("Billing") && !failures.contains("Shop"));
}

#[tokio::test]
async fn the_oldest_pending_delivery_is_shown_and_linked() {
    // Arrange: a failing receiver and a retry an hour away keep the delivery pending.
    let env = Env::start(|cfg| {
        cfg.retry_schedule = hookd::delivery::schedule::RetrySchedule::parse("1h").unwrap();
    })
    .await;
    env.event_type("order.paid").await;
    let rx = Receiver::start(StatusCode::SERVICE_UNAVAILABLE).await;
    env.webhook(json!({"url": rx.url(), "events": ["*"], "retry_count": 1}))
        .await;
    let event = id(&env.send("order.paid", json!({})).await);
    let dlv = env.only_delivery_id(&event).await;
    env.wait_attempts(&dlv, 1).await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act
    let page = admin.page("/").await.body;

    // Assert
    assert_eq!(between(&page, r#"id="total-pending">"#, "<"), Some("1"));
    assert_eq!(
        between(&page, r#"href="/deliveries/"#, r#"" id="oldest-pending""#),
        Some(dlv.as_str())
    );
    let row = row_containing(&page, r#"id="health-"#).unwrap();
    assert!(row.contains("503"), "the last failure's reason: {row}");
}

#[tokio::test]
async fn an_auto_disabled_endpoint_gets_a_banner_with_one_click_re_enable() {
    // Arrange: an endpoint the engine disabled (five days of failures, set in the database
    // because a test cannot wait five days).
    let env = Env::start(|_| {}).await;
    let rx = Receiver::start(StatusCode::OK).await;
    let wh = id(&env
        .webhook(json!({"url": rx.url(), "events": ["*"], "name": "Legacy CRM"}))
        .await);
    let key = env.key.clone();
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let viewer = env.app.create_user(&admin, "viewer").await;
    let data = env.app.stop_keeping_data().await;
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data.path().join("hookd.db").display()
    ))
    .await
    .unwrap();
    sqlx::query(
        "update endpoints set enabled = 0, failure_count = 12,
             disabled_reason = 'auto: every delivery failed for 5 days (12 in a row)' where id = ?",
    )
    .bind(&wh)
    .execute(&db)
    .await
    .unwrap();
    db.close().await;
    let env = Env::restart(data, key, |_| {}).await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let viewer = env.app.login(&viewer.email, &viewer.password).await;

    // Assert: both see the banner with the reason; only the admin gets the button.
    let banner_of = |page: &str| {
        between(page, &format!(r#"id="disabled-{wh}""#), "</div>")
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no banner in {page}"))
    };
    let seen_by_admin = banner_of(&admin.page("/").await.body);
    assert!(seen_by_admin.contains("Legacy CRM"));
    assert!(seen_by_admin.contains("every delivery failed for 5 days (12 in a row)"));
    assert!(seen_by_admin.contains("Re-enable"));
    let seen_by_viewer = banner_of(&viewer.page("/").await.body);
    assert!(!seen_by_viewer.contains("Re-enable"));
    let refused = viewer
        .submit(
            &format!("/webhooks/{wh}/enabled"),
            &[("enabled", "true"), ("next", "/")],
            StatusCode::FORBIDDEN,
        )
        .await;
    assert!(refused.body.contains("only view"));

    // Act: one click, back on the overview.
    let done = admin
        .submit(
            &format!("/webhooks/{wh}/enabled"),
            &[("enabled", "true"), ("next", "/")],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert
    assert_eq!(done.location(), "/");
    assert_eq!(env.endpoint(&wh).await["enabled"], true);
    assert!(
        !admin
            .page("/")
            .await
            .body
            .contains(&format!(r#"id="disabled-{wh}""#))
    );
}

#[tokio::test]
async fn a_large_backlog_is_counted_up_to_a_cap_and_shown_as_more() {
    // Arrange: 101 endpoints that refuse connections and retry only in an hour, 100 events to
    // all of them: 10,100 deliveries stay pending, more than the overview counts.
    let env = Env::start(|cfg| {
        cfg.retry_schedule = hookd::delivery::schedule::RetrySchedule::parse("1h").unwrap();
    })
    .await;
    env.event_type("order.paid").await;
    let (_refusing, port) = crate::delivery_kit::refusing_port();
    for _ in 0..101 {
        env.webhook(
            json!({"url": format!("http://127.0.0.1:{port}/"), "events": ["*"], "retry_count": 1}),
        )
        .await;
    }
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let pending = |page: &str| between(page, r#"id="total-pending">"#, "<").map(str::to_owned);
    for _ in 0..99 {
        env.send("order.paid", json!({})).await;
    }
    // 9,999 pending: counted exactly.
    let page = admin.page("/").await.body;
    assert_eq!(pending(&page).as_deref(), Some("9999"));

    // Act
    env.send("order.paid", json!({})).await;
    let page = admin.page("/").await.body;

    // Assert
    assert_eq!(pending(&page).as_deref(), Some("10000+"));
}
