//! PATCH /api/v1/event-types/{name}: description and example change, archived toggles both
//! ways, the create rules apply, unknown names are 404, and it needs webhooks:write.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_webhooks::{assert_error, field_error, writer};
use crate::support::{ApiClient, TestApp};

async fn patch(api: &ApiClient, name: &str, body: Value, expect: StatusCode) -> Value {
    api.send(
        api.request(Method::PATCH, &format!("/api/v1/event-types/{name}"))
            .json(&body),
        expect,
    )
    .await
}

#[tokio::test]
async fn patch_changes_description_and_example_and_keeps_what_is_absent() {
    // Arrange
    let app = TestApp::spawn().await;
    let api = writer(&app).await;
    api.post(
        "/api/v1/event-types",
        &json!({"name": "invoice.paid", "description": "old", "example": {"a": 1}}),
        StatusCode::CREATED,
    )
    .await;

    // Act
    let described = patch(
        &api,
        "invoice.paid",
        json!({"description": "An invoice was paid"}),
        StatusCode::OK,
    )
    .await;
    let exemplified = patch(
        &api,
        "invoice.paid",
        json!({"example": {"amount": 42}}),
        StatusCode::OK,
    )
    .await;
    let cleared = patch(
        &api,
        "invoice.paid",
        json!({"example": null}),
        StatusCode::OK,
    )
    .await;

    // Assert
    assert_eq!(described["description"], "An invoice was paid");
    assert_eq!(described["example"], json!({"a": 1}), "absent example kept");
    assert_eq!(exemplified["description"], "An invoice was paid");
    assert_eq!(exemplified["example"], json!({"amount": 42}));
    assert_eq!(cleared["example"], Value::Null, "null removes the example");
    let got = api
        .get("/api/v1/event-types/invoice.paid", StatusCode::OK)
        .await;
    assert_eq!(got, cleared);
}

#[tokio::test]
async fn patch_archives_and_unarchives_a_type() {
    // Arrange
    let app = TestApp::spawn().await;
    let api = writer(&app).await;
    api.post(
        "/api/v1/event-types",
        &json!({"name": "user.created"}),
        StatusCode::CREATED,
    )
    .await;

    // Act
    let archived = patch(
        &api,
        "user.created",
        json!({"archived": true}),
        StatusCode::OK,
    )
    .await;
    let listed_archived = api.get("/api/v1/event-types", StatusCode::OK).await;
    let restored = patch(
        &api,
        "user.created",
        json!({"archived": false}),
        StatusCode::OK,
    )
    .await;
    let listed_restored = api.get("/api/v1/event-types", StatusCode::OK).await;

    // Assert
    assert_eq!(archived["archived"], true);
    let app_types = |page: &Value| -> Vec<Value> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| !t["name"].as_str().unwrap().starts_with("hookd."))
            .cloned()
            .collect()
    };
    assert_eq!(app_types(&listed_archived), Vec::<Value>::new());
    assert_eq!(restored["archived"], false);
    assert_eq!(app_types(&listed_restored)[0]["name"], "user.created");
}

#[tokio::test]
async fn patch_validates_like_create_and_answers_404_for_an_unknown_type() {
    // Arrange
    let app = TestApp::spawn().await;
    let api = writer(&app).await;
    api.post(
        "/api/v1/event-types",
        &json!({"name": "order.created"}),
        StatusCode::CREATED,
    )
    .await;

    // Act
    let not_object = patch(
        &api,
        "order.created",
        json!({"example": [1, 2]}),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let too_long = patch(
        &api,
        "order.created",
        json!({"description": "x".repeat(1001)}),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let unknown_field = patch(
        &api,
        "order.created",
        json!({"name": "order.renamed"}),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let missing = patch(
        &api,
        "order.nope",
        json!({"description": "x"}),
        StatusCode::NOT_FOUND,
    )
    .await;

    // Assert
    assert!(field_error(&not_object, "example").contains("JSON object"));
    assert!(field_error(&too_long, "description").contains("1000"));
    assert_error(&unknown_field, "validation_failed");
    assert_error(&missing, "not_found");
    let unchanged = api
        .get("/api/v1/event-types/order.created", StatusCode::OK)
        .await;
    assert_eq!(unchanged["description"], "");
}

#[tokio::test]
async fn patch_needs_the_webhooks_write_scope() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let writer = app.api(&app.create_api_key(&admin, &["webhooks:write"]).await);
    let reader = app.api(&app.create_api_key(&admin, &["webhooks:read"]).await);
    writer
        .post(
            "/api/v1/event-types",
            &json!({"name": "a.b"}),
            StatusCode::CREATED,
        )
        .await;

    // Act
    let refused = patch(
        &reader,
        "a.b",
        json!({"description": "x"}),
        StatusCode::FORBIDDEN,
    )
    .await;
    let anonymous = patch(
        &app.api_anonymous(),
        "a.b",
        json!({"description": "x"}),
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Assert
    assert_error(&refused, "forbidden");
    assert_error(&anonymous, "unauthorized");
}
