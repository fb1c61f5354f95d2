//! The delivery page: the event, the request as sent, every attempt, and "Retry now" (an htmx
//! swap of the attempts in place, or a redirect with a flash without JavaScript).

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use super::{Changer, Chrome, CsrfForm, HtmlResult, NoFields, Viewer, paths};
use crate::deliveries::{self, Attempt, Delivery};
use crate::endpoints::{self, Endpoint};
use crate::error::Error;
use crate::events::{self, Event};
use crate::http::PathId;
use crate::ids::DeliveryId;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/deliveries/{id}", get(show_delivery))
        .route("/deliveries/{id}/retry", post(retry_delivery))
}

/// Status, the request and the attempts: what "Retry now" changes, swapped as one.
#[derive(Template, WebTemplate)]
#[template(path = "deliveries/_detail.html")]
struct DetailFragment {
    base: &'static str,
    csrf: String,
    admin: bool,
    d: Delivery,
    endpoint: Endpoint,
    /// Newest first.
    attempts: Vec<Attempt>,
    request_url: String,
    request_headers: Option<BTreeMap<String, String>>,
    request_body: String,
    /// A result line after a retry: (kind, text).
    notice: Option<(&'static str, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "deliveries/show.html")]
struct ShowPage {
    chrome: Chrome,
    event: Event,
    detail: DetailFragment,
}

async fn detail(
    state: &AppState,
    id: &DeliveryId,
    ctx: &super::Ctx,
    admin: bool,
) -> Result<(DetailFragment, Event), Error> {
    let (d, mut attempts) = deliveries::with_attempts(&state.db, id).await?;
    let event = events::get(&state.db, &d.event_id).await?;
    let endpoint = endpoints::get(&state.db, &d.endpoint_id).await?;
    attempts.reverse();
    let latest = attempts.first();
    let request_url = latest.map_or_else(|| endpoint.spec.url.clone(), |a| a.url.clone());
    let request_headers = latest.map(|a| a.request_headers.clone());
    let request_body = events::body(
        &state.config.wire.body,
        event.id.as_str(),
        &event.event_type,
        event.created_at,
        &event.data,
    );
    Ok((
        DetailFragment {
            base: ctx.base,
            csrf: ctx.csrf.clone(),
            admin,
            d,
            endpoint,
            attempts,
            request_url,
            request_headers,
            request_body,
            notice: None,
        },
        event,
    ))
}

async fn show_delivery(
    State(state): State<AppState>,
    Viewer {
        ctx,
        who,
        can_change,
        ..
    }: Viewer,
    PathId(id): PathId<DeliveryId>,
) -> HtmlResult<ShowPage> {
    let id = who.check(&state.db, id).await?;
    let (detail, event) = detail(&state, &id, &ctx, can_change).await?;
    Ok(ShowPage {
        chrome: ctx.chrome("webhooks", format!("Delivery {id}")).await,
        event,
        detail,
    })
}

async fn retry_delivery(
    State(state): State<AppState>,
    Changer(Viewer {
        ctx, who, actor, ..
    }): Changer,
    PathId(id): PathId<DeliveryId>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> HtmlResult {
    let id = who.check(&state.db, id).await?;
    let result = state.delivery.retry_now(&id).await;
    let (status, kind, text) = match result {
        Ok(()) => {
            tracing::info!(by = %actor, delivery = %id, "delivery retried by hand");
            (StatusCode::OK, "success", "A new attempt was made.".to_owned())
        }
        Err(Error::Conflict(_)) => (
            StatusCode::CONFLICT,
            "error",
            "An attempt of this delivery is already queued or running; wait for it to finish, then try again."
                .to_owned(),
        ),
        Err(e) => return Err(e.into()),
    };
    if ctx.htmx {
        let (mut fragment, _) = detail(&state, &id, &ctx, true).await?;
        fragment.notice = Some((kind, text));
        return Ok((status, fragment).into_response());
    }
    ctx.flash(kind, text).await;
    Ok(ctx.redirect(&ctx.at(&paths::delivery(&id))))
}
