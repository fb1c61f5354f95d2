//! Events: what the application sends. Ingest validation lives here; the insert runs inside the
//! delivery engine's group commit (`insert` takes the open transaction), so many requests share
//! one fsync while each is answered only after its commit.

use serde_json::value::RawValue;
use sqlx::SqliteConnection;

use crate::db::Db;
use crate::error::{Error, FieldErrors, Result};
use crate::event_types;
use crate::ids::EventId;
use crate::timestamp::Timestamp;

pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;
pub const MAX_CHANNELS: usize = 10;
/// A repeated idempotency key returns the original event within this window.
pub const IDEMPOTENCY_WINDOW: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
/// The type of test sends; always accepted, never in the catalog.
pub const TEST_EVENT_TYPE: &str = "webhook.test";

/// A validated event, ready to insert. `data` is kept as the raw JSON text the client sent.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: EventId,
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
        }
        let channels = channels.unwrap_or_default();
        if channels.len() > MAX_CHANNELS {
            errors.add("channels", format!("Use at most {MAX_CHANNELS} channels."));
        } else if channels.iter().any(|c| c.is_empty() || c.len() > 128) {
            errors.add(
                "channels",
                "Channels are non-empty strings of at most 128 characters.",
            );
        }
        let idempotency_key = idempotency_key.filter(|k| !k.is_empty());
        if idempotency_key
            .as_ref()
            .is_some_and(|k| k.len() > MAX_IDEMPOTENCY_KEY_LEN)
        {
            errors.add(
                "idempotency_key",
                format!("Use at most {MAX_IDEMPOTENCY_KEY_LEN} characters."),
            );
        }
        errors.into_result()?;
        Ok(NewEvent {
            id: EventId::generate(),
            event_type,
            data,
            channels,
            idempotency_key,
            created_at: Timestamp::now(),
        })
    }

    /// The webhook body: `{"id","type","timestamp","data"}`, with `data` byte for byte as sent.
    pub fn body(&self) -> String {
        body(
            self.id.as_str(),
            &self.event_type,
            self.created_at,
            self.data.get(),
        )
    }
}

pub fn body(id: &str, event_type: &str, created_at: Timestamp, data: &str) -> String {
    let head = serde_json::json!({"id": id, "type": event_type, "timestamp": created_at.rfc3339()})
        .to_string();
    // `head` ends with '}'; splice `"data":…` in before it.
    format!("{},\"data\":{}}}", &head[..head.len() - 1], data)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub id: EventId,
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

const COLUMNS: &str = "id, type, data, channels, idempotency_key, created_at";

/// The live event with this idempotency key (inside the window), if any.
pub async fn find_by_idempotency_key(
    conn: &mut SqliteConnection,
    key: &str,
    now: Timestamp,
) -> Result<Option<Event>> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from events where idempotency_key = ? and created_at > ?"
    ))
    .bind(key)
    .bind(now.minus(IDEMPOTENCY_WINDOW))
    .fetch_optional(conn)
    .await?)
}

/// Inserts events: those without an idempotency key in one statement (a group commit carries
/// many), the others one by one through `insert`.
pub async fn insert_many(conn: &mut SqliteConnection, events: &[NewEvent]) -> Result<()> {
    let (keyed, plain): (Vec<&NewEvent>, Vec<&NewEvent>) =
        events.iter().partition(|e| e.idempotency_key.is_some());
    for e in keyed {
        insert(conn, e).await?;
    }
    if plain.is_empty() {
        return Ok(());
    }
    let rows: Vec<serde_json::Value> = plain
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": e.id, "type": e.event_type, "data": e.data.get(),
                "channels": (!e.channels.is_empty()).then(|| serde_json::to_string(&e.channels).unwrap_or_default()),
                "created_at": e.created_at.millis(),
            })
        })
        .collect();
    sqlx::query(
        "insert into events (id, type, data, channels, idempotency_key, created_at)
         select value->>'id', value->>'type', value->>'data', value->>'channels', null, value->>'created_at'
         from json_each(?)",
    )
    .bind(serde_json::Value::Array(rows).to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts the event; a key whose window has passed is released first.
pub async fn insert(conn: &mut SqliteConnection, e: &NewEvent) -> Result<()> {
    if let Some(key) = &e.idempotency_key {
        sqlx::query("update events set idempotency_key = null where idempotency_key = ?")
            .bind(key)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("insert into events (id, type, data, channels, idempotency_key, created_at) values (?, ?, ?, ?, ?, ?)")
        .bind(&e.id)
        .bind(&e.event_type)
        .bind(e.data.get())
        .bind((!e.channels.is_empty()).then(|| serde_json::to_string(&e.channels).unwrap_or_default()))
        .bind(&e.idempotency_key)
        .bind(e.created_at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(db: &Db, id: &EventId) -> Result<Event> {
    sqlx::query_as(&format!("select {COLUMNS} from events where id = ?"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(Error::NotFound("event"))
}

/// Filters of the events log.
#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    pub event_type: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Matches an event id or an idempotency key exactly.
    pub search: Option<String>,
}

/// Newest first, older than `before`.
pub async fn list(
    db: &Db,
    f: &EventFilter,
    before: Option<&str>,
    limit: u32,
) -> Result<Vec<Event>> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from events
         where (?1 is null or type = ?1) and (?2 is null or created_at >= ?2) and (?3 is null or created_at < ?3)
           and (?4 is null or id = ?4 or idempotency_key = ?4) and (?5 is null or id < ?5)
         order by id desc limit ?6"
    ))
    .bind(&f.event_type)
    .bind(f.since)
    .bind(f.until)
    .bind(&f.search)
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Where a page of the events log starts.
#[derive(Debug, Clone, Copy)]
pub enum PageFrom<'a> {
    Newest,
    /// Older than this id (the "Older" link).
    Before(&'a str),
    /// Newer than this id (the "Newer" link).
    After(&'a str),
}

/// A page of the events log, newest first, with whether more lie on either side.
#[derive(Debug, Clone)]
pub struct LogPage {
    pub events: Vec<Event>,
    pub has_older: bool,
    pub has_newer: bool,
}

/// The events log: keyset paging on the id (which starts with the creation millisecond), so
/// every query is a range scan of the primary key or of `events_type (type, id)`, however
/// large the table. The time filter is turned into an id range too; `created_at` stays the
/// exact test. `search` is exact: an event id or an idempotency key.
pub async fn log_page(db: &Db, f: &EventFilter, from: PageFrom<'_>, limit: u32) -> Result<LogPage> {
    if let Some(q) = f.search.as_deref() {
        let by_id = EventId::parse(q);
        let found: Option<Event> = match by_id {
            Some(id) => {
                sqlx::query_as(&format!("select {COLUMNS} from events where id = ?"))
                    .bind(id)
                    .fetch_optional(db)
                    .await?
            }
            None => {
                sqlx::query_as(&format!(
                    "select {COLUMNS} from events where idempotency_key = ?"
                ))
                .bind(q)
                .fetch_optional(db)
                .await?
            }
        };
        return Ok(LogPage {
            events: found.into_iter().collect(),
            has_older: false,
            has_newer: false,
        });
    }
    // One second of slack: an event's id and created_at are taken a moment apart.
    let range = IdRange {
        lo: f
            .since
            .map(|t| EventId::floor_at(t.millis() - 1000).as_str().to_owned()),
        hi: f
            .until
            .map(|t| EventId::floor_at(t.millis() + 1000).as_str().to_owned()),
    };
    let (before, after) = match from {
        PageFrom::Newest => (None, None),
        PageFrom::Before(id) => (Some(id), None),
        PageFrom::After(id) => (None, Some(id)),
    };
    let mut q = filtered(
        &format!("select {COLUMNS} from events"),
        f,
        &range,
        before,
        after,
    );
    q.push(if after.is_some() {
        " order by id asc"
    } else {
        " order by id desc"
    });
    q.push(" limit ").push_bind(limit + 1);
    let mut events: Vec<Event> = q.build_query_as().fetch_all(db).await?;
    let more = events.len() > limit as usize;
    events.truncate(limit as usize);
    if after.is_some() {
        events.reverse();
    }
    let newest = events.first().map(|e| e.id.to_string());
    let oldest = events.last().map(|e| e.id.to_string());
    let (has_older, has_newer) = match from {
        PageFrom::Newest => (more, false),
        PageFrom::Before(id) => {
            let edge = newest.as_deref().unwrap_or(id);
            (more, exists(db, f, &range, None, Some(edge)).await?)
        }
        PageFrom::After(id) => {
            let edge = oldest.as_deref().unwrap_or(id);
            (exists(db, f, &range, Some(edge), None).await?, more)
        }
    };
    Ok(LogPage {
        events,
        has_older,
        has_newer,
    })
}

struct IdRange {
    lo: Option<String>,
    hi: Option<String>,
}

/// `head` with only the conditions that apply, so SQLite can pick the index for them (an
/// `?1 is null or type = ?1` condition would keep it from using `events_type`).
fn filtered<'a>(
    head: &str,
    f: &'a EventFilter,
    range: &'a IdRange,
    before: Option<&'a str>,
    after: Option<&'a str>,
) -> sqlx::QueryBuilder<'a, sqlx::Sqlite> {
    let mut q = sqlx::QueryBuilder::new(head);
    q.push(" where 1");
    if let Some(t) = &f.event_type {
        q.push(" and type = ").push_bind(t.as_str());
    }
    if let Some(lo) = &range.lo {
        q.push(" and id >= ").push_bind(lo.as_str());
    }
    if let Some(hi) = &range.hi {
        q.push(" and id < ").push_bind(hi.as_str());
    }
    if let Some(t) = f.since {
        q.push(" and created_at >= ").push_bind(t);
    }
    if let Some(t) = f.until {
        q.push(" and created_at < ").push_bind(t);
    }
    if let Some(b) = before {
        q.push(" and id < ").push_bind(b);
    }
    if let Some(a) = after {
        q.push(" and id > ").push_bind(a);
    }
    q
}

/// Whether a filtered event exists older than `before` or newer than `after`.
async fn exists(
    db: &Db,
    f: &EventFilter,
    range: &IdRange,
    before: Option<&str>,
    after: Option<&str>,
) -> Result<bool> {
    let mut q = filtered("select 1 from events", f, range, before, after);
    q.push(" limit 1");
    let found: Option<i64> = q.build_query_scalar().fetch_optional(db).await?;
    Ok(found.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_keeps_data_byte_for_byte() {
        let data = RawValue::from_string(r#"{"b": 1,  "a":[1.50]}"#.to_owned()).unwrap();
        let e = NewEvent::parse("invoice.paid".into(), data, None, None).unwrap();
        let body = e.body();
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
