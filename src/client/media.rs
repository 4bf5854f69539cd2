//! Installation media presets (`omnictl media preset create|list|delete`) and where to
//! download a preset's image (`omnictl media download`): the schematic is created through
//! Omni, the image itself comes from the image factory (fetch it with the URL and, when the
//! factory needs credentials, the `authorization` header returned here).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::media_checks::{invalid, num, text};
use super::media_download::DownloadOptions;
use super::OmniClient;
use crate::resource::{Resource, ResourceMetadata};
use crate::transport::CallOptions;
use crate::{Code, Error, Result};

const PRESET: &str = "InstallationMediaConfigs.omni.sidero.dev";

/// `omnictl media preset create` flags.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PresetParams {
    /// `amd64` (default) or `arm64`.
    pub arch: Option<String>,
    /// Talos version (a leading `v` is dropped); empty = the server's default.
    pub talos_version: String,
    /// Extension names, matched as substrings against the version's TalosExtensions.
    pub extensions: Vec<String>,
    /// Extra kernel arguments.
    pub extra_kernel_args: Vec<String>,
    /// `k=v` or `k` labels machines booted from the media get.
    pub initial_labels: Vec<String>,
    /// A cloud platform (`aws`, ...); exclusive with `overlay`.
    pub platform: String,
    /// An SBC overlay (`rpi_generic`, ...).
    pub overlay: String,
    /// Overlay options (YAML).
    pub overlay_options: String,
    /// Secure boot.
    pub secure_boot: bool,
    /// Join token id (must be active); `None` = the default token at boot.
    pub join_token: Option<String>,
    /// `auto` (default), `uefi`, `bios`, `dual`.
    pub bootloader: Option<String>,
    /// A machine config embedded into the media.
    pub embedded_machine_config: String,
    /// SideroLink over gRPC tunnel; `None` = the server's setting.
    pub use_siderolink_grpc_tunnel: Option<bool>,
}

/// One preset as `omnictl media preset list -o wide` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PresetInfo {
    /// The preset name.
    pub name: String,
    /// `amd64`, `arm64` or `unknown`.
    pub arch: String,
    /// Talos version (empty = server default).
    pub talos_version: String,
    /// `metal`, `cloud` or `sbc`.
    pub kind: String,
    /// Platform or overlay, `-` for metal.
    pub platform_or_overlay: String,
    /// Secure boot.
    pub secure_boot: bool,
    /// Extensions.
    pub extensions: Vec<String>,
    /// Machine labels.
    pub labels: BTreeMap<String, String>,
    /// `auto`, `uefi`, `bios`, `dual`.
    pub bootloader: String,
    /// `auto`, `enabled`, `disabled`.
    pub grpc_tunnel: String,
    /// Kernel arguments.
    pub kernel_args: String,
    /// A machine config is embedded.
    pub embedded_config: bool,
}

/// Where to get a preset's image.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaDownload {
    /// The image URL. For PXE the boot URL, with the factory's credentials in it when it has
    /// any (as omnictl prints it; nothing to download).
    pub url: String,
    /// The image file name (for PXE: the boot asset's name).
    pub file_name: String,
    /// The schematic Omni created for it.
    pub schematic_id: String,
    /// The Talos version.
    pub talos_version: String,
    /// `url` is a PXE URL.
    pub pxe: bool,
    /// `Basic ...` for factories that need credentials (a secret: do not log it).
    pub authorization: Option<String>,
    /// The image factory the image comes from.
    pub factory_url: String,
    /// Whether machines booted from it use the SideroLink gRPC tunnel (the server's setting
    /// wins over a request to disable it).
    pub grpc_tunnel_enabled: bool,
}

impl fmt::Debug for MediaDownload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaDownload")
            .field("url", &super::media_download::redact_userinfo(&self.url))
            .field("file_name", &self.file_name)
            .field("schematic_id", &self.schematic_id)
            .field("talos_version", &self.talos_version)
            .field("pxe", &self.pxe)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("factory_url", &self.factory_url)
            .field("grpc_tunnel_enabled", &self.grpc_tunnel_enabled)
            .finish()
    }
}

impl PresetInfo {
    fn from_resource(r: &Resource) -> PresetInfo {
        let s = &r.spec;
        let platform = s
            .get("cloud")
            .map(|c| text(c, "platform"))
            .unwrap_or_default();
        let overlay = s.get("sbc").map(|c| text(c, "overlay")).unwrap_or_default();
        let (kind, po) = if !platform.is_empty() {
            ("cloud", platform)
        } else if !overlay.is_empty() {
            ("sbc", overlay)
        } else {
            ("metal", "-".to_string())
        };
        PresetInfo {
            name: r.metadata.id.clone(),
            arch: match num(s, "architecture") {
                1 => "amd64",
                2 => "arm64",
                _ => "unknown",
            }
            .to_string(),
            talos_version: text(s, "talos_version"),
            kind: kind.to_string(),
            platform_or_overlay: po,
            secure_boot: s
                .get("secure_boot")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            extensions: s
                .get("install_extensions")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            labels: s
                .get("machine_labels")
                .and_then(Value::as_object)
                .map(|m| {
                    crate::order::map_of(
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())),
                    )
                })
                .unwrap_or_default(),
            bootloader: super::media_checks::bootloader_name(num(s, "bootloader")).to_string(),
            grpc_tunnel: match num(s, "grpc_tunnel") {
                1 => "enabled",
                2 => "disabled",
                _ => "auto",
            }
            .to_string(),
            kernel_args: text(s, "kernel_args"),
            embedded_config: !text(s, "embedded_machine_config").is_empty(),
        }
    }
}

/// Installation media of one client.
#[derive(Clone, Debug)]
pub struct Media {
    client: OmniClient,
}

impl OmniClient {
    /// Installation media presets and downloads.
    pub fn media(&self) -> Media {
        Media {
            client: self.clone(),
        }
    }
}

impl Media {
    /// The preset `omnictl media preset create <name>` would write, after every check upstream
    /// makes (`installationmedia/create.go`, in its order): the join token is active, the
    /// extensions exist for the Talos version (or omnictl's default version when none is
    /// given), an embedded config is supported, the cloud platform or SBC overlay supports the
    /// architecture, secure boot and version, and the image factory is the one Omni uses for
    /// that version. Nothing is written.
    ///
    /// # Errors
    /// `INVALID_ARGUMENT` with omnictl's messages (also for the lookups that fail).
    pub async fn preset_resource(
        &self,
        name: &str,
        p: &PresetParams,
        opts: &CallOptions,
    ) -> Result<Resource> {
        let given = || Ok(p.embedded_machine_config.clone());
        let embedded: Option<&dyn Fn() -> Result<String>> =
            (!p.embedded_machine_config.is_empty()).then_some(&given);
        self.preset_resource_with(name, p, embedded, opts).await
    }

    /// [`preset_resource`](Self::preset_resource) with the embedded config read by `embedded`
    /// once its support is checked (the CLI reads a file there, as upstream, in that order).
    pub(crate) async fn preset_resource_with(
        &self,
        name: &str,
        p: &PresetParams,
        embedded: Option<&dyn Fn() -> Result<String>>,
        opts: &CallOptions,
    ) -> Result<Resource> {
        use super::media_checks as check;
        if name.is_empty() {
            return Err(invalid("a preset name is required"));
        }
        if !p.platform.is_empty() && !p.overlay.is_empty() {
            return Err(invalid("--platform and --overlay cannot be used together; a preset can be for a cloud platform, an SBC overlay or Bare-metal"));
        }
        if !p.overlay_options.is_empty() && p.overlay.is_empty() {
            return Err(invalid("--overlay-options requires --overlay to be set"));
        }
        let client = &self.client;
        let arch = check::parse_arch(p.arch.as_deref().unwrap_or("amd64"))?;
        let join_token = match &p.join_token {
            Some(t) => Some(check::resolve_join_token(client, t, opts).await?),
            None => None,
        };
        let version = p
            .talos_version
            .strip_prefix('v')
            .unwrap_or(&p.talos_version);
        let bootloader = check::parse_bootloader(p.bootloader.as_deref().unwrap_or("auto"))?;
        let resolve_version = if version.is_empty() {
            check::DEFAULT_TALOS_VERSION
        } else {
            version
        };
        let extensions = if p.extensions.is_empty() {
            Vec::new()
        } else {
            check::lookup_extensions(client, resolve_version, &p.extensions, opts).await?
        };
        let embedded_config = match embedded {
            Some(read) => {
                check::validate_embedded_config_support(client, resolve_version, opts).await?;
                read()?
            }
            None => String::new(),
        };
        let factory = check::factory_for_talos_version(client, resolve_version, opts).await?;
        let mut spec = serde_json::Map::new();
        let mut put = |k: &str, v: Value| {
            spec.insert(k.to_string(), v);
        };
        if !version.is_empty() {
            put("talos_version", json!(version));
        }
        put("architecture", json!(arch));
        if !extensions.is_empty() {
            put("install_extensions", json!(extensions));
        }
        if !p.extra_kernel_args.is_empty() {
            put("kernel_args", json!(p.extra_kernel_args.join(" ")));
        }
        if let Some(t) = join_token.filter(|t| !t.is_empty()) {
            put("join_token", json!(t));
        }
        put("secure_boot", json!(p.secure_boot));
        put("bootloader", json!(bootloader));
        if !embedded_config.is_empty() {
            put("embedded_machine_config", json!(embedded_config));
        }
        put("image_factory_url", json!(factory));
        put(
            "grpc_tunnel",
            json!(match p.use_siderolink_grpc_tunnel {
                None => 0,
                Some(true) => 1,
                Some(false) => 2,
            }),
        );
        if !p.platform.is_empty() {
            check::validate_cloud_platform(
                client,
                &p.platform,
                arch,
                p.secure_boot,
                resolve_version,
                opts,
            )
            .await?;
            put("cloud", json!({ "platform": p.platform }));
        }
        if !p.overlay.is_empty() {
            check::validate_sbc(client, &p.overlay, resolve_version, opts).await?;
            put(
                "sbc",
                json!({ "overlay": p.overlay, "overlay_options": p.overlay_options }),
            );
        }
        if !p.initial_labels.is_empty() {
            put(
                "machine_labels",
                json!(check::parse_label_pairs(&p.initial_labels)?),
            );
        }
        let md = ResourceMetadata::new("default", PRESET, name);
        Ok(Resource::new(md, Value::Object(spec)))
    }

    /// Create a preset (`omnictl media preset create <name>`): [`preset_resource`]'s checks,
    /// then the write. Nothing is written when a check fails.
    ///
    /// [`preset_resource`]: Self::preset_resource
    ///
    /// # Errors
    /// As [`preset_resource`](Self::preset_resource); the server's `ALREADY_EXISTS`.
    pub async fn create_preset(
        &self,
        name: &str,
        p: &PresetParams,
        opts: &CallOptions,
    ) -> Result<Resource> {
        let preset = self.preset_resource(name, p, opts).await?;
        let h = self.client.resources_in(PRESET, "default").await?;
        h.create(&preset, opts).await
    }

    /// Every preset (`omnictl media preset list`), sorted by name.
    ///
    /// # Errors
    /// Server errors.
    pub async fn list_presets(&self, opts: &CallOptions) -> Result<Vec<PresetInfo>> {
        let h = self.client.resources_in(PRESET, "default").await?;
        let mut out: Vec<PresetInfo> = h
            .list(&Default::default(), opts)
            .await?
            .iter()
            .map(PresetInfo::from_resource)
            .collect();
        crate::order::sort_by_str(&mut out, |p| p.name.as_str());
        Ok(out)
    }

    /// Delete a preset (`omnictl media preset delete`); `false` when it did not exist.
    ///
    /// # Errors
    /// Server errors.
    pub async fn delete_preset(&self, name: &str, opts: &CallOptions) -> Result<bool> {
        let h = self.client.resources_in(PRESET, "default").await?;
        Ok(h.delete(name, opts).await?.destroyed)
    }

    /// Create the preset's schematic and say where its image is (`omnictl media download
    /// <preset> --format iso|raw|qcow2|pxe`; `format` only for bare-metal presets). As
    /// [`download`](Self::download) without other overrides.
    ///
    /// # Errors
    /// As [`download`](Self::download).
    pub async fn download_url(
        &self,
        preset: &str,
        format: Option<&str>,
        opts: &CallOptions,
    ) -> Result<MediaDownload> {
        let o = DownloadOptions {
            format: format.map(str::to_string),
            ..DownloadOptions::default()
        };
        self.download(preset, &o, opts).await
    }

    /// Where to get the image of `preset` with `overrides` of its settings, decided as
    /// `omnictl media download` decides it (upstream `installationmedia/download.go`): a
    /// preset without a Talos version takes omnictl's default; each override is checked
    /// against Omni (the Talos version exists, the platform or overlay supports it, the
    /// extensions exist, an embedded config is supported); the join token must be active; then
    /// Omni creates the schematic. Fetch the image with `url` and, when set, the
    /// `authorization` header (and a `siderov1` signature of the GET, as omnictl sends).
    ///
    /// # Errors
    /// `NOT_FOUND` for an unknown preset; `INVALID_ARGUMENT` with omnictl's messages for a
    /// format the preset cannot have, an override that fails its check, an inactive join
    /// token or a lookup that fails; `CreateSchematic`'s own errors as the server gives them.
    pub async fn download(
        &self,
        preset: &str,
        overrides: &DownloadOptions,
        opts: &CallOptions,
    ) -> Result<MediaDownload> {
        use super::media_download as d;
        let h = self.client.resources_in(PRESET, "default").await?;
        let r = h.get(preset, opts).await.map_err(|e| match e {
            Error::Status {
                code: Code::NotFound,
                ..
            } => Error::status(
                Code::NotFound,
                format!("failed to get installation media preset {preset:?}: {e}"),
            ),
            other => other,
        })?;
        let given = overrides
            .embedded_machine_config
            .clone()
            .map(|c| move || Ok(c.clone()));
        let embedded: Option<&dyn Fn() -> Result<String>> = given.as_ref().map(|g| g as _);
        let (image, params) = d::preset_image(&self.client, &r, overrides, embedded, opts).await?;
        d::check_secure_boot(&image, &params)?;
        let schematic = d::create_schematic(&self.client, &image, &params, &|_| {}, opts).await?;
        d::image_download(&self.client, &image, &params, &schematic, opts).await
    }
}
