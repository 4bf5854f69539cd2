//! `OmniClient` for JS, continued: users, the remaining ManagementService RPCs, the
//! management streams (as `StreamIterator`s the glue turns into `AsyncIterable`s) and the
//! cluster/machine operations.

use futures::StreamExt as _;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use super::client::{
    call_options, own_token, parse_opts, CommonOptions, JsOmniClient, JsSyncReport, StreamIterator,
};
use super::error::{from_value, invalid, js, to_js, to_value};
use crate::client::{AuditLogParams, SecretComponent, SiderolinkConnection, SupportBundleEvent};
use crate::proto::management as pb;

/// A protojson request object (proto field names or JSON names; enums as numbers or names) as
/// the message `name`; unknown fields are refused.
fn request<T: prost::Message + Default>(v: JsValue, name: &str) -> Result<T, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(T::default());
    }
    let json: serde_json::Value = from_value(v, name)?;
    crate::proto::json::decode_input(name, &json).map_err(|e| to_js(&e))
}

#[wasm_bindgen(js_class = OmniClient)]
impl JsOmniClient {
    /// `omnictl user create <email> --role R`: resolves to the new user's id.
    #[wasm_bindgen(js_name = createUser)]
    pub async fn create_user(
        &self,
        email: String,
        role: String,
        options: JsValue,
    ) -> Result<String, JsValue> {
        let call = call_options(&options, "options")?;
        js(self
            .inner
            .management()
            .create_user(&email, &role, &call)
            .await)
    }

    /// `omnictl user list`.
    #[wasm_bindgen(js_name = listUsers, unchecked_return_type = "Promise<UserInfo[]>")]
    pub async fn list_users(&self, options: JsValue) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        to_value(&js(self.inner.management().list_users(&call).await)?)
    }

    /// `omnictl user set-role <email> --role R`.
    #[wasm_bindgen(js_name = setUserRole)]
    pub async fn set_user_role(
        &self,
        email: String,
        role: String,
        options: JsValue,
    ) -> Result<(), JsValue> {
        let call = call_options(&options, "options")?;
        js(self
            .inner
            .management()
            .set_user_role(&email, &role, &call)
            .await)
    }

    /// `omnictl user delete <email>`.
    #[wasm_bindgen(js_name = deleteUser)]
    pub async fn delete_user(&self, email: String, options: JsValue) -> Result<(), JsValue> {
        let call = call_options(&options, "options")?;
        js(self.inner.management().delete_user(&email, &call).await)
    }

    /// `ValidateConfig`: rejects with `INVALID_ARGUMENT` and Omni's message when invalid.
    #[wasm_bindgen(js_name = validateConfig)]
    pub async fn validate_config(&self, config: String, options: JsValue) -> Result<(), JsValue> {
        let call = call_options(&options, "options")?;
        js(self
            .inner
            .management()
            .validate_config(&config, &call)
            .await)
    }

    /// `ValidateJSONSchema`: `[]` when `data` satisfies `schema` (both JSON text).
    #[wasm_bindgen(js_name = validateJsonSchema, unchecked_return_type = "Promise<management.ValidateJsonSchemaResponse_Error[]>")]
    pub async fn validate_json_schema(
        &self,
        data: String,
        schema: String,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        let errs = js(self
            .inner
            .management()
            .validate_json_schema(&data, &schema, &call)
            .await)?;
        to_value(&errs)
    }

    /// `omnictl cluster kubernetes upgrade-pre-checks --to V`: rejects with
    /// `FAILED_PRECONDITION` and the reason when the upgrade may not proceed.
    #[wasm_bindgen(js_name = kubernetesUpgradePreChecks)]
    pub async fn kubernetes_upgrade_pre_checks(
        &self,
        cluster: String,
        version: String,
        options: JsValue,
    ) -> Result<(), JsValue> {
        let call = call_options(&options, "options")?;
        js(self
            .inner
            .management()
            .kubernetes_upgrade_pre_checks(&cluster, &version, &call)
            .await)
    }

    /// `CreateSchematic` (installation media).
    #[wasm_bindgen(js_name = createSchematic, unchecked_return_type = "Promise<management.CreateSchematicResponse>")]
    pub async fn create_schematic(
        &self,
        #[wasm_bindgen(unchecked_param_type = "management.CreateSchematicRequest")] req: JsValue,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        let req: pb::CreateSchematicRequest = request(req, "management.CreateSchematicRequest")?;
        to_value(&js(self
            .inner
            .management()
            .create_schematic(&req, &call)
            .await)?)
    }

    /// `CreateSchematicFromRaw`: an image-factory schematic as YAML text.
    #[wasm_bindgen(js_name = createSchematicFromRaw, unchecked_return_type = "Promise<management.CreateSchematicResponse>")]
    pub async fn create_schematic_from_raw(
        &self,
        raw_schematic: String,
        talos_version: String,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        to_value(&js(self
            .inner
            .management()
            .create_schematic_from_raw(raw_schematic.as_bytes(), &talos_version, &call)
            .await)?)
    }

    /// `GetBootAssetURL`.
    #[wasm_bindgen(js_name = getBootAssetUrl, unchecked_return_type = "Promise<management.BootAssetURLResponse>")]
    pub async fn get_boot_asset_url(
        &self,
        #[wasm_bindgen(unchecked_param_type = "management.BootAssetURLRequest")] req: JsValue,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        let req: pb::BootAssetUrlRequest = request(req, "management.BootAssetURLRequest")?;
        to_value(&js(self
            .inner
            .management()
            .boot_asset_url(&req, &call)
            .await)?)
    }

    /// `GetMachineJoinConfig` (`omnictl jointoken machine-config|kernel-args`):
    /// `{ joinToken, useGrpcTunnel }`.
    #[wasm_bindgen(js_name = getMachineJoinConfig, unchecked_return_type = "Promise<{ kernel_args: string[]; config: string }>")]
    pub async fn get_machine_join_config(&self, options: JsValue) -> Result<JsValue, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            join_token: String,
            use_grpc_tunnel: bool,
        }
        let (o, call): (O, _) = parse_opts(&options, "join config options")?;
        let r = js(self
            .inner
            .management()
            .machine_join_config(&o.join_token, o.use_grpc_tunnel, &call)
            .await)?;
        to_value(&serde_json::json!({"kernel_args": r.kernel_args, "config": r.config}))
    }

    /// `omnictl jointoken create <name> --ttl`: resolves to the token id. `{ ttlSeconds }`
    /// (absent or 0 = never expires).
    #[wasm_bindgen(js_name = createJoinToken)]
    pub async fn create_join_token(
        &self,
        name: String,
        options: JsValue,
    ) -> Result<String, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            ttl_seconds: Option<i64>,
        }
        let (o, call): (O, _) = parse_opts(&options, "join token options")?;
        let expires = o
            .ttl_seconds
            .filter(|t| *t > 0)
            .map(|t| crate::transport::runtime::now_secs() + t);
        js(self
            .inner
            .management()
            .create_join_token(&name, expires, &call)
            .await)
    }

    /// `ResetNodeUniqueToken` (`omnictl configure machine --reset-node-unique-token`).
    #[wasm_bindgen(js_name = resetNodeUniqueToken)]
    pub async fn reset_node_unique_token(
        &self,
        machine: String,
        options: JsValue,
    ) -> Result<(), JsValue> {
        let call = call_options(&options, "options")?;
        js(self
            .inner
            .management()
            .reset_node_unique_token(&machine, &call)
            .await)
    }

    /// `MaintenanceUpgrade`: upgrade Talos on a machine in maintenance mode.
    #[wasm_bindgen(js_name = maintenanceUpgrade)]
    pub async fn maintenance_upgrade(
        &self,
        machine: String,
        version: String,
        options: JsValue,
    ) -> Result<(), JsValue> {
        let call = call_options(&options, "options")?;
        js(self
            .inner
            .management()
            .maintenance_upgrade(&machine, &version, &call)
            .await)
    }

    /// `omnictl machine shutdown <id>`.
    #[wasm_bindgen(js_name = machinePowerOff)]
    pub async fn machine_power_off(
        &self,
        machine: String,
        options: JsValue,
    ) -> Result<(), JsValue> {
        let call = call_options(&options, "options")?;
        js(self
            .inner
            .management()
            .machine_power_off(&machine, &call)
            .await)
    }

    /// `omnictl machine power-on <id>` (static infra-provider machines only).
    #[wasm_bindgen(js_name = machinePowerOn)]
    pub async fn machine_power_on(&self, machine: String, options: JsValue) -> Result<(), JsValue> {
        let call = call_options(&options, "options")?;
        js(self
            .inner
            .management()
            .machine_power_on(&machine, &call)
            .await)
    }

    /// `MachineLogs` as a stream of lines: `{ follow, tailLines (default -1 = all), format:
    /// "raw" | "omni" | "dmesg" }`.
    #[wasm_bindgen(js_name = machineLogsRaw)]
    pub fn machine_logs_raw(
        &self,
        machine: String,
        options: JsValue,
    ) -> Result<StreamIterator, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            follow: bool,
            tail_lines: Option<i32>,
            format: Option<String>,
        }
        let (o, mut call): (O, _) = parse_opts(&options, "machine log options")?;
        let format: crate::config::LogFormat = js(o
            .format
            .as_deref()
            .unwrap_or("raw")
            .parse::<crate::config::LogFormat>())?;
        let ctrl = own_token(&mut call);
        let s = self
            .inner
            .management()
            .machine_logs(&machine, o.follow, o.tail_lines.unwrap_or(-1), &call)
            .map(move |r| match r {
                Ok(line) => Ok(JsValue::from_str(&crate::config::format_log_line(
                    &line, format,
                ))),
                Err(e) => Err(to_js(&e)),
            });
        Ok(StreamIterator::new(s.boxed_local(), ctrl))
    }

    /// Any unary RPC of the compiled services by name (`"management.ManagementService"`,
    /// `"Kubeconfig"`), with a protojson request; resolves to the answer's protojson.
    #[wasm_bindgen(js_name = call, unchecked_return_type = "Promise<Record<string, unknown>>")]
    pub async fn call(
        &self,
        service: String,
        method: String,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | undefined")]
        request: JsValue,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (o, call): (CallRpcOptions, _) = parse_opts(&options, "options")?;
        let request: serde_json::Value = from_value(request, "request")?;
        to_value(&js(self
            .inner
            .call(&service, &method, &request, o.metadata(), &call)
            .await)?)
    }

    /// Any server-streaming RPC by name (see `call`): each message's protojson.
    #[wasm_bindgen(js_name = callStreamRaw)]
    pub fn call_stream_raw(
        &self,
        service: String,
        method: String,
        request: JsValue,
        options: JsValue,
    ) -> Result<StreamIterator, JsValue> {
        let (o, mut call): (CallRpcOptions, _) = parse_opts(&options, "options")?;
        let request: serde_json::Value = from_value(request, "request")?;
        let ctrl = own_token(&mut call);
        let s = self
            .inner
            .call_stream(&service, &method, &request, o.metadata(), call)
            .map(|r| match r {
                Ok(v) => to_value(&v),
                Err(e) => Err(to_js(&e)),
            });
        Ok(StreamIterator::new(s.boxed_local(), ctrl))
    }

    /// `MaintenanceLifecycle` progress messages: `{ operation: "install" | "upgrade",
    /// version, disk }`.
    #[wasm_bindgen(js_name = maintenanceLifecycleRaw)]
    pub fn maintenance_lifecycle_raw(
        &self,
        machine: String,
        options: JsValue,
    ) -> Result<StreamIterator, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            operation: String,
            version: String,
            disk: String,
        }
        let (o, mut call): (O, _) = parse_opts(&options, "lifecycle options")?;
        let operation = match o.operation.as_str() {
            "install" => pb::maintenance_lifecycle_request::Operation::Install,
            "upgrade" => pb::maintenance_lifecycle_request::Operation::Upgrade,
            other => {
                return Err(invalid(format!(
                    "operation must be \"install\" or \"upgrade\", not {other:?}"
                )))
            }
        };
        let req = pb::MaintenanceLifecycleRequest {
            machine_id: machine,
            operation: operation as i32,
            version: o.version,
            disk: o.disk,
        };
        let ctrl = own_token(&mut call);
        let s = self
            .inner
            .management()
            .maintenance_lifecycle(req, &call)
            .map(|r| r.map(|m| JsValue::from_str(&m)).map_err(|e| to_js(&e)));
        Ok(StreamIterator::new(s.boxed_local(), ctrl))
    }

    /// `KubernetesSyncManifests`: `{ dryRun (default true), ssa: { inventory_policy,
    /// reconcile_timeout, force_conflicts, no_prune } }` → `ManifestSyncEvent`s.
    #[wasm_bindgen(js_name = syncManifestsRaw)]
    pub fn sync_manifests_raw(
        &self,
        cluster: String,
        options: JsValue,
    ) -> Result<StreamIterator, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            dry_run: Option<bool>,
            ssa: Option<serde_json::Value>,
        }
        let (o, mut call): (O, _) = parse_opts(&options, "manifest sync options")?;
        let ssa = match o.ssa {
            Some(v) => Some(
                crate::proto::json::decode_input::<pb::KubernetesSsaOptions>(
                    "management.KubernetesSSAOptions",
                    &v,
                )
                .map_err(|e| to_js(&e))?,
            ),
            None => None,
        };
        let req = pb::KubernetesSyncManifestRequest {
            dry_run: o.dry_run.unwrap_or(true),
            ssa,
        };
        let ctrl = own_token(&mut call);
        let s = self
            .inner
            .management()
            .sync_manifests(&cluster, req, &call)
            .map(|r| {
                r.map_err(|e| to_js(&e)).and_then(|m| {
                    to_value(&serde_json::json!({
                        "type": if m.rollout { "rollout" } else { "manifest" },
                        "path": m.path,
                        "object": m.object,
                        "diff": m.diff,
                        "skipped": m.skipped,
                    }))
                })
            });
        Ok(StreamIterator::new(s.boxed_local(), ctrl))
    }

    /// `GetSupportBundle`: `{ encrypt, encryptionRecipients, noDefaultRecipients }` →
    /// `{ type: "recipients" | "progress" | "bundle", ... }`; the bundle arrives as a
    /// `Uint8Array` in `data`.
    #[wasm_bindgen(js_name = supportBundleRaw)]
    pub fn support_bundle_raw(
        &self,
        cluster: String,
        options: JsValue,
    ) -> Result<StreamIterator, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            encrypt: bool,
            encryption_recipients: Vec<String>,
            no_default_recipients: bool,
        }
        let (o, mut call): (O, _) = parse_opts(&options, "support bundle options")?;
        if cluster.is_empty() {
            return Err(invalid("a support bundle needs a cluster"));
        }
        let req = pb::GetSupportBundleRequest {
            cluster,
            encrypt: o.encrypt,
            encryption_recipients: o.encryption_recipients,
            encryption_no_default_recipients: o.no_default_recipients,
        };
        let ctrl = own_token(&mut call);
        let s = self.inner.management().support_bundle(req, &call).map(|r| {
            r.map_err(|e| to_js(&e)).and_then(|ev| match ev {
                SupportBundleEvent::Bundle(data) => {
                    let obj = js_sys::Object::new();
                    js_sys::Reflect::set(&obj, &"type".into(), &"bundle".into())?;
                    let bytes = js_sys::Uint8Array::from(data.as_slice());
                    js_sys::Reflect::set(&obj, &"data".into(), &bytes)?;
                    Ok(obj.into())
                }
                SupportBundleEvent::Recipients(r) => {
                    to_value(&serde_json::json!({"type": "recipients", "recipients": r}))
                }
                SupportBundleEvent::Progress {
                    source,
                    error,
                    state,
                    total,
                    value,
                } => to_value(&serde_json::json!({
                    "type": "progress", "source": source, "error": error,
                    "state": state, "total": total, "value": value,
                })),
            })
        });
        Ok(StreamIterator::new(s.boxed_local(), ctrl))
    }

    /// `ReadAuditLog`: `management.ReadAuditLogRequest` fields (proto names) plus
    /// `reconnectAfterMs`; yields `{ id, data }` with the records as text.
    #[wasm_bindgen(js_name = auditLogRaw)]
    pub fn audit_log_raw(&self, options: JsValue) -> Result<StreamIterator, JsValue> {
        let (_o, mut call): (CommonOptions, _) = parse_opts(&options, "audit log options")?;
        let mut req = serde_json::Map::new();
        let mut reconnect = None;
        if !options.is_undefined() && !options.is_null() {
            let v: serde_json::Value = from_value(options, "audit log options")?;
            if let serde_json::Value::Object(m) = v {
                for (k, v) in m {
                    match k.as_str() {
                        "signal" | "timeoutMs" | "namespace" => {}
                        "reconnectAfterMs" => reconnect = v.as_u64(),
                        _ => {
                            req.insert(k, v);
                        }
                    }
                }
            }
        }
        let request: pb::ReadAuditLogRequest = crate::proto::json::decode_input(
            "management.ReadAuditLogRequest",
            &serde_json::Value::Object(req),
        )
        .map_err(|e| to_js(&e))?;
        let ctrl = own_token(&mut call);
        let s = self
            .inner
            .management()
            .audit_log(
                AuditLogParams {
                    request,
                    reconnect_after_ms: reconnect,
                },
                &call,
            )
            .map(|r| {
                r.map_err(|e| to_js(&e)).and_then(|c| {
                    to_value(&serde_json::json!({
                        "id": c.id,
                        "data": String::from_utf8_lossy(&c.data),
                    }))
                })
            });
        Ok(StreamIterator::new(s.boxed_local(), ctrl))
    }

    /// `omnictl cluster lock|unlock <cluster>`.
    #[wasm_bindgen(js_name = setClusterLocked, unchecked_return_type = "Promise<Resource>")]
    pub async fn set_cluster_locked(
        &self,
        cluster: String,
        locked: bool,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        to_value(&js(self
            .inner
            .operations()
            .set_cluster_locked(&cluster, locked, &call)
            .await)?)
    }

    /// `omnictl cluster machine lock|unlock <machine>`.
    #[wasm_bindgen(js_name = setMachineLocked, unchecked_return_type = "Promise<Resource>")]
    pub async fn set_machine_locked(
        &self,
        machine: String,
        locked: bool,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        to_value(&js(self
            .inner
            .operations()
            .set_machine_locked(&machine, locked, &call)
            .await)?)
    }

    /// `omnictl cluster machine delete <machine>`: resolves to omnictl's progress lines once
    /// the ClusterMachine is gone. `{ forceEtcdLeave, force, timeoutMs }`: `forceEtcdLeave`
    /// skips the graceful etcd leave (may break quorum), `force` skips the wipe (the machine
    /// leaves the account; omnictl's `--force`).
    #[wasm_bindgen(js_name = deleteClusterMachine)]
    pub async fn delete_cluster_machine(
        &self,
        machine: String,
        options: JsValue,
    ) -> Result<Vec<String>, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            force: bool,
            force_etcd_leave: bool,
        }
        let (o, call): (O, _) = parse_opts(&options, "machine delete options")?;
        let how = crate::client::MachineDelete {
            force_etcd_leave: o.force_etcd_leave,
            skip_wipe: o.force,
        };
        js(self
            .inner
            .operations()
            .delete_cluster_machine(&machine, how, &call)
            .await)
    }

    /// `omnictl cluster delete <cluster>`: `{ dryRun, destroyDisconnectedMachines }`;
    /// `engine`: the `omni-wasm/templates` module (the glue loads it).
    #[wasm_bindgen(js_name = deleteCluster, unchecked_return_type = "Promise<SyncReport>")]
    pub async fn delete_cluster(
        &self,
        engine_module: JsValue,
        cluster: String,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let e = super::engine::JsEngine::new(engine_module)?;
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            dry_run: bool,
            destroy_disconnected_machines: bool,
        }
        let (o, call): (O, _) = parse_opts(&options, "cluster delete options")?;
        let r = js(self
            .inner
            .templates()
            .delete_cluster(
                &e,
                &cluster,
                o.dry_run,
                o.destroy_disconnected_machines,
                &call,
            )
            .await)?;
        to_value(&JsSyncReport::from(r))
    }

    /// `omnictl cluster import abort <cluster>`: resolves to omnictl's progress lines.
    #[wasm_bindgen(js_name = abortClusterImport)]
    pub async fn abort_cluster_import(
        &self,
        cluster: String,
        options: JsValue,
    ) -> Result<Vec<String>, JsValue> {
        let call = call_options(&options, "options")?;
        js(self
            .inner
            .operations()
            .abort_cluster_import(&cluster, &call)
            .await)
    }

    /// `omnictl cluster secret rotate status`.
    #[wasm_bindgen(js_name = secretRotationStatus, unchecked_return_type = "Promise<RotationStatus>")]
    pub async fn secret_rotation_status(
        &self,
        cluster: String,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        to_value(&js(self
            .inner
            .operations()
            .secret_rotation_status(&cluster, &call)
            .await)?)
    }

    /// `omnictl cluster secret rotate talos-ca|kubernetes-ca`: starts the rotation and
    /// resolves to the status it started from (watch `ClusterSecretsRotationStatuses` to
    /// follow it).
    #[wasm_bindgen(js_name = rotateSecret, unchecked_return_type = "Promise<RotationStatus>")]
    pub async fn rotate_secret(
        &self,
        cluster: String,
        #[wasm_bindgen(unchecked_param_type = "\"talos-ca\" | \"kubernetes-ca\"")]
        component: String,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        let c = js(SecretComponent::parse(&component))?;
        to_value(&js(self
            .inner
            .operations()
            .rotate_secret(&cluster, c, &call)
            .await)?)
    }
}

#[wasm_bindgen(js_class = OmniClient)]
impl JsOmniClient {
    /// `omnictl jointoken list`.
    #[wasm_bindgen(js_name = listJoinTokens, unchecked_return_type = "Promise<JoinTokenInfo[]>")]
    pub async fn list_join_tokens(&self, options: JsValue) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        to_value(&js(self.inner.tokens().list_join_tokens(&call).await)?)
    }

    /// One join token with the machines that depend on it (`warnings`).
    #[wasm_bindgen(js_name = getJoinToken, unchecked_return_type = "Promise<JoinTokenInfo>")]
    pub async fn get_join_token(&self, id: String, options: JsValue) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        to_value(&js(self.inner.tokens().join_token(&id, &call).await)?)
    }

    /// `--token-id` / `--token-name` resolution (neither: the default token).
    #[wasm_bindgen(js_name = resolveJoinToken)]
    pub async fn resolve_join_token(&self, options: JsValue) -> Result<String, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct O {
            token_id: String,
            token_name: String,
        }
        let (o, call): (O, _) = parse_opts(&options, "join token options")?;
        js(self
            .inner
            .tokens()
            .resolve_join_token(&o.token_id, &o.token_name, &call)
            .await)
    }

    /// `omnictl jointoken revoke|unrevoke`.
    #[wasm_bindgen(js_name = setJoinTokenRevoked, unchecked_return_type = "Promise<Resource>")]
    pub async fn set_join_token_revoked(
        &self,
        id: String,
        revoked: bool,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        to_value(&js(self
            .inner
            .tokens()
            .set_join_token_revoked(&id, revoked, &call)
            .await)?)
    }

    /// `omnictl jointoken renew --ttl`.
    #[wasm_bindgen(js_name = renewJoinToken, unchecked_return_type = "Promise<Resource>")]
    pub async fn renew_join_token(
        &self,
        id: String,
        ttl_seconds: f64,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        to_value(&js(self
            .inner
            .tokens()
            .renew_join_token(&id, ttl_seconds as i64, &call)
            .await)?)
    }

    /// `omnictl jointoken make-default`.
    #[wasm_bindgen(js_name = makeDefaultJoinToken, unchecked_return_type = "Promise<Resource>")]
    pub async fn make_default_join_token(
        &self,
        id: String,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        to_value(&js(self
            .inner
            .tokens()
            .make_default_join_token(&id, &call)
            .await)?)
    }

    /// `omnictl jointoken delete`: `false` when it did not exist.
    #[wasm_bindgen(js_name = deleteJoinToken)]
    pub async fn delete_join_token(&self, id: String, options: JsValue) -> Result<bool, JsValue> {
        let call = call_options(&options, "options")?;
        js(self.inner.tokens().delete_join_token(&id, &call).await)
    }

    /// `omnictl jointoken omni-endpoint`: the URL machines join with.
    #[wasm_bindgen(js_name = joinEndpoint)]
    pub async fn join_endpoint(&self, token: String, options: JsValue) -> Result<String, JsValue> {
        let call = call_options(&options, "options")?;
        js(self.inner.tokens().join_endpoint(&token, &call).await)
    }

    /// `omnictl configure machine --siderolink-connection udp|http-tunnel|auto`: omnictl's
    /// message, or `null` when nothing changed.
    #[wasm_bindgen(js_name = setSiderolinkConnection)]
    pub async fn set_siderolink_connection(
        &self,
        machine: String,
        #[wasm_bindgen(unchecked_param_type = "\"udp\" | \"http-tunnel\" | \"auto\"")] mode: String,
        options: JsValue,
    ) -> Result<Option<String>, JsValue> {
        let call = call_options(&options, "options")?;
        let mode = js(SiderolinkConnection::parse(&mode))?;
        js(self
            .inner
            .tokens()
            .set_siderolink_connection(&machine, mode, &call)
            .await)
    }

    /// `omnictl infraprovider create`: resolves to the provider's OMNI_SERVICE_ACCOUNT_KEY
    /// (show once). `{ ttlSeconds }`. Full build only.
    #[cfg(feature = "full")]
    #[wasm_bindgen(js_name = createInfraProvider)]
    pub async fn create_infra_provider(
        &self,
        name: String,
        options: JsValue,
    ) -> Result<String, JsValue> {
        let (o, call): (Ttl, _) = parse_opts(&options, "infra provider options")?;
        let key = js(self
            .inner
            .tokens()
            .create_infra_provider(&name, o.ttl_seconds, &call)
            .await)?;
        Ok(key.to_string())
    }

    /// `omnictl infraprovider renewkey`: a new OMNI_SERVICE_ACCOUNT_KEY. Full build only.
    #[cfg(feature = "full")]
    #[wasm_bindgen(js_name = renewInfraProviderKey)]
    pub async fn renew_infra_provider_key(
        &self,
        name: String,
        options: JsValue,
    ) -> Result<String, JsValue> {
        let (o, call): (Ttl, _) = parse_opts(&options, "infra provider options")?;
        let key = js(self
            .inner
            .tokens()
            .renew_infra_provider_key(&name, o.ttl_seconds, &call)
            .await)?;
        Ok(key.to_string())
    }

    /// `omnictl infraprovider list`.
    #[wasm_bindgen(js_name = listInfraProviders, unchecked_return_type = "Promise<InfraProviderInfo[]>")]
    pub async fn list_infra_providers(&self, options: JsValue) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        to_value(&js(self.inner.tokens().list_infra_providers(&call).await)?)
    }

    /// `omnictl infraprovider delete`: `false` when it did not exist.
    #[wasm_bindgen(js_name = deleteInfraProvider)]
    pub async fn delete_infra_provider(
        &self,
        name: String,
        options: JsValue,
    ) -> Result<bool, JsValue> {
        let call = call_options(&options, "options")?;
        js(self
            .inner
            .tokens()
            .delete_infra_provider(&name, &call)
            .await)
    }
}

#[wasm_bindgen(js_class = OmniClient)]
impl JsOmniClient {
    /// `omnictl media preset create <name>`: `PresetParams` (camelCase flags).
    #[wasm_bindgen(js_name = createMediaPreset, unchecked_return_type = "Promise<Resource>")]
    pub async fn create_media_preset(
        &self,
        name: String,
        #[wasm_bindgen(unchecked_param_type = "MediaPresetOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (p, call): (crate::client::PresetParams, _) = parse_opts(&options, "preset options")?;
        to_value(&js(self
            .inner
            .media()
            .create_preset(&name, &p, &call)
            .await)?)
    }

    /// `omnictl media preset list -o wide`.
    #[wasm_bindgen(js_name = listMediaPresets, unchecked_return_type = "Promise<MediaPresetInfo[]>")]
    pub async fn list_media_presets(&self, options: JsValue) -> Result<JsValue, JsValue> {
        let call = call_options(&options, "options")?;
        to_value(&js(self.inner.media().list_presets(&call).await)?)
    }

    /// `omnictl media preset delete <name>`: `false` when it did not exist.
    #[wasm_bindgen(js_name = deleteMediaPreset)]
    pub async fn delete_media_preset(
        &self,
        name: String,
        options: JsValue,
    ) -> Result<bool, JsValue> {
        let call = call_options(&options, "options")?;
        js(self.inner.media().delete_preset(&name, &call).await)
    }

    /// `omnictl media download <preset>`: checks the overrides as omnictl does, creates the
    /// schematic and resolves to where the image is (`MediaDownload`). `MediaDownloadOptions`:
    /// `format` (bare-metal presets: `iso`, `raw`, `qcow2`, `pxe`) and overrides of the
    /// preset's settings (`talosVersion`, `arch`, `extensions`, `initialLabels`,
    /// `extraKernelArgs`, `secureBoot`, `embeddedMachineConfig`, `joinToken`,
    /// `useSiderolinkGrpcTunnel`).
    #[wasm_bindgen(js_name = mediaDownloadUrl, unchecked_return_type = "Promise<MediaDownload>")]
    pub async fn media_download_url(
        &self,
        preset: String,
        #[wasm_bindgen(unchecked_param_type = "MediaDownloadOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (o, call): (crate::client::DownloadOptions, _) =
            parse_opts(&options, "download options")?;
        to_value(&js(self.inner.media().download(&preset, &o, &call).await)?)
    }
}

/// `call` / `callStream` options beyond the common ones: extra request metadata.
#[derive(Deserialize, Default)]
#[serde(default)]
struct CallRpcOptions {
    metadata: std::collections::BTreeMap<String, String>,
}

impl CallRpcOptions {
    fn metadata(&self) -> crate::auth::Metadata {
        let mut md = crate::auth::Metadata::new();
        for (k, v) in &self.metadata {
            md.set(k, v.clone());
        }
        md
    }
}

#[cfg(feature = "full")]
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Ttl {
    ttl_seconds: Option<u32>,
}

/// Format one machine log line (`common.Data.bytes`, a `Uint8Array` or a string) as
/// `omnictl machine-logs --log-format <format>` prints it, without the trailing newline.
#[wasm_bindgen(js_name = formatLogLine)]
pub fn format_log_line(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] line: JsValue,
    #[wasm_bindgen(unchecked_param_type = "LogFormat")] format: &str,
) -> Result<String, JsValue> {
    let format: crate::config::LogFormat = js(format.parse())?;
    let bytes = if let Some(s) = line.as_string() {
        s.into_bytes()
    } else if let Some(a) = line.dyn_ref::<js_sys::Uint8Array>() {
        a.to_vec()
    } else {
        return Err(invalid("log line must be a Uint8Array or a string"));
    };
    Ok(crate::config::format_log_line(&bytes, format))
}

#[wasm_bindgen(typescript_custom_section)]
const TS_MANAGEMENT: &'static str = r#"
import type { management } from "./specs.js";

/** `omnictl machine-logs --log-format`. */
export type LogFormat = "raw" | "omni" | "dmesg";

export interface UserInfo {
  id: string;
  email: string;
  role: string;
  samlLabels: Record<string, string>;
  lastActive: string;
}

export interface RotationStatus {
  phase: "OK" | "PRE_ROTATE" | "ROTATE" | "POST_ROTATE";
  component: "NONE" | "TALOS_CA" | "KUBERNETES_CA";
  status: string;
  step: string;
  error: string;
}

export interface ManifestSyncEvent {
  type: "manifest" | "rollout";
  path: string;
  object: string;
  diff: string;
  skipped: boolean;
}

export type SupportBundleEvent =
  | { type: "recipients"; recipients: string[] }
  | { type: "progress"; source: string; error: string; state: string; total: number; value: number }
  | { type: "bundle"; data: Uint8Array };

export interface JoinTokenInfo {
  id: string;
  name: string;
  state: "ACTIVE" | "REVOKED" | "EXPIRED" | "UNKNOWN";
  /** RFC 3339; absent = never expires. */
  expiration?: string;
  useCount: number;
  isDefault: boolean;
  /** Machines that would lose their connection without this token. */
  warnings: Array<{ machine: string; message: string }>;
}

export interface InfraProviderInfo {
  id: string;
  name: string;
  version: string;
  description: string;
  connected: boolean;
  error: string;
}

export interface MediaPresetOptions extends CallOptions {
  arch?: "amd64" | "arm64";
  talosVersion?: string;
  /** Matched as substrings against the version's TalosExtensions. */
  extensions?: string[];
  extraKernelArgs?: string[];
  /** `k=v` or `k`. */
  initialLabels?: string[];
  platform?: string;
  overlay?: string;
  overlayOptions?: string;
  secureBoot?: boolean;
  joinToken?: string;
  bootloader?: "auto" | "uefi" | "bios" | "dual";
  embeddedMachineConfig?: string;
  useSiderolinkGrpcTunnel?: boolean;
}

export interface MediaPresetInfo {
  name: string;
  arch: string;
  talosVersion: string;
  kind: "metal" | "cloud" | "sbc";
  platformOrOverlay: string;
  secureBoot: boolean;
  extensions: string[];
  labels: Record<string, string>;
  bootloader: string;
  grpcTunnel: "auto" | "enabled" | "disabled";
  kernelArgs: string;
  embeddedConfig: boolean;
}

export interface MediaDownload {
  url: string;
  fileName: string;
  schematicId: string;
  talosVersion: string;
  /** `url` is a PXE URL (nothing to download). */
  pxe: boolean;
  /** `Basic ...` when the factory needs credentials: a secret, do not log it. */
  authorization?: string;
  /** The image factory the image comes from. */
  factoryUrl: string;
  /** Machines booted from it use the SideroLink gRPC tunnel. */
  grpcTunnelEnabled: boolean;
}

/** `omnictl media download`'s flags: overrides of the preset's settings, each checked. */
export interface MediaDownloadOptions extends CallOptions {
  /** Bare-metal presets only; `pxe` gives a boot URL, nothing to download. */
  format?: "iso" | "raw" | "qcow2" | "pxe";
  arch?: "amd64" | "arm64";
  talosVersion?: string;
  extensions?: string[];
  extraKernelArgs?: string[];
  /** `k=v` or `k`. */
  initialLabels?: string[];
  secureBoot?: boolean;
  embeddedMachineConfig?: string;
  joinToken?: string;
  useSiderolinkGrpcTunnel?: boolean;
}

export interface AuditLogChunk {
  /** Position of the record (follow mode); 0 otherwise. */
  id: number;
  /** Newline-delimited JSON records (empty for the follow acknowledgement). */
  data: string;
}
"#;
