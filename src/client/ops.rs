//! Cluster and machine operations omnictl performs through resources: cluster and machine
//! locks, removing a machine from its cluster, secret rotation, SideroLink connection mode.

use futures::StreamExt as _;
use serde_json::Value;

use super::watch::{WatchEventKind, WatchParams};
use super::OmniClient;
use crate::resource::{Resource, ResourceMetadata};
use crate::transport::CallOptions;
use crate::{Code, Error, Result};

pub(crate) const CLUSTER: &str = "Clusters.omni.sidero.dev";
pub(crate) const CLUSTER_MACHINE: &str = "ClusterMachines.omni.sidero.dev";
pub(crate) const MACHINE_SET_NODE: &str = "MachineSetNodes.omni.sidero.dev";
const NODE_FORCE_DESTROY: &str = "NodeForceDestroyRequests.omni.sidero.dev";
const ROTATION_STATUS: &str = "ClusterSecretsRotationStatuses.omni.sidero.dev";
const ANN_CLUSTER_LOCKED: &str = "omni.sidero.dev/cluster-locked";
const ANN_IMPORT_IN_PROGRESS: &str = "omni.sidero.dev/cluster-import-is-in-progress";
const ANN_MACHINE_LOCKED: &str = "omni.sidero.dev/locked";
const LABEL_CLUSTER: &str = "omni.sidero.dev/cluster";
const LABEL_TAINTED_BY_IMPORTING: &str = "omni.sidero.dev/tainted-by-importing";
const CLUSTER_STATUS: &str = "ClusterStatuses.omni.sidero.dev";
const LINK: &str = "Links.omni.sidero.dev";

/// How `cluster machine delete` removes a machine (omnictl's flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MachineDelete {
    /// `--force-etcd-leave`: Omni destroys the node without a graceful etcd leave.
    pub force_etcd_leave: bool,
    /// `--force`: the machine leaves the account without being wiped (its Link is torn down).
    pub skip_wipe: bool,
}

/// Which cluster secret to rotate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretComponent {
    /// The Talos API CA (`omnictl cluster secret rotate talos-ca`).
    TalosCa,
    /// The Kubernetes CA (`omnictl cluster secret rotate kubernetes-ca`).
    KubernetesCa,
}

impl SecretComponent {
    /// Parse `talos-ca` / `kubernetes-ca`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for anything else.
    pub fn parse(s: &str) -> Result<SecretComponent> {
        match s {
            "talos-ca" | "TALOS_CA" => Ok(SecretComponent::TalosCa),
            "kubernetes-ca" | "KUBERNETES_CA" => Ok(SecretComponent::KubernetesCa),
            other => Err(Error::InvalidArgument(format!(
                "unknown secret {other:?} (talos-ca or kubernetes-ca)"
            ))),
        }
    }

    fn request_type(self) -> &'static str {
        match self {
            SecretComponent::TalosCa => "RotateTalosCAs.omni.sidero.dev",
            SecretComponent::KubernetesCa => "RotateKubernetesCAs.omni.sidero.dev",
        }
    }

    fn number(self) -> i64 {
        match self {
            SecretComponent::TalosCa => 1,
            SecretComponent::KubernetesCa => 2,
        }
    }
}

/// A cluster's secret-rotation state (`ClusterSecretsRotationStatus`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RotationStatus {
    /// `OK` (nothing in progress), `PRE_ROTATE`, `ROTATE`, `POST_ROTATE`.
    pub phase: String,
    /// `NONE`, `TALOS_CA`, `KUBERNETES_CA`.
    pub component: String,
    /// What is happening now.
    pub status: String,
    /// The current step.
    pub step: String,
    /// The last error, if any.
    pub error: String,
}

impl RotationStatus {
    /// From the status resource's spec (protojson, enums as numbers).
    pub fn from_spec(spec: &Value) -> RotationStatus {
        let num = |k: &str| spec.get(k).and_then(Value::as_i64).unwrap_or(0);
        let text = |k: &str| {
            spec.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        RotationStatus {
            phase: match num("phase") {
                1 => "PRE_ROTATE",
                2 => "ROTATE",
                3 => "POST_ROTATE",
                _ => "OK",
            }
            .to_string(),
            component: match num("component") {
                1 => "TALOS_CA",
                2 => "KUBERNETES_CA",
                _ => "NONE",
            }
            .to_string(),
            status: text("status"),
            step: text("step"),
            error: text("error"),
        }
    }

    /// Nothing is being rotated.
    pub fn idle(&self) -> bool {
        self.phase == "OK"
    }
}

/// Cluster and machine operations of one client.
#[derive(Clone, Debug)]
pub struct Operations {
    client: OmniClient,
}

impl OmniClient {
    /// Cluster and machine operations.
    pub fn operations(&self) -> Operations {
        Operations {
            client: self.clone(),
        }
    }
}

impl Operations {
    /// Get, change, update; re-read and retry when someone else updated it in between
    /// (as omnictl's update-with-conflicts does). Returns the written resource.
    pub(crate) async fn modify(
        &self,
        type_name: &str,
        id: &str,
        opts: &CallOptions,
        change: impl Fn(&mut Resource),
    ) -> Result<Resource> {
        let h = self.client.resources_in(type_name, "default").await?;
        let mut last = None;
        for _ in 0..5 {
            let mut r = h.get(id, opts).await?;
            change(&mut r);
            match h.update(&r, opts).await {
                Ok(r) => return Ok(r),
                Err(
                    e @ Error::Status {
                        current_version: Some(_),
                        ..
                    },
                ) => {
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::Transport("update kept conflicting".into())))
    }

    /// `omnictl cluster lock|unlock <cluster>`: no config updates or upgrades while locked.
    /// Unlocking also clears an unfinished import's marker.
    ///
    /// # Errors
    /// `NOT_FOUND`, permission errors.
    pub async fn set_cluster_locked(
        &self,
        cluster: &str,
        locked: bool,
        opts: &CallOptions,
    ) -> Result<Resource> {
        self.modify(CLUSTER, cluster, opts, |r| {
            let a = &mut r.metadata.annotations;
            if locked {
                a.insert(ANN_CLUSTER_LOCKED.into(), String::new());
            } else {
                a.remove(ANN_CLUSTER_LOCKED);
                a.remove(ANN_IMPORT_IN_PROGRESS);
            }
        })
        .await
    }

    /// `omnictl cluster machine lock|unlock <machine>` (annotation on its MachineSetNode).
    ///
    /// # Errors
    /// `NOT_FOUND` when the machine is in no machine set; permission errors.
    pub async fn set_machine_locked(
        &self,
        machine: &str,
        locked: bool,
        opts: &CallOptions,
    ) -> Result<Resource> {
        self.modify(MACHINE_SET_NODE, machine, opts, |r| {
            let a = &mut r.metadata.annotations;
            if locked {
                a.insert(ANN_MACHINE_LOCKED.into(), String::new());
            } else {
                a.remove(ANN_MACHINE_LOCKED);
            }
        })
        .await
    }

    /// `omnictl cluster machine delete <machine>`: with `force_etcd_leave`, first ask Omni to
    /// destroy the node without a graceful etcd leave (a NodeForceDestroyRequest; may break
    /// etcd quorum); with `skip_wipe` (omnictl's `--force`), tear down the machine's Link so
    /// that it leaves the account without being wiped; then remove its MachineSetNode and wait
    /// until its ClusterMachine is gone (bound the wait with the options' timeout or cancel token).
    /// Returns omnictl's progress lines.
    ///
    /// # Errors
    /// `NOT_FOUND` when the machine is not in a cluster; server errors; the timeout.
    pub async fn delete_cluster_machine(
        &self,
        machine: &str,
        how: MachineDelete,
        opts: &CallOptions,
    ) -> Result<Vec<String>> {
        let mut out = Vec::new();
        self.delete_cluster_machine_with(machine, how, opts, &mut |l| out.push(l.to_string()))
            .await?;
        Ok(out)
    }

    /// [`delete_cluster_machine`](Self::delete_cluster_machine), giving each progress line to
    /// `progress` as it happens (the CLI prints them while it waits).
    ///
    /// # Errors
    /// As [`delete_cluster_machine`](Self::delete_cluster_machine).
    pub async fn delete_cluster_machine_with(
        &self,
        machine: &str,
        how: MachineDelete,
        opts: &CallOptions,
        progress: &mut dyn FnMut(&str),
    ) -> Result<()> {
        let cms = self.client.resources_in(CLUSTER_MACHINE, "default").await?;
        let cm = cms.get(machine, opts).await?;
        if how.force_etcd_leave {
            progress(&format!(
                "create {NODE_FORCE_DESTROY} for machine {machine}\n"
            ));
            let cluster = cm.metadata.labels.get(LABEL_CLUSTER).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "failed to get cluster label from {CLUSTER_MACHINE} {machine}"
                ))
            })?;
            let mut md = ResourceMetadata::new("default", NODE_FORCE_DESTROY, machine);
            md.labels.insert(LABEL_CLUSTER.into(), cluster.clone());
            let req = Resource::new(md, Value::Object(Default::default()));
            let h = self
                .client
                .resources_in(NODE_FORCE_DESTROY, "default")
                .await?;
            match h.create(&req, opts).await {
                Ok(_) => {}
                Err(e) if e.code() == Code::AlreadyExists => {}
                Err(e) => {
                    return Err(Error::InvalidArgument(format!(
                        "failed to create {NODE_FORCE_DESTROY} for machine {machine}: {e}"
                    )))
                }
            }
        }
        if how.skip_wipe {
            let links = self.client.resources_in(LINK, "default").await?;
            match links.teardown(machine, opts).await {
                Ok(_) => {}
                Err(e) if e.code() == Code::NotFound => {}
                Err(e) => {
                    return Err(Error::InvalidArgument(format!(
                        "failed to teardown {LINK} for machine {machine}: {e}"
                    )))
                }
            }
            progress(&format!("teardown {LINK} {machine}\n"));
        }
        let msns = self
            .client
            .resources_in(MACHINE_SET_NODE, "default")
            .await?;
        if msns.get_opt(machine, opts).await?.is_some() {
            progress(&format!("destroy {MACHINE_SET_NODE} {machine}"));
            msns.delete(machine, opts).await?;
        }
        progress(&format!(
            "wait until {CLUSTER_MACHINE} {machine} is destroyed"
        ));
        let mut w = cms.watch(
            WatchParams {
                id: Some(machine.to_string()),
                ..WatchParams::default()
            },
            opts.clone(),
        );
        while let Some(ev) = w.next().await {
            if ev?.kind == WatchEventKind::Destroyed {
                progress(&format!("{CLUSTER_MACHINE} {machine} is destroyed"));
                return Ok(());
            }
        }
        Err(Error::Transport(
            "watch ended before the machine was destroyed".into(),
        ))
    }

    /// The secret-rotation state of `cluster` (`omnictl cluster secret rotate status`).
    ///
    /// # Errors
    /// `NOT_FOUND` for an unknown cluster or one without a status yet.
    pub async fn secret_rotation_status(
        &self,
        cluster: &str,
        opts: &CallOptions,
    ) -> Result<RotationStatus> {
        self.client
            .resources_in(CLUSTER, "default")
            .await?
            .get(cluster, opts)
            .await?;
        let st = self
            .client
            .resources_in(ROTATION_STATUS, "default")
            .await?
            .get(cluster, opts)
            .await?;
        Ok(RotationStatus::from_spec(&st.spec))
    }

    /// Start rotating a cluster secret (`omnictl cluster secret rotate talos-ca|kubernetes-ca`)
    /// and return the status it starts from. When the same rotation is already running the
    /// call returns its status and writes nothing; watch `ClusterSecretsRotationStatuses`
    /// (id = cluster) to follow it until the phase is back to `OK`.
    ///
    /// # Errors
    /// `FAILED_PRECONDITION` when a rotation of the other secret is in progress.
    pub async fn rotate_secret(
        &self,
        cluster: &str,
        component: SecretComponent,
        opts: &CallOptions,
    ) -> Result<RotationStatus> {
        let status = self.secret_rotation_status(cluster, opts).await?;
        if !status.idle() {
            let same =
                RotationStatus::from_spec(&serde_json::json!({ "component": component.number() }));
            if status.component != same.component {
                return Err(Error::Status {
                    code: Code::FailedPrecondition,
                    message: format!(
                        "another rotation is already in progress for {}",
                        status.component
                    ),
                    current_version: None,
                });
            }
            return Ok(status);
        }
        let h = self
            .client
            .resources_in(component.request_type(), "default")
            .await?;
        let stamp = crate::transport::runtime::now_secs().to_string();
        match h.get_opt(cluster, opts).await? {
            Some(_) => {
                self.modify(component.request_type(), cluster, opts, |r| {
                    r.metadata
                        .annotations
                        .insert("timestamp".into(), stamp.clone());
                })
                .await?;
            }
            None => {
                let mut md = ResourceMetadata::new("default", component.request_type(), cluster);
                md.annotations.insert("timestamp".into(), stamp);
                h.create(&Resource::new(md, Value::Object(Default::default())), opts)
                    .await?;
            }
        }
        Ok(status)
    }

    /// `omnictl cluster import abort <cluster>`: undo an unfinished import — only for a
    /// cluster that is locked and whose status is tainted as importing. Tears the cluster
    /// down, waits until it is gone, then tears down the Links of its machines. Returns
    /// omnictl's progress lines. (The import itself needs direct Talos API access to the
    /// nodes, which a browser or Worker does not have; see the README.)
    ///
    /// # Errors
    /// `FAILED_PRECONDITION` when the cluster is not locked or not importing; server errors.
    pub async fn abort_cluster_import(
        &self,
        cluster: &str,
        opts: &CallOptions,
    ) -> Result<Vec<String>> {
        let clusters = self.client.resources_in(CLUSTER, "default").await?;
        let c = clusters.get(cluster, opts).await?;
        let status = self
            .client
            .resources_in(CLUSTER_STATUS, "default")
            .await?
            .get(cluster, opts)
            .await?;
        let precondition = |message: String| Error::Status {
            code: Code::FailedPrecondition,
            message,
            current_version: None,
        };
        if !status
            .metadata
            .labels
            .contains_key(LABEL_TAINTED_BY_IMPORTING)
        {
            return Err(precondition(format!(
                "cluster {cluster:?} is not tainted as importing"
            )));
        }
        if !c.metadata.annotations.contains_key(ANN_CLUSTER_LOCKED) {
            return Err(precondition(format!("cluster {cluster:?} is not locked")));
        }
        let nodes = self
            .client
            .resources_in(MACHINE_SET_NODE, "default")
            .await?
            .list(
                &super::ListParams::default().selector(format!("{LABEL_CLUSTER}={cluster}")),
                opts,
            )
            .await?;
        clusters.teardown(cluster, opts).await?;
        let mut w = clusters.watch(
            WatchParams {
                id: Some(cluster.to_string()),
                ..WatchParams::default()
            },
            opts.clone(),
        );
        loop {
            match w.next().await {
                Some(Ok(ev)) if ev.kind == WatchEventKind::Destroyed => break,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => {
                    return Err(Error::Transport(
                        "watch ended before the cluster was destroyed".into(),
                    ))
                }
            }
        }
        let links = self.client.resources_in(LINK, "default").await?;
        let mut out = Vec::new();
        for n in nodes {
            out.push(format!(
                "removing link for machine {:?} from Omni",
                n.metadata.id
            ));
            match links.teardown(&n.metadata.id, opts).await {
                Ok(_) => {}
                Err(e) if e.code() == Code::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        out.push(format!(
            "import operation was aborted successfully for cluster {cluster:?}"
        ));
        Ok(out)
    }
}
