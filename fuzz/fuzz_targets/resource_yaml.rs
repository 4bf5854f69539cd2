//! omnictl resource YAML: what parses prints as omnictl YAML, and that YAML parses again to the
//! same resources.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(resources) = omni_wasm::resource::parse_yaml_documents(text) else {
        return;
    };
    let Ok(yaml) = omni_wasm::resource::to_omnictl_yaml(&resources) else {
        return;
    };
    match omni_wasm::resource::parse_yaml_documents(&yaml) {
        Ok(again) => assert_eq!(
            again.iter().map(|r| &r.spec).collect::<Vec<_>>(),
            resources.iter().map(|r| &r.spec).collect::<Vec<_>>(),
            "specs changed through omnictl YAML:\n{yaml}"
        ),
        Err(e) => panic!("printed YAML does not parse back: {e}\n{yaml}"),
    }
});
