//! The event-type catalog page: types added with an example and archived; bad names and
//! examples refused inline.

use reqwest::StatusCode;

use super::add_event_type;
use crate::support::{TestApp, html};

#[tokio::test]
async fn event_types_are_added_with_an_example_and_archived_from_the_catalog_page() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;

    // Act
    admin
        .submit(
            "/event-types",
            &[
                ("name", "invoice.paid"),
                ("description", "An invoice was paid"),
                ("example", r#"{"invoice_id":"in_1","amount":42}"#),
            ],
            StatusCode::SEE_OTHER,
        )
        .await;
    let listed = admin.page("/event-types").await;
    let archived = admin
        .submit(
            "/event-types/invoice.paid/archive",
            &[],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert
    let row = html::row_containing(&listed.body, "invoice.paid").expect("listed");
    assert!(row.contains("An invoice was paid"), "{row}");
    assert!(
        row.contains("<pre>") && row.contains("&#34;invoice_id&#34;: &#34;in_1&#34;"),
        "{row}"
    );
    assert_eq!(archived.location(), "/event-types");
    let active = admin.page("/event-types").await;
    assert!(html::row_containing(&active.body, "invoice.paid").is_none());
    let all = admin.page("/event-types?archived=1").await;
    let row = html::row_containing(&all.body, "invoice.paid").expect("shown when asked");
    assert!(row.contains("archived"), "{row}");
}

#[tokio::test]
async fn event_type_form_rejects_bad_names_and_examples_inline() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    add_event_type(&admin, "invoice.paid").await;

    // Act
    let bad_name = admin
        .submit(
            "/event-types",
            &[("name", "Invoice Paid")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let not_object = admin
        .submit(
            "/event-types",
            &[("name", "a.b"), ("example", "[1, 2]")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let not_json = admin
        .submit(
            "/event-types",
            &[("name", "a.b"), ("example", "{oops")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let duplicate = admin
        .submit(
            "/event-types",
            &[("name", "invoice.paid")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

    // Assert
    assert!(
        bad_name.body.contains(r#"id="et-name-error""#),
        "{}",
        bad_name.body
    );
    assert!(bad_name.body.contains(r#"value="Invoice Paid""#));
    assert!(
        not_object.body.contains("must be a JSON object"),
        "{}",
        not_object.body
    );
    assert!(
        not_json.body.contains("not valid JSON"),
        "{}",
        not_json.body
    );
    assert!(
        duplicate.body.contains("already exists"),
        "{}",
        duplicate.body
    );
}
