//! Position sizing, as the spec's "Position sizing" section: a risk budget scaled by break size
//! and volatility, turned into vehicle shares through the IWM-terms stop distance, then capped
//! by gross beta exposure and by the size of one position.

use rust_decimal::Decimal;

use crate::config::RiskConfig;

/// Bear scale: clamp(base + per_m · m, min, max). Bigger breaks earn bigger size.
pub fn bear_scale(m: f64, r: &RiskConfig) -> f64 {
    (r.scale_base + r.scale_per_m * m).clamp(r.scale_min, r.scale_max)
}

/// Volatility adjustment: clamp(median ATR% / current ATR%, vol_min, vol_max); 1 when unknown.
pub fn vol_adjust(median_atr_pct: Option<f64>, atr_pct: f64, r: &RiskConfig) -> f64 {
    match median_atr_pct {
        Some(m) if atr_pct > 0.0 && m > 0.0 => (m / atr_pct).clamp(r.vol_min, r.vol_max),
        _ => 1.0,
    }
}

/// Risk budget in dollars: equity × per_trade × scale × vol adj.
pub fn risk_budget(equity: f64, scale: f64, vol_adj: f64, r: &RiskConfig) -> f64 {
    (equity * r.per_trade * scale * vol_adj).max(0.0)
}

/// Whole shares of a vehicle of leverage `lev` (absolute) for a risk budget, with the stop
/// distance d = |reference − stop| / reference measured in IWM terms: dollars = risk / (L · d).
pub fn shares_for_risk(risk: f64, reference: f64, stop: f64, lev: f64, price: f64) -> f64 {
    let d = (reference - stop).abs() / reference;
    if !(d > 0.0 && lev > 0.0 && price > 0.0 && risk.is_finite()) {
        return 0.0;
    }
    (risk / (lev * d) / price).floor().max(0.0)
}

/// Which cap cut an order down, if one did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapHit {
    GrossBeta,
    Position,
}

/// The exposure an order would add to.
#[derive(Debug, Clone, Copy)]
pub struct Exposure {
    pub equity: f64,
    /// Gross IWM-beta dollars already held (Σ |L| × value).
    pub gross_beta: f64,
    /// Value already held in the order's symbol.
    pub position_value: f64,
}

/// What buying costs beyond the price, as the risk gate counts it against the position cap
/// (slippage and commission): sized without it, a capped order is one the gate then refuses.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BuyCosts {
    /// Fraction of price.
    pub slippage: f64,
    pub per_share: f64,
    pub min: f64,
}

/// Cap `shares` of a symbol at `price` with leverage `lev` (absolute): gross beta after the order
/// ≤ max_beta_exposure × equity, and the position's value, costs of buying included,
/// ≤ max_position × equity.
pub fn cap_shares(
    shares: f64,
    price: f64,
    lev: f64,
    x: Exposure,
    r: &RiskConfig,
    costs: BuyCosts,
) -> (f64, Option<CapHit>) {
    if !(price > 0.0 && lev > 0.0 && x.equity > 0.0) {
        return (0.0, None);
    }
    let beta_room = (r.max_beta_exposure * x.equity - x.gross_beta).max(0.0) / (lev * price);
    let per_share = price * (1.0 + costs.slippage) + costs.per_share;
    let pos_room = (r.max_position * x.equity - x.position_value - costs.min).max(0.0) / per_share;
    let mut out = shares.max(0.0).floor();
    let mut hit = None;
    if out > pos_room.floor() {
        out = pos_room.floor();
        hit = Some(CapHit::Position);
    }
    if out > beta_room.floor() {
        out = beta_room.floor();
        hit = Some(CapHit::GrossBeta);
    }
    (out, hit)
}

/// Whole shares as a Decimal.
pub fn shares(x: f64) -> Decimal {
    Decimal::from(x.max(0.0).floor() as i64)
}

/// The Bear's IWM stop translated into the vehicle: an IWM move of −x % is a vehicle move of
/// about +L·x %, so a stop at IWM price S for an entry at IWM E and vehicle P is P·(1 − L·(S − E)/E).
pub fn vehicle_stop(p: f64, lev: f64, s: f64, e: f64) -> f64 {
    (p * (1.0 - lev * (s - e) / e)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn risk() -> RiskConfig {
        Config::default_config().risk
    }

    #[test]
    fn scale_and_vol_adjust_are_clamped() {
        let r = risk();
        // (m, scale)
        for (m, want) in [(0.0, 0.5), (1.4, 0.85), (3.3, 1.325), (10.0, 1.5)] {
            assert!((bear_scale(m, &r) - want).abs() < 1e-12, "m {m}");
        }
        // (median, current, adj)
        for (med, cur, want) in [
            (Some(0.02), 0.04, 0.5),
            (Some(0.02), 0.02, 1.0),
            (Some(0.03), 0.01, 1.5),
            (None, 0.02, 1.0),
        ] {
            assert!(
                (vol_adjust(med, cur, &r) - want).abs() < 1e-12,
                "{med:?} {cur}"
            );
        }
    }

    #[test]
    fn shares_follow_the_iwm_stop_distance_and_leverage() {
        // $500 risk, stop 2 % away, TWM (L = 2) at $25: $500 / (2 × 0.02) = $12,500 → 500 shares
        assert_eq!(shares_for_risk(500.0, 200.0, 204.0, 2.0, 25.0), 500.0);
        // IWM (L = 1) at $200 with the same stop: $25,000 → 125 shares
        assert_eq!(shares_for_risk(500.0, 200.0, 196.0, 1.0, 200.0), 125.0);
        // no distance → nothing
        assert_eq!(shares_for_risk(500.0, 200.0, 200.0, 1.0, 200.0), 0.0);
        assert_eq!(risk_budget(100_000.0, 1.1, 0.8, &risk()), 440.0);
    }

    #[test]
    fn caps_table() {
        let r = risk();
        let flat = Exposure {
            equity: 100_000.0,
            gross_beta: 0.0,
            position_value: 0.0,
        };
        // (shares, price, lev, exposure, want, hit)
        let cases = [
            (100.0, 25.0, 2.0, flat, 100.0, None),
            // 30 % of $100k = $30k → 1200 shares of a $25 vehicle
            (5000.0, 25.0, 2.0, flat, 1200.0, Some(CapHit::Position)),
            // $90k of beta held, room $10k / (2 × 25) = 200 shares
            (
                1000.0,
                25.0,
                2.0,
                Exposure {
                    gross_beta: 90_000.0,
                    ..flat
                },
                200.0,
                Some(CapHit::GrossBeta),
            ),
            (
                1000.0,
                25.0,
                2.0,
                Exposure {
                    gross_beta: 120_000.0,
                    ..flat
                },
                0.0,
                Some(CapHit::GrossBeta),
            ),
        ];
        for (s, p, l, x, want, hit) in cases {
            let free = BuyCosts::default();
            assert_eq!(cap_shares(s, p, l, x, &r, free), (want, hit), "{s} @ {p}");
        }
    }

    #[test]
    fn a_position_capped_with_costs_stays_under_the_cap_the_gate_checks() {
        // The default config: 30 % of $100,000, 2 bps slippage-like costs and a commission.
        let r = risk();
        let costs = BuyCosts {
            slippage: 0.0005,
            per_share: 0.005,
            min: 1.0,
        };
        let x = Exposure {
            equity: 100_000.0,
            gross_beta: 0.0,
            position_value: 0.0,
        };
        let (n, hit) = cap_shares(5_000.0, 36.76, 2.0, x, &r, costs);
        assert_eq!(hit, Some(CapHit::Position));
        let paid = n * 36.76 * 1.0005 + (n * 0.005).max(1.0);
        assert!(paid <= r.max_position * 100_000.0, "{n} shares cost {paid}");
        // without the costs the same cap buys one share more: the one the gate refused
        let (bare, _) = cap_shares(5_000.0, 36.76, 2.0, x, &r, BuyCosts::default());
        assert!(bare > n, "{bare} vs {n}");
    }

    #[test]
    fn vehicle_stop_moves_against_iwm_with_leverage() {
        // IWM stop 2 % above entry → a −2× vehicle stop 4 % below its price
        assert!((vehicle_stop(25.0, 2.0, 204.0, 200.0) - 24.0).abs() < 1e-12);
    }
}
