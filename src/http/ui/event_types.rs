//! Event-type catalog page: the table, an add form, and per type an edit form and archive or
//! unarchive buttons (admins only).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Admin, Chrome, CsrfForm, Ctx, FormErrors, HtmlResult, NoFields, Viewer, paths};
use crate::error::{Error, FieldErrors};
use crate::event_types::{self, EventType, EventTypeChanges, NewEventType};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            paths::EVENT_TYPES,
            get(list_event_types).post(create_event_type),
        )
        .route("/event-types/{name}/archive", post(archive_event_type))
        .route("/event-types/{name}/unarchive", post(unarchive_event_type))
        .route("/event-types/{name}/edit", post(edit_event_type))
}

/// The catalog to read (the portal's): the list, no changes.
pub fn read_router() -> Router<AppState> {
    Router::new().route(paths::EVENT_TYPES, get(list_event_types))
}

#[derive(Template, WebTemplate)]
#[template(path = "event_types.html")]
struct EventTypesPage {
    chrome: Chrome,
    types: Vec<EventType>,
    show_archived: bool,
    form: AddForm,
    errors: FormErrors,
    /// A refused edit: the row's form shows what was typed and why.
    edit: Option<(String, EditForm, FormErrors)>,
    no_errors: FormErrors,
}

impl EventTypesPage {
    fn edit_of(&self, t: &EventType) -> Option<&(String, EditForm, FormErrors)> {
        self.edit.as_ref().filter(|(name, _, _)| *name == t.name)
    }
    fn edit_description(&self, t: &EventType) -> String {
        self.edit_of(t)
            .map_or_else(|| t.description.clone(), |e| e.1.description.clone())
    }
    fn edit_example(&self, t: &EventType) -> String {
        self.edit_of(t)
            .map_or_else(|| t.example_pretty(), |e| e.1.example.clone())
    }
    fn edit_errors(&self, t: &EventType) -> &FormErrors {
        self.edit_of(t).map_or(&self.no_errors, |e| &e.2)
    }
}

#[derive(Deserialize, Default)]
struct EditForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    example: String,
}

#[derive(Deserialize, Default)]
struct AddForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    example: String,
}

#[derive(Deserialize)]
struct ListQuery {
    archived: Option<String>,
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    show_archived: bool,
    form: AddForm,
    errors: FieldErrors,
) -> HtmlResult<EventTypesPage> {
    Ok(EventTypesPage {
        chrome,
        types: event_types::list(&state.db, show_archived, None, 1000).await?,
        show_archived,
        form,
        errors,
        edit: None,
        no_errors: FieldErrors::default(),
    })
}

async fn list_event_types(
    State(state): State<AppState>,
    Viewer { ctx, .. }: Viewer,
    Query(q): Query<ListQuery>,
) -> HtmlResult<EventTypesPage> {
    let show_archived = q.archived.is_some_and(|a| a == "1" || a == "true");
    let chrome = ctx.chrome("event-types", "Event types").await;
    page(
        &state,
        chrome,
        show_archived,
        AddForm::default(),
        FieldErrors::default(),
    )
    .await
}

/// The example textarea as JSON: empty is none; anything else must parse.
fn parse_example(text: &str) -> Result<Option<serde_json::Value>, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| Error::invalid("example", format!("This is not valid JSON: {e}.")))
}

async fn create_event_type(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    CsrfForm(form): CsrfForm<AddForm>,
) -> HtmlResult {
    let created = match parse_example(&form.example) {
        Ok(example) => {
            event_types::create(
                &state.db,
                NewEventType {
                    name: form.name.trim().to_owned(),
                    description: form.description.clone(),
                    example,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(t) => {
            tracing::info!(user = %user.id, event_type = %t.name, "event type added");
            ctx.flash("success", format!("Added the event type {}.", t.name))
                .await;
            Ok(ctx.redirect(paths::EVENT_TYPES))
        }
        Err(Error::Invalid(errors)) => invalid(&state, &ctx, form, errors).await,
        Err(Error::Conflict(_)) => {
            let errors =
                FieldErrors::single("name", "An event type with this name already exists.");
            invalid(&state, &ctx, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn invalid(state: &AppState, ctx: &Ctx, form: AddForm, errors: FieldErrors) -> HtmlResult {
    let chrome = ctx.chrome("event-types", "Event types").await;
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        page(state, chrome, false, form, errors).await?,
    )
        .into_response())
}

async fn archive_event_type(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    Path(name): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> HtmlResult {
    let t = event_types::archive(&state.db, &name).await?;
    tracing::info!(user = %user.id, event_type = %t.name, "event type archived");
    ctx.flash(
        "success",
        format!(
            "Archived {}; it can no longer be sent or subscribed to. Unarchive it (under Show archived) to restore it.",
            t.name
        ),
    )
    .await;
    Ok(ctx.redirect(paths::EVENT_TYPES))
}

async fn unarchive_event_type(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    Path(name): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> HtmlResult {
    let changes = EventTypeChanges {
        archived: Some(false),
        ..EventTypeChanges::default()
    };
    let t = event_types::update(&state.db, &name, changes).await?;
    tracing::info!(user = %user.id, event_type = %t.name, "event type unarchived");
    ctx.flash(
        "success",
        format!("Restored {}; applications can send it again.", t.name),
    )
    .await;
    Ok(ctx.redirect(paths::EVENT_TYPES))
}

async fn edit_event_type(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    Path(name): Path<String>,
    CsrfForm(form): CsrfForm<EditForm>,
) -> HtmlResult {
    let saved = match parse_example(&form.example) {
        Ok(example) => {
            let changes = EventTypeChanges {
                description: Some(form.description.clone()),
                example: Some(example),
                archived: None,
            };
            event_types::update(&state.db, &name, changes).await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(t) => {
            tracing::info!(user = %user.id, event_type = %t.name, "event type edited");
            ctx.flash("success", format!("Saved {}.", t.name)).await;
            let back = if t.archived {
                format!("{}?archived=1", paths::EVENT_TYPES)
            } else {
                paths::EVENT_TYPES.to_owned()
            };
            Ok(ctx.redirect(&back))
        }
        Err(Error::Invalid(errors)) => {
            let archived = event_types::get(&state.db, &name)
                .await?
                .is_some_and(|t| t.archived);
            let chrome = ctx.chrome("event-types", "Event types").await;
            let mut page = page(
                &state,
                chrome,
                archived,
                AddForm::default(),
                FieldErrors::default(),
            )
            .await?;
            page.edit = Some((name, form, errors));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
