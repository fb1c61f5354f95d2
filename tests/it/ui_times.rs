//! Times typed into the dashboard's filters: with the browser's offset (`tz_offset`, filled by
//! app.js) they are read in the browser's zone and said back both ways; without it they are
//! UTC and the page says so. The API is untouched (RFC 3339 only).

use reqwest::StatusCode;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::delivery_kit::{Env, Hook};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, TestClient, datetime_local};

/// UTC+05:30, as app.js sends it: minutes east of UTC.
const INDIA: &str = "330";

struct Seeded {
    /// Keeps the app running.
    _env: Env,
    admin: TestClient,
    endpoint: String,
    delivery: String,
    /// When the delivery was made.
    at: OffsetDateTime,
    _hook: Hook,
}

async fn seed() -> Seeded {
    let hook = Hook::ok().await;
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let wh = env
        .webhook(json!({"url": hook.url(), "events": ["*"], "retry_count": 0}))
        .await;
    let event = env.send("invoice.paid", json!({})).await;
    let delivery = env.only_delivery_id(event["id"].as_str().unwrap()).await;
    let d = env.wait_status(&delivery, "succeeded").await;
    let at = OffsetDateTime::parse(d["created_at"].as_str().unwrap(), &Rfc3339).unwrap();
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    Seeded {
        endpoint: wh["id"].as_str().unwrap().to_owned(),
        _env: env,
        admin,
        delivery,
        at,
        _hook: hook,
    }
}

fn encoded(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_local_time_with_its_offset_filters_the_history_in_that_zone() {
    // Arrange: "from" two minutes before the delivery, on an Indian clock. Read as UTC it
    // would lie 5½ hours after the delivery and match nothing.
    let s = seed().await;
    let since = datetime_local(s.at - Duration::minutes(2), 330);
    let path = format!("/webhooks/{}", s.endpoint);

    // Act
    let local = s
        .admin
        .page(&format!(
            "{path}?since={}&tz_offset={INDIA}",
            encoded(&since)
        ))
        .await;
    let utc = s
        .admin
        .page(&format!("{path}?since={}", encoded(&since)))
        .await;

    // Assert: with the offset the delivery is there, and the window is said both ways.
    let row = format!("id=\"row-{}\"", s.delivery);
    assert!(local.body.contains(&row), "{}", local.body);
    let echo = format!(
        "Showing deliveries from {} UTC+05:30 ({} UTC)",
        since.replace('T', " "),
        datetime_local(s.at - Duration::minutes(2), 0).replace('T', " ")
    );
    assert!(local.body.contains(&echo), "{echo}\n{}", local.body);
    assert!(
        local.body.contains(&format!("value=\"{since}\"")),
        "the field shows the time as typed"
    );
    assert!(local.body.contains(r#"name="tz_offset" value="330""#));
    // Paging and Refresh links keep the zone.
    assert!(local.body.contains("tz_offset=330"), "{}", local.body);
    // Without it: UTC, said on the page, and the delivery is outside the window.
    assert!(!utc.body.contains(&row), "{}", utc.body);
    assert!(
        utc.body
            .contains("Custom “From” and “To” are in <span data-tz-name>UTC</span>"),
        "{}",
        utc.body
    );
    assert!(
        utc.body.contains(&format!(
            "Showing deliveries from {} UTC.",
            since.replace('T', " ")
        )),
        "{}",
        utc.body
    );
}

#[tokio::test]
async fn the_events_log_reads_a_typed_time_in_the_browsers_zone_or_else_in_utc() {
    // Arrange: a window around the event on a clock five hours behind UTC.
    let s = seed().await;
    let since = datetime_local(s.at - Duration::minutes(2), -300);
    let until = datetime_local(s.at + Duration::minutes(2), -300);
    let qs = format!("since={}&until={}", encoded(&since), encoded(&until));

    // Act
    let local = s.admin.page(&format!("/events?{qs}&tz_offset=-300")).await;
    let utc = s.admin.page(&format!("/events?{qs}")).await;

    // Assert
    assert!(local.body.contains("invoice.paid"), "{}", local.body);
    assert!(local.body.contains("UTC-05:00"), "{}", local.body);
    assert!(local.body.contains(r#"id="events-window""#));
    assert!(
        utc.body.contains("No events match these filters"),
        "{}",
        utc.body
    );
    assert!(
        utc.body
            .contains("Times you type are in <span data-tz-name>UTC</span>"),
        "{}",
        utc.body
    );
}

#[tokio::test]
async fn a_replay_since_a_local_time_is_read_in_that_zone() {
    // Arrange: "since" one minute ago on an Indian clock; read as UTC it is in the future.
    let s = seed().await;
    let since = datetime_local(OffsetDateTime::now_utc() - Duration::minutes(1), 330);
    let path = format!("/webhooks/{}/replays", s.endpoint);

    // Act
    let without = s
        .admin
        .submit(
            &path,
            &[("since", &since), ("preset", "")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    s.admin
        .submit(
            &path,
            &[("since", &since), ("preset", ""), ("tz_offset", INDIA)],
            StatusCode::SEE_OTHER,
        )
        .await;
    let page = s.admin.page(&format!("/webhooks/{}", s.endpoint)).await;

    // Assert: UTC by default (so "in the future"); with the offset it started, and the
    // message says the time both ways.
    assert!(without.body.contains("in the future"), "{}", without.body);
    assert!(
        page.body
            .contains(&format!("since {} UTC+05:30 (", since.replace('T', " "))),
        "{}",
        page.body
    );
}
