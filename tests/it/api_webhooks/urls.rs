//! What a webhook URL may be: a valid absolute https URL (http only when allowed), without
//! credentials, at most 2048 characters.

use serde_json::json;

use super::{app_with_catalog, create, minimal, refused};

#[tokio::test]
async fn urls_are_validated() {
    let (_app, api) = app_with_catalog(|c| {
        c.allow_http_targets = false;
        c.allow_private_targets = false;
    })
    .await;
    let m = refused(&api, minimal("not a url"), "url").await;
    assert!(m.contains("not a valid URL"), "{m}");
    let m = refused(&api, minimal("example.com/hooks"), "url").await;
    assert!(m.contains("not a valid URL"), "{m}");
    let m = refused(&api, minimal("http://example.com/hooks"), "url").await;
    assert!(
        m.contains("https") && m.contains("allow_http_targets"),
        "{m}"
    );
    let m = refused(&api, minimal("ftp://example.com/hooks"), "url").await;
    assert!(m.contains("https"), "{m}");
    let m = refused(&api, json!({"events": ["*"]}), "url").await;
    assert!(!m.is_empty());

    for creds in [
        "https://user:pass@example.com/hooks",
        "https://user@example.com/hooks",
        "https://:pass@example.com/hooks",
    ] {
        let m = refused(&api, minimal(creds), "url").await;
        assert!(m.contains("password"), "{creds}: {m}");
        assert!(
            !m.contains("pass@"),
            "the message repeats the credentials: {m}"
        );
    }

    // At most 2048 characters.
    let base = "https://example.com/";
    let exact = format!("{base}{}", "a".repeat(2048 - base.len()));
    assert_eq!(exact.len(), 2048);
    create(&api, minimal(&exact)).await;
    let long = format!("{exact}a");
    let m = refused(&api, minimal(&long), "url").await;
    assert!(m.contains("2048"), "{m}");

    // A public https URL is fine.
    create(&api, minimal("https://example.com/ok")).await;
}

#[tokio::test]
async fn http_targets_are_allowed_only_when_configured() {
    let (_app, api) = app_with_catalog(|c| c.allow_http_targets = true).await;
    let created = create(&api, minimal("http://example.com/hooks")).await;
    assert_eq!(created["url"], "http://example.com/hooks");
    let m = refused(&api, minimal("ftp://example.com/hooks"), "url").await;
    assert!(m.contains("https"), "{m}");
}
