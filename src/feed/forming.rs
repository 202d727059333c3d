//! The bar still forming, built from the stream: minute bars, their late corrections
//! (`updatedBars`) and, for daily bars, Alpaca's running daily bar. Pure: fed messages, it answers
//! the forming bar of the primary timeframe, so it unit-tests without a socket.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::alpaca::session::ny_date;
use crate::model::ny_day::ny_midnight;
use crate::model::{Bar, Symbol, Timeframe};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// A minute bar, final for its minute.
    Minute,
    /// A minute bar re-sent with late trades: replaces the one of the same minute.
    Corrected,
    /// Alpaca's running daily bar of today.
    Daily,
}

#[derive(Debug, Default, Clone)]
struct State {
    period: Option<DateTime<Utc>>,
    minutes: BTreeMap<DateTime<Utc>, Bar>,
    daily: Option<Bar>,
    /// Close of the most recent message about the newest minute (or the running daily bar).
    close: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Forming {
    timeframe: Timeframe,
    states: [State; Symbol::COUNT],
}

/// Start of the `tf` bar that `t` falls in: midnight New York for daily bars (Alpaca's stamp),
/// multiples of the bar length since the epoch for intraday (Alpaca aligns 5Min, 1Hour so).
pub fn period_start(tf: Timeframe, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if tf.is_intraday() {
        let len = tf.seconds();
        DateTime::from_timestamp(t.timestamp().div_euclid(len) * len, 0)
    } else {
        ny_midnight(ny_date(t))
    }
}

impl Forming {
    pub fn new(timeframe: Timeframe) -> Self {
        Forming {
            timeframe,
            states: Default::default(),
        }
    }

    /// Take one streamed bar; the symbol's forming bar when this changed it.
    pub fn apply(&mut self, symbol: Symbol, update: Update, bar: Bar) -> Option<Bar> {
        if update == Update::Daily && self.timeframe.is_intraday() {
            return None;
        }
        let p = period_start(self.timeframe, bar.time)?;
        let st = &mut self.states[symbol.index()];
        match st.period {
            Some(cur) if p < cur => return None,
            Some(cur) if p == cur => {}
            _ => {
                *st = State {
                    period: Some(p),
                    ..State::default()
                }
            }
        }
        match update {
            Update::Daily => {
                st.daily = Some(bar);
                st.close = Some(bar.close);
            }
            Update::Minute | Update::Corrected => {
                let newest = st.minutes.keys().next_back().is_none_or(|t| bar.time >= *t);
                st.minutes.insert(bar.time, bar);
                if newest {
                    st.close = Some(bar.close);
                }
            }
        }
        compose(st)
    }
}

fn compose(st: &State) -> Option<Bar> {
    let time = st.period?;
    let mut it = st.minutes.values();
    let agg = it.next().map(|first| {
        it.fold(*first, |a, b| Bar {
            time: a.time,
            open: a.open,
            high: a.high.max(b.high),
            low: a.low.min(b.low),
            close: b.close,
            volume: a.volume + b.volume,
        })
    });
    let mut bar = match (st.daily, agg) {
        (Some(d), Some(a)) => Bar {
            time,
            open: d.open,
            high: d.high.max(a.high),
            low: d.low.min(a.low),
            close: d.close,
            // The running daily bar lags a minute; the minutes may have counted more already.
            volume: d.volume.max(a.volume),
        },
        (Some(d), None) => d,
        (None, Some(a)) => a,
        (None, None) => return None,
    };
    bar.time = time;
    if let Some(c) = st.close {
        bar.close = c;
    }
    bar.high = bar.high.max(bar.close);
    bar.low = bar.low.min(bar.close);
    Some(bar)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn bar(h: u32, m: u32, o: f64, hi: f64, lo: f64, c: f64, v: f64) -> Bar {
        Bar {
            time: Utc.with_ymd_and_hms(2025, 2, 24, h, m, 0).unwrap(),
            open: o,
            high: hi,
            low: lo,
            close: c,
            volume: v,
        }
    }

    #[test]
    fn minutes_make_the_daily_bar_and_corrections_replace_their_minute() {
        let mut f = Forming::new(Timeframe::Day1);
        f.apply(
            Symbol::Iwm,
            Update::Minute,
            bar(14, 30, 215.0, 215.5, 214.8, 215.2, 100.0),
        );
        let b = f
            .apply(
                Symbol::Iwm,
                Update::Minute,
                bar(14, 31, 215.2, 215.3, 213.9, 214.0, 50.0),
            )
            .unwrap();
        // Stamped like Alpaca's daily bar: midnight New York (05:00 UTC in February).
        assert_eq!(b.time, Utc.with_ymd_and_hms(2025, 2, 24, 5, 0, 0).unwrap());
        assert_eq!(
            (b.open, b.high, b.low, b.close, b.volume),
            (215.0, 215.5, 213.9, 214.0, 150.0)
        );
        // The first minute corrected with a late print: its volume and high change, the close
        // (owned by the newest minute) does not.
        let b = f
            .apply(
                Symbol::Iwm,
                Update::Corrected,
                bar(14, 30, 215.0, 216.0, 214.8, 215.1, 120.0),
            )
            .unwrap();
        assert_eq!((b.high, b.close, b.volume), (216.0, 214.0, 170.0));
    }

    #[test]
    fn the_running_daily_bar_wins_open_and_extremes() {
        let mut f = Forming::new(Timeframe::Day1);
        f.apply(
            Symbol::Iwm,
            Update::Minute,
            bar(15, 0, 214.5, 214.6, 214.2, 214.3, 10.0),
        );
        let mut d = bar(5, 0, 215.0, 216.2, 213.8, 214.4, 9000.0);
        d.time = Utc.with_ymd_and_hms(2025, 2, 24, 5, 0, 0).unwrap();
        let b = f.apply(Symbol::Iwm, Update::Daily, d).unwrap();
        assert_eq!(
            (b.open, b.high, b.low, b.close, b.volume),
            (215.0, 216.2, 213.8, 214.4, 9000.0)
        );
        // Other symbols are untouched; a new day starts afresh.
        assert!(f.apply(Symbol::Twm, Update::Daily, d).is_some());
        let mut next = bar(14, 30, 210.0, 210.5, 209.5, 210.1, 5.0);
        next.time += chrono::Duration::days(1);
        let b = f.apply(Symbol::Iwm, Update::Minute, next).unwrap();
        assert_eq!((b.open, b.volume), (210.0, 5.0));
        // A late message about yesterday is ignored.
        assert!(f.apply(Symbol::Iwm, Update::Daily, d).is_none());
    }

    #[test]
    fn intraday_periods_align_and_ignore_daily_bars() {
        let mut f = Forming::new(Timeframe::Min5);
        let b = f
            .apply(
                Symbol::Iwm,
                Update::Minute,
                bar(14, 33, 1.0, 2.0, 0.5, 1.5, 1.0),
            )
            .unwrap();
        assert_eq!(
            b.time,
            Utc.with_ymd_and_hms(2025, 2, 24, 14, 30, 0).unwrap()
        );
        let b = f
            .apply(
                Symbol::Iwm,
                Update::Minute,
                bar(14, 35, 1.5, 1.6, 1.4, 1.45, 1.0),
            )
            .unwrap();
        assert_eq!(
            (b.time.format("%H:%M").to_string(), b.open),
            ("14:35".into(), 1.5)
        );
        assert!(f
            .apply(
                Symbol::Iwm,
                Update::Daily,
                bar(5, 0, 1.0, 1.0, 1.0, 1.0, 1.0)
            )
            .is_none());
    }
}
