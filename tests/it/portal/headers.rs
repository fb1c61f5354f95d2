//! Headers: the portal may be framed by the origins in `portal_frame_ancestors` (CSP on
//! /portal only, and then no `X-Frame-Options: DENY`); everything else keeps
//! `frame-ancestors 'none'`; the logo's origin is the only extra image source.

use reqwest::StatusCode;

use super::World;

fn csp(resp: &crate::support::TestResponse) -> String {
    resp.header("content-security-policy")
        .expect("every page has a CSP")
        .to_owned()
}

#[tokio::test]
async fn by_default_nothing_may_frame_the_portal() {
    // Arrange
    let w = World::new().await;
    let acme = w.portal("acme", false).await;

    // Act
    let page = acme.page("/portal/webhooks").await;

    // Assert
    assert!(
        csp(&page).contains("frame-ancestors 'none'"),
        "{}",
        csp(&page)
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
}

#[tokio::test]
async fn frame_ancestors_apply_to_the_portal_only() {
    // Arrange
    let w = World::with(|c| {
        c.portal.frame_ancestors = vec!["https://app.example.com".into()];
        c.portal.logo_url = Some(url::Url::parse("https://cdn.example.com/logo.svg").unwrap());
        c.portal.product_name = "Acme Cloud".into();
        c.portal.support_url = Some(url::Url::parse("https://help.example.com/").unwrap());
    })
    .await;
    let acme = w.portal("acme", false).await;

    // Act
    let portal = acme.page("/portal/webhooks").await;
    let gone = w
        .app
        .client()
        .get("/portal/enter?token=hkp_x", StatusCode::GONE)
        .await;
    let login = w.app.client().page("/login").await;
    let operator = w.admin.page("/webhooks").await;
    let api = w
        .api
        .request(reqwest::Method::GET, "/api/v1/webhooks")
        .send()
        .await
        .unwrap();

    // Assert
    for resp in [&portal, &gone] {
        let policy = csp(resp);
        assert!(
            policy.contains("frame-ancestors https://app.example.com;"),
            "{policy}"
        );
        assert!(
            policy.contains("img-src 'self' data: https://cdn.example.com;"),
            "{policy}"
        );
        assert!(policy.contains("style-src 'self';"), "{policy}");
        assert_eq!(resp.header("x-frame-options"), None);
    }
    for resp in [&login, &operator] {
        assert!(
            csp(resp).contains("frame-ancestors 'none'"),
            "{}",
            csp(resp)
        );
        assert_eq!(resp.header("x-frame-options"), Some("DENY"));
    }
    assert_eq!(api.headers().get("x-frame-options").unwrap(), "DENY");
    // The branding.
    assert!(portal.body.contains("Acme Cloud"), "{}", portal.body);
    assert!(
        portal
            .body
            .contains(r#"src="https://cdn.example.com/logo.svg""#)
    );
    assert!(portal.body.contains(r#"href="https://help.example.com/""#));
    assert!(!portal.body.contains("⚓ hookd"), "{}", portal.body);
}

#[tokio::test]
async fn the_accent_colour_is_a_served_stylesheet_so_the_csp_stays_strict() {
    // Arrange
    let w = World::with(|c| c.portal.accent_color = "#ff6600".into()).await;
    let acme = w.portal("acme", false).await;
    let page = acme.page("/portal/webhooks").await;
    let href = crate::support::html::between(
        &page.body,
        r#"<link rel="stylesheet" href="/portal/brand.css"#,
        "\"",
    )
    .map(|q| format!("/portal/brand.css{q}"))
    .expect("the brand stylesheet is linked");

    // Act
    let css = w.app.client().page(&href).await;

    // Assert
    assert!(css.body.contains("--accent: #ff6600"), "{}", css.body);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert!(!page.body.contains("style=\""), "no inline styles");
}
