//! Builds a running session from the command line: config, data, broker, journal, feed tasks
//! and channels.

mod alpaca;
pub mod flight;
mod inputs;
pub mod lock;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::broker::paper::PaperBroker;
use crate::broker::{Broker, BrokerEvent};
use crate::config::{Config, ConfigError};
use crate::data::{embedded, BarReader, LoadError, LoadWarning};
use crate::feed::replay::{self, ReplayControl, ReplayPlan};
use crate::feed::FeedEvent;
use crate::model::{Bar, Symbol, Timeframe};
use crate::session::{Notice, Session};
use crate::store::{ReplayStatus, Severity};

#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    #[error(
        "the flight recorder {} is damaged ({detail}): refusing to trade on it. Move it aside \
         (with its -wal and -shm files, e.g. `mv {0} {0}.damaged`) and start again: a new \
         journal is created", .path.display()
    )]
    DamagedJournal { path: PathBuf, detail: String },
    #[error("{0}")]
    Other(String),
}

/// Where the bars of a replay come from.
pub enum BarSource {
    Embedded,
    /// Files in order IWM, TWM, SRTY (missing vehicles are simply not replayed), then a QQQ or
    /// SPY book's bars (`Config::feed_symbols`).
    Files(Vec<PathBuf>),
}

pub use crate::feed::plan::SeriesSet;
pub use alpaca::alpaca;
pub use inputs::missing_vehicles;

/// Bar files of IWM, TWM and SRTY (in that order) opened to be read as they are fed, with the
/// timeframe their first bars show.
pub fn open_readers(
    files: &[PathBuf],
) -> Result<(Vec<(Symbol, BarReader)>, Timeframe), WiringError> {
    open_readers_for(files, &Symbol::ALL)
}

/// Bar files opened to be read as they are fed, in the order of `symbols` (IWM, TWM, SRTY, then a
/// QQQ or SPY book's: `Config::feed_symbols`), with the timeframe their first bars show.
pub fn open_readers_for(
    files: &[PathBuf],
    symbols: &[Symbol],
) -> Result<(Vec<(Symbol, BarReader)>, Timeframe), WiringError> {
    check_files(files.len(), symbols)?;
    let mut readers = Vec::new();
    for (&sym, path) in symbols.iter().zip(files) {
        let reader = BarReader::open(path)?;
        if let Some(why) = inputs::off_range(sym, reader.first_bars()) {
            return Err(WiringError::Other(format!("{}: {why}", path.display())));
        }
        readers.push((sym, reader));
    }
    let tf = if readers.iter().all(|(_, r)| r.daily()) {
        Timeframe::Day1
    } else {
        infer_timeframe(readers[0].1.first_bars())
    };
    Ok((readers, tf))
}

/// The files must be IWM, TWM, SRTY in that order, and a QQQ/SPY book's bars fourth when the
/// book needs them: a book with no prices cannot be bought or hedged.
pub fn check_files(given: usize, symbols: &[Symbol]) -> Result<(), WiringError> {
    let book = symbols.get(Symbol::ALL.len()).copied();
    match book {
        Some(book) if given < symbols.len() => Err(WiringError::Other(format!(
            "book.symbol = \"{book}\" needs its bars: give them as the fourth --input file \
             (IWM TWM SRTY {book}), or set book.symbol = \"IWM\""
        ))),
        None if given > Symbol::ALL.len() => Err(WiringError::Other(format!(
            "{given} --input files: give IWM, TWM and SRTY bars in that order, and a fourth only \
             for a QQQ or SPY book (book.symbol in the config, hedge mode)"
        ))),
        _ => Ok(()),
    }
}

/// The most common gap between bars names an intraday timeframe.
fn infer_timeframe<'a>(bars: impl Iterator<Item = &'a Bar>) -> Timeframe {
    let times: Vec<DateTime<Utc>> = bars.map(|b| b.time).collect();
    let mut gaps: Vec<i64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).num_seconds())
        .collect();
    gaps.sort_unstable();
    let typical = gaps.get(gaps.len() / 2).copied().unwrap_or(86_400);
    Timeframe::ALL
        .into_iter()
        .min_by_key(|tf| (tf.seconds() - typical).abs())
        .unwrap_or(Timeframe::Day1)
}

/// A session wired to its feeds, ready for the TUI or the headless printer.
pub struct Wiring {
    pub session: Session,
    pub feed_rx: mpsc::Receiver<FeedEvent>,
    pub broker_rx: mpsc::UnboundedReceiver<BrokerEvent>,
    pub replay: Option<watch::Sender<ReplayControl>>,
    pub tasks: Vec<JoinHandle<()>>,
    /// What happened while wiring (skipped rows of bar files), for headless output.
    pub startup: Vec<Notice>,
}

impl Drop for Wiring {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl BarSource {
    /// How the journal names the feed; a crashed session is resumed only on the same one.
    fn describe(&self) -> String {
        match self {
            BarSource::Embedded => "embedded".into(),
            BarSource::Files(files) => {
                let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
                names.join(",")
            }
        }
    }
}

/// Start a replay session: the built-in paper broker and recorded bars played from `start`.
/// Resumes the last simulator session instead if it stopped uncleanly on the same replay.
pub fn replay(
    cfg: Config,
    source: &BarSource,
    start: DateTime<Utc>,
    speed: f64,
) -> Result<Wiring, WiringError> {
    // Files are read as they are fed (their skipped rows reach the status bar as they come);
    // the embedded data is in the binary already.
    let (plan, warnings) = match source {
        BarSource::Files(files) => {
            let (readers, timeframe) = open_readers_for(files, &cfg.feed_symbols())?;
            (ReplayPlan::files(timeframe, readers, start), Vec::new())
        }
        BarSource::Embedded => {
            let (series, warnings) = embedded::series_of(&cfg.live_symbols());
            (ReplayPlan::new(Timeframe::Day1, series, start), warnings)
        }
    };
    let feed = format!("replay:{} from {}", source.describe(), start.date_naive());
    let mut w = replay_plan(cfg, plan, &warnings, &feed, speed, Some(start))?;
    if let Some(why) = match source {
        BarSource::Files(files) => missing_vehicles(files),
        BarSource::Embedded => None,
    } {
        w.session.store.push_log(Severity::Warn, why.clone());
        w.startup.push(Notice::Warning {
            source: "input".into(),
            message: why,
        });
    }
    Ok(w)
}

/// Replay a recorded session from the journal's bars: the same history, then the same live
/// bars in the same order, so the agents see exactly what they saw.
/// `answers`: the trader's recorded answers are given again to the same signals (in manual
/// mode; auto mode acknowledges everything anyway).
pub fn replay_session(
    cfg: Config,
    id: &str,
    speed: f64,
    answers: bool,
) -> Result<Wiring, WiringError> {
    let journal = crate::journal::Journal::open(&flight::journal_path())
        .map_err(|e| WiringError::Other(e.to_string()))?;
    let bars = journal
        .session_bars(id)
        .map_err(|e| WiringError::Other(e.to_string()))?;
    let recorded = if answers {
        journal
            .session_signals(id)
            .map_err(|e| WiringError::Other(e.to_string()))?
    } else {
        Vec::new()
    };
    drop(journal);
    let Some(timeframe) = bars.first().map(|b| b.timeframe) else {
        return Err(WiringError::Other(format!(
            "session {id} has no recorded bars (list sessions with `double-agent journal sessions`)"
        )));
    };
    let mut history: Vec<(Symbol, Vec<Bar>)> = cfg
        .live_symbols()
        .iter()
        .map(|s| (*s, Vec::new()))
        .collect();
    let mut live = Vec::new();
    for b in bars {
        if b.live {
            live.push((b.symbol, b.bar));
        } else if let Some((_, h)) = history.iter_mut().find(|(s, _)| *s == b.symbol) {
            h.push(b.bar);
        }
    }
    let plan = ReplayPlan::from_parts(timeframe, history, live);
    // The recorded session's signals carry the records they had: none is seeded again.
    let mut w = replay_plan(cfg, plan, &[], &format!("journal:{id}"), speed, None)?;
    w.session.replay_answers(
        recorded
            .into_iter()
            .map(|r| crate::session::RecordedAnswer {
                signal: r.signal,
                state: r.state,
            })
            .collect(),
    );
    Ok(w)
}

fn replay_plan(
    cfg: Config,
    plan: ReplayPlan,
    warnings: &[LoadWarning],
    feed: &str,
    speed: f64,
    seed_until: Option<DateTime<Utc>>,
) -> Result<Wiring, WiringError> {
    cfg.check_simulator().map_err(WiringError::Other)?;
    let timeframe = plan.timeframe;
    let (_broker_tx, broker_rx) = mpsc::unbounded_channel();
    let mut paper = PaperBroker::new(&cfg.paper);
    let (start, plan) = flight::start_sim(&cfg, feed, plan, &mut paper)?;
    let mut cfg = cfg;
    cfg.paper.starting_cash = start.starting_cash;
    let broker: Box<dyn Broker> = Box::new(paper);
    let session = Session::new(cfg, broker, timeframe, session_tag());
    let (mut session, mut startup) = flight::attach_sim(session, start);
    for w in warnings {
        tracing::warn!(target: crate::process::logging::FILE_ONLY, "{w}");
        session.store.push_log(Severity::Warn, w.to_string());
        startup.push(Notice::Warning {
            source: w.file.clone(),
            message: w.skipped_line(),
        });
    }
    session.store.replay = Some(ReplayStatus {
        speed,
        paused: false,
        ended: false,
    });
    // Bounded: at --speed 0 the replay waits for the session instead of filling memory.
    let (tx, feed_rx) = mpsc::channel(1024);
    let (ctl_tx, ctl_rx) = watch::channel(ReplayControl {
        speed,
        paused: false,
    });
    let mut tasks = positioning_pollers(session.config(), &tx, false);
    let seed = seed_until.map(|until| (session.config().clone(), until));
    tasks.push(tokio::spawn(async move {
        // The records first, so every replayed signal shows the same one run after run.
        if let Some((cfg, until)) = seed {
            if !send_records(cfg, until, &tx).await {
                return;
            }
        }
        replay::run(plan, tx, ctl_rx).await
    }));
    Ok(Wiring {
        session,
        feed_rx,
        broker_rx,
        replay: Some(ctl_tx),
        tasks,
        startup,
    })
}

/// The embedded daily history run through the session's rules up to `until`, off the async
/// threads (the first frame does not wait for it), its records sent to the session. False when
/// the session has gone.
async fn send_records(cfg: Config, until: DateTime<Utc>, tx: &mpsc::Sender<FeedEvent>) -> bool {
    let records =
        tokio::task::spawn_blocking(move || crate::backtest::history_records(&cfg, until)).await;
    match records {
        Ok(records) => tx.send(FeedEvent::Records { records, until }).await.is_ok(),
        Err(_) => true,
    }
}

/// FINRA / CFTC pollers into the same feed channel, caching in the data dir.
fn positioning_pollers(
    cfg: &Config,
    tx: &mpsc::Sender<FeedEvent>,
    always: bool,
) -> Vec<JoinHandle<()>> {
    let cache = crate::process::logging::data_dir().join("positioning.sqlite3");
    crate::positioning::spawn_for_session(cfg, cache, tx.clone(), always)
}

/// Short, unique-enough tag for client order ids: seconds since 2020 in base 36.
pub fn session_tag() -> String {
    let mut n = (Utc::now().timestamp() - 1_577_836_800).max(0) as u64;
    let mut s = Vec::new();
    loop {
        s.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}
