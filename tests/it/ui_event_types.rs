//! The Event types page: admins edit a type's description and example (the JSON checked, errors
//! inline) and unarchive an archived type; viewers see neither form.

use reqwest::StatusCode;

use crate::support::TestApp;

async fn app_with_type() -> (TestApp, crate::support::TestClient) {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    admin
        .submit(
            "/event-types",
            &[("name", "invoice.paid"), ("description", "old words")],
            StatusCode::SEE_OTHER,
        )
        .await;
    (app, admin)
}

#[tokio::test]
async fn an_admin_edits_the_description_and_example_of_a_type() {
    // Arrange
    let (_app, admin) = app_with_type().await;

    // Act
    let saved = admin
        .submit(
            "/event-types/invoice.paid/edit",
            &[
                ("description", "An invoice was paid"),
                ("example", r#"{"amount": 4200}"#),
            ],
            StatusCode::SEE_OTHER,
        )
        .await;
    let page = admin.page(saved.location()).await;

    // Assert
    assert_eq!(saved.location(), "/event-types");
    assert!(page.body.contains("Saved invoice.paid."), "{}", page.body);
    assert!(page.body.contains("An invoice was paid"));
    assert!(!page.body.contains("old words"));
    assert!(
        page.body.contains("&quot;amount&quot;: 4200") || page.body.contains("\"amount\": 4200")
    );
}

#[tokio::test]
async fn an_edit_with_invalid_json_is_refused_inline_and_keeps_the_type() {
    // Arrange
    let (_app, admin) = app_with_type().await;

    // Act
    let refused = admin
        .submit(
            "/event-types/invoice.paid/edit",
            &[("description", "new words"), ("example", "{not json")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let not_object = admin
        .submit(
            "/event-types/invoice.paid/edit",
            &[("description", "new words"), ("example", "[1]")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let page = admin.page("/event-types").await;

    // Assert
    assert!(
        refused.body.contains("This is not valid JSON"),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(r#"id="et-edit-invoice.paid-example-error""#)
    );
    assert!(refused.body.contains("{not json"), "what was typed is kept");
    assert!(refused.body.contains("<details class=\"row-form\" open>"));
    assert!(not_object.body.contains("must be a JSON object"));
    assert!(page.body.contains("old words"), "nothing was saved");
}

#[tokio::test]
async fn an_admin_unarchives_an_archived_type() {
    // Arrange
    let (_app, admin) = app_with_type().await;
    admin
        .submit(
            "/event-types/invoice.paid/archive",
            &[],
            StatusCode::SEE_OTHER,
        )
        .await;
    let archived = admin.page("/event-types?archived=1").await;
    assert!(
        archived
            .body
            .contains(r#"action="/event-types/invoice.paid/unarchive""#)
    );

    // Act
    let done = admin
        .submit(
            "/event-types/invoice.paid/unarchive",
            &[],
            StatusCode::SEE_OTHER,
        )
        .await;
    let page = admin.page(done.location()).await;

    // Assert
    assert!(page.body.contains("Restored invoice.paid"), "{}", page.body);
    assert!(
        page.body
            .contains(r#"action="/event-types/invoice.paid/archive""#)
    );
}

#[tokio::test]
async fn a_viewer_can_neither_edit_nor_unarchive() {
    // Arrange
    let (app, admin) = app_with_type().await;
    let viewer = app.create_user(&admin, "viewer").await;
    let viewer = app.login(&viewer.email, &viewer.password).await;

    // Act
    let page = viewer.page("/event-types").await;
    viewer
        .submit(
            "/event-types/invoice.paid/edit",
            &[("description", "x"), ("example", "")],
            StatusCode::FORBIDDEN,
        )
        .await;
    viewer
        .submit(
            "/event-types/invoice.paid/unarchive",
            &[],
            StatusCode::FORBIDDEN,
        )
        .await;

    // Assert
    assert!(!page.body.contains("/edit\""));
    assert!(admin.page("/event-types").await.body.contains("old words"));
}
