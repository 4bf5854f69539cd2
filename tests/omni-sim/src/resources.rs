//! `omni.resources.ResourceService` (JSON-in-string resources, §1.3, §5.7).

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use crate::auth::{Caller, Role, User};
use crate::cosi::{BoxStream, Filter};
use crate::pb::cosi::resource::{
    label_term::Operation, EventType, LabelQuery, LabelTerm, Resource as CosiResource, Spec,
};
use crate::pb::omni::resources::{
    resource_service_server::ResourceService, ControllersRequest, ControllersResponse,
    CreateRequest, CreateResponse, DeleteRequest, DeleteResponse, Event, GetRequest, GetResponse,
    ListRequest, ListResponse, UpdateRequest, UpdateResponse, WatchRequest, WatchResponse,
};
use crate::types::{self, check, Verb};
use crate::{yaml, Core};

pub struct ResourceSvc {
    pub core: Arc<Core>,
}

const P: &str = "/omni.resources.ResourceService/";

fn ts(t: &Option<prost_types::Timestamp>) -> String {
    t.as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "0001-01-01T00:00:00Z".into())
}

/// The resource JSON string layout of `internal/backend/runtime/resource.go`.
pub fn resource_json(core: &Core, r: &CosiResource) -> String {
    let md = r.metadata.clone().unwrap_or_default();
    let spec = r
        .spec
        .as_ref()
        .map(|s| yaml::spec_to_json(&core.pool, &md.r#type, &s.proto_spec))
        .unwrap_or_else(|| json!({}));
    let q = |s: &str| Value::String(s.to_string()).to_string();
    let mut m = format!(
        "{{\"created\":{},\"updated\":{},\"namespace\":{},\"type\":{},\"id\":{},\"owner\":{},\"phase\":{}",
        q(&ts(&md.created)),
        q(&ts(&md.updated)),
        q(&md.namespace),
        q(&md.r#type),
        q(&md.id),
        q(&md.owner),
        q(&md.phase)
    );
    if !md.labels.is_empty() {
        m.push_str(&format!(",\"labels\":{}", json!(md.labels)));
    }
    if !md.annotations.is_empty() {
        m.push_str(&format!(",\"annotations\":{}", json!(md.annotations)));
    }
    if !md.finalizers.is_empty() {
        m.push_str(&format!(",\"finalizers\":{}", json!(md.finalizers)));
    }
    let v: u64 = md.version.parse().unwrap_or(0);
    m.push_str(&format!(",\"version\":{v}}}"));
    format!("{{\"spec\":{spec},\"metadata\":{m}}}")
}

fn runtime(md: &MetadataMap) -> Result<(), Status> {
    match md.get("runtime").and_then(|v| v.to_str().ok()) {
        Some("Omni") => Ok(()),
        Some("Talos") | Some("Kubernetes") => {
            let c = md
                .get("cluster")
                .or_else(|| md.get("context"))
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            Err(Status::unavailable(format!(
                "cluster {c:?} endpoint not found"
            )))
        }
        _ => Err(Status::invalid_argument("missing runtime metadata")),
    }
}

/// Parses the label selector grammar of `client/pkg/cosi/labels` (§5.6).
pub fn parse_selector(s: &str) -> Result<LabelQuery, Status> {
    let bad = |m: &str| Status::invalid_argument(format!("failed to parse selector {s:?}: {m}"));
    let mut terms = Vec::new();
    let mut parts = Vec::new();
    let (mut depth, mut cur, mut quoted, mut esc) = (0i32, String::new(), false, false);
    for ch in s.chars() {
        if esc {
            cur.push(ch);
            esc = false;
            continue;
        }
        match ch {
            '\\' if quoted => {
                cur.push(ch);
                esc = true;
            }
            '"' => {
                quoted = !quoted;
                cur.push(ch);
            }
            '(' if !quoted => {
                depth += 1;
                cur.push(ch);
            }
            ')' if !quoted => {
                depth -= 1;
                cur.push(ch);
            }
            ',' if !quoted && depth == 0 => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    if quoted || depth != 0 {
        return Err(bad("unbalanced quotes or parentheses"));
    }
    parts.push(cur);
    let unquote = |v: &str| -> String {
        let t = v.trim();
        match t.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
            Some(inner) if t.len() >= 2 => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
            _ => v.trim_start().to_string(),
        }
    };
    let set_re = regex::Regex::new(r"^\s*([^\s=!<>(),]+)\s+(in|notin)\s*\((.*)\)\s*$")
        .map_err(|e| bad(&e.to_string()))?;
    let op_re = regex::Regex::new(r"^\s*([^\s=!<>(),]+)\s*(==|=|!=|<=|>=|<|>)(.*)$")
        .map_err(|e| bad(&e.to_string()))?;
    let key_re =
        regex::Regex::new(r"^\s*(!?)\s*([^\s=!<>(),]+)\s*$").map_err(|e| bad(&e.to_string()))?;
    for p in parts {
        if p.trim().is_empty() {
            if s.trim().is_empty() {
                continue;
            }
            return Err(bad("empty term"));
        }
        let term = if let Some(c) = set_re.captures(&p) {
            let mut vals: Vec<String> = c[3]
                .split(',')
                .map(|v| unquote(v).trim_end().to_string())
                .collect();
            vals.sort();
            vals.dedup();
            LabelTerm {
                key: c[1].to_string(),
                op: Operation::In as i32,
                value: vals,
                invert: &c[2] == "notin",
            }
        } else if let Some(c) = op_re.captures(&p) {
            let v = unquote(&c[3]);
            let (op, invert) = match &c[2] {
                "=" | "==" => (Operation::Equal, false),
                "!=" => (Operation::Equal, true),
                "<" => (Operation::LtNumeric, false),
                "<=" => (Operation::LteNumeric, false),
                ">" => (Operation::LteNumeric, true),
                _ => (Operation::LtNumeric, true),
            };
            LabelTerm {
                key: c[1].to_string(),
                op: op as i32,
                value: vec![v],
                invert,
            }
        } else if let Some(c) = key_re.captures(&p) {
            LabelTerm {
                key: c[2].to_string(),
                op: Operation::Exists as i32,
                value: vec![],
                invert: &c[1] == "!",
            }
        } else {
            return Err(bad("unexpected token"));
        };
        terms.push(term);
    }
    Ok(LabelQuery { terms })
}

fn selectors(md: &MetadataMap) -> Result<Vec<LabelQuery>, Status> {
    md.get_all("selectors")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|s| !s.trim().is_empty())
        .map(parse_selector)
        .collect()
}

fn json_sort_key(core: &Core, r: &CosiResource, field: &str) -> String {
    let md = r.metadata.clone().unwrap_or_default();
    match field {
        "" | "id" => md.id,
        "namespace" => md.namespace,
        "created" => format!("{:020}", md.created.map(|t| t.seconds).unwrap_or(0)),
        "updated" => format!("{:020}", md.updated.map(|t| t.seconds).unwrap_or(0)),
        f => {
            let spec = r
                .spec
                .as_ref()
                .map(|s| yaml::spec_to_json(&core.pool, &md.r#type, &s.proto_spec))
                .unwrap_or(Value::Null);
            match spec.get(f) {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => String::new(),
            }
        }
    }
}

fn search_match(core: &Core, r: &CosiResource, search: &[String]) -> bool {
    if search.is_empty() {
        return true;
    }
    let md = r.metadata.clone().unwrap_or_default();
    let spec = resource_json(core, r);
    search.iter().any(|s| {
        md.id.contains(s.as_str()) || md.namespace.contains(s.as_str()) || spec.contains(s.as_str())
    })
}

impl ResourceSvc {
    /// Auth for ResourceService: unsigned reads of public types are allowed (§4.4).
    async fn enter(
        &self,
        md: &MetadataMap,
        method: &str,
        typ: &str,
        public: bool,
    ) -> Result<Caller, Status> {
        let anon = Caller {
            identity: String::new(),
            user_id: String::new(),
            role: Role::None,
            key_id: String::new(),
        };
        if public && types::is_public_unsigned(typ) {
            return Ok(self
                .core
                .enter_with(md, method, false, true)
                .await?
                .unwrap_or(anon));
        }
        if method.ends_with("/Watch") {
            return self
                .core
                .enter_with(md, method, true, true)
                .await?
                .ok_or_else(|| Status::unauthenticated("invalid signature"));
        }
        self.core.signed(md, method).await
    }
}

#[tonic::async_trait]
impl ResourceService for ResourceSvc {
    async fn get(&self, req: Request<GetRequest>) -> Result<Response<GetResponse>, Status> {
        let r = req.get_ref().clone();
        let caller = self
            .enter(req.metadata(), &format!("{P}Get"), &r.r#type, true)
            .await?;
        runtime(req.metadata())?;
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
            body: resource_json(&self.core, &res),
        }))
    }

    async fn list(&self, req: Request<ListRequest>) -> Result<Response<ListResponse>, Status> {
        let r = req.get_ref().clone();
        let caller = self
            .enter(req.metadata(), &format!("{P}List"), &r.r#type, true)
            .await?;
        runtime(req.metadata())?;
        check(&r.r#type, Verb::Read, caller.role)?;
        let f = Filter {
            ns: r.namespace.clone(),
            typ: r.r#type.clone(),
            id: None,
            labels: selectors(req.metadata())?,
            id_re: None,
        };
        let mut items = Vec::new();
        for res in self.core.store.list(&r.namespace, &r.r#type) {
            if f.matches(&res)? && search_match(&self.core, &res, &r.search_for) {
                items.push(res);
            }
        }
        items.sort_by_key(|x| json_sort_key(&self.core, x, &r.sort_by_field));
        if r.sort_descending {
            items.reverse();
        }
        let total = items.len() as i32;
        let offset = r.offset.max(0) as usize;
        let limit = if r.limit > 0 {
            r.limit as usize
        } else {
            usize::MAX
        };
        let items = items
            .iter()
            .skip(offset)
            .take(limit)
            .map(|x| resource_json(&self.core, x))
            .collect();
        Ok(Response::new(ListResponse { items, total }))
    }

    async fn create(
        &self,
        req: Request<CreateRequest>,
    ) -> Result<Response<CreateResponse>, Status> {
        let r = req.get_ref().clone();
        let res = r
            .resource
            .ok_or_else(|| Status::invalid_argument("resource is missing"))?;
        let mut md = res.metadata.unwrap_or_default();
        let public = md.r#type == "EulaAcceptances.omni.sidero.dev";
        let caller = if public {
            self.core
                .enter_with(req.metadata(), &format!("{P}Create"), false, true)
                .await?;
            Caller {
                identity: String::new(),
                user_id: String::new(),
                role: Role::None,
                key_id: String::new(),
            }
        } else {
            self.enter(req.metadata(), &format!("{P}Create"), &md.r#type, false)
                .await?
        };
        runtime(req.metadata())?;
        check(&md.r#type, Verb::Create, caller.role)?;
        let spec = yaml::spec_from_json(&self.core.pool, &md.r#type, &res.spec)
            .map_err(Status::unknown)?;
        crate::validations::create(&self.core, &md, &spec)?;
        md.phase = "running".into();
        if md.version.is_empty() {
            md.version = "1".into();
        }
        let typ = md.r#type.clone();
        let id = md.id.clone();
        let cres = CosiResource {
            metadata: Some(md),
            spec: Some(Spec {
                proto_spec: spec,
                yaml_spec: String::new(),
            }),
        };
        self.core
            .store
            .create(cres, "", self.core.now())
            .map_err(map_err)?;
        self.core.audit("create", &caller, &typ, &id);
        if typ == "EulaAcceptances.omni.sidero.dev" {
            self.core
                .eula_accepted
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(Response::new(CreateResponse {}))
    }

    async fn update(
        &self,
        req: Request<UpdateRequest>,
    ) -> Result<Response<UpdateResponse>, Status> {
        let r = req.get_ref().clone();
        let res = r
            .resource
            .ok_or_else(|| Status::invalid_argument("resource is missing"))?;
        let mut md = res.metadata.unwrap_or_default();
        let caller = self
            .enter(req.metadata(), &format!("{P}Update"), &md.r#type, false)
            .await?;
        runtime(req.metadata())?;
        check(&md.r#type, Verb::Update, caller.role)?;
        let spec = yaml::spec_from_json(&self.core.pool, &md.r#type, &res.spec)
            .map_err(Status::unknown)?;
        let cur = self
            .core
            .store
            .get(&md.namespace, &md.r#type, &md.id)
            .ok_or_else(|| {
                Status::not_found(format!(
                    "resource {}({}/{}) doesn't exist",
                    md.r#type, md.namespace, md.id
                ))
            })?;
        let old = cur.spec.map(|s| s.proto_spec).unwrap_or_default();
        crate::validations::update(&self.core, &md, &old, &spec)?;
        let cmd = cur.metadata.unwrap_or_default();
        if md.version == "undefined" || md.version.is_empty() {
            md.version = cmd.version.clone();
        }
        md.phase = cmd.phase.clone();
        let cres = CosiResource {
            metadata: Some(md),
            spec: Some(Spec {
                proto_spec: spec,
                yaml_spec: String::new(),
            }),
        };
        self.core
            .store
            .update(cres, &cmd.owner.clone(), None, self.core.now())
            .map_err(map_err)?;
        self.core.audit("update", &caller, &cmd.r#type, &cmd.id);
        Ok(Response::new(UpdateResponse {}))
    }

    async fn delete(
        &self,
        req: Request<DeleteRequest>,
    ) -> Result<Response<DeleteResponse>, Status> {
        let r = req.get_ref().clone();
        let caller = self
            .enter(req.metadata(), &format!("{P}Delete"), &r.r#type, false)
            .await?;
        runtime(req.metadata())?;
        check(&r.r#type, Verb::Destroy, caller.role)?;
        crate::cosi::teardown_and_destroy(&self.core, &r.namespace, &r.r#type, &r.id, "")
            .await
            .map_err(map_err)?;
        self.core.audit("destroy", &caller, &r.r#type, &r.id);
        Ok(Response::new(DeleteResponse {}))
    }

    async fn teardown(
        &self,
        req: Request<DeleteRequest>,
    ) -> Result<Response<DeleteResponse>, Status> {
        let r = req.get_ref().clone();
        let caller = self
            .enter(req.metadata(), &format!("{P}Teardown"), &r.r#type, false)
            .await?;
        runtime(req.metadata())?;
        check(&r.r#type, Verb::Destroy, caller.role)?;
        self.core
            .store
            .teardown(&r.namespace, &r.r#type, &r.id, "", self.core.now())
            .map_err(map_err)?;
        Ok(Response::new(DeleteResponse {}))
    }

    async fn watch(
        &self,
        req: Request<WatchRequest>,
    ) -> Result<Response<BoxStream<WatchResponse>>, Status> {
        let r = req.get_ref().clone();
        let caller = self
            .enter(req.metadata(), &format!("{P}Watch"), &r.r#type, true)
            .await?;
        runtime(req.metadata())?;
        check(&r.r#type, Verb::Read, caller.role)?;
        // the same store underneath as State/Watch (Omni's runtime watches its COSI state;
        // kind watches always bootstrap)
        crate::cosi::watch_options_supported(
            &r.namespace,
            !r.id.is_empty(),
            &crate::pb::cosi::resource::WatchOptions {
                tail_events: r.tail_events,
                bootstrap_contents: r.id.is_empty(),
                ..Default::default()
            },
        )?;
        let f = Filter {
            ns: r.namespace.clone(),
            typ: r.r#type.clone(),
            id: if r.id.is_empty() {
                None
            } else {
                Some(r.id.clone())
            },
            labels: selectors(req.metadata())?,
            id_re: None,
        };
        let (tx, rx) = mpsc::channel(64);
        let core = self.core.clone();
        tokio::spawn(async move { run_watch(core, r, f, tx).await });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn controllers(
        &self,
        req: Request<ControllersRequest>,
    ) -> Result<Response<ControllersResponse>, Status> {
        let caller = self
            .core
            .signed(req.metadata(), &format!("{P}Controllers"))
            .await?;
        if caller.role < Role::Admin {
            return Err(types::role_denied(Role::Admin, caller.role));
        }
        Ok(Response::new(ControllersResponse {
            controllers: [
                "ClusterController",
                "ClusterStatusController",
                "MachineSetController",
                "MachineSetStatusController",
                "ClusterMachineStatusController",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        }))
    }
}

fn map_err(s: Status) -> Status {
    match s.code() {
        tonic::Code::FailedPrecondition => Status::already_exists(s.message().to_string()),
        _ => s,
    }
}

async fn run_watch(
    core: Arc<Core>,
    r: WatchRequest,
    f: Filter,
    tx: mpsc::Sender<Result<WatchResponse, Status>>,
) {
    let Ok(snap) = core.store.snapshot(&f.ns, &f.typ, None) else {
        return;
    };
    let mut rx = snap.rx;
    let cut = core.faults.cut_after();
    let mut sent = 0u64;
    let mut count: i32 = snap
        .resources
        .iter()
        .filter(|x| f.matches(x).unwrap_or(false))
        .count() as i32;
    let send = |ev: Event, total: i32| WatchResponse {
        event: Some(ev),
        total,
        sort_field_data: String::new(),
        sort_descending: r.sort_descending,
    };
    let mut initial: Vec<Event> = Vec::new();
    if f.id.is_some() && r.tail_events > 0 {
        let rel: Vec<_> = snap
            .replay
            .iter()
            .filter(|c| f.matches(&c.resource).unwrap_or(false))
            .collect();
        for c in rel
            .iter()
            .skip(rel.len().saturating_sub(r.tail_events as usize))
        {
            initial.push(Event {
                resource: resource_json(&core, &c.resource),
                old: c
                    .old
                    .as_ref()
                    .map(|o| resource_json(&core, o))
                    .unwrap_or_default(),
                event_type: c.kind as i32 + 1,
            });
        }
    } else {
        for res in snap
            .resources
            .iter()
            .filter(|x| f.matches(x).unwrap_or(false))
        {
            if search_match(&core, res, &r.search_for) {
                initial.push(Event {
                    resource: resource_json(&core, res),
                    old: String::new(),
                    event_type: EventType::Created as i32 + 1,
                });
            }
        }
    }
    initial.push(Event {
        resource: String::new(),
        old: String::new(),
        event_type: EventType::Bootstrapped as i32 + 1,
    });
    for ev in initial {
        if tx.send(Ok(send(ev, count))).await.is_err() {
            return;
        }
    }
    // `cut_streams_after` counts live events here: a snapshot is always sent whole first
    // (ResourceService has no bookmarks, so a client resumes by taking a new snapshot, and a
    // cut inside every snapshot would never let it through)
    let mut last = snap.seq;
    while let Ok(c) = rx.recv().await {
        if c.seq <= last {
            continue;
        }
        last = c.seq;
        if !f.matches(&c.resource).unwrap_or(false)
            || !search_match(&core, &c.resource, &r.search_for)
        {
            continue;
        }
        match c.kind {
            EventType::Created => count += 1,
            EventType::Destroyed => count -= 1,
            _ => {}
        }
        let ev = Event {
            resource: resource_json(&core, &c.resource),
            old: c
                .old
                .as_ref()
                .map(|o| resource_json(&core, o))
                .unwrap_or_default(),
            event_type: c.kind as i32 + 1,
        };
        if tx.send(Ok(send(ev, count))).await.is_err() {
            return;
        }
        sent += 1;
        if cut > 0 && sent >= cut {
            let _ = tx
                .send(Err(Status::unavailable("injected fault: stream cut")))
                .await;
            return;
        }
    }
}

/// Keeps the Identity/User resources Omni uses in step with the directory.
pub fn mirror_user(core: &Core, u: &User) {
    let mut labels: Vec<(&str, &str)> = vec![("user-id", u.id.as_str())];
    if u.service_account {
        labels.push(("type-service-account", ""));
    }
    let _ = crate::simapi::put(
        core,
        "Users.omni.sidero.dev",
        &u.id,
        "",
        &[],
        json!({"role": u.role.as_str()}),
    );
    let _ = crate::simapi::put(
        core,
        "Identities.omni.sidero.dev",
        &u.email,
        "",
        &labels,
        json!({"user_id": u.id}),
    );
}

/// Removes the Identity/User resources of a user.
pub fn unmirror_user(core: &Core, u: &User) {
    core.store
        .force_destroy("default", "Users.omni.sidero.dev", &u.id);
    core.store
        .force_destroy("default", "Identities.omni.sidero.dev", &u.email);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse() {
        let q = parse_selector("a, !b, c=d, e!=f, g in (y, x), h>3").unwrap_or_default();
        let ops: Vec<(String, i32, bool)> = q
            .terms
            .iter()
            .map(|t| (t.key.clone(), t.op, t.invert))
            .collect();
        assert_eq!(ops.len(), 6);
        assert_eq!(
            q.terms.get(4).map(|t| t.value.clone()),
            Some(vec!["x".to_string(), "y".to_string()])
        );
        assert_eq!(
            ops.get(5),
            Some(&("h".to_string(), Operation::LteNumeric as i32, true))
        );
    }
}
