//! The request context every dashboard handler starts from (session, form token, user, whether
//! htmx asked) and the page chrome built from it (miniflux's `view.go`: one place).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::HtmlError;
use crate::delivery::StoreHealth;
use crate::error::Error;
use crate::http::assets;
use crate::ids::UserId;
use crate::state::AppState;
use crate::users::{self, User};

const USER_KEY: &str = "user_id";
/// The user's `session_stamp` when the session began: a changed password ends the session.
const STAMP_KEY: &str = "user_stamp";
const FLASH_KEY: &str = "flash";

/// A message shown once on the next page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: String,
    pub text: String,
}

/// What every page's layout needs: who is signed in, the form token, flashes, asset URLs.
pub struct Chrome {
    pub user: Option<User>,
    /// The surface's path prefix: `""` for the dashboard, `/portal` for the tenant portal.
    /// Shared templates write every address as `{{ chrome.base }}/webhooks/…`.
    pub base: &'static str,
    /// Whether this viewer may change things (an admin, or a read-write portal session): the
    /// controls that change something are rendered only then.
    pub can_change: bool,
    /// The portal's branding and session, on the portal only.
    pub portal: Option<PortalChrome>,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    pub nav: &'static str,
    pub title: String,
    /// Why the engine cannot commit, while it cannot: the banner every page shows.
    pub store_failing: Option<String>,
}

impl Chrome {
    pub fn css(&self) -> &'static str {
        assets::url("app.css")
    }
    pub fn htmx(&self) -> &'static str {
        assets::url("htmx-4.0.1.min.js")
    }
    pub fn app_js(&self) -> &'static str {
        assets::url("app.js")
    }
    pub fn favicon(&self) -> &'static str {
        assets::url("favicon.svg")
    }
    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(User::is_admin)
    }
    /// For pages rendered without request context (errors).
    pub(super) fn bare(title: &str) -> Chrome {
        Chrome {
            user: None,
            base: "",
            can_change: false,
            portal: None,
            csrf: String::new(),
            flashes: vec![],
            nav: "",
            title: title.to_owned(),
            store_failing: None,
        }
    }
}

/// The portal's layout: the team's branding instead of hookd's, and the session's tenant.
#[derive(Clone)]
pub struct PortalChrome {
    pub product_name: String,
    pub logo_url: Option<String>,
    pub support_url: Option<String>,
    /// The accent colour as a served stylesheet (no inline style: the CSP stays strict).
    pub brand_css: String,
    pub tenant: String,
    pub read_only: bool,
}

/// Request context: the session, the form token and (if signed in) the user.
pub struct Ctx {
    pub session: Session,
    /// Never set on the portal (its session layer is another cookie, and holds no user).
    pub user: Option<User>,
    /// See `Chrome::base`.
    pub base: &'static str,
    /// On the portal: the session's grant, while it lasts (`None` also when there is none).
    pub portal: Option<super::portal::PortalSession>,
    /// On the portal: its layout (also without a session, for the "link used" page).
    pub portal_chrome: Option<PortalChrome>,
    pub csrf: String,
    pub htmx: bool,
    /// See `Chrome::store_failing`.
    pub store_failing: Option<String>,
}

impl Ctx {
    /// The page chrome; takes the pending flash messages.
    pub async fn chrome(&self, nav: &'static str, title: impl Into<String>) -> Chrome {
        let flashes = self
            .session
            .remove::<Vec<Flash>>(FLASH_KEY)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let can_change = match &self.portal {
            Some(p) => !p.read_only,
            None => self.user.as_ref().is_some_and(User::is_admin),
        };
        let portal = self.portal_chrome.clone().map(|mut c| {
            if let Some(p) = &self.portal {
                c.tenant = p.tenant.to_string();
                c.read_only = p.read_only;
            }
            c
        });
        Chrome {
            user: self.user.clone(),
            base: self.base,
            can_change,
            portal,
            csrf: self.csrf.clone(),
            flashes,
            nav,
            title: title.into(),
            store_failing: self.store_failing.clone(),
        }
    }

    pub async fn flash(&self, kind: &str, text: impl Into<String>) {
        let mut all = self
            .session
            .get::<Vec<Flash>>(FLASH_KEY)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        all.push(Flash {
            kind: kind.to_owned(),
            text: text.into(),
        });
        if let Err(e) = self.session.insert(FLASH_KEY, all).await {
            tracing::warn!(error = %e, "could not store flash message");
        }
    }

    /// Makes this session `user`'s, under a new id (no session fixation); also after the user
    /// changed their password, so this session is the one that stays.
    pub async fn sign_in(&self, db: &crate::db::Db, user: &User) -> Result<(), Error> {
        let stamp = users::session_stamp(db, &user.id)
            .await?
            .ok_or(Error::NotFound("user"))?;
        let internal = |e: tower_sessions::session::Error| Error::Internal(e.into());
        self.session.cycle_id().await.map_err(internal)?;
        super::form_token::start(&self.session)
            .await
            .map_err(internal)?;
        self.session
            .insert(USER_KEY, &user.id)
            .await
            .map_err(internal)?;
        self.session
            .insert(STAMP_KEY, stamp)
            .await
            .map_err(internal)?;
        Ok(())
    }

    /// After a successful form: a normal redirect, or `HX-Redirect` for htmx (fetch would
    /// otherwise follow a 303 and swap a whole page into the form).
    pub fn redirect(&self, to: &str) -> Response {
        see_other(self.htmx, to)
    }

    /// `path` (a `paths` address) on this request's surface.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A `next=` path from a form, if it stays on this surface (else `fallback`).
    pub fn safe_next<'a>(&self, next: Option<&'a str>, fallback: &'a str) -> &'a str {
        match next {
            Some(n)
                if safe_next(Some(n)) == n
                    && (self.base.is_empty() || n.starts_with(&format!("{}/", self.base))) =>
            {
                n
            }
            _ => fallback,
        }
    }
}

pub(super) fn see_other(htmx: bool, to: &str) -> Response {
    if htmx {
        let mut resp = StatusCode::OK.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            resp.headers_mut().insert("hx-redirect", v);
        }
        resp
    } else {
        Redirect::to(to).into_response()
    }
}

/// Did htmx send this request (rather than the browser itself)?
pub(super) fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}

/// Sets `HX-Push-Url`: the address bar shows `url` after the swap, so a reload shows the same.
pub(super) fn push_url(resp: &mut Response, url: &str) {
    if let Ok(v) = HeaderValue::from_str(url) {
        resp.headers_mut().insert("hx-push-url", v);
    }
}

/// For htmx: the answer is a whole page whose `<main>` replaces the current one (`reswap` says
/// how), rather than a fragment for the request's own target.
pub(super) fn replace_main(resp: &mut Response, reswap: &'static str) {
    let h = resp.headers_mut();
    h.insert("hx-retarget", HeaderValue::from_static("#main"));
    h.insert("hx-reselect", HeaderValue::from_static("#main"));
    h.insert("hx-reswap", HeaderValue::from_static(reswap));
}

/// Only same-site relative paths are followed after login (no open redirect).
pub(super) fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n,
        _ => super::paths::OVERVIEW,
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let csrf = super::form_token::expected(&session, parts, state).await;
        if parts.extensions.get::<super::portal::Surface>().is_some() {
            let portal = super::portal::session_of(&session, state)
                .await
                .map_err(|e| HtmlError(e).into_response())?;
            return Ok(Ctx {
                session,
                user: None,
                base: super::portal::BASE,
                portal,
                portal_chrome: Some(super::portal::chrome(&state.config.portal)),
                csrf,
                htmx: is_htmx(&parts.headers),
                store_failing: None,
            });
        }
        let id = session.get::<UserId>(USER_KEY).await.ok().flatten();
        let stamp = session.get::<String>(STAMP_KEY).await.ok().flatten();
        let user = match (id, stamp) {
            (Some(id), Some(stamp)) => users::for_session(&state.db, &id, &stamp)
                .await
                .map_err(|e| HtmlError(e).into_response())?,
            _ => None,
        };
        let store_failing = match state.delivery.store_health() {
            StoreHealth::Failing { cause, .. } => Some(cause),
            StoreHealth::Ok => None,
        };
        Ok(Ctx {
            session,
            user,
            base: "",
            portal: None,
            portal_chrome: None,
            csrf,
            htmx: is_htmx(&parts.headers),
            store_failing,
        })
    }
}
