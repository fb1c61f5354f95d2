//! The endpoint page's panels besides configuration and history: the disabled banner and
//! delivery stats with a response-time chart.

use askama::Template;
use askama_web::WebTemplate;

use std::time::Duration;

use crate::deliveries::{self, AttemptPoint};
use crate::endpoints::Endpoint;
use crate::error::Error;
use crate::http::ui::Ctx;
use crate::state::AppState;
use crate::stats::{self, WindowStats};
use crate::timestamp::Timestamp;

/// Shown on top while the endpoint is disabled; an empty placeholder otherwise, so the toggle's
/// htmx answer can replace it out of band.
#[derive(Template, WebTemplate)]
#[template(path = "endpoints/_banner.html")]
pub struct BannerFragment {
    pub base: &'static str,
    pub csrf: String,
    pub id: String,
    pub enabled: bool,
    pub explanation: String,
    pub admin: bool,
    /// Rendered as an out-of-band swap (inside another fragment's answer).
    pub oob: bool,
}

impl BannerFragment {
    pub fn new(e: &Endpoint, ctx: &Ctx, admin: bool, oob: bool) -> BannerFragment {
        BannerFragment {
            base: ctx.base,
            csrf: ctx.csrf.clone(),
            id: e.id.to_string(),
            enabled: e.spec.enabled,
            explanation: explain_disabled(e.disabled_reason.as_deref()),
            admin,
            oob,
        }
    }
}

/// `disabled_reason` in plain words.
fn explain_disabled(reason: Option<&str>) -> String {
    match reason {
        Some(r) if r.starts_with("auto:") => format!(
            "hookd turned it off automatically: {}. Check that the receiver is up and answers \
             2xx, then re-enable it; deliveries still pending are retried.",
            r.trim_start_matches("auto:").trim()
        ),
        Some("manual") | None => "It was disabled by hand.".to_owned(),
        Some(other) => format!("Reason: {other}."),
    }
}

const CHART_ATTEMPTS: u32 = 100;
const CHART_W: f64 = 600.0;
const CHART_H: f64 = 120.0;

pub struct Bar {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub ok: bool,
    pub label: String,
}

pub struct StatsPanel {
    pub day: WindowStats,
    pub month: WindowStats,
    pub bars: Vec<Bar>,
    pub max_ms: i64,
    pub summary: String,
    pub width: f64,
    pub height: f64,
}

impl StatsPanel {
    pub fn windows(&self) -> [(&'static str, &WindowStats); 2] {
        [("Last 24 hours", &self.day), ("Last 30 days", &self.month)]
    }
}

pub async fn stats(state: &AppState, e: &Endpoint) -> Result<StatsPanel, Error> {
    let now = Timestamp::now();
    let day = stats::window(&state.db, &e.id, now, Duration::from_secs(86_400)).await?;
    let month = stats::window(&state.db, &e.id, now, Duration::from_secs(30 * 86_400)).await?;
    let points = deliveries::recent_attempts(&state.db, &e.id, CHART_ATTEMPTS).await?;
    Ok(chart(day, month, &points))
}

/// One bar per attempt, newest at the right edge, height proportional to the response time; a
/// slot per possible attempt, so a bar's width does not depend on how many there are yet.
fn chart(day: WindowStats, month: WindowStats, points: &[AttemptPoint]) -> StatsPanel {
    let max_ms = points
        .iter()
        .map(|p| p.duration_ms)
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = CHART_W / CHART_ATTEMPTS as f64;
    let n = points.len();
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            // At least 1 unit tall so a fast attempt is still visible.
            let h = (p.duration_ms as f64 / max_ms as f64 * CHART_H).max(1.0);
            Bar {
                x: format!("{:.1}", CHART_W - (n - i) as f64 * slot),
                y: format!("{:.1}", CHART_H - h),
                w: format!("{:.1}", (slot * 0.8).max(0.5)),
                h: format!("{h:.1}"),
                ok: p.succeeded,
                label: format!(
                    "{}: {} ms, {}",
                    p.started_at,
                    p.duration_ms,
                    if p.succeeded { "succeeded" } else { "failed" }
                ),
            }
        })
        .collect();
    let summary = if points.is_empty() {
        "No attempts yet.".to_owned()
    } else {
        let mut sorted: Vec<i64> = points.iter().map(|p| p.duration_ms).collect();
        sorted.sort_unstable();
        let failed = points.iter().filter(|p| !p.succeeded).count();
        format!(
            "Response times of the last {} attempts, newest on the right: median {} ms, slowest {} ms; {} failed.",
            points.len(),
            sorted[sorted.len() / 2],
            sorted[sorted.len() - 1],
            failed
        )
    };
    StatsPanel {
        day,
        month,
        bars,
        max_ms: if points.is_empty() { 0 } else { max_ms },
        summary,
        width: CHART_W,
        height: CHART_H,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_reasons_read_as_sentences() {
        let auto = explain_disabled(Some("auto: every delivery failed for 5 days (12 in a row)"));
        assert!(
            auto.starts_with(
                "hookd turned it off automatically: every delivery failed for 5 days (12 in a row)."
            ),
            "{auto}"
        );
        assert_eq!(explain_disabled(Some("manual")), "It was disabled by hand.");
        assert_eq!(explain_disabled(None), "It was disabled by hand.");
    }

    #[test]
    fn the_chart_scales_bars_to_the_slowest_attempt() {
        let at = Timestamp::from_millis(0);
        let points = [
            AttemptPoint {
                started_at: at,
                duration_ms: 50,
                succeeded: true,
            },
            AttemptPoint {
                started_at: at,
                duration_ms: 200,
                succeeded: false,
            },
        ];
        let panel = chart(WindowStats::default(), WindowStats::default(), &points);
        assert_eq!(panel.max_ms, 200);
        assert_eq!(panel.bars[1].h, format!("{CHART_H:.1}"));
        assert_eq!(panel.bars[0].h, format!("{:.1}", CHART_H / 4.0));
        assert!(!panel.bars[1].ok);
        assert_eq!(panel.bars[1].x, format!("{:.1}", CHART_W - CHART_W / 100.0));
        assert!(
            panel.summary.contains("slowest 200 ms; 1 failed"),
            "{}",
            panel.summary
        );
    }
}
