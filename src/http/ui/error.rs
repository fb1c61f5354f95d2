//! How a domain error reaches a person (kanidm's `HtmxError`): a full error page for the
//! browser, a toast for htmx. 5xx details go to the log only.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Chrome;
use super::ctx::is_htmx;
use crate::error::Error;

/// A domain error as an HTML page.
pub struct HtmlError(pub Error);

impl<E: Into<Error>> From<E> for HtmlError {
    fn from(e: E) -> Self {
        HtmlError(e.into())
    }
}

pub type HtmlResult<T = Response> = Result<T, HtmlError>;

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    view: ErrorView,
}

/// What a person is told: a heading and a sentence. Kept in the response's extensions, so
/// `htmx_errors_as_toasts` can say the same in a toast.
#[derive(Clone)]
struct ErrorView {
    heading: &'static str,
    message: String,
}

impl ErrorView {
    fn of(e: Error) -> ErrorView {
        let (heading, message) = match e {
            Error::NotFound(what) => (
                "Not found",
                format!("That {what} does not exist, or it was deleted."),
            ),
            Error::Forbidden(m) => ("Not allowed", m),
            Error::Unauthorized(m) => ("Sign in required", m),
            Error::Conflict(m) => ("Cannot do that", m),
            Error::BadRequest(m) => ("Bad request", m),
            Error::RateLimited(m) => ("Slow down", m),
            Error::Unavailable(m) => ("Try again shortly", m),
            Error::PayloadTooLarge(n) => {
                ("Too large", format!("The form is larger than {n} bytes."))
            }
            Error::Invalid(fields) => (
                "Please check the form",
                fields
                    .0
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Error::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "internal error");
                (
                    "Something went wrong",
                    "hookd hit an internal error; the details are in its log.".to_owned(),
                )
            }
        };
        ErrorView { heading, message }
    }
}

impl IntoResponse for HtmlError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let retry_after = self.0.retry_after();
        let view = ErrorView::of(self.0);
        let page = ErrorPage {
            chrome: Chrome::bare(view.heading),
            status: status.as_u16(),
            view: view.clone(),
        };
        let mut resp = (status, page).into_response();
        if let Some(secs) = retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp.extensions_mut().insert(view);
        resp
    }
}

/// An error page drawn again in `chrome`'s layout (the portal's branding instead of the bare
/// operator one); other responses pass unchanged.
pub fn in_layout(resp: Response, chrome: Chrome) -> Response {
    let Some(view) = resp.extensions().get::<ErrorView>().cloned() else {
        return resp;
    };
    let (mut parts, _) = resp.into_parts();
    let page = ErrorPage {
        chrome: Chrome {
            title: view.heading.to_owned(),
            ..chrome
        },
        status: parts.status.as_u16(),
        view,
    };
    match page.render() {
        Ok(html) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(html))
        }
        Err(e) => {
            tracing::error!(error = %e, "could not render the error page");
            Response::from_parts(parts, Body::empty())
        }
    }
}

/// The error as htmx shows it: into base.html's toast region.
#[derive(Template)]
#[template(path = "_toast.html")]
struct Toast<'a> {
    view: &'a ErrorView,
}

/// htmx 4 swaps 4xx/5xx answers into the request's target like any other, so an error page
/// would land inside a fragment (a table row, the toggle). For htmx requests the error's page
/// is replaced by a toast, retargeted to `#toasts`; the status stays, and so do headers such as
/// the session cookie.
pub async fn htmx_errors_as_toasts(req: Request, next: Next) -> Response {
    let htmx = is_htmx(req.headers());
    let resp = next.run(req).await;
    let Some(view) = resp.extensions().get::<ErrorView>().cloned() else {
        return resp;
    };
    if !htmx {
        return resp;
    }
    let html = match (Toast { view: &view }).render() {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "could not render the error toast");
            return resp;
        }
    };
    let (mut parts, _) = resp.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert("hx-retarget", HeaderValue::from_static("#toasts"));
    parts
        .headers
        .insert("hx-reswap", HeaderValue::from_static("innerHTML"));
    Response::from_parts(parts, Body::from(html))
}
