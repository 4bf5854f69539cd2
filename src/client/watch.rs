//! The watcher: bootstrap, live events, and resume from the last bookmark.
//!
//! COSI's Watch (api_version 1) sends an empty first message, then (with bootstrap) one
//! CREATED event per existing resource and a BOOTSTRAPPED marker carrying a bookmark, then
//! live events, each with a bookmark. When the stream breaks, the watcher re-opens it with
//! `start_from_bookmark` = the last bookmark it delivered, so nothing is lost or repeated.
//! Bootstrap events are handed out as they arrive; a stream cut during the bootstrap (whose
//! events carry no bookmark) is opened again with a fresh bootstrap, of which only the
//! difference from what was delivered is handed out (`Created`, `Updated`, and `Destroyed` for
//! what vanished meanwhile), so nothing is repeated. If the server rejects the bookmark
//! (`FAILED_PRECONDITION`, history gone), the watcher bootstraps afresh and says so with a
//! [`WatchEventKind::Resync`] marker before the new snapshot.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use futures::stream::LocalBoxStream;
use futures::StreamExt as _;

use super::resources::{ListParams, Resources};
use super::resume::Resumable;
use super::STATE;
use crate::auth::Metadata;
use crate::proto::cosi::resource as cosi;
use crate::resource::Resource;
use crate::transport::{Backoff, CallKind, CallOptions};
use crate::{Code, Error, Result};

/// What to watch.
#[derive(Clone, Debug, Default)]
pub struct WatchParams {
    /// Watch one resource instead of the whole type.
    pub id: Option<String>,
    /// Label selectors (kind watches only), as in [`ListParams`].
    pub list: ListParams,
    /// Deliver the existing resources first (kind watches). Defaults to `false` —
    /// [`WatchParams::bootstrap`] turns it on.
    pub bootstrap: bool,
    /// Replay up to this many recent events first (instead of bootstrapping). Omni refuses it
    /// (`Unknown`) outside its in-memory namespaces (`ephemeral`, `meta`): its etcd store keeps
    /// no event history.
    pub tail_events: i32,
    /// Resume after this bookmark (from a previous [`WatchEvent::bookmark`]).
    pub start_from_bookmark: Option<Vec<u8>>,
    /// Reconnect policy after a broken stream. Defaults to 500 ms × 1.5ⁿ up to 30 s,
    /// 50 attempts, reset by every delivered event.
    pub backoff: Option<Backoff>,
    /// For [`Resources::watch_text`]: every event with a bookmark, resumed exactly after a
    /// broken stream (`cosi.resource.State/Watch`), instead of ResourceService's server-rendered
    /// JSON resumed by comparing snapshots. Implied by a bookmark, tail events or an id regexp.
    pub bookmarks: bool,
}

impl WatchParams {
    /// Existing resources first, then changes.
    #[must_use]
    pub fn bootstrap() -> Self {
        WatchParams {
            bootstrap: true,
            ..WatchParams::default()
        }
    }

    /// Whether only `cosi.resource.State/Watch` can serve these parameters (bookmarks,
    /// tail events, an id regexp, several selectors: see `ListParams::needs_state`).
    pub(super) fn needs_state_watch(&self) -> bool {
        self.bookmarks
            || self.start_from_bookmark.is_some()
            || self.tail_events > 0
            || self.list.needs_state()
    }
}

/// The kind of a [`WatchEvent`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchEventKind {
    /// A resource appeared (or was part of the bootstrap).
    Created,
    /// A resource changed; `old` holds the previous state.
    Updated,
    /// A resource was destroyed; `resource` holds its last state.
    Destroyed,
    /// The bootstrap is complete: the state so far has been delivered.
    Bootstrapped,
    /// The bookmark was refused; a fresh bootstrap follows (forget what you had).
    Resync,
}

impl WatchEventKind {
    /// Lower-case name as omnictl prints it (`created`, `updated`, ...).
    pub fn name(self) -> &'static str {
        match self {
            WatchEventKind::Created => "created",
            WatchEventKind::Updated => "updated",
            WatchEventKind::Destroyed => "destroyed",
            WatchEventKind::Bootstrapped => "bootstrapped",
            WatchEventKind::Resync => "resync",
        }
    }
}

/// One event of a watch.
#[derive(Clone, Debug)]
pub struct WatchEvent {
    /// What happened.
    pub kind: WatchEventKind,
    /// The resource (absent for `Bootstrapped`/`Resync`).
    pub resource: Option<Resource>,
    /// The previous state, for `Updated`.
    pub old: Option<Resource>,
    /// Where to resume after this event, when the server gave a bookmark.
    pub bookmark: Option<Vec<u8>>,
}

/// One event of a watch as it arrived: resources still in their COSI protobuf form (for
/// callers that write them out directly, e.g. as JSON text for JS); see [`WatchEvent`].
#[derive(Clone, Debug)]
pub struct RawWatchEvent {
    /// What happened.
    pub kind: WatchEventKind,
    /// The resource (absent for `Bootstrapped`/`Resync`).
    pub resource: Option<cosi::Resource>,
    /// The previous state, for `Updated`.
    pub old: Option<cosi::Resource>,
    /// Where to resume after this event, when the server gave a bookmark.
    pub bookmark: Option<Vec<u8>>,
}

impl RawWatchEvent {
    /// Writes the event as the JSON the JS API yields (`{"type", "resource"?, "old"?,
    /// "bookmark"?}`, the bookmark in base64) into `buf`, cleared first; resources are written
    /// straight from their protobuf form.
    ///
    /// # Errors
    /// A spec that does not decode and has no YAML form.
    pub fn write_json(self, registry: &crate::resource::Registry, buf: &mut Vec<u8>) -> Result<()> {
        use base64::Engine as _;
        buf.clear();
        buf.extend_from_slice(b"{\"type\":\"");
        buf.extend_from_slice(self.kind.name().as_bytes());
        buf.push(b'"');
        for (key, r) in [("resource", self.resource), ("old", self.old)] {
            if let Some(r) = r {
                buf.extend_from_slice(format!(",\"{key}\":").as_bytes());
                Resource::write_json_from_proto(r, registry, buf)?;
            }
        }
        if let Some(b) = self.bookmark {
            buf.extend_from_slice(b",\"bookmark\":\"");
            let b64 = base64::engine::general_purpose::STANDARD.encode(b);
            buf.extend_from_slice(b64.as_bytes());
            buf.push(b'"');
        }
        buf.push(b'}');
        Ok(())
    }

    /// Decodes the resources' specs through `registry`.
    ///
    /// # Errors
    /// A spec that does not decode and has no YAML form.
    pub fn decode(self, registry: &crate::resource::Registry) -> Result<WatchEvent> {
        let decode = |r: Option<cosi::Resource>| -> Result<Option<Resource>> {
            r.map(|r| Resource::from_proto(r, registry)).transpose()
        };
        Ok(WatchEvent {
            kind: self.kind,
            resource: decode(self.resource)?,
            old: decode(self.old)?,
            bookmark: self.bookmark,
        })
    }
}

struct State {
    res: Resources,
    params: WatchParams,
    opts: CallOptions,
    /// Last bookmark delivered to the caller.
    bookmark: Option<Vec<u8>>,
    /// The bootstrap is being read (its events carry no bookmark).
    bootstrapping: bool,
    /// What this bootstrap has delivered so far, by id (metadata only). A stream cut before
    /// BOOTSTRAPPED is opened again with a fresh bootstrap, which is compared with this: only
    /// the difference is delivered, so bootstrap events are handed out as they arrive and
    /// never twice. Emptied at BOOTSTRAPPED.
    delivered: BTreeMap<String, cosi::Metadata>,
    /// Ids the bootstrap sent again after such a cut has shown so far.
    seen: BTreeSet<String>,
    /// This bootstrap follows a cut during an earlier one.
    resent: bool,
}

impl Resources {
    /// A watcher in kube-rs's shape over `cosi.resource.State/Watch`: the same events as
    /// [`watch`](Self::watch) (the bootstrap as it arrives — `Created`… then `Bootstrapped`;
    /// `Resync` before a fresh snapshot when a bookmark is refused; resumed from the last
    /// bookmark after a cut, nothing lost or repeated), but every error is yielded and the
    /// watch goes on: the next poll opens the stream again, at once. Pace it with
    /// [`with_backoff`](super::with_backoff), or stop on the errors you consider final. It
    /// ends only when the call's cancel token fires.
    pub fn watcher(
        &self,
        params: WatchParams,
        opts: CallOptions,
    ) -> LocalBoxStream<'static, Result<WatchEvent>> {
        let registry = self.registry().clone();
        super::resume::steps(State::new(self.clone(), params, &opts), opts)
            .map(move |ev| ev.and_then(|ev| ev.decode(&registry)))
            .boxed_local()
    }

    /// Watch this type (or one id) — see [`WatchParams`](WatchParams). The stream
    /// resumes from the last bookmark after a broken connection, without losing or repeating
    /// events; dropping it aborts the fetch.
    pub fn watch(
        &self,
        params: WatchParams,
        opts: CallOptions,
    ) -> LocalBoxStream<'static, Result<WatchEvent>> {
        watch(self.clone(), params, opts)
    }

    /// Like [`watch`](Self::watch), with the resources of each event left in their protobuf
    /// form (see [`RawWatchEvent::decode`](RawWatchEvent::decode)).
    pub fn watch_raw(
        &self,
        params: WatchParams,
        opts: CallOptions,
    ) -> LocalBoxStream<'static, Result<RawWatchEvent>> {
        watch_raw(self.clone(), params, opts)
    }
}

pub(super) fn watch(
    res: Resources,
    params: WatchParams,
    opts: CallOptions,
) -> LocalBoxStream<'static, Result<WatchEvent>> {
    let registry = res.registry().clone();
    watch_raw(res, params, opts)
        .map(move |ev| ev.and_then(|ev| ev.decode(&registry)))
        .boxed_local()
}

pub(super) fn watch_raw(
    res: Resources,
    params: WatchParams,
    opts: CallOptions,
) -> LocalBoxStream<'static, Result<RawWatchEvent>> {
    let backoff = params
        .backoff
        .clone()
        .unwrap_or_else(super::resume::default_backoff);
    let clock = res.client().transport().clock();
    super::resume::drive(State::new(res, params, &opts), backoff, opts, clock)
}

impl State {
    fn new(res: Resources, params: WatchParams, opts: &CallOptions) -> State {
        State {
            bookmark: params.start_from_bookmark.clone(),
            res,
            params,
            opts: opts.clone(),
            bootstrapping: false,
            delivered: BTreeMap::new(),
            seen: BTreeSet::new(),
            resent: false,
        }
    }
}

impl State {
    fn request(&self) -> Result<cosi::WatchRequest> {
        let resume = self.bookmark.clone();
        let kind_watch = self.params.id.is_none();
        let mut options = cosi::WatchOptions {
            bootstrap_contents: false,
            tail_events: 0,
            label_query: Vec::new(),
            id_query: None,
            aggregated: false,
            start_from_bookmark: None,
            bootstrap_bookmark: false,
        };
        if kind_watch {
            options.label_query = self.params.list.label_queries()?;
            options.id_query = self.params.list.id_query();
        }
        if let Some(b) = resume {
            options.start_from_bookmark = Some(b);
        } else if kind_watch && !self.params.bootstrap && self.params.tail_events <= 0 {
            // ask for an initial bookmark (NOOP event) so a cut before the first live event
            // can still resume without a gap
            options.bootstrap_bookmark = true;
        } else if self.params.tail_events > 0 {
            options.tail_events = self.params.tail_events;
        } else if kind_watch && self.params.bootstrap {
            options.bootstrap_contents = true;
        }
        Ok(cosi::WatchRequest {
            namespace: self.res.namespace().to_string(),
            r#type: self.res.type_name().to_string(),
            id: self.params.id.clone(),
            options: Some(options),
            api_version: 1,
        })
    }
}

impl Resumable for State {
    type Msg = cosi::WatchResponse;
    type Out = RawWatchEvent;

    fn open(&mut self) -> Result<LocalBoxStream<'static, Result<cosi::WatchResponse>>> {
        let req = self.request()?;
        self.bootstrapping = req.options.as_ref().is_some_and(|o| o.bootstrap_contents);
        self.seen.clear();
        Ok(self.res.client().transport().server_streaming_one_pass(
            &format!("{STATE}Watch"),
            Metadata::new(),
            req,
            CallKind::Read,
            self.opts.clone(),
        ))
    }

    fn accept(
        &mut self,
        resp: cosi::WatchResponse,
        ready: &mut VecDeque<RawWatchEvent>,
    ) -> Result<()> {
        for ev in resp.event {
            self.accept_event(ev, ready)?;
        }
        Ok(())
    }

    /// Cut during the bootstrap: the next one is compared with what this one delivered.
    fn reconnecting(&mut self) {
        if self.bootstrapping && !self.delivered.is_empty() {
            self.resent = true;
        }
    }

    /// History no longer has our bookmark (`FAILED_PRECONDITION`, or an ERRORED event after
    /// resuming): start over with a fresh snapshot, announced by a `Resync` marker.
    fn recover(&mut self, e: &Error, ready: &mut VecDeque<RawWatchEvent>) -> bool {
        if e.code() != Code::FailedPrecondition || self.bookmark.is_none() {
            return false;
        }
        self.bookmark = None;
        ready.push_back(RawWatchEvent {
            kind: WatchEventKind::Resync,
            resource: None,
            old: None,
            bookmark: None,
        });
        true
    }
}

impl State {
    fn accept_event(&mut self, ev: cosi::Event, ready: &mut VecDeque<RawWatchEvent>) -> Result<()> {
        let kind = match cosi::EventType::try_from(ev.event_type) {
            Ok(cosi::EventType::Created) => WatchEventKind::Created,
            Ok(cosi::EventType::Updated) => WatchEventKind::Updated,
            Ok(cosi::EventType::Destroyed) => WatchEventKind::Destroyed,
            Ok(cosi::EventType::Bootstrapped) => WatchEventKind::Bootstrapped,
            Ok(cosi::EventType::Errored) => {
                // Omni's etcd store opens a watch from a revision it has compacted away (or not
                // reached) and then says so in an ERRORED event, not as a FAILED_PRECONDITION
                // status: with a resume point that is a refused bookmark, answered with a resync
                let code = if self.bookmark.is_some() {
                    Code::FailedPrecondition
                } else {
                    Code::Aborted
                };
                return Err(Error::status(
                    code,
                    format!(
                        "watch errored: {}",
                        ev.error.unwrap_or_else(|| "no reason given".into())
                    ),
                ));
            }
            Ok(cosi::EventType::Noop) => {
                if ev.bookmark.is_some() {
                    self.bookmark = ev.bookmark;
                }
                return Ok(());
            }
            Err(_) => return Ok(()),
        };
        let event = RawWatchEvent {
            kind,
            resource: if kind == WatchEventKind::Bootstrapped {
                None
            } else {
                ev.resource
            },
            old: ev.old,
            bookmark: ev.bookmark,
        };
        // The resume point is the last bookmark *received* and queued: everything before it is
        // either delivered or waiting in `ready`, which survives a reconnect.
        if self.bootstrapping {
            if kind == WatchEventKind::Bootstrapped {
                self.bootstrapped(ready);
                if event.bookmark.is_some() {
                    self.bookmark.clone_from(&event.bookmark);
                }
                ready.push_back(event);
            } else {
                self.bootstrap_event(event, ready);
            }
        } else {
            if event.bookmark.is_some() {
                self.bookmark.clone_from(&event.bookmark);
            }
            ready.push_back(event);
        }
        Ok(())
    }

    /// One resource of the bootstrap: handed out at once; after a cut during the bootstrap,
    /// only when it is new (`Created`) or changed (`Updated`) since it was delivered.
    fn bootstrap_event(&mut self, event: RawWatchEvent, ready: &mut VecDeque<RawWatchEvent>) {
        let Some(md) = event.resource.as_ref().and_then(|r| r.metadata.clone()) else {
            ready.push_back(event);
            return;
        };
        let mut event = event;
        if self.resent {
            self.seen.insert(md.id.clone());
            match self.delivered.get(&md.id) {
                Some(had) if had.version == md.version => return,
                Some(_) => event.kind = WatchEventKind::Updated,
                None => {}
            }
        }
        self.delivered.insert(md.id.clone(), md);
        ready.push_back(event);
    }

    /// BOOTSTRAPPED: after a cut during the bootstrap, what was delivered and is gone now is
    /// `Destroyed` (with the metadata it had).
    fn bootstrapped(&mut self, ready: &mut VecDeque<RawWatchEvent>) {
        self.bootstrapping = false;
        let delivered = std::mem::take(&mut self.delivered);
        if std::mem::take(&mut self.resent) {
            for (id, md) in delivered {
                if !self.seen.contains(&id) {
                    ready.push_back(RawWatchEvent {
                        kind: WatchEventKind::Destroyed,
                        resource: Some(cosi::Resource {
                            metadata: Some(md),
                            spec: None,
                        }),
                        old: None,
                        bookmark: None,
                    });
                }
            }
        }
        self.seen.clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::resource::Registry;

    #[test]
    fn raw_events_write_the_json_js_parses() {
        let reg = Registry::builtin();
        let md = crate::resource::ResourceMetadata::new("default", "Clusters.omni.sidero.dev", "c");
        let res = Resource::new(md, serde_json::json!({"kubernetes_version": "1.32.0"}));
        let proto = res.to_proto(&reg).unwrap();
        let ev = RawWatchEvent {
            kind: WatchEventKind::Updated,
            resource: Some(proto.clone()),
            old: Some(proto),
            bookmark: Some(vec![1, 2, 3]),
        };
        let mut buf = b"left over".to_vec();
        ev.clone().write_json(&reg, &mut buf).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        let decoded = ev.decode(&reg).unwrap();
        assert_eq!(v["type"], "updated");
        assert_eq!(v["bookmark"], "AQID");
        assert_eq!(
            v["resource"],
            serde_json::to_value(decoded.resource).unwrap()
        );
        assert_eq!(v["old"], serde_json::to_value(decoded.old).unwrap());
        // a marker has neither resource nor bookmark
        let marker = RawWatchEvent {
            kind: WatchEventKind::Bootstrapped,
            resource: None,
            old: None,
            bookmark: None,
        };
        marker.write_json(&reg, &mut buf).unwrap();
        assert_eq!(buf, br#"{"type":"bootstrapped"}"#);
    }
}
