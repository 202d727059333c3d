//! The `indicators` report: every bar's indicator values as CSV, for checking against TA-Lib.

use std::io::Write;

use super::indicators::IndicatorSet;
use crate::config::Config;
use crate::model::Bar;

/// Write `time,close,rsi14,atr14,sma50,sma100,sma200,ema20,vol_sma20` (column names follow the
/// configured periods), one row per bar; a cell is empty while its indicator warms up.
pub fn write_indicators_csv(
    bars: &[Bar],
    cfg: &Config,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let i = &cfg.indicators;
    writeln!(
        out,
        "time,close,rsi{},atr{},sma{},sma{},sma{},ema{},vol_sma{}",
        i.rsi_period, i.atr_period, i.sma_fast, i.sma_mid, i.sma_slow, i.ema_period, i.volume_sma
    )?;
    let mut set = IndicatorSet::new(cfg);
    let mut last = None;
    for bar in bars {
        if bar.impossibility().is_some() || last.is_some_and(|t| bar.time <= t) {
            continue;
        }
        last = Some(bar.time);
        let s = set.push(bar);
        write!(out, "{},{}", bar.time.to_rfc3339(), bar.close)?;
        for v in [
            s.rsi,
            s.atr,
            s.sma_fast,
            s.sma_mid,
            s.sma_slow,
            s.ema,
            s.volume_sma,
        ] {
            match v {
                Some(v) => write!(out, ",{v}")?,
                None => write!(out, ",")?,
            }
        }
        writeln!(out)?;
    }
    Ok(())
}
