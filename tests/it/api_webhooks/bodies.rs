//! The request body itself, before validation: content type, JSON syntax, unknown fields and
//! size (400/413/415/422).

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{app_with_catalog, assert_error, create, id_of, ids, minimal};

#[tokio::test]
async fn json_with_a_charset_is_accepted() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    api.send(
        api.request(Method::POST, "/api/v1/webhooks")
            .header("content-type", "application/json; charset=utf-8")
            .body(r#"{"url": "https://example.com/hooks", "events": ["*"]}"#),
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn bodies_are_checked_before_validation() {
    let (_app, api) = app_with_catalog(|c| c.max_payload_bytes = 1024).await;
    let ok = create(&api, minimal("https://example.com/hooks")).await;
    let one = format!("/api/v1/webhooks/{}", id_of(&ok));

    for (method, path) in [
        (Method::POST, "/api/v1/webhooks"),
        (Method::PATCH, one.as_str()),
    ] {
        let body = api
            .send(
                api.request(method.clone(), path)
                    .json(&json!({"url": "https://example.com", "events": ["*"], "colour": "red"})),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert_error(&body, "validation_failed");
        assert!(
            body["error"]["details"].to_string().contains("colour"),
            "{method} {path}: unknown field not named: {body}"
        );

        let body = api
            .send(
                api.request(method.clone(), path)
                    .header("content-type", "application/json")
                    .body(r#"{"url": "https://example.com", "events": ["#),
                StatusCode::BAD_REQUEST,
            )
            .await;
        assert_error(&body, "bad_request");
        let body = api
            .send(
                api.request(method.clone(), path)
                    .header("content-type", "application/json")
                    .body("not json"),
                StatusCode::BAD_REQUEST,
            )
            .await;
        assert_error(&body, "bad_request");

        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
        ] {
            let mut req = api
                .request(method.clone(), path)
                .body(r#"{"url": "https://example.com", "events": ["*"]}"#);
            if let Some(ct) = content_type {
                req = req.header("content-type", ct);
            }
            let body = api.send(req, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
            assert_error(&body, "unsupported_media_type");
        }

        let big = json!({"url": "https://example.com", "events": ["*"],
                         "description": "x".repeat(2000)});
        let body = api
            .send(
                api.request(method.clone(), path).json(&big),
                StatusCode::PAYLOAD_TOO_LARGE,
            )
            .await;
        assert_error(&body, "payload_too_large");
    }
    // Nothing of the above changed the endpoint.
    let got = api.get(&one, StatusCode::OK).await;
    assert_eq!(got["description"], "");
    let list = api.get("/api/v1/webhooks", StatusCode::OK).await;
    assert_eq!(ids(&list).len(), 1);
}
