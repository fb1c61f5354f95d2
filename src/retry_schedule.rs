//! When to retry. Pure: randomness and the clock are passed in.
//!
//! DESIGN.md: after attempt 1 fails, retry at +30 s, +5 min, +30 min, +2 h, +5 h, +10 h, +10 h…
//! (the last step repeats), ±10 % jitter; `Retry-After` on 429/503 is honoured up to 1 h. The
//! steps are configurable (`retry_schedule`) so tests can use `"100ms,200ms"`.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Jitter is ± this fraction of the delay.
pub const JITTER: f64 = 0.10;
/// The longest `Retry-After` we honour; a larger value is cut down to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

const SECOND: u64 = 1_000;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;
const DEFAULT_STEPS_MS: [u64; 6] = [
    30 * SECOND,
    5 * MINUTE,
    30 * MINUTE,
    2 * HOUR,
    5 * HOUR,
    10 * HOUR,
];
const UNITS_HINT: &str = "use a whole number with ms, s, m or h, e.g. \"30s\"";

/// Delays between attempts: step 1 is the wait before the first retry. Never empty; the last
/// step repeats for as many retries as `retry_count` allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl Default for RetrySchedule {
    /// `30s,5m,30m,2h,5h,10h`.
    fn default() -> Self {
        RetrySchedule(
            DEFAULT_STEPS_MS
                .into_iter()
                .map(Duration::from_millis)
                .collect(),
        )
    }
}

/// Why a `retry_schedule` string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseScheduleError {
    #[error("no steps given; expected a comma-separated list like \"30s,5m,2h\"")]
    Empty,
    #[error("step {position} ({step:?}): {problem}")]
    Step {
        /// 1-based position in the list.
        position: usize,
        step: String,
        problem: String,
    },
}

impl RetrySchedule {
    /// Parses `"30s,5m,30m,2h,5h,10h"`: comma-separated whole numbers with a unit (`ms`, `s`,
    /// `m`, `h`), each greater than zero. Spaces around steps are ignored.
    pub fn parse(s: &str) -> Result<RetrySchedule, ParseScheduleError> {
        if s.trim().is_empty() {
            return Err(ParseScheduleError::Empty);
        }
        s.split(',')
            .enumerate()
            .map(|(i, step)| {
                parse_step(step.trim()).map_err(|problem| ParseScheduleError::Step {
                    position: i + 1,
                    step: step.trim().to_owned(),
                    problem,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(RetrySchedule)
    }

    /// The wait before retry `retry_number` (1 = the first retry, i.e. after attempt 1
    /// failed), without jitter. Past the end of the list the last step repeats; 0 is treated
    /// as 1.
    pub fn delay_for(&self, retry_number: u32) -> Duration {
        let index = usize::try_from(retry_number.saturating_sub(1)).unwrap_or(usize::MAX);
        let last = self.0.len() - 1;
        self.0[index.min(last)]
    }
}

impl FromStr for RetrySchedule {
    type Err = ParseScheduleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RetrySchedule::parse(s)
    }
}

/// Prints the form `parse` reads, each step in its largest exact unit: `30s,5m,2h`.
impl fmt::Display for RetrySchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let ms = step.as_millis();
            match [(HOUR, "h"), (MINUTE, "m"), (SECOND, "s")]
                .into_iter()
                .find(|(unit, _)| ms % u128::from(*unit) == 0)
            {
                Some((unit, suffix)) => write!(f, "{}{suffix}", ms / u128::from(unit))?,
                None => write!(f, "{ms}ms")?,
            }
        }
        Ok(())
    }
}

fn parse_step(step: &str) -> Result<Duration, String> {
    if step.is_empty() {
        return Err(format!("empty step; {UNITS_HINT}"));
    }
    let digits_end = step
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(step.len());
    let (number, unit) = step.split_at(digits_end);
    if number.is_empty() {
        return Err(format!("does not start with a number; {UNITS_HINT}"));
    }
    let unit_ms = match unit.trim_start() {
        "ms" => 1,
        "s" => SECOND,
        "m" => MINUTE,
        "h" => HOUR,
        "" => return Err(format!("missing unit; {UNITS_HINT}")),
        u if u.starts_with('.') => {
            return Err("whole numbers only; use a smaller unit, e.g. \"90m\"".to_owned());
        }
        other => return Err(format!("unknown unit {other:?}; {UNITS_HINT}")),
    };
    let ms = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_ms))
        .ok_or_else(|| "too large".to_owned())?;
    if ms == 0 {
        return Err("must be greater than zero".to_owned());
    }
    Ok(Duration::from_millis(ms))
}

/// `delay` scaled by `1 + JITTER * rand_fraction`, i.e. within ±10 %. `rand_fraction` should
/// be uniform in [-1, 1] (values outside are clamped, NaN counts as 0).
pub fn with_jitter(delay: Duration, rand_fraction: f64) -> Duration {
    let fraction = if rand_fraction.is_nan() {
        0.0
    } else {
        rand_fraction.clamp(-1.0, 1.0)
    };
    let factor = 1.0 + JITTER * fraction;
    Duration::try_from_secs_f64(delay.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

/// Reads a `Retry-After` header: delay-seconds (`"120"`) or an HTTP-date (IMF-fixdate
/// `"Sun, 06 Nov 1994 08:49:37 GMT"` or asctime `"Sun Nov  6 08:49:37 1994"`), as a wait from
/// `now`, capped at [`MAX_RETRY_AFTER`]. A date in the past gives zero. Anything unreadable
/// (including the obsolete two-digit-year RFC 850 form) gives `None`: use the schedule.
pub fn retry_after(header_value: &str, now: SystemTime) -> Option<Duration> {
    let value = header_value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits but too long for u64 is still "a very long time".
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = SystemTime::from(parse_http_date(value)?);
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

fn parse_http_date(value: &str) -> Option<OffsetDateTime> {
    let imf_fixdate = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let asctime = format_description!(
        "[weekday repr:short] [month repr:short] [day padding:space] [hour]:[minute]:[second] [year]"
    );
    PrimitiveDateTime::parse(value, imf_fixdate)
        .or_else(|_| PrimitiveDateTime::parse(value, asctime))
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }
    const fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn default_schedule_is_the_one_in_design() {
        let s = RetrySchedule::default();
        let expected = [30, 300, 1_800, 7_200, 18_000, 36_000, 36_000, 36_000].map(secs);
        for (retry, want) in (1..).zip(expected) {
            assert_eq!(s.delay_for(retry), want, "retry {retry}");
        }
        assert_eq!(s.to_string(), "30s,5m,30m,2h,5h,10h");
    }

    #[test]
    fn the_last_step_repeats_and_retry_zero_means_the_first() {
        let s = RetrySchedule::parse("100ms,200ms").unwrap();
        assert_eq!(s.delay_for(0), ms(100));
        assert_eq!(s.delay_for(1), ms(100));
        assert_eq!(s.delay_for(2), ms(200));
        assert_eq!(s.delay_for(3), ms(200));
        assert_eq!(s.delay_for(u32::MAX), ms(200));
    }

    #[test]
    fn parse_reads_every_unit_and_ignores_spaces() {
        let table = [
            ("100ms", vec![ms(100)]),
            ("30s,5m,30m,2h,5h,10h", RetrySchedule::default().0),
            (" 1s , 2 m ,3h ", vec![secs(1), secs(120), secs(3 * 3600)]),
            ("1500ms", vec![ms(1500)]),
        ];
        for (input, want) in table {
            assert_eq!(RetrySchedule::parse(input).unwrap().0, want, "{input:?}");
        }
        assert_eq!(
            "1s".parse::<RetrySchedule>().unwrap(),
            RetrySchedule(vec![secs(1)])
        );
    }

    #[test]
    fn parse_errors_say_which_step_and_what_is_wrong() {
        let table = [
            ("", "no steps given"),
            ("  ", "no steps given"),
            (
                "30",
                "step 1 (\"30\"): missing unit; use a whole number with ms, s, m or h",
            ),
            ("30s,5x", "step 2 (\"5x\"): unknown unit \"x\""),
            ("30s,,5m", "step 2 (\"\"): empty step"),
            ("30s,", "step 2 (\"\"): empty step"),
            ("s", "step 1 (\"s\"): does not start with a number"),
            ("-5s", "step 1 (\"-5s\"): does not start with a number"),
            (
                "1.5h",
                "step 1 (\"1.5h\"): whole numbers only; use a smaller unit",
            ),
            ("5M", "step 1 (\"5M\"): unknown unit \"M\""),
            ("0s", "step 1 (\"0s\"): must be greater than zero"),
            (
                "99999999999999999999ms",
                "step 1 (\"99999999999999999999ms\"): too large",
            ),
            ("9999999999999999h", "too large"),
        ];
        for (input, want) in table {
            let err = RetrySchedule::parse(input).unwrap_err().to_string();
            assert!(err.contains(want), "{input:?}: got {err:?}, want {want:?}");
        }
    }

    #[test]
    fn display_round_trips_through_parse() {
        for input in ["100ms", "1500ms,90s,90m,25h", "30s,5m,30m,2h,5h,10h", "60s"] {
            let parsed = RetrySchedule::parse(input).unwrap();
            assert_eq!(RetrySchedule::parse(&parsed.to_string()).unwrap(), parsed);
        }
        assert_eq!(RetrySchedule::parse("60s").unwrap().to_string(), "1m");
        assert_eq!(
            RetrySchedule::parse("1500ms").unwrap().to_string(),
            "1500ms"
        );
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let table = [
            (-1.0, secs(27)),
            (-0.5, ms(28_500)),
            (0.0, secs(30)),
            (0.5, ms(31_500)),
            (1.0, secs(33)),
            (-7.0, secs(27)),
            (7.0, secs(33)),
            (f64::NAN, secs(30)),
        ];
        for (fraction, want) in table {
            let got = with_jitter(secs(30), fraction);
            let diff = got.abs_diff(want);
            assert!(diff < ms(1), "{fraction}: got {got:?}, want {want:?}");
        }
        assert_eq!(with_jitter(Duration::ZERO, 1.0), Duration::ZERO);
        assert_eq!(with_jitter(Duration::MAX, 1.0), Duration::MAX);
    }

    #[test]
    fn retry_after_reads_seconds_and_caps_at_one_hour() {
        let now = SystemTime::UNIX_EPOCH + secs(1_700_000_000);
        let table = [
            ("0", Some(Duration::ZERO)),
            ("120", Some(secs(120))),
            (" 7 ", Some(secs(7))),
            ("3600", Some(MAX_RETRY_AFTER)),
            ("86400", Some(MAX_RETRY_AFTER)),
            ("99999999999999999999999", Some(MAX_RETRY_AFTER)),
            ("-5", None),
            ("1.5", None),
            ("", None),
            ("soon", None),
        ];
        for (value, want) in table {
            assert_eq!(retry_after(value, now), want, "{value:?}");
        }
    }

    #[test]
    fn retry_after_reads_http_dates_relative_to_now() {
        // 1994-11-06T08:49:37Z
        let date = SystemTime::UNIX_EPOCH + secs(784_111_777);
        let table = [
            (
                "Sun, 06 Nov 1994 08:49:37 GMT",
                date - secs(90),
                Some(secs(90)),
            ),
            ("Sun Nov  6 08:49:37 1994", date - secs(90), Some(secs(90))),
            (
                "Sun, 06 Nov 1994 08:49:37 GMT",
                date - secs(7200),
                Some(MAX_RETRY_AFTER),
            ),
            (
                "Sun, 06 Nov 1994 08:49:37 GMT",
                date + secs(5),
                Some(Duration::ZERO),
            ),
            ("Sunday, 06-Nov-94 08:49:37 GMT", date, None),
            ("Sun, 06 Nov 1994 08:49:37 +0000", date, None),
            ("Sun, 31 Nov 1994 08:49:37 GMT", date, None),
        ];
        for (value, now, want) in table {
            assert_eq!(retry_after(value, now), want, "{value:?}");
        }
    }
}
