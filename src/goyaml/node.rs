//! A YAML node tree with source positions, built from `yaml-rust2` parser events.
//!
//! Scalars keep their source text, style and tag so that the loader can apply go-yaml's
//! resolution and decoding rules (plain `1.30` is a float for resolution but decodes into a
//! string field as its text).

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Position of a node: 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: u32,
    pub col: u32,
}

pub(crate) use super::scalar::STag;

#[derive(Clone, Debug)]
pub(crate) enum NodeKind {
    Scalar {
        value: String,
        tag: STag,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub pos: Pos,
}

impl Node {
    pub(crate) fn is_null(&self) -> bool {
        matches!(
            &self.kind,
            NodeKind::Scalar {
                tag: STag::Null,
                ..
            }
        )
    }

    pub(crate) fn scalar(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    #[cfg_attr(not(feature = "templates"), allow(dead_code))]
    pub(crate) fn tag(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar { tag, .. } => tag.short(),
            NodeKind::Seq(_) => "!!seq",
            NodeKind::Map(_) => "!!map",
        }
    }

    /// go-yaml's numeric node kind (document=1, sequence=2, mapping=4, scalar=8).
    #[cfg_attr(not(feature = "templates"), allow(dead_code))]
    pub(crate) fn go_kind(&self) -> u8 {
        match &self.kind {
            NodeKind::Scalar { .. } => 8,
            NodeKind::Seq(_) => 2,
            NodeKind::Map(_) => 4,
        }
    }

    /// The value under `key` of a mapping (merge keys applied, as [`Node::map_entries`]), without
    /// collecting the entries.
    #[cfg_attr(not(feature = "templates"), allow(dead_code))]
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        let NodeKind::Map(entries) = &self.kind else {
            return None;
        };
        if let Some((_, v)) = entries
            .iter()
            .find(|(k, _)| !is_merge_key(k) && k.scalar() == Some(key))
        {
            return Some(v);
        }
        if !entries.iter().any(|(k, _)| is_merge_key(k)) {
            return None;
        }
        self.map_entries()?
            .into_iter()
            .find(|(k, _)| k.scalar() == Some(key))
            .map(|(_, v)| v)
    }

    /// Mapping entries with `<<` merge keys applied (explicit keys win over merged ones).
    pub(crate) fn map_entries(&self) -> Option<Vec<(&Node, &Node)>> {
        let NodeKind::Map(entries) = &self.kind else {
            return None;
        };
        let has_merge = entries.iter().any(|(k, _)| is_merge_key(k));
        if !has_merge {
            return Some(entries.iter().map(|(k, v)| (k, v)).collect());
        }
        let mut out: Vec<(&Node, &Node)> = Vec::new();
        let mut merged: Vec<(&Node, &Node)> = Vec::new();
        for (k, v) in entries {
            if is_merge_key(k) {
                match &v.kind {
                    NodeKind::Map(_) => merged.extend(v.map_entries().unwrap_or_default()),
                    NodeKind::Seq(items) => {
                        for it in items {
                            merged.extend(it.map_entries().unwrap_or_default());
                        }
                    }
                    _ => {}
                }
            } else {
                out.push((k, v));
            }
        }
        for (k, v) in merged {
            let key = k.scalar();
            let exists = key.is_some() && out.iter().any(|(ok, _)| ok.scalar() == key);
            if !exists {
                out.push((k, v));
            }
        }
        Some(out)
    }
}

fn is_merge_key(k: &Node) -> bool {
    matches!(&k.kind, NodeKind::Scalar { value, plain: true, .. } if value == "<<")
}

/// One document of a stream.
#[derive(Debug)]
pub(crate) struct Doc {
    /// Position of the document start (`1:1` for the first document, the `---` marker otherwise).
    #[cfg_attr(not(feature = "templates"), allow(dead_code))]
    pub start: Pos,
    pub root: Node,
}

/// A parse failure, with a position.
#[derive(Debug, Clone)]
pub(crate) struct ParseError {
    pub message: String,
    pub pos: Pos,
}

fn pos_of(m: Marker) -> Pos {
    Pos {
        line: u32::try_from(m.line()).unwrap_or(u32::MAX),
        col: u32::try_from(m.col()).unwrap_or(u32::MAX).saturating_add(1),
    }
}

enum Frame {
    Seq(Vec<Node>, Pos, usize),
    Map(Vec<(Node, Node)>, Option<Node>, Pos, usize),
}

struct Builder {
    docs: Vec<Doc>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    doc_start: Pos,
    root: Option<Node>,
    error: Option<ParseError>,
}

impl Builder {
    fn push_node(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq(items, _, _)) => items.push(node),
            Some(Frame::Map(entries, key, _, _)) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
}

fn resolve_tag(tag: &Option<Tag>, value: &str, style: TScalarStyle) -> (STag, bool) {
    if let Some(t) = tag {
        let suffix = t.suffix.as_str();
        let full = if t.handle == "!!" || t.handle == "tag:yaml.org,2002:" || t.handle.is_empty() {
            suffix.trim_start_matches("tag:yaml.org,2002:")
        } else {
            return (STag::Other, false);
        };
        let st = match full {
            "str" => STag::Str,
            "int" => STag::Int,
            "bool" => STag::Bool,
            "float" => STag::Float,
            "null" => STag::Null,
            "timestamp" => STag::Timestamp,
            "binary" => STag::Binary,
            _ => STag::Other,
        };
        return (st, false);
    }
    if style == TScalarStyle::Plain {
        (super::scalar::resolve_plain(value), true)
    } else {
        (STag::Str, false)
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let pos = pos_of(mark);
        match ev {
            Event::DocumentStart => {
                self.doc_start = if self.docs.is_empty() {
                    Pos { line: 1, col: 1 }
                } else {
                    pos
                };
                self.root = None;
                self.anchors.clear();
            }
            Event::DocumentEnd => {
                let root = self.root.take().unwrap_or(Node {
                    kind: NodeKind::Scalar {
                        value: String::new(),
                        tag: STag::Null,
                        plain: true,
                    },
                    pos: self.doc_start,
                });
                self.docs.push(Doc {
                    start: self.doc_start,
                    root,
                });
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(mut n) => {
                    n.pos = pos;
                    self.push_node(n, 0);
                }
                None => {
                    self.error = Some(ParseError {
                        message: "unknown anchor".into(),
                        pos,
                    })
                }
            },
            Event::Scalar(value, style, anchor, tag) => {
                let (tag, plain) = resolve_tag(&tag, &value, style);
                self.push_node(
                    Node {
                        kind: NodeKind::Scalar { value, tag, plain },
                        pos,
                    },
                    anchor,
                );
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq(Vec::new(), pos, anchor)),
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map(Vec::new(), None, pos, anchor))
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq(items, p, a)) => (
                        Node {
                            kind: NodeKind::Seq(items),
                            pos: p,
                        },
                        a,
                    ),
                    Some(Frame::Map(entries, _, p, a)) => (
                        Node {
                            kind: NodeKind::Map(entries),
                            pos: p,
                        },
                        a,
                    ),
                    None => return,
                };
                self.push_node(node, anchor);
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
        }
    }
}

/// Parses a YAML stream into documents with positioned nodes.
pub(crate) fn parse_stream(text: &str) -> Result<Vec<Doc>, ParseError> {
    let mut b = Builder {
        docs: Vec::new(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        doc_start: Pos { line: 1, col: 1 },
        root: None,
        error: None,
    };
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut b, true) {
        let m = *e.marker();
        return Err(ParseError {
            message: format!("yaml: line {}: {}", m.line(), e.info()),
            pos: pos_of(m),
        });
    }
    if let Some(e) = b.error {
        return Err(e);
    }
    Ok(b.docs)
}
