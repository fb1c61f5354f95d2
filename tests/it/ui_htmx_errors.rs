//! A failed htmx request shows its error as a toast (retargeted to base.html's `#toasts`) with
//! the error's status, never a whole error page swapped into the fragment it aimed at.

use reqwest::{Method, StatusCode};

use crate::support::TestApp;

const UNKNOWN_ENDPOINT: &str = "wh_00000000000000000000000000000000";

/// The answer is the toast saying `says`, aimed at `#toasts`.
macro_rules! assert_is_toast {
    ($resp:expr, $says:expr) => {{
        let resp = &$resp;
        assert_eq!(resp.header("hx-retarget"), Some("#toasts"), "{resp:?}");
        assert_eq!(resp.header("hx-reswap"), Some("innerHTML"), "{resp:?}");
        assert!(resp.body.contains(r#"id="error-toast""#), "{}", resp.body);
        assert!(resp.body.contains($says), "{}", resp.body);
        assert!(
            !resp.body.contains("<html"),
            "a toast, not a page: {}",
            resp.body
        );
    }};
}

#[tokio::test]
async fn a_viewer_toggling_an_endpoint_through_htmx_gets_a_403_toast() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let viewer = app.create_user(&admin, "viewer").await;
    let viewer = app.login(&viewer.email, &viewer.password).await;

    // Act
    let refused = viewer
        .htmx_submit(
            &format!("/webhooks/{UNKNOWN_ENDPOINT}/enabled"),
            &[("enabled", "false")],
            StatusCode::FORBIDDEN,
        )
        .await;

    // Assert
    assert_is_toast!(refused, "can only view");
}

#[tokio::test]
async fn an_unknown_or_malformed_id_is_a_404_toast_for_htmx_and_a_page_otherwise() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;

    // Act
    let unknown = admin
        .htmx_get(
            &format!("/webhooks/{UNKNOWN_ENDPOINT}/deliveries"),
            StatusCode::NOT_FOUND,
        )
        .await;
    let malformed = admin
        .htmx_get("/webhooks/nope/deliveries", StatusCode::NOT_FOUND)
        .await;
    let page = admin
        .get("/webhooks/nope/deliveries", StatusCode::NOT_FOUND)
        .await;

    // Assert
    assert_is_toast!(unknown, "That endpoint does not exist");
    assert_is_toast!(malformed, "That endpoint does not exist");
    assert!(page.body.contains("<html"), "{}", page.body);
    assert!(page.body.contains("That endpoint does not exist"));
    assert!(page.header("hx-retarget").is_none());
}

#[tokio::test]
async fn an_htmx_form_with_a_stale_token_gets_a_403_toast() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;

    // Act
    let req = admin
        .request(
            Method::POST,
            &format!("/webhooks/{UNKNOWN_ENDPOINT}/enabled"),
        )
        .header("HX-Request", "true")
        .header("X-CSRF-Token", "not-the-token")
        .form(&[("enabled", "false")]);
    let refused = admin.send(req, StatusCode::FORBIDDEN).await;

    // Assert
    assert_is_toast!(refused, "This form has expired");
}
