//! Interop with GnuPG: our signatures verify with `gpg --verify`, and keys made by gpg load and
//! sign. Without `gpg` the tests fail (`make test` installs it); set `OMNI_WASM_SKIP_GPG=1` to
//! skip them on purpose.
#![cfg(all(feature = "full", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use omni_wasm::auth::{sign_grpc, Metadata, PgpKey, Signer, PAYLOAD_HEADER, SIGNATURE_HEADER};
use pgp::types::KeyDetails as _;

struct GpgHome(PathBuf);

impl GpgHome {
    fn new(tag: &str) -> Option<Self> {
        if Command::new("gpg").arg("--version").output().is_err() {
            assert!(
                std::env::var_os("OMNI_WASM_SKIP_GPG").is_some(),
                "gpg not found: install GnuPG (make test does) or set OMNI_WASM_SKIP_GPG=1"
            );
            eprintln!("NOTICE: gpg not found and OMNI_WASM_SKIP_GPG set; skipping {tag}");
            return None;
        }
        let dir = std::env::temp_dir().join(format!(
            "omni-wasm-gpg-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        Some(GpgHome(dir))
    }

    fn gpg(&self, args: &[&str]) -> Output {
        Command::new("gpg")
            .env("GNUPGHOME", &self.0)
            .args(["--batch", "--no-tty", "--yes"])
            .args(args)
            .output()
            .unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for GpgHome {
    fn drop(&mut self) {
        // Stop the agent this home started, then remove the directory.
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", &self.0)
            .args(["--kill", "all"])
            .output();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn write(path: &Path, data: &[u8]) {
    std::fs::write(path, data).unwrap();
}

#[test]
fn auth_gpg_verifies_our_grpc_signature() {
    let Some(home) = GpgHome::new("verify") else {
        return;
    };
    let now = now();
    let key = PgpKey::generate_user_key("user@example.com", None, now).unwrap();
    write(
        &home.path("pub.asc"),
        key.armored_public_key().unwrap().as_bytes(),
    );
    let out = home.gpg(&["--import", home.path("pub.asc").to_str().unwrap()]);
    assert!(out.status.success(), "import: {out:?}");

    let mut md = Metadata::new();
    md.append("runtime", "Omni");
    futures::executor::block_on(sign_grpc(
        &key,
        "/omni.resources.ResourceService/List",
        &mut md,
        now,
    ))
    .unwrap();
    let payload = md.first(PAYLOAD_HEADER).unwrap();
    let sig_b64 = md
        .first(SIGNATURE_HEADER)
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap();
    use base64::Engine as _;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(sig_b64)
        .unwrap();
    write(&home.path("payload"), payload.as_bytes());
    write(&home.path("payload.sig"), &sig);
    let out = home.gpg(&[
        "--status-fd",
        "1",
        "--verify",
        home.path("payload.sig").to_str().unwrap(),
        home.path("payload").to_str().unwrap(),
    ]);
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "verify: {out:?}");
    assert!(
        status.contains(&format!("VALIDSIG {}", key.fingerprint().to_uppercase())),
        "{status}"
    );

    // A tampered payload fails.
    write(&home.path("payload"), b"{}");
    let out = home.gpg(&[
        "--verify",
        home.path("payload.sig").to_str().unwrap(),
        home.path("payload").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
}

fn gpg_made_key(home: &GpgHome, algo_usage: &[&str]) -> String {
    let mut args = vec!["--passphrase", "", "--quick-gen-key", "U <u@x>"];
    args.extend_from_slice(algo_usage);
    let out = home.gpg(&args);
    assert!(out.status.success(), "gen: {out:?}");
    let out = home.gpg(&[
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "",
        "--armor",
        "--export-secret-keys",
        "u@x",
    ]);
    assert!(out.status.success(), "export: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn check_gpg_key_signs(home: &GpgHome, armored: &str, by_subkey: bool) {
    let key = PgpKey::from_armored(armored, None, "u@x").unwrap();
    // The key id is the primary fingerprint gpg reports.
    let out = home.gpg(&["--with-colons", "--fingerprint", "u@x"]);
    let listing = String::from_utf8_lossy(&out.stdout);
    let fpr = listing
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .unwrap()
        .to_lowercase();
    assert_eq!(key.key_id(), fpr);
    let exp = key.expires_at().unwrap();
    assert!(exp > now() && exp <= now() + 86_400 + 60, "{exp}");

    let sig = key.sign_detached(b"hello omni", now()).unwrap();
    // rpgp verifies it against the public key...
    let public = {
        use pgp::composed::{Deserializable, SignedPublicKey};
        SignedPublicKey::from_string(&key.armored_public_key().unwrap())
            .unwrap()
            .0
    };
    let det = {
        use pgp::composed::{Deserializable, DetachedSignature};
        DetachedSignature::from_bytes(&sig[..]).unwrap()
    };
    let ok = det.verify(&public.primary_key, b"hello omni").is_ok()
        || public
            .public_subkeys
            .iter()
            .any(|s| det.verify(&s.key, b"hello omni").is_ok());
    assert!(ok, "rpgp could not verify the signature");
    // go-crypto's choice: a signing subkey if there is one, else the primary key.
    let primary_signed = det
        .signature
        .issuer_fingerprint()
        .iter()
        .any(|f| **f == public.primary_key.fingerprint());
    assert_eq!(primary_signed, !by_subkey);
    // ...and so does gpg.
    write(&home.path("data"), b"hello omni");
    write(&home.path("data.sig"), &sig);
    let out = home.gpg(&[
        "--verify",
        home.path("data.sig").to_str().unwrap(),
        home.path("data").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "gpg verify: {out:?}");
}

#[test]
fn auth_gpg_generated_ed25519_key_loads_and_signs() {
    let Some(home) = GpgHome::new("genkey") else {
        return;
    };
    let armored = gpg_made_key(&home, &["ed25519", "sign", "1d"]);
    check_gpg_key_signs(&home, &armored, false);
}

#[test]
fn auth_gpg_key_with_signing_subkey_signs_with_the_subkey() {
    let Some(home) = GpgHome::new("subkey") else {
        return;
    };
    let _ = gpg_made_key(&home, &["ed25519", "cert", "1d"]);
    let out = home.gpg(&["--with-colons", "--fingerprint", "u@x"]);
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    let fpr = listing
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .unwrap()
        .to_string();
    let out = home.gpg(&[
        "--passphrase",
        "",
        "--pinentry-mode",
        "loopback",
        "--quick-add-key",
        &fpr,
        "ed25519",
        "sign",
        "1d",
    ]);
    assert!(out.status.success(), "add-key: {out:?}");
    let out = home.gpg(&[
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "",
        "--armor",
        "--export-secret-keys",
        "u@x",
    ]);
    let armored = String::from_utf8(out.stdout).unwrap();
    check_gpg_key_signs(&home, &armored, true);
}
