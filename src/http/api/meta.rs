//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{ErrorBody, event_types, events, replays, webhooks};

#[derive(OpenApi)]
#[openapi(
    info(title = "hookd API", description = "Send events; hookd signs and delivers them to every subscribed endpoint."),
    paths(
        event_types::list_event_types, event_types::create_event_type, event_types::get_event_type,
        event_types::update_event_type, event_types::archive_event_type,
        webhooks::list_webhooks, webhooks::create_webhook, webhooks::get_webhook, webhooks::update_webhook,
        webhooks::delete_webhook, webhooks::rotate_webhook_secret, webhooks::test_webhook, webhooks::test_url,
        webhooks::list_webhook_deliveries, replays::start_replay, replays::get_replay,
        events::create_event, events::list_events, events::get_event, events::get_delivery, events::retry_delivery,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security),
    security(("bearer" = []), ("api_key" = [])),
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// GET /api/openapi.json (public: it documents, it reveals nothing).
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
