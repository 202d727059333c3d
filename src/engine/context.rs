//! What an agent sees on a bar, and the proposal it hands back for the engine to size and number.

use chrono::{DateTime, Utc};

use super::indicators::Snapshot;
use super::ledger::Book;
use std::sync::Arc;

use super::why::Why;
use crate::model::{Agent, Bar, ShortEvidence, Side, SignalKind, Symbol};

/// One IWM bar with its indicators; built only when the ATR is known.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub seq: u64,
    pub bar: &'a Bar,
    pub prev_high: Option<f64>,
    pub ind: &'a Snapshot,
    pub atr: f64,
}

impl Ctx<'_> {
    pub fn close(&self) -> f64 {
        self.bar.close
    }
    pub fn time(&self) -> DateTime<Utc> {
        self.bar.time
    }
}

/// The last IWM bar as an agent needs it to take charge of shares it did not propose.
#[derive(Debug, Clone, Copy)]
pub struct AdoptAt {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub close: f64,
    pub low: f64,
    pub atr: f64,
}

/// How the engine turns a proposal into a quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sizing {
    /// A Bear tier: a share of the hedged beta dollars (m, the break in ATRs, for the break scale).
    BearBeta { m: f64 },
    /// The Bull's full long (book mode): `bull.beta` × equity.
    BullBeta,
    /// A fraction of the Bear's beta exposure (the counter-trend hedge).
    HedgeOfBear { fraction: f64 },
    /// Sell what this book really holds.
    Exit(Book),
}

/// An agent's proposal before sizing: the engine adds id, quantity, prices and sizing reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub agent: Agent,
    pub kind: SignalKind,
    pub symbol: Symbol,
    pub side: Side,
    pub stop_iwm: Option<f64>,
    pub confidence: f64,
    pub reasons: Vec<Why>,
    pub sizing: Sizing,
}

/// Short-interest validation, worked out once per evidence update (daily), not per signal: each
/// fact that holds raises confidence, each that does not (or is missing) lowers it a little; it
/// never blocks. `delta` is the change, `reasons` cite the facts.
#[derive(Debug, Clone, PartialEq)]
pub struct ShortCheck {
    pub delta: f64,
    pub reasons: Vec<Why>,
}

impl ShortCheck {
    pub fn new(evidence: Option<&ShortEvidence>) -> Self {
        let Some(ev) = evidence else {
            return ShortCheck {
                delta: -0.10,
                reasons: vec![Why::NoShortData],
            };
        };
        let slots = [
            ("short interest rising", &ev.short_interest_rising),
            (
                "short-volume ratio above its mean",
                &ev.short_volume_above_mean,
            ),
            ("leveraged funds at a 52-week low", &ev.lev_funds_at_52w_low),
        ];
        let mut delta = 0.0;
        let mut reasons = Vec::with_capacity(slots.len());
        for (name, fact) in slots {
            delta += match fact {
                Some(f) if f.holds => 0.10,
                Some(_) => -0.05,
                None => -0.03,
            };
            let fact = fact.clone().map(Arc::new);
            reasons.push(Why::ShortFact { name, fact });
        }
        ShortCheck { delta, reasons }
    }

    /// Append the reasons (cheap clones: the texts are shared) and return the change.
    pub fn apply(&self, reasons: &mut Vec<Why>) -> f64 {
        reasons.extend(self.reasons.iter().cloned());
        self.delta
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EvidenceFact, FactNumbers};

    #[test]
    fn short_interest_raises_lowers_and_cites() {
        let mut r = Vec::new();
        assert!((ShortCheck::new(None).apply(&mut r) + 0.10).abs() < 1e-12);
        assert!(r[0].to_string().contains("no short-interest data"));
        let day = chrono::NaiveDate::from_ymd_opt(2025, 7, 15).unwrap();
        let ev = ShortEvidence {
            short_interest_rising: Some(EvidenceFact {
                holds: true,
                numbers: FactNumbers::ShortInterest {
                    symbol: "IWM".into(),
                    shares: 120_100_000,
                    settled: day,
                    prev: 110_300_000,
                    prev_settled: None,
                },
            }),
            short_volume_above_mean: Some(EvidenceFact {
                holds: false,
                numbers: FactNumbers::ShortVolume {
                    symbol: "IWM".into(),
                    ratio: 0.41,
                    day,
                    mean: 0.45,
                    from: day,
                },
            }),
            lev_funds_at_52w_low: None,
        };
        let mut r = Vec::new();
        let d = ShortCheck::new(Some(&ev)).apply(&mut r);
        assert!((d - (0.10 - 0.05 - 0.03)).abs() < 1e-12);
        let r: Vec<String> = r.iter().map(ToString::to_string).collect();
        assert!(
            r[0].contains("120.10 M") && r[0].ends_with("(+0.10)"),
            "{}",
            r[0]
        );
        assert!(
            r[1].contains("41.0 %") && r[1].ends_with("(−0.05)"),
            "{}",
            r[1]
        );
        assert_eq!(r[2], "leveraged funds at a 52-week low: no data (−0.03)");
        assert_eq!(r.len(), 3);
    }
}
