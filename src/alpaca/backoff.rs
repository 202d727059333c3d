//! The one back-off every Alpaca retry waits by: REST GETs, the market-data stream and the
//! trading stream. Uniformly in [d/2, d], d = base × 2^attempt capped at `max`: clients that lost
//! the server together do not come back together.

use std::time::Duration;

use rand::Rng;

/// A REST retry never waits longer than this.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

pub fn jittered(base: Duration, attempt: u32, max: Duration) -> Duration {
    let d = base.saturating_mul(1u32 << attempt.min(16)).min(max);
    let ms = d.as_millis().max(1) as u64;
    Duration::from_millis(rand::thread_rng().gen_range(ms / 2..=ms))
}

/// A REST GET's wait before its next attempt.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    jittered(base, attempt, MAX_RETRY_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_half_to_full_and_caps() {
        let base = Duration::from_millis(100);
        let max = Duration::from_millis(1000);
        for attempt in 0..40 {
            let d = jittered(base, attempt, max);
            let full = (base * 2u32.pow(attempt.min(16))).min(max);
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
        let d = backoff(Duration::from_secs(1), 30);
        assert!(d >= MAX_RETRY_WAIT / 2 && d <= MAX_RETRY_WAIT, "{d:?}");
    }
}
