//! A signal as the engine decides it: numbers, and the facts that fired it. `to_signal` turns it
//! into the app's `Signal` (decimal prices, reasons whose text is written when first read) at
//! the edge; the engine's per-bar path never formats text or builds decimals.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::why::Why;
use crate::broker::paper::price;
use crate::model::{Agent, Reason, ReasonText, Side, Signal, SignalKind, Symbol};

#[derive(Debug, Clone, PartialEq)]
pub struct SignalDraft {
    pub id: u64,
    pub time: DateTime<Utc>,
    pub agent: Agent,
    pub kind: SignalKind,
    pub symbol: Symbol,
    pub side: Side,
    pub qty: Decimal,
    /// The signal bar's close of `symbol` (None: no price of it seen yet).
    pub reference_price: Option<f64>,
    /// Protective stop in `symbol`'s own price.
    pub stop_price: Option<f64>,
    /// The same stop in IWM terms.
    pub iwm_stop: Option<f64>,
    pub confidence: f64,
    pub reasons: Vec<Why>,
}

impl SignalDraft {
    /// The signal of a draft still needed (tests, benches): see [`Self::into_signal`].
    pub fn to_signal(&self) -> Signal {
        self.clone().into_signal()
    }

    /// The signal the trader is asked about, priced in decimals; its facts move into the
    /// reasons, which share one allocation and are written out when first read (the Decide
    /// pane, the journal).
    pub fn into_signal(mut self) -> Signal {
        let whys = std::mem::take(&mut self.reasons);
        let reasons = ReasonText::deferred_each(whys, Why::kind)
            .map(|(kind, text)| Reason { kind, text })
            .collect();
        self.priced(reasons)
    }

    /// The same signal without its reasons, for a session nothing reads them in (a backtest:
    /// no Decide pane, no journal). Their shared allocation, and freeing it once the signal
    /// left the book, out of cache, were a tenth of a backtest's signal path.
    pub fn into_bare_signal(self) -> Signal {
        self.priced(Vec::new())
    }

    fn priced(self, reasons: Vec<Reason>) -> Signal {
        Signal {
            id: self.id,
            time: self.time,
            agent: self.agent,
            kind: self.kind,
            symbol: self.symbol,
            side: self.side,
            qty: self.qty,
            reference_price: self.reference_price.map(price).unwrap_or_default(),
            stop_price: self.stop_price.map(price),
            iwm_stop: self.iwm_stop,
            record: None,
            confidence: self.confidence,
            reasons,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_signal_says_each_reason_as_its_fact_reads() {
        let draft = SignalDraft {
            id: 7,
            time: Utc.with_ymd_and_hms(2025, 3, 4, 5, 0, 0).unwrap(),
            agent: Agent::Bull,
            kind: SignalKind::BullHedgeExit,
            symbol: Symbol::Iwm,
            side: Side::Sell,
            qty: Decimal::from(12),
            reference_price: Some(201.456),
            stop_price: None,
            iwm_stop: Some(199.5),
            confidence: 0.6,
            reasons: vec![
                Why::TimeStop { held: 3 },
                Why::HedgeJoins { entry: 201.456 },
                Why::NoShortData,
            ],
        };
        let whys = draft.reasons.clone();
        let draft_again = draft.clone();
        let moved = draft.into_signal();
        assert_eq!(
            (moved.id, moved.qty, moved.iwm_stop),
            (7, Decimal::from(12), Some(199.5))
        );
        assert_eq!(moved.reference_price.to_string(), "201.456");
        for (r, w) in moved.reasons.iter().zip(&whys) {
            assert_eq!(
                (r.kind, r.text.as_str()),
                (w.kind(), w.to_string().as_str())
            );
        }
        assert_eq!(moved.reasons.len(), 3);
        assert_eq!(
            moved.reasons[1].text.as_str(),
            "the hedge bought at 201.46 joins this position"
        );
        let bare = SignalDraft {
            reasons: whys,
            ..draft_again
        }
        .into_bare_signal();
        assert_eq!(
            bare,
            Signal {
                reasons: Vec::new(),
                ..moved
            },
            "a bare signal is the signal without its reasons"
        );
    }
}
