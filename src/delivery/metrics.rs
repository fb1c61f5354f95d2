//! Prometheus metrics. The recorder is process-wide (the `metrics` facade is global), installed
//! once; pending-queue gauges are read from the table at scrape time.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::deliveries::{NewAttempt, Next};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder on first use; `None` if another recorder was installed first.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("hookd_attempt_duration_seconds".into()),
                    &[
                        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                    ],
                )
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

pub fn event_ingested(deliveries: usize) {
    metrics::counter!("hookd_events_ingested_total").increment(1);
    metrics::counter!("hookd_deliveries_created_total").increment(deliveries as u64);
}

pub fn attempt(a: &NewAttempt, next: Next) {
    let result = match (a.succeeded, a.response_status) {
        (true, _) => "success",
        (false, Some(s)) if (300..400).contains(&s) => "3xx",
        (false, Some(s)) if (400..500).contains(&s) => "4xx",
        (false, Some(_)) => "5xx",
        (false, None) => a.error_kind.unwrap_or("error"),
    };
    metrics::counter!("hookd_attempts_total", "result" => result).increment(1);
    metrics::histogram!("hookd_attempt_duration_seconds").record(a.duration_ms as f64 / 1000.0);
    let outcome = match next {
        Next::Succeeded => Some("succeeded"),
        Next::Failed => Some("failed"),
        Next::RetryAt(_) => None,
    };
    if let Some(outcome) = outcome {
        metrics::counter!("hookd_deliveries_total", "outcome" => outcome).increment(1);
    }
}

/// A write batch could not be committed (and was rolled back).
pub fn commit_failed() {
    metrics::counter!("hookd_store_commit_failures_total").increment(1);
}

/// The exposition text, with the queue gauges set from the table and the store gauge from the
/// engine first (set at scrape time: the recorder is process-wide).
pub fn render(pending: i64, oldest_pending_age_seconds: f64, store_failing: bool) -> String {
    metrics::gauge!("hookd_store_failing").set(if store_failing { 1.0 } else { 0.0 });
    metrics::counter!("hookd_store_commit_failures_total").increment(0);
    metrics::gauge!("hookd_pending_deliveries").set(pending as f64);
    metrics::gauge!("hookd_oldest_pending_age_seconds").set(oldest_pending_age_seconds);
    handle().map(|h| h.render()).unwrap_or_default()
}
