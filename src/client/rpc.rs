//! The rest of `management.ManagementService`: one typed method per unary RPC (request and
//! response are the generated protobuf types), and the server streams as `Stream`s of
//! library events (machine logs, support bundle, audit log, manifest sync, maintenance
//! lifecycle).

use futures::stream::LocalBoxStream;
use futures::StreamExt as _;

use super::management::cluster_md;
use super::Management;
use crate::proto::management as pb;
use crate::transport::{CallKind, CallOptions, Message};
use crate::{Error, Result};

const SVC: &str = "/management.ManagementService/";

/// One event of a support-bundle download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SupportBundleEvent {
    /// The recipients the bundle will be encrypted to (sent once, before collection).
    Recipients(Vec<String>),
    /// Collection progress of one source.
    Progress {
        /// Where this step collects from (`omni`, `cluster`, a machine id...).
        source: String,
        /// A collection error of this step (the bundle is still produced).
        error: String,
        /// What is being collected.
        state: String,
        /// Steps in all.
        total: i32,
        /// Steps done.
        value: i32,
    },
    /// The bundle: a zip, or an age-encrypted zip when encryption was requested. Last event.
    Bundle(Vec<u8>),
}

/// One chunk of the audit log: newline-delimited JSON event records, and (in follow mode)
/// the position to resume after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditLogChunk {
    /// Raw records (may be empty: the follow acknowledgement).
    pub data: Vec<u8>,
    /// Position of this record (follow mode), `0` otherwise.
    pub id: i64,
}

/// One result of a Kubernetes manifest sync.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestSyncEvent {
    /// `true` for a rollout progress line, `false` for a manifest.
    pub rollout: bool,
    /// Object path (`namespace/name Kind`).
    pub path: String,
    /// The object as YAML.
    pub object: String,
    /// The change as a diff (empty when unchanged).
    pub diff: String,
    /// The object was skipped (no change).
    pub skipped: bool,
}

/// Parameters of [`Management::audit_log`] (omnictl `audit-log` flags).
#[derive(Clone, Debug, Default)]
pub struct AuditLogParams {
    /// The request as sent; `follow` switches to the follow loop.
    pub request: pb::ReadAuditLogRequest,
    /// Pause before reconnecting a follow stream the server ended (omnictl: ≥ 500 ms).
    pub reconnect_after_ms: Option<u64>,
}

fn bytes_to_string(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

impl Management {
    /// Call a unary ManagementService RPC by name (`"CreateSchematic"`). `cluster` (may be
    /// empty) travels as the `cluster` metadata entry, as Omni's router reads it. Reads are
    /// retried on UNAVAILABLE, writes never.
    ///
    /// # Errors
    /// Server and transport errors.
    pub async fn call<Req: Message, Resp: Message>(
        &self,
        method: &str,
        cluster: &str,
        req: &Req,
        kind: CallKind,
        opts: &CallOptions,
    ) -> Result<Resp> {
        self.client
            .transport()
            .unary(
                &format!("{SVC}{method}"),
                cluster_md(cluster),
                req,
                kind,
                opts,
            )
            .await
    }

    fn stream<Req: Message, Resp: Message>(
        &self,
        method: &str,
        cluster: &str,
        req: Req,
        kind: CallKind,
        opts: &CallOptions,
    ) -> LocalBoxStream<'static, Result<Resp>> {
        self.client.transport().server_streaming(
            &format!("{SVC}{method}"),
            cluster_md(cluster),
            req,
            kind,
            opts.clone(),
        )
    }

    /// `ValidateConfig`: checks a Talos machine config (patch) the way Omni does.
    ///
    /// # Errors
    /// `INVALID_ARGUMENT` with Omni's message for an invalid config.
    pub async fn validate_config(&self, config: &str, opts: &CallOptions) -> Result<()> {
        let req = pb::ValidateConfigRequest {
            config: config.to_string(),
        };
        let _: pbjson_types::Empty = self
            .call("ValidateConfig", "", &req, CallKind::Read, opts)
            .await?;
        Ok(())
    }

    /// `ValidateJSONSchema`: validate `data` (JSON text) against `schema` (JSON Schema
    /// text); the errors, empty when valid.
    ///
    /// # Errors
    /// `INVALID_ARGUMENT` for a schema or data that is not JSON.
    pub async fn validate_json_schema(
        &self,
        data: &str,
        schema: &str,
        opts: &CallOptions,
    ) -> Result<Vec<pb::validate_json_schema_response::Error>> {
        let req = pb::ValidateJsonSchemaRequest {
            data: data.to_string(),
            schema: schema.to_string(),
        };
        let resp: pb::ValidateJsonSchemaResponse = self
            .call("ValidateJSONSchema", "", &req, CallKind::Read, opts)
            .await?;
        Ok(resp.errors)
    }

    /// `KubernetesUpgradePreChecks` (`omnictl cluster kubernetes upgrade-pre-checks`):
    /// `Ok(())` when the cluster may go to `version`.
    ///
    /// # Errors
    /// [`crate::Code::FailedPrecondition`] with the server's reason when the checks fail.
    pub async fn kubernetes_upgrade_pre_checks(
        &self,
        cluster: &str,
        version: &str,
        opts: &CallOptions,
    ) -> Result<()> {
        if cluster.is_empty() {
            return Err(Error::InvalidArgument("pre-checks need a cluster".into()));
        }
        let req = pb::KubernetesUpgradePreChecksRequest {
            new_version: version.to_string(),
        };
        let resp: pb::KubernetesUpgradePreChecksResponse = self
            .call(
                "KubernetesUpgradePreChecks",
                cluster,
                &req,
                CallKind::Read,
                opts,
            )
            .await?;
        if resp.ok {
            Ok(())
        } else {
            Err(Error::Status {
                code: crate::Code::FailedPrecondition,
                message: format!("upgrade pre-checks failed: {}", resp.reason),
                current_version: None,
            })
        }
    }

    /// `CreateSchematic`: register an image-factory schematic (installation media).
    ///
    /// # Errors
    /// Server errors (unknown extensions, bad versions).
    pub async fn create_schematic(
        &self,
        req: &pb::CreateSchematicRequest,
        opts: &CallOptions,
    ) -> Result<pb::CreateSchematicResponse> {
        self.call("CreateSchematic", "", req, CallKind::Write, opts)
            .await
    }

    /// `CreateSchematicFromRaw`: register a schematic given as image-factory YAML.
    ///
    /// # Errors
    /// Server errors.
    pub async fn create_schematic_from_raw(
        &self,
        raw_schematic: &[u8],
        talos_version: &str,
        opts: &CallOptions,
    ) -> Result<pb::CreateSchematicResponse> {
        let req = pb::CreateSchematicFromRawRequest {
            raw_schematic: raw_schematic.to_vec(),
            talos_version: talos_version.to_string(),
        };
        self.call("CreateSchematicFromRaw", "", &req, CallKind::Write, opts)
            .await
    }

    /// `GetBootAssetURL`: where to download a boot asset of a schematic.
    ///
    /// # Errors
    /// Server errors.
    pub async fn boot_asset_url(
        &self,
        req: &pb::BootAssetUrlRequest,
        opts: &CallOptions,
    ) -> Result<pb::BootAssetUrlResponse> {
        self.call("GetBootAssetURL", "", req, CallKind::Read, opts)
            .await
    }

    /// `GetMachineJoinConfig` (`omnictl jointoken machine-config` / `kernel-args`).
    ///
    /// # Errors
    /// Server errors.
    pub async fn machine_join_config(
        &self,
        join_token: &str,
        use_grpc_tunnel: bool,
        opts: &CallOptions,
    ) -> Result<pb::GetMachineJoinConfigResponse> {
        let req = pb::GetMachineJoinConfigRequest {
            use_grpc_tunnel,
            join_token: join_token.to_string(),
        };
        self.call("GetMachineJoinConfig", "", &req, CallKind::Read, opts)
            .await
    }

    /// `CreateJoinToken` (`omnictl jointoken create`): the new token's id. `expires_at` is
    /// Unix seconds; `None` = never.
    ///
    /// # Errors
    /// `INVALID_ARGUMENT` for an empty name or one over 16 characters; `PERMISSION_DENIED`.
    pub async fn create_join_token(
        &self,
        name: &str,
        expires_at: Option<i64>,
        opts: &CallOptions,
    ) -> Result<String> {
        if name.is_empty() || name.chars().count() > 16 {
            return Err(Error::InvalidArgument(
                "join token name must be 1 to 16 characters".into(),
            ));
        }
        let req = pb::CreateJoinTokenRequest {
            name: name.to_string(),
            expiration_time: expires_at
                .map(|seconds| pbjson_types::Timestamp { seconds, nanos: 0 }),
        };
        let resp: pb::CreateJoinTokenResponse = self
            .call("CreateJoinToken", "", &req, CallKind::Write, opts)
            .await?;
        Ok(resp.id)
    }

    /// `ResetNodeUniqueToken` (`omnictl configure machine --reset-node-unique-token`).
    ///
    /// # Errors
    /// Server errors.
    pub async fn reset_node_unique_token(&self, machine: &str, opts: &CallOptions) -> Result<()> {
        let req = pb::ResetNodeUniqueTokenRequest {
            id: machine.to_string(),
        };
        let _: pb::ResetNodeUniqueTokenResponse = self
            .call("ResetNodeUniqueToken", "", &req, CallKind::Write, opts)
            .await?;
        Ok(())
    }

    /// `MaintenanceUpgrade`: upgrade Talos on a machine in maintenance mode.
    ///
    /// # Errors
    /// Server errors.
    pub async fn maintenance_upgrade(
        &self,
        machine: &str,
        version: &str,
        opts: &CallOptions,
    ) -> Result<()> {
        let req = pb::MaintenanceUpgradeRequest {
            machine_id: machine.to_string(),
            version: version.to_string(),
        };
        let _: pb::MaintenanceUpgradeResponse = self
            .call("MaintenanceUpgrade", "", &req, CallKind::Write, opts)
            .await?;
        Ok(())
    }

    /// `MachinePowerOff` (`omnictl machine shutdown`).
    ///
    /// # Errors
    /// Server errors.
    pub async fn machine_power_off(&self, machine: &str, opts: &CallOptions) -> Result<()> {
        let req = pb::MachinePowerOffRequest {
            machine_id: machine.to_string(),
        };
        let _: pb::MachinePowerOffResponse = self
            .call("MachinePowerOff", "", &req, CallKind::Write, opts)
            .await?;
        Ok(())
    }

    /// `MachinePowerOn` (`omnictl machine power-on`; static infra-provider machines only).
    ///
    /// # Errors
    /// `FAILED_PRECONDITION` for other machines; server errors.
    pub async fn machine_power_on(&self, machine: &str, opts: &CallOptions) -> Result<()> {
        let req = pb::MachinePowerOnRequest {
            machine_id: machine.to_string(),
        };
        let _: pb::MachinePowerOnResponse = self
            .call("MachinePowerOn", "", &req, CallKind::Write, opts)
            .await?;
        Ok(())
    }

    /// `MachineLogs` (`omnictl machine-logs`): one item per log line (no trailing newline).
    /// `tail_lines < 0` = all history (omnictl's default), `0` = none.
    pub fn machine_logs(
        &self,
        machine: &str,
        follow: bool,
        tail_lines: i32,
        opts: &CallOptions,
    ) -> LocalBoxStream<'static, Result<Vec<u8>>> {
        let req = pb::MachineLogsRequest {
            machine_id: machine.to_string(),
            follow,
            tail_lines,
        };
        self.stream::<_, crate::proto::common::Data>("MachineLogs", "", req, CallKind::Read, opts)
            .map(|r| r.map(|d| d.bytes))
            .boxed_local()
    }

    /// `MaintenanceLifecycle` (`omnictl machine install` / `upgrade`): progress messages.
    pub fn maintenance_lifecycle(
        &self,
        req: pb::MaintenanceLifecycleRequest,
        opts: &CallOptions,
    ) -> LocalBoxStream<'static, Result<String>> {
        self.stream::<_, pb::MaintenanceLifecycleResponse>(
            "MaintenanceLifecycle",
            "",
            req,
            CallKind::Write,
            opts,
        )
        .map(|r| r.map(|m| m.message))
        .boxed_local()
    }

    /// `KubernetesSyncManifests` (`omnictl cluster kubernetes manifest-sync`): one event per
    /// manifest, then rollout progress when not a dry run.
    pub fn sync_manifests(
        &self,
        cluster: &str,
        req: pb::KubernetesSyncManifestRequest,
        opts: &CallOptions,
    ) -> LocalBoxStream<'static, Result<ManifestSyncEvent>> {
        let kind = if req.dry_run {
            CallKind::Read
        } else {
            CallKind::Write
        };
        if cluster.is_empty() {
            let e = Error::InvalidArgument("manifest sync needs a cluster".into());
            return futures::stream::iter([Err(e)]).boxed_local();
        }
        self.stream::<_, pb::KubernetesSyncManifestResponse>(
            "KubernetesSyncManifests",
            cluster,
            req,
            kind,
            opts,
        )
        .map(|r| {
            r.map(|m| ManifestSyncEvent {
                rollout: m.response_type
                    == pb::kubernetes_sync_manifest_response::ResponseType::Rollout as i32,
                path: m.path,
                object: bytes_to_string(m.object),
                diff: m.diff,
                skipped: m.skipped,
            })
        })
        .boxed_local()
    }

    /// `GetSupportBundle` (`omnictl support`): recipients, progress, then the bundle.
    pub fn support_bundle(
        &self,
        req: pb::GetSupportBundleRequest,
        opts: &CallOptions,
    ) -> LocalBoxStream<'static, Result<SupportBundleEvent>> {
        self.stream::<_, pb::GetSupportBundleResponse>(
            "GetSupportBundle",
            "",
            req,
            CallKind::Read,
            opts,
        )
        .map(|r| {
            r.map(|m| {
                if let Some(p) = m.progress {
                    SupportBundleEvent::Progress {
                        source: p.source,
                        error: p.error,
                        state: p.state,
                        total: p.total,
                        value: p.value,
                    }
                } else if !m.bundle_data.is_empty() {
                    SupportBundleEvent::Bundle(m.bundle_data)
                } else {
                    SupportBundleEvent::Recipients(m.encryption_recipients)
                }
            })
        })
        .boxed_local()
    }

    /// `ReadAuditLog` (`omnictl audit-log`). Without `follow`: the records of the range,
    /// then the end. With `follow`: the acknowledgement (empty data, the start position),
    /// then one chunk per event, reconnecting from the last position whenever the server
    /// ends the stream (as omnictl does) until the call's cancel token fires.
    pub fn audit_log(
        &self,
        params: AuditLogParams,
        opts: &CallOptions,
    ) -> LocalBoxStream<'static, Result<AuditLogChunk>> {
        let first = self.stream::<_, pb::ReadAuditLogResponse>(
            "ReadAuditLog",
            "",
            params.request.clone(),
            CallKind::Read,
            opts,
        );
        let to_chunk = |r: Result<pb::ReadAuditLogResponse>| {
            r.map(|m| AuditLogChunk {
                data: m.audit_log,
                id: m.id,
            })
        };
        if !params.request.follow {
            return first.map(to_chunk).boxed_local();
        }
        struct Follow {
            this: Management,
            req: pb::ReadAuditLogRequest,
            opts: CallOptions,
            current: Option<LocalBoxStream<'static, Result<pb::ReadAuditLogResponse>>>,
            next_id: i64,
            pause: std::time::Duration,
            done: bool,
            skip_ack: bool,
        }
        let state = Follow {
            this: self.clone(),
            req: params.request,
            opts: opts.clone(),
            current: Some(first),
            next_id: 0,
            pause: std::time::Duration::from_millis(params.reconnect_after_ms.unwrap_or(500)),
            done: false,
            skip_ack: false,
        };
        futures::stream::unfold(state, move |mut st| async move {
            loop {
                if st.done {
                    return None;
                }
                if st.current.is_none() {
                    let clock = st.this.client.transport().clock();
                    if clock.sleep(st.pause, &st.opts).await.is_err() {
                        return None;
                    }
                    let mut req = st.req.clone();
                    req.from_id = st.next_id;
                    req.start_ts_ms = 0;
                    st.current =
                        Some(
                            st.this
                                .stream("ReadAuditLog", "", req, CallKind::Read, &st.opts),
                        );
                    st.skip_ack = true;
                }
                let item = match st.current.as_mut() {
                    Some(s) => s.next().await,
                    None => None,
                };
                match item {
                    Some(Ok(m)) if st.skip_ack && m.audit_log.is_empty() => {
                        // the acknowledgement of a reconnect repeats the position
                        st.skip_ack = false;
                    }
                    Some(Ok(m)) => {
                        st.skip_ack = false;
                        st.next_id = if m.audit_log.is_empty() {
                            m.id
                        } else {
                            m.id + 1
                        };
                        return Some((to_chunk(Ok(m)), st));
                    }
                    Some(Err(Error::Cancelled(_))) => return None,
                    Some(Err(e)) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                    None => st.current = None,
                }
            }
        })
        .boxed_local()
    }
}
