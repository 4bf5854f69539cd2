//! Go durations (`time.ParseDuration`), as omnictl's flags take them: `1h30m`, `1.5h`,
//! `90m30s`, `300ms`, `-2h`.

use std::time::Duration;

use crate::{Error, Result};

/// Nanoseconds per unit, the unit names Go accepts.
const UNITS: [(&str, u128); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// A signed Go duration in nanoseconds (`time.ParseDuration`): a sequence of decimal numbers,
/// each with an optional fraction and a unit (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`), with an
/// optional leading sign; `0` alone needs no unit. Errors quote the input as Go does
/// (`time: invalid duration "1d"`).
pub fn parse_go_duration_nanos(s: &str) -> Result<i128> {
    let invalid = || Error::InvalidArgument(format!("time: invalid duration {s:?}"));
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &rest[..int_len];
        rest = &rest[int_len..];
        let mut frac_part = "";
        if let Some(after) = rest.strip_prefix('.') {
            let n = after.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &after[..n];
            rest = &after[n..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(rest.len(), |(i, _)| i);
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        if unit.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "time: missing unit in duration {s:?}"
            )));
        }
        let scale = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, n)| *n)
            .ok_or_else(|| {
                Error::InvalidArgument(format!("time: unknown unit {unit:?} in duration {s:?}"))
            })?;
        let whole: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| invalid())?
        };
        let mut value = whole.checked_mul(scale).ok_or_else(invalid)?;
        // the fraction as Go reads it (`leadingFraction`): digits while they fit in 63 bits,
        // then scaled in floating point and truncated
        let mut frac: u64 = 0;
        let mut frac_scale: f64 = 1.0;
        for d in frac_part.bytes() {
            match frac
                .checked_mul(10)
                .and_then(|f| f.checked_add(u64::from(d - b'0')))
            {
                Some(f) if f <= i64::MAX as u64 => {
                    frac = f;
                    frac_scale *= 10.0;
                }
                _ => break,
            }
        }
        value += (frac as f64 * (scale as f64 / frac_scale)) as u128;
        total = total.checked_add(value).ok_or_else(invalid)?;
        if total > i64::MAX as u128 {
            return Err(invalid());
        }
    }
    let total = total as i128;
    Ok(if neg { -total } else { total })
}

/// A non-negative Go duration (`--ttl 1h30m`); negative durations are refused.
pub fn parse_go_duration(s: &str) -> Result<Duration> {
    let n = parse_go_duration_nanos(s)?;
    if n < 0 {
        return Err(Error::InvalidArgument(format!(
            "duration {s:?} is negative"
        )));
    }
    Ok(Duration::from_nanos(n as u64))
}

/// A duration as Go's `Duration.String()` prints it: `1h30m0s`, `1.5s`, `300ms`, `0s`.
pub fn format_go_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0s".into();
    }
    if ns < 1_000_000_000 {
        let (unit, scale) = if ns < 1_000 {
            ("ns", 1)
        } else if ns < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{}{unit}", fraction(ns, scale));
    }
    let h = ns / 3_600_000_000_000;
    let m = ns / 60_000_000_000 % 60;
    let s = ns % 60_000_000_000;
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{}s", fraction(s, 1_000_000_000)));
    out
}

/// `n / scale` with the fraction's trailing zeros dropped.
fn fraction(n: u128, scale: u128) -> String {
    let whole = n / scale;
    let frac = n % scale;
    if frac == 0 {
        return whole.to_string();
    }
    let width = scale.to_string().len() - 1;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_go_parses() {
        // cases from Go's time.ParseDuration documentation and tests
        let h = 3_600_000_000_000i128;
        let m = 60_000_000_000i128;
        let s = 1_000_000_000i128;
        for (text, want) in [
            ("0", 0),
            ("5s", 5 * s),
            ("30s", 30 * s),
            ("1478s", 1478 * s),
            ("-5s", -5 * s),
            ("+5s", 5 * s),
            ("5.0s", 5 * s),
            ("5.6s", 5 * s + 600_000_000),
            ("5.s", 5 * s),
            (".5s", s / 2),
            ("1.004s", s + 4_000_000),
            ("100.00100s", 100 * s + 1_000_000),
            ("10ns", 10),
            ("11us", 11_000),
            ("12µs", 12_000),
            ("12μs", 12_000),
            ("13ms", 13_000_000),
            ("14s", 14 * s),
            ("15m", 15 * m),
            ("16h", 16 * h),
            ("3h30m", 3 * h + 30 * m),
            ("10.5s4m", 4 * m + 10 * s + 500_000_000),
            ("1h30m", 90 * m),
            ("1.5h", 90 * m),
            ("90m30s", 90 * m + 30 * s),
            ("8760h", 8760 * h),
            ("0.3333333333333333333h", 20 * m),
        ] {
            assert_eq!(parse_go_duration_nanos(text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn refuses_what_go_refuses() {
        for (text, msg) in [
            ("", "time: invalid duration \"\""),
            ("3", "time: missing unit in duration \"3\""),
            ("-", "time: invalid duration \"-\""),
            ("s", "time: invalid duration \"s\""),
            (".", "time: invalid duration \".\""),
            ("-.", "time: invalid duration \"-.\""),
            (".s", "time: invalid duration \".s\""),
            ("1d", "time: unknown unit \"d\" in duration \"1d\""),
            ("3000000h", "time: invalid duration \"3000000h\""),
        ] {
            let e = parse_go_duration_nanos(text).unwrap_err().to_string();
            assert!(e.contains(msg), "{text}: {e}");
        }
        assert!(parse_go_duration("-1h").is_err());
    }

    #[test]
    fn prints_as_go_does() {
        for (ns, want) in [
            (0u64, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (4 * 60_000_000_000 + 5_000_000_000, "4m5s"),
            (5_400_000_000_000, "1h30m0s"),
            (8760 * 3_600_000_000_000, "8760h0m0s"),
        ] {
            assert_eq!(format_go_duration(Duration::from_nanos(ns)), want);
        }
    }
}
