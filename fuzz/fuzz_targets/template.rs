//! Cluster templates: load, validate, render (with one referenced patch file).
#![no_main]
use std::collections::BTreeMap;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let files = BTreeMap::from([(
        "patch.yaml".to_string(),
        "machine:\n  network:\n    hostname: x\n".to_string(),
    )]);
    let _ = omni_wasm::template::Template::referenced_files(text);
    let Ok(t) = omni_wasm::template::Template::load(text, &files) else {
        return;
    };
    if t.validate().is_ok() {
        let _ = t.render_yaml();
    }
});
