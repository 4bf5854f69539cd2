//! Shared by the memory-transport tests: a client whose calls go to a closure, with a log of
//! every request it sent (method, metadata, protojson body).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use omni_wasm::auth::{Metadata, ServiceAccountKey};
use omni_wasm::client::OmniClient;
use omni_wasm::transport::{Backoff, MemoryHandler};
use omni_wasm::Error;
use serde_json::Value;

pub type Seen = Rc<RefCell<Vec<(String, Metadata, Value)>>>;

pub fn client(
    handler: impl Fn(&str, &Value) -> Result<Vec<Value>, Error> + 'static,
) -> (OmniClient, Seen) {
    let seen: Seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    let h: MemoryHandler = Rc::new(move |method: &str, md: &Metadata, body: Value| {
        log.borrow_mut()
            .push((method.to_string(), md.clone(), body.clone()));
        handler(method, &body)
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (sa, _) = ServiceAccountKey::generate("unit", None, now).unwrap();
    let omni = OmniClient::builder("memory")
        .memory(h)
        .service_account_key(&sa.encode().unwrap())
        .unwrap()
        .backoff(Backoff::new(
            std::time::Duration::ZERO,
            std::time::Duration::ZERO,
            3,
        ))
        .build()
        .unwrap();
    (omni, seen)
}
