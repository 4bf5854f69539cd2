//! Spec codecs driven by the descriptor pool: `proto_spec` bytes → omnictl-style
//! YAML (`yaml_spec`, §7.1) and ↔ protojson (ResourceService, §5.7).

use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DynamicMessage, Kind, MapKey, MessageDescriptor, ReflectMessage, Value,
};
use serde_norway::{Mapping, Value as Y};

use crate::types;

/// The spec message descriptor of a resource type, if the sim knows it.
pub fn spec_desc(pool: &DescriptorPool, typ: &str) -> Option<MessageDescriptor> {
    types::lookup(typ).and_then(|t| pool.get_message_by_name(t.spec))
}

/// Checks that `bytes` decode as the type's spec message.
pub fn validate_proto(pool: &DescriptorPool, typ: &str, bytes: &[u8]) -> Result<(), String> {
    match spec_desc(pool, typ) {
        Some(d) => DynamicMessage::decode(d, bytes)
            .map(|_| ())
            .map_err(|e| format!("failed to unmarshal spec: {e}")),
        None => Ok(()),
    }
}

/// Renders `yaml_spec`; unknown types give an empty string.
pub fn render(pool: &DescriptorPool, typ: &str, bytes: &[u8]) -> String {
    let Some(d) = spec_desc(pool, typ) else {
        return String::new();
    };
    let Ok(mut msg) = DynamicMessage::decode(d, bytes) else {
        return String::new();
    };
    // MarshalYAML shows compressed payloads plain
    if crate::compression::expand(&mut msg).is_err() {
        return String::new();
    }
    let v = if typ == "ClusterMachines.omni.sidero.dev" {
        // ClusterMachineSpec has a hand-written codec upstream.
        let mut m = Mapping::new();
        let kv = msg
            .get_field_by_name("kubernetes_version")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        m.insert(Y::from("kubernetes_version"), Y::from(kv));
        Y::Mapping(m)
    } else {
        message_to_yaml(&msg)
    };
    go_yaml(&v)
}

/// Emits YAML the way go-yaml v3 does by default (4-space indentation, block
/// sequences indented under their key, `""` for strings that would resolve to
/// another type, literal blocks for multi-line strings).
pub fn go_yaml(v: &Y) -> String {
    let mut out = String::new();
    match v {
        Y::Mapping(m) if m.is_empty() => out.push_str("{}\n"),
        Y::Sequence(s) if s.is_empty() => out.push_str("[]\n"),
        Y::Mapping(_) | Y::Sequence(_) => emit_block(v, 0, &mut out),
        other => {
            out.push_str(&scalar(other, 0));
            out.push('\n');
        }
    }
    out
}

fn is_scalar(v: &Y) -> bool {
    match v {
        Y::Mapping(m) => m.is_empty(),
        Y::Sequence(s) => s.is_empty(),
        _ => true,
    }
}

fn scalar(v: &Y, indent: usize) -> String {
    match v {
        Y::Null => "null".into(),
        Y::Bool(b) => b.to_string(),
        Y::Number(n) => n.to_string(),
        Y::String(s) if s.contains('\n') => {
            let chomp = if s.ends_with('\n') { "" } else { "-" };
            let pad = " ".repeat(indent + 4);
            let body: String = s
                .trim_end_matches('\n')
                .split('\n')
                .map(|l| {
                    if l.is_empty() {
                        "\n".to_string()
                    } else {
                        format!("{pad}{l}\n")
                    }
                })
                .collect();
            format!("|{chomp}\n{}", body.trim_end_matches('\n'))
        }
        Y::String(s) => {
            let plain = serde_norway::to_string(&Y::String(s.clone())).unwrap_or_default();
            let plain = plain.trim_end_matches('\n').to_string();
            let resolves_other = s.is_empty()
                || serde_norway::from_str::<Y>(s)
                    .map(|x| !matches!(x, Y::String(_)))
                    .unwrap_or(false);
            if resolves_other {
                serde_json::to_string(s).unwrap_or(plain)
            } else {
                plain
            }
        }
        Y::Mapping(_) => "{}".into(),
        Y::Sequence(_) => "[]".into(),
        Y::Tagged(t) => scalar(&t.value, indent),
    }
}

fn emit_block(v: &Y, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Y::Mapping(m) => {
            for (k, val) in m {
                let key = scalar(k, indent);
                if is_scalar(val) {
                    out.push_str(&format!("{pad}{key}: {}\n", scalar(val, indent)));
                } else {
                    out.push_str(&format!("{pad}{key}:\n"));
                    emit_block(val, indent + 4, out);
                }
            }
        }
        Y::Sequence(items) => {
            for item in items {
                if is_scalar(item) {
                    out.push_str(&format!("{pad}- {}\n", scalar(item, indent + 2)));
                } else {
                    let mut inner = String::new();
                    emit_block(item, indent + 2, &mut inner);
                    let trimmed = inner.get(indent + 2..).unwrap_or_default();
                    out.push_str(&format!("{pad}- {trimmed}"));
                }
            }
        }
        other => {
            out.push_str(&format!("{pad}{}\n", scalar(other, indent)));
        }
    }
}

fn message_to_yaml(msg: &DynamicMessage) -> Y {
    let d = msg.descriptor();
    match d.full_name() {
        "google.protobuf.Timestamp" | "google.protobuf.Duration" => {
            let mut m = Mapping::new();
            for f in ["seconds", "nanos"] {
                let v = msg
                    .get_field_by_name(f)
                    .map(|v| value_to_yaml(&v))
                    .unwrap_or(Y::Null);
                m.insert(Y::from(f), v);
            }
            return Y::Mapping(m);
        }
        _ => {}
    }
    let mut m = Mapping::new();
    for f in d.fields() {
        let key = f.name().replace('_', "").to_lowercase();
        if f.containing_oneof().is_some() && !msg.has_field(&f) {
            continue;
        }
        let v = if f.is_list() || f.is_map() {
            value_to_yaml(&msg.get_field(&f))
        } else if matches!(f.kind(), Kind::Message(_)) && !msg.has_field(&f) {
            Y::Null
        } else {
            value_to_yaml(&msg.get_field(&f))
        };
        m.insert(Y::from(key), v);
    }
    Y::Mapping(m)
}

fn value_to_yaml(v: &Value) -> Y {
    match v {
        Value::Bool(b) => Y::Bool(*b),
        Value::I32(n) => Y::from(*n),
        Value::I64(n) => Y::from(*n),
        Value::U32(n) => Y::from(*n),
        Value::U64(n) => Y::from(*n),
        Value::F32(n) => Y::from(f64::from(*n)),
        Value::F64(n) => Y::from(*n),
        Value::String(s) => Y::from(s.clone()),
        Value::Bytes(b) => Y::Sequence(b.iter().map(|x| Y::from(*x)).collect()),
        Value::EnumNumber(n) => Y::from(*n),
        Value::Message(m) => message_to_yaml(m),
        Value::List(l) => Y::Sequence(l.iter().map(value_to_yaml).collect()),
        Value::Map(mm) => {
            let mut out = Mapping::new();
            let mut entries: Vec<_> = mm.iter().collect();
            entries.sort_by_key(|(k, _)| map_key_string(k));
            for (k, val) in entries {
                out.insert(Y::from(map_key_string(k)), value_to_yaml(val));
            }
            Y::Mapping(out)
        }
    }
}

fn map_key_string(k: &MapKey) -> String {
    match k {
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(n) => n.to_string(),
        MapKey::I64(n) => n.to_string(),
        MapKey::U32(n) => n.to_string(),
        MapKey::U64(n) => n.to_string(),
        MapKey::String(s) => s.clone(),
    }
}

fn ser_opts() -> prost_reflect::SerializeOptions {
    prost_reflect::SerializeOptions::new()
        .use_proto_field_name(true)
        .use_enum_numbers(true)
        .skip_default_fields(true)
}

/// A dynamic message as protojson (proto names, enum numbers, defaults omitted).
pub fn dyn_to_json(msg: &DynamicMessage) -> Result<serde_json::Value, String> {
    msg.serialize_with_options(serde_json::value::Serializer, &ser_opts())
        .map_err(|e| e.to_string())
}

/// Spec bytes → protojson value (`{}` for unknown types or empty specs).
pub fn spec_to_json(pool: &DescriptorPool, typ: &str, bytes: &[u8]) -> serde_json::Value {
    spec_desc(pool, typ)
        .and_then(|d| DynamicMessage::decode(d, bytes).ok())
        // MarshalJSON shows compressed payloads plain
        .and_then(|mut m| crate::compression::expand(&mut m).ok().map(|()| m))
        .and_then(|m| dyn_to_json(&m).ok())
        .unwrap_or_else(|| serde_json::json!({}))
}

/// protojson text → spec bytes; unknown fields are rejected. Large payloads are stored
/// compressed, as Omni's `UnmarshalJSON` does ([`crate::compression`]).
pub fn spec_from_json(pool: &DescriptorPool, typ: &str, json: &str) -> Result<Vec<u8>, String> {
    let d = spec_desc(pool, typ).ok_or_else(|| format!("unknown resource type {typ:?}"))?;
    let mut de = serde_json::Deserializer::from_str(json);
    let mut m = DynamicMessage::deserialize(d, &mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    crate::compression::compress(&mut m)?;
    Ok(m.encode_to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_style_yaml() {
        let v: Y = serde_norway::from_str(
            "a: 1.32.0\nb: ''\nc: 'true'\nd:\n  e: [x, {f: 1, g: 2}]\nh: {}\ni: []\nj: \"l1\\nl2\\n\"\n",
        )
        .unwrap_or(Y::Null);
        assert_eq!(
            go_yaml(&v),
            "a: 1.32.0\nb: \"\"\nc: \"true\"\nd:\n    e:\n        - x\n        - f: 1\n          g: 2\nh: {}\ni: []\nj: |\n    l1\n    l2\n"
        );
    }
}
