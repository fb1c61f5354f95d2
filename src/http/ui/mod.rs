//! The dashboard: server-rendered pages (askama) improved by htmx. `ctx` holds what every page
//! needs, `extract` the extractors that own identity (`SignedIn`, `Admin`) and input
//! (`CsrfForm`), `viewer` who looks on either surface (`Viewer`, `Changer`), `error` how domain
//! errors render, `paths` every address. `portal` mounts the shared endpoint, delivery, replay
//! and catalog routers a second time under `/portal` for one tenant, with its own session.

mod account;
pub mod api_docs;
mod api_keys;
mod auth;
mod catalog;
mod ctx;
mod deliveries;
mod endpoints;
mod error;
mod event_types;
mod events;
mod extract;
mod form_token;
mod local_time;
pub(crate) mod overview;
mod paths;
mod portal;
mod replays;
mod tenants;
mod users;
mod viewer;
mod words;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::IntoResponse;
use tower_http::csrf::CsrfLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};
use tower_sessions_sqlx_store::SqliteStore;

use crate::error::Error;
use crate::state::AppState;

pub use ctx::{Chrome, Ctx};
pub use error::{HtmlError, HtmlResult};
pub use extract::{Admin, CsrfForm, NoFields, SignedIn};
pub use viewer::{Changer, Viewer};

const SESSION_COOKIE: &str = "hookd_session";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Field errors for templates: `errors.get("url")`.
pub type FormErrors = crate::error::FieldErrors;

pub fn router(state: AppState, sessions: SqliteStore) -> Router<AppState> {
    let timeout =
        time::Duration::seconds(state.config.session_timeout.as_secs().min(i64::MAX as u64) as i64);
    let portal = portal::router(&state, sessions.clone());
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name(SESSION_COOKIE)
        .with_secure(state.config.cookies_secure())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(timeout));
    Router::new()
        .merge(auth::router())
        .merge(account::router())
        .merge(overview::router())
        .merge(api_keys::router())
        .merge(endpoints::router())
        .merge(event_types::router())
        .merge(deliveries::router())
        .merge(events::router())
        .merge(replays::router())
        .merge(tenants::router())
        .merge(users::router())
        .layer(session_layer)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            form_token::nonce_cookie,
        ))
        // Cross-origin POSTs are refused before they reach a handler (Sec-Fetch-Site / Origin);
        // the form token in `CsrfForm` covers browsers that send neither header.
        .layer(CsrfLayer::new().with_rejection_response(|_| {
            HtmlError(Error::Forbidden(
                "This request came from another site and was refused.".into(),
            ))
            .into_response()
        }))
        // Outside the layers above, so their refusals become toasts for htmx too.
        .layer(middleware::from_fn(error::htmx_errors_as_toasts))
        .layer(SetResponseHeaderLayer::appending(
            header::VARY,
            HeaderValue::from_static("HX-Request"),
        ))
        // After the layers above: none of them (the operator session above all) wraps the portal.
        .nest(portal::BASE, portal)
}
