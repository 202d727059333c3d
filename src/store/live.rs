//! What live market hours add to the screen: the bar still forming per symbol and the market
//! clock. Kept beside the store's closed bars, never mixed into them (the engine sees closed
//! bars only).

use crate::model::{Bar, MarketState, Symbol};

#[derive(Debug, Clone, Default)]
pub struct LiveView {
    forming: [Option<Bar>; Symbol::COUNT],
    pub market: Option<MarketState>,
}

impl LiveView {
    /// A forming bar of the same period as the one held merges with it: REST's partial bar at
    /// connect knows the day's open and range, the stream's first minutes only their own, and
    /// both are the same day seen in part (the open stays the first known; the range widens).
    pub fn set_forming(&mut self, symbol: Symbol, bar: Bar) {
        let slot = &mut self.forming[symbol.index()];
        *slot = Some(match *slot {
            Some(old) if old.time == bar.time => Bar {
                open: old.open,
                high: old.high.max(bar.high),
                low: old.low.min(bar.low),
                volume: old.volume.max(bar.volume),
                ..bar
            },
            _ => bar,
        });
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

    /// REST's partial bar at connect, then the stream's bar of the minutes since: one day.
    #[test]
    fn forming_bars_of_one_period_merge_and_a_new_period_replaces() {
        let t = Utc.with_ymd_and_hms(2025, 2, 24, 5, 0, 0).unwrap();
        let bar = |time, open, high, low, close| Bar {
            time,
            open,
            high,
            low,
            close,
            volume: 10.0,
        };
        let mut v = LiveView::default();
        v.set_forming(Symbol::Iwm, bar(t, 216.0, 217.5, 213.0, 214.0));
        v.set_forming(Symbol::Iwm, bar(t, 213.9, 214.2, 213.5, 213.8));
        let got = *v.forming(Symbol::Iwm, None).unwrap();
        assert_eq!(
            (got.open, got.high, got.low, got.close),
            (216.0, 217.5, 213.0, 213.8)
        );
        let next = t + chrono::Duration::days(1);
        v.set_forming(Symbol::Iwm, bar(next, 213.0, 213.1, 212.9, 213.0));
        assert_eq!(v.forming(Symbol::Iwm, None).unwrap().open, 213.0);
    }
}
