//! Where an installation image comes from, decided as omnictl decides it (upstream
//! `client/pkg/omnictl/internal/download/download.go` and `installationmedia/download.go`):
//! the image a preset (or an installation media) stands for, the preset's settings with the
//! caller's overrides re-checked, the schematic Omni creates for them, the image factory and its
//! credentials, and the URL. The CLI's `media download` and `download` write the file; browsers
//! and Workers get the URL and the header to fetch it with ([`super::Media::download`]).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::media_checks::{
    arch_name, extension_catalog, factory_credentials, flag, get, invalid, lookup_extensions,
    match_extension, num, parse_arch, parse_label_pairs, present, resolve_join_token, strings,
    supports_overlay, text, tunnel_mode, validate_cloud_platform, validate_embedded_config_support,
    validate_sbc, validate_talos_version, DEFAULT_TALOS_VERSION,
};
use super::{MediaDownload, OmniClient};
use crate::proto::management as pb;
use crate::resource::Resource;
use crate::transport::CallOptions;
use crate::Result;

const FEATURES: &str = "FeaturesConfigs.omni.sidero.dev";
const CLOUD_PLATFORM: &str = "CloudPlatformConfigs.omni.sidero.dev";
const SBC: &str = "SBCConfigs.omni.sidero.dev";

/// Overrides of a preset's settings for one download: `omnictl media download`'s flags. `None`
/// keeps what the preset says. A preset's platform, overlay and bootloader cannot be
/// overridden: they define the preset.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DownloadOptions {
    /// Metal presets only: `iso` (default), `raw`, `qcow2`, or `pxe` (a boot URL, no file).
    pub format: Option<String>,
    /// `amd64` or `arm64`.
    pub arch: Option<String>,
    /// Talos version (checked against the versions Omni knows).
    pub talos_version: Option<String>,
    /// Initial machine labels, `key` or `key=value`.
    pub initial_labels: Option<Vec<String>>,
    /// Extra kernel arguments.
    pub extra_kernel_args: Option<Vec<String>>,
    /// System extensions (names matched as omnictl matches them).
    pub extensions: Option<Vec<String>>,
    /// Secure boot.
    pub secure_boot: Option<bool>,
    /// A machine config to embed (may hold secrets: never printed by `Debug`).
    pub embedded_machine_config: Option<String>,
    /// The join token (default: the preset's, else Omni's default token).
    pub join_token: Option<String>,
    /// Use the SideroLink gRPC tunnel (`None`: the preset's setting).
    pub use_siderolink_grpc_tunnel: Option<bool>,
}

impl fmt::Debug for DownloadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DownloadOptions")
            .field("format", &self.format)
            .field("arch", &self.arch)
            .field("talos_version", &self.talos_version)
            .field("initial_labels", &self.initial_labels)
            .field("extra_kernel_args", &self.extra_kernel_args)
            .field("extensions", &self.extensions)
            .field("secure_boot", &self.secure_boot)
            .field(
                "embedded_machine_config",
                &self.embedded_machine_config.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "join_token",
                &self.join_token.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "use_siderolink_grpc_tunnel",
                &self.use_siderolink_grpc_tunnel,
            )
            .finish()
    }
}

/// `download.ImageInfo`: the image to build.
#[derive(Debug, Default)]
pub(crate) struct ImageInfo {
    pub media_id: String,
    pub name: String,
    /// The downloaded file's name prefix (the CLI's).
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
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
    pub(crate) fn file_name(
        &self,
        legacy: bool,
        secure_boot: bool,
        with_extension: bool,
    ) -> String {
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

/// `download.Params` (without the output path, which is the CLI's). `None` lists are "not
/// given" (Go's nil slices).
#[derive(Default)]
pub(crate) struct Params {
    pub overlay: Option<pb::create_schematic_request::Overlay>,
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

/// The image and parameters of a preset with the caller's overrides, each override re-checked
/// as upstream's `revalidateOverrides` does; the join token resolved. `embedded` reads an
/// overriding embedded config when it is needed (the CLI reads a file or stdin there).
pub(crate) async fn preset_image(
    client: &OmniClient,
    preset: &Resource,
    o: &DownloadOptions,
    embedded: Option<&dyn Fn() -> Result<String>>,
    opts: &CallOptions,
) -> Result<(ImageInfo, Params)> {
    use pb::create_schematic_request::SiderolinkGrpcTunnelMode as M;
    let spec = &preset.spec;
    let name = &preset.metadata.id;
    let format = o.format.as_deref().unwrap_or_default();
    let arch = o
        .arch
        .clone()
        .unwrap_or_else(|| arch_name(num(spec, "architecture")).to_string());
    let is_cloud = present(spec, "cloud");
    let is_sbc = present(spec, "sbc");
    if !format.is_empty() && (is_sbc || is_cloud) {
        return Err(invalid("--format is only valid for metal presets; cloud presets follow their platform's image suffix and SBC presets always produce a raw disk image"));
    }
    let mut factory_url = text(spec, "image_factory_url");
    if factory_url.is_empty() {
        let features = get(client, FEATURES, "default", "features-config", opts)
            .await
            .map_err(|e| invalid(format!("failed to get features config: {e}")))?;
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
        name: name.clone(),
        dest_file_prefix: name.clone(),
        architecture: arch.clone(),
        factory_url,
        ..ImageInfo::default()
    };
    let mut overlay = None;
    if !overlay_name.is_empty() {
        let cfg = get(client, SBC, "virtual", &overlay_name, opts)
            .await
            .map_err(|e| {
                invalid(format!(
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
        let cfg = get(client, CLOUD_PLATFORM, "virtual", &platform, opts)
            .await
            .map_err(|e| {
                invalid(format!(
                    "failed to get cloud platform config for {platform:?}: {e}"
                ))
            })?;
        let suffix = text(&cfg.spec, "disk_image_suffix");
        if !suffix.is_empty() {
            image.extension = suffix;
        }
    } else {
        image.profile = "metal".into();
        image.extension = match format {
            "" | "iso" | "pxe" => "iso",
            "raw" => "raw.xz",
            "qcow2" => "qcow2",
            other => {
                return Err(invalid(format!(
                    "unsupported format {other:?}, must be one of: iso, raw, qcow2, pxe"
                )))
            }
        }
        .into();
    }
    // BuildParamsFromPreset (a preset without a Talos version takes omnictl's default), then
    // the overrides that were given
    let mut params = Params {
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
        pxe: format == "pxe",
        overlay,
        ..Params::default()
    };
    let talos_changed = o.talos_version.is_some();
    if let Some(v) = &o.talos_version {
        params.talos_version = v.clone();
    }
    if let Some(l) = &o.initial_labels {
        params.labels = Some(l.clone());
    }
    if let Some(k) = &o.extra_kernel_args {
        params.extra_kernel_args = k.clone();
    }
    let extensions_changed = o.extensions.is_some();
    if let Some(e) = &o.extensions {
        params.extensions = Some(e.clone());
    }
    if let Some(sb) = o.secure_boot {
        params.secure_boot = sb;
    }
    let embedded_changed = embedded.is_some();
    if let Some(read) = embedded {
        params.embedded_machine_config = read()?;
    }
    // revalidateOverrides
    if talos_changed {
        validate_talos_version(client, &params.talos_version, opts).await?;
    }
    if !params.embedded_machine_config.is_empty() && (embedded_changed || talos_changed) {
        validate_embedded_config_support(client, &params.talos_version, opts).await?;
    }
    if is_cloud && (talos_changed || o.secure_boot.is_some() || o.arch.is_some()) {
        let a = parse_arch(&arch)?;
        validate_cloud_platform(
            client,
            &platform,
            a,
            params.secure_boot,
            &params.talos_version,
            opts,
        )
        .await?;
    } else if is_sbc && talos_changed {
        validate_sbc(client, &overlay_name, &params.talos_version, opts).await?;
    }
    if talos_changed || extensions_changed {
        if let Some(names) = params.extensions.as_deref().filter(|n| !n.is_empty()) {
            lookup_extensions(client, &params.talos_version, names, opts).await?;
        }
    }
    let token = o
        .join_token
        .clone()
        .unwrap_or_else(|| params.join_token.clone());
    params.join_token = resolve_join_token(client, &token, opts).await?;
    params.grpc_tunnel_mode = match o.use_siderolink_grpc_tunnel {
        Some(_) => tunnel_mode(o.use_siderolink_grpc_tunnel),
        None => match num(spec, "grpc_tunnel") {
            1 => M::Enabled,
            2 => M::Disabled,
            _ => M::Auto,
        },
    } as i32;
    Ok((image, params))
}

/// The `meta` value of the initial labels (`meta.ImageLabels{Labels}.Encode()`).
pub(crate) fn labels_meta(labels: &BTreeMap<String, String>) -> String {
    use crate::goyaml::emit::{to_yaml, Y};
    let mut entries: Vec<(Y, Y)> = labels
        .iter()
        .map(|(k, v)| (Y::str(k.clone()), Y::str(v.clone())))
        .collect();
    entries.sort_by(|a, b| crate::goyaml::sort::natural_cmp(&a.0, &b.0));
    to_yaml(&Y::map(vec![("machineLabels", Y::Map(entries))]), 4)
}

/// `download.createSchematic`: labels and extensions resolved (each matched extension is
/// reported to `on_extension` as it is found, as omnictl prints it), then Omni's
/// `CreateSchematic`. Label and extension failures are `INVALID_ARGUMENT` with omnictl's
/// texts; the call's own failure is returned as the server gave it.
pub(crate) async fn create_schematic(
    client: &OmniClient,
    image: &ImageInfo,
    params: &Params,
    on_extension: &dyn Fn(&str),
    opts: &CallOptions,
) -> Result<pb::CreateSchematicResponse> {
    let mut meta_values = BTreeMap::new();
    if let Some(labels) = &params.labels {
        let labels = parse_label_pairs(labels)
            .map_err(|e| invalid(format!("failed to gen image labels: {}", e.reason())))?;
        meta_values.insert(12u32, labels_meta(&labels));
    }
    let extensions = match &params.extensions {
        Some(names) => {
            let found: Result<Vec<String>> = async {
                let catalog = extension_catalog(client, &params.talos_version, opts).await?;
                let mut out = Vec::new();
                for n in names {
                    for m in match_extension(&catalog, n, &params.talos_version)? {
                        on_extension(m);
                        out.push(m.clone());
                    }
                }
                Ok(out)
            }
            .await;
            found.map_err(|e| invalid(format!("failed to lookup extensions: {}", e.reason())))?
        }
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
    client.management().create_schematic(&req, opts).await
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
pub(crate) fn url_join(
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
    let p = crate::gopath::clean(&format!("/{p}"));
    let authority = match user {
        Some((u, pw)) => {
            let host = authority.rsplit('@').next().unwrap_or_default();
            format!("{}:{}@{host}", escape_userinfo(u), escape_userinfo(pw))
        }
        None => authority,
    };
    format!("{}://{authority}{p}", scheme.unwrap_or(&s))
}

/// The URL `url` with any user and password replaced (for `Debug`).
pub(crate) fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest.get(..end).and_then(|a| a.rfind('@')) {
        Some(at) => format!(
            "{scheme}://<redacted>{}",
            rest.get(at..).unwrap_or_default()
        ),
        None => url.to_string(),
    }
}

/// `download.DownloadImageTo` up to the download: the schematic, then the image URL (`https`,
/// `?secureboot=true` for secure boot) with the factory's credentials as a `Basic` header, or
/// for PXE the boot URL with the credentials in it, as omnictl prints it.
pub(crate) async fn image_download(
    client: &OmniClient,
    image: &ImageInfo,
    params: &Params,
    schematic: &pb::CreateSchematicResponse,
    opts: &CallOptions,
) -> Result<MediaDownload> {
    let (user, password) = factory_credentials(client, &image.factory_url, opts).await?;
    let creds = (!user.is_empty() && !password.is_empty()).then_some((user, password));
    let authorization = creds.as_ref().map(|(u, p)| {
        use base64::Engine as _;
        let pair = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        format!("Basic {pair}")
    });
    let legacy = !supports_overlay(&params.talos_version);
    let schematic_id = schematic.schematic_id.as_str();
    let plan = |url: String, file_name: String| MediaDownload {
        url,
        file_name,
        schematic_id: schematic_id.to_string(),
        talos_version: params.talos_version.clone(),
        pxe: params.pxe,
        authorization: authorization.clone(),
        factory_url: image.factory_url.clone(),
        grpc_tunnel_enabled: schematic.grpc_tunnel_enabled,
    };
    if params.pxe {
        let features = get(client, FEATURES, "default", "features-config", opts)
            .await
            .map_err(|e| invalid(format!("failed to get features config: {e}")))?;
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
        return Ok(plan(url, pxe_name));
    }
    let file_name = image.file_name(legacy, params.secure_boot, true);
    let mut url = url_join(
        &image.factory_url,
        Some("https"),
        None,
        &["image", schematic_id, &params.talos_version, &file_name],
    );
    if params.secure_boot {
        url.push_str("?secureboot=true");
    }
    Ok(plan(url, file_name))
}

/// Refuses secure boot for an image that has none (`DownloadImageTo`'s first check).
pub(crate) fn check_secure_boot(image: &ImageInfo, params: &Params) -> Result<()> {
    if params.secure_boot && image.no_secure_boot {
        return Err(invalid(format!(
            "{:?} doesn't support secure boot",
            image.name
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn go_path_and_url_rules() {
        assert_eq!(
            url_join(
                "http://factory.example/base/",
                Some("https"),
                None,
                &["image", "abc", "1.9.0", "metal-amd64.iso"]
            ),
            "https://factory.example/base/image/abc/1.9.0/metal-amd64.iso"
        );
        let pxe = url_join(
            "https://pxe.example",
            None,
            Some(("u@x", "p:w/d")),
            &["pxe", "abc", "1.9.0", "metal-amd64"],
        );
        assert_eq!(
            pxe,
            "https://u%40x:p%3Aw%2Fd@pxe.example/pxe/abc/1.9.0/metal-amd64"
        );
        assert_eq!(
            redact_userinfo(&pxe),
            "https://<redacted>@pxe.example/pxe/abc/1.9.0/metal-amd64"
        );
        assert_eq!(redact_userinfo("https://h/a@b"), "https://h/a@b");
        let image = ImageInfo {
            profile: "metal".into(),
            overlay: "rpi_generic".into(),
            architecture: "arm64".into(),
            extension: "raw.xz".into(),
            ..ImageInfo::default()
        };
        assert_eq!(image.file_name(false, false, true), "metal-arm64.raw.xz");
        assert_eq!(
            image.file_name(true, true, false),
            "metal-metal-arm64-secureboot"
        );
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

    #[test]
    fn options_debug_hides_secrets() {
        let o = DownloadOptions {
            embedded_machine_config: Some("machine: {token: s3cret}".into()),
            join_token: Some("tok3n".into()),
            ..DownloadOptions::default()
        };
        let d = format!("{o:?}");
        assert!(!d.contains("s3cret") && !d.contains("tok3n"), "{d}");
    }
}
