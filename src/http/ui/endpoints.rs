//! Endpoints pages: list, create (the secret is revealed once in the response), show, edit,
//! enable/disable in place, rotate the secret, delete with a confirmation page.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Admin, Chrome, CsrfForm, Ctx, FormErrors, HtmlResult, NoFields, SignedIn};
use crate::endpoints::{
    self, DEFAULT_RETRY_COUNT, DEFAULT_TIMEOUT_SECONDS, Endpoint, EndpointInput,
};
use crate::error::{Error, FieldErrors};
use crate::event_types::{self, EventType};
use crate::ids::EndpointId;
use crate::state::AppState;

use super::endpoint_history::{self, HistoryFragment, HistoryQuery};
use super::endpoint_panels::{self, BannerFragment, Language, StatsPanel};
use super::endpoint_test::{Catalog as TestCatalog, TestPanel};

const PAGE_SIZE: u32 = 25;
const EMPTY_HEADER_ROWS: usize = 3;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list_endpoints).post(create_endpoint))
        .route("/webhooks/new", get(new_endpoint))
        .route("/webhooks/{id}", get(show_endpoint).post(update_endpoint))
        .route("/webhooks/{id}/edit", get(edit_endpoint))
        .route("/webhooks/{id}/enabled", post(set_enabled))
        .route(
            "/webhooks/{id}/deliveries",
            get(super::endpoint_history::list_endpoint_deliveries),
        )
        .route(
            "/webhooks/{id}/test",
            post(super::endpoint_test::send_test_event),
        )
        .route(
            "/webhooks/{id}/test-example",
            get(super::endpoint_test::test_example),
        )
        .route("/webhooks/{id}/rotate-secret", post(rotate_secret))
        .route(
            "/webhooks/{id}/delete",
            get(confirm_delete).post(delete_endpoint),
        )
}

/// "ok", "failing" or "none": whichever of the last success and last failure is newer.
pub fn health(e: &Endpoint) -> &'static str {
    match (e.last_success_at, e.last_failure_at) {
        (Some(s), Some(f)) if f > s => "failing",
        (Some(_), _) => "ok",
        (None, Some(_)) => "failing",
        (None, None) => "none",
    }
}

fn parse_id(id: &str) -> Result<EndpointId, Error> {
    EndpointId::parse(id).ok_or(Error::NotFound("endpoint"))
}

// ---- list ----------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "endpoints/list.html")]
struct ListPage {
    chrome: Chrome,
    endpoints: Vec<Endpoint>,
    older: Option<String>,
}

#[derive(Deserialize)]
struct ListQuery {
    before: Option<String>,
}

async fn list_endpoints(
    State(state): State<AppState>,
    SignedIn(ctx, _): SignedIn,
    Query(q): Query<ListQuery>,
) -> HtmlResult<ListPage> {
    let before = q.before.as_deref().and_then(EndpointId::parse);
    let mut endpoints = endpoints::list(&state.db, before.as_ref(), PAGE_SIZE + 1).await?;
    let older = if endpoints.len() > PAGE_SIZE as usize {
        endpoints.truncate(PAGE_SIZE as usize);
        endpoints.last().map(|e| e.id.to_string())
    } else {
        None
    };
    Ok(ListPage {
        chrome: ctx.chrome("webhooks", "Endpoints").await,
        endpoints,
        older,
    })
}

// ---- the form ------------------------------------------------------------------------------

/// The form as submitted: the API's field names, everything as text.
#[derive(Deserialize, Default)]
struct EndpointForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    extra_events: String,
    #[serde(default)]
    channels: String,
    #[serde(default)]
    header_name: Vec<String>,
    #[serde(default)]
    header_value: Vec<String>,
    #[serde(default)]
    retry_count: String,
    #[serde(default)]
    timeout_seconds: String,
    tls_verify: Option<String>,
    enabled: Option<String>,
}

/// What the form shows.
struct FormValues {
    name: String,
    url: String,
    description: String,
    /// Every pattern, picked or typed.
    events: Vec<String>,
    extra_events: String,
    channels: String,
    headers: Vec<(String, String)>,
    retry_count: String,
    timeout_seconds: String,
    tls_verify: bool,
    enabled: bool,
}

impl FormValues {
    fn blank() -> FormValues {
        FormValues {
            name: String::new(),
            url: String::new(),
            description: String::new(),
            events: vec![],
            extra_events: String::new(),
            channels: String::new(),
            headers: padded(vec![]),
            retry_count: DEFAULT_RETRY_COUNT.to_string(),
            timeout_seconds: DEFAULT_TIMEOUT_SECONDS.to_string(),
            tls_verify: true,
            enabled: true,
        }
    }

    fn of(e: &Endpoint, catalog: &[EventType]) -> FormValues {
        let s = &e.spec;
        FormValues {
            name: s.name.clone(),
            url: s.url.clone(),
            description: s.description.clone(),
            events: s.events.clone(),
            extra_events: extra_patterns(&s.events, catalog),
            channels: s.channels.as_deref().unwrap_or_default().join(", "),
            headers: padded(s.headers.clone().into_iter().collect()),
            retry_count: s.retry_count.to_string(),
            timeout_seconds: s.timeout_seconds.to_string(),
            tls_verify: s.tls_verify,
            enabled: s.enabled,
        }
    }

    fn from_form(f: &EndpointForm, catalog: &[EventType]) -> FormValues {
        let events: Vec<String> = f.events.clone();
        FormValues {
            name: f.name.clone(),
            url: f.url.clone(),
            description: f.description.clone(),
            extra_events: {
                let mut extra = split_list(&f.extra_events);
                extra.retain(|p| !events.contains(p));
                let typed = extra_patterns(&events, catalog);
                if typed.is_empty() {
                    extra.join(", ")
                } else {
                    let mut all = vec![typed];
                    all.extend(extra);
                    all.join(", ")
                }
            },
            events,
            channels: f.channels.clone(),
            headers: padded(
                f.header_name
                    .iter()
                    .cloned()
                    .zip(f.header_value.iter().cloned())
                    .filter(|(k, v)| !k.trim().is_empty() || !v.trim().is_empty())
                    .collect(),
            ),
            retry_count: f.retry_count.clone(),
            timeout_seconds: f.timeout_seconds.clone(),
            tls_verify: f.tls_verify.is_some(),
            enabled: f.enabled.is_some(),
        }
    }

    /// Is this pattern ticked in the picker?
    pub fn picked(&self, pattern: &str) -> bool {
        self.events.iter().any(|e| e == pattern)
    }
}

/// Patterns that are neither `*` nor a catalog type: shown in the free-text box.
fn extra_patterns(events: &[String], catalog: &[EventType]) -> String {
    events
        .iter()
        .filter(|p| *p != "*" && !catalog.iter().any(|t| &t.name == *p))
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
}

fn padded(mut rows: Vec<(String, String)>) -> Vec<(String, String)> {
    rows.extend((0..EMPTY_HEADER_ROWS).map(|_| (String::new(), String::new())));
    rows
}

/// Comma- or whitespace-separated items, trimmed, empty ones dropped.
fn split_list(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn whole_number(field: &str, s: &str, errors: &mut FieldErrors) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    match s.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(field, "Enter a whole number.");
            None
        }
    }
}

/// The form as `EndpointInput`, plus errors found while reading it (numbers, headers).
fn to_input(f: &EndpointForm) -> (EndpointInput, FieldErrors) {
    let mut errors = FieldErrors::default();
    let mut events: Vec<String> = f.events.iter().map(|e| e.trim().to_owned()).collect();
    for p in split_list(&f.extra_events) {
        if !events.contains(&p) {
            events.push(p);
        }
    }
    events.retain(|e| !e.is_empty());
    let channels = split_list(&f.channels);
    let mut headers = BTreeMap::new();
    for (k, v) in f.header_name.iter().zip(f.header_value.iter()) {
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() {
            if !v.is_empty() {
                errors.add("headers", "Give every header value a name.");
            }
            continue;
        }
        headers.insert(k.to_owned(), v.to_owned());
    }
    let input = EndpointInput {
        url: Some(f.url.trim().to_owned()),
        events: Some(events),
        name: Some(f.name.trim().to_owned()),
        description: Some(f.description.trim().to_owned()),
        enabled: Some(f.enabled.is_some()),
        headers: Some(headers),
        retry_count: whole_number("retry_count", &f.retry_count, &mut errors),
        timeout_seconds: whole_number("timeout_seconds", &f.timeout_seconds, &mut errors),
        channels: Some((!channels.is_empty()).then_some(channels)),
        tls_verify: Some(f.tls_verify.is_some()),
        secret: None,
    };
    (input, errors)
}

/// The form alone: what an htmx submit gets back (422 with errors).
#[derive(Template, WebTemplate)]
#[template(path = "endpoints/_form.html")]
struct FormFragment {
    csrf: String,
    action: String,
    submit_label: &'static str,
    cancel: String,
    v: FormValues,
    catalog: Vec<EventType>,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "endpoints/form.html")]
struct FormPage {
    chrome: Chrome,
    heading: String,
    form: FormFragment,
}

/// Active catalog types, by name.
async fn catalog(state: &AppState) -> Result<Vec<EventType>, Error> {
    event_types::list(&state.db, false, None, 1000).await
}

/// A form with errors: the fragment for htmx, the whole page otherwise; 422 either way.
async fn form_with_errors(ctx: &Ctx, heading: String, form: FormFragment, title: &str) -> Response {
    if ctx.htmx {
        (StatusCode::UNPROCESSABLE_ENTITY, form).into_response()
    } else {
        let page = FormPage {
            chrome: ctx.chrome("webhooks", title).await,
            heading,
            form,
        };
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    }
}

async fn new_endpoint(State(state): State<AppState>, Admin(ctx, _): Admin) -> HtmlResult<FormPage> {
    Ok(FormPage {
        form: FormFragment {
            csrf: ctx.csrf.clone(),
            action: "/webhooks".into(),
            submit_label: "Create endpoint",
            cancel: "/webhooks".into(),
            v: FormValues::blank(),
            catalog: catalog(&state).await?,
            errors: FieldErrors::default(),
        },
        chrome: ctx.chrome("webhooks", "New endpoint").await,
        heading: "New endpoint".into(),
    })
}

/// Answers with the endpoint page itself (not a redirect): the secret exists only in this
/// response. For htmx, the page's `<main>` replaces the current one and the URL is pushed.
async fn create_endpoint(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    CsrfForm(form): CsrfForm<EndpointForm>,
) -> HtmlResult {
    let catalog = catalog(&state).await?;
    let (input, mut errors) = to_input(&form);
    let created = if errors.is_empty() {
        endpoints::create_from_input(&state.db, &state.keyring, input, &state).await
    } else {
        let names: Vec<String> = catalog.iter().map(|t| t.name.clone()).collect();
        match endpoints::validate(input, Some(&names), endpoints::TargetPolicy::rules(&state)) {
            Err(Error::Invalid(more)) => {
                for (k, v) in more.0 {
                    errors.add(k, v);
                }
            }
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        Err(Error::Invalid(errors))
    };
    match created {
        Ok((endpoint, secret)) => {
            tracing::info!(user = %user.id, endpoint = %endpoint.id, "endpoint created");
            let id = endpoint.id.to_string();
            let page = show_page(
                &state,
                &ctx,
                endpoint,
                Some(secret.expose().to_owned()),
                None,
                HistoryQuery::default(),
            )
            .await?;
            let mut resp = page.into_response();
            if ctx.htmx {
                let h = resp.headers_mut();
                h.insert("hx-retarget", HeaderValue::from_static("#main"));
                h.insert("hx-reselect", HeaderValue::from_static("#main"));
                h.insert(
                    "hx-reswap",
                    HeaderValue::from_static("outerHTML scroll:top scrollTarget:window"),
                );
                if let Ok(v) = HeaderValue::from_str(&format!("/webhooks/{id}")) {
                    h.insert("hx-push-url", v);
                }
            }
            Ok(resp)
        }
        Err(Error::Invalid(errors)) => {
            let form = FormFragment {
                csrf: ctx.csrf.clone(),
                action: "/webhooks".into(),
                submit_label: "Create endpoint",
                cancel: "/webhooks".into(),
                v: FormValues::from_form(&form, &catalog),
                catalog,
                errors,
            };
            Ok(form_with_errors(&ctx, "New endpoint".into(), form, "New endpoint").await)
        }
        Err(e) => Err(e.into()),
    }
}

async fn edit_endpoint(
    State(state): State<AppState>,
    Admin(ctx, _): Admin,
    Path(id): Path<String>,
) -> HtmlResult<FormPage> {
    let endpoint = endpoints::get(&state.db, &parse_id(&id)?).await?;
    let catalog = catalog(&state).await?;
    let title = format!("Edit {}", display_name(&endpoint));
    Ok(FormPage {
        form: FormFragment {
            csrf: ctx.csrf.clone(),
            action: format!("/webhooks/{}", endpoint.id),
            submit_label: "Save changes",
            cancel: format!("/webhooks/{}", endpoint.id),
            v: FormValues::of(&endpoint, &catalog),
            catalog,
            errors: FieldErrors::default(),
        },
        chrome: ctx.chrome("webhooks", title.clone()).await,
        heading: title,
    })
}

async fn update_endpoint(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<EndpointForm>,
) -> HtmlResult {
    let id = parse_id(&id)?;
    let current = endpoints::get(&state.db, &id).await?;
    let catalog = catalog(&state).await?;
    let (mut input, errors) = to_input(&form);
    // Unchanged subscriptions are not re-checked against the catalog (archived types stay).
    if input.events.as_ref() == Some(&current.spec.events) {
        input.events = None;
    }
    let updated = if errors.is_empty() {
        endpoints::update_from_input(&state.db, &id, input, &state).await
    } else {
        Err(Error::Invalid(errors))
    };
    match updated {
        Ok(endpoint) => {
            tracing::info!(user = %user.id, endpoint = %endpoint.id, "endpoint updated");
            ctx.flash("success", "The endpoint was saved.").await;
            Ok(ctx.redirect(&format!("/webhooks/{id}")))
        }
        Err(Error::Invalid(errors)) => {
            let title = format!("Edit {}", display_name(&current));
            let form = FormFragment {
                csrf: ctx.csrf.clone(),
                action: format!("/webhooks/{id}"),
                submit_label: "Save changes",
                cancel: format!("/webhooks/{id}"),
                v: FormValues::from_form(&form, &catalog),
                catalog,
                errors,
            };
            Ok(form_with_errors(&ctx, title.clone(), form, &title).await)
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) fn display_name(e: &Endpoint) -> String {
    if e.spec.name.is_empty() {
        e.spec.url.clone()
    } else {
        e.spec.name.clone()
    }
}

// ---- show, toggle, rotate ------------------------------------------------------------------

/// The enable/disable switch; htmx swaps it in place.
#[derive(Template, WebTemplate)]
#[template(path = "endpoints/_toggle.html")]
struct ToggleFragment {
    csrf: String,
    id: String,
    enabled: bool,
    disabled_reason: Option<String>,
    admin: bool,
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
    history: HistoryFragment,
    verify: Vec<Language>,
    secret_env: &'static str,
    replay: super::replays::ReplayPanel,
}

/// The endpoint page. `test` replaces the default test panel (after a send); `history` is the
/// history's query (filters and cursor from the address).
pub(super) async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    e: Endpoint,
    revealed: Option<String>,
    test: Option<TestPanel>,
    history: HistoryQuery,
) -> Result<ShowPage, Error> {
    let chrome = ctx.chrome("webhooks", display_name(&e)).await;
    let admin = chrome.is_admin();
    let replay = super::replays::panel(state, &ctx.csrf, admin, &e.id).await?;
    let test = match (admin, test) {
        (false, _) => None,
        (true, Some(t)) => Some(t),
        (true, None) => Some(TestPanel::new(
            &e.id,
            &ctx.csrf,
            &TestCatalog::load(state).await?,
            "",
        )),
    };
    let history = endpoint_history::load(
        state,
        &e.id,
        HistoryQuery {
            view: "endpoint".into(),
            poll: String::new(),
            ..history
        },
        format!("/webhooks/{}", e.id),
    )
    .await?
    .0;
    Ok(ShowPage {
        toggle: ToggleFragment {
            csrf: ctx.csrf.clone(),
            id: e.id.to_string(),
            enabled: e.spec.enabled,
            disabled_reason: e.disabled_reason.clone(),
            admin,
        },
        banner: BannerFragment::new(&e, &ctx.csrf, admin, false),
        stats: endpoint_panels::stats(state, &e).await?,
        verify: endpoint_panels::verify_panel(&e)?,
        secret_env: endpoint_panels::SECRET_ENV,
        test,
        history,
        chrome,
        e,
        revealed,
        replay,
    })
}

#[derive(Deserialize)]
struct ShowQuery {
    /// "Load example" without JS: the test panel with this type's example.
    #[serde(default)]
    test_type: String,
}

async fn show_endpoint(
    State(state): State<AppState>,
    SignedIn(ctx, _): SignedIn,
    Path(id): Path<String>,
    Query(show): Query<ShowQuery>,
    Query(history): Query<HistoryQuery>,
) -> HtmlResult<ShowPage> {
    let endpoint = endpoints::get(&state.db, &parse_id(&id)?).await?;
    let test = if show.test_type.is_empty() {
        None
    } else {
        let catalog = TestCatalog::load(&state).await?;
        Some(TestPanel::new(
            &endpoint.id,
            &ctx.csrf,
            &catalog,
            &show.test_type,
        ))
    };
    Ok(show_page(&state, &ctx, endpoint, None, test, history).await?)
}

/// The toggle's htmx answer: the switch, and the disabled banner replaced out of band.
#[derive(Template, WebTemplate)]
#[template(path = "endpoints/_toggle_swap.html")]
struct ToggleSwap {
    toggle: ToggleFragment,
    banner: BannerFragment,
}

#[derive(Deserialize)]
struct EnabledForm {
    enabled: String,
    /// Where to go afterwards (the overview's re-enable button comes back to it).
    next: Option<String>,
}

async fn set_enabled(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<EnabledForm>,
) -> HtmlResult {
    let id = parse_id(&id)?;
    let enabled = match form.enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(Error::BadRequest("enabled must be true or false".into()).into()),
    };
    let endpoint = endpoints::set_enabled(&state.db, &id, enabled).await?;
    tracing::info!(user = %user.id, endpoint = %id, enabled, "endpoint toggled");
    if ctx.htmx {
        return Ok(ToggleSwap {
            banner: BannerFragment::new(&endpoint, &ctx.csrf, true, true),
            toggle: ToggleFragment {
                csrf: ctx.csrf.clone(),
                id: id.to_string(),
                enabled: endpoint.spec.enabled,
                disabled_reason: endpoint.disabled_reason,
                admin: true,
            },
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
    let here = format!("/webhooks/{id}");
    Ok(ctx.redirect(super::safe_next(form.next.as_deref().or(Some(&here)))))
}

/// Answers with the page and the new secret in it; a reload shows it masked.
async fn rotate_secret(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> HtmlResult<ShowPage> {
    let id = parse_id(&id)?;
    let (endpoint, secret) = endpoints::rotate_secret(&state.db, &state.keyring, &id, None).await?;
    tracing::info!(user = %user.id, endpoint = %id, "endpoint secret rotated");
    Ok(show_page(
        &state,
        &ctx,
        endpoint,
        Some(secret.expose().to_owned()),
        None,
        HistoryQuery::default(),
    )
    .await?)
}

// ---- delete --------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "endpoints/delete.html")]
struct DeletePage {
    chrome: Chrome,
    e: Endpoint,
}

async fn confirm_delete(
    State(state): State<AppState>,
    Admin(ctx, _): Admin,
    Path(id): Path<String>,
) -> HtmlResult<DeletePage> {
    let e = endpoints::get(&state.db, &parse_id(&id)?).await?;
    Ok(DeletePage {
        chrome: ctx.chrome("webhooks", "Delete endpoint").await,
        e,
    })
}

async fn delete_endpoint(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> HtmlResult {
    let id = parse_id(&id)?;
    let e = endpoints::get(&state.db, &id).await?;
    endpoints::delete(&state.db, &id).await?;
    tracing::info!(user = %user.id, endpoint = %id, "endpoint deleted");
    ctx.flash(
        "success",
        format!("The endpoint “{}” was deleted.", display_name(&e)),
    )
    .await;
    Ok(ctx.redirect("/webhooks"))
}
