//! The cluster status tree `omnictl cluster template status` prints, from the cluster's status
//! resources (templates.md §12; upstream `operations/internal/statustree`). Pure: the caller
//! collects the resources (`{ metadata, spec }` objects, spec as protojson).

use std::cmp::Ordering;

use serde_json::Value;

const CLUSTER_STATUS: &str = "ClusterStatuses.omni.sidero.dev";
const MACHINE_SET_STATUS: &str = "MachineSetStatuses.omni.sidero.dev";
const K8S_UPGRADE: &str = "KubernetesUpgradeStatuses.omni.sidero.dev";
const TALOS_UPGRADE: &str = "TalosUpgradeStatuses.omni.sidero.dev";
const LOAD_BALANCER: &str = "LoadBalancerStatuses.omni.sidero.dev";
const CONTROL_PLANE: &str = "ControlPlaneStatuses.omni.sidero.dev";
const CLUSTER_MACHINE: &str = "ClusterMachineStatuses.omni.sidero.dev";

/// The resource types the status tree is made of (besides the ClusterStatus itself).
pub const STATUS_TYPES: [&str; 6] = [
    MACHINE_SET_STATUS,
    CONTROL_PLANE,
    LOAD_BALANCER,
    K8S_UPGRADE,
    TALOS_UPGRADE,
    CLUSTER_MACHINE,
];

/// The ClusterStatus type.
pub const CLUSTER_STATUS_TYPE: &str = CLUSTER_STATUS;

fn meta<'a>(r: &'a Value, key: &str) -> &'a str {
    r["metadata"][key].as_str().unwrap_or_default()
}

fn has_label(r: &Value, key: &str) -> bool {
    r["metadata"]["labels"].get(key).is_some()
}

fn label<'a>(r: &'a Value, key: &str) -> Option<&'a str> {
    r["metadata"]["labels"].get(key).and_then(Value::as_str)
}

fn num(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap_or_default(),
        Value::String(s) => s.parse().unwrap_or_default(),
        _ => 0,
    }
}

fn enum_name(v: &Value, names: &[&'static str]) -> String {
    if let Some(s) = v.as_str() {
        return s.to_string();
    }
    let n = num(v);
    usize::try_from(n)
        .ok()
        .and_then(|i| names.get(i))
        .map(|s| (*s).to_string())
        .unwrap_or_else(|| n.to_string())
}

const CLUSTER_PHASES: &[&str] = &[
    "UNKNOWN",
    "SCALING_UP",
    "SCALING_DOWN",
    "RUNNING",
    "DESTROYING",
];
const UPGRADE_PHASES: &[&str] = &[
    "Unknown",
    "Upgrading",
    "Done",
    "Failed",
    "Reverting",
    "UpdatingMachineSchematics",
];
const MACHINE_SET_PHASES: &[&str] = &[
    "Unknown",
    "ScalingUp",
    "ScalingDown",
    "Running",
    "Destroying",
    "Failed",
    "Reconfiguring",
    "Upgrading",
];
const STAGES: &[&str] = &[
    "UNKNOWN",
    "BOOTING",
    "INSTALLING",
    "CONFIGURING",
    "RUNNING",
    "DESTROYING",
    "UPGRADING",
    "REBOOTING",
    "SHUTTING_DOWN",
    "BEFORE_DESTROY",
    "POWERING_ON",
    "POWERED_OFF",
];
const CONDITION_TYPES: &[&str] = &["UnknownCondition", "Etcd", "WireguardConnection"];

fn ready(b: bool) -> &'static str {
    if b {
        "Ready"
    } else {
        "Not Ready"
    }
}

fn is_control_plane(r: &Value) -> bool {
    has_label(r, "omni.sidero.dev/role-controlplane")
}

fn is_default_workers(r: &Value) -> bool {
    let cluster = label(r, "omni.sidero.dev/cluster").unwrap_or_default();
    meta(r, "id") == format!("{cluster}-workers")
}

fn line(r: &Value) -> String {
    let s = &r["spec"];
    let machines = |v: &Value| {
        format!(
            "({}/{})",
            num(&v["machines"]["healthy"]),
            num(&v["machines"]["total"])
        )
    };
    match meta(r, "type") {
        CLUSTER_STATUS => format!(
            "Cluster {:?} {} {} {} (healthy/total)",
            meta(r, "id"),
            enum_name(&s["phase"], CLUSTER_PHASES),
            ready(s["ready"].as_bool().unwrap_or(false)),
            machines(s)
        ),
        K8S_UPGRADE => format!(
            "Kubernetes Upgrade {} {}",
            enum_name(&s["phase"], UPGRADE_PHASES),
            s["step"].as_str().unwrap_or_default()
        ),
        TALOS_UPGRADE => format!(
            "Talos Upgrade {} {}",
            enum_name(&s["phase"], UPGRADE_PHASES),
            s["step"].as_str().unwrap_or_default()
        ),
        MACHINE_SET_STATUS => {
            let kind = if is_control_plane(r) {
                "Control Plane"
            } else if is_default_workers(r) {
                "Workers"
            } else {
                "Additional Workers"
            };
            format!(
                "{kind} {:?} {} {} {}",
                meta(r, "id"),
                enum_name(&s["phase"], MACHINE_SET_PHASES),
                ready(s["ready"].as_bool().unwrap_or(false)),
                machines(s)
            )
        }
        LOAD_BALANCER => format!(
            "Load Balancer {}",
            ready(s["healthy"].as_bool().unwrap_or(false))
        ),
        CONTROL_PLANE => {
            let failing: Vec<String> = s["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| {
                    let st = &c["status"];
                    num(st) == 2 || st.as_str() == Some("NotReady")
                })
                .map(|c| enum_name(&c["type"], CONDITION_TYPES))
                .collect();
            if failing.is_empty() {
                "Status Checks OK".to_string()
            } else {
                format!("Status Checks Failing: [{}]", failing.join(" "))
            }
        }
        CLUSTER_MACHINE => {
            let stage = enum_name(&s["stage"], STAGES);
            let mut out = format!("Machine {:?}", meta(r, "id"));
            if let Some(node) = label(r, "omni.sidero.dev/node-name").filter(|n| !n.is_empty()) {
                out.push_str(&format!(" ({node})"));
            }
            out.push(' ');
            out.push_str(&stage);
            if stage == "RUNNING" {
                out.push(' ');
                out.push_str(ready(s["ready"].as_bool().unwrap_or(false)));
            }
            if !has_label(r, "omni.sidero.dev/connected") {
                out.push_str(" Unreachable");
            }
            if has_label(r, "omni.sidero.dev/locked") {
                out.push_str(" Locked");
            }
            if !s["config_up_to_date"].as_bool().unwrap_or(false) {
                out.push_str(" Config Outdated");
            }
            match num(&s["config_apply_status"]) {
                1 => out.push_str(" Pending Config Update"),
                3 => out.push_str(" Config Apply Failed"),
                _ => {}
            }
            out
        }
        other => format!("{other}({})", meta(r, "id")),
    }
}

fn type_order(t: &str) -> u8 {
    match t {
        CLUSTER_STATUS => 0,
        K8S_UPGRADE => 1,
        TALOS_UPGRADE => 2,
        MACHINE_SET_STATUS => 3,
        LOAD_BALANCER => 4,
        CONTROL_PLANE => 5,
        _ => 6,
    }
}

fn compare(a: &Value, b: &Value) -> Ordering {
    let (ta, tb) = (meta(a, "type"), meta(b, "type"));
    type_order(ta).cmp(&type_order(tb)).then_with(|| {
        if ta == MACHINE_SET_STATUS {
            let key = |r: &Value| (!is_control_plane(r), !is_default_workers(r));
            key(a)
                .cmp(&key(b))
                .then_with(|| meta(a, "id").cmp(meta(b, "id")))
        } else {
            meta(a, "id").cmp(meta(b, "id"))
        }
    })
}

fn children<'a>(parent: &Value, all: &'a [Value]) -> Vec<&'a Value> {
    let mut out: Vec<&Value> = all
        .iter()
        .filter(|r| {
            let t = meta(r, "type");
            match meta(parent, "type") {
                CLUSTER_STATUS => matches!(t, MACHINE_SET_STATUS | K8S_UPGRADE | TALOS_UPGRADE),
                MACHINE_SET_STATUS => {
                    (is_control_plane(parent) && matches!(t, CONTROL_PLANE | LOAD_BALANCER))
                        || (t == CLUSTER_MACHINE
                            && label(r, "omni.sidero.dev/machine-set") == Some(meta(parent, "id")))
                }
                _ => false,
            }
        })
        .collect();
    crate::order::sort_with(&mut out, |a, b| compare(a, b));
    out
}

fn branch(out: &mut String, node: &Value, all: &[Value], prefix: &str) {
    let kids = children(node, all);
    let n = kids.len();
    for (i, k) in kids.into_iter().enumerate() {
        let last = i + 1 == n;
        out.push_str(prefix);
        out.push_str(if last { "└── " } else { "├── " });
        out.push_str(&line(k));
        out.push('\n');
        let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
        branch(out, k, all, &deeper);
    }
}

/// The status tree and whether the cluster is healthy (ClusterStatus RUNNING and ready, every
/// machine set Running and ready, both upgrades Done). `None` while no ClusterStatus exists.
pub fn status_tree(resources: &[Value]) -> Option<(String, bool)> {
    let cluster = resources
        .iter()
        .find(|r| meta(r, "type") == CLUSTER_STATUS)?;
    let mut healthy = true;
    for r in resources {
        let s = &r["spec"];
        let ok = match meta(r, "type") {
            CLUSTER_STATUS => num(&s["phase"]) == 3 && s["ready"].as_bool().unwrap_or(false),
            MACHINE_SET_STATUS => num(&s["phase"]) == 3 && s["ready"].as_bool().unwrap_or(false),
            K8S_UPGRADE | TALOS_UPGRADE => num(&s["phase"]) == 2,
            _ => true,
        };
        healthy &= ok;
    }
    let mut out = line(cluster);
    out.push('\n');
    branch(&mut out, cluster, resources, "");
    Some((out, healthy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(ty: &str, id: &str, labels: Value, spec: Value) -> Value {
        json!({"metadata": {"type": ty, "id": id, "labels": labels}, "spec": spec})
    }

    #[test]
    fn status_tree_orders_and_words_like_omnictl() {
        let c = "omni.sidero.dev/cluster";
        let all = vec![
            r(
                CLUSTER_MACHINE,
                "m2",
                json!({c: "prod", "omni.sidero.dev/machine-set": "prod-workers", "omni.sidero.dev/connected": ""}),
                json!({"stage": 2, "config_up_to_date": true}),
            ),
            r(
                MACHINE_SET_STATUS,
                "prod-workers",
                json!({c: "prod"}),
                json!({"phase": 1, "machines": {"healthy": 0, "total": 1}}),
            ),
            r(
                CLUSTER_STATUS,
                "prod",
                json!({}),
                json!({"phase": 1, "machines": {"healthy": 1, "total": 2}}),
            ),
            r(
                CLUSTER_MACHINE,
                "m1",
                json!({c: "prod", "omni.sidero.dev/machine-set": "prod-control-planes", "omni.sidero.dev/connected": "", "omni.sidero.dev/node-name": "cp-1"}),
                json!({"stage": 4, "ready": true, "config_up_to_date": true}),
            ),
            r(
                MACHINE_SET_STATUS,
                "prod-control-planes",
                json!({c: "prod", "omni.sidero.dev/role-controlplane": ""}),
                json!({"phase": 3, "ready": true, "machines": {"healthy": 1, "total": 1}}),
            ),
            r(
                CONTROL_PLANE,
                "prod-control-planes",
                json!({c: "prod"}),
                json!({"conditions": [{"type": 1, "status": 2}]}),
            ),
            r(
                LOAD_BALANCER,
                "prod",
                json!({c: "prod"}),
                json!({"healthy": true}),
            ),
            r(K8S_UPGRADE, "prod", json!({c: "prod"}), json!({"phase": 2})),
            r(
                TALOS_UPGRADE,
                "prod",
                json!({c: "prod"}),
                json!({"phase": 1, "step": "upgrading m2"}),
            ),
        ];
        let (tree, healthy) = status_tree(&all).unwrap();
        assert!(!healthy);
        assert_eq!(
            tree,
            "Cluster \"prod\" SCALING_UP Not Ready (1/2) (healthy/total)\n\
             ├── Kubernetes Upgrade Done \n\
             ├── Talos Upgrade Upgrading upgrading m2\n\
             ├── Control Plane \"prod-control-planes\" Running Ready (1/1)\n\
             │   ├── Load Balancer Ready\n\
             │   ├── Status Checks Failing: [Etcd]\n\
             │   └── Machine \"m1\" (cp-1) RUNNING Ready\n\
             └── Workers \"prod-workers\" ScalingUp Not Ready (0/1)\n    \
                 └── Machine \"m2\" INSTALLING\n"
        );
        assert!(status_tree(&all[..2]).is_none());
    }
}
