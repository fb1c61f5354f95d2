//! Extractors that own identity and input: a handler's signature shows whether it needs a
//! signed-in user (`SignedIn`), an admin (`Admin`) or a form with a valid token (`CsrfForm`).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tower_sessions::Session;

use super::ctx::see_other;
use super::{Ctx, HtmlError, paths};
use crate::crypto;
use crate::error::Error;
use crate::state::AppState;
use crate::users::User;

const CSRF_HEADER: &str = "x-csrf-token";

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
                    .unwrap_or(paths::OVERVIEW);
                Err(see_other(ctx.htmx, &paths::login_then(here)))
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

/// A urlencoded form whose `csrf_token` field (or `X-CSRF-Token` header) matches the expected
/// form token (`form_token::expected`).
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
        let expected = super::form_token::expected(&session, &parts, state).await;
        let valid = form_token
            .or(header_token)
            .is_some_and(|p| crypto::ct_eq(&expected, &p));
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
