//! The bar files a replay or backtest is given, checked before anything trades on them: IWM's
//! file must hold IWM's prices, and a missing vehicle is said.

use std::path::PathBuf;

use crate::model::{Bar, Symbol};

/// What IWM has traded between since its 2000 listing, with room: the Russell 2000 index
/// itself (about ten times IWM) or another symbol's file given as IWM falls outside it.
const IWM_RANGE: (f64, f64) = (20.0, 600.0);

/// Why the first bars of a file cannot be `sym`'s. Only IWM has a fixed range: the inverse
/// vehicles' split-adjusted prices span thousands.
pub(super) fn off_range<'a>(
    sym: Symbol,
    mut bars: impl Iterator<Item = &'a Bar>,
) -> Option<String> {
    if sym != Symbol::Iwm {
        return None;
    }
    let (lo, hi) = IWM_RANGE;
    let listed = chrono::NaiveDate::from_ymd_opt(2000, 5, 22).unwrap_or_default();
    let b = bars.find(|b| !(lo..=hi).contains(&b.close) || b.time.date_naive() < listed)?;
    let why = if b.time.date_naive() < listed {
        format!(
            "a bar on {}, before IWM was listed (2000-05-22)",
            b.time.date_naive()
        )
    } else {
        format!(
            "close {:.2} on {} is not an IWM price (IWM trades between {lo:.0} and {hi:.0})",
            b.close,
            b.time.date_naive()
        )
    };
    Some(format!(
        "{why}: the Russell 2000 index, or another symbol's bars? Give the IWM ETF's bars first"
    ))
}

/// Files are given IWM, TWM, SRTY: a vehicle left out leaves the Bear nothing to trade it in.
pub fn missing_vehicles(files: &[PathBuf]) -> Option<String> {
    let missing: Vec<String> = Symbol::ALL
        .into_iter()
        .skip(files.len().max(1))
        .map(|s| s.to_string())
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "no {} file given (--input IWM.csv TWM.csv SRTY.csv): the Bear has no {} price \
             and trades nothing in {}",
            missing.join(" or "),
            if missing.len() > 1 {
                "vehicle"
            } else {
                "vehicle's"
            },
            if missing.len() > 1 { "them" } else { "it" },
        )
    })
}
