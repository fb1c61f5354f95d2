//! Ingest inside the engine's group commit: the idempotency lookup and the inserts.

use sqlx::SqliteConnection;

use super::{COLUMNS, Event, IDEMPOTENCY_WINDOW, NewEvent};
use crate::error::Result;
use crate::timestamp::Timestamp;

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
