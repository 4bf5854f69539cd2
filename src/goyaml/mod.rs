//! The Go-compatible YAML engine every format in the crate shares: a positioned parser that
//! keeps what go-yaml v3 keeps (`node`), go-yaml's scalar rules (`scalar`), and a byte-exact
//! emitter of what `yaml.Marshal` writes (`emit`). Cluster templates, resource YAML (omnictl's
//! `get -o yaml`, `apply` input) and the kubeconfig/talosconfig/omniconfig files all go through
//! it, so they agree with Omni and omnictl on every quoting and number rule.

pub(crate) mod diff;
pub(crate) mod emit;
pub(crate) mod node;
pub(crate) mod scalar;
pub(crate) mod sort;
