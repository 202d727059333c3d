//! The edge: turns the parsed command line into a running program. Errors become `eyre` reports here.

/// The dashboard's event loop: terminal events and session notices in, frames out.
pub mod app;
/// `backtest`: the bars, the run and where its report goes.
mod backtest;
/// Command-line interface.
pub mod cli;
/// Headless mode: JSON lines.
pub mod headless;
/// The subcommands that need no session: config init/show, completions, the manual.
pub mod tools;
/// Building a running session (config, data, broker, feeds) from the command line.
pub mod wiring;

use std::time::Duration;

use clap::FromArgMatches;
use color_eyre::eyre::{bail, Result, WrapErr};

use crate::config::{Config, Mode};
use crate::data::loader::session_midnight;
use crate::run::cli::{Cli, Command, FeedKind, JournalFormat, JournalWhat};
use crate::ui::keymap::Keymap;
use wiring::BarSource;

/// Parse the command line.
pub fn parse() -> Cli {
    let matches = crate::run::cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Some(Command::Replay { run, .. }) = &cli.command {
        let run = run.clone();
        cli.run.merge(&run);
    }
    cli
}

/// The phrase a trader types to trade real money; anything else (or no terminal) refuses.
pub const LIVE_PHRASE: &str = "I accept real money";

/// A person at a terminal types the phrase. A pipe, a file or a script answering on stdin is
/// refused whatever it says: `yes "I accept real money" | double-agent --live` must not trade
/// real money, and a prompt nobody sees (stdout redirected) is no confirmation either.
fn confirm_live(what: &str) -> bool {
    use std::io::{BufRead, IsTerminal};
    let (stdin, stdout) = (
        std::io::stdin().is_terminal(),
        std::io::stdout().is_terminal(),
    );
    if !(stdin && stdout) {
        let which = match (stdin, stdout) {
            (false, false) => "stdin and stdout are",
            (false, true) => "stdin is",
            _ => "stdout is",
        };
        eprintln!(
            "\n*** {what} ***\nrefused: {which} not a terminal; live trading is confirmed \
             only by typing `{LIVE_PHRASE}` at a terminal"
        );
        return false;
    }
    eprintln!(
        "\n*** {what} ***\nType `{LIVE_PHRASE}` and Enter to continue, anything else to stop:"
    );
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim() == LIVE_PHRASE
}

/// The defaults, the config file in effect (`--config`, else the platform config dir's), then
/// `DOUBLE_AGENT__SECTION__KEY` variables.
pub fn merged_config(cli: &Cli) -> Result<crate::config::Merged> {
    let mut merged = crate::config::merge(&[])?;
    if let Some(path) = crate::config::file_in_effect(cli.config.as_deref()) {
        // Before parsing: a secret in a file others can read is refused whatever else it holds.
        crate::process::secrets::check_config_file_permissions(&path)?;
        let text = crate::config::read(&path)?;
        merged.add_text(&path.display().to_string(), &text)?;
    }
    // A variable that is not UTF-8 cannot be one of ours.
    merged.add_env(
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
    )?;
    Ok(merged)
}

pub fn config(cli: &Cli) -> Result<Config> {
    let mut cfg = Config::from_merged(&merged_config(cli)?)?;
    if let Some(s) = cli.run.speed {
        if !(s >= 0.0 && s.is_finite()) {
            bail!(
                "--speed must be 0 (as fast as possible) or a positive number of bars per second"
            );
        }
        cfg.replay.speed = s;
    }
    if let Some(d) = cli.start {
        cfg.replay.start = d;
    }
    if let Some(m) = cli.run.mode {
        cfg.signals.mode = m.into();
    }
    if cli.run.auto_ack {
        cfg.signals.mode = Mode::Auto;
    }
    Ok(cfg)
}

pub fn main(cli: Cli, log_rx: crate::run::app::LogRx) -> Result<()> {
    // What needs no settings runs before they are read: a broken config file must not keep
    // `config init --force`, completions or the manual from a trader.
    match &cli.command {
        Some(Command::Config { what }) => return crate::run::tools::config(&cli, what),
        Some(Command::Completions { shell }) => return crate::run::tools::completions(*shell),
        Some(Command::Man) => return crate::run::tools::man(),
        _ => {}
    }
    // A sweep reads the settings once, itself: they are the base of every setting of its grid.
    if let Some(Command::Backtest {
        input,
        from,
        to,
        json,
        sweep,
        split,
        ..
    }) = &cli.command
    {
        if !sweep.is_empty() {
            return backtest::sweep(&cli, input, *from, *to, sweep, *split, *json);
        }
    }
    let cfg = config(&cli)?;
    match &cli.command {
        Some(Command::Indicators { input }) => {
            let loaded = crate::data::load_file(input)?;
            for w in &loaded.warnings {
                eprintln!("warning: {w}");
            }
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            return match crate::engine::write_indicators_csv(&loaded.bars, &cfg, &mut out) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.wrap_err("writing CSV"),
            };
        }
        Some(Command::Backtest {
            input,
            from,
            to,
            json,
            synthetic,
            plot,
            trades,
            ..
        }) => {
            let out = backtest::BacktestOut {
                json: *json,
                plot: plot.as_deref(),
                trades: trades.as_deref(),
            };
            return backtest::run(cfg, input, *from, *to, *synthetic, out);
        }
        Some(Command::Journal {
            what,
            session,
            limit,
            kind,
            format,
        }) => {
            let filter = crate::journal::JournalFilter {
                session: session.clone(),
                kinds: kind.clone(),
                limit: *limit,
                ..Default::default()
            };
            return journal(what.as_ref(), filter, *format);
        }
        Some(Command::Replay { .. }) | None => {}
        Some(Command::Config { .. } | Command::Completions { .. } | Command::Man) => {}
    }
    if cli.live && cli.feed != FeedKind::Alpaca {
        bail!("--live only applies to --feed alpaca");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let wiring = match (&cli.command, cli.feed) {
            (
                Some(Command::Replay {
                    session,
                    unanswered,
                    ..
                }),
                _,
            ) => wiring::replay_session(cfg.clone(), session, cfg.replay.speed, !unanswered)?,
            (_, FeedKind::Replay) => {
                let source = if cli.input.is_empty() {
                    BarSource::Embedded
                } else {
                    BarSource::Files(cli.input.clone())
                };
                let start = session_midnight(cfg.replay.start);
                let speed = cfg.replay.speed;
                wiring::replay(cfg.clone(), &source, start, speed)?
            }
            (_, FeedKind::Alpaca) => wiring::alpaca(
                cfg.clone(),
                cli.timeframe,
                cli.live,
                &mut confirm_live,
                cli.run.headless,
            )?,
        };
        let run_for = cli.run.run_for.map(Duration::from_secs_f64);
        // From here a signal ends the session cleanly; before, nothing needs undoing.
        crate::process::signals::install().wrap_err("listening for termination signals")?;
        if cli.run.headless {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            match crate::run::headless::run(wiring, run_for, &mut out).await {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.wrap_err("headless run"),
            }
        } else {
            let keymap = Keymap::from_config(&cfg.keys)?;
            crate::run::app::run(wiring, keymap, log_rx, run_for)
                .await
                .wrap_err("dashboard")
        }
    })
}

/// `double-agent journal [sessions]`: read-only, so it works while a session is recording.
fn journal(
    what: Option<&JournalWhat>,
    mut filter: crate::journal::JournalFilter,
    format: JournalFormat,
) -> Result<()> {
    let path = wiring::flight::journal_path();
    if !path.exists() {
        bail!(
            "no journal at {} yet: it is written by every dashboard or --headless run",
            path.display()
        );
    }
    // A mistyped kind would match nothing and print an empty table: name the valid ones.
    if let Some(bad) = filter
        .kinds
        .iter()
        .find(|k| !crate::journal::KINDS.contains(&k.as_str()))
    {
        bail!(
            "no journal kind `{bad}`; the kinds are: {}",
            crate::journal::KINDS.join(", ")
        );
    }
    let journal = crate::journal::Journal::open(&path)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = if matches!(what, Some(JournalWhat::Sessions)) {
        let sessions = journal.sessions()?;
        match format {
            JournalFormat::Table => crate::journal::write_sessions(&mut out, &sessions),
            _ => serde_json::to_writer_pretty(&mut out, &sessions)
                .map_err(crate::journal::JournalError::from),
        }
    } else {
        if filter.kinds.is_empty() {
            filter.kinds = crate::journal::DECISION_KINDS.map(String::from).to_vec();
        }
        if format == JournalFormat::Table && filter.limit.is_none() {
            filter.limit = Some(50);
        }
        let rows = journal.list(&filter)?;
        match format {
            JournalFormat::Table => crate::journal::write_table(&mut out, &rows),
            JournalFormat::Csv => crate::journal::export_csv(&mut out, &rows),
            JournalFormat::Json => crate::journal::export_json(&mut out, &rows),
        }
    };
    match written.and_then(|_| Ok(std::io::Write::flush(&mut out)?)) {
        Err(crate::journal::JournalError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(())
        }
        r => r.wrap_err("writing the journal"),
    }
}
