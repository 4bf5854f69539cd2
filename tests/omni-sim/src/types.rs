//! The resource types the sim knows: default namespace, spec message, access rules (§5.8, §6).

use crate::auth::Role;

/// Who may do what with a type. `None` in a slot = refused for everyone.
#[derive(Clone, Copy, Debug)]
pub struct Access {
    pub read: Option<Role>,
    pub create: Option<Role>,
    pub update: Option<Role>,
    pub destroy: Option<Role>,
}

const fn rw(read: Role, write: Role) -> Access {
    Access {
        read: Some(read),
        create: Some(write),
        update: Some(write),
        destroy: Some(write),
    }
}

const fn ro(read: Role) -> Access {
    Access {
        read: Some(read),
        create: None,
        update: None,
        destroy: None,
    }
}

pub struct TypeInfo {
    pub typ: &'static str,
    pub ns: &'static str,
    /// Full name of the spec message (looked up in the descriptor pool).
    pub spec: &'static str,
    pub access: Access,
    /// Print columns (name, JSONPath over the YAML spec) for ResourceDefinitions.
    pub columns: &'static [(&'static str, &'static str)],
}

const R: Role = Role::Reader;
const O: Role = Role::Operator;
const A: Role = Role::Admin;
const N: Role = Role::None;

macro_rules! t {
    ($typ:expr, $ns:expr, $spec:expr, $acc:expr) => {
        TypeInfo {
            typ: $typ,
            ns: $ns,
            spec: $spec,
            access: $acc,
            columns: &[],
        }
    };
    ($typ:expr, $ns:expr, $spec:expr, $acc:expr, $cols:expr) => {
        TypeInfo {
            typ: $typ,
            ns: $ns,
            spec: $spec,
            access: $acc,
            columns: $cols,
        }
    };
}

pub static TYPES: &[TypeInfo] = &[
    // user-managed
    t!(
        "Clusters.omni.sidero.dev",
        "default",
        "specs.ClusterSpec",
        rw(R, O),
        &[
            ("Kubernetes Version", "{.kubernetesversion}"),
            ("Talos Version", "{.talosversion}")
        ]
    ),
    t!(
        "MachineSets.omni.sidero.dev",
        "default",
        "specs.MachineSetSpec",
        rw(R, O)
    ),
    t!(
        "MachineSetNodes.omni.sidero.dev",
        "default",
        "specs.MachineSetNodeSpec",
        rw(R, O)
    ),
    t!(
        "ConfigPatches.omni.sidero.dev",
        "default",
        "specs.ConfigPatchSpec",
        rw(R, O)
    ),
    t!(
        "MachineClasses.omni.sidero.dev",
        "default",
        "specs.MachineClassSpec",
        rw(R, O)
    ),
    t!(
        "MachineLabels.omni.sidero.dev",
        "default",
        "specs.MachineLabelsSpec",
        rw(R, O)
    ),
    t!(
        "EtcdManualBackups.omni.sidero.dev",
        "default",
        "specs.EtcdManualBackupSpec",
        rw(R, O)
    ),
    t!(
        "ExtensionsConfigurations.omni.sidero.dev",
        "default",
        "specs.ExtensionsConfigurationSpec",
        rw(R, O)
    ),
    t!(
        "KernelArgs.omni.sidero.dev",
        "default",
        "specs.KernelArgsSpec",
        rw(R, O)
    ),
    t!(
        "DefaultJoinTokens.omni.sidero.dev",
        "default",
        "specs.DefaultJoinTokenSpec",
        rw(R, O)
    ),
    t!(
        "GRPCTunnelConfigs.omni.sidero.dev",
        "default",
        "specs.GRPCTunnelConfigSpec",
        rw(R, O)
    ),
    t!(
        "InstallationMediaConfigs.omni.sidero.dev",
        "default",
        "specs.InstallationMediaConfigSpec",
        rw(R, O)
    ),
    t!(
        "NodeForceDestroyRequests.omni.sidero.dev",
        "default",
        "specs.NodeForceDestroyRequestSpec",
        rw(R, O)
    ),
    // written by Omni's controllers, readable by users (upstream state_access.go), stored with
    // their payloads compressed (`compression`)
    t!(
        "ClusterMachineConfigPatches.omni.sidero.dev",
        "default",
        "specs.ClusterMachineConfigPatchesSpec",
        ro(R)
    ),
    t!(
        "RedactedClusterMachineConfigs.omni.sidero.dev",
        "default",
        "specs.RedactedClusterMachineConfigSpec",
        ro(R)
    ),
    t!(
        "KubernetesManifestGroups.omni.sidero.dev",
        "default",
        "specs.KubernetesManifestGroupSpec",
        rw(R, O)
    ),
    // written by cluster templates
    t!(
        "KubernetesHealthChecks.omni.sidero.dev",
        "default",
        "specs.KubernetesHealthCheckSpec",
        rw(R, O)
    ),
    t!(
        "MachineInstallDiskConfigs.omni.sidero.dev",
        "default",
        "specs.MachineInstallDiskConfigSpec",
        rw(R, O)
    ),
    t!(
        "RotateTalosCAs.omni.sidero.dev",
        "default",
        "specs.RotateTalosCASpec",
        rw(R, O)
    ),
    t!(
        "RotateKubernetesCAs.omni.sidero.dev",
        "default",
        "specs.RotateKubernetesCASpec",
        rw(R, O)
    ),
    t!(
        "MachineRequestSets.omni.sidero.dev",
        "default",
        "specs.MachineRequestSetSpec",
        rw(R, O)
    ),
    t!(
        "AccessPolicies.omni.sidero.dev",
        "default",
        "specs.AccessPolicySpec",
        rw(A, A)
    ),
    t!(
        "SAMLLabelRules.omni.sidero.dev",
        "default",
        "specs.SAMLLabelRuleSpec",
        rw(A, A)
    ),
    t!(
        "EtcdBackupS3Configs.omni.sidero.dev",
        "default",
        "specs.EtcdBackupS3ConfSpec",
        rw(A, A)
    ),
    t!(
        "InfraProviders.omni.sidero.dev",
        "infra-provider",
        "specs.InfraProviderSpec",
        rw(A, A)
    ),
    t!(
        "InfraProviderCombinedStatuses.omni.sidero.dev",
        "ephemeral",
        "specs.InfraProviderCombinedStatusSpec",
        ro(R)
    ),
    t!(
        "ClusterSecretsRotationStatuses.omni.sidero.dev",
        "default",
        "specs.ClusterSecretsRotationStatusSpec",
        ro(R)
    ),
    t!(
        "SiderolinkAPIConfigs.omni.sidero.dev",
        "default",
        "specs.SiderolinkAPIConfigSpec",
        ro(R)
    ),
    t!(
        "TalosExtensions.omni.sidero.dev",
        "default",
        "specs.TalosExtensionsSpec",
        ro(R)
    ),
    // special
    t!(
        "JoinTokens.omni.sidero.dev",
        "default",
        "specs.JoinTokenSpec",
        Access {
            read: Some(R),
            create: None,
            update: Some(O),
            destroy: Some(O)
        }
    ),
    t!(
        "Identities.omni.sidero.dev",
        "default",
        "specs.IdentitySpec",
        ro(A)
    ),
    t!("Users.omni.sidero.dev", "default", "specs.UserSpec", ro(A)),
    t!(
        "EulaAcceptances.omni.sidero.dev",
        "default",
        "specs.EulaAcceptanceSpec",
        Access {
            read: Some(N),
            create: Some(N),
            update: None,
            destroy: None
        }
    ),
    t!(
        "Links.omni.sidero.dev",
        "default",
        "specs.SiderolinkSpec",
        Access {
            read: Some(R),
            create: None,
            update: None,
            destroy: Some(O)
        }
    ),
    // read-only, Reader
    t!(
        "ClusterStatuses.omni.sidero.dev",
        "default",
        "specs.ClusterStatusSpec",
        ro(R),
        &[("Ready", "{.ready}"), ("Phase", "{.phase}")]
    ),
    t!(
        "ClusterMachines.omni.sidero.dev",
        "default",
        "specs.ClusterMachineSpec",
        ro(R)
    ),
    t!(
        "ClusterMachineStatuses.omni.sidero.dev",
        "default",
        "specs.ClusterMachineStatusSpec",
        ro(R),
        &[("Stage", "{.stage}"), ("Ready", "{.ready}")]
    ),
    t!(
        "ClusterBootstrapStatuses.omni.sidero.dev",
        "default",
        "specs.ClusterBootstrapStatusSpec",
        ro(R)
    ),
    t!(
        "ControlPlaneStatuses.omni.sidero.dev",
        "default",
        "specs.ControlPlaneStatusSpec",
        ro(R)
    ),
    t!(
        "LoadBalancerStatuses.omni.sidero.dev",
        "default",
        "specs.LoadBalancerStatusSpec",
        ro(R)
    ),
    t!(
        "MachineSetStatuses.omni.sidero.dev",
        "default",
        "specs.MachineSetStatusSpec",
        ro(R),
        &[("Phase", "{.phase}"), ("Ready", "{.ready}")]
    ),
    t!(
        "Machines.omni.sidero.dev",
        "default",
        "specs.MachineSpec",
        ro(R)
    ),
    t!(
        "MachineStatuses.omni.sidero.dev",
        "default",
        "specs.MachineStatusSpec",
        ro(R)
    ),
    t!(
        "KubernetesUpgradeStatuses.omni.sidero.dev",
        "default",
        "specs.KubernetesUpgradeStatusSpec",
        ro(R)
    ),
    t!(
        "TalosUpgradeStatuses.omni.sidero.dev",
        "default",
        "specs.TalosUpgradeStatusSpec",
        ro(R)
    ),
    t!(
        "JoinTokenStatuses.omni.sidero.dev",
        "default",
        "specs.JoinTokenStatusSpec",
        ro(R)
    ),
    t!(
        "ClusterUUIDs.omni.sidero.dev",
        "default",
        "specs.ClusterUUID",
        ro(R)
    ),
    t!(
        "SchematicConfigurations.omni.sidero.dev",
        "default",
        "specs.SchematicConfigurationSpec",
        ro(R)
    ),
    // any signed caller
    t!(
        "ResourceDefinitions.meta.cosi.dev",
        "meta",
        "cosi.resource.meta.ResourceDefinitionSpec",
        ro(N)
    ),
    t!(
        "Namespaces.meta.cosi.dev",
        "meta",
        "cosi.resource.meta.NamespaceSpec",
        ro(N)
    ),
    t!(
        "TalosVersions.omni.sidero.dev",
        "default",
        "specs.TalosVersionSpec",
        ro(N)
    ),
    t!(
        "KubernetesVersions.omni.sidero.dev",
        "default",
        "specs.KubernetesVersionSpec",
        ro(N)
    ),
    t!(
        "FeaturesConfigs.omni.sidero.dev",
        "default",
        "specs.FeaturesConfigSpec",
        ro(N)
    ),
    // the image factory's credentials: read by Readers, written only by Omni
    // (upstream `state_access.go`: role-checked reads, read-only in `filterAccess`)
    t!(
        "ImageFactoryAuths.omni.sidero.dev",
        "default",
        "specs.ImageFactoryAuthSpec",
        ro(R),
        &[("Username", "{.username}")]
    ),
    t!(
        "InstallationMedias.omni.sidero.dev",
        "ephemeral",
        "specs.InstallationMediaSpec",
        ro(N)
    ),
    t!(
        "OngoingTasks.omni.sidero.dev",
        "ephemeral",
        "specs.OngoingTaskSpec",
        ro(N)
    ),
    t!(
        "Notifications.omni.sidero.dev",
        "ephemeral",
        "specs.NotificationSpec",
        ro(N)
    ),
    t!(
        "SysVersions.system.sidero.dev",
        "ephemeral",
        "specs.SysVersionSpec",
        ro(N)
    ),
    t!(
        "CurrentUsers.omni.sidero.dev",
        "virtual",
        "specs.CurrentUserSpec",
        ro(N)
    ),
    t!(
        "AdvertisedEndpoints.omni.sidero.dev",
        "virtual",
        "specs.AdvertisedEndpointsSpec",
        ro(N)
    ),
    // public (ResourceService only without a signature)
    t!(
        "AuthConfigs.omni.sidero.dev",
        "default",
        "specs.AuthConfigSpec",
        ro(N)
    ),
];

pub fn lookup(typ: &str) -> Option<&'static TypeInfo> {
    TYPES.iter().find(|t| t.typ == typ)
}

/// Types where the id or the cluster label names a cluster.
pub fn is_public_unsigned(typ: &str) -> bool {
    typ == "AuthConfigs.omni.sidero.dev" || typ == "EulaAcceptances.omni.sidero.dev"
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verb {
    Read,
    Create,
    Update,
    Destroy,
}

/// Checks a verb on a type for a role, with Omni's messages (§5.8).
pub fn check(typ: &str, verb: Verb, role: Role) -> Result<(), tonic::Status> {
    let Some(info) = lookup(typ) else {
        return Err(tonic::Status::permission_denied(format!(
            "no access is permitted to resource type {typ:?}"
        )));
    };
    let need = match verb {
        Verb::Read => info.access.read,
        Verb::Create => info.access.create,
        Verb::Update => info.access.update,
        Verb::Destroy => info.access.destroy,
    };
    let Some(need) = need else {
        return Err(tonic::Status::permission_denied(
            if info.access.read.is_some() {
                format!("only read access is permitted to resource type {typ:?}")
            } else {
                format!("no access is permitted to resource type {typ:?}")
            },
        ));
    };
    if role < need {
        return Err(role_denied(need, role));
    }
    Ok(())
}

pub fn role_denied(_need: Role, have: Role) -> tonic::Status {
    // Omni: auth.CheckGRPC wraps role.Check's error with ErrUnauthorized.
    tonic::Status::permission_denied(format!(
        "unauthorized: access denied: insufficient role: {:?}",
        have.as_str()
    ))
}

/// Singular display type (simple English rules, enough for Omni's names).
pub fn display_type(typ: &str) -> String {
    let name = typ.split('.').next().unwrap_or(typ);
    let exceptions = [
        ("Statuses", "Status"),
        ("Policies", "Policy"),
        ("Patches", "Patch"),
        ("Classes", "Class"),
        ("Identities", "Identity"),
        ("Aliases", "Alias"),
        ("KernelArgs", "KernelArgs"),
        ("Metrics", "Metrics"),
        ("ClusterUUIDs", "ClusterUUID"),
    ];
    for (pl, sg) in exceptions {
        if let Some(stem) = name.strip_suffix(pl) {
            return format!("{stem}{sg}");
        }
    }
    name.strip_suffix('s').unwrap_or(name).to_string()
}

/// (aliases, all_aliases) as COSI's `ResourceDefinition.Fill` computes them (§6.1).
pub fn aliases(typ: &str) -> (Vec<String>, Vec<String>) {
    let mut parts = typ.split('.');
    let name = parts.next().unwrap_or(typ);
    let suffix: Vec<&str> = parts.collect();
    let mut aliases = vec![display_type(typ).to_lowercase()];
    let upper: String = name.chars().filter(|c| c.is_ascii_uppercase()).collect();
    if upper.len() >= 2 {
        let acr = upper.to_lowercase();
        aliases.push(acr.clone());
        if !upper.ends_with('S') {
            aliases.push(format!("{acr}s"));
        }
    }
    let lname = name.to_lowercase();
    let mut all = vec![lname.clone()];
    for i in 1..suffix.len() {
        all.push(format!(
            "{lname}.{}",
            suffix.get(..i).unwrap_or_default().join(".")
        ));
    }
    all.extend(aliases.iter().cloned());
    (aliases, all)
}
