//! Cluster templates: load, validate, render, diff, plan, export. Pure: no IO, no clock.
//!
//! Behaviour follows `omnictl cluster template …` (see `shared/templates.md`):
//!
//! ```no_run
//! # use std::collections::BTreeMap;
//! # use omni_wasm::template::Template;
//! let files = BTreeMap::from([("patches/a.yaml".to_string(), "machine: {}\n".to_string())]);
//! let t = Template::load("kind: Cluster\nname: c\n", &files)?;
//! t.validate()?;
//! let yaml = t.render_yaml()?; // what `omnictl cluster template render` prints (indent 2)
//! # Ok::<(), omni_wasm::template::TemplateErrors>(())
//! ```
//!
//! Errors carry upstream's texts (`Display` of [`TemplateErrors`](crate::template::TemplateErrors)
//! equals omnictl's message without the `error loading template: ` / `error rendering
//! template: ` prefixes) plus the document index and line:column where they apply.

use std::collections::BTreeMap;

mod api;
pub mod diff;
mod engine;
mod error;
mod export;
mod model;
mod resource;
mod talos;
mod translate;
mod validate;

pub use crate::goyaml::diff::unified_diff;
#[cfg(target_arch = "wasm32")]
pub(crate) use api::answer_text;
#[cfg(all(target_arch = "wasm32", feature = "browser"))]
pub(crate) use api::from_answer_text;
pub use api::{Plan, Rendered, TemplateEngine};
pub use diff::{delete_plan, diff, plan, SyncPlan, Update};
pub use engine::Engine;
pub use error::{Stage, TemplateError, TemplateErrors};
pub use export::{export, ExportOptions};
pub use resource::{
    resources_to_yaml, types, ClusterFeatures, ClusterSpec, Duration, MachineAllocation,
    MachineSetSpec, Metadata, RenderedResource, Spec,
};

use crate::goyaml::node::{self, NodeKind, STag};
use model::{Dec, Model, ModelKind};

/// Check a Talos machine-config patch offline, as Omni checks it on the server
/// (`ManagementService.ValidateConfig`, and every patch a template or a `ConfigPatch` carries):
/// Talos' config loader (documents by `kind`/`apiVersion`, values decoded into their types,
/// unknown keys refused) against the structure of the Talos machinery Omni is built with, then
/// the fields, documents and list elements Omni keeps for itself.
///
/// The error has upstream's text, the document's index in the patch and the line and column in
/// `text` of what is wrong (the first unknown key, the value that does not decode, the
/// document).
///
/// # Errors
/// The problem, when Omni would refuse the patch.
pub fn validate_config_patch(text: &str) -> Result<(), TemplateErrors> {
    talos::check_patch(text).map_err(|p| {
        // one problem, its text as upstream's error prints it
        TemplateErrors::one(Stage::Load, TemplateError::at(p.message, p.document, p.pos))
    })
}

/// A loaded cluster template: its documents as typed models plus the referenced files.
#[derive(Clone, Debug)]
pub struct Template {
    models: Vec<Model>,
    files: BTreeMap<String, String>,
}

fn load_err(msg: String, doc: usize, pos: node::Pos) -> TemplateErrors {
    TemplateErrors::one(Stage::Load, TemplateError::at(msg, Some(doc), Some(pos)))
}

impl Template {
    /// The files a template refers to (`file:` of patches, manifests and health checks), as
    /// written, in order and without repeats: what a caller reads (relative to the template's
    /// directory) before [`Template::load`] with their contents.
    ///
    /// # Errors
    /// As [`Template::load`], for a text that does not parse.
    pub fn referenced_files(text: &str) -> Result<Vec<String>, TemplateErrors> {
        let t = Template::load(text, &BTreeMap::new())?;
        let mut out: Vec<String> = Vec::new();
        let mut add = |f: &str| {
            if !f.is_empty() && !out.iter().any(|o| o == f) {
                out.push(f.to_string());
            }
        };
        for m in &t.models {
            match &m.kind {
                model::ModelKind::Cluster(c) => {
                    c.patches.iter().for_each(|p| add(&p.file));
                    c.manifests.iter().for_each(|x| add(&x.file));
                    c.healthchecks.iter().for_each(|h| add(&h.file));
                }
                model::ModelKind::MachineSet(s) => s.patches.iter().for_each(|p| add(&p.file)),
                model::ModelKind::Machine(x) => x.patches.iter().for_each(|p| add(&p.file)),
            }
        }
        Ok(out)
    }

    /// Parses a multi-document template. `files` maps paths as written in the template
    /// (relative to the template's directory, which is also the allowed root) to contents.
    ///
    /// # Errors
    /// The first document that fails to parse or decode (upstream stops there too).
    pub fn load(text: &str, files: &BTreeMap<String, String>) -> Result<Template, TemplateErrors> {
        let docs = node::parse_stream(text).map_err(|e| {
            TemplateErrors::one(
                Stage::Load,
                TemplateError::at(
                    format!("error decoding template: {}", e.message),
                    None,
                    Some(e.pos),
                ),
            )
        })?;
        let mut models = Vec::with_capacity(docs.len());
        for (i, doc) in docs.iter().enumerate() {
            let at = format!("{}:{}", doc.start.line, doc.start.col);
            let root = &doc.root;
            let NodeKind::Map(entries) = &root.kind else {
                return Err(load_err(
                    format!(
                        "error in document at line {at}: unexpected node kind {}, expecting mapping",
                        root.go_kind()
                    ),
                    i,
                    doc.start,
                ));
            };
            let mut kind = None;
            for (k, v) in entries {
                match &k.kind {
                    NodeKind::Scalar { value, .. } if value == "kind" => {
                        match &v.kind {
                            NodeKind::Scalar { value, .. } => kind = Some((value.clone(), v.pos)),
                            _ => {
                                return Err(load_err(
                                    format!(
                                        "error in document at line {at}: unexpected value type for kind field {}",
                                        v.go_kind()
                                    ),
                                    i,
                                    v.pos,
                                ))
                            }
                        }
                        break;
                    }
                    NodeKind::Scalar { .. } => {}
                    _ => {
                        return Err(load_err(
                            format!(
                                "error in document at line {at}: unexpected node kind {}",
                                k.go_kind()
                            ),
                            i,
                            k.pos,
                        ))
                    }
                }
            }
            let Some((kind, kind_pos)) = kind else {
                return Err(load_err(
                    format!("error in document at line {at}: kind field not found"),
                    i,
                    doc.start,
                ));
            };
            let first_line = entries.first().map_or(root.pos.line, |(k, _)| k.pos.line);
            let mut d = Dec::new(first_line);
            let mk = match kind.as_str() {
                "Cluster" => ModelKind::Cluster(Box::new(model::decode_cluster(&mut d, root))),
                "ControlPlane" => {
                    ModelKind::MachineSet(Box::new(model::decode_machine_set(&mut d, root, true)))
                }
                "Workers" => {
                    ModelKind::MachineSet(Box::new(model::decode_machine_set(&mut d, root, false)))
                }
                "Machine" => ModelKind::Machine(Box::new(model::decode_machine(&mut d, root))),
                other => {
                    return Err(load_err(
                        format!("error in document at line {at}: unknown model kind \"{other}\""),
                        i,
                        kind_pos,
                    ))
                }
            };
            if let Some((pos, _)) = d.errors.first() {
                return Err(load_err(
                    format!("error decoding document at line {at}: {}", d.text()),
                    i,
                    *pos,
                ));
            }
            models.push(Model {
                kind: mk,
                doc: i,
                start: doc.start,
            });
        }
        Ok(Template {
            models,
            files: files.clone(),
        })
    }

    /// Runs every validation rule; all errors in upstream's order.
    ///
    /// # Errors
    /// [`Stage::Validate`] errors; `Display` gives upstream's `N errors occurred:` text.
    pub fn validate(&self) -> Result<(), TemplateErrors> {
        let errors = validate::validate(self);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(TemplateErrors {
                stage: Stage::Validate,
                errors,
            })
        }
    }

    /// Validates, then translates to resources in omnictl's emission order (timestamps unset).
    ///
    /// # Errors
    /// Validation errors, or [`Stage::Render`] translation errors.
    pub fn render(&self) -> Result<Vec<RenderedResource>, TemplateErrors> {
        self.validate()?;
        translate::translate(self).map_err(|errors| TemplateErrors {
            stage: Stage::Render,
            errors,
        })
    }

    /// `omnictl cluster template render` output: indent 2; `created`/`updated` are the zero
    /// time unless set with [`Template::render_yaml_with`].
    ///
    /// # Errors
    /// As [`Template::render`].
    pub fn render_yaml(&self) -> Result<String, TemplateErrors> {
        self.render_yaml_with(2, None)
    }

    /// Renders with an indentation step (2 = omnictl, 4 = upstream goldens) and an optional
    /// RFC3339 timestamp for `created`/`updated` (the library has no clock).
    ///
    /// # Errors
    /// As [`Template::render`].
    pub fn render_yaml_with(
        &self,
        indent: usize,
        timestamp: Option<&str>,
    ) -> Result<String, TemplateErrors> {
        let mut rs = self.render()?;
        if let Some(ts) = timestamp {
            for r in &mut rs {
                r.metadata.created = Some(ts.to_string());
                r.metadata.updated = Some(ts.to_string());
            }
        }
        Ok(resources_to_yaml(&rs, indent))
    }

    /// The cluster name (first Cluster document), if any.
    pub fn cluster_name(&self) -> Option<&str> {
        self.models.iter().find_map(|m| match &m.kind {
            ModelKind::Cluster(c) => Some(c.name.as_str()),
            _ => None,
        })
    }

    /// Number of documents.
    pub fn document_count(&self) -> usize {
        self.models.len()
    }
}

#[allow(dead_code)]
fn _tag_used(t: STag) -> &'static str {
    t.short()
}
