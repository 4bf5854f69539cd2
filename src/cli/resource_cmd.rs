//! `omnictl get` and `omnictl delete` (upstream `client/pkg/omnictl/get.go`, `delete.go`,
//! `resources/destroy.go`, `output/*.go`).

use futures::StreamExt as _;

use super::args::{DeleteArgs, GetArgs};
use super::global::Global;
use super::{connect, Host};
use crate::client::{
    ListParams, OmniClient, Resources, WatchEventKind, WatchParams, WRITE_CONCURRENCY,
};
use crate::resource::{
    to_omnictl_json, to_omnictl_json_event, to_omnictl_yaml, to_table, JsonPathTemplate, Resource,
};
use crate::transport::CallOptions;
use crate::{Error, Result};

/// The output formats of `get -o` (`output.NewWriter`).
enum Format {
    Table,
    Yaml,
    Json,
    JsonPath(JsonPathTemplate),
}

fn format(o: &str) -> Result<Format> {
    match o {
        "table" => Ok(Format::Table),
        "yaml" => Ok(Format::Yaml),
        "json" => Ok(Format::Json),
        _ => match o.strip_prefix("jsonpath=") {
            Some(template) => Ok(Format::JsonPath(JsonPathTemplate::parse(template)?)),
            None => Err(Error::InvalidArgument(format!(
                "output format {o:?} is not supported"
            ))),
        },
    }
}

/// `createResourceRequest`'s checks (get, edit): an id excludes a selector and an id regexp.
pub(super) fn check_query(id: bool, selector: bool, id_regexp: bool) -> Result<()> {
    if id && selector {
        return Err(Error::InvalidArgument(
            "cannot specify both resource ID and selector".into(),
        ));
    }
    if id && id_regexp {
        return Err(Error::InvalidArgument(
            "cannot specify both resource ID and ID regexp".into(),
        ));
    }
    Ok(())
}

/// The handle of a type (resolved like omnictl: alias, plural, full name) in `namespace`, or
/// in the type's default namespace.
pub(super) async fn handle(
    client: &OmniClient,
    kind: &str,
    namespace: Option<&str>,
) -> Result<Resources> {
    let h = client.resources(kind).await?;
    Ok(match namespace.filter(|n| !n.is_empty()) {
        Some(ns) => h.in_namespace(ns),
        None => h,
    })
}

/// `omnictl get <type> [<id>] [-n] [-l] [--id-match-regexp] [-o] [-w]`.
pub(super) async fn get(g: &Global, a: GetArgs, host: &dyn Host) -> Result<()> {
    check_query(
        a.id.is_some(),
        a.selector.is_some(),
        a.id_match_regexp.is_some(),
    )?;
    let fmt = format(&a.output)?;
    let client = connect::client(g, host).await?;
    let h = handle(&client, &a.kind, a.namespace.as_deref()).await?;
    let registry = h.registry().clone();
    let def = registry.resolve(&a.kind).ok();
    let params = ListParams {
        selectors: a.selector.into_iter().collect(),
        id_regexp: a.id_match_regexp,
    };
    let call = CallOptions::default();
    if a.watch {
        let mut stream = h.watch(
            WatchParams {
                id: a.id,
                list: params,
                bootstrap: true,
                ..WatchParams::default()
            },
            call,
        );
        let mut first = true;
        if matches!(fmt, Format::Table) {
            let header = to_table(&[], def)?;
            host.stdout(&format!("*   {header}"));
        }
        while let Some(ev) = stream.next().await {
            let ev = ev?;
            let (label, word) = match ev.kind {
                WatchEventKind::Created => ("+", "created"),
                WatchEventKind::Updated => (" ", "updated"),
                WatchEventKind::Destroyed => ("-", "destroyed"),
                WatchEventKind::Bootstrapped | WatchEventKind::Resync => continue,
            };
            let Some(r) = ev.resource else { continue };
            let one = std::slice::from_ref(&r);
            match fmt {
                Format::Table => {
                    let table = to_table(one, def)?;
                    let row = table.lines().nth(1).unwrap_or_default();
                    host.stdout(&format!("{label}   {row}\n"));
                }
                Format::Yaml => {
                    if !first {
                        host.stdout("---\n");
                    }
                    host.stdout(&format!("event: {word}\n{}", to_omnictl_yaml(one)?));
                }
                Format::Json => host.stdout(&to_omnictl_json_event(one, Some(word))?),
                Format::JsonPath(ref t) => host.stdout(&t.render_event(one, Some(word))?),
            }
            first = false;
        }
        return Ok(());
    }
    let items: Vec<Resource> = match &a.id {
        Some(id) => vec![h.get(id, &call).await?],
        None => h.list(&params, &call).await?,
    };
    host.stdout(&match fmt {
        Format::Table => to_table(&items, def)?,
        Format::Yaml => to_omnictl_yaml(&items)?,
        Format::Json => to_omnictl_json(&items)?,
        Format::JsonPath(t) => t.render(&items)?,
    });
    Ok(())
}

/// `omnictl delete <type> [<id>...] [-n] [--all | -l]`: every id (or every listed resource)
/// torn down and destroyed, `destroyed <type> <id>` on stderr for each; ids that do not exist
/// are skipped silently; the first failure is the command's error.
pub(super) async fn delete(g: &Global, a: DeleteArgs, host: &dyn Host) -> Result<()> {
    if a.ids.is_empty() && !a.all && a.selector.is_none() {
        return Err(Error::InvalidArgument(
            "either resource ID or one of --all or --selector flags must be specified".into(),
        ));
    }
    let client = connect::client(g, host).await?;
    let h = handle(&client, &a.kind, a.namespace.as_deref()).await?;
    let call = CallOptions::default();
    let ids = if a.ids.is_empty() {
        let params = ListParams {
            selectors: a.selector.into_iter().collect(),
            id_regexp: None,
        };
        h.list(&params, &call)
            .await?
            .into_iter()
            .map(|r| r.metadata.id)
            .collect()
    } else {
        a.ids
    };
    let mut first_error = None;
    for outcome in h.delete_each(&ids, WRITE_CONCURRENCY, &call).await {
        match outcome {
            Ok(d) if d.destroyed => {
                host.stderr(&format!("destroyed {} {}\n", h.type_name(), d.id));
            }
            Ok(_) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}
