//! Fault knobs: latency, cut streams, UNAVAILABLE bursts, clock offset.
//! Set from flags/env at start and at runtime through `POST /_sim/faults`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tonic::Status;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Added latency before every call, in milliseconds.
    pub latency_ms: u64,
    /// End Watch and List streams with UNAVAILABLE after this many events (0 = never).
    pub cut_streams_after: u64,
    /// UNAVAILABLE for the first K calls of each method (counted per method).
    pub unavailable_first: u64,
    /// Only these methods (full paths) get the UNAVAILABLE burst; empty = all.
    pub unavailable_methods: Vec<String>,
    /// Seconds added to the server's clock (signature window, `Date` header).
    pub clock_offset_secs: i64,
}

pub struct Faults {
    cfg: Mutex<FaultConfig>,
    counts: Mutex<BTreeMap<String, u64>>,
}

impl Faults {
    pub fn new(cfg: FaultConfig) -> Self {
        Faults {
            cfg: Mutex::new(cfg),
            counts: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn get(&self) -> FaultConfig {
        self.cfg.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Replaces the configuration and resets the per-method counters.
    pub fn set(&self, cfg: FaultConfig) {
        if let Ok(mut c) = self.cfg.lock() {
            *c = cfg;
        }
        if let Ok(mut c) = self.counts.lock() {
            c.clear();
        }
    }

    pub fn clock_offset(&self) -> i64 {
        self.get().clock_offset_secs
    }

    pub fn cut_after(&self) -> u64 {
        self.get().cut_streams_after
    }

    pub async fn before_call(&self, method: &str) -> Result<(), Status> {
        let cfg = self.get();
        if cfg.latency_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(cfg.latency_ms)).await;
        }
        if cfg.unavailable_first > 0
            && (cfg.unavailable_methods.is_empty()
                || cfg.unavailable_methods.iter().any(|m| m == method))
        {
            let n = match self.counts.lock() {
                Ok(mut c) => {
                    let n = c.entry(method.to_string()).or_insert(0);
                    *n += 1;
                    *n
                }
                Err(_) => u64::MAX,
            };
            if n <= cfg.unavailable_first {
                return Err(Status::unavailable(format!(
                    "injected fault: call {n} of {method} is unavailable"
                )));
            }
        }
        Ok(())
    }

    /// Reads fault settings from the environment (`OMNI_SIM_LATENCY_MS`, ...).
    pub fn from_env(mut cfg: FaultConfig) -> FaultConfig {
        let num = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<i64>().ok());
        if let Some(v) = num("OMNI_SIM_LATENCY_MS") {
            cfg.latency_ms = v.max(0) as u64;
        }
        if let Some(v) = num("OMNI_SIM_CUT_STREAMS_AFTER") {
            cfg.cut_streams_after = v.max(0) as u64;
        }
        if let Some(v) = num("OMNI_SIM_UNAVAILABLE_FIRST") {
            cfg.unavailable_first = v.max(0) as u64;
        }
        if let Some(v) = num("OMNI_SIM_CLOCK_OFFSET_SECS") {
            cfg.clock_offset_secs = v;
        }
        if let Ok(v) = std::env::var("OMNI_SIM_UNAVAILABLE_METHODS") {
            cfg.unavailable_methods = v
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
        }
        cfg
    }
}
