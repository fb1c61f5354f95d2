//! Users page (admins only): list, add, change role, set a new password, remove.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Admin, Chrome, CsrfForm, Ctx, FormErrors, HtmlResult, NoFields, paths};
use crate::error::{Error, FieldErrors};
use crate::http::PathId;
use crate::ids::UserId;
use crate::state::AppState;
use crate::users::{self, Role, User};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::USERS, get(list_users).post(create_user))
        .route("/users/{id}/role", post(change_role))
        .route("/users/{id}/delete", post(delete_user))
        .route("/users/{id}/password", post(reset_password))
}

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<User>,
    me: User,
    email: String,
    role: String,
    errors: FormErrors,
    /// A refused new password: that row's form opens with the reasons.
    reset: Option<(UserId, FormErrors)>,
    no_errors: FormErrors,
}

impl UsersPage {
    fn reset_errors(&self, u: &User) -> &FormErrors {
        match &self.reset {
            Some((id, errors)) if *id == u.id => errors,
            _ => &self.no_errors,
        }
    }
}

impl UsersPage {
    /// The page with empty forms.
    async fn load(state: &AppState, ctx: &Ctx, me: User) -> Result<UsersPage, Error> {
        Ok(UsersPage {
            chrome: ctx.chrome("users", "Users").await,
            users: users::list(&state.db).await?,
            me,
            email: String::new(),
            role: "viewer".into(),
            errors: FieldErrors::default(),
            reset: None,
            no_errors: FieldErrors::default(),
        })
    }
}

async fn list_users(State(state): State<AppState>, Admin(ctx, me): Admin) -> HtmlResult<UsersPage> {
    Ok(UsersPage::load(&state, &ctx, me).await?)
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
}

async fn create_user(
    State(state): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(form): CsrfForm<CreateForm>,
) -> HtmlResult {
    let result = match Role::parse(&form.role) {
        Some(role) => users::create(&state.db, &form.email, &form.password, role).await,
        None => Err(Error::invalid("role", "Choose admin or viewer.")),
    };
    match result {
        Ok(user) => {
            ctx.flash(
                "success",
                format!("Added {} as {}.", user.email, user.role.as_str()),
            )
            .await;
            Ok(ctx.redirect(paths::USERS))
        }
        Err(Error::Invalid(errors)) => {
            let page = UsersPage {
                email: form.email,
                role: form.role,
                errors,
                ..UsersPage::load(&state, &ctx, me).await?
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

async fn change_role(
    State(state): State<AppState>,
    Admin(ctx, _): Admin,
    PathId(id): PathId<UserId>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> HtmlResult {
    let role = Role::parse(&form.role)
        .ok_or_else(|| Error::BadRequest("role must be admin or viewer".into()))?;
    match users::set_role(&state.db, &id, role).await {
        Ok(()) => {
            ctx.flash("success", format!("Role changed to {}.", role.as_str()))
                .await
        }
        Err(Error::Conflict(m)) => ctx.flash("error", m).await,
        Err(e) => return Err(e.into()),
    }
    Ok(ctx.redirect(paths::USERS))
}

async fn delete_user(
    State(state): State<AppState>,
    Admin(ctx, _): Admin,
    PathId(id): PathId<UserId>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> HtmlResult {
    match users::delete(&state.db, &id).await {
        Ok(()) => ctx.flash("success", "User removed.").await,
        Err(Error::Conflict(m)) => ctx.flash("error", m).await,
        Err(e) => return Err(e.into()),
    }
    Ok(ctx.redirect(paths::USERS))
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// An admin sets someone's password (they forgot it): their sessions end.
async fn reset_password(
    State(state): State<AppState>,
    Admin(ctx, me): Admin,
    PathId(id): PathId<UserId>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> HtmlResult {
    let user = users::get(&state.db, &id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let result =
        match users::validate_new_password(&form.password, &form.password_confirm).into_result() {
            Ok(()) => users::reset_password(&state.db, &id, &form.password).await,
            Err(e) => Err(e),
        };
    match result {
        Ok(()) => {
            if id == me.id {
                // Their own: this session stays, as on the account page.
                ctx.sign_in(&state.db, &me).await?;
            }
            tracing::info!(admin = %me.id, user = %id, "password set by an admin");
            ctx.flash(
                "success",
                format!(
                    "Set a new password for {}; they were signed out everywhere.",
                    user.email
                ),
            )
            .await;
            Ok(ctx.redirect(paths::USERS))
        }
        Err(Error::Invalid(errors)) => {
            let page = UsersPage {
                reset: Some((id, errors)),
                ..UsersPage::load(&state, &ctx, me).await?
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
