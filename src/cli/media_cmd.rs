//! `omnictl media ...` (upstream `client/pkg/omnictl/installationmedia/*.go` and the shared
//! `internal/download/download.go`): installation media presets, and downloading the image
//! of a preset from the image factory. The download helpers are shared with the deprecated
//! `omnictl download` (`download_cmd`).

use std::collections::BTreeMap;

use clap::{Args, Subcommand};
use serde_json::Value;

use super::args::Global;
use super::paths::{clean, join};
use super::{connect, Host};
use crate::client::media_checks::num;
use crate::client::media_checks::{
    arch_name, bootloader_name, extension_catalog, factory_credentials, grpc_tunnel_name,
    lookup_extensions, match_extension, parse_arch, parse_label_pairs, resolve_join_token,
    supports_overlay, validate_cloud_platform, validate_embedded_config_support, validate_sbc,
    validate_talos_version,
};
pub(super) use crate::client::media_checks::{text, tunnel_mode, Version, DEFAULT_TALOS_VERSION};
use crate::client::{OmniClient, PresetParams};
use crate::proto::management as pb;
use crate::resource::tabwrite;
use crate::resource::Resource;
use crate::transport::CallOptions;
use crate::{Error, Result};

const PRESET: &str = "InstallationMediaConfigs.omni.sidero.dev";
const FEATURES: &str = "FeaturesConfigs.omni.sidero.dev";
const CLOUD_PLATFORM: &str = "CloudPlatformConfigs.omni.sidero.dev";
const SBC: &str = "SBCConfigs.omni.sidero.dev";

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

fn flag(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool).unwrap_or(false)
}

/// Whether a message field is set (Go's `spec.Cloud != nil`).
fn present(v: &Value, k: &str) -> bool {
    v.get(k).is_some_and(|x| !x.is_null())
}

fn strings(v: &Value, k: &str) -> Option<Vec<String>> {
    let a = v.get(k)?.as_array()?;
    (!a.is_empty()).then(|| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
}

async fn get(client: &OmniClient, ty: &str, ns: &str, id: &str) -> Result<Resource> {
    crate::client::media_checks::get(client, ty, ns, id, &CallOptions::default()).await
}

/// `download.lookupExtensions` as the download announces it: "Install Extension: <name>" on
/// stdout for each match, as it is found.
async fn announce_extensions(
    client: &OmniClient,
    talos_version: &str,
    names: &[String],
    host: &dyn Host,
) -> Result<Vec<String>> {
    let catalog = extension_catalog(client, talos_version, &CallOptions::default()).await?;
    let mut out = Vec::new();
    for n in names {
        for m in match_extension(&catalog, n, talos_version)? {
            host.stdout(&format!("Install Extension: {m}\n"));
            out.push(m.clone());
        }
    }
    Ok(out)
}

/// `download.ReadEmbeddedMachineConfigFile`: a file, or standard input for `-`.
fn read_embedded_config(path: &str, host: &dyn Host) -> Result<String> {
    match path {
        "" => Ok(String::new()),
        "-" => host.read_stdin().map_err(|e| {
            plain(format!(
                "failed to read embedded machine config from stdin: {}",
                super::message(&e)
            ))
        }),
        _ => match host.read_file(path) {
            Ok(Some(t)) => Ok(t),
            Ok(None) => Err(plain(format!(
                "failed to read embedded machine config file {path:?}: open {path}: no such file or directory"
            ))),
            Err(e) => Err(plain(format!(
                "failed to read embedded machine config file {path:?}: {}",
                super::message(&e)
            ))),
        },
    }
}

// ---- download.go: the image and the download -------------------------------------------------

/// `download.ImageInfo`.
#[derive(Debug, Default)]
pub(super) struct ImageInfo {
    pub media_id: String,
    pub name: String,
    pub dest_file_prefix: String,
    pub profile: String,
    pub overlay: String,
    pub architecture: String,
    pub extension: String,
    pub factory_url: String,
    pub no_secure_boot: bool,
}

impl ImageInfo {
    /// `generateFilename`: `<profile>-<arch>[-secureboot][.<ext>]` (overlays: `metal`, or
    /// `metal-<profile>` for Talos before overlays).
    fn file_name(&self, legacy: bool, secure_boot: bool, with_extension: bool) -> String {
        let mut s = if self.overlay.is_empty() {
            self.profile.clone()
        } else if legacy {
            format!("metal-{}", self.profile)
        } else {
            "metal".to_string()
        };
        s.push('-');
        s.push_str(&self.architecture);
        if secure_boot {
            s.push_str("-secureboot");
        }
        if with_extension {
            s.push('.');
            s.push_str(&self.extension);
        }
        s
    }
}

/// `download.Params`. `None` lists are "not given" (Go's nil slices).
#[derive(Debug, Default)]
pub(super) struct Params {
    pub overlay: Option<pb::create_schematic_request::Overlay>,
    pub output: String,
    pub talos_version: String,
    pub join_token: String,
    pub grpc_tunnel_mode: i32,
    pub labels: Option<Vec<String>>,
    pub extra_kernel_args: Vec<String>,
    pub extensions: Option<Vec<String>>,
    pub embedded_machine_config: String,
    pub bootloader: i32,
    pub pxe: bool,
    pub secure_boot: bool,
}

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

/// The `meta` value of the initial labels (`meta.ImageLabels{Labels}.Encode()`).
fn labels_meta(labels: &BTreeMap<String, String>) -> String {
    use crate::goyaml::emit::{to_yaml, Y};
    let mut entries: Vec<(Y, Y)> = labels
        .iter()
        .map(|(k, v)| (Y::str(k.clone()), Y::str(v.clone())))
        .collect();
    entries.sort_by(|a, b| crate::goyaml::sort::natural_cmp(&a.0, &b.0));
    to_yaml(&Y::map(vec![("machineLabels", Y::Map(entries))]), 4)
}

/// Percent-encodes a URL's user or password as Go's `url.UserPassword` does.
fn escape_userinfo(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~$&+,;=".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A URL's parts: scheme, authority, path (query and fragment dropped).
fn split_url(url: &str) -> (String, String, String) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    (scheme.to_string(), authority.to_string(), path.to_string())
}

/// `url.JoinPath` of `base` and `elems` with `scheme` (or the base's own) and the user.
fn url_join(
    base: &str,
    scheme: Option<&str>,
    user: Option<(&str, &str)>,
    elems: &[&str],
) -> String {
    let (s, authority, path) = split_url(base);
    let mut p = path;
    for e in elems {
        p.push('/');
        p.push_str(e);
    }
    let p = clean(&format!("/{p}"));
    let authority = match user {
        Some((u, pw)) => {
            let host = authority.rsplit('@').next().unwrap_or_default();
            format!("{}:{}@{host}", escape_userinfo(u), escape_userinfo(pw))
        }
        None => authority,
    };
    format!("{}://{authority}{p}", scheme.unwrap_or(&s))
}

async fn create_schematic(
    client: &OmniClient,
    image: &ImageInfo,
    params: &Params,
    host: &dyn Host,
) -> Result<pb::CreateSchematicResponse> {
    let mut meta_values = BTreeMap::new();
    if let Some(labels) = &params.labels {
        let labels = parse_label_pairs(labels).map_err(|e| {
            plain(format!(
                "failed to gen image labels: {}",
                super::message(&e)
            ))
        })?;
        meta_values.insert(12u32, labels_meta(&labels));
    }
    let extensions = match &params.extensions {
        Some(names) => announce_extensions(client, &params.talos_version, names, host)
            .await
            .map_err(|e| {
                plain(format!(
                    "failed to lookup extensions: {}",
                    super::message(&e)
                ))
            })?,
        None => Vec::new(),
    };
    let mut req = pb::CreateSchematicRequest {
        meta_values: meta_values.into_iter().collect(),
        extra_kernel_args: params.extra_kernel_args.clone(),
        extensions,
        talos_version: params.talos_version.clone(),
        siderolink_grpc_tunnel_mode: params.grpc_tunnel_mode,
        join_token: params.join_token.clone(),
        bootloader: params.bootloader,
        embedded_machine_config: params.embedded_machine_config.clone(),
        image_factory_url: image.factory_url.clone(),
        ..Default::default()
    };
    match &params.overlay {
        Some(o) => req.overlay = Some(o.clone()),
        None => req.media_id = image.media_id.clone(),
    }
    client
        .management()
        .create_schematic(&req, &CallOptions::default())
        .await
        .map_err(|e| plain(format!("failed to create schematic: {e}")))
}

/// `download.DownloadImageTo`: the schematic, then the PXE URL on stdout, or the image
/// downloaded (signed with the client's key, with the factory's credentials) into the output.
pub(super) async fn download_image_to(
    g: &Global,
    client: &OmniClient,
    image: &ImageInfo,
    params: &Params,
    host: &dyn Host,
) -> Result<()> {
    use pb::create_schematic_request::SiderolinkGrpcTunnelMode as M;
    if params.secure_boot && image.no_secure_boot {
        return Err(plain(format!(
            "{:?} doesn't support secure boot",
            image.name
        )));
    }
    let schematic = create_schematic(client, image, params, host).await?;
    if params.grpc_tunnel_mode == M::Auto as i32 {
        host.stderr(&format!(
            "Using server's SideroLink gRPC tunnel setting: {}\n",
            schematic.grpc_tunnel_enabled
        ));
    } else if params.grpc_tunnel_mode == M::Disabled as i32 && schematic.grpc_tunnel_enabled {
        host.stderr("WARNING: requested setting \"--use-siderolink-grpc-tunnel\" is ignored because the server's SideroLink gRPC tunnel setting is enabled.\n");
    }
    host.stderr(&format!("Using image factory at {:?}\n", image.factory_url));
    let (user, password) =
        factory_credentials(client, &image.factory_url, &CallOptions::default()).await?;
    let creds = (!user.is_empty() && !password.is_empty()).then_some((user, password));
    let legacy = !supports_overlay(&params.talos_version);
    let file_name = image.file_name(legacy, params.secure_boot, true);
    let schematic_id = schematic.schematic_id.as_str();
    if params.pxe {
        let features = get(client, FEATURES, "default", "features-config")
            .await
            .map_err(|e| plain(format!("failed to get features config: {e}")))?;
        let f = &features.spec;
        let mut base = text(f, "image_factory_pxe_base_url");
        if text(f, "secondary_image_factory_base_url").trim_end_matches('/')
            == image.factory_url.trim_end_matches('/')
        {
            base = text(f, "secondary_image_factory_pxe_base_url");
        }
        let pxe_name = image.file_name(legacy, params.secure_boot, false);
        let url = url_join(
            &base,
            None,
            creds.as_ref().map(|(u, p)| (u.as_str(), p.as_str())),
            &["pxe", schematic_id, &params.talos_version, &pxe_name],
        );
        host.stdout(&format!("{url}\n"));
        return Ok(());
    }
    let mut url = url_join(
        &image.factory_url,
        Some("https"),
        None,
        &["image", schematic_id, &params.talos_version, &file_name],
    );
    if params.secure_boot {
        url.push_str("?secureboot=true");
    }
    let mut headers = Vec::new();
    if let Some((u, p)) = &creds {
        use base64::Engine as _;
        let pair = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        headers.push(("authorization".to_string(), format!("Basic {pair}")));
    }
    let signer = client
        .transport()
        .signer()
        .ok_or_else(|| plain("no key to sign the download with"))?;
    headers
        .extend(crate::auth::sign_http(signer.as_ref(), "GET", &url, b"", host.now_unix()).await?);
    let dest = if ext(&params.output).is_empty() {
        let short: String = schematic_id.chars().take(6).collect();
        join(
            &params.output,
            &format!(
                "{}-{}-{short}{}",
                image.dest_file_prefix,
                params.talos_version,
                ext(&file_name)
            ),
        )
    } else {
        params.output.clone()
    };
    host.stdout("Generating the image...\n");
    if let Some((status, body)) = host
        .download(&url, &headers, &dest, g.insecure_skip_tls_verify)
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
    use pb::create_schematic_request::SiderolinkGrpcTunnelMode as M;
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
    let spec = &preset.spec;
    let arch = f
        .arch
        .clone()
        .unwrap_or_else(|| arch_name(num(spec, "architecture")).to_string());
    let is_cloud = present(spec, "cloud");
    let is_sbc = present(spec, "sbc");
    if !f.format.is_empty() && (is_sbc || is_cloud) {
        return Err(plain("--format is only valid for metal presets; cloud presets follow their platform's image suffix and SBC presets always produce a raw disk image"));
    }
    let mut factory_url = text(spec, "image_factory_url");
    if factory_url.is_empty() {
        let features = get(&client, FEATURES, "default", "features-config")
            .await
            .map_err(|e| plain(format!("failed to get features config: {e}")))?;
        factory_url = text(&features.spec, "image_factory_base_url");
    }
    let sbc = spec.get("sbc").cloned().unwrap_or(Value::Null);
    let platform = spec
        .get("cloud")
        .map(|c| text(c, "platform"))
        .unwrap_or_default();
    let overlay_name = if is_sbc {
        text(&sbc, "overlay")
    } else {
        String::new()
    };
    let mut image = ImageInfo {
        name: f.preset.clone(),
        dest_file_prefix: f.preset.clone(),
        architecture: arch.clone(),
        factory_url,
        ..ImageInfo::default()
    };
    let mut overlay = None;
    if !overlay_name.is_empty() {
        let cfg = get(&client, SBC, "virtual", &overlay_name)
            .await
            .map_err(|e| {
                plain(format!(
                    "failed to get SBC config for overlay {overlay_name:?}: {e}"
                ))
            })?;
        overlay = Some(pb::create_schematic_request::Overlay {
            name: text(&cfg.spec, "overlay_name"),
            image: text(&cfg.spec, "overlay_image"),
            options: text(&sbc, "overlay_options"),
        });
        image.profile = "metal".into();
        image.overlay = overlay_name.clone();
        image.extension = "raw.xz".into();
        image.no_secure_boot = true;
    } else if is_cloud && !platform.is_empty() {
        image.profile = platform.clone();
        image.extension = "raw.xz".into();
        let cfg = get(&client, CLOUD_PLATFORM, "virtual", &platform)
            .await
            .map_err(|e| {
                plain(format!(
                    "failed to get cloud platform config for {platform:?}: {e}"
                ))
            })?;
        let suffix = text(&cfg.spec, "disk_image_suffix");
        if !suffix.is_empty() {
            image.extension = suffix;
        }
    } else {
        image.profile = "metal".into();
        image.extension = match f.format.as_str() {
            "" | "iso" | "pxe" => "iso",
            "raw" => "raw.xz",
            "qcow2" => "qcow2",
            other => {
                return Err(plain(format!(
                    "unsupported format {other:?}, must be one of: iso, raw, qcow2, pxe"
                )))
            }
        }
        .into();
    }
    // BuildParamsFromPreset, then the overrides of the flags that were given
    let mut params = Params {
        output,
        talos_version: Some(text(spec, "talos_version"))
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_TALOS_VERSION.to_string()),
        secure_boot: flag(spec, "secure_boot"),
        join_token: text(spec, "join_token"),
        bootloader: i32::try_from(num(spec, "bootloader")).unwrap_or(0),
        extra_kernel_args: text(spec, "kernel_args")
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        extensions: strings(spec, "install_extensions"),
        embedded_machine_config: text(spec, "embedded_machine_config"),
        labels: spec
            .get("machine_labels")
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty())
            .map(|m| {
                m.iter()
                    .map(|(k, v)| match v.as_str().unwrap_or_default() {
                        "" => k.clone(),
                        v => format!("{k}={v}"),
                    })
                    .collect()
            }),
        pxe: f.format == "pxe",
        overlay,
        ..Params::default()
    };
    let talos_changed = f.talos_version.is_some();
    if let Some(v) = &f.talos_version {
        params.talos_version = v.clone();
    }
    if let Some(l) = f.initial_labels {
        params.labels = Some(l);
    }
    if let Some(k) = f.extra_kernel_args {
        params.extra_kernel_args = k;
    }
    let extensions_changed = f.extensions.is_some();
    if let Some(e) = f.extensions {
        params.extensions = Some(e);
    }
    if let Some(sb) = f.secureboot {
        params.secure_boot = sb;
    }
    let embedded_changed = f.embedded_machine_config_file.is_some();
    if let Some(path) = &f.embedded_machine_config_file {
        params.embedded_machine_config = read_embedded_config(path, host)?;
    }
    // revalidateOverrides
    if talos_changed {
        validate_talos_version(&client, &params.talos_version, &CallOptions::default()).await?;
    }
    if !params.embedded_machine_config.is_empty() && (embedded_changed || talos_changed) {
        validate_embedded_config_support(&client, &params.talos_version, &CallOptions::default())
            .await?;
    }
    if is_cloud && (talos_changed || f.secureboot.is_some() || f.arch.is_some()) {
        let a = parse_arch(&arch)?;
        validate_cloud_platform(
            &client,
            &platform,
            a,
            params.secure_boot,
            &params.talos_version,
            &CallOptions::default(),
        )
        .await?;
    } else if is_sbc && talos_changed {
        validate_sbc(
            &client,
            &overlay_name,
            &params.talos_version,
            &CallOptions::default(),
        )
        .await?;
    }
    if talos_changed || extensions_changed {
        if let Some(names) = params.extensions.as_deref().filter(|n| !n.is_empty()) {
            lookup_extensions(
                &client,
                &params.talos_version,
                names,
                &CallOptions::default(),
            )
            .await?;
        }
    }
    let token = f
        .join_token
        .clone()
        .unwrap_or_else(|| params.join_token.clone());
    params.join_token = resolve_join_token(&client, &token, &CallOptions::default()).await?;
    params.grpc_tunnel_mode = match f.use_siderolink_grpc_tunnel {
        Some(_) => tunnel_mode(f.use_siderolink_grpc_tunnel),
        None => match num(spec, "grpc_tunnel") {
            1 => M::Enabled,
            2 => M::Disabled,
            _ => M::Auto,
        },
    } as i32;
    download_image_to(g, &client, &image, &params, host).await
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
    use crate::client::media_checks::check_min_talos_version;

    #[test]
    fn go_path_and_url_rules() {
        assert_eq!(ext("/a/b.raw.xz"), ".xz");
        assert_eq!(ext("/a.d/b"), "");
        assert_eq!(ext("/tmp/x."), ".");
        assert_eq!(
            url_join(
                "https://f.example/",
                Some("https"),
                None,
                &["image", "s", "1.9.0", "metal-amd64.iso"]
            ),
            "https://f.example/image/s/1.9.0/metal-amd64.iso"
        );
        assert_eq!(
            url_join("http://f.example/sub", Some("https"), None, &["image", "s"]),
            "https://f.example/sub/image/s"
        );
        assert_eq!(
            url_join(
                "https://pxe.example",
                None,
                Some(("u", "p:@")),
                &["pxe", "s"]
            ),
            "https://u:p%3A%40@pxe.example/pxe/s"
        );
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

    #[test]
    fn labels_meta_is_go_yaml() {
        let labels = parse_label_pairs(&["env=prod".into(), "gpu".into(), "n=10".into()]).unwrap();
        assert_eq!(
            labels_meta(&labels),
            "machineLabels:\n    env: prod\n    gpu: \"\"\n    'n': \"10\"\n"
        );
        assert!(parse_label_pairs(&["a=b=c".into()]).is_err());
    }
}
