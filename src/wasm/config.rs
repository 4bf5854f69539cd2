//! Local config files for JS, offline: kubeconfig/talosconfig merges, omniconfig parsing,
//! editing and endpoint resolution. Only in the full build: they serve the CLI and Node
//! scripts, which read and write those files; a page or a Worker has none.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::error::{from_value, invalid, js, to_value};
use crate::config::{self, MergeResult, OmniConfig};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsRename {
    kind: &'static str,
    from: String,
    to: String,
    message: String,
}

fn renames(list: &[config::Rename]) -> Vec<JsRename> {
    list.iter()
        .map(|r| JsRename {
            kind: r.kind.as_str(),
            from: r.from.clone(),
            to: r.to.clone(),
            message: r.message.clone(),
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsMergeResult {
    text: String,
    context: String,
    renamed: Vec<JsRename>,
}

fn merge_result(r: MergeResult) -> Result<JsValue, JsValue> {
    to_value(&JsMergeResult {
        renamed: renames(&r.renamed),
        text: r.text,
        context: r.context,
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct KubeMergeOpts {
    force: bool,
    force_context_name: Option<String>,
}

fn optional<T: serde::de::DeserializeOwned + Default>(
    v: JsValue,
    what: &str,
) -> Result<T, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(T::default());
    }
    from_value(v, what)
}

/// `omnictl kubeconfig --merge`: merge a downloaded kubeconfig into the current file's text
/// (`""` = no file). Conflicting entries are renamed `<name>-N`, or overwritten with
/// `force`; the merged context becomes current.
#[wasm_bindgen(js_name = mergeKubeconfig, unchecked_return_type = "ConfigMergeResult")]
pub fn merge_kubeconfig(
    existing: &str,
    incoming: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "KubeconfigMergeOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let o: KubeMergeOpts = optional(options, "kubeconfig merge options")?;
    let opts = config::MergeOptions {
        force: o.force,
        force_context_name: o.force_context_name,
        overwrite: Vec::new(),
    };
    merge_result(js(config::merge_kubeconfig(existing, incoming, &opts))?)
}

/// `omnictl talosconfig --merge`: merge a downloaded talosconfig into the current file's
/// text (`""` = no file). Conflicting contexts are renamed `<name>-N`.
#[wasm_bindgen(js_name = mergeTalosconfig, unchecked_return_type = "ConfigMergeResult")]
pub fn merge_talosconfig(existing: &str, incoming: &str) -> Result<JsValue, JsValue> {
    merge_result(js(config::merge_talosconfig(existing, incoming))?)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsOmniContext {
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsOmniconfig {
    context: String,
    contexts: BTreeMap<String, JsOmniContext>,
}

fn omniconfig_js(cfg: &OmniConfig) -> JsOmniconfig {
    JsOmniconfig {
        context: cfg.context.clone(),
        contexts: cfg
            .contexts
            .iter()
            .map(|(k, c)| {
                (
                    k.clone(),
                    JsOmniContext {
                        url: c.url.clone(),
                        identity: c.identity.clone(),
                    },
                )
            })
            .collect(),
    }
}

/// Parse an omniconfig (`omnictl config` file). Errors name the line and column.
#[wasm_bindgen(js_name = parseOmniconfig, unchecked_return_type = "Omniconfig")]
pub fn parse_omniconfig(text: &str) -> Result<JsValue, JsValue> {
    to_value(&omniconfig_js(&js(OmniConfig::parse(text))?))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ResolveOpts {
    context: Option<String>,
    env: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsResolved {
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_account_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<String>,
}

/// What omnictl would connect to: the omniconfig's current (or `context`) context, with
/// `OMNI_ENDPOINT` overriding its URL; a service account key in `env`
/// (`SIDERO_SERVICE_ACCOUNT_KEY`, then `OMNI_SERVICE_ACCOUNT_KEY`) replaces the omniconfig
/// and needs `OMNI_ENDPOINT`. No text = omnictl's default config.
#[wasm_bindgen(js_name = resolveOmniconfig, unchecked_return_type = "ResolvedEndpoint")]
pub fn resolve_omniconfig(
    #[wasm_bindgen(unchecked_optional_param_type = "string | null")] text: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "OmniconfigResolveOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let cfg = match text.as_string() {
        Some(t) => Some(js(OmniConfig::parse(&t))?),
        None if text.is_undefined() || text.is_null() => None,
        None => return Err(invalid("omniconfig text must be a string")),
    };
    let o: ResolveOpts = optional(options, "resolve options")?;
    let env = |k: &str| o.env.get(k).cloned();
    let r = js(config::resolve(cfg.as_ref(), o.context.as_deref(), &env))?;
    to_value(&JsResolved {
        url: r.url.clone(),
        identity: r.identity.clone(),
        service_account_key: r.service_account_key.clone(),
        context: r.context.clone(),
    })
}

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
enum Edit {
    Add {
        name: String,
        url: Option<String>,
        identity: Option<String>,
    },
    UseContext {
        name: String,
    },
    SetUrl {
        url: String,
        context: Option<String>,
    },
    SetIdentity {
        identity: String,
        context: Option<String>,
    },
    Merge {
        from: String,
    },
    New {
        url: Option<String>,
        identity: Option<String>,
        context: Option<String>,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsEditResult {
    text: String,
    config: JsOmniconfig,
    renamed: Vec<JsRename>,
}

/// One `omnictl config` edit on an omniconfig text; resolves to the new text. Like omnictl,
/// `add`, `merge` and `new` start from the default config when `text` is empty/undefined;
/// the other edits need a config.
#[wasm_bindgen(js_name = editOmniconfig, unchecked_return_type = "OmniconfigEditResult")]
pub fn edit_omniconfig(
    #[wasm_bindgen(unchecked_param_type = "string | undefined | null")] text: JsValue,
    #[wasm_bindgen(unchecked_param_type = "OmniconfigEdit")] op: JsValue,
) -> Result<JsValue, JsValue> {
    let edit: Edit = from_value(op, "omniconfig edit")?;
    let text = match text.as_string() {
        Some(t) => t,
        None if text.is_undefined() || text.is_null() => String::new(),
        None => return Err(invalid("omniconfig text must be a string")),
    };
    let creates = matches!(
        edit,
        Edit::Add { .. } | Edit::Merge { .. } | Edit::New { .. }
    );
    let mut cfg = if text.trim().is_empty() {
        if !creates {
            return Err(invalid(
                "no omniconfig: this edit needs an existing config text",
            ));
        }
        OmniConfig::new_default()
    } else {
        js(OmniConfig::parse(&text))?
    };
    let mut renamed = Vec::new();
    match edit {
        Edit::Add {
            name,
            url,
            identity,
        } => js(cfg.add(&name, url.as_deref(), identity.as_deref()))?,
        Edit::UseContext { name } => cfg.use_context(&name),
        Edit::SetUrl { url, context } => js(cfg.set_url(context.as_deref(), &url))?,
        Edit::SetIdentity { identity, context } => {
            js(cfg.set_identity(context.as_deref(), &identity))?
        }
        Edit::Merge { from } => {
            let other = js(OmniConfig::parse(&from))?;
            renamed = cfg.merge(&other);
        }
        Edit::New {
            url,
            identity,
            context,
        } => {
            js(cfg.set_url(
                context.as_deref(),
                url.as_deref().unwrap_or(config::DEFAULT_URL),
            ))?;
            js(cfg.set_identity(context.as_deref(), identity.as_deref().unwrap_or("")))?;
        }
    }
    to_value(&JsEditResult {
        text: cfg.to_yaml(),
        config: omniconfig_js(&cfg),
        renamed: renames(&renamed),
    })
}

#[wasm_bindgen(typescript_custom_section)]
const TS_CONFIG: &'static str = r#"
/** `omnictl kubeconfig --merge` flags. */
export interface KubeconfigMergeOptions {
  /** `--force`: overwrite conflicting clusters/users/contexts instead of renaming. */
  force?: boolean;
  /** `--force-context-name`: store the merged context under this name. */
  forceContextName?: string;
}

/** An entry a merge stored under a new name. */
export interface ConfigRename {
  kind: "cluster" | "authInfo" | "context";
  from: string;
  to: string;
  /** The line omnictl prints, e.g. `renamed context "a" -> "a-1"`. */
  message: string;
}

/** The merged file and what happened. */
export interface ConfigMergeResult {
  /** The text to write back. */
  text: string;
  /** The current context of the result ("" when none). */
  context: string;
  renamed: ConfigRename[];
}

export interface OmniconfigContext {
  url: string;
  /** `auth.siderov1.identity`. */
  identity?: string;
}

/** An omniconfig: contexts by name and the current one. */
export interface Omniconfig {
  context: string;
  contexts: Record<string, OmniconfigContext>;
}

export interface OmniconfigResolveOptions {
  /** `--context`: use this context instead of the current one. */
  context?: string;
  /** Environment (`OMNI_ENDPOINT`, `SIDERO_SERVICE_ACCOUNT_KEY`, `OMNI_SERVICE_ACCOUNT_KEY`). */
  env?: Record<string, string>;
}

/** What a client connects to. */
export interface ResolvedEndpoint {
  url: string;
  /** The identity whose keys sign requests (omniconfig contexts). */
  identity?: string;
  /** Base64 service account key (from the environment); the omniconfig is not used then. */
  serviceAccountKey?: string;
  /** The omniconfig context used (absent with a service account key). */
  context?: string;
}

/** One `omnictl config` edit. */
export type OmniconfigEdit =
  | { op: "add"; name: string; url?: string; identity?: string }
  | { op: "useContext"; name: string }
  | { op: "setUrl"; url: string; context?: string }
  | { op: "setIdentity"; identity: string; context?: string }
  | { op: "merge"; from: string }
  | { op: "new"; url?: string; identity?: string; context?: string };

export interface OmniconfigEditResult {
  /** The new file text. */
  text: string;
  config: Omniconfig;
  /** Contexts `merge` renamed. */
  renamed: ConfigRename[];
}
"#;
