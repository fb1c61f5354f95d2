//! The tenant column (and filter) that lists of endpoints, events and keys gain once the
//! install has tenants: a single-team install never sees them.

use std::collections::HashMap;

use crate::db::Db;
use crate::error::Result;
use crate::tenants::{self, Tenant, TenantUid};

/// Uids offered in a tenant field's suggestions; more can still be typed.
const SUGGESTED: u32 = 200;

#[derive(Default)]
pub struct TenantColumn {
    /// The install has at least one tenant.
    shown: bool,
    names: HashMap<TenantUid, Tenant>,
}

impl TenantColumn {
    /// The column for rows owned by `owners` (`None`: the team's).
    pub async fn load<'a>(
        db: &Db,
        owners: impl IntoIterator<Item = Option<&'a TenantUid>>,
    ) -> Result<TenantColumn> {
        if !tenants::any(db).await? {
            return Ok(TenantColumn::default());
        }
        let mut uids: Vec<&TenantUid> = owners.into_iter().flatten().collect();
        uids.sort();
        uids.dedup();
        Ok(TenantColumn {
            shown: true,
            names: tenants::by_uids(db, &uids).await?,
        })
    }

    pub fn shown(&self) -> bool {
        self.shown
    }

    /// The tenant's name, or its uid.
    pub fn label<'a>(&'a self, uid: &'a TenantUid) -> &'a str {
        self.names
            .get(uid)
            .map(Tenant::display_name)
            .unwrap_or(uid.as_str())
    }
}

/// Uids for a tenant field's `<datalist>` (first ones by uid).
pub async fn suggestions(db: &Db) -> Result<Vec<TenantUid>> {
    Ok(tenants::list(db, None, None, SUGGESTED)
        .await?
        .into_iter()
        .map(|t| t.uid)
        .collect())
}
