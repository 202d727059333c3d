//! Market bars and the instruments they belong to.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One OHLCV bar. Time is the bar's start, in UTC (daily bars: the session date at 00:00 New York).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    pub time: DateTime<Utc>,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

/// Prices and volumes beyond any a listed share has printed: a bar past them is a vendor's or a
/// file's error, refused like a negative price.
pub const MAX_PRICE: f64 = 1e7;
pub const MAX_VOLUME: f64 = 1e13;

/// Prices as prices: to cents, or with as many more digits (up to 6) as it takes for prices
/// that differ to read differently (a warning must show the inequality it is about).
fn prices_apart<const N: usize>(p: [f64; N]) -> [String; N] {
    let at = |dp: usize| p.map(|x| format!("{x:.dp$}"));
    (2..6)
        .map(at)
        .find(|s| (0..N).all(|i| (0..N).all(|j| p[i] == p[j] || s[i] != s[j])))
        .unwrap_or_else(|| at(6))
}

impl Bar {
    /// Why this bar cannot have happened, if it cannot.
    #[inline]
    pub fn impossibility(&self) -> Option<String> {
        // Every bar is checked: the common answer without the cold path's call and slices.
        if self.plausible() {
            return None;
        }
        self.why_impossible()
    }

    /// Whether `impossibility` is `None`, in plain comparisons: a NaN fails every one of them,
    /// and a price in (0, MAX_PRICE] or a volume in [0, MAX_VOLUME] is finite. Every test is
    /// evaluated and combined with `&`, not `&&`: the same answer without a branch per test
    /// (real bars pass them all, so short-circuiting saves nothing). The session and the engine
    /// both ask it of every bar.
    #[inline]
    pub fn plausible(&self) -> bool {
        let in_range = |p: f64| (p > 0.0) & (p <= MAX_PRICE);
        let tol = 1e-9 * self.high.abs().max(1.0);
        in_range(self.open)
            & in_range(self.high)
            & in_range(self.low)
            & in_range(self.close)
            & (self.volume >= 0.0)
            & (self.volume <= MAX_VOLUME)
            & (self.high >= self.low)
            & (self.open <= self.high + tol)
            & (self.open >= self.low - tol)
            & (self.close <= self.high + tol)
            & (self.close >= self.low - tol)
    }

    #[cold]
    #[inline(never)]
    fn why_impossible(&self) -> Option<String> {
        let prices = [self.open, self.high, self.low, self.close];
        if prices.iter().any(|p| !p.is_finite()) || !self.volume.is_finite() {
            return Some("non-finite price or volume".into());
        }
        if prices.iter().any(|p| *p <= 0.0) {
            return Some("non-positive price".into());
        }
        // One 1e308 poisoned every average after it for the rest of a file.
        if let Some(p) = prices.iter().find(|p| **p > MAX_PRICE) {
            return Some(format!(
                "price {p:e} above {MAX_PRICE:e}, no share trades there"
            ));
        }
        if self.volume > MAX_VOLUME {
            return Some(format!("volume {:e} above {MAX_VOLUME:e}", self.volume));
        }
        if self.volume < 0.0 {
            return Some(format!("negative volume {}", self.volume));
        }
        if self.high < self.low {
            let [h, l] = prices_apart([self.high, self.low]);
            return Some(format!("high {h} < low {l}"));
        }
        // Vendors round adjusted prices independently; allow a hair of float noise.
        let tol = 1e-9 * self.high.abs().max(1.0);
        if self.open > self.high + tol || self.open < self.low - tol {
            let [o, l, h] = prices_apart([self.open, self.low, self.high]);
            return Some(format!("open {o} outside [low {l}, high {h}]"));
        }
        if self.close > self.high + tol || self.close < self.low - tol {
            let [c, l, h] = prices_apart([self.close, self.low, self.high]);
            return Some(format!("close {c} outside [low {l}, high {h}]"));
        }
        None
    }
}

/// The instruments: IWM carries every signal; TWM/SRTY are the Bear's vehicles; QQQ and SPY can
/// only be the trader's book (hedge mode), which no agent trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Symbol {
    #[serde(rename = "IWM")]
    Iwm,
    #[serde(rename = "TWM")]
    Twm,
    #[serde(rename = "SRTY")]
    Srty,
    #[serde(rename = "QQQ")]
    Qqq,
    #[serde(rename = "SPY")]
    Spy,
}

impl Symbol {
    /// The thesis instruments every feed brings, in the order files are given (IWM, TWM, SRTY).
    pub const ALL: [Symbol; 3] = [Symbol::Iwm, Symbol::Twm, Symbol::Srty];
    /// Every instrument, in `index()` order (a book symbol's bars come only when the book needs them).
    pub const EVERY: [Symbol; 5] = [
        Symbol::Iwm,
        Symbol::Twm,
        Symbol::Srty,
        Symbol::Qqq,
        Symbol::Spy,
    ];
    /// How many instruments there are: the length of per-symbol arrays.
    pub const COUNT: usize = 5;

    pub fn as_str(self) -> &'static str {
        match self {
            Symbol::Iwm => "IWM",
            Symbol::Twm => "TWM",
            Symbol::Srty => "SRTY",
            Symbol::Qqq => "QQQ",
            Symbol::Spy => "SPY",
        }
    }

    /// Daily leverage against IWM: +1, −2, −3. Beta dollars = leverage × position value.
    /// QQQ and SPY are not leveraged IWM: their IWM beta is measured (the engine's 250-bar
    /// regression); 1 here is only their nominal leverage, and they are only ever the book.
    pub fn leverage(self) -> i32 {
        match self {
            Symbol::Iwm | Symbol::Qqq | Symbol::Spy => 1,
            Symbol::Twm => -2,
            Symbol::Srty => -3,
        }
    }

    /// A symbol that can be the trader's book.
    pub fn can_be_book(self) -> bool {
        matches!(self, Symbol::Iwm | Symbol::Qqq | Symbol::Spy)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Symbol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "IWM" => Ok(Symbol::Iwm),
            "TWM" => Ok(Symbol::Twm),
            "SRTY" => Ok(Symbol::Srty),
            "QQQ" => Ok(Symbol::Qqq),
            "SPY" => Ok(Symbol::Spy),
            other => Err(format!(
                "unknown symbol `{other}` (expected IWM, TWM, SRTY, QQQ or SPY)"
            )),
        }
    }
}

/// Bar lengths the feeds and the chart know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Timeframe {
    #[serde(rename = "1Min")]
    Min1,
    #[serde(rename = "5Min")]
    Min5,
    #[serde(rename = "15Min")]
    Min15,
    #[serde(rename = "1Hour")]
    Hour1,
    #[serde(rename = "1Day")]
    Day1,
}

impl Timeframe {
    pub const ALL: [Timeframe; 5] = [
        Timeframe::Min1,
        Timeframe::Min5,
        Timeframe::Min15,
        Timeframe::Hour1,
        Timeframe::Day1,
    ];

    /// Alpaca's spelling, also used in config and on the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Timeframe::Min1 => "1Min",
            Timeframe::Min5 => "5Min",
            Timeframe::Min15 => "15Min",
            Timeframe::Hour1 => "1Hour",
            Timeframe::Day1 => "1Day",
        }
    }

    /// Short label for the chart title.
    pub fn label(self) -> &'static str {
        match self {
            Timeframe::Min1 => "1m",
            Timeframe::Min5 => "5m",
            Timeframe::Min15 => "15m",
            Timeframe::Hour1 => "1h",
            Timeframe::Day1 => "1D",
        }
    }

    pub fn seconds(self) -> i64 {
        match self {
            Timeframe::Min1 => 60,
            Timeframe::Min5 => 300,
            Timeframe::Min15 => 900,
            Timeframe::Hour1 => 3600,
            Timeframe::Day1 => 86_400,
        }
    }

    pub fn is_intraday(self) -> bool {
        self != Timeframe::Day1
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Timeframe {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Timeframe::ALL
            .into_iter()
            .find(|tf| tf.as_str().eq_ignore_ascii_case(t) || tf.label().eq_ignore_ascii_case(t))
            .ok_or_else(|| {
                format!("unknown timeframe `{t}` (expected 1Min, 5Min, 15Min, 1Hour or 1Day)")
            })
    }
}

/// A daily bar of April 2025 stamped at New York midnight, volume 1 M: the tests' usual bar.
#[cfg(test)]
pub(crate) fn test_bar(day: u32, o: f64, h: f64, l: f64, c: f64) -> Bar {
    use chrono::TimeZone;
    Bar {
        time: Utc.with_ymd_and_hms(2025, 4, day, 4, 0, 0).unwrap(),
        open: o,
        high: h,
        low: l,
        close: c,
        volume: 1e6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn bar(o: f64, h: f64, l: f64, c: f64, v: f64) -> Bar {
        Bar {
            time: Utc.with_ymd_and_hms(2025, 1, 2, 5, 0, 0).unwrap(),
            open: o,
            high: h,
            low: l,
            close: c,
            volume: v,
        }
    }

    #[test]
    fn impossible_bars_are_named() {
        let cases = [
            (bar(10.0, 9.0, 11.0, 10.0, 1.0), "high"),
            (bar(12.0, 11.0, 9.0, 10.0, 1.0), "open"),
            (bar(10.0, 11.0, 9.0, 8.0, 1.0), "close"),
            (bar(f64::NAN, 11.0, 9.0, 10.0, 1.0), "non-finite"),
            (bar(0.0, 11.0, 0.0, 10.0, 1.0), "non-positive"),
            (bar(10.0, 11.0, 9.0, 10.0, -5.0), "negative volume"),
        ];
        for (b, want) in cases {
            let why = b.impossibility().expect("should be impossible");
            assert!(why.contains(want), "{why} should mention {want}");
        }
        assert!(bar(10.0, 11.0, 9.0, 10.5, 0.0).impossibility().is_none());
    }

    #[test]
    fn plausible_is_exactly_no_impossibility() {
        use rand::rngs::SmallRng;
        use rand::{Rng, SeedableRng};
        let special = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            -1.0,
            MAX_PRICE,
            MAX_PRICE * 1.000_001,
            MAX_VOLUME,
            MAX_VOLUME * 1.000_001,
            10.0,
            10.0 + 5e-9,
            10.0 - 5e-9,
            10.0 + 2e-8,
        ];
        let mut rng = SmallRng::seed_from_u64(27);
        let pick = |rng: &mut SmallRng| {
            if rng.gen_bool(0.5) {
                special[rng.gen_range(0..special.len())]
            } else {
                rng.gen_range(9.0..11.0)
            }
        };
        for _ in 0..200_000 {
            let v = [(); 5].map(|_| pick(&mut rng));
            let b = bar(v[0], v[1], v[2], v[3], v[4]);
            assert_eq!(b.plausible(), b.why_impossible().is_none(), "{b:?}");
        }
    }

    #[test]
    fn symbols_and_timeframes_round_trip() {
        for (k, s) in Symbol::EVERY.into_iter().enumerate() {
            assert_eq!(s.as_str().parse::<Symbol>().unwrap(), s);
            assert_eq!(s.index(), k);
        }
        for t in Timeframe::ALL {
            assert_eq!(t.as_str().parse::<Timeframe>().unwrap(), t);
        }
        assert!("DIA".parse::<Symbol>().is_err());
    }
}
