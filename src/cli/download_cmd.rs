//! The deprecated `omnictl download <image name>` (upstream `client/pkg/omnictl/download.go`):
//! an installation media found by name, profile or overlay, downloaded from the image
//! factory of the Talos version (the download itself is `media_cmd`'s).

use clap::Args;
use serde_json::Value;

use super::global::Global;
use super::media_cmd::{
    abs, download_image_to, make_path, plain, text, tunnel_mode, ImageInfo, Params, Version,
    DEFAULT_TALOS_VERSION,
};
use super::{connect, Host};
use crate::client::OmniClient;
use crate::transport::CallOptions;
use crate::Result;

/// cobra's `Long` of the command.
pub(super) const LONG_ABOUT: &str = "This command downloads installer media from the server

It accepts one argument, which is the name of the image to download. Name can be one of the following:

     * iso - downloads the latest ISO image
     * AWS AMI (amd64), Vultr (arm64), Raspberry Pi 4 Model B - full image name
     * oracle, aws, vmware - platform name
     * rpi_generic, rockpi_4c, rock64 - board name

To get the full list of available images, look at the output of the following command:
    omnictl get installationmedia -o yaml

The download command tries to match the passed string in this order:

    * name
    * profile

By default it will download amd64 image if there are multiple images available for the same name.

For example, to download the latest ISO image for arm64, run:

    omnictl download iso --arch amd64

To download the same ISO with two extensions added, the --extensions argument gets repeated to produce a stringArray:

    omnictl download iso --arch amd64 --extensions intel-ucode --extensions qemu-guest-agent

To download the latest Vultr image, run:

    omnictl download \"vultr\"

To download the latest Radxa ROCK PI 4 image, run:

    omnictl download \"rpi_generic\"
";

/// `omnictl download <image name>` (`download.go`).
#[derive(Debug, Args)]
pub(crate) struct DownloadArgs {
    #[arg(value_name = "image name")]
    image: String,
    /// Print PXE URL and exit
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pxe: bool,
    /// Download SecureBoot enabled installation media
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    secureboot: bool,
    /// Image architecture to download (amd64, arm64)
    #[arg(long, default_value = "amd64", value_name = "string")]
    arch: String,
    /// Output file or directory, defaults to current working directory
    #[arg(long, default_value = ".", value_name = "string")]
    output: String,
    /// Talos version to be used in the generated installation media
    #[arg(long, default_value = DEFAULT_TALOS_VERSION, value_name = "string")]
    talos_version: String,
    /// Bake initial labels into the generated installation media
    #[arg(long, value_delimiter = ',', value_name = "strings")]
    initial_labels: Option<Vec<String>>,
    /// Add extra kernel args to the generated installation media
    #[arg(long, value_name = "stringArray")]
    extra_kernel_args: Vec<String>,
    /// Generate installation media with extensions pre-installed
    #[arg(long, value_delimiter = ',', value_name = "strings")]
    extensions: Option<Vec<String>>,
    /// Configure Talos to use the SideroLink (WireGuard) gRPC tunnel over HTTP/2 for Omni management traffic, instead of UDP. Only enable this if the network blocks UDP packets, as HTTP tunneling adds significant overhead for communications.
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_name = "bool")]
    use_siderolink_grpc_tunnel: Option<bool>,
}

/// `download.FindImage`: the one InstallationMedia named `name` (`iso`: any whose name
/// contains it), by name, profile or overlay, narrowed to the architecture when several match.
async fn find_image(
    client: &OmniClient,
    name: &str,
    arch: &str,
    talos_version: &str,
) -> Result<ImageInfo> {
    let media = client
        .resources_in("InstallationMedias.omni.sidero.dev", "ephemeral")
        .await?
        .list(&Default::default(), &CallOptions::default())
        .await?;
    let lower = name.to_lowercase();
    let mut found: Vec<_> = media
        .into_iter()
        .filter(|m| {
            let s = &m.spec;
            if lower == "iso" {
                text(s, "name").to_lowercase().contains(&lower)
            } else {
                text(s, "name").eq_ignore_ascii_case(name)
                    || text(s, "profile").eq_ignore_ascii_case(name)
                    || text(s, "overlay").eq_ignore_ascii_case(name)
            }
        })
        .collect();
    if found.len() > 1 {
        found.retain(|m| text(&m.spec, "architecture") == arch);
    }
    let m = match found.as_slice() {
        [] => return Err(plain(format!("no image found for {name:?}"))),
        [one] => one,
        many => {
            let ids: Vec<&str> = many.iter().map(|m| m.metadata.id.as_str()).collect();
            return Err(plain(format!(
                "multiple images found:\n  {}",
                ids.join("\n  ")
            )));
        }
    };
    let s = &m.spec;
    let min = text(s, "min_talos_version");
    if !min.is_empty() {
        let min_v = Version::parse_tolerant(&min).map_err(|e| {
            plain(format!(
                "failed to parse min Talos version supported by the installation media: {e}"
            ))
        })?;
        let want = Version::parse_tolerant(talos_version)
            .map_err(|e| plain(format!("failed to parse requested Talos version: {e}")))?;
        if want.release() < min_v {
            return Err(plain(format!(
                "{} supports only Talos version >= {min}",
                text(s, "name")
            )));
        }
    }
    Ok(ImageInfo {
        media_id: m.metadata.id.clone(),
        name: text(s, "name"),
        dest_file_prefix: text(s, "dest_file_prefix"),
        profile: text(s, "profile"),
        overlay: text(s, "overlay"),
        architecture: text(s, "architecture"),
        extension: text(s, "extension"),
        factory_url: String::new(),
        no_secure_boot: s
            .get("no_secure_boot")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

pub(super) async fn run(g: &Global, a: DownloadArgs, host: &dyn Host) -> Result<()> {
    // cobra's notice for a deprecated command, before it runs
    host.stderr(
        "Command \"download\" is deprecated, use 'omnictl media download <preset-name>' instead\n",
    );
    let client = connect::client(g, host).await?;
    if a.image.is_empty() {
        return Err(plain("image name is required"));
    }
    let output = abs(&a.output, host);
    make_path(&output, host)?;
    let params = Params {
        talos_version: a.talos_version.clone(),
        labels: a.initial_labels,
        extra_kernel_args: a.extra_kernel_args,
        extensions: a.extensions,
        pxe: a.pxe,
        secure_boot: a.secureboot,
        grpc_tunnel_mode: tunnel_mode(a.use_siderolink_grpc_tunnel) as i32,
        ..Params::default()
    };
    let mut image = find_image(&client, &a.image, &a.arch, &a.talos_version).await?;
    let version = client
        .resources_in("TalosVersions.omni.sidero.dev", "default")
        .await?
        .get(&a.talos_version, &CallOptions::default())
        .await
        .map_err(|_| {
            plain(format!(
                "version {:?} is not known by this Omni instance",
                a.talos_version
            ))
        })?;
    let url = text(&version.spec, "image_factory_url");
    if url.is_empty() {
        return Err(plain(format!(
            "version {:?} does not have an ImageFactory URL configured",
            a.talos_version
        )));
    }
    image.factory_url = url;
    download_image_to(g, &client, &image, &params, &output, host).await
}
