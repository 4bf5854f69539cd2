//! Shared by the `coverage_*` tests: a small in-memory Omni behind the memory transport. It
//! keeps COSI resources in the wire shape the client writes (`{ metadata, spec: { proto_spec } }`)
//! and answers `cosi.resource.State` Get/List/Create/Update/Teardown/Destroy/
//! TeardownAndDestroy/Watch the way Omni does (versions, phases, finalizers, `NOT_FOUND`,
//! `ALREADY_EXISTS`, version conflicts). Every other method goes to the test's own handler.
//! Resources the tests need to exist are created through the client first, so they are in
//! exactly the shape the client itself writes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use futures::executor::block_on;
use omni_wasm::auth::{Metadata, ServiceAccountKey};
use omni_wasm::client::{OmniClient, OmniClientBuilder};
use omni_wasm::resource::{Resource, ResourceMetadata};
use omni_wasm::transport::{Backoff, CallOptions, MemoryHandler};
use omni_wasm::{Code, Error};
use serde_json::{json, Value};

/// The test's handler for methods that are not `cosi.resource.State`: `None` = not handled
/// (answered `UNIMPLEMENTED`).
pub type Rpc = Rc<dyn Fn(&str, &Value) -> Option<Result<Vec<Value>, Error>>>;

/// What the fake holds and saw.
#[derive(Default)]
pub struct Store {
    /// (type, namespace, id) → the resource as the wire carries it.
    pub resources: BTreeMap<(String, String, String), Value>,
    /// Every call: method, metadata, body.
    pub calls: Vec<(String, Metadata, Value)>,
    /// Destroy calls refused because finalizers were left, by id.
    pub refused_destroys: Vec<String>,
    /// How many of the next Updates lose a race: someone else writes first (the stored
    /// version moves on) and the Update gets the version conflict.
    pub conflicts: usize,
    /// What the server's controllers do after a State write: called with the method name
    /// (`Teardown`, …), its body and the stored resources.
    pub controller: Option<Controller>,
    /// State methods (`Get`, `List`, …) answered with this error code instead.
    pub refuse: BTreeMap<String, Code>,
}

/// See [`Store::controller`].
pub type Controller = Rc<dyn Fn(&str, &Value, &mut BTreeMap<(String, String, String), Value>)>;

/// A client and the fake Omni it talks to.
pub struct Fake {
    pub omni: OmniClient,
    pub store: Rc<RefCell<Store>>,
}

/// Calls after which every answer is `PERMISSION_DENIED` (a safety net: a loop in the code
/// under test ends the test instead of hanging it).
const CALL_LIMIT: usize = 2_000;

fn key_of(md: &Value) -> (String, String, String) {
    let s = |k: &str| md[k].as_str().unwrap_or_default().to_string();
    (s("type"), s("namespace"), s("id"))
}

fn not_found(t: &str, id: &str) -> Error {
    Error::status(Code::NotFound, format!("resource {t}({id}) doesn't exist"))
}

/// Simple label matching: EQUAL (op 1), IN (op 3) and EXISTS (op 0), with `invert`.
fn labels_match(query: &Value, labels: &Value) -> bool {
    let queries = match query.as_array() {
        Some(q) if !q.is_empty() => q,
        _ => return true,
    };
    // several queries: any of them (OR); the terms of one: all of them (AND)
    queries.iter().any(|q| {
        q["terms"].as_array().into_iter().flatten().all(|t| {
            let key = t["key"].as_str().unwrap_or_default();
            let have = labels.get(key).and_then(Value::as_str);
            let values: Vec<&str> = t["value"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let hit = match t["op"].as_i64().unwrap_or(0) {
                0 => have.is_some(),
                1 | 3 => have.is_some_and(|h| values.contains(&h)),
                other => panic!("label op {other} not supported by the fake"),
            };
            hit != t["invert"].as_bool().unwrap_or(false)
        })
    })
}

/// `^escaped$` regexps only (what the client sends for one id): the id they match.
fn exact_id(regexp: &str) -> Option<String> {
    let inner = regexp.strip_prefix('^')?.strip_suffix('$')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn state(store: &Rc<RefCell<Store>>, method: &str, body: &Value) -> Result<Vec<Value>, Error> {
    let mut st = store.borrow_mut();
    if let Some(code) = st.refuse.get(method) {
        return Err(Error::status(
            *code,
            format!("State/{method} refused by the test"),
        ));
    }
    let key = || {
        (
            body["type"].as_str().unwrap_or_default().to_string(),
            body["namespace"].as_str().unwrap_or_default().to_string(),
            body["id"].as_str().unwrap_or_default().to_string(),
        )
    };
    match method {
        "Get" => {
            let k = key();
            match st.resources.get(&k) {
                Some(r) => Ok(vec![json!({ "resource": r })]),
                None => Err(not_found(&k.0, &k.2)),
            }
        }
        "List" => {
            let (t, ns) = (body["type"].as_str(), body["namespace"].as_str());
            let id = body["options"]["id_query"]["regexp"]
                .as_str()
                .map(|re| exact_id(re).expect("the fake knows ^id$ regexps only"));
            Ok(st
                .resources
                .iter()
                .filter(|((rt, rns, rid), r)| {
                    Some(rt.as_str()) == t
                        && Some(rns.as_str()) == ns
                        && id.as_ref().is_none_or(|id| id == rid)
                        && labels_match(&body["options"]["label_query"], &r["metadata"]["labels"])
                })
                .map(|(_, r)| json!({ "resource": r }))
                .collect())
        }
        "Create" => {
            let mut r = body["resource"].clone();
            let k = key_of(&r["metadata"]);
            if st.resources.contains_key(&k) {
                return Err(Error::status(
                    Code::AlreadyExists,
                    format!("resource {}({}) already exists", k.0, k.2),
                ));
            }
            r["metadata"]["version"] = json!("1");
            r["metadata"]["phase"] = json!("running");
            st.resources.insert(k, r.clone());
            Ok(vec![json!({ "resource": r })])
        }
        "Update" => {
            let mut r = body["new_resource"].clone();
            let k = key_of(&r["metadata"]);
            let Some(cur) = st.resources.get(&k) else {
                return Err(not_found(&k.0, &k.2));
            };
            let phase = cur["metadata"]["phase"].clone();
            let mut have = cur["metadata"]["version"]
                .as_str()
                .unwrap_or("0")
                .to_string();
            if st.conflicts > 0 {
                st.conflicts -= 1;
                have = (have.parse::<u64>().unwrap() + 1).to_string();
                st.resources.get_mut(&k).unwrap()["metadata"]["version"] = json!(have);
            }
            if r["metadata"]["version"].as_str() != Some(have.as_str()) {
                return Err(Error::status(
                    Code::FailedPrecondition,
                    format!("resource {}({}) update conflict", k.0, k.2),
                ));
            }
            let next: u64 = have.parse::<u64>().unwrap() + 1;
            r["metadata"]["version"] = json!(next.to_string());
            r["metadata"]["phase"] = phase;
            st.resources.insert(k, r.clone());
            Ok(vec![json!({ "resource": r })])
        }
        "Teardown" => {
            let k = key();
            let Some(r) = st.resources.get_mut(&k) else {
                return Err(not_found(&k.0, &k.2));
            };
            r["metadata"]["phase"] = json!("tearingDown");
            let ready = r["metadata"]["finalizers"]
                .as_array()
                .is_none_or(Vec::is_empty);
            Ok(vec![json!({ "destroy_ready": ready })])
        }
        "Destroy" => {
            let k = key();
            let Some(r) = st.resources.get(&k) else {
                return Err(not_found(&k.0, &k.2));
            };
            if !r["metadata"]["finalizers"]
                .as_array()
                .is_none_or(Vec::is_empty)
            {
                st.refused_destroys.push(k.2.clone());
                return Err(Error::status(Code::FailedPrecondition, "finalizers left"));
            }
            st.resources.remove(&k);
            Ok(vec![json!({})])
        }
        "TeardownAndDestroy" => {
            let k = key();
            match st.resources.remove(&k) {
                Some(_) => Ok(vec![json!({})]),
                None => Err(not_found(&k.0, &k.2)),
            }
        }
        "Watch" => {
            // single-resource watches only: the current state, or DESTROYED when it is gone
            let k = key();
            assert!(
                !k.2.is_empty(),
                "the fake serves single-resource watches only"
            );
            let ev = match st.resources.get(&k) {
                Some(r) => json!({ "event_type": 0, "resource": r }),
                None => json!({ "event_type": 2, "resource": { "metadata": {
                    "type": k.0, "namespace": k.1, "id": k.2, "version": "1", "phase": "running"
                }}}),
            };
            Ok(vec![json!({ "event": [ev] })])
        }
        other => Err(Error::status(
            Code::Unimplemented,
            format!("State/{other} is not in the fake"),
        )),
    }
}

/// A client signed with a fresh service-account key, talking to a fake whose non-State calls
/// go to `rpc`.
pub fn fake(rpc: Rpc) -> Fake {
    fake_built(rpc, |b| b)
}

/// As [`fake`], with more builder settings (read-only, a clock).
pub fn fake_built(rpc: Rpc, more: impl FnOnce(OmniClientBuilder) -> OmniClientBuilder) -> Fake {
    let store: Rc<RefCell<Store>> = Rc::new(RefCell::new(Store::default()));
    let s = store.clone();
    let h: MemoryHandler = Rc::new(move |method: &str, md: &Metadata, body: Value| {
        let n = {
            let mut st = s.borrow_mut();
            st.calls
                .push((method.to_string(), md.clone(), body.clone()));
            st.calls.len()
        };
        if n > CALL_LIMIT {
            return Err(Error::status(
                Code::PermissionDenied,
                "call limit of the fake",
            ));
        }
        match method.strip_prefix("/cosi.resource.State/") {
            Some(m) => {
                let out = state(&s, m, &body);
                let controller = s.borrow().controller.clone();
                if let (Ok(_), Some(c)) = (&out, controller) {
                    c(m, &body, &mut s.borrow_mut().resources);
                }
                out
            }
            None => rpc(method, &body).unwrap_or_else(|| {
                Err(Error::status(
                    Code::Unimplemented,
                    format!("{method} is not handled by this test"),
                ))
            }),
        }
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (sa, _) = ServiceAccountKey::generate("coverage", None, now).unwrap();
    let builder = OmniClient::builder("memory")
        .memory(h)
        .service_account_key(&sa.encode().unwrap())
        .unwrap()
        .backoff(Backoff::new(
            std::time::Duration::ZERO,
            std::time::Duration::ZERO,
            3,
        ));
    let omni = more(builder).build().unwrap();
    Fake { omni, store }
}

/// A fake that answers nothing but `cosi.resource.State`.
pub fn state_only() -> Fake {
    fake(Rc::new(|_, _| None))
}

impl Fake {
    /// Create a resource through the client (so it is in the client's own wire shape).
    pub fn put(&self, ns: &str, ty: &str, id: &str, spec: Value) -> Resource {
        self.put_with(ns, ty, id, spec, |_| {})
    }

    /// As [`put`](Self::put), with metadata changes (labels, annotations, owner).
    pub fn put_with(
        &self,
        ns: &str,
        ty: &str,
        id: &str,
        spec: Value,
        md: impl FnOnce(&mut ResourceMetadata),
    ) -> Resource {
        let mut m = ResourceMetadata::new(ns, ty, id);
        md(&mut m);
        let h = block_on(self.omni.resources_in(ty, ns)).unwrap();
        block_on(h.create(&Resource::new(m, spec), &CallOptions::default())).unwrap()
    }

    /// The stored resource, decoded by the client (`None` when absent).
    pub fn get(&self, ns: &str, ty: &str, id: &str) -> Option<Resource> {
        let h = block_on(self.omni.resources_in(ty, ns)).unwrap();
        block_on(h.get_opt(id, &CallOptions::default())).unwrap()
    }

    /// Change the stored wire form directly (what a controller on the server would do).
    pub fn edit_raw(&self, ns: &str, ty: &str, id: &str, f: impl FnOnce(&mut Value)) {
        let mut st = self.store.borrow_mut();
        let r = st
            .resources
            .get_mut(&(ty.to_string(), ns.to_string(), id.to_string()))
            .unwrap_or_else(|| panic!("{ty}({id}) is not in the fake"));
        f(r);
    }

    /// Methods called so far, without the `cosi.resource.State/` Get/List reads.
    pub fn writes(&self) -> Vec<String> {
        self.store
            .borrow()
            .calls
            .iter()
            .map(|(m, _, b)| {
                let id = b["id"]
                    .as_str()
                    .or(b["resource"]["metadata"]["id"].as_str())
                    .or(b["new_resource"]["metadata"]["id"].as_str())
                    .unwrap_or_default();
                format!("{} {id}", m.rsplit('/').next().unwrap_or_default())
            })
            .filter(|m| {
                !m.starts_with("Get ") && !m.starts_with("List ") && !m.starts_with("Watch ")
            })
            .collect()
    }

    /// The bodies sent to `method` (full path).
    pub fn bodies(&self, method: &str) -> Vec<Value> {
        self.store
            .borrow()
            .calls
            .iter()
            .filter(|(m, _, _)| m == method)
            .map(|(_, _, b)| b.clone())
            .collect()
    }

    /// Forget the calls seen so far.
    pub fn clear_calls(&self) {
        self.store.borrow_mut().calls.clear();
    }
}

/// Run a future to its end.
pub fn run<F: std::future::Future>(f: F) -> F::Output {
    block_on(f)
}

/// Default call options.
pub fn opts() -> CallOptions {
    CallOptions::default()
}
