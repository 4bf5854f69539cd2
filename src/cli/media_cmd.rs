//! `omnictl media ...` (upstream `client/pkg/omnictl/installationmedia/*.go` and the shared
//! `internal/download/download.go`): installation media presets, and downloading the image
//! of a preset from the image factory. The download helpers are shared with the deprecated
//! `omnictl download` (`download_cmd`).

use std::collections::BTreeMap;

use clap::{Args, Subcommand};
use serde_json::Value;

use super::global::Global;
use super::paths::{clean, join};
use super::{connect, Host};
use crate::client::media_checks::{arch_name, bootloader_name, grpc_tunnel_name, num};
use crate::client::media_checks::{flag, present, strings};
pub(super) use crate::client::media_checks::{text, tunnel_mode, Version, DEFAULT_TALOS_VERSION};
use crate::client::media_download::{
    check_secure_boot, create_schematic, image_download, preset_image,
};
pub(super) use crate::client::media_download::{ImageInfo, Params};
use crate::client::DownloadOptions;
use crate::client::{OmniClient, PresetParams};
use crate::proto::management as pb;
use crate::resource::tabwrite;
use crate::resource::Resource;
use crate::transport::CallOptions;
use crate::{Error, Result};

const PRESET: &str = "InstallationMediaConfigs.omni.sidero.dev";

const GRPC_TUNNEL_HELP: &str = "Configure Talos to use the SideroLink (WireGuard) gRPC tunnel over HTTP/2 for Omni management traffic, instead of UDP. Only enable this if the network blocks UDP packets, as HTTP tunneling adds significant overhead for communications.";

/// `omnictl media ...` (`installationmedia/installationmedia.go`).
#[derive(Debug, Subcommand)]
pub(crate) enum MediaArgs {
    /// Download installation media from a preset.
    #[command(long_about = DOWNLOAD_LONG)]
    Download(Box<DownloadFlags>),
    /// Manage installation media presets.
    #[command(
        subcommand,
        long_about = "Commands to create, list, and delete installation media presets."
    )]
    Preset(PresetCommand),
}

const DOWNLOAD_LONG: &str = "Download installation media using a saved preset configuration.

Flags here override the corresponding values from the preset, but cannot change
the preset's platform, overlay, or bootloader: those define the preset itself.
To use different settings, create a new preset.

The format flag determines the output file type for metal presets:
    * iso   - ISO image (default)
    * raw   - Raw disk image (.raw.xz)
    * qcow2 - QEMU disk image (.qcow2)
    * pxe   - Print PXE boot URL (no file downloaded)

For cloud presets, the format is automatically determined by the platform.
For SBC presets, a raw disk image is always produced.

Examples:
    # Download from a preset (format is auto-detected from the preset type)
    omnictl media download my-preset

    # Force raw disk image for a metal preset
    omnictl media download my-preset --format raw

    # Get PXE boot URL for a metal preset
    omnictl media download my-preset --format pxe

    # Override extensions for a one-off download
    omnictl media download my-preset --extensions qemu-guest-agent

    # Download to a specific directory
    omnictl media download my-preset --output /tmp/images/
";

const CREATE_LONG: &str =
    "Create a new installation media preset that can be used for downloading installation media.

Examples:
    # Create a basic metal preset
    omnictl media preset create my-preset --arch amd64

    # Create a cloud preset for AWS
    omnictl media preset create aws-preset --arch amd64 --platform aws

    # Create an SBC preset for Raspberry Pi
    omnictl media preset create rpi-preset --arch arm64 --overlay rpi_generic

    # Create a preset with extensions and labels
    omnictl media preset create full-preset --arch amd64 \\
        --extensions qemu-guest-agent --extensions intel-ucode \\
        --initial-labels env=production --initial-labels team=infra

    # Create a preset with an embedded machine config read from a file
    omnictl media preset create embedded-preset --arch amd64 \\
        --embedded-machine-config-file ./machine-config.yaml
";

/// `omnictl media preset ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum PresetCommand {
    /// Create an installation media preset.
    #[command(long_about = CREATE_LONG)]
    Create(Box<CreateFlags>),
    /// Delete an installation media preset.
    Delete {
        #[arg(value_name = "name")]
        name: String,
    },
    /// List installation media presets.
    #[command(visible_alias = "ls")]
    List {
        /// Output format. One of: wide
        #[arg(
            short,
            long,
            default_value = "",
            hide_default_value = true,
            value_name = "string"
        )]
        output: String,
    },
}

/// `omnictl media preset create <name>` (`installationmedia/create.go`). Options are "set
/// or not" where upstream asks whether a flag was changed.
#[derive(Debug, Args)]
pub(crate) struct CreateFlags {
    #[arg(value_name = "name")]
    name: String,
    /// Image architecture (amd64, arm64)
    #[arg(long, default_value = "amd64", value_name = "string")]
    arch: String,
    /// Talos version for the preset (leave empty to track the server's default at download time)
    #[arg(
        long,
        default_value = "",
        hide_default_value = true,
        value_name = "string"
    )]
    talos_version: String,
    /// Extensions to pre-install in the preset
    #[arg(long, value_delimiter = ',', value_name = "strings")]
    extensions: Option<Vec<String>>,
    /// Extra kernel args to include in the preset
    #[arg(long, value_name = "stringArray")]
    extra_kernel_args: Vec<String>,
    /// Initial machine labels in key=value format
    #[arg(long, value_delimiter = ',', value_name = "strings")]
    initial_labels: Option<Vec<String>>,
    /// Cloud platform (e.g., aws, gcp, azure, vultr)
    #[arg(long, value_name = "string")]
    platform: Option<String>,
    /// SBC overlay name (e.g., rpi_generic, rockpi_4c)
    #[arg(long, value_name = "string")]
    overlay: Option<String>,
    /// SBC overlay options (YAML string)
    #[arg(long, value_name = "string")]
    overlay_options: Option<String>,
    /// Enable SecureBoot in the preset
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    secureboot: bool,
    /// Join token ID (uses default token if empty)
    #[arg(long, value_name = "string")]
    join_token: Option<String>,
    /// Bootloader type (auto, uefi, bios, dual)
    #[arg(long, default_value = "auto", value_name = "string")]
    bootloader: String,
    /// Embedded machine config read from a file, or "-" for stdin
    #[arg(
        long,
        default_value = "",
        hide_default_value = true,
        value_name = "string"
    )]
    embedded_machine_config_file: String,
    #[arg(long, help = GRPC_TUNNEL_HELP, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_name = "bool")]
    use_siderolink_grpc_tunnel: Option<bool>,
}

/// `omnictl media download <preset-name>` (`installationmedia/download.go`).
#[derive(Debug, Args)]
pub(crate) struct DownloadFlags {
    #[arg(value_name = "preset-name")]
    preset: String,
    /// Output file or directory, defaults to current working directory
    #[arg(long, default_value = ".", value_name = "string")]
    output: String,
    /// Output format for metal presets: iso, raw, qcow2, pxe (auto-detected if omitted)
    #[arg(
        long,
        default_value = "",
        hide_default_value = true,
        value_name = "string"
    )]
    format: String,
    /// Image architecture override (amd64, arm64; uses preset value if empty)
    #[arg(long, value_name = "string")]
    arch: Option<String>,
    /// Talos version override (uses preset value if empty)
    #[arg(long, value_name = "string")]
    talos_version: Option<String>,
    /// Override initial machine labels (key=value)
    #[arg(long, value_delimiter = ',', value_name = "strings")]
    initial_labels: Option<Vec<String>>,
    /// Override extra kernel args
    #[arg(long, value_name = "stringArray")]
    extra_kernel_args: Option<Vec<String>>,
    /// Override extensions to pre-install
    #[arg(long, value_delimiter = ',', value_name = "strings")]
    extensions: Option<Vec<String>>,
    /// Override secure boot setting
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_name = "bool")]
    secureboot: Option<bool>,
    /// Join token ID override (uses preset token if empty)
    #[arg(long, value_name = "string")]
    join_token: Option<String>,
    /// Override the embedded machine config, reading it from a file or "-" for stdin
    #[arg(long, value_name = "string")]
    embedded_machine_config_file: Option<String>,
    #[arg(long, help = GRPC_TUNNEL_HELP, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_name = "bool")]
    use_siderolink_grpc_tunnel: Option<bool>,
}

pub(super) fn plain(msg: impl Into<String>) -> Error {
    Error::InvalidArgument(msg.into())
}

async fn get(client: &OmniClient, ty: &str, ns: &str, id: &str) -> Result<Resource> {
    crate::client::media_checks::get(client, ty, ns, id, &CallOptions::default()).await
}

/// `download.ReadEmbeddedMachineConfigFile`: a file, or standard input for `-`.
fn read_embedded_config(path: &str, host: &dyn Host) -> Result<String> {
    match path {
        "" => Ok(String::new()),
        "-" => host.read_stdin().map_err(|e| {
            plain(format!(
                "failed to read embedded machine config from stdin: {}",
                e.reason()
            ))
        }),
        _ => match host.read_file(path) {
            Ok(Some(t)) => Ok(t),
            Ok(None) => Err(plain(format!(
                "failed to read embedded machine config file {path:?}: open {path}: no such file or directory"
            ))),
            Err(e) => Err(plain(format!(
                "failed to read embedded machine config file {path:?}: {}",
                e.reason()
            ))),
        },
    }
}

// ---- download.go: the image and the download -------------------------------------------------

/// Go's `filepath.Ext`.
pub(super) fn ext(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rfind('.').and_then(|i| name.get(i..)).unwrap_or("")
}

/// `filepath.Abs`.
pub(super) fn abs(path: &str, host: &dyn Host) -> String {
    if path.starts_with('/') {
        clean(path)
    } else {
        join(&host.cwd(), path)
    }
}

/// `download.MakePath`: a file destination (one with an extension) must not exist yet. (The
/// directory is created by the download.)
pub(super) fn make_path(path: &str, host: &dyn Host) -> Result<()> {
    if !ext(path).is_empty() && (host.is_dir(path) || host.read_file(path)?.is_some()) {
        return Err(plain(format!("destination {path} already exists")));
    }
    Ok(())
}

/// `download.DownloadImageTo`: the schematic, then the PXE URL on stdout, or the image
/// downloaded (signed with the client's key, with the factory's credentials) into `output`.
pub(super) async fn download_image_to(
    g: &Global,
    client: &OmniClient,
    image: &ImageInfo,
    params: &Params,
    output: &str,
    host: &dyn Host,
) -> Result<()> {
    use pb::create_schematic_request::SiderolinkGrpcTunnelMode as M;
    let opts = CallOptions::default();
    check_secure_boot(image, params)?;
    let announce = |m: &str| host.stdout(&format!("Install Extension: {m}\n"));
    let schematic = create_schematic(client, image, params, &announce, &opts)
        .await
        .map_err(|e| match e {
            Error::InvalidArgument(_) => e,
            other => plain(format!("failed to create schematic: {other}")),
        })?;
    if params.grpc_tunnel_mode == M::Auto as i32 {
        host.stderr(&format!(
            "Using server's SideroLink gRPC tunnel setting: {}\n",
            schematic.grpc_tunnel_enabled
        ));
    } else if params.grpc_tunnel_mode == M::Disabled as i32 && schematic.grpc_tunnel_enabled {
        host.stderr("WARNING: requested setting \"--use-siderolink-grpc-tunnel\" is ignored because the server's SideroLink gRPC tunnel setting is enabled.\n");
    }
    host.stderr(&format!("Using image factory at {:?}\n", image.factory_url));
    let plan = image_download(client, image, params, &schematic, &opts).await?;
    if plan.pxe {
        host.stdout(&format!("{}\n", plan.url));
        return Ok(());
    }
    let mut headers = Vec::new();
    if let Some(a) = &plan.authorization {
        headers.push(("authorization".to_string(), a.clone()));
    }
    let signer = client
        .transport()
        .signer()
        .ok_or_else(|| plain("no key to sign the download with"))?;
    headers.extend(
        crate::auth::sign_http(signer.as_ref(), "GET", &plan.url, b"", host.now_unix()).await?,
    );
    let dest = if ext(output).is_empty() {
        let short: String = plan.schematic_id.chars().take(6).collect();
        join(
            output,
            &format!(
                "{}-{}-{short}{}",
                image.dest_file_prefix,
                params.talos_version,
                ext(&plan.file_name)
            ),
        )
    } else {
        output.to_string()
    };
    host.stdout("Generating the image...\n");
    if let Some((status, body)) = host
        .download(&plan.url, &headers, &dest, g.insecure_skip_tls_verify)
        .await?
    {
        return Err(plain(format!(
            "failed to download the installation media, error code: {status}, message: {body}"
        )));
    }
    host.stdout(&format!("Downloading to {dest}\nDownloaded to {dest}\n"));
    Ok(())
}

// ---- create.go, list.go, delete.go, download.go ----------------------------------------------

async fn create(g: &Global, f: CreateFlags, host: &dyn Host) -> Result<()> {
    if f.platform.is_some() && f.overlay.is_some() {
        return Err(plain("--platform and --overlay cannot be used together; a preset can be for a cloud platform, an SBC overlay or Bare-metal"));
    }
    if f.overlay_options.is_some() && f.overlay.is_none() {
        return Err(plain("--overlay-options requires --overlay to be set"));
    }
    let client = connect::client(g, host).await?;
    let params = PresetParams {
        arch: Some(f.arch),
        talos_version: f.talos_version,
        extensions: f.extensions.unwrap_or_default(),
        extra_kernel_args: f.extra_kernel_args,
        initial_labels: f.initial_labels.unwrap_or_default(),
        platform: f.platform.unwrap_or_default(),
        overlay: f.overlay.unwrap_or_default(),
        overlay_options: f.overlay_options.unwrap_or_default(),
        secure_boot: f.secureboot,
        join_token: f.join_token,
        bootloader: Some(f.bootloader),
        embedded_machine_config: String::new(),
        use_siderolink_grpc_tunnel: f.use_siderolink_grpc_tunnel,
    };
    // every check and the spec are the library's (`Media::preset_resource`), as for JS callers
    let call = CallOptions::default();
    let file = f.embedded_machine_config_file;
    let read = || read_embedded_config(&file, host);
    let embedded: Option<&dyn Fn() -> Result<String>> = (!file.is_empty()).then_some(&read);
    let preset = client
        .media()
        .preset_resource_with(&f.name, &params, embedded, &call)
        .await?;
    let h = client.resources_in(PRESET, "default").await?;
    h.create(&preset, &call)
        .await
        .map_err(|e| plain(format!("failed to create installation media preset: {e}")))?;
    host.stdout(&format!("Created installation media preset {:?}\n", f.name));
    Ok(())
}

async fn list(g: &Global, output: &str, host: &dyn Host) -> Result<()> {
    if !output.is_empty() && output != "wide" {
        return Err(plain(format!(
            "invalid --output value {output:?}, only \"wide\" is supported"
        )));
    }
    let wide = output == "wide";
    let client = connect::client(g, host).await?;
    let presets = client
        .resources_in(PRESET, "default")
        .await?
        .list(&Default::default(), &CallOptions::default())
        .await?;
    let mut header = vec!["NAME", "ARCH", "TALOS VERSION", "TYPE", "PLATFORM/OVERLAY"];
    if wide {
        header.extend([
            "SECURE BOOT",
            "EXTENSIONS",
            "LABELS",
            "BOOTLOADER",
            "GRPC TUNNEL",
            "KERNEL ARGS",
            "EMBEDDED CONFIG",
        ]);
    }
    let mut rows = vec![header.into_iter().map(String::from).collect::<Vec<_>>()];
    for p in &presets {
        let s = &p.spec;
        let mut version = text(s, "talos_version");
        if version.is_empty() {
            version = DEFAULT_TALOS_VERSION.to_string();
        }
        let (kind, what) = if present(s, "cloud") {
            (
                "cloud",
                s.get("cloud")
                    .map(|c| text(c, "platform"))
                    .unwrap_or_default(),
            )
        } else if present(s, "sbc") {
            (
                "sbc",
                s.get("sbc").map(|c| text(c, "overlay")).unwrap_or_default(),
            )
        } else {
            ("metal", "-".to_string())
        };
        let mut row = vec![
            p.metadata.id.clone(),
            arch_name(num(s, "architecture")).to_string(),
            version,
            kind.to_string(),
            what,
        ];
        if wide {
            let or_dash = |x: String| if x.is_empty() { "-".to_string() } else { x };
            let extensions = strings(s, "install_extensions")
                .unwrap_or_default()
                .join(" ");
            // upstream ranges over a Go map (random order); here sorted by key
            let labels: Vec<String> = s
                .get("machine_labels")
                .and_then(Value::as_object)
                .map(|m| {
                    let sorted: BTreeMap<&String, &Value> = m.iter().collect();
                    sorted
                        .into_iter()
                        .map(|(k, v)| match v.as_str().unwrap_or_default() {
                            "" => k.clone(),
                            v => format!("{k}={v}"),
                        })
                        .collect()
                })
                .unwrap_or_default();
            row.extend([
                flag(s, "secure_boot").to_string(),
                or_dash(extensions),
                or_dash(labels.join(" ")),
                bootloader_name(num(s, "bootloader")).to_string(),
                grpc_tunnel_name(num(s, "grpc_tunnel")).to_string(),
                or_dash(text(s, "kernel_args")),
                if text(s, "embedded_machine_config").is_empty() {
                    "-"
                } else {
                    "yes"
                }
                .to_string(),
            ]);
        }
        rows.push(row);
    }
    host.stdout(&tabwrite(&rows));
    Ok(())
}

async fn delete(g: &Global, name: &str, host: &dyn Host) -> Result<()> {
    let client = connect::client(g, host).await?;
    // NotFound is fine: the preset is gone either way
    client
        .resources_in(PRESET, "default")
        .await?
        .delete(name, &CallOptions::default())
        .await
        .map_err(|e| {
            plain(format!(
                "failed to delete installation media preset {name:?}: {e}"
            ))
        })?;
    host.stdout(&format!("Deleted installation media preset {name:?}\n"));
    Ok(())
}

async fn download(g: &Global, f: DownloadFlags, host: &dyn Host) -> Result<()> {
    let client = connect::client(g, host).await?;
    let output = abs(&f.output, host);
    make_path(&output, host)?;
    let preset = get(&client, PRESET, "default", &f.preset)
        .await
        .map_err(|e| {
            plain(format!(
                "failed to get installation media preset {:?}: {e}",
                f.preset
            ))
        })?;
    let o = DownloadOptions {
        format: Some(f.format.clone()).filter(|s| !s.is_empty()),
        arch: f.arch.clone(),
        talos_version: f.talos_version.clone(),
        initial_labels: f.initial_labels.clone(),
        extra_kernel_args: f.extra_kernel_args.clone(),
        extensions: f.extensions.clone(),
        secure_boot: f.secureboot,
        embedded_machine_config: None,
        join_token: f.join_token.clone(),
        use_siderolink_grpc_tunnel: f.use_siderolink_grpc_tunnel,
    };
    let read = |path: &str| read_embedded_config(path, host);
    let embedded = f
        .embedded_machine_config_file
        .as_deref()
        .map(|p| move || read(p));
    let embedded: Option<&dyn Fn() -> Result<String>> = embedded.as_ref().map(|r| r as _);
    let (image, params) =
        preset_image(&client, &preset, &o, embedded, &CallOptions::default()).await?;
    download_image_to(g, &client, &image, &params, &output, host).await
}

pub(super) async fn run(g: &Global, a: MediaArgs, host: &dyn Host) -> Result<()> {
    match a {
        MediaArgs::Preset(PresetCommand::Create(f)) => create(g, *f, host).await,
        MediaArgs::Preset(PresetCommand::List { output }) => list(g, &output, host).await,
        MediaArgs::Preset(PresetCommand::Delete { name }) => delete(g, &name, host).await,
        MediaArgs::Download(f) => download(g, *f, host).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::media_checks::{check_min_talos_version, supports_overlay};

    #[test]
    fn go_file_extensions() {
        assert_eq!(ext("/a/b.raw.xz"), ".xz");
        assert_eq!(ext("/a.d/b"), "");
        assert_eq!(ext("/tmp/x."), ".");
    }

    #[test]
    fn versions_compare_as_semver_does() {
        assert!(check_min_talos_version("1.9.0-beta.0", "1.9.0", "x").is_ok());
        assert!(check_min_talos_version("v1.8", "1.9.0", "x").is_err());
        assert_eq!(
            check_min_talos_version("1.8.3", "1.9.0", "SBC overlay \"rpi\"")
                .unwrap_err()
                .to_string(),
            "invalid argument: SBC overlay \"rpi\" requires Talos version >= 1.9.0 (got 1.8.3)"
        );
        assert!(supports_overlay("1.7.0-alpha.1"));
        assert!(!supports_overlay("1.6.7"));
        assert!(supports_overlay("latest"));
    }
}
