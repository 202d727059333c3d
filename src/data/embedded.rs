//! Real daily bars of IWM, TWM and SRTY, and of QQQ and SPY for a book of those (2016 to the end of
//! 2025), compiled into the binary so the
//! dashboard runs with no network and no files. Source: Yahoo Finance via yfinance, as published in
//! miguel-merlin/etf-directional-forecasting (`data/etfs/<T>.csv`); prices adjusted for splits and
//! dividends, which makes TWM/SRTY split-consistent.

use crate::model::{Bar, Symbol};

use super::loader::{load_bars, LoadWarning, Loaded};

const IWM: &str = include_str!("embedded/IWM.csv");
const TWM: &str = include_str!("embedded/TWM.csv");
const SRTY: &str = include_str!("embedded/SRTY.csv");
const QQQ: &str = include_str!("embedded/QQQ.csv");
const SPY: &str = include_str!("embedded/SPY.csv");

pub fn csv(symbol: Symbol) -> (&'static str, &'static str) {
    match symbol {
        Symbol::Iwm => ("embedded/IWM.csv", IWM),
        Symbol::Twm => ("embedded/TWM.csv", TWM),
        Symbol::Srty => ("embedded/SRTY.csv", SRTY),
        Symbol::Qqq => ("embedded/QQQ.csv", QQQ),
        Symbol::Spy => ("embedded/SPY.csv", SPY),
    }
}

/// The thesis series, parsed: clean data, no row skipped and no move to warn about.
pub fn load_all() -> (Vec<(Symbol, Loaded)>, Vec<LoadWarning>) {
    load(&Symbol::ALL)
}

/// The series of `symbols`, parsed, in that order. The symbols are parsed in parallel: the
/// parse is most of a backtest's start, and the serial part of a `--sweep` (it bounded two
/// threads to 1.74× one).
pub fn load(symbols: &[Symbol]) -> (Vec<(Symbol, Loaded)>, Vec<LoadWarning>) {
    use rayon::prelude::*;
    let out: Vec<(Symbol, Loaded)> = symbols
        .par_iter()
        .map(|&s| {
            let (name, text) = csv(s);
            (s, load_bars(name, text).expect("embedded data parses"))
        })
        .collect();
    let warnings = out
        .iter()
        .flat_map(|(_, l)| l.warnings.iter().cloned())
        .collect();
    (out, warnings)
}

/// The embedded bars of IWM, TWM and SRTY, and the rows skipped.
pub fn series() -> (Vec<(Symbol, Vec<Bar>)>, Vec<LoadWarning>) {
    series_of(&Symbol::ALL)
}

/// The embedded bars of `symbols` (IWM first: `Config::feed_symbols`), and the rows skipped.
pub fn series_of(symbols: &[Symbol]) -> (Vec<(Symbol, Vec<Bar>)>, Vec<LoadWarning>) {
    let (series, warnings) = load(symbols);
    (
        series.into_iter().map(|(s, l)| (s, l.bars)).collect(),
        warnings,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_series_cover_2016_to_2025() {
        let (series, _) = load(&Symbol::EVERY);
        for (s, l) in &series {
            assert!(l.daily, "{s}");
            assert!(l.bars.len() > 2400, "{s}: {}", l.bars.len());
            assert_eq!(l.bars[0].time.date_naive().to_string(), "2016-01-04", "{s}");
        }
    }

    /// The shipped data passes its own checks: a start never begins with a warning, and the
    /// three series end on the same session (the partial 2025-12-26 of TWM/SRTY is gone).
    #[test]
    fn embedded_data_is_clean_and_ends_together() {
        let (series, warnings) = load_all();
        assert!(warnings.is_empty(), "{warnings:?}");
        let last: Vec<_> = series
            .iter()
            .map(|(_, l)| l.bars.last().unwrap().time)
            .collect();
        assert!(last.iter().all(|t| *t == last[0]), "{last:?}");
    }
}
