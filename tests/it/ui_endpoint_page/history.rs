//! The delivery history on the endpoint page: filters by status, type and time, keyset paging
//! older and newer by delivery id, and the live poll for newer rows.

use reqwest::StatusCode;

use super::{fixture, row_ids, unescape};
use crate::support::html;

#[tokio::test]
async fn the_history_lists_deliveries_and_filters_by_status_type_and_time() {
    // Arrange: three delivered invoice.paid, then two failed order.created
    let f = fixture().await;
    for _ in 0..3 {
        f.ingest("invoice.paid").await;
    }
    f.settled(3).await;
    f.receiver.set_status(StatusCode::GONE);
    for _ in 0..2 {
        f.ingest("order.created").await;
    }
    let all = f.settled(5).await;
    let ids: Vec<String> = all
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    let history = format!("/webhooks/{}/deliveries", f.id);

    // Act + Assert: unfiltered, newest first, with links to the delivery pages
    let page = f.admin.page(&f.page_path()).await;
    assert_eq!(row_ids(&page.body), ids);
    assert!(
        page.body
            .contains(&format!(r#"href="/deliveries/{}""#, ids[0]))
    );
    let first_row = html::row_containing(&page.body, &ids[0]).unwrap();
    assert!(
        first_row.contains("badge-failed") && first_row.contains("410"),
        "{first_row}"
    );

    let q = |qs: &str| format!("{history}?{qs}");
    let failed = f.admin.page(&q("status=failed")).await;
    assert_eq!(row_ids(&failed.body), ids[..2].to_vec());
    let paid = f.admin.page(&q("event_type=invoice.paid")).await;
    assert_eq!(row_ids(&paid.body), ids[2..].to_vec());
    let both = f
        .admin
        .page(&q("status=succeeded&event_type=order.created"))
        .await;
    assert!(row_ids(&both.body).is_empty());
    assert!(both.body.contains("No deliveries match these filters"));
    let hour = f.admin.page(&q("range=1h")).await;
    assert_eq!(row_ids(&hour.body).len(), 5);
    let old = f
        .admin
        .page(&q(
            "range=custom&since=2000-01-01T00:00&until=2000-01-02T00:00",
        ))
        .await;
    assert!(row_ids(&old.body).is_empty());
    let since = f
        .admin
        .page(&q("range=custom&since=2000-01-01T00:00"))
        .await;
    assert_eq!(row_ids(&since.body).len(), 5);
    assert!(
        since.body.contains(r#"value="2000-01-01T00:00""#),
        "custom value kept"
    );
    let future = f.admin.page(&q("since=2999-01-01T00:00:00Z")).await;
    assert!(
        row_ids(&future.body).is_empty(),
        "since without range is custom"
    );

    // A time that cannot be read: 422, said in the form
    let bad = f
        .admin
        .get(
            &q("range=custom&since=yesterday"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(bad.body.contains("is not a time like"), "{}", bad.body);

    // htmx: the fragment alone, and the endpoint page's address pushed
    let frag = f
        .admin
        .htmx_get(&q("status=failed&view=endpoint"), StatusCode::OK)
        .await;
    assert!(!frag.body.contains("<html"));
    assert_eq!(row_ids(&frag.body).len(), 2);
    assert_eq!(
        frag.header("hx-push-url"),
        Some(format!("/webhooks/{}?status=failed#history", f.id).as_str())
    );
}

#[tokio::test]
async fn history_pages_go_older_and_back_newer_by_delivery_id() {
    // Arrange: one more delivery than a page holds
    let f = fixture().await;
    for _ in 0..26 {
        f.ingest("invoice.paid").await;
    }
    let all = f.settled(26).await;
    let ids: Vec<String> = all
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    let history = format!("/webhooks/{}/deliveries?event_type=invoice.paid", f.id);

    // Act + Assert: first page
    let first = f.admin.page(&history).await;
    assert_eq!(row_ids(&first.body), ids[..25].to_vec());
    assert!(link(&first.body, "history-newer").is_none());
    let older = link(&first.body, "history-older").expect("an Older link");
    assert!(
        older.contains("event_type=invoice.paid"),
        "filters kept: {older}"
    );
    assert!(older.contains(&format!("before={}", ids[24])), "{older}");

    // Older: the last one, nothing older, a way back
    let last = f.admin.page(older.trim_end_matches("#history")).await;
    assert_eq!(row_ids(&last.body), vec![ids[25].clone()]);
    assert!(link(&last.body, "history-older").is_none());
    let newer = link(&last.body, "history-newer").expect("a Newer link");
    assert!(newer.contains(&format!("after={}", ids[25])), "{newer}");

    // Newer: the first page again, with nothing newer
    let back = f.admin.page(newer.trim_end_matches("#history")).await;
    assert_eq!(row_ids(&back.body), ids[..25].to_vec());
    assert!(link(&back.body, "history-newer").is_none());
    assert!(link(&back.body, "history-older").is_some());
}

#[tokio::test]
async fn the_live_poll_returns_only_rows_newer_than_the_newest_shown() {
    // Arrange: two deliveries shown in live mode
    let f = fixture().await;
    f.ingest("invoice.paid").await;
    f.ingest("order.created").await;
    let shown = f.settled(2).await;
    let page = f
        .admin
        .page(&format!("{}?live=1&event_type=invoice.paid", f.page_path()))
        .await;
    assert_eq!(row_ids(&page.body).len(), 1);
    let poll = unescape(
        html::between(&page.body, r#"<tbody id="history-poll" hx-get=""#, "\"")
            .expect("a live poller"),
    );

    // Act 1: nothing new yet
    let nothing = f.admin.htmx_get(&poll, StatusCode::OK).await;
    assert!(row_ids(&nothing.body).is_empty(), "{}", nothing.body);

    // Act 2: one new matching delivery and one that the filter excludes
    f.ingest("order.created").await;
    f.ingest("invoice.paid").await;
    let all = f.settled(4).await;
    let fresh = f.admin.htmx_get(&poll, StatusCode::OK).await;

    // Assert: only the new invoice.paid row, and a poller that moved past it
    assert_eq!(
        row_ids(&fresh.body),
        vec![all[0]["id"].as_str().unwrap().to_owned()]
    );
    assert!(!fresh.body.contains(shown[0]["id"].as_str().unwrap()));
    let next = unescape(html::between(&fresh.body, r#"hx-get=""#, "\"").unwrap());
    assert!(
        next.contains(&format!("after={}", all[0]["id"].as_str().unwrap())),
        "{next}"
    );
    assert!(next.contains("event_type=invoice.paid"));
    let again = f.admin.htmx_get(&next, StatusCode::OK).await;
    assert!(row_ids(&again.body).is_empty());

    // An older page has no poller: live only makes sense on the newest
    let paged = f
        .admin
        .page(&format!(
            "{}?live=1&before={}",
            f.page_path(),
            all[0]["id"].as_str().unwrap()
        ))
        .await;
    assert!(!paged.body.contains(r#"id="history-poll""#));
}

fn link(body: &str, id: &str) -> Option<String> {
    html::between(body, &format!(r#"id="{id}" href=""#), "\"").map(unescape)
}
