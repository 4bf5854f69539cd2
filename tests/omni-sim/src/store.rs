//! In-memory COSI state: resources keyed by (namespace, type, id), an event
//! history for bookmarks and tail events, and a broadcast channel for watches.
//!
//! Semantics follow `cosi-project/runtime`'s in-memory collection: version +1
//! per write, optimistic concurrency on update, owner checks, finalizers block
//! destroy, teardown moves the phase to `tearingDown`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{broadcast, Notify};
use tonic::Status;

use crate::pb::cosi::resource::{
    label_term::Operation, EventType, LabelQuery, LabelTerm, Metadata, Resource, Spec,
};

/// etcd's answer to a watch from a revision it has compacted away (`rpctypes.ErrCompacted`).
pub const COMPACTED: &str = "etcdserver: mvcc: required revision has been compacted";
/// etcd's answer to a watch from a revision it has not reached (`rpctypes.ErrFutureRev`).
pub const FUTURE: &str = "etcdserver: mvcc: required revision is a future revision";

/// How many events the history keeps for bookmarks and `tail_events`.
pub const HISTORY_LIMIT: usize = 10_000;

pub const PHASE_RUNNING: &str = "running";
pub const PHASE_TEARING_DOWN: &str = "tearingDown";

pub type Key = (String, String, String);

/// One change, as stored in the history and broadcast to watchers.
#[derive(Clone, Debug)]
pub struct Change {
    pub seq: u64,
    pub kind: EventType,
    pub resource: Resource,
    pub old: Option<Resource>,
}

struct Inner {
    resources: BTreeMap<Key, Resource>,
    history: VecDeque<Arc<Change>>,
    seq: u64,
}

/// The state store. Cheap to share behind an `Arc`.
pub struct Store {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Arc<Change>>,
    changed: Notify,
    /// Random per instance, embedded in bookmarks so that bookmarks of another
    /// server instance are rejected rather than misread.
    epoch: u64,
}

/// A consistent view taken at watch start.
pub struct Snapshot {
    pub resources: Vec<Resource>,
    pub replay: Vec<Arc<Change>>,
    pub seq: u64,
    pub rx: broadcast::Receiver<Arc<Change>>,
}

fn now_ts(now: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: now.timestamp(),
        nanos: 0,
    }
}

/// `version` parse rules of COSI: a decimal number or the literal `undefined`.
pub fn parse_version(v: &str) -> Result<Option<u64>, Status> {
    if v == "undefined" {
        return Ok(None);
    }
    v.parse::<u64>()
        .map(Some)
        .map_err(|_| Status::invalid_argument(format!("failed to parse version {v:?}")))
}

pub fn check_phase(p: &str) -> Result<(), Status> {
    match p {
        PHASE_RUNNING | PHASE_TEARING_DOWN => Ok(()),
        _ => Err(Status::invalid_argument(format!("unknown phase {p:?}"))),
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Store {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        Store {
            inner: Mutex::new(Inner {
                resources: BTreeMap::new(),
                history: VecDeque::new(),
                seq: 0,
            }),
            tx,
            changed: Notify::new(),
            epoch: rand::random::<u64>(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    pub fn bookmark(&self, seq: u64) -> Vec<u8> {
        // 8 bytes, as Omni's etcd store writes them (a big-endian revision); the top 16 bits
        // carry this run's epoch so that a bookmark from another run is told apart
        ((self.epoch & 0xFFFF) << 48 | (seq & 0xFFFF_FFFF_FFFF))
            .to_be_bytes()
            .to_vec()
    }

    /// Decodes a bookmark into a sequence number, rejecting foreign or expired ones.
    pub fn parse_bookmark(&self, b: &[u8]) -> Result<u64, Status> {
        let Ok(raw) = <[u8; 8]>::try_from(b) else {
            return Err(Status::failed_precondition(format!(
                "invalid bookmark length: {}",
                b.len()
            )));
        };
        let v = u64::from_be_bytes(raw);
        if v >> 48 != self.epoch & 0xFFFF {
            // another run's revision: to etcd, one it no longer has
            return Err(Status::failed_precondition(COMPACTED));
        }
        Ok(v & 0xFFFF_FFFF_FFFF)
    }

    fn record(&self, g: &mut Inner, kind: EventType, resource: Resource, old: Option<Resource>) {
        g.seq += 1;
        let ch = Arc::new(Change {
            seq: g.seq,
            kind,
            resource,
            old,
        });
        g.history.push_back(ch.clone());
        while g.history.len() > HISTORY_LIMIT {
            g.history.pop_front();
        }
        let _ = self.tx.send(ch);
        self.changed.notify_waiters();
    }

    /// Drops the whole history (test hook: makes every bookmark expire).
    pub fn expire_history(&self) {
        let mut g = self.lock();
        g.history.clear();
    }

    pub async fn wait_change(&self) {
        self.changed.notified().await
    }

    /// A future that resolves on the next change; create it before checking state.
    pub fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }

    pub fn get(&self, ns: &str, typ: &str, id: &str) -> Option<Resource> {
        let g = self.lock();
        g.resources
            .get(&(ns.to_string(), typ.to_string(), id.to_string()))
            .cloned()
    }

    pub fn list(&self, ns: &str, typ: &str) -> Vec<Resource> {
        let g = self.lock();
        g.resources
            .range((ns.to_string(), typ.to_string(), String::new())..)
            .take_while(|((n, t, _), _)| n == ns && t == typ)
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// Every resource of a type in any namespace (used by the sim internally).
    pub fn list_type(&self, typ: &str) -> Vec<Resource> {
        let g = self.lock();
        g.resources
            .iter()
            .filter(|((_, t, _), _)| t == typ)
            .map(|(_, r)| r.clone())
            .collect()
    }

    pub fn snapshot(&self, ns: &str, typ: &str, after: Option<u64>) -> Result<Snapshot, Status> {
        let g = self.lock();
        let rx = self.tx.subscribe();
        let replay = match after {
            Some(s) => {
                if s > g.seq {
                    return Err(Status::failed_precondition(FUTURE));
                }
                let oldest = g.history.front().map(|c| c.seq).unwrap_or(g.seq + 1);
                if s + 1 < oldest {
                    return Err(Status::failed_precondition(COMPACTED));
                }
                g.history.iter().filter(|c| c.seq > s).cloned().collect()
            }
            None => g.history.iter().cloned().collect(),
        };
        let resources = g
            .resources
            .range((ns.to_string(), typ.to_string(), String::new())..)
            .take_while(|((n, t, _), _)| n == ns && t == typ)
            .map(|(_, r)| r.clone())
            .collect();
        Ok(Snapshot {
            resources,
            replay,
            seq: g.seq,
            rx,
        })
    }

    pub fn create(
        &self,
        mut res: Resource,
        owner: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Resource, Status> {
        let md = res
            .metadata
            .as_mut()
            .ok_or_else(|| Status::invalid_argument("resource metadata is missing"))?;
        validate_md(md)?;
        let key = (md.namespace.clone(), md.r#type.clone(), md.id.clone());
        let mut g = self.lock();
        if g.resources.contains_key(&key) {
            return Err(Status::already_exists(format!(
                "resource {}({}/{}) already exists",
                key.1, key.0, key.2
            )));
        }
        md.version = "1".into();
        md.owner = owner.to_string();
        md.phase = PHASE_RUNNING.into();
        md.created = Some(now_ts(now));
        md.updated = Some(now_ts(now));
        if res.spec.is_none() {
            res.spec = Some(Spec::default());
        }
        if let Some(s) = res.spec.as_mut() {
            s.yaml_spec.clear();
        }
        g.resources.insert(key, res.clone());
        self.record(&mut g, EventType::Created, res.clone(), None);
        Ok(res)
    }

    pub fn update(
        &self,
        mut res: Resource,
        owner: &str,
        expected_phase: Option<&str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Resource, Status> {
        let md = res
            .metadata
            .as_mut()
            .ok_or_else(|| Status::invalid_argument("resource metadata is missing"))?;
        validate_md(md)?;
        let key = (md.namespace.clone(), md.r#type.clone(), md.id.clone());
        let mut g = self.lock();
        let cur = g.resources.get(&key).cloned().ok_or_else(|| {
            Status::not_found(format!(
                "resource {}({}/{}) doesn't exist",
                key.1, key.0, key.2
            ))
        })?;
        let cmd = cur.metadata.clone().unwrap_or_default();
        let cur_v = parse_version(&cmd.version)?.unwrap_or(0);
        let new_v = parse_version(&md.version)?;
        if new_v != Some(cur_v) {
            return Err(Status::failed_precondition(format!(
                "resource {}({}/{}) update conflict: expected version {:?}, actual version {}",
                key.1, key.0, key.2, md.version, cur_v
            )));
        }
        if cmd.owner != owner {
            return Err(Status::permission_denied(format!(
                "resource {}({}/{}) is owned by {:?}",
                key.1, key.0, key.2, cmd.owner
            )));
        }
        if let Some(p) = expected_phase {
            if p != cmd.phase {
                return Err(Status::invalid_argument(format!(
                    "resource {}({}/{}) is in phase {:?}, expected {:?}",
                    key.1, key.0, key.2, cmd.phase, p
                )));
            }
        }
        md.version = (cur_v + 1).to_string();
        md.owner = cmd.owner.clone();
        md.created = cmd.created;
        md.updated = Some(now_ts(now));
        if res.spec.is_none() {
            res.spec = Some(Spec::default());
        }
        if let Some(s) = res.spec.as_mut() {
            s.yaml_spec.clear();
        }
        g.resources.insert(key, res.clone());
        self.record(&mut g, EventType::Updated, res.clone(), Some(cur));
        Ok(res)
    }

    /// Applies `f` to the stored resource as a controller would (no owner or
    /// version checks); bumps the version and emits UPDATED.
    pub fn mutate(
        &self,
        ns: &str,
        typ: &str,
        id: &str,
        now: chrono::DateTime<chrono::Utc>,
        f: impl FnOnce(&mut Resource) -> Result<(), Status>,
    ) -> Result<Resource, Status> {
        let key = (ns.to_string(), typ.to_string(), id.to_string());
        let mut g = self.lock();
        let cur =
            g.resources.get(&key).cloned().ok_or_else(|| {
                Status::not_found(format!("resource {typ}({ns}/{id}) doesn't exist"))
            })?;
        let mut res = cur.clone();
        f(&mut res)?;
        let md = res.metadata.get_or_insert_with(Default::default);
        let v = parse_version(&md.version)?.unwrap_or(0);
        md.version = (v + 1).to_string();
        md.updated = Some(now_ts(now));
        md.namespace = key.0.clone();
        md.r#type = key.1.clone();
        md.id = key.2.clone();
        g.resources.insert(key, res.clone());
        self.record(&mut g, EventType::Updated, res.clone(), Some(cur));
        Ok(res)
    }

    /// Creates or replaces a resource as a controller would (seeding, demo changes).
    pub fn put(
        &self,
        mut res: Resource,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Resource, Status> {
        let md = res
            .metadata
            .as_mut()
            .ok_or_else(|| Status::invalid_argument("resource metadata is missing"))?;
        let key = (md.namespace.clone(), md.r#type.clone(), md.id.clone());
        if md.phase.is_empty() {
            md.phase = PHASE_RUNNING.into();
        }
        let mut g = self.lock();
        match g.resources.get(&key).cloned() {
            Some(cur) => {
                let cmd = cur.metadata.clone().unwrap_or_default();
                let v = parse_version(&cmd.version)?.unwrap_or(0);
                md.version = (v + 1).to_string();
                md.created = cmd.created;
                md.updated = Some(now_ts(now));
                g.resources.insert(key, res.clone());
                self.record(&mut g, EventType::Updated, res.clone(), Some(cur));
            }
            None => {
                md.version = "1".into();
                if md.created.is_none() {
                    md.created = Some(now_ts(now));
                }
                md.updated = md.created;
                g.resources.insert(key, res.clone());
                self.record(&mut g, EventType::Created, res.clone(), None);
            }
        }
        Ok(res)
    }

    pub fn teardown(
        &self,
        ns: &str,
        typ: &str,
        id: &str,
        owner: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, Status> {
        let key = (ns.to_string(), typ.to_string(), id.to_string());
        let mut g = self.lock();
        let cur =
            g.resources.get(&key).cloned().ok_or_else(|| {
                Status::not_found(format!("resource {typ}({ns}/{id}) doesn't exist"))
            })?;
        let cmd = cur.metadata.clone().unwrap_or_default();
        if cmd.owner != owner {
            return Err(Status::permission_denied(format!(
                "resource {typ}({ns}/{id}) is owned by {:?}",
                cmd.owner
            )));
        }
        let ready = cmd.finalizers.is_empty();
        if cmd.phase != PHASE_TEARING_DOWN {
            let mut res = cur.clone();
            let md = res.metadata.get_or_insert_with(Default::default);
            md.phase = PHASE_TEARING_DOWN.into();
            let v = parse_version(&md.version)?.unwrap_or(0);
            md.version = (v + 1).to_string();
            md.updated = Some(now_ts(now));
            g.resources.insert(key, res.clone());
            self.record(&mut g, EventType::Updated, res, Some(cur));
        }
        Ok(ready)
    }

    pub fn destroy(&self, ns: &str, typ: &str, id: &str, owner: &str) -> Result<(), Status> {
        let key = (ns.to_string(), typ.to_string(), id.to_string());
        let mut g = self.lock();
        let cur =
            g.resources.get(&key).cloned().ok_or_else(|| {
                Status::not_found(format!("resource {typ}({ns}/{id}) doesn't exist"))
            })?;
        let cmd = cur.metadata.clone().unwrap_or_default();
        if cmd.owner != owner {
            return Err(Status::permission_denied(format!(
                "resource {typ}({ns}/{id}) is owned by {:?}",
                cmd.owner
            )));
        }
        if !cmd.finalizers.is_empty() {
            return Err(Status::failed_precondition(format!(
                "resource {typ}({ns}/{id}) has pending finalizers {:?}",
                cmd.finalizers
            )));
        }
        g.resources.remove(&key);
        self.record(&mut g, EventType::Destroyed, cur, None);
        Ok(())
    }

    /// Removes a resource regardless of owner/finalizers (controller hook).
    pub fn force_destroy(&self, ns: &str, typ: &str, id: &str) -> bool {
        let key = (ns.to_string(), typ.to_string(), id.to_string());
        let mut g = self.lock();
        match g.resources.remove(&key) {
            Some(cur) => {
                self.record(&mut g, EventType::Destroyed, cur, None);
                true
            }
            None => false,
        }
    }
}

fn validate_md(md: &Metadata) -> Result<(), Status> {
    if md.namespace.is_empty() || md.r#type.is_empty() || md.id.is_empty() {
        return Err(Status::invalid_argument(
            "resource metadata must have namespace, type and id",
        ));
    }
    parse_version(&md.version)?;
    check_phase(&md.phase)?;
    Ok(())
}

/// Parses an integer with an optional SI (`k`..`p`) or IEC (`ki`..`pi`) unit.
pub fn parse_numeric(s: &str) -> Option<i128> {
    let t = s.trim().to_ascii_lowercase();
    let units: [(&str, i128); 10] = [
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
    for (u, mul) in units {
        if let Some(n) = t.strip_suffix(u) {
            return n
                .trim()
                .parse::<i128>()
                .ok()
                .and_then(|v| v.checked_mul(mul));
        }
    }
    t.parse::<i128>().ok()
}

#[allow(deprecated)]
fn term_matches(labels: &BTreeMap<String, String>, t: &LabelTerm) -> Result<bool, Status> {
    let val = labels.get(&t.key);
    let first = || {
        t.value
            .first()
            .ok_or_else(|| Status::internal(format!("label term {:?} has no value", t.key)))
    };
    let op = Operation::try_from(t.op).map_err(|_| {
        Status::unimplemented(format!("unsupported label query operator: {}", t.op))
    })?;
    let res = match op {
        Operation::Exists => val.is_some(),
        Operation::NotExists => val.is_none(),
        Operation::Equal => {
            let want = first()?;
            val.is_some_and(|v| v == want)
        }
        Operation::In => val.is_some_and(|v| t.value.iter().any(|w| w == v)),
        Operation::Lt | Operation::Lte => {
            let want = first()?;
            let Some(v) = val else { return Ok(false) };
            let r = if op == Operation::Lt {
                v < want
            } else {
                v <= want
            };
            return Ok(r != t.invert);
        }
        Operation::LtNumeric | Operation::LteNumeric => {
            let want = first()?;
            let (Some(v), Some(w)) = (val.and_then(|v| parse_numeric(v)), parse_numeric(want))
            else {
                return Ok(false);
            };
            let r = if op == Operation::LtNumeric {
                v < w
            } else {
                v <= w
            };
            return Ok(r != t.invert);
        }
    };
    Ok(res != t.invert)
}

/// Label queries are ORed; terms inside one query are ANDed. No queries = match.
pub fn labels_match(md: &Metadata, queries: &[LabelQuery]) -> Result<bool, Status> {
    if queries.is_empty() {
        return Ok(true);
    }
    for q in queries {
        let mut all = true;
        for t in &q.terms {
            if !term_matches(&md.labels, t)? {
                all = false;
                break;
            }
        }
        if all {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_units() {
        assert_eq!(parse_numeric("4Gi"), Some(4 << 30));
        assert_eq!(parse_numeric("3k"), Some(3000));
        assert_eq!(parse_numeric("12"), Some(12));
        assert_eq!(parse_numeric("x"), None);
    }

    #[test]
    fn inverted_comparison_on_missing_label_is_false() {
        let md = Metadata::default();
        let q = LabelQuery {
            terms: vec![LabelTerm {
                key: "n".into(),
                op: Operation::LtNumeric as i32,
                value: vec!["3".into()],
                invert: true,
            }],
        };
        assert!(!labels_match(&md, &[q]).unwrap_or(true));
    }
}
