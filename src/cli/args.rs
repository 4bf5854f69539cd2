//! omnictl's command tree and flags (upstream `client/pkg/omnictl/*.go`, cobra + pflag), as
//! clap definitions. Boolean flags take pflag's forms: `--watch`, `--watch=true`,
//! `--watch=false` (never a separate value).

use clap::{Args, Parser, Subcommand};

pub(crate) use super::global::Global;

/// `omnictl`'s root command (`root.go`) with its persistent flags.
#[derive(Debug, Parser)]
#[command(
    name = "omni-wasm",
    about = "A CLI for accessing Omni API.",
    version = crate::VERSION,
    disable_help_subcommand = true,
    max_term_width = 100
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Get a specific resource or list of resources.
    #[command(visible_alias = "g")]
    Get(GetArgs),
    /// Delete a specific resource by ID or all resources of the type.
    #[command(visible_alias = "d")]
    Delete(DeleteArgs),
    /// Manage the client configuration file (omniconfig)
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print the version.
    Version,
    /// Generate the autocompletion script for the specified shell
    Completion {
        /// bash, zsh, fish, powershell or elvish
        #[arg(value_name = "shell")]
        shell: clap_complete::Shell,
    },
    /// Generate documentation for the CLI
    #[command(hide = true)]
    Docs {
        /// the directory to write cli.md to
        #[arg(value_name = "output")]
        output: String,
    },
    /// Create or update resource using YAML file as an input.
    #[command(
        long_about = "Create or update resources using YAML file(s) as input.\n\nIf a file is specified, only that file will be processed.\nIf a directory is specified, all YAML files (*.yaml, *.yml) in the directory\nand its subdirectories will be processed recursively. Each file is processed\nindependently, similar to kubectl behavior."
    )]
    Apply(ApplyArgs),
    /// Edit Omni resources with the default editor.
    #[command(
        long_about = "The edit command allows you to directly edit the resources\nof an Omni instance using your preferred text editor.\n\nIt will open the editor defined by your OMNI_EDITOR, TALOS_EDITOR,\nor EDITOR environment variables, or fall back to 'vi'."
    )]
    Edit(EditArgs),
    /// Download the admin kubeconfig of a cluster
    #[command(
        long_about = "Download the admin kubeconfig of a cluster.\nIf merge flag is defined, config will be merged with ~/.kube/config or [local-path] if specified.\nOtherwise kubeconfig will be written to PWD or [local-path] if specified."
    )]
    Kubeconfig(KubeconfigArgs),
    /// Download an admin talosconfig.
    #[command(
        long_about = "Download the generic admin talosconfig of the Omni instance or the admin talosconfig of a cluster.\nGeneric talosconfig can be used with any machine, including those in maintenance mode.\nIf merge flag is defined, config will be merged with ~/.talos/config or [local-path] if specified.\nOtherwise talosconfig will be written to PWD or [local-path] if specified."
    )]
    Talosconfig(TalosconfigArgs),
    /// Cluster-related subcommands.
    #[command(name = "cluster", visible_aliases = ["c"], subcommand)]
    Cluster(super::cluster_cmd::ClusterCommand),
    /// Manage service accounts
    #[command(name = "serviceaccount", visible_aliases = ["sa"], subcommand)]
    Serviceaccount(ServiceAccountCommand),
    /// User-related subcommands.
    #[command(name = "user", visible_aliases = ["u", "users"], subcommand)]
    User(super::user_cmd::UserArgs),
    /// Get logs for a machine.
    #[command(name = "machine-logs", visible_aliases = ["l", "logs"])]
    MachineLogs(super::machine_logs_cmd::MachineLogsArgs),
    /// Machine related commands.
    #[command(subcommand)]
    Machine(super::machine_cmd::MachineCommand),
    /// Configure Omni resources.
    /// Configuration subcommands.
    // upstream also gives `configure` the alias `c`, which `cluster`'s alias shadows (cobra
    // matches the command registered first): only `cluster` answers to `c`
    #[command(subcommand)]
    Configure(super::machine_cmd::ConfigureCommand),
    /// Download the support bundle for a cluster.
    #[command(name = "support")]
    Support(super::support_cmd::SupportArgs),
    /// Read the audit log from Omni.
    #[command(name = "audit-log")]
    AuditLog(super::audit_log_cmd::AuditLogArgs),
    /// Manage join tokens.
    #[command(name = "jointoken", visible_aliases = ["jt"], subcommand)]
    Jointoken(super::jointoken_cmd::JointokenArgs),
    /// Manage static infra providers.
    #[command(name = "infraprovider", visible_aliases = ["ip"], subcommand)]
    Infraprovider(super::infraprovider_cmd::InfraproviderArgs),
    /// Manage installation media.
    #[command(name = "media", visible_aliases = ["installation-media", "im"], subcommand,
              about = "Manage installation media presets.",
              long_about = "Commands to create, list, delete, and download from installation media presets.")]
    Media(super::media_cmd::MediaArgs),
    /// Download installer media.
    #[command(name = "download", hide = true, long_about = super::download_cmd::LONG_ABOUT)]
    Download(super::download_cmd::DownloadArgs),
}

/// `omnictl get <type> [<id>]` (`get.go`).
#[derive(Debug, Args)]
#[command(
    long_about = "Similar to 'kubectl get', 'omnictl get' returns a set of resources from the OS.\nTo get a list of all available resource definitions, issue 'omnictl get rd'"
)]
pub(crate) struct GetArgs {
    /// The resource type.
    #[arg(value_name = "type")]
    pub kind: String,
    /// The resource id.
    #[arg(value_name = "id")]
    pub id: Option<String>,
    /// The resource namespace.
    #[arg(short, long, value_name = "string")]
    pub namespace: Option<String>,
    /// Watch the resource state.
    #[arg(short, long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pub watch: bool,
    /// Output format (json, table, yaml, jsonpath).
    #[arg(short, long, default_value = "table", value_name = "string")]
    pub output: String,
    /// Selector (label query) to filter on, supports '=' and '==' (e.g. -l key1=value1,key2=value2)
    #[arg(short = 'l', long, value_name = "string")]
    pub selector: Option<String>,
    /// Match resource ID against a regular expression.
    #[arg(long, value_name = "string")]
    pub id_match_regexp: Option<String>,
}

/// `omnictl delete <type> [<id>...]` (`delete.go`).
#[derive(Debug, Args)]
#[command(
    long_about = "Similar to 'kubectl delete', 'omnictl delete' initiates resource deletion and waits for the operation to complete."
)]
pub(crate) struct DeleteArgs {
    /// The resource type.
    #[arg(value_name = "type")]
    pub kind: String,
    /// The resource ids.
    #[arg(value_name = "id")]
    pub ids: Vec<String>,
    /// The resource namespace.
    #[arg(short, long, value_name = "string")]
    pub namespace: Option<String>,
    /// Delete all resources of the type.
    #[arg(long, num_args = 0..=1, require_equals = true, conflicts_with = "selector",
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pub all: bool,
    /// Selector (label query) to filter on, supports '=' and '==' (e.g. -l key1=value1,key2=value2)
    #[arg(short = 'l', long, value_name = "string")]
    pub selector: Option<String>,
}

/// `omnictl config ...` (`config.go`).
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Set the URL for the current context
    Url {
        #[arg(value_name = "url")]
        url: String,
    },
    /// Set the auth identity for the current context
    Identity {
        #[arg(value_name = "identity")]
        identity: String,
    },
    /// Set the current context
    #[command(visible_alias = "use-context")]
    Context {
        #[arg(value_name = "context")]
        name: String,
    },
    /// Add a new context
    Add {
        #[arg(value_name = "context")]
        name: String,
        /// URL of the server
        #[arg(long, default_value = crate::config::DEFAULT_URL, value_name = "string")]
        url: String,
        /// identity to use for authentication
        #[arg(long, default_value = "", value_name = "string")]
        identity: String,
    },
    /// List defined contexts
    #[command(visible_alias = "get-contexts")]
    Contexts,
    /// Merge additional contexts from another client configuration file
    #[command(long_about = "Contexts with the same name are renamed while merging configs.")]
    Merge {
        #[arg(value_name = "from")]
        from: String,
    },
    /// Generate a new client configuration file
    New {
        #[arg(value_name = "path")]
        path: Option<String>,
        /// URL of the server
        #[arg(long, default_value = crate::config::DEFAULT_URL, value_name = "string")]
        url: String,
        /// identity to use for authentication
        #[arg(long, default_value = "", value_name = "string")]
        identity: String,
    },
    /// Show information about the current context
    Info,
}

/// `omnictl kubeconfig [local-path]` (`kubeconfig.go`).
#[derive(Debug, Args)]
pub(crate) struct KubeconfigArgs {
    /// Where to write (a file, or a directory for `<dir>/kubeconfig`).
    #[arg(value_name = "local-path")]
    pub path: Option<String>,
    /// cluster to use
    #[arg(short, long, required = true, value_name = "string")]
    pub cluster: String,
    /// force overwrite of kubeconfig if already present, force overwrite on kubeconfig merge
    #[arg(short, long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pub force: bool,
    /// force context name in the resulting kubeconfig
    #[arg(long, value_name = "string")]
    pub force_context_name: Option<String>,
    /// merge with existing kubeconfig
    #[arg(short, long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "true", value_name = "bool")]
    pub merge: bool,
    /// create a service account type kubeconfig instead of a OIDC-authenticated user type
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pub service_account: bool,
    /// ttl for the service account token. only used when --service-account is set to true
    #[arg(long, default_value = "8760h0m0s", value_name = "duration")]
    pub ttl: String,
    /// user to be used in the service account token (sub). required when --service-account is set to true
    #[arg(long, value_name = "string")]
    pub user: Option<String>,
    /// group to be used in the service account token (groups). only used when --service-account is set to true
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "system:masters",
        value_name = "strings"
    )]
    pub groups: Vec<String>,
    /// Authorization grant type to use. One of (auto|authcode|authcode-keyboard)
    #[arg(long, default_value = "", value_name = "string")]
    pub grant_type: String,
    /// get kubeconfig that allows accessing nodes bypasing Omni (if enabled for the account)
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pub break_glass: bool,
    /// override the base cache directory for kubelogin in the generated kubeconfig
    #[arg(long, default_value = "", value_name = "string")]
    pub oidc_cache_base_dir: String,
    /// isolate OIDC token caches across clusters by appending a per-context subdirectory to the cache directory
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pub oidc_cache_isolation: bool,
}

/// `omnictl talosconfig [local-path]` (`talosconfig.go`).
#[derive(Debug, Args)]
pub(crate) struct TalosconfigArgs {
    /// Where to write (a file, or a directory for `<dir>/talosconfig`).
    #[arg(value_name = "local-path")]
    pub path: Option<String>,
    /// cluster to use. If omitted, download the generic talosconfig for the Omni instance.
    #[arg(short, long, value_name = "string")]
    pub cluster: Option<String>,
    /// force overwrite of talosconfig if already present
    #[arg(short, long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pub force: bool,
    /// merge with existing talosconfig
    #[arg(short, long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "true", value_name = "bool")]
    pub merge: bool,
    /// get operator talosconfig that allows bypassing Omni (if enabled for the account)
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pub break_glass: bool,
}

/// `omnictl serviceaccount ...` (`serviceaccount.go`).
#[derive(Debug, Subcommand)]
pub(crate) enum ServiceAccountCommand {
    /// Create a service account
    #[command(visible_alias = "c")]
    Create {
        #[arg(value_name = "name")]
        name: String,
        /// TTL for the service account key
        #[arg(short, long, default_value = "8760h0m0s", value_name = "duration")]
        ttl: String,
        /// role of the service account. only used when --use-user-role=false
        #[arg(short, long, default_value = "", value_name = "string")]
        role: String,
        /// use the role of the creating user. if true, --role is ignored
        #[arg(short, long, num_args = 0..=1, require_equals = true,
              default_missing_value = "true", default_value = "true", value_name = "bool")]
        use_user_role: bool,
    },
    /// Renew a service account by registering a new public key to it
    #[command(visible_alias = "r")]
    Renew {
        #[arg(value_name = "name")]
        name: String,
        /// TTL for the service account key
        #[arg(short, long, default_value = "8760h0m0s", value_name = "duration")]
        ttl: String,
    },
    /// List service accounts
    #[command(visible_alias = "l")]
    List,
    /// Destroy a service account
    #[command(visible_alias = "d")]
    Destroy {
        #[arg(value_name = "name")]
        name: String,
    },
}

/// `omnictl apply` (`apply.go`).
#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// Resource file or directory to load and apply
    #[arg(short, long, required = true, value_name = "string")]
    pub file: String,
    /// Verbose output
    #[arg(short, long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pub verbose: bool,
    /// Dry run, implies verbose
    #[arg(short, long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pub dry_run: bool,
}

/// `omnictl edit <type> [<id>]` (`edit.go`).
#[derive(Debug, Args)]
pub(crate) struct EditArgs {
    /// The resource type.
    #[arg(value_name = "type")]
    pub kind: String,
    /// The resource id.
    #[arg(value_name = "id")]
    pub id: Option<String>,
    /// resource namespace (default is to use default namespace per resource)
    #[arg(long, value_name = "string")]
    pub namespace: Option<String>,
    /// do not apply the change after editing and print the change summary instead
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pub dry_run: bool,
    /// Verbose output
    #[arg(short, long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    pub verbose: bool,
    /// Selector (label query) to filter on, supports '=' and '==' (e.g. -l key1=value1,key2=value2)
    #[arg(long, value_name = "string")]
    pub selector: Option<String>,
    /// Match resource ID against a regular expression.
    #[arg(long, value_name = "string")]
    pub id_match_regexp: Option<String>,
}
