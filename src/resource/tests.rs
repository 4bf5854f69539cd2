//! Round trips and golden printer tests.

use super::*;
use crate::proto::cosi::resource as pb;
use prost::Message as _;
use serde_json::json;

const CLUSTER_GOLDEN: &str = "metadata:
    namespace: default
    type: Clusters.omni.sidero.dev
    id: my-cluster
    version: 7
    owner:
    phase: running
    created: 2025-01-01T10:00:00Z
    updated: 2025-01-02T08:30:00Z
    labels:
        my-label: value
    annotations:
        omni.sidero.dev/managed-by-cluster-templates:
    finalizers:
        - ClusterController
spec:
    kubernetesversion: 1.32.0
    talosversion: 1.9.1
    features:
        enableworkloadproxy: false
        diskencryption: false
        useembeddeddiscoveryservice: true
        enablenodeauditskip: false
        disablepublicdiscoveryservice: false
    backupconfiguration: null
";

fn cluster() -> Resource {
    let mut md = ResourceMetadata::new("default", "Clusters.omni.sidero.dev", "my-cluster");
    md.version = "7".into();
    md.created = Some("2025-01-01T10:00:00Z".into());
    md.updated = Some("2025-01-02T08:30:00Z".into());
    md.labels.insert("my-label".into(), "value".into());
    md.annotations.insert(
        "omni.sidero.dev/managed-by-cluster-templates".into(),
        String::new(),
    );
    md.finalizers.push("ClusterController".into());
    Resource::new(
        md,
        json!({"kubernetes_version": "1.32.0", "talos_version": "1.9.1",
               "features": {"use_embedded_discovery_service": true}}),
    )
}

#[test]
fn cluster_yaml_golden_from_typed_spec() {
    let r = cluster();
    assert_eq!(to_omnictl_yaml(&[r]).unwrap(), CLUSTER_GOLDEN);
}

#[test]
fn cluster_yaml_golden_from_yaml_spec_and_proto_round_trip() {
    let reg = Registry::builtin();
    let r = cluster();
    let mut p = r.to_proto(&reg).unwrap();
    // What the server sends: proto_spec plus its rendered yaml_spec.
    if let Some(s) = p.spec.as_mut() {
        s.yaml_spec = r.spec_yaml().unwrap();
    }
    let bytes = p.encode_to_vec();
    let back = Resource::from_proto(pb::Resource::decode(bytes.as_slice()).unwrap(), &reg).unwrap();
    assert_eq!(back.spec, r.spec);
    assert_eq!(back.metadata, r.metadata);
    assert!(back.yaml_spec.is_some());
    assert_eq!(to_omnictl_yaml(&[back]).unwrap(), CLUSTER_GOLDEN);
}

#[test]
fn yaml_input_round_trip() {
    let docs = parse_yaml_documents(CLUSTER_GOLDEN).unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].spec, cluster().spec);
    assert_eq!(docs[0].metadata, cluster().metadata);
    assert_eq!(to_omnictl_yaml(&docs).unwrap(), CLUSTER_GOLDEN);
}
