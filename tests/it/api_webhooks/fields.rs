//! The rules for the other fields of a webhook: retry count, timeout, name and custom headers,
//! with one validation message per bad field.

use reqwest::StatusCode;
use serde_json::json;

use super::{app_with_catalog, create, field_error, minimal, refused, with};

#[tokio::test]
async fn numbers_names_and_headers_are_validated() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    let base = minimal("https://example.com/hooks");

    for n in [-1, 11, 1000] {
        let m = refused(
            &api,
            with(base.clone(), "retry_count", json!(n)),
            "retry_count",
        )
        .await;
        assert!(m.contains("0 to 10"), "{n}: {m}");
    }
    for n in [0, 10] {
        let c = create(&api, with(base.clone(), "retry_count", json!(n))).await;
        assert_eq!(c["retry_count"], n);
    }
    for n in [0, 31, -5] {
        let m = refused(
            &api,
            with(base.clone(), "timeout_seconds", json!(n)),
            "timeout_seconds",
        )
        .await;
        assert!(m.contains("1 to 30"), "{n}: {m}");
    }
    for n in [1, 30] {
        let c = create(&api, with(base.clone(), "timeout_seconds", json!(n))).await;
        assert_eq!(c["timeout_seconds"], n);
    }
    // Wrong JSON types name the field.
    for (field, value) in [
        ("retry_count", json!("3")),
        ("timeout_seconds", json!(2.5)),
        ("enabled", json!("yes")),
        ("headers", json!(["X-A"])),
    ] {
        let body = api
            .post(
                "/api/v1/webhooks",
                &with(base.clone(), field, value),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        field_error(&body, field);
    }

    // Names: at most 100 characters (not bytes).
    let m = refused(
        &api,
        with(base.clone(), "name", json!("n".repeat(101))),
        "name",
    )
    .await;
    assert!(m.contains("100"), "{m}");
    create(&api, with(base.clone(), "name", json!("n".repeat(100)))).await;
    create(&api, with(base.clone(), "name", json!("é".repeat(100)))).await;

    // Header names and values.
    for name in ["Bad Header", "X-Tenant:", "X(A)", "Ünicode", ""] {
        let m = refused(
            &api,
            with(base.clone(), "headers", json!({ name: "v" })),
            "headers",
        )
        .await;
        assert!(m.contains("not a valid header name"), "{name:?}: {m}");
    }
    for name in [
        "Host",
        "Content-Length",
        "Content-Type",
        "content-type",
        "Transfer-Encoding",
        "Connection",
        "User-Agent",
        "X-Webhook-Signature",
        "x-webhook-anything",
        "webhook-id",
        "Webhook-Signature",
    ] {
        let m = refused(
            &api,
            with(base.clone(), "headers", json!({ name: "v" })),
            "headers",
        )
        .await;
        assert!(m.contains("set by hookd"), "{name}: {m}");
    }
    for value in ["a\r\nInjected: 1", "a\nb", "a\rb", "a\u{0}b"] {
        let m = refused(
            &api,
            with(base.clone(), "headers", json!({"X-Tenant": value})),
            "headers",
        )
        .await;
        assert!(m.contains("line break"), "{value:?}: {m}");
    }
    let ok = create(
        &api,
        with(
            base.clone(),
            "headers",
            json!({"X-Tenant": "acme corp\tok", "Authorization": "Bearer abc", "X-Webhooks-Team": "x"}),
        ),
    )
    .await;
    assert_eq!(ok["headers"]["Authorization"], "Bearer abc");

    // Several bad fields: one details entry per field.
    let body = api
        .post(
            "/api/v1/webhooks",
            &json!({
                "url": "ftp://example.com",
                "events": [],
                "name": "n".repeat(101),
                "retry_count": 11,
                "timeout_seconds": 0,
                "headers": {"Host": "x"},
                "secret": "nope"
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    for field in [
        "url",
        "events",
        "name",
        "retry_count",
        "timeout_seconds",
        "headers",
        "secret",
    ] {
        field_error(&body, field);
    }
}
