//! Times people type into the dashboard's forms are in their own zone: app.js fills the hidden
//! `tz_offset` field (minutes east of UTC, for the time typed) and the server reads the typed
//! time at that offset. Without JavaScript the field is empty and times are UTC, and the page
//! says so. Every typed time is shown back both ways ("10:00 UTC+01:00 (09:00 UTC)"). The API
//! is not concerned: it takes RFC 3339 only.

use time::UtcOffset;

use crate::timestamp::Timestamp;

/// The zone times were typed in: the browser's offset, or UTC when it did not say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TypedZone(Option<UtcOffset>);

impl TypedZone {
    /// From the `tz_offset` field; empty or unreadable means "not said" (UTC).
    pub fn from_field(minutes: &str) -> TypedZone {
        let offset = minutes
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|m| m.abs() <= 18 * 60)
            .and_then(|m| UtcOffset::from_whole_seconds(m * 60).ok());
        TypedZone(offset)
    }

    fn offset(self) -> UtcOffset {
        self.0.unwrap_or(UtcOffset::UTC)
    }

    /// Did the browser say which zone (so typed times are local, not UTC)?
    pub fn is_known(self) -> bool {
        self.0.is_some()
    }

    /// The field's value to send back (empty when not known).
    pub fn field_value(self) -> String {
        self.0
            .map(|o| (o.whole_seconds() / 60).to_string())
            .unwrap_or_default()
    }

    /// `UTC`, or `UTC+01:00` / `UTC-05:30`.
    pub fn label(self) -> String {
        let o = self.offset();
        if o.is_utc() {
            return "UTC".to_owned();
        }
        let sign = if o.is_negative() { '-' } else { '+' };
        format!(
            "UTC{sign}{:02}:{:02}",
            o.whole_hours().unsigned_abs(),
            o.minutes_past_hour().unsigned_abs()
        )
    }

    /// A typed time (`datetime-local` value, or RFC 3339 with its own offset).
    pub fn parse(self, typed: &str) -> Option<Timestamp> {
        Timestamp::parse_form_at(typed, self.offset())
    }

    /// `t` as a `datetime-local` value in this zone (what the field shows after a round trip).
    pub fn input_value(self, t: Timestamp) -> String {
        let minutes = t.form_at(self.offset());
        match t.datetime().second() {
            0 => minutes,
            s => format!("{minutes}:{s:02}"),
        }
    }

    /// A typed time said back both ways: `2026-11-23 10:00 UTC+01:00 (09:00 UTC)`, or just
    /// `2026-11-23 09:00 UTC` when it was typed in UTC.
    pub fn echo(self, t: Timestamp) -> String {
        let local = self.input_value(t).replacen('T', " ", 1);
        if self.offset().is_utc() {
            return format!("{local} UTC");
        }
        format!("{local} {} ({})", self.label(), utc_text(t))
    }

    /// A typed window said back: "from … to …", "from …" or "until …"; `None` when neither end
    /// reads as a time.
    pub fn echo_window(self, since: &str, until: &str) -> Option<String> {
        let since = self.parse(since).map(|t| self.echo(t));
        let until = self.parse(until).map(|t| self.echo(t));
        match (since, until) {
            (Some(s), Some(u)) => Some(format!("from {s} to {u}")),
            (Some(s), None) => Some(format!("from {s}")),
            (None, Some(u)) => Some(format!("until {u}")),
            (None, None) => None,
        }
    }
}

/// `2026-11-23 09:00 UTC` (seconds when they are not zero).
pub fn utc_text(t: Timestamp) -> String {
    format!(
        "{} UTC",
        TypedZone::default().input_value(t).replacen('T', " ", 1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_time_is_read_in_the_browsers_zone_and_said_back_both_ways() {
        let berlin = TypedZone::from_field("60");
        let t = berlin.parse("2026-11-23T10:00").unwrap();
        assert_eq!(t.rfc3339(), "2026-11-23T09:00:00Z");
        assert_eq!(berlin.input_value(t), "2026-11-23T10:00");
        assert_eq!(
            berlin.echo(t),
            "2026-11-23 10:00 UTC+01:00 (2026-11-23 09:00 UTC)"
        );
        let india = TypedZone::from_field("330");
        assert_eq!(india.label(), "UTC+05:30");
        let ny = TypedZone::from_field("-300");
        assert_eq!(ny.label(), "UTC-05:00");
        assert_eq!(
            ny.parse("2026-11-23T10:00").unwrap().rfc3339(),
            "2026-11-23T15:00:00Z"
        );
    }

    #[test]
    fn without_a_zone_times_are_utc() {
        for field in ["", "abc", "100000"] {
            let z = TypedZone::from_field(field);
            assert!(!z.is_known(), "{field}");
            assert_eq!(z.label(), "UTC");
            let t = z.parse("2026-11-23T10:00").unwrap();
            assert_eq!(t.rfc3339(), "2026-11-23T10:00:00Z");
            assert_eq!(z.echo(t), "2026-11-23 10:00 UTC");
        }
        // RFC 3339 keeps its own offset, whatever the zone.
        let t = TypedZone::from_field("60")
            .parse("2026-11-23T10:00:00Z")
            .unwrap();
        assert_eq!(t.rfc3339(), "2026-11-23T10:00:00Z");
    }
}
