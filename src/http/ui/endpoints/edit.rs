//! Creating and editing an endpoint. A create answers with the endpoint page itself, since the
//! signing secret exists only in that response.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::form::{EndpointForm, FormValues, to_input};
use super::show::{self, ShowPage};
use crate::endpoints::{self, Endpoint};
use crate::error::{Error, FieldErrors};
use crate::event_types::EventType;
use crate::http::PathId;
use crate::http::ui::ctx::{push_url, replace_main};
use crate::http::ui::tenants::column::suggestions;
use crate::http::ui::{
    Changer, Chrome, CsrfForm, Ctx, FormErrors, HtmlResult, Viewer, catalog, paths,
};
use crate::ids::EndpointId;
use crate::state::AppState;
use crate::tenants::{self, TenantUid, Visibility};

/// The form alone: what an htmx submit gets back (422 with errors).
#[derive(Template, WebTemplate)]
#[template(path = "endpoints/_form.html")]
struct FormFragment {
    base: &'static str,
    csrf: String,
    action: String,
    submit_label: &'static str,
    cancel: String,
    v: FormValues,
    catalog: Vec<EventType>,
    errors: FormErrors,
    /// At creation the tenant can be chosen (these uids are suggested); afterwards it is shown.
    tenant_editable: bool,
    tenant_uids: Vec<TenantUid>,
}

impl FormFragment {
    fn create(
        ctx: &Ctx,
        v: FormValues,
        catalog: Vec<EventType>,
        errors: FieldErrors,
        tenant_uids: Vec<TenantUid>,
    ) -> Self {
        FormFragment {
            base: ctx.base,
            csrf: ctx.csrf.clone(),
            action: ctx.at(paths::ENDPOINTS),
            submit_label: "Create endpoint",
            cancel: ctx.at(paths::ENDPOINTS),
            v,
            catalog,
            errors,
            // On the portal the tenant is the session's: nothing to choose, nothing to suggest.
            tenant_editable: ctx.portal.is_none(),
            tenant_uids,
        }
    }

    /// Offer the tenant field: the install has tenants, or one was typed.
    fn tenant_field(&self) -> bool {
        !self.tenant_uids.is_empty() || !self.v.tenant.is_empty()
    }

    fn update(
        ctx: &Ctx,
        id: &EndpointId,
        v: FormValues,
        catalog: Vec<EventType>,
        errors: FieldErrors,
    ) -> Self {
        FormFragment {
            base: ctx.base,
            csrf: ctx.csrf.clone(),
            action: ctx.at(&paths::endpoint(id)),
            submit_label: "Save changes",
            cancel: ctx.at(&paths::endpoint(id)),
            v,
            catalog,
            errors,
            tenant_editable: false,
            tenant_uids: vec![],
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "endpoints/form.html")]
pub(super) struct FormPage {
    chrome: Chrome,
    heading: String,
    form: FormFragment,
}

/// A form with errors: the fragment for htmx, the whole page otherwise; 422 either way.
async fn form_with_errors(ctx: &Ctx, heading: String, form: FormFragment) -> Response {
    if ctx.htmx {
        (StatusCode::UNPROCESSABLE_ENTITY, form).into_response()
    } else {
        let page = FormPage {
            chrome: ctx.chrome("webhooks", heading.clone()).await,
            heading,
            form,
        };
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    }
}

fn edit_title(e: &Endpoint) -> String {
    format!("Edit {}", e.display_name())
}

pub(super) async fn new_endpoint(
    State(state): State<AppState>,
    Changer(Viewer { ctx, who, .. }): Changer,
) -> HtmlResult<FormPage> {
    let catalog = catalog::active(&state).await?;
    let uids = tenant_suggestions(&state, &who).await?;
    Ok(FormPage {
        form: FormFragment::create(
            &ctx,
            FormValues::blank(),
            catalog,
            FieldErrors::default(),
            uids,
        ),
        chrome: ctx.chrome("webhooks", "New endpoint").await,
        heading: "New endpoint".into(),
    })
}

/// Tenant uids the create form suggests: an operator's choice; none on the portal (another
/// tenant's uid is not the portal's to see).
async fn tenant_suggestions(state: &AppState, who: &Visibility) -> HtmlResult<Vec<TenantUid>> {
    Ok(match who {
        Visibility::Everything => suggestions(&state.db).await?,
        Visibility::Tenant(_) => vec![],
    })
}

/// For htmx, the page's `<main>` replaces the current one and the URL is pushed.
pub(super) async fn create_endpoint(
    State(state): State<AppState>,
    Changer(Viewer {
        ctx, who, actor, ..
    }): Changer,
    CsrfForm(form): CsrfForm<EndpointForm>,
) -> HtmlResult {
    let catalog = catalog::active(&state).await?;
    let (input, mut errors) = to_input(&form);
    let created = if errors.is_empty() {
        endpoints::create_from_input(&state.db, &state.keyring, &who, input, &state).await
    } else {
        // Report the domain's field errors too, not only the form's own.
        // Whether a named tenant exists is only an operator's to learn.
        if let (Visibility::Everything, Some(uid)) = (&who, input.tenant.as_deref()) {
            match tenants::existing(&state.db, "tenant", uid).await {
                Err(Error::Invalid(more)) => {
                    for (k, v) in more.0 {
                        errors.add(k, v);
                    }
                }
                Err(e) => return Err(e.into()),
                Ok(_) => {}
            }
        }
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
            tracing::info!(by = %actor, endpoint = %endpoint.id, "endpoint created");
            let url = ctx.at(&paths::endpoint(&endpoint.id));
            let page: ShowPage = show::page(
                &state,
                &ctx,
                endpoint,
                Some(secret.expose().to_owned()),
                None,
                Default::default(),
            )
            .await?;
            let mut resp = page.into_response();
            if ctx.htmx {
                replace_main(&mut resp, "outerHTML scroll:top scrollTarget:window");
                push_url(&mut resp, &url);
            }
            Ok(resp)
        }
        Err(Error::Invalid(errors)) => {
            let v = FormValues::from_form(&form, &catalog);
            let uids = tenant_suggestions(&state, &who).await?;
            let form = FormFragment::create(&ctx, v, catalog, errors, uids);
            Ok(form_with_errors(&ctx, "New endpoint".into(), form).await)
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn edit_endpoint(
    State(state): State<AppState>,
    Changer(Viewer { ctx, who, .. }): Changer,
    PathId(id): PathId<EndpointId>,
) -> HtmlResult<FormPage> {
    let id = who.check(&state.db, id).await?;
    let endpoint = endpoints::get(&state.db, &id).await?;
    let catalog = catalog::active(&state).await?;
    let title = edit_title(&endpoint);
    let v = FormValues::of(&endpoint, &catalog);
    Ok(FormPage {
        form: FormFragment::update(&ctx, &id, v, catalog, FieldErrors::default()),
        chrome: ctx.chrome("webhooks", title.clone()).await,
        heading: title,
    })
}

pub(super) async fn update_endpoint(
    State(state): State<AppState>,
    Changer(Viewer {
        ctx, who, actor, ..
    }): Changer,
    PathId(id): PathId<EndpointId>,
    CsrfForm(form): CsrfForm<EndpointForm>,
) -> HtmlResult {
    let id = who.check(&state.db, id).await?;
    let current = endpoints::get(&state.db, &id).await?;
    let catalog = catalog::active(&state).await?;
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
            tracing::info!(by = %actor, endpoint = %endpoint.id, "endpoint updated");
            ctx.flash("success", "The endpoint was saved.").await;
            Ok(ctx.redirect(&ctx.at(&paths::endpoint(&id))))
        }
        Err(Error::Invalid(errors)) => {
            let v = FormValues {
                // The edit form does not send it: it cannot change.
                tenant: current
                    .tenant
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                ..FormValues::from_form(&form, &catalog)
            };
            let form = FormFragment::update(&ctx, &id, v, catalog, errors);
            Ok(form_with_errors(&ctx, edit_title(&current), form).await)
        }
        Err(e) => Err(e.into()),
    }
}
