//! "Send test event" on the endpoint page: pick a type (its catalog example fills the payload),
//! edit the JSON, send it through the same engine path as `POST /api/v1/webhooks/{id}/test`,
//! and see the attempt's result in place.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use crate::deliveries;
use crate::endpoints;
use crate::error::Error;
use crate::event_types::EventType;
use crate::events::TEST_EVENT_TYPE;
use crate::http::PathId;
use crate::http::ui::{Changer, Ctx, HtmlResult, Viewer, catalog, paths};
use crate::ids::{DeliveryId, EndpointId};
use crate::state::AppState;

/// How much of a response body the result shows.
const BODY_EXCERPT_CHARS: usize = 2000;

/// The type picker's choices and examples: the built-in test type, then the active catalog.
pub struct Catalog(Vec<EventType>);

impl Catalog {
    pub async fn load(state: &AppState) -> Result<Catalog, Error> {
        Ok(Catalog(catalog::active(state).await?))
    }

    fn names(&self) -> Vec<String> {
        std::iter::once(TEST_EVENT_TYPE.to_owned())
            .chain(self.0.iter().map(|t| t.name.clone()))
            .collect()
    }

    /// A known type, or the test type.
    fn pick(&self, name: &str) -> String {
        if self.0.iter().any(|t| t.name == name) {
            name.to_owned()
        } else {
            TEST_EVENT_TYPE.to_owned()
        }
    }

    /// The type's example as pretty JSON (`{}` without one).
    fn example(&self, name: &str) -> String {
        if name == TEST_EVENT_TYPE {
            return "{\n  \"message\": \"This is a test event from hookd.\"\n}".to_owned();
        }
        self.0
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| t.example.as_ref())
            .and_then(|v| serde_json::to_string_pretty(v).ok())
            .unwrap_or_else(|| "{}".to_owned())
    }
}

/// The event type (hidden, set by the picker) and the payload box.
#[derive(Template, WebTemplate)]
#[template(path = "endpoints/_test_fields.html")]
pub struct TestFields {
    pub event_type: String,
    pub payload: String,
    pub error: Option<String>,
}

/// What one test send gave.
pub struct TestResult {
    pub delivery_id: String,
    pub event_type: String,
    pub ok: bool,
    pub status: Option<i64>,
    pub duration_ms: i64,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub truncated: bool,
    pub error: Option<String>,
    pub error_kind: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "endpoints/_test_panel.html")]
pub struct TestPanel {
    pub base: &'static str,
    pub endpoint_id: String,
    pub csrf: String,
    pub types: Vec<String>,
    pub fields: TestFields,
    pub result: Option<TestResult>,
}

impl TestPanel {
    /// The panel with `type_name`'s example (the test type by default).
    pub fn new(id: &EndpointId, ctx: &Ctx, catalog: &Catalog, type_name: &str) -> TestPanel {
        let event_type = catalog.pick(type_name);
        TestPanel {
            base: ctx.base,
            endpoint_id: id.to_string(),
            csrf: ctx.csrf.clone(),
            types: catalog.names(),
            fields: TestFields {
                payload: catalog.example(&event_type),
                event_type,
                error: None,
            },
            result: None,
        }
    }
}

#[derive(Deserialize)]
pub struct ExampleQuery {
    #[serde(default)]
    pub test_type: String,
}

/// `GET /webhooks/{id}/test-example?test_type=…`: the payload box with that type's example
/// (htmx); without JS the "Load example" button goes to the page itself instead.
pub async fn test_example(
    State(state): State<AppState>,
    Changer(Viewer { ctx, who, .. }): Changer,
    PathId(id): PathId<EndpointId>,
    Query(q): Query<ExampleQuery>,
) -> HtmlResult {
    let id = who.check(&state.db, id).await?;
    endpoints::get(&state.db, &id).await?;
    if !ctx.htmx {
        let qs = paths::query(&[("test_type", q.test_type)]);
        let to = format!(
            "{}#send-test",
            paths::with_query(&ctx.at(&paths::endpoint(&id)), &qs)
        );
        return Ok(Redirect::to(&to).into_response());
    }
    let catalog = Catalog::load(&state).await?;
    Ok(TestPanel::new(&id, &ctx, &catalog, &q.test_type)
        .fields
        .into_response())
}

#[derive(Deserialize)]
pub struct TestForm {
    #[serde(default)]
    pub event_type: String,
    #[serde(default)]
    pub payload: String,
}

/// Sends the test event the form describes (`POST /webhooks/{id}/test`, the engine path of
/// the API's test). The panel shows the attempt's outcome, or keeps the payload and says why it
/// was refused (422: not a JSON object, or the engine refused it).
pub async fn send(
    state: &AppState,
    ctx: &Ctx,
    actor: &str,
    id: &EndpointId,
    form: TestForm,
) -> Result<(TestPanel, StatusCode), Error> {
    let catalog = Catalog::load(state).await?;
    let mut panel = TestPanel::new(id, ctx, &catalog, &form.event_type);
    // Keep what was typed (and the type asked for, even if it is no longer offered).
    panel.fields.payload = form.payload.clone();
    if !form.event_type.is_empty() {
        panel.fields.event_type = form.event_type;
    }
    let status = match parse_payload(&form.payload) {
        Err(msg) => {
            panel.fields.error = Some(msg);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Ok(data) => match state
            .delivery
            .send_test(id, Some(panel.fields.event_type.clone()), Some(data))
            .await
        {
            Ok(delivery_id) => {
                tracing::info!(by = %actor, endpoint = %id, delivery = %delivery_id, "test event sent");
                panel.result = Some(result_of(state, &delivery_id).await?);
                StatusCode::OK
            }
            Err(Error::Invalid(fields)) => {
                panel.fields.error = Some(fields.0.values().cloned().collect::<Vec<_>>().join(" "));
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Err(e) => return Err(e),
        },
    };
    Ok((panel, status))
}

/// The payload must be a JSON object; its text is sent byte for byte.
fn parse_payload(text: &str) -> Result<Box<serde_json::value::RawValue>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Enter a JSON object, e.g. {}.".into());
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Err(e) => Err(format!("This is not valid JSON: {e}.")),
        Ok(v) if !v.is_object() => {
            Err("The payload must be a JSON object ({ … }), not an array or a single value.".into())
        }
        Ok(_) => serde_json::value::RawValue::from_string(text.to_owned())
            .map_err(|e| format!("This is not valid JSON: {e}.")),
    }
}

async fn result_of(state: &AppState, id: &DeliveryId) -> Result<TestResult, Error> {
    let (delivery, mut attempts) = deliveries::with_attempts(&state.db, id).await?;
    let attempt = attempts.pop();
    let mut r = TestResult {
        delivery_id: id.to_string(),
        event_type: delivery.event_type,
        ok: false,
        status: None,
        duration_ms: 0,
        headers: vec![],
        body: None,
        truncated: false,
        error: delivery.last_error,
        error_kind: None,
    };
    if let Some(a) = attempt {
        r.ok = a.succeeded;
        r.status = a.response_status;
        r.duration_ms = a.duration_ms;
        r.headers = a.response_headers.unwrap_or_default().into_iter().collect();
        r.body = a.response_body.map(|b| {
            if b.chars().count() > BODY_EXCERPT_CHARS {
                r.truncated = true;
                b.chars().take(BODY_EXCERPT_CHARS).collect()
            } else {
                b
            }
        });
        r.error = a.error;
        r.error_kind = a.error_kind;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::parse_payload;

    #[test]
    fn payload_must_be_a_json_object_and_is_kept_byte_for_byte() {
        assert_eq!(
            parse_payload(r#"{"a":  1.50}"#).unwrap().get(),
            r#"{"a":  1.50}"#
        );
        assert!(parse_payload("[1]").unwrap_err().contains("object"));
        assert!(
            parse_payload("{nope")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(parse_payload("  ").is_err());
    }
}
