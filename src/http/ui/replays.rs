//! Bulk replay on the endpoint page: the admin form "retry all failed deliveries since…", which
//! first answers with how many that is and a confirm button (`…/replays/preview`), and the latest
//! job's progress, which refreshes itself (htmx polls `/replays/{id}`) while it runs.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::local_time::{TypedZone, utc_text};
use super::{Changer, Chrome, CsrfForm, Ctx, FormErrors, HtmlResult, Viewer, paths};
use crate::endpoints;
use crate::error::{Error, FieldErrors};
use crate::http::PathId;
use crate::ids::{EndpointId, ReplayId};
use crate::replays::{self, Outcomes, Range, Replay};
use crate::state::AppState;
use crate::timestamp::Timestamp;

/// After a job has requeued everything, the progress keeps refreshing this long while some of
/// its deliveries are still pending, so the page shows how they fared.
const FOLLOW_OUTCOMES_FOR: std::time::Duration = std::time::Duration::from_secs(120);

/// Presets of the form: (value, label, how far back).
const PRESETS: [(&str, &str, u64); 5] = [
    ("1h", "the last hour", 3600),
    ("6h", "the last 6 hours", 6 * 3600),
    ("24h", "the last 24 hours", 24 * 3600),
    ("7d", "the last 7 days", 7 * 24 * 3600),
    ("30d", "the last 30 days", 30 * 24 * 3600),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/{id}/replays", post(start_replay))
        .route("/webhooks/{id}/replays/preview", post(preview_replay))
        .route("/replays/{id}", get(show_replay))
}

/// A job's progress; polls for itself while there is something left to show.
#[derive(Template, WebTemplate)]
#[template(path = "replays/_progress.html")]
pub struct ProgressFragment {
    base: &'static str,
    r: Replay,
    outcomes: Outcomes,
    poll: bool,
}

impl ProgressFragment {
    async fn load(
        state: &AppState,
        base: &'static str,
        r: Replay,
    ) -> Result<ProgressFragment, Error> {
        let outcomes = replays::outcomes(&state.db, &r.id).await?;
        let following = r.finished_at.is_some_and(|t| {
            t >= Timestamp::now().minus(FOLLOW_OUTCOMES_FOR) && outcomes.pending > 0
        });
        Ok(ProgressFragment {
            base,
            poll: r.is_running() || following,
            r,
            outcomes,
        })
    }

    /// When the job's window starts, in UTC (the `<time>` beside it shows local time).
    fn since_utc(&self) -> String {
        utc_text(self.r.since)
    }

    /// Percent requeued, for the bar's text fallback.
    fn percent(&self) -> i64 {
        if self.r.total <= 0 {
            100
        } else {
            (self.r.done * 100 / self.r.total).min(100)
        }
    }
}

/// The section at the bottom of the endpoint page.
#[derive(Template, WebTemplate)]
#[template(path = "replays/_panel.html")]
pub struct ReplayPanel {
    base: &'static str,
    csrf: String,
    admin: bool,
    endpoint_id: String,
    latest: Option<ProgressFragment>,
    since: String,
    preset: String,
    until: String,
    /// The answer to the form: how many deliveries the job would retry, and a confirm button.
    preview: Option<Preview>,
    errors: FormErrors,
    now_utc: String,
    /// The zone `since` was typed in (sent back with the form).
    zone: TypedZone,
}

pub struct Preview {
    range: Range,
    count: i64,
}

impl Preview {
    /// The range for the confirm form's hidden fields, exact to the millisecond.
    fn since_value(&self) -> String {
        self.range.since.rfc3339()
    }
    fn until_value(&self) -> String {
        self.range.until.map(|t| t.rfc3339()).unwrap_or_default()
    }
}

impl ReplayPanel {
    /// A replay is running, or its outcomes are still coming in (the progress polls).
    pub fn is_active(&self) -> bool {
        self.latest.as_ref().is_some_and(|l| l.poll)
    }
    fn presets(&self) -> &'static [(&'static str, &'static str, u64)] {
        &PRESETS
    }
}

/// The panel as the endpoint page shows it.
pub async fn panel(
    state: &AppState,
    ctx: &Ctx,
    admin: bool,
    endpoint_id: &EndpointId,
) -> Result<ReplayPanel, Error> {
    let latest = match replays::latest(&state.db, endpoint_id).await? {
        Some(r) => Some(ProgressFragment::load(state, ctx.base, r).await?),
        None => None,
    };
    Ok(ReplayPanel {
        base: ctx.base,
        csrf: ctx.csrf.clone(),
        admin,
        endpoint_id: endpoint_id.to_string(),
        latest,
        since: String::new(),
        preset: "24h".to_owned(),
        until: String::new(),
        preview: None,
        errors: FieldErrors::default(),
        now_utc: Timestamp::now().form_utc(),
        zone: TypedZone::default(),
    })
}

/// For the form's answer without JavaScript: the panel on a page of its own.
#[derive(Template, WebTemplate)]
#[template(path = "replays/page.html")]
struct PanelPage {
    chrome: Chrome,
    endpoint_id: String,
    endpoint_name: String,
    panel: ReplayPanel,
}

#[derive(Deserialize)]
struct ReplayForm {
    #[serde(default)]
    since: String,
    #[serde(default)]
    preset: String,
    #[serde(default)]
    until: String,
    /// Minutes east of UTC that the times were typed at (app.js); empty: UTC.
    #[serde(default)]
    tz_offset: String,
}

impl ReplayForm {
    fn zone(&self) -> TypedZone {
        TypedZone::from_field(&self.tz_offset)
    }

    /// The range: from the typed time (in the browser's zone, else UTC), which wins over the
    /// preset, to the optional end typed the same way.
    fn range(&self, now: Timestamp) -> Result<Range, FieldErrors> {
        let typed = self.since.trim();
        let zone = self.zone();
        let since = if !typed.is_empty() {
            zone.parse(typed).ok_or_else(|| {
                FieldErrors::single(
                    "since",
                    format!(
                        "Use a date and time like 2026-11-23T10:00 ({}).",
                        zone.label()
                    ),
                )
            })?
        } else if let Some((_, _, secs)) = PRESETS.iter().find(|p| p.0 == self.preset) {
            now.minus(std::time::Duration::from_secs(*secs))
        } else {
            return Err(FieldErrors::single(
                "since",
                "Choose a start time, or one of the ranges.",
            ));
        };
        let until = match self.until.trim() {
            "" => None,
            typed => Some(zone.parse(typed).ok_or_else(|| {
                FieldErrors::single(
                    "until",
                    format!(
                        "Use a date and time like 2026-11-23T18:00 ({}).",
                        zone.label()
                    ),
                )
            })?),
        };
        match Range::new(since, until, now) {
            Ok(range) => Ok(range),
            Err(Error::Invalid(errors)) => Err(errors),
            Err(e) => Err(FieldErrors::single("form", e.to_string())),
        }
    }
}

/// Answers the form with the number of deliveries it would retry and a button that starts it.
async fn preview_replay(
    State(state): State<AppState>,
    Changer(Viewer { ctx, who, .. }): Changer,
    PathId(id): PathId<EndpointId>,
    CsrfForm(form): CsrfForm<ReplayForm>,
) -> HtmlResult {
    let id = who.check(&state.db, id).await?;
    let endpoint = endpoints::get(&state.db, &id).await?;
    let mut panel = panel(&state, &ctx, true, &id).await?;
    let status = match form.range(Timestamp::now()) {
        Ok(range) => {
            let count = replays::preview(&state.db, &id, range).await?;
            panel.preview = Some(Preview { range, count });
            StatusCode::OK
        }
        Err(errors) => {
            panel.errors = errors;
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    panel.zone = form.zone();
    panel.since = form.since;
    panel.preset = form.preset;
    panel.until = form.until;
    Ok(with_status(&ctx, status, panel, endpoint.spec.name, &id).await)
}

async fn start_replay(
    State(state): State<AppState>,
    Changer(Viewer {
        ctx, who, actor, ..
    }): Changer,
    PathId(id): PathId<EndpointId>,
    CsrfForm(form): CsrfForm<ReplayForm>,
) -> HtmlResult {
    let id = who.check(&state.db, id).await?;
    let endpoint = endpoints::get(&state.db, &id).await?;
    let started = match form.range(Timestamp::now()) {
        Ok(range) => state.delivery.start_replay(&id, range, &actor).await,
        Err(errors) => Err(Error::Invalid(errors)),
    };
    let (status, errors) = match started {
        Ok(job) => {
            tracing::info!(by = %actor, endpoint = %id, replay = %job.id, total = job.total, "bulk replay started");
            if ctx.htmx {
                let panel = panel(&state, &ctx, true, &id).await?;
                return Ok(panel.into_response());
            }
            ctx.flash(
                "success",
                format!(
                    "Replay started: {} deliver{} that failed since {} will be sent again.",
                    job.total,
                    if job.total == 1 { "y" } else { "ies" },
                    form.zone().echo(job.since),
                ),
            )
            .await;
            return Ok(ctx.redirect(&format!("{}#replay-panel", ctx.at(&paths::endpoint(&id)))));
        }
        Err(Error::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(Error::Conflict(message)) => {
            (StatusCode::CONFLICT, FieldErrors::single("form", message))
        }
        Err(e) => return Err(e.into()),
    };
    let mut panel = panel(&state, &ctx, true, &id).await?;
    panel.zone = form.zone();
    panel.since = form.since;
    panel.preset = form.preset;
    panel.until = form.until;
    panel.errors = errors;
    Ok(with_status(&ctx, status, panel, endpoint.spec.name, &id).await)
}

async fn with_status(
    ctx: &Ctx,
    status: StatusCode,
    panel: ReplayPanel,
    endpoint_name: String,
    id: &EndpointId,
) -> Response {
    if ctx.htmx {
        return (status, panel).into_response();
    }
    let page = PanelPage {
        chrome: ctx.chrome("webhooks", "Retry failed deliveries").await,
        endpoint_id: id.to_string(),
        endpoint_name,
        panel,
    };
    (status, page).into_response()
}

/// The progress fragment (what the endpoint page polls), or a small page when opened directly.
async fn show_replay(
    State(state): State<AppState>,
    Viewer {
        ctx,
        who,
        can_change,
        ..
    }: Viewer,
    PathId(id): PathId<ReplayId>,
) -> HtmlResult {
    let id = who.check(&state.db, id).await?;
    let r = replays::get(&state.db, &id).await?;
    if ctx.htmx {
        return Ok(ProgressFragment::load(&state, ctx.base, r)
            .await?
            .into_response());
    }
    let endpoint = endpoints::get(&state.db, &r.endpoint_id).await?;
    let mut panel = panel(&state, &ctx, can_change, &r.endpoint_id).await?;
    if panel.latest.as_ref().is_none_or(|l| l.r.id != id) {
        panel.latest = Some(ProgressFragment::load(&state, ctx.base, r).await?);
    }
    Ok(with_status(
        &ctx,
        StatusCode::OK,
        panel,
        endpoint.spec.name,
        &endpoint.id,
    )
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(since: &str, preset: &str) -> ReplayForm {
        ReplayForm {
            since: since.into(),
            preset: preset.into(),
            until: String::new(),
            tz_offset: String::new(),
        }
    }

    #[test]
    fn a_typed_time_wins_over_the_preset_and_is_utc() {
        let now = Timestamp::parse_rfc3339("2026-11-23T12:00:00Z").unwrap();
        let t = form("2026-11-23T10:30", "24h").range(now).unwrap().since;
        assert_eq!(t.rfc3339(), "2026-11-23T10:30:00Z");
        let t = form(" ", "1h").range(now).unwrap().since;
        assert_eq!(t.rfc3339(), "2026-11-23T11:00:00Z");
    }

    #[test]
    fn missing_unknown_or_future_times_are_field_errors() {
        let now = Timestamp::parse_rfc3339("2026-11-23T12:00:00Z").unwrap();
        for f in [
            form("", ""),
            form("", "3w"),
            form("soon", "1h"),
            form("2026-11-23T12:01", ""),
        ] {
            let errors = f.range(now).unwrap_err();
            assert!(errors.get("since").is_some());
        }
    }

    #[test]
    fn an_end_is_optional_and_must_come_after_the_start() {
        let now = Timestamp::parse_rfc3339("2026-11-23T12:00:00Z").unwrap();
        let mut f = form("2026-11-23T10:00", "");
        assert_eq!(f.range(now).unwrap().until, None);
        f.until = "2026-11-23T11:00".into();
        let until = f.range(now).unwrap().until.unwrap();
        assert_eq!(until.rfc3339(), "2026-11-23T11:00:00Z");
        for bad in ["2026-11-23T10:00", "2026-11-23T09:00", "later"] {
            f.until = bad.into();
            assert!(f.range(now).unwrap_err().get("until").is_some(), "{bad}");
        }
    }
}
