//! `omni-sim` binary. Run `omni-sim --help` for flags.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use omni_sim::faults::{FaultConfig, Faults};
use omni_sim::Options;

const HELP: &str = "omni-sim: an Omni-compatible test server

USAGE: omni-sim [FLAGS]

  --port N                  port (default 8099; 0 = any)
  --bind ADDR               bind address (default 127.0.0.1)
  --demo                    seed a realistic installation and keep it moving
  --demo-key-out PATH       where demo mode writes the admin service-account key
                            (default target/demo/service-account.key)
  --cors                    add CORS headers (any origin)
  --seed FILE               users/keys seed file (YAML or JSON)
  --accept-eula             pre-accept the EULA
  --enable-break-glass-configs  allow break-glass kubeconfigs/talosconfigs (Omni's feature flag)
  --test-endpoints          mount the test-only /_sim/ endpoints
  --url-file PATH           write the server URL there once listening (for --port 0)
  --serve [PREFIX=]DIR      serve static files (repeatable; default prefix /)
  --www DIR                 same as --serve /=DIR
  --pkg DIR                 same as --serve /pkg=DIR
  --latency-ms N            fault: added latency per call
  --cut-streams-after N     fault: end Watch/List streams after N events
  --unavailable-first K     fault: UNAVAILABLE for the first K calls of each method
  --unavailable-methods M,M fault: restrict the burst to these full method paths
  --clock-offset-secs S     fault: shift the server clock
Environment: OMNI_SIM_LATENCY_MS, OMNI_SIM_CUT_STREAMS_AFTER, OMNI_SIM_UNAVAILABLE_FIRST,
OMNI_SIM_UNAVAILABLE_METHODS, OMNI_SIM_CLOCK_OFFSET_SECS.";

fn parse(args: Vec<String>) -> Result<(Options, Option<PathBuf>), String> {
    let mut o = Options::default();
    let mut url_file = None;
    let mut port: u16 = 8099;
    let mut ip: IpAddr = IpAddr::from([127, 0, 0, 1]);
    let mut faults = Faults::from_env(FaultConfig::default());
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut val = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let num = |s: String| s.parse::<i64>().map_err(|e| format!("{s}: {e}"));
        match a.as_str() {
            "-h" | "--help" => {
                println!("{HELP}");
                std::process::exit(0);
            }
            "--port" => port = val("--port")?.parse().map_err(|e| format!("--port: {e}"))?,
            "--bind" => ip = val("--bind")?.parse().map_err(|e| format!("--bind: {e}"))?,
            "--demo" => o.demo = true,
            "--demo-key-out" => o.demo_key_out = Some(PathBuf::from(val("--demo-key-out")?)),
            "--cors" => o.cors = true,
            "--seed" => o.seed = Some(PathBuf::from(val("--seed")?)),
            "--accept-eula" => o.accept_eula = true,
            "--enable-break-glass-configs" => o.break_glass_configs = true,
            "--url-file" => url_file = Some(PathBuf::from(val("--url-file")?)),
            "--test-endpoints" => o.test_endpoints = true,
            "--serve" => {
                let v = val("--serve")?;
                match v.split_once('=') {
                    Some((p, d)) => o.serve.push((p.to_string(), PathBuf::from(d))),
                    None => o.serve.push(("/".into(), PathBuf::from(v))),
                }
            }
            "--www" => o.serve.push(("/".into(), PathBuf::from(val("--www")?))),
            "--pkg" => o.serve.push(("/pkg".into(), PathBuf::from(val("--pkg")?))),
            "--latency-ms" => faults.latency_ms = num(val(&a)?)?.max(0) as u64,
            "--cut-streams-after" => faults.cut_streams_after = num(val(&a)?)?.max(0) as u64,
            "--unavailable-first" => faults.unavailable_first = num(val(&a)?)?.max(0) as u64,
            "--unavailable-methods" => {
                faults.unavailable_methods = val(&a)?.split(',').map(str::to_string).collect()
            }
            "--clock-offset-secs" => faults.clock_offset_secs = num(val(&a)?)?,
            other => return Err(format!("unknown flag {other:?} (see --help)")),
        }
    }
    o.bind = Some(SocketAddr::new(ip, port));
    o.faults = faults;
    if o.demo && o.demo_key_out.is_none() {
        o.demo_key_out = Some(PathBuf::from("target/demo/service-account.key"));
    }
    Ok((o, url_file))
}

#[tokio::main]
async fn main() {
    let (opts, url_file) = match parse(std::env::args().skip(1).collect()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("omni-sim: {e}");
            std::process::exit(2);
        }
    };
    let handle = match omni_sim::Sim::builder().options(opts).start().await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("omni-sim: {e}");
            std::process::exit(1);
        }
    };
    println!("omni-sim listening on {}", handle.url());
    if let Some(p) = url_file {
        if let Err(e) = std::fs::write(&p, handle.url()) {
            eprintln!("omni-sim: {}: {e}", p.display());
        }
    }
    if let Some(p) = &handle.core.opts.demo_key_out {
        if handle.core.opts.demo {
            println!("demo service-account key written to {}", p.display());
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    handle.stop().await;
}
