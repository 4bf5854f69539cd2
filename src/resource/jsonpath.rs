//! `omnictl get -o jsonpath=TEMPLATE`: kubectl's JSONPath templates (text with `{…}` actions,
//! quoted literals, `range`/`end`) over each resource as `-o json` shows it. Upstream runs
//! `k8s.io/client-go/util/jsonpath` without missing keys allowed (`client/pkg/omnictl/output/
//! jsonpath.go`) and prints every result on its own line: maps and lists as 4-space indented
//! JSON, anything else as Go's `fmt.Print` shows it. The path expressions themselves are
//! evaluated by `serde_json_path` (RFC 9535) once made absolute.

use serde_json::Value;

use super::print::{encodable, go_fmt, write_json, G};
use super::Resource;
use crate::{Error, Result};

/// A parsed template.
#[derive(Debug)]
pub struct JsonPathTemplate {
    nodes: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Text(String),
    Path(Path),
    Range(Path, Vec<Node>),
}

/// One path expression: its parsed query and its segments (to name the first missing key).
#[derive(Debug)]
struct Path {
    query: serde_json_path::JsonPath,
    segments: Vec<String>,
}

fn parse_error(message: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("error parsing jsonpath: {message}"))
}

impl JsonPathTemplate {
    /// Parses `{.metadata.id}`, `id={.metadata.id}{"\n"}`, `{range .spec.items[*]}{.name}{end}`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] ("error parsing jsonpath: …") for an unclosed action or quote,
    /// an `end` without `range`, or an expression that does not parse.
    pub fn parse(template: &str) -> Result<Self> {
        let mut stack: Vec<(Path, Vec<Node>)> = Vec::new();
        let mut nodes = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            let Some(open) = rest.find('{') else {
                nodes.push(Node::Text(rest.to_string()));
                break;
            };
            if open > 0 {
                nodes.push(Node::Text(rest[..open].to_string()));
            }
            let close = action_end(&rest[open + 1..])
                .ok_or_else(|| parse_error(format!("unclosed action in {template:?}")))?;
            let action = rest[open + 1..open + 1 + close].trim();
            rest = &rest[open + 1 + close + 1..];
            if action == "end" {
                let (path, outer) = stack
                    .pop()
                    .ok_or_else(|| parse_error("not in range, nothing to end"))?;
                let body = std::mem::replace(&mut nodes, outer);
                nodes.push(Node::Range(path, body));
            } else if let Some(expr) = action.strip_prefix("range ") {
                stack.push((Path::parse(expr.trim())?, std::mem::take(&mut nodes)));
            } else if action.starts_with('"') {
                nodes.push(Node::Text(unquote(action)?));
            } else {
                nodes.push(Node::Path(Path::parse(action)?));
            }
        }
        if !stack.is_empty() {
            return Err(parse_error("range without end"));
        }
        Ok(JsonPathTemplate { nodes })
    }

    /// Every resource's results, each on its own line (upstream `printResult`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] ("error finding result for jsonpath: NAME is not found") when a
    /// key the template names is missing, as upstream does without missing keys allowed.
    pub fn render(&self, resources: &[Resource]) -> Result<String> {
        self.render_event(resources, None)
    }

    /// Like [`render`](Self::render) in a watch: `{.event}` is the event (`created`, …).
    ///
    /// # Errors
    /// As [`render`](Self::render).
    pub fn render_event(&self, resources: &[Resource], event: Option<&str>) -> Result<String> {
        let mut out = String::new();
        for r in resources {
            let data = g_to_json(&encodable(r, event)?);
            eval(&self.nodes, &data, &mut out)?;
        }
        Ok(out)
    }
}

/// The byte offset of the `}` closing an action (quotes may contain braces).
fn action_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '}' => return Some(i),
            None => {}
        }
    }
    None
}

/// A quoted literal (`"\n"`, `"\t"`, `"id: "`) with Go's escapes.
fn unquote(q: &str) -> Result<String> {
    serde_json::from_str::<String>(q).map_err(|_| parse_error(format!("bad quoted text {q}")))
}

impl Path {
    fn parse(expr: &str) -> Result<Path> {
        // kubectl's `$` is optional and `@` is the current object; both are RFC 9535's `$` here
        // (evaluated against the current object)
        let body = expr
            .strip_prefix('$')
            .or_else(|| expr.strip_prefix('@'))
            .unwrap_or(expr);
        if !body.is_empty() && !body.starts_with(['.', '[']) {
            return Err(parse_error(format!(
                "unrecognized character in action: {expr:?}"
            )));
        }
        let segments = split_segments(body);
        let query = serde_json_path::JsonPath::parse(&format!("${body}"))
            .map_err(|e| parse_error(format!("{expr:?}: {e}")))?;
        Ok(Path { query, segments })
    }

    fn find<'a>(&self, data: &'a Value) -> Result<Vec<&'a Value>> {
        let found: Vec<&Value> = self.query.query(data).all();
        if found.is_empty() {
            // upstream stops at the first key that is missing
            for k in 1..=self.segments.len() {
                let Some(name) = key_of(&self.segments[k - 1]) else {
                    continue;
                };
                let prefix = format!("${}", self.segments[..k].concat());
                let Ok(q) = serde_json_path::JsonPath::parse(&prefix) else {
                    break;
                };
                if q.query(data).is_empty() {
                    return Err(Error::InvalidArgument(format!(
                        "error finding result for jsonpath: {name} is not found"
                    )));
                }
            }
        }
        Ok(found)
    }
}

/// The segments of a path (`.a`, `..b`, `[0]`, `['c']`, `[?(@.x=="y")]`), brackets and quotes
/// kept whole.
fn split_segments(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for c in body.chars() {
        if let Some(q) = quote {
            cur.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' if depth > 0 => {
                quote = Some(c);
                cur.push(c);
            }
            '[' => {
                if depth == 0 && !cur.is_empty() && cur != "." && cur != ".." {
                    out.push(std::mem::take(&mut cur));
                }
                depth += 1;
                cur.push(c);
            }
            ']' => {
                depth = depth.saturating_sub(1);
                cur.push(c);
                if depth == 0 {
                    out.push(std::mem::take(&mut cur));
                }
            }
            '.' if depth == 0 => {
                if cur == "." {
                    cur.push('.'); // `..`: recursive descent, one segment with its name
                } else {
                    if !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                    cur.push('.');
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The key a segment names (`.a`, `['a']`), if it names exactly one.
fn key_of(seg: &str) -> Option<String> {
    if let Some(name) = seg.strip_prefix('.') {
        if name.starts_with('.') || name == "*" || name.is_empty() {
            return None;
        }
        return Some(name.to_string());
    }
    let inner = seg.strip_prefix('[')?.strip_suffix(']')?.trim();
    let quoted = inner
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))?;
    (!quoted.contains(['\'', '"'])).then(|| quoted.to_string())
}

fn eval(nodes: &[Node], data: &Value, out: &mut String) -> Result<()> {
    for node in nodes {
        match node {
            Node::Text(t) => print_result(&G::Str(t.clone()), out),
            Node::Path(p) => {
                for v in p.find(data)? {
                    print_result(&json_to_g(v), out);
                }
            }
            Node::Range(p, body) => {
                for v in p.find(data)? {
                    eval(body, v, out)?;
                }
            }
        }
    }
    Ok(())
}

/// Upstream `printResult`: maps and lists as indented JSON, anything else as text; a newline
/// after each.
fn print_result(g: &G, out: &mut String) {
    match g {
        G::Map(_) | G::Seq(_) => write_json(g, 0, out),
        other => out.push_str(&go_fmt(other)),
    }
    out.push('\n');
}

fn g_to_json(g: &G) -> Value {
    match g {
        G::Null => Value::Null,
        G::Bool(b) => Value::Bool(*b),
        G::Int(i) => i64::try_from(*i)
            .map(Value::from)
            .or_else(|_| u64::try_from(*i).map(Value::from))
            .unwrap_or_else(|_| Value::from(*i as f64)),
        G::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        G::Str(s) => Value::String(s.clone()),
        G::Seq(items) => Value::Array(items.iter().map(g_to_json).collect()),
        G::Map(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), g_to_json(v))).collect()),
    }
}

fn json_to_g(v: &Value) -> G {
    match v {
        Value::Null => G::Null,
        Value::Bool(b) => G::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(|i| G::Int(i128::from(i)))
            .or_else(|| n.as_u64().map(|u| G::Int(i128::from(u))))
            .unwrap_or_else(|| G::Float(n.as_f64().unwrap_or_default())),
        Value::String(s) => G::Str(s.clone()),
        Value::Array(items) => G::Seq(items.iter().map(json_to_g).collect()),
        Value::Object(m) => G::Map(crate::order::map_of(
            m.iter().map(|(k, v)| (k.clone(), json_to_g(v))),
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::resource::{parse_yaml_documents, Resource};

    fn clusters() -> Vec<Resource> {
        parse_yaml_documents(
            "metadata:\n    namespace: default\n    type: Clusters.omni.sidero.dev\n    id: a\n    labels:\n        env: prod\nspec:\n    kubernetesversion: 1.31.1\n    talosversion: 1.8.3\n---\nmetadata:\n    namespace: default\n    type: Clusters.omni.sidero.dev\n    id: b\nspec:\n    kubernetesversion: 1.32.0\n    talosversion: 1.9.1\n",
        )
        .unwrap()
    }

    fn run(t: &str) -> Result<String> {
        JsonPathTemplate::parse(t)?.render(&clusters())
    }

    #[test]
    fn every_result_on_its_own_line_as_upstream_prints_it() {
        assert_eq!(run("{.metadata.id}").unwrap(), "a\nb\n");
        // text and quoted literals are results too
        assert_eq!(
            run("id={.metadata.id}{\"\\t\"}").unwrap(),
            "id=\na\n\t\nid=\nb\n\t\n"
        );
        assert_eq!(run("{$.spec.talosversion}").unwrap(), "1.8.3\n1.9.1\n");
        // maps as 4-space indented JSON
        assert_eq!(
            run("{.metadata.labels}").unwrap_err().to_string(),
            "invalid argument: error finding result for jsonpath: labels is not found",
            "b has no labels: upstream fails"
        );
        let one = &clusters()[..1];
        let t = JsonPathTemplate::parse("{.metadata.labels}").unwrap();
        assert_eq!(t.render(one).unwrap(), "{\n    \"env\": \"prod\"\n}\n");
        let t = JsonPathTemplate::parse("{.metadata['labels']['env']}").unwrap();
        assert_eq!(t.render(one).unwrap(), "prod\n");
    }

    #[test]
    fn range_and_filters() {
        let t = JsonPathTemplate::parse("{range .metadata.labels.*}{@}{end}").unwrap();
        assert_eq!(t.render(&clusters()[..1]).unwrap(), "prod\n");
        // a missing key inside the range body stops it, as upstream
        let t = JsonPathTemplate::parse("{range .metadata}{.finalizers}{end}").unwrap();
        assert!(t
            .render(&clusters())
            .unwrap_err()
            .to_string()
            .contains("finalizers is not found"));
        let t =
            JsonPathTemplate::parse("{range .spec}{.kubernetesversion}{\" \"}{.talosversion}{end}")
                .unwrap();
        assert_eq!(
            t.render(&clusters()).unwrap(),
            "1.31.1\n \n1.8.3\n1.32.0\n \n1.9.1\n"
        );
        let t = JsonPathTemplate::parse("{.spec[?(@ == \"1.9.1\")]}").unwrap();
        assert_eq!(t.render(&clusters()).unwrap(), "1.9.1\n");
    }

    #[test]
    fn parse_errors_say_what() {
        for (t, want) in [
            ("{.metadata.id", "unclosed action"),
            ("{end}", "not in range"),
            ("{range .spec}", "range without end"),
            ("{metadata}", "unrecognized character"),
            ("{.a[}", "error parsing jsonpath"),
        ] {
            let e = JsonPathTemplate::parse(t).unwrap_err().to_string();
            assert!(e.contains(want), "{t}: {e}");
        }
    }
}
