//! Endpoints counted per tenant, for the Tenants page: one grouped query for a whole page of
//! tenants instead of a list per tenant.

use std::collections::HashMap;

use crate::db::Db;
use crate::error::Result;
use crate::tenants::TenantUid;

/// One tenant's endpoints: how many, and how many are failing (their latest delivery attempt
/// failed: `Endpoint::health`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TenantEndpoints {
    pub endpoints: i64,
    pub failing: i64,
}

/// Counts for each of `uids` that has endpoints; the others have none.
pub async fn count_by_tenant(
    db: &Db,
    uids: &[&TenantUid],
) -> Result<HashMap<TenantUid, TenantEndpoints>> {
    if uids.is_empty() {
        return Ok(HashMap::new());
    }
    let json = serde_json::to_string(uids).map_err(anyhow::Error::from)?;
    // The same rule as `Endpoint::health`: failing when the newest outcome is a failure.
    let rows: Vec<(TenantUid, i64, i64)> = sqlx::query_as(
        "select tenant, count(*),
                coalesce(sum(last_failure_at is not null
                             and (last_success_at is null or last_failure_at > last_success_at)), 0)
         from endpoints where tenant in (select value from json_each(?)) group by tenant",
    )
    .bind(json)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(uid, endpoints, failing)| (uid, TenantEndpoints { endpoints, failing }))
        .collect())
}
