//! Translation: models → resources in emission order (templates.md section 6).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::error::TemplateError;
use super::model::{Cluster, Descriptors, Machine, MachineSet, ModelKind, Patch};
use super::resource::{
    types, ClusterFeatures, ClusterSpec, Duration, MachineAllocation, MachineSetSpec, Metadata,
    RenderedResource, Spec,
};
use super::validate::read_file;
use super::Template;

pub(crate) const LABEL_CLUSTER: &str = "omni.sidero.dev/cluster";
pub(crate) const LABEL_MACHINE_SET: &str = "omni.sidero.dev/machine-set";
pub(crate) const LABEL_CLUSTER_MACHINE: &str = "omni.sidero.dev/cluster-machine";
pub(crate) const LABEL_ROLE_CP: &str = "omni.sidero.dev/role-controlplane";
pub(crate) const LABEL_ROLE_WORKER: &str = "omni.sidero.dev/role-worker";
pub(crate) const ANN_LOCKED: &str = "omni.sidero.dev/locked";
pub(crate) const ANN_MANAGED: &str = "omni.sidero.dev/managed-by-cluster-templates";
pub(crate) const ANN_NAME: &str = "name";

struct Ctx<'a> {
    cluster: String,
    cluster_kernel_args: Option<&'a Vec<String>>,
    set_kernel_args: HashMap<&'a str, Option<&'a Vec<String>>>,
    machine_desc: HashMap<&'a str, &'a Descriptors>,
    locked: HashSet<&'a str>,
    files: &'a BTreeMap<String, String>,
}

fn res(
    t: &str,
    id: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    spec: Spec,
) -> RenderedResource {
    RenderedResource {
        metadata: Metadata {
            namespace: "default".into(),
            resource_type: t.into(),
            id,
            version: None,
            owner: String::new(),
            phase: "running".into(),
            created: None,
            updated: None,
            labels,
            annotations,
            finalizers: Vec::new(),
        },
        spec,
    }
}

fn apply(
    desc: &Descriptors,
    labels: &mut BTreeMap<String, String>,
    ann: &mut BTreeMap<String, String>,
) {
    for (k, v) in &desc.labels {
        labels.insert(k.clone(), v.clone());
    }
    for (k, v) in &desc.annotations {
        ann.insert(k.clone(), v.clone());
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    crate::order::map_of(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

fn strip_v(s: &str) -> String {
    s.trim_start_matches('v').to_string()
}

fn patch_resources(
    ctx: &Ctx,
    patches: &[Patch],
    base: usize,
    prefix: &str,
    base_labels: &BTreeMap<String, String>,
    out: &mut Vec<RenderedResource>,
) -> Result<(), String> {
    for (i, p) in patches.iter().enumerate() {
        let name = p.effective_name();
        let id = if p.id_override.is_empty() {
            format!("{:03}-{prefix}-{name}", base + i)
        } else {
            p.id_override.clone()
        };
        let data = if let Some(inline) = &p.inline {
            inline.clone()
        } else {
            read_file(ctx.files, &p.file, "openat")
                .map_err(|e| format!("failed to read patch \"{name}\": {e}"))?
                .to_string()
        };
        let mut l = base_labels.clone();
        let mut a = labels(&[(ANN_NAME, name)]);
        apply(&p.desc, &mut l, &mut a);
        out.push(res(
            types::CONFIG_PATCH,
            id,
            l,
            a,
            Spec::ConfigPatch { data },
        ));
    }
    Ok(())
}

fn cluster_resources(
    ctx: &Ctx,
    c: &Cluster,
    out: &mut Vec<RenderedResource>,
) -> Result<(), String> {
    let f = &c.features;
    let spec = ClusterSpec {
        kubernetes_version: strip_v(&c.kubernetes_version),
        talos_version: strip_v(&c.talos_version),
        features: Some(ClusterFeatures {
            enable_workload_proxy: f.enable_workload_proxy,
            disk_encryption: f.disk_encryption,
            use_embedded_discovery_service: f.use_embedded_discovery_service,
            enable_node_audit_skip: f.enable_node_audit_skip,
            disable_public_discovery_service: f.disable_public_discovery_service.unwrap_or(false),
        }),
        backup_configuration: (f.backup_interval_ns > 0)
            .then(|| (Some(Duration::from_nanos(f.backup_interval_ns)), true)),
    };
    let mut l = BTreeMap::new();
    let mut a = labels(&[(ANN_MANAGED, "")]);
    apply(&c.desc, &mut l, &mut a);
    out.push(res(
        types::CLUSTER,
        ctx.cluster.clone(),
        l,
        a,
        Spec::Cluster(spec),
    ));

    let cl = labels(&[(LABEL_CLUSTER, &ctx.cluster)]);
    patch_resources(
        ctx,
        &c.patches,
        200,
        &format!("cluster-{}", ctx.cluster),
        &cl,
        out,
    )?;
    for (i, m) in c.manifests.iter().enumerate() {
        let name = if m.name.is_empty() { &m.file } else { &m.name };
        let data = if let Some(inline) = &m.inline {
            inline.clone()
        } else {
            read_file(ctx.files, &m.file, "openat")
                .map_err(|e| format!("failed to read manifest \"{name}\": {e}"))?
                .to_string()
        };
        let mut l = cl.clone();
        let mut a = labels(&[(ANN_NAME, name)]);
        apply(&m.desc, &mut l, &mut a);
        out.push(res(
            types::KUBERNETES_MANIFEST_GROUP,
            format!("{:03}-cluster-{}-{name}", 200 + i, ctx.cluster),
            l,
            a,
            Spec::KubernetesManifestGroup {
                data,
                mode: m.mode.map_or(0, |m| m as i32),
            },
        ));
    }
    for h in &c.healthchecks {
        let id = if h.id_override.is_empty() {
            format!("cluster-{}-{}", ctx.cluster, h.name)
        } else {
            h.id_override.clone()
        };
        let job = if let Some(j) = &h.job {
            j.clone()
        } else {
            let key = if h.id_override.is_empty() {
                &h.name
            } else {
                &h.id_override
            };
            read_file(ctx.files, &h.file, "openat")
                .map_err(|e| format!("healthcheck \"{key}\": failed to read \"{}\": {e}", h.file))?
                .to_string()
        };
        let mut l = cl.clone();
        let mut a = BTreeMap::new();
        apply(&h.desc, &mut l, &mut a);
        out.push(res(
            types::KUBERNETES_HEALTH_CHECK,
            id,
            l,
            a,
            Spec::KubernetesHealthCheck {
                job,
                interval: (h.interval_ns > 0).then(|| Duration::from_nanos(h.interval_ns)),
            },
        ));
    }
    if let Some(ext) = &c.system_extensions {
        out.push(res(
            types::EXTENSIONS_CONFIGURATION,
            format!("schematic-{}", ctx.cluster),
            cl,
            BTreeMap::new(),
            Spec::ExtensionsConfiguration {
                extensions: ext.clone(),
            },
        ));
    }
    Ok(())
}

fn strategy_config(s: &Option<super::model::Strategy>) -> Option<Option<u32>> {
    s.as_ref().and_then(|s| s.rolling.map(Some))
}

pub(crate) fn machine_set_id(cluster: &str, s: &MachineSet) -> String {
    if s.control_plane {
        format!("{cluster}-control-planes")
    } else if s.name.is_empty() {
        format!("{cluster}-workers")
    } else {
        format!("{cluster}-{}", s.name)
    }
}

fn machine_set_resources(
    ctx: &Ctx,
    s: &MachineSet,
    out: &mut Vec<RenderedResource>,
) -> Result<(), String> {
    let id = machine_set_id(&ctx.cluster, s);
    let role = if s.control_plane {
        LABEL_ROLE_CP
    } else {
        LABEL_ROLE_WORKER
    };
    let sys = labels(&[(LABEL_CLUSTER, &ctx.cluster), (role, "")]);
    let spec = MachineSetSpec {
        update_strategy: s.update_strategy.as_ref().and_then(|x| x.kind).unwrap_or(1),
        machine_class: None,
        bootstrap_spec: s.bootstrap.clone(),
        delete_strategy: s.delete_strategy.as_ref().and_then(|x| x.kind).unwrap_or(0),
        update_strategy_config: strategy_config(&s.update_strategy),
        delete_strategy_config: strategy_config(&s.delete_strategy),
        machine_allocation: s.machine_class.as_ref().map(|mc| MachineAllocation {
            name: mc.name.clone(),
            machine_count: mc.allocation.1,
            allocation_type: mc.allocation.0,
        }),
        upgrade_strategy: s
            .upgrade_strategy
            .as_ref()
            .and_then(|x| x.kind)
            .unwrap_or(0),
        upgrade_strategy_config: strategy_config(&s.upgrade_strategy),
    };
    let mut l = sys.clone();
    let mut a = BTreeMap::new();
    apply(&s.desc, &mut l, &mut a);
    out.push(res(
        types::MACHINE_SET,
        id.clone(),
        l,
        a,
        Spec::MachineSet(spec),
    ));
    if s.machine_class.is_some() {
        if ctx.cluster_kernel_args.is_some() {
            return Err("kernelArgs cannot be defined at cluster level for this machine set since it uses a machine class".into());
        }
    } else {
        for (mid, _) in &s.machines {
            let mut l = sys.clone();
            l.insert(LABEL_MACHINE_SET.into(), id.clone());
            let mut a = BTreeMap::new();
            let explicit = ctx.machine_desc.get(mid.as_str());
            if let Some(d) = explicit {
                apply(d, &mut l, &mut a);
            }
            if ctx.locked.contains(mid.as_str()) {
                a.insert(ANN_LOCKED.into(), String::new());
            }
            out.push(res(
                types::MACHINE_SET_NODE,
                mid.clone(),
                l,
                a,
                Spec::MachineSetNode,
            ));
            if explicit.is_none() {
                if let Some(args) = s.kernel_args.as_ref().or(ctx.cluster_kernel_args) {
                    out.push(res(
                        types::KERNEL_ARGS,
                        mid.clone(),
                        BTreeMap::new(),
                        labels(&[(ANN_MANAGED, "")]),
                        Spec::KernelArgs { args: args.clone() },
                    ));
                }
            }
        }
    }
    let pl = labels(&[(LABEL_CLUSTER, &ctx.cluster), (LABEL_MACHINE_SET, &id)]);
    patch_resources(ctx, &s.patches, 400, &id, &pl, out)?;
    if let Some(ext) = &s.system_extensions {
        out.push(res(
            types::EXTENSIONS_CONFIGURATION,
            format!("schematic-{id}"),
            pl,
            BTreeMap::new(),
            Spec::ExtensionsConfiguration {
                extensions: ext.clone(),
            },
        ));
    }
    Ok(())
}

fn machine_resources(
    ctx: &Ctx,
    m: &Machine,
    out: &mut Vec<RenderedResource>,
) -> Result<(), String> {
    if !m.install_disk.is_empty() || !m.install_selector.is_empty() {
        out.push(res(
            types::MACHINE_INSTALL_DISK_CONFIG,
            m.name.clone(),
            BTreeMap::new(),
            labels(&[(ANN_MANAGED, "")]),
            Spec::MachineInstallDiskConfig {
                disk_selector: m.install_selector.clone(),
                disk: m.install_disk.clone(),
            },
        ));
    }
    let pl = labels(&[
        (LABEL_CLUSTER, &ctx.cluster),
        (LABEL_CLUSTER_MACHINE, &m.name),
    ]);
    patch_resources(ctx, &m.patches, 400, &format!("cm-{}", m.name), &pl, out)?;
    let args = m
        .kernel_args
        .as_ref()
        .or_else(|| ctx.set_kernel_args.get(m.name.as_str()).copied().flatten())
        .or(ctx.cluster_kernel_args);
    if let Some(args) = args {
        out.push(res(
            types::KERNEL_ARGS,
            m.name.clone(),
            BTreeMap::new(),
            labels(&[(ANN_MANAGED, "")]),
            Spec::KernelArgs { args: args.clone() },
        ));
    }
    if let Some(ext) = &m.system_extensions {
        out.push(res(
            types::EXTENSIONS_CONFIGURATION,
            format!("schematic-{}", m.name),
            pl,
            BTreeMap::new(),
            Spec::ExtensionsConfiguration {
                extensions: ext.clone(),
            },
        ));
    }
    Ok(())
}

/// Translates a (valid) template; errors are collected per document (6.9).
pub(crate) fn translate(t: &Template) -> Result<Vec<RenderedResource>, Vec<TemplateError>> {
    let mut ctx = Ctx {
        cluster: String::new(),
        cluster_kernel_args: None,
        set_kernel_args: HashMap::new(),
        machine_desc: HashMap::new(),
        locked: HashSet::new(),
        files: &t.files,
    };
    for m in &t.models {
        match &m.kind {
            ModelKind::Cluster(c) => {
                ctx.cluster = c.name.clone();
                ctx.cluster_kernel_args = c.kernel_args.as_ref();
            }
            ModelKind::MachineSet(s) => {
                for (id, _) in &s.machines {
                    ctx.set_kernel_args.insert(id, s.kernel_args.as_ref());
                }
            }
            ModelKind::Machine(mm) => {
                ctx.machine_desc.insert(&mm.name, &mm.desc);
                if mm.locked {
                    ctx.locked.insert(&mm.name);
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for m in &t.models {
        let mut part = Vec::new();
        let r = match &m.kind {
            ModelKind::Cluster(c) => cluster_resources(&ctx, c, &mut part),
            ModelKind::MachineSet(s) => machine_set_resources(&ctx, s, &mut part),
            ModelKind::Machine(mm) => machine_resources(&ctx, mm, &mut part),
        };
        match r {
            Ok(()) => out.extend(part),
            Err(e) => errors.push(TemplateError::at(e, Some(m.doc), Some(m.start))),
        }
    }
    let mut seen: HashSet<(&str, &str)> = HashSet::with_capacity(out.len());
    for r in &out {
        if !seen.insert((&r.metadata.resource_type, &r.metadata.id)) {
            errors.push(TemplateError::new(format!(
                "resource ID duplicate {}",
                r.display_name()
            )));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
