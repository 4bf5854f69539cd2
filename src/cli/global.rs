//! omnictl's persistent flags (`root.go`), which every command reads: its own module, so that
//! the command modules depend on it and the command tree (`args`) on them, never in a loop.

use clap::Args;

/// Persistent flags: omnictl's four, then omni-wasm's own connection flags.
#[derive(Debug, Args, Default)]
pub(crate) struct Global {
    /// The path to the omni configuration file. Defaults to 'OMNICONFIG' env variable if set,
    /// otherwise '$HOME/.talos/omni/config'. '$XDG_CONFIG_HOME/omni/config' is Deprecated and
    /// only used as a last resort for reading existing configuration file.
    #[arg(long, global = true, value_name = "string")]
    pub omniconfig: Option<String>,
    /// The context to be used. Defaults to the selected context in the omniconfig file.
    #[arg(long, global = true, value_name = "string")]
    pub context: Option<String>,
    /// Skip TLS verification for the Omni GRPC and HTTP API endpoints (Node only).
    #[arg(long, global = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pub insecure_skip_tls_verify: bool,
    /// The path to the SideroV1 auth PGP keys directory. Defaults to 'SIDEROV1_KEYS_DIR' env
    /// variable if set, otherwise '$HOME/.talos/keys'.
    #[arg(long, global = true, value_name = "string")]
    pub siderov1_keys_dir: Option<String>,
    /// omni-wasm: the Omni endpoint (default: $OMNI_ENDPOINT, else the omniconfig context).
    #[arg(long, global = true, value_name = "url")]
    pub endpoint: Option<String>,
    /// omni-wasm: how requests travel.
    #[arg(long, global = true, value_name = "gateway|grpc-web", default_value = "gateway",
          value_parser = ["gateway", "grpc-web"])]
    pub transport: String,
    /// omni-wasm: allow plain http:// to a host that is not loopback.
    #[arg(long, global = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pub insecure_http: bool,
}
