//! The form token (CSRF). A signed-in session keeps its own token. Before sign-in there is no
//! session at all, so a bot's `GET /login` stores nothing: the token is then the MAC of a
//! random nonce in the `hookd_form` cookie (double submit: a form must echo the MAC of the
//! cookie it came with, which another site can neither read nor compute).

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_sessions::Session;
use tower_sessions::cookie::{Cookie, SameSite};

use crate::crypto;
use crate::state::AppState;

const FORM_COOKIE: &str = "hookd_form";
/// Where a signed-in session keeps its token.
const SESSION_KEY: &str = "csrf";
/// The MAC's purpose, so the key's MACs for anything else are no form token.
const PURPOSE: &str = "form-token";
const NONCE_BYTES: usize = 32;

/// The nonce this request's cookie carried, or the fresh one its response sets.
#[derive(Clone)]
struct FormNonce(String);

/// Makes sure every dashboard client holds a form nonce cookie (set when missing or malformed).
pub(super) async fn nonce_cookie(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let sent = cookie(req.headers(), FORM_COOKIE).filter(|v| is_nonce(v));
    let nonce = sent
        .clone()
        .unwrap_or_else(|| crypto::random_token("", NONCE_BYTES));
    req.extensions_mut().insert(FormNonce(nonce.clone()));
    let mut resp = next.run(req).await;
    if sent.is_none() {
        let c = Cookie::build((FORM_COOKIE, nonce))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(state.config.cookies_secure())
            .build();
        if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// The token this request's forms must carry: the session's once signed in, else the MAC of
/// the cookie's nonce.
pub(super) async fn expected(session: &Session, parts: &Parts, state: &AppState) -> String {
    if let Ok(Some(t)) = session.get::<String>(SESSION_KEY).await {
        return t;
    }
    // `nonce_cookie` wraps every dashboard route; without it no submitted token can match.
    match parts.extensions.get::<FormNonce>() {
        Some(FormNonce(n)) => state.keyring.mac(PURPOSE, n),
        None => crypto::random_token("", NONCE_BYTES),
    }
}

/// Gives a session that begins (sign-in) its own token.
pub(super) async fn start(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session
        .insert(SESSION_KEY, crypto::random_token("", NONCE_BYTES))
        .await
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

fn is_nonce(v: &str) -> bool {
    (32..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
