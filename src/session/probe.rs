//! Where a backtest's time goes, as figures its report prints (issue 27's targets are checked by
//! a printed figure, never by a timed test): the engine per IWM bar and the signal path per
//! signal. Off unless a backtest turns it on; nothing reads the clock then.

use std::time::{Duration, Instant};

/// The engine is timed on one IWM bar in `ENGINE_EVERY`: reading the clock twice on every bar
/// would cost about as much as a tenth of the engine itself.
const ENGINE_EVERY: u32 = 16;

#[derive(Debug, Default, Clone, Copy)]
pub struct Probe {
    on: bool,
    tick: u32,
    engine: Duration,
    engine_bars: u64,
    signal: Duration,
    signals: u64,
}

/// What the probe measured: means in nanoseconds (0 when nothing was timed).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct ProbeFigures {
    /// `Engine::process_into` on an IWM bar (indicators, levels, agents, drafts), sampled.
    pub engine_ns_per_iwm_bar: f64,
    /// From the engine's draft to the order sent (rendering, risk check, order, notices).
    pub ns_per_signal: f64,
}

impl Probe {
    pub fn on() -> Self {
        Probe {
            on: true,
            ..Probe::default()
        }
    }

    /// The clock now if this IWM bar's engine call is one of the sampled ones.
    pub fn engine_start(&mut self) -> Option<Instant> {
        if !self.on {
            return None;
        }
        self.tick += 1;
        (self.tick % ENGINE_EVERY == 0).then(Instant::now)
    }

    pub fn engine_end(&mut self, start: Option<Instant>) {
        if let Some(t) = start {
            self.engine += t.elapsed();
            self.engine_bars += 1;
        }
    }

    pub fn signal_start(&self) -> Option<Instant> {
        self.on.then(Instant::now)
    }

    pub fn signal_end(&mut self, start: Option<Instant>) {
        if let Some(t) = start {
            self.signal += t.elapsed();
            self.signals += 1;
        }
    }

    pub fn figures(&self) -> ProbeFigures {
        let mean = |d: Duration, n: u64| {
            if n == 0 {
                0.0
            } else {
                d.as_secs_f64() * 1e9 / n as f64
            }
        };
        ProbeFigures {
            engine_ns_per_iwm_bar: mean(self.engine, self.engine_bars),
            ns_per_signal: mean(self.signal, self.signals),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_it_never_times() {
        let mut p = Probe::default();
        for _ in 0..100 {
            let t = p.engine_start();
            assert!(t.is_none());
            p.engine_end(t);
            let s = p.signal_start();
            assert!(s.is_none());
            p.signal_end(s);
        }
        assert_eq!(p.figures(), ProbeFigures::default());
    }

    #[test]
    fn on_it_samples_one_engine_call_in_sixteen_and_every_signal() {
        let mut p = Probe::on();
        let sampled = (0..64).filter(|_| {
            let t = p.engine_start();
            p.engine_end(t);
            t.is_some()
        });
        assert_eq!(sampled.count(), 4);
        assert_eq!(p.engine_bars, 4);
        for _ in 0..3 {
            let s = p.signal_start();
            p.signal_end(s);
        }
        assert_eq!(p.signals, 3);
    }
}
