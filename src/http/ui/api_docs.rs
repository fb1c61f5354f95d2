//! `/api/docs`: the API reference, rendered on the server from hookd's own OpenAPI document
//! (handed in as JSON by the router), so it always describes the API this binary serves. No
//! script, no CDN; it needs no session, like `/api/openapi.json`.

use askama::Template;
use askama_web::WebTemplate;
use serde_json::Value;

use super::VERSION;
use crate::http::assets;

#[derive(Template, WebTemplate)]
#[template(path = "api_docs.html")]
pub struct Reference {
    title: String,
    description: String,
    tags: Vec<Tag>,
    schemas: Vec<Schema>,
}

struct Tag {
    name: String,
    operations: Vec<Operation>,
}

struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    description: String,
    params: Vec<Param>,
    body: Option<Shape>,
    responses: Vec<Reply>,
}

struct Param {
    name: String,
    location: String,
    required: bool,
    description: String,
    rules: String,
}

struct Reply {
    status: String,
    description: String,
    body: Option<Shape>,
}

/// A body: a named schema (linked) or an inline one (shown as JSON).
enum Shape {
    Named(String),
    Inline(String),
}

struct Schema {
    name: String,
    json: String,
}

impl Reference {
    pub fn from_document(doc: &Value) -> Reference {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let mut tags: Vec<Tag> = vec![];
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let tag = op["tags"][0].as_str().unwrap_or("other").to_owned();
                let operation = Operation {
                    anchor: text(&op["operationId"]),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: text(&op["summary"]),
                    description: text(&op["description"]),
                    params: op["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| Param {
                            name: text(&p["name"]),
                            location: text(&p["in"]),
                            required: p["required"].as_bool().unwrap_or(false),
                            description: text(&p["description"]),
                            rules: rules(&p["schema"]),
                        })
                        .collect(),
                    body: shape(&op["requestBody"]),
                    responses: op["responses"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(status, r)| Reply {
                            status: status.clone(),
                            description: text(&r["description"]),
                            body: shape(r),
                        })
                        .collect(),
                };
                match tags.iter_mut().find(|t| t.name == tag) {
                    Some(t) => t.operations.push(operation),
                    None => tags.push(Tag {
                        name: tag,
                        operations: vec![operation],
                    }),
                }
            }
        }
        let schemas = doc["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, s)| Schema {
                name: name.clone(),
                json: serde_json::to_string_pretty(s).unwrap_or_default(),
            })
            .collect();
        Reference {
            title: text(&doc["info"]["title"]),
            description: text(&doc["info"]["description"]),
            tags,
            schemas,
        }
    }

    fn css(&self) -> &'static str {
        assets::url("app.css")
    }
    fn favicon(&self) -> &'static str {
        assets::url("favicon.svg")
    }
    fn version(&self) -> &'static str {
        VERSION
    }
}

/// The JSON body of a request or response: its schema reference, or the schema itself.
fn shape(holder: &Value) -> Option<Shape> {
    let schema = &holder["content"]["application/json"]["schema"];
    if schema.is_null() {
        return None;
    }
    Some(match schema["$ref"].as_str() {
        Some(r) => Shape::Named(r.rsplit('/').next().unwrap_or(r).to_owned()),
        None => Shape::Inline(serde_json::to_string_pretty(schema).unwrap_or_default()),
    })
}

/// A parameter's type and limits in a few words, e.g. `integer, 1–100`.
fn rules(schema: &Value) -> String {
    let mut parts = vec![];
    match &schema["type"] {
        Value::String(t) => parts.push(t.clone()),
        Value::Array(ts) => parts.push(
            ts.iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect::<Vec<_>>()
                .join(" or "),
        ),
        _ => {}
    }
    if let Some(f) = schema["format"].as_str() {
        parts.push(f.to_owned());
    }
    match (schema["minimum"].as_i64(), schema["maximum"].as_i64()) {
        (Some(lo), Some(hi)) => parts.push(format!("{lo}–{hi}")),
        (Some(lo), None) => parts.push(format!("≥ {lo}")),
        (None, Some(hi)) => parts.push(format!("≤ {hi}")),
        _ => {}
    }
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        parts.push(format!("one of {}", values.join(", ")));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_name_type_and_limits() {
        let s =
            serde_json::json!({"type": "integer", "format": "int32", "minimum": 1, "maximum": 100});
        assert_eq!(rules(&s), "integer, int32, 1–100");
        let s = serde_json::json!({"type": ["string", "null"], "enum": ["a", "b"]});
        assert_eq!(rules(&s), "string, one of a, b");
    }
}
