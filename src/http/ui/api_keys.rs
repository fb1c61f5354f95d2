//! API keys page: list, create (revealed once in the response, never stored in plain), revoke.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Admin, Chrome, CsrfForm, FormErrors, HtmlResult, NoFields, SignedIn, paths};
use crate::api_keys::{self, ApiKey, Scope};
use crate::error::{Error, FieldErrors};
use crate::http::PathId;
use crate::ids::ApiKeyId;
use crate::state::AppState;

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
}

impl ApiKeysPage {
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

async fn page(
    state: &AppState,
    chrome: Chrome,
    revealed: Option<Revealed>,
    name: String,
    errors: FieldErrors,
) -> HtmlResult<ApiKeysPage> {
    Ok(ApiKeysPage {
        chrome,
        keys: api_keys::list(&state.db).await?,
        scopes: Scope::ALL,
        revealed,
        name,
        errors,
    })
}

async fn list_api_keys(
    State(state): State<AppState>,
    SignedIn(ctx, _): SignedIn,
) -> HtmlResult<ApiKeysPage> {
    page(
        &state,
        ctx.chrome("api-keys", "API keys").await,
        None,
        String::new(),
        FieldErrors::default(),
    )
    .await
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scopes: Vec<String>,
}

/// Answers with the page itself (not a redirect): the key exists only in this response.
async fn create_api_key(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    CsrfForm(form): CsrfForm<CreateForm>,
) -> HtmlResult {
    let created = match api_keys::parse_scopes(&form.scopes) {
        Ok(scopes) => api_keys::create(&state.db, &form.name, scopes, None).await,
        Err(e) => Err(e),
    };
    let chrome = ctx.chrome("api-keys", "API keys").await;
    match created {
        Ok((key, plaintext)) => {
            tracing::info!(user = %user.id, key = %key.id, "API key created");
            let revealed = Some(Revealed {
                name: key.name,
                key: plaintext,
            });
            Ok(page(
                &state,
                chrome,
                revealed,
                String::new(),
                FieldErrors::default(),
            )
            .await?
            .into_response())
        }
        Err(Error::Invalid(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(&state, chrome, None, form.name, errors).await?,
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
