//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use axum::extract::State;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{ErrorBody, event_types, events, replays, tenants, webhooks};
use crate::state::AppState;
use crate::wire::WireFormat;

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
        tenants::list_tenants, tenants::create_tenant, tenants::put_tenant, tenants::get_tenant,
        tenants::update_tenant, tenants::delete_tenant, tenants::create_tenant_key, tenants::create_portal_link,
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
pub async fn openapi_json(State(state): State<AppState>) -> Json<utoipa::openapi::OpenApi> {
    Json(document(&state.config.wire))
}

/// The OpenAPI document of this server: its description names the headers and body fields
/// deliveries use, as configured. Also what `/api/docs` renders.
pub fn document(wire: &WireFormat) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.description = Some(describe(wire));
    doc
}

fn describe(wire: &WireFormat) -> String {
    let b = &wire.body;
    let mut fields: Vec<&str> = [b.id.as_str(), &b.event_type, &b.timestamp, &b.data]
        .into_iter()
        .filter(|f| !f.is_empty())
        .collect();
    fields.sort_unstable();
    let prefix = if wire.signature_prefix.is_empty() {
        String::new()
    } else {
        format!("`{}` then ", wire.signature_prefix)
    };
    let standard = if wire.standard_webhooks {
        " and the Standard Webhooks headers `webhook-id`, `webhook-timestamp`, `webhook-signature`"
    } else {
        ""
    };
    format!(
        "Send events; hookd signs and delivers them to every subscribed endpoint. Each delivery \
         is a JSON POST with the fields {} (`{}`: the event's data), User-Agent `{}`, the event \
         type in `{}`, its id in `{}`, {prefix}the hex HMAC-SHA256 of the raw body in `{}`{standard}. \
         These names are server settings (`signature_header`, `signature_prefix`, `event_header`, \
         `id_header`, `user_agent`, `standard_webhooks`, `body_*_field`).",
        fields
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", "),
        b.data,
        wire.user_agent,
        wire.event_header,
        wire.id_header,
        wire.signature_header,
    )
}
