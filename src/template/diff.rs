//! Sync planning (templates.md section 9) and diff output (section 10).
//!

use std::collections::HashSet;

use super::error::{Stage, TemplateError, TemplateErrors};
use super::resource::{types, RenderedResource};
use super::translate::{ANN_MANAGED, LABEL_CLUSTER, LABEL_MACHINE_SET};
use crate::goyaml::diff::unified_diff;

const LABEL_MSN_CONTROLLER: &str = "omni.sidero.dev/managed-by-machine-set-node-controller";

/// An update: the resource as it is and as the template wants it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    /// Current state.
    pub old: RenderedResource,
    /// Desired state (carries the old version and timestamps).
    pub new: RenderedResource,
}

/// What a sync would do, in omnictl's order: all creates, then all updates, then each
/// destroy phase (phase 0 = MachineSetNodes and MachineSets, phase 1 = everything else),
/// waiting for a phase to be fully destroyed before starting the next.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SyncPlan {
    /// Resources to create, in canonical type order.
    pub create: Vec<RenderedResource>,
    /// Resources to update, in canonical type order of the new resource.
    pub update: Vec<Update>,
    /// Destroy phases (always two lists, possibly empty).
    pub destroy: Vec<Vec<RenderedResource>>,
}

impl SyncPlan {
    /// `true` when the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.create.is_empty() && self.update.is_empty() && self.destroy.iter().all(Vec::is_empty)
    }
}

fn canonical(t: &str) -> usize {
    match t {
        types::CLUSTER => 1,
        types::EXTENSIONS_CONFIGURATION => 2,
        types::CONFIG_PATCH => 3,
        types::MACHINE_INSTALL_DISK_CONFIG => 4,
        types::KUBERNETES_MANIFEST_GROUP => 5,
        types::KUBERNETES_HEALTH_CHECK => 6,
        types::MACHINE_SET => 7,
        types::MACHINE_SET_NODE => 8,
        types::KERNEL_ARGS => 9,
        _ => 10,
    }
}

fn same_key(a: &RenderedResource, b: &RenderedResource) -> bool {
    a.metadata.resource_type == b.metadata.resource_type
        && a.metadata.id == b.metadata.id
        && a.metadata.namespace == b.metadata.namespace
}

fn equal(a: &RenderedResource, b: &RenderedResource) -> bool {
    let (ma, mb) = (&a.metadata, &b.metadata);
    let fa: HashSet<&String> = ma.finalizers.iter().collect();
    let fb: HashSet<&String> = mb.finalizers.iter().collect();
    ma.namespace == mb.namespace
        && ma.resource_type == mb.resource_type
        && ma.id == mb.id
        && ma.phase == mb.phase
        && ma.owner == mb.owner
        && ma.version == mb.version
        && ma.labels == mb.labels
        && ma.annotations == mb.annotations
        && fa == fb
        && a.spec == b.spec
}

fn plan_error(msg: String) -> TemplateErrors {
    TemplateErrors::one(Stage::Render, TemplateError::new(msg))
}

/// Plans a sync of `desired` (a rendered template for `cluster`) against `current`.
///
/// `current` is what the client read from Omni per templates.md 9.1: the Cluster, the
/// resources labelled with the cluster of the listed types, KernelArgs/InstallDisk configs of
/// those nodes, and every desired type+id that exists. Resources with an owner or the
/// machine-set-node-controller label may be included: they are never planned, but an owned
/// resource with a desired type+id is a conflict.
///
/// # Errors
/// The ownership conflicts omnictl reports (`resource … belongs to cluster …`,
/// `resource … already exists for cluster …`).
pub fn plan(
    cluster: &str,
    desired: &[RenderedResource],
    current: &[RenderedResource],
) -> Result<SyncPlan, TemplateErrors> {
    let mut plan = SyncPlan::default();
    let mut matched = vec![false; desired.len()];
    let mut destroy: Vec<RenderedResource> = Vec::new();
    let desired_nodes: HashSet<&str> = desired
        .iter()
        .filter(|r| r.metadata.resource_type == types::MACHINE_SET_NODE)
        .map(|r| r.metadata.id.as_str())
        .collect();
    for actual in current {
        let owned = !actual.metadata.owner.is_empty()
            || actual.metadata.labels.contains_key(LABEL_MSN_CONTROLLER);
        if owned {
            continue;
        }
        if let Some(i) = desired.iter().position(|d| same_key(d, actual)) {
            if let Some(m) = matched.get_mut(i) {
                *m = true;
            }
            let Some(want) = desired.get(i) else { continue };
            let mut new = want.clone();
            new.metadata.version = actual.metadata.version;
            new.metadata.created = actual.metadata.created.clone();
            new.metadata.updated = actual.metadata.updated.clone();
            new.metadata.finalizers = actual.metadata.finalizers.clone();
            if !equal(actual, &new) {
                plan.update.push(Update {
                    old: actual.clone(),
                    new,
                });
            }
            continue;
        }
        let t = actual.metadata.resource_type.as_str();
        let managed = actual.metadata.annotations.contains_key(ANN_MANAGED);
        let release = || {
            let mut new = actual.clone();
            new.metadata.annotations.remove(ANN_MANAGED);
            Update {
                old: actual.clone(),
                new,
            }
        };
        match t {
            types::KERNEL_ARGS => {
                if managed {
                    plan.update.push(release());
                }
            }
            types::MACHINE_INSTALL_DISK_CONFIG => {
                if !managed {
                    continue;
                }
                if desired_nodes.contains(actual.metadata.id.as_str()) {
                    destroy.push(actual.clone());
                } else {
                    plan.update.push(release());
                }
            }
            _ => {
                if t != types::CLUSTER {
                    let label = actual
                        .metadata
                        .labels
                        .get(LABEL_CLUSTER)
                        .map_or("", String::as_str);
                    if label != cluster {
                        return Err(plan_error(format!(
                            "resource {} belongs to cluster \"{label}\", but template is for cluster \"{cluster}\"",
                            actual.display_name()
                        )));
                    }
                }
                destroy.push(actual.clone());
            }
        }
    }
    for (i, want) in desired.iter().enumerate() {
        if matched.get(i).copied().unwrap_or(false) {
            continue;
        }
        let t = want.metadata.resource_type.as_str();
        if t != types::KERNEL_ARGS && t != types::MACHINE_INSTALL_DISK_CONFIG {
            if let Some(existing) = current.iter().find(|c| same_key(c, want)) {
                let label = existing
                    .metadata
                    .labels
                    .get(LABEL_CLUSTER)
                    .map_or("", String::as_str);
                return Err(plan_error(format!(
                    "resource {} already exists for cluster \"{label}\", cannot create a conflicting resource for a different cluster",
                    want.display_name()
                )));
            }
        }
        plan.create.push(want.clone());
    }
    crate::order::sort_by_num_str(&mut plan.create, |r| {
        (canonical(&r.metadata.resource_type), "")
    });
    crate::order::sort_by_num_str(&mut plan.update, |u| {
        (canonical(&u.new.metadata.resource_type), "")
    });
    plan.destroy = destroy_phases(destroy);
    Ok(plan)
}

/// Plans `omnictl cluster template delete` (templates.md section 11): with only the cluster
/// name, managed KernelArgs and MachineInstallDiskConfigs are released (updated without the
/// managed annotation), everything else is destroyed (cascade-deduplicated, two phases).
///
/// # Errors
/// A resource labelled with another cluster.
pub fn delete_plan(
    cluster: &str,
    current: &[RenderedResource],
) -> Result<SyncPlan, TemplateErrors> {
    let mut plan = SyncPlan::default();
    let mut destroy = Vec::new();
    for actual in current {
        let owned = !actual.metadata.owner.is_empty()
            || actual.metadata.labels.contains_key(LABEL_MSN_CONTROLLER);
        if owned {
            continue;
        }
        let t = actual.metadata.resource_type.as_str();
        if t == types::KERNEL_ARGS || t == types::MACHINE_INSTALL_DISK_CONFIG {
            if actual.metadata.annotations.contains_key(ANN_MANAGED) {
                let mut new = actual.clone();
                new.metadata.annotations.remove(ANN_MANAGED);
                plan.update.push(Update {
                    old: actual.clone(),
                    new,
                });
            }
            continue;
        }
        if t != types::CLUSTER {
            let label = actual
                .metadata
                .labels
                .get(LABEL_CLUSTER)
                .map_or("", String::as_str);
            if label != cluster {
                return Err(plan_error(format!(
                    "resource {} belongs to cluster \"{label}\", but template is for cluster \"{cluster}\"",
                    actual.display_name()
                )));
            }
        }
        destroy.push(actual.clone());
    }
    crate::order::sort_by_num_str(&mut plan.update, |u| {
        (canonical(&u.new.metadata.resource_type), "")
    });
    plan.destroy = destroy_phases(destroy);
    Ok(plan)
}

/// Deduplicates (cascade) and splits destroys into omnictl's two phases.
pub(crate) fn destroy_phases(destroy: Vec<RenderedResource>) -> Vec<Vec<RenderedResource>> {
    let sets: HashSet<String> = destroy
        .iter()
        .filter(|r| r.metadata.resource_type == types::MACHINE_SET)
        .map(|r| r.metadata.id.clone())
        .collect();
    let clusters: HashSet<String> = destroy
        .iter()
        .filter(|r| r.metadata.resource_type == types::CLUSTER)
        .map(|r| r.metadata.id.clone())
        .collect();
    let mut phase0 = Vec::new();
    let mut phase1 = Vec::new();
    for r in destroy {
        let t = r.metadata.resource_type.as_str();
        if t == types::MACHINE_SET_NODE
            && r.metadata
                .labels
                .get(LABEL_MACHINE_SET)
                .is_some_and(|s| sets.contains(s))
        {
            continue;
        }
        if t != types::CLUSTER
            && r.metadata
                .labels
                .get(LABEL_CLUSTER)
                .is_some_and(|c| clusters.contains(c))
        {
            continue;
        }
        if t == types::MACHINE_SET_NODE || t == types::MACHINE_SET {
            phase0.push(r);
        } else {
            phase1.push(r);
        }
    }
    crate::order::sort_by_num_str(&mut phase0, |r| (canonical(&r.metadata.resource_type), ""));
    crate::order::sort_by_num_str(&mut phase1, |r| (canonical(&r.metadata.resource_type), ""));
    vec![phase0, phase1]
}

/// Prints a plan as `omnictl cluster template diff` does: updates, creates, destroys.
pub fn diff(plan: &SyncPlan) -> String {
    let mut out = String::new();
    let name = |r: &RenderedResource| {
        format!(
            "{}({}/{})",
            r.metadata.resource_type, r.metadata.namespace, r.metadata.id
        )
    };
    for u in &plan.update {
        out.push_str(&unified_diff(
            &name(&u.old),
            &name(&u.new),
            &u.old.to_yaml(2),
            &u.new.to_yaml(2),
        ));
    }
    for c in &plan.create {
        out.push_str(&unified_diff("/dev/null", &name(c), "", &c.to_yaml(2)));
    }
    for phase in &plan.destroy {
        for d in phase {
            out.push_str(&unified_diff(&name(d), "/dev/null", &d.to_yaml(2), ""));
        }
    }
    out
}
