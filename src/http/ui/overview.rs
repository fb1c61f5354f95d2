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
/// The pending count stops here ("10000+"): counting a large backlog exactly is slow.
const PENDING_CAP: i64 = 10_000;

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
    totals: Hour,
    /// Counted up to `PENDING_CAP`; `pending_more` says there are more.
    pending: i64,
    pending_more: bool,
    oldest_pending: Option<(DeliveryId, EndpointId, Timestamp)>,
    oldest_pending_age: String,
    failures: Vec<(Failure, String)>,
}

impl OverviewPage {
    fn success_rate(&self) -> String {
        rate(&self.totals)
    }
}

struct EndpointHealth {
    e: Endpoint,
    /// The last 24 hours summed.
    day: Hour,
    spark: Sparkline,
    last_failure: Option<Failure>,
}

impl EndpointHealth {
    fn label(&self) -> &str {
        self.e.display_name()
    }
    fn success_rate(&self) -> String {
        rate(&self.day)
    }
    /// Something was not delivered, or an attempt failed: the rate shows in red.
    /// Some deliveries are not delivered (failed, or retrying after a failure): the rate is red.
    /// Failed attempts that were retried to success only colour their own line.
    fn troubled(&self) -> bool {
        self.day.failed + self.day.retrying > 0
    }
}

/// Deliveries succeeded out of those tried (succeeded, failed or retrying after a failure).
fn rate(h: &Hour) -> String {
    stats::success_rate(h.succeeded, h.failed + h.retrying)
        .map(|r| format!("{r:.1}%"))
        .unwrap_or_else(|| "–".to_owned())
}

fn sum(hours: &[Hour]) -> Hour {
    hours.iter().fold(Hour::default(), |t, h| Hour {
        succeeded: t.succeeded + h.succeeded,
        failed: t.failed + h.failed,
        retrying: t.retrying + h.retrying,
        failed_attempts: t.failed_attempts + h.failed_attempts,
    })
}

/// Deliveries per hour of creation as stacked bars by current state (succeeded below,
/// retrying after a failure, failed on top), drawn server-side.
struct Sparkline {
    bars: Vec<Bar>,
    summary: String,
}

struct Bar {
    x: u32,
    ok_y: u32,
    ok_h: u32,
    retry_y: u32,
    retry_h: u32,
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
            .map(|h| h.succeeded + h.retrying + h.failed)
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
                let retry_h = scale(h.retrying).min(SPARK_H - bad_h);
                let ok_h = scale(h.succeeded).min(SPARK_H - bad_h - retry_h);
                Bar {
                    x: i as u32 * BAR_STEP,
                    ok_y: SPARK_H - ok_h,
                    ok_h,
                    retry_y: SPARK_H - ok_h - retry_h,
                    retry_h,
                    bad_y: SPARK_H - ok_h - retry_h - bad_h,
                    bad_h,
                    title: format!(
                        "{}: {} succeeded, {} failed, {} retrying after a failure; {} failed attempts",
                        if ago == 0 {
                            "this hour".to_owned()
                        } else {
                            format!("{ago} h ago")
                        },
                        h.succeeded,
                        h.failed,
                        h.retrying,
                        h.failed_attempts
                    ),
                }
            })
            .collect();
        let t = sum(hours);
        Sparkline {
            bars,
            summary: format!(
                "Deliveries per hour created over the last {} hours, by current state: {} succeeded, \
                 {} failed, {} retrying after a failure; {} failed attempts",
                hours.len(),
                t.succeeded,
                t.failed,
                t.retrying,
                t.failed_attempts
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
    let mut all = endpoints::list(
        db,
        &crate::tenants::Visibility::Everything,
        None,
        MAX_ENDPOINTS + 1,
    )
    .await?;
    let more_endpoints = all.len() > MAX_ENDPOINTS as usize;
    all.truncate(MAX_ENDPOINTS as usize);
    let mut hourly = stats::hourly(db, now, HOURS).await?;
    let mut endpoints = Vec::with_capacity(all.len());
    for e in all {
        let hours = hourly
            .remove(&e.id)
            .unwrap_or_else(|| vec![Hour::default(); HOURS]);
        let last_failure = match e.last_failure_at {
            Some(_) => deliveries::recent_failures(db, Some(&e.id), 1).await?.pop(),
            None => None,
        };
        endpoints.push(EndpointHealth {
            spark: Sparkline::new(&hours),
            day: sum(&hours),
            e,
            last_failure,
        });
    }
    let (auto_disabled, endpoints): (Vec<_>, Vec<_>) = endpoints.into_iter().partition(|h| {
        h.e.disabled_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("auto:"))
    });
    let pending = deliveries::pending_count_upto(db, PENDING_CAP).await?;
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
    let days: Vec<Hour> = endpoints
        .iter()
        .chain(&auto_disabled)
        .map(|h| h.day)
        .collect();
    Ok(OverviewPage {
        chrome: ctx.chrome("overview", "Overview").await,
        more_endpoints,
        totals: sum(&days),
        pending: pending.min(PENDING_CAP),
        pending_more: pending > PENDING_CAP,
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
                ..Hour::default()
            },
            Hour {
                succeeded: 1,
                retrying: 1,
                failed: 1,
                failed_attempts: 4,
            },
            Hour::default(),
        ];
        let s = Sparkline::new(&hours);
        assert_eq!((s.bars[0].ok_h, s.bars[0].bad_h), (SPARK_H, 0));
        assert_eq!(
            (s.bars[1].ok_h, s.bars[1].retry_h, s.bars[1].bad_h),
            (1, 1, 1)
        );
        assert_eq!((s.bars[2].ok_h, s.bars[2].bad_h), (0, 0));
        assert_eq!(s.bars[1].retry_y, SPARK_H - 2);
        assert_eq!(s.bars[1].bad_y, SPARK_H - 3);
        assert!(s.bars[2].title.starts_with("this hour"));
        assert!(
            s.summary
                .contains("101 succeeded, 1 failed, 1 retrying after a failure; 4 failed attempts"),
            "{}",
            s.summary
        );
    }

    #[test]
    fn ages_read_naturally() {
        let t = Timestamp::from_millis(0);
        assert_eq!(age(t, Timestamp::from_millis(42_000)), "42 s");
        assert_eq!(age(t, Timestamp::from_millis(3_900_000)), "1 h 5 min");
        assert_eq!(age(t, Timestamp::from_millis(3 * 86_400_000)), "3 days");
    }
}
