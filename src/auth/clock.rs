//! Clock skew: Omni rejects signatures whose timestamp is more than 5 minutes off its own
//! clock. Transports learn the server's time from the HTTP `Date` response header and sign
//! with `local now + offset`.

use crate::{Error, Result};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Parse an RFC 7231 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) into Unix seconds.
pub fn parse_http_date(value: &str) -> Result<i64> {
    let bad = || Error::InvalidArgument(format!("not an HTTP date: {value:?}"));
    let v = value.trim();
    let b = v.as_bytes();
    // "Www, DD Mon YYYY HH:MM:SS GMT" is exactly 29 ASCII bytes.
    if b.len() != 29 || !v.is_ascii() {
        return Err(bad());
    }
    let part = |from: usize, to: usize| v.get(from..to).ok_or_else(bad);
    let num = |from: usize, to: usize| -> Result<i64> {
        let s = part(from, to)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse::<i64>().map_err(|_| bad())
    };
    if !WEEKDAYS.contains(&part(0, 3)?)
        || part(3, 5)? != ", "
        || part(7, 8)? != " "
        || part(11, 12)? != " "
        || part(16, 17)? != " "
        || part(19, 20)? != ":"
        || part(22, 23)? != ":"
        || part(25, 29)? != " GMT"
    {
        return Err(bad());
    }
    let day = num(5, 7)?;
    let month_name = part(8, 11)?;
    let month = MONTHS
        .iter()
        .position(|m| *m == month_name)
        .ok_or_else(bad)?;
    let year = num(12, 16)?;
    let (hour, minute, second) = (num(17, 19)?, num(20, 22)?, num(23, 25)?);
    let month = i64::try_from(month).map_err(|_| bad())? + 1;
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return Err(bad());
    }
    Ok(
        crate::time::days_from_civil(year, month, day) * 86_400
            + hour * 3600
            + minute * 60
            + second,
    )
}

/// The offset between the server's clock and ours, learned from `Date` headers.
///
/// `SkewClock` never reads a clock itself: callers pass their local time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SkewClock {
    offset_secs: i64,
}

impl SkewClock {
    /// No known offset.
    pub fn new() -> Self {
        Self::default()
    }

    /// Learn the offset from a response's `Date` header seen at local time `local_now_secs`.
    ///
    /// `Date` has one-second resolution; offsets of ±1 s are ignored to avoid jitter.
    pub fn observe_date_header(&mut self, local_now_secs: i64, date: &str) -> Result<()> {
        let server = parse_http_date(date)?;
        let offset = server - local_now_secs;
        self.offset_secs = if offset.abs() <= 1 { 0 } else { offset };
        Ok(())
    }

    /// The learned offset (server minus local), in seconds.
    pub fn offset_secs(&self) -> i64 {
        self.offset_secs
    }

    /// Server time estimate for local time `local_now_secs`: what to pass as `now` when signing.
    pub fn server_now(&self, local_now_secs: i64) -> i64 {
        local_now_secs.saturating_add(self.offset_secs)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn auth_http_date_parses_imf_fixdate() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap(),
            784111777
        );
        assert_eq!(
            parse_http_date("Thu, 01 Jan 2026 00:00:00 GMT").unwrap(),
            1767225600
        );
        assert_eq!(
            parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT").unwrap(),
            1709208000
        );
        for bad in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 0x Nov 1994 08:49:37 GMT",
            "Sün, 06 Nov 1994 08:49:37 GM",
        ] {
            assert!(parse_http_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn auth_skew_clock_applies_offset() {
        let mut c = SkewClock::new();
        c.observe_date_header(1767225000, "Thu, 01 Jan 2026 00:00:00 GMT")
            .unwrap();
        assert_eq!(c.offset_secs(), 600);
        assert_eq!(c.server_now(1767225001), 1767225601);
        c.observe_date_header(1767225601, "Thu, 01 Jan 2026 00:00:00 GMT")
            .unwrap();
        assert_eq!(c.offset_secs(), 0);
    }
}
