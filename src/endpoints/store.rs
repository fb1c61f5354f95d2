//! SQL on `endpoints`. Secrets are written only encrypted; `signing_secrets` is the one way back.

use super::{Endpoint, EndpointSpec, MAX_LIVE_SECRETS, ROTATION_OVERLAP};
use crate::crypto::{Keyring, Secret};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::ids::EndpointId;
use crate::tenants::{Owned, TenantUid, Visibility};
use crate::timestamp::Timestamp;

const COLUMNS: &str = "id, tenant, name, url, description, events, channels, enabled, headers, retry_count, timeout_seconds, \
     tls_verify, secret_hint, created_at, updated_at, last_triggered_at, last_success_at, last_failure_at, \
     failure_count, disabled_reason";

#[derive(sqlx::FromRow)]
struct Row {
    id: EndpointId,
    tenant: Option<TenantUid>,
    name: String,
    url: String,
    description: String,
    #[sqlx(json)]
    events: Vec<String>,
    #[sqlx(json(nullable))]
    channels: Option<Vec<String>>,
    enabled: bool,
    #[sqlx(json)]
    headers: std::collections::BTreeMap<String, String>,
    retry_count: i64,
    timeout_seconds: i64,
    tls_verify: bool,
    secret_hint: String,
    created_at: Timestamp,
    updated_at: Timestamp,
    last_triggered_at: Option<Timestamp>,
    last_success_at: Option<Timestamp>,
    last_failure_at: Option<Timestamp>,
    failure_count: i64,
    disabled_reason: Option<String>,
}

impl From<Row> for Endpoint {
    fn from(r: Row) -> Self {
        Endpoint {
            id: r.id,
            tenant: r.tenant,
            spec: EndpointSpec {
                url: r.url,
                events: r.events,
                name: r.name,
                description: r.description,
                enabled: r.enabled,
                headers: r.headers,
                retry_count: r.retry_count,
                timeout_seconds: r.timeout_seconds,
                channels: r.channels,
                tls_verify: r.tls_verify,
            },
            secret_hint: r.secret_hint,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_triggered_at: r.last_triggered_at,
            last_success_at: r.last_success_at,
            last_failure_at: r.last_failure_at,
            failure_count: r.failure_count,
            disabled_reason: r.disabled_reason,
        }
    }
}

fn hint(secret: &Secret) -> String {
    let s = secret.expose();
    s[s.len().saturating_sub(4)..].to_owned()
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).expect("endpoint fields serialise")
}

/// Stores a new endpoint; returns it with its secret (generated unless supplied), the only time
/// the secret leaves hookd in full.
pub async fn create(
    db: &Db,
    keyring: &Keyring,
    tenant: Option<&TenantUid>,
    spec: EndpointSpec,
    secret: Option<Secret>,
) -> Result<(Endpoint, Secret)> {
    let secret = secret.unwrap_or_else(Secret::generate);
    let now = Timestamp::now();
    let id = EndpointId::generate();
    let row: Row = sqlx::query_as(&format!(
        "insert into endpoints (id, tenant, name, url, description, events, channels, enabled, headers, retry_count,
             timeout_seconds, tls_verify, secret_enc, secret_hint, created_at, updated_at, disabled_reason)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning {COLUMNS}"
    ))
    .bind(&id)
    .bind(tenant)
    .bind(&spec.name)
    .bind(&spec.url)
    .bind(&spec.description)
    .bind(json(&spec.events))
    .bind(spec.channels.as_ref().map(json))
    .bind(spec.enabled)
    .bind(json(&spec.headers))
    .bind(spec.retry_count)
    .bind(spec.timeout_seconds)
    .bind(spec.tls_verify)
    .bind(keyring.encrypt(secret.expose().as_bytes()))
    .bind(hint(&secret))
    .bind(now)
    .bind(now)
    .bind((!spec.enabled).then_some("manual"))
    .fetch_one(db)
    .await?;
    Ok((row.into(), secret))
}

impl Owned for EndpointId {
    async fn owner(&self, db: &Db) -> Result<Option<Option<TenantUid>>> {
        Ok(
            sqlx::query_scalar("select tenant from endpoints where id = ?")
                .bind(self)
                .fetch_optional(db)
                .await?,
        )
    }
}

pub async fn get(db: &Db, id: &EndpointId) -> Result<Endpoint> {
    let row: Option<Row> = sqlx::query_as(&format!("select {COLUMNS} from endpoints where id = ?"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.map(Endpoint::from).ok_or(Error::NotFound("endpoint"))
}

/// Newest first, those `who` may see; `before` is the last id of the previous page.
pub async fn list(
    db: &Db,
    who: &Visibility,
    before: Option<&EndpointId>,
    limit: u32,
) -> Result<Vec<Endpoint>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from endpoints where (?1 is null or tenant = ?1) and (?2 is null or id < ?2)
         order by id desc limit ?3"
    ))
    .bind(who.tenant())
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Endpoint::from).collect())
}

/// Replaces the configuration. Enabling resets the failure streak and the disabled reason;
/// disabling by configuration records `manual`.
pub async fn update(db: &Db, id: &EndpointId, spec: EndpointSpec) -> Result<Endpoint> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "update endpoints set name = ?, url = ?, description = ?, events = ?, channels = ?, headers = ?,
             retry_count = ?, timeout_seconds = ?, tls_verify = ?, updated_at = ?,
             failure_count = case when ? and not enabled then 0 else failure_count end,
             failed_deliveries_in_row = case when ? and not enabled then 0 else failed_deliveries_in_row end,
             disabled_reason = case when ? then null when enabled then 'manual' else disabled_reason end,
             enabled = ?
         where id = ? returning {COLUMNS}"
    ))
    .bind(&spec.name)
    .bind(&spec.url)
    .bind(&spec.description)
    .bind(json(&spec.events))
    .bind(spec.channels.as_ref().map(json))
    .bind(json(&spec.headers))
    .bind(spec.retry_count)
    .bind(spec.timeout_seconds)
    .bind(spec.tls_verify)
    .bind(Timestamp::now())
    .bind(spec.enabled)
    .bind(spec.enabled)
    .bind(spec.enabled)
    .bind(spec.enabled)
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.map(Endpoint::from).ok_or(Error::NotFound("endpoint"))
}

pub async fn set_enabled(db: &Db, id: &EndpointId, enabled: bool) -> Result<Endpoint> {
    let mut spec = get(db, id).await?.spec;
    spec.enabled = enabled;
    update(db, id, spec).await
}

pub async fn delete(db: &Db, id: &EndpointId) -> Result<()> {
    let done = sqlx::query("delete from endpoints where id = ?")
        .bind(id)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound("endpoint"));
    }
    Ok(())
}

/// A new secret; the current one keeps signing alongside it for `ROTATION_OVERLAP`, as do the
/// ones rotated out before it whose overlap lasts. Refused (`Conflict`) when that would make
/// more than `MAX_LIVE_SECRETS` live secrets.
pub async fn rotate_secret(
    db: &Db,
    keyring: &Keyring,
    id: &EndpointId,
    supplied: Option<Secret>,
) -> Result<(Endpoint, Secret)> {
    let secret = supplied.unwrap_or_else(Secret::generate);
    let now = Timestamp::now();
    // One writer at a time: two rotations at once must not both pass the cap.
    let mut tx = db.begin_with("begin immediate").await?;
    let current: Vec<u8> = sqlx::query_scalar("select secret_enc from endpoints where id = ?")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound("endpoint"))?;
    let (live_previous, next_expiry): (i64, Option<Timestamp>) = sqlx::query_as(
        "select count(*), min(expires_at) from endpoint_secrets where endpoint_id = ? and expires_at > ?",
    )
    .bind(id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    // A current secret the key cannot open (key file lost) is not kept: it could never sign,
    // and keeping it would block signing for the whole overlap.
    let keep_current = keyring.decrypt(&current).is_ok();
    let live_after = 1 + live_previous + i64::from(keep_current);
    if live_after > MAX_LIVE_SECRETS {
        let free_at = next_expiry
            .map(|t| format!(" The oldest stops signing at {}.", t.rfc3339()))
            .unwrap_or_default();
        return Err(Error::Conflict(format!(
            "This endpoint already has {} live signing secrets (the current one and {} rotated out \
             within the last 24 hours, which keep signing so receivers can switch); at most {} are \
             allowed. Wait until the oldest expires before rotating again.{free_at}",
            1 + live_previous,
            live_previous,
            MAX_LIVE_SECRETS
        )));
    }
    if keep_current {
        sqlx::query(
            "insert into endpoint_secrets (endpoint_id, secret_enc, expires_at) values (?, ?, ?)",
        )
        .bind(id)
        .bind(&current)
        .bind(now.plus(ROTATION_OVERLAP))
        .execute(&mut *tx)
        .await?;
    }
    let row: Row = sqlx::query_as(&format!(
        "update endpoints set secret_enc = ?, secret_hint = ?, updated_at = ? where id = ? returning {COLUMNS}"
    ))
    .bind(keyring.encrypt(secret.expose().as_bytes()))
    .bind(hint(&secret))
    .bind(now)
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((Endpoint::from(row), secret))
}

/// The secrets that sign a delivery now: the current one, then those rotated out whose overlap
/// lasts, newest first. Fails (never signs with less) when the encryption key cannot open them.
pub async fn signing_secrets(
    db: &Db,
    keyring: &Keyring,
    id: &EndpointId,
    now: Timestamp,
) -> Result<Vec<Secret>> {
    let mut tx = db.begin().await?;
    let current: Vec<u8> = sqlx::query_scalar("select secret_enc from endpoints where id = ?")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound("endpoint"))?;
    let previous: Vec<Vec<u8>> = sqlx::query_scalar(
        "select secret_enc from endpoint_secrets where endpoint_id = ? and expires_at > ?
         order by expires_at desc",
    )
    .bind(id)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let open = |sealed: &[u8]| -> Result<Secret> {
        let plain = keyring.decrypt(sealed)?;
        let text =
            String::from_utf8(plain).map_err(|_| anyhow::anyhow!("stored secret is not UTF-8"))?;
        Secret::parse(&text)
            .map_err(|m| Error::Internal(anyhow::anyhow!("stored secret is damaged: {m}")))
    };
    std::iter::once(&current)
        .chain(&previous)
        .map(|sealed| open(sealed))
        .collect()
}

/// These endpoints (those that still exist), inside an open transaction.
pub async fn get_in(
    conn: &mut sqlx::SqliteConnection,
    ids: &[EndpointId],
) -> Result<Vec<Endpoint>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from endpoints where id in (select value from json_each(?)) order by id"
    ))
    .bind(json(&ids))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Endpoint::from).collect())
}

/// Every enabled endpoint (the fan-out candidates), read inside the ingest transaction.
pub async fn enabled(conn: &mut sqlx::SqliteConnection) -> Result<Vec<Endpoint>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from endpoints where enabled = 1"
    ))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Endpoint::from).collect())
}

/// Forgets rotated-out secrets whose overlap has ended.
pub async fn drop_expired_previous_secrets(db: &Db, now: Timestamp) -> Result<u64> {
    Ok(
        sqlx::query("delete from endpoint_secrets where expires_at <= ?")
            .bind(now)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// How many endpoints have a current secret the key cannot open (checked at start, so a lost
/// or replaced key file is reported at once, not at the first delivery).
pub async fn count_unreadable_secrets(db: &Db, keyring: &Keyring) -> Result<usize> {
    let sealed: Vec<Vec<u8>> = sqlx::query_scalar("select secret_enc from endpoints")
        .fetch_all(db)
        .await?;
    Ok(sealed
        .iter()
        .filter(|s| keyring.decrypt(s).is_err())
        .count())
}

/// Records that deliveries to these endpoints were just created (once per ingest batch).
pub async fn mark_triggered(
    conn: &mut sqlx::SqliteConnection,
    ids: &[EndpointId],
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "update endpoints set last_triggered_at = ? where id in (select value from json_each(?))",
    )
    .bind(now)
    .bind(serde_json::to_string(ids).unwrap_or_default())
    .execute(conn)
    .await?;
    Ok(())
}

/// An endpoint is disabled once every delivery to it has failed for this many days…
pub const AUTO_DISABLE_DAYS: u64 = 5;
pub const AUTO_DISABLE_AFTER: std::time::Duration =
    std::time::Duration::from_secs(AUTO_DISABLE_DAYS * 24 * 3600);
/// …and at least this many in a row failed.
pub const AUTO_DISABLE_MIN_FAILURES: i64 = 10;

/// What one group commit's delivery outcomes mean for an endpoint's health, folded in order.
#[derive(Debug, Default, Clone)]
pub struct HealthTally {
    succeeded: bool,
    /// Failed attempts since the last success in this batch (or in all of it): `failure_count`.
    attempts_failed_since_success: i64,
    /// Deliveries out of retries since the last success: the auto-disable streak.
    deliveries_failed_since_success: i64,
    /// Any attempt of the batch failed, before or after a success.
    attempt_failed: bool,
}

impl HealthTally {
    /// A delivery succeeded: both failure streaks end.
    pub fn delivery_succeeded(&mut self) {
        self.succeeded = true;
        self.attempts_failed_since_success = 0;
        self.deliveries_failed_since_success = 0;
    }
    /// An attempt failed and will be retried.
    pub fn attempt_failed(&mut self) {
        self.attempt_failed = true;
        self.attempts_failed_since_success += 1;
    }
    /// A delivery ran out of retries.
    pub fn delivery_failed(&mut self) {
        self.attempt_failed = true;
        self.attempts_failed_since_success += 1;
        self.deliveries_failed_since_success += 1;
    }
}

/// Moves each endpoint's success/failure bookkeeping on (one statement per endpoint) and
/// auto-disables those whose deliveries have all failed for `AUTO_DISABLE_AFTER`. Returns the
/// endpoints this call disabled.
pub async fn record_health(
    conn: &mut sqlx::SqliteConnection,
    tallies: Vec<(EndpointId, HealthTally)>,
    now: Timestamp,
) -> Result<Vec<EndpointId>> {
    let mut disabled = Vec::new();
    for (id, t) in tallies {
        if t.succeeded {
            sqlx::query(
                "update endpoints set last_success_at = ?1, failure_count = ?2, failed_deliveries_in_row = ?3,
                     failing_since = case when ?2 > 0 then ?1 end,
                     last_failure_at = case when ?5 then ?1 else last_failure_at end
                 where id = ?4",
            )
            .bind(now)
            .bind(t.attempts_failed_since_success)
            .bind(t.deliveries_failed_since_success)
            .bind(&id)
            .bind(t.attempt_failed)
            .execute(&mut *conn)
            .await?;
            continue;
        }
        // RETURNING sees only the new row: whether *this* update turned the endpoint off needs
        // the state before it (a delivery still in flight when the endpoint was disabled fails
        // later, and must not report the same disable again). Read only when a delivery ran
        // out of retries, the only case that can disable.
        let was_enabled: bool = t.deliveries_failed_since_success > 0
            && sqlx::query_scalar("select enabled from endpoints where id = ?")
                .bind(&id)
                .fetch_optional(&mut *conn)
                .await?
                .unwrap_or(false);
        let off: Option<i64> = sqlx::query_scalar(
            "update endpoints set last_failure_at = ?1, failure_count = failure_count + ?7,
                 failed_deliveries_in_row = failed_deliveries_in_row + ?5,
                 failing_since = case when ?7 > 0 then coalesce(failing_since, ?1) else failing_since end,
                 enabled = case when enabled and ?5 > 0 and failed_deliveries_in_row + ?5 >= ?2 and coalesce(failing_since, ?1) <= ?3
                                then 0 else enabled end,
                 disabled_reason = case when enabled and ?5 > 0 and failed_deliveries_in_row + ?5 >= ?2 and coalesce(failing_since, ?1) <= ?3
                                then 'auto: every delivery failed for ' || ?6 || ' days (' || (failed_deliveries_in_row + ?5) || ' in a row)'
                                else disabled_reason end
             where id = ?4 returning case when enabled = 0 and disabled_reason like 'auto:%' then 1 else 0 end",
        )
        .bind(now)
        .bind(AUTO_DISABLE_MIN_FAILURES)
        .bind(now.minus(AUTO_DISABLE_AFTER))
        .bind(&id)
        .bind(t.deliveries_failed_since_success)
        .bind(AUTO_DISABLE_DAYS as i64)
        .bind(t.attempts_failed_since_success)
        .fetch_optional(&mut *conn)
        .await?;
        if off == Some(1) && was_enabled {
            disabled.push(id);
        }
    }
    Ok(disabled)
}
