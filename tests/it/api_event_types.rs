//! /api/v1/event-types: list (paged), create, get, archive (DELETE) and restore by re-creating,
//! name rules, conflicts, body errors and scopes.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_webhooks::{assert_error, writer};
use crate::support::TestApp;

#[tokio::test]
async fn event_types_are_created_read_listed_archived_and_restored() {
    let app = TestApp::spawn().await;
    let api = writer(&app).await;

    let created = api
        .post(
            "/api/v1/event-types",
            &json!({"name": "invoice.paid", "description": "An invoice was paid",
                    "example": {"amount": 42}}),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(created["name"], "invoice.paid");
    assert_eq!(created["description"], "An invoice was paid");
    assert_eq!(created["example"], json!({"amount": 42}));
    assert_eq!(created["archived"], false);
    assert!(created["created_at"].is_string() && created["updated_at"].is_string());

    // Description and example are optional.
    let bare = api
        .post(
            "/api/v1/event-types",
            &json!({"name": "user.created"}),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(bare["description"], "");
    assert_eq!(bare["example"], Value::Null);

    let got = api
        .get("/api/v1/event-types/invoice.paid", StatusCode::OK)
        .await;
    assert_eq!(got, created);

    let list = api.get("/api/v1/event-types", StatusCode::OK).await;
    assert_eq!(names(&list), ["invoice.paid", "user.created"]);
    assert_eq!(list["next_cursor"], Value::Null);

    // A duplicate of an active type is a conflict.
    let dup = api
        .post(
            "/api/v1/event-types",
            &json!({"name": "invoice.paid"}),
            StatusCode::CONFLICT,
        )
        .await;
    assert_error(&dup, "conflict");

    // DELETE archives and answers with the archived object.
    let archived = api
        .send(
            api.request(Method::DELETE, "/api/v1/event-types/invoice.paid"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(archived["name"], "invoice.paid");
    assert_eq!(archived["archived"], true);
    let list = api.get("/api/v1/event-types", StatusCode::OK).await;
    assert_eq!(names(&list), ["user.created"], "archived types are hidden");
    let all = api
        .get("/api/v1/event-types?include_archived=true", StatusCode::OK)
        .await;
    assert_eq!(names(&all), ["invoice.paid", "user.created"]);
    let got = api
        .get("/api/v1/event-types/invoice.paid", StatusCode::OK)
        .await;
    assert_eq!(got["archived"], true, "an archived type can still be read");

    // Re-creating an archived name restores it.
    let restored = api
        .post(
            "/api/v1/event-types",
            &json!({"name": "invoice.paid", "description": "back"}),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(restored["archived"], false);
    let list = api.get("/api/v1/event-types", StatusCode::OK).await;
    assert_eq!(names(&list), ["invoice.paid", "user.created"]);

    // Unknown names.
    for path in [
        "/api/v1/event-types/nope.missing",
        "/api/v1/event-types/NOT%20A%20NAME",
    ] {
        let body = api.get(path, StatusCode::NOT_FOUND).await;
        assert_error(&body, "not_found");
        let body = api
            .send(api.request(Method::DELETE, path), StatusCode::NOT_FOUND)
            .await;
        assert_error(&body, "not_found");
    }
}

#[tokio::test]
async fn event_type_names_are_validated() {
    let app = TestApp::spawn().await;
    let api = writer(&app).await;
    for bad in [
        "",
        "Invoice.Paid",
        "invoice..paid",
        "invoice.",
        ".invoice",
        "invoice paid",
        "invoice-paid",
        "invoice.*",
        "*",
    ] {
        let body = api
            .post(
                "/api/v1/event-types",
                &json!({"name": bad}),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert_error(&body, "validation_failed");
        assert!(
            body["error"]["details"]["name"].is_string(),
            "{bad:?}: no details.name in {body}"
        );
    }
    for good in ["a", "invoice_2.paid", "a.b.c_d.e9"] {
        api.post(
            "/api/v1/event-types",
            &json!({"name": good}),
            StatusCode::CREATED,
        )
        .await;
    }
    // At most 128 characters.
    let long = format!("a{}", "b".repeat(128));
    let body = api
        .post(
            "/api/v1/event-types",
            &json!({"name": long}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(body["error"]["details"]["name"].is_string(), "{body}");
    api.post(
        "/api/v1/event-types",
        &json!({"name": "b".repeat(128)}),
        StatusCode::CREATED,
    )
    .await;
    // The example is a JSON object; the description at most 1000 characters.
    for example in [json!(5), json!("text"), json!([1, 2])] {
        let body = api
            .post(
                "/api/v1/event-types",
                &json!({"name": "x.y", "example": example}),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert!(body["error"]["details"]["example"].is_string(), "{body}");
    }
    let body = api
        .post(
            "/api/v1/event-types",
            &json!({"name": "x.y", "description": "d".repeat(1001)}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(
        body["error"]["details"]["description"].is_string(),
        "{body}"
    );
    // A missing name is a shape error naming the field.
    let body = api
        .post(
            "/api/v1/event-types",
            &json!({"description": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(body.to_string().contains("name"), "{body}");
}

#[tokio::test]
async fn event_type_bodies_are_checked() {
    let app = TestApp::spawn_with(|c| c.max_payload_bytes = 1024).await;
    let api = writer(&app).await;

    let unknown = api
        .post(
            "/api/v1/event-types",
            &json!({"name": "a.b", "colour": "red"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_error(&unknown, "validation_failed");
    assert!(unknown["error"]["details"].to_string().contains("colour"));

    let malformed = api
        .send(
            api.request(Method::POST, "/api/v1/event-types")
                .header("content-type", "application/json")
                .body("{\"name\": "),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert_error(&malformed, "bad_request");

    let wrong_type = api
        .send(
            api.request(Method::POST, "/api/v1/event-types")
                .header("content-type", "text/plain")
                .body(r#"{"name":"a.b"}"#),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        )
        .await;
    assert_error(&wrong_type, "unsupported_media_type");

    let big = json!({"name": "a.b", "description": "x".repeat(2000)});
    let too_large = api
        .post("/api/v1/event-types", &big, StatusCode::PAYLOAD_TOO_LARGE)
        .await;
    assert_error(&too_large, "payload_too_large");
}

#[tokio::test]
async fn event_types_page_by_name_with_a_cursor() {
    let app = TestApp::spawn().await;
    let api = writer(&app).await;
    for name in ["c.one", "a.one", "b.one"] {
        api.post(
            "/api/v1/event-types",
            &json!({"name": name}),
            StatusCode::CREATED,
        )
        .await;
    }
    // hookd's two built-in types sort among them.
    let first = api.get("/api/v1/event-types?limit=2", StatusCode::OK).await;
    assert_eq!(all_names(&first), ["a.one", "b.one"]);
    let cursor = first["next_cursor"].as_str().expect("a next cursor");
    let second = api
        .get(
            &format!("/api/v1/event-types?limit=2&cursor={cursor}"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(all_names(&second), ["c.one", "hookd.delivery.failed"]);
    let cursor = second["next_cursor"].as_str().expect("a third page");
    let third = api
        .get(
            &format!("/api/v1/event-types?limit=2&cursor={cursor}"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(all_names(&third), ["hookd.endpoint.disabled"]);
    assert_eq!(third["next_cursor"], Value::Null);

    // Exactly `limit` rows left: no cursor.
    let exact = api.get("/api/v1/event-types?limit=5", StatusCode::OK).await;
    assert_eq!(all_names(&exact).len(), 5);
    assert_eq!(exact["next_cursor"], Value::Null);

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=not-a-cursor!", "cursor"),
    ] {
        let body = api
            .get(
                &format!("/api/v1/event-types?{query}"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert_error(&body, "validation_failed");
        assert!(
            body["error"]["details"][field].is_string(),
            "{query}: {body}"
        );
    }
    api.get("/api/v1/event-types?limit=100", StatusCode::OK)
        .await;
    api.get("/api/v1/event-types?limit=1", StatusCode::OK).await;
}

#[tokio::test]
async fn event_type_changes_need_the_write_scope() {
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

    reader.get("/api/v1/event-types", StatusCode::OK).await;
    reader.get("/api/v1/event-types/a.b", StatusCode::OK).await;
    let body = reader
        .post(
            "/api/v1/event-types",
            &json!({"name": "c.d"}),
            StatusCode::FORBIDDEN,
        )
        .await;
    assert_error(&body, "forbidden");
    let body = reader
        .send(
            reader.request(Method::DELETE, "/api/v1/event-types/a.b"),
            StatusCode::FORBIDDEN,
        )
        .await;
    assert_error(&body, "forbidden");

    let anonymous = app.api_anonymous();
    anonymous
        .get("/api/v1/event-types", StatusCode::UNAUTHORIZED)
        .await;
    anonymous
        .post(
            "/api/v1/event-types",
            &json!({"name": "c.d"}),
            StatusCode::UNAUTHORIZED,
        )
        .await;
}

/// The names of the application's types on a page (hookd's own `hookd.…` types are always
/// listed too; `self_events` checks those).
fn names(page: &Value) -> Vec<String> {
    all_names(page)
        .into_iter()
        .filter(|n| !n.starts_with("hookd."))
        .collect()
}

fn all_names(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data array in {page}"))
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_owned())
        .collect()
}
