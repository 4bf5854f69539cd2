//! Cluster templates for JS: validate, render, plan/diff — offline, no server needed.

use std::collections::BTreeMap;

use serde::Deserialize;
use wasm_bindgen::prelude::*;

use super::error::{from_value, issues, to_value, Issue};
use crate::template::{RenderedResource, Template, TemplateErrors};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct TemplateOptions {
    /// Files the template references (`file:` patches, manifests), keyed by the path as
    /// written in the template.
    #[serde(default)]
    files: BTreeMap<String, String>,
    /// RFC 3339 time for `created`/`updated` in the render (default: the zero time).
    #[serde(default)]
    timestamp: Option<String>,
    /// Indentation step of the render (default 2, like omnictl).
    #[serde(default)]
    indent: Option<usize>,
}

/// A JS `Error` named `TemplateError` whose `.errors` lists `{ message, document, line,
/// column }`; its message is omnictl's text.
fn template_error(e: &TemplateErrors) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("TemplateError");
    if let Ok(list) = to_value(&issues(e)) {
        let _ = js_sys::Reflect::set(err.as_ref(), &"errors".into(), &list);
    }
    let _ = js_sys::Reflect::set(err.as_ref(), &"code".into(), &"INVALID_ARGUMENT".into());
    err.into()
}

fn options(v: JsValue) -> Result<TemplateOptions, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(TemplateOptions::default());
    }
    from_value(v, "template options")
}

fn load(text: &str, opts: &TemplateOptions) -> Result<Template, JsValue> {
    Template::load(text, &opts.files).map_err(|e| template_error(&e))
}

/// Validate a cluster template: resolves to `[]` when valid, else every problem (upstream's
/// texts and order) with its document index and line/column.
#[wasm_bindgen(js_name = validateTemplate, unchecked_return_type = "TemplateIssue[]")]
pub fn validate_template(
    text: &str,
    #[wasm_bindgen(unchecked_param_type = "TemplateOptions | undefined")] options_js: JsValue,
) -> Result<JsValue, JsValue> {
    let opts = options(options_js)?;
    let result = Template::load(text, &opts.files).and_then(|t| t.validate());
    match result {
        Ok(()) => to_value(&Vec::<Issue>::new()),
        Err(e) => to_value(&issues(&e)),
    }
}

/// Check a Talos config patch offline as Omni does on the server: `[]` when Omni would accept
/// it, else the problem with upstream's text and its document, line and column in `text`.
#[wasm_bindgen(js_name = validateConfigPatch, unchecked_return_type = "TemplateIssue[]")]
pub fn validate_config_patch(text: &str) -> Result<JsValue, JsValue> {
    match crate::template::validate_config_patch(text) {
        Ok(()) => to_value(&Vec::<Issue>::new()),
        Err(e) => to_value(&issues(&e)),
    }
}

/// Render a cluster template to the YAML `omnictl cluster template render` prints.
/// Throws a `TemplateError` (with `.errors`) when the template is invalid.
#[wasm_bindgen(js_name = renderTemplate)]
pub fn render_template(
    text: &str,
    #[wasm_bindgen(unchecked_param_type = "TemplateOptions | undefined")] options_js: JsValue,
) -> Result<String, JsValue> {
    let opts = options(options_js)?;
    let t = load(text, &opts)?;
    t.render_yaml_with(opts.indent.unwrap_or(2), opts.timestamp.as_deref())
        .map_err(|e| template_error(&e))
}

/// Render a cluster template to resource objects `{ metadata, spec }` (spec as protojson
/// with proto field names — what `OmniClient.apply` takes).
#[wasm_bindgen(js_name = renderTemplateResources, unchecked_return_type = "Array<{ metadata: Record<string, unknown>; spec: Record<string, unknown> }>")]
pub fn render_template_resources(
    text: &str,
    #[wasm_bindgen(unchecked_param_type = "TemplateOptions | undefined")] options_js: JsValue,
) -> Result<JsValue, JsValue> {
    let opts = options(options_js)?;
    let t = load(text, &opts)?;
    let rs = t.render().map_err(|e| template_error(&e))?;
    let out: Vec<serde_json::Value> = rs.iter().map(RenderedResource::to_json).collect();
    to_value(&out)
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TEMPLATE: &'static str = r#"
/** Files a template references, keyed by the path written in the template. */
export interface TemplateOptions {
  files?: Record<string, string>;
  /** RFC 3339 time for created/updated in the render (default: the zero time). */
  timestamp?: string;
  /** Indentation step (default 2, like omnictl). */
  indent?: number;
}

/** One template problem: omnictl's text plus where it is. */
export interface TemplateIssue {
  message: string;
  /** Zero-based YAML document index. */
  document?: number;
  /** 1-based. */
  line?: number;
  column?: number;
}
"#;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DiffOptions {
    #[serde(default)]
    files: BTreeMap<String, String>,
    /// The cluster's current resources (`{ metadata, spec }` objects, e.g. from `list`).
    #[serde(default)]
    current: Vec<serde_json::Value>,
}

/// Diff a template against given current resources, offline: omnictl's `cluster template
/// diff` output (empty when nothing would change).
#[wasm_bindgen(js_name = diffTemplate)]
pub fn diff_template(
    text: &str,
    #[wasm_bindgen(
        unchecked_param_type = "TemplateOptions & { current?: Array<{ metadata: Record<string, unknown>; spec: Record<string, unknown> }> }"
    )]
    options_js: JsValue,
) -> Result<String, JsValue> {
    let o: DiffOptions = if options_js.is_undefined() || options_js.is_null() {
        DiffOptions::default()
    } else {
        from_value(options_js, "diff options")?
    };
    let t = Template::load(text, &o.files).map_err(|e| template_error(&e))?;
    let desired = t.render().map_err(|e| template_error(&e))?;
    let cluster = t.cluster_name().unwrap_or_default().to_string();
    let current: Vec<_> = o
        .current
        .iter()
        .filter_map(RenderedResource::from_json)
        .collect();
    let plan =
        crate::template::plan(&cluster, &desired, &current).map_err(|e| template_error(&e))?;
    Ok(crate::template::diff(&plan))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ExportOpts {
    cluster: String,
    #[serde(default)]
    include_kernel_args: bool,
    #[serde(default)]
    initial_talos_version: Option<String>,
}

/// Turn a cluster's resources (`{ metadata, spec }` objects) into template text, offline
/// (`omnictl cluster template export`).
#[wasm_bindgen(js_name = exportTemplate)]
pub fn export_template(
    #[wasm_bindgen(
        unchecked_param_type = "Array<{ metadata: Record<string, unknown>; spec: Record<string, unknown> }>"
    )]
    resources: JsValue,
    #[wasm_bindgen(
        unchecked_param_type = "{ cluster: string; includeKernelArgs?: boolean; initialTalosVersion?: string }"
    )]
    options_js: JsValue,
) -> Result<String, JsValue> {
    let rs: Vec<serde_json::Value> = from_value(resources, "resources")?;
    let o: ExportOpts = from_value(options_js, "export options")?;
    let current: Vec<_> = rs.iter().filter_map(RenderedResource::from_json).collect();
    crate::template::export(
        &current,
        &crate::template::ExportOptions {
            cluster: o.cluster,
            include_kernel_args: o.include_kernel_args,
            initial_talos_version: o.initial_talos_version,
        },
    )
    .map_err(|e| template_error(&e))
}

// The template engine of the client (`crate::template::TemplateEngine`) for the npm package's
// client module, which loads this module on its first template call: JSON text in, an answer's
// JSON text out (the value, or the template's errors with where they are).

fn files_of(json: &str) -> crate::Result<BTreeMap<String, String>> {
    serde_json::from_str(json).map_err(|e| crate::Error::InvalidArgument(format!("files: {e}")))
}

fn values_of(json: &str) -> crate::Result<Vec<serde_json::Value>> {
    serde_json::from_str(json).map_err(|e| crate::Error::InvalidArgument(format!("resources: {e}")))
}

/// Internal (the client's template engine): load, validate and render.
#[wasm_bindgen(js_name = engineRender)]
pub fn engine_render(text: &str, files: &str) -> String {
    use crate::template::TemplateEngine as _;
    crate::template::answer_text(
        files_of(files).and_then(|f| crate::template::Engine.render(text, &f)),
    )
}

/// Internal (the client's template engine): load and validate; the cluster's name.
#[wasm_bindgen(js_name = engineValidate)]
pub fn engine_validate(text: &str, files: &str) -> String {
    use crate::template::TemplateEngine as _;
    crate::template::answer_text(
        files_of(files).and_then(|f| crate::template::Engine.validate(text, &f)),
    )
}

/// Internal (the client's template engine): the sync plan.
#[wasm_bindgen(js_name = enginePlan)]
pub fn engine_plan(cluster: &str, desired: &str, actual: &str) -> String {
    use crate::template::TemplateEngine as _;
    crate::template::answer_text(values_of(desired).and_then(|d| {
        let a = values_of(actual)?;
        crate::template::Engine.plan(cluster, &d, &a)
    }))
}

/// Internal (the client's template engine): the delete plan.
#[wasm_bindgen(js_name = engineDeletePlan)]
pub fn engine_delete_plan(cluster: &str, actual: &str) -> String {
    use crate::template::TemplateEngine as _;
    crate::template::answer_text(
        values_of(actual).and_then(|a| crate::template::Engine.delete_plan(cluster, &a)),
    )
}

/// Internal (the client's template engine): export as template text.
#[wasm_bindgen(js_name = engineExport)]
pub fn engine_export(
    cluster: &str,
    actual: &str,
    initial_talos_version: Option<String>,
    include_kernel_args: bool,
) -> String {
    use crate::template::TemplateEngine as _;
    crate::template::answer_text(values_of(actual).and_then(|a| {
        crate::template::Engine.export(
            cluster,
            &a,
            initial_talos_version.as_deref(),
            include_kernel_args,
        )
    }))
}
