//! Polling with a deadline instead of fixed sleeps (svix's `run_with_retries`), and watching
//! for a set window where a test promises that nothing more happens.

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `check` until it returns `Some`, starting every 20 ms and backing off to every 250 ms;
/// panics naming `what` when `timeout` passes first.
pub async fn wait_until<T, F, Fut>(timeout: Duration, what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    wait_until_backoff(
        timeout,
        Duration::from_millis(20),
        Duration::from_millis(250),
        what,
        check,
    )
    .await
}

/// Like `wait_until`, with the first and the longest pause between checks given: the pause
/// doubles after each miss. Use a long `max_pause` when checking itself resets what you wait for
/// (a session's inactivity timer, for instance).
pub async fn wait_until_backoff<T, F, Fut>(
    timeout: Duration,
    first_pause: Duration,
    max_pause: Duration,
    what: &str,
    mut check: F,
) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    let mut pause = first_pause;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        let now = Instant::now();
        if now >= deadline {
            panic!("timed out after {timeout:?} waiting until {what}");
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(max_pause);
    }
}

/// Runs `check` (which asserts) again and again for the whole of `window`: for promises that
/// nothing more arrives (no duplicate, no stray, no extra retry).
///
/// Absence cannot be seen at one instant: a stray request could still be on its way, so the
/// only way to show that none comes is to keep looking for a while. `window` is how long a late
/// arrival is watched for; it is not a speed assertion. A slow machine cannot make this fail
/// (at worst a very late stray goes unseen), and the check fails as soon as something arrives.
pub async fn assert_quiet_for<F>(window: Duration, mut check: F)
where
    F: FnMut(),
{
    let end = Instant::now() + window;
    loop {
        check();
        let now = Instant::now();
        if now >= end {
            return;
        }
        tokio::time::sleep(QUIET_CHECK_EVERY.min(end - now)).await;
    }
}

/// How often `assert_quiet_for` looks again.
const QUIET_CHECK_EVERY: Duration = Duration::from_millis(20);
