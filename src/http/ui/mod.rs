//! The dashboard: server-rendered pages (askama) improved by htmx. Extractors here own identity
//! (`Ctx`, `SignedIn`, `Admin`) and input (`CsrfForm`); `HtmlError` renders domain errors.

mod api_keys;
mod auth;
mod deliveries;
mod endpoint_history;
mod endpoint_panels;
mod endpoint_test;
mod endpoints;
mod event_types;
mod events;
mod overview;
mod replays;
mod users;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tower_http::csrf::CsrfLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::{Expiry, Session, SessionManagerLayer, cookie::SameSite};
use tower_sessions_sqlx_store::SqliteStore;

use crate::crypto;
use crate::error::{Error, FieldErrors};
use crate::http::assets;
use crate::ids::UserId;
use crate::state::AppState;
use crate::users::{self as users_domain, User};

const SESSION_COOKIE: &str = "hookd_session";
const USER_KEY: &str = "user_id";
const CSRF_KEY: &str = "csrf";
const FLASH_KEY: &str = "flash";
const CSRF_HEADER: &str = "x-csrf-token";

pub fn router(state: AppState, sessions: SqliteStore) -> Router<AppState> {
    let timeout =
        time::Duration::seconds(state.config.session_timeout.as_secs().min(i64::MAX as u64) as i64);
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name(SESSION_COOKIE)
        .with_secure(state.config.cookies_secure())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(timeout));
    Router::new()
        .merge(auth::router())
        .merge(overview::router())
        .merge(api_keys::router())
        .merge(endpoints::router())
        .merge(event_types::router())
        .merge(deliveries::router())
        .merge(events::router())
        .merge(replays::router())
        .merge(users::router())
        .layer(session_layer)
        // Cross-origin POSTs are refused before they reach a handler (Sec-Fetch-Site / Origin);
        // the session-bound form token in `CsrfForm` covers browsers that send neither header.
        .layer(CsrfLayer::new().with_rejection_response(|_| {
            HtmlError(Error::Forbidden(
                "This request came from another site and was refused.".into(),
            ))
            .into_response()
        }))
        .layer(SetResponseHeaderLayer::appending(
            header::VARY,
            HeaderValue::from_static("HX-Request"),
        ))
}

/// A message shown once on the next page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: String,
    pub text: String,
}

/// What every page's layout needs: who is signed in, the form token, flashes, asset URLs.
pub struct Chrome {
    pub user: Option<User>,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    pub nav: &'static str,
    pub title: String,
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
    fn bare(title: &str) -> Chrome {
        Chrome {
            user: None,
            csrf: String::new(),
            flashes: vec![],
            nav: "",
            title: title.to_owned(),
        }
    }
}

/// Request context: the session, the form token and (if signed in) the user.
pub struct Ctx {
    pub session: Session,
    pub user: Option<User>,
    pub csrf: String,
    pub htmx: bool,
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
        Chrome {
            user: self.user.clone(),
            csrf: self.csrf.clone(),
            flashes,
            nav,
            title: title.into(),
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

    /// After a successful form: a normal redirect, or `HX-Redirect` for htmx (fetch would
    /// otherwise follow a 303 and swap a whole page into the form).
    pub fn redirect(&self, to: &str) -> Response {
        see_other(self.htmx, to)
    }
}

fn see_other(htmx: bool, to: &str) -> Response {
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

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let csrf = match session.get::<String>(CSRF_KEY).await {
            Ok(Some(t)) => t,
            _ => {
                let t = crypto::random_token("", 32);
                session
                    .insert(CSRF_KEY, &t)
                    .await
                    .map_err(|e| HtmlError(Error::Internal(e.into())).into_response())?;
                t
            }
        };
        let user = match session.get::<UserId>(USER_KEY).await {
            Ok(Some(id)) => users_domain::get(&state.db, &id)
                .await
                .map_err(|e| HtmlError(e).into_response())?,
            _ => None,
        };
        let htmx = parts.headers.get("hx-request").is_some_and(|v| v == "true");
        Ok(Ctx {
            session,
            user,
            csrf,
            htmx,
        })
    }
}

/// A signed-in user (admin or viewer); anyone else is sent to the login page.
pub struct SignedIn(pub Ctx, pub User);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        match ctx.user.clone() {
            Some(user) => Ok(SignedIn(ctx, user)),
            None => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let to = format!("/login?next={}", url_encode(here));
                Err(see_other(ctx.htmx, &to))
            }
        }
    }
}

/// A signed-in admin; viewers get 403.
pub struct Admin(pub Ctx, pub User);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let SignedIn(ctx, user) = SignedIn::from_request_parts(parts, state).await?;
        if !user.is_admin() {
            return Err(HtmlError(Error::Forbidden(
                "Only admins can change this; your account can only view.".into(),
            ))
            .into_response());
        }
        Ok(Admin(ctx, user))
    }
}

/// A urlencoded form whose `csrf_token` field (or `X-CSRF-Token` header) matches the session's.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let header_token = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(body, state.config.max_payload_bytes)
            .await
            .map_err(|_| {
                HtmlError(Error::PayloadTooLarge(state.config.max_payload_bytes)).into_response()
            })?;
        #[derive(Deserialize)]
        struct TokenOnly {
            csrf_token: Option<String>,
        }
        let form_token = serde_html_form::from_bytes::<TokenOnly>(&bytes)
            .ok()
            .and_then(|t| t.csrf_token);
        let expected = session.get::<String>(CSRF_KEY).await.ok().flatten();
        let valid = match (expected, form_token.or(header_token)) {
            (Some(e), Some(p)) => crypto::ct_eq(&e, &p),
            _ => false,
        };
        if !valid {
            return Err(HtmlError(Error::Forbidden(
                "This form has expired or did not come from hookd. Reload the page and try again."
                    .into(),
            ))
            .into_response());
        }
        serde_html_form::from_bytes::<T>(&bytes)
            .map(CsrfForm)
            .map_err(|e| {
                HtmlError(Error::BadRequest(format!(
                    "The form could not be read: {e}"
                )))
                .into_response()
            })
    }
}

/// For forms that carry nothing but the CSRF token.
#[derive(Deserialize)]
pub struct NoFields {}

/// Percent-encodes a path for a `next=` parameter.
fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Only same-site relative paths are followed after login (no open redirect).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n,
        _ => "/",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    heading: String,
    message: String,
}

/// A domain error as an HTML page (5xx details go to the log only).
pub struct HtmlError(pub Error);

impl<E: Into<Error>> From<E> for HtmlError {
    fn from(e: E) -> Self {
        HtmlError(e.into())
    }
}

pub type HtmlResult<T = Response> = Result<T, HtmlError>;

impl IntoResponse for HtmlError {
    fn into_response(self) -> Response {
        let (status, heading, message) = match self.0 {
            Error::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "Not found".to_owned(),
                format!("That {what} does not exist, or it was deleted."),
            ),
            Error::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed".to_owned(), m),
            Error::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "Sign in required".to_owned(), m),
            Error::Conflict(m) => (StatusCode::CONFLICT, "Cannot do that".to_owned(), m),
            Error::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request".to_owned(), m),
            Error::RateLimited(m) => (StatusCode::TOO_MANY_REQUESTS, "Slow down".to_owned(), m),
            Error::PayloadTooLarge(n) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too large".to_owned(),
                format!("The form is larger than {n} bytes."),
            ),
            Error::Invalid(fields) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Please check the form".to_owned(),
                fields
                    .0
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Error::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong".to_owned(),
                    "hookd hit an internal error; the details are in its log.".to_owned(),
                )
            }
        };
        let page = ErrorPage {
            chrome: Chrome::bare(&heading),
            status: status.as_u16(),
            heading,
            message,
        };
        (status, page).into_response()
    }
}

/// Field errors for templates: `errors.get("url")`.
pub type FormErrors = FieldErrors;
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
