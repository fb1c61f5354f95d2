//! Dashboard users: email + argon2id password hash + role. A session remembers the user's
//! `session_stamp` (derived from the password hash), so a new password ends every other session.

use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use serde::Serialize;

use crate::db::Db;
use crate::error::{Error, FieldErrors, Result, ResultExt};
use crate::ids::UserId;
use crate::timestamp::Timestamp;

pub const MIN_PASSWORD_LEN: usize = 8;
/// argon2 cost grows with input length only a little, but an unbounded field is still a DoS.
pub const MAX_PASSWORD_LEN: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Viewer,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub created_at: Timestamp,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Checks an email and a password; the messages are shown next to the fields.
pub fn validate(email: &str, password: &str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let email = email.trim();
    let valid_email = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
    if !valid_email {
        errors.add("email", "Enter an email address like name@example.com.");
    }
    check_password(&mut errors, password);
    errors
}

/// The length rules for a new password; the message goes to the `password` field.
fn check_password(errors: &mut FieldErrors, password: &str) {
    if password.chars().count() < MIN_PASSWORD_LEN {
        errors.add(
            "password",
            format!("Use at least {MIN_PASSWORD_LEN} characters."),
        );
    } else if password.len() > MAX_PASSWORD_LEN {
        errors.add(
            "password",
            format!("Use at most {MAX_PASSWORD_LEN} characters."),
        );
    }
}

/// A new password typed twice (`password`, `password_confirm`): the length rules, and that the
/// two match.
pub fn validate_new_password(password: &str, confirm: &str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    check_password(&mut errors, password);
    if password != confirm {
        errors.add("password_confirm", "The two passwords do not match.");
    }
    errors
}

pub async fn create(db: &Db, email: &str, password: &str, role: Role) -> Result<User> {
    validate(email, password).into_result()?;
    let hash = hash_password(password.to_owned()).await?;
    let now = Timestamp::now();
    let user = User {
        id: UserId::generate(),
        email: email.trim().to_owned(),
        role,
        created_at: now,
    };
    sqlx::query("insert into users (id, email, password_hash, role, created_at, updated_at) values (?, ?, ?, ?, ?, ?)")
        .bind(&user.id)
        .bind(&user.email)
        .bind(hash)
        .bind(role)
        .bind(now)
        .bind(now)
        .execute(db)
        .await
        .on_unique("email", "A user with this email already exists.")?;
    Ok(user)
}

pub async fn count(db: &Db) -> Result<i64> {
    Ok(sqlx::query_scalar("select count(*) from users")
        .fetch_one(db)
        .await?)
}

pub async fn list(db: &Db) -> Result<Vec<User>> {
    Ok(
        sqlx::query_as("select id, email, role, created_at from users order by email")
            .fetch_all(db)
            .await?,
    )
}

pub async fn get(db: &Db, id: &UserId) -> Result<Option<User>> {
    Ok(
        sqlx::query_as("select id, email, role, created_at from users where id = ?")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<User>> {
    Ok(
        sqlx::query_as("select id, email, role, created_at from users where email = ?")
            .bind(email.trim())
            .fetch_optional(db)
            .await?,
    )
}

/// The user if the password matches. Unknown emails still cost one argon2 verification, so
/// timing does not reveal which accounts exist.
pub async fn authenticate(db: &Db, email: &str, password: &str) -> Result<Option<User>> {
    let row: Option<(UserId, String)> =
        sqlx::query_as("select id, password_hash from users where email = ?")
            .bind(email.trim())
            .fetch_optional(db)
            .await?;
    let (id, hash) = match row {
        Some((id, hash)) => (Some(id), hash),
        None => (None, FALLBACK_HASH.clone()),
    };
    let ok = verify_password(password.to_owned(), hash).await?;
    match (ok, id) {
        (true, Some(id)) => get(db, &id).await,
        _ => Ok(None),
    }
}

/// Sets the password of the user with this email (the command line).
pub async fn set_password(db: &Db, email: &str, password: &str) -> Result<()> {
    let mut errors = FieldErrors::default();
    check_password(&mut errors, password);
    errors.into_result()?;
    let user = find_by_email(db, email)
        .await?
        .ok_or(Error::NotFound("user"))?;
    reset_password(db, &user.id, password).await
}

/// Sets a user's password (an admin, or the command line); every session of theirs ends.
pub async fn reset_password(db: &Db, id: &UserId, password: &str) -> Result<()> {
    let mut errors = FieldErrors::default();
    check_password(&mut errors, password);
    errors.into_result()?;
    let hash = hash_password(password.to_owned()).await?;
    let done = sqlx::query("update users set password_hash = ?, updated_at = ? where id = ?")
        .bind(hash)
        .bind(Timestamp::now())
        .bind(id)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound("user"));
    }
    Ok(())
}

/// A user changes their own password: `current` must be right (else an error on
/// `current_password`), the new one follows the rules.
pub async fn change_password(db: &Db, id: &UserId, current: &str, new: &str) -> Result<()> {
    let hash: String = sqlx::query_scalar("select password_hash from users where id = ?")
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(Error::NotFound("user"))?;
    if !verify_password(current.to_owned(), hash).await? {
        return Err(Error::invalid(
            "current_password",
            "That is not your current password.",
        ));
    }
    reset_password(db, id, new).await
}

/// What a session stores to prove it began under the user's current password.
pub async fn session_stamp(db: &Db, id: &UserId) -> Result<Option<String>> {
    let hash: Option<String> = sqlx::query_scalar("select password_hash from users where id = ?")
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(hash.as_deref().map(stamp_of))
}

/// The user of a session, if it still exists and the password has not changed since the
/// session's `stamp` was taken.
pub async fn for_session(db: &Db, id: &UserId, stamp: &str) -> Result<Option<User>> {
    let row: Option<(UserId, String, Role, Timestamp, String)> =
        sqlx::query_as("select id, email, role, created_at, password_hash from users where id = ?")
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(row
        .filter(|r| crate::crypto::ct_eq(&stamp_of(&r.4), stamp))
        .map(|(id, email, role, created_at, _)| User {
            id,
            email,
            role,
            created_at,
        }))
}

/// A digest of the stored hash (which has a fresh salt each time a password is set): never
/// the hash itself, which must not leave the database.
fn stamp_of(hash: &str) -> String {
    crate::crypto::sha256_hex(hash)
}

pub async fn set_role(db: &Db, id: &UserId, role: Role) -> Result<()> {
    if role == Role::Viewer {
        ensure_another_admin(db, id).await?;
    }
    sqlx::query("update users set role = ?, updated_at = ? where id = ?")
        .bind(role)
        .bind(Timestamp::now())
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete(db: &Db, id: &UserId) -> Result<()> {
    ensure_another_admin(db, id).await?;
    let done = sqlx::query("delete from users where id = ?")
        .bind(id)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound("user"));
    }
    Ok(())
}

/// Nobody may remove the last admin: that would lock everyone out of the dashboard.
async fn ensure_another_admin(db: &Db, id: &UserId) -> Result<()> {
    let others: i64 =
        sqlx::query_scalar("select count(*) from users where role = 'admin' and id != ?")
            .bind(id)
            .fetch_one(db)
            .await?;
    if others == 0 {
        return Err(Error::Conflict(
            "hookd needs at least one admin; make another user admin first".into(),
        ));
    }
    Ok(())
}

static FALLBACK_HASH: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"hookd fallback password, never matches")
        .expect("argon2 hashing with defaults works")
        .to_string()
});

/// argon2 takes tens of milliseconds: keep it off the async runtime.
async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await
    .map_err(anyhow::Error::from)?
    .map_err(Error::Internal)
}

async fn verify_password(password: String, hash: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        Ok::<_, anyhow::Error>(
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
        )
    })
    .await
    .map_err(anyhow::Error::from)?
    .map_err(Error::Internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_each_bad_field() {
        let e = validate("nope", "short");
        assert!(e.get("email").is_some());
        assert!(e.get("password").is_some());
        assert!(validate("a@example.com", "long enough").is_empty());
        assert!(
            validate("a b@example.com", "long enough")
                .get("email")
                .is_some()
        );
    }
}

/// The one-time first-run setup token: issued at start while no user exists, printed to the log,
/// and spent by the setup page that creates the first admin.
#[derive(Default)]
pub struct SetupToken(std::sync::Mutex<Option<String>>);

impl SetupToken {
    pub fn issue(&self) -> String {
        let token = crate::crypto::random_token("", 24);
        *self.0.lock().expect("setup token lock") = Some(token.clone());
        token
    }
    pub fn is_valid(&self, presented: &str) -> bool {
        self.0
            .lock()
            .expect("setup token lock")
            .as_deref()
            .is_some_and(|t| crate::crypto::ct_eq(t, presented))
    }
    pub fn spend(&self) {
        *self.0.lock().expect("setup token lock") = None;
    }
}

/// Login throttling, per account and per client IP: token buckets that refill over a minute.
pub struct LoginThrottle {
    per_account: governor::DefaultKeyedRateLimiter<String>,
    per_ip: governor::DefaultKeyedRateLimiter<std::net::IpAddr>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        use governor::{Quota, RateLimiter};
        use std::num::NonZeroU32;
        let quota = |n| Quota::per_minute(NonZeroU32::new(n).expect("non-zero quota"));
        Self {
            per_account: RateLimiter::keyed(quota(5)),
            per_ip: RateLimiter::keyed(quota(20)),
        }
    }
}

impl LoginThrottle {
    /// Spends one attempt for the account and one for the IP; `Err` when either is exhausted.
    pub fn check(&self, email: &str, ip: std::net::IpAddr) -> Result<()> {
        let account_ok = self
            .per_account
            .check_key(&email.trim().to_lowercase())
            .is_ok();
        let ip_ok = self.per_ip.check_key(&ip).is_ok();
        if account_ok && ip_ok {
            Ok(())
        } else {
            Err(Error::RateLimited(
                "Too many sign-in attempts. Wait a minute, then try again.".into(),
            ))
        }
    }
    pub fn forget_idle(&self) {
        self.per_account.retain_recent();
        self.per_ip.retain_recent();
    }
}
