//! Scalar rules of go-yaml: implicit resolution, Go number/duration parsing and formatting.

/// The resolved YAML type of a scalar (go-yaml's implicit resolution or explicit tag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum STag {
    Null,
    Bool,
    Int,
    Float,
    Str,
    Timestamp,
    Binary,
    Other,
}

impl STag {
    #[cfg_attr(not(feature = "templates"), allow(dead_code))]
    pub(crate) fn short(self) -> &'static str {
        match self {
            STag::Null => "!!null",
            STag::Bool => "!!bool",
            STag::Int => "!!int",
            STag::Float => "!!float",
            STag::Str => "!!str",
            STag::Timestamp => "!!timestamp",
            STag::Binary => "!!binary",
            STag::Other => "!!str",
        }
    }
}

/// go-yaml's implicit resolution of a plain scalar.
/// The YAML 1.1 booleans go-yaml still knows (`yes`, `off`, …): it quotes them when it writes a
/// string, and decodes them into a `bool` field. `None` for any other text.
pub(crate) fn old_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// go-yaml's decoding of a scalar into a `bool` field: a resolved boolean, or a string that is
/// one of the [`old_bool`] words. `None` when it does not decode.
#[cfg_attr(not(feature = "templates"), allow(dead_code))]
pub(crate) fn go_bool(value: &str, tag: STag) -> Option<bool> {
    match (tag, value) {
        (STag::Bool, "true" | "True" | "TRUE") => Some(true),
        (STag::Bool, "false" | "False" | "FALSE") => Some(false),
        (STag::Str, v) => old_bool(v),
        _ => None,
    }
}

pub(crate) fn resolve_plain(s: &str) -> STag {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return STag::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return STag::Bool,
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" | "-0" | "-0.0" => return STag::Float,
        _ => {}
    }
    let Some(first) = s.chars().next() else {
        return STag::Null;
    };
    if first.is_ascii_digit() || first == '-' || first == '+' {
        if first.is_ascii_digit() && parse_timestamp(s).is_some() {
            return STag::Timestamp;
        }
        if parse_go_int(s).is_some() {
            return STag::Int;
        }
        if is_float_text(&without_underscores(s)) {
            return STag::Float;
        }
        return STag::Str;
    }
    if first == '.' && is_float_text(s) {
        return STag::Float;
    }
    STag::Str
}

/// A resolved integer: signed or (too large for i64) unsigned.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum GoInt {
    I(i64),
    U(u64),
}

/// `s` without `_` (go-yaml drops them before parsing numbers), borrowed when it has none.
fn without_underscores(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('_') {
        std::borrow::Cow::Owned(s.replace('_', ""))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Go `strconv.ParseInt(s, 0, 64)` then `ParseUint(s, 0, 64)` on `s` with `_` removed.
pub(crate) fn parse_go_int(s: &str) -> Option<GoInt> {
    let plain = without_underscores(s);
    let (neg, body) = match plain.as_bytes().first() {
        Some(b'-') => (true, &plain[1..]),
        Some(b'+') => (false, &plain[1..]),
        _ => (false, &plain[..]),
    };
    let b = body.as_bytes();
    let (radix, digits) = match b {
        [b'0', p, ..] if p.eq_ignore_ascii_case(&b'x') => (16, &body[2..]),
        [b'0', p, ..] if p.eq_ignore_ascii_case(&b'o') => (8, &body[2..]),
        [b'0', p, ..] if p.eq_ignore_ascii_case(&b'b') => (2, &body[2..]),
        [b'0', _, ..] => (8, &body[1..]),
        _ => (10, body),
    };
    if digits.is_empty() || !digits.bytes().all(|c| char::from(c).is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if mag <= (i64::MAX as u64) + 1 {
            Some(GoInt::I((mag as i128).wrapping_neg() as i64))
        } else {
            None
        }
    } else if mag <= i64::MAX as u64 {
        Some(GoInt::I(mag as i64))
    } else {
        Some(GoInt::U(mag))
    }
}

fn is_float_text(s: &str) -> bool {
    // ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-') | Some(b'+')) {
        i = 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e') | Some(b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-') | Some(b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Parses a float the way go-yaml resolves `!!float` text.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    match s {
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    without_underscores(s).parse::<f64>().ok()
}

/// Formats a float like Go's `strconv.FormatFloat(f, 'g', -1, 64)` as go-yaml writes it.
pub(crate) fn format_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let e = format!("{:e}", f);
    let (mant, exp) = match e.split_once('e') {
        Some((m, x)) => (m.to_string(), x.parse::<i32>().unwrap_or(0)),
        None => return e,
    };
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let mut m = String::new();
        m.push_str(&digits[..1]);
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let es = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{es}{:02}", exp.abs());
    }
    let nd = digits.len() as i32;
    let dp = exp + 1;
    let mut out = String::from(sign);
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(&digits);
    } else if dp >= nd {
        out.push_str(&digits);
        for _ in 0..(dp - nd) {
            out.push('0');
        }
    } else {
        let (a, b) = digits.split_at(dp as usize);
        out.push_str(a);
        out.push('.');
        out.push_str(b);
    }
    out
}

/// Parses the timestamp forms go-yaml accepts; returns the RFC3339Nano rendering.
pub(crate) fn parse_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let num = |t: &str, min: usize, max: usize| -> Option<u32> {
        if t.len() < min || t.len() > max || !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (date, rest) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut dp = date.split('-');
    let y = num(dp.next()?, 4, 4)?;
    let mo = num(dp.next()?, 1, 2)?;
    let d = num(dp.next()?, 1, 2)?;
    if dp.next().is_some() || !(1..=12).contains(&mo) || d < 1 || d > days_in(y, mo) {
        return None;
    }
    let Some(rest) = rest else {
        return Some(format!("{y:04}-{mo:02}-{d:02}T00:00:00Z"));
    };
    let space_form = s.as_bytes().get(date.len()) == Some(&b' ');
    // time part: h:m:s[.frac] then zone (Z|±hh:mm) for T forms; none for the space form.
    let time_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
        .unwrap_or(rest.len());
    let (time, zone) = rest.split_at(time_end);
    let (hms, frac) = match time.split_once('.') {
        Some((a, f)) => (a, Some(f)),
        None => (time, None),
    };
    let mut tp = hms.split(':');
    let h = num(tp.next()?, 1, 2)?;
    let mi = num(tp.next()?, 1, 2)?;
    let se = num(tp.next()?, 1, 2)?;
    if tp.next().is_some() || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let frac_s = match frac {
        Some(f) if !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()) => {
            let t = f.trim_end_matches('0');
            if t.is_empty() {
                String::new()
            } else {
                format!(".{}", &t[..t.len().min(9)])
            }
        }
        Some(_) => return None,
        None => String::new(),
    };
    let zone_s = if space_form {
        if !zone.is_empty() {
            return None;
        }
        "Z".to_string()
    } else if zone == "Z" {
        "Z".to_string()
    } else {
        let zb = zone.as_bytes();
        if zb.len() != 6 || !(zb[0] == b'+' || zb[0] == b'-') || zb[3] != b':' {
            return None;
        }
        num(&zone[1..3], 2, 2)?;
        num(&zone[4..6], 2, 2)?;
        if &zone[1..] == "00:00" {
            "Z".to_string()
        } else {
            zone.to_string()
        }
    };
    Some(format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{se:02}{frac_s}{zone_s}"
    ))
}

fn days_in(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Go `time.ParseDuration`, returning nanoseconds.
#[cfg_attr(not(feature = "templates"), allow(dead_code))]
pub(crate) fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let err = || format!("time: invalid duration \"{orig}\"");
    let mut s = orig;
    let mut neg = false;
    if let Some(r) = s.strip_prefix('-') {
        neg = true;
        s = r;
    } else if let Some(r) = s.strip_prefix('+') {
        s = r;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(err());
    }
    let mut total: u128 = 0;
    while !s.is_empty() {
        let int_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (int_part, rest) = s.split_at(int_end);
        let mut rest = rest;
        let mut frac_part = "";
        if let Some(r) = rest.strip_prefix('.') {
            let fe = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            frac_part = &r[..fe];
            rest = &r[fe..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(err());
        }
        let unit_end = rest
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (unit, r2) = rest.split_at(unit_end);
        let mult: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("time: missing unit in duration \"{orig}\"")),
            _ => {
                return Err(format!(
                    "time: unknown unit \"{unit}\" in duration \"{orig}\""
                ))
            }
        };
        let iv: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| err())?
        };
        total = total.saturating_add(iv.saturating_mul(mult));
        if !frac_part.is_empty() {
            let mut scale: u128 = 1;
            let mut fv: u128 = 0;
            for c in frac_part.chars().take(30) {
                fv = fv * 10 + u128::from(c.to_digit(10).unwrap_or(0));
                scale *= 10;
            }
            total = total.saturating_add(fv * mult / scale);
        }
        if total > (i64::MAX as u128) + u128::from(neg) {
            return Err(err());
        }
        s = r2;
    }
    let v = if neg {
        (total as i128).wrapping_neg() as i64
    } else {
        total as i64
    };
    Ok(v)
}

/// Formats nanoseconds like Go's `time.Duration.String()`.
#[cfg_attr(not(feature = "templates"), allow(dead_code))]
pub(crate) fn format_go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (div, unit) = if u < 1_000 {
            (1, "ns")
        } else if u < 1_000_000 {
            (1_000, "µs")
        } else {
            (1_000_000, "ms")
        };
        out.push_str(&frac_str(u, div));
        out.push_str(unit);
    } else {
        let h = u / 3_600_000_000_000;
        let rem = u % 3_600_000_000_000;
        let m = rem / 60_000_000_000;
        let sns = rem % 60_000_000_000;
        if h > 0 {
            out.push_str(&format!("{h}h{m}m"));
        } else if m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&frac_str(sns, 1_000_000_000));
        out.push('s');
    }
    if neg {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg_attr(not(feature = "templates"), allow(dead_code))]
fn frac_str(v: u64, div: u64) -> String {
    let int = v / div;
    let frac = v % div;
    if frac == 0 {
        return int.to_string();
    }
    let width = div.to_string().len() - 1;
    let f = format!("{frac:0width$}");
    format!("{int}.{}", f.trim_end_matches('0'))
}

/// Go's `%q` quoting of a string (as used in error texts).
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_like_go() {
        use GoInt::{I, U};
        for (text, want) in [
            ("0x1F", Some(I(31))),
            ("0X1f", Some(I(31))),
            ("0o17", Some(I(15))),
            ("017", Some(I(15))),
            ("0b101", Some(I(5))),
            ("+5", Some(I(5))),
            ("1_000", Some(I(1000))),
            ("-9223372036854775808", Some(I(i64::MIN))),
            ("18446744073709551615", Some(U(u64::MAX))),
            ("-9223372036854775809", None),
            ("0", Some(I(0))),
            ("-", None),
            ("0x", None),
            ("08", None),
            ("12a", None),
            ("00000000-0000-4000-8000-000000000000", None),
        ] {
            assert_eq!(parse_go_int(text), want, "{text}");
        }
        assert_eq!(
            resolve_plain("00000000-0000-4000-8000-000000000000"),
            STag::Str
        );
        assert_eq!(resolve_plain("1_0.5"), STag::Float);
    }

    #[test]
    fn resolves_like_go_yaml() {
        assert_eq!(resolve_plain("1.30"), STag::Float);
        assert_eq!(resolve_plain("0x1F"), STag::Int);
        assert_eq!(resolve_plain("1_000"), STag::Int);
        assert_eq!(resolve_plain("2024-01-02"), STag::Timestamp);
        assert_eq!(resolve_plain("192.168.0.1"), STag::Str);
        assert_eq!(resolve_plain("yes"), STag::Str);
        assert_eq!(resolve_plain("v1.3.0"), STag::Str);
    }

    #[test]
    fn formats_floats_like_go() {
        assert_eq!(format_float(1.0), "1");
        assert_eq!(format_float(1e6), "1e+06");
        assert_eq!(format_float(0.5), "0.5");
        assert_eq!(format_float(1000.0), "1000");
        assert_eq!(format_float(1.5e-5), "1.5e-05");
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("2h"), Ok(7_200_000_000_000));
        assert_eq!(parse_go_duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(format_go_duration(7_200_000_000_000), "2h0m0s");
        assert_eq!(format_go_duration(1_500_000_000), "1.5s");
        assert!(parse_go_duration("abc").is_err());
    }
}
