//! The tenant portal: the dashboard's endpoint, delivery, replay and catalog screens a second
//! time under `/portal`, for one tenant. Nothing here copies a handler: the shared routers run
//! with a `Viewer` that this surface makes a tenant's (`Surface` in the request's extensions),
//! under its own session layer (`hookd_portal`, path `/portal`), so an operator cookie is never
//! read here and a portal cookie never reaches an operator page. What this module adds: entry
//! through a one-time link, the session's grant and its hard end, the branding stylesheet, and
//! the portal's CSP (`frame-ancestors` from `portal_frame_ancestors`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tower_http::csrf::CsrfLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::{Expiry, Session, SessionManagerLayer, cookie::SameSite};
use tower_sessions_sqlx_store::SqliteStore;

use super::ctx::{PortalChrome, see_other};
use super::{
    Chrome, Ctx, HtmlError, HtmlResult, deliveries, endpoints, event_types, paths, replays,
};
use crate::config::PortalSettings;
use crate::error::Error;
use crate::portal_links;
use crate::state::AppState;
use crate::tenants::{Owned, TenantUid};
use crate::timestamp::Timestamp;

/// Where the portal is mounted; `portal_links::ENTER_PATH` lies under it.
pub const BASE: &str = "/portal";
const COOKIE: &str = "hookd_portal";
const GRANT_KEY: &str = "portal_grant";
const ENTER: &str = "/enter";
const BRAND_CSS: &str = "/brand.css";

/// Marks a request as the portal's (set by the portal router): `Ctx` then reads a portal
/// session instead of a user.
#[derive(Clone, Copy)]
pub struct Surface;

/// What a redeemed link granted, kept in the portal session until `expires_at`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PortalSession {
    pub tenant: TenantUid,
    pub read_only: bool,
    /// Unix milliseconds: entry plus `portal_links::SESSION_MAX` (`PortalSettings::session_max`),
    /// however active the session.
    expires_at: i64,
}

/// The session's grant while it lasts and its tenant exists; `None` otherwise.
pub(super) async fn session_of(
    session: &Session,
    state: &AppState,
) -> Result<Option<PortalSession>, Error> {
    let Some(grant) = session.get::<PortalSession>(GRANT_KEY).await.ok().flatten() else {
        return Ok(None);
    };
    if grant.expires_at <= Timestamp::now().millis() {
        return Ok(None);
    }
    // A deleted tenant ends its sessions.
    if grant.tenant.owner(&state.db).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(grant))
}

pub(super) fn chrome(p: &PortalSettings) -> PortalChrome {
    PortalChrome {
        product_name: p.product_name.clone(),
        logo_url: p.logo_url.as_ref().map(|u| u.to_string()),
        support_url: p.support_url.as_ref().map(|u| u.to_string()),
        brand_css: format!(
            "{BASE}{BRAND_CSS}?v={}",
            &crate::crypto::sha256_hex(&p.accent_color)[..12]
        ),
        tenant: String::new(),
        read_only: false,
    }
}

pub fn router(state: &AppState, sessions: SqliteStore) -> Router<AppState> {
    let config = &state.config;
    // Inside an iframe on the team's site the cookie is a third-party one: only
    // `SameSite=None; Secure` is sent there, and Secure needs an https base_url.
    let secure = config.cookies_secure();
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name(COOKIE)
        .with_path(BASE)
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(if secure {
            SameSite::None
        } else {
            SameSite::Lax
        })
        .with_expiry(Expiry::OnInactivity(
            time::Duration::try_from(config.portal.session_max).unwrap_or(time::Duration::HOUR),
        ));
    let csp = HeaderValue::from_str(&csp(&config.portal))
        .unwrap_or_else(|_| HeaderValue::from_static("frame-ancestors 'none'"));
    let framable = !config.portal.frame_ancestors.is_empty();
    Router::new()
        .route(
            "/",
            get(|| async { Redirect::to(&format!("{BASE}{}", paths::ENDPOINTS)) }),
        )
        .route(ENTER, get(enter))
        .route(BRAND_CSS, get(brand_css))
        .merge(endpoints::router())
        .merge(deliveries::router())
        .merge(replays::router())
        .merge(event_types::read_router())
        .layer(Extension(Surface))
        .layer(session_layer)
        .layer(CsrfLayer::new().with_rejection_response(|_| {
            HtmlError(Error::Forbidden(
                "This request came from another site and was refused.".into(),
            ))
            .into_response()
        }))
        .layer(middleware::from_fn_with_state(state.clone(), error_pages))
        .layer(middleware::from_fn(super::error::htmx_errors_as_toasts))
        .layer(SetResponseHeaderLayer::appending(
            header::VARY,
            HeaderValue::from_static("HX-Request"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(axum::middleware::map_response(
            move |mut resp: Response| async move {
                if framable {
                    resp.extensions_mut().insert(crate::http::Framable);
                }
                resp
            },
        ))
}

/// Error pages (a 404 for another tenant's id, a 403 of a read-only link) in the portal's
/// layout, not hookd's: the tenant never sees the operator's product. Inside the htmx toast
/// layer, which replaces them with a toast for htmx requests anyway.
async fn error_pages(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let resp = next.run(req).await;
    let mut chrome = Chrome::bare("");
    chrome.base = BASE;
    chrome.portal = Some(self::chrome(&state.config.portal));
    super::error::in_layout(resp, chrome)
}

/// The dashboard's policy, with the logo's origin allowed as an image and the configured
/// origins allowed to frame the portal.
fn csp(p: &PortalSettings) -> String {
    let logo = p
        .logo_url
        .as_ref()
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    let ancestors = if p.frame_ancestors.is_empty() {
        "'none'".to_owned()
    } else {
        p.frame_ancestors.join(" ")
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{logo}; \
         connect-src 'self'; form-action 'self'; frame-ancestors {ancestors}; base-uri 'none'; object-src 'none'"
    )
}

/// The accent colour as CSS custom properties (a stylesheet, so `style-src 'self'` holds).
async fn brand_css(State(state): State<AppState>) -> Response {
    let accent = &state.config.portal.accent_color;
    let ink = if is_light(accent) { "#11131a" } else { "#fff" };
    let css = format!(
        ":root {{ --accent: {accent}; --accent-ink: {ink}; \
         --accent-soft: color-mix(in srgb, {accent} 12%, transparent); }}\n\
         .brand-logo {{ height: 1.75rem; width: auto; vertical-align: middle; }}\n"
    );
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        css,
    )
        .into_response()
}

/// `#rrggbb` light enough that dark text reads better on it.
fn is_light(hex: &str) -> bool {
    let c = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    let (r, g, b) = (c(1) as u32, c(3) as u32, c(5) as u32);
    (299 * r + 587 * g + 114 * b) / 1000 > 160
}

/// Shown for a link that no longer opens, and for any portal page without a session.
#[derive(Template, WebTemplate)]
#[template(path = "portal/gone.html")]
struct GonePage {
    chrome: Chrome,
    expired_session: bool,
}

impl GonePage {
    fn product(&self) -> &str {
        self.chrome
            .portal
            .as_ref()
            .map_or("the product", |p| p.product_name.as_str())
    }
}

#[derive(Deserialize)]
struct EnterQuery {
    #[serde(default)]
    token: String,
}

/// `GET /portal/enter?token=…`: a link opens once, into a new session (new id: no fixation).
async fn enter(State(state): State<AppState>, ctx: Ctx, Query(q): Query<EnterQuery>) -> HtmlResult {
    let Some(grant) = portal_links::redeem(&state.db, &q.token).await? else {
        return Ok(gone(&ctx, StatusCode::GONE, false).await);
    };
    let internal = |e: tower_sessions::session::Error| Error::Internal(e.into());
    let expires_at = Timestamp::now().plus(state.config.portal.session_max);
    ctx.session.cycle_id().await.map_err(internal)?;
    ctx.session.clear().await;
    super::form_token::start(&ctx.session)
        .await
        .map_err(internal)?;
    let session = PortalSession {
        tenant: grant.tenant.clone(),
        read_only: grant.read_only,
        expires_at: expires_at.millis(),
    };
    ctx.session
        .insert(GRANT_KEY, &session)
        .await
        .map_err(internal)?;
    ctx.session
        .set_expiry(Some(Expiry::AtDateTime(expires_at.datetime())));
    tracing::info!(tenant = %grant.tenant, read_only = grant.read_only, "portal session started");
    Ok(Redirect::to(&format!("{BASE}{}", paths::ENDPOINTS)).into_response())
}

async fn gone(ctx: &Ctx, status: StatusCode, expired_session: bool) -> Response {
    let page = GonePage {
        chrome: ctx.chrome("", "Link expired").await,
        expired_session,
    };
    (status, page).into_response()
}

/// What a portal page answers without a (live) portal session: the "ask for a new link" page,
/// never the operator's login. htmx is sent to it as a whole page (the list's address, which
/// answers this same page without a session).
pub(super) async fn session_missing(ctx: &Ctx) -> Response {
    if ctx.htmx {
        return see_other(true, &format!("{BASE}{}", paths::ENDPOINTS));
    }
    gone(ctx, StatusCode::UNAUTHORIZED, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_portal_policy_allows_the_logo_and_the_configured_frame_ancestors_only() {
        let mut p = PortalSettings::default();
        assert!(csp(&p).contains("frame-ancestors 'none';"));
        p.logo_url = Some(url::Url::parse("https://cdn.example.com/a/logo.svg").unwrap());
        p.frame_ancestors = vec![
            "https://app.example.com".into(),
            "http://localhost:3000".into(),
        ];
        let c = csp(&p);
        assert!(
            c.contains("img-src 'self' data: https://cdn.example.com;"),
            "{c}"
        );
        assert!(
            c.contains("frame-ancestors https://app.example.com http://localhost:3000;"),
            "{c}"
        );
        assert!(c.contains("style-src 'self';"), "{c}");
    }

    #[test]
    fn links_land_on_the_portals_enter_route_and_sessions_last_twelve_hours() {
        assert_eq!(format!("{BASE}{ENTER}"), portal_links::ENTER_PATH);
        assert_eq!(
            PortalSettings::default().session_max,
            portal_links::SESSION_MAX
        );
    }

    #[test]
    fn text_on_the_accent_is_dark_only_on_light_colours() {
        assert!(!is_light("#4338ca"));
        assert!(is_light("#ffd700"));
    }
}
