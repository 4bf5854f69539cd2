//! `OmniClient` for JS: resources over `cosi.resource.State`, either transport.
//!
//! The JS glue (`pkg-template/glue/client.js`) wraps this class: it turns `watchRaw` into an
//! `AsyncIterable`, and gives `OmniError` its `instanceof`.

use std::cell::RefCell;
use std::rc::Rc;

use futures::stream::LocalBoxStream;
use futures::StreamExt as _;
use js_sys::Reflect;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::error::{from_value, invalid, js, to_js, to_value};
use super::signer::JsSigner;
use crate::client::{ApplyAction, ListParams, ListText, OmniClient, Resources, WatchParams};
use crate::resource::Resource;
use crate::transport::{Backoff, CallOptions, CallReport, CancelToken, Protocol};
use crate::Result;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ConnectOptions {
    endpoint: String,
    #[serde(default)]
    service_account_key: Option<String>,
    #[serde(default)]
    transport: Option<String>,
    #[serde(default)]
    allow_insecure_http: bool,
    #[serde(default)]
    retries: Option<u32>,
    #[serde(default)]
    read_only: bool,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct CommonOptions {
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    timeout_ms: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListOptions {
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    timeout_ms: Option<f64>,
    #[serde(default)]
    selector: Option<OneOrMany>,
    #[serde(default)]
    id_match_regexp: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct WatchOptions {
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    selector: Option<OneOrMany>,
    #[serde(default)]
    id_match_regexp: Option<String>,
    #[serde(default)]
    bootstrap: Option<bool>,
    #[serde(default)]
    tail_events: Option<i32>,
    #[serde(default)]
    bookmark: Option<String>,
    #[serde(default)]
    bookmarks: bool,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ApplyOptions {
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    timeout_ms: Option<f64>,
    #[serde(default)]
    concurrency: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DeleteOptions {
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    timeout_ms: Option<f64>,
    #[serde(default)]
    all: bool,
    #[serde(default)]
    selector: Option<OneOrMany>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct TemplateCallOptions {
    #[serde(default)]
    files: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    dry_run: bool,
}

use crate::template::TemplateEngine as _;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct StatusWaitOptions {
    interval_ms: Option<f64>,
    until_healthy: Option<bool>,
    files: std::collections::BTreeMap<String, String>,
}

/// Status-tree snapshots as JS values (`{ tree, healthy }` or `null`).
fn status_items(
    client: &OmniClient,
    cluster: &str,
    o: &StatusWaitOptions,
    call: CallOptions,
) -> JsItems {
    let interval =
        std::time::Duration::from_millis(o.interval_ms.unwrap_or(1000.0).max(0.0) as u64);
    client
        .templates()
        .status_updates(cluster, interval, o.until_healthy.unwrap_or(true), call)
        .map(|r| {
            r.map_err(|e| to_js(&e)).and_then(|st| {
                to_value(
                    &st.map(
                        |(tree, healthy)| serde_json::json!({"tree": tree, "healthy": healthy}),
                    ),
                )
            })
        })
        .boxed_local()
}

/// A template call's engine (the `omni-wasm/templates` module the glue hands in), options and
/// call options.
fn template_call(
    module: JsValue,
    options: &JsValue,
) -> Result<(super::engine::JsEngine, TemplateCallOptions, CallOptions), JsValue> {
    let e = super::engine::JsEngine::new(module)?;
    let (o, call) = parse_opts(options, "template options")?;
    Ok((e, o, call))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct JsSyncReport {
    diff: String,
    actions: Vec<String>,
    changed: bool,
}

impl From<crate::client::SyncReport> for JsSyncReport {
    fn from(r: crate::client::SyncReport) -> Self {
        JsSyncReport {
            diff: r.diff,
            actions: r.actions,
            changed: r.changed,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsApplyResult {
    action: &'static str,
    resource: Resource,
    diff: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsDeleteResult {
    r#type: String,
    id: String,
    destroyed: bool,
}

/// A failed item of a batch: the code name and message of its error.
#[derive(Serialize)]
struct JsItemError {
    code: &'static str,
    message: String,
}

impl From<&crate::Error> for JsItemError {
    fn from(e: &crate::Error) -> Self {
        JsItemError {
            code: e.code().name(),
            message: e.to_string(),
        }
    }
}

/// One item of `applyEach`/`deleteMany`: its result, or `{ type, id, error }`.
#[derive(Serialize)]
#[serde(untagged)]
enum JsItem<T> {
    Ok(T),
    Failed {
        r#type: String,
        id: String,
        error: JsItemError,
    },
}

fn apply_result(outcome: crate::client::ApplyOutcome) -> JsApplyResult {
    JsApplyResult {
        action: match outcome.action {
            ApplyAction::Create => "create",
            ApplyAction::Update => "update",
            ApplyAction::Unchanged => "unchanged",
        },
        resource: outcome.resource,
        diff: outcome.diff,
    }
}

/// Resources from `apply`'s input: omnictl YAML text, an array of resources, or one.
fn apply_input(input: JsValue) -> Result<Vec<Resource>, JsValue> {
    if let Some(text) = input.as_string() {
        js(crate::resource::parse_yaml_documents(&text))
    } else if js_sys::Array::is_array(&input) {
        from_value(input, "resources")
    } else {
        Ok(vec![from_value(input, "resource")?])
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsCallReport {
    method: String,
    duration_ms: u64,
    outcome: &'static str,
    retries: u32,
}

pub(super) fn parse_opts<T: for<'de> Deserialize<'de> + Default>(
    v: &JsValue,
    what: &str,
) -> Result<(T, CallOptions), JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok((T::default(), CallOptions::default()));
    }
    let cancel = Reflect::get(v, &"signal".into())
        .ok()
        .filter(|s| !s.is_undefined() && !s.is_null())
        .map(|s| token_for_signal(&s.unchecked_into::<web_sys::AbortSignal>()));
    let parsed: T = from_value(v.clone(), what)?;
    let timeout = Reflect::get(v, &"timeoutMs".into())
        .ok()
        .and_then(|t| t.as_f64())
        .filter(|t| *t > 0.0)
        .map(|ms| std::time::Duration::from_secs_f64(ms / 1000.0));
    Ok((parsed, CallOptions { timeout, cancel }))
}

/// The core token of one call, fired by the caller's `AbortSignal` (at once if it already
/// fired). The listener is removed when the call's last clone of the token is dropped, so a
/// long-lived signal does not collect one listener per call.
pub(super) fn token_for_signal(signal: &web_sys::AbortSignal) -> CancelToken {
    let token = CancelToken::new();
    if signal.aborted() {
        token.cancel();
        return token;
    }
    let weak = token.downgrade();
    if let Some(listener) =
        crate::transport::fetch::AbortListener::closure(signal, move || weak.cancel())
    {
        token.keep(Box::new(listener));
    }
    token
}

/// The call options (`signal`, `timeoutMs`) of a call that takes no others.
pub(super) fn call_options(options: &JsValue, what: &str) -> Result<CallOptions, JsValue> {
    let (_o, call): (CommonOptions, _) = parse_opts(options, what)?;
    Ok(call)
}

fn unb64(s: &str) -> Result<Vec<u8>, JsValue> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| invalid(format!("bookmark is not base64: {e}")))
}

/// A client of one Omni instance.
#[wasm_bindgen(js_name = OmniClient)]
pub struct JsOmniClient {
    pub(super) inner: OmniClient,
}

#[wasm_bindgen(js_class = OmniClient)]
impl JsOmniClient {
    /// Connect to Omni: `{ endpoint, serviceAccountKey | signer, transport: "gateway" |
    /// "grpc-web", allowInsecureHttp, onCall, retries }`. Nothing is sent until the first call.
    #[wasm_bindgen(js_name = connect)]
    pub fn connect(options: JsValue) -> Result<JsOmniClient, JsValue> {
        Self::build(options, None)
    }

    /// Like `connect`, signing with `signer` (a `Signer`; it stays usable).
    #[wasm_bindgen(js_name = connectWithSigner)]
    pub fn connect_with_signer(
        options: JsValue,
        signer: &JsSigner,
    ) -> Result<JsOmniClient, JsValue> {
        Self::build(options, Some(signer))
    }

    fn build(options: JsValue, signer: Option<&JsSigner>) -> Result<JsOmniClient, JsValue> {
        let opts: ConnectOptions = from_value(options.clone(), "connect options")?;
        js(crate::transport::normalize_endpoint(
            &opts.endpoint,
            opts.allow_insecure_http,
        ))?;
        let mut b = OmniClient::builder(&opts.endpoint)
            .allow_insecure_http(opts.allow_insecure_http)
            .read_only(opts.read_only);
        if let Some(t) = &opts.transport {
            b = b.protocol(js(Protocol::parse(t))?);
        }
        if let Some(s) = signer {
            b = b.signer(s.shared());
        } else if let Some(key) = &opts.service_account_key {
            #[cfg(feature = "full")]
            {
                b = js(b.service_account_key(key))?;
            }
            #[cfg(not(feature = "full"))]
            {
                let _ = key;
                return Err(invalid(
                    "this build has no OpenPGP: import \"omni-wasm\" (full) for service-account keys",
                ));
            }
        }
        if let Some(n) = opts.retries {
            b = b.backoff(Backoff::new(
                std::time::Duration::from_millis(250),
                std::time::Duration::from_secs(10),
                n,
            ));
        }
        let fetch = Reflect::get(&options, &"fetch".into()).unwrap_or_default();
        if !fetch.is_undefined() && !fetch.is_null() {
            let f = fetch.dyn_into::<js_sys::Function>().map_err(|_| {
                invalid("fetch: expected a function (url, init) => Promise<Response>")
            })?;
            b = b.fetch(f);
        }
        let on_call = Reflect::get(&options, &"onCall".into()).ok();
        if let Some(f) = on_call.and_then(|f| f.dyn_into::<js_sys::Function>().ok()) {
            let f = Rc::new(f);
            b = b.observer(Rc::new(move |r: &CallReport| {
                let report = JsCallReport {
                    method: r.method.clone(),
                    duration_ms: r.duration_ms,
                    outcome: r.outcome.name(),
                    retries: r.retries,
                };
                if let Ok(v) = to_value(&report) {
                    let _ = f.call1(&JsValue::NULL, &v);
                }
            }));
        }
        Ok(JsOmniClient {
            inner: js(b.build())?,
        })
    }

    async fn handle(&self, kind: &str, namespace: Option<&str>) -> Result<Resources> {
        let r = self.inner.resources(kind).await?;
        Ok(match namespace {
            Some(ns) if !ns.is_empty() => r.in_namespace(ns),
            _ => r,
        })
    }

    /// Resolve an alias (`clusters`, `ms`) to `{ type, namespace }` the way omnictl does.
    #[wasm_bindgen(js_name = resolveType, unchecked_return_type = "Promise<{ type: string; namespace: string }>")]
    pub async fn resolve_type(&self, kind: String) -> Result<JsValue, JsValue> {
        let r = js(self.handle(&kind, None).await)?;
        to_value(&serde_json::json!({"type": r.type_name(), "namespace": r.namespace()}))
    }

    /// Get one resource, or `null` when it does not exist.
    #[wasm_bindgen(unchecked_return_type = "Promise<Resource | null>")]
    pub async fn get(
        &self,
        kind: String,
        id: String,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (o, call): (CommonOptions, _) = parse_opts(&options, "get options")?;
        let _ = o.timeout_ms;
        let r = js(self.handle(&kind, o.namespace.as_deref()).await)?;
        let got = js(r.get_opt(&id, &call).await)?;
        to_value(&got)
    }

    /// List resources (`selector`: omnictl label selector(s); `idMatchRegexp`) as JSON text,
    /// which the glue's `list()` parses: `{ items }` (ResourceService's answer) or `{ arrays }`.
    #[wasm_bindgen(js_name = listText, unchecked_return_type = "Promise<{ items: string } | { arrays: string[] }>")]
    pub async fn list_text(&self, kind: String, options: JsValue) -> Result<JsValue, JsValue> {
        let (o, call): (ListOptions, _) = parse_opts(&options, "list options")?;
        let _ = o.timeout_ms;
        let r = js(self.handle(&kind, o.namespace.as_deref()).await)?;
        let params = ListParams {
            selectors: o.selector.map(OneOrMany::into_vec).unwrap_or_default(),
            id_regexp: o.id_match_regexp,
        };
        let obj = js_sys::Object::new();
        match js(r.list_text(&params, &call).await)? {
            ListText::Items(t) => Reflect::set(&obj, &"items".into(), &t)?,
            ListText::Arrays(a) => Reflect::set(
                &obj,
                &"arrays".into(),
                &a.into_iter().collect::<js_sys::Array>(),
            )?,
        };
        Ok(obj.into())
    }

    /// One page through Omni's ResourceService (what its web UI uses for long tables):
    /// `{ offset, limit, sortByField, sortDescending, search, selector }` → the answer as JSON
    /// text `{ items: string[], total }`, which the glue's `listPage()` parses.
    #[wasm_bindgen(js_name = listPageText, unchecked_return_type = "Promise<string>")]
    pub async fn list_page_text(&self, kind: String, options: JsValue) -> Result<JsValue, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            namespace: Option<String>,
            timeout_ms: Option<f64>,
            selector: Option<OneOrMany>,
            offset: i32,
            limit: i32,
            sort_by_field: String,
            sort_descending: bool,
            search: Option<OneOrMany>,
        }
        let (o, call): (O, _) = parse_opts(&options, "listPage options")?;
        let _ = o.timeout_ms;
        let h = js(self.handle(&kind, o.namespace.as_deref()).await)?;
        let p = crate::client::PageParams {
            selectors: o.selector.map(OneOrMany::into_vec).unwrap_or_default(),
            offset: o.offset,
            limit: o.limit,
            sort_by_field: o.sort_by_field,
            sort_descending: o.sort_descending,
            search_for: o.search.map(OneOrMany::into_vec).unwrap_or_default(),
        };
        Ok(js(h.list_page_text(&p, &call).await)?.into())
    }

    /// Create a resource (`{ metadata: { type, id, namespace?, labels? }, spec }`).
    #[wasm_bindgen(unchecked_return_type = "Promise<Resource>")]
    pub async fn create(&self, resource: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "create options")?;
        let res: Resource = from_value(resource, "resource")?;
        let h = js(self
            .handle(&res.metadata.type_, Some(&res.metadata.namespace))
            .await)?;
        to_value(&js(h.create(&res, &call).await)?)
    }

    /// Update a resource; its `metadata.version` must be the current one.
    #[wasm_bindgen(unchecked_return_type = "Promise<Resource>")]
    pub async fn update(&self, resource: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "update options")?;
        let res: Resource = from_value(resource, "resource")?;
        let h = js(self
            .handle(&res.metadata.type_, Some(&res.metadata.namespace))
            .await)?;
        to_value(&js(h.update(&res, &call).await)?)
    }

    /// Apply YAML documents (omnictl format) or resource objects: create or update each.
    /// Every input is validated before anything is written. `dryRun` writes nothing. As
    /// omnictl, the first failure rejects and no write starts after it (`applyEach` gives each
    /// resource's own outcome instead).
    #[wasm_bindgen(unchecked_return_type = "Promise<ApplyResult[]>")]
    pub async fn apply(&self, input: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let (o, call): (ApplyOptions, _) = parse_opts(&options, "apply options")?;
        let _ = o.timeout_ms;
        let resources = apply_input(input)?;
        let outcomes = js(self
            .inner
            .apply_all(&resources, o.dry_run, o.concurrency.unwrap_or(1), &call)
            .await)?;
        let out: Vec<_> = outcomes.into_iter().map(apply_result).collect();
        to_value(&out)
    }

    /// Like `apply`, with each resource's own outcome instead of the first error: an
    /// `ApplyResult`, or `{ type, id, error: { code, message } }`. `concurrency` (default 1:
    /// in order, as omnictl) applies that many at a time. Invalid input still writes nothing.
    #[wasm_bindgen(js_name = applyEach, unchecked_return_type = "Promise<(ApplyResult | BatchFailure)[]>")]
    pub async fn apply_each(&self, input: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let (o, call): (ApplyOptions, _) = parse_opts(&options, "apply options")?;
        let resources = apply_input(input)?;
        let outcomes = js(self
            .inner
            .apply_each(&resources, o.dry_run, o.concurrency.unwrap_or(1), &call)
            .await)?;
        let out: Vec<JsItem<JsApplyResult>> = outcomes
            .into_iter()
            .zip(&resources)
            .map(|(outcome, r)| match outcome {
                Ok(a) => JsItem::Ok(apply_result(a)),
                Err(e) => JsItem::Failed {
                    r#type: r.metadata.type_.clone(),
                    id: r.metadata.id.clone(),
                    error: JsItemError::from(&e),
                },
            })
            .collect();
        to_value(&out)
    }

    /// Delete each of `ids` (omnictl `delete TYPE ID…`), `concurrency` at a time (default 8,
    /// as omnictl): each id's `DeleteResult`, or `{ type, id, error: { code, message } }`.
    #[wasm_bindgen(js_name = deleteMany, unchecked_return_type = "Promise<(DeleteResult | BatchFailure)[]>")]
    pub async fn delete_many(
        &self,
        kind: String,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            namespace: Option<String>,
            concurrency: Option<usize>,
        }
        let ids: Vec<String> = from_value(ids, "ids")?;
        let (o, call): (O, _) = parse_opts(&options, "delete options")?;
        let h = js(self.handle(&kind, o.namespace.as_deref()).await)?;
        let concurrency = o.concurrency.unwrap_or(crate::client::WRITE_CONCURRENCY);
        let outcomes = h.delete_each(&ids, concurrency, &call).await;
        let out: Vec<JsItem<JsDeleteResult>> = outcomes
            .into_iter()
            .zip(&ids)
            .map(|(outcome, id)| match outcome {
                Ok(d) => JsItem::Ok(JsDeleteResult {
                    r#type: h.type_name().to_string(),
                    id: d.id,
                    destroyed: d.destroyed,
                }),
                Err(e) => JsItem::Failed {
                    r#type: h.type_name().to_string(),
                    id: id.clone(),
                    error: JsItemError::from(&e),
                },
            })
            .collect();
        to_value(&out)
    }

    /// Delete like `omnictl delete`: one id, or `{ all: true }`, or `{ selector }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<DeleteResult[]>")]
    pub async fn delete(
        &self,
        kind: String,
        id: Option<String>,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (o, call): (DeleteOptions, _) = parse_opts(&options, "delete options")?;
        let _ = o.timeout_ms;
        let h = js(self.handle(&kind, o.namespace.as_deref()).await)?;
        let outcomes = match id {
            Some(id) => vec![js(h.delete(&id, &call).await)?],
            None => {
                let selectors = o.selector.map(OneOrMany::into_vec).unwrap_or_default();
                if !o.all && selectors.is_empty() {
                    return Err(invalid("delete needs an id, `all: true` or a selector"));
                }
                js(h.delete_all(
                    &ListParams {
                        selectors,
                        id_regexp: None,
                    },
                    &call,
                )
                .await)?
            }
        };
        let out: Vec<JsDeleteResult> = outcomes
            .into_iter()
            .map(|d| JsDeleteResult {
                r#type: h.type_name().to_string(),
                id: d.id,
                destroyed: d.destroyed,
            })
            .collect();
        to_value(&out)
    }

    /// Tear a resource down (phase `tearingDown`); resolves to `true` when it has no
    /// finalizers left and can be destroyed.
    pub async fn teardown(
        &self,
        kind: String,
        id: String,
        options: JsValue,
    ) -> Result<bool, JsValue> {
        let (o, call): (CommonOptions, _) = parse_opts(&options, "teardown options")?;
        let h = js(self.handle(&kind, o.namespace.as_deref()).await)?;
        js(h.teardown(&id, &call).await)
    }

    /// A kubeconfig for `cluster` (`omnictl kubeconfig`): `{ serviceAccount, serviceAccountTtlSeconds,
    /// serviceAccountUser, serviceAccountGroups, grantType, breakGlass }`.
    pub async fn kubeconfig(&self, cluster: String, options: JsValue) -> Result<String, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            service_account: bool,
            service_account_ttl_seconds: Option<i64>,
            service_account_user: String,
            service_account_groups: Vec<String>,
            grant_type: String,
            break_glass: bool,
            oidc_cache_base_dir: String,
            oidc_cache_isolation: bool,
        }
        let (o, call): (O, _) = parse_opts(&options, "kubeconfig options")?;
        let p = crate::client::KubeconfigParams {
            cluster,
            service_account: o.service_account,
            service_account_ttl_secs: o.service_account_ttl_seconds,
            service_account_user: o.service_account_user,
            service_account_groups: o.service_account_groups,
            grant_type: o.grant_type,
            break_glass: o.break_glass,
            oidc_cache_base_dir: o.oidc_cache_base_dir,
            oidc_cache_isolation: o.oidc_cache_isolation,
        };
        js(self.inner.management().kubeconfig(&p, &call).await)
    }

    /// A talosconfig for `cluster` (instance-wide when empty); `{ breakGlass }`.
    pub async fn talosconfig(
        &self,
        cluster: Option<String>,
        options: JsValue,
    ) -> Result<String, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            break_glass: bool,
        }
        let (o, call): (O, _) = parse_opts(&options, "talosconfig options")?;
        js(self
            .inner
            .management()
            .talosconfig(cluster.as_deref().unwrap_or_default(), o.break_glass, &call)
            .await)
    }

    /// Create a service account (the key pair is generated here); resolves to its
    /// `OMNI_SERVICE_ACCOUNT_KEY` — show it once, never log it. `{ role, useUserRole (default
    /// true when no role), ttlSeconds (default 365 days) }`.
    #[cfg(feature = "full")]
    #[wasm_bindgen(js_name = createServiceAccount)]
    pub async fn create_service_account(
        &self,
        name: String,
        options: JsValue,
    ) -> Result<String, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            role: Option<String>,
            use_user_role: Option<bool>,
            ttl_seconds: Option<u32>,
        }
        let (o, call): (O, _) = parse_opts(&options, "service account options")?;
        let key = js(self
            .inner
            .management()
            .create_service_account(
                &name,
                o.role.as_deref(),
                o.use_user_role.unwrap_or(true),
                o.ttl_seconds,
                &call,
            )
            .await)?
        .key;
        Ok(key.to_string())
    }

    /// Add a new key to a service account; resolves to the new `OMNI_SERVICE_ACCOUNT_KEY`.
    /// With `{ replaceKey: <the old OMNI_SERVICE_ACCOUNT_KEY> }` the old key is revoked once the
    /// new one exists (Omni itself keeps older keys valid until they expire).
    #[cfg(feature = "full")]
    #[wasm_bindgen(js_name = renewServiceAccount)]
    pub async fn renew_service_account(
        &self,
        name: String,
        options: JsValue,
    ) -> Result<String, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            ttl_seconds: Option<u32>,
            replace_key: Option<String>,
        }
        let (o, call): (O, _) = parse_opts(&options, "service account options")?;
        let m = self.inner.management();
        let key = match o.replace_key.as_deref() {
            Some(old) => js(m
                .replace_service_account_key(&name, old, o.ttl_seconds, &call)
                .await)?,
            None => js(m.renew_service_account(&name, o.ttl_seconds, &call).await)?.key,
        };
        Ok(key.to_string())
    }

    /// Every service account with its keys.
    #[wasm_bindgen(js_name = listServiceAccounts, unchecked_return_type = "Promise<Array<{ name: string; role: string; lastActive: string; keys: Array<{ id: string; created?: string; expiration?: string; lastUsed?: string }> }>>")]
    pub async fn list_service_accounts(&self, options: JsValue) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        to_value(&js(self
            .inner
            .management()
            .list_service_accounts(&call)
            .await)?)
    }

    /// Destroy a service account and all its keys.
    #[wasm_bindgen(js_name = destroyServiceAccount)]
    pub async fn destroy_service_account(
        &self,
        name: String,
        options: JsValue,
    ) -> Result<(), JsValue> {
        let call = call_options(&options, "options")?;
        js(self
            .inner
            .management()
            .destroy_service_account(&name, &call)
            .await)
    }

    /// The omniconfig (omnictl configuration) for the caller.
    pub async fn omniconfig(&self, options: JsValue) -> Result<String, JsValue> {
        let call = call_options(&options, "omniconfig options")?;
        js(self.inner.management().omniconfig(&call).await)
    }

    /// `omnictl cluster template sync` (with `dryRun`: plan only): resolves to `{ diff,
    /// actions, changed }`. Nothing is written when the template is invalid. `engine`: the
    /// `omni-wasm/templates` module (the glue loads it).
    #[wasm_bindgen(js_name = templateSync, unchecked_return_type = "Promise<SyncReport>")]
    pub async fn template_sync(
        &self,
        engine_module: JsValue,
        text: String,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (e, o, call) = template_call(engine_module, &options)?;
        let t = js(e.render(&text, &o.files))?;
        let r = js(self.inner.templates().sync(&e, &t, o.dry_run, &call).await)?;
        to_value(&JsSyncReport::from(r))
    }

    /// `omnictl cluster template diff` against the server.
    #[wasm_bindgen(js_name = templateDiff)]
    pub async fn template_diff(
        &self,
        engine_module: JsValue,
        text: String,
        options: JsValue,
    ) -> Result<String, JsValue> {
        let (e, o, call) = template_call(engine_module, &options)?;
        let t = js(e.render(&text, &o.files))?;
        js(self.inner.templates().diff(&e, &t, &call).await)
    }

    /// `omnictl cluster template delete` (with `dryRun`: plan only).
    #[wasm_bindgen(js_name = templateDelete, unchecked_return_type = "Promise<SyncReport>")]
    pub async fn template_delete(
        &self,
        engine_module: JsValue,
        text: String,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (e, o, call) = template_call(engine_module, &options)?;
        let cluster = js(e.validate(&text, &o.files))?;
        let templates = self.inner.templates();
        let r = js(templates
            .delete_cluster(&e, &cluster, o.dry_run, false, &call)
            .await)?;
        to_value(&JsSyncReport::from(r))
    }

    /// One snapshot of the cluster status tree (`omnictl cluster template status`):
    /// `{ tree, healthy }`, or `null` while the cluster has no status yet.
    #[wasm_bindgen(js_name = templateStatus, unchecked_return_type = "Promise<{ tree: string; healthy: boolean } | null>")]
    pub async fn template_status(
        &self,
        engine_module: JsValue,
        text: String,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (e, o, call) = template_call(engine_module, &options)?;
        let cluster = js(e.validate(&text, &o.files))?;
        let st = js(self.inner.templates().cluster_status(&cluster, &call).await)?;
        to_value(&st.map(|(tree, healthy)| serde_json::json!({"tree": tree, "healthy": healthy})))
    }

    /// One snapshot of `omnictl cluster status <cluster>`: `{ tree, healthy }` or `null`.
    #[wasm_bindgen(js_name = clusterStatus, unchecked_return_type = "Promise<{ tree: string; healthy: boolean } | null>")]
    pub async fn cluster_status(
        &self,
        cluster: String,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        let st = js(self.inner.templates().cluster_status(&cluster, &call).await)?;
        to_value(&st.map(|(tree, healthy)| serde_json::json!({"tree": tree, "healthy": healthy})))
    }

    /// The status tree of `cluster` whenever it changes (`{ tree, healthy }`, or `null` before
    /// a ClusterStatus exists): `{ intervalMs (default 1000), untilHealthy (default true),
    /// timeoutMs (the whole wait), signal }`.
    #[wasm_bindgen(js_name = clusterStatusUpdatesRaw)]
    pub fn cluster_status_updates_raw(
        &self,
        cluster: String,
        options: JsValue,
    ) -> Result<StreamIterator, JsValue> {
        let (o, mut call): (StatusWaitOptions, _) = parse_opts(&options, "status options")?;
        let ctrl = own_token(&mut call);
        Ok(StreamIterator::new(
            status_items(&self.inner, &cluster, &o, call),
            ctrl,
        ))
    }

    /// Like `clusterStatusUpdatesRaw`, for the cluster of a template (validated first).
    #[wasm_bindgen(js_name = templateStatusUpdatesRaw)]
    pub fn template_status_updates_raw(
        &self,
        engine_module: JsValue,
        text: String,
        options: JsValue,
    ) -> Result<StreamIterator, JsValue> {
        let e = super::engine::JsEngine::new(engine_module)?;
        let (o, mut call): (StatusWaitOptions, _) = parse_opts(&options, "status options")?;
        let cluster = js(e.validate(&text, &o.files))?;
        let ctrl = own_token(&mut call);
        Ok(StreamIterator::new(
            status_items(&self.inner, &cluster, &o, call),
            ctrl,
        ))
    }

    /// `omnictl cluster template export`: the cluster's resources as template text.
    #[wasm_bindgen(js_name = templateExport)]
    pub async fn template_export(
        &self,
        engine_module: JsValue,
        cluster: String,
        options: JsValue,
    ) -> Result<String, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase")]
        struct ExportOptions {
            #[serde(default)]
            include_kernel_args: bool,
        }
        let e = super::engine::JsEngine::new(engine_module)?;
        let (o, call): (ExportOptions, _) = parse_opts(&options, "export options")?;
        js(self
            .inner
            .templates()
            .export(&e, &cluster, o.include_kernel_args, &call)
            .await)
    }

    /// Resources as `omnictl get -o table` prints them, with the print columns of `kind`'s
    /// resource definition (from the server once any call resolved a type).
    #[wasm_bindgen(js_name = formatTable)]
    pub fn format_table(
        &self,
        kind: &str,
        #[wasm_bindgen(unchecked_param_type = "Resource[]")] resources: JsValue,
    ) -> Result<String, JsValue> {
        let rs: Vec<Resource> = from_value(resources, "resources")?;
        let reg = self.inner.cached_registry();
        let def = reg.resolve(kind).ok();
        js(crate::resource::to_table(&rs, def))
    }

    /// Register `signer`'s public key for `email` (unsigned) — the interactive login: show
    /// the returned `loginUrl` to the person, then `awaitConfirmation(publicKeyId)`.
    #[wasm_bindgen(js_name = registerPublicKey, unchecked_return_type = "Promise<{ loginUrl: string; publicKeyId: string }>")]
    pub async fn register_public_key(
        &self,
        signer: &JsSigner,
        email: String,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "register options")?;
        let material = js(signer.public_key_material())?;
        let r = js(self.inner.login().register(&material, &email, &call).await)?;
        to_value(&serde_json::json!({"loginUrl": r.login_url, "publicKeyId": r.public_key_id}))
    }

    /// Wait until a registered key is confirmed (the server gives up after 5 minutes).
    #[wasm_bindgen(js_name = awaitConfirmation)]
    pub async fn await_confirmation(
        &self,
        public_key_id: String,
        options: JsValue,
    ) -> Result<(), JsValue> {
        let call = call_options(&options, "await options")?;
        js(self
            .inner
            .login()
            .await_confirmation(&public_key_id, &call)
            .await)
    }

    /// Confirm a registered key on behalf of its person with an identity-provider credential:
    /// `{ idToken }` (Auth0/OIDC) or `{ samlSession }` (unsigned; as Omni's web UI).
    #[wasm_bindgen(js_name = confirmPublicKey)]
    pub async fn confirm_public_key(
        &self,
        public_key_id: String,
        options: JsValue,
    ) -> Result<(), JsValue> {
        let (with, call) = confirm_options(&options)?;
        js(self
            .inner
            .login()
            .confirm(&public_key_id, &with, &call)
            .await)
    }

    /// `confirmPublicKey` as Omni's web UI confirms its own key (the glue's `workloadProxy`
    /// option): also sends the key id signed with `key`, from which Omni sets its workload
    /// proxy's cookies.
    #[wasm_bindgen(js_name = confirmPublicKeyForWorkloadProxy)]
    pub async fn confirm_public_key_for_workload_proxy(
        &self,
        public_key_id: String,
        options: JsValue,
        key: &JsSigner,
    ) -> Result<(), JsValue> {
        let (with, call) = confirm_options(&options)?;
        let key = key.shared();
        js(self
            .inner
            .login()
            .confirm_for_workload_proxy(&public_key_id, &with, key.as_ref(), &call)
            .await)
    }

    /// Revoke a key of the caller (signed with the client's key): signing out.
    #[wasm_bindgen(js_name = revokePublicKey)]
    pub async fn revoke_public_key(
        &self,
        public_key_id: String,
        options: JsValue,
    ) -> Result<(), JsValue> {
        let call = call_options(&options, "revoke options")?;
        js(self.inner.login().revoke(&public_key_id, &call).await)
    }

    /// Open a watch; the glue's `watch()` wraps this into an `AsyncIterable`.
    #[wasm_bindgen(js_name = watchRaw)]
    pub async fn watch_raw(
        &self,
        kind: String,
        options: JsValue,
    ) -> Result<StreamIterator, JsValue> {
        let (o, mut call): (WatchOptions, _) = parse_opts(&options, "watch options")?;
        let ctrl = own_token(&mut call);
        let h = js(self.handle(&kind, o.namespace.as_deref()).await)?;
        let params = WatchParams {
            id: o.id,
            list: ListParams {
                selectors: o.selector.map(OneOrMany::into_vec).unwrap_or_default(),
                id_regexp: o.id_match_regexp,
            },
            bootstrap: o.bootstrap.unwrap_or(true),
            tail_events: o.tail_events.unwrap_or(0),
            start_from_bookmark: o.bookmark.as_deref().map(unb64).transpose()?,
            backoff: None,
            bookmarks: o.bookmarks,
        };
        // validate selectors now, so a bad one rejects here rather than on first next()
        js(params.list.label_queries())?;
        // each event crosses as one JSON text, which the glue's `watch()` parses
        let stream = h
            .watch_text(params, call)
            .map(|item| item.map_err(|e| to_js(&e)));
        Ok(StreamIterator::new(stream.boxed_local(), ctrl))
    }
}

/// The token of a stream: the iterator's `return()` fires it, and so does the caller's
/// signal (it is the call's own token, which the signal feeds).
pub(super) fn own_token(call: &mut CallOptions) -> CancelToken {
    call.cancel.get_or_insert_with(CancelToken::new).clone()
}

/// The Rust side of every stream (watches, logs, audit log, ...): `nextBatch()` resolves to
/// the items that are ready (empty at the end); `return()` stops it and aborts the underlying
/// fetch. The glue wraps it into an `AsyncIterable`.
type JsItems = LocalBoxStream<'static, Result<JsValue, JsValue>>;

#[wasm_bindgen]
pub struct StreamIterator {
    stream: Rc<RefCell<Option<JsItems>>>,
    cancel: CancelToken,
}

impl StreamIterator {
    pub(super) fn new(stream: JsItems, cancel: CancelToken) -> StreamIterator {
        StreamIterator {
            stream: Rc::new(RefCell::new(Some(stream))),
            cancel,
        }
    }
}

fn done() -> JsValue {
    let obj = js_sys::Object::new();
    let _ = Reflect::set(&obj, &"done".into(), &true.into());
    obj.into()
}

/// The most items one `nextBatch()` hands out.
const BATCH: u32 = 1024;

#[wasm_bindgen]
impl StreamIterator {
    /// The items that are ready, at least one (it waits for the first); an empty array at the
    /// end of the stream. One promise per batch instead of one per item: a watch chunk of many
    /// events crosses the boundary once.
    #[wasm_bindgen(js_name = nextBatch, unchecked_return_type = "Promise<any[]>")]
    pub async fn next_batch(&self) -> Result<JsValue, JsValue> {
        use futures::FutureExt as _;
        let out = js_sys::Array::new();
        let taken = self.stream.borrow_mut().take();
        let Some(mut stream) = taken else {
            return Ok(out.into());
        };
        let mut item = stream.next().await;
        loop {
            match item {
                Some(Ok(value)) => {
                    out.push(&value);
                }
                Some(Err(_)) if self.cancel.is_cancelled() => return Ok(out.into()),
                Some(Err(e)) if out.length() == 0 => return Err(e),
                Some(Err(e)) => {
                    // the items before the error first; the error on the next call
                    *self.stream.borrow_mut() = Some(futures::stream::iter([Err(e)]).boxed_local());
                    return Ok(out.into());
                }
                None => return Ok(out.into()),
            }
            if out.length() >= BATCH {
                break;
            }
            match stream.next().now_or_never() {
                Some(next) => item = next,
                None => break,
            }
        }
        if !self.cancel.is_cancelled() {
            *self.stream.borrow_mut() = Some(stream);
        }
        Ok(out.into())
    }

    /// Stop the stream (aborts the fetch). Safe to call more than once.
    #[wasm_bindgen(js_name = "return")]
    pub fn stop(&self) -> JsValue {
        self.cancel.cancel();
        self.stream.borrow_mut().take();
        done()
    }
}

/// Resources as `omnictl get -o yaml` prints them.
#[wasm_bindgen(js_name = resourcesToYaml)]
pub fn resources_to_yaml(
    #[wasm_bindgen(unchecked_param_type = "Resource[]")] resources: JsValue,
) -> Result<String, JsValue> {
    let rs: Vec<Resource> = from_value(resources, "resources")?;
    js(crate::resource::to_omnictl_yaml(&rs))
}

/// Resources from omnictl YAML (one or many documents), as `apply` reads them; errors name the
/// document and line:column.
#[wasm_bindgen(js_name = resourcesFromYaml, unchecked_return_type = "Resource[]")]
pub fn resources_from_yaml(text: &str) -> Result<JsValue, JsValue> {
    to_value(&js(crate::resource::parse_yaml_documents(text))?)
}

/// Resources as `omnictl get -o json` prints them.
#[wasm_bindgen(js_name = resourcesToJson)]
pub fn resources_to_json(
    #[wasm_bindgen(unchecked_param_type = "Resource[]")] resources: JsValue,
) -> Result<String, JsValue> {
    let rs: Vec<Resource> = from_value(resources, "resources")?;
    js(crate::resource::to_omnictl_json(&rs))
}

#[wasm_bindgen(typescript_custom_section)]
const TS_CLIENT: &'static str = r#"
/** gRPC status code names, as `OmniError.code`. */
export type GrpcCodeName =
  | "OK" | "CANCELLED" | "UNKNOWN" | "INVALID_ARGUMENT" | "DEADLINE_EXCEEDED" | "NOT_FOUND"
  | "ALREADY_EXISTS" | "PERMISSION_DENIED" | "RESOURCE_EXHAUSTED" | "FAILED_PRECONDITION"
  | "ABORTED" | "OUT_OF_RANGE" | "UNIMPLEMENTED" | "INTERNAL" | "UNAVAILABLE" | "DATA_LOSS"
  | "UNAUTHENTICATED";

/** COSI resource metadata. */
export interface ResourceMetadata {
  namespace: string;
  type: string;
  id: string;
  /** Decimal string; empty or "undefined" for a resource not yet created. */
  version?: string;
  owner?: string;
  /** "running" | "tearingDown" */
  phase?: string;
  /** RFC 3339. */
  created?: string;
  updated?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

/** A resource: metadata plus the spec as protojson (proto field names, enum numbers). */
export interface Resource<Spec = Record<string, unknown>> {
  metadata: ResourceMetadata;
  spec: Spec;
}

/** Options every call accepts. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Abort the call after this many milliseconds. */
  timeoutMs?: number;
  /** Override the type's default namespace. */
  namespace?: string;
}

export interface ListOptions extends CallOptions {
  /** omnictl label selector(s): `a=b,!c`; several are ORed. */
  selector?: string | string[];
  /** RE2 regexp matched against ids. */
  idMatchRegexp?: string;
}

export interface WatchOptions extends ListOptions {
  /** Watch one resource. */
  id?: string;
  /** Existing resources first (default true). */
  bootstrap?: boolean;
  /**
   * Replay this many recent events first. Omni answers `UNKNOWN` ("operation tailEvents is not
   * supported") except in its in-memory namespaces (`ephemeral`, `meta`): the rest of its store
   * is etcd, which keeps no event history to replay.
   */
  tailEvents?: number;
  /** Resume after a bookmark from a previous event (implies `bookmarks`). */
  bookmark?: string;
  /**
   * Every event with a bookmark, resumed exactly after a broken stream (COSI `State/Watch`,
   * specs decoded in the wasm). Default false: Omni's ResourceService, whose resources the
   * server renders as JSON (several times faster); after a broken stream it compares the new
   * snapshot with what was delivered and yields only the difference, as Kubernetes informers
   * do (several changes of one resource during the outage arrive as one update). Implied by
   * `bookmark`, `tailEvents`, `idMatchRegexp` and several (ORed) selectors.
   */
  bookmarks?: boolean;
}

export interface WatchEvent {
  type: "created" | "updated" | "destroyed" | "bootstrapped" | "resync";
  resource?: Resource;
  old?: Resource;
  /** Base64; pass as `bookmark` to resume. Only with `bookmarks` (see WatchOptions). */
  bookmark?: string;
}

export interface ApplyOptions extends CallOptions {
  /** Write nothing; report what would change. */
  dryRun?: boolean;
  /** How many resources are written at once (default 1: in order, as omnictl). */
  concurrency?: number;
}

/** A failed item of `applyEach` / `deleteMany`. */
export interface BatchFailure {
  type: string;
  id: string;
  error: { code: string; message: string };
}

export interface ApplyResult {
  action: "create" | "update" | "unchanged";
  resource: Resource;
  /** Unified diff of the change (empty when unchanged). */
  diff: string;
}

export interface DeleteOptions extends CallOptions {
  all?: boolean;
  selector?: string | string[];
}

export interface DeleteResult {
  type: string;
  id: string;
  /** false when it did not exist. */
  destroyed: boolean;
}

export interface KubeconfigOptions extends CallOptions {
  serviceAccount?: boolean;
  serviceAccountTtlSeconds?: number;
  serviceAccountUser?: string;
  serviceAccountGroups?: string[];
  grantType?: "" | "auto" | "authcode" | "authcode-keyboard";
  breakGlass?: boolean;
  /** Written into the kubeconfig's oidc-login arguments. */
  oidcCacheBaseDir?: string;
  oidcCacheIsolation?: boolean;
}

export interface StatusWaitOptions extends CallOptions {
  /** How often the status is asked again (default 1000 ms). */
  intervalMs?: number;
  /** `timeoutMs` bounds the whole wait. */
  timeoutMs?: number;
  /** Files the template references (template status only). */
  files?: Record<string, string>;
}

export interface TemplateCallOptions extends CallOptions {
  /** Files the template references, keyed by the path written in the template. */
  files?: Record<string, string>;
  dryRun?: boolean;
}

export interface SyncReport {
  /** omnictl's diff of the plan. */
  diff: string;
  /** omnictl's progress lines ("* creating Cluster(x)", ...). */
  actions: string[];
  changed: boolean;
}

export interface CallReport {
  method: string;
  durationMs: number;
  outcome: GrpcCodeName;
  retries: number;
}

export interface ConnectOptions {
  /** https://omni.example.org (http:// only for loopback unless allowInsecureHttp). */
  endpoint: string;
  /** The OMNI_SERVICE_ACCOUNT_KEY string. */
  serviceAccountKey?: string;
  /** Or any Signer (ECDSA WebCrypto key, armored PGP key, ...). */
  signer?: Signer;
  /** "gateway" (default; any Omni) or "grpc-web" (behind a gRPC-web proxy). */
  transport?: "gateway" | "grpc-web";
  allowInsecureHttp?: boolean;
  /**
   * Node only: accept any TLS certificate (omnictl's `--insecure-skip-tls-verify`), for an Omni
   * behind a self-signed certificate. Refused in browsers and Workers, and together with `fetch`.
   */
  insecureSkipTlsVerify?: boolean;
  /**
   * Refuse every write locally, before anything is sent: a dashboard that must not change a
   * cluster by mistake. Reads, watches, config downloads (not service-account or break-glass
   * kubeconfigs) and signing in stay allowed; writes fail with `PERMISSION_DENIED`.
   */
  readOnly?: boolean;
  /** Called after every call (latency dashboards). */
  onCall?: (report: CallReport) => void;
  /**
   * Send requests with this instead of the global `fetch`: a Worker's service binding
   * (`(url, init) => env.OMNI.fetch(url, init)`), a Node `fetch` with a dispatcher, a test
   * double. Called as `fetch(url, init)` (`init.signal` aborts the call); must resolve to a
   * `Response`.
   */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Retries of reads on UNAVAILABLE (default 5). */
  retries?: number;
}

"#;

/// `{ idToken }` or `{ samlSession }` of `confirmPublicKey`, with the call options.
fn confirm_options(
    options: &JsValue,
) -> Result<(crate::client::ConfirmWith, crate::transport::CallOptions), JsValue> {
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    struct ConfirmOptions {
        #[serde(default)]
        id_token: Option<String>,
        #[serde(default)]
        saml_session: Option<String>,
    }
    let (o, call): (ConfirmOptions, _) = parse_opts(options, "confirm options")?;
    let with = match (o.id_token, o.saml_session) {
        (Some(t), None) => crate::client::ConfirmWith::IdToken(t),
        (None, Some(s)) => crate::client::ConfirmWith::SamlSession(s),
        _ => {
            return Err(invalid(
                "confirmPublicKey needs exactly one of idToken and samlSession",
            ))
        }
    };
    Ok((with, call))
}
