//! `omnictl talosconfig --merge`: merging a downloaded talosconfig into an existing one.
//!
//! omnictl reads both with Talos' `pkg/machinery/client/config` and calls `Config.Merge`:
//! every incoming context whose name exists is stored as the first free `<name>-N`
//! (N = 1, 2, ...; no content comparison, no overwrite option), and when the incoming file
//! names a current context, the result's current context becomes that context's stored name
//! (empty when the incoming file's `context` names none of its contexts). Each rename is
//! printed as `renamed talosconfig context "a" -> "a-1"`. Reading moves the deprecated
//! `target` field into `endpoints`. The file is written with go-yaml v3 defaults (4-space
//! indentation); fields Talos does not know are kept.

use std::collections::BTreeMap;

use super::yaml::{entries, node_to_y, parse_root, string_of, strings_of, to_yaml_v3};
use super::{MergeResult, Rename, RenameKind};
use crate::goyaml::emit::Y;
use crate::goyaml::node::Node;
use crate::goyaml::scalar::go_quote;
use crate::goyaml::sort::natural_cmp;
use crate::Result;

type Extra = Vec<(String, Y)>;

#[derive(Clone, Debug, Default)]
struct Basic {
    username: String,
    password: String,
    extra: Extra,
}

#[derive(Clone, Debug, Default)]
struct SideroV1 {
    identity: String,
    extra: Extra,
}

#[derive(Clone, Debug, Default)]
struct Auth {
    basic: Option<Basic>,
    siderov1: Option<SideroV1>,
    extra: Extra,
}

#[derive(Clone, Debug, Default)]
struct Context {
    endpoints: Vec<String>,
    nodes: Vec<String>,
    ca: String,
    crt: String,
    key: String,
    auth: Auth,
    cluster: String,
    proxy_url: String,
    extra: Extra,
}

#[derive(Clone, Debug, Default)]
struct Talosconfig {
    context: String,
    contexts: BTreeMap<String, Context>,
    extra: Extra,
}

fn extra_y(extra: &Extra) -> impl Iterator<Item = (Y, Y)> + '_ {
    extra.iter().map(|(k, v)| (Y::Str(k.clone()), v.clone()))
}

fn s(v: &str) -> Y {
    Y::Str(v.to_string())
}

impl Context {
    fn parse(n: &Node, what: &str) -> Result<Context> {
        let mut c = Context::default();
        let mut target = String::new();
        for (k, v) in entries(n, what, "a context")? {
            match k.as_str() {
                "target" => target = string_of(v, what, "target")?,
                "endpoints" => c.endpoints = strings_of(v, what, "endpoints")?,
                "nodes" => c.nodes = strings_of(v, what, "nodes")?,
                "ca" => c.ca = string_of(v, what, "ca")?,
                "crt" => c.crt = string_of(v, what, "crt")?,
                "key" => c.key = string_of(v, what, "key")?,
                "cluster" => c.cluster = string_of(v, what, "cluster")?,
                "proxy-url" => c.proxy_url = string_of(v, what, "proxy-url")?,
                "auth" => c.auth = parse_auth(v, what)?,
                _ => c.extra.push((k, node_to_y(v))),
            }
        }
        // Talos' `upgrade()`: the deprecated single target becomes an endpoint.
        if !target.is_empty() {
            c.endpoints.push(target);
        }
        Ok(c)
    }

    fn to_y(&self) -> Y {
        let list = |v: &[String]| Y::Seq(v.iter().map(|x| s(x)).collect());
        let mut e = vec![(s("endpoints"), list(&self.endpoints))];
        if !self.nodes.is_empty() {
            e.push((s("nodes"), list(&self.nodes)));
        }
        for (k, v) in [("ca", &self.ca), ("crt", &self.crt), ("key", &self.key)] {
            if !v.is_empty() {
                e.push((s(k), s(v)));
            }
        }
        let a = &self.auth;
        if a.basic.is_some() || a.siderov1.is_some() || !a.extra.is_empty() {
            let mut ae = Vec::new();
            if let Some(b) = &a.basic {
                let mut be = vec![
                    (s("username"), s(&b.username)),
                    (s("password"), s(&b.password)),
                ];
                be.extend(extra_y(&b.extra));
                ae.push((s("basic"), Y::Map(be)));
            }
            if let Some(sv) = &a.siderov1 {
                let mut se = vec![(s("identity"), s(&sv.identity))];
                se.extend(extra_y(&sv.extra));
                ae.push((s("siderov1"), Y::Map(se)));
            }
            ae.extend(extra_y(&a.extra));
            e.push((s("auth"), Y::Map(ae)));
        }
        for (k, v) in [("cluster", &self.cluster), ("proxy-url", &self.proxy_url)] {
            if !v.is_empty() {
                e.push((s(k), s(v)));
            }
        }
        e.extend(extra_y(&self.extra));
        Y::Map(e)
    }
}

fn parse_auth(n: &Node, what: &str) -> Result<Auth> {
    let mut a = Auth::default();
    for (k, v) in entries(n, what, "auth")? {
        match k.as_str() {
            "basic" if v.is_null() => {}
            "basic" => {
                let mut b = Basic::default();
                for (bk, bv) in entries(v, what, "auth.basic")? {
                    match bk.as_str() {
                        "username" => b.username = string_of(bv, what, "username")?,
                        "password" => b.password = string_of(bv, what, "password")?,
                        _ => b.extra.push((bk, node_to_y(bv))),
                    }
                }
                a.basic = Some(b);
            }
            "siderov1" if v.is_null() => {}
            "siderov1" => {
                let mut sv = SideroV1::default();
                for (sk, svv) in entries(v, what, "auth.siderov1")? {
                    match sk.as_str() {
                        "identity" => sv.identity = string_of(svv, what, "identity")?,
                        _ => sv.extra.push((sk, node_to_y(svv))),
                    }
                }
                a.siderov1 = Some(sv);
            }
            _ => a.extra.push((k, node_to_y(v))),
        }
    }
    Ok(a)
}

impl Talosconfig {
    fn parse(text: &str, what: &str) -> Result<Talosconfig> {
        let mut t = Talosconfig::default();
        let Some(root) = parse_root(text, what)? else {
            return Ok(t);
        };
        for (k, v) in entries(&root, what, "the talosconfig")? {
            match k.as_str() {
                "context" => t.context = string_of(v, what, "context")?,
                "contexts" => {
                    for (name, c) in entries(v, what, "contexts")? {
                        t.contexts.insert(name, Context::parse(c, what)?);
                    }
                }
                _ => t.extra.push((k, node_to_y(v))),
            }
        }
        Ok(t)
    }

    fn to_text(&self) -> String {
        let mut contexts: Vec<(Y, Y)> = self
            .contexts
            .iter()
            .map(|(k, c)| (s(k), c.to_y()))
            .collect();
        crate::order::sort_with(&mut contexts, |a, b| natural_cmp(&a.0, &b.0));
        let mut top = vec![
            (s("context"), s(&self.context)),
            (s("contexts"), Y::Map(contexts)),
        ];
        top.extend(extra_y(&self.extra));
        to_yaml_v3(&Y::Map(top))
    }
}

/// Merges `incoming` (a talosconfig from `ManagementService.Talosconfig`) into `existing`
/// (the current file's text; empty = no file) the way `omnictl talosconfig --merge` does; see
/// the module documentation for the rules. An empty `existing` yields `incoming` unchanged.
pub fn merge_talosconfig(existing: &str, incoming: &str) -> Result<MergeResult> {
    let new = Talosconfig::parse(incoming, "incoming talosconfig")?;
    if existing.trim().is_empty() {
        return Ok(MergeResult {
            text: incoming.to_string(),
            context: new.context,
            renamed: Vec::new(),
        });
    }
    let mut cur = Talosconfig::parse(existing, "talosconfig")?;
    let mut mapped: BTreeMap<String, String> = BTreeMap::new();
    let mut renamed = Vec::new();
    for (name, ctx) in new.contexts {
        let mut merged = name.clone();
        let mut i = 0u64;
        while cur.contexts.contains_key(&merged) {
            i += 1;
            merged = format!("{name}-{i}");
        }
        if merged != name {
            renamed.push(Rename {
                kind: RenameKind::Context,
                message: format!(
                    "renamed talosconfig context {} -> {}",
                    go_quote(&name),
                    go_quote(&merged)
                ),
                from: name.clone(),
                to: merged.clone(),
            });
        }
        cur.contexts.insert(merged.clone(), ctx);
        mapped.insert(name, merged);
    }
    if !new.context.is_empty() {
        cur.context = mapped.get(&new.context).cloned().unwrap_or_default();
    }
    Ok(MergeResult {
        text: cur.to_text(),
        context: cur.context.clone(),
        renamed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of Omni's talosconfig for a cluster.
    const OMNI: &str = "context: default-talos
contexts:
    default-talos:
        endpoints:
            - https://omni.example.org
        auth:
            siderov1:
                identity: user@example.com
        cluster: talos
";

    const EXISTING: &str = "context: prod
contexts:
  prod:
    endpoints: [10.0.0.1, 10.0.0.2]
    nodes: [10.0.0.1]
    ca: Q0E=
    crt: Q1JU
    key: S0VZ
  old:
    target: 10.5.0.1
    x-note: kept
";

    #[test]
    fn merge_adds_context_and_switches_to_it() {
        let r = merge_talosconfig(EXISTING, OMNI).unwrap();
        assert!(r.renamed.is_empty());
        assert_eq!(r.context, "default-talos");
        assert_eq!(
            r.text,
            "context: default-talos
contexts:
    default-talos:
        endpoints:
            - https://omni.example.org
        auth:
            siderov1:
                identity: user@example.com
        cluster: talos
    old:
        endpoints:
            - 10.5.0.1
        x-note: kept
    prod:
        endpoints:
            - 10.0.0.1
            - 10.0.0.2
        nodes:
            - 10.0.0.1
        ca: Q0E=
        crt: Q1JU
        key: S0VZ
"
        );
    }

    #[test]
    fn conflicts_are_always_renamed() {
        // Talos TestConfigMerge/WithRename, then once more.
        let once = merge_talosconfig(EXISTING, OMNI).unwrap();
        let twice = merge_talosconfig(&once.text, OMNI).unwrap();
        assert_eq!(twice.context, "default-talos-1");
        assert_eq!(
            twice.messages(),
            ["renamed talosconfig context \"default-talos\" -> \"default-talos-1\""]
        );
        let thrice = merge_talosconfig(&twice.text, OMNI).unwrap();
        assert_eq!(thrice.context, "default-talos-2");
        assert_eq!(thrice.renamed[0].to, "default-talos-2");
    }

    #[test]
    fn incoming_without_current_context_keeps_the_existing_one() {
        // Talos TestConfigMerge/NoConflict.
        let incoming = "context: \"\"\ncontexts:\n  foo:\n    endpoints: [1.2.3.4]\n";
        let r = merge_talosconfig(EXISTING, incoming).unwrap();
        assert_eq!(r.context, "prod");
        // A current context that is not among the incoming contexts empties it (upstream).
        let incoming = "context: nope\ncontexts:\n  foo:\n    endpoints: [1.2.3.4]\n";
        let r = merge_talosconfig(EXISTING, incoming).unwrap();
        assert_eq!(r.context, "");
        assert!(r.text.starts_with("context: \"\"\n"));
    }

    #[test]
    fn empty_existing_and_errors() {
        let r = merge_talosconfig("", OMNI).unwrap();
        assert_eq!(r.text, OMNI);
        assert_eq!(r.context, "default-talos");
        let e = merge_talosconfig("contexts:\n  a:\n    endpoints: x\n", OMNI)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "invalid argument: talosconfig: line 3, column 16: endpoints must be a list of strings, not a scalar"
        );
        let e = merge_talosconfig("context: [", OMNI)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid argument: talosconfig: line 2, column 1: "),
            "{e}"
        );
    }
}
