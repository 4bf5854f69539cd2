//! Label selectors: omnictl's `-l/--selector` grammar and COSI's label-matching semantics.
//!
//! Grammar facts from `siderolabs/omni: client/pkg/cosi/labels/{lexer,parser}.go`; matching from
//! `cosi-project/runtime: pkg/resource/labels.go`.

use std::collections::{BTreeMap, BTreeSet};

use crate::proto::cosi::resource::{label_term::Operation, LabelQuery, LabelTerm};
use crate::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Error,
    End,
    CloseParen,
    Comma,
    Ident,
    OpenParen,
    // Operators (from here on).
    Not,
    DoubleEq,
    Eq,
    Gt,
    Gte,
    In,
    Lt,
    Lte,
    Neq,
    NotIn,
}

impl Tok {
    fn is_operator(self) -> bool {
        matches!(
            self,
            Tok::Not
                | Tok::DoubleEq
                | Tok::Eq
                | Tok::Gt
                | Tok::Gte
                | Tok::In
                | Tok::Lt
                | Tok::Lte
                | Tok::Neq
                | Tok::NotIn
        )
    }
}

fn keyword(s: &str) -> Option<Tok> {
    Some(match s {
        ")" => Tok::CloseParen,
        "(" => Tok::OpenParen,
        "," => Tok::Comma,
        "!" => Tok::Not,
        "!=" => Tok::Neq,
        "==" => Tok::DoubleEq,
        "=" => Tok::Eq,
        ">" => Tok::Gt,
        ">=" => Tok::Gte,
        "<" => Tok::Lt,
        "<=" => Tok::Lte,
        "notin" => Tok::NotIn,
        "in" => Tok::In,
        _ => return None,
    })
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_special(c: char) -> bool {
    matches!(c, '=' | '!' | '(' | ')' | ',' | '>' | '<')
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    has_operator: bool,
    parsing_list: bool,
}

impl Lexer {
    /// The next character and its width; NUL (also a literal one) means end of input, as
    /// upstream. At the end the width is 0, so `unread` is a no-op there.
    fn read(&mut self) -> (char, usize) {
        match self.chars.get(self.pos) {
            Some(&c) => {
                self.pos += 1;
                (c, 1)
            }
            None => ('\0', 0),
        }
    }

    fn unread(&mut self, width: usize) {
        self.pos = self.pos.saturating_sub(width);
    }

    fn ident_or_keyword(&mut self) -> (Tok, String) {
        let mut buf = String::new();
        loop {
            let (c, w) = self.read();
            if c == '\0' {
                break;
            }
            if is_special(c) || (is_ws(c) && !self.has_operator) {
                self.unread(w);
                break;
            }
            buf.push(c);
        }
        match keyword(&buf) {
            Some(t) => (t, buf),
            None => (Tok::Ident, buf),
        }
    }

    fn special(&mut self) -> (Tok, String) {
        let mut buf = String::new();
        let mut tok: Option<Tok> = None;
        let mut lit = String::new();
        loop {
            let (c, w) = self.read();
            if c == '\0' {
                break;
            }
            if is_special(c) {
                buf.push(c);
                if let Some(t) = keyword(&buf) {
                    tok = Some(t);
                    lit = buf.clone();
                } else if tok.is_some() {
                    self.unread(w);
                    break;
                }
            } else {
                self.unread(w);
                break;
            }
        }
        match tok {
            Some(t) => (t, lit),
            None => (Tok::Error, format!("error expected: keyword found '{buf}'")),
        }
    }

    fn quoted(&mut self) -> (Tok, String) {
        let mut buf = String::new();
        loop {
            let (mut c, _) = self.read();
            if c == '\0' {
                return (Tok::Error, "unterminated quoted string".into());
            }
            if c == '"' {
                return (Tok::Ident, buf);
            }
            if c == '\\' {
                c = self.read().0;
                if c == '\0' {
                    return (
                        Tok::Error,
                        "unterminated escape sequence in quoted string".into(),
                    );
                }
            }
            buf.push(c);
        }
    }

    fn lex(&mut self) -> (Tok, String) {
        let (mut c, mut w) = self.read();
        while is_ws(c) {
            (c, w) = self.read();
        }
        let (tok, lit) = if c == '\0' {
            return (Tok::End, String::new());
        } else if c == '"' {
            return self.quoted();
        } else if is_special(c) {
            self.unread(w);
            self.special()
        } else {
            self.unread(w);
            self.ident_or_keyword()
        };
        if tok.is_operator() {
            self.has_operator = true;
        } else if tok == Tok::OpenParen {
            self.parsing_list = true;
        } else if tok == Tok::CloseParen {
            self.parsing_list = false;
        } else if tok == Tok::Comma && !self.parsing_list {
            self.has_operator = false;
        }
        (tok, lit)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    KeyAndOperator,
    Values,
}

struct Parser {
    lexer: Lexer,
    current: Option<(Tok, String)>,
}

fn op_list() -> &'static str {
    "==, =, !=, >=, >, in, notin, <=, <"
}

impl Parser {
    fn lookahead(&mut self, ctx: Ctx) -> (Tok, String) {
        let (tok, lit) = match &self.current {
            Some(c) => c.clone(),
            None => {
                let c = self.lexer.lex();
                self.current = Some(c.clone());
                c
            }
        };
        let tok = match (ctx, tok) {
            (Ctx::Values, Tok::In | Tok::NotIn) => Tok::Ident,
            (_, t) => t,
        };
        (tok, lit)
    }

    fn consume(&mut self, ctx: Ctx) -> (Tok, String) {
        let r = self.lookahead(ctx);
        self.current = None;
        r
    }

    fn parse(&mut self) -> Result<Vec<LabelTerm>, String> {
        let mut terms = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Ctx::Values);
            match tok {
                Tok::Ident | Tok::Not => {
                    let term = self
                        .term()
                        .map_err(|e| format!("unable to parse term: {e}"))?;
                    terms.push(term);
                    let (t, l) = self.consume(Ctx::Values);
                    match t {
                        Tok::End => return Ok(terms),
                        Tok::Comma => {
                            let (t2, l2) = self.lookahead(Ctx::Values);
                            if t2 != Tok::Ident && t2 != Tok::Not {
                                return Err(format!(
                                    "found '{l2}', expected: identifier after ','"
                                ));
                            }
                        }
                        _ => return Err(format!("found '{l}', expected: ',' or 'end of string'")),
                    }
                }
                Tok::End => return Ok(terms),
                _ => {
                    return Err(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    ))
                }
            }
        }
    }

    fn term(&mut self) -> Result<LabelTerm, String> {
        let mut term = LabelTerm::default();
        let (mut tok, mut key) = self.consume(Ctx::Values);
        let not = tok == Tok::Not;
        if not {
            (tok, key) = self.consume(Ctx::Values);
            term.invert = true;
        }
        if tok != Tok::Ident {
            return Err(format!("found '{key}', expected: identifier"));
        }
        term.key = key;
        let (t, _) = self.lookahead(Ctx::Values);
        if t == Tok::End || t == Tok::Comma {
            term.op = Operation::Exists as i32;
            return Ok(term);
        } else if not {
            return Err("expected EOF or ',', found identifier".into());
        }
        let (tok, lit) = self.consume(Ctx::KeyAndOperator);
        let op = match tok {
            Tok::NotIn => {
                term.invert = true;
                Operation::In
            }
            Tok::In => Operation::In,
            Tok::Neq => {
                term.invert = true;
                Operation::Equal
            }
            Tok::Eq | Tok::DoubleEq => Operation::Equal,
            Tok::Gte => {
                term.invert = true;
                Operation::LtNumeric
            }
            Tok::Lt => Operation::LtNumeric,
            Tok::Gt => {
                term.invert = true;
                Operation::LteNumeric
            }
            Tok::Lte => Operation::LteNumeric,
            _ => return Err(format!("found '{lit}', expected: {}", op_list())),
        };
        term.op = op as i32;
        term.value = if op == Operation::In {
            self.values()?
        } else {
            self.exact_value()?
        };
        Ok(term)
    }

    fn values(&mut self) -> Result<Vec<String>, String> {
        let (tok, lit) = self.consume(Ctx::Values);
        if tok != Tok::OpenParen {
            return Err(format!("found '{lit}' expected: '('"));
        }
        let (tok, lit) = self.lookahead(Ctx::Values);
        match tok {
            Tok::Ident | Tok::Comma => {
                let set = self.identifiers()?;
                let (t, _) = self.consume(Ctx::Values);
                if t != Tok::CloseParen {
                    return Err(format!("found '{lit}', expected: ')'"));
                }
                Ok(set.into_iter().collect())
            }
            Tok::CloseParen => {
                self.consume(Ctx::Values);
                Ok(vec![String::new()])
            }
            _ => Err(format!("found '{lit}', expected: ',', ')' or identifier")),
        }
    }

    fn identifiers(&mut self) -> Result<BTreeSet<String>, String> {
        let mut set = BTreeSet::new();
        loop {
            let (tok, lit) = self.consume(Ctx::Values);
            match tok {
                Tok::Ident => {
                    set.insert(lit);
                    let (t2, l2) = self.lookahead(Ctx::Values);
                    match t2 {
                        Tok::Comma => continue,
                        Tok::CloseParen => return Ok(set),
                        _ => return Err(format!("found '{l2}', expected: ',' or ')'")),
                    }
                }
                Tok::Comma => {
                    if set.is_empty() {
                        set.insert(String::new());
                    }
                    let (t2, _) = self.lookahead(Ctx::Values);
                    if t2 == Tok::CloseParen {
                        set.insert(String::new());
                        return Ok(set);
                    }
                    if t2 == Tok::Comma {
                        self.consume(Ctx::Values);
                        set.insert(String::new());
                    }
                }
                _ => return Err(format!("found '{lit}', expected: ',', or identifier")),
            }
        }
    }

    fn exact_value(&mut self) -> Result<Vec<String>, String> {
        let (tok, _) = self.lookahead(Ctx::Values);
        if tok == Tok::End || tok == Tok::Comma {
            return Ok(vec![String::new()]);
        }
        let (tok, lit) = self.consume(Ctx::Values);
        if tok == Tok::Ident {
            Ok(vec![lit])
        } else {
            Err(format!("found '{lit}', expected: identifier"))
        }
    }
}

/// Parses an omnictl selector (`a=b,!c,d in (x, y)`) into one `LabelQuery` (terms ANDed).
pub fn parse_selector(s: &str) -> Result<LabelQuery> {
    let mut p = Parser {
        lexer: Lexer {
            chars: s.chars().collect(),
            pos: 0,
            has_operator: false,
            parsing_list: false,
        },
        current: None,
    };
    p.parse()
        .map(|terms| LabelQuery { terms })
        .map_err(Error::InvalidArgument)
}

/// Parses several selectors (ORed), as the `selectors` metadata of the ResourceService.
pub fn parse_selectors(selectors: &[String]) -> Result<Vec<LabelQuery>> {
    selectors.iter().map(|s| parse_selector(s)).collect()
}

/// Parses a label value as an integer with an optional unit (`k m g t p`, `ki mi gi ti pi`).
fn parse_numeric(s: &str) -> Option<i128> {
    let lower = s.to_ascii_lowercase();
    const UNITS: &[(&str, i128)] = &[
        ("ki", 1 << 10),
        ("mi", 1 << 20),
        ("gi", 1 << 30),
        ("ti", 1 << 40),
        ("pi", 1 << 50),
        ("k", 1_000),
        ("m", 1_000_000),
        ("g", 1_000_000_000),
        ("t", 1_000_000_000_000),
        ("p", 1_000_000_000_000_000),
    ];
    let (num, mult) = UNITS
        .iter()
        .find_map(|(u, m)| lower.strip_suffix(u).map(|n| (n, *m)))
        .unwrap_or((lower.as_str(), 1));
    let n: i64 = num.trim().parse().ok()?;
    i128::from(n).checked_mul(mult)
}

/// Whether one term matches `labels` (COSI semantics).
pub fn term_matches(term: &LabelTerm, labels: &BTreeMap<String, String>) -> bool {
    let value = labels.get(&term.key);
    let op = Operation::try_from(term.op).unwrap_or(Operation::Exists);
    let first = term.value.first().map(String::as_str).unwrap_or("");
    let base = match op {
        Operation::Exists => value.is_some(),
        #[allow(deprecated)]
        Operation::NotExists => value.is_none(),
        Operation::Equal => value.is_some_and(|v| v == first),
        Operation::In => value.is_some_and(|v| term.value.iter().any(|x| x == v)),
        Operation::Lt | Operation::Lte => {
            let Some(v) = value else { return false };
            if op == Operation::Lt {
                v.as_str() < first
            } else {
                v.as_str() <= first
            }
        }
        Operation::LtNumeric | Operation::LteNumeric => {
            let (Some(v), Some(want)) =
                (value.and_then(|v| parse_numeric(v)), parse_numeric(first))
            else {
                return false;
            };
            if op == Operation::LtNumeric {
                v < want
            } else {
                v <= want
            }
        }
    };
    base != term.invert
}

/// Whether all terms of `query` match `labels`.
pub fn matches(query: &LabelQuery, labels: &BTreeMap<String, String>) -> bool {
    query.terms.iter().all(|t| term_matches(t, labels))
}

/// Whether any of `queries` matches (an empty list matches everything).
pub fn matches_any(queries: &[LabelQuery], labels: &BTreeMap<String, String>) -> bool {
    queries.is_empty() || queries.iter().any(|q| matches(q, labels))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn t(key: &str, op: Operation, value: &[&str], invert: bool) -> LabelTerm {
        LabelTerm {
            key: key.into(),
            op: op as i32,
            value: value.iter().map(|s| s.to_string()).collect(),
            invert,
        }
    }

    #[test]
    fn upstream_parse_cases() {
        use Operation::*;
        let cases: Vec<(&str, Vec<LabelTerm>)> = vec![
            ("!a", vec![t("a", Exists, &[], true)]),
            ("a", vec![t("a", Exists, &[], false)]),
            ("a != b", vec![t("a", Equal, &["b"], true)]),
            ("a == b", vec![t("a", Equal, &["b"], false)]),
            ("a = b", vec![t("a", Equal, &["b"], false)]),
            ("a < b", vec![t("a", LtNumeric, &["b"], false)]),
            ("a <= b", vec![t("a", LteNumeric, &["b"], false)]),
            ("a > b", vec![t("a", LteNumeric, &["b"], true)]),
            ("a >= 㰀㰀", vec![t("a", LtNumeric, &["㰀㰀"], true)]),
            ("a >= b", vec![t("a", LtNumeric, &["b"], true)]),
            (
                "a notin (a, b, c, d)",
                vec![t("a", In, &["a", "b", "c", "d"], true)],
            ),
            (
                "a in (d, c, b, a, b)",
                vec![t("a", In, &["a", "b", "c", "d"], false)],
            ),
            (
                "a, b > 0",
                vec![t("a", Exists, &[], false), t("b", LteNumeric, &["0"], true)],
            ),
            (
                "b = a b, a in (a, b, c, d e)",
                vec![
                    t("b", Equal, &["a b"], false),
                    t("a", In, &["a", "b", "c", "d e"], false),
                ],
            ),
            (
                "b = c d, a = a b, z, c = f e",
                vec![
                    t("b", Equal, &["c d"], false),
                    t("a", Equal, &["a b"], false),
                    t("z", Exists, &[], false),
                    t("c", Equal, &["f e"], false),
                ],
            ),
            (r#"a="b, c""#, vec![t("a", Equal, &["b, c"], false)]),
            (
                r#"a="b, \"c\"""#,
                vec![t("a", Equal, &[r#"b, "c""#], false)],
            ),
            (r#"a="b, \\""#, vec![t("a", Equal, &[r"b, \"], false)]),
            ("a=", vec![t("a", Equal, &[""], false)]),
            ("a in ()", vec![t("a", In, &[""], false)]),
            ("a in (,b)", vec![t("a", In, &["", "b"], false)]),
            (
                "omni.sidero.dev/cluster=prod,omni.sidero.dev/role-controlplane",
                vec![
                    t("omni.sidero.dev/cluster", Equal, &["prod"], false),
                    t("omni.sidero.dev/role-controlplane", Exists, &[], false),
                ],
            ),
            ("", vec![]),
        ];
        for (q, want) in cases {
            assert_eq!(parse_selector(q).unwrap().terms, want, "{q}");
        }
        for (q, err) in [
            ("a in a, b, c, d", ""),
            ("a in a", ""),
            ("!a= 1", ""),
            (r#"a="b, c"#, "unterminated quoted string"),
            (r#"a="b,\"#, "unterminated escape sequence"),
            ("a,", "expected: identifier after ','"),
            ("a ~ b", ""),
        ] {
            let e = parse_selector(q).unwrap_err();
            assert_eq!(e.code(), crate::Code::InvalidArgument);
            assert!(e.to_string().contains(err), "{q}: {e}");
        }
    }

    #[test]
    fn matching_semantics() {
        let labels: BTreeMap<String, String> = [
            ("env", "prod"),
            ("mem", "16Gi"),
            ("cores", "8"),
            ("empty", ""),
            ("name", "abc"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let m = |s: &str| matches(&parse_selector(s).unwrap(), &labels);
        assert!(m("env=prod"));
        assert!(m("env"));
        assert!(m("empty="));
        assert!(m("!missing"));
        assert!(!m("!env"));
        assert!(m("missing!=x"));
        assert!(m("env in (dev, prod)"));
        assert!(m("missing notin (a)"));
        assert!(m("cores > 4"));
        assert!(m("cores >= 8"));
        assert!(!m("cores < 8"));
        assert!(m("cores <= 8"));
        assert!(m("mem > 16G"));
        assert!(m("mem >= 16Gi"));
        assert!(m("mem < 17179869185"));
        // Missing label or non-numeric value: false even when inverted.
        assert!(!m("missing > 1"));
        assert!(!m("name > 1"));
        assert!(!m("name < 1"));
        assert!(m("env=prod, cores=8"));
        assert!(!m("env=prod, cores=9"));
        let lt = LabelQuery {
            terms: vec![t("name", Operation::Lt, &["abd"], false)],
        };
        assert!(matches(&lt, &labels));
        assert!(matches_any(&[], &labels));
    }
}
