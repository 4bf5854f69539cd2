//! The client's template engine in the npm package: the `omni-wasm/templates` module (its own
//! `.wasm`), which the JS glue loads on the first template call and hands in. Its `engine*`
//! exports take and give JSON text; their answers carry template errors with where they are.

use std::collections::BTreeMap;

use serde_json::Value;
use wasm_bindgen::prelude::*;

use crate::template::{from_answer_text, Plan, Rendered, TemplateEngine};
use crate::{Error, Result};

/// A loaded `omni-wasm/templates` module (any object with its `engine*` functions).
pub(super) struct JsEngine(JsValue);

impl JsEngine {
    pub(super) fn new(module: JsValue) -> std::result::Result<JsEngine, JsValue> {
        if module.is_object() {
            Ok(JsEngine(module))
        } else {
            Err(super::error::invalid(
                "no template engine (the omni-wasm/templates module)",
            ))
        }
    }

    /// Calls `name` with `args`; its answer decoded.
    fn call<T: serde::de::DeserializeOwned>(&self, name: &str, args: &[JsValue]) -> Result<T> {
        let f = js_sys::Reflect::get(&self.0, &JsValue::from_str(name))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "the template engine has no {name}: load omni-wasm/templates of the same version"
                ))
            })?;
        let args: js_sys::Array = args.iter().collect();
        let answer = f
            .apply(&JsValue::NULL, &args)
            .map_err(|e| Error::Decode(format!("template engine {name}: {e:?}")))?;
        let text = answer
            .as_string()
            .ok_or_else(|| Error::Decode(format!("template engine {name}: not a JSON answer")))?;
        from_answer_text(&text)
    }
}

fn json<T: serde::Serialize + ?Sized>(v: &T) -> Result<JsValue> {
    serde_json::to_string(v)
        .map(|s| JsValue::from_str(&s))
        .map_err(|e| Error::Decode(e.to_string()))
}

impl TemplateEngine for JsEngine {
    fn render(&self, text: &str, files: &BTreeMap<String, String>) -> Result<Rendered> {
        self.call("engineRender", &[text.into(), json(files)?])
    }

    fn validate(&self, text: &str, files: &BTreeMap<String, String>) -> Result<String> {
        self.call("engineValidate", &[text.into(), json(files)?])
    }

    fn plan(&self, cluster: &str, desired: &[Value], actual: &[Value]) -> Result<Plan> {
        self.call(
            "enginePlan",
            &[cluster.into(), json(desired)?, json(actual)?],
        )
    }

    fn delete_plan(&self, cluster: &str, actual: &[Value]) -> Result<Plan> {
        self.call("engineDeletePlan", &[cluster.into(), json(actual)?])
    }

    fn export(
        &self,
        cluster: &str,
        actual: &[Value],
        initial_talos_version: Option<&str>,
        include_kernel_args: bool,
    ) -> Result<String> {
        let initial = initial_talos_version.map_or(JsValue::UNDEFINED, JsValue::from_str);
        self.call(
            "engineExport",
            &[
                cluster.into(),
                json(actual)?,
                initial,
                include_kernel_args.into(),
            ],
        )
    }
}
