//! A read-write session changes its own endpoints like an operator: with the page's form token
//! (a form without it, or from another site, is refused), and what it does stays on /portal.

use reqwest::{Method, StatusCode};

use super::{World, csrf};

#[tokio::test]
async fn a_portal_form_without_its_token_or_from_another_site_is_refused() {
    // Arrange
    let w = World::new().await;
    let acme = w.portal("acme", false).await;
    let path = format!("/portal/webhooks/{}/enabled", w.acme_endpoint);

    // Act
    let missing = acme
        .post_form(&path, &[("enabled", "false")], StatusCode::FORBIDDEN)
        .await;
    let wrong = acme
        .post_form(
            &path,
            &[("enabled", "false"), ("csrf_token", "not-the-token")],
            StatusCode::FORBIDDEN,
        )
        .await;
    let token = csrf(&acme).await;
    acme.send(
        acme.request(Method::POST, &path)
            .header("Sec-Fetch-Site", "cross-site")
            .form(&[("enabled", "false"), ("csrf_token", token.as_str())]),
        StatusCode::FORBIDDEN,
    )
    .await;

    // Assert
    assert!(
        missing.body.contains("expired or did not come from"),
        "{}",
        missing.body
    );
    assert!(wrong.body.contains("expired or did not come from"));
    assert_eq!(w.endpoint_json(&w.acme_endpoint).await["enabled"], true);
}

#[tokio::test]
async fn a_read_write_session_toggles_rotates_tests_and_deletes_staying_on_the_portal() {
    // Arrange
    let w = World::new().await;
    let acme = w.portal("acme", false).await;
    let e = w.acme_endpoint.clone();

    // Act / Assert: disable, with the redirect back to the portal's page.
    let off = super::submit(
        &acme,
        &format!("/portal/webhooks/{e}/enabled"),
        &[("enabled", "false")],
        StatusCode::SEE_OTHER,
    )
    .await;
    assert_eq!(off.location(), format!("/portal/webhooks/{e}"));
    assert_eq!(w.endpoint_json(&e).await["enabled"], false);
    // A `next` off the portal is not followed.
    let on = super::submit(
        &acme,
        &format!("/portal/webhooks/{e}/enabled"),
        &[("enabled", "true"), ("next", "/api-keys")],
        StatusCode::SEE_OTHER,
    )
    .await;
    assert_eq!(on.location(), format!("/portal/webhooks/{e}"));

    // Rotation shows the new secret once, on the portal page.
    let rotated = super::submit(
        &acme,
        &format!("/portal/webhooks/{e}/rotate-secret"),
        &[],
        StatusCode::SEE_OTHER,
    )
    .await;
    assert_eq!(rotated.location(), format!("/portal/webhooks/{e}"));
    let shown = acme.page(&format!("/portal/webhooks/{e}")).await;
    assert!(
        shown.body.contains(r#"id="new-secret">whsec_"#),
        "{}",
        shown.body
    );
    let again = acme.page(&format!("/portal/webhooks/{e}")).await;
    assert!(!again.body.contains(r#"id="new-secret""#));

    // Every address on the endpoint page stays on the portal.
    for (attr, at) in [
        ("href=\"", 0),
        ("action=\"", 0),
        ("hx-get=\"", 0),
        ("hx-post=\"", 0),
    ] {
        let _ = at;
        for part in again.body.split(attr).skip(1) {
            let url = part.split('"').next().unwrap_or("");
            let internal = url.starts_with('/') && !url.starts_with("/static/");
            assert!(
                !internal || url.starts_with("/portal/"),
                "{attr}{url}\" leaves the portal"
            );
        }
    }

    // A test send answers inline (htmx) with the outcome and a portal link to the delivery.
    let token = csrf(&acme).await;
    let panel = acme
        .send(
            acme.request(Method::POST, &format!("/portal/webhooks/{e}/test"))
                .header("HX-Request", "true")
                .header("X-CSRF-Token", token)
                .form(&[
                    ("event_type", "webhook.test"),
                    ("payload", "{\"hello\": 1}"),
                ]),
            StatusCode::OK,
        )
        .await;
    assert!(
        panel.body.contains(r#"id="test-delivery-link""#),
        "{}",
        panel.body
    );
    assert!(
        panel.body.contains("href=\"/portal/deliveries/dlv_"),
        "{}",
        panel.body
    );

    // Delete asks first, then goes back to the portal's list.
    acme.page(&format!("/portal/webhooks/{e}/delete")).await;
    let gone = super::submit(
        &acme,
        &format!("/portal/webhooks/{e}/delete"),
        &[],
        StatusCode::SEE_OTHER,
    )
    .await;
    assert_eq!(gone.location(), "/portal/webhooks");
    w.api
        .get(&format!("/api/v1/webhooks/{e}"), StatusCode::NOT_FOUND)
        .await;
}

#[tokio::test]
async fn the_catalog_reads_in_the_portal_and_cannot_be_changed_there() {
    // Arrange
    let w = World::new().await;
    let acme = w.portal("acme", false).await;

    // Act
    let page = acme.page("/portal/event-types").await;

    // Assert
    assert!(page.body.contains("invoice.paid"), "{}", page.body);
    assert!(page.body.contains("An invoice was paid"));
    assert!(!page.body.contains(r#"id="event-type-form""#));
    let token = csrf(&acme).await;
    acme.post_form(
        "/portal/event-types",
        &[("name", "x.y"), ("csrf_token", &token)],
        StatusCode::METHOD_NOT_ALLOWED,
    )
    .await;
    acme.post_form(
        "/portal/event-types/invoice.paid/archive",
        &[("csrf_token", &token)],
        StatusCode::NOT_FOUND,
    )
    .await;
}
