//! Config-patch content validation (templates.md 5.9), as upstream `omni.ValidateConfigPatch`:
//!
//! 1. Talos' config loader (`configloader.NewFromBytes(…, WithAllowPatchDelete())`): documents
//!    told apart by `kind`/`apiVersion`, each decoded into its Go type (go-yaml's decoding rules
//!    for scalars, maps and sequences), then every mapping key checked against the type's fields
//!    (siderolabs/gen `xyaml.CheckUnknownKeys`). The Go types are data here: the structure in
//!    `data/talos/config.schema.json`, generated from the Talos machinery Omni links (its README
//!    says which and how). Types with their own decoders take any value, as the server's
//!    decoders decide.
//! 2. Omni's forbidden content (documents, fields and list elements Omni controls): exact.

use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::error::multi;
use crate::goyaml::emit::{node_to_y, to_yaml, Merges, Y};
use crate::goyaml::node::{parse_stream, Node, NodeKind, Pos, STag};
use crate::goyaml::scalar::{go_bool, go_quote, parse_float, parse_go_int};
use crate::goyaml::sort::natural_cmp;

/// The structure of every Talos machine-config document (data/talos/README.md).
const STRUCTURE: &str = include_str!("../../data/talos/config.schema.json");

/// The parsed structure: `$defs` (Go types by `package.Name`) and `x-documents`
/// (`kind/apiVersion` → type; the legacy document is `v1alpha1/`).
struct Types {
    defs: Map<String, Value>,
    documents: Map<String, Value>,
}

fn types() -> Result<&'static Types, String> {
    static CELL: OnceLock<Option<Types>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut v: Value = serde_json::from_str(STRUCTURE).ok()?;
        let defs = match v.get_mut("$defs")?.take() {
            Value::Object(m) => m,
            _ => return None,
        };
        let documents = match v.get_mut("x-documents")?.take() {
            Value::Object(m) => m,
            _ => return None,
        };
        Some(Types { defs, documents })
    })
    .as_ref()
    .ok_or_else(|| "the Talos config structure is unreadable".to_string())
}

/// A schema node with the Go type name it stands for (for decode error texts).
#[derive(Clone, Copy)]
struct Ty<'a> {
    schema: &'a Value,
    name: &'a str,
}

static ANY: Value = Value::Null;

impl<'a> Ty<'a> {
    /// Anything goes (a field without a type of its own, `any`, a map's values).
    fn any() -> Ty<'a> {
        Ty {
            schema: &ANY,
            name: "",
        }
    }
}

impl Types {
    /// The Go type of a document, or the registry's "not registered" error.
    fn document(&self, kind: &str, version: &str) -> Result<Ty<'_>, String> {
        let key = format!("{kind}/{version}");
        let name = self
            .documents
            .get(&key)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{} {}: not registered", go_quote(kind), go_quote(version)))?;
        Ok(self.def(name).unwrap_or_else(Ty::any))
    }

    /// The Go type `package.Name`.
    fn def(&self, name: &str) -> Option<Ty<'_>> {
        let (key, schema) = self.defs.get_key_value(name)?;
        Some(Ty { schema, name: key })
    }

    /// Follows a `$ref`; `None` when `s` is not a reference.
    fn resolve(&self, s: &Value) -> Option<Ty<'_>> {
        let target = s.get("$ref")?.as_str()?;
        self.def(target.strip_prefix("#/$defs/")?)
    }

    /// The child type at `s`'s keyword (`items`, `additionalProperties`, a property).
    fn child<'a>(&'a self, s: &'a Value) -> Ty<'a> {
        self.resolve(s).unwrap_or(Ty {
            schema: s,
            name: "",
        })
    }

    /// The type a mapping's value under `key` decodes into: `None` for a key the struct lacks.
    fn field<'a>(&'a self, s: &'a Value, key: &str) -> Option<Ty<'a>> {
        if let Some(p) = s.get("properties").and_then(|p| p.get(key)) {
            return Some(self.child(p));
        }
        match s.get("additionalProperties") {
            Some(Value::Bool(false)) => None,
            Some(a @ Value::Object(_)) => Some(self.child(a)),
            _ => Some(Ty::any()),
        }
    }
}

/// Whether a schema is a struct: its keys are checked.
fn is_struct(s: &Value) -> bool {
    s.get("additionalProperties") == Some(&Value::Bool(false))
}

fn schema_type(s: &Value) -> Option<&str> {
    if s.get("oneOf").is_some() {
        return None; // unions (string-or-list arguments, port-or-range) decide for themselves
    }
    s.get("type").and_then(Value::as_str)
}

/// The Go name of a type, for go-yaml's "cannot construct … into T".
fn go_name(t: Ty<'_>, types: &Types) -> String {
    if !t.name.is_empty() {
        return t.name.to_string();
    }
    match schema_type(t.schema) {
        Some("string") => "string".into(),
        Some("boolean") => "bool".into(),
        Some("integer") => "int".into(),
        Some("number") => "float64".into(),
        Some("array") => match t.schema.get("items") {
            Some(i) => format!("[]{}", go_name(types.child(i), types)),
            None => "[]interface {}".into(),
        },
        Some("object") => match t.schema.get("additionalProperties") {
            Some(a @ Value::Object(_)) => format!("map[string]{}", go_name(types.child(a), types)),
            _ => "map[string]interface {}".into(),
        },
        _ => "interface {}".into(),
    }
}

/// go-yaml's `%q`-free rendering of a value in a construct error: up to 10 bytes, else 7 and `...`.
fn shown(value: &str) -> String {
    if value.len() > 10 {
        let mut end = 7;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        format!(" `{}...`", &value[..end])
    } else {
        format!(" `{value}`")
    }
}

/// `$patch: delete` marks a node the loader removes before decoding.
fn is_delete(n: &Node) -> bool {
    match &n.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .any(|(k, v)| k.scalar() == Some("$patch") && v.scalar() == Some("delete")),
        _ => false,
    }
}

/// go-yaml's decoding of `n` into type `t`: its construct errors with their nodes' positions,
/// in document order.
fn decode(types: &Types, n: &Node, t: Ty<'_>, errors: &mut Vec<(String, Pos)>) {
    if n.is_null() || is_delete(n) {
        return;
    }
    let want = schema_type(t.schema);
    let mismatch = |errors: &mut Vec<(String, Pos)>, value: String| {
        let text = format!(
            "line {}: cannot construct {}{value} into {}",
            n.pos.line,
            n.tag(),
            go_name(t, types)
        );
        errors.push((text, n.pos));
    };
    match &n.kind {
        NodeKind::Map(_) => {
            if want.is_some_and(|w| w != "object") {
                return mismatch(errors, String::new());
            }
            for (k, v) in n.map_entries().unwrap_or_default() {
                let key = k.scalar().unwrap_or("");
                if let Some(child) = types.field(t.schema, key) {
                    decode(types, v, child, errors);
                }
            }
        }
        NodeKind::Seq(items) => {
            if want.is_some_and(|w| w != "array") {
                return mismatch(errors, String::new());
            }
            if let Some(item) = t.schema.get("items").map(|i| types.child(i)) {
                for it in items {
                    decode(types, it, item, errors);
                }
            }
        }
        NodeKind::Scalar { value, tag, .. } => {
            let ok = match want {
                None | Some("string") => true,
                Some("boolean") => go_bool(value, *tag).is_some(),
                Some("integer") => match tag {
                    STag::Int => parse_go_int(value).is_some(),
                    STag::Float => {
                        parse_float(value).is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                    }
                    _ => false,
                },
                Some("number") => matches!(tag, STag::Int | STag::Float),
                Some(_) => false,
            };
            if !ok {
                mismatch(errors, shown(value));
            }
        }
    }
}

/// xyaml's unknown-keys check of `n` against type `t`: the offending keys with their values
/// (original nodes), nested as the document nests them; `None` when every key is known. `first`
/// gets the position of the first unknown key in the document.
fn unknown(types: &Types, n: &Node, t: Ty<'_>, first: &mut Option<Pos>) -> Option<Y> {
    if is_delete(n) {
        return None;
    }
    match &n.kind {
        NodeKind::Map(entries) => {
            let mut out: Vec<(Y, Y)> = Vec::new();
            let strict = is_struct(t.schema);
            for (k, v) in entries {
                let key = k.scalar().unwrap_or("");
                match types.field(t.schema, key) {
                    None if strict => {
                        first.get_or_insert(k.pos);
                        out.push((Y::str(key), node_to_y(v, Merges::Keep)));
                    }
                    None => {}
                    Some(child) => {
                        if let Some(inner) = unknown(types, v, child, first) {
                            out.push((Y::str(key), inner));
                        }
                    }
                }
            }
            if out.is_empty() {
                return None;
            }
            crate::order::sort_with(&mut out, |a, b| natural_cmp(&a.0, &b.0));
            Some(Y::Map(out))
        }
        NodeKind::Seq(items) => {
            let item = types.child(t.schema.get("items")?);
            let found: Vec<Y> = items
                .iter()
                .filter_map(|it| unknown(types, it, item, first))
                .collect();
            (!found.is_empty()).then_some(Y::Seq(found))
        }
        NodeKind::Scalar { .. } => None,
    }
}

/// Talos' loader on one document: decode errors first, then unknown keys. The legacy document
/// is registered as kind `v1alpha1` without a version; its `kind` in texts is empty.
fn load_document(
    types: &Types,
    root: &Node,
    kind: &str,
    version: &str,
) -> Result<(), (String, Pos)> {
    let t = if kind.is_empty() {
        types.document("v1alpha1", "")
    } else {
        types.document(kind, version)
    }
    .map_err(|e| (e, root.pos))?;
    let mut errors = Vec::new();
    decode(types, root, t, &mut errors);
    if let Some((_, pos)) = errors.first() {
        let texts: Vec<&str> = errors.iter().map(|(t, _)| t.as_str()).collect();
        return Err((
            format!(
                "error decoding {kind} to *{}: yaml: construct errors: {}",
                t.name,
                texts.join("; ")
            ),
            *pos,
        ));
    }
    let mut first = None;
    if let Some(bad) = unknown(types, root, t, &mut first) {
        return Err((
            format!("unknown keys found during decoding:\n{}", to_yaml(&bad, 4)),
            first.unwrap_or(root.pos),
        ));
    }
    Ok(())
}

const FORBIDDEN_KINDS: &[&str] = &[
    "UnattendedInstallConfig",
    "DiscoveryIdentityConfig",
    "KubeClusterConfig",
    "KubeEtcdEncryptionConfig",
    "KubeAPIServerCAConfig",
    "KubeAggregatorCAConfig",
];

const FORBIDDEN_PATHS: &[&str] = &[
    "cluster.clusterName",
    "cluster.id",
    "cluster.controlPlane.endpoint",
    "cluster.token",
    "cluster.secret",
    "cluster.aescbcEncryptionSecret",
    "cluster.secretboxEncryptionSecret",
    "cluster.ca",
    "cluster.acceptedCAs",
    "cluster.serviceAccount",
    "machine.token",
    "machine.ca",
    "machine.type",
    "machine.install.disk",
    "machine.install.extensions",
    "machine.acceptedCAs",
];

fn get_path<'a>(n: &'a Node, path: &str) -> Option<&'a Node> {
    path.split('.').try_fold(n, |cur, part| cur.get(part))
}

/// Validates patch bytes; returns upstream's error text on failure.
pub(crate) fn validate_patch(content: &str) -> Result<(), String> {
    check_patch(content).map_err(|p| p.message)
}

/// Why a config patch is refused: upstream's text, the document (0-based, in the patch's stream)
/// and the position in the patch text of what is wrong (the first unknown key, the value that
/// does not decode, or the document).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PatchProblem {
    pub message: String,
    pub document: Option<usize>,
    pub pos: Option<Pos>,
}

fn problem(message: String, document: Option<usize>, pos: Option<Pos>) -> PatchProblem {
    PatchProblem {
        message,
        document,
        pos,
    }
}

/// [`validate_patch`] with where the problem is.
pub(crate) fn check_patch(content: &str) -> Result<(), PatchProblem> {
    let docs = parse_stream(content).map_err(|e| problem(e.message, None, Some(e.pos)))?;
    let roots: Vec<&Node> = docs.iter().map(|d| &d.root).collect();
    check_documents(&roots)
}

/// Where in a template an inline patch's problem is: the same check run on the patch as written
/// (a mapping, or a list of them), whose positions are the template's. `None` when it finds
/// nothing there (the check of the encoded text decides; this only places it).
pub(crate) fn locate_inline(inline: &Node) -> Option<Pos> {
    let roots: Vec<&Node> = match &inline.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        _ => vec![inline],
    };
    check_documents(&roots).err()?.pos
}

/// The loader and Omni's rules over parsed documents.
fn check_documents(docs: &[&Node]) -> Result<(), PatchProblem> {
    let types = types().map_err(|e| problem(e, None, None))?;
    let mut seen: Vec<(String, String, String)> = Vec::new();
    let mut count = 0;
    let mut kinds: Vec<(usize, Option<String>, &Node)> = Vec::new();
    for (index, root) in docs.iter().copied().enumerate() {
        if is_delete(root) {
            count += 1; // the loader keeps a delete selector for it
            continue;
        }
        if root.is_null() {
            continue;
        }
        let line = root.pos.line;
        if !matches!(root.kind, NodeKind::Map(_)) {
            return Err(problem(
                format!("expected a YAML document at line {line}"),
                Some(index),
                Some(root.pos),
            ));
        }
        count += 1;
        let value = |key: &str| root.get(key).and_then(Node::scalar).map(str::to_string);
        let kind = value("kind");
        let api = value("apiVersion");
        let name = value("name").unwrap_or_default();
        let id_api = api.clone().unwrap_or_default();
        let id_kind = kind.clone().unwrap_or_else(|| "v1alpha1".into());
        let id = (id_api.clone(), id_kind.clone(), name.clone());
        if seen.contains(&id) {
            return Err(problem(
                format!(
                    "duplicate document {id_api}/{id_kind}/{name} is not allowed (line {line})"
                ),
                Some(index),
                Some(root.pos),
            ));
        }
        seen.push(id);
        let mut version = api.clone().unwrap_or_default();
        if ["machine", "cluster", "debug", "persist"]
            .iter()
            .any(|k| root.get(k).is_some())
        {
            version = "v1alpha1".into();
        }
        let loaded = match kind.as_deref() {
            None if version == "v1alpha1" => load_document(types, root, "", "v1alpha1"),
            None => Err(("missing kind".to_string(), root.pos)),
            Some(_) if version.is_empty() => Err(("missing apiVersion".to_string(), root.pos)),
            Some(k) => load_document(types, root, k, &version),
        };
        if let Err((e, pos)) = loaded {
            return Err(problem(
                format!("error decoding document {id_api}/{id_kind}/{name} (line {line}): {e}"),
                Some(index),
                Some(pos),
            ));
        }
        kinds.push((index, kind, root));
    }
    if count == 0 {
        return Err(problem("config not found".into(), None, None));
    }
    let mut errs: Vec<String> = Vec::new();
    let mut first: Option<(usize, Pos)> = None;
    for (index, kind, root) in kinds {
        let before = errs.len();
        let mut at = root.pos;
        match kind.as_deref() {
            Some(k) if FORBIDDEN_KINDS.contains(&k) => {
                errs.push(format!(
                    "the \"{k}\" document is not allowed in the config patch"
                ));
            }
            None => {
                for p in FORBIDDEN_PATHS {
                    if let Some(n) = get_path(root, p) {
                        if errs.len() == before {
                            at = n.pos;
                        }
                        errs.push(format!(
                            "overriding \"{p}\" is not allowed in the config patch"
                        ));
                    }
                }
                os_admin(
                    root,
                    "machine.features.kubernetesTalosAPIAccess.allowedRoles",
                    &mut errs,
                );
            }
            Some("KubeServiceAccountConfig") => {
                if let Some(n) = get_path(root, "issuer.privateKey") {
                    at = n.pos;
                    errs.push(
                        "overriding \"issuer.privateKey\" is not allowed in the config patch"
                            .into(),
                    );
                }
            }
            Some("KubeTalosAPIAccessConfig") => os_admin(root, "allowedRoles", &mut errs),
            _ => {}
        }
        if errs.len() > before && first.is_none() {
            first = Some((index, at));
        }
    }
    match first {
        None => Ok(()),
        Some((index, pos)) => Err(problem(multi(&errs), Some(index), Some(pos))),
    }
}

fn os_admin(root: &Node, path: &str, errs: &mut Vec<String>) {
    if let Some(Node {
        kind: NodeKind::Seq(items),
        ..
    }) = get_path(root, path)
    {
        for it in items {
            if it.scalar() == Some("os:admin") {
                errs.push(format!(
                    "element \"os:admin\" is not allowed in field \"{path}\""
                ));
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn upstream_examples() {
        assert_eq!(
            validate_patch("spaceship:\n  deployed: true\n").unwrap_err(),
            "error decoding document /v1alpha1/ (line 1): missing kind"
        );
        assert_eq!(
            validate_patch("machine:\n  network:\n    kubespan:\n      running: true\n").unwrap_err(),
            "error decoding document /v1alpha1/ (line 1): unknown keys found during decoding:\nmachine:\n    network:\n        kubespan:\n            running: true\n"
        );
        assert_eq!(
            validate_patch("machine:\n  token: haha\n").unwrap_err(),
            "1 error occurred:\n\t* overriding \"machine.token\" is not allowed in the config patch\n\n"
        );
        assert!(
            validate_patch("machine:\n  network:\n    kubespan:\n      enabled: true\n").is_ok()
        );
        assert_eq!(validate_patch("").unwrap_err(), "config not found");
    }

    #[test]
    fn every_section_of_the_legacy_document_is_checked_key_by_key() {
        // `machine.network` and `machine.install` are docgen:nodoc in Talos 1.14: the published
        // schema lacks them, the loader still checks them
        let err = validate_patch("machine:\n  network:\n    hostnam: a\n").unwrap_err();
        assert_eq!(
            err,
            "error decoding document /v1alpha1/ (line 1): unknown keys found during decoding:\nmachine:\n    network:\n        hostnam: a\n"
        );
        let ok = "machine:\n  install:\n    diskSelector:\n      size: '<= 256GB'\n    wipe: yes\n  kubelet:\n    extraArgs:\n      a: b\n  pods:\n    - apiVersion: v1\n      anything: [goes]\ncluster:\n  apiServer:\n    extraArgs:\n      feature-gates: X=true\n";
        assert_eq!(validate_patch(ok), Ok(()));
        // unknown keys inside list items and maps, sorted as go-yaml writes a map
        let err = validate_patch(
            "machine:\n  network:\n    interfaces:\n      - interface: eth0\n        dhcpp: true\n        zz: 1\n  files:\n    - path: /a\n      contnt: x\n",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "error decoding document /v1alpha1/ (line 1): unknown keys found during decoding:\nmachine:\n    files:\n        - contnt: x\n    network:\n        interfaces:\n            - dhcpp: true\n              zz: 1\n"
        );
    }

    #[test]
    fn scalars_decode_as_go_yaml_decodes_them() {
        // a string field takes any scalar; a bool field yes/no; an int field no text
        assert_eq!(
            validate_patch("machine:\n  network:\n    hostname: 123\n"),
            Ok(())
        );
        assert_eq!(
            validate_patch("machine:\n  install:\n    wipe: on\n"),
            Ok(())
        );
        assert_eq!(
            validate_patch("machine:\n  install:\n    wipe: maybe\n").unwrap_err(),
            "error decoding document /v1alpha1/ (line 1): error decoding  to *v1alpha1.Config: yaml: construct errors: line 3: cannot construct !!str `maybe` into bool"
        );
        assert_eq!(
            validate_patch("apiVersion: v1alpha1\nkind: KubeSpanConfig\nmtu: lots-and-lots\n").unwrap_err(),
            "error decoding document v1alpha1/KubeSpanConfig/ (line 1): error decoding KubeSpanConfig to *network.KubeSpanConfigV1Alpha1: yaml: construct errors: line 3: cannot construct !!str `lots-an...` into int"
        );
        // a map where a list belongs, a list where a struct belongs
        let err = validate_patch("machine:\n  certSANs:\n    a: b\n  network: [x]\n").unwrap_err();
        assert!(err.contains("line 3: cannot construct !!map into []string; line 4: cannot construct !!seq into v1alpha1.NetworkConfig"), "{err}");
    }

    #[test]
    fn documents_are_told_apart_as_the_loader_does() {
        assert_eq!(
            validate_patch("apiVersion: v1alpha1\nkind: NoSuchConfig\n").unwrap_err(),
            "error decoding document v1alpha1/NoSuchConfig/ (line 1): \"NoSuchConfig\" \"v1alpha1\": not registered"
        );
        assert_eq!(
            validate_patch("kind: KubeSpanConfig\n").unwrap_err(),
            "error decoding document /KubeSpanConfig/ (line 1): missing apiVersion"
        );
        let multi = "machine:\n  network:\n    hostname: a\n---\napiVersion: v1alpha1\nkind: KubeSpanConfig\nmtu: 1420\n---\napiVersion: v1alpha1\nkind: KubeSpanConfig\nfilterz: {}\n";
        assert_eq!(
            validate_patch(multi).unwrap_err(),
            "duplicate document v1alpha1/KubeSpanConfig/ is not allowed (line 9)"
        );
        let bad = "apiVersion: v1alpha1\nkind: KubeSpanConfig\nfilterz: {}\n";
        assert_eq!(
            validate_patch(bad).unwrap_err(),
            "error decoding document v1alpha1/KubeSpanConfig/ (line 1): unknown keys found during decoding:\nfilterz: {}\n"
        );
    }

    #[test]
    fn deletes_are_taken_out_before_decoding() {
        assert_eq!(
            validate_patch("machine:\n  network:\n    $patch: delete\n"),
            Ok(())
        );
        assert_eq!(
            validate_patch("apiVersion: v1alpha1\nkind: KubeSpanConfig\n$patch: delete\n"),
            Ok(())
        );
        // `$patch` with another value is just an unknown key
        assert!(
            validate_patch("machine:\n  network:\n    $patch: replace\n")
                .unwrap_err()
                .contains("unknown keys")
        );
    }
}
