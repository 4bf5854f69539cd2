//! `omnictl kubeconfig --merge`: merging a downloaded kubeconfig into an existing one.
//!
//! omnictl loads both files with client-go's `clientcmd`, merges them with
//! `siderolabs/go-kubeconfig` (`Merger.Merge` with `ActivateContext`, the
//! `--force-context-name` value and a conflict handler that answers "overwrite" with `--force`
//! and "rename" otherwise, as it does when stdout is not a terminal) and writes the result
//! with `clientcmd.WriteToFile`. The rules reproduced here:
//!
//! 1. Clusters: an incoming cluster whose name exists with different content is renamed to
//!    the first free `<name>-N` (N = 1, 2, ...) — or overwrites it with `force`. Equal
//!    content is no conflict (the entry is simply written again).
//! 2. Users: every cluster rename is first applied to the user's name as a substring
//!    replacement (`strings.ReplaceAll`), then the same conflict rule runs against users.
//! 3. Contexts: every user rename is applied to the context's name the same way, then
//!    `force_context_name` (when set) replaces the name, then the conflict rule runs against
//!    contexts. The stored context's `cluster`/`user` point at the mapped names (a reference
//!    to an entry the incoming file lacks becomes empty, as upstream).
//! 4. Conflicts are decided against the existing file only; the current context becomes the
//!    (last) merged context. One line per rename is reported: `renamed cluster "a" -> "a-1"`,
//!    `renamed auth info ...`, `renamed context ...`.
//!
//! Output is written like client-go writes it: keys sorted, lists sorted by name, 2-space
//! indentation with unindented lists, `apiVersion: v1` / `kind: Config`, required fields filled
//! in (`server`, a context's `cluster`/`user`, an exec plugin's `command`/`args`/`env`/
//! `provideClusterInfo`, and `interactiveMode: IfAvailable` for v1beta1/v1alpha1 exec
//! plugins) and empty optional fields dropped. Unlike client-go, fields it does not know are
//! kept. Upstream iterates Go maps (random order); here entries are processed by name.

use std::collections::BTreeMap;

use super::yaml::{
    entries, node_to_y_json, parse_root, sort_keys, string_of, to_yaml_v2, y_get, y_remove, y_set,
    y_text,
};
use super::{MergeResult, Rename, RenameKind};
use crate::goyaml::emit::Y;
use crate::goyaml::node::{Node, NodeKind};
use crate::goyaml::scalar::go_quote;
use crate::Result;

const WHAT: &str = "kubeconfig";

/// Options of [`merge_kubeconfig`] (`omnictl kubeconfig` flags).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergeOptions {
    /// `--force-context-name`: store the incoming context(s) under this name.
    pub force_context_name: Option<String>,
    /// `--force`: overwrite conflicting entries instead of renaming the incoming ones.
    pub force: bool,
    /// Incoming entries (by section and incoming name) that overwrite a conflicting entry even
    /// without `force`: what a person answered "(o)verwrite" for at omnictl's prompt.
    pub overwrite: Vec<(RenameKind, String)>,
}

/// How a known field is written when empty.
#[derive(Clone, Copy)]
enum F {
    /// Always written; this value when absent.
    Required(fn() -> Y),
    /// Dropped when empty (`omitempty` string, bool, list or map).
    Omit,
    /// Dropped only when null (`omitempty` pointer).
    Ptr,
}

fn empty_str() -> Y {
    Y::Str(String::new())
}
fn null() -> Y {
    Y::Null
}
fn falsy() -> Y {
    Y::Bool(false)
}

const CLUSTER_FIELDS: &[(&str, F)] = &[
    ("server", F::Required(empty_str)),
    ("tls-server-name", F::Omit),
    ("insecure-skip-tls-verify", F::Omit),
    ("certificate-authority", F::Omit),
    ("certificate-authority-data", F::Omit),
    ("proxy-url", F::Omit),
    ("disable-compression", F::Omit),
    ("extensions", F::Omit),
];

const USER_FIELDS: &[(&str, F)] = &[
    ("client-certificate", F::Omit),
    ("client-certificate-data", F::Omit),
    ("client-key", F::Omit),
    ("client-key-data", F::Omit),
    ("token", F::Omit),
    ("tokenFile", F::Omit),
    ("as", F::Omit),
    ("as-uid", F::Omit),
    ("as-groups", F::Omit),
    ("as-user-extra", F::Omit),
    ("username", F::Omit),
    ("password", F::Omit),
    ("auth-provider", F::Ptr),
    ("exec", F::Ptr),
    ("extensions", F::Omit),
];

const CONTEXT_FIELDS: &[(&str, F)] = &[
    ("cluster", F::Required(empty_str)),
    ("user", F::Required(empty_str)),
    ("namespace", F::Omit),
    ("extensions", F::Omit),
];

const EXEC_FIELDS: &[(&str, F)] = &[
    ("command", F::Required(empty_str)),
    ("args", F::Required(null)),
    ("env", F::Required(null)),
    ("apiVersion", F::Omit),
    ("installHint", F::Omit),
    ("provideClusterInfo", F::Required(falsy)),
    ("interactiveMode", F::Omit),
];

const AUTH_PROVIDER_FIELDS: &[(&str, F)] = &[
    ("name", F::Required(empty_str)),
    ("config", F::Required(null)),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Clusters,
    Users,
    Contexts,
}

impl Section {
    fn key(self) -> &'static str {
        match self {
            Section::Clusters => "clusters",
            Section::Users => "users",
            Section::Contexts => "contexts",
        }
    }
    /// The key of the entry's body inside a named list item.
    fn body_key(self) -> &'static str {
        match self {
            Section::Clusters => "cluster",
            Section::Users => "user",
            Section::Contexts => "context",
        }
    }
    fn fields(self) -> &'static [(&'static str, F)] {
        match self {
            Section::Clusters => CLUSTER_FIELDS,
            Section::Users => USER_FIELDS,
            Section::Contexts => CONTEXT_FIELDS,
        }
    }
}

/// One named list item: its body (normalized) and any other keys of the item.
#[derive(Clone, Debug)]
struct Named {
    body: Y,
    extra: Vec<(String, Y)>,
}

#[derive(Clone, Debug, Default)]
struct Kube {
    /// Top-level keys other than the four handled ones, in file order.
    other: Vec<(String, Y)>,
    current: String,
    clusters: BTreeMap<String, Named>,
    users: BTreeMap<String, Named>,
    contexts: BTreeMap<String, Named>,
}

impl Kube {
    fn parse(text: &str, what: &str) -> Result<Kube> {
        let mut k = Kube::default();
        let Some(root) = parse_root(text, what)? else {
            return Ok(k);
        };
        for (key, v) in entries(&root, what, "the kubeconfig")? {
            match key.as_str() {
                "clusters" => k.clusters = parse_list(v, what, Section::Clusters)?,
                "users" => k.users = parse_list(v, what, Section::Users)?,
                "contexts" => k.contexts = parse_list(v, what, Section::Contexts)?,
                "current-context" => k.current = string_of(v, what, "current-context")?,
                _ => k.other.push((key, node_to_y_json(v))),
            }
        }
        Ok(k)
    }

    fn section(&self, s: Section) -> &BTreeMap<String, Named> {
        match s {
            Section::Clusters => &self.clusters,
            Section::Users => &self.users,
            Section::Contexts => &self.contexts,
        }
    }

    fn section_mut(&mut self, s: Section) -> &mut BTreeMap<String, Named> {
        match s {
            Section::Clusters => &mut self.clusters,
            Section::Users => &mut self.users,
            Section::Contexts => &mut self.contexts,
        }
    }

    fn to_text(&self) -> String {
        let mut top: Vec<(Y, Y)> = Vec::new();
        for (k, v) in &self.other {
            match k.as_str() {
                // Set by the encoder below.
                "apiVersion" | "kind" => {}
                // `omitzero` / `omitempty` in client-go's v1.Config.
                "preferences" | "extensions" if is_empty_deep(v) => {}
                _ => top.push((Y::Str(k.clone()), v.clone())),
            }
        }
        top.push((Y::Str("apiVersion".into()), Y::Str("v1".into())));
        top.push((Y::Str("kind".into()), Y::Str("Config".into())));
        top.push((
            Y::Str("current-context".into()),
            Y::Str(self.current.clone()),
        ));
        for s in [Section::Clusters, Section::Users, Section::Contexts] {
            let list = self.section(s);
            let v = if list.is_empty() {
                Y::Null
            } else {
                Y::Seq(
                    list.iter()
                        .map(|(name, n)| {
                            let mut item = vec![
                                (Y::Str("name".into()), Y::Str(name.clone())),
                                (Y::Str(s.body_key().into()), n.body.clone()),
                            ];
                            item.extend(
                                n.extra.iter().map(|(k, v)| (Y::Str(k.clone()), v.clone())),
                            );
                            Y::Map(item)
                        })
                        .collect(),
                )
            };
            top.push((Y::Str(s.key().into()), v));
        }
        let mut doc = Y::Map(top);
        sort_keys(&mut doc);
        to_yaml_v2(&doc)
    }
}

fn parse_list(n: &Node, what: &str, s: Section) -> Result<BTreeMap<String, Named>> {
    let mut out = BTreeMap::new();
    let items = match &n.kind {
        _ if n.is_null() => return Ok(out),
        NodeKind::Seq(items) => items,
        _ => {
            return Err(super::yaml::err_at(
                what,
                n.pos,
                format!("{} must be a list", s.key()),
            ))
        }
    };
    for item in items {
        let mut name = String::new();
        let mut body = Y::Map(Vec::new());
        let mut extra = Vec::new();
        for (k, v) in entries(item, what, &format!("an item of {}", s.key()))? {
            if k == "name" {
                name = string_of(v, what, "name")?;
            } else if k == s.body_key() {
                if !v.is_null() && !matches!(v.kind, NodeKind::Map(_)) {
                    return Err(super::yaml::err_at(
                        what,
                        v.pos,
                        format!("{} must be a mapping", s.body_key()),
                    ));
                }
                body = node_to_y_json(v);
                if body == Y::Null {
                    body = Y::Map(Vec::new());
                }
            } else {
                extra.push((k, node_to_y_json(v)));
            }
        }
        if out.contains_key(&name) {
            return Err(super::yaml::err_at(
                what,
                item.pos,
                format!("duplicate name {} in {}", go_quote(&name), s.key()),
            ));
        }
        normalize_body(&mut body, s);
        out.insert(name, Named { body, extra });
    }
    Ok(out)
}

/// Null, `false`, `""` or an empty collection: what `omitempty` drops.
fn is_empty(y: &Y) -> bool {
    match y {
        Y::Null => true,
        Y::Bool(b) => !b,
        Y::Str(s) | Y::Raw(s) => s.is_empty(),
        Y::Seq(v) => v.is_empty(),
        Y::Map(v) => v.is_empty(),
        _ => false,
    }
}

/// A mapping whose values are all empty (a zero struct) or an empty value.
fn is_empty_deep(y: &Y) -> bool {
    match y {
        Y::Map(e) => e.iter().all(|(_, v)| is_empty_deep(v)),
        other => is_empty(other),
    }
}

fn apply_fields(m: &mut Y, fields: &[(&str, F)]) {
    if !matches!(m, Y::Map(_)) {
        return;
    }
    for (name, f) in fields {
        let cur = y_get(m, name);
        match f {
            F::Required(default) => {
                if cur.is_none() {
                    y_set(m, name, default());
                }
            }
            F::Omit => {
                if cur.is_some_and(is_empty) {
                    y_remove(m, name);
                }
            }
            F::Ptr => {
                if cur == Some(&Y::Null) {
                    y_remove(m, name);
                }
            }
        }
    }
}

/// Fills in required fields, drops empty optional ones and applies client-go's defaults.
fn normalize_body(body: &mut Y, s: Section) {
    apply_fields(body, s.fields());
    if s != Section::Users {
        return;
    }
    if let Y::Map(e) = body {
        for (k, v) in e.iter_mut() {
            match y_text(k) {
                Some("exec") if matches!(v, Y::Map(_)) => {
                    apply_fields(v, EXEC_FIELDS);
                    let beta = matches!(
                        y_get(v, "apiVersion").and_then(y_text),
                        Some("client.authentication.k8s.io/v1beta1")
                            | Some("client.authentication.k8s.io/v1alpha1")
                    );
                    if beta && y_get(v, "interactiveMode").is_none() {
                        y_set(v, "interactiveMode", Y::Str("IfAvailable".into()));
                    }
                }
                Some("auth-provider") if matches!(v, Y::Map(_)) => {
                    apply_fields(v, AUTH_PROVIDER_FIELDS)
                }
                _ => {}
            }
        }
    }
}

/// The comparable part of a body: known fields only (client-go drops the rest), scalars by
/// text, empty values gone. Mirrors `reflect.DeepEqual` on client-go's structs.
fn known_view(body: &Y, s: Section) -> Vec<(String, Y)> {
    let mut out: Vec<(String, Y)> = Vec::new();
    for (name, _) in s.fields() {
        if let Some(v) = y_get(body, name) {
            let v = match *name {
                "exec" => Y::Map(
                    EXEC_FIELDS
                        .iter()
                        .filter_map(|(f, _)| y_get(v, f).map(|x| (Y::Str((*f).into()), canon(x))))
                        .collect(),
                ),
                _ => canon(v),
            };
            if !is_empty(&v) {
                out.push(((*name).to_string(), v));
            }
        }
    }
    out
}

fn canon(y: &Y) -> Y {
    match y {
        Y::Raw(s) => Y::Str(s.clone()),
        Y::Seq(v) => Y::Seq(v.iter().map(canon).collect()),
        Y::Map(e) => {
            let mut e: Vec<(Y, Y)> = e
                .iter()
                .map(|(k, v)| (canon(k), canon(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect();
            crate::order::sort_with(&mut e, |a, b| y_text(&a.0).cmp(&y_text(&b.0)));
            Y::Map(e)
        }
        other => other.clone(),
    }
}

fn same(old: &Named, new: &Named, s: Section) -> bool {
    known_view(&old.body, s) == known_view(&new.body, s)
}

/// The first free `<name>-N` among the existing entries (go-kubeconfig's `rename`).
fn free_name(existing: &BTreeMap<String, Named>, name: &str) -> String {
    let mut candidate = name.to_string();
    let mut i = 0u64;
    while existing.contains_key(&candidate) {
        i += 1;
        candidate = format!("{name}-{i}");
    }
    candidate
}

/// Decides the stored name of every incoming entry of one section (phase 1 of the merge).
fn map_names(
    existing: &Kube,
    incoming: &Kube,
    s: Section,
    replacements: &BTreeMap<String, String>,
    forced: Option<&str>,
    overwrite: &dyn Fn(&str) -> bool,
) -> BTreeMap<String, String> {
    let mut mapped = BTreeMap::new();
    for (name, new) in incoming.section(s) {
        let mut merged = name.clone();
        for (from, to) in replacements {
            if from != to {
                merged = merged.replace(from.as_str(), to);
            }
        }
        if let Some(f) = forced {
            merged = f.to_string();
        }
        if let Some(old) = existing.section(s).get(&merged) {
            if !overwrite(name) && !same(old, new, s) {
                merged = free_name(existing.section(s), &merged);
            }
        }
        mapped.insert(name.clone(), merged);
    }
    mapped
}

/// Merges `incoming` (a kubeconfig from `ManagementService.Kubeconfig`) into `existing`
/// (the current file's text; empty = no file) the way `omnictl kubeconfig --merge` does; see
/// the module documentation for the rules.
///
/// An empty `existing` yields `incoming` unchanged — unless `force_context_name` is set, then
/// the incoming file is written client-go style with the context renamed (what omnictl does
/// when the target file does not exist).
pub fn merge_kubeconfig(
    existing: &str,
    incoming: &str,
    opts: &MergeOptions,
) -> Result<MergeResult> {
    let new = Kube::parse(incoming, "incoming kubeconfig")?;
    let forced = opts.force_context_name.as_deref().filter(|s| !s.is_empty());
    if existing.trim().is_empty() && forced.is_none() {
        return Ok(MergeResult {
            text: incoming.to_string(),
            context: new.current.clone(),
            renamed: Vec::new(),
        });
    }
    let mut cur = Kube::parse(existing, WHAT)?;

    let no_replacements = BTreeMap::new();
    let overwrite = |kind: RenameKind| {
        move |name: &str| opts.force || opts.overwrite.iter().any(|(k, n)| *k == kind && n == name)
    };
    let clusters = map_names(
        &cur,
        &new,
        Section::Clusters,
        &no_replacements,
        None,
        &overwrite(RenameKind::Cluster),
    );
    let users = map_names(
        &cur,
        &new,
        Section::Users,
        &clusters,
        None,
        &overwrite(RenameKind::AuthInfo),
    );
    let contexts = map_names(
        &cur,
        &new,
        Section::Contexts,
        &users,
        forced,
        &overwrite(RenameKind::Context),
    );

    let mut renamed = Vec::new();
    for (s, mapping, kind, label) in [
        (Section::Clusters, &clusters, RenameKind::Cluster, "cluster"),
        (Section::Users, &users, RenameKind::AuthInfo, "auth info"),
        (Section::Contexts, &contexts, RenameKind::Context, "context"),
    ] {
        for (name, entry) in new.section(s) {
            let to = mapping.get(name).cloned().unwrap_or_else(|| name.clone());
            if &to != name {
                renamed.push(Rename {
                    kind,
                    from: name.clone(),
                    to: to.clone(),
                    message: format!("renamed {label} {} -> {}", go_quote(name), go_quote(&to)),
                });
            }
            let mut entry = entry.clone();
            if s == Section::Contexts {
                for (field, map) in [("cluster", &clusters), ("user", &users)] {
                    let target = y_get(&entry.body, field)
                        .and_then(y_text)
                        .and_then(|r| map.get(r))
                        .cloned()
                        .unwrap_or_default();
                    y_set(&mut entry.body, field, Y::Str(target));
                }
                cur.current = to.clone();
            }
            cur.section_mut(s).insert(to, entry);
        }
    }

    Ok(MergeResult {
        text: cur.to_text(),
        context: cur.current.clone(),
        renamed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Omni's OIDC kubeconfig (upstream `internal/backend/runtime/kubernetes/testdata`).
    const OMNI: &str = "apiVersion: v1
kind: Config
clusters:
  - cluster:
      server: https://localhost:8095
    name: default-cluster1
contexts:
  - context:
      cluster: default-cluster1
      namespace: default
      user: default-cluster1-test@example.com
    name: default-cluster1
current-context: default-cluster1
users:
- name: default-cluster1-test@example.com
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      args:
        - oidc-login
        - get-token
        - --oidc-issuer-url=http://localhost:8080/oidc
        - --oidc-client-id=native
        - --oidc-extra-scope=cluster:cluster1
      command: kubectl
      env: null
      interactiveMode: IfAvailable
      provideClusterInfo: false
";

    const OMNI_USERS: &str = "users:
- name: default-cluster1-test@example.com
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      args:
      - oidc-login
      - get-token
      - --oidc-issuer-url=http://localhost:8080/oidc
      - --oidc-client-id=native
      - --oidc-extra-scope=cluster:cluster1
      command: kubectl
      env: null
      interactiveMode: IfAvailable
      provideClusterInfo: false
";

    const EXISTING: &str = "apiVersion: v1
kind: Config
preferences: {}
clusters:
- name: kind
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: Q0E=
    insecure-skip-tls-verify: false
contexts:
- name: kind
  context: {cluster: kind, user: kind}
current-context: kind
users:
- name: kind
  user:
    token: abc
x-custom: keep me
";

    fn opts(force: bool, name: Option<&str>) -> MergeOptions {
        MergeOptions {
            force,
            force_context_name: name.map(str::to_string),
            overwrite: Vec::new(),
        }
    }

    #[test]
    fn merge_into_unrelated_file_adds_and_activates() {
        let r = merge_kubeconfig(EXISTING, OMNI, &MergeOptions::default()).unwrap();
        assert!(r.renamed.is_empty());
        assert_eq!(r.context, "default-cluster1");
        let want = format!(
            "apiVersion: v1
clusters:
- cluster:
    server: https://localhost:8095
  name: default-cluster1
- cluster:
    certificate-authority-data: Q0E=
    server: https://127.0.0.1:6443
  name: kind
contexts:
- context:
    cluster: default-cluster1
    namespace: default
    user: default-cluster1-test@example.com
  name: default-cluster1
- context:
    cluster: kind
    user: kind
  name: kind
current-context: default-cluster1
kind: Config
{}- name: kind
  user:
    token: abc
x-custom: keep me
",
            OMNI_USERS
        );
        assert_eq!(r.text, want);
    }

    #[test]
    fn merging_the_same_file_again_changes_nothing() {
        let once = merge_kubeconfig(EXISTING, OMNI, &MergeOptions::default()).unwrap();
        let twice = merge_kubeconfig(&once.text, OMNI, &MergeOptions::default()).unwrap();
        assert!(twice.renamed.is_empty(), "{:?}", twice.renamed);
        assert_eq!(twice.text, once.text);
    }

    #[test]
    fn changed_cluster_is_renamed_and_the_rename_propagates_by_substring() {
        let once = merge_kubeconfig(EXISTING, OMNI, &MergeOptions::default()).unwrap();
        let moved = OMNI.replace("https://localhost:8095", "https://other:8095");
        let r = merge_kubeconfig(&once.text, &moved, &MergeOptions::default()).unwrap();
        // The user is equal, but its name contains the renamed cluster's name: go-kubeconfig
        // applies the cluster rename to it by substring. The context name does not contain
        // the user's name, is equal to the existing one and is overwritten in place.
        assert_eq!(
            r.messages(),
            [
                "renamed cluster \"default-cluster1\" -> \"default-cluster1-1\"",
                "renamed auth info \"default-cluster1-test@example.com\" -> \"default-cluster1-1-test@example.com\"",
            ]
        );
        assert_eq!(r.context, "default-cluster1");
        assert!(r.text.contains(
            "- context:\n    cluster: default-cluster1-1\n    namespace: default\n    user: default-cluster1-1-test@example.com\n  name: default-cluster1\n"
        ));
        assert!(r
            .text
            .contains("- cluster:\n    server: https://other:8095\n  name: default-cluster1-1\n"));
        assert!(r.text.contains(
            "- cluster:\n    server: https://localhost:8095\n  name: default-cluster1\n"
        ));
    }

    #[test]
    fn force_overwrites_instead() {
        let once = merge_kubeconfig(EXISTING, OMNI, &MergeOptions::default()).unwrap();
        let moved = OMNI.replace("https://localhost:8095", "https://other:8095");
        let r = merge_kubeconfig(&once.text, &moved, &opts(true, None)).unwrap();
        assert!(r.renamed.is_empty());
        assert!(r.text.contains("server: https://other:8095"));
        assert!(!r.text.contains("https://localhost:8095"));
    }

    #[test]
    fn forced_context_name_and_context_conflicts() {
        // Upstream go-kubeconfig MergeRename: everything conflicts, everything gets "-1".
        let existing = "clusters:
- name: bar
  cluster: {server: example.com}
users:
- name: foo@bar
  user: {client-certificate: cert1}
contexts:
- name: foo@bar
  context: {cluster: bar, user: foo@bar}
current-context: foo@bar
";
        let incoming = existing
            .replace("example.com", "another.com")
            .replace("cert1", "cert2");
        let r = merge_kubeconfig(existing, &incoming, &MergeOptions::default()).unwrap();
        assert_eq!(
            r.renamed
                .iter()
                .map(|x| (x.kind, x.from.as_str(), x.to.as_str()))
                .collect::<Vec<_>>(),
            [
                (RenameKind::Cluster, "bar", "bar-1"),
                (RenameKind::AuthInfo, "foo@bar", "foo@bar-1"),
                (RenameKind::Context, "foo@bar", "foo@bar-1"),
            ]
        );
        assert_eq!(r.context, "foo@bar-1");
        assert!(r
            .text
            .contains("- context:\n    cluster: bar-1\n    user: foo@bar-1\n  name: foo@bar-1\n"));

        // With a forced name that is free: stored under it; the rename is reported.
        let r = merge_kubeconfig(existing, &incoming, &opts(false, Some("prod"))).unwrap();
        assert_eq!(r.context, "prod");
        assert_eq!(
            r.renamed.last().map(|x| x.message.as_str()),
            Some("renamed context \"foo@bar\" -> \"prod\"")
        );
        // A forced name that exists is compared with the incoming context as written (its
        // original references): equal here, so it is overwritten in place...
        let r = merge_kubeconfig(existing, &incoming, &opts(false, Some("foo@bar"))).unwrap();
        assert_eq!(r.context, "foo@bar");
        assert_eq!(r.renamed.len(), 2);
        // ... and with other content it gets "-1".
        let other = incoming.replace("user: foo@bar}", "user: foo@bar, namespace: x}");
        let r = merge_kubeconfig(existing, &other, &opts(false, Some("foo@bar"))).unwrap();
        assert_eq!(r.context, "foo@bar-1");
        // ... and with --force it overwrites.
        let r = merge_kubeconfig(existing, &incoming, &opts(true, Some("foo@bar"))).unwrap();
        assert_eq!(r.context, "foo@bar");
        assert!(r.renamed.is_empty());
        assert!(r.text.contains("server: another.com"));
        assert!(!r.text.contains("example.com"));
    }

    #[test]
    fn equal_entries_are_no_conflict() {
        // go-kubeconfig MergeEqual; extra unknown fields and defaults do not count.
        let existing = "clusters:
- name: bar
  cluster: {server: example.com, x-note: mine}
users:
- name: u
  user:
    exec: {command: kubectl, apiVersion: client.authentication.k8s.io/v1beta1}
contexts:
- name: c
  context: {cluster: bar, user: u, namespace: ''}
current-context: c
";
        let incoming = "clusters:
- name: bar
  cluster: {server: example.com, insecure-skip-tls-verify: false}
users:
- name: u
  user:
    exec: {command: kubectl, apiVersion: client.authentication.k8s.io/v1beta1, interactiveMode: IfAvailable, env: null}
contexts:
- name: c
  context: {cluster: bar, user: u}
";
        let r = merge_kubeconfig(existing, incoming, &MergeOptions::default()).unwrap();
        assert!(r.renamed.is_empty(), "{:?}", r.renamed);
        assert_eq!(
            r.text,
            "apiVersion: v1
clusters:
- cluster:
    server: example.com
  name: bar
contexts:
- context:
    cluster: bar
    user: u
  name: c
current-context: c
kind: Config
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args: null
      command: kubectl
      env: null
      interactiveMode: IfAvailable
      provideClusterInfo: false
"
        );
    }

    #[test]
    fn empty_existing_file() {
        let r = merge_kubeconfig("", OMNI, &MergeOptions::default()).unwrap();
        assert_eq!(r.text, OMNI);
        assert_eq!(r.context, "default-cluster1");
        assert!(r.renamed.is_empty());

        let r = merge_kubeconfig("  \n", OMNI, &opts(false, Some("omni-prod"))).unwrap();
        assert_eq!(r.context, "omni-prod");
        assert_eq!(
            r.messages(),
            ["renamed context \"default-cluster1\" -> \"omni-prod\""]
        );
        assert!(r
            .text
            .starts_with("apiVersion: v1\nclusters:\n- cluster:\n"));
        assert!(r.text.contains("current-context: omni-prod\n"));
        assert!(r.text.contains("  name: omni-prod\n"));
    }

    #[test]
    fn missing_user_reference_becomes_empty_like_upstream() {
        let incoming = "clusters:\n- name: c\n  cluster: {server: s}\ncontexts:\n- name: x\n  context: {cluster: c, user: nobody}\n";
        let r =
            merge_kubeconfig("current-context: ''\n", incoming, &MergeOptions::default()).unwrap();
        assert!(r
            .text
            .contains("- context:\n    cluster: c\n    user: \"\"\n  name: x\n"));
        assert!(r.text.contains("users: null\n"));
    }

    #[test]
    fn bad_input_is_reported_with_position() {
        let e = merge_kubeconfig("clusters: 5\n", OMNI, &MergeOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "invalid argument: kubeconfig: line 1, column 11: clusters must be a list"
        );
        let e = merge_kubeconfig(
            "clusters:\n- name: a\n- name: a\n",
            OMNI,
            &MergeOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("line 3") && e.contains("duplicate name \"a\""),
            "{e}"
        );
        let e = merge_kubeconfig(EXISTING, "users: [", &MergeOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid argument: incoming kubeconfig: line "),
            "{e}"
        );
    }
}
