//! Cluster templates for JS: validate, render, plan/diff — offline, no server needed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::error::{from_value, to_value};
use crate::template::{Template, TemplateErrors};

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

/// One template problem, with where it is.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Issue {
    message: String,
    document: Option<usize>,
    line: Option<u32>,
    column: Option<u32>,
}

fn issues(e: &TemplateErrors) -> Vec<Issue> {
    e.errors
        .iter()
        .map(|x| Issue {
            message: x.message.clone(),
            document: x.document,
            line: x.line,
            column: x.column,
        })
        .collect()
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
    let out: Vec<serde_json::Value> = rs.iter().map(rendered_to_json).collect();
    to_value(&out)
}

/// `{ metadata, spec }` of a rendered resource, in the library's resource shape.
pub(crate) fn rendered_to_json(r: &crate::template::RenderedResource) -> serde_json::Value {
    let m = &r.metadata;
    serde_json::json!({
        "metadata": {
            "namespace": m.namespace,
            "type": m.resource_type,
            "id": m.id,
            "labels": m.labels,
            "annotations": m.annotations,
        },
        "spec": r.spec.to_proto_json(),
    })
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
