//! The endpoint screens: the list, the create/edit form (`edit`), the endpoint page (`show`)
//! with its history, panels and test send, and deletion behind a confirmation page.
//!
//! Uses run one way: this router → `edit` → `show` → `history`, `panels`, `snippets`,
//! `test_send`, `view` (leaves, which never import their parents).

mod edit;
mod form;
mod history;
mod history_filter;
mod panels;
mod show;
mod snippets;
mod test_send;
pub(super) mod view;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::tenants::column::TenantColumn;
use super::{Changer, Chrome, CsrfForm, FormErrors, HtmlResult, NoFields, Viewer, paths};
use crate::endpoints::{self, Endpoint};
use crate::error::{Error, FieldErrors};
use crate::http::PathId;
use crate::ids::EndpointId;
use crate::state::AppState;

const PAGE_SIZE: u32 = 25;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            paths::ENDPOINTS,
            get(list_endpoints).post(edit::create_endpoint),
        )
        .route(paths::NEW_ENDPOINT, get(edit::new_endpoint))
        .route(
            "/webhooks/{id}",
            get(show::show_endpoint).post(edit::update_endpoint),
        )
        .route("/webhooks/{id}/edit", get(edit::edit_endpoint))
        .route("/webhooks/{id}/enabled", post(show::set_enabled))
        .route(
            "/webhooks/{id}/deliveries",
            get(history::list_endpoint_deliveries),
        )
        .route("/webhooks/{id}/test", post(show::send_test_event))
        .route("/webhooks/{id}/test-example", get(test_send::test_example))
        .route(
            "/webhooks/{id}/rotate-secret",
            get(show::rotate_secret_page).post(show::rotate_secret),
        )
        .route(
            "/webhooks/{id}/delete",
            get(confirm_delete).post(delete_endpoint),
        )
}

#[derive(Template, WebTemplate)]
#[template(path = "endpoints/list.html")]
struct ListPage {
    chrome: Chrome,
    endpoints: Vec<Endpoint>,
    /// The "Older" link.
    older: Option<String>,
    tenants: TenantColumn,
    /// `?tenant=` as typed.
    tenant: String,
    errors: FormErrors,
}

#[derive(Deserialize)]
struct ListQuery {
    before: Option<String>,
    #[serde(default)]
    tenant: String,
}

/// `?tenant=uid` narrows the list to one tenant's endpoints; an unknown uid is an error on
/// that filter (422).
async fn list_endpoints(
    State(state): State<AppState>,
    Viewer { ctx, who, .. }: Viewer,
    Query(q): Query<ListQuery>,
) -> HtmlResult {
    let tenant = q.tenant.trim().to_owned();
    // On the portal, `who` is already the session's tenant (another uid is an error).
    let who = who.narrowed(&state.db, Some(tenant.as_str())).await;
    let (who, errors) = match who {
        Ok(who) => (Some(who), FieldErrors::default()),
        Err(Error::Invalid(errors)) => (None, errors),
        Err(e) => return Err(e.into()),
    };
    let before = q.before.as_deref().and_then(EndpointId::parse);
    let mut endpoints = match &who {
        Some(who) => endpoints::list(&state.db, who, before.as_ref(), PAGE_SIZE + 1).await?,
        None => vec![],
    };
    let older = if endpoints.len() > PAGE_SIZE as usize {
        endpoints.truncate(PAGE_SIZE as usize);
        endpoints.last().map(|e| {
            let mut pairs = vec![("before", e.id.to_string())];
            if !tenant.is_empty() {
                pairs.insert(0, ("tenant", tenant.clone()));
            }
            paths::with_query(&ctx.at(paths::ENDPOINTS), &paths::query(&pairs))
        })
    } else {
        None
    };
    // The portal shows one tenant's rows: no tenant column, no filter.
    let tenants = match ctx.portal {
        Some(_) => TenantColumn::default(),
        None => TenantColumn::load(&state.db, endpoints.iter().map(|e| e.tenant.as_ref())).await?,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ListPage {
        chrome: ctx.chrome("webhooks", "Endpoints").await,
        endpoints,
        older,
        tenants,
        tenant,
        errors,
    };
    Ok((status, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "endpoints/delete.html")]
struct DeletePage {
    chrome: Chrome,
    e: Endpoint,
}

async fn confirm_delete(
    State(state): State<AppState>,
    Changer(Viewer { ctx, who, .. }): Changer,
    PathId(id): PathId<EndpointId>,
) -> HtmlResult<DeletePage> {
    let id = who.check(&state.db, id).await?;
    let e = endpoints::get(&state.db, &id).await?;
    Ok(DeletePage {
        chrome: ctx.chrome("webhooks", "Delete endpoint").await,
        e,
    })
}

async fn delete_endpoint(
    State(state): State<AppState>,
    Changer(Viewer {
        ctx, who, actor, ..
    }): Changer,
    PathId(id): PathId<EndpointId>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> HtmlResult {
    let id = who.check(&state.db, id).await?;
    let e = endpoints::get(&state.db, &id).await?;
    endpoints::delete(&state.db, &id).await?;
    tracing::info!(by = %actor, endpoint = %id, "endpoint deleted");
    ctx.flash(
        "success",
        format!("The endpoint “{}” was deleted.", e.display_name()),
    )
    .await;
    Ok(ctx.redirect(&ctx.at(paths::ENDPOINTS)))
}
