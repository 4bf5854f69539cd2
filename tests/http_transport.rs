//! The gateway and gRPC-web protocols natively, over real HTTP, against omni-sim: the same
//! protocol code ([`omni_wasm::transport`]'s `wire` over the pure codecs) that runs over
//! `fetch` in wasm, here over a plain blocking HTTP/1.1 client (ureq) plugged in through
//! [`HttpClient`]. omni-sim runs in-process on a loopback port.
#![cfg(all(feature = "full", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read as _;
use std::rc::Rc;
use std::sync::OnceLock;

use futures::executor::block_on;
use futures::future::LocalBoxFuture;
use futures::StreamExt as _;
use omni_wasm::client::{ListParams, OmniClient, WatchEventKind, WatchParams};
use omni_wasm::resource::{Resource, ResourceMetadata};
use omni_wasm::transport::http::{HttpBody, HttpClient, HttpRequest, HttpResponse};
use omni_wasm::transport::{CallOptions, Protocol};
use omni_wasm::{Code, Error, Result};
use serde_json::json;

/// A blocking HTTP/1.1 client as the protocols' [`HttpClient`] (loopback only: no TLS).
struct Ureq(ureq::Agent);

struct Reader(ureq::BodyReader<'static>);

impl HttpBody for Reader {
    fn read_into<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> LocalBoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let mut chunk = [0u8; 16 * 1024];
            let n = self
                .0
                .read(&mut chunk)
                .map_err(|e| Error::Transport(format!("reading the response: {e}")))?;
            buf.extend_from_slice(&chunk[..n]);
            Ok(n > 0)
        })
    }
}

impl HttpClient for Ureq {
    fn post<'a>(
        &'a self,
        request: HttpRequest,
        _opts: &'a CallOptions,
    ) -> LocalBoxFuture<'a, Result<HttpResponse>> {
        Box::pin(async move {
            let mut req = self.0.post(&request.url);
            for (k, v) in &request.headers {
                req = req.header(k.as_str(), v.as_str());
            }
            let resp = req
                .send(&request.body[..])
                .map_err(|e| Error::Transport(format!("POST {}: {e}", request.url)))?;
            let status = resp.status().as_u16();
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
                .collect();
            Ok(HttpResponse {
                status,
                headers,
                body: Box::new(Reader(resp.into_body().into_reader())),
            })
        })
    }
}

/// omni-sim on a loopback port, for every test of this file: its URL and an admin's key.
fn sim() -> &'static (String, String) {
    static SIM: OnceLock<(String, String)> = OnceLock::new();
    SIM.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let sim = omni_sim::Sim::builder()
                    .accept_eula(true)
                    .start()
                    .await
                    .unwrap();
                let key = sim.service_account_key("http-test", "Admin").unwrap();
                tx.send((sim.url(), key)).unwrap();
                // serve until the test process ends
                std::future::pending::<()>().await;
                drop(sim);
            });
        });
        rx.recv().unwrap()
    })
}

fn client(protocol: Protocol) -> OmniClient {
    let (url, key) = sim();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    OmniClient::builder(url)
        .protocol(protocol)
        .http_client(Rc::new(Ureq(agent)))
        .service_account_key(key)
        .unwrap()
        .build()
        .unwrap()
}

fn opts() -> CallOptions {
    CallOptions::default()
}

const LABELS: &str = "MachineLabels.omni.sidero.dev";

fn labels(id: &str, value: &str) -> Resource {
    let mut md = ResourceMetadata::new("default", LABELS, id);
    md.labels.insert("tier".into(), value.into());
    Resource::new(md, json!({}))
}

#[test]
fn unary_calls_and_errors_over_both_protocols() {
    for (p, name) in [(Protocol::Gateway, "gw"), (Protocol::GrpcWeb, "gweb")] {
        let c = client(p);
        let h = block_on(c.resources_in(LABELS, "default")).unwrap();
        let id = format!("http-unary-{name}");
        let created = block_on(h.create(&labels(&id, "a"), &opts())).unwrap();
        assert_eq!(created.metadata.id, id);
        let got = block_on(h.get(&id, &opts())).unwrap();
        assert_eq!(got.metadata.labels["tier"], "a", "{name}");
        // the server's statuses, each mapped to its code and message
        let e = block_on(h.create(&labels(&id, "b"), &opts())).unwrap_err();
        assert_eq!(e.code(), Code::AlreadyExists, "{name}: {e}");
        let e = block_on(h.get("http-nope", &opts())).unwrap_err();
        assert_eq!(e.code(), Code::NotFound, "{name}: {e}");
        assert!(e.to_string().contains("http-nope"), "{name}: {e}");
        // a stale version is refused
        let mut stale = got.clone();
        block_on(h.update(&got, &opts())).unwrap();
        stale.metadata.labels.insert("tier".into(), "c".into());
        let e = block_on(h.update(&stale, &opts())).unwrap_err();
        assert_eq!(e.code(), Code::FailedPrecondition, "{name}: {e}");
        assert!(block_on(h.delete(&id, &opts())).unwrap().destroyed);
        // management RPCs (a different service, the same codecs)
        let accounts = block_on(c.management().list_service_accounts(&opts())).unwrap();
        assert!(
            accounts
                .iter()
                .any(|a| a.name == "http-test" && a.role == "Admin"),
            "{name}: {accounts:?}"
        );
    }
}

#[test]
fn unsigned_and_badly_signed_calls_are_refused_with_the_servers_code() {
    let (url, _) = sim();
    for p in [Protocol::Gateway, Protocol::GrpcWeb] {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let anon = OmniClient::builder(url)
            .protocol(p)
            .http_client(Rc::new(Ureq(agent)))
            .build()
            .unwrap();
        let h = block_on(anon.resources_in(LABELS, "default")).unwrap();
        let e = block_on(h.list(&ListParams::default(), &opts())).unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated, "{p:?}: {e}");
    }
}

#[test]
fn lists_and_watches_stream_over_both_protocols() {
    for (p, name) in [(Protocol::Gateway, "gw"), (Protocol::GrpcWeb, "gweb")] {
        let c = client(p);
        let h = block_on(c.resources_in(LABELS, "default")).unwrap();
        let tier = format!("stream-{name}");
        for i in 0..25 {
            block_on(h.create(&labels(&format!("http-{name}-{i:02}"), &tier), &opts())).unwrap();
        }
        let sel = ListParams::default().selector(format!("tier={tier}"));
        let listed = block_on(h.list(&sel, &opts())).unwrap();
        assert_eq!(listed.len(), 25, "{name}");
        // a watch: the bootstrap, then live events, read as the body arrives
        for (expected, bookmarks) in [(25, false), (26, true)] {
            let params = WatchParams {
                list: sel.clone(),
                bookmarks,
                ..WatchParams::bootstrap()
            };
            let mut w = h.watch(params, opts());
            let mut seen = 0;
            loop {
                let ev = block_on(w.next()).unwrap().unwrap();
                match ev.kind {
                    WatchEventKind::Created => seen += 1,
                    WatchEventKind::Bootstrapped => break,
                    other => panic!("{name}: {other:?} during the bootstrap"),
                }
            }
            assert_eq!(seen, expected, "{name} bookmarks={bookmarks}");
            let id = format!("http-{name}-live-{bookmarks}");
            block_on(h.create(&labels(&id, &tier), &opts())).unwrap();
            let ev = block_on(w.next()).unwrap().unwrap();
            assert_eq!(ev.kind, WatchEventKind::Created, "{name}");
            assert_eq!(ev.resource.unwrap().metadata.id, id);
            if bookmarks {
                assert!(
                    ev.bookmark.is_some(),
                    "{name}: State watches carry bookmarks"
                );
            }
            drop(w);
        }
    }
}
