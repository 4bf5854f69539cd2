//! `cosi.resource.State` with COSI semantics (§1.2, §5).

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

pub type BoxStream<T> =
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<T, Status>> + Send + 'static>>;

use crate::pb::cosi::resource::{
    state_server::State, CreateRequest, CreateResponse, DestroyRequest, DestroyResponse, Event,
    EventType, GetRequest, GetResponse, IdQuery, LabelQuery, ListRequest, ListResponse, Metadata,
    Resource, TeardownAndDestroyRequest, TeardownAndDestroyResponse, TeardownRequest,
    TeardownResponse, UpdateRequest, UpdateResponse, WatchRequest, WatchResponse,
};
use crate::store::{labels_match, Change};
use crate::types::{check, Verb};
use crate::{yaml, Core};

pub struct StateSvc {
    pub core: Arc<Core>,
}

const P: &str = "/cosi.resource.State/";

/// Fills `yaml_spec` for output.
pub fn render(core: &Core, mut r: Resource) -> Resource {
    let typ = r
        .metadata
        .as_ref()
        .map(|m| m.r#type.clone())
        .unwrap_or_default();
    if let Some(s) = r.spec.as_mut() {
        s.yaml_spec = yaml::render(&core.pool, &typ, &s.proto_spec);
    }
    r
}

pub fn compile_id_query(q: &Option<IdQuery>) -> Result<Option<regex::Regex>, Status> {
    match q {
        Some(q) if !q.regexp.is_empty() => regex::Regex::new(&q.regexp)
            .map(Some)
            .map_err(|e| Status::invalid_argument(format!("invalid id regexp: {e}"))),
        _ => Ok(None),
    }
}

pub struct Filter {
    pub ns: String,
    pub typ: String,
    pub id: Option<String>,
    pub labels: Vec<LabelQuery>,
    pub id_re: Option<regex::Regex>,
}

impl Filter {
    pub fn matches(&self, r: &Resource) -> Result<bool, Status> {
        let Some(md) = r.metadata.as_ref() else {
            return Ok(false);
        };
        if md.namespace != self.ns || md.r#type != self.typ {
            return Ok(false);
        }
        if let Some(id) = &self.id {
            if &md.id != id {
                return Ok(false);
            }
        }
        if let Some(re) = &self.id_re {
            if !re.is_match(&md.id) {
                return Ok(false);
            }
        }
        labels_match(md, &self.labels)
    }
}

fn tombstone(ns: &str, typ: &str, id: &str) -> Resource {
    Resource {
        metadata: Some(Metadata {
            namespace: ns.into(),
            r#type: typ.into(),
            id: id.into(),
            version: "undefined".into(),
            phase: "running".into(),
            ..Default::default()
        }),
        spec: None,
    }
}

type Tx = mpsc::Sender<Result<WatchResponse, Status>>;

/// Sends a message; returns false when the client went away or the stream was cut.
async fn send(tx: &Tx, msg: WatchResponse, sent: &mut u64, cut: u64) -> bool {
    let n = msg.event.len() as u64;
    if tx.send(Ok(msg)).await.is_err() {
        return false;
    }
    *sent += n;
    if cut > 0 && *sent >= cut {
        let _ = tx
            .send(Err(Status::unavailable("injected fault: stream cut")))
            .await;
        return false;
    }
    true
}

/// COSI's watch filtering: an update that makes a resource start or stop
/// matching becomes CREATED or DESTROYED; non-matching changes are dropped.
pub fn filter_change(f: &Filter, c: &Change) -> Result<Option<Change>, Status> {
    match c.kind {
        EventType::Updated => {
            let old = match &c.old {
                Some(o) => f.matches(o)?,
                None => false,
            };
            let new = f.matches(&c.resource)?;
            Ok(match (old, new) {
                (true, true) => Some(c.clone()),
                (true, false) => Some(Change {
                    kind: EventType::Destroyed,
                    old: None,
                    ..c.clone()
                }),
                (false, true) => Some(Change {
                    kind: EventType::Created,
                    old: None,
                    ..c.clone()
                }),
                (false, false) => None,
            })
        }
        _ => Ok(if f.matches(&c.resource)? {
            Some(c.clone())
        } else {
            None
        }),
    }
}

fn event_of(core: &Core, store_bm: Vec<u8>, c: &Change) -> Event {
    Event {
        resource: Some(render(core, c.resource.clone())),
        event_type: c.kind as i32,
        old: c.old.clone().map(|o| render(core, o)),
        error: None,
        bookmark: Some(store_bm),
    }
}

#[tonic::async_trait]
impl State for StateSvc {
    async fn get(&self, req: Request<GetRequest>) -> Result<Response<GetResponse>, Status> {
        let caller = self.core.signed(req.metadata(), &format!("{P}Get")).await?;
        let r = req.into_inner();
        check(&r.r#type, Verb::Read, caller.role)?;
        let res = self
            .core
            .store
            .get(&r.namespace, &r.r#type, &r.id)
            .ok_or_else(|| {
                Status::not_found(format!(
                    "resource {}({}/{}) doesn't exist",
                    r.r#type, r.namespace, r.id
                ))
            })?;
        Ok(Response::new(GetResponse {
            resource: Some(render(&self.core, res)),
        }))
    }

    async fn list(
        &self,
        req: Request<ListRequest>,
    ) -> Result<Response<BoxStream<ListResponse>>, Status> {
        let caller = self
            .core
            .signed(req.metadata(), &format!("{P}List"))
            .await?;
        let r = req.into_inner();
        check(&r.r#type, Verb::Read, caller.role)?;
        let opts = r.options.unwrap_or_default();
        let f = Filter {
            ns: r.namespace.clone(),
            typ: r.r#type.clone(),
            id: None,
            labels: opts.label_query,
            id_re: compile_id_query(&opts.id_query)?,
        };
        let mut out = Vec::new();
        for res in self.core.store.list(&r.namespace, &r.r#type) {
            if f.matches(&res)? {
                out.push(Ok(ListResponse {
                    resource: Some(render(&self.core, res)),
                }));
            }
        }
        let cut = self.core.faults.cut_after() as usize;
        if cut > 0 && out.len() > cut {
            out.truncate(cut);
            out.push(Err(Status::unavailable("injected fault: stream cut")));
        }
        Ok(Response::new(Box::pin(tokio_stream::iter(out))))
    }

    async fn create(
        &self,
        req: Request<CreateRequest>,
    ) -> Result<Response<CreateResponse>, Status> {
        let caller = self
            .core
            .signed(req.metadata(), &format!("{P}Create"))
            .await?;
        let r = req.into_inner();
        let res = r
            .resource
            .ok_or_else(|| Status::invalid_argument("resource is missing"))?;
        let md = res.metadata.clone().unwrap_or_default();
        check(&md.r#type, Verb::Create, caller.role)?;
        if let Some(s) = res.spec.as_ref() {
            yaml::validate_proto(&self.core.pool, &md.r#type, &s.proto_spec)
                .map_err(|e| Status::invalid_argument(format!("failed to validate: {e}")))?;
        }
        let spec = res.spec.as_ref().map(|s| s.proto_spec.as_slice());
        crate::validations::create(&self.core, &md, spec.unwrap_or_default())?;
        let owner = r.options.map(|o| o.owner).unwrap_or_default();
        let out = self.core.store.create(res, &owner, self.core.now())?;
        self.core.audit("create", &caller, &md.r#type, &md.id);
        if md.r#type == "EulaAcceptances.omni.sidero.dev" {
            self.core
                .eula_accepted
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(Response::new(CreateResponse {
            resource: Some(render(&self.core, out)),
        }))
    }

    async fn update(
        &self,
        req: Request<UpdateRequest>,
    ) -> Result<Response<UpdateResponse>, Status> {
        let caller = self
            .core
            .signed(req.metadata(), &format!("{P}Update"))
            .await?;
        let r = req.into_inner();
        let res = r
            .new_resource
            .ok_or_else(|| Status::invalid_argument("new_resource is missing"))?;
        let md = res.metadata.clone().unwrap_or_default();
        check(&md.r#type, Verb::Update, caller.role)?;
        if let Some(s) = res.spec.as_ref() {
            yaml::validate_proto(&self.core.pool, &md.r#type, &s.proto_spec)
                .map_err(|e| Status::invalid_argument(format!("failed to validate: {e}")))?;
        }
        if let (Some(s), Some(cur)) = (
            res.spec.as_ref(),
            self.core.store.get(&md.namespace, &md.r#type, &md.id),
        ) {
            let old = cur.spec.map(|s| s.proto_spec).unwrap_or_default();
            crate::validations::update(&self.core, &md, &old, &s.proto_spec)?;
        }
        let opts = r.options.unwrap_or_default();
        let out = self.core.store.update(
            res,
            &opts.owner,
            opts.expected_phase.as_deref(),
            self.core.now(),
        )?;
        self.core.audit("update", &caller, &md.r#type, &md.id);
        Ok(Response::new(UpdateResponse {
            resource: Some(render(&self.core, out)),
        }))
    }

    async fn destroy(
        &self,
        req: Request<DestroyRequest>,
    ) -> Result<Response<DestroyResponse>, Status> {
        let caller = self
            .core
            .signed(req.metadata(), &format!("{P}Destroy"))
            .await?;
        let r = req.into_inner();
        check(&r.r#type, Verb::Destroy, caller.role)?;
        let owner = r.options.map(|o| o.owner).unwrap_or_default();
        self.core
            .store
            .destroy(&r.namespace, &r.r#type, &r.id, &owner)?;
        self.core.audit("destroy", &caller, &r.r#type, &r.id);
        Ok(Response::new(DestroyResponse {}))
    }

    async fn watch(
        &self,
        req: Request<WatchRequest>,
    ) -> Result<Response<BoxStream<WatchResponse>>, Status> {
        let caller = self
            .core
            .signed(req.metadata(), &format!("{P}Watch"))
            .await?;
        let r = req.into_inner();
        check(&r.r#type, Verb::Read, caller.role)?;
        let opts = r.options.clone().unwrap_or_default();
        if r.id.is_some() && opts.bootstrap_contents {
            return Err(Status::unimplemented(
                "bootstrap contents is not implemented for resource watch",
            ));
        }
        if r.id.is_some() && !opts.label_query.is_empty() {
            return Err(Status::unimplemented(
                "label query is not implemented for resource watch",
            ));
        }
        watch_options_supported(&r.namespace, r.id.is_some(), &opts)?;
        let f = Filter {
            ns: r.namespace.clone(),
            typ: r.r#type.clone(),
            id: r.id.clone(),
            labels: opts.label_query.clone(),
            id_re: if r.id.is_some() {
                None
            } else {
                compile_id_query(&opts.id_query)?
            },
        };
        let (tx, rx) = mpsc::channel(64);
        let core = self.core.clone();
        // As Omni's etcd store (cosi-project/state-etcd): a bookmark that is not 8 bytes is
        // refused before the "watch established" message (FailedPrecondition); one etcd no
        // longer has or has not reached is a watch that opens, then says so in an ERRORED event
        // (an invalid-bookmark error) and sends nothing more.
        let after = match opts.start_from_bookmark.as_deref() {
            Some(b) if b.len() != 8 => Some(core.store.parse_bookmark(b)?),
            Some(b) => match core.store.parse_bookmark(b) {
                Ok(s) => Some(s),
                Err(e) => return Ok(refused_watch(tx, rx, r.api_version, e.message())),
            },
            None => None,
        };
        let snap = match core.store.snapshot(&f.ns, &f.typ, after) {
            Ok(s) => s,
            Err(e) if after.is_some() && e.code() == tonic::Code::FailedPrecondition => {
                return Ok(refused_watch(tx, rx, r.api_version, e.message()));
            }
            Err(e) => return Err(e),
        };
        tokio::spawn(async move {
            run_watch(core, r, f, after, snap, tx).await;
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn teardown(
        &self,
        req: Request<TeardownRequest>,
    ) -> Result<Response<TeardownResponse>, Status> {
        let caller = self
            .core
            .signed(req.metadata(), &format!("{P}Teardown"))
            .await?;
        let r = req.into_inner();
        check(&r.r#type, Verb::Destroy, caller.role)?;
        let owner = r.options.map(|o| o.owner).unwrap_or_default();
        let ready =
            self.core
                .store
                .teardown(&r.namespace, &r.r#type, &r.id, &owner, self.core.now())?;
        self.core.audit("teardown", &caller, &r.r#type, &r.id);
        Ok(Response::new(TeardownResponse {
            destroy_ready: ready,
        }))
    }

    async fn teardown_and_destroy(
        &self,
        req: Request<TeardownAndDestroyRequest>,
    ) -> Result<Response<TeardownAndDestroyResponse>, Status> {
        let caller = self
            .core
            .signed(req.metadata(), &format!("{P}TeardownAndDestroy"))
            .await?;
        let r = req.into_inner();
        check(&r.r#type, Verb::Destroy, caller.role)?;
        let owner = r.options.map(|o| o.owner).unwrap_or_default();
        teardown_and_destroy(&self.core, &r.namespace, &r.r#type, &r.id, &owner).await?;
        self.core.audit("destroy", &caller, &r.r#type, &r.id);
        Ok(Response::new(TeardownAndDestroyResponse {}))
    }
}

/// Teardown, wait until no finalizers remain, destroy.
pub async fn teardown_and_destroy(
    core: &Core,
    ns: &str,
    typ: &str,
    id: &str,
    owner: &str,
) -> Result<(), Status> {
    loop {
        let notified = core.store.changed();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let ready = core.store.teardown(ns, typ, id, owner, core.now())?;
        if ready {
            match core.store.destroy(ns, typ, id, owner) {
                Ok(()) => return Ok(()),
                Err(e) if e.code() == tonic::Code::FailedPrecondition => {}
                Err(e) => return Err(e),
            }
        }
        notified.await;
    }
}

/// The watch options Omni's store refuses, as plain errors (gRPC Unknown). Omni keeps the
/// `ephemeral` and `meta` namespaces in memory (COSI `inmem`) and everything else in etcd
/// (cosi-project/state-etcd), whose watches have no `tailEvents` and cannot start from a
/// bookmark with the bootstrap contents.
pub(crate) fn watch_options_supported(
    namespace: &str,
    single: bool,
    opts: &crate::pb::cosi::resource::WatchOptions,
) -> Result<(), Status> {
    let tail = opts.tail_events > 0;
    let bookmark = opts.start_from_bookmark.is_some();
    if matches!(namespace, "ephemeral" | "meta") {
        if !single && opts.bootstrap_contents && (tail || bookmark) {
            return Err(Status::unknown(
                "cannot use BootstrapContents with TailEvents and StartFromBookmark options",
            ));
        }
        if tail && bookmark {
            return Err(Status::unknown(
                "cannot use both TailEvents and StartFromBookmark options",
            ));
        }
        return Ok(());
    }
    let op = match (single, opts.aggregated) {
        (true, _) => "watch",
        (false, false) => "watchKind",
        (false, true) => "watchKindAggregated",
    };
    if tail {
        return Err(Status::unknown(format!(
            "failed to {op}: operation tailEvents is not supported"
        )));
    }
    if !single && bookmark && opts.bootstrap_contents {
        return Err(Status::unknown(format!(
            "failed to {op}: operation startFromBookmark and bootstrapContents is not supported"
        )));
    }
    Ok(())
}

/// A watch whose bookmark the store refused after opening: "established", then one ERRORED
/// event (clients of API version 0 are not sent it, as COSI's server skips it), then silence
/// until the client goes away.
fn refused_watch(
    tx: Tx,
    rx: mpsc::Receiver<Result<WatchResponse, Status>>,
    api_version: i32,
    reason: &str,
) -> Response<BoxStream<WatchResponse>> {
    let reason = reason.to_string();
    tokio::spawn(async move {
        if tx.send(Ok(WatchResponse { event: vec![] })).await.is_err() {
            return;
        }
        if api_version >= 1 {
            let ev = Event {
                event_type: EventType::Errored as i32,
                error: Some(reason),
                ..Default::default()
            };
            if tx
                .send(Ok(WatchResponse { event: vec![ev] }))
                .await
                .is_err()
            {
                return;
            }
        }
        tx.closed().await;
    });
    Response::new(Box::pin(ReceiverStream::new(rx)))
}

async fn run_watch(
    core: Arc<Core>,
    r: WatchRequest,
    f: Filter,
    after: Option<u64>,
    snap: crate::store::Snapshot,
    tx: Tx,
) {
    let opts = r.options.clone().unwrap_or_default();
    let v1 = r.api_version >= 1;
    let cut = core.faults.cut_after();
    let mut sent = 0u64;
    // First message: watch established (empty).
    if tx.send(Ok(WatchResponse { event: vec![] })).await.is_err() {
        return;
    }
    let mut rx = snap.rx;
    let mut batch: Vec<Event> = Vec::new();
    let flush_each = !opts.aggregated;
    macro_rules! emit {
        ($ev:expr) => {{
            let ev = $ev;
            if flush_each {
                if !send(&tx, WatchResponse { event: vec![ev] }, &mut sent, cut).await {
                    return;
                }
            } else {
                batch.push(ev);
            }
        }};
    }
    macro_rules! flush {
        () => {{
            if !batch.is_empty() {
                let evs = std::mem::take(&mut batch);
                if !send(&tx, WatchResponse { event: evs }, &mut sent, cut).await {
                    return;
                }
            }
        }};
    }
    let matches = |res: &Resource| f.matches(res);
    if let Some(_s) = after {
        for c in &snap.replay {
            match filter_change(&f, c) {
                Ok(Some(c)) => emit!(event_of(&core, core.store.bookmark(c.seq), &c)),
                Ok(None) => {}
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
    } else if opts.tail_events > 0 {
        let relevant: Vec<_> = snap
            .replay
            .iter()
            .filter_map(|c| filter_change(&f, c).ok().flatten())
            .collect();
        let skip = relevant.len().saturating_sub(opts.tail_events as usize);
        for c in relevant.into_iter().skip(skip) {
            emit!(event_of(&core, core.store.bookmark(c.seq), &c));
        }
    } else if let Some(id) = &f.id {
        let cur = snap
            .resources
            .iter()
            .find(|x| x.metadata.as_ref().is_some_and(|m| &m.id == id));
        let ev = match cur {
            Some(res) => Event {
                resource: Some(render(&core, res.clone())),
                event_type: EventType::Created as i32,
                old: None,
                error: None,
                bookmark: Some(core.store.bookmark(snap.seq)),
            },
            None => Event {
                resource: Some(tombstone(&f.ns, &f.typ, id)),
                event_type: EventType::Destroyed as i32,
                old: None,
                error: None,
                bookmark: Some(core.store.bookmark(snap.seq)),
            },
        };
        emit!(ev);
    } else if opts.bootstrap_contents {
        for res in &snap.resources {
            match matches(res) {
                Ok(true) => emit!(Event {
                    resource: Some(render(&core, res.clone())),
                    event_type: EventType::Created as i32,
                    old: None,
                    error: None,
                    bookmark: None,
                }),
                Ok(false) => {}
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
        if v1 {
            emit!(Event {
                resource: Some(tombstone(&f.ns, &f.typ, "")),
                event_type: EventType::Bootstrapped as i32,
                old: None,
                error: None,
                bookmark: Some(core.store.bookmark(snap.seq)),
            });
        }
    } else if opts.bootstrap_bookmark {
        emit!(Event {
            resource: Some(tombstone(&f.ns, &f.typ, "")),
            event_type: EventType::Noop as i32,
            old: None,
            error: None,
            bookmark: Some(core.store.bookmark(snap.seq)),
        });
    }
    flush!();
    let mut last = snap.seq;
    loop {
        let c = match rx.recv().await {
            Ok(c) => c,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                if v1 {
                    let _ = tx
                        .send(Ok(WatchResponse {
                            event: vec![Event {
                                resource: None,
                                event_type: EventType::Errored as i32,
                                old: None,
                                error: Some("buffer overrun: watch is too slow".into()),
                                bookmark: None,
                            }],
                        }))
                        .await;
                }
                return;
            }
            Err(_) => return,
        };
        if c.seq <= last {
            continue;
        }
        last = c.seq;
        match filter_change(&f, &c) {
            Ok(Some(c)) => emit!(event_of(&core, core.store.bookmark(c.seq), &c)),
            Ok(None) => {}
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        }
        flush!();
    }
}
