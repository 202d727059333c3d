//! Position sizing, as the spec's "Position sizing" section: a Bear tier is a share of the hedged
//! IWM-beta dollars turned into vehicle shares through its leverage (optionally scaled by break
//! size and volatility), the Bull's full long a multiple of equity; both capped by the agents'
//! gross beta and by the size of the position.

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

/// Whole vehicle shares for `beta_dollars` of IWM-beta exposure: dollars / |L| / price.
pub fn shares_for_beta(beta_dollars: f64, lev: f64, price: f64) -> f64 {
    if !(lev > 0.0 && price > 0.0 && beta_dollars.is_finite()) {
        return 0.0;
    }
    (beta_dollars / lev / price).floor().max(0.0)
}

/// Which cap cut an order down, if one did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapHit {
    GrossBeta,
    Position,
}

/// The exposure an order would add to, and the caps it must stay under (dollars).
#[derive(Debug, Clone, Copy)]
pub struct Exposure {
    /// The agents' gross IWM-beta dollars may reach this (max_beta_exposure × hedged dollars).
    pub beta_cap: f64,
    /// The agents' gross IWM-beta dollars already held or proposed (Σ |L| × value).
    pub gross_beta: f64,
    /// The position in the order's symbol may reach this (a fraction of equity).
    pub position_cap: f64,
    /// Value already held (or proposed) in the order's symbol by the agents.
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
/// ≤ its cap, and the position's value, costs of buying included, ≤ its cap.
pub fn cap_shares(
    shares: f64,
    price: f64,
    lev: f64,
    x: Exposure,
    costs: BuyCosts,
) -> (f64, Option<CapHit>) {
    if !(price > 0.0 && lev > 0.0 && x.beta_cap > 0.0 && x.position_cap > 0.0) {
        return (0.0, None);
    }
    let beta_room = (x.beta_cap - x.gross_beta).max(0.0) / (lev * price);
    let per_share = price * (1.0 + costs.slippage) + costs.per_share;
    let pos_room = (x.position_cap - x.position_value - costs.min).max(0.0) / per_share;
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
    fn a_tier_is_a_third_of_the_hedged_beta_through_the_leverage() {
        // $100k book, 1/3 per tier, TWM (L = 2) at $25: $33,333 / 2 / 25 = 666 shares
        assert_eq!(shares_for_beta(100_000.0 / 3.0, 2.0, 25.0), 666.0);
        // SRTY (L = 3): a third less capital for the same beta
        assert_eq!(shares_for_beta(100_000.0 / 3.0, 3.0, 25.0), 444.0);
        assert_eq!(shares_for_beta(f64::NAN, 2.0, 25.0), 0.0);
        assert_eq!(shares_for_beta(1000.0, 2.0, 0.0), 0.0);
    }

    #[test]
    fn caps_table() {
        let flat = Exposure {
            beta_cap: 100_000.0,
            gross_beta: 0.0,
            position_cap: 30_000.0,
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
            assert_eq!(cap_shares(s, p, l, x, free), (want, hit), "{s} @ {p}");
        }
    }

    #[test]
    fn a_position_capped_with_costs_stays_under_the_cap_the_gate_checks() {
        // 30 % of $100,000, 5 bps slippage and a commission.
        let cap = 30_000.0;
        let costs = BuyCosts {
            slippage: 0.0005,
            per_share: 0.005,
            min: 1.0,
        };
        let x = Exposure {
            beta_cap: 100_000.0,
            gross_beta: 0.0,
            position_cap: cap,
            position_value: 0.0,
        };
        let (n, hit) = cap_shares(5_000.0, 36.76, 2.0, x, costs);
        assert_eq!(hit, Some(CapHit::Position));
        let paid = n * 36.76 * 1.0005 + (n * 0.005).max(1.0);
        assert!(paid <= cap, "{n} shares cost {paid}");
        // without the costs the same cap buys one share more: the one the gate refused
        let (bare, _) = cap_shares(5_000.0, 36.76, 2.0, x, BuyCosts::default());
        assert!(bare > n, "{bare} vs {n}");
    }

    #[test]
    fn vehicle_stop_moves_against_iwm_with_leverage() {
        // IWM stop 2 % above entry → a −2× vehicle stop 4 % below its price
        assert!((vehicle_stop(25.0, 2.0, 204.0, 200.0) - 24.0).abs() < 1e-12);
    }
}
