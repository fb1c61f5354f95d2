//! Who may read and change webhooks: `webhooks:read`, `webhooks:write`, other scopes and no key.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{add_types, assert_error, create, id_of, minimal};
use crate::support::TestApp;

#[tokio::test]
async fn a_read_key_cannot_change_webhooks() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let writer = app.api(&app.create_api_key(&admin, &["webhooks:write"]).await);
    let reader = app.api(&app.create_api_key(&admin, &["webhooks:read"]).await);
    let events_only = app.api(&app.create_api_key(&admin, &["events:write"]).await);
    add_types(&writer, &["invoice.paid"]).await;
    let ok = create(&writer, minimal("https://example.com/hooks")).await;
    let one = format!("/api/v1/webhooks/{}", id_of(&ok));

    reader.get("/api/v1/webhooks", StatusCode::OK).await;
    reader.get(&one, StatusCode::OK).await;
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/webhooks".to_owned(),
            Some(minimal("https://example.com/x")),
        ),
        (Method::PATCH, one.clone(), Some(json!({"name": "x"}))),
        (Method::DELETE, one.clone(), None),
        (Method::POST, format!("{one}/rotate-secret"), None),
    ] {
        let mut req = reader.request(method.clone(), &path);
        if let Some(b) = &body {
            req = req.json(b);
        }
        let resp = reader.send(req, StatusCode::FORBIDDEN).await;
        assert_error(&resp, "forbidden");
        assert!(
            resp["error"]["message"]
                .as_str()
                .unwrap()
                .contains("webhooks:write"),
            "{resp}"
        );
    }
    // Without any webhooks scope not even reading.
    let resp = events_only
        .get("/api/v1/webhooks", StatusCode::FORBIDDEN)
        .await;
    assert_error(&resp, "forbidden");
    events_only.get(&one, StatusCode::FORBIDDEN).await;
    // Without a key: 401.
    let anonymous = app.api_anonymous();
    anonymous
        .get("/api/v1/webhooks", StatusCode::UNAUTHORIZED)
        .await;
    anonymous
        .post(
            "/api/v1/webhooks",
            &minimal("https://example.com/x"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    // Nothing changed.
    let got = writer.get(&one, StatusCode::OK).await;
    assert_eq!(got["name"], "example.com");
    assert_eq!(got["secret_masked"], ok["secret_masked"]);
}
