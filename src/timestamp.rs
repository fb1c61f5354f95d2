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
}
