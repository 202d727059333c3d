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
    let (Some(&first), Some(&last)) = (equity.first(), equity.last()) else {
        return CurveStats {
            total_return: 0.0,
            cagr: 0.0,
            max_drawdown: 0.0,
            sharpe: 0.0,
        };
    };
    let total_return = last / first - 1.0;
    let cagr = if years > 0.0 && last > 0.0 {
        (last / first).powf(1.0 / years) - 1.0
    } else {
        0.0
    };
    let mut peak = first;
    let mut max_drawdown: f64 = 0.0;
    for &e in equity {
        peak = peak.max(e);
        max_drawdown = max_drawdown.max((peak - e) / peak);
    }
    let returns: Vec<f64> = equity.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    let n = returns.len() as f64;
    let sharpe = if n > 1.0 {
        let mean = returns.iter().sum::<f64>() / n;
        let var = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
        if var > 0.0 {
            mean / var.sqrt() * periods_per_year.sqrt()
        } else {
            0.0
        }
    } else {
        0.0
    };
    CurveStats {
        total_return,
        cagr,
        max_drawdown,
        sharpe,
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
}
