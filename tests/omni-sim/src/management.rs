//! `management.ManagementService` with deterministic, realistic answers (§1.4).

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sha2::Digest;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use crate::auth::{self, Caller, KeyMaterial, KeyRecord, Role};
use crate::cosi::BoxStream;
use crate::pb::common::Data;
use crate::pb::management::{
    get_support_bundle_response::Progress,
    list_service_accounts_response::service_account::PgpPublicKey,
    list_service_accounts_response::ServiceAccount, list_users_response::User as PbUser,
    management_service_server::ManagementService, *,
};
use crate::types::role_denied;
use crate::Core;

pub struct ManagementSvc {
    pub core: Arc<Core>,
}

const P: &str = "/management.ManagementService/";

fn need(c: &Caller, r: Role) -> Result<(), Status> {
    if c.role < r {
        return Err(role_denied(r, c.role));
    }
    Ok(())
}

/// The longest service-account kubeconfig token (upstream `external.ServiceAccountTokenLifetime`).
const SA_TOKEN_MAX_SECS: i64 = 10 * 365 * 24 * 3600;

fn cluster_md(md: &MetadataMap) -> Option<String> {
    md.get("cluster")
        .or_else(|| md.get("context"))
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn ts(secs: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: secs,
        nanos: 0,
    }
}

fn stream<T: Send + 'static>(items: Vec<Result<T, Status>>) -> Response<BoxStream<T>> {
    Response::new(Box::pin(tokio_stream::iter(items)))
}

impl ManagementSvc {
    /// Upstream `markClusterAsTainted`, after a break-glass config is made: the cluster's
    /// ClusterStatus gets the tainted label and the time as an annotation. Omni's controller
    /// keeps a ClusterStatus for every cluster; where there is none the update fails, as
    /// upstream's does, and the caller gets that error instead of the config.
    fn taint(&self, cluster: &str) -> Result<(), Status> {
        let now = self.core.now();
        self.core
            .store
            .mutate(
                "default",
                "ClusterStatuses.omni.sidero.dev",
                cluster,
                now,
                |r| {
                    let md = r.metadata.get_or_insert_with(Default::default);
                    md.labels.insert(
                        "omni.sidero.dev/tainted-by-break-glass".into(),
                        String::new(),
                    );
                    md.annotations.insert(
                        "omni.sidero.dev/tainted-by-break-glass-timestamp".into(),
                        now.timestamp().to_string(),
                    );
                    Ok(())
                },
            )
            .map(|_| ())
    }

    /// Omni's `enableBreakGlassConfigs` feature flag.
    fn break_glass_allowed(&self) -> Result<(), Status> {
        if self.core.opts.break_glass_configs {
            Ok(())
        } else {
            Err(Status::permission_denied("not allowed"))
        }
    }

    async fn caller(&self, md: &MetadataMap, m: &str) -> Result<Caller, Status> {
        self.core.signed(md, &format!("{P}{m}")).await
    }

    fn cluster(&self, md: &MetadataMap) -> Result<String, Status> {
        let c = cluster_md(md).ok_or_else(|| {
            Status::invalid_argument(
                "cluster name is required (metadata \"cluster\" or \"context\")",
            )
        })?;
        if self
            .core
            .store
            .get("default", "Clusters.omni.sidero.dev", &c)
            .is_none()
        {
            return Err(Status::not_found(format!("cluster {c:?} not found")));
        }
        Ok(c)
    }

    fn machine(&self, id: &str) -> Result<(), Status> {
        let known = self
            .core
            .store
            .get("default", "MachineStatuses.omni.sidero.dev", id)
            .is_some()
            || self
                .core
                .store
                .get("default", "Machines.omni.sidero.dev", id)
                .is_some();
        if known {
            Ok(())
        } else {
            Err(Status::not_found(format!("machine {id:?} not found")))
        }
    }

    fn add_sa_key(&self, identity: &str, armored: &str, role: Role) -> Result<String, Status> {
        let info = auth::validate_pgp_key(armored, auth::SA_KEY_MAX_SECS, self.core.now_secs())
            .map_err(|e| Status::invalid_argument(format!("invalid public key: {e}")))?;
        if info.email != identity {
            return Err(Status::invalid_argument(format!(
                "key identity {:?} does not match {:?}",
                info.email, identity
            )));
        }
        self.core.dir.add_key(KeyRecord {
            id: info.fingerprint.clone(),
            identity: identity.to_string(),
            material: KeyMaterial::Pgp(Box::new(info.key)),
            armored: armored.to_string(),
            created: info.created,
            expires: info.expires,
            confirmed: true,
            role,
            last_used: None,
        });
        Ok(info.fingerprint)
    }
}

fn kubeconfig_yaml(url: &str, cluster: &str, user: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n  - cluster:\n      server: {url}/k8s/{cluster}\n    name: omni-{cluster}\ncontexts:\n  - context:\n      cluster: omni-{cluster}\n      namespace: default\n      user: omni-{cluster}-{user}\n    name: omni-{cluster}\ncurrent-context: omni-{cluster}\nusers:\n  - name: omni-{cluster}-{user}\n    user:\n      exec:\n        apiVersion: client.authentication.k8s.io/v1beta1\n        command: kubectl\n        args:\n          - oidc-login\n          - get-token\n          - --oidc-issuer-url={url}/oidc\n          - --oidc-client-id=native\n          - --oidc-extra-scope=cluster:{cluster}\n"
    )
}

fn log_line(machine: &str, i: u64) -> Vec<u8> {
    let services = [
        "machined",
        "apid",
        "trustd",
        "kubelet",
        "etcd",
        "containerd",
    ];
    let svc = services
        .get((i as usize) % services.len())
        .copied()
        .unwrap_or("machined");
    json!({
        "talos-time": format!("2026-01-01T00:{:02}:{:02}.000000Z", (i / 60) % 60, i % 60),
        "facility": "daemon",
        "msg": format!("[talos] {svc}: service event {i} on {machine}"),
        "priority": "info",
        "talos-level": "info",
        "clock": 1_000_000 * i,
        "seq": i,
    })
    .to_string()
    .into_bytes()
}

#[tonic::async_trait]
impl ManagementService for ManagementSvc {
    async fn kubeconfig(
        &self,
        req: Request<KubeconfigRequest>,
    ) -> Result<Response<KubeconfigResponse>, Status> {
        let c = self.caller(req.metadata(), "Kubeconfig").await?;
        let r = req.get_ref();
        // upstream management.go / serviceaccount.go, in their order
        let cluster = if r.break_glass {
            // breakGlassKubeconfig: Admin, then the feature flag, then the cluster
            need(&c, Role::Admin)?;
            self.break_glass_allowed()?;
            self.cluster(req.metadata())?
        } else if r.service_account {
            need(&c, Role::Reader)?;
            need(&c, Role::Operator)?;
            let Some(cluster) = cluster_md(req.metadata()) else {
                return Err(Status::invalid_argument("cluster name is not in context"));
            };
            if r.service_account_user.is_empty() {
                return Err(Status::invalid_argument(
                    "service account user name is not set",
                ));
            }
            let Some(ttl) = r.service_account_ttl.as_ref() else {
                return Err(Status::invalid_argument("service account ttl is not set"));
            };
            if ttl.seconds < 0 || (ttl.seconds == 0 && ttl.nanos <= 0) {
                return Err(Status::invalid_argument(
                    "service account ttl is must be positive",
                ));
            }
            if ttl.seconds > SA_TOKEN_MAX_SECS {
                return Err(Status::invalid_argument(
                    "service account ttl is too long (max allowed: 87600h0m0s)",
                ));
            }
            // the token names the cluster's UUID (plain error when there is none)
            if self
                .core
                .store
                .get("default", "Clusters.omni.sidero.dev", &cluster)
                .is_none()
            {
                return Err(Status::unknown(format!(
                    "failed to get cluster UUID: resource ClusterUUIDs.omni.sidero.dev(default/{cluster}@undefined) doesn't exist"
                )));
            }
            cluster
        } else {
            // an OIDC kubeconfig: nothing checks that the cluster exists
            need(&c, Role::Reader)?;
            if !matches!(
                r.grant_type.as_str(),
                "" | "auto" | "authcode" | "authcode-keyboard"
            ) {
                return Err(Status::invalid_argument(format!(
                    "invalid grant type {:?}",
                    r.grant_type
                )));
            }
            cluster_md(req.metadata()).ok_or_else(|| {
                Status::invalid_argument(
                    "cluster name is required (metadata \"cluster\" or \"context\")",
                )
            })?
        };
        let r = req.into_inner();
        if r.break_glass {
            self.taint(&cluster)?;
        }
        let user = if r.service_account {
            r.service_account_user.clone()
        } else {
            c.identity.clone()
        };
        Ok(Response::new(KubeconfigResponse {
            kubeconfig: kubeconfig_yaml(&self.core.url(), &cluster, &user).into_bytes(),
        }))
    }

    async fn talosconfig(
        &self,
        req: Request<TalosconfigRequest>,
    ) -> Result<Response<TalosconfigResponse>, Status> {
        let c = self.caller(req.metadata(), "Talosconfig").await?;
        let cluster = match cluster_md(req.metadata()) {
            Some(_) => Some(self.cluster(req.metadata())?),
            None => None,
        };
        let r = req.into_inner();
        need(
            &c,
            if r.break_glass {
                Role::Admin
            } else {
                Role::Reader
            },
        )?;
        // upstream: a raw talosconfig only in debug builds (never here); break-glass only
        // with the feature flag, and for a cluster
        if r.raw {
            return Err(Status::permission_denied("not allowed"));
        }
        if r.break_glass {
            self.break_glass_allowed()?;
            if cluster.is_none() {
                return Err(Status::invalid_argument("cluster name is required"));
            }
        }
        let ctx = cluster
            .clone()
            .map(|c| format!("omni-{c}"))
            .unwrap_or_else(|| "omni-sim".into());
        let url = self.core.url();
        let mut s = format!(
            "context: {ctx}\ncontexts:\n    {ctx}:\n        endpoints:\n            - {url}\n"
        );
        if let Some(c) = &cluster {
            s.push_str(&format!("        cluster: {c}\n"));
            if r.break_glass {
                self.taint(c)?;
            }
        }
        s.push_str(&format!(
            "        auth:\n            siderov1:\n                identity: {}\n",
            c.identity
        ));
        Ok(Response::new(TalosconfigResponse {
            talosconfig: s.into_bytes(),
        }))
    }

    async fn omniconfig(&self, req: Request<()>) -> Result<Response<OmniconfigResponse>, Status> {
        let c = self.caller(req.metadata(), "Omniconfig").await?;
        let s = format!(
            "contexts:\n    default:\n        url: {}\n        auth:\n            siderov1:\n                identity: {}\ncontext: default\n",
            self.core.url(),
            c.identity
        );
        Ok(Response::new(OmniconfigResponse {
            omniconfig: s.into_bytes(),
        }))
    }

    async fn machine_logs(
        &self,
        req: Request<MachineLogsRequest>,
    ) -> Result<Response<BoxStream<Data>>, Status> {
        let c = self.caller(req.metadata(), "MachineLogs").await?;
        need(&c, Role::Reader)?;
        let r = req.into_inner();
        self.machine(&r.machine_id)?;
        const HISTORY: u64 = 50;
        let start = if r.tail_lines < 0 {
            0
        } else {
            HISTORY.saturating_sub(r.tail_lines as u64)
        };
        let (tx, rx) = mpsc::channel(16);
        let id = r.machine_id.clone();
        tokio::spawn(async move {
            for i in start..HISTORY {
                if tx
                    .send(Ok(Data {
                        metadata: None,
                        bytes: log_line(&id, i),
                    }))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            if r.follow {
                let mut i = HISTORY;
                loop {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    if tx
                        .send(Ok(Data {
                            metadata: None,
                            bytes: log_line(&id, i),
                        }))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    i += 1;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn validate_config(
        &self,
        req: Request<ValidateConfigRequest>,
    ) -> Result<Response<()>, Status> {
        self.caller(req.metadata(), "ValidateConfig").await?;
        let cfg = req.into_inner().config;
        crate::talosconfig::validate_patch(&cfg).map_err(Status::invalid_argument)?;
        Ok(Response::new(()))
    }

    async fn validate_json_schema(
        &self,
        req: Request<ValidateJsonSchemaRequest>,
    ) -> Result<Response<ValidateJsonSchemaResponse>, Status> {
        self.caller(req.metadata(), "ValidateJSONSchema").await?;
        let r = req.into_inner();
        let errors = crate::jsonschema::validate(&r.schema, &r.data)?;
        Ok(Response::new(ValidateJsonSchemaResponse { errors }))
    }

    async fn create_service_account(
        &self,
        req: Request<CreateServiceAccountRequest>,
    ) -> Result<Response<CreateServiceAccountResponse>, Status> {
        let c = self.caller(req.metadata(), "CreateServiceAccount").await?;
        need(&c, Role::Admin)?;
        let r = req.into_inner();
        if r.name.is_empty() || r.name.contains(' ') || r.name.contains('@') {
            return Err(Status::invalid_argument(format!(
                "invalid service account name {:?}",
                r.name
            )));
        }
        let infra = r.name.starts_with("infra-provider:");
        let role = if r.use_user_role {
            c.role
        } else {
            Role::parse(&r.role)
                .ok_or_else(|| Status::invalid_argument(format!("unknown role {:?}", r.role)))?
        };
        if infra != (role == Role::InfraProvider) {
            return Err(Status::invalid_argument("infra provider service accounts must have the InfraProvider role and the infra-provider: prefix"));
        }
        let identity = auth::sa_identity(&r.name);
        if self.core.dir.user(&identity).is_some() {
            return Err(Status::already_exists(format!(
                "service account {:?} already exists",
                r.name
            )));
        }
        // Validate before creating anything.
        auth::validate_pgp_key(
            &r.armored_pgp_public_key,
            auth::SA_KEY_MAX_SECS,
            self.core.now_secs(),
        )
        .map_err(|e| Status::invalid_argument(format!("invalid public key: {e}")))?;
        let user = self.core.dir.upsert_user(&identity, role, true);
        let id = match self.add_sa_key(&identity, &r.armored_pgp_public_key, role) {
            Ok(id) => id,
            Err(e) => {
                self.core.dir.remove_user(&identity);
                return Err(e);
            }
        };
        crate::resources::mirror_user(&self.core, &user);
        Ok(Response::new(CreateServiceAccountResponse {
            public_key_id: id,
        }))
    }

    async fn renew_service_account(
        &self,
        req: Request<RenewServiceAccountRequest>,
    ) -> Result<Response<RenewServiceAccountResponse>, Status> {
        let c = self.caller(req.metadata(), "RenewServiceAccount").await?;
        need(&c, Role::Admin)?;
        let r = req.into_inner();
        let identity = auth::sa_identity(&r.name);
        let user = self
            .core
            .dir
            .user(&identity)
            .filter(|u| u.service_account)
            .ok_or_else(|| Status::not_found(format!("service account {:?} not found", r.name)))?;
        let id = self.add_sa_key(&identity, &r.armored_pgp_public_key, user.role)?;
        Ok(Response::new(RenewServiceAccountResponse {
            public_key_id: id,
        }))
    }

    async fn list_service_accounts(
        &self,
        req: Request<()>,
    ) -> Result<Response<ListServiceAccountsResponse>, Status> {
        let c = self.caller(req.metadata(), "ListServiceAccounts").await?;
        need(&c, Role::Admin)?;
        let fmt = |t: Option<i64>| {
            t.and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                .map(|d| d.to_rfc3339())
                .unwrap_or_default()
        };
        let service_accounts = self
            .core
            .dir
            .users()
            .into_iter()
            .filter(|u| u.service_account)
            .filter_map(|u| {
                let name = auth::sa_name(&u.email)?;
                let keys = self
                    .core
                    .dir
                    .keys_of(&u.email)
                    .into_iter()
                    .map(|k| PgpPublicKey {
                        id: k.id,
                        armored: k.armored,
                        expiration: Some(ts(k.expires)),
                        created: Some(ts(k.created)),
                        last_used: k.last_used.map(ts),
                    })
                    .collect();
                Some(ServiceAccount {
                    name,
                    pgp_public_keys: keys,
                    role: u.role.as_str().into(),
                    last_active: fmt(u.last_active),
                })
            })
            .collect();
        Ok(Response::new(ListServiceAccountsResponse {
            service_accounts,
        }))
    }

    async fn destroy_service_account(
        &self,
        req: Request<DestroyServiceAccountRequest>,
    ) -> Result<Response<()>, Status> {
        let c = self.caller(req.metadata(), "DestroyServiceAccount").await?;
        need(&c, Role::Admin)?;
        let identity = auth::sa_identity(&req.into_inner().name);
        if identity == c.identity {
            return Err(Status::permission_denied(
                "destroying your own service account is not allowed",
            ));
        }
        let user = self
            .core
            .dir
            .user(&identity)
            .filter(|u| u.service_account)
            .ok_or_else(|| Status::not_found("service account not found"))?;
        self.core.dir.remove_user(&identity);
        crate::resources::unmirror_user(&self.core, &user);
        Ok(Response::new(()))
    }

    async fn kubernetes_upgrade_pre_checks(
        &self,
        req: Request<KubernetesUpgradePreChecksRequest>,
    ) -> Result<Response<KubernetesUpgradePreChecksResponse>, Status> {
        let c = self
            .caller(req.metadata(), "KubernetesUpgradePreChecks")
            .await?;
        need(&c, Role::Operator)?;
        self.cluster(req.metadata())?;
        let v = req.into_inner().new_version;
        let parts: Vec<u64> = v
            .trim_start_matches('v')
            .split('.')
            .filter_map(|p| p.parse().ok())
            .collect();
        if parts.len() != 3 {
            return Ok(Response::new(KubernetesUpgradePreChecksResponse {
                ok: false,
                reason: format!("invalid version {v:?}"),
            }));
        }
        Ok(Response::new(KubernetesUpgradePreChecksResponse {
            ok: true,
            reason: String::new(),
        }))
    }

    async fn kubernetes_sync_manifests(
        &self,
        req: Request<KubernetesSyncManifestRequest>,
    ) -> Result<Response<BoxStream<KubernetesSyncManifestResponse>>, Status> {
        let c = self
            .caller(req.metadata(), "KubernetesSyncManifests")
            .await?;
        need(&c, Role::Operator)?;
        let cluster = self.cluster(req.metadata())?;
        let dry = req.into_inner().dry_run;
        let objs = [
            "kube-system/kube-proxy DaemonSet",
            "kube-system/coredns Deployment",
            "kube-system/coredns ConfigMap",
        ];
        let mut out = Vec::new();
        for (i, o) in objs.iter().enumerate() {
            out.push(Ok(KubernetesSyncManifestResponse {
                response_type: 1,
                path: (*o).to_string(),
                object: format!("# {o} of {cluster}\n").into_bytes(),
                diff: if i == 0 {
                    format!("--- a/{o}\n+++ b/{o}\n@@\n-  image: old\n+  image: new\n")
                } else {
                    String::new()
                },
                skipped: i != 0,
            }));
        }
        if !dry {
            out.push(Ok(KubernetesSyncManifestResponse {
                response_type: 2,
                path: objs[0].to_string(),
                object: vec![],
                diff: String::new(),
                skipped: false,
            }));
        }
        Ok(stream(out))
    }

    async fn create_schematic(
        &self,
        req: Request<CreateSchematicRequest>,
    ) -> Result<Response<CreateSchematicResponse>, Status> {
        let c = self.caller(req.metadata(), "CreateSchematic").await?;
        need(&c, Role::Operator)?;
        let r = req.into_inner();
        let mut exts = r.extensions.clone();
        exts.sort();
        let mut yml = String::from("customization:\n");
        if !r.extra_kernel_args.is_empty() {
            yml.push_str("    extraKernelArgs:\n");
            for a in &r.extra_kernel_args {
                yml.push_str(&format!("        - {a}\n"));
            }
        }
        if !r.meta_values.is_empty() {
            yml.push_str("    meta:\n");
            for (k, v) in &r.meta_values {
                yml.push_str(&format!("        - key: {k}\n          value: {v:?}\n"));
            }
        }
        if !exts.is_empty() {
            yml.push_str("    systemExtensions:\n        officialExtensions:\n");
            for e in &exts {
                yml.push_str(&format!("            - {e}\n"));
            }
        }
        let id = hex(&sha2::Sha256::digest(yml.as_bytes()));
        let ver = if r.talos_version.is_empty() {
            "1.9.1".to_string()
        } else {
            r.talos_version.clone()
        };
        Ok(Response::new(CreateSchematicResponse {
            pxe_url: format!("https://pxe.factory.talos.dev/pxe/{id}/{ver}/metal-amd64"),
            schematic_id: id,
            grpc_tunnel_enabled: r.siderolink_grpc_tunnel_mode == 2,
            schematic_yml: yml,
        }))
    }

    async fn create_schematic_from_raw(
        &self,
        req: Request<CreateSchematicFromRawRequest>,
    ) -> Result<Response<CreateSchematicResponse>, Status> {
        let c = self
            .caller(req.metadata(), "CreateSchematicFromRaw")
            .await?;
        if !matches!(c.role, Role::InfraProvider | Role::Operator | Role::Admin) {
            return Err(role_denied(Role::Operator, c.role));
        }
        let r = req.into_inner();
        let _: serde_norway::Value = serde_norway::from_slice(&r.raw_schematic)
            .map_err(|e| Status::invalid_argument(format!("invalid schematic: {e}")))?;
        let id = hex(&sha2::Sha256::digest(&r.raw_schematic));
        Ok(Response::new(CreateSchematicResponse {
            pxe_url: format!(
                "https://pxe.factory.talos.dev/pxe/{id}/{}/metal-amd64",
                r.talos_version
            ),
            schematic_id: id,
            grpc_tunnel_enabled: false,
            schematic_yml: String::from_utf8_lossy(&r.raw_schematic).to_string(),
        }))
    }

    async fn get_boot_asset_url(
        &self,
        req: Request<BootAssetUrlRequest>,
    ) -> Result<Response<BootAssetUrlResponse>, Status> {
        let c = self.caller(req.metadata(), "GetBootAssetURL").await?;
        if !matches!(c.role, Role::InfraProvider | Role::Operator | Role::Admin) {
            return Err(role_denied(Role::Operator, c.role));
        }
        let r = req.into_inner();
        if r.schematic_id.is_empty() || r.talos_version.is_empty() {
            return Err(Status::invalid_argument(
                "schematic id and talos version are required",
            ));
        }
        let arch = if r.architecture.is_empty() {
            "amd64"
        } else {
            r.architecture.as_str()
        };
        let plat = if r.platform.is_empty() {
            "metal"
        } else {
            r.platform.as_str()
        };
        let file = match r.boot_asset_kind {
            1 => format!("{plat}-{arch}"),
            2 => format!("{plat}-{arch}.iso"),
            _ => format!("{plat}-{arch}.raw.xz"),
        };
        let host = "factory.talos.dev".to_string();
        Ok(Response::new(BootAssetUrlResponse {
            url: format!(
                "https://{host}/image/{}/{}/{file}",
                r.schematic_id, r.talos_version
            ),
            headers: Default::default(),
            image_factory_host: host,
            storage_key: String::new(),
        }))
    }

    async fn get_support_bundle(
        &self,
        req: Request<GetSupportBundleRequest>,
    ) -> Result<Response<BoxStream<GetSupportBundleResponse>>, Status> {
        let c = self.caller(req.metadata(), "GetSupportBundle").await?;
        need(&c, Role::Operator)?;
        let r = req.into_inner();
        if self
            .core
            .store
            .get("default", "Clusters.omni.sidero.dev", &r.cluster)
            .is_none()
        {
            return Err(Status::not_found(format!(
                "cluster {:?} not found",
                r.cluster
            )));
        }
        let mut out = vec![Ok(GetSupportBundleResponse {
            progress: None,
            bundle_data: vec![],
            encryption_recipients: r.encryption_recipients.clone(),
        })];
        let sources = ["omni", "cluster", "machines", "kubernetes"];
        for (i, s) in sources.iter().enumerate() {
            out.push(Ok(GetSupportBundleResponse {
                progress: Some(Progress {
                    source: (*s).into(),
                    error: String::new(),
                    state: format!("collecting {s}"),
                    total: sources.len() as i32,
                    value: i as i32 + 1,
                }),
                bundle_data: vec![],
                encryption_recipients: vec![],
            }));
        }
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default();
            for (name, body) in [
                ("omni/cluster.yaml", format!("id: {}\n", r.cluster)),
                (
                    "omni/resources.yaml",
                    format!("cluster: {}\nresources: []\n", r.cluster),
                ),
                (
                    "machines/summary.txt",
                    "collected by omni-sim\n".to_string(),
                ),
            ] {
                z.start_file(name, opts)
                    .map_err(|e| Status::internal(e.to_string()))?;
                z.write_all(body.as_bytes())
                    .map_err(|e| Status::internal(e.to_string()))?;
            }
            z.finish().map_err(|e| Status::internal(e.to_string()))?;
        }
        out.push(Ok(GetSupportBundleResponse {
            progress: None,
            bundle_data: buf.into_inner(),
            encryption_recipients: vec![],
        }));
        Ok(stream(out))
    }

    async fn read_audit_log(
        &self,
        req: Request<ReadAuditLogRequest>,
    ) -> Result<Response<BoxStream<ReadAuditLogResponse>>, Status> {
        let c = self.caller(req.metadata(), "ReadAuditLog").await?;
        if !matches!(c.role, Role::Auditor | Role::Admin) {
            return Err(role_denied(Role::Auditor, c.role));
        }
        let r = req.into_inner();
        let lines: Vec<String> = self
            .core
            .audit
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default();
        if r.from_id != 0 && !r.follow {
            return Err(Status::invalid_argument("from_id requires follow"));
        }
        if r.follow {
            if !r.search.is_empty()
                || r.event_type != 0
                || !r.resource_type.is_empty()
                || !r.end_time.is_empty()
                || r.order_by_field != 0
            {
                return Err(Status::invalid_argument(
                    "filters are not supported with follow",
                ));
            }
            let start = if r.from_id > 0 {
                r.from_id
            } else {
                lines.len() as i64 + 1
            };
            if start > lines.len() as i64 + 1 {
                return Err(Status::failed_precondition("unknown from_id"));
            }
            let mut out = vec![Ok(ReadAuditLogResponse {
                audit_log: vec![],
                id: start,
            })];
            for (i, l) in lines.iter().enumerate().skip((start - 1).max(0) as usize) {
                out.push(Ok(ReadAuditLogResponse {
                    audit_log: format!("{l}\n").into_bytes(),
                    id: i as i64 + 1,
                }));
            }
            return Ok(stream(out));
        }
        let data: String = lines
            .iter()
            .filter(|l| r.search.is_empty() || l.contains(&r.search))
            .filter(|l| r.resource_type.is_empty() || l.contains(&r.resource_type))
            .map(|l| format!("{l}\n"))
            .collect();
        Ok(stream(vec![Ok(ReadAuditLogResponse {
            audit_log: data.into_bytes(),
            id: 0,
        })]))
    }

    async fn maintenance_upgrade(
        &self,
        req: Request<MaintenanceUpgradeRequest>,
    ) -> Result<Response<MaintenanceUpgradeResponse>, Status> {
        let c = self.caller(req.metadata(), "MaintenanceUpgrade").await?;
        need(&c, Role::Operator)?;
        self.machine(&req.into_inner().machine_id)?;
        Ok(Response::new(MaintenanceUpgradeResponse {}))
    }

    async fn maintenance_lifecycle(
        &self,
        req: Request<MaintenanceLifecycleRequest>,
    ) -> Result<Response<BoxStream<MaintenanceLifecycleResponse>>, Status> {
        let c = self.caller(req.metadata(), "MaintenanceLifecycle").await?;
        need(&c, Role::Operator)?;
        let r = req.into_inner();
        self.machine(&r.machine_id)?;
        let op = match r.operation {
            1 => "install",
            2 => "upgrade",
            _ => return Err(Status::invalid_argument("operation is required")),
        };
        let msgs = [
            format!("starting {op} of Talos {}", r.version),
            format!("{op}: pulling installer image"),
            format!("{op}: done"),
        ];
        Ok(stream(
            msgs.into_iter()
                .map(|m| Ok(MaintenanceLifecycleResponse { message: m }))
                .collect(),
        ))
    }

    async fn get_machine_join_config(
        &self,
        req: Request<GetMachineJoinConfigRequest>,
    ) -> Result<Response<GetMachineJoinConfigResponse>, Status> {
        let c = self.caller(req.metadata(), "GetMachineJoinConfig").await?;
        need(&c, Role::Reader)?;
        let r = req.into_inner();
        let token = if r.join_token.is_empty() {
            "sim-default-join-token".to_string()
        } else {
            r.join_token
        };
        let url = self.core.url();
        let tunnel = if r.use_grpc_tunnel { "true" } else { "false" };
        Ok(Response::new(GetMachineJoinConfigResponse {
            kernel_args: vec![
                format!("siderolink.api={url}?jointoken={token}&grpc_tunnel={tunnel}"),
                "talos.events.sink=[fdae:41e4:649b:9303::1]:8090".into(),
                "talos.logging.kernel=tcp://[fdae:41e4:649b:9303::1]:8092".into(),
            ],
            config: format!("apiVersion: v1alpha1\nkind: SideroLinkConfig\napiUrl: {url}?jointoken={token}&grpc_tunnel={tunnel}\n---\napiVersion: v1alpha1\nkind: EventSinkConfig\nendpoint: '[fdae:41e4:649b:9303::1]:8090'\n---\napiVersion: v1alpha1\nkind: KmsgLogConfig\nname: omni-kmsg\nurl: tcp://[fdae:41e4:649b:9303::1]:8092\n"),
        }))
    }

    async fn create_join_token(
        &self,
        req: Request<CreateJoinTokenRequest>,
    ) -> Result<Response<CreateJoinTokenResponse>, Status> {
        let c = self.caller(req.metadata(), "CreateJoinToken").await?;
        need(&c, Role::Admin)?;
        let r = req.into_inner();
        if r.name.is_empty() || r.name.chars().count() > 16 {
            return Err(Status::invalid_argument(
                "token name must be 1 to 16 characters long",
            ));
        }
        let id = hex(&rand::random::<[u8; 16]>());
        let mut spec = json!({"name": r.name});
        if let Some(t) = r
            .expiration_time
            .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
        {
            spec["expiration_time"] = json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        }
        crate::simapi::put(
            &self.core,
            "JoinTokens.omni.sidero.dev",
            &id,
            "",
            &[],
            spec.clone(),
        )
        .map_err(Status::internal)?;
        // what Omni's JoinTokenStatus controller derives from it
        let mut status = spec;
        status["state"] = json!(1);
        crate::simapi::put(
            &self.core,
            "JoinTokenStatuses.omni.sidero.dev",
            &id,
            "",
            &[],
            status,
        )
        .map_err(Status::internal)?;
        Ok(Response::new(CreateJoinTokenResponse { id }))
    }

    async fn reset_node_unique_token(
        &self,
        req: Request<ResetNodeUniqueTokenRequest>,
    ) -> Result<Response<ResetNodeUniqueTokenResponse>, Status> {
        let c = self.caller(req.metadata(), "ResetNodeUniqueToken").await?;
        need(&c, Role::Admin)?;
        self.machine(&req.into_inner().id)?;
        Ok(Response::new(ResetNodeUniqueTokenResponse {}))
    }

    async fn create_user(
        &self,
        req: Request<CreateUserRequest>,
    ) -> Result<Response<CreateUserResponse>, Status> {
        let c = self.caller(req.metadata(), "CreateUser").await?;
        need(&c, Role::Admin)?;
        let r = req.into_inner();
        let email = r.email.to_lowercase();
        if auth::parse_email(&email).as_deref() != Some(email.as_str()) {
            return Err(Status::invalid_argument(format!(
                "invalid email {:?}",
                r.email
            )));
        }
        let role = Role::parse(&r.role)
            .ok_or_else(|| Status::invalid_argument(format!("unknown role {:?}", r.role)))?;
        if self.core.dir.user(&email).is_some() {
            return Err(Status::already_exists(format!(
                "user {email:?} already exists"
            )));
        }
        let u = self.core.dir.upsert_user(&email, role, false);
        crate::resources::mirror_user(&self.core, &u);
        Ok(Response::new(CreateUserResponse { user_id: u.id }))
    }

    async fn list_users(&self, req: Request<()>) -> Result<Response<ListUsersResponse>, Status> {
        let c = self.caller(req.metadata(), "ListUsers").await?;
        need(&c, Role::Admin)?;
        let users = self
            .core
            .dir
            .users()
            .into_iter()
            .filter(|u| !u.service_account)
            .map(|u| PbUser {
                id: u.id,
                email: u.email,
                role: u.role.as_str().into(),
                saml_labels: Default::default(),
                last_active: u
                    .last_active
                    .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                    .map(|d| d.to_rfc3339())
                    .unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(ListUsersResponse { users }))
    }

    async fn update_user(&self, req: Request<UpdateUserRequest>) -> Result<Response<()>, Status> {
        let c = self.caller(req.metadata(), "UpdateUser").await?;
        need(&c, Role::Admin)?;
        let r = req.into_inner();
        let email = r.email.to_lowercase();
        if email == c.identity {
            return Err(Status::invalid_argument(
                "updating your own role is not allowed",
            ));
        }
        let role = Role::parse(&r.role)
            .ok_or_else(|| Status::invalid_argument(format!("unknown role {:?}", r.role)))?;
        self.core
            .dir
            .user(&email)
            .filter(|u| !u.service_account)
            .ok_or_else(|| Status::not_found(format!("user {email:?} not found")))?;
        let u = self.core.dir.upsert_user(&email, role, false);
        crate::resources::mirror_user(&self.core, &u);
        Ok(Response::new(()))
    }

    async fn destroy_user(&self, req: Request<DestroyUserRequest>) -> Result<Response<()>, Status> {
        let c = self.caller(req.metadata(), "DestroyUser").await?;
        need(&c, Role::Admin)?;
        let email = req.into_inner().email.to_lowercase();
        if email == c.identity {
            return Err(Status::permission_denied(
                "destroying yourself is not allowed",
            ));
        }
        let u = self
            .core
            .dir
            .user(&email)
            .filter(|u| !u.service_account)
            .ok_or_else(|| Status::not_found(format!("user {email:?} not found")))?;
        self.core.dir.remove_user(&email);
        crate::resources::unmirror_user(&self.core, &u);
        Ok(Response::new(()))
    }

    async fn machine_power_off(
        &self,
        req: Request<MachinePowerOffRequest>,
    ) -> Result<Response<MachinePowerOffResponse>, Status> {
        let c = self.caller(req.metadata(), "MachinePowerOff").await?;
        need(&c, Role::Operator)?;
        self.machine(&req.into_inner().machine_id)?;
        Ok(Response::new(MachinePowerOffResponse {}))
    }

    async fn machine_power_on(
        &self,
        req: Request<MachinePowerOnRequest>,
    ) -> Result<Response<MachinePowerOnResponse>, Status> {
        let c = self.caller(req.metadata(), "MachinePowerOn").await?;
        need(&c, Role::Operator)?;
        self.machine(&req.into_inner().machine_id)?;
        Err(Status::failed_precondition(
            "machine is not managed by a static infra provider",
        ))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
