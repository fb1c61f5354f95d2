//! The events log and the event page: rows with their fan-out, type and time filters, exact
//! search by id or idempotency key, keyset paging that keeps the filters.

use reqwest::StatusCode;
use serde_json::json;

use crate::delivery_kit::{Env, Hook};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, TestClient, html};

/// Ids of the event rows on a log page, top to bottom.
fn row_ids(body: &str) -> Vec<String> {
    body.split("<a href=\"/events/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|id| id.starts_with("evt_"))
        .map(str::to_owned)
        .collect()
}

/// The `href` of a pager link (`rel="next"` is Older, `rel="prev"` is Newer).
fn pager_link(body: &str, rel: &str) -> Option<String> {
    html::between(body, &format!("rel=\"{rel}\" href=\""), "\"")
        .map(|u| u.replace("&#38;", "&").replace("&amp;", "&"))
}

struct Seeded {
    env: Env,
    admin: TestClient,
    /// Oldest first: a.one ×3 then b.two ×2.
    ids: Vec<String>,
    created: Vec<String>,
    _hook: Hook,
}

async fn seed() -> Seeded {
    let hook = Hook::ok().await;
    let env = Env::start(|_| {}).await;
    env.event_type("a.one").await;
    env.event_type("b.two").await;
    let wh = env
        .webhook(json!({"url": hook.url(), "events": ["a.one"], "name": "Orders hook"}))
        .await;
    assert!(wh["id"].is_string());
    let mut ids = vec![];
    let mut created = vec![];
    for (i, t) in ["a.one", "a.one", "a.one", "b.two", "b.two"]
        .iter()
        .enumerate()
    {
        let mut body = json!({"type": t, "data": {"seq": i}});
        if i == 1 {
            body["idempotency_key"] = json!("order-42");
        }
        let ack = env.send_body(body).await;
        ids.push(ack["id"].as_str().unwrap().to_owned());
        created.push(ack["created_at"].as_str().unwrap().to_owned());
    }
    hook.wait_for(3).await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    Seeded {
        env,
        admin,
        ids,
        created,
        _hook: hook,
    }
}

#[tokio::test]
async fn the_log_lists_events_newest_first_with_their_fan_out() {
    // Arrange
    let s = seed().await;
    // Wait until the three a.one deliveries are recorded as delivered.
    for id in &s.ids[..3] {
        let dlv = s.env.only_delivery_id(id).await;
        s.env.wait_status(&dlv, "succeeded").await;
    }

    // Act
    let page = s.admin.page("/events").await;

    // Assert
    let mut newest_first = s.ids.clone();
    newest_first.reverse();
    assert_eq!(row_ids(&page.body), newest_first);
    assert_eq!(page.body.matches("1 delivered").count(), 3, "{}", page.body);
    assert_eq!(page.body.matches("no endpoint subscribed").count(), 2);
    assert!(page.body.contains("key order-42"));
    assert!(
        page.body.contains("aria-current=\"page\">Events<"),
        "nav marks Events"
    );
    assert!(pager_link(&page.body, "next").is_none() && pager_link(&page.body, "prev").is_none());
}

#[tokio::test]
async fn the_log_filters_by_type_and_time_and_finds_by_id_or_idempotency_key() {
    // Arrange
    let s = seed().await;

    // Act + Assert: type.
    let b = s.admin.page("/events?type=b.two").await;
    assert_eq!(row_ids(&b.body), vec![s.ids[4].clone(), s.ids[3].clone()]);
    assert!(
        b.body.contains("value=\"b.two\""),
        "the filter is kept in the form"
    );

    // Time: since the third event (inclusive), and until it (exclusive).
    let since = url_encode(&s.created[2]);
    let later = s.admin.page(&format!("/events?since={since}")).await;
    assert_eq!(
        row_ids(&later.body),
        vec![s.ids[4].clone(), s.ids[3].clone(), s.ids[2].clone()]
    );
    let earlier = s.admin.page(&format!("/events?until={since}")).await;
    assert_eq!(
        row_ids(&earlier.body),
        vec![s.ids[1].clone(), s.ids[0].clone()]
    );
    let both = s
        .admin
        .page(&format!("/events?type=a.one&since={since}"))
        .await;
    assert_eq!(row_ids(&both.body), vec![s.ids[2].clone()]);
    let future = s.admin.page("/events?since=2999-01-01T00:00").await;
    assert!(row_ids(&future.body).is_empty());
    assert!(future.body.contains("No events match these filters"));

    // Search: exact id, exact idempotency key, and neither.
    let by_id = s.admin.page(&format!("/events?q={}", s.ids[3])).await;
    assert_eq!(row_ids(&by_id.body), vec![s.ids[3].clone()]);
    let by_key = s.admin.page("/events?q=order-42").await;
    assert_eq!(row_ids(&by_key.body), vec![s.ids[1].clone()]);
    let partial = s.admin.page("/events?q=order-4").await;
    assert!(row_ids(&partial.body).is_empty());
    assert!(
        partial
            .body
            .contains("No event has that id or idempotency key")
    );

    // A malformed time is refused next to its field.
    let bad = s
        .admin
        .get("/events?since=yesterday", StatusCode::UNPROCESSABLE_ENTITY)
        .await;
    assert!(bad.body.contains("id=\"f-since-error\""), "{}", bad.body);
    assert!(bad.body.contains("aria-invalid=\"true\""));
}

#[tokio::test]
async fn htmx_gets_the_results_alone_and_the_url_to_push() {
    // Arrange
    let s = seed().await;

    // Act
    let resp = s
        .admin
        .htmx_get("/events?type=b.two&q=", StatusCode::OK)
        .await;

    // Assert
    assert!(
        resp.body.starts_with("<div id=\"events-results\">"),
        "{}",
        resp.body
    );
    assert!(!resp.body.contains("<html"));
    assert_eq!(row_ids(&resp.body).len(), 2);
    assert_eq!(resp.header("hx-push-url"), Some("/events?type=b.two"));
    // Signed out, the log sends you to sign in first.
    let anonymous = s
        .env
        .app
        .client()
        .get("/events", StatusCode::SEE_OTHER)
        .await;
    assert!(anonymous.location().starts_with("/login?next="));
}

#[tokio::test]
async fn older_and_newer_pages_keep_the_filter_and_stop_at_the_ends() {
    // Arrange: 53 events of one type among others; pages hold 50.
    let hook = Hook::ok().await;
    let env = Env::start(|_| {}).await;
    env.event_type("p.page").await;
    env.event_type("q.other").await;
    assert!(hook.url().starts_with("http"));
    let mut ids = vec![];
    for i in 0..53 {
        let ack = env.send("p.page", json!({ "i": i })).await;
        ids.push(ack["id"].as_str().unwrap().to_owned());
        if i % 10 == 0 {
            env.send("q.other", json!({})).await;
        }
    }
    ids.reverse(); // newest first
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act + Assert: first page.
    let first = admin.page("/events?type=p.page").await;
    assert_eq!(row_ids(&first.body), ids[..50].to_vec());
    assert!(
        pager_link(&first.body, "prev").is_none(),
        "no newer page at the top"
    );
    let older = pager_link(&first.body, "next").expect("an Older link");
    assert!(older.contains("type=p.page"), "{older}");

    // The last page: the 3 oldest, nothing older.
    let last = admin.page(&older).await;
    assert_eq!(row_ids(&last.body), ids[50..].to_vec());
    assert!(pager_link(&last.body, "next").is_none());
    let newer = pager_link(&last.body, "prev").expect("a Newer link");
    assert!(newer.contains("type=p.page"), "{newer}");

    // Back up: the newest 50 again, and no Newer link.
    let back = admin.page(&newer).await;
    assert_eq!(row_ids(&back.body), ids[..50].to_vec());
    assert!(pager_link(&back.body, "prev").is_none());
    assert!(pager_link(&back.body, "next").is_some());
}

#[tokio::test]
async fn the_event_page_shows_payload_key_channels_and_deliveries() {
    // Arrange
    let s = seed().await;
    let event = &s.ids[1];
    let dlv = s.env.only_delivery_id(event).await;
    s.env.wait_status(&dlv, "succeeded").await;

    // Act
    let page = s.admin.page(&format!("/events/{event}")).await;

    // Assert
    assert!(page.body.contains("id=\"idempotency-key\">order-42<"));
    let payload = html::between(&page.body, "id=\"event-payload\">", "</pre>").unwrap();
    assert!(
        payload.contains("seq") && payload.contains('1'),
        "{payload}"
    );
    let fan_out = html::between(&page.body, "id=\"fan-out\"", "</section>").unwrap();
    assert!(fan_out.contains("Orders hook"));
    assert!(fan_out.contains("succeeded"));
    assert!(fan_out.contains(&format!("href=\"/deliveries/{dlv}\"")));
    assert!(fan_out.contains("HTTP 200"));
    // An event nobody subscribed to says so; unknown ids are 404.
    let lonely = s.admin.page(&format!("/events/{}", s.ids[4])).await;
    assert!(lonely.body.contains("went nowhere"));
    s.admin
        .get(
            "/events/evt_00000000000000000000000000000000",
            StatusCode::NOT_FOUND,
        )
        .await;
    s.admin.get("/events/nope", StatusCode::NOT_FOUND).await;
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
