//! The tenant page: its name (admins rename it here), counts, endpoints with health, recent
//! failures, API keys, and "Open portal as this tenant".

use std::collections::HashMap;
use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use crate::api_keys::{self, ApiKey};
use crate::deliveries::{self, Failure};
use crate::endpoints::{self, Endpoint};
use crate::error::{Error, FieldErrors};
use crate::http::PathId;
use crate::http::ui::{Admin, Chrome, CsrfForm, Ctx, FormErrors, HtmlResult, SignedIn, paths};
use crate::ids::EndpointId;
use crate::portal_links;
use crate::state::AppState;
use crate::stats::{self, WindowStats};
use crate::tenants::{self, Holdings, Tenant, TenantUid, Visibility};
use crate::timestamp::Timestamp;

/// Endpoints shown with their health; beyond that the page links to the filtered list.
const MAX_ENDPOINTS: u32 = 50;
const RECENT_FAILURES: u32 = 10;
const DAY: Duration = Duration::from_secs(24 * 3600);
/// A portal link from the dashboard is followed at once, by the operator's own browser.
const PORTAL_LINK_TTL: Duration = Duration::from_secs(60);

#[derive(Template, WebTemplate)]
#[template(path = "tenants/show.html")]
pub(super) struct TenantPage {
    chrome: Chrome,
    t: Tenant,
    holdings: Holdings,
    endpoints: Vec<(Endpoint, WindowStats)>,
    more_endpoints: bool,
    /// With the endpoint's name.
    failures: Vec<(Failure, String)>,
    keys: Vec<ApiKey>,
    /// The rename form as typed.
    name: String,
    errors: FormErrors,
}

impl TenantPage {
    fn rate(&self, w: &WindowStats) -> String {
        w.success_rate()
            .map(|r| format!("{r:.1}%"))
            .unwrap_or_else(|| "–".to_owned())
    }
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    uid: &TenantUid,
    name: Option<String>,
    errors: FieldErrors,
) -> Result<TenantPage, Error> {
    let db = &state.db;
    let t = tenants::get(db, uid).await?;
    let who = Visibility::Tenant(uid.clone());
    let mut listed = endpoints::list(db, &who, None, MAX_ENDPOINTS + 1).await?;
    let more_endpoints = listed.len() > MAX_ENDPOINTS as usize;
    listed.truncate(MAX_ENDPOINTS as usize);
    let now = Timestamp::now();
    let mut with_stats = Vec::with_capacity(listed.len());
    for e in listed {
        let day = stats::window(db, &e.id, now, DAY).await?;
        with_stats.push((e, day));
    }
    let names: HashMap<EndpointId, String> = with_stats
        .iter()
        .map(|(e, _)| (e.id.clone(), e.display_name().to_owned()))
        .collect();
    let failures = deliveries::recent_tenant_failures(db, uid, RECENT_FAILURES)
        .await?
        .into_iter()
        .map(|f| {
            let name = names
                .get(&f.endpoint_id)
                .cloned()
                .unwrap_or_else(|| f.endpoint_id.to_string());
            (f, name)
        })
        .collect();
    Ok(TenantPage {
        chrome: ctx.chrome("tenants", t.display_name()).await,
        holdings: tenants::holdings(db, uid).await?,
        endpoints: with_stats,
        more_endpoints,
        failures,
        keys: api_keys::list_of_tenant(db, uid).await?,
        name: name.unwrap_or_else(|| t.name.clone()),
        errors,
        t,
    })
}

pub(super) async fn show_tenant(
    State(state): State<AppState>,
    SignedIn(ctx, _): SignedIn,
    PathId(uid): PathId<TenantUid>,
) -> HtmlResult<TenantPage> {
    Ok(page(&state, &ctx, &uid, None, FieldErrors::default()).await?)
}

#[derive(Deserialize)]
pub(super) struct RenameForm {
    #[serde(default)]
    name: String,
}

pub(super) async fn rename_tenant(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    PathId(uid): PathId<TenantUid>,
    CsrfForm(form): CsrfForm<RenameForm>,
) -> HtmlResult {
    match tenants::update(&state.db, &uid, Some(&form.name)).await {
        Ok(t) => {
            tracing::info!(user = %user.id, tenant = %uid, "tenant renamed");
            ctx.flash(
                "success",
                format!("The tenant is now “{}”.", t.display_name()),
            )
            .await;
            Ok(ctx.redirect(&paths::tenant(&uid)))
        }
        Err(Error::Invalid(errors)) => {
            let page = page(&state, &ctx, &uid, Some(form.name), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct PortalForm {
    /// Present: a link that shows the portal without any control that changes something.
    read_only: Option<String>,
}

/// Mints a one-time link that expires within a minute and sends this browser through it.
pub(super) async fn open_portal(
    State(state): State<AppState>,
    Admin(_, user): Admin,
    PathId(uid): PathId<TenantUid>,
    CsrfForm(form): CsrfForm<PortalForm>,
) -> HtmlResult {
    tenants::get(&state.db, &uid).await?;
    let read_only = form.read_only.is_some_and(|v| v != "false");
    let link = portal_links::create(&state.db, &uid, read_only, PORTAL_LINK_TTL).await?;
    tracing::info!(user = %user.id, tenant = %uid, read_only, "portal opened by an operator");
    let to = format!(
        "{}?{}",
        portal_links::ENTER_PATH,
        paths::query(&[("token", link.token)])
    );
    Ok(Redirect::to(&to).into_response())
}
