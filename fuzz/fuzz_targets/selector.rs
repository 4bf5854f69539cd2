//! Label selectors (omnictl `-l`): parse, then match against a few label sets.
#![no_main]
use std::collections::BTreeMap;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(q) = omni_wasm::resource::parse_selector(text) else {
        return;
    };
    for labels in [
        BTreeMap::new(),
        BTreeMap::from([("a".to_string(), "1".to_string())]),
        BTreeMap::from([
            ("omni.sidero.dev/cluster".to_string(), "c".to_string()),
            ("b".to_string(), String::new()),
        ]),
    ] {
        let _ = omni_wasm::resource::matches(&q, &labels);
    }
    let _ = omni_wasm::resource::parse_selectors(&[text.to_string(), text.to_string()]);
});
