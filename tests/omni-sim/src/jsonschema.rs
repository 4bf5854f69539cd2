//! `ValidateJSONSchema` as Omni answers it.
//!
//! Upstream (`internal/backend/grpc/validate.go`, `internal/pkg/jsonschema/jsonschema.go`, both at
//! the commit the README names) compiles the schema with santhosh-tekuri/jsonschema v6 under the
//! name `untitled-schema.json`, reads the data as YAML (`.nan` read as null, an empty document as
//! `{}`), and flattens the library's error tree into `{schema_path, data_path, cause}` rows:
//! every node under the root, depth first, a node's own row before its causes; a `required` node
//! gives one row per missing property with the cause "property is required". Any other failure
//! (a schema too large, not JSON, not compilable, data not YAML) is returned as a plain error,
//! which gRPC sends as `Unknown`.
//!
//! The validator is `boon`, the Rust library by the author of the Go one: the same drafts, the
//! same error tree and the same schema locations. Its messages are worded differently, so
//! [`cause`] words each kind as the Go library's English printer does (`kind/kind.go`).

use boon::{Compiler, ErrorKind, InstanceToken, Schemas, ValidationError};
use serde_json::Value;
use tonic::Status;

use crate::pb::management::validate_json_schema_response::Error as SchemaError;

/// The resource name upstream compiles the schema under (`Parse("untitled", …)`).
const SCHEMA_NAME: &str = "untitled-schema.json";

/// Upstream's limit on the schema text (`len(request.Schema) > 1e6`).
const MAX_SCHEMA: usize = 1_000_000;

/// Validate `data` (YAML or JSON text) against `schema` (JSON Schema text).
pub fn validate(schema: &str, data: &str) -> Result<Vec<SchemaError>, Status> {
    if schema.len() > MAX_SCHEMA {
        return Err(Status::unknown("json schema can not be bigger than 1MB"));
    }
    let doc: Value = serde_json::from_str(schema).map_err(|e| Status::unknown(e.to_string()))?;
    let mut schemas = Schemas::new();
    let mut compiler = Compiler::new();
    compiler
        .add_resource(SCHEMA_NAME, doc)
        .map_err(|e| Status::unknown(e.to_string()))?;
    let index = compiler
        .compile(SCHEMA_NAME, &mut schemas)
        .map_err(|e| Status::unknown(e.to_string()))?;
    let value = read_data(data)?;
    match schemas.validate(&value, index) {
        Ok(()) => Ok(Vec::new()),
        Err(root) => {
            let mut rows = Vec::new();
            flatten(&root, &mut rows);
            Ok(rows)
        }
    }
}

/// The data as upstream reads it: `.nan` in any case becomes `null` (the Go validator fails on
/// NaN), the text is YAML (JSON is YAML), and an empty document is an empty object.
fn read_data(data: &str) -> Result<Value, Status> {
    let text = nan_to_null(data);
    let yaml: serde_norway::Value = if text.trim().is_empty() {
        serde_norway::Value::Null
    } else {
        serde_norway::from_str(&text)
            .map_err(|e| Status::unknown(format!("failed to unmarshal YAML {e}")))?
    };
    let value = serde_json::to_value(yaml)
        .map_err(|e| Status::unknown(format!("failed to unmarshal YAML {e}")))?;
    Ok(match value {
        Value::Null => Value::Object(Default::default()),
        v => v,
    })
}

/// Upstream's `(?i)\.nan` → `null`, without a regex.
fn nan_to_null(data: &str) -> String {
    let mut out = String::with_capacity(data.len());
    let mut rest = data;
    while let Some(at) = rest.find('.') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.len() >= 4 && tail.is_char_boundary(4) && tail[1..4].eq_ignore_ascii_case("nan") {
            out.push_str("null");
            rest = &tail[4..];
        } else {
            out.push('.');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Upstream's `handleValidationErrors`: the rows of every node under `node`.
fn flatten(node: &ValidationError, rows: &mut Vec<SchemaError>) {
    for child in &node.causes {
        let data_path = data_path(child);
        match &child.kind {
            ErrorKind::Required { want } => {
                for missing in want {
                    rows.push(row(
                        child.schema_url,
                        join_path(&data_path, missing),
                        "property is required".into(),
                    ));
                }
            }
            kind => rows.push(row(child.schema_url, data_path, cause(kind))),
        }
        if !child.causes.is_empty() {
            flatten(child, rows);
        }
    }
}

fn row(schema_path: &str, data_path: String, cause: String) -> SchemaError {
    SchemaError {
        schema_path: schema_path.to_string(),
        data_path,
        cause,
        errors: Vec::new(),
    }
}

/// The tokens of where in the data an error is, unescaped, as the Go library keeps them.
pub(crate) fn instance_tokens(e: &ValidationError) -> Vec<String> {
    e.instance_location
        .tokens
        .iter()
        .map(|t| match t {
            InstanceToken::Prop(p) => p.to_string(),
            InstanceToken::Item(i) => i.to_string(),
        })
        .collect()
}

/// `"/" + strings.Join(InstanceLocation, "/")`.
fn data_path(e: &ValidationError) -> String {
    format!("/{}", instance_tokens(e).join("/"))
}

/// Go's `filepath.Join(dir, name)` for the paths above: one slash between, cleaned.
fn join_path(dir: &str, name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in dir.split('/').chain(name.split('/')) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The Go library's English text for a kind (`kind/kind.go`, `LocalizedString`).
fn cause(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::Group | ErrorKind::Reference { .. } => "validation failed".into(),
        ErrorKind::Schema { url } => format!("jsonschema validation failed with {}", quote(url)),
        ErrorKind::ContentSchema => "contentSchema failed".into(),
        ErrorKind::PropertyName { prop } => format!("invalid propertyName {}", quote(prop)),
        ErrorKind::RefCycle {
            url,
            kw_loc1,
            kw_loc2,
        } => {
            format!("both {kw_loc1} and {kw_loc2} resolve to {url:?} causing reference cycle")
        }
        ErrorKind::FalseSchema => "false schema".into(),
        ErrorKind::Type { got, want } => {
            // the Go library names every number "number", integers too
            let got = match got.to_string().as_str() {
                "integer" => "number".to_string(),
                other => other.to_string(),
            };
            let want: Vec<String> = want.iter().map(|t| t.to_string()).collect();
            format!("got {got}, want {}", want.join(" or "))
        }
        ErrorKind::Enum { want } => {
            if want.iter().all(primitive) {
                if want.len() == 1 {
                    format!("value must be {}", display(&want[0]))
                } else {
                    let all: Vec<String> = want.iter().map(display).collect();
                    format!("value must be one of {}", all.join(", "))
                }
            } else {
                "enum failed".into()
            }
        }
        ErrorKind::Const { want } => {
            if primitive(want) {
                format!("value must be {}", display(want))
            } else {
                "const failed".into()
            }
        }
        ErrorKind::Format { got, want, err } => {
            format!("{} is not valid {want}: {err}", display(got))
        }
        ErrorKind::MinProperties { got, want } => format!("minProperties: got {got}, want {want}"),
        ErrorKind::MaxProperties { got, want } => format!("maxProperties: got {got}, want {want}"),
        ErrorKind::AdditionalProperties { got } => {
            let names: Vec<String> = got.iter().map(|p| quote(p)).collect();
            format!("additional properties {} not allowed", names.join(", "))
        }
        ErrorKind::Required { want } => {
            let names: Vec<String> = want.iter().map(|p| quote(p)).collect();
            if names.len() == 1 {
                format!("missing property {}", names[0])
            } else {
                format!("missing properties {}", names.join(", "))
            }
        }
        ErrorKind::Dependency { prop, missing }
        | ErrorKind::DependentRequired { prop, missing } => {
            let names: Vec<String> = missing.iter().map(|p| quote(p)).collect();
            format!(
                "properties {} required, if {} exists",
                names.join(", "),
                quote(prop)
            )
        }
        ErrorKind::MinItems { got, want } => format!("minItems: got {got}, want {want}"),
        ErrorKind::MaxItems { got, want } => format!("maxItems: got {got}, want {want}"),
        ErrorKind::MinContains { got, want } => {
            if got.is_empty() {
                format!("min {want} items required to match contains schema, but none matched")
            } else {
                format!(
                    "min {want} items required to match contains schema, but matched {} items at {}",
                    got.len(),
                    join_ints(got)
                )
            }
        }
        ErrorKind::Contains => "no items match contains schema".into(),
        ErrorKind::MaxContains { got, want } => format!(
            "max {want} items required to match contains schema, but matched {} items at {}",
            got.len(),
            join_ints(got)
        ),
        ErrorKind::UniqueItems { got: [i, j] } => format!("items at {i} and {j} are equal"),
        ErrorKind::AdditionalItems { got } => format!("last {got} additionalItem(s) not allowed"),
        ErrorKind::MinLength { got, want } => format!("minLength: got {got}, want {want}"),
        ErrorKind::MaxLength { got, want } => format!("maxLength: got {got}, want {want}"),
        ErrorKind::Pattern { got, want } => {
            format!("{} does not match pattern {}", quote(got), quote(want))
        }
        ErrorKind::ContentEncoding { want, err } => {
            format!("value is not {} encoded: {err}", quote(want))
        }
        ErrorKind::ContentMediaType { want, err, .. } => {
            // sic: upstream's text says "if"
            format!("value if not of mediatype {}: {err}", quote(want))
        }
        ErrorKind::Minimum { got, want } => {
            format!("minimum: got {}, want {}", go_float(got), go_float(want))
        }
        ErrorKind::Maximum { got, want } => {
            format!("maximum: got {}, want {}", go_float(got), go_float(want))
        }
        ErrorKind::ExclusiveMinimum { got, want } => {
            format!(
                "exclusiveMinimum: got {}, want {}",
                go_float(got),
                go_float(want)
            )
        }
        ErrorKind::ExclusiveMaximum { got, want } => {
            format!(
                "exclusiveMaximum: got {}, want {}",
                go_float(got),
                go_float(want)
            )
        }
        ErrorKind::MultipleOf { got, want } => {
            format!("multipleOf: got {}, want {}", go_float(got), go_float(want))
        }
        ErrorKind::Not => "not failed".into(),
        ErrorKind::AllOf => "allOf failed".into(),
        ErrorKind::AnyOf => "anyOf failed".into(),
        ErrorKind::OneOf(None) => "oneOf failed, none matched".into(),
        ErrorKind::OneOf(Some((i, j))) => format!("oneOf failed, subschemas {i}, {j} matched"),
    }
}

fn primitive(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// `display`: strings quoted, composites as "value", the rest as Go's `%v` prints them.
fn display(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::Array(_) | Value::Object(_) => "value".into(),
        Value::Null => "<nil>".into(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
    }
}

/// The Go library's `quote`: Go's `%q`, then `"` unescaped, `'` escaped, in single quotes.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Go's `%v` of a `float64`: the shortest form, integers without a point, exponents from 1e21.
fn go_float(n: &serde_json::Number) -> String {
    let Some(f) = n.as_f64() else {
        return n.to_string();
    };
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{}", f as i128)
    } else if f.abs() >= 1e21 || (f != 0.0 && f.abs() < 1e-4) {
        let s = format!("{f:e}");
        // Rust writes 1e21 and 1.5e-7; Go writes 1e+21 and 1.5e-07
        match s.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = match e.strip_prefix('-') {
                    Some(d) => ('-', d),
                    None => ('+', e),
                };
                format!("{m}e{sign}{digits:0>2}")
            }
            None => s,
        }
    } else {
        format!("{f}")
    }
}

fn join_ints(v: &[usize]) -> String {
    let all: Vec<String> = v.iter().map(usize::to_string).collect();
    all.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(schema: &str, data: &str) -> Vec<(String, String, String)> {
        let Ok(rows) = validate(schema, data) else {
            return vec![("error".into(), String::new(), String::new())];
        };
        rows.into_iter()
            .map(|r| {
                let schema = r
                    .schema_path
                    .rsplit_once('#')
                    .map(|(_, f)| f.to_string())
                    .unwrap_or(r.schema_path);
                (schema, r.data_path, r.cause)
            })
            .collect()
    }

    fn r(s: &str, d: &str, c: &str) -> (String, String, String) {
        (s.into(), d.into(), c.into())
    }

    #[test]
    fn rows_are_worded_and_placed_as_upstream() {
        let schema = r#"{"type":"object","required":["name","size"],"additionalProperties":false,
            "properties":{"name":{"type":"string","minLength":3,"pattern":"^[a-z]+$"},
            "size":{"type":"integer","minimum":1,"maximum":10},
            "tags":{"type":"array","maxItems":1,"items":{"enum":["a","b"]}},
            "mode":{"const":"x"}}}"#;
        assert_eq!(rows(schema, "name: abc\nsize: 5\n"), vec![]);
        assert_eq!(
            rows(schema, "name: AB\ntags: [c, a]\nextra: 1\nmode: y\n"),
            vec![
                // required first, then each property (Go walks its map in random order: sorted
                // here), then the additional properties, as both libraries order their checks
                r("", "/size", "property is required"),
                r("/properties/mode", "/mode", "value must be 'x'"),
                r("/properties/name", "/name", "validation failed"),
                r("/properties/name", "/name", "minLength: got 2, want 3"),
                r(
                    "/properties/name",
                    "/name",
                    "'AB' does not match pattern '^[a-z]+$'"
                ),
                r("/properties/tags", "/tags", "validation failed"),
                r("/properties/tags", "/tags", "maxItems: got 2, want 1"),
                r(
                    "/properties/tags/items",
                    "/tags/0",
                    "value must be one of 'a', 'b'"
                ),
                r("", "/", "additional properties 'extra' not allowed"),
            ]
        );
    }

    #[test]
    fn numbers_and_types_are_printed_as_go_prints_them() {
        let schema =
            r#"{"properties":{"a":{"type":"integer"},"b":{"minimum":1.5},"c":{"type":"string"}}}"#;
        assert_eq!(
            rows(schema, "a: 1.5\nb: 1\nc: 7\n"),
            vec![
                r("/properties/a", "/a", "got number, want integer"),
                r("/properties/b", "/b", "minimum: got 1, want 1.5"),
                r("/properties/c", "/c", "got number, want string"),
            ]
        );
    }

    #[test]
    fn data_is_yaml_nan_is_null_and_empty_is_an_object() {
        let schema = r#"{"type":"object","required":["a"]}"#;
        assert_eq!(rows(schema, ""), vec![r("", "/a", "property is required")]);
        assert_eq!(
            rows(r#"{"properties":{"a":{"type":"null"}}}"#, "a: .NaN"),
            vec![]
        );
        assert_eq!(rows(schema, "{\"a\": 1}"), vec![]);
    }

    #[test]
    fn other_failures_are_plain_errors() {
        for (schema, data) in [
            ("{not json", "{}"),
            (r#"{"type": 7}"#, "{}"),
            (r#"{"type":"object"}"#, "a: [b"),
        ] {
            let err = validate(schema, data).err();
            assert_eq!(
                err.map(|e| e.code()),
                Some(tonic::Code::Unknown),
                "{schema} {data}"
            );
        }
        let big = format!("{{\"description\":\"{}\"}}", "x".repeat(MAX_SCHEMA));
        let err = validate(&big, "{}").err();
        assert_eq!(
            err.map(|e| e.message().to_string()),
            Some("json schema can not be bigger than 1MB".into())
        );
    }

    #[test]
    fn helpers_follow_go() {
        assert_eq!(nan_to_null("a: .nan\nb: 1.NaN.x"), "a: null\nb: 1null.x");
        assert_eq!(join_path("/", "a"), "/a");
        assert_eq!(join_path("/x/0", "b"), "/x/0/b");
        let n = |s: &str| {
            serde_json::from_str::<serde_json::Number>(s)
                .unwrap_or_else(|_| serde_json::Number::from(0))
        };
        assert_eq!(go_float(&n("5")), "5");
        assert_eq!(go_float(&n("1.25")), "1.25");
        assert_eq!(go_float(&n("1e21")), "1e+21");
        assert_eq!(quote("it's"), "'it\\'s'");
    }
}
