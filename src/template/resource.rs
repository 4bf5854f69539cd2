//! Rendered resources: metadata + typed spec, their YAML view and their protobuf-JSON view.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::goyaml::emit::{Emitter, Y};

pub use super::api::types;

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

fn field<'a>(v: &'a Value, snake: &str, camel: &str) -> Option<&'a Value> {
    v.get(snake)
        .or_else(|| v.get(camel))
        .filter(|x| !x.is_null())
}

fn json_str(v: &Value, snake: &str, camel: &str) -> String {
    field(v, snake, camel)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn json_bool(v: &Value, snake: &str, camel: &str) -> bool {
    field(v, snake, camel)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn json_u32(v: &Value, snake: &str, camel: &str) -> u32 {
    field(v, snake, camel)
        .and_then(|x| {
            x.as_u64()
                .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
        })
        .and_then(|x| u32::try_from(x).ok())
        .unwrap_or(0)
}

fn json_enum(v: &Value, snake: &str, camel: &str, names: &[&str]) -> i32 {
    match field(v, snake, camel) {
        Some(Value::Number(n)) => n.as_i64().and_then(|i| i32::try_from(i).ok()).unwrap_or(0),
        Some(Value::String(s)) => names
            .iter()
            .position(|n| n == s)
            .and_then(|i| i32::try_from(i).ok())
            .unwrap_or(0),
        _ => 0,
    }
}

fn json_list(v: &Value, key: &str) -> Vec<String> {
    field(v, key, key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn json_duration(v: Option<&Value>) -> Option<Duration> {
    match v? {
        Value::String(s) => {
            let body = s.strip_suffix('s')?;
            let (secs, frac) = body.split_once('.').unwrap_or((body, ""));
            let seconds: i64 = secs.parse().ok()?;
            let mut nanos: i32 = 0;
            if !frac.is_empty() {
                let padded = format!("{frac:0<9}");
                nanos = padded.get(..9)?.parse().ok()?;
                if seconds < 0 || secs.starts_with('-') {
                    nanos = -nanos;
                }
            }
            Some(Duration { seconds, nanos })
        }
        Value::Object(o) => Some(Duration {
            seconds: o.get("seconds").and_then(|x| {
                x.as_i64()
                    .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
            })?,
            nanos: o
                .get("nanos")
                .and_then(Value::as_i64)
                .and_then(|n| i32::try_from(n).ok())
                .unwrap_or(0),
        }),
        _ => None,
    }
}

fn json_alloc(v: Option<&Value>) -> Option<MachineAllocation> {
    let v = v?;
    Some(MachineAllocation {
        name: json_str(v, "name", "name"),
        machine_count: json_u32(v, "machine_count", "machineCount"),
        allocation_type: json_enum(
            v,
            "allocation_type",
            "allocationType",
            &["Static", "Unlimited"],
        ),
    })
}

fn json_strategy(v: Option<&Value>) -> Option<Option<u32>> {
    let v = v?;
    Some(field(v, "rolling", "rolling").map(|r| json_u32(r, "max_parallelism", "maxParallelism")))
}

impl Spec {
    /// Builds a spec from the protobuf JSON of the `*Spec` message of `resource_type`, as
    /// pbjson or Omni's gateway writes it (lowerCamelCase or proto field names, enums as names
    /// or numbers, durations as `"7200s"`). `None` for types templates do not produce.
    ///
    /// `data` must be the **uncompressed** content: the caller decompresses `compressed_data`
    /// (zstd) first and puts the text in `data`.
    pub fn from_proto_json(resource_type: &str, v: &Value) -> Option<Spec> {
        const STRATEGY: &[&str] = &["Unset", "Rolling"];
        Some(match resource_type {
            types::CLUSTER => Spec::Cluster(ClusterSpec {
                kubernetes_version: json_str(v, "kubernetes_version", "kubernetesVersion"),
                talos_version: json_str(v, "talos_version", "talosVersion"),
                features: field(v, "features", "features").map(|f| ClusterFeatures {
                    enable_workload_proxy: json_bool(
                        f,
                        "enable_workload_proxy",
                        "enableWorkloadProxy",
                    ),
                    disk_encryption: json_bool(f, "disk_encryption", "diskEncryption"),
                    use_embedded_discovery_service: json_bool(
                        f,
                        "use_embedded_discovery_service",
                        "useEmbeddedDiscoveryService",
                    ),
                    enable_node_audit_skip: json_bool(
                        f,
                        "enable_node_audit_skip",
                        "enableNodeAuditSkip",
                    ),
                    disable_public_discovery_service: json_bool(
                        f,
                        "disable_public_discovery_service",
                        "disablePublicDiscoveryService",
                    ),
                }),
                backup_configuration: field(v, "backup_configuration", "backupConfiguration").map(
                    |b| {
                        (
                            json_duration(field(b, "interval", "interval")),
                            json_bool(b, "enabled", "enabled"),
                        )
                    },
                ),
            }),
            types::MACHINE_SET => Spec::MachineSet(MachineSetSpec {
                update_strategy: json_enum(v, "update_strategy", "updateStrategy", STRATEGY),
                machine_class: json_alloc(field(v, "machine_class", "machineClass")),
                bootstrap_spec: field(v, "bootstrap_spec", "bootstrapSpec").map(|b| {
                    (
                        json_str(b, "cluster_uuid", "clusterUuid"),
                        json_str(b, "snapshot", "snapshot"),
                    )
                }),
                delete_strategy: json_enum(v, "delete_strategy", "deleteStrategy", STRATEGY),
                update_strategy_config: json_strategy(field(
                    v,
                    "update_strategy_config",
                    "updateStrategyConfig",
                )),
                delete_strategy_config: json_strategy(field(
                    v,
                    "delete_strategy_config",
                    "deleteStrategyConfig",
                )),
                machine_allocation: json_alloc(field(v, "machine_allocation", "machineAllocation")),
                upgrade_strategy: json_enum(v, "upgrade_strategy", "upgradeStrategy", STRATEGY),
                upgrade_strategy_config: json_strategy(field(
                    v,
                    "upgrade_strategy_config",
                    "upgradeStrategyConfig",
                )),
            }),
            types::MACHINE_SET_NODE => Spec::MachineSetNode,
            types::CONFIG_PATCH => Spec::ConfigPatch {
                data: json_str(v, "data", "data"),
            },
            types::EXTENSIONS_CONFIGURATION => Spec::ExtensionsConfiguration {
                extensions: json_list(v, "extensions"),
            },
            types::KERNEL_ARGS => Spec::KernelArgs {
                args: json_list(v, "args"),
            },
            types::MACHINE_INSTALL_DISK_CONFIG => Spec::MachineInstallDiskConfig {
                disk_selector: json_str(v, "disk_selector", "diskSelector"),
                disk: json_str(v, "disk", "disk"),
            },
            types::KUBERNETES_MANIFEST_GROUP => Spec::KubernetesManifestGroup {
                data: json_str(v, "data", "data"),
                mode: json_enum(v, "mode", "mode", &["UNKNOWN", "FULL", "ONE_TIME"]),
            },
            types::KUBERNETES_HEALTH_CHECK => Spec::KubernetesHealthCheck {
                job: json_str(v, "job", "job"),
                interval: json_duration(field(v, "interval", "interval")),
            },
            _ => return None,
        })
    }
}

const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

impl RenderedResource {
    /// `{ metadata, spec }` in the library's resource shape (spec as protojson with proto field
    /// names) — what `OmniClient.apply` takes and `renderTemplateResources` returns.
    pub fn to_json(&self) -> Value {
        let m = &self.metadata;
        let mut meta = json!({
            "namespace": m.namespace,
            "type": m.resource_type,
            "id": m.id,
            "labels": m.labels,
            "annotations": m.annotations,
        });
        if let (Some(v), Some(obj)) = (m.version, meta.as_object_mut()) {
            obj.insert("version".into(), Value::String(v.to_string()));
        }
        json!({ "metadata": meta, "spec": self.spec.to_proto_json() })
    }

    /// The inverse of [`to_json`](Self::to_json) for a live resource (`{ metadata, spec }`,
    /// spec as protojson); `None` for types templates do not manage.
    pub fn from_json(v: &Value) -> Option<RenderedResource> {
        let m = v.get("metadata")?;
        let s = |k: &str| {
            m.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let opt = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
        let map = |k: &str| -> BTreeMap<String, String> {
            m.get(k)
                .and_then(Value::as_object)
                .map(|o| {
                    crate::order::map_of(
                        o.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())),
                    )
                })
                .unwrap_or_default()
        };
        let or = |v: String, default: &str| if v.is_empty() { default.to_string() } else { v };
        let resource_type = s("type");
        let spec = Spec::from_proto_json(&resource_type, v.get("spec").unwrap_or(&Value::Null))?;
        Some(RenderedResource {
            metadata: Metadata {
                namespace: or(s("namespace"), "default"),
                resource_type,
                id: s("id"),
                version: s("version").parse().ok(),
                owner: s("owner"),
                phase: or(s("phase"), "running"),
                created: opt("created"),
                updated: opt("updated"),
                labels: map("labels"),
                annotations: map("annotations"),
                finalizers: m
                    .get("finalizers")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            spec,
        })
    }

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
