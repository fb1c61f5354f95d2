//! The events log: filtered, keyset-paged reads of `events`.

use super::{COLUMNS, Event};
use crate::db::Db;
use crate::error::Result;
use crate::ids::EventId;
use crate::tenants::TenantUid;
use crate::timestamp::Timestamp;

/// Filters of the events log.
#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    pub event_type: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Matches an event id or an idempotency key exactly.
    pub search: Option<String>,
    /// Only this tenant's events.
    pub tenant: Option<TenantUid>,
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
           and (?7 is null or tenant = ?7)
         order by id desc limit ?6"
    ))
    .bind(&f.event_type)
    .bind(f.since)
    .bind(f.until)
    .bind(&f.search)
    .bind(before)
    .bind(limit)
    .bind(&f.tenant)
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
                sqlx::query_as(&format!(
                    "select {COLUMNS} from events where id = ? and (?2 is null or tenant = ?2)"
                ))
                .bind(id)
                .bind(&f.tenant)
                .fetch_optional(db)
                    .await?
            }
            None => {
                sqlx::query_as(&format!(
                    "select {COLUMNS} from events where idempotency_key = ? and (?2 is null or tenant = ?2)"
                ))
                .bind(q)
                .bind(&f.tenant)
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
    if let Some(t) = &f.tenant {
        q.push(" and tenant = ").push_bind(t.as_str());
    }
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
