//! Changing an endpoint from the dashboard: disable and enable (with and without htmx), edit
//! keeping its secret, rotate revealing the new one once, delete after a confirmation.

use reqwest::StatusCode;

use super::{TARGET, create_endpoint, revealed_secret};
use crate::support::{TestApp, html};

#[tokio::test]
async fn disabling_and_enabling_an_endpoint_works_with_and_without_htmx() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (id, _) = create_endpoint(&admin, "Billing").await;
    let path = format!("/webhooks/{id}/enabled");

    // Act
    let plain = admin
        .submit(&path, &[("enabled", "false")], StatusCode::SEE_OTHER)
        .await;
    let disabled = admin.page(&format!("/webhooks/{id}")).await;
    let fragment = admin
        .htmx_submit(&path, &[("enabled", "true")], StatusCode::OK)
        .await;

    // Assert
    assert_eq!(plain.location(), format!("/webhooks/{id}"));
    assert!(
        disabled.body.contains("badge-disabled"),
        "{}",
        disabled.body
    );
    assert!(disabled.body.contains(">Enable<"));
    assert!(
        fragment
            .body
            .trim_start()
            .starts_with(r#"<div id="endpoint-toggle""#)
    );
    assert!(fragment.body.contains("badge-enabled") && fragment.body.contains(">Disable<"));
    let list = admin.page("/webhooks").await;
    assert!(
        html::row_containing(&list.body, "Billing")
            .unwrap()
            .contains("badge-enabled")
    );
}

#[tokio::test]
async fn editing_an_endpoint_keeps_its_secret_and_saves_the_changes() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (id, secret) = create_endpoint(&admin, "Billing").await;
    let form = admin.page(&format!("/webhooks/{id}/edit")).await;
    assert!(
        form.body.contains(r#"value="Billing""#),
        "the form is filled in"
    );

    // Act
    let bad = admin
        .submit(
            &format!("/webhooks/{id}"),
            &[
                ("name", "Billing"),
                ("url", TARGET),
                ("events", "invoice.paid"),
                ("timeout_seconds", "99"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let saved = admin
        .submit(
            &format!("/webhooks/{id}"),
            &[
                ("name", "Billing v2"),
                ("url", "http://127.0.0.1:9/v2"),
                ("events", "invoice.paid"),
                ("retry_count", "2"),
                ("timeout_seconds", "7"),
                ("enabled", "true"),
            ],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert
    assert!(
        bad.body.contains(r#"id="timeout_seconds-error""#),
        "{}",
        bad.body
    );
    assert_eq!(saved.location(), format!("/webhooks/{id}"));
    let page = admin.page(&format!("/webhooks/{id}")).await;
    assert!(page.body.contains("Billing v2") && page.body.contains("http://127.0.0.1:9/v2"));
    assert!(page.body.contains("The endpoint was saved."));
    assert!(
        page.body
            .contains(&format!("whsec_••••{}", &secret[secret.len() - 4..]))
    );
}

#[tokio::test]
async fn rotating_the_secret_reveals_the_new_one_once() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (id, old) = create_endpoint(&admin, "Billing").await;

    // Act: the POST redirects (a reload must not rotate again); the page shows the secret.
    let rotated = admin
        .submit(
            &format!("/webhooks/{id}/rotate-secret"),
            &[],
            StatusCode::SEE_OTHER,
        )
        .await;
    assert!(
        rotated.location().starts_with(&format!("/webhooks/{id}")),
        "{:?}",
        rotated.location()
    );
    let shown = admin.page(&format!("/webhooks/{id}")).await;

    // Assert
    let new = revealed_secret(&shown.body);
    assert_ne!(new, old);
    let page = admin.page(&format!("/webhooks/{id}")).await;
    assert!(!page.body.contains(&new));
    assert!(
        page.body
            .contains(&format!("whsec_••••{}", &new[new.len() - 4..]))
    );
}

#[tokio::test]
async fn deleting_an_endpoint_asks_for_confirmation_first() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (id, _) = create_endpoint(&admin, "Billing").await;

    // Act
    let confirm = admin.page(&format!("/webhooks/{id}/delete")).await;
    let deleted = admin
        .submit(
            &format!("/webhooks/{id}/delete"),
            &[],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert
    assert!(
        confirm.body.contains("Delete endpoint?"),
        "{}",
        confirm.body
    );
    assert!(
        confirm
            .body
            .contains(&format!(r#"action="/webhooks/{id}/delete""#))
    );
    assert_eq!(deleted.location(), "/webhooks");
    let list = admin.page("/webhooks").await;
    assert!(list.body.contains("was deleted"), "{}", list.body);
    assert!(list.body.contains("No endpoints yet"));
    admin
        .get(&format!("/webhooks/{id}"), StatusCode::NOT_FOUND)
        .await;
}
