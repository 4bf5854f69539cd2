//! Config-patch content validation (templates.md 5.9).
//!
//! Stage 1 (the Talos loader) is reproduced for document detection and for unknown keys of
//! the legacy v1alpha1 document, using an embedded *partial* schema: keys are checked only in
//! the sections listed in [`known_keys`]; other sections accept anything. Stage 2 (Omni's
//! forbidden content) is exact.

use super::error::multi;
use super::model::Dec;
use crate::goyaml::emit::{to_yaml, Y};
use crate::goyaml::node::{parse_stream, Node, NodeKind};

/// Known keys of sections of the legacy v1alpha1 machine config (Talos 1.14).
fn known_keys(path: &str) -> Option<&'static [&'static str]> {
    Some(match path {
        "" => &["version", "debug", "persist", "machine", "cluster"],
        "machine" => &[
            "type",
            "token",
            "ca",
            "acceptedCAs",
            "certSANs",
            "controlPlane",
            "kubelet",
            "pods",
            "network",
            "disks",
            "install",
            "files",
            "env",
            "time",
            "sysctls",
            "sysfs",
            "registries",
            "systemDiskEncryption",
            "features",
            "udev",
            "logging",
            "kernel",
            "seccompProfiles",
            "baseRuntimeSpecOverrides",
            "nodeLabels",
            "nodeAnnotations",
            "nodeTaints",
        ],
        "machine.network" => &[
            "hostname",
            "interfaces",
            "nameservers",
            "searchDomains",
            "extraHostEntries",
            "kubespan",
            "disableSearchDomain",
        ],
        "machine.network.kubespan" => &[
            "enabled",
            "advertiseKubernetesNetworks",
            "allowDownPeerBypass",
            "harvestExtraEndpoints",
            "mtu",
            "filters",
        ],
        "machine.install" => &[
            "disk",
            "diskSelector",
            "extraKernelArgs",
            "image",
            "extensions",
            "bootloader",
            "wipe",
            "legacyBIOSSupport",
            "grubUseUKICmdline",
        ],
        "machine.features" => &[
            "rbac",
            "stableHostname",
            "kubernetesTalosAPIAccess",
            "apidCheckExtKeyUsage",
            "diskQuotaSupport",
            "kubePrism",
            "hostDNS",
            "imageCache",
            "nodeAddressSortAlgorithm",
        ],
        "machine.registries" => &["mirrors", "config"],
        "machine.time" => &["disabled", "servers", "bootTimeout"],
        "cluster" => &[
            "id",
            "secret",
            "controlPlane",
            "clusterName",
            "network",
            "token",
            "aescbcEncryptionSecret",
            "secretboxEncryptionSecret",
            "ca",
            "acceptedCAs",
            "aggregatorCA",
            "serviceAccount",
            "apiServer",
            "controllerManager",
            "proxy",
            "scheduler",
            "discovery",
            "etcd",
            "coreDNS",
            "externalCloudProvider",
            "extraManifests",
            "extraManifestHeaders",
            "inlineManifests",
            "adminKubeconfig",
            "allowSchedulingOnControlPlanes",
            "allowSchedulingOnMasters",
        ],
        "cluster.network" => &["cni", "dnsDomain", "podSubnets", "serviceSubnets"],
        "cluster.apiServer" => &[
            "image",
            "extraArgs",
            "extraVolumes",
            "env",
            "certSANs",
            "disablePodSecurityPolicy",
            "admissionControl",
            "auditPolicy",
            "resources",
            "authorizationConfig",
        ],
        "cluster.proxy" => &["image", "disabled", "mode", "extraArgs"],
        _ => return None,
    })
}

const FORBIDDEN_KINDS: &[&str] = &[
    "UnattendedInstallConfig",
    "DiscoveryIdentityConfig",
    "KubeClusterConfig",
    "KubeEtcdEncryptionConfig",
    "KubeAPIServerCAConfig",
    "KubeAggregatorCAConfig",
];

const FORBIDDEN_PATHS: &[&str] = &[
    "cluster.clusterName",
    "cluster.id",
    "cluster.controlPlane.endpoint",
    "cluster.token",
    "cluster.secret",
    "cluster.aescbcEncryptionSecret",
    "cluster.secretboxEncryptionSecret",
    "cluster.ca",
    "cluster.acceptedCAs",
    "cluster.serviceAccount",
    "machine.token",
    "machine.ca",
    "machine.type",
    "machine.install.disk",
    "machine.install.extensions",
    "machine.acceptedCAs",
];

fn get<'a>(n: &'a Node, key: &str) -> Option<&'a Node> {
    n.map_entries()?
        .into_iter()
        .find(|(k, _)| k.scalar() == Some(key))
        .map(|(_, v)| v)
}

fn get_path<'a>(n: &'a Node, path: &str) -> Option<&'a Node> {
    let mut cur = n;
    for part in path.split('.') {
        cur = get(cur, part)?;
    }
    Some(cur)
}

/// Collects unknown keys of `n` (at `path`) into a tree of the offending keys and values.
fn unknown(d: &mut Dec, n: &Node, path: &str) -> Vec<(Y, Y)> {
    let mut out = Vec::new();
    let Some(entries) = n.map_entries() else {
        return out;
    };
    let known = known_keys(path);
    for (k, v) in entries {
        let key = k.scalar().unwrap_or("");
        if key == "$patch" {
            continue;
        }
        let child = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        match known {
            Some(list) if !list.contains(&key) => {
                let y = d.generic(v);
                out.push((Y::str(key), y));
            }
            _ => {
                if matches!(v.kind, NodeKind::Map(_)) {
                    let sub = unknown(d, v, &child);
                    if !sub.is_empty() {
                        out.push((Y::str(key), Y::Map(sub)));
                    }
                }
            }
        }
    }
    out
}

/// Validates patch bytes; returns upstream's error text on failure.
pub(crate) fn validate_patch(content: &str) -> Result<(), String> {
    let docs = parse_stream(content).map_err(|e| e.message)?;
    let mut seen: Vec<(String, String, String)> = Vec::new();
    let mut count = 0;
    let mut kinds: Vec<(Option<String>, &Node)> = Vec::new();
    for doc in &docs {
        let root = &doc.root;
        if root.is_null() {
            continue;
        }
        let line = root.pos.line;
        if !matches!(root.kind, NodeKind::Map(_)) {
            return Err(format!("expected a YAML document at line {line}"));
        }
        count += 1;
        let kind = get(root, "kind").and_then(Node::scalar).map(str::to_string);
        let mut api = get(root, "apiVersion")
            .and_then(Node::scalar)
            .map(str::to_string);
        let name = get(root, "name")
            .and_then(Node::scalar)
            .unwrap_or("")
            .to_string();
        if ["machine", "cluster", "debug", "persist"]
            .iter()
            .any(|k| get(root, k).is_some())
        {
            api = Some("v1alpha1".into());
        }
        let label_kind = kind.clone().unwrap_or_else(|| "v1alpha1".into());
        let label_api = if kind.is_none() {
            String::new()
        } else {
            api.clone().unwrap_or_default()
        };
        let prefix =
            format!("error decoding document {label_api}/{label_kind}/{name} (line {line}): ");
        match (&kind, &api) {
            (None, Some(v)) if v == "v1alpha1" => {
                let mut d = Dec::new(line);
                let bad = unknown(&mut d, root, "");
                if !bad.is_empty() {
                    return Err(format!(
                        "{prefix}unknown keys found during decoding:\n{}",
                        to_yaml(&Y::Map(bad), 4)
                    ));
                }
            }
            (None, _) => return Err(format!("{prefix}missing kind")),
            (Some(_), None) => return Err(format!("{prefix}missing apiVersion")),
            (Some(_), Some(_)) => {}
        }
        let key = (label_api.clone(), label_kind.clone(), name.clone());
        if seen.contains(&key) {
            return Err(format!(
                "duplicate document {label_api}/{label_kind}/{name} is not allowed (line {line})"
            ));
        }
        seen.push(key);
        kinds.push((kind, root));
    }
    if count == 0 {
        return Err("config not found".into());
    }
    let mut errs: Vec<String> = Vec::new();
    for (kind, root) in kinds {
        match kind.as_deref() {
            Some(k) if FORBIDDEN_KINDS.contains(&k) => {
                errs.push(format!(
                    "the \"{k}\" document is not allowed in the config patch"
                ));
            }
            None => {
                for p in FORBIDDEN_PATHS {
                    if get_path(root, p).is_some() {
                        errs.push(format!(
                            "overriding \"{p}\" is not allowed in the config patch"
                        ));
                    }
                }
                os_admin(
                    root,
                    "machine.features.kubernetesTalosAPIAccess.allowedRoles",
                    &mut errs,
                );
            }
            Some("KubeServiceAccountConfig") if get_path(root, "issuer.privateKey").is_some() => {
                errs.push(
                    "overriding \"issuer.privateKey\" is not allowed in the config patch".into(),
                );
            }
            Some("KubeTalosAPIAccessConfig") => os_admin(root, "allowedRoles", &mut errs),
            _ => {}
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(multi(&errs))
    }
}

fn os_admin(root: &Node, path: &str, errs: &mut Vec<String>) {
    if let Some(Node {
        kind: NodeKind::Seq(items),
        ..
    }) = get_path(root, path)
    {
        for it in items {
            if it.scalar() == Some("os:admin") {
                errs.push(format!(
                    "element \"os:admin\" is not allowed in field \"{path}\""
                ));
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn upstream_examples() {
        assert_eq!(
            validate_patch("spaceship:\n  deployed: true\n").unwrap_err(),
            "error decoding document /v1alpha1/ (line 1): missing kind"
        );
        assert_eq!(
            validate_patch("machine:\n  network:\n    kubespan:\n      running: true\n").unwrap_err(),
            "error decoding document /v1alpha1/ (line 1): unknown keys found during decoding:\nmachine:\n    network:\n        kubespan:\n            running: true\n"
        );
        assert_eq!(
            validate_patch("machine:\n  token: haha\n").unwrap_err(),
            "1 error occurred:\n\t* overriding \"machine.token\" is not allowed in the config patch\n\n"
        );
        assert!(
            validate_patch("machine:\n  network:\n    kubespan:\n      enabled: true\n").is_ok()
        );
        assert_eq!(validate_patch("").unwrap_err(), "config not found");
    }
}
