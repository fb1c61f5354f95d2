//! Portal links: one-time URLs that start a portal session for one tenant. Only the token's
//! SHA-256 is stored (like API keys, the token is random enough that a plain hash is right), and
//! redeeming marks it used in the same statement that reads it, so a link opens exactly once.

use std::time::Duration;

use crate::crypto;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::tenants::TenantUid;
use crate::timestamp::Timestamp;

pub const TOKEN_PREFIX: &str = "hkp_";
pub const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);
/// A link is meant to be opened at once; a week is the longest it may wait.
pub const MAX_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// The longest a portal session lasts, however it was entered.
pub const SESSION_MAX: Duration = Duration::from_secs(12 * 3600);
/// Where a link lands.
pub const ENTER_PATH: &str = "/portal/enter";

/// A new link: the token (here only) and when it stops working.
pub struct NewLink {
    pub token: String,
    pub expires_at: Timestamp,
}

/// What a redeemed link grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub tenant: TenantUid,
    pub read_only: bool,
}

/// `expires_in_seconds`, checked: 60 s to a week, default 15 minutes.
pub fn ttl(expires_in_seconds: Option<i64>) -> Result<Duration> {
    match expires_in_seconds {
        None => Ok(DEFAULT_TTL),
        Some(s) if (60..=MAX_TTL.as_secs() as i64).contains(&s) => {
            Ok(Duration::from_secs(s as u64))
        }
        Some(_) => Err(Error::invalid(
            "expires_in_seconds",
            format!(
                "Use 60 to {} seconds (a week); the default is 900.",
                MAX_TTL.as_secs()
            ),
        )),
    }
}

pub async fn create(
    db: &Db,
    tenant: &TenantUid,
    read_only: bool,
    ttl: Duration,
) -> Result<NewLink> {
    let token = crypto::random_token(TOKEN_PREFIX, 32);
    let now = Timestamp::now();
    let expires_at = now.plus(ttl);
    sqlx::query(
        "insert into portal_links (token_hash, tenant, read_only, created_at, expires_at) values (?, ?, ?, ?, ?)",
    )
    .bind(crypto::sha256_hex(&token))
    .bind(tenant)
    .bind(read_only)
    .bind(now)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(NewLink { token, expires_at })
}

/// The grant of an unused, unexpired link, marking it used; `None` for anything else (used,
/// expired, unknown, or its tenant deleted).
pub async fn redeem(db: &Db, token: &str) -> Result<Option<Grant>> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return Ok(None);
    }
    let now = Timestamp::now();
    let row: Option<(TenantUid, bool)> = sqlx::query_as(
        "update portal_links set used_at = ?1
         where token_hash = ?2 and used_at is null and expires_at > ?1
         returning tenant, read_only",
    )
    .bind(now)
    .bind(crypto::sha256_hex(token))
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(tenant, read_only)| Grant { tenant, read_only }))
}

/// Forgets links that can no longer be opened.
pub async fn prune(db: &Db, now: Timestamp) -> Result<u64> {
    Ok(
        sqlx::query("delete from portal_links where expires_at <= ?")
            .bind(now.minus(Duration::from_secs(24 * 3600)))
            .execute(db)
            .await?
            .rows_affected(),
    )
}
