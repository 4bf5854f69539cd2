//! `omnictl machine-logs --log-format raw|omni|dmesg` (`client/pkg/omnictl/logformat`).
//!
//! Omni streams a machine's log as `common.Data` messages, one log line each; omnictl joins
//! them with `\n` and formats the stream. Talos log lines are JSON objects with the fields
//! `talos-time` (RFC 3339), `facility`, `msg`, `priority`, `talos-level`, `clock` (µs since
//! boot) and `seq`.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::{Error, Result};

/// An output format of `omnictl machine-logs`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LogFormat {
    /// The lines as they come (omnictl's default).
    #[default]
    Raw,
    /// A zap-style console line: `<time>\t<LEVEL>\t<msg>\t{<fields as JSON>}`.
    Omni,
    /// `[sssss.uuuuuu] facility: msg`, the clock in seconds and microseconds since boot.
    Dmesg,
}

impl LogFormat {
    /// `"raw"`, `"omni"` or `"dmesg"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Raw => "raw",
            LogFormat::Omni => "omni",
            LogFormat::Dmesg => "dmesg",
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LogFormat {
    type Err = Error;

    /// Parses `raw`, `omni` or `dmesg` (omnictl treats any other value as `raw`; here it is
    /// an error).
    fn from_str(s: &str) -> Result<LogFormat> {
        match s {
            "raw" => Ok(LogFormat::Raw),
            "omni" => Ok(LogFormat::Omni),
            "dmesg" => Ok(LogFormat::Dmesg),
            other => Err(Error::InvalidArgument(format!(
                "unknown log format {other:?}: use raw, omni or dmesg"
            ))),
        }
    }
}

/// Formats one log line (the bytes of one `common.Data` message, without a newline) the way
/// `omnictl machine-logs --log-format <format>` prints it.
///
/// The result has **no trailing newline** (omnictl writes one after it); a message that
/// spans several lines (dmesg splits `msg` at newlines) has `\n` between them. Invalid UTF-8
/// becomes U+FFFD.
///
/// - `Raw`: the line itself.
/// - `Dmesg`: `[%5d.%06d] <facility>: <msg>` with `clock` split into seconds and
///   microseconds; one trailing newline of `msg` is dropped and every further line of it
///   is printed as `[%5d.%06d] <line>`.
/// - `Omni`: `<talos-time>\t<LEVEL>\t<msg>\t{"clock": N, "facility": "…", "priority": "…",
///   "seq": N, "talos-time": "…"}` — zap's development console encoding (ISO 8601 time with
///   milliseconds, upper-case level from `talos-level`, INFO when unknown; the time column
///   is left out when `talos-time` is missing).
///
/// Lines that omnictl's JSON decoder rejects (not a JSON object, wrong field types, a bad
/// `talos-time`) make omnictl stop with an error; here they are returned as they are, as in
/// `Raw`. A blank line, which omnictl skips in `Omni`/`Dmesg`, gives an empty string.
pub fn format_log_line(line: &[u8], format: LogFormat) -> String {
    let text = String::from_utf8_lossy(line);
    if format == LogFormat::Raw {
        return text.into_owned();
    }
    if text.trim().is_empty() {
        return String::new();
    }
    let Some(msg) = Message::parse(&text) else {
        return text.into_owned();
    };
    match format {
        LogFormat::Dmesg => msg.dmesg(),
        _ => msg.omni(),
    }
}

/// Go's zero `time.Time` as zap's ISO 8601 encoder writes it.
const ZERO_TIME: &str = "0001-01-01T00:00:00.000Z";

#[derive(Debug, Default)]
struct Message {
    time: Option<GoTime>,
    facility: String,
    msg: String,
    priority: String,
    level: String,
    clock: i64,
    seq: i64,
}

/// Finds a field the way `encoding/json` matches struct fields: exact name first, else an
/// ASCII case-insensitive match.
fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn string_field(obj: &Map<String, Value>, name: &str) -> Option<String> {
    match field(obj, name) {
        None | Some(Value::Null) => Some(String::new()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => None,
    }
}

fn int_field(obj: &Map<String, Value>, name: &str) -> Option<i64> {
    match field(obj, name) {
        None | Some(Value::Null) => Some(0),
        Some(Value::Number(n)) => n.as_i64(),
        Some(_) => None,
    }
}

impl Message {
    /// Decodes like `json.Decoder.Decode` into omnictl's struct; `None` where Go fails.
    fn parse(text: &str) -> Option<Message> {
        let obj = match serde_json::from_str::<Value>(text).ok()? {
            Value::Object(o) => o,
            Value::Null => return Some(Message::default()),
            _ => return None,
        };
        let time = match field(&obj, "talos-time") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(GoTime::parse_rfc3339(s)?),
            Some(_) => return None,
        };
        Some(Message {
            time,
            facility: string_field(&obj, "facility")?,
            msg: string_field(&obj, "msg")?,
            priority: string_field(&obj, "priority")?,
            level: string_field(&obj, "talos-level")?,
            clock: int_field(&obj, "clock")?,
            seq: int_field(&obj, "seq")?,
        })
    }

    fn dmesg(&self) -> String {
        let secs = self.clock / 1_000_000;
        let micros = self.clock % 1_000_000;
        let prefix = format!("[{secs:5}.{micros:06}]");
        let msg = self.msg.strip_suffix('\n').unwrap_or(&self.msg);
        let mut out = String::new();
        for (i, line) in msg.split('\n').enumerate() {
            if i == 0 {
                out.push_str(&format!("{prefix} {}: {line}", self.facility));
            } else {
                out.push('\n');
                out.push_str(&format!("{prefix} {line}"));
            }
        }
        out
    }

    fn omni(&self) -> String {
        let mut out = String::new();
        let time = self.time.filter(|t| !t.is_zero());
        if let Some(t) = time {
            out.push_str(&t.iso8601());
            out.push('\t');
        }
        out.push_str(zap_level(&self.level));
        out.push('\t');
        out.push_str(&self.msg);
        out.push_str("\t{\"clock\": ");
        out.push_str(&self.clock.to_string());
        out.push_str(", \"facility\": ");
        zap_string(&mut out, &self.facility);
        out.push_str(", \"priority\": ");
        zap_string(&mut out, &self.priority);
        out.push_str(", \"seq\": ");
        out.push_str(&self.seq.to_string());
        out.push_str(", \"talos-time\": \"");
        match self.time {
            Some(t) => out.push_str(&t.iso8601()),
            None => out.push_str(ZERO_TIME),
        }
        out.push_str("\"}");
        out
    }
}

/// zap's `ParseAtomicLevel` (falling back to info) and `CapitalLevelEncoder`.
fn zap_level(s: &str) -> &'static str {
    let parse = |t: &str| -> Option<&'static str> {
        Some(match t {
            "debug" => "DEBUG",
            "info" | "" => "INFO",
            "warn" | "warning" => "WARN",
            "error" => "ERROR",
            "dpanic" => "DPANIC",
            "panic" => "PANIC",
            "fatal" => "FATAL",
            _ => return None,
        })
    };
    parse(s)
        .or_else(|| parse(&s.to_lowercase()))
        .unwrap_or("INFO")
}

/// A JSON string as zap's JSON encoder escapes it.
fn zap_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A `time.Time` as Go's JSON decoder produces it from RFC 3339 text: wall clock plus offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct GoTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    nanos: u32,
    /// Seconds east of UTC.
    offset: i32,
}

impl GoTime {
    /// Go's strict RFC 3339 parser (`time.Time.UnmarshalJSON`): `YYYY-MM-DDTHH:MM:SS`, an
    /// optional fraction (1+ digits, nanoseconds kept), then `Z` or `±HH:MM`.
    fn parse_rfc3339(s: &str) -> Option<GoTime> {
        let b = s.as_bytes();
        let num = |from: usize, to: usize, min: u32, max: u32| -> Option<u32> {
            let part = b.get(from..to)?;
            if !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let v = part
                .iter()
                .fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'));
            (min..=max).contains(&v).then_some(v)
        };
        if b.len() < 19 {
            return None;
        }
        let year = num(0, 4, 0, 9999)?;
        let month = num(5, 7, 1, 12)?;
        let day = num(8, 10, 1, crate::time::days_in_month(month, i64::from(year)))?;
        let hour = num(11, 13, 0, 23)?;
        let min = num(14, 16, 0, 59)?;
        let sec = num(17, 19, 0, 59)?;
        if b.get(4) != Some(&b'-')
            || b.get(7) != Some(&b'-')
            || b.get(10) != Some(&b'T')
            || b.get(13) != Some(&b':')
            || b.get(16) != Some(&b':')
        {
            return None;
        }
        let mut rest = b.get(19..)?;
        let mut nanos = 0u32;
        if rest.len() >= 2
            && rest.first() == Some(&b'.')
            && rest.get(1).is_some_and(u8::is_ascii_digit)
        {
            let n = 1 + rest
                .iter()
                .skip(1)
                .take_while(|c| c.is_ascii_digit())
                .count();
            let digits = rest.get(1..n)?;
            for i in 0..9 {
                nanos = nanos * 10 + digits.get(i).map_or(0, |c| u32::from(c - b'0'));
            }
            rest = rest.get(n..)?;
        }
        let offset = match rest {
            [b'Z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let tz = [*h1, *h2, *m1, *m2];
                if !tz.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let hh = i32::from(h1 - b'0') * 10 + i32::from(h2 - b'0');
                let mm = i32::from(m1 - b'0') * 10 + i32::from(m2 - b'0');
                if hh > 23 || mm > 59 {
                    return None;
                }
                let off = (hh * 60 + mm) * 60;
                if *sign == b'-' {
                    -off
                } else {
                    off
                }
            }
            _ => return None,
        };
        Some(GoTime {
            year: i64::from(year),
            month,
            day,
            hour,
            min,
            sec,
            nanos,
            offset,
        })
    }

    /// Go's `Time.IsZero`: the instant 0001-01-01T00:00:00Z.
    fn is_zero(&self) -> bool {
        use crate::time::days_from_civil;
        let days = days_from_civil(self.year, i64::from(self.month), i64::from(self.day))
            - days_from_civil(1, 1, 1);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.min) * 60
            + i64::from(self.sec)
            - i64::from(self.offset);
        secs == 0 && self.nanos == 0
    }

    /// zap's `ISO8601TimeEncoder`: Go layout `2006-01-02T15:04:05.000Z0700`.
    fn iso8601(&self) -> String {
        let zone = if self.offset == 0 {
            "Z".to_string()
        } else {
            let sign = if self.offset < 0 { '-' } else { '+' };
            let off = self.offset.unsigned_abs() / 60;
            format!("{sign}{:02}{:02}", off / 60, off % 60)
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{zone}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.min,
            self.sec,
            self.nanos / 1_000_000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KMSG: &str = r#"{"clock":8123456,"facility":"kern","msg":"eth0: link up","priority":"info","seq":512,"talos-level":"info","talos-time":"2024-05-06T07:08:09.123456789Z"}"#;

    #[test]
    fn parses_formats() {
        assert_eq!("raw".parse::<LogFormat>().unwrap(), LogFormat::Raw);
        assert_eq!("omni".parse::<LogFormat>().unwrap(), LogFormat::Omni);
        assert_eq!("dmesg".parse::<LogFormat>().unwrap(), LogFormat::Dmesg);
        assert!("json".parse::<LogFormat>().is_err());
        assert_eq!(LogFormat::Dmesg.to_string(), "dmesg");
    }

    #[test]
    fn raw_is_the_line() {
        assert_eq!(format_log_line(KMSG.as_bytes(), LogFormat::Raw), KMSG);
        assert_eq!(format_log_line(b"plain text", LogFormat::Raw), "plain text");
        assert_eq!(format_log_line(b"bad \xff", LogFormat::Raw), "bad \u{fffd}");
    }

    #[test]
    fn dmesg_like_omnictl() {
        assert_eq!(
            format_log_line(KMSG.as_bytes(), LogFormat::Dmesg),
            "[    8.123456] kern: eth0: link up"
        );
        // Trailing newline dropped; further lines without the facility.
        let multi = r#"{"clock":123,"facility":"daemon","msg":"a\nb\n"}"#;
        assert_eq!(
            format_log_line(multi.as_bytes(), LogFormat::Dmesg),
            "[    0.000123] daemon: a\n[    0.000123] b"
        );
        // Large clocks widen the field; empty fields stay empty.
        assert_eq!(
            format_log_line(br#"{"clock":123456789012}"#, LogFormat::Dmesg),
            "[123456.789012] : "
        );
        assert_eq!(
            format_log_line(b"null", LogFormat::Dmesg),
            "[    0.000000] : "
        );
    }

    #[test]
    fn omni_is_zap_console_style() {
        assert_eq!(
            format_log_line(KMSG.as_bytes(), LogFormat::Omni),
            "2024-05-06T07:08:09.123Z\tINFO\teth0: link up\t{\"clock\": 8123456, \"facility\": \"kern\", \"priority\": \"info\", \"seq\": 512, \"talos-time\": \"2024-05-06T07:08:09.123Z\"}"
        );
        let warn = r#"{"msg":"disk \"sda\" slow","talos-level":"WARNING","facility":"x\ty","talos-time":"2024-05-06T09:08:09+02:00"}"#;
        assert_eq!(
            format_log_line(warn.as_bytes(), LogFormat::Omni),
            "2024-05-06T09:08:09.000+0200\tWARN\tdisk \"sda\" slow\t{\"clock\": 0, \"facility\": \"x\\ty\", \"priority\": \"\", \"seq\": 0, \"talos-time\": \"2024-05-06T09:08:09.000+0200\"}"
        );
        // No time: the time column is left out; unknown levels are INFO.
        assert_eq!(
            format_log_line(br#"{"msg":"hi","talos-level":"trace"}"#, LogFormat::Omni),
            "INFO\thi\t{\"clock\": 0, \"facility\": \"\", \"priority\": \"\", \"seq\": 0, \"talos-time\": \"0001-01-01T00:00:00.000Z\"}"
        );
        // Keys match case-insensitively, as in encoding/json.
        assert!(
            format_log_line(br#"{"MSG":"upper","Talos-Level":"error"}"#, LogFormat::Omni)
                .starts_with("ERROR\tupper\t")
        );
    }

    #[test]
    fn undecodable_lines_come_back_raw() {
        for line in [
            "not json",
            "[1,2]",
            "42",
            r#"{"clock":"12"}"#,
            r#"{"clock":1.5}"#,
            r#"{"msg":5}"#,
            r#"{"talos-time":"2024-13-01T00:00:00Z"}"#,
            r#"{"talos-time":"2024-01-01 00:00:00Z"}"#,
            r#"{"msg":"x"} trailing"#,
        ] {
            assert_eq!(format_log_line(line.as_bytes(), LogFormat::Omni), line);
            assert_eq!(format_log_line(line.as_bytes(), LogFormat::Dmesg), line);
        }
        assert_eq!(format_log_line(b"   ", LogFormat::Dmesg), "");
    }

    #[test]
    fn go_time_rules() {
        let t = GoTime::parse_rfc3339("0001-01-01T00:00:00Z").unwrap();
        assert!(t.is_zero());
        let t = GoTime::parse_rfc3339("0001-01-01T01:00:00+01:00").unwrap();
        assert!(t.is_zero());
        assert!(!GoTime::parse_rfc3339("2000-02-29T00:00:00Z")
            .unwrap()
            .is_zero());
        assert!(GoTime::parse_rfc3339("2001-02-29T00:00:00Z").is_none());
        assert!(GoTime::parse_rfc3339("2001-02-28T24:00:00Z").is_none());
        assert!(GoTime::parse_rfc3339("2001-02-28T00:00:00z").is_none());
        assert!(GoTime::parse_rfc3339("2001-02-28T00:00:00.Z").is_none());
        assert_eq!(
            GoTime::parse_rfc3339("2001-02-28T00:00:00.5-07:30")
                .unwrap()
                .iso8601(),
            "2001-02-28T00:00:00.500-0730"
        );
    }
}
