//! `omnictl config ...` (upstream `client/pkg/omnictl/config.go`, `config/config.go`): the
//! omniconfig file, edited in place — every other context and unknown field is kept.

use super::args::ConfigCommand;
use super::global::Global;
use super::paths::omniconfig_path;
use super::Host;
use crate::config::OmniConfig;
use crate::{Error, Result};

/// `config.Init(path, create)`: the omniconfig at `path`; when it does not exist, an error
/// (as Go's `open PATH: no such file or directory`) unless `create`, which writes the default
/// one (context `default`, `grpc://127.0.0.1:8080`).
pub(super) fn load(path: &str, create: bool, host: &dyn Host) -> Result<OmniConfig> {
    match host.read_file(path)? {
        Some(text) => OmniConfig::parse(&text)
            .map_err(|e| Error::InvalidArgument(format!("{path}: {}", e.reason()))),
        None if create => {
            let cfg = OmniConfig::new_default();
            save(path, &cfg, host)?;
            Ok(cfg)
        }
        None => Err(Error::InvalidArgument(format!(
            "open {path}: no such file or directory"
        ))),
    }
}

fn save(path: &str, cfg: &OmniConfig, host: &dyn Host) -> Result<()> {
    host.write_file(path, &cfg.to_yaml(), 0o600)
}

pub(super) fn run(g: &Global, cmd: ConfigCommand, host: &dyn Host) -> Result<()> {
    let context = g.context.as_deref().filter(|c| !c.is_empty());
    let path = || omniconfig_path(g.omniconfig.as_deref(), host);
    match cmd {
        ConfigCommand::Url { url } => {
            let p = path()?;
            let mut cfg = load(&p, false, host)?;
            cfg.set_url(context, &url)?;
            save(&p, &cfg, host)
        }
        ConfigCommand::Identity { identity } => {
            let p = path()?;
            let mut cfg = load(&p, false, host)?;
            cfg.set_identity(context, &identity)?;
            save(&p, &cfg, host)
        }
        ConfigCommand::Context { name } => {
            let p = path()?;
            let mut cfg = load(&p, false, host)?;
            cfg.use_context(&name);
            save(&p, &cfg, host)
        }
        ConfigCommand::Add {
            name,
            url,
            identity,
        } => {
            let p = path()?;
            let mut cfg = load(&p, true, host)?;
            cfg.add(&name, Some(&url), Some(&identity))?;
            save(&p, &cfg, host)
        }
        ConfigCommand::Contexts => {
            let cfg = load(&path()?, false, host)?;
            let mut rows = vec![["CURRENT".to_string(), "NAME".into(), "URL".into()]];
            for (name, ctx) in &cfg.contexts {
                let current = if *name == cfg.context { "*" } else { "" };
                rows.push([current.into(), name.clone(), ctx.url.clone()]);
            }
            host.stdout(&crate::resource::tabwrite(&rows));
            Ok(())
        }
        ConfigCommand::Merge { from } => {
            let p = path()?;
            let mut cfg = load(&p, true, host)?;
            let other = load(&from, false, host)?;
            for r in cfg.merge(&other) {
                host.stdout(&format!("{}\n", r.message));
            }
            save(&p, &cfg, host)
        }
        ConfigCommand::New {
            path: target,
            url,
            identity,
        } => {
            // upstream: `config.Init(<path argument>, true)` — the file at the path argument
            // (not --omniconfig), else the default one; only its selected context changes
            let p = match target {
                Some(t) if !t.is_empty() => t,
                _ => omniconfig_path(None, host)?,
            };
            let mut cfg = load(&p, true, host)?;
            cfg.set_url(context, &url)?;
            cfg.set_identity(context, &identity)?;
            save(&p, &cfg, host)
        }
        ConfigCommand::Info => {
            let cfg = load(&path()?, false, host)?;
            let name = context.unwrap_or(&cfg.context);
            let ctx = cfg.context(name)?;
            host.stdout(&format!(
                "Current context: {}\nURL:             {}\nIdentity:        {}\n",
                cfg.context,
                ctx.url,
                ctx.identity.as_deref().unwrap_or_default()
            ));
            Ok(())
        }
    }
}
