//! Tenants: the team's customers, each with its own endpoints, events and keys.
//!
//! The boundary is one mechanism: whoever asks holds a `Visibility` (an operator or the team's
//! key sees everything; a tenant-bound key or a portal session sees one tenant), lists filter by
//! it, and every object addressed by id is checked through `Owned` before anything else reads
//! it. An object of another tenant is `NotFound`, exactly like one that does not exist.

use crate::db::Db;
use crate::error::{Error, FieldErrors, Result};
use crate::ids::{EndpointId, ObjectId, TenantId};
use crate::timestamp::Timestamp;

pub const MAX_UID_LEN: usize = 64;
pub const MAX_NAME_LEN: usize = 200;

/// The team's own id for one of its customers: 1–64 of `A-Z a-z 0-9 . _ : -`. Never changes, so
/// rows carry it as their tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, sqlx::Type)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct TenantUid(String);

impl TenantUid {
    pub fn parse(s: &str) -> Option<TenantUid> {
        (!s.is_empty()
            && s.len() <= MAX_UID_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-')))
        .then(|| TenantUid(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantUid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for TenantUid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TenantUid::parse(&s).ok_or_else(|| serde::de::Error::custom(UID_RULE))
    }
}

impl ObjectId for TenantUid {
    const OBJECT: &'static str = "tenant";
}

pub const UID_RULE: &str = "a tenant uid is 1–64 characters of A-Z a-z 0-9 . _ : -";

/// What the one asking may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Operators and the team's keys: every row, the team's and every tenant's.
    Everything,
    /// A tenant-bound key or a portal session (or a team list filtered by `?tenant=`).
    Tenant(TenantUid),
}

impl Visibility {
    /// The tenant a list is narrowed to, for `(?1 is null or tenant = ?1)` in SQL.
    pub fn tenant(&self) -> Option<&TenantUid> {
        match self {
            Visibility::Everything => None,
            Visibility::Tenant(t) => Some(t),
        }
    }
    pub fn sees(&self, owner: Option<&TenantUid>) -> bool {
        match self {
            Visibility::Everything => true,
            Visibility::Tenant(t) => owner == Some(t),
        }
    }
    /// `id` if it exists and may be seen; otherwise the same `NotFound` as an unknown id, so
    /// another tenant's ids reveal nothing.
    pub async fn check<T: Owned + ObjectId>(&self, db: &Db, id: T) -> Result<T> {
        match id.owner(db).await? {
            Some(owner) if self.sees(owner.as_ref()) => Ok(id),
            _ => Err(Error::NotFound(T::OBJECT)),
        }
    }
    /// The tenant a new row gets: a tenant-bound caller's own (naming another is refused), or
    /// what a team caller names, which must exist.
    pub async fn stamp(&self, db: &Db, named: Option<&str>) -> Result<Option<TenantUid>> {
        match (self, named) {
            (Visibility::Tenant(own), None) => Ok(Some(own.clone())),
            (Visibility::Tenant(own), Some(n)) if n == own.as_str() => Ok(Some(own.clone())),
            (Visibility::Tenant(_), Some(_)) => Err(Error::invalid(
                "tenant",
                "This key belongs to another tenant: leave tenant out, or name the key's own.",
            )),
            (Visibility::Everything, None) => Ok(None),
            (Visibility::Everything, Some(n)) => Ok(Some(existing(db, "tenant", n).await?)),
        }
    }
    /// A team list's `?tenant=` filter, or the caller's own tenant.
    pub async fn narrowed(&self, db: &Db, filter: Option<&str>) -> Result<Visibility> {
        match (self, filter.filter(|f| !f.is_empty())) {
            (v, None) => Ok(v.clone()),
            (Visibility::Everything, Some(f)) => {
                Ok(Visibility::Tenant(existing(db, "tenant", f).await?))
            }
            (Visibility::Tenant(own), Some(f)) if f == own.as_str() => Ok(self.clone()),
            // A bound key filtering by another tenant simply sees nothing of it.
            (Visibility::Tenant(_), Some(_)) => Err(Error::invalid(
                "tenant",
                "This key sees only its own tenant.",
            )),
        }
    }
}

/// An object that belongs to a tenant or to the team: `owner` is `None` when it does not
/// exist, `Some(None)` for the team's own.
pub trait Owned {
    fn owner(&self, db: &Db) -> impl Future<Output = Result<Option<Option<TenantUid>>>> + Send;
}

impl Owned for TenantUid {
    async fn owner(&self, db: &Db) -> Result<Option<Option<TenantUid>>> {
        let found: Option<String> = sqlx::query_scalar("select uid from tenants where uid = ?")
            .bind(self)
            .fetch_optional(db)
            .await?;
        Ok(found.map(|_| Some(self.clone())))
    }
}

/// `uid` as a tenant that exists, or a field error on `field`.
pub async fn existing(db: &Db, field: &str, uid: &str) -> Result<TenantUid> {
    let bad = || Error::invalid(field, format!("No tenant has uid {uid:?}."));
    let uid = TenantUid::parse(uid).ok_or_else(bad)?;
    match uid.owner(db).await? {
        Some(_) => Ok(uid),
        None => Err(bad()),
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Tenant {
    pub id: TenantId,
    pub uid: TenantUid,
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Tenant {
    /// The name, or the uid when it has none.
    pub fn display_name(&self) -> &str {
        if self.name.is_empty() {
            self.uid.as_str()
        } else {
            &self.name
        }
    }
}

const COLUMNS: &str = "id, uid, name, created_at, updated_at";

fn check_name(errors: &mut FieldErrors, name: &str) {
    if name.chars().count() > MAX_NAME_LEN {
        errors.add("name", format!("Use at most {MAX_NAME_LEN} characters."));
    } else if name.chars().any(char::is_control) {
        errors.add("name", "A name cannot hold control characters.");
    }
}

fn parse_uid(errors: &mut FieldErrors, uid: &str) -> Option<TenantUid> {
    let parsed = TenantUid::parse(uid);
    if parsed.is_none() {
        errors.add(
            "uid",
            format!("Use 1–{MAX_UID_LEN} characters of A-Z a-z 0-9 . _ : -"),
        );
    }
    parsed
}

/// Creates a tenant; a taken uid is a conflict.
pub async fn create(db: &Db, uid: &str, name: &str) -> Result<Tenant> {
    let mut errors = FieldErrors::default();
    let uid = parse_uid(&mut errors, uid);
    let name = name.trim();
    check_name(&mut errors, name);
    errors.into_result()?;
    let uid = uid.expect("checked above");
    let now = Timestamp::now();
    let row: Option<Tenant> = sqlx::query_as(&format!(
        "insert into tenants (id, uid, name, created_at, updated_at) values (?, ?, ?, ?, ?)
         on conflict (uid) do nothing returning {COLUMNS}"
    ))
    .bind(TenantId::generate())
    .bind(&uid)
    .bind(name)
    .bind(now)
    .bind(now)
    .fetch_optional(db)
    .await?;
    row.ok_or_else(|| Error::Conflict(format!("a tenant with uid {uid:?} already exists")))
}

/// Creates the tenant or updates its name (`None` keeps it); true when it was created. The
/// team's app can call this on every sign-up.
pub async fn put(db: &Db, uid: &TenantUid, name: Option<&str>) -> Result<(Tenant, bool)> {
    let name = name.map(str::trim);
    let mut errors = FieldErrors::default();
    if let Some(n) = name {
        check_name(&mut errors, n);
    }
    errors.into_result()?;
    let now = Timestamp::now();
    let inserted: Option<Tenant> = sqlx::query_as(&format!(
        "insert into tenants (id, uid, name, created_at, updated_at) values (?, ?, ?, ?, ?)
         on conflict (uid) do nothing returning {COLUMNS}"
    ))
    .bind(TenantId::generate())
    .bind(uid)
    .bind(name.unwrap_or(""))
    .bind(now)
    .bind(now)
    .fetch_optional(db)
    .await?;
    if let Some(t) = inserted {
        return Ok((t, true));
    }
    let updated: Tenant = sqlx::query_as(&format!(
        "update tenants set name = coalesce(?1, name),
             updated_at = case when ?1 is null or ?1 = name then updated_at else ?2 end
         where uid = ?3 returning {COLUMNS}"
    ))
    .bind(name)
    .bind(now)
    .bind(uid)
    .fetch_one(db)
    .await?;
    Ok((updated, false))
}

pub async fn get(db: &Db, uid: &TenantUid) -> Result<Tenant> {
    let row: Option<Tenant> =
        sqlx::query_as(&format!("select {COLUMNS} from tenants where uid = ?"))
            .bind(uid)
            .fetch_optional(db)
            .await?;
    row.ok_or(Error::NotFound("tenant"))
}

/// Changes the name (`None` keeps it).
pub async fn update(db: &Db, uid: &TenantUid, name: Option<&str>) -> Result<Tenant> {
    get(db, uid).await?;
    Ok(put(db, uid, name).await?.0)
}

/// What deleting a tenant removes, for the dashboard's question before it does.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Holdings {
    pub endpoints: i64,
    pub events: i64,
    pub deliveries: i64,
    pub api_keys: i64,
}

pub async fn holdings(db: &Db, uid: &TenantUid) -> Result<Holdings> {
    Ok(sqlx::query_as(
        "select (select count(*) from endpoints where tenant = ?1) as endpoints,
                (select count(*) from events where tenant = ?1) as events,
                (select count(*) from deliveries where tenant = ?1) as deliveries,
                (select count(*) from api_keys where tenant = ?1 and revoked_at is null) as api_keys",
    )
    .bind(uid)
    .fetch_one(db)
    .await?)
}

/// Deletes the tenant with its endpoints, events and their history (foreign-key cascades), its
/// keys and portal links; returns the endpoints that went, so the engine can forget them.
pub async fn delete(db: &Db, uid: &TenantUid) -> Result<Vec<EndpointId>> {
    let mut tx = db.begin().await?;
    // Writing first: a transaction that reads first cannot take the write lock later while the
    // engine writes (SQLite answers "database is locked" instead of waiting).
    let gone: Vec<EndpointId> =
        sqlx::query_scalar("delete from endpoints where tenant = ? returning id")
            .bind(uid)
            .fetch_all(&mut *tx)
            .await?;
    let done = sqlx::query("delete from tenants where uid = ?")
        .bind(uid)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound("tenant"));
    }
    tx.commit().await?;
    Ok(gone)
}

/// Tenants by uid; `search` matches uid or name (case-insensitive substring), `after` is the
/// last uid of the previous page.
pub async fn list(
    db: &Db,
    search: Option<&str>,
    after: Option<&TenantUid>,
    limit: u32,
) -> Result<Vec<Tenant>> {
    let pattern = search.map(str::trim).filter(|s| !s.is_empty()).map(|s| {
        format!(
            "%{}%",
            s.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from tenants
         where (?1 is null or uid like ?1 escape '\\' or name like ?1 escape '\\')
           and (?2 is null or uid > ?2)
         order by uid limit ?3"
    ))
    .bind(pattern)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Does the install have any tenant? A single-team install never sees tenant columns.
pub async fn any(db: &Db) -> Result<bool> {
    Ok(sqlx::query_scalar("select exists (select 1 from tenants)")
        .fetch_one(db)
        .await?)
}

/// The tenants among `uids` that exist, by uid: what lists of endpoints, events and keys show
/// in their tenant column.
pub async fn by_uids(
    db: &Db,
    uids: &[&TenantUid],
) -> Result<std::collections::HashMap<TenantUid, Tenant>> {
    if uids.is_empty() {
        return Ok(Default::default());
    }
    let json = serde_json::to_string(uids).map_err(anyhow::Error::from)?;
    let rows: Vec<Tenant> = sqlx::query_as(&format!(
        "select {COLUMNS} from tenants where uid in (select value from json_each(?))"
    ))
    .bind(json)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|t| (t.uid.clone(), t)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_follow_the_rule() {
        for ok in ["a", "cus_123", "org:42", "A.b-c_d", &"x".repeat(64)] {
            assert!(TenantUid::parse(ok).is_some(), "{ok}");
        }
        for bad in ["", "a b", "a/b", "é", &"x".repeat(65), "a?b"] {
            assert!(TenantUid::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_tenant_sees_only_its_own() {
        let a = TenantUid::parse("a").unwrap();
        let b = TenantUid::parse("b").unwrap();
        let v = Visibility::Tenant(a.clone());
        assert!(v.sees(Some(&a)));
        assert!(!v.sees(Some(&b)));
        assert!(!v.sees(None));
        assert!(Visibility::Everything.sees(None));
        assert!(Visibility::Everything.sees(Some(&b)));
    }
}
