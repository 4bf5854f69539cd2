//! Test-only endpoints under `/_sim/` (mounted only with `--test-endpoints` or
//! by the library's test API), seed files and the bootstrap resources every
//! Omni has.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{self, Role};
use crate::pb::cosi::resource::{Metadata, Resource, Spec};
use crate::{resources, types, yaml, Core};

type R = (StatusCode, Json<Value>);

fn err(code: StatusCode, msg: impl Into<String>) -> R {
    (code, Json(json!({"error": msg.into()})))
}

fn ok(v: Value) -> R {
    (StatusCode::OK, Json(v))
}

pub fn router(core: Arc<Core>) -> Router {
    Router::new()
        .route("/confirm", post(confirm))
        .route("/id-token", post(id_token))
        .route("/service-account", post(service_account))
        .route("/faults", post(set_faults).get(get_faults))
        .route("/eula", post(accept_eula))
        .route("/resource", post(mutate))
        .route("/expire-bookmarks", post(expire))
        .route("/workload-proxy", get(workload_proxy))
        .with_state(core)
}

#[derive(Deserialize)]
struct ConfirmQ {
    public_key_id: String,
}

async fn confirm(State(core): State<Arc<Core>>, Query(q): Query<ConfirmQ>) -> R {
    if core.dir.confirm(&q.public_key_id) {
        ok(json!({"confirmed": q.public_key_id}))
    } else {
        err(StatusCode::NOT_FOUND, "unknown public key id")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdTokenReq {
    email: String,
    #[serde(default)]
    saml: bool,
}

/// An identity provider's credential for `email` (an ID token, or with `saml` a SAML
/// session), which `ConfirmPublicKey` accepts as Omni accepts the provider's.
async fn id_token(State(core): State<Arc<Core>>, Json(r): Json<IdTokenReq>) -> R {
    let value = core.dir.issue_credential(&r.email, r.saml);
    ok(json!({ "credential": value }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SaReq {
    name: String,
    #[serde(default = "default_role")]
    role: String,
}

fn default_role() -> String {
    "Admin".into()
}

async fn service_account(State(core): State<Arc<Core>>, Json(r): Json<SaReq>) -> R {
    let Some(role) = Role::parse(&r.role) else {
        return err(
            StatusCode::BAD_REQUEST,
            format!("unknown role {:?}", r.role),
        );
    };
    match core.create_service_account(&r.name, role) {
        Ok(key) => ok(json!({"name": r.name, "role": role.as_str(), "key": key})),
        Err(e) => err(StatusCode::BAD_REQUEST, e),
    }
}

async fn set_faults(State(core): State<Arc<Core>>, Json(f): Json<crate::faults::FaultConfig>) -> R {
    core.faults.set(f.clone());
    ok(serde_json::to_value(f).unwrap_or(Value::Null))
}

async fn get_faults(State(core): State<Arc<Core>>) -> R {
    ok(serde_json::to_value(core.faults.get()).unwrap_or(Value::Null))
}

async fn accept_eula(State(core): State<Arc<Core>>) -> R {
    core.eula_accepted
        .store(true, std::sync::atomic::Ordering::SeqCst);
    ok(json!({"accepted": true}))
}

/// Omni's workload proxy's check of a request's cookies (`publicKeyId`,
/// `publicKeyIdSignatureBase64`): 200 with the key's identity, 403 with the reason.
async fn workload_proxy(State(core): State<Arc<Core>>, headers: http::HeaderMap) -> R {
    let mut id = None;
    let mut sig = None;
    for h in headers.get_all(http::header::COOKIE) {
        for part in h.to_str().unwrap_or_default().split(';') {
            match part.trim().split_once('=') {
                Some(("publicKeyId", v)) => id = Some(v.to_string()),
                Some(("publicKeyIdSignatureBase64", v)) => sig = Some(v.to_string()),
                _ => {}
            }
        }
    }
    let (Some(id), Some(sig)) = (id, sig) else {
        return err(StatusCode::UNAUTHORIZED, "no workload proxy cookies");
    };
    match crate::auth::check_workload_proxy_cookie(&core.dir, &id, &sig, core.now_secs()) {
        Ok(identity) => ok(json!({"identity": identity})),
        Err(e) => err(StatusCode::FORBIDDEN, e),
    }
}

async fn expire(State(core): State<Arc<Core>>) -> R {
    core.store.expire_history();
    ok(json!({"expired": true}))
}

/// A controller-style change: `{namespace?, type, id, remove_finalizers, add_finalizers,
/// set_labels, remove_labels, set_annotations, spec (protojson), phase, owner, destroy, create}`.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Mutation {
    namespace: Option<String>,
    r#type: String,
    id: String,
    remove_finalizers: Option<Vec<String>>,
    add_finalizers: Vec<String>,
    set_labels: BTreeMap<String, String>,
    remove_labels: Vec<String>,
    set_annotations: BTreeMap<String, String>,
    spec: Option<Value>,
    phase: Option<String>,
    owner: Option<String>,
    destroy: bool,
    create: bool,
}

async fn mutate(State(core): State<Arc<Core>>, Json(m): Json<Mutation>) -> R {
    let ns = m
        .namespace
        .clone()
        .or_else(|| types::lookup(&m.r#type).map(|t| t.ns.to_string()))
        .unwrap_or_else(|| "default".into());
    if m.destroy {
        return if core.store.force_destroy(&ns, &m.r#type, &m.id) {
            ok(json!({"destroyed": true}))
        } else {
            err(StatusCode::NOT_FOUND, "not found")
        };
    }
    let spec_bytes = match &m.spec {
        Some(v) => match yaml::spec_from_json(&core.pool, &m.r#type, &v.to_string()) {
            Ok(b) => Some(b),
            Err(e) => return err(StatusCode::BAD_REQUEST, e),
        },
        None => None,
    };
    if m.create && core.store.get(&ns, &m.r#type, &m.id).is_none() {
        let res = Resource {
            metadata: Some(Metadata {
                namespace: ns.clone(),
                r#type: m.r#type.clone(),
                id: m.id.clone(),
                owner: m.owner.clone().unwrap_or_default(),
                labels: m.set_labels.clone(),
                annotations: m.set_annotations.clone(),
                finalizers: m.add_finalizers.clone(),
                phase: "running".into(),
                ..Default::default()
            }),
            spec: Some(Spec {
                proto_spec: spec_bytes.unwrap_or_default(),
                yaml_spec: String::new(),
            }),
        };
        return match core.store.put(res, core.now()) {
            Ok(r) => ok(json!({"version": r.metadata.map(|m| m.version)})),
            Err(e) => err(StatusCode::BAD_REQUEST, e.message()),
        };
    }
    let res = core.store.mutate(&ns, &m.r#type, &m.id, core.now(), |r| {
        let md = r.metadata.get_or_insert_with(Default::default);
        if let Some(rm) = &m.remove_finalizers {
            if rm.is_empty() {
                md.finalizers.clear();
            } else {
                md.finalizers.retain(|f| !rm.contains(f));
            }
        }
        for f in &m.add_finalizers {
            if !md.finalizers.contains(f) {
                md.finalizers.push(f.clone());
            }
        }
        for (k, v) in &m.set_labels {
            md.labels.insert(k.clone(), v.clone());
        }
        for k in &m.remove_labels {
            md.labels.remove(k);
        }
        for (k, v) in &m.set_annotations {
            md.annotations.insert(k.clone(), v.clone());
        }
        if let Some(p) = &m.phase {
            crate::store::check_phase(p)?;
            md.phase = p.clone();
        }
        if let Some(o) = &m.owner {
            md.owner = o.clone();
        }
        if let Some(b) = &spec_bytes {
            r.spec.get_or_insert_with(Default::default).proto_spec = b.clone();
        }
        Ok(())
    });
    match res {
        Ok(r) => ok(json!({"version": r.metadata.map(|m| m.version)})),
        Err(e) => err(StatusCode::BAD_REQUEST, e.message()),
    }
}

/// Creates a resource as a controller (seed/demo data), spec given as protojson.
pub fn put(
    core: &Core,
    typ: &str,
    id: &str,
    owner: &str,
    labels: &[(&str, &str)],
    spec: Value,
) -> Result<(), String> {
    let ns = types::lookup(typ).map(|t| t.ns).unwrap_or("default");
    put_ns(core, ns, typ, id, owner, labels, spec)
}

pub fn put_ns(
    core: &Core,
    ns: &str,
    typ: &str,
    id: &str,
    owner: &str,
    labels: &[(&str, &str)],
    spec: Value,
) -> Result<(), String> {
    let res = Resource {
        metadata: Some(Metadata {
            namespace: ns.into(),
            r#type: typ.into(),
            id: id.into(),
            owner: owner.into(),
            phase: "running".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }),
        spec: Some(Spec {
            proto_spec: match yaml::spec_desc(&core.pool, typ) {
                Some(_) => yaml::spec_from_json(&core.pool, typ, &spec.to_string())
                    .map_err(|e| format!("{typ}/{id}: {e}"))?,
                None => Vec::new(),
            },
            yaml_spec: String::new(),
        }),
    };
    core.store
        .put(res, core.now())
        .map(|_| ())
        .map_err(|e| e.message().to_string())
}

/// Resources every Omni has: namespaces, resource definitions, versions, auth config.
pub fn bootstrap(core: &Core) -> Result<(), String> {
    for ns in [
        "default",
        "ephemeral",
        "meta",
        "virtual",
        "infra-provider",
        "metrics",
        "system",
    ] {
        put(
            core,
            "Namespaces.meta.cosi.dev",
            ns,
            "namespaced",
            &[],
            json!({"description": format!("{ns} namespace")}),
        )?;
    }
    for t in types::TYPES {
        let (aliases, all) = types::aliases(t.typ);
        let cols: Vec<Value> = t
            .columns
            .iter()
            .map(|(n, p)| json!({"name": n, "json_path": p}))
            .collect();
        let sensitive = matches!(
            t.typ,
            "Identities.omni.sidero.dev" | "Users.omni.sidero.dev"
        );
        put(
            core,
            "ResourceDefinitions.meta.cosi.dev",
            &t.typ.to_lowercase(),
            "",
            &[],
            json!({
                "resource_type": t.typ,
                "display_type": types::display_type(t.typ),
                "default_namespace": t.ns,
                "aliases": aliases,
                "all_aliases": all,
                "print_columns": cols,
                "sensitivity": if sensitive { 1 } else { 0 },
            }),
        )?;
    }
    put(
        core,
        "SysVersions.system.sidero.dev",
        "current",
        "SysVersionController",
        &[],
        json!({"backend_version": "1.3.0-sim", "instance_name": "omni-sim", "backend_api_version": 3}),
    )?;
    put(
        core,
        "AuthConfigs.omni.sidero.dev",
        "auth-config",
        "AuthConfigController",
        &[],
        json!({"auth0": {"enabled": false}, "webauthn": {"enabled": false}, "saml": {"enabled": false}}),
    )?;
    put(
        core,
        "FeaturesConfigs.omni.sidero.dev",
        "features-config",
        "FeaturesConfigController",
        &[],
        json!({"enable_workload_proxying": true}),
    )?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Seed {
    #[serde(default)]
    users: Vec<SeedUser>,
    #[serde(default)]
    accept_eula: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedUser {
    email: String,
    role: String,
    #[serde(default)]
    public_keys: Vec<String>,
}

/// Loads a seed file (YAML or JSON): users with roles and optional armored public keys.
pub fn load_seed(core: &Core, path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let seed: Seed =
        serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if seed.accept_eula {
        core.eula_accepted
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
    for u in seed.users {
        let role = Role::parse(&u.role).ok_or_else(|| format!("unknown role {:?}", u.role))?;
        let user = core.dir.upsert_user(&u.email, role, false);
        resources::mirror_user(core, &user);
        for k in u.public_keys {
            // Seeded keys skip the lifetime limit but must otherwise be valid.
            let info = auth::validate_pgp_key(&k, i64::MAX / 4, core.now_secs())?;
            core.dir.add_key(auth::KeyRecord {
                id: info.fingerprint,
                identity: user.email.clone(),
                material: auth::KeyMaterial::Pgp(Box::new(info.key)),
                armored: k.clone(),
                created: info.created,
                expires: info.expires,
                confirmed: true,
                role,
                last_used: None,
            });
        }
    }
    Ok(())
}

pub fn health() -> Router {
    Router::new().route("/", get(|| async { "ok" }))
}
