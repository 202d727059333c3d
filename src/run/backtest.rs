//! `double-agent backtest`: the bars (embedded, files or synthetic), one run or a sweep over a
//! grid of settings, and where the report goes (text, JSON, a trades file, an equity plot).

use color_eyre::eyre::{bail, eyre, Result};

use super::cli::Cli;
use super::merged_config;
use super::wiring;
use crate::config::Config;
use crate::data::loader::session_midnight;
use crate::feed::replay::ReplayPlan;
use crate::model::Timeframe;

/// `backtest --sweep`: every setting of the grid over the same bars, in parallel.
pub(super) fn sweep(
    cli: &Cli,
    input: &[std::path::PathBuf],
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    axes: &[crate::backtest::sweep::Axis],
    split: Option<chrono::NaiveDate>,
    json: bool,
) -> Result<()> {
    use crate::backtest::sweep;
    // The settings in effect (file, environment), each setting of the grid over them.
    let base = merged_config(cli)?;
    // Every setting is checked before anything runs.
    let settings = sweep::grid(&base, axes)?;
    for s in &settings {
        s.config
            .check_simulator()
            .map_err(|e| eyre!("{}: {e}", s.label))?;
    }
    let day = |d: chrono::NaiveDate| session_midnight(d);
    let to = to.map(|d| day(d) + chrono::Duration::hours(23));
    // The bars once: files are read into memory here (a sweep re-reads them per run otherwise).
    // Every setting's bars: a grid over `book.symbol` feeds each book.
    let mut symbols: Vec<crate::model::Symbol> = Vec::new();
    for s in settings.iter().flat_map(|s| s.config.feed_symbols()) {
        if !symbols.contains(&s) {
            symbols.push(s);
        }
    }
    // The bundled positioning book is parsed on the first session's start, which every other
    // setting's run would wait for: parsed here beside the bars instead.
    let (loaded, _) = rayon::join(
        || load_sweep_bars(input, &symbols),
        crate::positioning::PositioningBook::with_embedded,
    );
    let (series, timeframe) = loaded?;
    let default_start = crate::backtest::default_start(series[0].1.iter());
    let from = from.map(day).or(default_start);
    let plan = |start: Option<chrono::DateTime<chrono::Utc>>| {
        ReplayPlan::new(timeframe, series.clone(), start.unwrap_or_default())
    };
    let rows = sweep::run(settings, plan, from, split.map(day), to);
    if json {
        println!("{}", serde_json::to_string(&rows)?);
    } else {
        print!("{}", sweep::render(&rows, split.is_some()));
    }
    Ok(())
}

/// A sweep's bars, read once: the embedded series or the files, every setting's symbols.
fn load_sweep_bars(
    input: &[std::path::PathBuf],
    symbols: &[crate::model::Symbol],
) -> Result<(wiring::SeriesSet, Timeframe)> {
    if input.is_empty() {
        let (series, warnings) = crate::data::embedded::series_of(symbols);
        warnings.into_iter().for_each(|w| eprintln!("warning: {w}"));
        return Ok((series, Timeframe::Day1));
    }
    use rayon::prelude::*;
    let (_, tf) = wiring::open_readers_for(input, symbols)?;
    // Read on every core, as the embedded series are: one file after another was the serial
    // start that two threads could not share. Warnings and the first error stay in file order.
    let loaded: Vec<_> = symbols
        .par_iter()
        .zip(input)
        .map(|(&sym, path)| crate::data::load_file(path).map(|l| (sym, l)))
        .collect();
    let mut series = Vec::new();
    for l in loaded {
        let (sym, loaded) = l?;
        loaded
            .warnings
            .iter()
            .for_each(|w| eprintln!("warning: {w}"));
        series.push((sym, loaded.bars));
    }
    Ok((series, tf))
}

/// Where a backtest's results go.
pub(super) struct BacktestOut<'a> {
    pub json: bool,
    pub plot: Option<&'a std::path::Path>,
    pub trades: Option<&'a std::path::Path>,
}

pub(super) fn run(
    cfg: Config,
    input: &[std::path::PathBuf],
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    synthetic: Option<usize>,
    out: BacktestOut,
) -> Result<()> {
    cfg.check_simulator().map_err(|e| eyre!(e))?;
    let json = out.json;
    let from = from.map(session_midnight);
    // `--to` is inclusive: the whole day.
    let to = to.map(|d| session_midnight(d) + chrono::Duration::hours(23));
    let warn = |w: crate::data::LoadWarning| eprintln!("warning: {w}");
    // Bars in memory: trading starts at `--from`, or after the first 250 IWM bars.
    let in_memory = |timeframe, series: wiring::SeriesSet| {
        let start = from.or_else(|| crate::backtest::default_start(series[0].1.iter()));
        ReplayPlan::new(timeframe, series, start.unwrap_or_default())
    };
    let plan = match synthetic {
        // Streamed: memory stays flat in N (the `peak_rss_mb` figure checks it).
        Some(n) if n >= 2 && from.is_none() && to.is_none() => {
            return report(crate::backtest::run_synthetic(cfg, n, !json), &out);
        }
        Some(n) if n >= 2 => in_memory(Timeframe::Min1, crate::backtest::synthetic::series(n)),
        Some(_) => bail!("--synthetic needs at least 2 bars"),
        // Files are read as the backtest goes: memory stays flat however long they are.
        None if !input.is_empty() => {
            let (readers, tf) = wiring::open_readers_for(input, &cfg.feed_symbols())?;
            if let Some(why) = wiring::missing_vehicles(input) {
                eprintln!("warning: {why}");
            }
            let iwm = readers.first().map(|(_, r)| r.first_bars());
            let start = from.or_else(|| iwm.and_then(crate::backtest::default_start));
            ReplayPlan::files(tf, readers, start.unwrap_or_default())
        }
        None => {
            let (series, warnings) = crate::data::embedded::series_of(&cfg.feed_symbols());
            warnings.into_iter().for_each(warn);
            in_memory(Timeframe::Day1, series)
        }
    };
    let mut trades = match out.trades {
        Some(p) => Some(crate::backtest::TradesCsv::create(p)?),
        None => None,
    };
    let on_trade = |lot: &crate::store::lots::Lot| {
        if let Some(w) = trades.as_mut() {
            w.write(lot);
        }
    };
    let r = crate::backtest::run(cfg, plan, to, !json, warn, on_trade);
    if let Some(w) = trades {
        w.finish()?;
    }
    report(r, &out)
}

/// The report as JSON or text, and the equity curve's plot if asked.
fn report(report: crate::backtest::Report, out: &BacktestOut) -> Result<()> {
    let (json, plot) = (out.json, out.plot);
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", crate::backtest::render(&report));
    }
    if let Some(p) = plot {
        let hedge = report.mode == crate::config::AgentsMode::Hedge;
        crate::backtest::plot::svg(p, &report.curve, hedge).map_err(|e| eyre!(e))?;
        if !json {
            println!("equity curve: {}", p.display());
        }
    }
    Ok(())
}
