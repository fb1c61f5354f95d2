//! Sign in, sign out and first-run setup.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::ctx::safe_next;
use super::{Chrome, CsrfForm, Ctx, FormErrors, HtmlResult, NoFields, paths};
use crate::error::{Error, FieldErrors};
use crate::http::client_ip::ClientIp;
use crate::state::AppState;
use crate::users::{self, Role};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::LOGIN, get(show_login).post(login))
        .route(paths::LOGOUT, post(logout))
        .route(paths::SETUP, get(show_setup).post(setup))
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn show_login(ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    let next = safe_next(q.next.as_deref()).to_owned();
    if ctx.user.is_some() {
        return ctx.redirect(&next);
    }
    LoginPage {
        chrome: ctx.chrome("", "Sign in").await,
        email: String::new(),
        next,
        error: None,
    }
    .into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> HtmlResult {
    let next = safe_next(form.next.as_deref()).to_owned();
    let (status, error) = match state.login_throttle.check(&form.email, client) {
        Err(Error::RateLimited(m)) => (StatusCode::TOO_MANY_REQUESTS, m),
        Err(e) => return Err(e.into()),
        Ok(()) => match users::authenticate(&state.db, &form.email, &form.password).await? {
            Some(user) => {
                ctx.sign_in(&state.db, &user).await?;
                tracing::info!(user = %user.id, "signed in");
                return Ok(ctx.redirect(&next));
            }
            None => (
                StatusCode::UNAUTHORIZED,
                "Wrong email or password.".to_owned(),
            ),
        },
    };
    let page = LoginPage {
        chrome: ctx.chrome("", "Sign in").await,
        email: form.email,
        next,
        error: Some(error),
    };
    Ok((status, page).into_response())
}

async fn logout(ctx: Ctx, CsrfForm(_): CsrfForm<NoFields>) -> HtmlResult {
    ctx.session
        .flush()
        .await
        .map_err(|e| Error::Internal(e.into()))?;
    Ok(ctx.redirect(paths::LOGIN))
}

#[derive(Template, WebTemplate)]
#[template(path = "setup.html")]
struct SetupPage {
    chrome: Chrome,
    token: String,
    email: String,
    errors: FormErrors,
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// Shown for a setup link once an admin exists: the link did its work; sign in instead.
#[derive(Template, WebTemplate)]
#[template(path = "setup_used.html")]
struct SetupUsedPage {
    chrome: Chrome,
}

/// A setup link that no longer works: "used" (with the way to sign in) once an admin exists,
/// else not found (a wrong token).
async fn setup_closed(state: &AppState, ctx: &Ctx) -> HtmlResult {
    if users::count(&state.db).await? == 0 {
        return Err(Error::NotFound("setup link").into());
    }
    let page = SetupUsedPage {
        chrome: ctx.chrome("", "Setup link used").await,
    };
    Ok((StatusCode::GONE, page).into_response())
}

async fn show_setup(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<TokenQuery>,
) -> HtmlResult {
    let token = q.token.unwrap_or_default();
    if !state.setup.is_valid(&token) {
        return setup_closed(&state, &ctx).await;
    }
    let page = SetupPage {
        chrome: ctx.chrome("", "Set up hookd").await,
        token,
        email: String::new(),
        errors: FieldErrors::default(),
    };
    Ok(page.into_response())
}

#[derive(Deserialize)]
struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn setup(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> HtmlResult {
    if !state.setup.is_valid(&form.token) || users::count(&state.db).await? > 0 {
        return setup_closed(&state, &ctx).await;
    }
    let mut errors = users::validate(&form.email, &form.password);
    if form.password != form.password_confirm {
        errors.add("password_confirm", "The two passwords do not match.");
    }
    let result = match errors.into_result() {
        Ok(()) => users::create(&state.db, &form.email, &form.password, Role::Admin).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(user) => {
            state.setup.spend();
            ctx.sign_in(&state.db, &user).await?;
            ctx.flash(
                "success",
                format!(
                    "Welcome! You are signed in as {}, the first admin.",
                    user.email
                ),
            )
            .await;
            tracing::info!(user = %user.id, "first admin created through setup");
            Ok(ctx.redirect(paths::OVERVIEW))
        }
        Err(Error::Invalid(errors)) => {
            let page = SetupPage {
                chrome: ctx.chrome("", "Set up hookd").await,
                token: form.token,
                email: form.email,
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
