//! The resource type registry: builtin Omni types, merged with the server's ResourceDefinitions.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::names;
use super::registry_table::BUILTIN;
use super::Resource;
use crate::{Error, Result};

/// The type string of resource definitions.
pub const RESOURCE_DEFINITION_TYPE: &str = "ResourceDefinitions.meta.cosi.dev";

/// An extra table column: header and a JSONPath over the spec YAML map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintColumn {
    /// Column name (upper-cased in the table header).
    pub name: String,
    /// A JSONPath expression such as `{.talosversion}`.
    pub json_path: String,
}

/// One resource type: names, default namespace, spec schema, print columns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceType {
    /// Full type string, e.g. `Clusters.omni.sidero.dev`.
    pub type_name: String,
    /// Singular display name, e.g. `Cluster`.
    pub display_type: String,
    /// Namespace used when the caller gives none.
    pub default_namespace: String,
    /// Full protobuf name of the spec message (`specs.ClusterSpec`); `None` when the spec has no
    /// protobuf schema we know (server-only types): such specs pass through as YAML.
    pub spec_message: Option<String>,
    /// Whether the type is marked sensitive.
    pub sensitive: bool,
    /// Human aliases (singular, acronyms).
    pub aliases: Vec<String>,
    /// Every alias omnictl matches against (lower-case plural, suffix prefixes, aliases).
    pub all_aliases: Vec<String>,
    /// Extra table columns.
    pub print_columns: Vec<PrintColumn>,
}

/// What `omnictl get -o table` takes as the definition of a type.
pub type ResourceDefinition = ResourceType;

impl ResourceType {
    /// A type with names computed the COSI way.
    pub fn new(type_name: &str, default_namespace: &str, spec_message: Option<&str>) -> Self {
        let n = names::fill(type_name, &[]);
        ResourceType {
            type_name: type_name.to_string(),
            display_type: n.display_type,
            default_namespace: default_namespace.to_string(),
            spec_message: spec_message.map(str::to_string),
            sensitive: false,
            aliases: n.aliases,
            all_aliases: n.all_aliases,
            print_columns: Vec::new(),
        }
    }

    fn matches(&self, word_lower: &str) -> bool {
        self.type_name.to_lowercase() == word_lower
            || self
                .all_aliases
                .iter()
                .any(|a| a.to_lowercase() == word_lower)
    }
}

/// All known resource types, keyed by type string.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    types: BTreeMap<String, ResourceType>,
}

fn builtin_registry() -> &'static Registry {
    static CELL: OnceLock<Registry> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut types = BTreeMap::new();
        for (t, ns, spec, sensitive, cols) in BUILTIN {
            let mut rt = ResourceType::new(t, ns, (!spec.is_empty()).then_some(*spec));
            // COSI declares `ns` for namespaces (the only declared alias among builtin types).
            if *t == "Namespaces.meta.cosi.dev" {
                let n = names::fill(t, &["ns".to_string()]);
                rt.aliases = n.aliases;
                rt.all_aliases = n.all_aliases;
            }
            rt.sensitive = *sensitive;
            rt.print_columns = cols
                .iter()
                .map(|(n, p)| PrintColumn {
                    name: (*n).to_string(),
                    json_path: (*p).to_string(),
                })
                .collect();
            types.insert((*t).to_string(), rt);
        }
        Registry { types }
    })
}

impl Registry {
    /// Every type Omni registers (at the analysed upstream commit) plus COSI's `meta` types.
    pub fn builtin() -> Registry {
        builtin_registry().clone()
    }

    /// The builtin registry, shared (one copy per thread).
    pub fn builtin_rc() -> std::rc::Rc<Registry> {
        thread_local! {
            static BUILTIN: std::rc::Rc<Registry> = std::rc::Rc::new(builtin_registry().clone());
        }
        BUILTIN.with(std::rc::Rc::clone)
    }

    /// The builtin registry without cloning it.
    pub fn builtin_ref() -> &'static Registry {
        builtin_registry()
    }

    /// Merges the server's `ResourceDefinitions.meta.cosi.dev` resources over the builtin table:
    /// aliases, display type, print columns and default namespace come from the server; the spec
    /// message is kept from the builtin table (types unknown to us get none).
    pub fn from_definitions(defs: Vec<Resource>) -> Result<Registry> {
        let mut reg = Registry::builtin();
        for d in defs {
            reg.merge_definition(&d)?;
        }
        Ok(reg)
    }

    /// Merges one ResourceDefinition resource (see [`Registry::from_definitions`]).
    pub fn merge_definition(&mut self, def: &Resource) -> Result<()> {
        let spec = &def.spec;
        let get_str = |k: &[&str]| -> Option<String> {
            k.iter()
                .find_map(|k| spec.get(*k).and_then(|v| v.as_str()))
                .map(str::to_string)
        };
        let get_list = |k: &[&str]| -> Vec<String> {
            k.iter()
                .find_map(|k| spec.get(*k).and_then(|v| v.as_array()))
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let type_name = get_str(&["resource_type", "resourcetype", "type"]).ok_or_else(|| {
            Error::Decode(format!(
                "resource definition {:?} has no resource_type",
                def.metadata.id
            ))
        })?;
        let computed = names::fill(&type_name, &[]);
        let mut rt = self
            .types
            .get(&type_name)
            .cloned()
            .unwrap_or_else(|| ResourceType::new(&type_name, "", None));
        if let Some(dt) = get_str(&["display_type", "displaytype", "displayType"]) {
            rt.display_type = dt;
        } else {
            rt.display_type = computed.display_type;
        }
        if let Some(ns) = get_str(&["default_namespace", "defaultnamespace", "defaultNamespace"]) {
            rt.default_namespace = ns;
        }
        let aliases = get_list(&["aliases"]);
        if !aliases.is_empty() {
            rt.aliases = aliases;
        }
        let all = get_list(&["all_aliases", "allaliases", "allAliases"]);
        if !all.is_empty() {
            rt.all_aliases = all;
        }
        if let Some(cols) = ["print_columns", "printcolumns", "printColumns"]
            .iter()
            .find_map(|k| spec.get(*k).and_then(|v| v.as_array()))
        {
            rt.print_columns = cols
                .iter()
                .filter_map(|c| {
                    let name = c.get("name")?.as_str()?.to_string();
                    let json_path = ["json_path", "jsonpath", "jsonPath"]
                        .iter()
                        .find_map(|k| c.get(*k).and_then(|v| v.as_str()))?
                        .to_string();
                    Some(PrintColumn { name, json_path })
                })
                .collect();
        }
        if let Some(s) = get_str(&["sensitivity"]) {
            rt.sensitive = !s.is_empty() && s != "0";
        } else if let Some(n) = spec.get("sensitivity").and_then(|v| v.as_i64()) {
            rt.sensitive = n != 0;
        }
        self.types.insert(type_name, rt);
        Ok(())
    }

    /// Adds or replaces a type.
    pub fn insert(&mut self, t: ResourceType) {
        self.types.insert(t.type_name.clone(), t);
    }

    /// The type with exactly this type string.
    pub fn lookup(&self, type_name: &str) -> Option<&ResourceType> {
        self.types.get(type_name)
    }

    /// Every type, sorted by type string.
    pub fn types(&self) -> impl Iterator<Item = &ResourceType> {
        self.types.values()
    }

    /// Resolves a user's word like omnictl does: case-insensitive match against the full type
    /// string and every alias; exactly one match wins.
    pub fn resolve(&self, word: &str) -> Result<&ResourceType> {
        if let Some(t) = self.types.get(word) {
            return Ok(t);
        }
        let w = word.to_lowercase();
        let mut found = self.types.values().filter(|t| t.matches(&w));
        match (found.next(), found.next()) {
            (Some(t), None) => Ok(t),
            (Some(_), Some(_)) => Err(Error::InvalidArgument(format!(
                "resource type {word:?} is ambiguous"
            ))),
            (None, _) => Err(Error::status(
                crate::Code::NotFound,
                format!("resource {word:?} is not registered"),
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_every_upstream_type() {
        let r = Registry::builtin();
        assert_eq!(r.types().count(), 157);
        let c = r.lookup("Clusters.omni.sidero.dev").unwrap();
        assert_eq!(c.default_namespace, "default");
        assert_eq!(c.spec_message.as_deref(), Some("specs.ClusterSpec"));
        assert_eq!(c.display_type, "Cluster");
        assert_eq!(c.print_columns.len(), 2);
        assert!(r.lookup("ConfigPatches.omni.sidero.dev").unwrap().sensitive);
        assert_eq!(
            r.lookup("EtcdBackups.omni.sidero.dev")
                .unwrap()
                .default_namespace,
            "external"
        );
        assert_eq!(
            r.lookup("SysVersions.system.sidero.dev")
                .unwrap()
                .default_namespace,
            "ephemeral"
        );
        // Every spec message exists in the compiled descriptors.
        for t in r.types() {
            if let Some(m) = &t.spec_message {
                assert!(super::super::codec::message(m).is_ok(), "{m}");
            }
        }
    }

    #[test]
    fn resolve_like_omnictl() {
        let r = Registry::builtin();
        for w in [
            "cluster",
            "clusters",
            "Clusters",
            "CLUSTER",
            "clusters.omni",
            "clusters.omni.sidero",
            "Clusters.omni.sidero.dev",
            "clusters.omni.sidero.dev",
        ] {
            assert_eq!(
                r.resolve(w).unwrap().type_name,
                "Clusters.omni.sidero.dev",
                "{w}"
            );
        }
        // Alias column of the type table.
        for (w, t) in [
            ("cbs", "ClusterBootstrapStatuses.omni.sidero.dev"),
            ("cuuid", "ClusterUUIDs.omni.sidero.dev"),
            ("ce", "ClusterEndpoints.omni.sidero.dev"),
            ("msn", "MachineSetNodes.omni.sidero.dev"),
            ("ml", "MachineLabels.omni.sidero.dev"),
            ("mc", "MachineClasses.omni.sidero.dev"),
            ("ka", "KernelArgs.omni.sidero.dev"),
            ("kernelarg", "KernelArgs.omni.sidero.dev"),
            ("installationmedia", "InstallationMedias.omni.sidero.dev"),
            ("tv", "TalosVersions.omni.sidero.dev"),
            ("jt", "JoinTokens.omni.sidero.dev"),
            ("djt", "DefaultJoinTokens.omni.sidero.dev"),
            ("ebos", "EtcdBackupOverallStatuses.omni.sidero.dev"),
            ("ebsc", "EtcdBackupS3Configs.omni.sidero.dev"),
            ("kmg", "KubernetesManifestGroups.omni.sidero.dev"),
            ("rtca", "RotateTalosCAs.omni.sidero.dev"),
            ("rkca", "RotateKubernetesCAs.omni.sidero.dev"),
            ("nfdr", "NodeForceDestroyRequests.omni.sidero.dev"),
            ("sv", "SysVersions.system.sidero.dev"),
            ("cu", "CurrentUsers.omni.sidero.dev"),
            ("rd", RESOURCE_DEFINITION_TYPE),
            ("ns", "Namespaces.meta.cosi.dev"),
            ("machinestatus", "MachineStatuses.omni.sidero.dev"),
            ("accesspolicy", "AccessPolicies.omni.sidero.dev"),
        ] {
            assert_eq!(r.resolve(w).unwrap().type_name, t, "{w}");
        }
        // Colliding acronyms.
        for w in [
            "cds", "cm", "cmcs", "cms", "cp", "cps", "cs", "ebs", "im", "imc", "imcs", "ims",
            "ips", "jts", "kas", "khcs", "kus", "mcs", "mes", "mrs", "ms", "mss", "nuts", "pms",
        ] {
            let e = r.resolve(w).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("invalid argument: resource type \"{w}\" is ambiguous")
            );
        }
        let e = r.resolve("nope").unwrap_err();
        assert!(e
            .to_string()
            .contains("resource \"nope\" is not registered"));
    }

    #[test]
    fn server_definitions_override_and_extend() {
        let def: Resource = serde_json::from_value(serde_json::json!({
            "metadata": {"namespace": "meta", "type": RESOURCE_DEFINITION_TYPE, "id": "widgets.example.dev", "version": "1"},
            "spec": {"resource_type": "Widgets.example.dev", "display_type": "Widget", "default_namespace": "things",
                      "aliases": ["widget", "wd"], "all_aliases": ["widgets", "widgets.example", "widget", "wd"],
                      "print_columns": [{"name": "Size", "json_path": "{.size}"}]}
        }))
        .unwrap();
        let r = Registry::from_definitions(vec![def]).unwrap();
        let t = r.resolve("wd").unwrap();
        assert_eq!(t.type_name, "Widgets.example.dev");
        assert_eq!(t.default_namespace, "things");
        assert_eq!(t.spec_message, None);
        assert_eq!(t.print_columns[0].json_path, "{.size}");
        assert!(r.resolve("cluster").is_ok());
    }
}
