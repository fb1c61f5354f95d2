//! The home page after sign-in.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::{Chrome, HtmlResult, SignedIn};
use crate::state::AppState;
use crate::{api_keys, endpoints, users};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(show_overview))
}

#[derive(Template, WebTemplate)]
#[template(path = "overview.html")]
struct OverviewPage {
    chrome: Chrome,
    user_count: i64,
    active_keys: usize,
    endpoint_count: usize,
    enabled_count: usize,
}

async fn show_overview(
    State(state): State<AppState>,
    SignedIn(ctx, _): SignedIn,
) -> HtmlResult<OverviewPage> {
    let keys = api_keys::list(&state.db).await?;
    let endpoints = endpoints::list(&state.db, None, u32::MAX).await?;
    Ok(OverviewPage {
        chrome: ctx.chrome("overview", "Overview").await,
        user_count: users::count(&state.db).await?,
        active_keys: keys.iter().filter(|k| k.revoked_at.is_none()).count(),
        endpoint_count: endpoints.len(),
        enabled_count: endpoints.iter().filter(|e| e.spec.enabled).count(),
    })
}
