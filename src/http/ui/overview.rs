//! The home page after sign-in: every endpoint's health at a glance, totals, the pending
//! backlog and the most recent failures.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::{Chrome, HtmlResult, SignedIn, paths};
use crate::deliveries::{self, Failure};
use crate::endpoints::{self, Endpoint};
use crate::ids::{DeliveryId, EndpointId};
use crate::state::AppState;
use crate::stats::{self, Hour};
use crate::timestamp::Timestamp;

/// Endpoints shown with their health; beyond that the page links to the full list.
const MAX_ENDPOINTS: u32 = 50;
const RECENT_FAILURES: u32 = 10;
const HOURS: usize = 24;

pub fn router() -> Router<AppState> {
    Router::new().route(paths::OVERVIEW, get(show_overview))
}

#[derive(Template, WebTemplate)]
#[template(path = "overview.html")]
struct OverviewPage {
    chrome: Chrome,
    endpoints: Vec<EndpointHealth>,
    more_endpoints: bool,
    auto_disabled: Vec<EndpointHealth>,
    succeeded_24h: i64,
    failed_24h: i64,
    pending: i64,
    oldest_pending: Option<(DeliveryId, EndpointId, Timestamp)>,
    oldest_pending_age: String,
    failures: Vec<(Failure, String)>,
}

impl OverviewPage {
    fn success_rate(&self) -> String {
        rate(self.succeeded_24h, self.failed_24h)
    }
}

struct EndpointHealth {
    e: Endpoint,
    succeeded: i64,
    failed: i64,
    spark: Sparkline,
    last_failure: Option<Failure>,
}

impl EndpointHealth {
    fn label(&self) -> &str {
        self.e.display_name()
    }
    fn success_rate(&self) -> String {
        rate(self.succeeded, self.failed)
    }
}

fn rate(succeeded: i64, failed: i64) -> String {
    stats::WindowStats {
        succeeded,
        failed,
        ..Default::default()
    }
    .success_rate()
    .map(|r| format!("{r:.1}%"))
    .unwrap_or_else(|| "–".to_owned())
}

/// Deliveries per hour as stacked bars (succeeded below, failed on top), drawn server-side.
struct Sparkline {
    bars: Vec<Bar>,
    summary: String,
}

struct Bar {
    x: u32,
    ok_y: u32,
    ok_h: u32,
    bad_y: u32,
    bad_h: u32,
    title: String,
}

const SPARK_H: u32 = 32;
const BAR_W: u32 = 5;
const BAR_STEP: u32 = 6;

impl Sparkline {
    fn new(hours: &[Hour]) -> Sparkline {
        let max = hours
            .iter()
            .map(|h| h.succeeded + h.failed)
            .max()
            .unwrap_or(0)
            .max(1);
        let scale = |n: i64| -> u32 {
            // A non-zero hour is always at least one pixel tall.
            if n == 0 {
                0
            } else {
                ((n * i64::from(SPARK_H) + max - 1) / max).max(1) as u32
            }
        };
        let bars = hours
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let ago = hours.len() - 1 - i;
                let bad_h = scale(h.failed);
                let ok_h = scale(h.succeeded).min(SPARK_H - bad_h);
                Bar {
                    x: i as u32 * BAR_STEP,
                    ok_y: SPARK_H - ok_h,
                    ok_h,
                    bad_y: SPARK_H - ok_h - bad_h,
                    bad_h,
                    title: format!(
                        "{}: {} succeeded, {} failed",
                        if ago == 0 {
                            "this hour".to_owned()
                        } else {
                            format!("{ago} h ago")
                        },
                        h.succeeded,
                        h.failed
                    ),
                }
            })
            .collect();
        let (ok, bad) = hours
            .iter()
            .fold((0, 0), |(o, b), h| (o + h.succeeded, b + h.failed));
        Sparkline {
            bars,
            summary: format!(
                "Deliveries per hour over the last {} hours: {ok} succeeded, {bad} failed",
                hours.len()
            ),
        }
    }
    fn width(&self) -> u32 {
        self.bars.len() as u32 * BAR_STEP
    }
    fn height(&self) -> u32 {
        SPARK_H
    }
    fn bar_width(&self) -> u32 {
        BAR_W
    }
}

/// "3 min", "2 h 5 min", "4 days".
pub fn age(since: Timestamp, now: Timestamp) -> String {
    let secs = (now.millis() - since.millis()).max(0) / 1000;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        _ => format!("{} days", secs / 86_400),
    }
}

async fn show_overview(
    State(state): State<AppState>,
    SignedIn(ctx, _): SignedIn,
) -> HtmlResult<OverviewPage> {
    let db = &state.db;
    let now = Timestamp::now();
    let mut all = endpoints::list(db, None, MAX_ENDPOINTS + 1).await?;
    let more_endpoints = all.len() > MAX_ENDPOINTS as usize;
    all.truncate(MAX_ENDPOINTS as usize);
    let mut hourly = stats::hourly(db, now, HOURS).await?;
    let mut endpoints = Vec::with_capacity(all.len());
    for e in all {
        let hours = hourly
            .remove(&e.id)
            .unwrap_or_else(|| vec![Hour::default(); HOURS]);
        let (succeeded, failed) = hours
            .iter()
            .fold((0, 0), |(o, b), h| (o + h.succeeded, b + h.failed));
        let last_failure = match e.last_failure_at {
            Some(_) => deliveries::recent_failures(db, Some(&e.id), 1).await?.pop(),
            None => None,
        };
        endpoints.push(EndpointHealth {
            spark: Sparkline::new(&hours),
            e,
            succeeded,
            failed,
            last_failure,
        });
    }
    let (auto_disabled, endpoints): (Vec<_>, Vec<_>) = endpoints.into_iter().partition(|h| {
        h.e.disabled_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("auto:"))
    });
    let (pending, _) = deliveries::pending_summary(db).await?;
    let oldest_pending = deliveries::oldest_pending(db).await?;
    let names: std::collections::HashMap<EndpointId, String> = endpoints
        .iter()
        .chain(&auto_disabled)
        .map(|h| (h.e.id.clone(), h.label().to_owned()))
        .collect();
    let failures = deliveries::recent_failures(db, None, RECENT_FAILURES)
        .await?
        .into_iter()
        .map(|f| {
            let name = names
                .get(&f.endpoint_id)
                .cloned()
                .unwrap_or_else(|| f.endpoint_id.to_string());
            (f, name)
        })
        .collect();
    let totals = endpoints
        .iter()
        .chain(&auto_disabled)
        .fold((0, 0), |(o, b), h| (o + h.succeeded, b + h.failed));
    Ok(OverviewPage {
        chrome: ctx.chrome("overview", "Overview").await,
        more_endpoints,
        succeeded_24h: totals.0,
        failed_24h: totals.1,
        pending,
        oldest_pending_age: oldest_pending
            .as_ref()
            .map(|(_, _, t)| age(*t, now))
            .unwrap_or_default(),
        oldest_pending,
        failures,
        endpoints,
        auto_disabled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_busiest_hour_and_never_vanish() {
        let hours = [
            Hour {
                succeeded: 100,
                failed: 0,
            },
            Hour {
                succeeded: 1,
                failed: 1,
            },
            Hour::default(),
        ];
        let s = Sparkline::new(&hours);
        assert_eq!((s.bars[0].ok_h, s.bars[0].bad_h), (SPARK_H, 0));
        assert_eq!((s.bars[1].ok_h, s.bars[1].bad_h), (1, 1));
        assert_eq!((s.bars[2].ok_h, s.bars[2].bad_h), (0, 0));
        assert_eq!(s.bars[1].bad_y, SPARK_H - 2);
        assert!(s.bars[2].title.starts_with("this hour"));
        assert!(s.summary.contains("101 succeeded, 1 failed"));
    }

    #[test]
    fn ages_read_naturally() {
        let t = Timestamp::from_millis(0);
        assert_eq!(age(t, Timestamp::from_millis(42_000)), "42 s");
        assert_eq!(age(t, Timestamp::from_millis(3_900_000)), "1 h 5 min");
        assert_eq!(age(t, Timestamp::from_millis(3 * 86_400_000)), "3 days");
    }
}
