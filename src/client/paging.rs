//! Paged, sorted, searched lists through `omni.resources.ResourceService/List` — what
//! Omni's web UI uses for long tables. (`cosi.resource.State` has no paging.)

use serde::Deserialize;

use super::resources::{ListParams, Resources};
use crate::auth::Metadata;
use crate::proto::omni::resources as pb;
use crate::resource::{Resource, ResourceMetadata};
use crate::transport::{CallKind, CallOptions};
use crate::{Error, Result};

/// Paging, sorting and search of a ResourceService list.
#[derive(Clone, Debug, Default)]
pub struct PageParams {
    /// Label selectors (ANDed terms; several selectors are ORed).
    pub selectors: Vec<String>,
    /// Skip this many items.
    pub offset: i32,
    /// At most this many items (0 = no limit).
    pub limit: i32,
    /// `id`, `namespace`, `created`, `updated`, or a type-specific field.
    pub sort_by_field: String,
    /// Sort descending.
    pub sort_descending: bool,
    /// Substring search on id, namespace and type-specific fields.
    pub search_for: Vec<String>,
}

/// One page of a list.
#[derive(Clone, Debug)]
pub struct Page {
    /// The items of this page.
    pub items: Vec<Resource>,
    /// How many items match in total (after search).
    pub total: i32,
}

/// The ResourceService's JSON layout of a resource (`version` is a number there).
#[derive(Deserialize)]
struct JsonResource {
    #[serde(default)]
    spec: serde_json::Value,
    metadata: JsonMetadata,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JsonMetadata {
    namespace: String,
    #[serde(rename = "type")]
    type_: String,
    id: String,
    version: serde_json::Value,
    owner: String,
    phase: String,
    created: Option<String>,
    updated: Option<String>,
    labels: std::collections::BTreeMap<String, String>,
    annotations: std::collections::BTreeMap<String, String>,
    finalizers: Vec<String>,
}

fn parse(item: &str) -> Result<Resource> {
    let r: JsonResource = serde_json::from_str(item)
        .map_err(|e| Error::Decode(format!("ResourceService item: {e}")))?;
    let m = r.metadata;
    let version = match m.version {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s,
        _ => String::new(),
    };
    let mut meta = ResourceMetadata::new(&m.namespace, &m.type_, &m.id);
    meta.version = version;
    meta.owner = m.owner;
    meta.phase = m.phase;
    meta.created = m.created;
    meta.updated = m.updated;
    meta.labels = m.labels;
    meta.annotations = m.annotations;
    meta.finalizers = m.finalizers;
    Ok(Resource::new(meta, r.spec))
}

impl Resources {
    /// The ResourceService request of a page (`runtime` and `selectors` travel as metadata).
    /// Selectors are checked first, with the same parser as `List`.
    pub(super) fn page_request(&self, p: &PageParams) -> Result<(Metadata, pb::ListRequest)> {
        let md = self.rs_metadata(&p.selectors)?;
        let req = pb::ListRequest {
            namespace: self.namespace().to_string(),
            r#type: self.type_name().to_string(),
            offset: p.offset,
            limit: p.limit,
            sort_by_field: p.sort_by_field.clone(),
            sort_descending: p.sort_descending,
            search_for: p.search_for.clone(),
        };
        Ok((md, req))
    }

    /// The metadata of a ResourceService call: `runtime: Omni` and the label selectors (which
    /// ResourceService takes as metadata), checked first with the same parser as `List`.
    pub(super) fn rs_metadata(&self, selectors: &[String]) -> Result<Metadata> {
        ListParams {
            selectors: selectors.to_vec(),
            id_regexp: None,
        }
        .label_queries()?;
        if selectors.iter().filter(|s| !s.trim().is_empty()).count() > 1 {
            return Err(Error::InvalidArgument(
                "ResourceService (pages, sorting, search) takes one selector: several would arrive joined into one over HTTP; use list or watch for ORed selectors".into(),
            ));
        }
        let mut md = Metadata::new();
        md.set("runtime", "Omni");
        for s in selectors.iter().filter(|s| !s.trim().is_empty()) {
            md.append("selectors", s.clone());
        }
        Ok(md)
    }

    /// One page of this type, via `omni.resources.ResourceService/List` (paging, sorting,
    /// search). Selectors are checked before anything is sent.
    ///
    /// # Errors
    /// [`crate::Code::InvalidArgument`] for a bad selector; server errors.
    pub async fn list_page(&self, p: &PageParams, opts: &CallOptions) -> Result<Page> {
        let (md, req) = self.page_request(p)?;
        let resp: pb::ListResponse = self
            .client()
            .transport()
            .unary(RS_LIST, md, &req, CallKind::Read, opts)
            .await?;
        let items = resp
            .items
            .iter()
            .map(|s| parse(s))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total: resp.total,
        })
    }
}

/// The ResourceService's List method.
pub(super) const RS_LIST: &str = "/omni.resources.ResourceService/List";
