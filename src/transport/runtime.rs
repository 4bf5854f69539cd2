//! Time and sleeping, the same API on wasm (JS timers, `Date.now`) and natively.

use std::time::Duration;

use super::CallOptions;
use crate::Result;

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    }
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    (now_millis() / 1000.0).floor() as i64
}

/// Sleep for `d`; ends early with [`crate::Error::Cancelled`] when the call's signal fires.
///
/// Natively (unit tests with the memory transport) this returns at once: nothing there waits
/// on real time.
pub async fn sleep(d: Duration, opts: &CallOptions) -> Result<()> {
    #[cfg(target_arch = "wasm32")]
    {
        super::fetch::sleep(d, opts.signal.as_ref()).await
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (d, opts);
        Ok(())
    }
}
