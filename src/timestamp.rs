//! Instants stored as INTEGER unix milliseconds (cheap to index and compare in SQLite) and shown
//! as RFC 3339 UTC in JSON.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type)]
#[sqlx(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }
    pub fn from_millis(ms: i64) -> Self {
        Self(ms)
    }
    pub fn from_datetime(dt: OffsetDateTime) -> Self {
        Self((dt.unix_timestamp_nanos() / 1_000_000) as i64)
    }
    pub fn millis(self) -> i64 {
        self.0
    }
    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }
    pub fn datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
    pub fn plus(self, d: std::time::Duration) -> Self {
        Self(self.0.saturating_add(d.as_millis() as i64))
    }
    pub fn minus(self, d: std::time::Duration) -> Self {
        Self(self.0.saturating_sub(d.as_millis() as i64))
    }
    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-23T09:32:45.123Z`.
    pub fn rfc3339(self) -> String {
        let dt = self.datetime();
        let dt = dt
            .replace_nanosecond(dt.millisecond() as u32 * 1_000_000)
            .unwrap_or(dt);
        dt.format(&Rfc3339).unwrap_or_default()
    }
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        OffsetDateTime::parse(s, &Rfc3339)
            .ok()
            .map(Self::from_datetime)
    }
    /// A time typed into a form: RFC 3339, or a zone-less `YYYY-MM-DDTHH:MM[:SS]` (what
    /// `<input type=datetime-local>` sends; also with a space) read as UTC.
    pub fn parse_form_utc(s: &str) -> Option<Self> {
        Self::parse_form_at(s, time::UtcOffset::UTC)
    }
    /// As `parse_form_utc`, but a zone-less time is read at `offset` (the zone it was typed in);
    /// an RFC 3339 time keeps its own offset.
    pub fn parse_form_at(s: &str, offset: time::UtcOffset) -> Option<Self> {
        let s = s.trim();
        if let Some(t) = Self::parse_rfc3339(s) {
            return Some(t);
        }
        let s = s.replacen(' ', "T", 1);
        let long =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        let short = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
        time::PrimitiveDateTime::parse(&s, long)
            .or_else(|_| time::PrimitiveDateTime::parse(&s, short))
            .ok()
            .map(|dt| Self::from_datetime(dt.assume_offset(offset)))
    }
    /// `YYYY-MM-DDTHH:MM` in UTC: the value of a `datetime-local` input showing this instant.
    pub fn form_utc(self) -> String {
        self.form_at(time::UtcOffset::UTC)
    }
    /// `YYYY-MM-DDTHH:MM` on a clock at `offset`.
    pub fn form_at(self, offset: time::UtcOffset) -> String {
        let dt = self.datetime().to_offset(offset);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute()
        )
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_rfc3339() {
        let t = Timestamp::from_millis(1_614_265_330_123);
        assert_eq!(t.rfc3339(), "2021-02-25T15:02:10.123Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.rfc3339()), Some(t));
        assert_eq!(t.unix_seconds(), 1_614_265_330);
    }

    #[test]
    fn form_times_are_utc() {
        let t = Timestamp::parse_form_utc("2021-02-25T15:02").unwrap();
        assert_eq!(t.rfc3339(), "2021-02-25T15:02:00Z");
        assert_eq!(t.form_utc(), "2021-02-25T15:02");
        assert_eq!(
            Timestamp::parse_form_utc("2021-02-25 15:02:10")
                .unwrap()
                .rfc3339(),
            "2021-02-25T15:02:10Z"
        );
        assert_eq!(
            Timestamp::parse_form_utc("2021-02-25T16:02:10+01:00")
                .unwrap()
                .rfc3339(),
            "2021-02-25T15:02:10Z"
        );
        assert_eq!(Timestamp::parse_form_utc(""), None);
        assert_eq!(Timestamp::parse_form_utc("yesterday"), None);
        assert_eq!(Timestamp::parse_form_utc("2021-02-30T10:00"), None);
    }
}
