//! Resources: metadata + spec, the type registry, spec codecs, selectors, printers.
//!
//! A [`Resource`] holds its spec as protojson (proto field names, enum numbers, zero values
//! omitted) — the same shape the ResourceService and the TypeScript API use. The COSI wire form
//! (`proto_spec` bytes) and omnictl's YAML form are produced through the type [`Registry`] and the
//! compiled descriptors.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::proto::cosi::resource as pb;
use crate::{Error, Result};

mod codec;
#[cfg(feature = "cli")]
mod jsonpath;
mod names;
mod print;
#[cfg(feature = "cli")]
pub(crate) use print::{tabwrite, tabwrite_pad};
mod registry;
mod registry_table;
mod selector;
mod yaml_in;

#[cfg(feature = "cli")]
pub use jsonpath::JsonPathTemplate;
pub use print::{to_omnictl_json, to_omnictl_json_event, to_omnictl_yaml, to_table};
pub use registry::{
    PrintColumn, Registry, ResourceDefinition, ResourceType, RESOURCE_DEFINITION_TYPE,
};
pub use selector::{matches, matches_any, parse_selector, parse_selectors, term_matches};
pub use yaml_in::{parse_yaml_documents, parse_yaml_documents_with};

/// The `version` of a resource that does not exist yet.
pub const VERSION_UNDEFINED: &str = "undefined";
/// The normal phase.
pub const PHASE_RUNNING: &str = "running";

/// Resource metadata (COSI).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceMetadata {
    /// Namespace, e.g. `default`.
    pub namespace: String,
    /// Full type string, e.g. `Clusters.omni.sidero.dev`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Resource id.
    pub id: String,
    /// Decimal version, or `undefined` (empty means undefined on writes).
    pub version: String,
    /// Owning controller; empty for user resources.
    pub owner: String,
    /// `running` or `tearingDown`.
    pub phase: String,
    /// Creation time, RFC 3339 (seconds precision).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Last update time, RFC 3339 (seconds precision).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// Queryable labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Free-form annotations.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Finalizers, in stored order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
}

/// One resource: metadata and a protojson spec.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// Metadata.
    pub metadata: ResourceMetadata,
    /// The spec as protojson (proto field names, enum numbers, zero values omitted). For types
    /// without a known schema: the server's YAML spec converted to JSON.
    #[serde(default)]
    pub spec: Json,
    /// The server-rendered YAML spec (`Spec.yaml_spec`), kept for byte-exact omnictl output.
    #[serde(skip)]
    pub yaml_spec: Option<String>,
}

impl ResourceMetadata {
    /// Metadata for a new resource (`version` undefined, phase running).
    pub fn new(namespace: &str, type_: &str, id: &str) -> Self {
        ResourceMetadata {
            namespace: namespace.into(),
            type_: type_.into(),
            id: id.into(),
            version: VERSION_UNDEFINED.into(),
            phase: PHASE_RUNNING.into(),
            ..Default::default()
        }
    }

    /// From the COSI protobuf metadata.
    pub fn from_proto(m: pb::Metadata) -> Self {
        ResourceMetadata {
            namespace: m.namespace,
            type_: m.r#type,
            id: m.id,
            version: m.version,
            owner: m.owner,
            phase: m.phase,
            created: m.created.map(|t| crate::time::format_rfc3339(t.seconds)),
            updated: m.updated.map(|t| crate::time::format_rfc3339(t.seconds)),
            labels: m.labels.into_iter().collect(),
            annotations: m.annotations.into_iter().collect(),
            finalizers: m.finalizers,
        }
    }

    /// To the COSI protobuf metadata (`undefined` version and `running` phase when empty).
    pub fn to_proto(&self) -> Result<pb::Metadata> {
        let ts = |s: &Option<String>, what: &str| -> Result<Option<pbjson_types::Timestamp>> {
            match s.as_deref() {
                None | Some("") => Ok(None),
                Some(s) => crate::time::parse_rfc3339(s)
                    .map(|(seconds, nanos)| Some(pbjson_types::Timestamp { seconds, nanos }))
                    .ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "metadata.{what}: invalid RFC 3339 time {s:?}"
                        ))
                    }),
            }
        };
        Ok(pb::Metadata {
            namespace: self.namespace.clone(),
            r#type: self.type_.clone(),
            id: self.id.clone(),
            version: if self.version.is_empty() {
                VERSION_UNDEFINED.into()
            } else {
                self.version.clone()
            },
            owner: self.owner.clone(),
            phase: if self.phase.is_empty() {
                PHASE_RUNNING.into()
            } else {
                self.phase.clone()
            },
            created: ts(&self.created, "created")?,
            updated: ts(&self.updated, "updated")?,
            finalizers: self.finalizers.clone(),
            annotations: self.annotations.clone(),
            labels: self.labels.clone(),
        })
    }
}

impl Resource {
    /// A resource with metadata and protojson spec.
    pub fn new(metadata: ResourceMetadata, spec: Json) -> Self {
        Resource {
            metadata,
            spec,
            yaml_spec: None,
        }
    }

    /// From a COSI resource: the spec is decoded from `proto_spec` through the type's spec
    /// message; compressed payloads are expanded as Omni's JSON and YAML forms show them;
    /// unknown types and undecodable specs fall back to `yaml_spec`.
    pub fn from_proto(r: pb::Resource, registry: &Registry) -> Result<Resource> {
        let metadata = ResourceMetadata::from_proto(r.metadata.unwrap_or_default());
        let spec = r.spec.unwrap_or_default();
        let schema = spec_schema(&metadata, registry)?;
        let json = match schema.as_ref().and_then(|d| decoded_spec(d, &spec)) {
            Some(msg) => Some(codec::to_json(&msg)?),
            None => None,
        };
        Self::from_parts(metadata, spec, schema.as_ref(), json)
    }

    /// Appends the JSON of [`Resource`] (`{"metadata": …, "spec": …}`) of a COSI resource to
    /// `out`, the spec written straight from the decoded message (no intermediate JSON value):
    /// what bulk paths (lists, watch events for JS) use. Same result as serializing
    /// [`from_proto`](Self::from_proto).
    ///
    /// # Errors
    /// As [`from_proto`](Self::from_proto).
    pub fn write_json_from_proto(
        r: pb::Resource,
        registry: &Registry,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let metadata = ResourceMetadata::from_proto(r.metadata.unwrap_or_default());
        let spec = r.spec.unwrap_or_default();
        let schema = spec_schema(&metadata, registry)?;
        let to_json = |e: serde_json::Error| Error::Decode(format!("resource to JSON: {e}"));
        if let Some(msg) = schema.as_ref().and_then(|d| decoded_spec(d, &spec)) {
            out.extend_from_slice(b"{\"metadata\":");
            serde_json::to_writer(&mut *out, &metadata).map_err(to_json)?;
            out.extend_from_slice(b",\"spec\":");
            codec::write_json(&msg, out)?;
            out.push(b'}');
            return Ok(());
        }
        let r = Self::from_parts(metadata, spec, schema.as_ref(), None)?;
        serde_json::to_writer(out, &r).map_err(to_json)
    }

    /// The resource from its parts, `json` being the spec decoded from `proto_spec` if it was.
    fn from_parts(
        metadata: ResourceMetadata,
        spec: pb::Spec,
        schema: Option<&prost_reflect::MessageDescriptor>,
        json: Option<Json>,
    ) -> Result<Resource> {
        let yaml_spec = (!spec.yaml_spec.is_empty()).then_some(spec.yaml_spec);
        let json = match (json, &yaml_spec) {
            (Some(j), _) => j,
            (None, Some(y)) => yaml_in::yaml_spec_to_json(y, schema)?,
            (None, None) if spec.proto_spec.is_empty() => Json::Object(Default::default()),
            (None, None) => {
                return Err(Error::Decode(format!(
                    "spec of {} {:?} did not decode and has no YAML form",
                    metadata.type_, metadata.id
                )))
            }
        };
        Ok(Resource {
            metadata,
            spec: json,
            yaml_spec,
        })
    }

    /// To a COSI resource with `proto_spec` encoded through the type's spec message.
    pub fn to_proto(&self, registry: &Registry) -> Result<pb::Resource> {
        let t = registry.lookup(&self.metadata.type_).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "resource type {:?} is not registered: writing needs its spec schema",
                self.metadata.type_
            ))
        })?;
        let name = t.spec_message.as_deref().ok_or_else(|| {
            Error::InvalidArgument(format!(
                "resource type {:?} has no known spec schema: writing needs it",
                self.metadata.type_
            ))
        })?;
        let desc = codec::message(name)?;
        let empty = Json::Object(Default::default());
        let spec = if self.spec.is_null() {
            &empty
        } else {
            &self.spec
        };
        Ok(pb::Resource {
            metadata: Some(self.metadata.to_proto()?),
            spec: Some(pb::Spec {
                proto_spec: codec::json_to_bytes(&desc, spec)?,
                yaml_spec: String::new(),
            }),
        })
    }

    /// The spec rendered the way the server renders `yaml_spec` (lower-cased Go field names, all
    /// fields), as YAML text with 4-space indentation. Uses `yaml_spec` when present.
    pub fn spec_yaml(&self) -> Result<String> {
        let y = print::spec_y(self)?;
        Ok(crate::goyaml::emit::to_yaml(&y, 4))
    }
}

/// The spec message of a resource's type, when the registry knows it.
fn spec_schema(
    metadata: &ResourceMetadata,
    registry: &Registry,
) -> Result<Option<prost_reflect::MessageDescriptor>> {
    registry
        .lookup(&metadata.type_)
        .and_then(|t| t.spec_message.as_deref())
        .map(codec::message)
        .transpose()
}

/// The spec decoded from `proto_spec`, compressed payloads expanded into their plain fields;
/// `None` when it does not decode (the caller then reads `yaml_spec`, the server's own rendering).
fn decoded_spec(
    desc: &prost_reflect::MessageDescriptor,
    spec: &pb::Spec,
) -> Option<prost_reflect::DynamicMessage> {
    let mut msg = codec::decode(desc, &spec.proto_spec).ok()?;
    codec::decompress_spec(&mut msg).ok()?;
    Some(msg)
}

#[cfg(test)]
mod tests;
