//! The checks and lookups omnictl's installation-media commands share (upstream
//! `client/pkg/omnictl/internal/download/download.go`, `imagefactory`): names and enums of
//! presets, tolerant semver, the join token, extensions, cloud platforms, SBC overlays, Talos
//! versions and quirks, and which image factory serves a Talos version. [`super::Media`] and
//! the CLI's `media`/`download` commands both decide through these.

use std::collections::BTreeMap;

use serde_json::Value;

use super::OmniClient;
use crate::proto::management as pb;
use crate::resource::Resource;
use crate::transport::CallOptions;
use crate::{Code, Error, Result};

/// omnictl's `constants.DefaultTalosVersion` (the version its sources name).
pub(crate) const DEFAULT_TALOS_VERSION: &str = "1.13.8";
/// omnictl's `constants.ImageFactoryBaseURL`.
const IMAGE_FACTORY_BASE_URL: &str = "https://factory.talos.dev";

const FEATURES: &str = "FeaturesConfigs.omni.sidero.dev";
const FACTORY_AUTH: &str = "ImageFactoryAuths.omni.sidero.dev";
const EXTENSIONS: &str = "TalosExtensions.omni.sidero.dev";
const TALOS_VERSION: &str = "TalosVersions.omni.sidero.dev";
const QUIRKS: &str = "Quirks.omni.sidero.dev";
const CLOUD_PLATFORM: &str = "CloudPlatformConfigs.omni.sidero.dev";
const SBC: &str = "SBCConfigs.omni.sidero.dev";
const JOIN_TOKEN_STATUS: &str = "JoinTokenStatuses.omni.sidero.dev";
const DEFAULT_JOIN_TOKEN: &str = "DefaultJoinTokens.omni.sidero.dev";

pub(crate) fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidArgument(msg.into())
}

pub(crate) fn text(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

pub(crate) fn num(v: &Value, k: &str) -> i64 {
    v.get(k).and_then(Value::as_i64).unwrap_or(0)
}

pub(crate) fn flag(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool).unwrap_or(false)
}

/// Whether a message field is set (Go's `spec.Cloud != nil`).
pub(crate) fn present(v: &Value, k: &str) -> bool {
    v.get(k).is_some_and(|x| !x.is_null())
}

/// A list of strings; `None` when absent or empty (Go's nil slice).
pub(crate) fn strings(v: &Value, k: &str) -> Option<Vec<String>> {
    let a = v.get(k)?.as_array()?;
    (!a.is_empty()).then(|| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
}

/// Go's `strings.TrimLeft(s, "v")`.
pub(crate) fn trim_v(s: &str) -> &str {
    s.trim_start_matches('v')
}

/// One resource (`safe.StateGet`).
pub(crate) async fn get(
    client: &OmniClient,
    ty: &str,
    ns: &str,
    id: &str,
    opts: &CallOptions,
) -> Result<Resource> {
    client.resources_in(ty, ns).await?.get(id, opts).await
}

pub(crate) fn is_not_found(e: &Error) -> bool {
    e.code() == Code::NotFound
}

// ---- download.go: names and enums -----------------------------------------------------------

/// `download.ParseArch`: the `PlatformConfigSpec.Arch` number.
pub(crate) fn parse_arch(arch: &str) -> Result<i64> {
    match arch.to_lowercase().as_str() {
        "amd64" => Ok(1),
        "arm64" => Ok(2),
        _ => Err(invalid(format!(
            "unsupported architecture {arch:?}, must be amd64 or arm64"
        ))),
    }
}

/// `download.ArchToString`.
pub(crate) fn arch_name(n: i64) -> &'static str {
    match n {
        1 => "amd64",
        2 => "arm64",
        _ => "unknown",
    }
}

/// `download.ParseBootloader`: the `SchematicBootloader` number.
pub(crate) fn parse_bootloader(s: &str) -> Result<i32> {
    Ok(match s.to_lowercase().as_str() {
        "auto" => pb::SchematicBootloader::BootAuto as i32,
        "uefi" => pb::SchematicBootloader::BootSd as i32,
        "bios" => pb::SchematicBootloader::BootGrub as i32,
        "dual" => pb::SchematicBootloader::BootDual as i32,
        _ => {
            return Err(invalid(format!(
                "unknown bootloader {s:?}, must be one of: auto, uefi, bios, dual"
            )))
        }
    })
}

/// `download.BootloaderToString`.
pub(crate) fn bootloader_name(n: i64) -> &'static str {
    match i32::try_from(n).ok() {
        Some(x) if x == pb::SchematicBootloader::BootSd as i32 => "uefi",
        Some(x) if x == pb::SchematicBootloader::BootGrub as i32 => "bios",
        Some(x) if x == pb::SchematicBootloader::BootDual as i32 => "dual",
        _ => "auto",
    }
}

/// `download.GrpcTunnelModeToString` (`GrpcTunnelMode`: 1 enabled, 2 disabled).
#[cfg(feature = "cli")] // the CLI's preset list
pub(crate) fn grpc_tunnel_name(n: i64) -> &'static str {
    match n {
        1 => "enabled",
        2 => "disabled",
        _ => "auto",
    }
}

/// The schematic request's tunnel mode for a flag that was given (`GRPCTunnelModeFromFlag`).
pub(crate) fn tunnel_mode(
    flag: Option<bool>,
) -> pb::create_schematic_request::SiderolinkGrpcTunnelMode {
    use pb::create_schematic_request::SiderolinkGrpcTunnelMode as M;
    match flag {
        None => M::Auto,
        Some(true) => M::Enabled,
        Some(false) => M::Disabled,
    }
}

/// `download.ParseLabelPairs`: `k` or `k=v`.
pub(crate) fn parse_label_pairs(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for l in pairs {
        let parts: Vec<&str> = l.split('=').collect();
        match parts.as_slice() {
            [k] => out.insert((*k).to_string(), String::new()),
            [k, v] => out.insert((*k).to_string(), (*v).to_string()),
            _ => {
                return Err(invalid(format!(
                    "invalid label format {l:?}, expected key=value"
                )))
            }
        };
    }
    Ok(out)
}

pub(crate) use crate::semver::Version;

/// `checkMinTalosVersion`.
pub(crate) fn check_min_talos_version(actual: &str, min: &str, source: &str) -> Result<()> {
    if min.is_empty() {
        return Ok(());
    }
    let a = Version::parse_tolerant(actual)
        .map_err(|e| invalid(format!("failed to parse Talos version {actual:?}: {e}")))?;
    let m = Version::parse_tolerant(min).map_err(|e| {
        invalid(format!(
            "failed to parse min Talos version {min:?} from {source}: {e}"
        ))
    })?;
    if a.release() < m {
        return Err(invalid(format!(
            "{source} requires Talos version >= {min} (got {actual})"
        )));
    }
    Ok(())
}

/// Talos' `quirks.New(v).SupportsOverlay()`: 1.7.0 or newer, or a version that does not parse.
pub(crate) fn supports_overlay(talos_version: &str) -> bool {
    Version::parse_tolerant(talos_version)
        .ok()
        .is_none_or(|v| v.triple() >= (1, 7, 0))
}

// ---- download.go: the checks against Omni's state -------------------------------------------

/// `download.ResolveJoinToken`: the given token, or the default one; it must be active.
pub(crate) async fn resolve_join_token(
    client: &OmniClient,
    token: &str,
    opts: &CallOptions,
) -> Result<String> {
    let id = if token.is_empty() {
        let d = get(client, DEFAULT_JOIN_TOKEN, "default", "default", opts)
            .await
            .map_err(|e| invalid(format!("failed to get default join token: {e}")))?;
        text(&d.spec, "token_id")
    } else {
        token.to_string()
    };
    let status = get(client, JOIN_TOKEN_STATUS, "default", &id, opts)
        .await
        .map_err(|e| invalid(format!("join token {id:?} not found: {e}")))?;
    match num(&status.spec, "state") {
        1 => Ok(id),
        2 => Err(invalid(format!("join token {id:?} has been revoked"))),
        3 => Err(invalid(format!("join token {id:?} has expired"))),
        _ => Err(invalid(format!(
            "join token {id:?} is not active (state: UNKNOWN)"
        ))),
    }
}

/// `download.lookupExtensions`, first half: the names of the extensions Omni lists for the
/// Talos version (its `TalosExtensions` resource), in catalog order.
pub(crate) async fn extension_catalog(
    client: &OmniClient,
    talos_version: &str,
    opts: &CallOptions,
) -> Result<Vec<String>> {
    let catalog = get(client, EXTENSIONS, "default", trim_v(talos_version), opts)
        .await
        .map_err(|e| {
            invalid(format!(
                "failed to get extensions for talos version {talos_version:?}: {e}"
            ))
        })?;
    Ok(catalog
        .spec
        .get("items")
        .and_then(Value::as_array)
        .map(|items| items.iter().map(|i| text(i, "name")).collect())
        .unwrap_or_default())
}

/// `download.lookupExtensions`, second half: every catalog extension whose name contains the
/// requested one, in catalog order.
pub(crate) fn match_extension<'a>(
    catalog: &'a [String],
    name: &str,
    talos_version: &str,
) -> Result<Vec<&'a String>> {
    let matched: Vec<&String> = catalog.iter().filter(|a| a.contains(name)).collect();
    if matched.is_empty() {
        return Err(invalid(format!(
            "failed to find extension with name {name:?} for talos version {talos_version:?}"
        )));
    }
    Ok(matched)
}

/// `download.lookupExtensions`: the matches of every requested name, in order.
pub(crate) async fn lookup_extensions(
    client: &OmniClient,
    talos_version: &str,
    names: &[String],
    opts: &CallOptions,
) -> Result<Vec<String>> {
    let catalog = extension_catalog(client, talos_version, opts).await?;
    let mut out = Vec::new();
    for n in names {
        out.extend(
            match_extension(&catalog, n, talos_version)?
                .into_iter()
                .cloned(),
        );
    }
    Ok(out)
}

/// `download.ValidateCloudPlatform`.
pub(crate) async fn validate_cloud_platform(
    client: &OmniClient,
    platform: &str,
    arch: i64,
    secure_boot: bool,
    talos_version: &str,
    opts: &CallOptions,
) -> Result<()> {
    let cfg = get(client, CLOUD_PLATFORM, "virtual", platform, opts)
        .await
        .map_err(|e| {
            invalid(format!(
                "failed to get cloud platform config for {platform:?}: {e}"
            ))
        })?;
    let archs: Vec<i64> = cfg
        .spec
        .get("architectures")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    if !archs.contains(&arch) {
        return Err(invalid(format!(
            "cloud platform {platform:?} does not support architecture {:?}",
            arch_name(arch)
        )));
    }
    if secure_boot && !flag(&cfg.spec, "secure_boot_supported") {
        return Err(invalid(format!(
            "cloud platform {platform:?} does not support secure boot"
        )));
    }
    check_min_talos_version(
        talos_version,
        &text(&cfg.spec, "min_version"),
        &format!("cloud platform {platform:?}"),
    )
}

/// `download.ValidateSBC`.
pub(crate) async fn validate_sbc(
    client: &OmniClient,
    overlay: &str,
    talos_version: &str,
    opts: &CallOptions,
) -> Result<()> {
    let cfg = get(client, SBC, "virtual", overlay, opts)
        .await
        .map_err(|e| {
            invalid(format!(
                "failed to get SBC config for overlay {overlay:?}: {e}"
            ))
        })?;
    check_min_talos_version(
        talos_version,
        &text(&cfg.spec, "min_version"),
        &format!("SBC overlay {overlay:?}"),
    )
}

/// `download.ValidateTalosVersion`.
pub(crate) async fn validate_talos_version(
    client: &OmniClient,
    talos_version: &str,
    opts: &CallOptions,
) -> Result<()> {
    match get(
        client,
        TALOS_VERSION,
        "default",
        trim_v(talos_version),
        opts,
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Err(invalid(format!(
            "unknown Talos version {talos_version:?}: {e}"
        ))),
        Err(e) => Err(invalid(format!(
            "failed to get Talos version {talos_version:?}: {e}"
        ))),
    }
}

/// `download.ValidateEmbeddedConfigSupport`.
pub(crate) async fn validate_embedded_config_support(
    client: &OmniClient,
    talos_version: &str,
    opts: &CallOptions,
) -> Result<()> {
    let q = get(client, QUIRKS, "virtual", trim_v(talos_version), opts)
        .await
        .map_err(|e| {
            invalid(format!(
                "failed to look up quirks for Talos version {talos_version:?}: {e}"
            ))
        })?;
    if !flag(&q.spec, "supports_embedded_config") {
        return Err(invalid(format!(
            "embedded machine config is not supported by Talos version {talos_version:?}"
        )));
    }
    Ok(())
}

/// `imagefactory.Credentials`: the basic-auth user and password Omni keeps for a factory
/// (empty when it keeps none).
pub(crate) async fn factory_credentials(
    client: &OmniClient,
    url: &str,
    opts: &CallOptions,
) -> Result<(String, String)> {
    match get(
        client,
        FACTORY_AUTH,
        "default",
        url.trim_end_matches('/'),
        opts,
    )
    .await
    {
        Ok(a) => Ok((text(&a.spec, "username"), text(&a.spec, "password"))),
        Err(e) if is_not_found(&e) => Ok((String::new(), String::new())),
        Err(e) => Err(invalid(format!("failed to get image factory auth: {e}"))),
    }
}

/// `credentialsAllowingDenied`: as [`factory_credentials`], a refused read meaning none.
pub(crate) async fn check_factory_credentials(
    client: &OmniClient,
    url: &str,
    opts: &CallOptions,
) -> Result<()> {
    match get(
        client,
        FACTORY_AUTH,
        "default",
        url.trim_end_matches('/'),
        opts,
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) || e.code() == Code::PermissionDenied => Ok(()),
        Err(e) => Err(invalid(format!("failed to get image factory auth: {e}"))),
    }
}

/// `imagefactory.NewClientsFromState(...).ForTalosVersion(v).URL()`: the factory Omni recorded
/// for the Talos version when it is the primary or the secondary one, else the primary.
pub(crate) async fn factory_for_talos_version(
    client: &OmniClient,
    talos_version: &str,
    opts: &CallOptions,
) -> Result<String> {
    let features = get(client, FEATURES, "default", "features-config", opts).await?;
    let mut primary = text(&features.spec, "image_factory_base_url");
    if primary.is_empty() {
        primary = IMAGE_FACTORY_BASE_URL.to_string();
    }
    let primary = primary.trim_end_matches('/').to_string();
    check_factory_credentials(client, &primary, opts).await?;
    let secondary = text(&features.spec, "secondary_image_factory_base_url");
    let secondary = secondary.trim_end_matches('/').to_string();
    if !secondary.is_empty() {
        check_factory_credentials(client, &secondary, opts).await?;
    }
    let recorded = match get(
        client,
        TALOS_VERSION,
        "default",
        trim_v(talos_version),
        opts,
    )
    .await
    {
        Ok(v) => text(&v.spec, "image_factory_url")
            .trim_end_matches('/')
            .to_string(),
        Err(e) if is_not_found(&e) => String::new(),
        Err(e) => return Err(e),
    };
    if !recorded.is_empty() && !secondary.is_empty() && recorded == secondary {
        return Ok(secondary);
    }
    Ok(primary)
}
