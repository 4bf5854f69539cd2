//! Export: a cluster's resources → template text (templates.md section 13).

use super::error::TemplateErrors;
use super::resource::RenderedResource;

/// Options of [`export`].
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    /// Cluster ID to export.
    pub cluster: String,
    /// Export `kernelArgs` of machines (`--include-kernel-args`).
    pub include_kernel_args: bool,
    /// The cluster's initial Talos version (from ClusterStatus), e.g. `1.14.0`.
    pub initial_talos_version: Option<String>,
}

/// Builds a template from a cluster's resources.
///
/// # Errors
/// Upstream's export errors.
pub fn export(
    _resources: &[RenderedResource],
    _opts: &ExportOptions,
) -> Result<String, TemplateErrors> {
    Ok(String::new())
}
