//! Dashboard pages for endpoints and the event-type catalog: forms carry the API's field names,
//! the signing secret is shown once in the create (or rotate) response and masked afterwards,
//! viewers read everything but secrets and change nothing.

use reqwest::StatusCode;

use crate::support::{TestApp, TestClient, html};

const TARGET: &str = "http://127.0.0.1:9/hook";

async fn add_event_type(admin: &TestClient, name: &str) {
    let resp = admin
        .submit(
            "/event-types",
            &[("name", name), ("description", "Sent when it happens")],
            StatusCode::SEE_OTHER,
        )
        .await;
    assert_eq!(resp.location(), "/event-types");
}

fn revealed_secret(body: &str) -> String {
    html::between(body, r#"id="new-secret">"#, "<")
        .unwrap_or_else(|| panic!("no revealed secret in page:\n{body}"))
        .trim()
        .to_owned()
}

fn endpoint_id(body: &str) -> String {
    html::between(body, r#"href="/webhooks/"#, r#"/edit""#)
        .unwrap_or_else(|| panic!("no edit link in page:\n{body}"))
        .to_owned()
}

/// Creates an endpoint for `invoice.paid` through the form; returns (id, secret).
async fn create_endpoint(admin: &TestClient, name: &str) -> (String, String) {
    add_event_type(admin, "invoice.paid").await;
    let page = admin
        .submit(
            "/webhooks",
            &[
                ("name", name),
                ("url", TARGET),
                ("events", "invoice.paid"),
                ("retry_count", "4"),
                ("timeout_seconds", "10"),
                ("tls_verify", "true"),
                ("enabled", "true"),
            ],
            StatusCode::OK,
        )
        .await;
    (endpoint_id(&page.body), revealed_secret(&page.body))
}

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

#[tokio::test]
async fn viewer_sees_endpoints_but_no_secret_and_cannot_change_them() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (id, secret) = create_endpoint(&admin, "Billing").await;
    let viewer_user = app.create_user(&admin, "viewer").await;
    let viewer = app.login(&viewer_user.email, &viewer_user.password).await;

    // Act
    let page = viewer.page(&format!("/webhooks/{id}")).await;

    // Assert
    assert!(page.body.contains("Billing"));
    assert!(page.body.contains("has a signing secret"), "{}", page.body);
    assert!(!page.body.contains("whsec_"), "{}", page.body);
    assert!(!page.body.contains(&secret));
    for action in ["Rotate secret", "/edit\"", "/delete\"", "toggle-enabled"] {
        assert!(!page.body.contains(action), "viewer sees {action}");
    }
    let list = viewer.page("/webhooks").await;
    assert!(!list.body.contains(r#"href="/webhooks/new""#));
    for (path, fields) in [
        ("/webhooks", vec![("url", TARGET), ("events", "*")]),
        (&*format!("/webhooks/{id}"), vec![("url", TARGET)]),
        (
            &*format!("/webhooks/{id}/enabled"),
            vec![("enabled", "false")],
        ),
        (&*format!("/webhooks/{id}/rotate-secret"), vec![]),
        (&*format!("/webhooks/{id}/delete"), vec![]),
    ] {
        viewer.submit(path, &fields, StatusCode::FORBIDDEN).await;
    }
    viewer.get("/webhooks/new", StatusCode::FORBIDDEN).await;
    assert!(
        admin
            .page(&format!("/webhooks/{id}"))
            .await
            .body
            .contains("badge-enabled")
    );
}

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

    // Act
    let rotated = admin
        .submit(
            &format!("/webhooks/{id}/rotate-secret"),
            &[],
            StatusCode::OK,
        )
        .await;

    // Assert
    let new = revealed_secret(&rotated.body);
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

#[tokio::test]
async fn viewer_reads_the_event_type_catalog_but_cannot_change_it() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    add_event_type(&admin, "invoice.paid").await;
    let viewer_user = app.create_user(&admin, "viewer").await;
    let viewer = app.login(&viewer_user.email, &viewer_user.password).await;

    // Act
    let page = viewer.page("/event-types").await;

    // Assert
    assert!(page.body.contains("invoice.paid"));
    assert!(!page.body.contains("Add an event type") && !page.body.contains("Archive"));
    viewer
        .submit("/event-types", &[("name", "a.b")], StatusCode::FORBIDDEN)
        .await;
    viewer
        .submit(
            "/event-types/invoice.paid/archive",
            &[],
            StatusCode::FORBIDDEN,
        )
        .await;
}

#[tokio::test]
async fn overview_lists_a_new_endpoint_with_no_deliveries_yet() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    create_endpoint(&admin, "Billing").await;

    // Act
    let page = admin.page("/").await;

    // Assert: no getting-started card any more, the endpoint's row with nothing measured yet.
    assert!(!page.body.contains("Getting started"), "{}", page.body);
    let row = html::row_containing(&page.body, "Billing").expect("a row for the endpoint");
    assert!(row.contains(r#"href="/webhooks/wh_"#), "{row}");
    assert!(row.contains("0 succeeded, 0 failed"), "{row}");
    assert!(row.contains(">none<"), "no failure yet: {row}");
}

#[tokio::test]
async fn endpoints_list_pages_with_an_older_link_after_25() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    for n in 1..=26 {
        admin
            .submit(
                "/webhooks",
                &[
                    ("name", &format!("endpoint-{n:02}")),
                    ("url", TARGET),
                    ("events", "*"),
                ],
                StatusCode::OK,
            )
            .await;
    }

    // Act
    let first = admin.page("/webhooks").await;
    let before = html::between(&first.body, r#"href="/webhooks?before="#, "\"")
        .expect("an Older link")
        .to_owned();
    let second = admin.page(&format!("/webhooks?before={before}")).await;

    // Assert: newest first, 25 per page, the oldest on the second page.
    assert!(first.body.contains("endpoint-26") && first.body.contains("endpoint-02"));
    assert!(!first.body.contains("endpoint-01"));
    assert!(second.body.contains("endpoint-01") && !second.body.contains("endpoint-02"));
    assert!(!second.body.contains("?before="));
}
