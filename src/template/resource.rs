//! Rendered resources: metadata + typed spec, their YAML view and their protobuf-JSON view.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::emit::{Emitter, Y};

/// Resource type strings.
pub mod types {
    /// `Clusters.omni.sidero.dev`
    pub const CLUSTER: &str = "Clusters.omni.sidero.dev";
    /// `MachineSets.omni.sidero.dev`
    pub const MACHINE_SET: &str = "MachineSets.omni.sidero.dev";
    /// `MachineSetNodes.omni.sidero.dev`
    pub const MACHINE_SET_NODE: &str = "MachineSetNodes.omni.sidero.dev";
    /// `ConfigPatches.omni.sidero.dev`
    pub const CONFIG_PATCH: &str = "ConfigPatches.omni.sidero.dev";
    /// `ExtensionsConfigurations.omni.sidero.dev`
    pub const EXTENSIONS_CONFIGURATION: &str = "ExtensionsConfigurations.omni.sidero.dev";
    /// `KernelArgs.omni.sidero.dev`
    pub const KERNEL_ARGS: &str = "KernelArgs.omni.sidero.dev";
    /// `MachineInstallDiskConfigs.omni.sidero.dev`
    pub const MACHINE_INSTALL_DISK_CONFIG: &str = "MachineInstallDiskConfigs.omni.sidero.dev";
    /// `KubernetesManifestGroups.omni.sidero.dev`
    pub const KUBERNETES_MANIFEST_GROUP: &str = "KubernetesManifestGroups.omni.sidero.dev";
    /// `KubernetesHealthChecks.omni.sidero.dev`
    pub const KUBERNETES_HEALTH_CHECK: &str = "KubernetesHealthChecks.omni.sidero.dev";
}

/// Resource metadata as COSI carries it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Metadata {
    /// Always `default` for template resources.
    pub namespace: String,
    /// Full type string (see [`types`]).
    pub resource_type: String,
    /// Resource ID.
    pub id: String,
    /// Version; `None` prints as `undefined`.
    pub version: Option<u64>,
    /// Owner (empty for user resources).
    pub owner: String,
    /// `running` or `tearingDown`.
    pub phase: String,
    /// RFC3339 creation time; `None` prints the zero time.
    pub created: Option<String>,
    /// RFC3339 update time; `None` prints the zero time.
    pub updated: Option<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// Finalizers.
    pub finalizers: Vec<String>,
}

/// A protobuf `Duration`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Duration {
    /// Whole seconds.
    pub seconds: i64,
    /// Remaining nanoseconds.
    pub nanos: i32,
}

impl Duration {
    pub(crate) fn from_nanos(ns: i64) -> Duration {
        Duration {
            seconds: ns / 1_000_000_000,
            nanos: (ns % 1_000_000_000) as i32,
        }
    }
    pub(crate) fn as_nanos(self) -> i64 {
        self.seconds * 1_000_000_000 + i64::from(self.nanos)
    }
}

/// `ClusterSpec`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ClusterSpec {
    /// `kubernetes_version` (no leading `v`).
    pub kubernetes_version: String,
    /// `talos_version` (no leading `v`).
    pub talos_version: String,
    /// `features`.
    pub features: Option<ClusterFeatures>,
    /// `backup_configuration`: `(interval, enabled)`.
    pub backup_configuration: Option<(Option<Duration>, bool)>,
}

/// `ClusterSpec.Features`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ClusterFeatures {
    /// `enable_workload_proxy`
    pub enable_workload_proxy: bool,
    /// `disk_encryption`
    pub disk_encryption: bool,
    /// `use_embedded_discovery_service`
    pub use_embedded_discovery_service: bool,
    /// `enable_node_audit_skip`
    pub enable_node_audit_skip: bool,
    /// `disable_public_discovery_service`
    pub disable_public_discovery_service: bool,
}

/// `MachineSetSpec.MachineAllocation`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MachineAllocation {
    /// `name`
    pub name: String,
    /// `machine_count`
    pub machine_count: u32,
    /// `allocation_type`: Static = 0, Unlimited = 1.
    pub allocation_type: i32,
}

/// `MachineSetSpec`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MachineSetSpec {
    /// `update_strategy`: Unset = 0, Rolling = 1.
    pub update_strategy: i32,
    /// `machine_class` (deprecated).
    pub machine_class: Option<MachineAllocation>,
    /// `bootstrap_spec`: `(cluster_uuid, snapshot)`.
    pub bootstrap_spec: Option<(String, String)>,
    /// `delete_strategy`
    pub delete_strategy: i32,
    /// `update_strategy_config`: `Some(rolling)`, rolling = `Some(max_parallelism)`.
    pub update_strategy_config: Option<Option<u32>>,
    /// `delete_strategy_config`
    pub delete_strategy_config: Option<Option<u32>>,
    /// `machine_allocation`
    pub machine_allocation: Option<MachineAllocation>,
    /// `upgrade_strategy`
    pub upgrade_strategy: i32,
    /// `upgrade_strategy_config`
    pub upgrade_strategy_config: Option<Option<u32>>,
}

/// A typed spec of every resource type templates produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spec {
    /// `ClusterSpec`
    Cluster(ClusterSpec),
    /// `MachineSetSpec`
    MachineSet(MachineSetSpec),
    /// `MachineSetNodeSpec` (empty)
    MachineSetNode,
    /// `ConfigPatchSpec` (uncompressed `data`)
    ConfigPatch {
        /// `data`
        data: String,
    },
    /// `ExtensionsConfigurationSpec`
    ExtensionsConfiguration {
        /// `extensions`
        extensions: Vec<String>,
    },
    /// `KernelArgsSpec`
    KernelArgs {
        /// `args`
        args: Vec<String>,
    },
    /// `MachineInstallDiskConfigSpec`
    MachineInstallDiskConfig {
        /// `disk_selector`
        disk_selector: String,
        /// `disk`
        disk: String,
    },
    /// `KubernetesManifestGroupSpec` (uncompressed `data`; mode FULL = 1, ONE_TIME = 2)
    KubernetesManifestGroup {
        /// `data`
        data: String,
        /// `mode`
        mode: i32,
    },
    /// `KubernetesHealthCheckSpec`
    KubernetesHealthCheck {
        /// `job`
        job: String,
        /// `interval`
        interval: Option<Duration>,
    },
}

/// One resource produced by a template (or read back from Omni for diff/plan/export).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedResource {
    /// Metadata.
    pub metadata: Metadata,
    /// Spec.
    pub spec: Spec,
}

fn dur_y(d: &Option<Duration>) -> Y {
    match d {
        None => Y::Null,
        Some(d) => Y::map(vec![
            ("seconds", Y::Int(d.seconds)),
            ("nanos", Y::Int(i64::from(d.nanos))),
        ]),
    }
}

fn alloc_y(a: &Option<MachineAllocation>) -> Y {
    match a {
        None => Y::Null,
        Some(a) => Y::map(vec![
            ("name", Y::str(a.name.clone())),
            ("machinecount", Y::Uint(u64::from(a.machine_count))),
            ("allocationtype", Y::Int(i64::from(a.allocation_type))),
        ]),
    }
}

fn strat_y(s: &Option<Option<u32>>) -> Y {
    match s {
        None => Y::Null,
        Some(r) => Y::map(vec![(
            "rolling",
            match r {
                None => Y::Null,
                Some(m) => Y::map(vec![("maxparallelism", Y::Uint(u64::from(*m)))]),
            },
        )]),
    }
}

fn list_y(l: &[String]) -> Y {
    Y::Seq(l.iter().map(|s| Y::str(s.clone())).collect())
}

impl Spec {
    /// The spec as omnictl's YAML view shows it (Go field names lower-cased).
    pub(crate) fn to_y(&self) -> Y {
        match self {
            Spec::Cluster(c) => Y::map(vec![
                ("kubernetesversion", Y::str(c.kubernetes_version.clone())),
                ("talosversion", Y::str(c.talos_version.clone())),
                (
                    "features",
                    match &c.features {
                        None => Y::Null,
                        Some(f) => Y::map(vec![
                            ("enableworkloadproxy", Y::Bool(f.enable_workload_proxy)),
                            ("diskencryption", Y::Bool(f.disk_encryption)),
                            (
                                "useembeddeddiscoveryservice",
                                Y::Bool(f.use_embedded_discovery_service),
                            ),
                            ("enablenodeauditskip", Y::Bool(f.enable_node_audit_skip)),
                            (
                                "disablepublicdiscoveryservice",
                                Y::Bool(f.disable_public_discovery_service),
                            ),
                        ]),
                    },
                ),
                (
                    "backupconfiguration",
                    match &c.backup_configuration {
                        None => Y::Null,
                        Some((i, e)) => {
                            Y::map(vec![("interval", dur_y(i)), ("enabled", Y::Bool(*e))])
                        }
                    },
                ),
            ]),
            Spec::MachineSet(m) => Y::map(vec![
                ("updatestrategy", Y::Int(i64::from(m.update_strategy))),
                ("machineclass", alloc_y(&m.machine_class)),
                (
                    "bootstrapspec",
                    match &m.bootstrap_spec {
                        None => Y::Null,
                        Some((u, s)) => Y::map(vec![
                            ("clusteruuid", Y::str(u.clone())),
                            ("snapshot", Y::str(s.clone())),
                        ]),
                    },
                ),
                ("deletestrategy", Y::Int(i64::from(m.delete_strategy))),
                ("updatestrategyconfig", strat_y(&m.update_strategy_config)),
                ("deletestrategyconfig", strat_y(&m.delete_strategy_config)),
                ("machineallocation", alloc_y(&m.machine_allocation)),
                ("upgradestrategy", Y::Int(i64::from(m.upgrade_strategy))),
                ("upgradestrategyconfig", strat_y(&m.upgrade_strategy_config)),
            ]),
            Spec::MachineSetNode => Y::Map(vec![]),
            Spec::ConfigPatch { data } => Y::map(vec![
                ("data", Y::str(data.clone())),
                ("compresseddata", Y::Seq(vec![])),
            ]),
            Spec::ExtensionsConfiguration { extensions } => {
                Y::map(vec![("extensions", list_y(extensions))])
            }
            Spec::KernelArgs { args } => Y::map(vec![("args", list_y(args))]),
            Spec::MachineInstallDiskConfig {
                disk_selector,
                disk,
            } => Y::map(vec![
                ("diskselector", Y::str(disk_selector.clone())),
                ("disk", Y::str(disk.clone())),
            ]),
            Spec::KubernetesManifestGroup { data, mode } => Y::map(vec![
                ("compresseddata", Y::Seq(vec![])),
                ("data", Y::str(data.clone())),
                ("mode", Y::Int(i64::from(*mode))),
            ]),
            Spec::KubernetesHealthCheck { job, interval } => Y::map(vec![
                ("job", Y::str(job.clone())),
                ("interval", dur_y(interval)),
            ]),
        }
    }

    /// The spec as a JSON object keyed by **proto field names** (snake_case), suitable for
    /// pbjson deserialisation of the matching `*Spec` message. Enums are numbers, durations
    /// are pbjson strings (`"7200s"`), `compressed_data` is omitted (content is in `data`).
    pub fn to_proto_json(&self) -> Value {
        let dur = |d: &Duration| -> Value {
            if d.nanos == 0 {
                json!(format!("{}s", d.seconds))
            } else {
                json!(format!("{}.{:09}s", d.seconds, d.nanos.unsigned_abs()))
            }
        };
        let alloc = |a: &MachineAllocation| json!({"name": a.name, "machine_count": a.machine_count, "allocation_type": a.allocation_type});
        let strat = |s: &Option<u32>| match s {
            None => json!({}),
            Some(m) => json!({"rolling": {"max_parallelism": m}}),
        };
        match self {
            Spec::Cluster(c) => {
                let mut o = json!({
                    "kubernetes_version": c.kubernetes_version,
                    "talos_version": c.talos_version,
                });
                if let Some(f) = &c.features {
                    o["features"] = json!({
                        "enable_workload_proxy": f.enable_workload_proxy,
                        "disk_encryption": f.disk_encryption,
                        "use_embedded_discovery_service": f.use_embedded_discovery_service,
                        "enable_node_audit_skip": f.enable_node_audit_skip,
                        "disable_public_discovery_service": f.disable_public_discovery_service,
                    });
                }
                if let Some((i, e)) = &c.backup_configuration {
                    let mut b = json!({"enabled": e});
                    if let Some(i) = i {
                        b["interval"] = dur(i);
                    }
                    o["backup_configuration"] = b;
                }
                o
            }
            Spec::MachineSet(m) => {
                let mut o = json!({
                    "update_strategy": m.update_strategy,
                    "delete_strategy": m.delete_strategy,
                    "upgrade_strategy": m.upgrade_strategy,
                });
                if let Some(a) = &m.machine_class {
                    o["machine_class"] = alloc(a);
                }
                if let Some(a) = &m.machine_allocation {
                    o["machine_allocation"] = alloc(a);
                }
                if let Some((u, s)) = &m.bootstrap_spec {
                    o["bootstrap_spec"] = json!({"cluster_uuid": u, "snapshot": s});
                }
                if let Some(s) = &m.update_strategy_config {
                    o["update_strategy_config"] = strat(s);
                }
                if let Some(s) = &m.delete_strategy_config {
                    o["delete_strategy_config"] = strat(s);
                }
                if let Some(s) = &m.upgrade_strategy_config {
                    o["upgrade_strategy_config"] = strat(s);
                }
                o
            }
            Spec::MachineSetNode => json!({}),
            Spec::ConfigPatch { data } => json!({ "data": data }),
            Spec::ExtensionsConfiguration { extensions } => json!({ "extensions": extensions }),
            Spec::KernelArgs { args } => json!({ "args": args }),
            Spec::MachineInstallDiskConfig {
                disk_selector,
                disk,
            } => json!({"disk_selector": disk_selector, "disk": disk}),
            Spec::KubernetesManifestGroup { data, mode } => json!({"data": data, "mode": mode}),
            Spec::KubernetesHealthCheck { job, interval } => {
                let mut o = json!({ "job": job });
                if let Some(i) = interval {
                    o["interval"] = dur(i);
                }
                o
            }
        }
    }
}

const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

impl RenderedResource {
    /// The `{metadata, spec}` document as a value for the emitter.
    pub(crate) fn to_y(&self) -> Y {
        let m = &self.metadata;
        let mut md: Vec<(Y, Y)> = vec![
            (Y::raw("namespace"), Y::raw(m.namespace.clone())),
            (Y::raw("type"), Y::raw(m.resource_type.clone())),
            (Y::raw("id"), Y::raw(m.id.clone())),
            (
                Y::raw("version"),
                Y::raw(
                    m.version
                        .map_or_else(|| "undefined".to_string(), |v| v.to_string()),
                ),
            ),
            (Y::raw("owner"), Y::raw(m.owner.clone())),
            (Y::raw("phase"), Y::raw(m.phase.clone())),
            (
                Y::raw("created"),
                Y::raw(m.created.clone().unwrap_or_else(|| ZERO_TIME.into())),
            ),
            (
                Y::raw("updated"),
                Y::raw(m.updated.clone().unwrap_or_else(|| ZERO_TIME.into())),
            ),
        ];
        let kv = |map: &BTreeMap<String, String>| {
            Y::Map(
                map.iter()
                    .map(|(k, v)| (Y::raw(k.clone()), Y::raw(v.clone())))
                    .collect(),
            )
        };
        if !m.labels.is_empty() {
            md.push((Y::raw("labels"), kv(&m.labels)));
        }
        if !m.annotations.is_empty() {
            md.push((Y::raw("annotations"), kv(&m.annotations)));
        }
        if !m.finalizers.is_empty() {
            md.push((
                Y::raw("finalizers"),
                Y::Seq(m.finalizers.iter().map(|f| Y::raw(f.clone())).collect()),
            ));
        }
        Y::Map(vec![
            (Y::raw("metadata"), Y::Map(md)),
            (Y::raw("spec"), self.spec.to_y()),
        ])
    }

    /// `Type(namespace/id)` as omnictl prints it.
    pub fn display_name(&self) -> String {
        format!(
            "{}({}/{})",
            self.metadata.resource_type, self.metadata.namespace, self.metadata.id
        )
    }

    /// This resource as one YAML document with indentation step `indent` (2 = omnictl, 4 = goldens).
    pub fn to_yaml(&self, indent: usize) -> String {
        let mut e = Emitter::new(indent);
        e.document(&self.to_y());
        e.finish()
    }
}

/// Writes resources as a YAML stream, documents separated by `---`.
pub fn resources_to_yaml(resources: &[RenderedResource], indent: usize) -> String {
    let mut e = Emitter::new(indent);
    for (i, r) in resources.iter().enumerate() {
        if i > 0 {
            e.separator();
        }
        e.document(&r.to_y());
    }
    e.finish()
}
