//! `--demo`: a realistic installation (three clusters, twenty machines, users,
//! patches, versions) and slow background changes so live views move.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::auth::Role;
use crate::simapi::put;
use crate::Core;

const C: &str = "omni.sidero.dev/cluster";
const MS: &str = "omni.sidero.dev/machine-set";
const CP: &str = "omni.sidero.dev/role-controlplane";
const WK: &str = "omni.sidero.dev/role-worker";

struct DemoCluster {
    name: &'static str,
    talos: &'static str,
    k8s: &'static str,
    cps: usize,
    workers: usize,
    healthy: bool,
}

const CLUSTERS: [DemoCluster; 3] = [
    DemoCluster {
        name: "production",
        talos: "1.9.1",
        k8s: "1.32.0",
        cps: 3,
        workers: 5,
        healthy: true,
    },
    DemoCluster {
        name: "staging",
        talos: "1.9.0",
        k8s: "1.31.4",
        cps: 1,
        workers: 2,
        healthy: true,
    },
    DemoCluster {
        name: "dev",
        talos: "1.8.3",
        k8s: "1.30.8",
        cps: 1,
        workers: 0,
        healthy: false,
    },
];

pub fn machine_id(i: usize) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        0x5eed0000u32 + i as u32,
        i * 17,
        i,
        i * 3,
        i * 7919
    )
}

fn machine_status(
    i: usize,
    cluster: Option<&str>,
    role: i32,
    talos: &str,
    connected: bool,
) -> serde_json::Value {
    let cores = [4, 8, 16, 32][i % 4];
    let mem = [8192, 16384, 32768, 65536][i % 4];
    let disk: u64 = [256, 512, 1024, 2048][i % 4] * 1_000_000_000;
    json!({
        "talos_version": format!("v{talos}"),
        "hardware": {
            "processors": [{"core_count": cores, "thread_count": cores * 2, "frequency": 2900, "description": "AMD EPYC 7543P", "manufacturer": "Advanced Micro Devices, Inc."}],
            "memory_modules": [{"size_mb": mem, "description": "DDR4"}],
            "blockdevices": [{"size": disk, "model": "Samsung SSD 980", "linux_name": "/dev/nvme0n1", "name": "nvme0n1", "serial": format!("S5GX{i:06}"), "type": "NVME", "system_disk": true, "transport": "nvme", "pretty_size": format!("{} GB", disk / 1_000_000_000)}],
            "arch": "amd64",
        },
        "network": {
            "hostname": format!("talos-{i:02}"),
            "addresses": [format!("10.5.0.{}/24", 10 + i)],
            "default_gateways": ["10.5.0.1"],
            "network_links": [{"linux_name": "eth0", "hardware_address": format!("52:54:00:12:34:{i:02x}"), "speed_mbps": 10000, "link_up": true}],
        },
        "management_address": format!("fdae:41e4:649b:9303::{:x}", 100 + i),
        "connected": connected,
        "maintenance": cluster.is_none(),
        "cluster": cluster.unwrap_or(""),
        "role": role,
        "platform_metadata": {"platform": if i.is_multiple_of(3) { "metal" } else { "aws" }, "region": if i.is_multiple_of(2) { "eu-central-1" } else { "us-east-1" }, "zone": "a"},
        "power_state": 2,
    })
}

fn machine_labels(i: usize, cluster: Option<&str>, connected: bool) -> Vec<(String, String)> {
    let mut l = vec![
        ("omni.sidero.dev/arch".to_string(), "amd64".to_string()),
        (
            "omni.sidero.dev/cores".to_string(),
            [4, 8, 16, 32][i % 4].to_string(),
        ),
        (
            "omni.sidero.dev/mem".to_string(),
            format!("{}GiB", [8, 16, 32, 64][i % 4]),
        ),
        (
            "omni.sidero.dev/platform".to_string(),
            if i.is_multiple_of(3) { "metal" } else { "aws" }.to_string(),
        ),
        (
            "omni.sidero.dev/region".to_string(),
            if i.is_multiple_of(2) {
                "eu-central-1"
            } else {
                "us-east-1"
            }
            .to_string(),
        ),
    ];
    if connected {
        l.push(("omni.sidero.dev/connected".into(), String::new()));
    }
    match cluster {
        Some(c) => l.push((C.into(), c.into())),
        None => l.push(("omni.sidero.dev/available".into(), String::new())),
    }
    if i.is_multiple_of(5) {
        l.push(("rack".into(), format!("r{}", i / 5)));
    }
    l
}

fn put_labeled(
    core: &Core,
    typ: &str,
    id: &str,
    owner: &str,
    labels: &[(String, String)],
    spec: serde_json::Value,
) -> Result<(), String> {
    let l: Vec<(&str, &str)> = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    put(core, typ, id, owner, &l, spec)
}

/// The query of a key's `loginUrl` (`/authenticate?flow=cli&public-key-id=ID`).
#[derive(serde::Deserialize)]
pub struct LoginQuery {
    #[serde(rename = "public-key-id", default)]
    public_key_id: String,
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The demo's stand-in for Omni's login page behind a key's `loginUrl`: it shows whose key it
/// is and confirms it on a click (`confirm`: the form was posted). Omni would first have the
/// person sign in with its identity provider; the demo has none.
pub fn login_page(
    core: &Core,
    q: &LoginQuery,
    confirm: bool,
) -> axum::response::Response<axum::body::Body> {
    let page = |status: u16, body: String| {
        let mut r = axum::response::Response::new(axum::body::Body::from(format!(
            "<!doctype html><meta charset=utf-8><title>omni-sim sign-in</title>\
             <body style=\"font-family:sans-serif;max-width:40rem;margin:3rem auto\">{body}</body>"
        )));
        *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/html; charset=utf-8"),
        );
        r
    };
    let Some(key) = core.dir.key(&q.public_key_id) else {
        return page(
            404,
            "<h1>Unknown key</h1><p>No key is registered under this id.</p>".into(),
        );
    };
    let who = html_escape(&key.identity);
    let id = html_escape(&key.id);
    if confirm {
        core.dir.confirm(&key.id);
    }
    if confirm || key.confirmed {
        return page(
            200,
            format!("<h1 id=confirmed>Signed in</h1><p>The key of <b>{who}</b> is confirmed. You can close this tab.</p>"),
        );
    }
    page(
        200,
        format!(
            "<h1>Sign in to omni-sim (demo)</h1><p>A page asks to sign requests as <b>{who}</b> \
             (key <code>{id}</code>). Omni would have you sign in with its identity provider \
             first; the demo takes this click instead.</p>\
             <form method=post action=\"/authenticate?public-key-id={id}\"><button id=confirm>Confirm</button></form>"
        ),
    )
}

pub fn seed(core: &Core) -> Result<(), String> {
    core.eula_accepted
        .store(true, std::sync::atomic::Ordering::SeqCst);
    for v in ["1.8.3", "1.9.0", "1.9.1", "1.10.0"] {
        put(
            core,
            "TalosVersions.omni.sidero.dev",
            v,
            "TalosVersionController",
            &[],
            json!({
                "version": v, "compatible_kubernetes_versions": ["1.30.8", "1.31.4", "1.32.0"], "deprecated": v == "1.8.3",
            }),
        )?;
    }
    for v in ["1.30.8", "1.31.4", "1.32.0", "1.33.1"] {
        put(
            core,
            "KubernetesVersions.omni.sidero.dev",
            v,
            "KubernetesVersionController",
            &[],
            json!({"version": v}),
        )?;
    }
    let mut next = 0usize;
    for c in &CLUSTERS {
        put(
            core,
            "Clusters.omni.sidero.dev",
            c.name,
            "",
            &[],
            json!({
                "kubernetes_version": c.k8s, "talos_version": c.talos,
                "features": {"enable_workload_proxy": c.name == "production", "use_embedded_discovery_service": true},
            }),
        )?;
        let total = (c.cps + c.workers) as u32;
        let healthy = if c.healthy {
            total
        } else {
            total.saturating_sub(1)
        };
        put(
            core,
            "ClusterStatuses.omni.sidero.dev",
            c.name,
            "ClusterStatusController",
            &[],
            json!({
                "available": true, "machines": {"total": total, "healthy": healthy, "connected": total, "requested": total},
                "phase": 3, "ready": c.healthy, "kubernetesAPIReady": c.healthy, "controlplaneReady": true,
                "has_connected_control_planes": true, "talos_version": c.talos, "kubernetes_version": c.k8s,
            }),
        )?;
        for (set, role_label, count, role) in [
            ("control-planes", CP, c.cps, 1),
            ("workers", WK, c.workers, 2),
        ] {
            let set_id = format!("{}-{set}", c.name);
            let labels = vec![
                (C.to_string(), c.name.to_string()),
                (role_label.to_string(), String::new()),
            ];
            put_labeled(
                core,
                "MachineSets.omni.sidero.dev",
                &set_id,
                "",
                &labels,
                json!({
                    "update_strategy": 1, "delete_strategy": 1,
                    "update_strategy_config": {"rolling": {"max_parallelism": 1}},
                }),
            )?;
            put_labeled(
                core,
                "MachineSetStatuses.omni.sidero.dev",
                &set_id,
                "MachineSetStatusController",
                &labels,
                json!({
                    "phase": 3, "ready": c.healthy || role == 1,
                    "machines": {"total": count, "healthy": if c.healthy || role == 1 { count } else { count.saturating_sub(1) }, "connected": count, "requested": count},
                }),
            )?;
            for _ in 0..count {
                let i = next;
                next += 1;
                let id = machine_id(i);
                let mut ml = labels.clone();
                ml.push((MS.into(), set_id.clone()));
                put_labeled(
                    core,
                    "MachineSetNodes.omni.sidero.dev",
                    &id,
                    "",
                    &ml,
                    json!({}),
                )?;
                put_labeled(
                    core,
                    "ClusterMachines.omni.sidero.dev",
                    &id,
                    "MachineSetController",
                    &ml,
                    json!({"kubernetes_version": c.k8s}),
                )?;
                let ready = c.healthy || role == 1;
                put_labeled(
                    core,
                    "ClusterMachineStatuses.omni.sidero.dev",
                    &id,
                    "ClusterMachineStatusController",
                    &ml,
                    json!({
                        "ready": ready, "stage": if ready { 4 } else { 1 }, "config_up_to_date": true,
                        "management_address": format!("fdae:41e4:649b:9303::{:x}", 100 + i),
                    }),
                )?;
                machine(core, i, Some(c.name), role, c.talos)?;
            }
        }
        put_labeled(
            core,
            "ConfigPatches.omni.sidero.dev",
            &format!("500-{}-cni", c.name),
            "",
            &[(C.to_string(), c.name.to_string())],
            json!({
                "data": "cluster:\n  network:\n    cni:\n      name: none\n",
            }),
        )?;
    }
    while next < 20 {
        machine(core, next, None, 0, "1.9.1")?;
        next += 1;
    }
    put_labeled(
        core,
        "MachineClasses.omni.sidero.dev",
        "large",
        "",
        &[],
        json!({"match_labels": ["omni.sidero.dev/cores>=16"]}),
    )?;
    for (email, role) in [
        ("admin@example.com", Role::Admin),
        ("ops@example.com", Role::Operator),
        ("viewer@example.com", Role::Reader),
        ("audit@example.com", Role::Auditor),
    ] {
        let u = core.dir.upsert_user(email, role, false);
        crate::resources::mirror_user(core, &u);
    }
    let key = core.create_service_account("demo-admin", Role::Admin)?;
    if let Ok(mut k) = core.demo_key.lock() {
        *k = Some(key.clone());
    }
    if let Some(p) = &core.opts.demo_key_out {
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        std::fs::write(p, &key).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

fn machine(
    core: &Core,
    i: usize,
    cluster: Option<&str>,
    role: i32,
    talos: &str,
) -> Result<(), String> {
    let id = machine_id(i);
    let connected = i != 17;
    put(
        core,
        "Machines.omni.sidero.dev",
        &id,
        "SiderolinkController",
        &[],
        json!({
            "management_address": format!("fdae:41e4:649b:9303::{:x}", 100 + i), "connected": connected,
        }),
    )?;
    put_labeled(
        core,
        "MachineStatuses.omni.sidero.dev",
        &id,
        "MachineStatusController",
        &machine_labels(i, cluster, connected),
        machine_status(i, cluster, role, talos, connected),
    )?;
    if i.is_multiple_of(4) {
        put_labeled(
            core,
            "MachineLabels.omni.sidero.dev",
            &id,
            "",
            &[("rack".to_string(), format!("r{}", i / 5))],
            json!({}),
        )?;
    }
    Ok(())
}

/// Slow background changes: an unallocated machine flips connectivity every
/// few seconds; staging scales its workers between 2 and 3 every 20 seconds.
pub async fn animate(core: Arc<Core>) {
    let mut tick: u64 = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(4)).await;
        tick += 1;
        let i = 19;
        let connected = tick.is_multiple_of(2);
        let _ = put_labeled(
            &core,
            "MachineStatuses.omni.sidero.dev",
            &machine_id(i),
            "MachineStatusController",
            &machine_labels(i, None, connected),
            machine_status(i, None, 0, "1.9.1", connected),
        );
        let _ = put(
            &core,
            "Machines.omni.sidero.dev",
            &machine_id(i),
            "SiderolinkController",
            &[],
            json!({
                "management_address": format!("fdae:41e4:649b:9303::{:x}", 100 + i), "connected": connected,
            }),
        );
        if tick.is_multiple_of(5) {
            let workers: u32 = if (tick / 5) % 2 == 1 { 3 } else { 2 };
            let labels = vec![
                (C.to_string(), "staging".to_string()),
                (WK.to_string(), String::new()),
            ];
            let _ = put_labeled(
                &core,
                "MachineSetStatuses.omni.sidero.dev",
                "staging-workers",
                "MachineSetStatusController",
                &labels,
                json!({
                    "phase": 3, "ready": true, "machines": {"total": workers, "healthy": workers, "connected": workers, "requested": workers},
                }),
            );
            let total = workers + 1;
            let _ = put(
                &core,
                "ClusterStatuses.omni.sidero.dev",
                "staging",
                "ClusterStatusController",
                &[],
                json!({
                    "available": true, "machines": {"total": total, "healthy": total, "connected": total, "requested": total},
                    "phase": 3, "ready": true, "kubernetesAPIReady": true, "controlplaneReady": true,
                    "has_connected_control_planes": true, "talos_version": "1.9.0", "kubernetes_version": "1.31.4",
                }),
            );
            let id = machine_id(18);
            let ml = vec![
                (C.to_string(), "staging".to_string()),
                (WK.to_string(), String::new()),
                (MS.to_string(), "staging-workers".to_string()),
            ];
            if workers == 3 {
                let _ = put_labeled(
                    &core,
                    "ClusterMachines.omni.sidero.dev",
                    &id,
                    "MachineSetController",
                    &ml,
                    json!({"kubernetes_version": "1.31.4"}),
                );
                let _ = put_labeled(
                    &core,
                    "ClusterMachineStatuses.omni.sidero.dev",
                    &id,
                    "ClusterMachineStatusController",
                    &ml,
                    json!({"ready": true, "stage": 4, "config_up_to_date": true}),
                );
            } else {
                core.store
                    .force_destroy("default", "ClusterMachines.omni.sidero.dev", &id);
                core.store
                    .force_destroy("default", "ClusterMachineStatuses.omni.sidero.dev", &id);
            }
        }
    }
}
