//! The dashboard's event loop: one `select!` over terminal input, feed events, broker events and
//! log lines. The session is the one owner of state; frames are drawn only when something changed,
//! at most one per `ui.frame_ms`, so a burst of replayed bars costs one frame.

pub mod input;

use std::time::Duration;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, EventStream};
use futures::StreamExt;
use ratatui::backend::Backend;
use ratatui::Terminal;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use crate::config::Mode;
use crate::feed::replay::ReplayControl;
use crate::run::wiring::Wiring;
use crate::session::{Input, Notice};
use crate::store::Severity;

use crate::ui::keymap::Keymap;
use crate::ui::view::ViewState;
use input::{Effect, ReplayChange};

/// Feed events handled between two looks at the keyboard, so keys stay responsive at --speed 0.
const FEED_BATCH: usize = 256;

pub type LogRx = Option<UnboundedReceiver<(Severity, String)>>;

/// Run the dashboard in the real terminal until the trader quits.
pub async fn run(
    w: Wiring,
    keymap: Keymap,
    log_rx: LogRx,
    run_for: Option<Duration>,
) -> std::io::Result<()> {
    // ratatui::init enters raw mode + the alternate screen and installs a panic hook that restores both.
    let mut terminal = ratatui::init();
    let _ = crossterm::execute!(std::io::stdout(), EnableMouseCapture);
    let events = Box::pin(EventStream::new().filter_map(|e| async { e.ok() }));
    let result = event_loop(&mut terminal, w, keymap, log_rx, events, run_for).await;
    let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

/// Bars to a journal transaction at most; each burst of feed events commits its own.
const JOURNAL_BATCH: usize = 4_096;

/// The loop itself, generic over the backend and the event source so tests can drive it.
pub async fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    mut w: Wiring,
    keymap: Keymap,
    mut log_rx: LogRx,
    events: impl futures::Stream<Item = crossterm::event::Event> + Unpin,
    run_for: Option<Duration>,
) -> std::io::Result<()> {
    let mut events = events;
    let cfg = w.session.config().clone();
    let frame = Duration::from_millis(cfg.ui.frame_ms.max(1));
    let mut view = ViewState::new(cfg.ui.chart_bars);
    let theme = crate::ui::Theme::from_config(&cfg.ui);
    let mut dirty = true;
    let mut last_draw = Instant::now() - frame;
    let deadline = run_for.map(|d| Instant::now() + d);
    let mut feeds_open = true;
    let mut alerts =
        crate::live::alerts::Alerter::new(&cfg.alerts, w.session.store.replay.is_none())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    let mut first_drawn = false;
    w.session.batch_journal(JOURNAL_BATCH);
    let reason = loop {
        let draw_at = last_draw + frame;
        tokio::select! {
            biased;
            // First: a signal must not wait behind a frame or a burst of bars.
            signo = crate::process::signals::requested() => break crate::process::signals::reason(signo),
            _ = tokio::time::sleep_until(draw_at), if dirty => {
                if let Err(e) = terminal.draw(|f| crate::ui::draw(f, &w.session, &mut view, &keymap, &theme)) {
                    // A hung-up terminal (SIGHUP) can fail a draw before the loop sees the
                    // signal: the signal's clean end still applies.
                    match crate::process::signals::received() {
                        Some(signo) => break crate::process::signals::reason(signo),
                        None => return Err(e),
                    }
                }
                if !first_drawn {
                    first_drawn = true;
                    // A figure for the developer: the log file, not the trader's Events pane.
                    tracing::info!(
                        target: crate::process::logging::FILE_ONLY,
                        "first frame drawn {:.1} ms after start",
                        crate::process::procstat::since_start().as_secs_f64() * 1e3
                    );
                }
                dirty = false;
                last_draw = Instant::now();
            }
            Some(ev) = events.next() => {
                let (actions, effect) = input::handle(&ev, &keymap, &mut view, &w.session);
                for a in actions {
                    w.session.handle(Input::Action(a));
                }
                if let Effect::Replay(change) = effect {
                    if let Some(why) = resume_refused(&w, change) {
                        w.session.store.push_log(Severity::Warn, why);
                    } else {
                        replay_change(&mut w, change, cfg.replay.speed_step);
                    }
                }
                dirty = true;
            }
            // A paused replay also leaves the bars already queued in the channel where they are.
            ev = w.feed_rx.recv(), if feeds_open && !replay_paused(&w) => {
                let Some(ev) = ev else { feeds_open = false; continue };
                let hold = cfg.replay.pause_on_signal && w.replay.is_some();
                let mut signal = on_feed(&mut w, ev, &mut alerts);
                for _ in 0..FEED_BATCH {
                    // A decision is waiting: stop at this bar so the trader has time to answer.
                    if signal && hold && w.session.store.mode == Mode::Manual {
                        set_replay_paused(&mut w, true);
                        break;
                    }
                    if w.session.journal_failure().is_some() {
                        break;
                    }
                    match w.feed_rx.try_recv() {
                        Ok(ev) => signal |= on_feed(&mut w, ev, &mut alerts),
                        Err(_) => break,
                    }
                }
                if signal && hold && w.session.store.mode == Mode::Manual {
                    set_replay_paused(&mut w, true);
                }
                // The bars of this burst share one journal transaction.
                w.session.flush_journal();
                dirty = true;
            }
            Some(ev) = w.broker_rx.recv() => {
                w.session.handle(Input::Broker(ev));
                dirty = true;
            }
            Some((sev, text)) = recv_log(&mut log_rx) => {
                w.session.store.push_log(sev, text);
                dirty = true;
            }
            _ = tokio::time::sleep_until(deadline.unwrap_or(last_draw)), if deadline.is_some() => break "run-for elapsed",
        }
        if view.quit {
            break "quit";
        }
        if let Some(failed) = w.session.journal_failure() {
            // Orders whose record cannot be kept must not go on being sent; the terminal is
            // restored by the caller and the message printed on the main screen.
            return Err(std::io::Error::other(format!(
                "journal write failed ({failed}): stopping, nothing more can be recorded"
            )));
        }
    };
    // A clean stop: the next start begins a new session instead of resuming this one.
    w.session.end(reason);
    crate::run::headless::timed_run_got_bars(&w.session, reason)
}

/// Handle one feed event; true if it brought a signal that waits for the trader.
fn on_feed(
    w: &mut Wiring,
    ev: crate::feed::FeedEvent,
    alerts: &mut crate::live::alerts::Alerter,
) -> bool {
    let notices = w.session.handle(Input::Feed(ev));
    let mut due = crate::live::alerts::signals_waiting(&notices);
    if let Some(watch) = crate::live::watch::inputs_for(&w.session) {
        let near = w.session.config().alerts.stop_near_atr;
        due.extend(crate::live::alerts::stops_near(&watch, near));
    }
    for a in alerts.due(due, std::time::Instant::now()) {
        alerts.deliver(&a);
    }
    notices
        .iter()
        .any(|n| matches!(n, Notice::Signal { .. } | Notice::Asked { .. }))
        && w.session.store.signals.selected_id().is_some()
}

async fn recv_log(rx: &mut LogRx) -> Option<(Severity, String)> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

fn replay_paused(w: &Wiring) -> bool {
    w.session.store.replay.is_some_and(|r| r.paused)
}

fn set_replay_paused(w: &mut Wiring, paused: bool) {
    let Some(ctl) = &w.replay else { return };
    ctl.send_modify(|c| c.paused = paused);
    if let Some(r) = w.session.store.replay.as_mut() {
        r.paused = paused;
    }
}

/// A paused replay does not run past a waiting exit in manual mode: the stop has fired and the
/// next bars would only move the price away from it. Entries may be left to expire.
fn resume_refused(w: &Wiring, change: ReplayChange) -> Option<String> {
    let s = &w.session;
    let resuming = change == ReplayChange::TogglePause && replay_paused(w);
    if !resuming || s.store.mode != Mode::Manual {
        return None;
    }
    let exit = s.store.signals.open().find(|e| e.signal.kind.is_exit())?;
    Some(format!(
        "replay stays paused: exit #{} waits for an answer (acknowledge or override it first)",
        exit.signal.id
    ))
}

fn replay_change(w: &mut Wiring, change: ReplayChange, step: f64) {
    let Some(ctl) = &w.replay else { return };
    let step = if step > 1.0 { step } else { 2.0 };
    ctl.send_modify(|c: &mut ReplayControl| match change {
        ReplayChange::TogglePause => c.paused = !c.paused,
        // Speed 0 means "as fast as possible": slowing down from it starts at 64 bars/s.
        ReplayChange::Faster if c.speed > 0.0 => c.speed = (c.speed * step).min(1_000.0),
        ReplayChange::Faster => {}
        ReplayChange::Slower if c.speed == 0.0 => c.speed = 64.0,
        ReplayChange::Slower => c.speed = (c.speed / step).max(0.125),
    });
    let c = *ctl.borrow();
    if let Some(r) = w.session.store.replay.as_mut() {
        r.speed = c.speed;
        r.paused = c.paused;
    }
}
