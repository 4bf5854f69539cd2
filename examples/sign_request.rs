//! Signing natively in Rust, for a transport of your own (the library has no HTTP client outside
//! wasm): read an `OMNI_SERVICE_ACCOUNT_KEY`, sign a gRPC method call (`siderov1`), and print
//! the headers as JSON on stdout, or as a ready `curl` command against Omni's `/api` gateway.
//!
//! ```sh
//! OMNI_SERVICE_ACCOUNT_KEY=… cargo run --example sign_request                # JSON headers
//! OMNI_SERVICE_ACCOUNT_KEY=… cargo run --example sign_request -- --curl https://omni.example.org
//! ```
//!
//! Over the gateway each header goes as `Grpc-Metadata-<name>`; the signature is valid for a few
//! minutes (Omni allows 5 minutes of clock skew), so sign right before sending.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use omni_wasm::auth::{
    sign_grpc, Metadata, ServiceAccountKey, Signer as _, PAYLOAD_HEADER, SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
};

const METHOD: &str = "/cosi.resource.State/List";
const BODY: &str = r#"{"namespace":"default","type":"Clusters.omni.sidero.dev"}"#;

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let curl = match args.as_slice() {
        [] => None,
        [flag, endpoint] if flag == "--curl" => Some(endpoint.trim_end_matches('/').to_string()),
        _ => return Err("usage: sign_request [--curl https://omni.example.org]".into()),
    };
    let encoded = std::env::var("OMNI_SERVICE_ACCOUNT_KEY")
        .map_err(|_| "set OMNI_SERVICE_ACCOUNT_KEY".to_string())?;
    // errors never echo the key
    let key = ServiceAccountKey::parse(&encoded).map_err(|e| e.to_string())?;
    let signer = key.signer().map_err(|e| e.to_string())?;
    eprintln!(
        "signing {METHOD} as {} with key {}",
        signer.identity(),
        signer.key_id()
    );

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let now = i64::try_from(now).map_err(|e| e.to_string())?;
    let mut metadata = Metadata::new();
    futures::executor::block_on(sign_grpc(&signer, METHOD, &mut metadata, now))
        .map_err(|e| e.to_string())?;

    // what the signature covers and says, checked before anyone relies on it
    let header = |name: &str| metadata.first(name).unwrap_or_default().to_string();
    let signature = header(SIGNATURE_HEADER);
    let expected = format!("siderov1 {} {} ", signer.identity(), signer.key_id());
    if !signature.starts_with(&expected) || !header(PAYLOAD_HEADER).contains(METHOD) {
        return Err(format!("unexpected signature header: {signature}"));
    }

    let headers: Vec<(String, String)> = [TIMESTAMP_HEADER, PAYLOAD_HEADER, SIGNATURE_HEADER]
        .iter()
        .map(|name| (name.to_string(), header(name)))
        .collect();
    match curl {
        None => {
            let map: serde_json::Map<String, serde_json::Value> = headers
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            let json = serde_json::json!({ "method": METHOD, "headers": map });
            println!("{json}");
        }
        Some(endpoint) => {
            let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
            let mut cmd = format!(
                "curl -sS -X POST {} -H 'content-type: application/json'",
                quote(&format!("{endpoint}/api{METHOD}"))
            );
            for (name, value) in &headers {
                cmd.push_str(&format!(
                    " -H {}",
                    quote(&format!("Grpc-Metadata-{name}: {value}"))
                ));
            }
            cmd.push_str(&format!(" -d {}", quote(BODY)));
            println!("{cmd}");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sign_request: {e}");
            ExitCode::FAILURE
        }
    }
}
