//! "Send test event": the result inline (status, headers, body), a payload that is not a JSON
//! object refused and kept, and the catalog's example loaded into the payload.

use reqwest::StatusCode;
use serde_json::json;

use super::{WAIT, fixture, row_ids, unescape};
use crate::support::html;

#[tokio::test]
async fn a_test_send_shows_success_then_failure_inline_with_status_headers_and_body() {
    // Arrange
    let f = fixture().await;
    let test = format!("{}/test", f.page_path());

    // Act: htmx send of the type's example, edited
    let ok = f
        .admin
        .htmx_submit(
            &test,
            &[
                ("event_type", "invoice.paid"),
                ("payload", r#"{"invoice": "inv_9", "amount": 5}"#),
            ],
            StatusCode::OK,
        )
        .await;

    // Assert: the panel alone, with the outcome; the receiver got exactly that data
    assert!(!ok.body.contains("<html"), "a fragment, not a page");
    assert!(ok.body.contains(r#"id="send-test""#));
    assert!(ok.body.contains("badge-succeeded"), "{}", ok.body);
    assert!(ok.body.contains(r#"id="test-status">200<"#), "{}", ok.body);
    assert!(ok.body.contains(" ms</strong>"));
    let delivery = html::between(&ok.body, r#"href="/deliveries/"#, "\"").unwrap();
    assert!(delivery.starts_with("dlv_"), "{delivery}");
    assert!(ok.body.contains("content-length"), "response headers shown");
    let got = f.receiver.wait_for(1, WAIT).await;
    assert_eq!(got[0].json()["type"], "invoice.paid");
    assert_eq!(
        got[0].json()["data"],
        json!({"invoice": "inv_9", "amount": 5})
    );

    // Act: the receiver fails; sent without JS this time
    f.receiver.set_status(StatusCode::INTERNAL_SERVER_ERROR);
    let failed = f
        .admin
        .submit(
            &test,
            &[("event_type", "webhook.test"), ("payload", "{}")],
            StatusCode::OK,
        )
        .await;

    // Assert: a whole page with the failure, and both sends in the history
    assert!(failed.body.contains("<html"));
    let result = html::between(&failed.body, r#"id="test-result""#, "</section>").unwrap();
    assert!(result.contains("badge-failed"), "{result}");
    assert!(result.contains(r#"id="test-status">500<"#), "{result}");
    // The status is said once, with its reason, and no "status:" kind label.
    assert!(result.contains("Internal Server Error"), "{result}");
    assert_eq!(
        result.matches("Internal Server Error").count(),
        1,
        "{result}"
    );
    assert!(!result.contains("status:"), "{result}");
    assert_eq!(row_ids(&failed.body).len(), 2, "{}", failed.body);
    assert!(row_ids(&failed.body).contains(&delivery.to_owned()));
}

#[tokio::test]
async fn a_payload_that_is_not_a_json_object_is_refused_inline_and_kept() {
    // Arrange
    let f = fixture().await;
    let test = format!("{}/test", f.page_path());

    for (payload, message) in [
        (r#"{"amount": 5,"#, "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
    ] {
        // Act
        let resp = f
            .admin
            .htmx_submit(
                &test,
                &[("event_type", "invoice.paid"), ("payload", payload)],
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;

        // Assert: error next to the field, the text as typed
        let field = html::between(&resp.body, r#"id="test-fields""#, "</div>").unwrap();
        assert!(field.contains(r#"aria-invalid="true""#), "{field}");
        assert!(field.contains(message), "{field}");
        let kept = html::between(
            field,
            "spellcheck=\"false\" aria-invalid=\"true\" aria-describedby=\"test-payload-error\">",
            "</textarea>",
        )
        .unwrap();
        assert_eq!(unescape(kept), payload);
    }
    assert!(f.receiver.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn load_example_fills_the_payload_from_the_catalog() {
    // Arrange
    let f = fixture().await;
    let example = format!("{}/test-example?test_type=invoice.paid", f.page_path());

    // Act: htmx gets the fields; without JS the button leads to the page
    let frag = f.admin.htmx_get(&example, StatusCode::OK).await;
    let plain = f.admin.get(&example, StatusCode::SEE_OTHER).await;
    let page = f.admin.page(plain.location()).await;

    // Assert
    for body in [&frag.body, &page.body] {
        let field = html::between(body, r#"id="test-fields""#, "</textarea>").unwrap();
        assert!(
            field.contains(r#"name="event_type" value="invoice.paid""#),
            "{field}"
        );
        assert!(unescape(field).contains(r#""invoice": "inv_1""#), "{field}");
    }
}
