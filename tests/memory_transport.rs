//! The client over the in-memory transport: the exact requests it sends (method, signed
//! metadata, protojson body) and how it reads answers — no server involved.
#![cfg(all(feature = "full", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::rc::Rc;

use futures::executor::block_on;
use omni_wasm::client::ListParams;
use omni_wasm::transport::CallOptions;
use omni_wasm::{Code, Error};
use serde_json::{json, Value};

mod common;
use common::client;

fn cluster(id: &str, version: &str) -> Value {
    json!({"resource": {
        "metadata": {"namespace": "default", "type": "Clusters.omni.sidero.dev", "id": id, "version": version, "phase": "running"},
        "spec": {"proto_spec": "EgYxLjMyLjA=" /* field 2 = "1.32.0" */, "yaml_spec": "kubernetesversion: 1.32.0\n"}
    }})
}

/// A client whose n-th call is answered with `script[n]` (a whole stream), and with
/// `PERMISSION_DENIED` after the script, which ends a watch.
fn scripted(script: Vec<Vec<Value>>) -> (omni_wasm::client::OmniClient, common::Seen) {
    let calls = Rc::new(RefCell::new(0usize));
    client(move |_, _| {
        let n = *calls.borrow();
        *calls.borrow_mut() += 1;
        script
            .get(n)
            .cloned()
            .ok_or_else(|| Error::status(Code::PermissionDenied, "enough"))
    })
}

#[test]
fn list_sends_a_signed_state_list_with_parsed_selectors() {
    let (omni, seen) = client(|method, body| match method {
        // type resolution lists the server's ResourceDefinitions first: none here
        "/cosi.resource.State/List" if body["type"] == "ResourceDefinitions.meta.cosi.dev" => {
            Ok(vec![])
        }
        "/cosi.resource.State/List" => Ok(vec![cluster("a", "3"), cluster("b", "1")]),
        other => Err(Error::status(Code::Unimplemented, other.to_string())),
    });
    let clusters = block_on(omni.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
    let items = block_on(
        clusters.list(
            &ListParams::default()
                .selector("env=prod,!locked")
                .id_regexp("^a"),
            &CallOptions::default(),
        ),
    )
    .unwrap();
    assert_eq!(
        items
            .iter()
            .map(|r| r.metadata.id.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(items[0].spec["kubernetes_version"], "1.32.0");
    let seen = seen.borrow();
    let (method, md, body) = seen.last().unwrap();
    assert_eq!(method, "/cosi.resource.State/List");
    assert_eq!(body["namespace"], "default");
    assert_eq!(body["options"]["id_query"]["regexp"], "^a");
    let terms = &body["options"]["label_query"][0]["terms"];
    assert_eq!(terms[0], json!({"key": "env", "op": 1, "value": ["prod"]}));
    assert_eq!(terms[1], json!({"key": "locked", "invert": true}));
    let sig = md.first("x-sidero-signature").unwrap();
    assert!(sig.starts_with("siderov1 unit "), "{sig}");
    let payload: Value = serde_json::from_str(md.first("x-sidero-payload").unwrap()).unwrap();
    assert_eq!(payload["method"], "/cosi.resource.State/List");
}

#[test]
fn reads_retry_unavailable_and_writes_do_not() {
    let calls = Rc::new(RefCell::new(0));
    let c = calls.clone();
    let (omni, seen) = client(move |method, _| {
        if method == "/cosi.resource.State/List" {
            return Ok(vec![]); // ResourceDefinitions for type resolution
        }
        *c.borrow_mut() += 1;
        if *c.borrow() <= 2 {
            return Err(Error::status(Code::Unavailable, "try later"));
        }
        match method {
            "/cosi.resource.State/Get" => Ok(vec![cluster("a", "1")]),
            _ => Err(Error::status(Code::Unimplemented, "no")),
        }
    });
    let clusters = block_on(omni.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
    let got = block_on(clusters.get("a", &CallOptions::default())).unwrap();
    assert_eq!(got.metadata.version, "1");
    assert_eq!(*calls.borrow(), 3, "two UNAVAILABLE answers, then success");
    *calls.borrow_mut() = 0;
    let err = block_on(clusters.destroy("a", &CallOptions::default())).unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert_eq!(*calls.borrow(), 1, "a write is never retried");
    assert!(seen
        .borrow()
        .iter()
        .all(|(_, md, _)| md.contains("x-sidero-signature")));
}

#[test]
fn update_conflict_carries_the_current_version() {
    let (omni, _) = client(|method, _| match method {
        "/cosi.resource.State/Update" => {
            Err(Error::status(Code::FailedPrecondition, "version mismatch"))
        }
        "/cosi.resource.State/Get" => Ok(vec![cluster("a", "7")]),
        _ => Err(Error::status(Code::Unimplemented, "no")),
    });
    let clusters = block_on(omni.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
    let mut r = block_on(clusters.get("a", &CallOptions::default())).unwrap();
    r.metadata.version = "5".into();
    match block_on(clusters.update(&r, &CallOptions::default())).unwrap_err() {
        Error::Status {
            code,
            current_version,
            ..
        } => {
            assert_eq!(code, Code::FailedPrecondition);
            assert_eq!(current_version.as_deref(), Some("7"));
        }
        other => panic!("{other}"),
    }
}

/// A ResourceService/List of `ids` (sorted), honouring offset and limit as Omni does.
fn rs_page(ids: &[String], body: &Value) -> Vec<Value> {
    let offset = body["offset"].as_i64().unwrap_or(0) as usize;
    let limit = body["limit"].as_i64().unwrap_or(0) as usize;
    let items: Vec<Value> = ids
        .iter()
        .skip(offset)
        .take(if limit == 0 { usize::MAX } else { limit })
        .map(|id| {
            Value::String(
                json!({"metadata": {"id": id, "version": 1, "type": "Clusters.omni.sidero.dev"}, "spec": {}})
                    .to_string(),
            )
        })
        .collect();
    vec![json!({"items": items, "total": ids.len()})]
}

#[test]
fn paged_lists_overlap_pages_and_notice_a_list_that_shifts_under_them() {
    let ids = |n: usize| (0..n).map(|i| format!("m{i:03}")).collect::<Vec<_>>();
    let read = |omni: &omni_wasm::client::OmniClient| {
        let res = block_on(omni.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
        block_on(res.paged_arrays(&ListParams::default(), 5, &CallOptions::default())).unwrap()
    };
    let got_ids = |arrays: Vec<omni_wasm::transport::Text>| -> Vec<String> {
        arrays
            .into_iter()
            .flat_map(|p| serde_json::from_str::<Vec<Value>>(&p).unwrap())
            .map(|r| r["metadata"]["id"].as_str().unwrap().to_string())
            .collect()
    };

    // a steady list: every item once, pages of 5 (+1 overlapping) from offsets 0, 4, 9, …
    let all = ids(12);
    let (omni, seen) = client(move |_, body| Ok(rs_page(&all, body)));
    assert_eq!(got_ids(read(&omni).unwrap()), ids(12));
    let offsets: Vec<(i64, i64)> = seen
        .borrow()
        .iter()
        .map(|(m, _, b)| {
            assert_eq!(m, "/omni.resources.ResourceService/List");
            (
                b["offset"].as_i64().unwrap_or(0),
                b["limit"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(offsets, [(0, 5), (4, 6), (9, 6)]);

    // after the first page one item before the boundary goes and one after it comes: the
    // total stays, the list shifts by one, the overlapping item tells
    let calls = Rc::new(RefCell::new(0));
    let c = calls.clone();
    let (omni, _) = client(move |_, body| {
        *c.borrow_mut() += 1;
        let mut now = ids(12);
        if *c.borrow() > 1 {
            now.remove(1);
            now.push("m999".into());
        }
        Ok(rs_page(&now, body))
    });
    assert!(read(&omni).is_none());
    // the total changes: noticed too
    let calls = Rc::new(RefCell::new(0));
    let c = calls.clone();
    let (omni, _) = client(move |_, body| {
        *c.borrow_mut() += 1;
        Ok(rs_page(&ids(12 + *c.borrow()), body))
    });
    assert!(read(&omni).is_none());
}

/// A ResourceService watch event as the server writes it (resources as JSON strings).
fn rs_event(kind: i32, id: &str, version: u64, old: Option<u64>) -> Value {
    let res = |v: u64| {
        json!({"spec": {"v": v}, "metadata": {"id": id, "version": v, "type": "Clusters.omni.sidero.dev"}})
            .to_string()
    };
    let resource = if kind == 4 {
        String::new()
    } else {
        res(version)
    };
    json!({"event": {"event_type": kind, "resource": resource, "old": old.map(res).unwrap_or_default()}})
}

#[test]
fn json_watches_resume_by_delivering_the_difference_between_snapshots() {
    use futures::StreamExt as _;
    use omni_wasm::client::WatchParams;
    const CREATED: i32 = 1;
    const UPDATED: i32 = 2;
    const BOOTSTRAPPED: i32 = 4;
    for bootstrap in [true, false] {
        let calls = Rc::new(RefCell::new(0));
        let c = calls.clone();
        let (omni, seen) = client(move |method, _| {
            assert_eq!(method, "/omni.resources.ResourceService/Watch");
            *c.borrow_mut() += 1;
            let n = *c.borrow();
            match n {
                // a snapshot, a live update, then the stream breaks
                1 => Ok(vec![
                    rs_event(CREATED, "a", 1, None),
                    rs_event(CREATED, "b", 1, None),
                    rs_event(BOOTSTRAPPED, "", 0, None),
                    rs_event(UPDATED, "a", 2, Some(1)),
                ]),
                // while it was broken: a changed twice, b went, c came
                2 => Ok(vec![
                    rs_event(CREATED, "a", 4, None),
                    rs_event(CREATED, "c", 1, None),
                    rs_event(BOOTSTRAPPED, "", 0, None),
                ]),
                _ => Err(Error::status(Code::PermissionDenied, "enough")),
            }
        });
        let res = block_on(omni.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
        let params = WatchParams {
            bootstrap,
            list: ListParams::default().selector("env=prod"),
            ..WatchParams::default()
        };
        let events: Vec<_> = block_on(res.watch_text(params, CallOptions::default()).collect());
        let (last, events) = events.split_last().unwrap();
        assert_eq!(last.as_ref().unwrap_err().code(), Code::PermissionDenied);
        let got: Vec<String> = events
            .iter()
            .map(|e| {
                let v: Value = serde_json::from_str(e.as_ref().unwrap()).unwrap();
                let ver = |r: &Value| r["metadata"]["version"].to_string();
                match v["type"].as_str().unwrap() {
                    "bootstrapped" => "bootstrapped".to_string(),
                    t => format!(
                        "{t} {} v{}{}",
                        v["resource"]["metadata"]["id"].as_str().unwrap(),
                        ver(&v["resource"]),
                        v.get("old")
                            .map(|o| format!(" old v{}", ver(o)))
                            .unwrap_or_default()
                    ),
                }
            })
            .collect();
        let mut want = vec![];
        if bootstrap {
            want.extend(["created a v1", "created b v1", "bootstrapped"]);
        }
        want.extend([
            "updated a v2 old v1",
            // after the reconnect: only the difference, the previous state as `old`
            "updated a v4 old v2",
            "created c v1",
            "destroyed b v1",
        ]);
        assert_eq!(got, want, "bootstrap {bootstrap}");
        // every open carries the selectors as ResourceService metadata
        for (_, md, body) in seen.borrow().iter() {
            assert_eq!(md.get("selectors"), Some(&["env=prod".to_string()][..]));
            assert_eq!(body["type"], "Clusters.omni.sidero.dev");
        }
    }
}

#[test]
fn a_json_watch_cut_during_its_first_snapshot_delivers_the_rest_once_then_bootstrapped() {
    use futures::StreamExt as _;
    use omni_wasm::client::WatchParams;
    let (omni, _) = scripted(vec![
        vec![rs_event(1, "a", 1, None)], // cut before BOOTSTRAPPED
        vec![
            rs_event(1, "a", 1, None),
            rs_event(1, "b", 1, None),
            rs_event(4, "", 0, None),
        ],
    ]);
    let res = block_on(omni.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
    let events: Vec<_> = block_on(
        res.watch_text(WatchParams::bootstrap(), CallOptions::default())
            .collect(),
    );
    let got: Vec<String> = events
        .iter()
        .filter_map(|e| e.as_ref().ok())
        .map(|t| {
            let v: Value = serde_json::from_str(t).unwrap();
            format!(
                "{} {}",
                v["type"].as_str().unwrap(),
                v["resource"]["metadata"]["id"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(got, ["created a", "created b", "bootstrapped "]);
}

/// A COSI `State/Watch` event (protojson): `kind` 0 created … 3 bootstrapped.
fn state_event(kind: i32, id: &str, version: &str, bookmark: Option<&str>) -> Value {
    let mut ev = if kind == 3 {
        json!({"event_type": kind})
    } else {
        let mut e = cluster(id, version);
        e["event_type"] = json!(kind);
        e
    };
    if let Some(b) = bookmark {
        ev["bookmark"] = json!(b);
    }
    json!({"event": [ev]})
}

#[test]
fn a_state_watch_hands_out_its_bootstrap_as_it_comes_and_after_a_cut_only_the_difference() {
    use futures::StreamExt as _;
    use omni_wasm::client::WatchParams;
    let (omni, seen) = scripted(vec![
        // cut during the bootstrap: a and b delivered, no BOOTSTRAPPED
        vec![
            json!({}),
            state_event(0, "a", "1", None),
            state_event(0, "b", "1", None),
        ],
        // meanwhile a changed, b went away, c appeared; then a live event, then a cut
        vec![
            json!({}),
            state_event(0, "a", "2", None),
            state_event(0, "c", "1", None),
            state_event(3, "", "", Some("AQ==")),
            state_event(1, "c", "2", Some("Ag==")),
        ],
    ]);
    let res = block_on(omni.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
    let events: Vec<_> = block_on(
        res.watch(WatchParams::bootstrap(), CallOptions::default())
            .collect(),
    );
    let got: Vec<String> = events
        .iter()
        .filter_map(|e| e.as_ref().ok())
        .map(|e| match &e.resource {
            Some(r) => format!("{:?} {} {}", e.kind, r.metadata.id, r.metadata.version),
            None => format!("{:?}", e.kind),
        })
        .collect();
    assert_eq!(
        got,
        [
            "Created a 1",
            "Created b 1",
            "Updated a 2",
            "Created c 1",
            "Destroyed b 1",
            "Bootstrapped",
            "Updated c 2",
        ]
    );
    // the second stream bootstraps again; the third resumes from the last bookmark
    let seen = seen.borrow();
    let opts = |i: usize| seen[i].2["options"].clone();
    assert_eq!(opts(1)["bootstrap_contents"], json!(true));
    assert_eq!(opts(2)["start_from_bookmark"], json!("Ag=="));
}

/// Virtual time: `sleep` advances the clock at once and is recorded.
#[derive(Default)]
struct ManualClock {
    now: std::cell::Cell<f64>,
    slept: RefCell<Vec<std::time::Duration>>,
}

impl omni_wasm::transport::runtime::Clock for ManualClock {
    fn now_millis(&self) -> f64 {
        self.now.get()
    }

    fn sleep<'a>(
        &'a self,
        d: std::time::Duration,
        _opts: &'a CallOptions,
    ) -> futures::future::LocalBoxFuture<'a, omni_wasm::Result<()>> {
        self.slept.borrow_mut().push(d);
        self.now.set(self.now.get() + d.as_secs_f64() * 1000.0);
        Box::pin(async { Ok(()) })
    }
}

/// Reads retry on UNAVAILABLE after the backoff's delays (exponential, jittered, bounded),
/// measured on a manual clock; writes never retry.
#[test]
fn reads_back_off_on_the_clients_clock_and_writes_do_not_retry() {
    use omni_wasm::client::OmniClient;
    use omni_wasm::transport::{Backoff, MemoryHandler};
    let clock = Rc::new(ManualClock::default());
    let failures = Rc::new(std::cell::Cell::new(0u32));
    let f = failures.clone();
    let h: MemoryHandler = Rc::new(
        move |method: &str, _md: &omni_wasm::auth::Metadata, body: Value| {
            if method == "/cosi.resource.State/List"
                && body["type"] == "ResourceDefinitions.meta.cosi.dev"
            {
                return Ok(vec![]);
            }
            if f.get() < 3 {
                f.set(f.get() + 1);
                return Err(Error::status(Code::Unavailable, "restarting"));
            }
            Ok(vec![cluster("a", "1")])
        },
    );
    let omni = OmniClient::builder("memory")
        .memory(h)
        .clock(clock.clone())
        .backoff(Backoff::new(
            std::time::Duration::from_millis(100),
            std::time::Duration::from_secs(10),
            5,
        ))
        .build()
        .unwrap();
    let o = CallOptions::default();
    let clusters = block_on(omni.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
    let got = block_on(clusters.get("a", &o)).unwrap();
    assert_eq!(got.metadata.id, "a");
    let slept = clock.slept.borrow().clone();
    assert_eq!(slept.len(), 3, "{slept:?}");
    for (i, d) in slept.iter().enumerate() {
        let base = 100.0 * 2f64.powi(i as i32);
        let ms = d.as_secs_f64() * 1000.0;
        assert!(
            ms >= base * 0.5 && ms < base * 1.5,
            "retry {i} after {ms} ms"
        );
    }
    // the clock moved by exactly the delays: nothing else waited
    let total: f64 = slept.iter().map(|d| d.as_secs_f64() * 1000.0).sum();
    assert!((omni_wasm::transport::runtime::Clock::now_millis(&*clock) - total).abs() < 1e-6);

    // a write is not retried: one attempt, no sleep
    failures.set(0);
    clock.slept.borrow_mut().clear();
    let r: omni_wasm::resource::Resource = serde_json::from_value(json!({
        "metadata": {"namespace": "default", "type": "Clusters.omni.sidero.dev", "id": "b"},
        "spec": {"kubernetes_version": "1.32.0"}
    }))
    .unwrap();
    let e = block_on(clusters.create(&r, &o)).unwrap_err();
    assert_eq!(e.code(), Code::Unavailable);
    assert!(clock.slept.borrow().is_empty());
    assert_eq!(failures.get(), 1);
}

/// The status wait asks again every interval on the client's clock and gives up at the
/// deadline of its timeout, without busy-waiting.
#[test]
fn status_waits_run_on_the_clients_clock_until_their_deadline() {
    use futures::StreamExt as _;
    use omni_wasm::client::OmniClient;
    use omni_wasm::transport::MemoryHandler;
    let clock = Rc::new(ManualClock::default());
    let asked = Rc::new(std::cell::Cell::new(0u32));
    let a = asked.clone();
    let h: MemoryHandler = Rc::new(
        move |method: &str, _md: &omni_wasm::auth::Metadata, body: Value| {
            if method == "/cosi.resource.State/List"
                && body["type"] == "ClusterStatuses.omni.sidero.dev"
            {
                a.set(a.get() + 1);
            }
            Ok(vec![])
        },
    );
    let omni = OmniClient::builder("memory")
        .memory(h)
        .clock(clock.clone())
        .build()
        .unwrap();
    let opts = CallOptions::default().with_timeout(std::time::Duration::from_secs(10));
    let items: Vec<_> = block_on(
        omni.templates()
            .status_updates("c", std::time::Duration::from_secs(1), true, opts)
            .collect::<Vec<_>>(),
    );
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap(), &None);
    assert_eq!(
        items[1].as_ref().unwrap_err().code(),
        Code::DeadlineExceeded
    );
    // asked once a second for ten seconds of virtual time
    assert_eq!(clock.slept.borrow().len(), 10);
    assert_eq!(asked.get(), 10);
}

#[test]
fn apply_each_sends_an_alias_as_the_type_it_resolves_to() {
    let (omni, seen) = client(|method, body| match method {
        "/cosi.resource.State/List" => Ok(vec![]),
        "/cosi.resource.State/Get" => Err(Error::status(Code::NotFound, "no")),
        "/cosi.resource.State/Create" => Ok(vec![json!({"resource": body["resource"].clone()})]),
        other => Err(Error::status(Code::Unimplemented, other.to_string())),
    });
    let r = omni_wasm::resource::Resource::new(
        omni_wasm::resource::ResourceMetadata::new("", "clusters", "a"),
        json!({"kubernetes_version": "1.32.0"}),
    );
    let out = block_on(omni.apply_each(&[r], false, 1, &CallOptions::default())).unwrap();
    assert!(out[0].is_ok(), "{:?}", out[0]);
    let seen = seen.borrow();
    let (_, _, body) = seen
        .iter()
        .find(|(m, _, _)| m.ends_with("/Create"))
        .expect("a create");
    assert_eq!(
        body["resource"]["metadata"]["type"],
        "Clusters.omni.sidero.dev"
    );
    assert_eq!(body["resource"]["metadata"]["namespace"], "default");
}

#[test]
fn apply_all_stops_at_the_first_failure_as_omnictl() {
    let (omni, seen) = client(|method, body| match method {
        "/cosi.resource.State/List" => Ok(vec![]),
        "/cosi.resource.State/Get" => Err(Error::status(Code::NotFound, "no")),
        "/cosi.resource.State/Create" if body["resource"]["metadata"]["id"] == "b" => {
            Err(Error::status(Code::PermissionDenied, "not b"))
        }
        "/cosi.resource.State/Create" => Ok(vec![json!({"resource": body["resource"].clone()})]),
        other => Err(Error::status(Code::Unimplemented, other.to_string())),
    });
    let r = |id: &str| {
        omni_wasm::resource::Resource::new(
            omni_wasm::resource::ResourceMetadata::new("default", "Clusters.omni.sidero.dev", id),
            json!({"kubernetes_version": "1.32.0"}),
        )
    };
    let all = [r("a"), r("b"), r("c")];
    let e = block_on(omni.apply_all(&all, false, 1, &CallOptions::default())).unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let created: Vec<String> = seen
        .borrow()
        .iter()
        .filter(|(m, _, _)| m.ends_with("/Create"))
        .map(|(_, _, b)| {
            b["resource"]["metadata"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(created, ["a", "b"], "nothing after the failure");
    // apply_each goes on and reports each
    let each = block_on(omni.apply_each(&all, false, 1, &CallOptions::default())).unwrap();
    assert!(each[0].is_ok() && each[1].is_err() && each[2].is_ok());
}

/// The watcher in kube-rs's shape: each break is yielded as an error and the watch goes on,
/// from the last bookmark, even past errors the classic watch ends on; nothing is lost or
/// repeated across the breaks.
#[test]
fn the_watcher_yields_every_error_and_goes_on_from_its_bookmark() {
    use futures::StreamExt as _;
    use omni_wasm::client::WatchParams;
    let calls = Rc::new(RefCell::new(0usize));
    let (omni, seen) = client(move |_, _| {
        let n = *calls.borrow();
        *calls.borrow_mut() += 1;
        match n {
            0 => Ok(vec![
                json!({}),
                state_event(0, "a", "1", None),
                state_event(3, "", "", Some("AQ==")),
                state_event(0, "b", "1", Some("Ag==")),
            ]),
            1 => Err(Error::status(Code::Internal, "down")),
            2 => Err(Error::status(Code::PermissionDenied, "role revoked")),
            3 => Ok(vec![json!({}), state_event(1, "b", "2", Some("Aw=="))]),
            _ => Err(Error::status(Code::Internal, "still down")),
        }
    });
    let res = block_on(omni.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
    let items: Vec<String> = block_on(
        res.watcher(WatchParams::bootstrap(), CallOptions::default())
            .take(8)
            .collect::<Vec<_>>(),
    )
    .into_iter()
    .map(|i| match i {
        Ok(e) => match &e.resource {
            Some(r) => format!("{:?} {} {}", e.kind, r.metadata.id, r.metadata.version),
            None => format!("{:?}", e.kind),
        },
        Err(e) => format!("error {}", e.code().name()),
    })
    .collect();
    assert_eq!(
        items,
        [
            "Created a 1",
            "Bootstrapped",
            "Created b 1",
            "error UNAVAILABLE", // the stream ended
            "error INTERNAL",
            "error PERMISSION_DENIED",
            "Updated b 2",
            "error UNAVAILABLE",
        ]
    );
    // every reopen resumes from the last bookmark delivered
    let seen = seen.borrow();
    for i in 1..=3 {
        let o = &seen[i].2["options"];
        assert_eq!(o["start_from_bookmark"], json!("Ag=="), "call {i}");
        assert_ne!(o["bootstrap_contents"], json!(true), "call {i}");
    }
    // the classic watch ends at the error a retry would not change
    let (omni, _) = scripted(vec![vec![json!({}), state_event(3, "", "", Some("AQ=="))]]);
    let res = block_on(omni.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
    let classic: Vec<_> = block_on(
        res.watch(WatchParams::bootstrap(), CallOptions::default())
            .collect(),
    );
    assert_eq!(classic.len(), 2, "{classic:?}");
    assert_eq!(
        classic[1].as_ref().unwrap_err().code(),
        Code::PermissionDenied
    );
}

/// kube-rs's backoff around any stream of results, on a manual clock: each error waits the
/// next delay (growing, jittered), items pass through, the policy starts over after a quiet
/// period, and the stream ends with the error that uses the policy up.
#[test]
fn with_backoff_paces_errors_resets_after_quiet_and_ends_when_used_up() {
    use futures::StreamExt as _;
    use omni_wasm::client::with_backoff;
    use omni_wasm::transport::Backoff;
    use std::time::Duration;
    let clock = Rc::new(ManualClock::default());
    let c = clock.clone();
    // errors, one success, a long quiet stretch, then errors until the policy is used up
    let script: Vec<Option<bool>> = vec![
        Some(false),
        Some(false),
        Some(true),
        Some(false),
        None, // (200 s pass without an error)
        Some(false),
        Some(false),
        Some(false),
        Some(false),
        Some(false),
    ];
    let inner = futures::stream::iter(script)
        .filter_map(move |step| {
            let c = c.clone();
            async move {
                match step {
                    None => {
                        c.now.set(c.now.get() + 200_000.0);
                        None
                    }
                    Some(true) => Some(Ok(1)),
                    Some(false) => Some(Err(Error::status(Code::Unavailable, "cut"))),
                }
            }
        })
        .boxed_local();
    let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60), 4);
    let out: Vec<omni_wasm::Result<i32>> = block_on(
        with_backoff(
            inner,
            backoff,
            Duration::from_secs(120),
            clock.clone(),
            CallOptions::default(),
        )
        .collect(),
    );
    let shape: Vec<&str> = out
        .iter()
        .map(|r| if r.is_ok() { "ok" } else { "err" })
        .collect();
    // 3 errors (delays 1-3), the success, the error that follows (delay 3 of 4); after the
    // quiet stretch the policy starts over: 4 more delays, and the 5th error ends it
    assert_eq!(
        shape,
        ["err", "err", "ok", "err", "err", "err", "err", "err", "err"]
    );
    let slept: Vec<f64> = clock
        .slept
        .borrow()
        .iter()
        .map(Duration::as_secs_f64)
        .collect();
    assert_eq!(slept.len(), 7, "{slept:?}");
    let within = |d: f64, base: f64| d >= base * 0.5 - 1e-9 && d <= base * 1.5 + 1e-9;
    for (i, base) in [1.0, 2.0, 4.0, 1.0, 2.0, 4.0, 8.0].iter().enumerate() {
        assert!(
            within(slept[i], *base),
            "delay {i}: {} (base {base})",
            slept[i]
        );
    }
}

/// A bookmark the server no longer has (`FAILED_PRECONDITION`: history compacted) is not an
/// error to the caller: the watcher says `Resync`, bootstraps afresh, and goes on live.
#[test]
fn a_refused_bookmark_is_a_resync_then_a_fresh_snapshot() {
    refused_bookmark_resyncs(|| {
        Err(Error::status(
            Code::FailedPrecondition,
            "bookmark is too old",
        ))
    });
}

/// Omni's etcd store refuses an expired bookmark after the watch opens, in an ERRORED event
/// (cosi-project/state-etcd): the same resync, not a retry with the same bookmark for ever.
#[test]
fn an_errored_event_after_resuming_is_a_resync_too() {
    refused_bookmark_resyncs(|| {
        let mut errored = json!({"event": [{"event_type": 4}]});
        errored["event"][0]["error"] =
            json!("etcdserver: mvcc: required revision has been compacted");
        Ok(vec![json!({}), errored])
    });
}

fn refused_bookmark_resyncs(refusal: fn() -> omni_wasm::Result<Vec<Value>>) {
    use futures::StreamExt as _;
    use omni_wasm::client::WatchParams;
    let refused = Rc::new(RefCell::new(0usize));
    let (omni2, seen2) = client({
        let refused = refused.clone();
        move |_, _| {
            let n = *refused.borrow();
            *refused.borrow_mut() += 1;
            match n {
                0 => Ok(vec![
                    json!({}),
                    state_event(0, "a", "1", None),
                    state_event(3, "", "", Some("AQ==")),
                    state_event(1, "a", "2", Some("Ag==")),
                ]),
                1 => refusal(),
                2 => Ok(vec![
                    json!({}),
                    state_event(0, "a", "3", None),
                    state_event(0, "b", "1", None),
                    state_event(3, "", "", Some("Aw==")),
                ]),
                _ => Err(Error::status(Code::PermissionDenied, "enough")),
            }
        }
    });
    let res = block_on(omni2.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
    let got: Vec<String> = block_on(
        res.watch(WatchParams::bootstrap(), CallOptions::default())
            .collect::<Vec<_>>(),
    )
    .into_iter()
    .map(|i| match i {
        Ok(e) => match &e.resource {
            Some(r) => format!("{:?} {} {}", e.kind, r.metadata.id, r.metadata.version),
            None => format!("{:?}", e.kind),
        },
        Err(e) => format!("error {}", e.code().name()),
    })
    .collect();
    assert_eq!(
        got,
        [
            "Created a 1",
            "Bootstrapped",
            "Updated a 2",
            "Resync",
            "Created a 3",
            "Created b 1",
            "Bootstrapped",
            "error PERMISSION_DENIED",
        ]
    );
    let seen = seen2.borrow();
    let o = |i: usize| seen[i].2["options"].clone();
    assert_eq!(o(1)["start_from_bookmark"], json!("Ag=="));
    assert_eq!(o(2)["bootstrap_contents"], json!(true));
    assert_eq!(o(2).get("start_from_bookmark"), None, "{}", o(2));
}
