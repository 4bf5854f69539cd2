//! What the client needs of the cluster-template engine, as plain data: a rendered template, a
//! sync plan, export, and the engine's errors with where they are.
//!
//! The engine (the rest of this module, feature `templates`) implements
//! [`TemplateEngine`](crate::template::TemplateEngine) natively (`template::Engine`). The client
//! only uses the trait, so a wasm build of the client does not carry the engine (this file is
//! all of `template` there): the npm package's client loads the `omni-wasm/templates` module on
//! the first template call and reaches it through JS, with everything crossing as JSON.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Result;
#[cfg(any(test, target_arch = "wasm32"))]
use crate::{Code, Error};

/// The resource types templates manage.
pub mod types {
    /// `Clusters.omni.sidero.dev`
    pub const CLUSTER: &str = "Clusters.omni.sidero.dev";
    /// `MachineSets.omni.sidero.dev`
    pub const MACHINE_SET: &str = "MachineSets.omni.sidero.dev";
    /// `MachineSetNodes.omni.sidero.dev`
    pub const MACHINE_SET_NODE: &str = "MachineSetNodes.omni.sidero.dev";
    /// `ConfigPatches.omni.sidero.dev`
    pub const CONFIG_PATCH: &str = "ConfigPatches.omni.sidero.dev";
    /// `ExtensionsConfigurations.omni.sidero.dev`
    pub const EXTENSIONS_CONFIGURATION: &str = "ExtensionsConfigurations.omni.sidero.dev";
    /// `KernelArgs.omni.sidero.dev`
    pub const KERNEL_ARGS: &str = "KernelArgs.omni.sidero.dev";
    /// `MachineInstallDiskConfigs.omni.sidero.dev`
    pub const MACHINE_INSTALL_DISK_CONFIG: &str = "MachineInstallDiskConfigs.omni.sidero.dev";
    /// `KubernetesManifestGroups.omni.sidero.dev`
    pub const KUBERNETES_MANIFEST_GROUP: &str = "KubernetesManifestGroups.omni.sidero.dev";
    /// `KubernetesHealthChecks.omni.sidero.dev`
    pub const KUBERNETES_HEALTH_CHECK: &str = "KubernetesHealthChecks.omni.sidero.dev";
}

/// The cluster-template engine as the client uses it. Resources are JSON in the library's
/// resource shape (`{ metadata, spec }`, spec as protojson).
pub trait TemplateEngine {
    /// Loads, validates and renders a template (`files`: paths as written in it → contents).
    ///
    /// # Errors
    /// [`Error::Template`](crate::Error::Template) with every problem and where it is.
    fn render(&self, text: &str, files: &BTreeMap<String, String>) -> Result<Rendered>;

    /// Loads and validates a template; its cluster's name.
    ///
    /// # Errors
    /// As [`render`](Self::render).
    fn validate(&self, text: &str, files: &BTreeMap<String, String>) -> Result<String>;

    /// What a sync of `desired` does to the cluster's live template resources `actual`.
    ///
    /// # Errors
    /// Ownership conflicts ([`Error::Template`](crate::Error::Template)).
    fn plan(&self, cluster: &str, desired: &[Value], actual: &[Value]) -> Result<Plan>;

    /// What deleting the cluster's template resources `actual` does.
    ///
    /// # Errors
    /// As [`plan`](Self::plan).
    fn delete_plan(&self, cluster: &str, actual: &[Value]) -> Result<Plan>;

    /// The cluster's live template resources as template text (`omnictl cluster template
    /// export`); with `include_kernel_args`, each listed machine's `kernelArgs` from its
    /// `KernelArgs` resource (`--include-kernel-args`).
    ///
    /// # Errors
    /// Resources that do not export ([`Error::Template`](crate::Error::Template)).
    fn export(
        &self,
        cluster: &str,
        actual: &[Value],
        initial_talos_version: Option<&str>,
        include_kernel_args: bool,
    ) -> Result<String>;
}

/// A validated, rendered template.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rendered {
    /// The cluster it describes.
    pub cluster: String,
    /// Its resources, in the order rendered.
    pub resources: Vec<Value>,
}

/// A sync plan: all creates, then all updates, then each destroy phase (waiting for a phase
/// to be gone before the next), with omnictl's diff of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// `omnictl cluster template diff` of the plan.
    pub diff: String,
    /// Resources to create.
    pub create: Vec<Value>,
    /// Resources to update, as they will be (with the version they replace).
    pub update: Vec<Value>,
    /// Destroy phases.
    pub destroy: Vec<Vec<Value>>,
}

impl Plan {
    /// `true` when the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.create.is_empty() && self.update.is_empty() && self.destroy.iter().all(Vec::is_empty)
    }
}

/// An engine answer as it crosses between wasm modules: the value, the template's errors,
/// or another error by code.
#[cfg(any(test, target_arch = "wasm32"))]
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Answer<T> {
    Ok(T),
    Template(TemplateErrors),
    Error { code: String, message: String },
}

/// A result as an [`Answer`]'s JSON text.
#[cfg(any(test, target_arch = "wasm32"))]
#[cfg_attr(not(feature = "templates"), allow(dead_code))]
pub(crate) fn answer_text<T: Serialize>(r: Result<T>) -> String {
    let answer = match r {
        Ok(v) => Answer::Ok(v),
        Err(Error::Template(t)) => Answer::Template(t),
        Err(e) => Answer::Error {
            code: e.code().name().to_string(),
            message: match &e {
                Error::Status { message, .. } => message.clone(),
                other => other.to_string(),
            },
        },
    };
    serde_json::to_string(&answer)
        .unwrap_or_else(|e| format!("{{\"error\":{{\"code\":\"INTERNAL\",\"message\":\"{e}\"}}}}"))
}

/// The result an [`Answer`]'s JSON text carries.
#[cfg(any(test, target_arch = "wasm32"))]
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
pub(crate) fn from_answer_text<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    match serde_json::from_str::<Answer<T>>(text) {
        Ok(Answer::Ok(v)) => Ok(v),
        Ok(Answer::Template(t)) => Err(Error::Template(t)),
        Ok(Answer::Error { code, message }) => {
            let code = Code::ALL
                .into_iter()
                .find(|c| c.name() == code)
                .unwrap_or(Code::Unknown);
            Err(Error::status(code, message))
        }
        Err(e) => Err(Error::Decode(format!("template engine answer: {e}"))),
    }
}

/// One template error: upstream's message plus where it applies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateError {
    /// The message, exactly as upstream words it (may span several lines for nested lists).
    pub message: String,
    /// Zero-based index of the YAML document the error belongs to, when it belongs to one.
    pub document: Option<usize>,
    /// 1-based line in the template text.
    pub line: Option<u32>,
    /// 1-based column in the template text.
    pub column: Option<u32>,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {}

/// The stage an error list comes from; decides how it prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Loading (parsing/decoding): a single error, printed as is.
    Load,
    /// Validation: printed as upstream's `N errors occurred:` list.
    Validate,
    /// Translation (render): printed as a list.
    Render,
    /// Export: a single error.
    Export,
}

/// All errors of one operation, in upstream's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateErrors {
    /// Where the errors come from.
    pub stage: Stage,
    /// The errors, in upstream's order.
    pub errors: Vec<TemplateError>,
}

/// Formats a list of error texts as hashicorp go-multierror does.
pub(crate) fn multi<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = if items.len() == 1 {
        "1 error occurred:\n".to_string()
    } else {
        format!("{} errors occurred:\n", items.len())
    };
    for it in items {
        out.push_str("\t* ");
        out.push_str(it.as_ref());
        out.push('\n');
    }
    out.push('\n');
    out
}

impl fmt::Display for TemplateErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stage {
            Stage::Load | Stage::Export if self.errors.len() == 1 => {
                f.write_str(self.errors.first().map_or("", |e| e.message.as_str()))
            }
            _ => {
                let texts: Vec<&str> = self.errors.iter().map(|e| e.message.as_str()).collect();
                f.write_str(&multi(&texts))
            }
        }
    }
}

impl std::error::Error for TemplateErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_carry_values_and_errors_between_modules() {
        let ok: Result<Rendered> = from_answer_text(&answer_text(Ok(Rendered {
            cluster: "c".into(),
            resources: vec![serde_json::json!({"metadata": {"id": "c"}})],
        })));
        assert_eq!(ok.unwrap().cluster, "c");
        let errors = TemplateErrors {
            stage: Stage::Validate,
            errors: vec![TemplateError {
                message: "bad".into(),
                document: Some(1),
                line: Some(3),
                column: Some(5),
            }],
        };
        let back: Result<Plan> =
            from_answer_text(&answer_text::<Plan>(Err(Error::Template(errors.clone()))));
        let Err(Error::Template(t)) = back else {
            panic!("{back:?}")
        };
        assert_eq!(t, errors);
        assert_eq!(t.to_string(), "1 error occurred:\n\t* bad\n\n");
        let other: Result<String> = from_answer_text(&answer_text::<String>(Err(Error::status(
            Code::NotFound,
            "gone",
        ))));
        let e = other.unwrap_err();
        assert_eq!(
            (e.code(), e.to_string().as_str()),
            (Code::NotFound, "NOT_FOUND: gone")
        );
        assert!(matches!(
            from_answer_text::<String>("{}"),
            Err(Error::Decode(_))
        ));
    }
}
