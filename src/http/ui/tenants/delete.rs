//! Deleting a tenant: the API deletes at once, the dashboard first says exactly what goes.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use crate::http::PathId;
use crate::http::ui::{Admin, Chrome, CsrfForm, HtmlResult, NoFields, paths};
use crate::state::AppState;
use crate::tenants::{self, Holdings, Tenant, TenantUid};

#[derive(Template, WebTemplate)]
#[template(path = "tenants/delete.html")]
pub(super) struct DeletePage {
    chrome: Chrome,
    t: Tenant,
    holdings: Holdings,
}

pub(super) async fn confirm_delete(
    State(state): State<AppState>,
    Admin(ctx, _): Admin,
    PathId(uid): PathId<TenantUid>,
) -> HtmlResult<DeletePage> {
    let t = tenants::get(&state.db, &uid).await?;
    Ok(DeletePage {
        chrome: ctx.chrome("tenants", "Delete tenant").await,
        holdings: tenants::holdings(&state.db, &uid).await?,
        t,
    })
}

pub(super) async fn delete_tenant(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    PathId(uid): PathId<TenantUid>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> HtmlResult {
    let t = tenants::get(&state.db, &uid).await?;
    let gone = tenants::delete(&state.db, &uid).await?;
    for id in &gone {
        state.delivery.endpoint_changed(id);
    }
    // Its keys are gone: no cached authentication may outlive them.
    state.api_keys.clear();
    tracing::info!(user = %user.id, tenant = %uid, endpoints = gone.len(), "tenant deleted");
    ctx.flash(
        "success",
        format!(
            "The tenant “{}” was deleted with its endpoints, events and delivery history.",
            t.display_name()
        ),
    )
    .await;
    Ok(ctx.redirect(paths::TENANTS))
}
