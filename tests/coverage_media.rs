//! Installation media presets and downloads (`omnictl media preset create|list|delete`,
//! `omnictl media download`) against an in-memory Omni: what is checked before anything is
//! written, the preset spec written, the schematic requested and the download URL built.
#![cfg(all(feature = "full", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::rc::Rc;

use omni_wasm::client::PresetParams;
use omni_wasm::Code;
use serde_json::{json, Value};

mod coverage_support;
use coverage_support::{fake, opts, run, Fake};

const PRESET: &str = "InstallationMediaConfigs.omni.sidero.dev";
const SCHEMATIC: &str = "/management.ManagementService/CreateSchematic";

/// A fake Omni whose CreateSchematic answers schematic `abc123`, with the Talos 1.9.0
/// extensions, a features config pointing at `factory`, and two join tokens.
fn omni_with(factory: &str, pxe: &str) -> Fake {
    let f = fake(Rc::new(|method, _| {
        (method == SCHEMATIC).then(|| Ok(vec![json!({"schematic_id": "abc123"})]))
    }));
    f.put(
        "default",
        "TalosExtensions.omni.sidero.dev",
        "1.9.0",
        json!({"items": [
            {"name": "siderolabs/util-linux-tools"},
            {"name": "siderolabs/iscsi-tools"},
            {"name": "siderolabs/gvisor"},
        ]}),
    );
    f.put(
        "default",
        "FeaturesConfigs.omni.sidero.dev",
        "features-config",
        json!({"image_factory_base_url": factory, "image_factory_pxe_base_url": pxe}),
    );
    for (id, state) in [
        ("active-token", 1),
        ("revoked-token", 2),
        ("old-token", 3),
        ("odd-token", 0),
    ] {
        f.put(
            "default",
            "JoinTokenStatuses.omni.sidero.dev",
            id,
            json!({ "state": state }),
        );
    }
    f.put(
        "default",
        "DefaultJoinTokens.omni.sidero.dev",
        "default",
        json!({"token_id": "active-token"}),
    );
    with_platforms(&f);
    f.clear_calls();
    f
}

/// What Omni keeps about platforms, overlays and Talos quirks (namespace `virtual`), which
/// omnictl's preset checks read (upstream `internal/download/download.go`).
fn with_platforms(f: &Fake) {
    for p in ["aws", "gcp"] {
        f.put(
            "virtual",
            "CloudPlatformConfigs.omni.sidero.dev",
            p,
            json!({"architectures": [1, 2], "secure_boot_supported": true, "min_version": "1.5.0"}),
        );
    }
    f.put(
        "virtual",
        "SBCConfigs.omni.sidero.dev",
        "rpi_generic",
        json!({"min_version": "1.7.0", "overlay_name": "rpi_generic",
               "overlay_image": "siderolabs/sbc-raspberrypi"}),
    );
    f.put(
        "virtual",
        "Quirks.omni.sidero.dev",
        "1.9.0",
        json!({"supports_embedded_config": true}),
    );
}

fn params(v: Value) -> PresetParams {
    serde_json::from_value(v).unwrap()
}

fn invalid(f: &Fake, name: &str, p: Value) -> String {
    let e = run(f.omni.media().create_preset(name, &params(p), &opts())).unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e}");
    e.to_string()
}

#[test]
fn create_preset_checks_every_flag_before_writing_anything() {
    let f = omni_with("https://factory.example.org", "");
    assert!(invalid(&f, "", json!({})).contains("a preset name is required"));
    assert!(invalid(
        &f,
        "p",
        json!({"platform": "aws", "overlay": "rpi_generic"})
    )
    .contains("--platform and --overlay cannot be used together"));
    assert!(invalid(&f, "p", json!({"overlayOptions": "a: 1"}))
        .contains("--overlay-options requires --overlay"));
    assert!(invalid(&f, "p", json!({"arch": "riscv64"}))
        .contains("unsupported architecture \"riscv64\""));
    assert!(invalid(&f, "p", json!({"bootloader": "lilo"})).contains("unknown bootloader"));
    assert!(invalid(&f, "p", json!({"initialLabels": ["a=b=c"]}))
        .contains("invalid label format \"a=b=c\", expected key=value"));
    // without a Talos version the extensions are looked up for omnictl's default version
    assert!(invalid(&f, "p", json!({"extensions": ["gvisor"]}))
        .contains("failed to get extensions for talos version \"1.13.8\""));
    // what the platform or overlay does not support
    assert!(invalid(&f, "p", json!({"platform": "azure"}))
        .contains("failed to get cloud platform config for \"azure\""));
    assert!(invalid(
        &f,
        "p",
        json!({"talosVersion": "1.6.0", "overlay": "rpi_generic"})
    )
    .contains("SBC overlay \"rpi_generic\" requires Talos version >= 1.7.0 (got 1.6.0)"));
    assert!(invalid(
        &f,
        "p",
        json!({"talosVersion": "1.8.0", "embeddedMachineConfig": "machine: {}"})
    )
    .contains("failed to look up quirks for Talos version \"1.8.0\""));
    assert!(invalid(
        &f,
        "p",
        json!({"talosVersion": "1.9.0", "extensions": ["nvidia"]})
    )
    .contains("failed to find extension with name \"nvidia\" for talos version \"1.9.0\""));
    // a version the server has no extension list for has no extensions at all
    assert!(invalid(
        &f,
        "p",
        json!({"talosVersion": "1.2.0", "extensions": ["gvisor"]})
    )
    .contains("failed to get extensions for talos version \"1.2.0\""));
    assert!(invalid(&f, "p", json!({"joinToken": "revoked-token"})).contains("has been revoked"));
    assert!(invalid(&f, "p", json!({"joinToken": "old-token"})).contains("has expired"));
    assert!(invalid(&f, "p", json!({"joinToken": "odd-token"})).contains("is not active"));
    assert_eq!(f.writes(), Vec::<String>::new(), "nothing may be written");
    assert!(f.get("default", PRESET, "p").is_none());
}

#[test]
fn create_preset_writes_omnictls_spec() {
    let f = omni_with("https://factory.example.org", "");
    let created = run(f.omni.media().create_preset(
        "edge",
        &params(json!({
            "arch": "arm64",
            "talosVersion": "v1.9.0",
            "extensions": ["tools", "iscsi"],
            "extraKernelArgs": ["console=ttyS0", "quiet"],
            "initialLabels": ["env=prod", "edge"],
            "platform": "aws",
            "secureBoot": true,
            "joinToken": "active-token",
            "bootloader": "uefi",
            "embeddedMachineConfig": "machine: {}\n",
            "useSiderolinkGrpcTunnel": false,
        })),
        &opts(),
    ))
    .unwrap();
    assert_eq!(created.metadata.version, "1");
    let spec = f.get("default", PRESET, "edge").unwrap().spec;
    assert_eq!(spec["architecture"], 2);
    assert_eq!(spec["talos_version"], "1.9.0", "the leading v is dropped");
    // every catalog match of each requested name, in catalog order (upstream keeps repeats)
    assert_eq!(
        spec["install_extensions"],
        json!([
            "siderolabs/util-linux-tools",
            "siderolabs/iscsi-tools",
            "siderolabs/iscsi-tools"
        ])
    );
    assert_eq!(spec["kernel_args"], "console=ttyS0 quiet");
    assert_eq!(spec["cloud"], json!({"platform": "aws"}));
    assert!(spec.get("sbc").is_none());
    assert_eq!(spec["secure_boot"], true);
    assert_eq!(spec["join_token"], "active-token");
    assert_eq!(spec["bootloader"], 2, "uefi = BOOT_SD");
    assert_eq!(spec["grpc_tunnel"], 2, "false = DISABLED");
    assert_eq!(spec["machine_labels"], json!({"edge": "", "env": "prod"}));
    assert_eq!(spec["embedded_machine_config"], "machine: {}\n");
    assert_eq!(spec["image_factory_url"], "https://factory.example.org");
    assert_eq!(f.writes(), ["Create edge"]);

    // the same name again: the server's ALREADY_EXISTS
    let e = run(f
        .omni
        .media()
        .create_preset("edge", &params(json!({})), &opts()))
    .unwrap_err();
    assert_eq!(e.code(), Code::AlreadyExists);

    // an empty token id means the default token (which must be active too); a features
    // config without a factory → the public factory
    let g = fake(Rc::new(|_, _| None));
    with_platforms(&g);
    g.put(
        "default",
        "FeaturesConfigs.omni.sidero.dev",
        "features-config",
        json!({}),
    );
    g.put(
        "default",
        "JoinTokenStatuses.omni.sidero.dev",
        "t1",
        json!({"state": 1}),
    );
    g.put(
        "default",
        "DefaultJoinTokens.omni.sidero.dev",
        "default",
        json!({"token_id": "t1"}),
    );
    run(g.omni.media().create_preset(
        "sbc",
        &params(json!({"overlay": "rpi_generic", "overlayOptions": "x: 1", "joinToken": "", "bootloader": "bios"})),
        &opts(),
    ))
    .unwrap();
    let spec = g.get("default", PRESET, "sbc").unwrap().spec;
    assert_eq!(spec["join_token"], "t1");
    assert_eq!(
        spec["sbc"],
        json!({"overlay": "rpi_generic", "overlay_options": "x: 1"})
    );
    assert_eq!(spec["architecture"], 1, "amd64 by default");
    assert_eq!(spec["bootloader"], 3, "bios = BOOT_GRUB");
    assert_eq!(spec["image_factory_url"], "https://factory.talos.dev");
    assert!(spec.get("talos_version").is_none());
}

#[test]
fn list_and_delete_presets() {
    let f = omni_with("https://factory.example.org", "");
    let m = f.omni.media();
    run(m.create_preset(
        "zeta",
        &params(json!({"talosVersion": "1.9.0", "bootloader": "dual"})),
        &opts(),
    ))
    .unwrap();
    run(m.create_preset(
        "alpha",
        &params(json!({"arch": "arm64", "overlay": "rpi_generic", "initialLabels": ["a=1"]})),
        &opts(),
    ))
    .unwrap();
    run(m.create_preset(
        "mid",
        &params(json!({"platform": "gcp", "extraKernelArgs": ["x"], "embeddedMachineConfig": "c", "useSiderolinkGrpcTunnel": true, "talosVersion": "1.9.0", "extensions": ["gvisor"]})),
        &opts(),
    ))
    .unwrap();
    let list = run(m.list_presets(&opts())).unwrap();
    let names: Vec<&str> = list.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["alpha", "mid", "zeta"]);
    let (alpha, mid, zeta) = (&list[0], &list[1], &list[2]);
    assert_eq!(
        (
            alpha.arch.as_str(),
            alpha.kind.as_str(),
            alpha.platform_or_overlay.as_str()
        ),
        ("arm64", "sbc", "rpi_generic")
    );
    assert_eq!(alpha.labels.get("a").map(String::as_str), Some("1"));
    assert_eq!(alpha.grpc_tunnel, "auto");
    assert_eq!(
        (
            mid.kind.as_str(),
            mid.platform_or_overlay.as_str(),
            mid.grpc_tunnel.as_str()
        ),
        ("cloud", "gcp", "enabled")
    );
    assert_eq!(mid.extensions, ["siderolabs/gvisor"]);
    assert_eq!(mid.kernel_args, "x");
    assert!(mid.embedded_config);
    assert_eq!(
        (
            zeta.kind.as_str(),
            zeta.platform_or_overlay.as_str(),
            zeta.bootloader.as_str()
        ),
        ("metal", "-", "dual")
    );
    assert_eq!(zeta.talos_version, "1.9.0");
    assert!(!zeta.embedded_config && !zeta.secure_boot);
    let js = serde_json::to_value(zeta).unwrap();
    assert_eq!(js["platformOrOverlay"], "-", "camelCase for JS");

    assert!(run(m.delete_preset("mid", &opts())).unwrap());
    assert!(
        !run(m.delete_preset("mid", &opts())).unwrap(),
        "already gone"
    );
    assert_eq!(run(m.list_presets(&opts())).unwrap().len(), 2);
}

#[test]
fn download_urls_follow_the_preset_kind_and_format() {
    let f = omni_with("https://factory.example.org/", "https://pxe.example.org/");
    let m = f.omni.media();
    let mk = |name: &str, p: Value| run(m.create_preset(name, &params(p), &opts())).unwrap();
    mk(
        "metal",
        json!({"talosVersion": "1.9.0", "extensions": ["gvisor"], "initialLabels": ["env=prod"], "extraKernelArgs": ["a", "b=1"], "joinToken": "active-token", "useSiderolinkGrpcTunnel": true}),
    );
    mk("sb", json!({"talosVersion": "1.9.0", "secureBoot": true}));
    mk("cloud", json!({"talosVersion": "1.9.0", "platform": "aws"}));
    mk(
        "pi",
        json!({"talosVersion": "1.9.0", "arch": "arm64", "overlay": "rpi_generic", "overlayOptions": "o: 1"}),
    );
    mk("noversion", json!({}));
    // credentials for the preset's factory
    f.put(
        "default",
        "ImageFactoryAuths.omni.sidero.dev",
        "https://factory.example.org",
        json!({"username": "u", "password": "p"}),
    );
    f.clear_calls();

    let d = run(m.download_url("metal", None, &opts())).unwrap();
    assert_eq!(
        d.url,
        "https://factory.example.org/image/abc123/1.9.0/metal-amd64.iso"
    );
    assert_eq!(d.file_name, "metal-amd64.iso");
    assert_eq!(
        (d.schematic_id.as_str(), d.talos_version.as_str(), d.pxe),
        ("abc123", "1.9.0", false)
    );
    assert_eq!(
        d.authorization.as_deref(),
        Some("Basic dTpw"),
        "base64 of u:p"
    );
    assert!(format!("{d:?}").contains("<redacted>") && !format!("{d:?}").contains("dTpw"));
    let req = f.bodies(SCHEMATIC).pop().unwrap();
    assert_eq!(req["extensions"], json!(["siderolabs/gvisor"]));
    assert_eq!(req["extra_kernel_args"], json!(["a", "b=1"]));
    // meta.ImageLabels, as go-yaml writes it
    assert_eq!(req["meta_values"]["12"], "machineLabels:\n    env: prod\n");
    assert_eq!(req["talos_version"], "1.9.0");
    assert_eq!(req["siderolink_grpc_tunnel_mode"], 2, "ENABLED");
    assert_eq!(req["join_token"], "active-token");
    // the factory Omni uses for the version, as upstream names it (no trailing slash)
    assert_eq!(req["image_factory_url"], "https://factory.example.org");

    for (format, file) in [
        ("raw", "metal-amd64.raw.xz"),
        ("qcow2", "metal-amd64.qcow2"),
    ] {
        let d = run(m.download_url("metal", Some(format), &opts())).unwrap();
        assert_eq!(d.file_name, file);
    }
    let pxe = run(m.download_url("metal", Some("pxe"), &opts())).unwrap();
    assert!(pxe.pxe);
    // omnictl prints the PXE URL with the factory's credentials in it; Debug hides them
    assert_eq!(
        pxe.url,
        "https://u:p@pxe.example.org/pxe/abc123/1.9.0/metal-amd64"
    );
    assert!(!format!("{pxe:?}").contains("u:p@"), "{pxe:?}");

    let sb = run(m.download_url("sb", None, &opts())).unwrap();
    assert_eq!(
        sb.url,
        "https://factory.example.org/image/abc123/1.9.0/metal-amd64-secureboot.iso?secureboot=true"
    );
    let cloud = run(m.download_url("cloud", None, &opts())).unwrap();
    assert_eq!(cloud.file_name, "aws-amd64.raw.xz");
    let pi = run(m.download_url("pi", None, &opts())).unwrap();
    assert_eq!(pi.file_name, "metal-arm64.raw.xz");
    let req = f.bodies(SCHEMATIC).pop().unwrap();
    // the overlay as Omni's SBC config names it (upstream builds it from SBCConfig)
    assert_eq!(req["overlay"]["name"], "rpi_generic");
    assert_eq!(req["overlay"]["image"], "siderolabs/sbc-raspberrypi");
    assert_eq!(req["overlay"]["options"], "o: 1");

    let code_and_text = |preset: &str, format: Option<&str>| {
        let e = run(m.download_url(preset, format, &opts())).unwrap_err();
        (e.code(), e.to_string())
    };
    let (c, t) = code_and_text("cloud", Some("iso"));
    assert_eq!(c, Code::InvalidArgument);
    assert!(
        t.contains("--format is only valid for metal presets; cloud presets follow"),
        "{t}"
    );
    let (c, t) = code_and_text("metal", Some("vhd"));
    assert_eq!(c, Code::InvalidArgument);
    assert!(
        t.contains("unsupported format \"vhd\", must be one of: iso, raw, qcow2, pxe"),
        "{t}"
    );
    // a preset without a Talos version takes omnictl's default (upstream BuildParamsFromPreset)
    let d = run(m.download_url("noversion", None, &opts())).unwrap();
    assert_eq!(d.talos_version, "1.13.8");
    assert!(
        d.url.ends_with("/image/abc123/1.13.8/metal-amd64.iso"),
        "{}",
        d.url
    );
    let (c, t) = code_and_text("missing", None);
    assert_eq!(c, Code::NotFound);
    assert!(
        t.contains("failed to get installation media preset \"missing\""),
        "{t}"
    );
}

/// A preset without a factory URL downloads from the features config's factory; without a
/// features config the download fails as omnictl's does (upstream `installationmedia/download.go`).
#[test]
fn downloads_take_the_factory_from_the_preset_or_the_features_config() {
    let f = fake(Rc::new(|method, _| {
        (method == SCHEMATIC).then(|| Ok(vec![json!({"schematic_id": "s1"})]))
    }));
    f.put(
        PRESET_NS,
        PRESET,
        "p",
        json!({"talos_version": "1.8.0", "architecture": 1}),
    );
    f.put(
        "default",
        "DefaultJoinTokens.omni.sidero.dev",
        "default",
        json!({"token_id": "t"}),
    );
    f.put(
        "default",
        "JoinTokenStatuses.omni.sidero.dev",
        "t",
        json!({"state": 1}),
    );
    let m = f.omni.media();
    let e = run(m.download_url("p", None, &opts())).unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.to_string().contains("failed to get features config"),
        "{e}"
    );
    f.put(
        "default",
        "FeaturesConfigs.omni.sidero.dev",
        "features-config",
        json!({"image_factory_base_url": "https://factory.talos.dev",
               "image_factory_pxe_base_url": "https://pxe.factory.talos.dev"}),
    );
    let d = run(m.download_url("p", None, &opts())).unwrap();
    assert_eq!(
        d.url,
        "https://factory.talos.dev/image/s1/1.8.0/metal-amd64.iso"
    );
    assert_eq!(d.authorization, None);
    let pxe = run(m.download_url("p", Some("pxe"), &opts())).unwrap();
    assert_eq!(
        pxe.url,
        "https://pxe.factory.talos.dev/pxe/s1/1.8.0/metal-amd64"
    );
}

/// Overrides of a preset's settings are re-checked as `omnictl media download`'s flags are
/// (upstream `revalidateOverrides`), and what passes reaches the schematic.
#[test]
fn download_overrides_are_checked_then_used() {
    use omni_wasm::client::DownloadOptions;
    let f = omni_with("https://factory.example.org", "https://pxe.example.org");
    f.put(
        "default",
        "TalosVersions.omni.sidero.dev",
        "1.9.0",
        json!({}),
    );
    // a platform with one architecture
    f.put(
        "virtual",
        "CloudPlatformConfigs.omni.sidero.dev",
        "oci",
        json!({"architectures": [1], "secure_boot_supported": true, "min_version": "1.5.0"}),
    );
    let m = f.omni.media();
    run(m.create_preset(
        "c",
        &params(json!({"talosVersion": "1.9.0", "platform": "oci"})),
        &opts(),
    ))
    .unwrap();
    // an unknown Talos version is refused before anything is created
    f.clear_calls();
    let o = DownloadOptions {
        talos_version: Some("1.2.3".into()),
        ..DownloadOptions::default()
    };
    let e = run(m.download("c", &o, &opts())).unwrap_err();
    assert!(
        e.to_string().contains("unknown Talos version \"1.2.3\""),
        "{e}"
    );
    assert!(f.bodies(SCHEMATIC).is_empty());
    // the platform refuses an architecture it lacks
    let o = DownloadOptions {
        arch: Some("arm64".into()),
        ..DownloadOptions::default()
    };
    let e = run(m.download("c", &o, &opts())).unwrap_err();
    assert!(
        e.to_string()
            .contains("cloud platform \"oci\" does not support architecture \"arm64\""),
        "{e}"
    );
    assert!(f.bodies(SCHEMATIC).is_empty());
    // labels, kernel args, extensions and the tunnel reach the schematic
    let o = DownloadOptions {
        initial_labels: Some(vec!["tier=edge".into()]),
        extra_kernel_args: Some(vec!["console=ttyS0".into()]),
        extensions: Some(vec!["gvisor".into()]),
        use_siderolink_grpc_tunnel: Some(false),
        ..DownloadOptions::default()
    };
    let d = run(m.download("c", &o, &opts())).unwrap();
    assert_eq!(d.file_name, "oci-amd64.raw.xz");
    let req = f.bodies(SCHEMATIC).pop().unwrap();
    assert_eq!(req["meta_values"]["12"], "machineLabels:\n    tier: edge\n");
    assert_eq!(req["extra_kernel_args"], json!(["console=ttyS0"]));
    assert_eq!(req["extensions"], json!(["siderolabs/gvisor"]));
    assert_eq!(req["siderolink_grpc_tunnel_mode"], 1, "DISABLED");
}

const PRESET_NS: &str = "default";
