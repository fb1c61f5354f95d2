//! The SSRF policy at creation and PATCH: private, loopback and link-local targets (also by a
//! name that resolves to one) are refused unless `allow_private_targets` is set.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{app_with_catalog, create, field_error, id_of, minimal, refused};

#[tokio::test]
async fn private_targets_are_refused_by_the_ssrf_policy() {
    let (_app, api) = app_with_catalog(|c| c.allow_private_targets = false).await;
    for url in [
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://10.0.0.1/",
        "https://192.168.1.1/",
        "https://172.16.0.1/",
        "https://169.254.169.254/",
        "https://[::ffff:127.0.0.1]/",
        "https://0.0.0.0/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
    ] {
        let m = refused(&api, minimal(url), "url").await;
        assert!(m.contains("SSRF"), "{url}: {m}");
    }
    let ok = create(&api, minimal("https://example.com/")).await;
    // PATCH to a private target is refused the same way.
    let body = api
        .send(
            api.request(Method::PATCH, &format!("/api/v1/webhooks/{}", id_of(&ok)))
                .json(&json!({"url": "https://10.0.0.1/"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(field_error(&body, "url").contains("SSRF"), "{body}");
}

/// `localhost` resolves to loopback (hosts file): names are resolved at creation.
#[tokio::test]
async fn host_names_resolving_to_private_addresses_are_refused() {
    let (_app, api) = app_with_catalog(|c| c.allow_private_targets = false).await;
    let m = refused(&api, minimal("https://localhost/"), "url").await;
    assert!(m.contains("SSRF"), "{m}");
}

#[tokio::test]
async fn private_targets_are_allowed_when_configured() {
    let (_app, api) = app_with_catalog(|c| c.allow_private_targets = true).await;
    for url in [
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://10.0.0.1/",
        "https://localhost/",
    ] {
        create(&api, minimal(url)).await;
    }
}
