//! Performance figures of an equity curve: return, CAGR, drawdown, Sharpe.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurveStats {
    pub total_return: f64,
    pub cagr: f64,
    pub max_drawdown: f64,
    pub sharpe: f64,
}

/// `years` is the calendar span; `periods_per_year` annualizes the per-bar Sharpe.
pub fn curve_stats(equity: &[f64], years: f64, periods_per_year: f64) -> CurveStats {
    let mut acc = CurveAcc::default();
    equity.iter().for_each(|&e| acc.push(e));
    acc.stats(years, periods_per_year)
}

/// The same figures in one pass and constant memory, so a backtest need not keep its curve:
/// running peak for the drawdown, Welford's mean and variance of the per-bar returns.
#[derive(Debug, Clone, Copy, Default)]
pub struct CurveAcc {
    first: Option<f64>,
    last: f64,
    peak: f64,
    max_drawdown: f64,
    returns: u64,
    mean: f64,
    m2: f64,
}

impl CurveAcc {
    pub fn push(&mut self, e: f64) {
        if self.first.is_none() {
            (self.first, self.last, self.peak) = (Some(e), e, e);
            return;
        }
        let r = e / self.last - 1.0;
        self.returns += 1;
        let d = r - self.mean;
        self.mean += d / self.returns as f64;
        self.m2 += d * (r - self.mean);
        self.peak = self.peak.max(e);
        self.max_drawdown = self.max_drawdown.max((self.peak - e) / self.peak);
        self.last = e;
    }

    pub fn last(&self) -> Option<f64> {
        self.first.map(|_| self.last)
    }

    pub fn stats(&self, years: f64, periods_per_year: f64) -> CurveStats {
        let Some(first) = self.first else {
            return CurveStats {
                total_return: 0.0,
                cagr: 0.0,
                max_drawdown: 0.0,
                sharpe: 0.0,
            };
        };
        let last = self.last;
        let cagr = if years > 0.0 && last > 0.0 {
            (last / first).powf(1.0 / years) - 1.0
        } else {
            0.0
        };
        let n = self.returns as f64;
        let var = if n > 1.0 { self.m2 / (n - 1.0) } else { 0.0 };
        let sharpe = if n > 1.0 && var > 0.0 {
            self.mean / var.sqrt() * periods_per_year.sqrt()
        } else {
            0.0
        };
        CurveStats {
            total_return: last / first - 1.0,
            cagr,
            max_drawdown: self.max_drawdown,
            sharpe,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_curves() {
        let s = curve_stats(&[100.0, 110.0, 99.0, 121.0], 1.0, 252.0);
        assert!((s.total_return - 0.21).abs() < 1e-12);
        assert!((s.cagr - 0.21).abs() < 1e-12);
        assert!((s.max_drawdown - 0.1).abs() < 1e-12);
        assert!(s.sharpe > 0.0);
        let flat = curve_stats(&[100.0, 100.0, 100.0], 2.0, 252.0);
        assert_eq!(
            (flat.total_return, flat.max_drawdown, flat.sharpe),
            (0.0, 0.0, 0.0)
        );
        let doubled = curve_stats(&[100.0, 400.0], 2.0, 252.0);
        assert!((doubled.cagr - 1.0).abs() < 1e-12);
    }

    #[test]
    fn one_pass_sharpe_matches_the_two_pass_formula() {
        let eq: Vec<f64> = (0..500)
            .map(|i| 100.0 + (i as f64 * 0.7).sin() * 5.0 + i as f64 * 0.01)
            .collect();
        let r: Vec<f64> = eq.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
        let n = r.len() as f64;
        let mean = r.iter().sum::<f64>() / n;
        let var = r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let two_pass = mean / var.sqrt() * 252f64.sqrt();
        let s = curve_stats(&eq, 2.0, 252.0);
        assert!(
            (s.sharpe - two_pass).abs() < 1e-9 * two_pass.abs().max(1.0),
            "{s:?}"
        );
    }
}
