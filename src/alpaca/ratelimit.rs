//! Client-side request pacing: a token bucket sized so that no rolling minute exceeds the
//! configured ceiling, plus pauses the server asks for (429, `X-RateLimit-Remaining: 0`).

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Server-advised waits are capped: a wrong clock or header must not freeze the app for hours.
const MAX_SERVER_PAUSE: Duration = Duration::from_secs(65);

#[derive(Debug)]
pub struct RateLimiter {
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    /// Burst size. Refill is (per_minute - burst) per minute, so burst + refill ≤ per_minute
    /// in any 60 s window.
    burst: f64,
    per_sec: f64,
    tokens: f64,
    last: Instant,
    paused_until: Option<Instant>,
}

impl Bucket {
    fn new(per_minute: u32, now: Instant) -> Self {
        let per_minute = f64::from(per_minute.max(2));
        let burst = (per_minute / 10.0).floor().max(1.0);
        Bucket {
            burst,
            per_sec: (per_minute - burst) / 60.0,
            tokens: burst,
            last: now,
            paused_until: None,
        }
    }

    /// Take a token now, or say how long to wait before asking again.
    fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        if let Some(until) = self.paused_until {
            if until > now {
                return Err(until - now);
            }
            self.paused_until = None;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec))
        }
    }
}

impl RateLimiter {
    pub fn new(max_requests_per_minute: u32) -> Self {
        RateLimiter {
            state: Mutex::new(Bucket::new(max_requests_per_minute, Instant::now())),
        }
    }

    /// Wait until a request may be sent.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut b = self.state.lock().unwrap_or_else(|p| p.into_inner());
                match b.try_take(Instant::now()) {
                    Ok(()) => return,
                    Err(w) => w,
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Hold every request until `until` (later pauses win over earlier ones).
    pub fn pause_until(&self, until: Instant) {
        let cap = Instant::now() + MAX_SERVER_PAUSE;
        let until = until.min(cap);
        let mut b = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match b.paused_until {
            Some(p) if p >= until => {}
            _ => b.paused_until = Some(until),
        }
    }

    /// Hold every request until the epoch second `reset` (Alpaca's `X-RateLimit-Reset`).
    pub fn pause_until_epoch(&self, reset: u64) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let target = Duration::from_secs(reset);
        // A small margin: the header has whole seconds and the server's clock is not ours.
        let wait = target.saturating_sub(now) + Duration::from_millis(50);
        self.pause_until(Instant::now() + wait);
    }

    /// Time left on a server-advised pause, if any.
    pub fn paused_for(&self) -> Option<Duration> {
        let b = self.state.lock().unwrap_or_else(|p| p.into_inner());
        b.paused_until
            .and_then(|u| u.checked_duration_since(Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rolling_minute_exceeds_the_ceiling() {
        let t0 = Instant::now();
        let mut b = Bucket::new(60, t0);
        // Simulate a greedy caller for two minutes in 10 ms steps.
        let mut sent: Vec<Duration> = Vec::new();
        for step in 0..12_000u64 {
            let at = Duration::from_millis(step * 10);
            if b.try_take(t0 + at).is_ok() {
                sent.push(at);
            }
        }
        for (i, start) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .take_while(|t| **t < *start + Duration::from_secs(60))
                .count();
            assert!(in_window <= 60, "{in_window} requests in a minute");
        }
        assert!(sent.len() >= 100, "bucket too stingy: {}", sent.len());
    }

    #[test]
    fn server_pause_blocks_then_releases() {
        let t0 = Instant::now();
        let mut b = Bucket::new(600, t0);
        b.paused_until = Some(t0 + Duration::from_millis(500));
        let wait = b.try_take(t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        assert!(b.try_take(t0 + Duration::from_millis(500)).is_ok());
    }
}
