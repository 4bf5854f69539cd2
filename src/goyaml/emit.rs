//! A YAML emitter that reproduces go-yaml's encoder output byte for byte for the values
//! templates produce (block style, width-80 folding, go-yaml quoting decisions).

use super::node::STag;
use super::scalar::{format_float, resolve_plain};

/// A value to emit.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Y {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// A typed string: quoted when it would read back as another type.
    Str(String),
    /// An untagged scalar: plain whenever the syntax allows.
    Raw(String),
    Seq(Vec<Y>),
    Map(Vec<(Y, Y)>),
}

impl Y {
    pub(crate) fn str(s: impl Into<String>) -> Y {
        Y::Str(s.into())
    }
    #[cfg_attr(not(feature = "templates"), allow(dead_code))]
    pub(crate) fn raw(s: impl Into<String>) -> Y {
        Y::Raw(s.into())
    }
    #[cfg_attr(not(feature = "templates"), allow(dead_code))]
    pub(crate) fn map<K: Into<String>>(entries: Vec<(K, Y)>) -> Y {
        Y::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Y::Str(k.into()), v))
                .collect(),
        )
    }
}

const WIDTH: usize = 80;

pub(crate) struct Emitter {
    out: String,
    b: usize,
    line_start: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

struct Analysis {
    plain: bool,
    single: bool,
    block: bool,
}

fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || u == 0x85
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

fn analyze(s: &str) -> Analysis {
    // Fast path: identifiers, paths, versions, UUIDs.
    let b = s.as_bytes();
    if !(b.is_empty() || b.starts_with(b"---") || b == b"-")
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'/' | b'-'))
    {
        return Analysis {
            plain: true,
            single: true,
            block: true,
        };
    }
    if s.is_empty() {
        return Analysis {
            plain: true,
            single: true,
            block: false,
        };
    }
    let mut block_ind = false;
    if s.starts_with("---") || s.starts_with("...") {
        block_ind = true;
    }
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut special, mut line_breaks, mut tabs) =
        (false, false, false, false, false);
    let mut prev_space = false;
    let mut prev_break = false;
    let mut preceded_by_ws = true;
    let mut it = s.chars().peekable();
    let mut i = 0usize;
    while let Some(c) = it.next() {
        let next = it.peek().copied();
        let last = next.is_none();
        let followed_by_ws = matches!(
            next,
            None | Some(' ') | Some('\t') | Some('\n') | Some('\r')
        );
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_ind = true,
                '?' | ':' | '-' if followed_by_ws => block_ind = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_ind = true,
                '#' if preceded_by_ws => block_ind = true,
                _ => {}
            }
        }
        if c == '\t' {
            tabs = true;
        } else if !is_printable(c) && c != '\r' {
            special = true;
        }
        if c == '\n' || c == '\r' {
            line_breaks = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if last {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if c == '\n' || c == '\r' {
            if i == 0 {
                leading_break = true;
            }
            if last {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = matches!(c, ' ' | '\t' | '\n' | '\r');
        i += 1;
    }
    let mut a = Analysis {
        plain: true,
        single: true,
        block: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.plain = false;
    }
    if trailing_space {
        a.block = false;
    }
    if break_space {
        a.plain = false;
        a.single = false;
    }
    if space_break || special {
        a.plain = false;
        a.single = false;
        a.block = false;
    }
    if tabs {
        a.plain = false;
        a.single = false;
    }
    if line_breaks {
        a.plain = false;
    }
    if block_ind {
        a.plain = false;
    }
    a
}

fn is_base60(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-') | Some(b'+')) {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let st = i;
        while i < b.len() && i - st < 2 && b[i].is_ascii_digit() {
            i += 1;
        }
        let len = i - st;
        if len == 0 {
            return false;
        }
        if len == 2 && b[st] > b'5' {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

fn typed_style(s: &str, key: bool) -> Style {
    let a = analyze(s);
    if s.contains('\n') {
        if !key && a.block && !s.chars().all(char::is_whitespace) {
            return Style::Literal;
        }
        return Style::Double;
    }
    if resolve_plain(s) != STag::Str {
        return Style::Double;
    }
    if super::scalar::old_bool(s).is_some() || is_base60(s) || s == "<<" {
        return if a.single {
            Style::Single
        } else {
            Style::Double
        };
    }
    untyped_style_from(&a, s, key)
}

fn untyped_style_from(a: &Analysis, s: &str, key: bool) -> Style {
    if a.plain && !(key && s.is_empty()) {
        Style::Plain
    } else if a.single {
        Style::Single
    } else {
        Style::Double
    }
}

impl Emitter {
    pub(crate) fn new(indent: usize) -> Emitter {
        Emitter {
            out: String::new(),
            b: indent.max(1),
            line_start: 0,
        }
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }

    fn next(&self, i: usize) -> usize {
        self.b * ((i + self.b) / self.b)
    }

    fn col(&self) -> usize {
        self.out[self.line_start..].chars().count()
    }

    fn newline_indent(&mut self, indent: usize) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        self.line_start = self.out.len();
        push_spaces(&mut self.out, indent);
    }

    fn raw_newline(&mut self) {
        self.out.push('\n');
        self.line_start = self.out.len();
    }

    /// Writes a document line `---` separator.
    pub(crate) fn separator(&mut self) {
        self.out.push_str("---\n");
        self.line_start = self.out.len();
    }

    /// Emits one document (ends with a newline).
    pub(crate) fn document(&mut self, v: &Y) {
        match v {
            Y::Map(entries) if !entries.is_empty() => self.block_map(entries, 0, true),
            Y::Seq(items) if !items.is_empty() => self.block_seq(items, 0, true),
            other => self.scalar_value(other, self.b, false),
        }
        self.out.push('\n');
        self.line_start = self.out.len();
    }

    fn block_map(&mut self, entries: &[(Y, Y)], indent: usize, inline_first: bool) {
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 || !inline_first {
                self.newline_indent(indent);
            }
            self.key(k);
            self.out.push(':');
            self.value_after_key(v, indent);
        }
    }

    fn block_seq(&mut self, items: &[Y], indent: usize, inline_first: bool) {
        for (i, it) in items.iter().enumerate() {
            if i > 0 || !inline_first {
                self.newline_indent(indent);
            }
            self.out.push_str("- ");
            self.seq_item(it, indent);
        }
    }

    fn seq_item(&mut self, v: &Y, j: usize) {
        match v {
            Y::Map(entries) if !entries.is_empty() => self.block_map(entries, j + 2, true),
            Y::Seq(items) if !items.is_empty() => self.block_seq(items, j + 2, true),
            other => self.scalar_value(other, j + 2, false),
        }
    }

    fn value_after_key(&mut self, v: &Y, indent: usize) {
        match v {
            Y::Map(entries) if !entries.is_empty() => {
                let n = self.next(indent);
                self.block_map(entries, n, false)
            }
            Y::Seq(items) if !items.is_empty() => {
                let n = self.next(indent);
                self.block_seq(items, n, false)
            }
            Y::Raw(s) if s.is_empty() => {}
            other => {
                self.out.push(' ');
                let n = self.next(indent);
                self.scalar_value(other, n, false)
            }
        }
    }

    fn key(&mut self, k: &Y) {
        match k {
            Y::Str(s) => {
                let st = typed_style(s, true);
                self.write_scalar(s, st, 0, false);
            }
            Y::Raw(s) => {
                let st = untyped_style_from(&analyze(s), s, true);
                self.write_scalar(s, st, 0, false);
            }
            other => self.scalar_value(other, 0, true),
        }
    }

    fn scalar_value(&mut self, v: &Y, indent: usize, key: bool) {
        match v {
            Y::Null => self.out.push_str("null"),
            Y::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Y::Int(i) => self.out.push_str(&i.to_string()),
            Y::Uint(u) => self.out.push_str(&u.to_string()),
            Y::Float(f) => self.out.push_str(&format_float(*f)),
            Y::Str(s) => {
                let st = typed_style(s, key);
                self.write_scalar(s, st, indent, !key);
            }
            Y::Raw(s) => {
                let st = untyped_style_from(&analyze(s), s, key);
                self.write_scalar(s, st, indent, !key);
            }
            Y::Map(_) => self.out.push_str("{}"),
            Y::Seq(_) => self.out.push_str("[]"),
        }
    }

    fn write_scalar(&mut self, s: &str, style: Style, indent: usize, breaks: bool) {
        match style {
            Style::Plain => self.write_plain(s, indent, breaks),
            Style::Single => self.write_single(s, indent, breaks),
            Style::Double => self.write_double(s, indent, breaks),
            Style::Literal => self.write_literal(s, indent),
        }
    }

    fn fold_possible(&self, s: &str) -> bool {
        // Folding needs a space after column 80; cheap pre-check on lengths.
        s.contains(' ') && self.out.len() - self.line_start + s.len() > WIDTH
    }

    fn write_plain(&mut self, s: &str, indent: usize, breaks: bool) {
        if !breaks || !self.fold_possible(s) {
            self.out.push_str(s);
            return;
        }
        let chars: Vec<char> = s.chars().collect();
        let mut col = self.col();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if !spaces && col > WIDTH && !next_space {
                    self.newline_indent(indent);
                    col = indent;
                } else {
                    self.out.push(c);
                    col += 1;
                }
                spaces = true;
            } else {
                self.out.push(c);
                col += 1;
                spaces = false;
            }
        }
    }

    fn write_single(&mut self, s: &str, indent: usize, breaks: bool) {
        self.out.push('\'');
        let chars: Vec<char> = s.chars().collect();
        let mut col = self.col();
        let mut spaces = false;
        let n = chars.len();
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if breaks && !spaces && col > WIDTH && i != 0 && i + 1 != n && !next_space {
                    self.newline_indent(indent);
                    col = indent;
                } else {
                    self.out.push(c);
                    col += 1;
                }
                spaces = true;
            } else {
                if c == '\'' {
                    self.out.push('\'');
                    col += 1;
                }
                self.out.push(c);
                col += 1;
                spaces = false;
            }
        }
        self.out.push('\'');
    }

    fn write_double(&mut self, s: &str, indent: usize, breaks: bool) {
        self.out.push('"');
        let chars: Vec<char> = s.chars().collect();
        let mut col = self.col();
        let mut spaces = false;
        let n = chars.len();
        for (i, &c) in chars.iter().enumerate() {
            let u = c as u32;
            let escape = !is_printable(c) || c == '\u{FEFF}' || c == '\n' || c == '"' || c == '\\';
            if escape {
                let e: String = match c {
                    '\0' => "\\0".into(),
                    '\u{7}' => "\\a".into(),
                    '\u{8}' => "\\b".into(),
                    '\t' => "\\t".into(),
                    '\n' => "\\n".into(),
                    '\u{B}' => "\\v".into(),
                    '\u{C}' => "\\f".into(),
                    '\r' => "\\r".into(),
                    '\u{1B}' => "\\e".into(),
                    '"' => "\\\"".into(),
                    '\\' => "\\\\".into(),
                    '\u{85}' => "\\N".into(),
                    '\u{A0}' => "\\_".into(),
                    '\u{2028}' => "\\L".into(),
                    '\u{2029}' => "\\P".into(),
                    _ if u <= 0xFF => format!("\\x{u:02X}"),
                    _ if u <= 0xFFFF => format!("\\u{u:04X}"),
                    _ => format!("\\U{u:08X}"),
                };
                col += e.len();
                self.out.push_str(&e);
                spaces = false;
            } else if c == ' ' {
                if breaks && !spaces && col > WIDTH && i != 0 && i + 1 != n {
                    self.newline_indent(indent);
                    col = indent;
                    if chars.get(i + 1) == Some(&' ') {
                        self.out.push('\\');
                        col += 1;
                    }
                } else {
                    self.out.push(' ');
                    col += 1;
                }
                spaces = true;
            } else {
                self.out.push(c);
                col += 1;
                spaces = false;
            }
        }
        self.out.push('"');
    }

    fn write_literal(&mut self, s: &str, indent: usize) {
        let text: String = if s.contains('\r') {
            s.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            s.to_string()
        };
        self.out.push('|');
        if text.starts_with(' ') || text.starts_with('\n') {
            self.out.push_str(&self.b.to_string());
        }
        let mut keep = false;
        let body = if let Some(stripped) = text.strip_suffix('\n') {
            if stripped.ends_with('\n') || stripped.is_empty() {
                self.out.push('+');
                keep = true;
            }
            stripped
        } else {
            self.out.push('-');
            text.as_str()
        };
        for line in body.split('\n') {
            self.raw_newline();
            if !line.is_empty() {
                push_spaces(&mut self.out, indent);
                self.out.push_str(line);
            }
        }
        if keep {
            // the last kept line break: what follows starts after a line of its own, which the
            // next key's newline (only added after text) would otherwise swallow
            self.raw_newline();
        }
    }
}

fn push_spaces(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = n;
    while left > 0 {
        let k = left.min(SPACES.len());
        out.push_str(SPACES.get(..k).unwrap_or_default());
        left -= k;
    }
}

/// Encodes one value as a go-yaml document with the given indentation step.
pub(crate) fn to_yaml(v: &Y, indent: usize) -> String {
    let mut e = Emitter::new(indent);
    e.document(v);
    e.finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn merge_keys_are_resolved_or_kept_as_asked() {
        let text = "base: &b\n  x: 1\nm:\n  <<: *b\n  y: 2\n";
        let docs = super::super::node::parse_stream(text).unwrap();
        let resolved = to_yaml(&node_to_y(&docs[0].root, Merges::Resolve), 2);
        assert!(
            !resolved.contains("<<") && resolved.contains("m:\n  y: 2\n  x: 1\n"),
            "{resolved}"
        );
        let kept = to_yaml(&node_to_y(&docs[0].root, Merges::Keep), 2);
        assert!(kept.contains("<<:"), "{kept}");
    }

    #[test]
    fn quotes_like_go_yaml() {
        let v = Y::map(vec![
            ("a", Y::str("")),
            ("b", Y::str("true")),
            ("c", Y::str("1.30")),
            ("d", Y::str("yes")),
            ("e", Y::str("- x")),
            ("f", Y::str("a\nb\n")),
            ("g", Y::raw("")),
            ("h", Y::Seq(vec![])),
            ("i", Y::Map(vec![])),
        ]);
        assert_eq!(
            to_yaml(&v, 4),
            "a: \"\"\nb: \"true\"\nc: \"1.30\"\nd: 'yes'\ne: '- x'\nf: |\n    a\n    b\ng:\nh: []\ni: {}\n"
        );
    }

    #[test]
    fn nests_sequences_of_maps() {
        let v = Y::map(vec![(
            "l",
            Y::Seq(vec![Y::map(vec![
                ("a", Y::Seq(vec![Y::str("x")])),
                ("b", Y::str("z")),
            ])]),
        )]);
        assert_eq!(to_yaml(&v, 4), "l:\n    - a:\n        - x\n      b: z\n");
        assert_eq!(to_yaml(&v, 2), "l:\n  - a:\n      - x\n    b: z\n");
    }

    #[test]
    fn folds_long_plain_scalars() {
        let long = "word ".repeat(30);
        let long = long.trim_end();
        let out = to_yaml(&Y::map(vec![("k", Y::str(long))]), 4);
        assert!(out.lines().count() > 1, "{out}");
        assert!(out
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("    word")));
    }
}

/// What [`node_to_y`] does with merge keys (`<<: *anchor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
pub(crate) enum Merges {
    /// Resolve them into the mapping, as a reader of the document sees it (go-yaml decoding).
    Resolve,
    /// Keep them as written, so that re-encoding writes the document back as it was.
    Keep,
}

/// A parsed node as an emitter value: plain scalars stay untagged and quoted ones strings (so
/// go-yaml's quoting decisions apply again when it is written), mappings keep their order.
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
pub(crate) fn node_to_y(n: &super::node::Node, merges: Merges) -> Y {
    use super::node::NodeKind;
    match &n.kind {
        NodeKind::Scalar { value, plain, .. } => {
            if *plain {
                Y::Raw(value.clone())
            } else {
                Y::Str(value.clone())
            }
        }
        NodeKind::Seq(items) => Y::Seq(items.iter().map(|i| node_to_y(i, merges)).collect()),
        NodeKind::Map(entries) => {
            let pairs = match merges {
                Merges::Resolve => n.map_entries().unwrap_or_default(),
                Merges::Keep => entries.iter().map(|(k, v)| (k, v)).collect(),
            };
            Y::Map(
                pairs
                    .into_iter()
                    .map(|(k, v)| (node_to_y(k, merges), node_to_y(v, merges)))
                    .collect(),
            )
        }
    }
}
