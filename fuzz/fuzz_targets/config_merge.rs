//! Config-file merges: the input is `existing\0incoming`, merged as a kubeconfig, a talosconfig
//! and an omniconfig.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (existing, incoming) = text.split_once('\0').unwrap_or((text, ""));
    let _ = omni_wasm::config::merge_kubeconfig(existing, incoming, &Default::default());
    let _ = omni_wasm::config::merge_talosconfig(existing, incoming);
    if let (Ok(mut a), Ok(b)) = (
        omni_wasm::config::OmniConfig::parse(existing),
        omni_wasm::config::OmniConfig::parse(incoming),
    ) {
        let _ = a.merge(&b);
        let _ = omni_wasm::config::OmniConfig::parse(&a.to_yaml());
    }
});
