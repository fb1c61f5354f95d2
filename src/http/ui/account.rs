//! The signed-in user's own account: who they are, and a form to change their password (which
//! ends their other sessions and keeps this one).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Chrome, CsrfForm, FormErrors, HtmlResult, SignedIn, paths};
use crate::error::{Error, FieldErrors};
use crate::http::client_ip::ClientIp;
use crate::state::AppState;
use crate::users::{self, User};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::ACCOUNT, get(show_account))
        .route(paths::ACCOUNT_PASSWORD, post(change_password))
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    me: User,
    errors: FormErrors,
}

async fn show_account(SignedIn(ctx, me): SignedIn) -> HtmlResult<AccountPage> {
    Ok(AccountPage {
        chrome: ctx.chrome("account", "Your account").await,
        me,
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    SignedIn(ctx, me): SignedIn,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> HtmlResult {
    // Guessing the current password here costs as much as guessing it at the login form.
    let result = match state.login_throttle.check(&me.email, client) {
        Err(e) => Err(e),
        Ok(()) => match users::validate_new_password(&form.password, &form.password_confirm)
            .into_result()
        {
            Ok(()) => {
                users::change_password(&state.db, &me.id, &form.current_password, &form.password)
                    .await
            }
            Err(e) => Err(e),
        },
    };
    let (status, errors) = match result {
        Ok(()) => {
            ctx.sign_in(&state.db, &me).await?;
            tracing::info!(user = %me.id, "password changed; other sessions ended");
            ctx.flash(
                "success",
                "Your password was changed. Your other sessions were signed out.",
            )
            .await;
            return Ok(ctx.redirect(paths::ACCOUNT));
        }
        Err(Error::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(Error::RateLimited(m)) => (
            StatusCode::TOO_MANY_REQUESTS,
            FieldErrors::single("current_password", m),
        ),
        Err(e) => return Err(e.into()),
    };
    let page = AccountPage {
        chrome: ctx.chrome("account", "Your account").await,
        me,
        errors,
    };
    Ok((status, page).into_response())
}
