//! Key material never shows in `Debug`, errors or descriptions of clients, whether a key loads,
//! signs or fails (issue #15, item 6): every such text is searched for fragments of the keys.
#![cfg(all(feature = "full", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use omni_wasm::auth::{EcdsaKey, PgpKey, ServiceAccountKey, Signer as _};
use omni_wasm::client::OmniClient;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// 16-character pieces of every long base64 line of `secret` (and of the whole string when
/// it is one line): a leak of any part of it contains one of them.
fn fragments(secret: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in secret.lines().chain(std::iter::once(secret)) {
        let line = line.trim();
        if line.len() < 32 || line.starts_with("-----") || line.contains(' ') {
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        for chunk in chars.chunks(16).filter(|c| c.len() == 16) {
            out.push(chunk.iter().collect());
        }
    }
    assert!(!out.is_empty(), "no fragments of the secret to look for");
    out
}

fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for f in secrets {
        assert!(
            !text.contains(f.as_str()),
            "{what} leaks key material ({f}): {text}"
        );
    }
}

#[test]
fn pgp_and_service_account_keys_never_show() {
    let (sa, key) = ServiceAccountKey::generate("leak-check", None, now()).unwrap();
    let encoded = sa.encode().unwrap();
    let armored = key.armored_private_key().unwrap();
    let mut secrets = fragments(&armored);
    secrets.extend(fragments(&encoded));

    let mut texts = vec![
        ("ServiceAccountKey Debug", format!("{sa:?}")),
        ("PgpKey Debug", format!("{key:?}")),
        ("signer Debug", format!("{:?}", sa.signer().unwrap())),
    ];
    let builder = OmniClient::builder("https://omni.example.org")
        .service_account_key(&encoded)
        .unwrap();
    texts.push(("builder Debug", format!("{builder:?}")));
    let client = builder.build().unwrap();
    texts.push(("client Debug", format!("{client:?}")));
    texts.push(("transport Debug", format!("{:?}", client.transport())));

    // failures while loading: corrupted, truncated, not a key
    let mut corrupted: Vec<char> = encoded.chars().collect();
    let mid = corrupted.len() / 2;
    corrupted[mid] = if corrupted[mid] == 'A' { 'B' } else { 'A' };
    let corrupted: String = corrupted.into_iter().collect();
    let truncated = &armored[..armored.len() / 2];
    let json = serde_json::json!({"name": "x", "pgp_key": truncated}).to_string();
    let wrapped = base64::engine::general_purpose::STANDARD.encode(json);
    for (what, r) in [
        (
            "corrupted SA key",
            ServiceAccountKey::parse(&corrupted).map(|_| ()),
        ),
        (
            "truncated SA key",
            ServiceAccountKey::parse(&wrapped).and_then(|k| k.signer().map(|_| ())),
        ),
        (
            "truncated armored key",
            PgpKey::from_armored(truncated, None, "x").map(|_| ()),
        ),
        (
            "armored key, wrong passphrase",
            PgpKey::from_armored(&armored, Some("nope"), "x").map(|_| ()),
        ),
        (
            "SA key as armored",
            PgpKey::from_armored(&encoded, None, "x").map(|_| ()),
        ),
    ] {
        if let Err(e) = r {
            texts.push((what, format!("{e} / {e:?}")));
        }
    }
    // failures while signing: an expired key
    let (old, _) = ServiceAccountKey::generate("expired", Some(60), now() - 3600).unwrap();
    let old_secrets = fragments(&old.encode().unwrap());
    match old.signer() {
        Err(e) => assert_clean("expired key error", &format!("{e} / {e:?}"), &old_secrets),
        Ok(s) => {
            if let Err(e) = futures::executor::block_on(s.sign(b"payload", now())) {
                assert_clean("expired key error", &format!("{e} / {e:?}"), &old_secrets);
            }
        }
    }
    assert!(texts.len() >= 8, "{texts:?}");
    for (what, text) in &texts {
        assert_clean(what, text, &secrets);
    }
}

#[test]
fn ecdsa_keys_never_show() {
    let sk = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let raw = sk.to_bytes();
    let secrets = vec![
        hex(&raw),
        base64::engine::general_purpose::STANDARD.encode(raw),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw),
    ];
    let key = EcdsaKey::from_signing_key(sk, "leak@example.org", now(), now() + 3600).unwrap();
    let text = format!("{key:?}");
    for s in &secrets {
        assert!(
            !text.contains(&s[..24]),
            "ECDSA Debug leaks the private scalar: {text}"
        );
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
