//! What live market hours add to the screen: the bar still forming per symbol and the market
//! clock. Kept beside the store's closed bars, never mixed into them (the engine sees closed
//! bars only).

use crate::market_clock::MarketState;
use crate::model::{Bar, Symbol};

#[derive(Debug, Clone, Default)]
pub struct LiveView {
    forming: [Option<Bar>; Symbol::COUNT],
    pub market: Option<MarketState>,
}

impl LiveView {
    pub fn set_forming(&mut self, symbol: Symbol, bar: Bar) {
        self.forming[symbol.index()] = Some(bar);
    }

    /// The forming bar, while it is newer than the last closed one (once the closed bar of its
    /// period arrives, the closed one is the truth).
    pub fn forming(&self, symbol: Symbol, last_closed: Option<&Bar>) -> Option<&Bar> {
        self.forming[symbol.index()]
            .as_ref()
            .filter(|f| last_closed.is_none_or(|c| f.time > c.time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_closed_bar_of_the_same_period_hides_the_forming_one() {
        let day = |d| Bar {
            time: Utc.with_ymd_and_hms(2025, 2, d, 5, 0, 0).unwrap(),
            open: 1.0,
            high: 1.0,
            low: 1.0,
            close: 1.0,
            volume: 1.0,
        };
        let mut v = LiveView::default();
        v.set_forming(Symbol::Iwm, day(24));
        assert!(v.forming(Symbol::Iwm, Some(&day(21))).is_some());
        assert!(v.forming(Symbol::Iwm, Some(&day(24))).is_none());
        assert!(v.forming(Symbol::Twm, None).is_none());
    }
}
