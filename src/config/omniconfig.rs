//! The omniconfig file (`omnictl config ...`) and the choice of endpoint and credentials
//! (`client/pkg/omnictl/config`, `client/pkg/omnictl/internal/access/client.go`).
//!
//! File format: `contexts: {<name>: {url, auth: {siderov1: {identity}}}}` and `context:
//! <current>`, written with go-yaml v3 defaults (4-space indentation, `contexts` first).
//! Fields omnictl does not know are kept when the file is written back.

use std::collections::BTreeMap;
use std::fmt;

use super::yaml::{entries, node_to_y, parse_root, string_of, to_yaml_v3};
use super::{Rename, RenameKind};
use crate::goyaml::emit::Y;
use crate::goyaml::node::Node;
use crate::goyaml::sort::natural_cmp;
use crate::{Error, Result};

/// The URL of the default context (`omnictl config new`/`add` without `--url`).
pub const DEFAULT_URL: &str = "grpc://127.0.0.1:8080";
/// The name of the context of a new omniconfig.
pub const DEFAULT_CONTEXT: &str = "default";
/// The URL that marks a context as not configured yet.
pub const PLACEHOLDER_URL: &str = "<placeholder_url>";
/// The environment variable that overrides the context's URL.
pub const ENDPOINT_ENV: &str = "OMNI_ENDPOINT";
/// The environment variables holding a service account key, in the order they are consulted.
pub const SERVICE_ACCOUNT_KEY_ENVS: [&str; 2] =
    ["SIDERO_SERVICE_ACCOUNT_KEY", "OMNI_SERVICE_ACCOUNT_KEY"];

const WHAT: &str = "omniconfig";

type Extra = Vec<(String, Y)>;

/// One context of an omniconfig.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OmniContext {
    /// The Omni API endpoint (`https://...`, `grpc://...`) or [`PLACEHOLDER_URL`].
    pub url: String,
    /// `auth.siderov1.identity`: the user whose keys sign requests (`None` = not set).
    pub identity: Option<String>,
    /// `auth.basic`: deprecated and ignored by omnictl, kept for writing back.
    basic: String,
    extra: Extra,
    auth_extra: Extra,
    siderov1_extra: Extra,
}

impl OmniContext {
    /// A context with this URL and identity.
    pub fn new(url: impl Into<String>, identity: Option<String>) -> OmniContext {
        OmniContext {
            url: url.into(),
            identity: identity.filter(|i| !i.is_empty()),
            ..OmniContext::default()
        }
    }

    /// Whether this context still has the placeholder URL (was never configured).
    pub fn is_placeholder(&self) -> bool {
        self.url == PLACEHOLDER_URL
    }

    fn parse(n: &Node) -> Result<OmniContext> {
        let mut c = OmniContext::default();
        for (k, v) in entries(n, WHAT, "a context")? {
            match k.as_str() {
                "url" => c.url = string_of(v, WHAT, "url")?,
                "auth" => {
                    for (ak, av) in entries(v, WHAT, "auth")? {
                        match ak.as_str() {
                            "basic" => c.basic = string_of(av, WHAT, "auth.basic")?,
                            "siderov1" => {
                                for (sk, sv) in entries(av, WHAT, "auth.siderov1")? {
                                    if sk == "identity" {
                                        let id = string_of(sv, WHAT, "identity")?;
                                        c.identity = Some(id).filter(|i| !i.is_empty());
                                    } else {
                                        c.siderov1_extra.push((sk, node_to_y(sv)));
                                    }
                                }
                            }
                            _ => c.auth_extra.push((ak, node_to_y(av))),
                        }
                    }
                }
                _ => c.extra.push((k, node_to_y(v))),
            }
        }
        Ok(c)
    }

    fn to_y(&self) -> Y {
        let s = |v: &str| Y::Str(v.to_string());
        let extra = |x: &Extra| {
            x.iter()
                .map(|(k, v)| (Y::Str(k.clone()), v.clone()))
                .collect::<Vec<_>>()
        };
        let mut e = vec![(s("url"), s(&self.url))];
        let mut sv = Vec::new();
        if let Some(id) = self.identity.as_deref().filter(|i| !i.is_empty()) {
            sv.push((s("identity"), s(id)));
        }
        sv.extend(extra(&self.siderov1_extra));
        let mut auth = Vec::new();
        if !self.basic.is_empty() {
            auth.push((s("basic"), s(&self.basic)));
        }
        if !sv.is_empty() {
            auth.push((s("siderov1"), Y::Map(sv)));
        }
        auth.extend(extra(&self.auth_extra));
        if !auth.is_empty() {
            e.push((s("auth"), Y::Map(auth)));
        }
        e.extend(extra(&self.extra));
        Y::Map(e)
    }
}

/// An omniconfig file: named contexts and the current one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OmniConfig {
    /// The current context's name.
    pub context: String,
    /// All contexts by name.
    pub contexts: BTreeMap<String, OmniContext>,
    extra: Extra,
}

impl OmniConfig {
    /// What omnictl writes when there is no omniconfig yet: context `default` with
    /// [`DEFAULT_URL`].
    pub fn new_default() -> OmniConfig {
        let mut contexts = BTreeMap::new();
        contexts.insert(
            DEFAULT_CONTEXT.to_string(),
            OmniContext::new(DEFAULT_URL, None),
        );
        OmniConfig {
            context: DEFAULT_CONTEXT.to_string(),
            contexts,
            extra: Vec::new(),
        }
    }

    /// Parses an omniconfig. An empty text is a config without contexts. Errors name the
    /// line and column.
    pub fn parse(text: &str) -> Result<OmniConfig> {
        let mut cfg = OmniConfig::default();
        let Some(root) = parse_root(text, WHAT)? else {
            return Ok(cfg);
        };
        for (k, v) in entries(&root, WHAT, "the omniconfig")? {
            match k.as_str() {
                "context" => cfg.context = string_of(v, WHAT, "context")?,
                "contexts" => {
                    for (name, c) in entries(v, WHAT, "contexts")? {
                        cfg.contexts.insert(name, OmniContext::parse(c)?);
                    }
                }
                _ => cfg.extra.push((k, node_to_y(v))),
            }
        }
        Ok(cfg)
    }

    /// The file text as omnictl writes it (go-yaml v3: `contexts` then `context`, 4-space
    /// indentation, empty fields omitted).
    pub fn to_yaml(&self) -> String {
        let mut contexts: Vec<(Y, Y)> = self
            .contexts
            .iter()
            .map(|(k, c)| (Y::Str(k.clone()), c.to_y()))
            .collect();
        crate::order::sort_with(&mut contexts, |a, b| natural_cmp(&a.0, &b.0));
        let mut top = vec![
            (Y::Str("contexts".into()), Y::Map(contexts)),
            (Y::Str("context".into()), Y::Str(self.context.clone())),
        ];
        top.extend(
            self.extra
                .iter()
                .map(|(k, v)| (Y::Str(k.clone()), v.clone())),
        );
        to_yaml_v3(&Y::Map(top))
    }

    /// The context called `name`; an empty name means the current context.
    /// Error: `context not found: <name>`.
    pub fn context(&self, name: &str) -> Result<&OmniContext> {
        let name = if name.is_empty() { &self.context } else { name };
        self.contexts
            .get(name)
            .ok_or_else(|| Error::InvalidArgument(format!("context not found: {name}")))
    }

    fn context_mut(&mut self, name: Option<&str>) -> Result<&mut OmniContext> {
        let name = match name.filter(|n| !n.is_empty()) {
            Some(n) => n.to_string(),
            None => self.context.clone(),
        };
        self.contexts
            .get_mut(&name)
            .ok_or_else(|| Error::InvalidArgument(format!("context not found: {name}")))
    }

    /// The current context, ready to use: errors when it does not exist or still has the
    /// placeholder URL (`context "<name>" has not been configured, you will need to set it
    /// manually`).
    pub fn current(&self) -> Result<(&str, &OmniContext)> {
        let ctx = self.context("")?;
        if ctx.is_placeholder() {
            return Err(unconfigured(&self.context));
        }
        Ok((self.context.as_str(), ctx))
    }

    /// `omnictl config add <name> [--url] [--identity]`: a new context (`url` defaults to
    /// [`DEFAULT_URL`]); the current context stays. Error: `context <name> already exists`.
    pub fn add(&mut self, name: &str, url: Option<&str>, identity: Option<&str>) -> Result<()> {
        if self.contexts.contains_key(name) {
            return Err(Error::InvalidArgument(format!(
                "context {name} already exists"
            )));
        }
        self.contexts.insert(
            name.to_string(),
            OmniContext::new(url.unwrap_or(DEFAULT_URL), identity.map(str::to_string)),
        );
        Ok(())
    }

    /// `omnictl config context <name>` (`use-context`): makes `name` current. Like omnictl,
    /// the name is not checked (an unknown one fails later, in [`OmniConfig::current`]).
    pub fn use_context(&mut self, name: &str) {
        self.context = name.to_string();
    }

    /// `omnictl [--context <ctx>] config url <url>`: sets the URL of `context` (default:
    /// the current one).
    pub fn set_url(&mut self, context: Option<&str>, url: &str) -> Result<()> {
        self.context_mut(context)?.url = url.to_string();
        Ok(())
    }

    /// `omnictl [--context <ctx>] config identity <identity>`: sets the identity of `context`
    /// (default: the current one); an empty identity removes it.
    pub fn set_identity(&mut self, context: Option<&str>, identity: &str) -> Result<()> {
        self.context_mut(context)?.identity = Some(identity.to_string()).filter(|i| !i.is_empty());
        Ok(())
    }

    /// `omnictl config merge <file>`: adds all contexts of `other`. A context whose name
    /// exists is stored as the first free `<name>-N` (N = 1, 2, ...). When `other` names a
    /// current context, it becomes current under its stored name (empty when `other`'s
    /// current context is not among its contexts, as upstream). Returns the renames, each
    /// with omnictl's line `renamed omniconfig context <from> -> <to>`.
    pub fn merge(&mut self, other: &OmniConfig) -> Vec<Rename> {
        let mut mapped: BTreeMap<&str, String> = BTreeMap::new();
        let mut renames = Vec::new();
        for (name, ctx) in &other.contexts {
            let mut merged = name.clone();
            let mut i = 0u64;
            while self.contexts.contains_key(&merged) {
                i += 1;
                merged = format!("{name}-{i}");
            }
            if &merged != name {
                renames.push(Rename {
                    kind: RenameKind::Context,
                    from: name.clone(),
                    to: merged.clone(),
                    message: format!("renamed omniconfig context {name} -> {merged}"),
                });
            }
            self.contexts.insert(merged.clone(), ctx.clone());
            mapped.insert(name.as_str(), merged);
        }
        if !other.context.is_empty() {
            self.context = mapped
                .get(other.context.as_str())
                .cloned()
                .unwrap_or_default();
        }
        renames
    }
}

fn unconfigured(name: &str) -> Error {
    Error::InvalidArgument(format!(
        "context {} has not been configured, you will need to set it manually",
        crate::goyaml::scalar::go_quote(name)
    ))
}

/// What a client connects to and how it signs, as omnictl decides it.
#[derive(Clone, PartialEq, Eq)]
pub struct ResolvedEndpoint {
    /// The Omni endpoint.
    pub url: String,
    /// The identity whose keys sign requests (omniconfig contexts only).
    pub identity: Option<String>,
    /// A base64 service account key from the environment; when set, requests are signed
    /// with it and the omniconfig is not used.
    pub service_account_key: Option<String>,
    /// The omniconfig context used (`None` with a service account key).
    pub context: Option<String>,
}

impl fmt::Debug for ResolvedEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedEndpoint")
            .field("url", &self.url)
            .field("identity", &self.identity)
            .field(
                "service_account_key",
                &self.service_account_key.as_ref().map(|_| "<redacted>"),
            )
            .field("context", &self.context)
            .finish()
    }
}

/// Resolves the endpoint and credentials the way omnictl does before every server command:
///
/// 1. A service account key in `SIDERO_SERVICE_ACCOUNT_KEY`, else `OMNI_SERVICE_ACCOUNT_KEY`
///    (a set variable counts even when empty — which is then an error, as the key cannot
///    decode): the omniconfig is ignored and the URL comes from `OMNI_ENDPOINT` alone.
/// 2. Otherwise the context `context_override` (empty = none), else the config's current
///    one; a missing config is omnictl's default config (`default`, [`DEFAULT_URL`]). Errors
///    for an unknown context and for a context with the placeholder URL (even when
///    `OMNI_ENDPOINT` is set, as upstream); then a non-empty `OMNI_ENDPOINT` replaces the
///    context's URL.
///
/// `env` looks up an environment variable (`None` = unset).
pub fn resolve(
    cfg: Option<&OmniConfig>,
    context_override: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ResolvedEndpoint> {
    let endpoint = env(ENDPOINT_ENV).filter(|e| !e.is_empty());
    let sa = SERVICE_ACCOUNT_KEY_ENVS
        .iter()
        .find_map(|name| env(name).map(|v| (*name, v)));
    if let Some((name, key)) = sa {
        if key.trim().is_empty() {
            return Err(Error::InvalidArgument(format!(
                "{name} is set but empty: it must hold a base64 service account key"
            )));
        }
        let Some(url) = endpoint else {
            return Err(Error::InvalidArgument(format!(
                "{ENDPOINT_ENV} is not set: with a service account key (from {name}) the endpoint comes from {ENDPOINT_ENV} only"
            )));
        };
        return Ok(ResolvedEndpoint {
            url,
            identity: None,
            service_account_key: Some(key),
            context: None,
        });
    }

    let default;
    let cfg = match cfg {
        Some(c) => c,
        None => {
            default = OmniConfig::new_default();
            &default
        }
    };
    let name = context_override
        .filter(|c| !c.is_empty())
        .unwrap_or(&cfg.context)
        .to_string();
    let ctx = cfg.context(&name)?;
    if ctx.is_placeholder() {
        return Err(unconfigured(&name));
    }
    let url = endpoint.unwrap_or_else(|| ctx.url.clone());
    if url.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "context {} has no url and {ENDPOINT_ENV} is not set",
            crate::goyaml::scalar::go_quote(&name)
        )));
    }
    Ok(ResolvedEndpoint {
        url,
        identity: ctx.identity.clone(),
        service_account_key: None,
        context: Some(name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| m.get(k).cloned()
    }

    /// What `ManagementService.Omniconfig` returns.
    const SERVER: &str = "contexts:
  default:
    url: https://omni.example.org
    auth:
      siderov1:
        identity: user@example.com
context: default
";

    #[test]
    fn default_config_text() {
        assert_eq!(
            OmniConfig::new_default().to_yaml(),
            "contexts:\n    default:\n        url: grpc://127.0.0.1:8080\ncontext: default\n"
        );
    }

    #[test]
    fn round_trip_keeps_unknown_fields() {
        let text = "context: a
contexts:
  a:
    url: https://a
    timeout: 5s
    auth:
      basic: old
      siderov1: {identity: me@x.org, extra: 1}
      other: yes
top: [1, 2]
";
        let cfg = OmniConfig::parse(text).unwrap();
        assert_eq!(cfg.context, "a");
        assert_eq!(
            cfg.context("a").unwrap().identity.as_deref(),
            Some("me@x.org")
        );
        assert_eq!(
            cfg.to_yaml(),
            "contexts:
    a:
        url: https://a
        auth:
            basic: old
            siderov1:
                identity: me@x.org
                extra: 1
            other: yes
        timeout: 5s
context: a
top:
    - 1
    - 2
"
        );
        assert_eq!(OmniConfig::parse(&cfg.to_yaml()).unwrap(), cfg);
    }

    #[test]
    fn editing_like_omnictl_config() {
        let mut cfg = OmniConfig::parse(SERVER).unwrap();
        cfg.add("staging", Some("https://staging.example.org"), None)
            .unwrap();
        assert_eq!(
            cfg.add("staging", None, None).unwrap_err().to_string(),
            "invalid argument: context staging already exists"
        );
        cfg.add("local", None, Some("dev@example.com")).unwrap();
        assert_eq!(cfg.contexts["local"].url, DEFAULT_URL);
        cfg.use_context("staging");
        cfg.set_identity(None, "ops@example.com").unwrap();
        cfg.set_url(Some("local"), "http://127.0.0.1:8099").unwrap();
        assert!(cfg.set_url(Some("nope"), "x").is_err());
        assert_eq!(
            cfg.to_yaml(),
            "contexts:
    default:
        url: https://omni.example.org
        auth:
            siderov1:
                identity: user@example.com
    local:
        url: http://127.0.0.1:8099
        auth:
            siderov1:
                identity: dev@example.com
    staging:
        url: https://staging.example.org
        auth:
            siderov1:
                identity: ops@example.com
context: staging
"
        );
        cfg.set_identity(Some("staging"), "").unwrap();
        assert_eq!(cfg.contexts["staging"].identity, None);
    }

    #[test]
    fn merge_renames_and_switches() {
        let mut cfg = OmniConfig::new_default();
        let other = OmniConfig::parse(SERVER).unwrap();
        let r = cfg.merge(&other);
        assert_eq!(
            r.iter().map(|x| x.message.as_str()).collect::<Vec<_>>(),
            ["renamed omniconfig context default -> default-1"]
        );
        assert_eq!(cfg.context, "default-1");
        assert_eq!(cfg.contexts["default-1"].url, "https://omni.example.org");
        assert_eq!(cfg.contexts["default"].url, DEFAULT_URL);
        let r = cfg.merge(&other);
        assert_eq!(r[0].to, "default-2");
        // No current context in the merged file: the current one stays.
        let mut no_current = other.clone();
        no_current.context.clear();
        no_current
            .contexts
            .insert("x".into(), OmniContext::new("https://x", None));
        let _ = cfg.merge(&no_current);
        assert_eq!(cfg.context, "default-2");
        assert!(cfg.contexts.contains_key("x"));
    }

    #[test]
    fn current_and_placeholder() {
        let cfg = OmniConfig::parse(
            "contexts:\n  default:\n    url: <placeholder_url>\ncontext: default\n",
        )
        .unwrap();
        assert_eq!(
            cfg.current().unwrap_err().to_string(),
            "invalid argument: context \"default\" has not been configured, you will need to set it manually"
        );
        let cfg = OmniConfig::parse("context: gone\n").unwrap();
        assert_eq!(
            cfg.current().unwrap_err().to_string(),
            "invalid argument: context not found: gone"
        );
        let cfg = OmniConfig::parse(SERVER).unwrap();
        let (name, ctx) = cfg.current().unwrap();
        assert_eq!(
            (name, ctx.url.as_str()),
            ("default", "https://omni.example.org")
        );
    }

    #[test]
    fn parse_errors_have_positions() {
        let e = OmniConfig::parse("contexts:\n  a:\n    url: [x]\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "invalid argument: omniconfig: line 3, column 10: url must be a string, not a sequence"
        );
        let e = OmniConfig::parse("contexts: {a: }}\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid argument: omniconfig: line 1, column "),
            "{e}"
        );
        assert_eq!(OmniConfig::parse("").unwrap(), OmniConfig::default());
    }

    #[test]
    fn resolve_like_omnictl() {
        let cfg = OmniConfig::parse(SERVER).unwrap();
        let r = resolve(Some(&cfg), None, &env_of(&[])).unwrap();
        assert_eq!(r.url, "https://omni.example.org");
        assert_eq!(r.identity.as_deref(), Some("user@example.com"));
        assert_eq!(r.context.as_deref(), Some("default"));
        assert_eq!(r.service_account_key, None);

        // OMNI_ENDPOINT overrides the context's URL; empty counts as unset.
        let r = resolve(Some(&cfg), None, &env_of(&[("OMNI_ENDPOINT", "https://o")])).unwrap();
        assert_eq!(r.url, "https://o");
        let r = resolve(Some(&cfg), None, &env_of(&[("OMNI_ENDPOINT", "")])).unwrap();
        assert_eq!(r.url, "https://omni.example.org");

        // Context override; unknown context.
        assert_eq!(
            resolve(Some(&cfg), Some("nope"), &env_of(&[]))
                .unwrap_err()
                .to_string(),
            "invalid argument: context not found: nope"
        );

        // No config at all: omnictl's default config.
        let r = resolve(None, None, &env_of(&[])).unwrap();
        assert_eq!(r.url, DEFAULT_URL);
        assert_eq!(r.context.as_deref(), Some("default"));

        // Placeholder: an error even with OMNI_ENDPOINT.
        let ph =
            OmniConfig::parse("contexts: {p: {url: <placeholder_url>}}\ncontext: p\n").unwrap();
        assert!(
            resolve(Some(&ph), None, &env_of(&[("OMNI_ENDPOINT", "https://o")]))
                .unwrap_err()
                .to_string()
                .contains("has not been configured")
        );
    }

    #[test]
    fn resolve_with_service_account() {
        let cfg = OmniConfig::parse(SERVER).unwrap();
        let env = env_of(&[
            ("OMNI_SERVICE_ACCOUNT_KEY", "b21uaQ=="),
            ("SIDERO_SERVICE_ACCOUNT_KEY", "c2lkZXJv"),
            ("OMNI_ENDPOINT", "https://sa.example.org"),
        ]);
        let r = resolve(Some(&cfg), None, &env).unwrap();
        assert_eq!(r.service_account_key.as_deref(), Some("c2lkZXJv"));
        assert_eq!(r.url, "https://sa.example.org");
        assert_eq!(r.identity, None);
        assert_eq!(r.context, None);
        let dbg = format!("{r:?}");
        assert!(
            dbg.contains("<redacted>") && !dbg.contains("c2lkZXJv"),
            "{dbg}"
        );

        let env = env_of(&[("OMNI_SERVICE_ACCOUNT_KEY", "b21uaQ==")]);
        let e = resolve(Some(&cfg), None, &env).unwrap_err().to_string();
        assert!(e.contains("OMNI_ENDPOINT is not set"), "{e}");
        let env = env_of(&[
            ("SIDERO_SERVICE_ACCOUNT_KEY", ""),
            ("OMNI_ENDPOINT", "https://o"),
        ]);
        let e = resolve(Some(&cfg), None, &env).unwrap_err().to_string();
        assert!(
            e.contains("SIDERO_SERVICE_ACCOUNT_KEY is set but empty"),
            "{e}"
        );
    }
}
