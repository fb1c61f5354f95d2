//! API keys page: list, create (revealed once in the response, never stored in plain), revoke.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Admin, Chrome, CsrfForm, FormErrors, HtmlResult, NoFields, SignedIn, paths};
use crate::api_keys::{self, ApiKey, Scope};
use crate::error::Error;
use crate::http::PathId;
use crate::http::ui::tenants::column::{TenantColumn, suggestions};
use crate::ids::ApiKeyId;
use crate::state::AppState;
use crate::tenants::{self, TenantUid};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::API_KEYS, get(list_api_keys).post(create_api_key))
        .route("/api-keys/{id}/revoke", post(revoke_api_key))
}

#[derive(Template, WebTemplate)]
#[template(path = "api_keys.html")]
struct ApiKeysPage {
    chrome: Chrome,
    keys: Vec<ApiKey>,
    scopes: [Scope; 4],
    revealed: Option<Revealed>,
    name: String,
    errors: FormErrors,
    /// The tenant field as typed (or `?tenant=` from a tenant page).
    tenant: String,
    tenants: TenantColumn,
    tenant_uids: Vec<TenantUid>,
}

impl ApiKeysPage {
    /// Offer the tenant field: the install has tenants, or one was typed.
    fn tenant_field(&self) -> bool {
        self.tenants.shown() || !self.tenant.is_empty()
    }
    /// What a scope lets a key do, beside its checkbox.
    fn allows(&self, scope: &Scope) -> &'static str {
        match scope {
            Scope::EventsWrite => "send events (POST /api/v1/events)",
            Scope::WebhooksRead => "read endpoints, event types, events and deliveries",
            Scope::WebhooksWrite => {
                "create, change and delete endpoints and event types; rotate secrets, send \
                 test events, retry deliveries"
            }
            Scope::All => "everything above",
        }
    }
}

struct Revealed {
    name: String,
    key: String,
}

/// What the create form shows again: the name and tenant typed, and their errors.
#[derive(Default)]
struct Typed {
    name: String,
    tenant: String,
    errors: FormErrors,
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    revealed: Option<Revealed>,
    typed: Typed,
) -> HtmlResult<ApiKeysPage> {
    let keys = api_keys::list(&state.db).await?;
    let tenants = TenantColumn::load(&state.db, keys.iter().map(|k| k.tenant.as_ref())).await?;
    let tenant_uids = if tenants.shown() {
        suggestions(&state.db).await?
    } else {
        vec![]
    };
    Ok(ApiKeysPage {
        chrome,
        keys,
        scopes: Scope::ALL,
        revealed,
        name: typed.name,
        errors: typed.errors,
        tenant: typed.tenant,
        tenants,
        tenant_uids,
    })
}

#[derive(Deserialize)]
struct PageQuery {
    #[serde(default)]
    tenant: String,
}

async fn list_api_keys(
    State(state): State<AppState>,
    SignedIn(ctx, _): SignedIn,
    Query(q): Query<PageQuery>,
) -> HtmlResult<ApiKeysPage> {
    let typed = Typed {
        tenant: q.tenant.trim().to_owned(),
        ..Typed::default()
    };
    page(
        &state,
        ctx.chrome("api-keys", "API keys").await,
        None,
        typed,
    )
    .await
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scopes: Vec<String>,
    /// A tenant's uid: the key sees only that tenant. Empty: the team's key.
    #[serde(default)]
    tenant: String,
}

/// The tenant a new key is bound to, if any: it must exist.
async fn bound_tenant(state: &AppState, typed: &str) -> crate::error::Result<Option<TenantUid>> {
    match typed.trim() {
        "" => Ok(None),
        uid => tenants::existing(&state.db, "tenant", uid).await.map(Some),
    }
}

/// Answers with the page itself (not a redirect): the key exists only in this response.
async fn create_api_key(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    CsrfForm(form): CsrfForm<CreateForm>,
) -> HtmlResult {
    let created = match (
        api_keys::parse_scopes(&form.scopes),
        bound_tenant(&state, &form.tenant).await,
    ) {
        (Ok(scopes), Ok(tenant)) => api_keys::create(&state.db, &form.name, scopes, tenant).await,
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
        (Err(Error::Invalid(mut a)), Err(Error::Invalid(b))) => {
            for (k, v) in b.0 {
                a.add(k, v);
            }
            Err(Error::Invalid(a))
        }
        (Err(e), Err(_)) => Err(e),
    };
    let chrome = ctx.chrome("api-keys", "API keys").await;
    match created {
        Ok((key, plaintext)) => {
            tracing::info!(user = %user.id, key = %key.id, tenant = ?key.tenant, "API key created");
            let revealed = Some(Revealed {
                name: key.name,
                key: plaintext,
            });
            Ok(page(&state, chrome, revealed, Typed::default())
                .await?
                .into_response())
        }
        Err(Error::Invalid(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(
                &state,
                chrome,
                None,
                Typed {
                    name: form.name,
                    tenant: form.tenant,
                    errors,
                },
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn revoke_api_key(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    PathId(id): PathId<ApiKeyId>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> HtmlResult {
    api_keys::revoke(&state.db, &id).await?;
    state.api_keys.clear();
    tracing::info!(user = %user.id, key = %id, "API key revoked");
    ctx.flash(
        "success",
        "The API key was revoked; requests using it now get 401.",
    )
    .await;
    Ok(ctx.redirect(paths::API_KEYS))
}
