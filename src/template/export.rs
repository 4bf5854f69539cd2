//! Export: a cluster's resources → template text (templates.md section 13).

use std::collections::BTreeMap;

use super::error::{Stage, TemplateError, TemplateErrors};
use super::resource::{types, RenderedResource, Spec};
use super::translate::{
    ANN_LOCKED, ANN_NAME, LABEL_CLUSTER, LABEL_CLUSTER_MACHINE, LABEL_MACHINE_SET, LABEL_ROLE_CP,
    LABEL_ROLE_WORKER,
};
use super::Template;
use crate::goyaml::emit::{Emitter, Y};
use crate::goyaml::scalar::format_go_duration;
use crate::semver::Version;

const RESERVED: &str = "omni.sidero.dev/";
const LABEL_MSN_CONTROLLER: &str = "omni.sidero.dev/managed-by-machine-set-node-controller";

/// Options of [`export`].
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    /// Cluster ID to export.
    pub cluster: String,
    /// Export `kernelArgs` of machines (`--include-kernel-args`).
    pub include_kernel_args: bool,
    /// The cluster's initial Talos version (from its ClusterStatus), e.g. `1.14.0`; decides
    /// whether `disablePublicDiscoveryService` is written.
    pub initial_talos_version: Option<String>,
}

fn fail(msg: String) -> TemplateErrors {
    TemplateErrors::one(Stage::Export, TemplateError::new(msg))
}

fn user(map: &BTreeMap<String, String>, skip: &[&str]) -> Option<Y> {
    let entries: Vec<(Y, Y)> = map
        .iter()
        .filter(|(k, _)| !k.starts_with(RESERVED) && !skip.contains(&k.as_str()))
        .map(|(k, v)| (Y::str(k.clone()), Y::str(v.clone())))
        .collect();
    (!entries.is_empty()).then_some(Y::Map(entries))
}

fn push_desc(doc: &mut Vec<(Y, Y)>, r: &RenderedResource, skip_ann: &[&str]) {
    if let Some(l) = user(&r.metadata.labels, &[]) {
        doc.push((Y::str("labels"), l));
    }
    if let Some(a) = user(&r.metadata.annotations, skip_ann) {
        doc.push((Y::str("annotations"), a));
    }
}

fn label<'a>(r: &'a RenderedResource, k: &str) -> Option<&'a str> {
    r.metadata.labels.get(k).map(String::as_str)
}

fn is_user_owned(r: &RenderedResource) -> bool {
    r.metadata.owner.is_empty() && !r.metadata.labels.contains_key(LABEL_MSN_CONTROLLER)
}

fn strings(l: &[String]) -> Y {
    Y::Seq(l.iter().map(|s| Y::str(s.clone())).collect())
}

fn patches_y(mut ps: Vec<&RenderedResource>) -> Option<Y> {
    if ps.is_empty() {
        return None;
    }
    crate::order::sort_by_str(&mut ps, |r| r.metadata.id.as_str());
    Some(Y::Seq(
        ps.into_iter()
            .map(|p| {
                let mut d = vec![(Y::str("idOverride"), Y::str(p.metadata.id.clone()))];
                push_desc(&mut d, p, &[]);
                let data = match &p.spec {
                    Spec::ConfigPatch { data } => data.clone(),
                    _ => String::new(),
                };
                d.push((Y::str("inline"), Y::str(data)));
                Y::Map(d)
            })
            .collect(),
    ))
}

fn strategy_y(kind: i32, default: i32, cfg: &Option<Option<u32>>) -> Option<Y> {
    let cfg = cfg.as_ref()?;
    let mut d = Vec::new();
    if kind != default {
        let name = if kind == 1 { "Rolling" } else { "Unset" };
        d.push((Y::str("type"), Y::str(name)));
    }
    if let Some(mp) = cfg {
        let inner = if *mp == 0 {
            Vec::new()
        } else {
            vec![(Y::str("maxParallelism"), Y::Uint(u64::from(*mp)))]
        };
        d.push((Y::str("rolling"), Y::Map(inner)));
    }
    Some(Y::Map(d))
}

/// Builds a template (2-space YAML, documents separated by `---`) from a cluster's resources,
/// as `omnictl cluster template export` does. `resources` is what the client read: the
/// Cluster, and the MachineSets, MachineSetNodes, ConfigPatches, ExtensionsConfigurations,
/// KubernetesManifestGroups, KubernetesHealthChecks labelled with it, plus the
/// MachineInstallDiskConfigs and KernelArgs of its nodes (any extra resources are ignored).
///
/// # Errors
/// Upstream's export errors (missing cluster, unlabelled nodes, invalid result).
pub fn export(
    resources: &[RenderedResource],
    opts: &ExportOptions,
) -> Result<String, TemplateErrors> {
    let cid = opts.cluster.as_str();
    let of = |t: &str| -> Vec<&RenderedResource> {
        resources
            .iter()
            .filter(|r| r.metadata.resource_type == t && label(r, LABEL_CLUSTER) == Some(cid))
            .collect()
    };
    let cluster = resources
        .iter()
        .find(|r| r.metadata.resource_type == types::CLUSTER && r.metadata.id == cid)
        .ok_or_else(|| fail(format!("error getting cluster \"{cid}\": not found")))?;
    let Spec::Cluster(cspec) = &cluster.spec else {
        return Err(fail(format!(
            "error getting cluster \"{cid}\": unexpected spec"
        )));
    };

    let mut sets = of(types::MACHINE_SET);
    crate::order::sort_by_str(&mut sets, |r| r.metadata.id.as_str());
    let mut nodes_by_set: BTreeMap<&str, Vec<&RenderedResource>> = BTreeMap::new();
    for n in of(types::MACHINE_SET_NODE) {
        if !is_user_owned(n) {
            continue;
        }
        let Some(set) = label(n, LABEL_MACHINE_SET) else {
            return Err(fail(format!(
                "machine set node \"{}\" has no machine set label",
                n.metadata.id
            )));
        };
        if !sets.iter().any(|s| s.metadata.id == set) {
            return Err(fail(format!("unexpected machine set label \"{set}\"")));
        }
        nodes_by_set.entry(set).or_default().push(n);
    }
    let by_id = |t: &str, id: &str| {
        resources
            .iter()
            .find(|r| r.metadata.resource_type == t && r.metadata.id == id)
    };
    let level = |r: &&RenderedResource| -> (u8, String) {
        if let Some(m) = label(r, LABEL_CLUSTER_MACHINE) {
            (2, m.to_string())
        } else if let Some(s) = label(r, LABEL_MACHINE_SET) {
            (1, s.to_string())
        } else {
            (0, String::new())
        }
    };
    let patches: Vec<&RenderedResource> = of(types::CONFIG_PATCH)
        .into_iter()
        .filter(|r| is_user_owned(r))
        .collect();
    let exts: Vec<&RenderedResource> = of(types::EXTENSIONS_CONFIGURATION)
        .into_iter()
        .filter(|r| is_user_owned(r))
        .collect();
    let patches_at = |lv: u8, key: &str| -> Vec<&RenderedResource> {
        patches
            .iter()
            .filter(|p| level(p) == (lv, key.to_string()))
            .copied()
            .collect()
    };
    let ext_at = |lv: u8, key: &str| -> Option<Y> {
        exts.iter()
            .find(|e| level(e) == (lv, key.to_string()))
            .and_then(|e| match &e.spec {
                Spec::ExtensionsConfiguration { extensions } => Some(strings(extensions)),
                _ => None,
            })
    };

    let mut docs: Vec<Y> = Vec::new();

    // Cluster
    let mut d: Vec<(Y, Y)> = vec![(Y::str("kind"), Y::str("Cluster"))];
    if let Some(e) = ext_at(0, "") {
        d.push((Y::str("systemExtensions"), e));
    }
    d.push((Y::str("name"), Y::str(cid)));
    push_desc(&mut d, cluster, &[]);
    let mut k8s = vec![(
        Y::str("version"),
        Y::str(format!("v{}", cspec.kubernetes_version)),
    )];
    let mut manifests: Vec<&RenderedResource> = of(types::KUBERNETES_MANIFEST_GROUP)
        .into_iter()
        .filter(|r| r.metadata.owner.is_empty())
        .collect();
    crate::order::sort_by_str(&mut manifests, |r| r.metadata.id.as_str());
    if !manifests.is_empty() {
        let mut items = Vec::new();
        for m in manifests {
            let Spec::KubernetesManifestGroup { data, mode } = &m.spec else {
                continue;
            };
            let Some(name) = m.metadata.annotations.get(ANN_NAME) else {
                return Err(fail(format!(
                    "manifest \"{}\" has no name annotation",
                    m.metadata.id
                )));
            };
            let mut md = vec![(Y::str("inline"), Y::str(data.clone()))];
            push_desc(&mut md, m, &[ANN_NAME]);
            md.push((Y::str("name"), Y::str(name.clone())));
            let mode = if *mode == 2 { "one-time" } else { "full" };
            md.push((Y::str("mode"), Y::str(mode)));
            items.push(Y::Map(md));
        }
        k8s.push((Y::str("manifests"), Y::Seq(items)));
    }
    let mut checks: Vec<&RenderedResource> = of(types::KUBERNETES_HEALTH_CHECK)
        .into_iter()
        .filter(|r| is_user_owned(r))
        .collect();
    crate::order::sort_by_str(&mut checks, |r| r.metadata.id.as_str());
    if !checks.is_empty() {
        let mut items = Vec::new();
        for h in checks {
            let Spec::KubernetesHealthCheck { job, interval } = &h.spec else {
                continue;
            };
            let mut hd = Vec::new();
            push_desc(&mut hd, h, &[]);
            hd.push((Y::str("idOverride"), Y::str(h.metadata.id.clone())));
            hd.push((Y::str("job"), Y::str(job.clone())));
            if let Some(i) = interval {
                if i.as_nanos() != 0 {
                    hd.push((Y::str("interval"), Y::str(format_go_duration(i.as_nanos()))));
                }
            }
            items.push(Y::Map(hd));
        }
        k8s.push((Y::str("healthchecks"), Y::Seq(items)));
    }
    d.push((Y::str("kubernetes"), Y::Map(k8s)));
    d.push((
        Y::str("talos"),
        Y::Map(vec![(
            Y::str("version"),
            Y::str(format!("v{}", cspec.talos_version)),
        )]),
    ));
    let mut feats = Vec::new();
    if let Some(f) = &cspec.features {
        if f.disk_encryption {
            feats.push((Y::str("diskEncryption"), Y::Bool(true)));
        }
        if f.enable_workload_proxy {
            feats.push((Y::str("enableWorkloadProxy"), Y::Bool(true)));
        }
        if f.use_embedded_discovery_service {
            feats.push((Y::str("useEmbeddedDiscoveryService"), Y::Bool(true)));
        }
        let multidoc_discovery = opts
            .initial_talos_version
            .as_deref()
            .and_then(|v| Version::parse_tolerant(v).ok())
            .is_some_and(|v| (v.major, v.minor) >= (1, 14));
        if multidoc_discovery {
            feats.push((
                Y::str("disablePublicDiscoveryService"),
                Y::Bool(f.disable_public_discovery_service),
            ));
        }
        if f.enable_node_audit_skip {
            feats.push((Y::str("enableNodeAuditSkip"), Y::Bool(true)));
        }
    }
    if let Some((Some(i), _)) = &cspec.backup_configuration {
        if i.as_nanos() != 0 {
            feats.push((
                Y::str("backupConfiguration"),
                Y::Map(vec![(
                    Y::str("interval"),
                    Y::str(format_go_duration(i.as_nanos())),
                )]),
            ));
        }
    }
    if !feats.is_empty() {
        d.push((Y::str("features"), Y::Map(feats)));
    }
    if let Some(p) = patches_y(patches_at(0, "")) {
        d.push((Y::str("patches"), p));
    }
    docs.push(Y::Map(d));

    // Machine sets: control plane first, then workers by name (default first).
    let mut ordered: Vec<(u8, String, &RenderedResource)> = Vec::new();
    for s in &sets {
        let id = s.metadata.id.as_str();
        if s.metadata.labels.contains_key(LABEL_ROLE_CP) {
            ordered.push((0, String::new(), s));
        } else if s.metadata.labels.contains_key(LABEL_ROLE_WORKER) {
            let name = if id == format!("{cid}-workers") {
                String::new()
            } else {
                id.strip_prefix(&format!("{cid}-"))
                    .unwrap_or(id)
                    .to_string()
            };
            ordered.push((1, name, s));
        } else {
            return Err(fail(format!("machine set \"{id}\" has no role label")));
        }
    }
    crate::order::sort_by_num_str(&mut ordered, |o| (usize::from(o.0), o.1.as_str()));
    let mut exported_nodes: Vec<&RenderedResource> = Vec::new();
    for (role, name, s) in ordered {
        let Spec::MachineSet(ms) = &s.spec else {
            continue;
        };
        let sid = s.metadata.id.as_str();
        let kind = if role == 0 { "ControlPlane" } else { "Workers" };
        let mut d = vec![(Y::str("kind"), Y::str(kind))];
        if let Some(e) = ext_at(1, sid) {
            d.push((Y::str("systemExtensions"), e));
        }
        if !name.is_empty() {
            d.push((Y::str("name"), Y::str(name)));
        }
        push_desc(&mut d, s, &[]);
        if let Some((u, snap)) = &ms.bootstrap_spec {
            d.push((
                Y::str("bootstrapSpec"),
                Y::Map(vec![
                    (Y::str("clusterUUID"), Y::str(u.clone())),
                    (Y::str("snapshot"), Y::str(snap.clone())),
                ]),
            ));
        }
        if let Some(a) = &ms.machine_allocation {
            let size = if a.allocation_type == 1 {
                Y::str("Unlimited")
            } else {
                Y::Uint(u64::from(a.machine_count))
            };
            let mut mc = Vec::new();
            if !a.name.is_empty() {
                mc.push((Y::str("name"), Y::str(a.name.clone())));
            }
            mc.push((Y::str("size"), size));
            d.push((Y::str("machineClass"), Y::Map(mc)));
        } else {
            let mut nodes = nodes_by_set.get(sid).cloned().unwrap_or_default();
            crate::order::sort_by_str(&mut nodes, |r| r.metadata.id.as_str());
            if !nodes.is_empty() {
                d.push((
                    Y::str("machines"),
                    Y::Seq(
                        nodes
                            .iter()
                            .map(|n| Y::str(n.metadata.id.clone()))
                            .collect(),
                    ),
                ));
            }
            exported_nodes.extend(nodes);
        }
        for (key, kind, default, cfg) in [
            (
                "updateStrategy",
                ms.update_strategy,
                1,
                &ms.update_strategy_config,
            ),
            (
                "deleteStrategy",
                ms.delete_strategy,
                0,
                &ms.delete_strategy_config,
            ),
            (
                "upgradeStrategy",
                ms.upgrade_strategy,
                0,
                &ms.upgrade_strategy_config,
            ),
        ] {
            if let Some(y) = strategy_y(kind, default, cfg) {
                d.push((Y::str(key), y));
            }
        }
        if let Some(p) = patches_y(patches_at(1, sid)) {
            d.push((Y::str("patches"), p));
        }
        docs.push(Y::Map(d));
    }

    // Machines
    crate::order::sort_by_str(&mut exported_nodes, |r| r.metadata.id.as_str());
    for n in exported_nodes {
        let id = n.metadata.id.as_str();
        let mut d = vec![(Y::str("kind"), Y::str("Machine"))];
        if let Some(e) = ext_at(2, id) {
            d.push((Y::str("systemExtensions"), e));
        }
        d.push((Y::str("name"), Y::str(id)));
        push_desc(&mut d, n, &[]);
        if n.metadata.annotations.contains_key(ANN_LOCKED) {
            d.push((Y::str("locked"), Y::Bool(true)));
        }
        if let Some(Spec::MachineInstallDiskConfig {
            disk_selector,
            disk,
        }) = by_id(types::MACHINE_INSTALL_DISK_CONFIG, id).map(|r| &r.spec)
        {
            let mut inst = Vec::new();
            if !disk.is_empty() {
                inst.push((Y::str("disk"), Y::str(disk.clone())));
            }
            if !disk_selector.is_empty() {
                inst.push((Y::str("diskSelector"), Y::str(disk_selector.clone())));
            }
            if !inst.is_empty() {
                d.push((Y::str("install"), Y::Map(inst)));
            }
        }
        if let Some(p) = patches_y(patches_at(2, id)) {
            d.push((Y::str("patches"), p));
        }
        if opts.include_kernel_args {
            let args = match by_id(types::KERNEL_ARGS, id).map(|r| &r.spec) {
                Some(Spec::KernelArgs { args }) => strings(args),
                _ => Y::Seq(Vec::new()),
            };
            d.push((Y::str("kernelArgs"), args));
        }
        docs.push(Y::Map(d));
    }

    let mut e = Emitter::new(2);
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            e.separator();
        }
        e.document(doc);
    }
    let text = e.finish();
    let check = Template::load(&text, &BTreeMap::new())
        .and_then(|t| t.validate())
        .map_err(|err| fail(format!("error validating models: {err}")));
    check?;
    Ok(text)
}
