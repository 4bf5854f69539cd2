//! Checks our `.proto` set against hand-picked wire facts of the upstream schemas.
//!
//! The full mechanical comparison against upstream is done outside the repo; this
//! test pins the definitions that are easy to get wrong (numbers that skip,
//! maps, proto3 `optional`, oneofs, shifted enums, camelCase proto names,
//! streaming flags) so a later edit cannot silently break the wire.
#![cfg(feature = "browser")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use omni_wasm::proto::FILE_DESCRIPTOR_SET;
use prost::Message as _;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    FileDescriptorSet, ServiceDescriptorProto,
};

fn set() -> FileDescriptorSet {
    FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).unwrap()
}

fn file<'a>(fds: &'a FileDescriptorSet, name: &str) -> &'a FileDescriptorProto {
    fds.file
        .iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("file {name} missing"))
}

/// Looks up a message by its full name (`pkg.Outer.Inner`).
fn message<'a>(fds: &'a FileDescriptorSet, full: &str) -> &'a DescriptorProto {
    for f in &fds.file {
        let pkg = f.package();
        let Some(rest) = full.strip_prefix(pkg).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let mut parts = rest.split('.');
        let first = parts.next().unwrap();
        let Some(mut m) = f.message_type.iter().find(|m| m.name() == first) else {
            continue;
        };
        let mut ok = true;
        for p in parts {
            match m.nested_type.iter().find(|n| n.name() == p) {
                Some(n) => m = n,
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return m;
        }
    }
    panic!("message {full} missing")
}

/// Looks up an enum by full name; nested enums are `pkg.Message.Enum`.
fn enumeration<'a>(fds: &'a FileDescriptorSet, full: &str) -> &'a EnumDescriptorProto {
    let (parent, name) = full.rsplit_once('.').unwrap();
    for f in &fds.file {
        if f.package() == parent {
            if let Some(e) = f.enum_type.iter().find(|e| e.name() == name) {
                return e;
            }
        }
    }
    message(fds, parent)
        .enum_type
        .iter()
        .find(|e| e.name() == name)
        .unwrap_or_else(|| panic!("enum {full} missing"))
}

fn field<'a>(m: &'a DescriptorProto, name: &str) -> &'a FieldDescriptorProto {
    m.field
        .iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("field {}.{name} missing", m.name()))
}

fn service<'a>(fds: &'a FileDescriptorSet, pkg: &str, name: &str) -> &'a ServiceDescriptorProto {
    fds.file
        .iter()
        .filter(|f| f.package() == pkg)
        .flat_map(|f| f.service.iter())
        .find(|s| s.name() == name)
        .unwrap_or_else(|| panic!("service {pkg}.{name} missing"))
}

fn enum_values(e: &EnumDescriptorProto) -> Vec<(&str, i32)> {
    e.value.iter().map(|v| (v.name(), v.number())).collect()
}

fn reserved(m: &DescriptorProto) -> Vec<(i32, i32)> {
    m.reserved_range
        .iter()
        .map(|r| (r.start(), r.end()))
        .collect()
}

/// Asserts number, label and type of a field; `type_name` is checked when given.
fn assert_field(
    m: &DescriptorProto,
    name: &str,
    number: i32,
    label: Label,
    ty: Type,
    type_name: Option<&str>,
) {
    let f = field(m, name);
    assert_eq!(f.number(), number, "{}.{name} number", m.name());
    assert_eq!(f.label(), label, "{}.{name} label", m.name());
    assert_eq!(f.r#type(), ty, "{}.{name} type", m.name());
    if let Some(t) = type_name {
        assert_eq!(f.type_name(), t, "{}.{name} type name", m.name());
    }
}

/// Asserts that `name` is a `map<K, V>` with the given number and key/value types.
fn assert_map(fds: &FileDescriptorSet, msg: &str, name: &str, number: i32, key: Type, value: Type) {
    let m = message(fds, msg);
    let f = field(m, name);
    assert_eq!(f.number(), number, "{msg}.{name} number");
    assert_eq!(f.label(), Label::Repeated);
    let entry_name = f.type_name().rsplit('.').next().unwrap();
    let entry = m
        .nested_type
        .iter()
        .find(|n| n.name() == entry_name)
        .unwrap();
    assert!(
        entry.options.as_ref().is_some_and(|o| o.map_entry()),
        "{msg}.{name} is a map"
    );
    assert_eq!(field(entry, "key").r#type(), key);
    assert_eq!(field(entry, "value").r#type(), value);
}

fn assert_proto3_optional(m: &DescriptorProto, name: &str, number: i32, ty: Type) {
    let f = field(m, name);
    assert_eq!(f.number(), number);
    assert_eq!(f.r#type(), ty);
    assert!(
        f.proto3_optional(),
        "{}.{name} is proto3 optional",
        m.name()
    );
    let oneof = usize::try_from(f.oneof_index()).unwrap();
    // Synthetic oneofs are named after the field with a leading underscore.
    assert_eq!(m.oneof_decl[oneof].name(), format!("_{name}"));
}

#[test]
fn files_and_packages_follow_upstream_import_paths() {
    let fds = set();
    let expected = [
        ("v1alpha1/resource.proto", "cosi.resource"),
        ("v1alpha1/state.proto", "cosi.resource"),
        ("v1alpha1/meta.proto", "cosi.resource.meta"),
        ("common/common.proto", "common"),
        ("common/omni.proto", "common"),
        ("google/rpc/status.proto", "google.rpc"),
        ("talos/machine/machine.proto", "machine"),
        ("omni/management/management.proto", "management"),
        ("omni/resources/resources.proto", "omni.resources"),
        ("omni/oidc/oidc.proto", "oidc"),
        ("omni/auth/auth.proto", "auth"),
        ("omni/specs/omni.proto", "specs"),
        ("omni/specs/auth.proto", "specs"),
        ("omni/specs/siderolink.proto", "specs"),
        ("omni/specs/infra.proto", "specs"),
        ("omni/specs/system.proto", "specs"),
        ("omni/specs/virtual.proto", "specs"),
        ("omni/specs/ephemeral.proto", "specs"),
        ("omni/specs/oidc.proto", "specs"),
    ];
    for (name, pkg) in expected {
        let f = file(&fds, name);
        assert_eq!(f.package(), pkg, "{name}");
        assert_eq!(f.syntax(), "proto3", "{name}");
    }
    let omni = file(&fds, "omni/specs/omni.proto");
    for dep in [
        "talos/machine/machine.proto",
        "omni/specs/virtual.proto",
        "omni/management/management.proto",
    ] {
        assert!(
            omni.dependency.iter().any(|d| d == dep),
            "omni/specs/omni.proto imports {dep}"
        );
    }
}

#[test]
fn cosi_metadata_maps_and_optionals() {
    let fds = set();
    assert_map(
        &fds,
        "cosi.resource.Metadata",
        "labels",
        10,
        Type::String,
        Type::String,
    );
    assert_map(
        &fds,
        "cosi.resource.Metadata",
        "annotations",
        11,
        Type::String,
        Type::String,
    );
    let md = message(&fds, "cosi.resource.Metadata");
    assert_field(
        md,
        "created",
        7,
        Label::Optional,
        Type::Message,
        Some(".google.protobuf.Timestamp"),
    );
    assert_field(md, "finalizers", 9, Label::Repeated, Type::String, None);

    let spec = message(&fds, "cosi.resource.Spec");
    assert_field(spec, "proto_spec", 1, Label::Optional, Type::Bytes, None);
    assert_field(spec, "yaml_spec", 2, Label::Optional, Type::String, None);

    assert_proto3_optional(
        message(&fds, "cosi.resource.WatchRequest"),
        "id",
        3,
        Type::String,
    );
    assert_proto3_optional(
        message(&fds, "cosi.resource.UpdateOptions"),
        "expected_phase",
        2,
        Type::String,
    );
    assert_proto3_optional(
        message(&fds, "cosi.resource.WatchOptions"),
        "start_from_bookmark",
        6,
        Type::Bytes,
    );
    let event = message(&fds, "cosi.resource.Event");
    assert_proto3_optional(event, "error", 4, Type::String);
    assert_proto3_optional(event, "bookmark", 5, Type::Bytes);
    assert_field(
        event,
        "old",
        3,
        Label::Optional,
        Type::Message,
        Some(".cosi.resource.Resource"),
    );

    assert_eq!(
        reserved(message(&fds, "cosi.resource.UpdateRequest")),
        vec![(1, 2)]
    );
    let term = message(&fds, "cosi.resource.LabelTerm");
    assert_field(term, "invert", 5, Label::Optional, Type::Bool, None);
    assert_field(term, "value", 3, Label::Repeated, Type::String, None);
}

#[test]
fn enums_with_values() {
    let fds = set();
    let op = enumeration(&fds, "cosi.resource.LabelTerm.Operation");
    assert_eq!(
        enum_values(op),
        [
            ("EXISTS", 0),
            ("EQUAL", 1),
            ("NOT_EXISTS", 2),
            ("IN", 3),
            ("LT", 4),
            ("LTE", 5),
            ("LT_NUMERIC", 6),
            ("LTE_NUMERIC", 7)
        ]
    );
    let not_exists = op.value.iter().find(|v| v.name() == "NOT_EXISTS").unwrap();
    assert!(not_exists.options.as_ref().is_some_and(|o| o.deprecated()));

    assert_eq!(
        enum_values(enumeration(&fds, "cosi.resource.EventType")),
        [
            ("CREATED", 0),
            ("UPDATED", 1),
            ("DESTROYED", 2),
            ("BOOTSTRAPPED", 3),
            ("ERRORED", 4),
            ("NOOP", 5)
        ]
    );
    // The ResourceService enum is shifted by one against the COSI one.
    assert_eq!(
        enum_values(enumeration(&fds, "omni.resources.EventType")),
        [
            ("UNKNOWN", 0),
            ("CREATED", 1),
            ("UPDATED", 2),
            ("DESTROYED", 3),
            ("BOOTSTRAPPED", 4)
        ]
    );
    assert_eq!(
        enum_values(enumeration(&fds, "specs.ClusterStatusSpec.Phase")),
        [
            ("UNKNOWN", 0),
            ("SCALING_UP", 1),
            ("SCALING_DOWN", 2),
            ("RUNNING", 3),
            ("DESTROYING", 4)
        ]
    );
    assert_eq!(
        enum_values(enumeration(&fds, "common.Runtime")),
        [("Kubernetes", 0), ("Talos", 1), ("Omni", 2)]
    );
    assert_eq!(
        enum_values(enumeration(&fds, "management.SchematicBootloader")),
        [
            ("BOOT_AUTO", 0),
            ("BOOT_DUAL", 1),
            ("BOOT_SD", 2),
            ("BOOT_GRUB", 3)
        ]
    );
    assert_eq!(
        enum_values(enumeration(
            &fds,
            "cosi.resource.meta.ResourceDefinitionSpec.Sensitivity"
        )),
        [("NON_SENSITIVE", 0), ("SENSITIVE", 1)]
    );
}

#[test]
fn oneofs_nested_messages_and_odd_names() {
    let fds = set();
    let task = message(&fds, "specs.OngoingTaskSpec");
    assert_eq!(task.oneof_decl.len(), 1);
    assert_eq!(task.oneof_decl[0].name(), "details");
    let in_details: Vec<(&str, i32)> = task
        .field
        .iter()
        .filter(|f| f.oneof_index.is_some())
        .map(|f| (f.name(), f.number()))
        .collect();
    assert_eq!(
        in_details,
        [
            ("talos_upgrade", 2),
            ("kubernetes_upgrade", 3),
            ("destroy", 4),
            ("machine_upgrade", 5),
            ("secrets_rotation", 7)
        ]
    );

    // camelCase proto field names are kept verbatim.
    let upd = message(&fds, "omni.resources.UpdateRequest");
    assert_field(
        upd,
        "currentVersion",
        1,
        Label::Optional,
        Type::String,
        None,
    );
    assert_field(
        upd,
        "resource",
        2,
        Label::Optional,
        Type::Message,
        Some(".omni.resources.Resource"),
    );
    let status = message(&fds, "specs.ClusterStatusSpec");
    assert_field(
        status,
        "kubernetesAPIReady",
        5,
        Label::Optional,
        Type::Bool,
        None,
    );
    assert_field(
        status,
        "controlplaneReady",
        6,
        Label::Optional,
        Type::Bool,
        None,
    );
    assert_field(
        status,
        "phase",
        3,
        Label::Optional,
        Type::Enum,
        Some(".specs.ClusterStatusSpec.Phase"),
    );

    // Current auth schema: PublicKey.Plain at field 3.
    let pk = message(&fds, "auth.PublicKey");
    assert_field(pk, "pgp_data", 1, Label::Optional, Type::Bytes, None);
    assert_field(pk, "webauthn_data", 2, Label::Optional, Type::Bytes, None);
    assert_field(
        pk,
        "plain_key",
        3,
        Label::Optional,
        Type::Message,
        Some(".auth.PublicKey.Plain"),
    );
    let plain = message(&fds, "auth.PublicKey.Plain");
    assert_field(plain, "key_pem", 1, Label::Optional, Type::String, None);
    assert_field(
        plain,
        "not_after",
        3,
        Label::Optional,
        Type::Message,
        Some(".google.protobuf.Timestamp"),
    );
    assert_eq!(
        reserved(message(&fds, "auth.RegisterPublicKeyRequest")),
        vec![(3, 4), (4, 5)]
    );

    // Specs reuse types from other packages.
    let sch = message(&fds, "management.CreateSchematicRequest");
    assert_map(
        &fds,
        "management.CreateSchematicRequest",
        "meta_values",
        3,
        Type::Uint32,
        Type::String,
    );
    assert_field(
        sch,
        "bootloader",
        10,
        Label::Optional,
        Type::Enum,
        Some(".management.SchematicBootloader"),
    );
    assert_field(
        sch,
        "overlay",
        9,
        Label::Optional,
        Type::Message,
        Some(".management.CreateSchematicRequest.Overlay"),
    );
    assert_eq!(reserved(sch), vec![(6, 7)]);

    // A recursive message.
    let err = message(&fds, "management.ValidateJsonSchemaResponse.Error");
    assert_field(
        err,
        "errors",
        1,
        Label::Repeated,
        Type::Message,
        Some(".management.ValidateJsonSchemaResponse.Error"),
    );

    let sa = message(
        &fds,
        "management.ListServiceAccountsResponse.ServiceAccount",
    );
    assert_eq!(reserved(sa), vec![(3, 4)]);
    assert_field(
        message(
            &fds,
            "management.ListServiceAccountsResponse.ServiceAccount.PgpPublicKey",
        ),
        "last_used",
        5,
        Label::Optional,
        Type::Message,
        Some(".google.protobuf.Timestamp"),
    );

    let data = message(&fds, "common.Data");
    assert_field(data, "bytes", 2, Label::Optional, Type::Bytes, None);
    assert_field(
        data,
        "metadata",
        1,
        Label::Optional,
        Type::Message,
        Some(".common.Metadata"),
    );
    assert_field(
        message(&fds, "common.Metadata"),
        "status",
        3,
        Label::Optional,
        Type::Message,
        Some(".google.rpc.Status"),
    );
    assert_field(
        message(&fds, "management.ReadAuditLogResponse"),
        "id",
        2,
        Label::Optional,
        Type::Int64,
        None,
    );
    let rd = message(&fds, "cosi.resource.meta.ResourceDefinitionSpec");
    assert_field(
        rd,
        "print_columns",
        6,
        Label::Repeated,
        Type::Message,
        Some(".cosi.resource.meta.ResourceDefinitionSpec.PrintColumn"),
    );
}

#[test]
fn machine_status_comes_from_talos_machine_package() {
    let fds = set();
    let found = fds
        .file
        .iter()
        .filter(|f| f.package() == "specs")
        .flat_map(|f| f.message_type.iter())
        .flat_map(|m| m.field.iter())
        .any(|f| f.type_name() == ".machine.MachineStatusEvent");
    assert!(found, "a spec embeds machine.MachineStatusEvent");
    let ev = message(&fds, "machine.MachineStatusEvent");
    assert_field(
        ev,
        "stage",
        1,
        Label::Optional,
        Type::Enum,
        Some(".machine.MachineStatusEvent.MachineStage"),
    );
    assert_eq!(
        enum_values(enumeration(&fds, "machine.MachineStatusEvent.MachineStage")).len(),
        9
    );
    // Only the message types, not the Talos MachineService.
    assert!(file(&fds, "talos/machine/machine.proto").service.is_empty());
}

#[test]
fn management_service_methods_and_streaming() {
    let fds = set();
    let svc = service(&fds, "management", "ManagementService");
    // (method, input, output, server streaming)
    let expected = [
        (
            "Kubeconfig",
            ".management.KubeconfigRequest",
            ".management.KubeconfigResponse",
            false,
        ),
        (
            "Talosconfig",
            ".management.TalosconfigRequest",
            ".management.TalosconfigResponse",
            false,
        ),
        (
            "Omniconfig",
            ".google.protobuf.Empty",
            ".management.OmniconfigResponse",
            false,
        ),
        (
            "MachineLogs",
            ".management.MachineLogsRequest",
            ".common.Data",
            true,
        ),
        (
            "ValidateConfig",
            ".management.ValidateConfigRequest",
            ".google.protobuf.Empty",
            false,
        ),
        (
            "ValidateJSONSchema",
            ".management.ValidateJsonSchemaRequest",
            ".management.ValidateJsonSchemaResponse",
            false,
        ),
        (
            "CreateServiceAccount",
            ".management.CreateServiceAccountRequest",
            ".management.CreateServiceAccountResponse",
            false,
        ),
        (
            "RenewServiceAccount",
            ".management.RenewServiceAccountRequest",
            ".management.RenewServiceAccountResponse",
            false,
        ),
        (
            "ListServiceAccounts",
            ".google.protobuf.Empty",
            ".management.ListServiceAccountsResponse",
            false,
        ),
        (
            "DestroyServiceAccount",
            ".management.DestroyServiceAccountRequest",
            ".google.protobuf.Empty",
            false,
        ),
        (
            "KubernetesUpgradePreChecks",
            ".management.KubernetesUpgradePreChecksRequest",
            ".management.KubernetesUpgradePreChecksResponse",
            false,
        ),
        (
            "KubernetesSyncManifests",
            ".management.KubernetesSyncManifestRequest",
            ".management.KubernetesSyncManifestResponse",
            true,
        ),
        (
            "CreateSchematic",
            ".management.CreateSchematicRequest",
            ".management.CreateSchematicResponse",
            false,
        ),
        (
            "CreateSchematicFromRaw",
            ".management.CreateSchematicFromRawRequest",
            ".management.CreateSchematicResponse",
            false,
        ),
        (
            "GetBootAssetURL",
            ".management.BootAssetURLRequest",
            ".management.BootAssetURLResponse",
            false,
        ),
        (
            "GetSupportBundle",
            ".management.GetSupportBundleRequest",
            ".management.GetSupportBundleResponse",
            true,
        ),
        (
            "ReadAuditLog",
            ".management.ReadAuditLogRequest",
            ".management.ReadAuditLogResponse",
            true,
        ),
        (
            "MaintenanceUpgrade",
            ".management.MaintenanceUpgradeRequest",
            ".management.MaintenanceUpgradeResponse",
            false,
        ),
        (
            "MaintenanceLifecycle",
            ".management.MaintenanceLifecycleRequest",
            ".management.MaintenanceLifecycleResponse",
            true,
        ),
        (
            "GetMachineJoinConfig",
            ".management.GetMachineJoinConfigRequest",
            ".management.GetMachineJoinConfigResponse",
            false,
        ),
        (
            "CreateJoinToken",
            ".management.CreateJoinTokenRequest",
            ".management.CreateJoinTokenResponse",
            false,
        ),
        (
            "ResetNodeUniqueToken",
            ".management.ResetNodeUniqueTokenRequest",
            ".management.ResetNodeUniqueTokenResponse",
            false,
        ),
        (
            "CreateUser",
            ".management.CreateUserRequest",
            ".management.CreateUserResponse",
            false,
        ),
        (
            "ListUsers",
            ".google.protobuf.Empty",
            ".management.ListUsersResponse",
            false,
        ),
        (
            "UpdateUser",
            ".management.UpdateUserRequest",
            ".google.protobuf.Empty",
            false,
        ),
        (
            "DestroyUser",
            ".management.DestroyUserRequest",
            ".google.protobuf.Empty",
            false,
        ),
        (
            "MachinePowerOff",
            ".management.MachinePowerOffRequest",
            ".management.MachinePowerOffResponse",
            false,
        ),
        (
            "MachinePowerOn",
            ".management.MachinePowerOnRequest",
            ".management.MachinePowerOnResponse",
            false,
        ),
    ];
    assert_eq!(svc.method.len(), expected.len(), "method count");
    for (name, input, output, server_streaming) in expected {
        let m = svc
            .method
            .iter()
            .find(|m| m.name() == name)
            .unwrap_or_else(|| panic!("ManagementService.{name} missing"));
        assert_eq!(m.input_type(), input, "{name} input");
        assert_eq!(m.output_type(), output, "{name} output");
        assert!(!m.client_streaming(), "{name} client streaming");
        assert_eq!(
            m.server_streaming(),
            server_streaming,
            "{name} server streaming"
        );
    }

    for (pkg, name, methods) in [
        ("cosi.resource", "State", 8),
        ("omni.resources", "ResourceService", 9),
        ("auth", "AuthService", 4),
        ("oidc", "OIDCService", 1),
    ] {
        assert_eq!(
            service(&fds, pkg, name).method.len(),
            methods,
            "{pkg}.{name}"
        );
    }
    let rs = service(&fds, "omni.resources", "ResourceService");
    let watch = rs.method.iter().find(|m| m.name() == "Watch").unwrap();
    assert!(watch.server_streaming());
    let list = rs.method.iter().find(|m| m.name() == "List").unwrap();
    assert!(!list.server_streaming(), "ResourceService.List is unary");
}

mod protojson {
    use omni_wasm::proto::cosi::resource::{
        label_term::Operation, LabelTerm, Metadata, WatchOptions, WatchRequest,
    };
    use omni_wasm::proto::management::{MachineLogsRequest, ReadAuditLogResponse};
    use serde_json::json;

    #[test]
    fn metadata_round_trip() {
        let mut md = Metadata {
            namespace: "default".into(),
            r#type: "Clusters.omni.sidero.dev".into(),
            id: "prod".into(),
            version: "3".into(),
            phase: "running".into(),
            created: Some(pbjson_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            finalizers: vec!["ClusterController".into()],
            ..Default::default()
        };
        md.labels
            .insert("omni.sidero.dev/role-controlplane".into(), String::new());
        md.annotations.insert("note".into(), "x".into());

        let v = serde_json::to_value(&md).unwrap();
        assert_eq!(v["type"], "Clusters.omni.sidero.dev");
        assert_eq!(v["created"], "2023-11-14T22:13:20+00:00");
        assert_eq!(v["labels"]["omni.sidero.dev/role-controlplane"], "");
        assert!(
            v.get("updated").is_none(),
            "unset message fields are omitted"
        );

        let back: Metadata = serde_json::from_value(v).unwrap();
        assert_eq!(back, md);
        // Unknown fields are ignored.
        let back: Metadata = serde_json::from_value(json!({"id": "a", "somethingNew": 1})).unwrap();
        assert_eq!(back.id, "a");
    }

    #[test]
    fn proto_names_out_both_names_in() {
        let req = MachineLogsRequest {
            machine_id: "m1".into(),
            follow: true,
            tail_lines: -1,
        };
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(
            v,
            json!({"machine_id": "m1", "follow": true, "tail_lines": -1})
        );
        let a: MachineLogsRequest =
            serde_json::from_value(json!({"machine_id": "m1", "follow": true, "tail_lines": -1}))
                .unwrap();
        let b: MachineLogsRequest =
            serde_json::from_value(json!({"machineId": "m1", "follow": true, "tailLines": -1}))
                .unwrap();
        assert_eq!(a, req);
        assert_eq!(b, req);

        let opts = WatchOptions {
            bootstrap_contents: true,
            start_from_bookmark: Some(vec![1, 2, 3]),
            ..Default::default()
        };
        let v = serde_json::to_value(&opts).unwrap();
        assert_eq!(v["bootstrap_contents"], true);
        assert_eq!(v["start_from_bookmark"], "AQID");
        let back: WatchOptions =
            serde_json::from_value(json!({"bootstrapContents": true, "startFromBookmark": "AQID"}))
                .unwrap();
        assert_eq!(back, opts);
    }

    #[test]
    fn optional_presence() {
        let kind = WatchRequest {
            namespace: "default".into(),
            r#type: "T".into(),
            ..Default::default()
        };
        let v = serde_json::to_value(&kind).unwrap();
        assert!(v.get("id").is_none(), "unset optional id is omitted");
        let one = WatchRequest {
            id: Some(String::new()),
            ..kind
        };
        let v = serde_json::to_value(&one).unwrap();
        assert_eq!(v["id"], "", "set optional id is present even when empty");
        let back: WatchRequest = serde_json::from_value(v).unwrap();
        assert_eq!(back.id.as_deref(), Some(""));
    }

    #[test]
    fn enums_from_name_and_number() {
        let by_name: LabelTerm =
            serde_json::from_value(json!({"key": "k", "op": "EQUAL", "value": ["v"]})).unwrap();
        let by_number: LabelTerm =
            serde_json::from_value(json!({"key": "k", "op": 1, "value": ["v"]})).unwrap();
        assert_eq!(by_name.op(), Operation::Equal);
        assert_eq!(by_name, by_number);
        // Enums are written as integers.
        assert_eq!(serde_json::to_value(&by_name).unwrap()["op"], 1);
    }

    #[test]
    fn int64_is_a_string_on_output_and_either_on_input() {
        let r = ReadAuditLogResponse {
            audit_log: b"{}\n".to_vec(),
            id: 42,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v, json!({"audit_log": "e30K", "id": "42"}));
        let a: ReadAuditLogResponse =
            serde_json::from_value(json!({"audit_log": "e30K", "id": "42"})).unwrap();
        let b: ReadAuditLogResponse =
            serde_json::from_value(json!({"auditLog": "e30K", "id": 42})).unwrap();
        assert_eq!(a, r);
        assert_eq!(b, r);
    }
}
