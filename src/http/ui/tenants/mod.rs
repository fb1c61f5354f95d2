//! The Tenants pages: the list with each tenant's endpoints and 24 h health, search and paging,
//! a create form; the tenant page (`show`); deletion behind a page that says how much goes
//! (`delete`). `column` is the tenant column other lists show.
//!
//! Uses run one way: this router → `show`, `delete`, `column` (leaves).

pub mod column;
mod delete;
mod show;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::ctx::push_url;
use super::paths::{self, query, with_query};
use super::{Admin, Chrome, CsrfForm, Ctx, FormErrors, HtmlResult, SignedIn};
use crate::endpoints::{self, TenantEndpoints};
use crate::error::{Error, FieldErrors};
use crate::state::AppState;
use crate::stats::{self, TenantDeliveries};
use crate::tenants::{self, Tenant, TenantUid};
use crate::timestamp::Timestamp;

const PAGE_SIZE: u32 = 25;
/// The health window of the list: the overview's 24 hours.
const HOURS: usize = 24;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::TENANTS, get(list_tenants).post(create_tenant))
        .route(
            "/tenants/{uid}",
            get(show::show_tenant).post(show::rename_tenant),
        )
        .route("/tenants/{uid}/portal", post(show::open_portal))
        .route(
            "/tenants/{uid}/delete",
            get(delete::confirm_delete).post(delete::delete_tenant),
        )
}

/// One row of the list.
struct Row {
    t: Tenant,
    endpoints: TenantEndpoints,
    day: TenantDeliveries,
}

impl Row {
    fn success_rate(&self) -> String {
        rate(self.day.success_rate())
    }
    /// Something was not delivered in the window: the rate shows in red.
    fn troubled(&self) -> bool {
        self.day.failed + self.day.retrying > 0
    }
}

fn rate(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.1}%"))
        .unwrap_or_else(|| "–".to_owned())
}

/// The create form; htmx swaps it in place when it has errors.
#[derive(Template, WebTemplate)]
#[template(path = "tenants/_create.html")]
struct CreateFragment {
    csrf: String,
    uid: String,
    name: String,
    errors: FormErrors,
}

/// The table and its pager: what htmx swaps when searching or paging.
#[derive(Template, WebTemplate)]
#[template(path = "tenants/_results.html")]
struct ResultsFragment {
    q: String,
    rows: Vec<Row>,
    /// The next page's address.
    next: Option<String>,
    /// This is not the first page: its address.
    first: Option<String>,
}

impl ResultsFragment {
    /// Not searching, on the first page, and nothing there: the install has no tenants.
    fn none_at_all(&self) -> bool {
        self.rows.is_empty() && self.q.is_empty() && self.first.is_none()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "tenants/list.html")]
struct ListPage {
    chrome: Chrome,
    results: ResultsFragment,
    /// For admins only.
    create: Option<CreateFragment>,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    q: String,
    after: Option<String>,
}

/// For htmx (search, paging) only the results, with the address pushed.
async fn list_tenants(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Query(lq): Query<ListQuery>,
) -> HtmlResult {
    if ctx.htmx {
        let (results, here) = results(&state, lq).await?;
        let mut resp = results.into_response();
        push_url(&mut resp, &here);
        return Ok(resp);
    }
    let create = user.is_admin().then(|| CreateFragment {
        csrf: ctx.csrf.clone(),
        uid: String::new(),
        name: String::new(),
        errors: FieldErrors::default(),
    });
    Ok(page(&state, &ctx, lq, create).await?.into_response())
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    lq: ListQuery,
    create: Option<CreateFragment>,
) -> Result<ListPage, Error> {
    Ok(ListPage {
        chrome: ctx.chrome("tenants", "Tenants").await,
        results: results(state, lq).await?.0,
        create,
    })
}

/// A page of tenants with their counts, and its own address.
async fn results(state: &AppState, lq: ListQuery) -> Result<(ResultsFragment, String), Error> {
    let q = lq.q.trim().to_owned();
    let after = lq.after.as_deref().and_then(TenantUid::parse);
    let mut found =
        tenants::list(&state.db, Some(q.as_str()), after.as_ref(), PAGE_SIZE + 1).await?;
    let more = found.len() > PAGE_SIZE as usize;
    found.truncate(PAGE_SIZE as usize);
    let uids: Vec<&TenantUid> = found.iter().map(|t| &t.uid).collect();
    let mut counts = endpoints::count_by_tenant(&state.db, &uids).await?;
    let mut days = stats::by_tenant(&state.db, &uids, Timestamp::now(), HOURS).await?;
    let list_url = |after: Option<&TenantUid>| {
        let mut pairs = vec![];
        if !q.is_empty() {
            pairs.push(("q", q.clone()));
        }
        if let Some(a) = after {
            pairs.push(("after", a.to_string()));
        }
        with_query(paths::TENANTS, &query(&pairs))
    };
    let here = list_url(after.as_ref());
    let next = more.then(|| list_url(found.last().map(|t| &t.uid)));
    let first = after.is_some().then(|| list_url(None));
    let rows = found
        .into_iter()
        .map(|t| Row {
            endpoints: counts.remove(&t.uid).unwrap_or_default(),
            day: days.remove(&t.uid).unwrap_or_default(),
            t,
        })
        .collect();
    let results = ResultsFragment {
        q,
        rows,
        next,
        first,
    };
    Ok((results, here))
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    uid: String,
    #[serde(default)]
    name: String,
}

/// Success goes to the new tenant's page; errors show in the form (the fragment for htmx, the
/// whole list otherwise; 422 either way).
async fn create_tenant(
    State(state): State<AppState>,
    Admin(ctx, user): Admin,
    CsrfForm(form): CsrfForm<CreateForm>,
) -> HtmlResult {
    let errors = match tenants::create(&state.db, form.uid.trim(), &form.name).await {
        Ok(t) => {
            tracing::info!(user = %user.id, tenant = %t.uid, "tenant created");
            ctx.flash(
                "success",
                format!("The tenant “{}” was created.", t.display_name()),
            )
            .await;
            return Ok(ctx.redirect(&paths::tenant(&t.uid)));
        }
        Err(Error::Invalid(errors)) => errors,
        Err(Error::Conflict(_)) => {
            let mut errors = FieldErrors::default();
            errors.add("uid", "A tenant with this uid already exists.");
            errors
        }
        Err(e) => return Err(e.into()),
    };
    let fragment = CreateFragment {
        csrf: ctx.csrf.clone(),
        uid: form.uid,
        name: form.name,
        errors,
    };
    let resp: Response = if ctx.htmx {
        (StatusCode::UNPROCESSABLE_ENTITY, fragment).into_response()
    } else {
        let page = page(&state, &ctx, ListQuery::default(), Some(fragment)).await?;
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    };
    Ok(resp)
}
