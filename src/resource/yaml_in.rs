//! Reading resources from YAML the way `omnictl apply` does (`protobuf.YAMLResource`).

use std::collections::BTreeMap;

use prost_reflect::MessageDescriptor;
use serde_json::Value as Json;

use super::codec::{self, NodeError};
use super::{Registry, Resource, ResourceMetadata, PHASE_RUNNING, VERSION_UNDEFINED};
use crate::goyaml::node::{parse_stream, Node, NodeKind, Pos};
use crate::{Error, Result};

fn at(doc: usize, pos: Pos, msg: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!(
        "document {doc}: line {}:{}: {msg}",
        pos.line, pos.col
    ))
}

/// Parses multi-document YAML (`metadata` + `spec` per document) with the builtin registry.
pub fn parse_yaml_documents(text: &str) -> Result<Vec<Resource>> {
    parse_yaml_documents_with(text, Registry::builtin_ref())
}

/// Parses multi-document YAML against `registry`. Errors name the document (0-based) and the
/// line:column. Spec keys are Go-style lower-cased field names (`kubernetesversion`); proto names
/// are accepted too. Enums as numbers or names; `Timestamp`/`Duration` as `seconds`/`nanos`
/// mappings (or their protojson strings).
pub fn parse_yaml_documents_with(text: &str, registry: &Registry) -> Result<Vec<Resource>> {
    let docs = parse_stream(text).map_err(|e| {
        Error::InvalidArgument(format!("line {}:{}: {}", e.pos.line, e.pos.col, e.message))
    })?;
    let mut out = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        // Empty documents (e.g. a trailing `---`) are skipped.
        if doc.root.is_null() {
            continue;
        }
        out.push(parse_document(i, &doc.root, registry)?);
    }
    Ok(out)
}

fn parse_document(i: usize, root: &Node, registry: &Registry) -> Result<Resource> {
    let Some(entries) = root.map_entries() else {
        return Err(at(i, root.pos, "expected a mapping with metadata and spec"));
    };
    let mut metadata = None;
    let mut spec = None;
    for (k, v) in &entries {
        match k.scalar() {
            Some("metadata") => metadata = Some(*v),
            Some("spec") => spec = Some(*v),
            other => {
                return Err(at(
                    i,
                    k.pos,
                    format!(
                        "unexpected key {:?}: expected exactly metadata and spec",
                        other.unwrap_or_default()
                    ),
                ))
            }
        }
    }
    let (Some(md), Some(spec)) = (metadata, spec) else {
        return Err(at(
            i,
            root.pos,
            "expected exactly the keys metadata and spec",
        ));
    };
    let metadata = parse_metadata(i, md)?;
    let t = registry.lookup(&metadata.type_).ok_or_else(|| {
        at(
            i,
            md.pos,
            format!("resource type {:?} is not registered", metadata.type_),
        )
    })?;
    let json = match &t.spec_message {
        Some(name) => {
            let desc = codec::message(name)?;
            let json = codec::node_to_json(&desc, spec).map_err(|e| at(i, e.pos, e.message))?;
            // Validate and canonicalise through the schema.
            let msg = codec::from_json(&desc, &json).map_err(|e| at(i, spec.pos, e))?;
            codec::to_json(&msg)?
        }
        None => codec::node_to_generic_json(spec),
    };
    Ok(Resource::new(metadata, json))
}

fn scalar_field(i: usize, n: &Node, what: &str) -> Result<String> {
    match &n.kind {
        NodeKind::Scalar { value, .. } => Ok(if n.is_null() {
            String::new()
        } else {
            value.clone()
        }),
        _ => Err(at(i, n.pos, format!("metadata.{what} must be a scalar"))),
    }
}

fn string_map(i: usize, n: &Node, what: &str) -> Result<BTreeMap<String, String>> {
    if n.is_null() {
        return Ok(BTreeMap::new());
    }
    let Some(entries) = n.map_entries() else {
        return Err(at(i, n.pos, format!("metadata.{what} must be a mapping")));
    };
    let mut out = BTreeMap::new();
    for (k, v) in entries {
        out.insert(scalar_field(i, k, what)?, scalar_field(i, v, what)?);
    }
    Ok(out)
}

fn parse_metadata(i: usize, n: &Node) -> Result<ResourceMetadata> {
    let Some(entries) = n.map_entries() else {
        return Err(at(i, n.pos, "metadata must be a mapping"));
    };
    let mut md = ResourceMetadata {
        version: VERSION_UNDEFINED.into(),
        phase: PHASE_RUNNING.into(),
        ..Default::default()
    };
    for (k, v) in entries {
        let key = k.scalar().unwrap_or_default();
        match key {
            "namespace" => md.namespace = scalar_field(i, v, key)?,
            "type" => md.type_ = scalar_field(i, v, key)?,
            "id" => md.id = scalar_field(i, v, key)?,
            "owner" => md.owner = scalar_field(i, v, key)?,
            "version" => {
                let s = scalar_field(i, v, key)?;
                if s.is_empty() || s == VERSION_UNDEFINED {
                    md.version = VERSION_UNDEFINED.into();
                } else if s.parse::<u64>().is_ok() {
                    md.version = s;
                } else {
                    return Err(at(i, v.pos, format!("invalid version {s:?}")));
                }
            }
            "phase" => {
                let s = scalar_field(i, v, key)?;
                match s.as_str() {
                    "" => {}
                    "running" | "tearingDown" => md.phase = s,
                    _ => return Err(at(i, v.pos, format!("unknown phase {s:?}"))),
                }
            }
            "created" | "updated" => {
                let s = scalar_field(i, v, key)?;
                let val = if s.is_empty() {
                    None
                } else {
                    let (secs, _) = crate::time::parse_rfc3339(&s)
                        .ok_or_else(|| at(i, v.pos, format!("invalid time {s:?}")))?;
                    Some(crate::time::format_rfc3339(secs))
                };
                if key == "created" {
                    md.created = val;
                } else {
                    md.updated = val;
                }
            }
            "labels" => md.labels = string_map(i, v, key)?,
            "annotations" => md.annotations = string_map(i, v, key)?,
            "finalizers" if !v.is_null() => {
                let NodeKind::Seq(items) = &v.kind else {
                    return Err(at(i, v.pos, "metadata.finalizers must be a sequence"));
                };
                md.finalizers = items
                    .iter()
                    .map(|f| scalar_field(i, f, key))
                    .collect::<Result<_>>()?;
            }
            _ => {}
        }
    }
    Ok(md)
}

/// The server's `yaml_spec` as protojson (through the schema when known) or generic JSON.
pub(crate) fn yaml_spec_to_json(yaml: &str, schema: Option<&MessageDescriptor>) -> Result<Json> {
    let docs = parse_stream(yaml)
        .map_err(|e| Error::Decode(format!("yaml_spec: line {}: {}", e.pos.line, e.message)))?;
    let Some(doc) = docs.first() else {
        return Ok(Json::Object(Default::default()));
    };
    match schema {
        Some(desc) => {
            let json =
                codec::node_to_json(desc, &doc.root).map_err(|NodeError { pos, message }| {
                    Error::Decode(format!(
                        "yaml_spec: line {}:{}: {message}",
                        pos.line, pos.col
                    ))
                })?;
            let msg = codec::from_json(desc, &json).map_err(|e| Error::Decode(e.to_string()))?;
            codec::to_json(&msg)
        }
        None => Ok(codec::node_to_generic_json(&doc.root)),
    }
}
