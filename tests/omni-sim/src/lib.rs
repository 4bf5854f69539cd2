//! omni-sim: an Omni-compatible test server, as strict as Omni.
//!
//! One port serves native gRPC (h2c), gRPC-web (HTTP/1.1 and h2, binary and
//! text) and the grpc-gateway JSON API under `/api/`. Every call except the
//! few unsigned ones must carry a valid `siderov1` signature.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! let sim = omni_sim::Sim::builder().accept_eula(true).start().await?;
//! let key = sim.service_account_key("automation", "Admin")?;
//! println!("{} {}", sim.url(), key.len());
//! sim.stop().await;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod authsvc;
pub mod compression;
pub mod cosi;
pub mod demo;
pub mod faults;
pub mod gateway;
pub mod jsonschema;
pub mod management;
pub mod resources;
pub mod server;
pub mod simapi;
pub mod store;
pub mod talosconfig;
pub mod types;
pub mod validations;
pub mod yaml;

#[allow(clippy::all, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/sim_protos.rs"));
}

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tonic::metadata::MetadataMap;
use tonic::Status;

pub use auth::Role;
pub use faults::Faults;

/// The compiled descriptor set of every proto the sim knows.
pub const DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sim.desc"));

/// Static configuration of a sim instance.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub bind: Option<SocketAddr>,
    pub demo: bool,
    pub cors: bool,
    pub accept_eula: bool,
    /// Omni's `features.enableBreakGlassConfigs` (off by default, as in Omni).
    pub break_glass_configs: bool,
    pub test_endpoints: bool,
    pub serve: Vec<(String, PathBuf)>,
    pub seed: Option<PathBuf>,
    pub demo_key_out: Option<PathBuf>,
    pub faults: faults::FaultConfig,
}

/// Shared state of a running sim.
pub struct Core {
    pub opts: Options,
    pub store: store::Store,
    pub dir: auth::Directory,
    pub faults: Faults,
    pub pool: prost_reflect::DescriptorPool,
    pub eula_accepted: std::sync::atomic::AtomicBool,
    pub url: Mutex<String>,
    pub demo_key: Mutex<Option<String>>,
    pub audit: Mutex<Vec<String>>,
}

impl Core {
    pub fn new(opts: Options) -> Result<Arc<Core>, String> {
        let pool =
            prost_reflect::DescriptorPool::decode(DESCRIPTOR_SET).map_err(|e| e.to_string())?;
        let faults = Faults::new(opts.faults.clone());
        let core = Arc::new(Core {
            eula_accepted: std::sync::atomic::AtomicBool::new(opts.accept_eula),
            opts,
            store: store::Store::new(),
            dir: auth::Directory::default(),
            faults,
            pool,
            url: Mutex::new(String::new()),
            demo_key: Mutex::new(None),
            audit: Mutex::new(Vec::new()),
        });
        Ok(core)
    }

    /// The server's notion of now (system time + fault clock offset).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + chrono::Duration::seconds(self.faults.clock_offset())
    }

    pub fn now_secs(&self) -> i64 {
        self.now().timestamp()
    }

    pub fn url(&self) -> String {
        self.url.lock().map(|u| u.clone()).unwrap_or_default()
    }

    pub fn eula_accepted(&self) -> bool {
        self.eula_accepted.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Everything that happens before a handler runs: faults, the EULA gate,
    /// the signature. `signed = false` marks the unsigned methods of §4.4
    /// (a valid signature is still used when present).
    pub async fn enter(
        &self,
        md: &MetadataMap,
        method: &str,
        signed: bool,
    ) -> Result<Option<auth::Caller>, Status> {
        self.enter_with(md, method, signed, false).await
    }

    /// `enter` with the EULA exemption of Omni's `EULACheck` interceptor
    /// (ResourceService reads of public types, EulaAcceptance creation,
    /// ResourceService.Watch).
    pub async fn enter_with(
        &self,
        md: &MetadataMap,
        method: &str,
        signed: bool,
        eula_exempt: bool,
    ) -> Result<Option<auth::Caller>, Status> {
        self.faults.before_call(method).await?;
        if !eula_exempt && !self.eula_accepted() {
            return Err(Status::failed_precondition(format!(
                "EULA has not been accepted; please accept the End User License Agreement before using Omni: {}/eula",
                self.url()
            )));
        }
        if !signed && md.get("x-sidero-signature").is_none() {
            return Ok(None);
        }
        // A signature that is present is always verified (Omni's Signature interceptor).
        self.dir.verify(md, method, self.now_secs()).map(Some)
    }

    /// `enter` for methods that always need a signature.
    pub async fn signed(&self, md: &MetadataMap, method: &str) -> Result<auth::Caller, Status> {
        self.enter(md, method, true)
            .await?
            .ok_or_else(|| Status::unauthenticated("invalid signature"))
    }

    pub fn audit(&self, event: &str, caller: &auth::Caller, typ: &str, id: &str) {
        let line = serde_json::json!({
            "event_type": event,
            "resource_type": typ,
            "resource_id": id,
            "event_ts": self.now().timestamp_millis(),
            "event_data": {"session": {"email": caller.identity, "role": caller.role.as_str()}},
        });
        if let Ok(mut a) = self.audit.lock() {
            a.push(line.to_string());
        }
    }

    /// Creates a service account directly (test helper / demo) and returns its
    /// `OMNI_SERVICE_ACCOUNT_KEY` string.
    pub fn create_service_account(&self, name: &str, role: Role) -> Result<String, String> {
        let identity = auth::sa_identity(name);
        let base = identity.split('@').next().unwrap_or(name).to_string();
        let uid = format!("{base} <{identity}>");
        let ssk = auth::generate_pgp_key(&uid, auth::SA_KEY_MAX_SECS as u32)?;
        let armored_pub = auth::armored_public(&ssk)?;
        let info = auth::validate_pgp_key(&armored_pub, auth::SA_KEY_MAX_SECS, self.now_secs())?;
        let user = self.dir.upsert_user(&identity, role, true);
        self.dir.add_key(auth::KeyRecord {
            id: info.fingerprint.clone(),
            identity: identity.clone(),
            material: auth::KeyMaterial::Pgp(Box::new(info.key)),
            armored: armored_pub,
            created: info.created,
            expires: info.expires,
            confirmed: true,
            role,
            last_used: None,
        });
        resources::mirror_user(self, &user);
        let json = serde_json::json!({"name": name, "pgp_key": auth::armored_secret(&ssk)?});
        Ok(base64::engine::general_purpose::STANDARD.encode(json.to_string()))
    }
}

/// Builder for an in-process sim (tests).
#[derive(Default)]
pub struct SimBuilder {
    opts: Options,
}

pub struct Sim;

impl Sim {
    pub fn builder() -> SimBuilder {
        SimBuilder {
            opts: Options {
                test_endpoints: true,
                ..Options::default()
            },
        }
    }
}

impl SimBuilder {
    pub fn options(mut self, opts: Options) -> Self {
        self.opts = opts;
        self
    }
    pub fn accept_eula(mut self, v: bool) -> Self {
        self.opts.accept_eula = v;
        self
    }
    pub fn break_glass_configs(mut self, v: bool) -> Self {
        self.opts.break_glass_configs = v;
        self
    }
    pub fn demo(mut self, v: bool) -> Self {
        self.opts.demo = v;
        self
    }
    pub fn cors(mut self, v: bool) -> Self {
        self.opts.cors = v;
        self
    }
    pub fn test_endpoints(mut self, v: bool) -> Self {
        self.opts.test_endpoints = v;
        self
    }
    pub fn seed(mut self, p: impl Into<PathBuf>) -> Self {
        self.opts.seed = Some(p.into());
        self
    }
    pub fn faults(mut self, f: faults::FaultConfig) -> Self {
        self.opts.faults = f;
        self
    }

    /// Binds `127.0.0.1:0` (unless a bind address was set) and serves in the background.
    pub async fn start(self) -> Result<SimHandle, String> {
        let mut opts = self.opts;
        if opts.bind.is_none() {
            opts.bind = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
        }
        server::start(opts).await
    }
}

/// A running sim.
pub struct SimHandle {
    pub addr: SocketAddr,
    pub core: Arc<Core>,
    pub(crate) stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub(crate) task: Option<tokio::task::JoinHandle<()>>,
}

impl SimHandle {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Creates (or replaces) a service account with a role and returns the
    /// `OMNI_SERVICE_ACCOUNT_KEY` string for it.
    pub fn service_account_key(&self, name: &str, role: &str) -> Result<String, String> {
        let role = Role::parse(role).ok_or_else(|| format!("unknown role {role:?}"))?;
        self.core.create_service_account(name, role)
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}
