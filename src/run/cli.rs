//! Command line: the dashboard by default, `--headless` for JSON lines, and the tool subcommands.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::config::Mode;
use crate::model::Timeframe;

#[derive(Debug, Parser)]
#[command(
    name = "double-agent",
    version,
    about = "Bear and Bull agents argue over the Russell 2000; you decide."
)]
pub struct Cli {
    /// A TOML file overlaid on the embedded config/default.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,

    /// First replayed bar; earlier bars are history and indicator warm-up.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub start: Option<NaiveDate>,

    /// Where bars come from.
    #[arg(long, value_enum, default_value_t = FeedKind::Replay)]
    pub feed: FeedKind,

    /// Bar timeframe for --feed alpaca (1Min, 5Min, 15Min, 1Hour, 1Day).
    #[arg(long, value_parser = parse_timeframe)]
    pub timeframe: Option<Timeframe>,

    /// Replay these bar files (IWM first, then TWM, SRTY, then a QQQ or SPY book's; any layout the loader reads) instead of the embedded data.
    #[arg(long, value_name = "FILE", num_args = 1..=4)]
    pub input: Vec<PathBuf>,

    /// Allow Alpaca's live (real money) trading host. You will be asked to type a confirmation.
    #[arg(long)]
    pub live: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How a dashboard or headless run goes: given before any subcommand, or after `replay`.
/// Not global: `backtest`, `journal` and `indicators` have no use for them, and their --help
/// must not list options that do nothing there.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    /// Run without the dashboard: one JSON object per line for every event.
    #[arg(long)]
    pub headless: bool,

    /// Replay pace in bars per second (0 = as fast as possible).
    #[arg(long, value_name = "BARS_PER_SEC")]
    pub speed: Option<f64>,

    /// Signal mode at start.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,

    /// Acknowledge every signal automatically (still through every risk check). Same as --mode auto.
    #[arg(long)]
    pub auto_ack: bool,

    /// End the run cleanly (exit 0) after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub run_for: Option<f64>,
}

impl RunArgs {
    /// `replay --session X --headless` and `--headless replay --session X` mean the same.
    pub fn merge(&mut self, other: &RunArgs) {
        self.headless |= other.headless;
        self.auto_ack |= other.auto_ack;
        self.speed = other.speed.or(self.speed);
        self.mode = other.mode.or(self.mode);
        self.run_for = other.run_for.or(self.run_for);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FeedKind {
    /// Recorded bars replayed as if live (embedded by default).
    Replay,
    /// Alpaca Market Data v2 (needs APCA_API_KEY_ID / APCA_API_SECRET_KEY).
    Alpaca,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    Manual,
    Auto,
    Observe,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Manual => Mode::Manual,
            ModeArg::Auto => Mode::Auto,
            ModeArg::Observe => Mode::Observe,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print indicator values as CSV (time,close,rsi14,atr14,sma50,sma100,sma200,...).
    Indicators {
        /// A bar file in any layout the loader reads.
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
    },
    /// The flight recorder: recent decisions (signals, answers, orders, fills, refusals).
    Journal {
        #[command(subcommand)]
        what: Option<JournalWhat>,
        /// Only this session (ids: `double-agent journal sessions`).
        #[arg(long, value_name = "ID")]
        session: Option<String>,
        /// The last N entries (default: 50 in the table, all in csv/json).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Only these kinds, comma-separated: signal, answer, order_intent, fill, risk_refusal,
        /// broker_accepted, broker_rejected, kill_switch, bar, feed_health, ...
        #[arg(long, value_name = "KIND", value_delimiter = ',')]
        kind: Vec<String>,
        #[arg(long, value_enum, default_value_t = JournalFormat::Table)]
        format: JournalFormat,
    },
    /// Replay a recorded session from the journal's bars: the same signals at the same bars.
    Replay {
        /// The session to replay (ids: `double-agent journal sessions`).
        #[arg(long, value_name = "ID")]
        session: String,
        /// Leave every signal for you to answer (by default each gets the answer it was
        /// given in the recorded session: acknowledged, edited or overridden).
        #[arg(long)]
        unanswered: bool,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Run the engine and the paper broker in auto mode as fast as possible and print the results.
    Backtest {
        /// Bar files: IWM first, then TWM and SRTY, then a QQQ or SPY book's (default: the embedded daily bars).
        #[arg(long, value_name = "FILE", num_args = 1..=4)]
        input: Vec<PathBuf>,
        /// First traded day; the bars before it warm the indicators (default: after 250 IWM bars).
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Option<NaiveDate>,
        /// Last traded day, inclusive (default: the last bar).
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Option<NaiveDate>,
        /// One JSON object with every figure, plus bars and bars_per_second.
        #[arg(long)]
        json: bool,
        /// Run on N deterministic random-walk bars instead of real data.
        #[arg(long, value_name = "N")]
        synthetic: Option<usize>,
        /// Draw the account, the book and buy-and-hold IWM, with their drawdowns (.svg).
        #[arg(long, value_name = "FILE")]
        plot: Option<PathBuf>,
        /// Write every closed trade (agent, kind, tier, symbol, entry and exit, shares, P&L, R,
        /// exit reason) to this CSV file.
        #[arg(long, value_name = "FILE.csv")]
        trades: Option<PathBuf>,
        /// Run a grid of settings in parallel, one row each: a config key and its values
        /// (bear.stop_atr=2,3,4); repeat for more keys (every combination runs).
        #[arg(long, value_name = "KEY=V1,V2,…")]
        sweep: Vec<crate::backtest::sweep::Axis>,
        /// With --sweep: report each setting before and after this date; rows are ordered by
        /// the figures before it, never by those after.
        #[arg(long, value_name = "YYYY-MM-DD", requires = "sweep")]
        split: Option<NaiveDate>,
    },
    /// The config file: `init` writes the commented defaults where they are found without
    /// --config, `show` prints the settings in effect and where each layer came from.
    Config {
        #[command(subcommand)]
        what: ConfigWhat,
    },
    /// Print a completion script: `double-agent completions bash > ~/.local/share/bash-completion/completions/double-agent`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `double-agent man > double-agent.1; man ./double-agent.1`.
    Man,
}

#[derive(Debug, Subcommand)]
pub enum ConfigWhat {
    /// Write the commented defaults (every key) to the config file (or --config's path).
    Init {
        /// Replace a file that is already there.
        #[arg(long)]
        force: bool,
    },
    /// Print the settings in effect (defaults, file, DOUBLE_AGENT__… variables); no secrets.
    Show,
    /// Print the path of the config file read without --config.
    Path,
}

fn parse_timeframe(s: &str) -> Result<Timeframe, String> {
    s.parse()
}

#[derive(Debug, Subcommand)]
pub enum JournalWhat {
    /// Every recorded session: start, broker, feed, size, and whether it stopped cleanly.
    Sessions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JournalFormat {
    Table,
    Csv,
    Json,
}

/// The command line's definition with what `--help` says of files and the environment; the
/// manual page and the completion scripts are built from it too.
pub fn command() -> clap::Command {
    let config = match crate::config::file_in_effect(None) {
        Some(p) => format!("{} (in effect unless --config names another)", p.display()),
        None => match crate::config::default_path() {
            Some(p) => format!(
                "none: built-in defaults (a file at {} is read; `double-agent config init` writes one)",
                p.display()
            ),
            None => "none: built-in defaults".into(),
        },
    };
    let after = format!(
        "Config file: {config}\n\
         Environment:\n  \
         DOUBLE_AGENT__SECTION__KEY   overrides one config key (DOUBLE_AGENT__BEAR__VEHICLE=SRTY)\n  \
         APCA_API_KEY_ID, APCA_API_SECRET_KEY   Alpaca keys (read only from the environment)\n  \
         APCA_API_BASE_URL, APCA_API_DATA_URL, APCA_API_STREAM_URL   Alpaca hosts\n  \
         DOUBLE_AGENT_LOG (else RUST_LOG)   log filter, e.g. debug or double_agent::alpaca=trace (default info)\n  \
         DOUBLE_AGENT_DATA_DIR   data dir (journal, caches, log)\n  \
         NO_COLOR   no colour on screen or in errors\n\
         Logs: {}\n\
         Data dir (journal, caches): {}",
        crate::process::logging::log_path().display(),
        crate::process::logging::data_dir().display()
    );
    <Cli as CommandFactory>::command().after_help(after)
}
