//! Watches through `omni.resources.ResourceService/Watch`, what Omni's own UI reads: the
//! server renders every resource as JSON, so nothing is decoded here beyond the id and version
//! that resuming needs. On the gateway in wasm the JS engine parses each line and its resource
//! strings (`JSON.parse`, far faster than the wasm could) and events are handed out as JS
//! objects; elsewhere each event is one JSON text.
//!
//! ResourceService has no bookmarks. After a broken stream the watcher opens it again, takes
//! the fresh snapshot and delivers only the difference against what it has already delivered
//! (created, updated with `old`, destroyed), as Kubernetes informers do after a relist: nothing
//! is repeated and the state the caller holds ends up exact, but several changes of one
//! resource during the outage arrive as one update. Callers that need every event and a
//! bookmark to resume from use `cosi.resource.State/Watch` ([`WatchParams::bookmarks`]).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use futures::stream::LocalBoxStream;
use futures::StreamExt as _;
use serde::Deserialize;

use super::resources::Resources;
use super::resume::{default_backoff, Resumable};
use super::watch::{WatchEventKind, WatchParams};
use crate::proto::omni::resources as pb;
use crate::transport::{CallKind, CallOptions, Text};
use crate::{Error, Result};

/// The ResourceService's Watch method.
pub(super) const RS_WATCH: &str = "/omni.resources.ResourceService/Watch";

/// One event of [`Resources::watch_text`](super::Resources::watch_text): its JSON text, or in
/// wasm possibly the event object itself (`{type, resource?, old?, bookmark?}`).
#[cfg(target_arch = "wasm32")]
pub type WatchItem = wasm_bindgen::JsValue;
/// One event of [`Resources::watch_text`](super::Resources::watch_text): its JSON text.
#[cfg(not(target_arch = "wasm32"))]
pub type WatchItem = String;

/// What the watcher remembers of a resource it delivered: enough to tell a change after a
/// reconnect and to hand out the previous state (kept in the engine in wasm).
struct Known {
    version: String,
    /// The last event built for it (its `resource` is the current state).
    event: WatchItem,
}

/// A resource of a ResourceService event: its JSON text (decoded protobuf), or in wasm the
/// object the engine parsed from a gateway line.
enum Payload {
    Json(String),
    #[cfg(target_arch = "wasm32")]
    Js(wasm_bindgen::JsValue),
}

impl Payload {
    fn is_empty(&self) -> bool {
        match self {
            Payload::Json(s) => s.is_empty(),
            #[cfg(target_arch = "wasm32")]
            Payload::Js(v) => v.is_undefined() || v.is_null(),
        }
    }

    /// The id and version (ResourceService writes the version as a number).
    fn id_version(&self) -> Result<(String, String)> {
        match self {
            Payload::Json(s) => id_version(s),
            #[cfg(target_arch = "wasm32")]
            Payload::Js(v) => {
                use crate::transport::props::get;
                let md = get(v, "metadata");
                let id = get(&md, "id").as_string().ok_or_else(|| {
                    Error::Decode("ResourceService watch resource without an id".into())
                })?;
                let version = get(&md, "version");
                let version = match version.as_f64() {
                    Some(n) => format!("{n}"),
                    None => version.as_string().unwrap_or_default(),
                };
                Ok((id, version))
            }
        }
    }
}

/// One ResourceService event as the watcher reads it.
struct Incoming {
    event_type: i32,
    resource: Payload,
    old: Payload,
}

/// The event of a gateway line's `result` the engine parsed, with its resource strings parsed
/// by the engine too.
#[cfg(target_arch = "wasm32")]
fn incoming_js(result: &wasm_bindgen::JsValue) -> Result<Option<Incoming>> {
    use crate::transport::props::get;
    use crate::transport::Transport;
    let ev = get(result, "event");
    if ev.is_undefined() || ev.is_null() {
        return Ok(None);
    }
    let t = get(&ev, "event_type");
    let event_type = match t.as_f64() {
        Some(n) => n as i32,
        None => t
            .as_string()
            .and_then(|s| pb::EventType::from_str_name(&s))
            .map_or(0, |t| t as i32),
    };
    let payload = |key: &'static str| -> Result<Payload> {
        let s = get(&ev, key);
        // (an empty string is "no resource"; its length is read without copying it out)
        let empty =
            wasm_bindgen::JsCast::dyn_ref::<js_sys::JsString>(&s).is_some_and(|s| s.length() == 0);
        if s.is_undefined() || s.is_null() || empty {
            return Ok(Payload::Json(String::new()));
        }
        Transport::json_parse(&s)
            .map(Payload::Js)
            .map_err(|e| Error::Decode(format!("ResourceService watch {key}: {e}")))
    };
    Ok(Some(Incoming {
        event_type,
        resource: payload("resource")?,
        old: payload("old")?,
    }))
}

/// The resource of an event the watcher built.
fn resource_of(event: &WatchItem) -> Result<Payload> {
    #[cfg(target_arch = "wasm32")]
    if !event.is_string() {
        return Ok(Payload::Js(crate::transport::props::get(event, "resource")));
    }
    #[cfg(target_arch = "wasm32")]
    let text = event.as_string().unwrap_or_default();
    #[cfg(not(target_arch = "wasm32"))]
    let text = event.clone();
    let ev: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Error::Decode(format!("watch event: {e}")))?;
    Ok(Payload::Json(ev["resource"].to_string()))
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

impl Resources {
    /// A watch as JSON text, one text per event: `{"type", "resource"?, "old"?,
    /// "bookmark"?}` (what the JS API yields). Unless the parameters need
    /// `cosi.resource.State/Watch` ([`WatchParams::bookmarks`](WatchParams::bookmarks),
    /// a bookmark, tail events, an id regexp), it reads `omni.resources.ResourceService/Watch`,
    /// whose resources the server renders as JSON (`metadata.version` is a number there) and
    /// which resumes by comparing snapshots (see the `watch_json` module).
    pub fn watch_text(
        &self,
        params: WatchParams,
        opts: CallOptions,
    ) -> LocalBoxStream<'static, Result<super::WatchItem>> {
        if !params.needs_state_watch() {
            return watch_json(self.clone(), params, opts);
        }
        // resources written straight from their protobuf form, one buffer for every event
        let registry = self.registry().clone();
        let mut buf = Vec::new();
        use futures::StreamExt as _;
        futures::StreamExt::map(self.watch_raw(params, opts), move |ev| {
            ev?.write_json(&registry, &mut buf)?;
            std::str::from_utf8(&buf)
                .map(|t| super::WatchItem::from(crate::transport::Text::from(t)))
                .map_err(|e| Error::Decode(format!("watch event: {e}")))
        })
        .boxed_local()
    }
}

pub(super) fn watch_json(
    res: Resources,
    params: WatchParams,
    opts: CallOptions,
) -> LocalBoxStream<'static, Result<WatchItem>> {
    let backoff = params.backoff.clone().unwrap_or_else(default_backoff);
    let clock = res.client().transport().clock();
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
    super::resume::drive(state, backoff, opts, clock)
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
    type Out = WatchItem;

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
        #[cfg(target_arch = "wasm32")]
        if transport.protocol() == crate::transport::Protocol::Gateway {
            return Ok(transport
                .gateway_stream_js(RS_WATCH, md, req, CallKind::Read, opts)
                .map(|r| r.and_then(|result| incoming_js(&result)))
                .boxed_local());
        }
        Ok(transport
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
            .boxed_local())
    }

    fn accept(&mut self, ev: Option<Incoming>, ready: &mut VecDeque<WatchItem>) -> Result<()> {
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
    fn accept_event(&mut self, ev: Incoming, ready: &mut VecDeque<WatchItem>) -> Result<()> {
        let kind = match pb::EventType::try_from(ev.event_type) {
            Ok(pb::EventType::Created) => WatchEventKind::Created,
            Ok(pb::EventType::Updated) => WatchEventKind::Updated,
            Ok(pb::EventType::Destroyed) => WatchEventKind::Destroyed,
            Ok(pb::EventType::Bootstrapped) => return self.bootstrapped(ready),
            _ => return Ok(()),
        };
        let (id, version) = ev.resource.id_version()?;
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
                let event = self.event(kind, &ev.resource, None)?;
                ready.push_back(event);
            }
            return Ok(());
        }
        let old = (kind == WatchEventKind::Updated && !ev.old.is_empty()).then_some(&ev.old);
        let event = self.event(kind, &ev.resource, old)?;
        if deliver {
            ready.push_back(event.clone());
        }
        self.known.insert(id, Known { version, event });
        Ok(())
    }

    fn bootstrapped(&mut self, ready: &mut VecDeque<WatchItem>) -> Result<()> {
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
    fn resync(&mut self, ready: &mut VecDeque<WatchItem>) -> Result<()> {
        let snapshot = std::mem::take(&mut self.pending);
        let mut seen = BTreeSet::new();
        for (id, version, resource) in snapshot {
            seen.insert(id.clone());
            let event = match self.known.get(&id) {
                Some(k) if k.version == version => continue,
                Some(k) => {
                    let old = resource_of(&k.event)?;
                    self.event(WatchEventKind::Updated, &resource, Some(&old))?
                }
                None => self.event(WatchEventKind::Created, &resource, None)?,
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
                let last = resource_of(&k.event)?;
                let event = self.event(WatchEventKind::Destroyed, &last, None)?;
                ready.push_back(event);
            }
        }
        Ok(())
    }

    fn marker(&mut self, ready: &mut VecDeque<WatchItem>) {
        self.bootstrapped_sent = true;
        ready.push_back(WatchItem::from(Text::from(r#"{"type":"bootstrapped"}"#)));
    }

    /// `{"type", "resource", "old"?}`: a JS object when a resource is one (wasm, gateway),
    /// else JSON text with the resources as the server wrote them.
    fn event(
        &mut self,
        kind: WatchEventKind,
        resource: &Payload,
        old: Option<&Payload>,
    ) -> Result<WatchItem> {
        #[cfg(target_arch = "wasm32")]
        if matches!(resource, Payload::Js(_)) || matches!(old, Some(Payload::Js(_))) {
            return event_object(kind, resource, old);
        }
        let buf = &mut self.buf;
        buf.clear();
        buf.extend_from_slice(b"{\"type\":\"");
        buf.extend_from_slice(kind.name().as_bytes());
        buf.extend_from_slice(b"\",\"resource\":");
        fn json(p: &Payload) -> Result<&[u8]> {
            match p {
                Payload::Json(s) => Ok(s.as_bytes()),
                #[cfg(target_arch = "wasm32")]
                Payload::Js(_) => Err(Error::Decode("watch event: mixed forms".into())),
            }
        }
        buf.extend_from_slice(json(resource)?);
        if let Some(old) = old {
            buf.extend_from_slice(b",\"old\":");
            buf.extend_from_slice(json(old)?);
        }
        buf.push(b'}');
        std::str::from_utf8(buf)
            .map(|t| WatchItem::from(Text::from(t)))
            .map_err(|e| Error::Decode(format!("watch event: {e}")))
    }
}

/// The event as a JS object (resources given as text are parsed by the engine).
#[cfg(target_arch = "wasm32")]
fn event_object(
    kind: WatchEventKind,
    resource: &Payload,
    old: Option<&Payload>,
) -> Result<WatchItem> {
    use crate::transport::props::{set, with_name};
    let value = |p: &Payload| -> Result<wasm_bindgen::JsValue> {
        match p {
            Payload::Js(v) => Ok(v.clone()),
            Payload::Json(s) => crate::transport::Transport::json_parse(&s.as_str().into()),
        }
    };
    let o: wasm_bindgen::JsValue = js_sys::Object::new().into();
    let written = with_name(kind.name(), |name| set(&o, "type", name))
        && set(&o, "resource", &value(resource)?)
        && old.map_or(Ok(true), |old| Ok::<_, Error>(set(&o, "old", &value(old)?)))?;
    if !written {
        return Err(Error::Decode("watch event".into()));
    }
    Ok(o)
}
