//! Logging: `tracing` to a file in the data dir (never to the terminal the TUI draws on),
//! and a copy of each event for the dashboard's log pane, sent over a channel to the app loop.

use std::path::PathBuf;
use std::sync::OnceLock;

use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::model::Severity;

/// Where logs, the journal and caches live: `DOUBLE_AGENT_DATA_DIR`, else the platform data dir.
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("DOUBLE_AGENT_DATA_DIR") {
        return PathBuf::from(d);
    }
    directories::ProjectDirs::from("", "", "double-agent")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("double-agent"))
}

pub fn log_path() -> PathBuf {
    data_dir().join("double-agent.log")
}

/// Target for events the session already shows on screen: written to the file only.
pub const FILE_ONLY: &str = "da::file";

static PANE: OnceLock<mpsc::UnboundedSender<(Severity, String)>> = OnceLock::new();

/// Lines the file writer may fall behind by before new ones are dropped (never blocking the
/// dashboard). tracing-appender's default, 128,000, is a 4 MB queue written through at start:
/// a thousand page faults, a third of a short command's run. The app logs a few lines a signal.
const LOG_QUEUE_LINES: usize = 8_192;

/// Install the file logger. Returns the guard that flushes on drop and, once, the receiver of the
/// log-pane copies. Safe to call when a logger already exists (tests): then it does nothing.
/// A log file that cannot be opened (a read-only or uncreatable data dir, a full disk) is said on
/// stderr and the run goes on without it: the log pane and every command still work.
pub fn init() -> (
    Option<tracing_appender::non_blocking::WorkerGuard>,
    Option<mpsc::UnboundedReceiver<(Severity, String)>>,
) {
    let (writer, guard) = match open_log() {
        Ok(file) => {
            let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                .buffered_lines_limit(LOG_QUEUE_LINES)
                .finish(file);
            (Some(writer), Some(guard))
        }
        Err(e) => {
            eprintln!(
                "warning: logging to no file: cannot open {}: {e}",
                log_path().display()
            );
            (None, None)
        }
    };
    // DOUBLE_AGENT_LOG wins; RUST_LOG is what every Rust program's user tries first.
    let filter = EnvFilter::try_from_env("DOUBLE_AGENT_LOG")
        .or_else(|_| EnvFilter::try_from_env("RUST_LOG"))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let (tx, rx) = mpsc::unbounded_channel();
    let first = PANE.set(tx).is_ok();
    let fmt = writer.map(|w| {
        tracing_subscriber::fmt::layer()
            .with_writer(w)
            .with_ansi(false)
    });
    let ok = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(PaneLayer)
        .try_init()
        .is_ok();
    (guard.filter(|_| ok), (ok && first).then_some(rx))
}

/// The log file, appended to. Opened here rather than by `tracing_appender::rolling`, which
/// panics when it cannot.
fn open_log() -> std::io::Result<std::fs::File> {
    std::fs::create_dir_all(data_dir())?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path())
}

/// Forwards warnings and errors (and info from our crate) to the dashboard's log pane.
struct PaneLayer;

impl<S: Subscriber> Layer<S> for PaneLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let Some(tx) = PANE.get() else { return };
        let meta = event.metadata();
        if meta.target() == FILE_ONLY {
            return;
        }
        let severity = match *meta.level() {
            Level::ERROR => Severity::Error,
            Level::WARN => Severity::Warn,
            Level::INFO if meta.target().starts_with("double_agent") => Severity::Info,
            _ => return,
        };
        let _ = tx.send((severity, pane_text(event)));
    }
}

/// What the pane shows of an event: a sentence, its message and the error behind it. The other
/// fields (`class=Retry failures=1`) are for the log file, not for a trader.
fn pane_text(event: &Event<'_>) -> String {
    let mut msg = Message::default();
    event.record(&mut msg);
    match msg.error {
        Some(e) => format!("{}: {e}", msg.text),
        None => msg.text,
    }
}

#[derive(Default)]
struct Message {
    text: String,
    error: Option<String>,
}

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.text = format!("{value:?}"),
            "error" => self.error = Some(format!("{value:?}")),
            _ => {}
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.text = value.to_string(),
            "error" => self.error = Some(value.to_string()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    struct Capture(Arc<Mutex<Vec<String>>>);

    impl<S: Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
            self.0.lock().unwrap().push(pane_text(event));
        }
    }

    #[test]
    fn the_pane_reads_a_sentence_not_tracing_fields() {
        let got = Arc::new(Mutex::new(Vec::new()));
        let sub = tracing_subscriber::registry().with(Capture(got.clone()));
        tracing::subscriber::with_default(sub, || {
            let e = "connection refused";
            let class = "Retry";
            tracing::warn!(error = %e, ?class, failures = 1, "alpaca stream error");
            tracing::warn!("plain");
        });
        assert_eq!(
            *got.lock().unwrap(),
            vec!["alpaca stream error: connection refused", "plain"]
        );
    }
}
