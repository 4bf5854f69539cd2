//! Template document models and their strict decoding (go-yaml "construct" rules).

use std::collections::BTreeMap;

use crate::goyaml::emit::{to_yaml, Y};
use crate::goyaml::node::{Node, NodeKind, Pos, STag};
use crate::goyaml::scalar::{
    go_quote, parse_float, parse_go_duration, parse_go_int, parse_timestamp, GoInt,
};

/// User labels/annotations (keys sorted).
#[derive(Clone, Debug, Default)]
pub(crate) struct Descriptors {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Patch {
    pub name: String,
    pub id_override: String,
    pub desc: Descriptors,
    pub file: String,
    /// Inline content, already encoded (4.5).
    pub inline: Option<String>,
    /// The inline content as written (a mapping, or a list of them): where in the template a
    /// problem the encoded content has is.
    pub inline_node: Option<Node>,
    pub pos: Pos,
}

impl Patch {
    pub(crate) fn effective_name(&self) -> &str {
        if self.name.is_empty() {
            &self.file
        } else {
            &self.name
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ManifestMode {
    Full = 1,
    OneTime = 2,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Manifest {
    pub name: String,
    pub mode: Option<ManifestMode>,
    pub file: String,
    pub inline: Option<String>,
    pub desc: Descriptors,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct HealthCheck {
    pub name: String,
    pub id_override: String,
    pub job: Option<String>,
    pub file: String,
    pub interval_ns: i64,
    pub desc: Descriptors,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Features {
    pub disk_encryption: bool,
    pub enable_workload_proxy: bool,
    pub use_embedded_discovery_service: bool,
    pub disable_public_discovery_service: Option<bool>,
    pub enable_node_audit_skip: bool,
    pub backup_interval_ns: i64,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Cluster {
    pub name: String,
    pub desc: Descriptors,
    pub kubernetes_version: String,
    pub manifests: Vec<Manifest>,
    pub healthchecks: Vec<HealthCheck>,
    pub talos_version: String,
    pub features: Features,
    pub patches: Vec<Patch>,
    pub system_extensions: Option<Vec<String>>,
    pub kernel_args: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Strategy {
    /// 0 = Unset, 1 = Rolling; None when `type` is absent.
    pub kind: Option<i32>,
    /// `rolling.maxParallelism`, Some when `rolling` is present.
    pub rolling: Option<u32>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct MachineClass {
    pub name: String,
    /// (allocation type, count): Static=0, Unlimited=1.
    pub allocation: (i32, u32),
    /// Size as written (for export/round trip).
    pub size_text: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct MachineSet {
    pub control_plane: bool,
    pub name: String,
    pub desc: Descriptors,
    pub machines: Vec<(String, Pos)>,
    pub machine_class: Option<MachineClass>,
    pub bootstrap: Option<(String, String)>,
    pub update_strategy: Option<Strategy>,
    pub delete_strategy: Option<Strategy>,
    pub upgrade_strategy: Option<Strategy>,
    pub patches: Vec<Patch>,
    pub system_extensions: Option<Vec<String>>,
    pub kernel_args: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Machine {
    pub name: String,
    pub name_pos: Pos,
    pub desc: Descriptors,
    pub locked: bool,
    pub install_disk: String,
    pub install_selector: String,
    pub patches: Vec<Patch>,
    pub system_extensions: Option<Vec<String>>,
    pub kernel_args: Option<Vec<String>>,
}

#[derive(Clone, Debug)]
pub(crate) enum ModelKind {
    Cluster(Box<Cluster>),
    MachineSet(Box<MachineSet>),
    Machine(Box<Machine>),
}

#[derive(Clone, Debug)]
pub(crate) struct Model {
    pub kind: ModelKind,
    pub doc: usize,
    pub start: Pos,
}

/// Collects construct errors of one document.
pub(crate) struct Dec {
    first_line: u32,
    pub errors: Vec<(Pos, String)>,
}

fn short_value(s: &str) -> String {
    if s.len() > 10 {
        let mut end = 7;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    } else {
        s.to_string()
    }
}

impl Dec {
    pub(crate) fn new(first_line: u32) -> Dec {
        Dec {
            first_line,
            errors: Vec::new(),
        }
    }

    pub(crate) fn err(&mut self, pos: Pos, msg: String) {
        self.errors.push((pos, msg));
    }

    /// The `yaml: construct errors: …` text.
    pub(crate) fn text(&self) -> String {
        let parts: Vec<String> = self
            .errors
            .iter()
            .map(|(p, m)| {
                format!(
                    "line {}: {m}",
                    p.line.saturating_sub(self.first_line).saturating_add(1)
                )
            })
            .collect();
        format!("yaml: construct errors: {}", parts.join("; "))
    }

    fn mismatch(&mut self, n: &Node, into: &str) {
        let msg = match &n.kind {
            NodeKind::Scalar { value, .. } => format!(
                "cannot construct {} `{}` into {into}",
                n.tag(),
                short_value(value)
            ),
            _ => format!("cannot construct {} into {into}", n.tag()),
        };
        self.err(n.pos, msg);
    }

    pub(crate) fn string(&mut self, n: &Node) -> String {
        match &n.kind {
            NodeKind::Scalar {
                tag: STag::Null, ..
            } => String::new(),
            NodeKind::Scalar { value, .. } => value.clone(),
            _ => {
                self.mismatch(n, "string");
                String::new()
            }
        }
    }

    pub(crate) fn boolean(&mut self, n: &Node) -> bool {
        match &n.kind {
            NodeKind::Scalar {
                tag: STag::Null, ..
            } => false,
            NodeKind::Scalar { value, tag, .. } => {
                match crate::goyaml::scalar::go_bool(value, *tag) {
                    Some(b) => b,
                    None => {
                        self.mismatch(n, "bool");
                        false
                    }
                }
            }
            _ => {
                self.mismatch(n, "bool");
                false
            }
        }
    }

    pub(crate) fn uint32(&mut self, n: &Node) -> u32 {
        match &n.kind {
            NodeKind::Scalar {
                tag: STag::Null, ..
            } => 0,
            NodeKind::Scalar { value, tag, .. } => {
                let v = match tag {
                    STag::Int => match parse_go_int(value) {
                        Some(GoInt::I(i)) => u32::try_from(i).ok(),
                        Some(GoInt::U(u)) => u32::try_from(u).ok(),
                        None => None,
                    },
                    STag::Float => parse_float(value).and_then(|f| {
                        if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f) {
                            Some(f as u32)
                        } else {
                            None
                        }
                    }),
                    _ => None,
                };
                v.unwrap_or_else(|| {
                    self.mismatch(n, "uint32");
                    0
                })
            }
            _ => {
                self.mismatch(n, "uint32");
                0
            }
        }
    }

    pub(crate) fn duration(&mut self, n: &Node) -> i64 {
        match &n.kind {
            NodeKind::Scalar {
                tag: STag::Null, ..
            } => 0,
            NodeKind::Scalar {
                value,
                tag: STag::Int,
                ..
            } if parse_go_int(value) == Some(GoInt::I(0)) => 0,
            NodeKind::Scalar {
                value,
                tag: STag::Str,
                ..
            } => match parse_go_duration(value) {
                Ok(v) => v,
                Err(e) => {
                    self.err(n.pos, e);
                    0
                }
            },
            _ => {
                self.mismatch(n, "time.Duration");
                0
            }
        }
    }

    /// `[]string` with null = unset (None).
    pub(crate) fn opt_list(&mut self, n: &Node) -> Option<Vec<String>> {
        match &n.kind {
            NodeKind::Scalar {
                tag: STag::Null, ..
            } => None,
            NodeKind::Seq(items) => Some(items.iter().map(|i| self.string(i)).collect()),
            _ => {
                self.mismatch(n, "[]string");
                None
            }
        }
    }

    pub(crate) fn string_map(&mut self, n: &Node) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        match &n.kind {
            NodeKind::Scalar {
                tag: STag::Null, ..
            } => {}
            NodeKind::Map(_) => {
                self.check_duplicates(n);
                for (k, v) in n.map_entries().unwrap_or_default() {
                    let key = self.string(k);
                    let val = self.string(v);
                    out.insert(key, val);
                }
            }
            _ => self.mismatch(n, "map[string]string"),
        }
        out
    }

    pub(crate) fn check_duplicates(&mut self, n: &Node) {
        if let NodeKind::Map(entries) = &n.kind {
            if entries.len() < 2 {
                return;
            }
            let mut seen: std::collections::HashMap<&str, Pos> = std::collections::HashMap::new();
            for (k, _) in entries {
                if let Some(s) = k.scalar() {
                    if let Some(first) = seen.get(s) {
                        let rel = first.line.saturating_sub(self.first_line) + 1;
                        self.err(
                            k.pos,
                            format!("mapping key {} already defined at line {rel}", go_quote(s)),
                        );
                    } else {
                        seen.insert(s, k.pos);
                    }
                }
            }
        }
    }

    /// Iterates the fields of a struct mapping, reporting unknown keys.
    pub(crate) fn fields<'a>(
        &mut self,
        n: &'a Node,
        type_name: &str,
        known: &[&str],
    ) -> Vec<(&'a str, &'a Node)> {
        match &n.kind {
            NodeKind::Scalar {
                tag: STag::Null, ..
            } => Vec::new(),
            NodeKind::Map(_) => {
                self.check_duplicates(n);
                let mut out = Vec::new();
                for (k, v) in n.map_entries().unwrap_or_default() {
                    let key = k.scalar().unwrap_or("");
                    if known.contains(&key) {
                        out.push((key, v));
                    } else {
                        self.err(k.pos, format!("field {key} not found in type {type_name}"));
                    }
                }
                out
            }
            _ => {
                self.mismatch(n, type_name);
                Vec::new()
            }
        }
    }

    /// Inline content (4.5).
    pub(crate) fn inline(&mut self, n: &Node) -> Option<String> {
        match &n.kind {
            NodeKind::Scalar {
                tag: STag::Null, ..
            } => None,
            NodeKind::Scalar { value, tag, .. } => {
                if *tag == STag::Str {
                    Some(value.clone())
                } else {
                    self.err(n.pos, format!("expected string, but got {}", n.tag()));
                    None
                }
            }
            NodeKind::Map(_) => {
                let y = self.generic(n);
                Some(to_yaml(&y, 4))
            }
            NodeKind::Seq(items) => {
                let mut docs = Vec::new();
                for it in items {
                    match &it.kind {
                        NodeKind::Map(_) => {
                            let y = self.generic(it);
                            docs.push(to_yaml(&y, 4));
                        }
                        _ => {
                            self.mismatch(it, "map[string]interface {}");
                            return None;
                        }
                    }
                }
                Some(docs.join("---\n"))
            }
        }
    }

    /// Decodes a node into a generic value (as go-yaml into `interface{}`), keys sorted.
    pub(crate) fn generic(&mut self, n: &Node) -> Y {
        match &n.kind {
            NodeKind::Scalar { value, tag, .. } => scalar_value(value, *tag),
            NodeKind::Seq(items) => Y::Seq(items.iter().map(|i| self.generic(i)).collect()),
            NodeKind::Map(_) => {
                self.check_duplicates(n);
                let mut entries: Vec<(Y, Y)> = Vec::new();
                for (k, v) in n.map_entries().unwrap_or_default() {
                    let key = self.generic(k);
                    let val = self.generic(v);
                    entries.push((key, val));
                }
                crate::order::sort_with(&mut entries, |a, b| {
                    crate::goyaml::sort::natural_cmp(&a.0, &b.0)
                });
                Y::Map(entries)
            }
        }
    }
}

pub(crate) fn scalar_value(value: &str, tag: STag) -> Y {
    match tag {
        STag::Null => Y::Null,
        STag::Bool => Y::Bool(matches!(value, "true" | "True" | "TRUE")),
        STag::Int => match parse_go_int(value) {
            Some(GoInt::I(i)) => Y::Int(i),
            Some(GoInt::U(u)) => Y::Uint(u),
            None => Y::Str(value.to_string()),
        },
        STag::Float => parse_float(value)
            .map(Y::Float)
            .unwrap_or_else(|| Y::Str(value.to_string())),
        STag::Timestamp => parse_timestamp(value)
            .map(Y::Raw)
            .unwrap_or_else(|| Y::Str(value.to_string())),
        _ => Y::Str(value.to_string()),
    }
}

const PATCH_FIELDS: &[&str] = &[
    "name",
    "idOverride",
    "labels",
    "annotations",
    "file",
    "inline",
];

fn descriptors(d: &mut Dec, key: &str, v: &Node, desc: &mut Descriptors) -> bool {
    match key {
        "labels" => desc.labels = d.string_map(v),
        "annotations" => desc.annotations = d.string_map(v),
        _ => return false,
    }
    true
}

fn patches(d: &mut Dec, n: &Node) -> Vec<Patch> {
    let items = match &n.kind {
        NodeKind::Scalar {
            tag: STag::Null, ..
        } => return Vec::new(),
        NodeKind::Seq(items) => items,
        _ => {
            d.mismatch(n, "[]models.Patch");
            return Vec::new();
        }
    };
    items
        .iter()
        .map(|it| {
            let mut p = Patch {
                pos: it.pos,
                ..Patch::default()
            };
            for (k, v) in d.fields(it, "models.Patch", PATCH_FIELDS) {
                if descriptors(d, k, v, &mut p.desc) {
                    continue;
                }
                match k {
                    "name" => p.name = d.string(v),
                    "idOverride" => p.id_override = d.string(v),
                    "file" => p.file = d.string(v),
                    "inline" => {
                        p.inline = d.inline(v);
                        p.inline_node = Some(v.clone());
                    }
                    _ => {}
                }
            }
            p
        })
        .collect()
}

fn manifests(d: &mut Dec, n: &Node) -> Vec<Manifest> {
    let NodeKind::Seq(items) = &n.kind else {
        if !n.is_null() {
            d.mismatch(n, "[]models.KubernetesManifest");
        }
        return Vec::new();
    };
    items
        .iter()
        .map(|it| {
            let mut m = Manifest::default();
            let known = ["name", "mode", "file", "inline", "labels", "annotations"];
            for (k, v) in d.fields(it, "models.KubernetesManifest", &known) {
                if descriptors(d, k, v, &mut m.desc) {
                    continue;
                }
                match k {
                    "name" => m.name = d.string(v),
                    "file" => m.file = d.string(v),
                    "inline" => m.inline = d.inline(v),
                    "mode" => {
                        if v.is_null() {
                            continue;
                        }
                        let s = d.string(v);
                        m.mode = match s.as_str() {
                            "full" => Some(ManifestMode::Full),
                            "one-time" => Some(ManifestMode::OneTime),
                            _ => {
                                d.err(v.pos, format!("unknown mode name {}", go_quote(&s)));
                                None
                            }
                        };
                    }
                    _ => {}
                }
            }
            m
        })
        .collect()
}

fn healthchecks(d: &mut Dec, n: &Node) -> Vec<HealthCheck> {
    let NodeKind::Seq(items) = &n.kind else {
        if !n.is_null() {
            d.mismatch(n, "[]models.KubernetesHealthCheck");
        }
        return Vec::new();
    };
    items
        .iter()
        .map(|it| {
            let mut h = HealthCheck::default();
            let known = [
                "labels",
                "annotations",
                "idOverride",
                "name",
                "job",
                "file",
                "interval",
            ];
            for (k, v) in d.fields(it, "models.KubernetesHealthCheck", &known) {
                if descriptors(d, k, v, &mut h.desc) {
                    continue;
                }
                match k {
                    "name" => h.name = d.string(v),
                    "idOverride" => h.id_override = d.string(v),
                    "file" => h.file = d.string(v),
                    "job" => h.job = d.inline(v),
                    "interval" => h.interval_ns = d.duration(v),
                    _ => {}
                }
            }
            h
        })
        .collect()
}

pub(crate) fn decode_cluster(d: &mut Dec, root: &Node) -> Cluster {
    let mut c = Cluster::default();
    let known = [
        "kind",
        "systemExtensions",
        "name",
        "labels",
        "annotations",
        "kubernetes",
        "talos",
        "features",
        "patches",
        "kernelArgs",
    ];
    for (k, v) in d.fields(root, "models.Cluster", &known) {
        if descriptors(d, k, v, &mut c.desc) {
            continue;
        }
        match k {
            "name" => c.name = d.string(v),
            "systemExtensions" => c.system_extensions = d.opt_list(v),
            "kernelArgs" => c.kernel_args = d.opt_list(v),
            "patches" => c.patches = patches(d, v),
            "kubernetes" => {
                let known = ["version", "manifests", "healthchecks"];
                for (k2, v2) in d.fields(v, "models.KubernetesCluster", &known) {
                    match k2 {
                        "version" => c.kubernetes_version = d.string(v2),
                        "manifests" => c.manifests = manifests(d, v2),
                        "healthchecks" => c.healthchecks = healthchecks(d, v2),
                        _ => {}
                    }
                }
            }
            "talos" => {
                for (k2, v2) in d.fields(v, "models.TalosCluster", &["version"]) {
                    if k2 == "version" {
                        c.talos_version = d.string(v2);
                    }
                }
            }
            "features" => {
                let known = [
                    "diskEncryption",
                    "enableWorkloadProxy",
                    "useEmbeddedDiscoveryService",
                    "disablePublicDiscoveryService",
                    "enableNodeAuditSkip",
                    "backupConfiguration",
                ];
                for (k2, v2) in d.fields(v, "models.Features", &known) {
                    let f = &mut c.features;
                    match k2 {
                        "diskEncryption" => f.disk_encryption = d.boolean(v2),
                        "enableWorkloadProxy" => f.enable_workload_proxy = d.boolean(v2),
                        "useEmbeddedDiscoveryService" => {
                            f.use_embedded_discovery_service = d.boolean(v2)
                        }
                        "disablePublicDiscoveryService" if !v2.is_null() => {
                            f.disable_public_discovery_service = Some(d.boolean(v2))
                        }
                        "enableNodeAuditSkip" => f.enable_node_audit_skip = d.boolean(v2),
                        "backupConfiguration" => {
                            for (k3, v3) in
                                d.fields(v2, "models.BackupConfiguration", &["interval"])
                            {
                                if k3 == "interval" {
                                    f.backup_interval_ns = d.duration(v3);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    c
}

fn strategy(d: &mut Dec, n: &Node) -> Option<Strategy> {
    if n.is_null() {
        return None;
    }
    let mut s = Strategy::default();
    for (k, v) in d.fields(n, "models.UpdateStrategyConfig", &["type", "rolling"]) {
        match k {
            "type" => {
                if v.is_null() {
                    continue;
                }
                let t = d.string(v);
                s.kind = match t.as_str() {
                    "Unset" => Some(0),
                    "Rolling" => Some(1),
                    _ => {
                        d.err(v.pos, format!("invalid update strategy type {t}"));
                        None
                    }
                };
            }
            "rolling" => {
                if v.is_null() {
                    continue;
                }
                let mut mp = 0;
                for (k2, v2) in
                    d.fields(v, "models.RollingUpdateStrategyConfig", &["maxParallelism"])
                {
                    if k2 == "maxParallelism" {
                        mp = d.uint32(v2);
                    }
                }
                s.rolling = Some(mp);
            }
            _ => {}
        }
    }
    Some(s)
}

fn parse_size(d: &mut Dec, n: &Node) -> ((i32, u32), Option<String>) {
    if n.is_null() {
        return ((0, 0), None);
    }
    let s = d.string(n);
    let alloc = match s.as_str() {
        "unlimited" | "∞" | "infinity" | "Unlimited" => (1, 0),
        "Static" => (0, 0),
        _ => match s.parse::<u64>() {
            Ok(v) if v <= u64::from(u32::MAX) => (0, v as u32),
            Ok(_) => {
                d.err(
                    n.pos,
                    format!("invalid machine count {s}: strconv.ParseUint: parsing {}: value out of range", go_quote(&s)),
                );
                (0, 0)
            }
            Err(_) => {
                let out_of_range = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
                let why = if out_of_range {
                    "value out of range"
                } else {
                    "invalid syntax"
                };
                d.err(
                    n.pos,
                    format!(
                        "invalid machine count {s}: strconv.ParseUint: parsing {}: {why}",
                        go_quote(&s)
                    ),
                );
                (0, 0)
            }
        },
    };
    (alloc, Some(s))
}

pub(crate) fn decode_machine_set(d: &mut Dec, root: &Node, control_plane: bool) -> MachineSet {
    let mut m = MachineSet {
        control_plane,
        ..MachineSet::default()
    };
    let type_name = if control_plane {
        "models.ControlPlane"
    } else {
        "models.Workers"
    };
    let known = [
        "kind",
        "systemExtensions",
        "name",
        "labels",
        "annotations",
        "bootstrapSpec",
        "machines",
        "machineClass",
        "updateStrategy",
        "deleteStrategy",
        "upgradeStrategy",
        "patches",
        "kernelArgs",
    ];
    for (k, v) in d.fields(root, type_name, &known) {
        if descriptors(d, k, v, &mut m.desc) {
            continue;
        }
        match k {
            "name" => m.name = d.string(v),
            "systemExtensions" => m.system_extensions = d.opt_list(v),
            "kernelArgs" => m.kernel_args = d.opt_list(v),
            "patches" => m.patches = patches(d, v),
            "machines" => match &v.kind {
                NodeKind::Seq(items) => {
                    m.machines = items.iter().map(|i| (d.string(i), i.pos)).collect()
                }
                NodeKind::Scalar {
                    tag: STag::Null, ..
                } => {}
                _ => d.mismatch(v, "models.MachineIDList"),
            },
            "machineClass" => {
                if v.is_null() {
                    continue;
                }
                let mut mc = MachineClass::default();
                for (k2, v2) in d.fields(v, "models.MachineClassConfig", &["name", "size"]) {
                    match k2 {
                        "name" => mc.name = d.string(v2),
                        "size" => {
                            let (a, t) = parse_size(d, v2);
                            mc.allocation = a;
                            mc.size_text = t;
                        }
                        _ => {}
                    }
                }
                m.machine_class = Some(mc);
            }
            "bootstrapSpec" => {
                if v.is_null() {
                    continue;
                }
                let mut b = (String::new(), String::new());
                for (k2, v2) in d.fields(v, "models.BootstrapSpec", &["clusterUUID", "snapshot"]) {
                    match k2 {
                        "clusterUUID" => b.0 = d.string(v2),
                        "snapshot" => b.1 = d.string(v2),
                        _ => {}
                    }
                }
                m.bootstrap = Some(b);
            }
            "updateStrategy" => m.update_strategy = strategy(d, v),
            "deleteStrategy" => m.delete_strategy = strategy(d, v),
            "upgradeStrategy" => m.upgrade_strategy = strategy(d, v),
            _ => {}
        }
    }
    m
}

pub(crate) fn decode_machine(d: &mut Dec, root: &Node) -> Machine {
    let mut m = Machine::default();
    let known = [
        "kind",
        "systemExtensions",
        "name",
        "labels",
        "annotations",
        "locked",
        "install",
        "patches",
        "kernelArgs",
    ];
    for (k, v) in d.fields(root, "models.Machine", &known) {
        if descriptors(d, k, v, &mut m.desc) {
            continue;
        }
        match k {
            "name" => {
                m.name = d.string(v);
                m.name_pos = v.pos;
            }
            "systemExtensions" => m.system_extensions = d.opt_list(v),
            "kernelArgs" => m.kernel_args = d.opt_list(v),
            "patches" => m.patches = patches(d, v),
            "locked" => m.locked = d.boolean(v),
            "install" => {
                for (k2, v2) in d.fields(v, "models.MachineInstall", &["disk", "diskSelector"]) {
                    match k2 {
                        "disk" => m.install_disk = d.string(v2),
                        "diskSelector" => m.install_selector = d.string(v2),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    m
}
