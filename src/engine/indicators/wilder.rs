//! Wilder-smoothed RSI and ATR (α = 1/n, seeded with the simple mean of the first n values), the
//! way TA-Lib and TradingView compute them. The `ta` crate's own RSI/ATR use α = 2/(n+1) and seed
//! differently, so these implement `ta`'s `Next`/`Reset` traits with Wilder's arithmetic instead.

use ta::{Close, High, Low, Next, Reset};

/// Wilder's running mean: the simple mean of the first `n` inputs, then `avg += (x − avg) / n`.
#[derive(Debug, Clone)]
pub struct WilderMean {
    n: usize,
    /// n and n − 1 as floats, converted once rather than on every bar.
    nf: f64,
    n1: f64,
    count: usize,
    value: f64,
}

impl WilderMean {
    pub fn new(n: usize) -> Self {
        let n = n.max(1);
        WilderMean {
            n,
            nf: n as f64,
            n1: (n - 1) as f64,
            count: 0,
            value: 0.0,
        }
    }

    /// Feed one value; the mean once `n` values were seen.
    pub fn push(&mut self, x: f64) -> Option<f64> {
        if self.count < self.n {
            // Seed: a plain running sum, divided once the window is full (TA-Lib does the same).
            self.value += x;
            self.count += 1;
            if self.count < self.n {
                return None;
            }
            self.value /= self.nf;
            return Some(self.value);
        }
        self.value = (self.value * self.n1 + x) / self.nf;
        Some(self.value)
    }

    pub fn reset(&mut self) {
        self.count = 0;
        self.value = 0.0;
    }
}

/// Wilder RSI of closes. `None` for the first `n` closes (n changes are needed to seed).
#[derive(Debug, Clone)]
pub struct WilderRsi {
    prev: Option<f64>,
    gain: WilderMean,
    loss: WilderMean,
}

impl WilderRsi {
    pub fn new(n: usize) -> Self {
        WilderRsi {
            prev: None,
            gain: WilderMean::new(n),
            loss: WilderMean::new(n),
        }
    }
}

impl Next<f64> for WilderRsi {
    type Output = Option<f64>;

    fn next(&mut self, close: f64) -> Option<f64> {
        let prev = self.prev.replace(close)?;
        let change = close - prev;
        let g = self.gain.push(change.max(0.0));
        let l = self.loss.push((-change).max(0.0));
        let (g, l) = (g?, l?);
        // TA-Lib answers 0 for a perfectly flat series; so do we.
        Some(if g + l > 0.0 {
            100.0 * g / (g + l)
        } else {
            0.0
        })
    }
}

impl<T: Close> Next<&T> for WilderRsi {
    type Output = Option<f64>;
    fn next(&mut self, input: &T) -> Option<f64> {
        self.next(input.close())
    }
}

impl Reset for WilderRsi {
    fn reset(&mut self) {
        self.prev = None;
        self.gain.reset();
        self.loss.reset();
    }
}

/// Wilder ATR. Like TA-Lib, the first bar has no true range (no previous close), so the first
/// value comes on bar `n + 1`, seeded with the mean of `n` true ranges.
#[derive(Debug, Clone)]
pub struct WilderAtr {
    prev_close: Option<f64>,
    mean: WilderMean,
}

impl WilderAtr {
    pub fn new(n: usize) -> Self {
        WilderAtr {
            prev_close: None,
            mean: WilderMean::new(n),
        }
    }

    /// Feed high, low, close.
    pub fn push(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let prev = self.prev_close.replace(close)?;
        let tr = (high - low)
            .max((high - prev).abs())
            .max((low - prev).abs());
        self.mean.push(tr)
    }
}

impl<T: High + Low + Close> Next<&T> for WilderAtr {
    type Output = Option<f64>;
    fn next(&mut self, bar: &T) -> Option<f64> {
        self.push(bar.high(), bar.low(), bar.close())
    }
}

impl Reset for WilderAtr {
    fn reset(&mut self) {
        self.prev_close = None;
        self.mean.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilder_mean_seeds_with_the_simple_mean_then_smooths_by_one_over_n() {
        let mut m = WilderMean::new(3);
        assert_eq!(m.push(1.0), None);
        assert_eq!(m.push(2.0), None);
        assert_eq!(m.push(3.0), Some(2.0));
        // (2 × 2 + 5) / 3 = 3
        assert_eq!(m.push(5.0), Some(3.0));
        m.reset();
        assert_eq!(m.push(9.0), None);
    }

    #[test]
    fn rsi_table() {
        // (closes, expected last value)
        let cases: [(&[f64], Option<f64>); 4] = [
            (&[1.0, 2.0], None),
            (&[1.0, 2.0, 3.0], Some(100.0)),
            (&[3.0, 2.0, 1.0], Some(0.0)),
            // gains 1, 0 → 0.5; losses 0, 1 → 0.5 → 50
            (&[1.0, 2.0, 1.0], Some(50.0)),
        ];
        for (closes, want) in cases {
            let mut rsi = WilderRsi::new(2);
            let mut got = None;
            for c in closes {
                got = rsi.next(*c);
            }
            assert_eq!(got, want, "{closes:?}");
        }
    }

    #[test]
    fn flat_series_gives_zero_rsi_like_talib() {
        let mut rsi = WilderRsi::new(2);
        let out: Vec<_> = [5.0, 5.0, 5.0].iter().map(|c| rsi.next(*c)).collect();
        assert_eq!(out, vec![None, None, Some(0.0)]);
    }

    #[test]
    fn atr_uses_gaps_in_the_true_range() {
        let mut atr = WilderAtr::new(2);
        assert_eq!(atr.push(11.0, 9.0, 10.0), None);
        // gap up: TR = high − prev close = 15 − 10 = 5 (range is only 2)
        assert_eq!(atr.push(15.0, 13.0, 14.0), None);
        // TR = 2 → seed mean (5 + 2) / 2 = 3.5
        assert_eq!(atr.push(15.0, 13.0, 14.0), Some(3.5));
        atr.reset();
        assert_eq!(atr.push(15.0, 13.0, 14.0), None);
    }
}
