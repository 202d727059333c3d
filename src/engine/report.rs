//! The `indicators` report: every bar's indicator values as CSV, for checking against TA-Lib.

use std::io::Write;

use chrono_tz::America::New_York;

use super::indicators::{IndicatorSet, PivotKind};
use super::levels::LevelBook;
use crate::config::Config;
use crate::model::Bar;

/// Write `time,close,rsi14,atr14,sma50,sma100,sma200,ema20,vol_sma20,poc,support,resistance,
/// pivots` (column names follow the configured periods; `date` for daily bars), one row per
/// bar; a cell is empty while its indicator warms up. Support and resistance are the active
/// levels the agents read; `pivots` the pivots this bar confirmed.
pub fn write_indicators_csv(
    bars: &[Bar],
    cfg: &Config,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let i = &cfg.indicators;
    // Daily bars are dated by their session, as a charting tool shows them (not midnight New
    // York in UTC, which reads as a time of day).
    let daily = bars.iter().all(|b| {
        let t = b.time.with_timezone(&New_York).time();
        t == chrono::NaiveTime::MIN
    });
    writeln!(
        out,
        "{},close,rsi{},atr{},sma{},sma{},sma{},ema{},vol_sma{},poc,support,resistance,pivots",
        if daily { "date" } else { "time" },
        i.rsi_period,
        i.atr_period,
        i.sma_fast,
        i.sma_mid,
        i.sma_slow,
        i.ema_period,
        i.volume_sma
    )?;
    let mut set = IndicatorSet::new(cfg);
    let mut levels = LevelBook::new(cfg);
    let mut last = None;
    let mut seq = 0u64;
    for bar in bars {
        if bar.impossibility().is_some() || last.is_some_and(|t| bar.time <= t) {
            continue;
        }
        last = Some(bar.time);
        let s = set.push(bar);
        levels.update(seq, bar.close, s.atr, s.poc, s.pivots);
        seq += 1;
        if daily {
            write!(
                out,
                "{},{}",
                bar.time.with_timezone(&New_York).date_naive(),
                bar.close
            )?;
        } else {
            write!(out, "{},{}", bar.time.to_rfc3339(), bar.close)?;
        }
        for v in [
            s.rsi,
            s.atr,
            s.sma_fast,
            s.sma_mid,
            s.sma_slow,
            s.ema,
            s.volume_sma,
            s.poc,
            levels.active_support().map(|l| l.price),
            levels.active_resistance().map(|l| l.price),
        ] {
            match v {
                Some(v) => write!(out, ",{v}")?,
                None => write!(out, ",")?,
            }
        }
        // Pivots confirmed on this bar (the pivot bar itself is earlier): `H 214.79`.
        let pivots: Vec<String> = s
            .pivots
            .iter()
            .flatten()
            .map(|p| {
                let k = if p.kind == PivotKind::High { "H" } else { "L" };
                format!("{k} {}", p.price)
            })
            .collect();
        writeln!(out, ",{}", pivots.join(" "))?;
    }
    Ok(())
}
