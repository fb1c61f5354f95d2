//! The test support itself: if these fail, other failures may be the harness's fault.

use std::time::Duration;

use reqwest::StatusCode;

use crate::support::{Receiver, html, wait_until};

#[tokio::test]
async fn receiver_records_requests_and_answers_with_the_chosen_status() {
    // Arrange
    let receiver = Receiver::start(StatusCode::OK).await;
    let client = reqwest::Client::new();

    // Act
    let first = client
        .post(format!("{}/hook?x=1", receiver.url()))
        .header("X-Test", "one")
        .body(r#"{"n":1}"#)
        .send()
        .await
        .unwrap();
    receiver.set_status(StatusCode::SERVICE_UNAVAILABLE);
    let second = client
        .post(format!("{}/hook", receiver.url()))
        .body("two")
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
    let got = receiver.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].method, reqwest::Method::POST);
    assert_eq!(got[0].path, "/hook?x=1");
    assert_eq!(got[0].header("x-test"), Some("one"));
    assert_eq!(got[0].json(), serde_json::json!({"n": 1}));
    assert_eq!(&got[1].body[..], b"two");
}

#[tokio::test]
#[should_panic(expected = "timed out")]
async fn wait_until_gives_up_at_the_deadline() {
    wait_until(Duration::from_millis(100), "never", || async { None::<()> }).await;
}

#[test]
fn scraping_finds_tokens_rows_and_form_ids() {
    let page = r#"<form><input type="hidden" name="csrf_token" value="abc-_1"></form>
        <table><tr><td>a@example.com</td><td><form method="post" action="/users/usr_1/role"></form></td></tr>
        <tr><td>b@example.com</td><td><form method="post" action="/users/usr_2/role"></form></td></tr></table>"#;
    assert_eq!(html::csrf_token(page), "abc-_1");
    let row = html::row_containing(page, "b@example.com").unwrap();
    assert_eq!(
        html::form_action_id(row, "/users/", "/role").as_deref(),
        Some("usr_2")
    );
    assert_eq!(
        html::between("<code>x</code>", "<code>", "</code>"),
        Some("x")
    );
}
