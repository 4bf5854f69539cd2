//! Spec codecs over the compiled descriptors: protobuf bytes ↔ protojson value, the server's
//! `yaml.Marshal` rendering of a spec, and omnictl-style YAML input mapped onto proto fields.

use prost::Message as _;
use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, ReflectMessage, Value,
};
use serde_json::{Map, Value as Json};

pub(crate) use crate::proto::json::{decode, from_json, message, to_json, write_json};

use crate::goyaml::emit::Y;
use crate::goyaml::node::{Node, NodeKind, Pos, STag};
use crate::goyaml::scalar::{parse_float, parse_go_int, GoInt};
use crate::Result;

/// Protobuf bytes of a protojson spec.
pub(crate) fn json_to_bytes(desc: &MessageDescriptor, json: &Json) -> Result<Vec<u8>> {
    Ok(from_json(desc, json)?.encode_to_vec())
}

/// Omni's compressed spec fields and the plain field each stands for: (spec message, compressed
/// field, plain field). Omni keeps a payload of 2 KiB or more as one zstd frame (no dictionary)
/// in the compressed field and leaves the plain one empty; its JSON and YAML forms show the plain
/// field filled and the compressed one empty (upstream `client/api/omni/specs/compression.go` and
/// each spec's `MarshalJSON`/`MarshalYAML`: `config_patch.go`, `cluster_machine_config.go`, …).
pub(crate) const COMPRESSED_FIELDS: [(&str, &str, &str); 8] = [
    ("specs.ConfigPatchSpec", "compressed_data", "data"),
    (
        "specs.ClusterMachineConfigPatchesSpec",
        "compressed_patches",
        "patches",
    ),
    ("specs.ClusterMachineConfigSpec", "compressed_data", "data"),
    (
        "specs.RedactedClusterMachineConfigSpec",
        "compressed_data",
        "data",
    ),
    (
        "specs.ClusterMachineConfigStatusSpec",
        "compressed_redacted_machine_config",
        "redacted_current_machine_config",
    ),
    (
        "specs.MachinePendingUpdatesSpec",
        "compressed_config_diff",
        "config_diff",
    ),
    ("specs.MachineConfigDiffSpec", "compressed_diff", "diff"),
    (
        "specs.KubernetesManifestGroupSpec",
        "compressed_data",
        "data",
    ),
];

/// The most a compressed field may expand to (Omni's own payloads are machine configs and
/// manifests, far below this): a bound against a frame that claims more.
const MAX_DECOMPRESSED: u64 = 64 << 20;

/// Replaces a spec's compressed payload with its plain form, as Omni's `MarshalJSON` and
/// `MarshalYAML` do, so that every reader sees one shape whatever the server stored. Specs
/// without compressed fields are left alone. Writing sends the plain form, which Omni accepts
/// (its `GetUncompressedData` reads the plain field when the compressed one is empty).
///
/// # Errors
/// [`crate::Error::Decode`] for a frame that is not zstd, fails its checksum, expands past
/// 64 MiB, or (for a text field) is not UTF-8.
pub(crate) fn decompress_spec(msg: &mut DynamicMessage) -> Result<()> {
    let desc = msg.descriptor();
    let Some((_, packed, plain)) = COMPRESSED_FIELDS
        .iter()
        .find(|(m, _, _)| *m == desc.full_name())
    else {
        return Ok(());
    };
    let (Some(packed), Some(plain)) = (
        desc.get_field_by_name(packed),
        desc.get_field_by_name(plain),
    ) else {
        return Ok(());
    };
    if !msg.has_field(&packed) {
        return Ok(());
    }
    let text = plain.kind() == Kind::String;
    let expand = |v: &Value| -> Result<Value> {
        let bytes = unzstd(v.as_bytes().map(|b| b.as_ref()).unwrap_or_default()).map_err(|e| {
            crate::Error::Decode(format!("{}.{}: {e}", desc.full_name(), packed.name()))
        })?;
        Ok(if text {
            Value::String(String::from_utf8(bytes).map_err(|_| {
                crate::Error::Decode(format!(
                    "{}.{}: not UTF-8 text",
                    desc.full_name(),
                    packed.name()
                ))
            })?)
        } else {
            Value::Bytes(bytes.into())
        })
    };
    let value = match msg.get_field(&packed).as_ref() {
        Value::List(items) => Value::List(items.iter().map(expand).collect::<Result<_>>()?),
        one => expand(one)?,
    };
    msg.set_field(&plain, value);
    msg.clear_field(&packed);
    Ok(())
}

/// Decodes zstd data: one frame or several concatenated (as Go's `DecodeAll` reads), checksums
/// verified where the frame has one.
fn unzstd(mut data: &[u8]) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read as _;
    let mut out = Vec::new();
    if data.is_empty() {
        return Ok(out);
    }
    while !data.is_empty() {
        let mut frame = ruzstd::decoding::StreamingDecoder::new(&mut data)
            .map_err(|e| format!("not a zstd frame: {e}"))?;
        let room = MAX_DECOMPRESSED + 1 - out.len() as u64;
        (&mut frame)
            .take(room)
            .read_to_end(&mut out)
            .map_err(|e| format!("zstd: {e}"))?;
        if out.len() as u64 > MAX_DECOMPRESSED {
            return Err(format!("expands past {MAX_DECOMPRESSED} bytes"));
        }
        let dec = &frame.decoder;
        if let (Some(want), Some(got)) =
            (dec.get_checksum_from_data(), dec.get_calculated_checksum())
        {
            if want != got {
                return Err("zstd checksum mismatch".into());
            }
        }
        if !dec.is_finished() {
            return Err("zstd frame is truncated".into());
        }
    }
    Ok(out)
}

/// Go's lower-cased field name: the proto name without underscores, lower-cased.
pub(crate) fn go_key(proto_name: &str) -> String {
    proto_name
        .chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Fields of a message in declaration order (as Go's struct fields are laid out).
fn declared_fields(desc: &MessageDescriptor) -> Vec<FieldDescriptor> {
    desc.descriptor_proto()
        .field
        .iter()
        .filter_map(|f| u32::try_from(f.number()).ok())
        .filter_map(|n| desc.get_field(n))
        .collect()
}

/// Renders a spec the way the server's `yaml.Marshal` of the Go struct does (§7.1 rules).
pub(crate) fn to_go_yaml(msg: &DynamicMessage) -> Y {
    match msg.descriptor().full_name() {
        "specs.ClusterMachineSpec" => {
            let v = msg
                .get_field_by_name("kubernetes_version")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            return Y::Map(vec![(Y::str("kubernetes_version"), Y::Str(v))]);
        }
        "specs.ClusterMachineConfigPatchesSpec" => {
            let patches = msg
                .get_field_by_name("patches")
                .and_then(|v| {
                    v.as_list().map(|l| {
                        l.iter()
                            .filter_map(|p| p.as_str().map(|s| Y::Str(s.to_string())))
                            .collect()
                    })
                })
                .unwrap_or_default();
            return Y::Map(vec![(Y::str("patches"), Y::Seq(patches))]);
        }
        _ => {}
    }
    message_to_y(msg)
}

fn message_to_y(msg: &DynamicMessage) -> Y {
    let desc = msg.descriptor();
    let mut entries: Vec<(Y, Y)> = Vec::new();
    let mut seen_oneofs: Vec<String> = Vec::new();
    for f in declared_fields(&desc) {
        match f.containing_oneof() {
            Some(o) if !o.is_synthetic() => {
                if seen_oneofs.iter().any(|n| n == o.name()) {
                    continue;
                }
                seen_oneofs.push(o.name().to_string());
                let set = o.fields().find(|m| msg.has_field(m));
                let v = match set {
                    Some(m) => Y::Map(vec![(
                        Y::Str(go_key(m.name())),
                        value_to_y(&m, &msg.get_field(&m)),
                    )]),
                    None => Y::Null,
                };
                entries.push((Y::Str(go_key(o.name())), v));
            }
            Some(_) => {
                // proto3 `optional`: a pointer in Go, nil when unset.
                let v = if msg.has_field(&f) {
                    value_to_y(&f, &msg.get_field(&f))
                } else {
                    Y::Null
                };
                entries.push((Y::Str(go_key(f.name())), v));
            }
            None => {
                let v = if matches!(f.kind(), Kind::Message(_))
                    && !f.is_list()
                    && !f.is_map()
                    && !msg.has_field(&f)
                {
                    Y::Null
                } else {
                    value_to_y(&f, &msg.get_field(&f))
                };
                entries.push((Y::Str(go_key(f.name())), v));
            }
        }
    }
    Y::Map(entries)
}

fn value_to_y(f: &FieldDescriptor, v: &Value) -> Y {
    match v {
        Value::List(items) => Y::Seq(items.iter().map(|i| scalar_to_y(f, i)).collect()),
        Value::Map(m) => {
            let value_field = match f.kind() {
                Kind::Message(entry) => Some(entry.map_entry_value_field()),
                _ => None,
            };
            let mut keys: Vec<(&MapKey, &Value)> = m.iter().collect();
            crate::order::sort_with(&mut keys, |a, b| map_key_cmp(a.0, b.0));
            Y::Map(
                keys.into_iter()
                    .map(|(k, v)| {
                        let vy = match &value_field {
                            Some(vf) => scalar_to_y(vf, v),
                            None => Y::Null,
                        };
                        (map_key_to_y(k), vy)
                    })
                    .collect(),
            )
        }
        other => scalar_to_y(f, other),
    }
}

fn map_key_cmp(a: &MapKey, b: &MapKey) -> std::cmp::Ordering {
    match (a, b) {
        (MapKey::String(x), MapKey::String(y)) => x.cmp(y),
        (MapKey::I32(x), MapKey::I32(y)) => x.cmp(y),
        (MapKey::I64(x), MapKey::I64(y)) => x.cmp(y),
        (MapKey::U32(x), MapKey::U32(y)) => x.cmp(y),
        (MapKey::U64(x), MapKey::U64(y)) => x.cmp(y),
        (MapKey::Bool(x), MapKey::Bool(y)) => x.cmp(y),
        _ => std::cmp::Ordering::Equal,
    }
}

fn map_key_to_y(k: &MapKey) -> Y {
    match k {
        MapKey::String(s) => Y::Str(s.clone()),
        MapKey::Bool(b) => Y::Bool(*b),
        MapKey::I32(i) => Y::Int(i64::from(*i)),
        MapKey::I64(i) => Y::Int(*i),
        MapKey::U32(u) => Y::Uint(u64::from(*u)),
        MapKey::U64(u) => Y::Uint(*u),
    }
}

fn scalar_to_y(_f: &FieldDescriptor, v: &Value) -> Y {
    match v {
        Value::Bool(b) => Y::Bool(*b),
        Value::I32(i) => Y::Int(i64::from(*i)),
        Value::I64(i) => Y::Int(*i),
        Value::U32(u) => Y::Uint(u64::from(*u)),
        Value::U64(u) => Y::Uint(*u),
        Value::F32(x) => Y::Float(f64::from(*x)),
        Value::F64(x) => Y::Float(*x),
        Value::String(s) => Y::Str(s.clone()),
        Value::Bytes(b) => Y::Seq(b.iter().map(|x| Y::Uint(u64::from(*x))).collect()),
        Value::EnumNumber(n) => Y::Int(i64::from(*n)),
        Value::Message(m) => message_to_y(m),
        Value::List(_) | Value::Map(_) => Y::Null,
    }
}

/// An error in YAML input, at a position.
#[derive(Debug)]
pub(crate) struct NodeError {
    pub pos: Pos,
    pub message: String,
}

fn nerr<T>(n: &Node, message: impl Into<String>) -> Result<T, NodeError> {
    Err(NodeError {
        pos: n.pos,
        message: message.into(),
    })
}

/// Maps a YAML spec node (Go-style lower-cased keys) onto protojson for `desc`. Keys that name
/// no field are ignored, as Go's decoding does.
pub(crate) fn node_to_json(desc: &MessageDescriptor, node: &Node) -> Result<Json, NodeError> {
    if node.is_null() {
        return Ok(Json::Object(Map::new()));
    }
    let Some(entries) = node.map_entries() else {
        return nerr(node, format!("expected a mapping for {}", desc.full_name()));
    };
    let fields = declared_fields(desc);
    if let wkt @ ("google.protobuf.Timestamp" | "google.protobuf.Duration") = desc.full_name() {
        return wkt_to_json(wkt, &fields, node, entries);
    }
    let mut out = Map::new();
    for (k, v) in entries {
        let Some(key) = k.scalar() else {
            return nerr(k, "mapping keys must be scalars");
        };
        let norm = go_key(key);
        if let Some(f) = fields.iter().find(|f| go_key(f.name()) == norm) {
            if v.is_null() {
                continue;
            }
            out.insert(f.name().to_string(), field_to_json(f, v)?);
            continue;
        }
        // A oneof group: `details: {talosupgrade: {...}}`.
        if let Some(o) = desc
            .oneofs()
            .find(|o| !o.is_synthetic() && go_key(o.name()) == norm)
        {
            if v.is_null() {
                continue;
            }
            let Some(inner) = v.map_entries() else {
                return nerr(v, format!("expected a mapping for oneof {key}"));
            };
            for (ik, iv) in inner {
                let iname = go_key(ik.scalar().unwrap_or_default());
                let Some(f) = o.fields().find(|f| go_key(f.name()) == iname) else {
                    return nerr(
                        ik,
                        format!("unknown field {:?} in oneof {key}", ik.scalar()),
                    );
                };
                if !iv.is_null() {
                    out.insert(f.name().to_string(), field_to_json(&f, iv)?);
                }
            }
            continue;
        }
        // Any other key is left out, as Go's YAML decoding into the generated struct leaves
        // it (upstream `protobuf.YAMLResource` decodes the spec node without known-field
        // checks): resource YAML from a newer Omni, or Omni's own test data, still applies.
    }
    Ok(Json::Object(out))
}

/// A `Timestamp` or `Duration` the way Go's YAML writes the struct (`seconds: 7200`, `nanos: 0`;
/// upstream specs carry these through `yaml.Marshal` of the generated types), as its protojson
/// string (`"7200s"`, `"2025-01-01T00:00:00Z"`), so that it reads back like every other form.
fn wkt_to_json(
    wkt: &str,
    fields: &[FieldDescriptor],
    node: &Node,
    entries: Vec<(&Node, &Node)>,
) -> Result<Json, NodeError> {
    let (mut seconds, mut nanos) = (0i64, 0i32);
    for (k, v) in entries {
        let key = go_key(k.scalar().unwrap_or_default());
        let Some(f) = fields.iter().find(|f| go_key(f.name()) == key) else {
            continue; // as Go's decoding of the struct does
        };
        if v.is_null() {
            continue;
        }
        let n = int_of(f, v)?;
        let bad = || NodeError {
            pos: v.pos,
            message: format!("value {n} out of range for {}", f.name()),
        };
        match f.name() {
            "seconds" => seconds = i64::try_from(n).map_err(|_| bad())?,
            _ => nanos = i32::try_from(n).map_err(|_| bad())?,
        }
    }
    let text = if wkt == "google.protobuf.Duration" {
        crate::proto::json::duration_text(seconds, nanos)
    } else {
        crate::proto::json::timestamp_text(seconds, nanos)
    };
    let text = text.map_err(|message| NodeError {
        pos: node.pos,
        message,
    })?;
    Ok(Json::String(text))
}

fn field_to_json(f: &FieldDescriptor, v: &Node) -> Result<Json, NodeError> {
    if f.is_map() {
        let Kind::Message(entry) = f.kind() else {
            return nerr(v, "bad map field");
        };
        let vf = entry.map_entry_value_field();
        let Some(entries) = v.map_entries() else {
            return nerr(v, format!("expected a mapping for {}", f.name()));
        };
        let mut out = Map::new();
        for (k, val) in entries {
            let key = k.scalar().unwrap_or_default().to_string();
            out.insert(key, kind_to_json(&vf, val)?);
        }
        return Ok(Json::Object(out));
    }
    if f.is_list() {
        // Go decodes `bytes` from a sequence of integers or from a string.
        let NodeKind::Seq(items) = &v.kind else {
            return nerr(v, format!("expected a sequence for {}", f.name()));
        };
        return items
            .iter()
            .map(|i| kind_to_json(f, i))
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Array);
    }
    kind_to_json(f, v)
}

fn scalar_of<'a>(f: &FieldDescriptor, v: &'a Node) -> Result<(&'a str, STag), NodeError> {
    match &v.kind {
        NodeKind::Scalar { value, tag, .. } => Ok((value.as_str(), *tag)),
        _ => nerr(v, format!("expected a scalar for {}", f.name())),
    }
}

fn int_of(f: &FieldDescriptor, v: &Node) -> Result<i128, NodeError> {
    let (s, _) = scalar_of(f, v)?;
    match parse_go_int(s) {
        Some(GoInt::I(i)) => Ok(i128::from(i)),
        Some(GoInt::U(u)) => Ok(i128::from(u)),
        None => nerr(
            v,
            format!("cannot decode {s:?} into integer field {}", f.name()),
        ),
    }
}

fn kind_to_json(f: &FieldDescriptor, v: &Node) -> Result<Json, NodeError> {
    use base64::Engine as _;
    let range = |lo: i128, hi: i128, n: i128| -> Result<i128, NodeError> {
        if n < lo || n > hi {
            nerr(v, format!("value {n} out of range for {}", f.name()))
        } else {
            Ok(n)
        }
    };
    Ok(match f.kind() {
        Kind::Message(m) => {
            if let (
                NodeKind::Scalar { value, .. },
                "google.protobuf.Timestamp" | "google.protobuf.Duration",
            ) = (&v.kind, m.full_name())
            {
                Json::String(value.clone())
            } else {
                node_to_json(&m, v)?
            }
        }
        Kind::Bool => {
            let (s, _) = scalar_of(f, v)?;
            match s {
                "true" | "True" | "TRUE" => Json::Bool(true),
                "false" | "False" | "FALSE" => Json::Bool(false),
                _ => {
                    return nerr(
                        v,
                        format!("cannot decode {s:?} into bool field {}", f.name()),
                    )
                }
            }
        }
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            let n = range(i128::from(i32::MIN), i128::from(i32::MAX), int_of(f, v)?)?;
            Json::from(i64::try_from(n).unwrap_or_default())
        }
        Kind::Uint32 | Kind::Fixed32 => {
            let n = range(0, i128::from(u32::MAX), int_of(f, v)?)?;
            Json::from(i64::try_from(n).unwrap_or_default())
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            let n = range(i128::from(i64::MIN), i128::from(i64::MAX), int_of(f, v)?)?;
            Json::String(n.to_string())
        }
        Kind::Uint64 | Kind::Fixed64 => {
            let n = range(0, i128::from(u64::MAX), int_of(f, v)?)?;
            Json::String(n.to_string())
        }
        Kind::Float | Kind::Double => {
            let (s, _) = scalar_of(f, v)?;
            match parse_float(s) {
                Some(x) if x.is_finite() => Json::from(x),
                Some(x) => Json::String(if x.is_nan() {
                    "NaN".into()
                } else if x > 0.0 {
                    "Infinity".into()
                } else {
                    "-Infinity".into()
                }),
                None => {
                    return nerr(
                        v,
                        format!("cannot decode {s:?} into float field {}", f.name()),
                    )
                }
            }
        }
        Kind::String => {
            let (s, _) = scalar_of(f, v)?;
            Json::String(s.to_string())
        }
        Kind::Bytes => match &v.kind {
            NodeKind::Seq(items) => {
                let mut bytes = Vec::with_capacity(items.len());
                for i in items {
                    let n = range(0, 255, int_of(f, i)?)?;
                    bytes.push(u8::try_from(n).unwrap_or_default());
                }
                Json::String(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
            NodeKind::Scalar { value, tag, .. } => {
                if *tag == STag::Binary {
                    Json::String(value.split_whitespace().collect())
                } else {
                    Json::String(base64::engine::general_purpose::STANDARD.encode(value))
                }
            }
            NodeKind::Map(_) => return nerr(v, format!("expected bytes for {}", f.name())),
        },
        Kind::Enum(e) => {
            let (s, _) = scalar_of(f, v)?;
            match parse_go_int(s) {
                Some(GoInt::I(i)) => Json::from(i),
                _ if e.get_value_by_name(s).is_some() => Json::String(s.to_string()),
                _ => return nerr(v, format!("unknown value {s:?} for enum {}", e.full_name())),
            }
        }
    })
}

/// A generic JSON value of a YAML node, with go-yaml's resolution of plain scalars.
pub(crate) fn node_to_generic_json(n: &Node) -> Json {
    match &n.kind {
        NodeKind::Scalar { value, tag, .. } => scalar_json(value, *tag),
        NodeKind::Seq(items) => Json::Array(items.iter().map(node_to_generic_json).collect()),
        NodeKind::Map(_) => {
            let mut out = Map::new();
            for (k, v) in n.map_entries().unwrap_or_default() {
                out.insert(
                    k.scalar().unwrap_or_default().to_string(),
                    node_to_generic_json(v),
                );
            }
            Json::Object(out)
        }
    }
}

fn scalar_json(value: &str, tag: STag) -> Json {
    match tag {
        STag::Null => Json::Null,
        STag::Bool => Json::Bool(matches!(value, "true" | "True" | "TRUE")),
        STag::Int => match parse_go_int(value) {
            Some(GoInt::I(i)) => Json::from(i),
            Some(GoInt::U(u)) => Json::from(u),
            None => Json::String(value.to_string()),
        },
        STag::Float => parse_float(value)
            .and_then(serde_json::Number::from_f64)
            .map(Json::Number)
            .unwrap_or_else(|| Json::String(value.to_string())),
        _ => Json::String(value.to_string()),
    }
}

/// A JSON value as a go-yaml value (objects keep their key order).
pub(crate) fn json_to_y(v: &Json) -> Y {
    match v {
        Json::Null => Y::Null,
        Json::Bool(b) => Y::Bool(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Y::Int(i)
            } else if let Some(u) = n.as_u64() {
                Y::Uint(u)
            } else {
                Y::Float(n.as_f64().unwrap_or_default())
            }
        }
        Json::String(s) => Y::Str(s.clone()),
        Json::Array(a) => Y::Seq(a.iter().map(json_to_y).collect()),
        Json::Object(o) => Y::Map(
            o.iter()
                .map(|(k, v)| (Y::Str(k.clone()), json_to_y(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn pool_decodes_and_knows_specs() {
        assert!(message("specs.ClusterSpec").is_ok());
        assert!(message("cosi.resource.meta.ResourceDefinitionSpec").is_ok());
        assert!(message("specs.NoSuchSpec").is_err());
    }
}
