//! Service-account keys (base64 JSON) and ASCII-armored OpenPGP private keys.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = omni_wasm::auth::ServiceAccountKey::parse(text) {
        let _ = e.to_string();
    }
    if let Err(e) = omni_wasm::auth::PgpKey::from_armored(text, Some("pass"), "fuzz@example.org") {
        let _ = e.to_string();
    }
});
