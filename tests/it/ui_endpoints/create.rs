//! Creating an endpoint through the dashboard form: the first-steps page, the secret shown
//! exactly once, field errors shown again in the form, and the htmx answer.

use reqwest::StatusCode;

use super::{TARGET, add_event_type, endpoint_id, revealed_secret};
use crate::support::{TestApp, html};

#[tokio::test]
async fn endpoints_page_without_endpoints_explains_the_first_steps() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;

    // Act
    let page = admin.page("/webhooks").await;

    // Assert
    assert!(page.body.contains("No endpoints yet"), "{}", page.body);
    assert!(page.body.contains(r#"href="/event-types""#));
    assert!(page.body.contains(r#"href="/webhooks/new""#));
}

#[tokio::test]
async fn creating_an_endpoint_through_the_form_shows_its_secret_exactly_once() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    add_event_type(&admin, "invoice.paid").await;
    let form = admin.page("/webhooks/new").await;
    assert!(
        form.body.contains(r#"value="invoice.paid""#),
        "picker lists the catalog"
    );

    // Act
    let created = admin
        .submit(
            "/webhooks",
            &[
                ("name", "Billing"),
                ("url", TARGET),
                ("description", "The billing service"),
                ("events", "invoice.paid"),
                ("extra_events", "invoice.*"),
                ("channels", "eu, us"),
                ("header_name", "X-Team"),
                ("header_value", "billing"),
                ("header_name", ""),
                ("header_value", ""),
                ("retry_count", "3"),
                ("timeout_seconds", "5"),
                ("tls_verify", "true"),
                ("enabled", "true"),
            ],
            StatusCode::OK,
        )
        .await;

    // Assert
    let secret = revealed_secret(&created.body);
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(created.body.contains("will not be shown again"));
    let id = endpoint_id(&created.body);
    let shown = admin.page(&format!("/webhooks/{id}")).await;
    assert!(
        !shown.body.contains(&secret),
        "the secret is shown only once"
    );
    assert!(!shown.body.contains("new-secret"));
    let hint = &secret[secret.len() - 4..];
    assert!(
        shown.body.contains(&format!("whsec_••••{hint}")),
        "{}",
        shown.body
    );
    for text in [
        "Billing",
        TARGET,
        "invoice.*",
        "X-Team: billing",
        "eu",
        "Rotate secret",
    ] {
        assert!(shown.body.contains(text), "page lacks {text}");
    }
    let list = admin.page("/webhooks").await;
    let row = html::row_containing(&list.body, "Billing").expect("the endpoint is listed");
    assert!(
        row.contains("invoice.paid") && row.contains("invoice.*"),
        "{row}"
    );
    assert!(
        row.contains("enabled") && row.contains("no deliveries yet"),
        "{row}"
    );
    assert!(!list.body.contains(&secret));
}

#[tokio::test]
async fn invalid_endpoint_form_is_shown_again_with_field_errors() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let fields = [
        ("name", "Broken"),
        ("url", "not a url"),
        ("events", "*"),
        ("retry_count", "three"),
        ("timeout_seconds", "10"),
    ];

    // Act
    let page = admin
        .submit("/webhooks", &fields, StatusCode::UNPROCESSABLE_ENTITY)
        .await;
    let fragment = admin
        .htmx_submit("/webhooks", &fields, StatusCode::UNPROCESSABLE_ENTITY)
        .await;

    // Assert: the full page without JS, just the form for htmx; both keep what was typed.
    assert!(page.body.contains("<html"), "a whole page");
    for body in [&page.body, &fragment.body] {
        assert!(body.contains(r#"id="url-error""#), "{body}");
        assert!(body.contains("Enter a whole number"), "{body}");
        assert!(body.contains(r#"value="Broken""#), "{body}");
    }
    assert!(!fragment.body.contains("<html"), "{}", fragment.body);
    assert!(
        fragment.body.trim_start().starts_with("<form"),
        "{}",
        fragment.body
    );
    assert!(
        admin
            .page("/webhooks")
            .await
            .body
            .contains("No endpoints yet")
    );
}

#[tokio::test]
async fn htmx_create_answers_with_the_page_retargeted_at_main() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;

    // Act
    let resp = admin
        .htmx_submit(
            "/webhooks",
            &[("url", TARGET), ("events", "*"), ("enabled", "true")],
            StatusCode::OK,
        )
        .await;

    // Assert: no redirect (the secret must not pass through one); the page replaces <main>.
    assert!(resp.header("hx-redirect").is_none());
    assert_eq!(resp.header("hx-retarget"), Some("#main"));
    assert_eq!(resp.header("hx-reselect"), Some("#main"));
    let id = endpoint_id(&resp.body);
    assert_eq!(
        resp.header("hx-push-url"),
        Some(format!("/webhooks/{id}").as_str())
    );
    assert!(revealed_secret(&resp.body).starts_with("whsec_"));
}
