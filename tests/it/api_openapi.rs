//! `GET /api/openapi.json`: an OpenAPI 3.1 document covering every route of issue 3 with request
//! and response schemas and the error shape, and valid according to a real validator
//! (`openapi-spec-validator`, installed by `.ci/run`).

use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestApp;

/// Every route of issue 3: path, method, success status, whether it takes a JSON body.
const ROUTES: &[(&str, &str, &str, bool)] = &[
    ("/api/v1/event-types", "get", "200", false),
    ("/api/v1/event-types", "post", "201", true),
    ("/api/v1/event-types/{name}", "get", "200", false),
    ("/api/v1/event-types/{name}", "delete", "200", false),
    ("/api/v1/webhooks", "get", "200", false),
    ("/api/v1/webhooks", "post", "201", true),
    ("/api/v1/webhooks/{id}", "get", "200", false),
    ("/api/v1/webhooks/{id}", "patch", "200", true),
    ("/api/v1/webhooks/{id}", "delete", "204", false),
    ("/api/v1/webhooks/{id}/rotate-secret", "post", "200", false),
    // Issue 15
    ("/api/v1/event-types/{name}", "patch", "200", true),
    ("/api/v1/webhooks/{id}/replay", "post", "202", true),
    ("/api/v1/replays/{id}", "get", "200", false),
];

async fn fetch_document() -> Value {
    let app = TestApp::spawn().await;
    // Public: no key needed.
    app.api_anonymous()
        .get("/api/openapi.json", StatusCode::OK)
        .await
}

/// Follows a local `$ref` (`#/components/schemas/X`).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.strip_prefix('#').expect("a local $ref");
            let target = doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {r}"));
            resolve(doc, target)
        }
        None => v,
    }
}

fn json_schema<'a>(doc: &'a Value, content_holder: &'a Value, what: &str) -> &'a Value {
    let holder = resolve(doc, content_holder);
    let schema = holder
        .pointer("/content/application~1json/schema")
        .unwrap_or_else(|| panic!("{what}: no application/json schema in {holder}"));
    resolve(doc, schema)
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_covers_every_route() {
    let doc = fetch_document().await;
    let version = doc["openapi"].as_str().expect("openapi version");
    assert!(version.starts_with("3.1."), "OpenAPI {version}, want 3.1.x");
    assert!(doc["info"]["title"].is_string());
    assert!(doc["info"]["version"].is_string());

    let schemas = &doc["components"]["schemas"];
    let error = resolve(&doc, &schemas["ErrorBody"]);
    assert!(error.is_object(), "no ErrorBody schema: {schemas}");
    let detail = resolve(&doc, &error["properties"]["error"]);
    for field in ["code", "message", "details"] {
        assert!(
            detail["properties"][field].is_object(),
            "ErrorBody.error lacks {field}: {detail}"
        );
    }
    let security = &doc["components"]["securitySchemes"];
    assert!(
        security.as_object().is_some_and(|s| !s.is_empty()),
        "no security schemes"
    );

    for &(path, method, success, has_body) in ROUTES {
        let what = format!("{} {path}", method.to_uppercase());
        let op = doc["paths"][path][method].clone();
        assert!(op.is_object(), "{what} is missing from the document");
        let responses = &op["responses"];
        let ok = &responses[success];
        assert!(
            ok.is_object(),
            "{what}: no {success} response in {responses}"
        );
        if success != "204" {
            let schema = json_schema(&doc, ok, &what);
            assert!(
                schema.get("properties").is_some() || schema.get("type").is_some(),
                "{what}: empty response schema {schema}"
            );
        }
        // At least one documented error answers with the error shape.
        let errors: Vec<&String> = responses
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with('4'))
            .collect();
        assert!(!errors.is_empty(), "{what}: no error responses documented");
        for code in errors {
            let schema = responses[code.as_str()]
                .pointer("/content/application~1json/schema/$ref")
                .and_then(Value::as_str);
            assert_eq!(
                schema,
                Some("#/components/schemas/ErrorBody"),
                "{what}: the {code} response is not an ErrorBody"
            );
        }
        if has_body {
            let body = &op["requestBody"];
            assert!(body.is_object(), "{what}: no requestBody");
            let schema = json_schema(&doc, body, &what);
            assert!(
                schema["properties"].is_object(),
                "{what}: request schema without properties: {schema}"
            );
        }
        // Path templates declare their parameters.
        for param in path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        {
            let declared = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(
                    doc["paths"][path]["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten(),
                )
                .any(|p| p["name"] == param && p["in"] == "path");
            assert!(
                declared,
                "{what}: path parameter {{{param}}} is not declared"
            );
        }
    }

    // Paging parameters are query parameters.
    for path in ["/api/v1/event-types", "/api/v1/webhooks"] {
        let params = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("GET {path}: no parameters"));
        for name in ["limit", "cursor"] {
            let p = params
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("GET {path}: no {name} parameter"));
            assert_eq!(
                p["in"], "query",
                "GET {path}: {name} is not a query parameter"
            );
        }
    }

    // The webhook request lists every create field, the response the masked secret.
    let webhook_in = json_schema(
        &doc,
        &doc["paths"]["/api/v1/webhooks"]["post"]["requestBody"],
        "POST /api/v1/webhooks",
    );
    for field in [
        "url",
        "events",
        "name",
        "description",
        "enabled",
        "headers",
        "retry_count",
        "timeout_seconds",
        "channels",
        "tls_verify",
        "secret",
    ] {
        assert!(
            webhook_in["properties"][field].is_object(),
            "WebhookIn lacks {field}"
        );
    }
    let webhook_out = json_schema(
        &doc,
        &doc["paths"]["/api/v1/webhooks/{id}"]["get"]["responses"]["200"],
        "GET /api/v1/webhooks/{id}",
    );
    for field in ["id", "url", "events", "has_secret", "secret_masked"] {
        assert!(
            webhook_out["properties"][field].is_object(),
            "WebhookOut lacks {field}"
        );
    }
    let page = json_schema(
        &doc,
        &doc["paths"]["/api/v1/webhooks"]["get"]["responses"]["200"],
        "GET /api/v1/webhooks",
    );
    assert!(page["properties"]["data"].is_object(), "{page}");
    assert!(page["properties"]["next_cursor"].is_object(), "{page}");
}

/// Runs `python3 -m openapi_spec_validator` on the served document.
#[tokio::test]
#[cfg_attr(
    not(has_openapi_spec_validator),
    ignore = "openapi-spec-validator is not installed: python3 -m pip install openapi-spec-validator"
)]
async fn the_document_passes_openapi_spec_validator() {
    let doc = fetch_document().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let out = Command::new("python3")
        .args(["-m", "openapi_spec_validator", "--schema", "3.1"])
        .arg(&file)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "openapi-spec-validator refused the document:\n{stdout}\n{stderr}"
    );
}

/// The document is exact (issue 13): the paging bounds, the field rules, and every status
/// each route can answer, each error with the error shape.
#[tokio::test]
async fn the_document_states_every_rule_and_every_status() {
    let doc = fetch_document().await;
    let paths = doc["paths"].as_object().unwrap();
    for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/api/v1/")) {
        for (method, op) in item.as_object().unwrap() {
            let what = format!("{} {path}", method.to_uppercase());
            let responses = op["responses"].as_object().unwrap();
            let mut want = vec!["401", "403"];
            if op.get("requestBody").is_some() {
                want.extend(["400", "413", "415", "422"]);
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            if params.iter().any(|p| p["in"] == "query") {
                want.push("422");
            }
            for p in params.iter().filter(|p| p["in"] == "path") {
                want.push("404");
                assert!(
                    p["schema"]["pattern"].is_string(),
                    "{what}: path parameter {} has no pattern",
                    p["name"]
                );
            }
            for code in want {
                assert!(responses.contains_key(code), "{what}: no {code} response");
            }
            for p in params.iter().filter(|p| p["name"] == "limit") {
                assert_eq!(p["schema"]["minimum"], 1, "{what}: limit minimum");
                assert_eq!(p["schema"]["maximum"], 100, "{what}: limit maximum");
            }
            if let Some(body) = op.get("requestBody") {
                let mut schema = json_schema(&doc, body, &what);
                // An optional body: one of the object and null.
                if let Some(object) = schema["oneOf"].as_array().and_then(|o| o.first()) {
                    schema = resolve(&doc, object);
                }
                assert_eq!(
                    schema["additionalProperties"], false,
                    "{what}: the server refuses unknown fields, the document must say so"
                );
            }
        }
    }

    // The engine's writer refuses while the database cannot commit: 503 with Retry-After.
    for (path, method) in [
        ("/api/v1/events", "post"),
        ("/api/v1/deliveries/{id}/retry", "post"),
        ("/api/v1/webhooks/{id}/test", "post"),
    ] {
        let unavailable = &doc["paths"][path][method]["responses"]["503"];
        assert!(
            unavailable["headers"]["Retry-After"].is_object(),
            "{method} {path}: no 503 with Retry-After: {unavailable}"
        );
    }

    let schemas = &doc["components"]["schemas"];
    let webhook = &schemas["WebhookIn"]["properties"];
    assert_eq!(webhook["timeout_seconds"]["minimum"], 1);
    assert_eq!(webhook["timeout_seconds"]["maximum"], 30);
    assert_eq!(webhook["retry_count"]["minimum"], 0);
    assert_eq!(webhook["retry_count"]["maximum"], 10);
    assert_eq!(webhook["name"]["maxLength"], 100);
    assert_eq!(webhook["url"]["maxLength"], 2048);
    assert_eq!(webhook["url"]["format"], "uri");
    assert_eq!(
        schemas["WebhookIn"]["required"],
        serde_json::json!(["url", "events"])
    );
    assert!(schemas["WebhookPatch"]["properties"]["secret"].is_null());
    let event = &schemas["EventIn"]["properties"];
    assert_eq!(event["type"]["pattern"], r"^[a-z0-9_]+(\.[a-z0-9_]+)*$");
    assert_eq!(event["type"]["maxLength"], 128);
    let name = &schemas["EventTypeIn"]["properties"]["name"];
    assert_eq!(name["pattern"], r"^[a-z0-9_]+(\.[a-z0-9_]+)*$");
    assert_eq!(
        schemas["DeliveryStatus"]["enum"],
        serde_json::json!(["pending", "succeeded", "failed", "cancelled"])
    );
    let code = resolve(&doc, &schemas["ErrorDetail"]["properties"]["code"]);
    assert!(
        code["enum"]
            .as_array()
            .is_some_and(|c| c.contains(&"validation_failed".into())),
        "error codes are not listed: {code}"
    );
}
