//! Renders generated 1 000- and 2 000-machine cluster templates and prints the times.
//!
//! `cargo run --release --example template_bench` (native; the Node/wasm benchmark builds on
//! the same generator shape).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::Instant;

use omni_wasm::template::Template;

/// A template with 3 control-plane machines, `n - 3` workers split over 4 sets, a Machine
/// document with an install disk and an inline patch for every 10th machine.
fn generate(n: usize) -> String {
    let id = |i: usize| format!("{:08x}-0000-4000-8000-{:012x}", i, i);
    let mut t = String::from(
        "kind: Cluster\nname: bench\nkubernetes:\n  version: v1.30.1\ntalos:\n  version: v1.7.4\n\
         patches:\n  - name: cluster-wide\n    inline:\n      machine:\n        network:\n          kubespan:\n            enabled: true\n\
         ---\nkind: ControlPlane\nmachines:\n",
    );
    for i in 0..3 {
        t.push_str(&format!("  - {}\n", id(i)));
    }
    let sets = 4;
    for s in 0..sets {
        t.push_str("---\nkind: Workers\n");
        if s > 0 {
            t.push_str(&format!("name: pool-{s}\n"));
        }
        t.push_str("machines:\n");
        for i in (3..n).filter(|i| i % sets == s) {
            t.push_str(&format!("  - {}\n", id(i)));
        }
    }
    for i in (0..n).step_by(10) {
        t.push_str(&format!(
            "---\nkind: Machine\nname: {}\ninstall:\n  disk: /dev/vda\npatches:\n  - name: address\n    inline:\n      machine:\n        network:\n          hostname: node-{i}\n",
            id(i)
        ));
    }
    t
}

fn bench(n: usize) -> (f64, usize) {
    let text = generate(n);
    let files = BTreeMap::new();
    // warm up once, then take the best of a few runs
    let mut best = f64::MAX;
    let mut bytes = 0;
    for _ in 0..20 {
        let start = Instant::now();
        let out = Template::load(&text, &files)
            .and_then(|t| t.render_yaml())
            .unwrap_or_else(|e| panic!("{e}"));
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        bytes = out.len();
        best = best.min(ms);
    }
    (best, bytes)
}

fn stages(n: usize) {
    let text = generate(n);
    let files = BTreeMap::new();
    let t0 = Instant::now();
    let t = Template::load(&text, &files).unwrap_or_else(|e| panic!("{e}"));
    let t1 = Instant::now();
    t.validate().unwrap_or_else(|e| panic!("{e}"));
    let t2 = Instant::now();
    let rs = t.render().unwrap_or_else(|e| panic!("{e}"));
    let t3 = Instant::now();
    let out = omni_wasm::template::resources_to_yaml(&rs, 2);
    let t4 = Instant::now();
    let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1000.0;
    println!(
        "  stages for {n}: load {:.2} ms, validate {:.2} ms, validate+translate {:.2} ms, print {:.2} ms ({} resources, {} bytes)",
        ms(t0, t1), ms(t1, t2), ms(t2, t3), ms(t3, t4), rs.len(), out.len()
    );
}

fn main() {
    if std::env::args().any(|a| a == "--stages") {
        stages(1_000);
    }
    for n in [1_000, 2_000] {
        let (ms, bytes) = bench(n);
        println!(
            "render {n} machines: {ms:.2} ms (load + validate + render, {bytes} bytes of YAML)"
        );
    }
}
