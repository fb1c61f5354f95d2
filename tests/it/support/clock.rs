//! Times as a person types them into a `datetime-local` field, on a clock in some zone.

use time::{OffsetDateTime, UtcOffset};

/// `t` as `YYYY-MM-DDTHH:MM` on a clock `offset_minutes` east of UTC (330 for India).
pub fn datetime_local(t: OffsetDateTime, offset_minutes: i32) -> String {
    let t = t.to_offset(UtcOffset::from_whole_seconds(offset_minutes * 60).expect("an offset"));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}
