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
    pub fn to_signal(&self) -> Signal {
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
            // Written out when first read (the Decide pane, the journal): a backtest never does.
            reasons: self
                .reasons
                .iter()
                .map(|w| Reason {
                    kind: w.kind(),
                    text: ReasonText::deferred(w.clone()),
                })
                .collect(),
        }
    }
}
