//! Watches as JSON text through `omni.resources.ResourceService/Watch`, what Omni's own UI
//! reads: the server renders every resource as JSON, so nothing is decoded here beyond the id
//! and version that resuming needs, and each event crosses to JS as one JSON text.
//!
//! ResourceService has no bookmarks. After a broken stream the watcher opens it again, takes
//! the fresh snapshot and delivers only the difference against what it has already delivered
//! (created, updated with `old`, destroyed), as Kubernetes informers do after a relist: nothing
//! is repeated and the state the caller holds ends up exact, but several changes of one
//! resource during the outage arrive as one update. Callers that need every event and a
//! bookmark to resume from use `cosi.resource.State/Watch` ([`WatchParams::bookmarks`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use futures::stream::LocalBoxStream;
use futures::StreamExt as _;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::resources::Resources;
use super::resume::default_backoff;
use super::resume::Resumable;
use super::watch::{WatchEventKind, WatchParams};
use crate::proto::omni::resources as pb;
use crate::transport::{text_string, CallKind, CallOptions, Protocol, Text};
use crate::{Error, Result};

/// The ResourceService's Watch method.
pub(super) const RS_WATCH: &str = "/omni.resources.ResourceService/Watch";

/// What the watcher remembers of a resource it delivered: enough to tell a change after a
/// reconnect and to hand out the previous state (kept as an engine string in wasm).
struct Known {
    version: String,
    /// The JSON text of the last event built for it (its `resource` is the current state).
    event: Text,
}

/// A resource of a ResourceService event: its JSON as a string (decoded protobuf), or, from a
/// gateway line, the JSON string literal that holds it, kept escaped (the engine's `JSON.parse`
/// unescapes it far faster than the wasm can).
enum Payload {
    Json(String),
    Literal(Box<RawValue>),
}

impl Payload {
    fn is_empty(&self) -> bool {
        match self {
            Payload::Json(s) => s.is_empty(),
            Payload::Literal(r) => r.get() == "\"\"",
        }
    }

    /// The resource JSON itself.
    fn json(&self) -> Result<Cow<'_, str>> {
        match self {
            Payload::Json(s) => Ok(Cow::Borrowed(s)),
            Payload::Literal(r) => serde_json::from_str::<String>(r.get())
                .map(Cow::Owned)
                .map_err(|e| Error::Decode(format!("ResourceService watch resource: {e}"))),
        }
    }

    /// As a JSON value in an event text: an object, or the string literal that holds it.
    fn write(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(match self {
            Payload::Json(s) => s.as_bytes(),
            Payload::Literal(r) => r.get().as_bytes(),
        });
    }
}

/// One ResourceService event as the watcher reads it.
struct Incoming {
    event_type: i32,
    resource: Payload,
    old: Payload,
}

/// A gateway line of ResourceService/Watch with the resources left as string literals.
#[derive(Deserialize)]
struct LineResponse {
    #[serde(default)]
    event: Option<LineEvent>,
}

#[derive(Deserialize)]
struct LineEvent {
    #[serde(default)]
    event_type: serde_json::Value,
    #[serde(default)]
    resource: Option<Box<RawValue>>,
    #[serde(default)]
    old: Option<Box<RawValue>>,
}

impl LineEvent {
    fn incoming(self) -> Incoming {
        let event_type = match &self.event_type {
            serde_json::Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
            serde_json::Value::String(s) => pb::EventType::from_str_name(s).map(|t| t as i32),
            _ => None,
        }
        .unwrap_or(0);
        let payload =
            |r: Option<Box<RawValue>>| r.map_or(Payload::Json(String::new()), Payload::Literal);
        Incoming {
            event_type,
            resource: payload(self.resource),
            old: payload(self.old),
        }
    }
}

/// The resource JSON of an event text the watcher built.
fn resource_of(event: &Text) -> Result<String> {
    #[derive(Deserialize)]
    struct Ev {
        resource: Box<RawValue>,
    }
    let text = text_string(event);
    let ev: Ev =
        serde_json::from_str(&text).map_err(|e| Error::Decode(format!("watch event: {e}")))?;
    let raw = ev.resource.get();
    if raw.starts_with('"') {
        Payload::Literal(ev.resource).json().map(Cow::into_owned)
    } else {
        Ok(raw.to_string())
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// The first snapshot: delivered as it arrives (or only remembered, without bootstrap).
    Initial,
    /// A reconnect's snapshot: collected, then compared with what was delivered.
    Resync,
    /// Live events.
    Live,
}

struct State {
    res: Resources,
    params: WatchParams,
    opts: CallOptions,
    phase: Phase,
    known: BTreeMap<String, Known>,
    /// A reconnect's snapshot until its BOOTSTRAPPED: (id, version, resource).
    pending: Vec<(String, String, Payload)>,
    bootstrapped_sent: bool,
    buf: Vec<u8>,
}

pub(super) fn watch_json(
    res: Resources,
    params: WatchParams,
    opts: CallOptions,
) -> LocalBoxStream<'static, Result<Text>> {
    let backoff = params.backoff.clone().unwrap_or_else(default_backoff);
    let state = State {
        res,
        params,
        opts: opts.clone(),
        phase: Phase::Initial,
        known: BTreeMap::new(),
        pending: Vec::new(),
        bootstrapped_sent: false,
        buf: Vec::new(),
    };
    super::resume::drive(state, backoff, opts)
}

/// The id and version of a resource as ResourceService writes it (the version is a number).
fn id_version(resource: &str) -> Result<(String, String)> {
    #[derive(Deserialize)]
    struct Head {
        metadata: Meta,
    }
    #[derive(Deserialize)]
    struct Meta {
        id: String,
        #[serde(default)]
        version: serde_json::Value,
    }
    let h: Head = serde_json::from_str(resource)
        .map_err(|e| Error::Decode(format!("ResourceService watch resource: {e}")))?;
    let version = match h.metadata.version {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        v => v.to_string(),
    };
    Ok((h.metadata.id, version))
}

impl Resumable for State {
    type Msg = Option<Incoming>;
    type Out = Text;

    fn open(&mut self) -> Result<LocalBoxStream<'static, Result<Option<Incoming>>>> {
        let md = self.res.rs_metadata(&self.params.list.selectors)?;
        let req = pb::WatchRequest {
            namespace: self.res.namespace().to_string(),
            r#type: self.res.type_name().to_string(),
            id: self.params.id.clone().unwrap_or_default(),
            ..pb::WatchRequest::default()
        };
        self.pending.clear();
        let transport = self.res.client().transport();
        let opts = self.opts.clone();
        Ok(if transport.protocol() == Protocol::Gateway {
            transport
                .gateway_stream::<_, LineResponse>(RS_WATCH, md, req, CallKind::Read, opts)
                .map(|r| r.map(|l| l.event.map(LineEvent::incoming)))
                .boxed_local()
        } else {
            transport
                .server_streaming::<_, pb::WatchResponse>(RS_WATCH, md, req, CallKind::Read, opts)
                .map(|r| {
                    r.map(|m| {
                        m.event.map(|e| Incoming {
                            event_type: e.event_type,
                            resource: Payload::Json(e.resource),
                            old: Payload::Json(e.old),
                        })
                    })
                })
                .boxed_local()
        })
    }

    fn accept(&mut self, ev: Option<Incoming>, ready: &mut VecDeque<Text>) -> Result<()> {
        match ev {
            Some(ev) => self.accept_event(ev, ready),
            None => Ok(()),
        }
    }

    /// The next snapshot is compared with what was delivered; a first snapshot that was only
    /// remembered (no bootstrap asked for) is simply taken again.
    fn reconnecting(&mut self) {
        match self.phase {
            Phase::Initial if !self.params.bootstrap => self.known.clear(),
            Phase::Initial | Phase::Live => self.phase = Phase::Resync,
            Phase::Resync => {}
        }
    }
}

impl State {
    fn accept_event(&mut self, ev: Incoming, ready: &mut VecDeque<Text>) -> Result<()> {
        let kind = match pb::EventType::try_from(ev.event_type) {
            Ok(pb::EventType::Created) => WatchEventKind::Created,
            Ok(pb::EventType::Updated) => WatchEventKind::Updated,
            Ok(pb::EventType::Destroyed) => WatchEventKind::Destroyed,
            Ok(pb::EventType::Bootstrapped) => return self.bootstrapped(ready),
            _ => return Ok(()),
        };
        let (id, version) = id_version(&ev.resource.json()?)?;
        if self.phase == Phase::Resync {
            // before BOOTSTRAPPED a snapshot has only CREATED events
            if kind != WatchEventKind::Destroyed {
                self.pending.push((id, version, ev.resource));
            }
            return Ok(());
        }
        let deliver = self.phase == Phase::Live || self.params.bootstrap;
        if kind == WatchEventKind::Destroyed {
            // the server's event carries the last state itself
            self.known.remove(&id);
            if deliver {
                let event = self.event_text(kind, &ev.resource, None)?;
                ready.push_back(event);
            }
            return Ok(());
        }
        let old = (kind == WatchEventKind::Updated && !ev.old.is_empty()).then_some(&ev.old);
        let event = self.event_text(kind, &ev.resource, old)?;
        if deliver {
            ready.push_back(event.clone());
        }
        self.known.insert(id, Known { version, event });
        Ok(())
    }

    fn bootstrapped(&mut self, ready: &mut VecDeque<Text>) -> Result<()> {
        match self.phase {
            Phase::Initial => {
                self.phase = Phase::Live;
                if self.params.bootstrap {
                    self.marker(ready);
                }
            }
            Phase::Resync => {
                self.phase = Phase::Live;
                self.resync(ready)?;
                if self.params.bootstrap && !self.bootstrapped_sent {
                    self.marker(ready);
                }
            }
            Phase::Live => {}
        }
        Ok(())
    }

    /// Compares a reconnect's snapshot with what was delivered and delivers the difference.
    fn resync(&mut self, ready: &mut VecDeque<Text>) -> Result<()> {
        let snapshot = std::mem::take(&mut self.pending);
        let mut seen = BTreeSet::new();
        for (id, version, resource) in snapshot {
            seen.insert(id.clone());
            let event = match self.known.get(&id) {
                Some(k) if k.version == version => continue,
                Some(k) => {
                    let old = Payload::Json(resource_of(&k.event)?);
                    self.event_text(WatchEventKind::Updated, &resource, Some(&old))?
                }
                None => self.event_text(WatchEventKind::Created, &resource, None)?,
            };
            ready.push_back(event.clone());
            self.known.insert(id, Known { version, event });
        }
        let gone: Vec<String> = self
            .known
            .keys()
            .filter(|id| !seen.contains(*id))
            .cloned()
            .collect();
        for id in gone {
            if let Some(k) = self.known.remove(&id) {
                let last = Payload::Json(resource_of(&k.event)?);
                let event = self.event_text(WatchEventKind::Destroyed, &last, None)?;
                ready.push_back(event);
            }
        }
        Ok(())
    }

    fn marker(&mut self, ready: &mut VecDeque<Text>) {
        self.bootstrapped_sent = true;
        ready.push_back(Text::from(r#"{"type":"bootstrapped"}"#));
    }

    /// `{"type", "resource", "old"?}` with the resources as the server wrote them: JSON objects,
    /// or (from gateway lines) string literals holding them, which the JS glue parses in turn.
    fn event_text(
        &mut self,
        kind: WatchEventKind,
        resource: &Payload,
        old: Option<&Payload>,
    ) -> Result<Text> {
        let buf = &mut self.buf;
        buf.clear();
        buf.extend_from_slice(b"{\"type\":\"");
        buf.extend_from_slice(kind.name().as_bytes());
        buf.extend_from_slice(b"\",\"resource\":");
        resource.write(buf);
        if let Some(old) = old {
            buf.extend_from_slice(b",\"old\":");
            old.write(buf);
        }
        buf.push(b'}');
        std::str::from_utf8(buf)
            .map(Text::from)
            .map_err(|e| Error::Decode(format!("watch event: {e}")))
    }
}
