//! Who is looking, on either surface: the one extractor the shared endpoint, delivery, replay
//! and catalog handlers take. An operator (signed-in user) sees everything and may change it
//! when admin; a portal session sees its tenant and may change it unless its link was
//! read-only. Handlers pass every id from a path through `who.check` and every list through
//! `who`, so the same code serves both without a tenant test of its own.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::extract::SignedIn;
use super::{Ctx, HtmlError};
use crate::error::Error;
use crate::state::AppState;
use crate::tenants::Visibility;

pub struct Viewer {
    pub ctx: Ctx,
    pub who: Visibility,
    /// An admin, or a read-write portal session.
    pub can_change: bool,
    /// For logs and audit fields (a replay's `requested_by`): the user's email, or
    /// `portal (<tenant uid>)`.
    pub actor: String,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if parts.extensions.get::<super::portal::Surface>().is_none() {
            let SignedIn(ctx, user) = SignedIn::from_request_parts(parts, state).await?;
            return Ok(Viewer {
                who: Visibility::Everything,
                can_change: user.is_admin(),
                actor: user.email,
                ctx,
            });
        }
        let ctx = Ctx::from_request_parts(parts, state).await?;
        match ctx.portal.clone() {
            Some(p) => Ok(Viewer {
                who: Visibility::Tenant(p.tenant.clone()),
                can_change: !p.read_only,
                actor: format!("portal ({})", p.tenant),
                ctx,
            }),
            None => Err(super::portal::session_missing(&ctx).await),
        }
    }
}

/// A viewer who may change things: an admin (viewers get 403, as before the portal), or a
/// read-write portal session (a read-only one gets 403 saying so).
pub struct Changer(pub Viewer);

impl FromRequestParts<AppState> for Changer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        if !viewer.can_change {
            let why = if viewer.ctx.portal.is_some() {
                "This portal link is read-only: you can look, but not change anything. Ask for a read-write link to make changes."
            } else {
                "Only admins can change this; your account can only view."
            };
            return Err(HtmlError(Error::Forbidden(why.into())).into_response());
        }
        Ok(Changer(viewer))
    }
}
