//! Display types and aliases of resource types, computed the way COSI's
//! `ResourceDefinitionSpec.Fill` does (`cosi-project/runtime: pkg/resource/meta/spec/resource_definition.go`).

/// The derived names of one type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Names {
    pub display_type: String,
    pub aliases: Vec<String>,
    pub all_aliases: Vec<String>,
}

/// Computes display type, aliases and all aliases for `type_name` (`<Name>.<suffix>`),
/// with `declared` aliases first (as COSI appends to the declared list).
pub(crate) fn fill(type_name: &str, declared: &[String]) -> Names {
    let (name, suffix) = type_name.split_once('.').unwrap_or((type_name, ""));
    let display_type = singular(name);
    let mut aliases: Vec<String> = declared.to_vec();
    aliases.push(display_type.to_lowercase());
    let lower = name.to_lowercase();
    let mut all_aliases = vec![lower.clone()];
    let elems: Vec<&str> = if suffix.is_empty() {
        Vec::new()
    } else {
        suffix.split('.').collect()
    };
    for i in 1..elems.len() {
        let mut s = lower.clone();
        for e in elems.iter().take(i) {
            s.push('.');
            s.push_str(e);
        }
        all_aliases.push(s);
    }
    let upper: String = name.chars().filter(|c| c.is_uppercase()).collect();
    if upper.chars().count() > 1 {
        aliases.push(upper.to_lowercase());
        if !upper.ends_with('S') {
            aliases.push(format!("{upper}s").to_lowercase());
        }
    }
    all_aliases.extend(aliases.iter().cloned());
    Names {
        display_type,
        aliases,
        all_aliases,
    }
}

/// English singular of a CamelCase plural, following the rules of the pluralisation library COSI
/// uses (the subset that matters for resource type names): the last word is singularised and the
/// case of the untouched prefix kept.
pub(crate) fn singular(name: &str) -> String {
    let lower = name.to_lowercase();
    // (suffix of the lower-cased word, number of bytes to drop, replacement), checked in order.
    const RULES: &[(&str, usize, &str)] = &[
        // Already singular forms that end in `s`.
        ("ss", 0, ""),
        ("us", 0, ""),
        ("is", 0, ""),
        // `-statuses`, `-aliases`, `-buses`.
        ("uses", 2, ""),
        ("aliases", 2, ""),
        ("sses", 2, ""),
        ("ches", 2, ""),
        ("shes", 2, ""),
        ("xes", 2, ""),
        ("zzes", 2, ""),
        // `-policies` → `-policy` (not `-movies`).
        ("movies", 1, ""),
        ("ies", 3, "y"),
        ("s", 1, ""),
    ];
    for (suffix, drop, repl) in RULES {
        if lower.ends_with(suffix) {
            let keep = name.len().saturating_sub(*drop);
            let mut out = name.get(..keep).unwrap_or(name).to_string();
            out.push_str(repl);
            return out;
        }
    }
    name.to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn singular_of_omni_type_names() {
        for (p, s) in [
            ("Clusters", "Cluster"),
            ("ClusterStatuses", "ClusterStatus"),
            ("AccessPolicies", "AccessPolicy"),
            ("Identities", "Identity"),
            ("ConfigPatches", "ConfigPatch"),
            ("ClusterMachineConfigPatches", "ClusterMachineConfigPatch"),
            ("InstallationMedias", "InstallationMedia"),
            ("BackupDatas", "BackupData"),
            ("KernelArgs", "KernelArg"),
            ("ClusterUUIDs", "ClusterUUID"),
            ("VersionContract", "VersionContract"),
            ("JWTPublicKeys", "JWTPublicKey"),
            ("Supports", "Support"),
        ] {
            assert_eq!(singular(p), s, "{p}");
        }
    }

    #[test]
    fn fill_matches_cosi() {
        let n = fill("MachineSets.omni.sidero.dev", &[]);
        assert_eq!(n.display_type, "MachineSet");
        assert_eq!(n.aliases, ["machineset", "ms"]);
        assert_eq!(
            n.all_aliases,
            [
                "machinesets",
                "machinesets.omni",
                "machinesets.omni.sidero",
                "machineset",
                "ms"
            ]
        );
        let n = fill("Clusters.omni.sidero.dev", &[]);
        assert_eq!(n.aliases, ["cluster"]);
        let n = fill("ClusterUUIDs.omni.sidero.dev", &[]);
        assert_eq!(n.aliases, ["clusteruuid", "cuuid", "cuuids"]);
        let n = fill("ConfigPatches.omni.sidero.dev", &[]);
        assert_eq!(n.aliases, ["configpatch", "cp", "cps"]);
        let n = fill("KernelArgs.omni.sidero.dev", &[]);
        assert_eq!(n.aliases, ["kernelarg", "ka", "kas"]);
    }
}
