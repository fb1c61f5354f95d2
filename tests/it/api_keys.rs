//! API keys: created in the dashboard, shown once, and accepted by /api/v1 only while live and
//! only for their scopes. The API checks use `/api/v1/event-types` (GET needs `webhooks:read`,
//! POST needs `webhooks:write`).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, html};

const LIST: &str = "/api/v1/event-types";

/// Asserts the DESIGN error shape `{"error":{"code","message","details"}}`.
fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(body["error"]["details"].is_object(), "{body}");
}

#[tokio::test]
async fn api_key_is_accepted_as_a_bearer_token_and_as_x_api_key() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let key = app.create_api_key(&admin, &["webhooks:read"]).await;
    let api = app.api(&key);
    let anonymous = app.api_anonymous();

    // Act
    let bearer = api.get(LIST, StatusCode::OK).await;
    let header = anonymous
        .send(
            anonymous
                .request(Method::GET, LIST)
                .header("X-API-Key", &key),
            StatusCode::OK,
        )
        .await;

    // Assert
    assert!(bearer["data"].is_array(), "{bearer}");
    assert_eq!(bearer, header);
}

#[tokio::test]
async fn request_without_an_api_key_gets_401_in_the_error_shape() {
    // Arrange
    let app = TestApp::spawn().await;
    let anonymous = app.api_anonymous();

    // Act
    let resp = reqwest::Client::new()
        .get(format!("{}{LIST}", app.url()))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let challenge = resp.headers().get("www-authenticate").cloned();
    let body: Value = resp.json().await.unwrap();

    // Assert
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_error(&body, "unauthorized");
    assert_eq!(
        challenge.as_ref().map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );
    let post = anonymous
        .post(LIST, &json!({"name": "a.b"}), StatusCode::UNAUTHORIZED)
        .await;
    assert_error(&post, "unauthorized");
}

#[tokio::test]
async fn unknown_or_malformed_api_keys_get_401() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let real = app.create_api_key(&admin, &["all"]).await;
    let almost = format!("{}x", &real[..real.len() - 1]);
    let anonymous = app.api_anonymous();

    for bad in [almost.as_str(), "hk_doesnotexist", "not-a-key", ""] {
        // Act
        let bearer = app.api(bad).get(LIST, StatusCode::UNAUTHORIZED).await;
        let header = anonymous
            .send(
                anonymous
                    .request(Method::GET, LIST)
                    .header("X-API-Key", bad),
                StatusCode::UNAUTHORIZED,
            )
            .await;

        // Assert
        assert_error(&bearer, "unauthorized");
        assert_error(&header, "unauthorized");
        assert!(!bearer.to_string().contains(&real), "the key is not echoed");
    }
}

#[tokio::test]
async fn revoked_api_key_gets_401() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let key = app.create_api_key(&admin, &["all"]).await;
    let api = app.api(&key);
    api.get(LIST, StatusCode::OK).await;
    let page = admin.page("/api-keys").await;
    let id = html::form_action_id(&page.body, "/api-keys/", "/revoke").unwrap();

    // Act
    admin
        .submit(
            &format!("/api-keys/{id}/revoke"),
            &[],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert
    let body = api.get(LIST, StatusCode::UNAUTHORIZED).await;
    assert_error(&body, "unauthorized");
}

#[tokio::test]
async fn api_key_without_the_needed_scope_gets_403() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let events_only = app.api(&app.create_api_key(&admin, &["events:write"]).await);
    let read_only = app.api(&app.create_api_key(&admin, &["webhooks:read"]).await);
    let new_type = json!({"name": "invoice.paid", "description": "An invoice was paid"});

    // Act
    let list = events_only.get(LIST, StatusCode::FORBIDDEN).await;
    let create = read_only.post(LIST, &new_type, StatusCode::FORBIDDEN).await;

    // Assert
    assert_error(&list, "forbidden");
    assert_error(&create, "forbidden");
    assert!(
        list["error"]["message"]
            .as_str()
            .unwrap()
            .contains("webhooks:read"),
        "the message names the missing scope: {list}"
    );
    let all = read_only.get(LIST, StatusCode::OK).await;
    assert!(
        !all["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == new_type["name"]),
        "the refused POST created nothing: {all}"
    );
}

#[tokio::test]
async fn api_key_with_the_scope_may_write_and_write_implies_read() {
    // Arrange: the control for the test above.
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let writer = app.api(&app.create_api_key(&admin, &["webhooks:write"]).await);
    let everything = app.api(&app.create_api_key(&admin, &["all"]).await);

    // Act
    writer
        .post(
            LIST,
            &json!({"name": "invoice.paid", "description": "An invoice was paid"}),
            StatusCode::CREATED,
        )
        .await;

    // Assert
    let listed = writer.get(LIST, StatusCode::OK).await;
    let names: Vec<&Value> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["name"])
        .collect();
    assert!(names.contains(&&json!("invoice.paid")), "{listed}");
    everything.get(LIST, StatusCode::OK).await;
}

#[tokio::test]
async fn api_key_plaintext_is_shown_once_and_never_again() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;

    // Act
    let key = app.create_api_key(&admin, &["all"]).await;
    let reloaded = admin.page("/api-keys").await;
    let overview = admin.page("/").await;

    // Assert
    assert!(!reloaded.body.contains(&key), "the key is shown again");
    assert!(!overview.body.contains(&key));
    assert!(
        reloaded.body.contains(&format!("{}…", &key[..10])),
        "a short prefix identifies the key"
    );
    assert!(!reloaded.body.contains(r#"id="new-key""#));
}

#[tokio::test]
async fn revoking_a_key_in_the_dashboard_marks_it_revoked() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    app.create_api_key(&admin, &["all"]).await;
    let page = admin.page("/api-keys").await;
    let id = html::form_action_id(&page.body, "/api-keys/", "/revoke").unwrap();

    // Act
    let resp = admin
        .submit(
            &format!("/api-keys/{id}/revoke"),
            &[],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert
    assert_eq!(resp.location(), "/api-keys");
    let after = admin.page("/api-keys").await;
    assert!(after.body.contains(">revoked<"), "{}", after.body);
    assert!(after.body.contains("was revoked"), "flash confirms it");
    assert!(!after.body.contains(&format!("/api-keys/{id}/revoke")));
}

#[tokio::test]
async fn api_key_form_rejects_an_unknown_scope() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;

    // Act
    let resp = admin
        .submit(
            "/api-keys",
            &[("name", "bad-scope"), ("scopes", "webhooks:delete")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

    // Assert
    assert!(resp.body.contains("Unknown scope"), "{}", resp.body);
    assert!(!resp.body.contains(r#"id="new-key""#));
}
