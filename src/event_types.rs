//! The event-type catalog: names an application may send, with descriptions and examples.
//! Types are archived, never deleted, so history keeps its meaning.

use serde::Serialize;

use crate::db::Db;
use crate::error::{Error, FieldErrors, Result};
use crate::timestamp::Timestamp;

pub const MAX_NAME_LEN: usize = 128;
pub const MAX_DESCRIPTION_LEN: usize = 1000;
pub const MAX_EXAMPLE_BYTES: usize = 64 * 1024;
/// hookd's own events (`self_events`) live under this prefix: built in, never created,
/// edited, archived or ingested by anyone else.
pub const RESERVED_PREFIX: &str = "hookd.";

/// Is `name` in hookd's own namespace?
pub fn is_reserved(name: &str) -> bool {
    name.starts_with(RESERVED_PREFIX)
}

/// Why a built-in type cannot be changed.
fn built_in(name: &str) -> Error {
    Error::Conflict(format!(
        "{name} is one of hookd's own event types: it is built in and cannot be edited or archived."
    ))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EventType {
    pub name: String,
    pub description: String,
    #[sqlx(json(nullable))]
    pub example: Option<serde_json::Value>,
    #[serde(skip)]
    pub archived_at: Option<Timestamp>,
    #[sqlx(skip)]
    pub archived: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl EventType {
    fn with_flags(mut self) -> Self {
        self.archived = self.archived_at.is_some();
        self
    }
    /// One of hookd's own types: built in, not editable.
    pub fn is_built_in(&self) -> bool {
        is_reserved(&self.name)
    }
    pub fn example_pretty(&self) -> String {
        self.example
            .as_ref()
            .and_then(|v| serde_json::to_string_pretty(v).ok())
            .unwrap_or_default()
    }
}

/// `^[a-z0-9_]+(\.[a-z0-9_]+)*$`, at most 128 characters.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

pub struct NewEventType {
    pub name: String,
    pub description: String,
    pub example: Option<serde_json::Value>,
}

impl NewEventType {
    pub fn validate(&self) -> FieldErrors {
        let mut errors = FieldErrors::default();
        if !is_valid_name(&self.name) {
            errors.add(
                "name",
                "Use lowercase letters, digits and underscores, in dot-separated parts (e.g. invoice.paid), at most 128 characters.",
            );
        } else if is_reserved(&self.name) {
            errors.add(
                "name",
                format!(
                    "Names starting with {RESERVED_PREFIX} are reserved for hookd's own events."
                ),
            );
        }
        check_details(&mut errors, Some(&self.description), self.example.as_ref());
        errors
    }
}

/// The rules for what create and edit both set.
fn check_details(
    errors: &mut FieldErrors,
    description: Option<&String>,
    example: Option<&serde_json::Value>,
) {
    if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_LEN) {
        errors.add(
            "description",
            format!("Use at most {MAX_DESCRIPTION_LEN} characters."),
        );
    }
    if let Some(ex) = example {
        if !ex.is_object() {
            errors.add("example", "The example payload must be a JSON object.");
        } else if ex.to_string().len() > MAX_EXAMPLE_BYTES {
            errors.add("example", "The example payload is larger than 64 KiB.");
        }
    }
}

/// An edit: `None` keeps a field; `example: Some(None)` removes the example; `archived`
/// archives (`true`) or restores (`false`).
#[derive(Debug, Default)]
pub struct EventTypeChanges {
    pub description: Option<String>,
    pub example: Option<Option<serde_json::Value>>,
    pub archived: Option<bool>,
}

impl EventTypeChanges {
    pub fn validate(&self) -> FieldErrors {
        let mut errors = FieldErrors::default();
        check_details(
            &mut errors,
            self.description.as_ref(),
            self.example.as_ref().and_then(Option::as_ref),
        );
        errors
    }
}

const COLUMNS: &str = "name, description, example, archived_at, created_at, updated_at";

/// Creates a type, or restores an archived one of the same name with the new details.
pub async fn create(db: &Db, new: NewEventType) -> Result<EventType> {
    new.validate().into_result()?;
    let now = Timestamp::now();
    let example = new.example.as_ref().map(|v| v.to_string());
    let row: Option<EventType> = sqlx::query_as(&format!(
        "insert into event_types (name, description, example, created_at, updated_at) values (?, ?, ?, ?, ?)
         on conflict (name) do update set description = excluded.description, example = excluded.example,
             archived_at = null, updated_at = excluded.updated_at
           where event_types.archived_at is not null
         returning {COLUMNS}"
    ))
    .bind(&new.name)
    .bind(new.description.trim())
    .bind(example)
    .bind(now)
    .bind(now)
    .fetch_optional(db)
    .await?;
    row.map(EventType::with_flags)
        .ok_or_else(|| Error::Conflict(format!("event type {} already exists", new.name)))
}

pub async fn get(db: &Db, name: &str) -> Result<Option<EventType>> {
    let row: Option<EventType> =
        sqlx::query_as(&format!("select {COLUMNS} from event_types where name = ?"))
            .bind(name)
            .fetch_optional(db)
            .await?;
    Ok(row.map(EventType::with_flags))
}

/// One page ordered by name, after `after`; archived types only when asked.
pub async fn list(
    db: &Db,
    include_archived: bool,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<EventType>> {
    let rows: Vec<EventType> = sqlx::query_as(&format!(
        "select {COLUMNS} from event_types
         where (? or archived_at is null) and name > ?
         order by name limit ?"
    ))
    .bind(include_archived)
    .bind(after.unwrap_or(""))
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(EventType::with_flags).collect())
}

/// Names of every non-archived type (the catalog for pattern checks, pickers and ingest), from
/// the pool or inside an open transaction.
pub async fn active_names(conn: impl sqlx::SqliteExecutor<'_>) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("select name from event_types where archived_at is null order by name")
            .fetch_all(conn)
            .await?,
    )
}

/// Applies `changes` to the type `name`; archiving keeps the first archive time.
pub async fn update(db: &Db, name: &str, changes: EventTypeChanges) -> Result<EventType> {
    if is_reserved(name) && get(db, name).await?.is_some() {
        return Err(built_in(name));
    }
    changes.validate().into_result()?;
    let now = Timestamp::now();
    let example = changes
        .example
        .as_ref()
        .map(|e| e.as_ref().map(|v| v.to_string()));
    let row: Option<EventType> = sqlx::query_as(&format!(
        "update event_types set
             description = coalesce(?1, description),
             example = case when ?2 then ?3 else example end,
             archived_at = case ?4 when 1 then coalesce(archived_at, ?5) when 0 then null else archived_at end,
             updated_at = ?5
         where name = ?6 returning {COLUMNS}"
    ))
    .bind(changes.description.as_deref().map(str::trim))
    .bind(example.is_some())
    .bind(example.flatten())
    .bind(changes.archived)
    .bind(now)
    .bind(name)
    .fetch_optional(db)
    .await?;
    row.map(EventType::with_flags)
        .ok_or(Error::NotFound("event type"))
}

/// Writes a built-in type as this binary describes it, active (`self_events::seed_catalog`).
pub async fn put_built_in(
    db: &Db,
    name: &str,
    description: &str,
    example: &serde_json::Value,
) -> Result<()> {
    let now = Timestamp::now();
    sqlx::query(
        "insert into event_types (name, description, example, created_at, updated_at) values (?1, ?2, ?3, ?4, ?4)
         on conflict (name) do update set description = excluded.description, example = excluded.example,
             archived_at = null, updated_at = excluded.updated_at
           where event_types.description is not excluded.description or event_types.example is not excluded.example
             or event_types.archived_at is not null",
    )
    .bind(name)
    .bind(description)
    .bind(example.to_string())
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn archive(db: &Db, name: &str) -> Result<EventType> {
    let changes = EventTypeChanges {
        archived: Some(true),
        ..EventTypeChanges::default()
    };
    update(db, name, changes).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_dotted_lowercase_rule() {
        for ok in [
            "invoice.paid",
            "a",
            "proxy_settings.approved",
            "v2.user_1.created",
        ] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "Invoice.paid",
            "a..b",
            ".a",
            "a.",
            "a-b",
            "a.*",
            "a b",
            &"x".repeat(129),
        ] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn the_hookd_namespace_cannot_be_created() {
        let new = NewEventType {
            name: "hookd.anything".into(),
            description: String::new(),
            example: None,
        };
        assert!(
            new.validate()
                .0
                .iter()
                .any(|(k, v)| k == "name" && v.contains("reserved"))
        );
        assert!(is_reserved("hookd.delivery.failed"));
        assert!(!is_reserved("hookdx.a") && !is_reserved("hookd"));
    }
}
