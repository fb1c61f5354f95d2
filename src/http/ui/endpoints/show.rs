//! The endpoint page and what changes it in place: enable/disable, rotating the secret, and
//! sending a test event.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::{Deserialize, Serialize};

use super::history::{self, HistoryFragment, HistoryQuery};
use super::panels::{self, BannerFragment, StatsPanel};
use super::snippets::{self, Language};
use super::test_send::{self, Catalog as TestCatalog, TestForm, TestPanel};
use crate::endpoints::{self, Endpoint};
use crate::error::Error;
use crate::http::PathId;
use crate::http::ui::replays::{self, ReplayPanel};
use crate::http::ui::{Changer, Chrome, CsrfForm, Ctx, HtmlResult, NoFields, Viewer, paths};
use crate::ids::EndpointId;
use crate::state::AppState;

/// The enable/disable switch; htmx swaps it in place.
#[derive(Template, WebTemplate)]
#[template(path = "endpoints/_toggle.html")]
struct ToggleFragment {
    base: &'static str,
    csrf: String,
    id: String,
    enabled: bool,
    disabled_reason: Option<String>,
    admin: bool,
}

impl ToggleFragment {
    fn new(e: &Endpoint, ctx: &Ctx, admin: bool) -> ToggleFragment {
        ToggleFragment {
            base: ctx.base,
            csrf: ctx.csrf.clone(),
            id: e.id.to_string(),
            enabled: e.spec.enabled,
            disabled_reason: e.disabled_reason.clone(),
            admin,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "endpoints/show.html")]
pub(super) struct ShowPage {
    chrome: Chrome,
    e: Endpoint,
    revealed: Option<String>,
    toggle: ToggleFragment,
    banner: BannerFragment,
    stats: StatsPanel,
    /// For admins only.
    test: Option<TestPanel>,
    /// The test panel starts open: it shows a result, or the example asked for.
    test_open: bool,
    /// The replay panel starts open: a replay is running or its outcomes are coming in.
    replay_open: bool,
    history: HistoryFragment,
    verify: Vec<Language>,
    secret_env: &'static str,
    /// Header names and prefix the verify panel explains.
    wire: crate::wire::WireFormat,
    replay: ReplayPanel,
    /// Why the engine refuses attempts to this URL under the current settings.
    refused: Option<String>,
}

/// The endpoint page. `test` replaces the default test panel (after a send); `history` is the
/// history's query (filters and cursor from the address).
pub(super) async fn page(
    state: &AppState,
    ctx: &Ctx,
    e: Endpoint,
    revealed: Option<String>,
    test: Option<TestPanel>,
    history: HistoryQuery,
) -> Result<ShowPage, Error> {
    let chrome = ctx.chrome("webhooks", e.display_name()).await;
    let admin = chrome.can_change;
    let replay = replays::panel(state, ctx, admin, &e.id).await?;
    let test_open = test.is_some();
    let test = match (admin, test) {
        (false, _) => None,
        (true, Some(t)) => Some(t),
        (true, None) => Some(TestPanel::new(
            &e.id,
            ctx,
            &TestCatalog::load(state).await?,
            "",
        )),
    };
    let history = history::load(
        state,
        &e,
        HistoryQuery {
            view: "endpoint".into(),
            poll: String::new(),
            ..history
        },
        ctx.at(&paths::endpoint(&e.id)),
        ctx.base,
    )
    .await?
    .0;
    let refused = endpoints::target_refusal(&e.spec.url, state).await;
    Ok(ShowPage {
        refused,
        toggle: ToggleFragment::new(&e, ctx, admin),
        banner: BannerFragment::new(&e, ctx, admin, false),
        stats: panels::stats(state, &e).await?,
        verify: snippets::verify_panel(&e, &state.config.wire)?,
        secret_env: snippets::SECRET_ENV,
        wire: state.config.wire.clone(),
        test,
        test_open,
        replay_open: replay.is_active(),
        history,
        chrome,
        e,
        revealed,
        replay,
    })
}

#[derive(Deserialize)]
pub(super) struct ShowQuery {
    /// "Load example" without JS: the test panel with this type's example.
    #[serde(default)]
    test_type: String,
}

pub(super) async fn show_endpoint(
    State(state): State<AppState>,
    Viewer {
        ctx,
        who,
        can_change,
        ..
    }: Viewer,
    PathId(id): PathId<EndpointId>,
    Query(show): Query<ShowQuery>,
    Query(history): Query<HistoryQuery>,
) -> HtmlResult<ShowPage> {
    let id = who.check(&state.db, id).await?;
    let endpoint = endpoints::get(&state.db, &id).await?;
    let test = if show.test_type.is_empty() || !can_change {
        None
    } else {
        let catalog = TestCatalog::load(&state).await?;
        Some(TestPanel::new(&id, &ctx, &catalog, &show.test_type))
    };
    let revealed = take_revealed(&state, &ctx, &id).await;
    Ok(page(&state, &ctx, endpoint, revealed, test, history).await?)
}

/// The toggle's htmx answer: the switch, and the disabled banner replaced out of band.
#[derive(Template, WebTemplate)]
#[template(path = "endpoints/_toggle_swap.html")]
struct ToggleSwap {
    toggle: ToggleFragment,
    banner: BannerFragment,
}

#[derive(Deserialize)]
pub(super) struct EnabledForm {
    enabled: String,
    /// Where to go afterwards (the overview's re-enable button comes back to it).
    next: Option<String>,
}

pub(super) async fn set_enabled(
    State(state): State<AppState>,
    Changer(Viewer {
        ctx, who, actor, ..
    }): Changer,
    PathId(id): PathId<EndpointId>,
    CsrfForm(form): CsrfForm<EnabledForm>,
) -> HtmlResult {
    let id = who.check(&state.db, id).await?;
    let enabled = match form.enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(Error::BadRequest("enabled must be true or false".into()).into()),
    };
    let endpoint = endpoints::set_enabled(&state.db, &id, enabled).await?;
    tracing::info!(by = %actor, endpoint = %id, enabled, "endpoint toggled");
    if ctx.htmx {
        return Ok(ToggleSwap {
            banner: BannerFragment::new(&endpoint, &ctx, true, true),
            toggle: ToggleFragment::new(&endpoint, &ctx, true),
        }
        .into_response());
    }
    ctx.flash(
        "success",
        if enabled {
            "The endpoint is enabled."
        } else {
            "The endpoint is disabled; it receives nothing until enabled again."
        },
    )
    .await;
    let here = ctx.at(&paths::endpoint(&id));
    let next = ctx.safe_next(form.next.as_deref(), &here);
    Ok(ctx.redirect(next))
}

/// The session key of a secret waiting to be shown once on its endpoint's page.
const REVEAL_KEY: &str = "revealed_secret";

/// A new secret on its way through the redirect; sealed with the keyring like every stored
/// secret, since the session lives in the database too.
#[derive(Serialize, Deserialize)]
struct Reveal {
    endpoint: EndpointId,
    sealed: Vec<u8>,
}

/// Rotates, then redirects to the endpoint page, which shows the new secret once (a reload
/// of that page neither rotates again nor shows it again). Past the cap of live secrets the
/// page says why nothing changed.
pub(super) async fn rotate_secret(
    State(state): State<AppState>,
    Changer(Viewer {
        ctx, who, actor, ..
    }): Changer,
    PathId(id): PathId<EndpointId>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> HtmlResult {
    let id = who.check(&state.db, id).await?;
    match endpoints::rotate_secret(&state.db, &state.keyring, &id, None).await {
        Ok((_, secret)) => {
            tracing::info!(by = %actor, endpoint = %id, "endpoint secret rotated");
            state.delivery.endpoint_changed(&id);
            let reveal = Reveal {
                endpoint: id.clone(),
                sealed: state.keyring.encrypt(secret.expose().as_bytes()),
            };
            if let Err(e) = ctx.session.insert(REVEAL_KEY, reveal).await {
                tracing::warn!(error = %e, "could not keep the new secret for the next page");
            }
            ctx.flash(
                "success",
                "The signing secret was rotated. Secrets rotated out within the last 24 hours keep signing beside it.",
            )
            .await;
        }
        Err(Error::Conflict(why)) => ctx.flash("error", why).await,
        Err(e) => return Err(e.into()),
    }
    // The flash and the revealed secret sit on top of the page.
    Ok(ctx.redirect(&ctx.at(&paths::endpoint(&id))))
}

/// A GET of the rotate address (a bookmarked or reloaded result) goes to the endpoint page.
pub(super) async fn rotate_secret_page(
    State(state): State<AppState>,
    Viewer { ctx, who, .. }: Viewer,
    PathId(id): PathId<EndpointId>,
) -> HtmlResult<Redirect> {
    let id = who.check(&state.db, id).await?;
    Ok(Redirect::to(&ctx.at(&paths::endpoint(&id))))
}

/// The secret a rotation just made for this endpoint, taken from the session (so it shows once).
async fn take_revealed(state: &AppState, ctx: &Ctx, id: &EndpointId) -> Option<String> {
    let reveal: Reveal = ctx.session.remove(REVEAL_KEY).await.ok().flatten()?;
    if reveal.endpoint != *id {
        return None;
    }
    let plain = state.keyring.decrypt(&reveal.sealed).ok()?;
    String::from_utf8(plain).ok()
}

/// htmx gets the test panel with the outcome, a browser without JS the whole page.
pub(super) async fn send_test_event(
    State(state): State<AppState>,
    Changer(Viewer {
        ctx, who, actor, ..
    }): Changer,
    PathId(id): PathId<EndpointId>,
    CsrfForm(form): CsrfForm<TestForm>,
) -> HtmlResult {
    let id = who.check(&state.db, id).await?;
    let endpoint = endpoints::get(&state.db, &id).await?;
    let (panel, status) = test_send::send(&state, &ctx, &actor, &id, form).await?;
    if ctx.htmx {
        return Ok((status, panel).into_response());
    }
    let page = page(
        &state,
        &ctx,
        endpoint,
        None,
        Some(panel),
        Default::default(),
    )
    .await?;
    Ok((status, page).into_response())
}
