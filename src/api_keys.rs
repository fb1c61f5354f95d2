//! API keys (`hk_…`): shown once at creation, stored only as a SHA-256 hash, scoped, revocable.
//! Keys are 32 random bytes, so a plain hash (not argon2) is the right tool: there is nothing to
//! brute-force, and lookup by hash keeps authentication one indexed query.

use crate::crypto;
use crate::db::Db;
use crate::error::{Error, FieldErrors, Result};
use crate::ids::ApiKeyId;
use crate::tenants::{TenantUid, Visibility};
use crate::timestamp::Timestamp;

pub const KEY_PREFIX: &str = "hk_";
const SHOWN_PREFIX_LEN: usize = 10;
pub const MAX_NAME_LEN: usize = 100;
const LAST_USED_GRANULARITY: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    EventsWrite,
    WebhooksRead,
    WebhooksWrite,
    All,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::EventsWrite,
        Scope::WebhooksRead,
        Scope::WebhooksWrite,
        Scope::All,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::EventsWrite => "events:write",
            Scope::WebhooksRead => "webhooks:read",
            Scope::WebhooksWrite => "webhooks:write",
            Scope::All => "all",
        }
    }
    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|sc| sc.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<Scope>,
    /// `None`: the team's key, which sees every tenant; otherwise it sees only this one.
    pub tenant: Option<TenantUid>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl ApiKey {
    pub fn visibility(&self) -> Visibility {
        match &self.tenant {
            None => Visibility::Everything,
            Some(t) => Visibility::Tenant(t.clone()),
        }
    }
    /// `webhooks:write` implies `webhooks:read`; `all` implies everything.
    pub fn allows(&self, needed: Scope) -> bool {
        self.scopes.iter().any(|&s| {
            s == Scope::All
                || s == needed
                || (s == Scope::WebhooksWrite && needed == Scope::WebhooksRead)
        })
    }
    pub fn scopes_text(&self) -> String {
        self.scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: ApiKeyId,
    name: String,
    prefix: String,
    scopes: String,
    tenant: Option<TenantUid>,
    created_at: Timestamp,
    last_used_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
}

impl From<Row> for ApiKey {
    fn from(r: Row) -> Self {
        ApiKey {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            scopes: r
                .scopes
                .split_whitespace()
                .filter_map(Scope::parse)
                .collect(),
            tenant: r.tenant,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// Parses scope names; an empty list means `all`.
pub fn parse_scopes<S: AsRef<str>>(names: &[S]) -> Result<Vec<Scope>> {
    let mut scopes = Vec::new();
    for n in names
        .iter()
        .map(AsRef::as_ref)
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let s = Scope::parse(n).ok_or_else(|| {
            Error::invalid(
                "scopes",
                format!(
                    "Unknown scope {n:?}; use events:write, webhooks:read, webhooks:write or all."
                ),
            )
        })?;
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    if scopes.is_empty() {
        scopes.push(Scope::All);
    }
    scopes.sort();
    Ok(scopes)
}

/// Creates a key, bound to `tenant` if given (which must exist); the plaintext is returned here
/// and never again.
pub async fn create(
    db: &Db,
    name: &str,
    scopes: Vec<Scope>,
    tenant: Option<TenantUid>,
) -> Result<(ApiKey, String)> {
    let name = name.trim();
    let mut errors = FieldErrors::default();
    if name.is_empty() {
        errors.add(
            "name",
            "Give the key a name, e.g. the app that will use it.",
        );
    } else if name.chars().count() > MAX_NAME_LEN {
        errors.add("name", format!("Use at most {MAX_NAME_LEN} characters."));
    }
    errors.into_result()?;
    let plaintext = crypto::random_token(KEY_PREFIX, 32);
    let key = ApiKey {
        id: ApiKeyId::generate(),
        name: name.to_owned(),
        prefix: plaintext[..SHOWN_PREFIX_LEN].to_owned(),
        scopes,
        tenant,
        created_at: Timestamp::now(),
        last_used_at: None,
        revoked_at: None,
    };
    sqlx::query("insert into api_keys (id, name, prefix, key_hash, scopes, tenant, created_at) values (?, ?, ?, ?, ?, ?, ?)")
        .bind(&key.id)
        .bind(&key.name)
        .bind(&key.prefix)
        .bind(crypto::sha256_hex(&plaintext))
        .bind(key.scopes_text())
        .bind(&key.tenant)
        .bind(key.created_at)
        .execute(db)
        .await?;
    Ok((key, plaintext))
}

/// The live key for a presented plaintext. Its use is recorded at most once a minute, so
/// authentication does not add a write to every API request.
pub async fn authenticate(db: &Db, presented: &str) -> Result<Option<ApiKey>> {
    if !presented.starts_with(KEY_PREFIX) || presented.len() > 128 {
        return Ok(None);
    }
    let row: Option<Row> = sqlx::query_as(
        "select id, name, prefix, scopes, tenant, created_at, last_used_at, revoked_at from api_keys
         where key_hash = ? and revoked_at is null",
    )
    .bind(crypto::sha256_hex(presented))
    .fetch_optional(db)
    .await?;
    let Some(mut key) = row.map(ApiKey::from) else {
        return Ok(None);
    };
    let now = Timestamp::now();
    if key
        .last_used_at
        .is_none_or(|t| t < now.minus(LAST_USED_GRANULARITY))
    {
        // Bookkeeping only, off the request's path: a request never waits for the write lock
        // (busy while the engine drains a backlog) nor fails for it.
        let (db, id) = (db.clone(), key.id.clone());
        tokio::spawn(async move {
            let done = sqlx::query("update api_keys set last_used_at = ? where id = ?")
                .bind(now)
                .bind(&id)
                .execute(&db)
                .await;
            if let Err(e) = done {
                tracing::debug!(error = %e, key = %id, "could not record the key's use");
            }
        });
        key.last_used_at = Some(now);
    }
    Ok(Some(key))
}

/// How long an authenticated key is trusted without asking the database again.
pub const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// Keys authenticated in the last `CACHE_TTL`, so a busy client costs no database read per
/// request. Revoking through hookd's dashboard clears it at once; a revocation by the CLI (another
/// process) takes effect within the TTL. Unknown keys are never cached.
#[derive(Default)]
pub struct KeyCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (ApiKey, std::time::Instant)>>,
}

impl KeyCache {
    pub async fn authenticate(&self, db: &Db, presented: &str) -> Result<Option<ApiKey>> {
        let hash = crypto::sha256_hex(presented);
        if let Some((key, at)) = self.lock().get(&hash)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(Some(key.clone()));
        }
        let key = authenticate(db, presented).await?;
        if let Some(k) = &key {
            let mut entries = self.lock();
            entries.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            entries.insert(hash, (k.clone(), std::time::Instant::now()));
        }
        Ok(key)
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (ApiKey, std::time::Instant)>>
    {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub async fn list(db: &Db) -> Result<Vec<ApiKey>> {
    let rows: Vec<Row> = sqlx::query_as(
        "select id, name, prefix, scopes, tenant, created_at, last_used_at, revoked_at from api_keys
         order by revoked_at is not null, created_at desc",
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(ApiKey::from).collect())
}

/// One tenant's keys, as `list` orders them.
pub async fn list_of_tenant(db: &Db, tenant: &TenantUid) -> Result<Vec<ApiKey>> {
    let rows: Vec<Row> = sqlx::query_as(
        "select id, name, prefix, scopes, tenant, created_at, last_used_at, revoked_at from api_keys
         where tenant = ? order by revoked_at is not null, created_at desc",
    )
    .bind(tenant)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(ApiKey::from).collect())
}

pub async fn revoke(db: &Db, id: &ApiKeyId) -> Result<()> {
    let done = sqlx::query("update api_keys set revoked_at = coalesce(revoked_at, ?) where id = ?")
        .bind(Timestamp::now())
        .bind(id)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound("API key"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_imply() {
        assert_eq!(parse_scopes::<&str>(&[]).unwrap(), vec![Scope::All]);
        assert!(parse_scopes(&["webhooks:delete"]).is_err());
        let key = ApiKey {
            id: ApiKeyId::generate(),
            name: "x".into(),
            prefix: "hk_".into(),
            scopes: parse_scopes(&["webhooks:write"]).unwrap(),
            tenant: None,
            created_at: Timestamp::now(),
            last_used_at: None,
            revoked_at: None,
        };
        assert!(key.allows(Scope::WebhooksRead));
        assert!(!key.allows(Scope::EventsWrite));
    }
}
