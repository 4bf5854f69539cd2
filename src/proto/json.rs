//! The one protobuf ↔ JSON mechanism of the crate: a descriptor pool of the compiled files
//! (pruned at build time to what the run time reads) and protojson through prost-reflect's
//! reflection API. Spec codecs (`resource`) and the JSON protocols' answers (`transport`) both
//! read JSON here; the generated types have no serde code.

use std::sync::OnceLock;

use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor,
    ReflectMessage, Value,
};
use serde_json::Value as Json;

use crate::{Error, Result};

/// The descriptor pool of the run time ([`super::RUNTIME_DESCRIPTOR_SET`]), built at its first
/// use (the first spec read or the first JSON answer decoded), once.
pub(crate) fn pool() -> Result<&'static DescriptorPool> {
    static POOL: OnceLock<Result<DescriptorPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(super::RUNTIME_DESCRIPTOR_SET).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| Error::Decode(format!("descriptor set: {e}")))
}

/// The descriptor of a message by full name (`specs.ClusterSpec`).
pub(crate) fn message(name: &str) -> Result<MessageDescriptor> {
    pool()?
        .get_message_by_name(name)
        .ok_or_else(|| Error::Decode(format!("unknown message {name}")))
}

/// Decodes protobuf bytes of `desc` into a dynamic message.
pub(crate) fn decode(desc: &MessageDescriptor, bytes: &[u8]) -> Result<DynamicMessage> {
    DynamicMessage::decode(desc.clone(), bytes)
        .map_err(|e| Error::Decode(format!("{}: {e}", desc.full_name())))
}

/// protojson (proto field names, enum numbers, zero values omitted) of a message.
pub(crate) fn to_json(msg: &DynamicMessage) -> Result<Json> {
    let mut out = Vec::new();
    write_json(msg, &mut out)?;
    serde_json::from_slice(&out)
        .map_err(|e| Error::Decode(format!("{}: {e}", msg.descriptor().full_name())))
}

/// Appends the protojson of a message (as [`to_json`]) to `out`: proto field names, enum
/// numbers, fields at their default omitted, 64-bit integers as strings, map keys sorted.
pub(crate) fn write_json(msg: &DynamicMessage, out: &mut Vec<u8>) -> Result<()> {
    Writer { out }
        .message(msg, 0)
        .map_err(|e| Error::Decode(format!("{}: {e}", msg.descriptor().full_name())))
}

/// The protojson text of a `google.protobuf.Timestamp` (RFC 3339, years 0001..=9999 as
/// protojson allows).
pub(crate) fn timestamp_text(seconds: i64, nanos: i32) -> std::result::Result<String, String> {
    if !(-62_135_596_800..=253_402_300_799).contains(&seconds)
        || !(0..1_000_000_000).contains(&nanos)
    {
        return Err(format!("timestamp out of range: {seconds}s {nanos}ns"));
    }
    Ok(prost_types::Timestamp { seconds, nanos }.to_string())
}

/// The protojson text of a `google.protobuf.Duration` (`"7200s"`, `"1.5s"`), within protojson's
/// range and with the signs of both parts agreeing.
pub(crate) fn duration_text(seconds: i64, nanos: i32) -> std::result::Result<String, String> {
    if seconds.unsigned_abs() > 315_576_000_000
        || nanos.unsigned_abs() >= 1_000_000_000
        || (seconds != 0 && nanos != 0 && (seconds < 0) != (nanos < 0))
    {
        return Err(format!("duration out of range: {seconds}s {nanos}ns"));
    }
    Ok(prost_types::Duration { seconds, nanos }.to_string())
}

/// Well-known types whose JSON forms no spec uses, refused both ways rather than guessed.
const UNSUPPORTED_WKT: [&str; 5] = [
    "google.protobuf.Any",
    "google.protobuf.Struct",
    "google.protobuf.Value",
    "google.protobuf.ListValue",
    "google.protobuf.FieldMask",
];

/// Writes protojson text of dynamic messages.
struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

impl Writer<'_> {
    fn message(&mut self, msg: &DynamicMessage, depth: usize) -> std::result::Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("nesting too deep".into());
        }
        let desc = msg.descriptor();
        match desc.full_name() {
            "google.protobuf.Timestamp" => {
                let (seconds, nanos) = wkt_parts(msg);
                return self.string(&timestamp_text(seconds, nanos)?);
            }
            "google.protobuf.Duration" => {
                let (seconds, nanos) = wkt_parts(msg);
                return self.string(&duration_text(seconds, nanos)?);
            }
            name if UNSUPPORTED_WKT.contains(&name) => {
                return Err(format!("{name} is not supported in specs"));
            }
            _ => {}
        }
        self.out.push(b'{');
        for (i, (field, value)) in msg.fields().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.string(field.name())?;
            self.out.push(b':');
            self.field(&field, value, depth)?;
        }
        self.out.push(b'}');
        Ok(())
    }

    fn field(
        &mut self,
        f: &FieldDescriptor,
        v: &Value,
        depth: usize,
    ) -> std::result::Result<(), String> {
        match v {
            Value::List(items) => {
                self.out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.value(&f.kind(), item, depth)?;
                }
                self.out.push(b']');
                Ok(())
            }
            Value::Map(entries) => {
                let value_kind = match f.kind() {
                    Kind::Message(entry) => entry.map_entry_value_field().kind(),
                    _ => return Err("bad map field".into()),
                };
                let mut keys: Vec<(String, &Value)> =
                    entries.iter().map(|(k, v)| (map_key_text(k), v)).collect();
                crate::order::sort_with(&mut keys, |a, b| a.0.cmp(&b.0));
                self.out.push(b'{');
                for (i, (k, item)) in keys.into_iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.string(&k)?;
                    self.out.push(b':');
                    self.value(&value_kind, item, depth)?;
                }
                self.out.push(b'}');
                Ok(())
            }
            other => self.value(&f.kind(), other, depth),
        }
    }

    fn value(&mut self, kind: &Kind, v: &Value, depth: usize) -> std::result::Result<(), String> {
        use base64::Engine as _;
        match v {
            Value::Bool(b) => self
                .out
                .extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::I32(n) => self.out.extend_from_slice(n.to_string().as_bytes()),
            Value::U32(n) => self.out.extend_from_slice(n.to_string().as_bytes()),
            Value::I64(n) => self.string(&n.to_string())?,
            Value::U64(n) => self.string(&n.to_string())?,
            Value::F32(x) if x.is_finite() => self.number(x)?,
            Value::F64(x) if x.is_finite() => self.number(x)?,
            Value::F32(x) => self.non_finite(f64::from(*x))?,
            Value::F64(x) => self.non_finite(*x)?,
            Value::String(s) => self.string(s)?,
            Value::Bytes(b) => {
                self.string(&base64::engine::general_purpose::STANDARD.encode(b))?;
            }
            Value::EnumNumber(n) => match kind {
                Kind::Enum(e) if e.full_name() == "google.protobuf.NullValue" => {
                    self.out.extend_from_slice(b"null");
                }
                _ => self.out.extend_from_slice(n.to_string().as_bytes()),
            },
            Value::Message(m) => self.message(m, depth + 1)?,
            Value::List(_) | Value::Map(_) => return Err("nested list or map".into()),
        }
        Ok(())
    }

    /// A finite number as serde_json writes it (shortest round-trip text).
    fn number(&mut self, x: &(impl serde::Serialize + ?Sized)) -> std::result::Result<(), String> {
        serde_json::to_writer(&mut *self.out, x).map_err(|e| e.to_string())
    }

    /// NaN and the infinities as protojson's strings.
    fn non_finite(&mut self, x: f64) -> std::result::Result<(), String> {
        self.string(if x.is_nan() {
            "NaN"
        } else if x > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        })
    }

    fn string(&mut self, s: &str) -> std::result::Result<(), String> {
        serde_json::to_writer(&mut *self.out, s).map_err(|e| e.to_string())
    }
}

/// `seconds` and `nanos` of a Timestamp or Duration message.
fn wkt_parts(msg: &DynamicMessage) -> (i64, i32) {
    let seconds = msg
        .get_field_by_name("seconds")
        .and_then(|v| v.as_i64())
        .unwrap_or_default();
    let nanos = msg
        .get_field_by_name("nanos")
        .and_then(|v| v.as_i32())
        .unwrap_or_default();
    (seconds, nanos)
}

fn map_key_text(k: &MapKey) -> String {
    match k {
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(n) => n.to_string(),
        MapKey::I64(n) => n.to_string(),
        MapKey::U32(n) => n.to_string(),
        MapKey::U64(n) => n.to_string(),
        MapKey::String(s) => s.clone(),
    }
}

/// Parses protojson (proto or JSON field names, enum names or numbers, 64-bit integers as
/// numbers or strings, `NaN`/`Infinity`, standard or URL-safe base64, RFC 3339 timestamps and
/// `"1.5s"` durations) into a message of `desc`, through prost-reflect's reflection API; unknown
/// fields are refused (the caller's own input: a misspelt field is an error).
pub(crate) fn from_json(desc: &MessageDescriptor, json: &Json) -> Result<DynamicMessage> {
    Reader {
        ignore_unknown: false,
    }
    .message(desc, json, 0)
    .map_err(|e| Error::InvalidArgument(format!("spec of {}: {e}", desc.full_name())))
}

/// The message `T` from a server's protojson answer to `method` (`/pkg.Service/Method`),
/// read against the method's output type. Fields this build does not know are skipped (a newer
/// Omni may add some). This is how JSON answers become typed messages; the one exception is
/// COSI's resource streams on the gateway (`Transport::server_streaming_one_pass`).
pub(crate) fn decode_answer<T: prost::Message + Default>(method: &str, json: &Json) -> Result<T> {
    transcode(&read_answer(&method_output(method)?, json)?)
        .map_err(|e| Error::Decode(format!("{method} response: {e}")))
}

/// The message `T` (full name `name`) from the caller's protojson: read strictly, so that a
/// misspelt field is an error rather than silently dropped. (The wasm facade's request objects.)
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn decode_input<T: prost::Message + Default>(name: &str, json: &Json) -> Result<T> {
    transcode(&from_json(&message(name)?, json)?)
        .map_err(|e| Error::InvalidArgument(format!("{name}: {e}")))
}

/// A dynamic message as the generated type `T` of the same message.
fn transcode<T: prost::Message + Default>(msg: &DynamicMessage) -> Result<T, prost::DecodeError> {
    T::decode(msg.encode_to_vec().as_slice())
}

/// The output message of `method` (`/pkg.Service/Method`).
fn method_output(method: &str) -> Result<MessageDescriptor> {
    let (service, name) = method
        .strip_prefix('/')
        .and_then(|m| m.split_once('/'))
        .ok_or_else(|| Error::Decode(format!("{method}: not a method path")))?;
    Ok(rpc(service, name)
        .map_err(|e| Error::Decode(e.to_string()))?
        .output())
}

/// The method `name` of `service` (`management.ManagementService`), from the compiled files.
///
/// # Errors
/// [`Error::InvalidArgument`] when the services in `proto/` have no such method.
pub(crate) fn rpc(service: &str, name: &str) -> Result<prost_reflect::MethodDescriptor> {
    pool()?
        .get_service_by_name(service)
        .and_then(|s| s.methods().find(|m| m.name() == name))
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "{service}/{name}: not a method of the compiled services"
            ))
        })
}

/// A server's protojson answer as a message of `desc`, skipping fields this build does not know
/// (as [`decode_answer`], for callers that have no generated type).
pub(crate) fn read_answer(desc: &MessageDescriptor, json: &Json) -> Result<DynamicMessage> {
    Reader {
        ignore_unknown: true,
    }
    .message(desc, json, 0)
    .map_err(|e| Error::Decode(format!("{} answer: {e}", desc.full_name())))
}

/// How protojson is read: strictly (the caller's input) or skipping unknown fields (answers).
struct Reader {
    ignore_unknown: bool,
}

/// Nesting deeper than this is refused (a hostile spec must not exhaust the stack).
const MAX_DEPTH: usize = 100;

impl Reader {
    fn message(
        &self,
        desc: &MessageDescriptor,
        json: &Json,
        depth: usize,
    ) -> std::result::Result<DynamicMessage, String> {
        if depth > MAX_DEPTH {
            return Err("nesting too deep".into());
        }
        let mut msg = DynamicMessage::new(desc.clone());
        match desc.full_name() {
            "google.protobuf.Timestamp" => {
                let (seconds, nanos) = json
                    .as_str()
                    .and_then(crate::time::parse_rfc3339)
                    .ok_or_else(|| format!("invalid timestamp {json}"))?;
                set_wkt(&mut msg, seconds, nanos)?;
                return Ok(msg);
            }
            "google.protobuf.Duration" => {
                let (seconds, nanos) = json
                    .as_str()
                    .and_then(parse_duration)
                    .ok_or_else(|| format!("invalid duration {json}"))?;
                set_wkt(&mut msg, seconds, nanos)?;
                return Ok(msg);
            }
            name if UNSUPPORTED_WKT.contains(&name) => {
                return Err(format!("{name} is not supported in specs"));
            }
            _ => {}
        }
        let Json::Object(obj) = json else {
            return Err(format!(
                "expected an object for {}, got {json}",
                desc.full_name()
            ));
        };
        for (key, value) in obj {
            let Some(field) = desc
                .get_field_by_name(key)
                .or_else(|| desc.get_field_by_json_name(key))
            else {
                if self.ignore_unknown {
                    continue;
                }
                return Err(format!("unknown field {key:?} in {}", desc.full_name()));
            };
            if value.is_null() {
                continue;
            }
            if let Some(o) = field.containing_oneof() {
                if let Some(other) = o
                    .fields()
                    .find(|f| f.number() != field.number() && msg.has_field(f))
                {
                    return Err(format!(
                        "fields {:?} and {:?} of oneof {} are both set",
                        other.name(),
                        field.name(),
                        o.name()
                    ));
                }
            }
            let v = self
                .field(&field, value, depth)
                .map_err(|e| format!("{}: {e}", field.name()))?;
            msg.try_set_field(&field, v)
                .map_err(|e| format!("{}: {e}", field.name()))?;
        }
        Ok(msg)
    }
}

fn set_wkt(msg: &mut DynamicMessage, seconds: i64, nanos: i32) -> std::result::Result<(), String> {
    // zero stays unset, as proto3 decoding leaves it
    if seconds != 0 {
        msg.try_set_field_by_name("seconds", Value::I64(seconds))
            .map_err(|e| e.to_string())?;
    }
    if nanos != 0 {
        msg.try_set_field_by_name("nanos", Value::I32(nanos))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A protojson duration (`"-1.5s"`): seconds and nanoseconds of the same sign.
fn parse_duration(s: &str) -> Option<(i64, i32)> {
    let body = s.strip_suffix('s')?;
    let (neg, body) = match body.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, body),
    };
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    if whole.is_empty() || !whole.bytes().all(|c| c.is_ascii_digit()) || frac.len() > 9 {
        return None;
    }
    if !frac.bytes().all(|c| c.is_ascii_digit()) || (body.contains('.') && frac.is_empty()) {
        return None;
    }
    let seconds: i64 = whole.parse().ok()?;
    let nanos: i32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    if seconds > 315_576_000_000 {
        return None;
    }
    Some(if neg {
        (-seconds, -nanos)
    } else {
        (seconds, nanos)
    })
}

impl Reader {
    fn field(
        &self,
        f: &FieldDescriptor,
        v: &Json,
        depth: usize,
    ) -> std::result::Result<Value, String> {
        if f.is_map() {
            let Kind::Message(entry) = f.kind() else {
                return Err("bad map field".into());
            };
            let (kf, vf) = (entry.map_entry_key_field(), entry.map_entry_value_field());
            let Json::Object(obj) = v else {
                return Err(format!("expected an object, got {v}"));
            };
            let mut out = std::collections::HashMap::with_capacity(obj.len());
            for (k, val) in obj {
                let key = map_key(&kf.kind(), k)?;
                let val = if val.is_null() && !matches!(vf.kind(), Kind::Message(_)) {
                    return Err(format!("null value for map key {k:?}"));
                } else {
                    self.value(&vf.kind(), val, depth)?
                };
                out.insert(key, val);
            }
            return Ok(Value::Map(out));
        }
        if f.is_list() {
            let Json::Array(items) = v else {
                return Err(format!("expected an array, got {v}"));
            };
            return items
                .iter()
                .map(|i| self.value(&f.kind(), i, depth))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map(Value::List);
        }
        self.value(&f.kind(), v, depth)
    }
}

fn map_key(kind: &Kind, k: &str) -> std::result::Result<MapKey, String> {
    let bad = || format!("invalid map key {k:?}");
    Ok(match kind {
        Kind::String => MapKey::String(k.to_string()),
        Kind::Bool => match k {
            "true" => MapKey::Bool(true),
            "false" => MapKey::Bool(false),
            _ => return Err(bad()),
        },
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => MapKey::I32(k.parse().map_err(|_| bad())?),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => MapKey::I64(k.parse().map_err(|_| bad())?),
        Kind::Uint32 | Kind::Fixed32 => MapKey::U32(k.parse().map_err(|_| bad())?),
        Kind::Uint64 | Kind::Fixed64 => MapKey::U64(k.parse().map_err(|_| bad())?),
        _ => return Err(bad()),
    })
}

/// An integer of protojson: a JSON number without a fraction (`1e3` counts), or such a number
/// as a string.
fn json_int(v: &Json) -> std::result::Result<i128, String> {
    let bad = || format!("expected an integer, got {v}");
    let n = match v {
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                return Ok(i128::from(i));
            }
            if let Some(u) = n.as_u64() {
                return Ok(i128::from(u));
            }
            n.as_f64().ok_or_else(bad)?
        }
        Json::String(s) => {
            if let Ok(i) = s.parse::<i128>() {
                return Ok(i);
            }
            s.parse::<f64>().map_err(|_| bad())?
        }
        _ => return Err(bad()),
    };
    if n.fract() != 0.0 || !n.is_finite() || n.abs() > 1.9e19 {
        return Err(bad());
    }
    Ok(n as i128)
}

fn ranged<T: TryFrom<i128>>(v: &Json) -> std::result::Result<T, String> {
    let n = json_int(v)?;
    T::try_from(n).map_err(|_| format!("integer {n} out of range"))
}

fn json_float(v: &Json) -> std::result::Result<f64, String> {
    match v {
        Json::Number(n) => n.as_f64().ok_or_else(|| format!("invalid number {n}")),
        Json::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            t if !t.trim().is_empty() && t.trim() == t => {
                t.parse().map_err(|_| format!("invalid number {t:?}"))
            }
            t => Err(format!("invalid number {t:?}")),
        },
        _ => Err(format!("expected a number, got {v}")),
    }
}

impl Reader {
    fn value(&self, kind: &Kind, v: &Json, depth: usize) -> std::result::Result<Value, String> {
        use base64::Engine as _;
        Ok(match kind {
            Kind::Message(m) => Value::Message(self.message(m, v, depth + 1)?),
            Kind::Bool => Value::Bool(
                v.as_bool()
                    .ok_or_else(|| format!("expected a boolean, got {v}"))?,
            ),
            Kind::String => Value::String(
                v.as_str()
                    .ok_or_else(|| format!("expected a string, got {v}"))?
                    .to_string(),
            ),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(ranged(v)?),
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(ranged(v)?),
            Kind::Uint32 | Kind::Fixed32 => Value::U32(ranged(v)?),
            Kind::Uint64 | Kind::Fixed64 => Value::U64(ranged(v)?),
            Kind::Double => Value::F64(json_float(v)?),
            Kind::Float => {
                let x = json_float(v)?;
                if x.is_finite() && (x > f64::from(f32::MAX) || x < f64::from(f32::MIN)) {
                    return Err(format!("float {x} out of range"));
                }
                Value::F32(x as f32)
            }
            Kind::Bytes => {
                let s = v
                    .as_str()
                    .ok_or_else(|| format!("expected base64 text, got {v}"))?;
                let t = s.trim_end_matches('=');
                let engine = if t.contains(['-', '_']) {
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD
                } else {
                    &base64::engine::general_purpose::STANDARD_NO_PAD
                };
                Value::Bytes(
                    engine
                        .decode(t)
                        .map_err(|e| format!("invalid base64: {e}"))?
                        .into(),
                )
            }
            Kind::Enum(e) => match v {
                Json::String(name) => {
                    Value::EnumNumber(e.get_value_by_name(name).map(|x| x.number()).ok_or_else(
                        || format!("unknown value {name:?} of enum {}", e.full_name()),
                    )?)
                }
                _ => Value::EnumNumber(ranged(v)?),
            },
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// Our protojson reader against prost-reflect's serde deserializer (the reference it
    /// replaces): the same messages from valid input, an error from invalid input.
    #[test]
    fn protojson_reader_agrees_with_prost_reflect() {
        use prost_reflect::DeserializeOptions;
        let cases: &[(&str, &str)] = &[
            (
                "specs.ClusterSpec",
                r#"{"kubernetes_version":"1.30.1","talos_version":"1.7.4"}"#,
            ),
            (
                "specs.ClusterSpec",
                r#"{"kubernetesVersion":"1.30.1","features":{"enable_workload_proxy":true,"diskEncryption":false}}"#,
            ),
            (
                "specs.ClusterSpec",
                r#"{"backup_configuration":{"interval":"3600s","enabled":true}}"#,
            ),
            (
                "specs.ClusterSpec",
                r#"{"backup_configuration":{"interval":"1.5s"}}"#,
            ),
            (
                "specs.ClusterSpec",
                r#"{"backup_configuration":{"interval":"-0.000000001s"}}"#,
            ),
            (
                "specs.ClusterSpec",
                r#"{"backup_configuration":{"interval":"1.5"}}"#,
            ),
            (
                "specs.ClusterSpec",
                r#"{"backup_configuration":{"interval":7200}}"#,
            ),
            (
                "specs.ClusterSpec",
                r#"{"features":null,"talos_version":null}"#,
            ),
            ("specs.ClusterSpec", r#"{"no_such_field":1}"#),
            ("specs.ClusterSpec", r#"{"talos_version":5}"#),
            (
                "specs.ClusterSpec",
                r#"{"features":{"disk_encryption":"true"}}"#,
            ),
            ("specs.ClusterSpec", r#"[]"#),
            (
                "specs.EtcdBackupSpec",
                r#"{"created_at":"2024-05-06T07:08:09.5Z","size":"123456789012"}"#,
            ),
            (
                "specs.EtcdBackupSpec",
                r#"{"created_at":"2024-05-06T07:08:09+02:00","size":42}"#,
            ),
            ("specs.EtcdBackupSpec", r#"{"size":-1}"#),
            ("specs.EtcdBackupSpec", r#"{"size":1.5}"#),
            ("specs.EtcdBackupSpec", r#"{"size":"18446744073709551615"}"#),
            ("specs.EtcdBackupSpec", r#"{"size":"18446744073709551616"}"#),
            ("specs.EtcdBackupSpec", r#"{"created_at":"yesterday"}"#),
            (
                "specs.EtcdBackupHeader",
                r#"{"version":"-9223372036854775808"}"#,
            ),
            ("specs.EtcdBackupHeader", r#"{"version":1e3}"#),
            ("specs.BackupDataSpec", r#"{"encryption_key":"AAECAw=="}"#),
            ("specs.BackupDataSpec", r#"{"encryption_key":"AAECAw"}"#),
            ("specs.BackupDataSpec", r#"{"encryption_key":"-_8"}"#),
            (
                "specs.BackupDataSpec",
                r#"{"encryption_key":"not base64!"}"#,
            ),
            (
                "specs.MachineSetSpec",
                r#"{"update_strategy":"Rolling","delete_strategy":0}"#,
            ),
            (
                "specs.MachineSetSpec",
                r#"{"update_strategy":1,"machine_allocation":{"name":"c","machine_count":3,"allocation_type":"Unlimited"}}"#,
            ),
            ("specs.MachineSetSpec", r#"{"update_strategy":"Sometimes"}"#),
            (
                "specs.MachineSetSpec",
                r#"{"update_strategy_config":{"rolling":{"max_parallelism":4294967296}}}"#,
            ),
            (
                "specs.MachineStatusMetricsSpec",
                r#"{"platforms":{"metal":3,"aws":"2"}}"#,
            ),
            (
                "specs.MachineStatusMetricsSpec",
                r#"{"platforms":{"metal":-3}}"#,
            ),
            ("specs.MachineStatusMetricsSpec", r#"{"platforms":[]}"#),
            (
                "specs.OngoingTaskSpec",
                r#"{"title":"t","destroy":{"phase":"x"}}"#,
            ),
            (
                "specs.OngoingTaskSpec",
                r#"{"destroy":{"phase":"x"},"talos_upgrade":{}}"#,
            ),
            (
                "specs.OngoingTaskSpec",
                r#"{"destroy":null,"talos_upgrade":{}}"#,
            ),
        ];
        for (name, text) in cases {
            let desc = message(name).unwrap();
            let json: Json = serde_json::from_str(text).unwrap();
            // messages, not bytes: map entries encode in hash order
            let ours = from_json(&desc, &json);
            let reference = DynamicMessage::deserialize_with_options(
                desc.clone(),
                &json,
                &DeserializeOptions::new(),
            );
            match (&ours, &reference) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{name} {text}"),
                (Err(_), Err(_)) => {}
                _ => panic!("{name} {text}: ours {ours:?}, prost-reflect {reference:?}"),
            }
        }
    }

    /// Our protojson writer against prost-reflect's serializer: the same JSON for every message
    /// the reader test accepts, byte for byte where there is no map (whose key order differs).
    #[test]
    fn protojson_writer_agrees_with_prost_reflect() {
        use prost_reflect::SerializeOptions;
        let opts = SerializeOptions::new()
            .use_proto_field_name(true)
            .use_enum_numbers(true)
            .skip_default_fields(true);
        let cases: &[(&str, &str)] = &[
            (
                "specs.ClusterSpec",
                r#"{"kubernetes_version":"1.30.1","features":{"enable_workload_proxy":true,"disk_encryption":false},"backup_configuration":{"interval":"3600.5s","enabled":true}}"#,
            ),
            (
                "specs.ClusterSpec",
                r#"{"backup_configuration":{"interval":"-0.000000001s"}}"#,
            ),
            (
                "specs.ClusterSpec",
                r#"{"backup_configuration":{"interval":"0s"}}"#,
            ),
            (
                "specs.EtcdBackupSpec",
                r#"{"created_at":"2024-05-06T07:08:09.5Z","size":"123456789012","snapshot":"a\"b\n\u00e9"}"#,
            ),
            (
                "specs.EtcdBackupSpec",
                r#"{"created_at":"1970-01-01T00:00:00Z"}"#,
            ),
            (
                "specs.EtcdBackupHeader",
                r#"{"version":"-9223372036854775808"}"#,
            ),
            ("specs.BackupDataSpec", r#"{"encryption_key":"AAECAw=="}"#),
            (
                "specs.MachineSetSpec",
                r#"{"update_strategy":"Rolling","machine_allocation":{"name":"c","machine_count":3,"allocation_type":"Unlimited"},"update_strategy_config":{"rolling":{"max_parallelism":0}}}"#,
            ),
            (
                "specs.MachineStatusMetricsSpec",
                r#"{"platforms":{"metal":3,"aws":2,"gcp":0},"registered_machines_count":7}"#,
            ),
            ("specs.OngoingTaskSpec", r#"{"title":"t","destroy":{}}"#),
            (
                "specs.OngoingTaskSpec",
                r#"{"title":"t","destroy":{"phase":"x"}}"#,
            ),
        ];
        for (name, text) in cases {
            let desc = message(name).unwrap();
            let msg = from_json(&desc, &serde_json::from_str(text).unwrap()).unwrap();
            let mut ours = Vec::new();
            write_json(&msg, &mut ours).unwrap();
            let mut reference = Vec::new();
            msg.serialize_with_options(&mut serde_json::Serializer::new(&mut reference), &opts)
                .unwrap();
            let (a, b): (Json, Json) = (
                serde_json::from_slice(&ours).unwrap(),
                serde_json::from_slice(&reference).unwrap(),
            );
            assert_eq!(a, b, "{name} {text}");
            if !text.contains("platforms") {
                assert_eq!(
                    String::from_utf8(ours).unwrap(),
                    String::from_utf8(reference).unwrap(),
                    "{name} {text}"
                );
            }
        }
    }

    #[test]
    fn answers_skip_unknown_fields_and_read_by_method() {
        use crate::proto::management::KubeconfigResponse;
        let json: Json =
            serde_json::from_str(r#"{"kubeconfig":"YWJj","from_the_future":1}"#).unwrap();
        let r: KubeconfigResponse =
            decode_answer("/management.ManagementService/Kubeconfig", &json).unwrap();
        assert_eq!(r.kubeconfig, b"abc".to_vec());
        assert!(
            decode_answer::<KubeconfigResponse>("/management.ManagementService/Nope", &json)
                .is_err()
        );
        assert!(decode_answer::<KubeconfigResponse>("garbage", &json).is_err());
    }

    #[test]
    fn inputs_are_read_strictly() {
        use crate::proto::management::CreateSchematicRequest;
        let ok: Json =
            serde_json::from_str(r#"{"extensions":["a"],"talosVersion":"1.9.0"}"#).unwrap();
        let r: CreateSchematicRequest =
            decode_input("management.CreateSchematicRequest", &ok).unwrap();
        assert_eq!(
            (r.extensions, r.talos_version.as_str()),
            (vec!["a".to_string()], "1.9.0")
        );
        let typo: Json = serde_json::from_str(r#"{"extension":["a"]}"#).unwrap();
        let e = decode_input::<CreateSchematicRequest>("management.CreateSchematicRequest", &typo)
            .unwrap_err();
        assert!(e.to_string().contains("unknown field \"extension\""), "{e}");
    }
}
