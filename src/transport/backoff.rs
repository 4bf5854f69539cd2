//! Exponential backoff with jitter, bounded in attempts.

use std::time::Duration;

/// Exponential backoff: `initial × factorⁿ`, capped at `max`, each delay jittered by ±50 %,
/// at most `max_retries` delays. Cheap to clone; each call site clones a fresh one.
#[derive(Clone, Debug, PartialEq)]
pub struct Backoff {
    /// First delay. Defaults to 250 ms.
    pub initial: Duration,
    /// Largest delay. Defaults to 10 s.
    pub max: Duration,
    /// Growth per retry. Defaults to 2.
    pub factor: f64,
    /// Retries before giving up. Defaults to 5.
    pub max_retries: u32,
    attempt: u32,
    seed: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(Duration::from_millis(250), Duration::from_secs(10), 5)
    }
}

impl Backoff {
    /// A backoff from `initial` up to `max`, for at most `max_retries` retries.
    pub fn new(initial: Duration, max: Duration, max_retries: u32) -> Self {
        Backoff {
            initial,
            max,
            factor: 2.0,
            max_retries,
            attempt: 0,
            seed: super::runtime::now_millis() as u64 ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// No retries at all.
    pub fn none() -> Self {
        Backoff::new(Duration::ZERO, Duration::ZERO, 0)
    }

    /// Start over (after a success).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// How many delays were handed out since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The next delay, or `None` when the retries are used up.
    pub fn next_delay(&mut self) -> Option<Duration> {
        if self.attempt >= self.max_retries {
            return None;
        }
        let exp = self
            .factor
            .powi(i32::try_from(self.attempt).unwrap_or(i32::MAX));
        self.attempt += 1;
        let base = (self.initial.as_secs_f64() * exp).min(self.max.as_secs_f64());
        // xorshift64*: jitter needs no cryptographic randomness
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let unit = (self.seed >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
        let jittered = base * (0.5 + unit);
        Some(Duration::from_secs_f64(
            jittered.clamp(0.0, self.max.as_secs_f64().max(0.0)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_jittered_capped_and_bounded() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(1000), 6);
        let delays: Vec<_> = std::iter::from_fn(|| b.next_delay()).collect();
        assert_eq!(delays.len(), 6);
        for (i, d) in delays.iter().enumerate() {
            let base = (100.0 * 2f64.powi(i as i32)).min(1000.0);
            let ms = d.as_secs_f64() * 1000.0;
            assert!(
                ms >= base * 0.5 - 0.001 && ms <= (base * 1.5).min(1000.0) + 0.001,
                "{i}: {ms}"
            );
        }
        assert!(b.next_delay().is_none());
        b.reset();
        assert!(b.next_delay().is_some());
        assert!(Backoff::none().next_delay().is_none());
    }
}
