//! Validation (templates.md section 5): per-model checks, then whole-template checks.

use std::collections::{BTreeMap, HashSet};

use super::error::{multi, TemplateError};
use super::model::{
    Cluster, Descriptors, HealthCheck, Machine, MachineSet, Manifest, ModelKind, Patch,
};
use super::talos::{locate_inline, validate_patch};
use super::Template;
use crate::goyaml::node::Pos;
use crate::semver::Version;

const RESERVED: &str = "omni.sidero.dev/";

/// Resolves a template-relative path against the virtual root; `Err` is the `os.Root` error tail.
pub(crate) fn resolve_path(path: &str) -> Result<String, &'static str> {
    if path.starts_with('/') {
        return Err("path escapes from parent");
    }
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("path escapes from parent");
                }
            }
            other => parts.push(other),
        }
    }
    Ok(parts.join("/"))
}

/// Reads a file from the caller's map; `op` is `openat` or `statat`.
pub(crate) fn read_file<'a>(
    files: &'a BTreeMap<String, String>,
    path: &str,
    op: &str,
) -> Result<&'a str, String> {
    if let Some(c) = files.get(path) {
        return Ok(c);
    }
    match resolve_path(path) {
        Ok(clean) => files
            .get(&clean)
            .map(String::as_str)
            .ok_or_else(|| format!("{op} {clean}: no such file or directory")),
        Err(e) => Err(format!("{op} {path}: {e}")),
    }
}

/// Go `uuid.Parse` validation.
pub(crate) fn check_uuid(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let core: &[u8] = match b.len() {
        36 => b,
        45 => {
            let prefix = b.get(..9).unwrap_or_default();
            if !prefix.eq_ignore_ascii_case(b"urn:uuid:") {
                return Err(format!(
                    "invalid urn prefix: {:?}",
                    String::from_utf8_lossy(prefix)
                ));
            }
            b.get(9..).unwrap_or_default()
        }
        38 => b.get(1..37).unwrap_or_default(),
        32 => {
            return if b.iter().all(u8::is_ascii_hexdigit) {
                Ok(())
            } else {
                Err("invalid UUID format".into())
            };
        }
        n => return Err(format!("invalid UUID length: {n}")),
    };
    for (i, c) in core.iter().enumerate() {
        let ok = if matches!(i, 8 | 13 | 18 | 23) {
            *c == b'-'
        } else {
            c.is_ascii_hexdigit()
        };
        if !ok {
            return Err("invalid UUID format".into());
        }
    }
    Ok(())
}

fn descriptor_errors(d: &Descriptors) -> Vec<String> {
    let mut out = Vec::new();
    for k in d.labels.keys().filter(|k| k.starts_with(RESERVED)) {
        out.push(format!(
            "label \"{k}\" is invalid: prefix \"{RESERVED}\" is reserved for internal use"
        ));
    }
    for k in d.annotations.keys().filter(|k| k.starts_with(RESERVED)) {
        out.push(format!(
            "annotation \"{k}\" is invalid: prefix \"{RESERVED}\" is reserved for internal use"
        ));
    }
    out
}

/// Errors of a list of patches, each item `patch "<n>" is invalid: <list>`, with its position.
fn patch_errors(patches: &[Patch], files: &BTreeMap<String, String>) -> Vec<(String, Pos)> {
    let mut out = Vec::new();
    for p in patches {
        let mut errs = descriptor_errors(&p.desc);
        let mut at = p.pos;
        let has_file = !p.file.is_empty();
        if has_file && p.inline.is_some() {
            errs.push("path and inline are mutually exclusive".into());
        } else if !has_file && p.inline.is_none() {
            errs.push("path or inline is required".into());
        }
        if has_file {
            match read_file(files, &p.file, "openat") {
                Err(e) => errs.push(format!("failed to access \"{}\": {e}", p.file)),
                Ok(content) => {
                    if let Err(e) = validate_patch(content) {
                        errs.push(format!("failed to validate patch \"{}\": {e}", p.file));
                    }
                }
            }
        } else if let Some(content) = &p.inline {
            if p.name.is_empty() && p.id_override.is_empty() {
                errs.push("either name or idOverride is required for inline patches".into());
            } else if let Err(e) = validate_patch(content) {
                errs.push(format!(
                    "failed to validate inline patch \"{}\": {e}",
                    p.name
                ));
                // point at the offending key or value inside the template, not at the patch
                if errs.len() == 1 {
                    at = p.inline_node.as_ref().and_then(locate_inline).unwrap_or(at);
                }
            }
        }
        if !errs.is_empty() {
            out.push((
                format!(
                    "patch \"{}\" is invalid: {}",
                    p.effective_name(),
                    multi(&errs)
                ),
                at,
            ));
        }
    }
    out
}

fn manifest_errors(ms: &[Manifest], files: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut names: HashSet<&str> = HashSet::new();
    for m in ms {
        let name = if m.name.is_empty() { &m.file } else { &m.name };
        let mut errs: Vec<String> = Vec::new();
        if name.is_empty() {
            errs.push("kubernetes manifest name is empty".into());
        }
        if m.mode.is_none() {
            errs.push(format!("kubernetes manifest \"{name}\" mode is not set"));
        }
        let has_file = !m.file.is_empty();
        if has_file && m.inline.is_some() {
            errs.push("path and inline are mutually exclusive".into());
        } else if !has_file && m.inline.is_none() {
            errs.push("path or inline is required".into());
        }
        let d = descriptor_errors(&m.desc);
        if !d.is_empty() {
            errs.push(format!(
                "kubernetes manifest \"{name}\" descriptors validation failed: {}",
                multi(&d)
            ));
        }
        if has_file {
            if let Err(e) = read_file(files, &m.file, "statat") {
                errs.push(format!("failed to access \"{}\": {e}", m.file));
            }
        }
        if errs.is_empty() && !names.insert(name) {
            errs.push(format!("duplicate manifest name \"{name}\""));
        }
        out.extend(errs);
    }
    out
}

fn healthcheck_errors(hs: &[HealthCheck], files: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut keys: HashSet<&str> = HashSet::new();
    for h in hs {
        let id = if h.id_override.is_empty() {
            &h.name
        } else {
            &h.id_override
        };
        let mut errs: Vec<String> = Vec::new();
        if id.is_empty() {
            errs.push("either name or idOverride is required for a healthcheck".into());
        }
        let has_file = !h.file.is_empty();
        if has_file && h.job.is_some() {
            errs.push(format!(
                "healthcheck \"{id}\": job and file are mutually exclusive"
            ));
        } else if !has_file && h.job.is_none() {
            errs.push(format!("healthcheck \"{id}\": job or file is required"));
        } else if has_file {
            if let Err(e) = read_file(files, &h.file, "statat") {
                errs.push(format!(
                    "healthcheck \"{id}\": failed to access \"{}\": {e}",
                    h.file
                ));
            }
        }
        errs.extend(descriptor_errors(&h.desc));
        if errs.is_empty() && !id.is_empty() && !keys.insert(id) {
            errs.push(format!("duplicate healthcheck \"{id}\""));
        }
        if !errs.is_empty() {
            out.push(multi(&errs));
        }
    }
    out
}

fn version_errors(v: &str, talos: bool) -> Vec<String> {
    let mut errs = Vec::new();
    if v.is_empty() {
        errs.push("version is required".to_string());
    } else {
        if let Err(e) = Version::parse_tolerant(v) {
            errs.push(format!("version should be in semver format: {e}"));
        }
        if talos && !v.starts_with('v') {
            errs.push("version should start with 'v'".into());
        }
    }
    errs
}

fn cluster_errors(c: &Cluster, files: &BTreeMap<String, String>) -> (Vec<String>, Option<Pos>) {
    let mut errs: Vec<String> = Vec::new();
    let mut pos = None;
    if c.name.is_empty() {
        errs.push("name is required".into());
    } else if !c
        .name
        .chars()
        .all(|ch| ch.is_alphanumeric() || ch == '-' || ch == '_')
    {
        errs.push("name should only contain letters, digits, dashes and underscores".into());
    }
    let k = version_errors(&c.kubernetes_version, false);
    if !k.is_empty() {
        errs.push(format!(
            "error validating Kubernetes version: {}",
            multi(&k)
        ));
    }
    let t = version_errors(&c.talos_version, true);
    if !t.is_empty() {
        errs.push(format!("error validating Talos version: {}", multi(&t)));
    }
    if c.features.disk_encryption {
        match Version::parse_tolerant(&c.talos_version) {
            Err(e) => errs.push(e),
            Ok(v) => {
                if v < Version::new(1, 5, 0) {
                    errs.push(
                        "disk encryption is supported only for Talos version >= 1.5.0".into(),
                    );
                }
            }
        }
    }
    errs.extend(descriptor_errors(&c.desc));
    for (e, p) in patch_errors(&c.patches, files) {
        pos.get_or_insert(p);
        errs.push(e);
    }
    let m = manifest_errors(&c.manifests, files);
    if !m.is_empty() {
        errs.push(m.join("\n"));
    }
    let h = healthcheck_errors(&c.healthchecks, files);
    if !h.is_empty() {
        errs.push(h.join("\n"));
    }
    (errs, pos)
}

fn machine_set_errors(
    s: &MachineSet,
    files: &BTreeMap<String, String>,
) -> (Vec<String>, Option<Pos>) {
    let mut errs: Vec<String> = Vec::new();
    let mut pos = None;
    if s.control_plane {
        if !s.name.is_empty() {
            errs.push("custom name is not allowed in the controlplane".into());
        }
        if let Some((uuid, snap)) = &s.bootstrap {
            if uuid.is_empty() {
                errs.push("clusterUUID is required in bootstrapSpec".into());
            }
            if snap.is_empty() {
                errs.push("snapshot is required in bootstrapSpec".into());
            }
        }
        if s.update_strategy.is_some() {
            errs.push("updateStrategy is not allowed in the controlplane".into());
        }
        if s.delete_strategy.is_some() {
            errs.push("deleteStrategy is not allowed in the controlplane".into());
        }
    } else {
        if s.name == "control-planes" {
            errs.push("name \"control-planes\" cannot be used in workers".into());
        }
        if s.bootstrap.is_some() {
            errs.push("bootstrapSpec is not allowed in workers".into());
        }
    }
    errs.extend(descriptor_errors(&s.desc));
    if !s.machines.is_empty() && s.machine_class.is_some() {
        errs.push("machine set can not have both machines and machine class defined".into());
    }
    if s.kernel_args.is_some() && s.machine_class.is_some() {
        errs.push(
            "kernelArgs cannot be defined for machine set since it uses machine class".into(),
        );
    }
    for (id, p) in &s.machines {
        if let Err(e) = check_uuid(id) {
            pos.get_or_insert(*p);
            errs.push(format!("invalid machine ID \"{id}\": {e}"));
        }
    }
    for (e, p) in patch_errors(&s.patches, files) {
        pos.get_or_insert(p);
        errs.push(e);
    }
    (errs, pos)
}

fn machine_errors(m: &Machine, files: &BTreeMap<String, String>) -> (Vec<String>, Option<Pos>) {
    let mut errs: Vec<String> = Vec::new();
    let mut pos = None;
    if m.name.is_empty() {
        errs.push("name is required for machine".into());
    }
    errs.extend(descriptor_errors(&m.desc));
    if let Err(e) = check_uuid(&m.name) {
        pos = Some(m.name_pos);
        errs.push(format!("invalid machine ID \"{}\": {e}", m.name));
    }
    if !m.install_disk.is_empty() && !m.install_selector.is_empty() {
        errs.push("install.disk and install.diskSelector are mutually exclusive".into());
    }
    for (e, p) in patch_errors(&m.patches, files) {
        pos.get_or_insert(p);
        errs.push(e);
    }
    (errs, pos)
}

/// Runs every check; returns the top-level error list (empty when valid).
pub(crate) fn validate(t: &Template) -> Vec<TemplateError> {
    let files = &t.files;
    let mut out = Vec::new();
    for m in &t.models {
        let (errs, pos, prefix) = match &m.kind {
            ModelKind::Cluster(c) => {
                let (e, p) = cluster_errors(c, files);
                (e, p, format!("error validating cluster \"{}\"", c.name))
            }
            ModelKind::MachineSet(s) => {
                let (e, p) = machine_set_errors(s, files);
                let prefix = if s.control_plane {
                    "controlplane is invalid"
                } else {
                    "workers is invalid"
                };
                (e, p, prefix.to_string())
            }
            ModelKind::Machine(mm) => {
                let (e, p) = machine_errors(mm, files);
                (e, p, format!("machine \"{}\" is invalid", mm.name))
            }
        };
        if !errs.is_empty() {
            out.push(TemplateError::at(
                format!("{prefix}: {}", multi(&errs)),
                Some(m.doc),
                Some(pos.unwrap_or(m.start)),
            ));
        }
    }

    let mut clusters = 0;
    let mut cps = 0;
    let mut worker_names: Vec<(&str, usize)> = Vec::new();
    // machine -> worker set names (document order)
    let mut worker_use: Vec<(&str, Vec<&str>, usize, Pos)> = Vec::new();
    let mut worker_index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut cp_machines: Vec<(&str, usize, Pos)> = Vec::new();
    let mut all_set_machines: HashSet<&str> = HashSet::new();
    let mut locked: HashSet<&str> = HashSet::new();
    for m in &t.models {
        match &m.kind {
            ModelKind::Cluster(_) => clusters += 1,
            ModelKind::MachineSet(s) if s.control_plane => {
                cps += 1;
                for (id, p) in &s.machines {
                    cp_machines.push((id, m.doc, *p));
                    all_set_machines.insert(id);
                }
            }
            ModelKind::MachineSet(s) => {
                worker_names.push((&s.name, m.doc));
                for (id, p) in &s.machines {
                    all_set_machines.insert(id);
                    match worker_index
                        .get(id.as_str())
                        .and_then(|i| worker_use.get_mut(*i))
                    {
                        Some(entry) => entry.1.push(&s.name),
                        None => {
                            worker_index.insert(id, worker_use.len());
                            worker_use.push((id, vec![&s.name], m.doc, *p));
                        }
                    }
                }
            }
            ModelKind::Machine(mm) => {
                if mm.locked {
                    locked.insert(&mm.name);
                }
            }
        }
    }
    if clusters != 1 {
        out.push(TemplateError::new(format!(
            "template should contain 1 cluster, got {clusters}"
        )));
    }
    if cps != 1 {
        out.push(TemplateError::new(format!(
            "template should contain 1 controlplane, got {cps}"
        )));
    }
    let mut reported: Vec<&str> = Vec::new();
    for (i, (name, doc)) in worker_names.iter().enumerate() {
        let dup = worker_names.iter().skip(i + 1).any(|(n, _)| n == name);
        if dup && !reported.contains(name) {
            reported.push(name);
            let start = t.models.iter().find(|m| m.doc == *doc).map(|m| m.start);
            out.push(TemplateError::at(
                format!("duplicate workers with name \"{name}\""),
                Some(*doc),
                start,
            ));
        }
    }
    for (id, sets, doc, p) in &worker_use {
        if sets.len() > 1 {
            let quoted: Vec<String> = sets.iter().map(|s| format!("\"{s}\"")).collect();
            out.push(TemplateError::at(
                format!(
                    "machine \"{id}\" is used in multiple workers: [{}]",
                    quoted.join(" ")
                ),
                Some(*doc),
                Some(*p),
            ));
        }
    }
    let both: Vec<&(&str, usize, Pos)> = cp_machines
        .iter()
        .filter(|(id, ..)| worker_index.contains_key(id))
        .collect();
    if !both.is_empty() {
        let ids: Vec<&str> = both.iter().map(|(id, ..)| *id).collect();
        let first = both.first().map(|(_, d, p)| (*d, *p));
        out.push(TemplateError::at(
            format!(
                "machines [{}] are used in both controlplane and workers",
                ids.join(" ")
            ),
            first.map(|f| f.0),
            first.map(|f| f.1),
        ));
    }
    for m in &t.models {
        if let ModelKind::Machine(mm) = &m.kind {
            if !all_set_machines.contains(mm.name.as_str()) {
                out.push(TemplateError::at(
                    format!(
                        "machine \"{}\" is not used in controlplane or workers",
                        mm.name
                    ),
                    Some(m.doc),
                    Some(mm.name_pos),
                ));
            }
        }
    }
    for (id, doc, p) in &cp_machines {
        if locked.contains(id) {
            out.push(TemplateError::at(
                format!("machine \"{id}\" is locked and used in controlplane"),
                Some(*doc),
                Some(*p),
            ));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        assert!(check_uuid("430d882a-51a8-48b3-ae00-90c5b0b5b0b0").is_ok());
        assert_eq!(check_uuid("abc").unwrap_err(), "invalid UUID length: 3");
    }
}
