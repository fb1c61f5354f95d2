//! Events: what the application sends. The ingest rules live here: shape in `NewEvent::parse`;
//! catalog check, fan-out and idempotent repeats in `ingest`, whose inserts run inside the
//! delivery engine's group commit (they take the open transaction), so many requests share one
//! fsync while each is answered only after its commit. `log` pages the events log.

mod ingest;
mod log;

use serde_json::value::RawValue;

use crate::db::Db;
use crate::error::{Error, FieldErrors, Result};
use crate::event_types;
use crate::ids::EventId;
use crate::tenants::{Owned, TenantUid};
use crate::timestamp::Timestamp;
use crate::wire::BodyFields;

pub use ingest::{Ingested, Routing, Target, find_repeat, insert, insert_many};
pub use log::{EventFilter, LogPage, PageFrom, list, log_page};

pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;
pub const MAX_CHANNELS: usize = 10;
/// A repeated idempotency key returns the original event within this window.
pub const IDEMPOTENCY_WINDOW: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
/// Deepest nesting of objects and arrays accepted in `data`. Below serde_json's recursion
/// limit (128), so every accepted event can also be read back and shown.
pub const MAX_DATA_DEPTH: usize = 64;
/// The type of test sends; always accepted, never in the catalog.
pub const TEST_EVENT_TYPE: &str = "webhook.test";

/// A validated event, ready to insert. `data` is kept as the raw JSON text the client sent.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: EventId,
    /// Set by the caller after `parse` (the API stamps it from the key or the body; a test send
    /// takes its endpoint's): routes the fan-out and scopes the idempotency key.
    pub tenant: Option<TenantUid>,
    pub event_type: String,
    pub data: Box<RawValue>,
    pub channels: Vec<String>,
    pub idempotency_key: Option<String>,
    pub created_at: Timestamp,
}

impl NewEvent {
    /// Checks shape only; whether the type is in the catalog is checked at insert time.
    pub fn parse(
        event_type: String,
        data: Box<RawValue>,
        channels: Option<Vec<String>>,
        idempotency_key: Option<String>,
    ) -> Result<NewEvent> {
        let mut errors = FieldErrors::default();
        if !event_types::is_valid_name(&event_type) {
            errors.add(
                "type",
                "Use a dotted lowercase event type name, e.g. invoice.paid.",
            );
        }
        if !data.get().trim_start().starts_with('{') {
            errors.add("data", "data must be a JSON object.");
        } else if json_depth(data.get()) > MAX_DATA_DEPTH {
            errors.add(
                "data",
                format!("data is nested too deeply: at most {MAX_DATA_DEPTH} levels of objects and arrays."),
            );
        }
        let channels = channels.unwrap_or_default();
        if channels.len() > MAX_CHANNELS {
            errors.add("channels", format!("Use at most {MAX_CHANNELS} channels."));
        } else if channels
            .iter()
            .any(|c| c.is_empty() || c.chars().count() > 128)
        {
            errors.add(
                "channels",
                "Channels are non-empty strings of at most 128 characters.",
            );
        }
        let idempotency_key = idempotency_key.filter(|k| !k.is_empty());
        if idempotency_key
            .as_ref()
            .is_some_and(|k| k.chars().count() > MAX_IDEMPOTENCY_KEY_LEN)
        {
            errors.add(
                "idempotency_key",
                format!("Use at most {MAX_IDEMPOTENCY_KEY_LEN} characters."),
            );
        }
        errors.into_result()?;
        Ok(NewEvent {
            id: EventId::generate(),
            tenant: None,
            event_type,
            data,
            channels,
            idempotency_key,
            created_at: Timestamp::now(),
        })
    }

    /// The webhook body with `fields`' names, with `data` byte for byte as sent.
    pub fn body(&self, fields: &BodyFields) -> String {
        body(
            fields,
            self.id.as_str(),
            &self.event_type,
            self.created_at,
            self.data.get(),
        )
    }
}

/// How deeply objects and arrays nest in a valid JSON text (brackets inside strings don't count).
fn json_depth(json: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in json.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The webhook body of an event (`wire::BodyFields::render`), its time in RFC 3339 UTC.
pub fn body(
    fields: &BodyFields,
    id: &str,
    event_type: &str,
    created_at: Timestamp,
    data: &str,
) -> String {
    fields.render(id, event_type, &created_at.rfc3339(), data)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub id: EventId,
    pub tenant: Option<TenantUid>,
    #[sqlx(rename = "type")]
    pub event_type: String,
    pub data: String,
    #[sqlx(json(nullable))]
    pub channels: Option<Vec<String>>,
    pub idempotency_key: Option<String>,
    pub created_at: Timestamp,
}

impl Event {
    pub fn data_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null)
    }
    pub fn data_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.data_value()).unwrap_or_else(|_| self.data.clone())
    }
}

const COLUMNS: &str = "id, tenant, type, data, channels, idempotency_key, created_at";

impl Owned for EventId {
    async fn owner(&self, db: &Db) -> Result<Option<Option<TenantUid>>> {
        Ok(sqlx::query_scalar("select tenant from events where id = ?")
            .bind(self)
            .fetch_optional(db)
            .await?)
    }
}

pub async fn get(db: &Db, id: &EventId) -> Result<Event> {
    sqlx::query_as(&format!("select {COLUMNS} from events where id = ?"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(Error::NotFound("event"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        format!("{}{}", r#"{"a":"#.repeat(levels), "}".repeat(levels)).replace(":}", ":1}")
    }

    #[test]
    fn depth_counts_objects_and_arrays_but_not_brackets_in_strings() {
        assert_eq!(json_depth(r#"{"a":[{"b":"[[{{\"]]"}]}"#), 3);
        assert_eq!(json_depth(&nested(64)), 64);
    }

    #[test]
    fn data_deeper_than_the_limit_is_refused_naming_it() {
        let ok = RawValue::from_string(nested(MAX_DATA_DEPTH)).unwrap();
        assert!(NewEvent::parse("a.b".into(), ok, None, None).is_ok());
        let deep = RawValue::from_string(nested(MAX_DATA_DEPTH + 1)).unwrap();
        let Err(Error::Invalid(fields)) = NewEvent::parse("a.b".into(), deep, None, None) else {
            panic!("deep data accepted");
        };
        assert!(
            fields
                .0
                .iter()
                .any(|(k, v)| k == "data" && v.contains("64 levels"))
        );
    }

    #[test]
    fn body_keeps_data_byte_for_byte() {
        let data = RawValue::from_string(r#"{"b": 1,  "a":[1.50]}"#.to_owned()).unwrap();
        let e = NewEvent::parse("invoice.paid".into(), data, None, None).unwrap();
        let body = e.body(&BodyFields::default());
        assert!(
            body.ends_with(r#","data":{"b": 1,  "a":[1.50]}}"#),
            "{body}"
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["type"], "invoice.paid");
        assert_eq!(v["id"], e.id.as_str());
        assert!(v["timestamp"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn data_must_be_an_object() {
        let data = RawValue::from_string("[1]".to_owned()).unwrap();
        assert!(NewEvent::parse("a.b".into(), data, None, None).is_err());
    }
}
