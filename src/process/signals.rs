//! Termination signals (SIGTERM, SIGHUP, SIGINT, SIGQUIT) end a run the way `q` does: the loop
//! stops, the session ends cleanly in the journal, the terminal is restored, and the process
//! exits with the conventional 128 + signo. Without this, the default action killed the process
//! mid-frame: the terminal stayed raw on the alternate screen and the session read as a crash.
//!
//! Signals are process-wide, so this is a process-wide switch: `install` once the run's loop is
//! about to start, and the loops wait on `requested()`, which never resolves when nothing was
//! installed (tests that drive a loop in-process).

use std::sync::OnceLock;

use tokio::sync::watch;

static STOP: OnceLock<watch::Receiver<Option<i32>>> = OnceLock::new();

/// Listen for the termination signals from now on (inside a tokio runtime). Idempotent.
#[cfg(unix)]
pub fn install() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    if STOP.get().is_some() {
        return Ok(());
    }
    let kinds = [
        (SignalKind::terminate(), 15),
        (SignalKind::hangup(), 1),
        (SignalKind::interrupt(), 2),
        (SignalKind::quit(), 3),
    ];
    let (tx, rx) = watch::channel(None);
    for (kind, signo) in kinds {
        // Registered here, not in the task, so a signal that arrives right after `install`
        // returns is already ours rather than the default action's.
        let mut s = signal(kind)?;
        let tx = tx.clone();
        tokio::spawn(async move {
            if s.recv().await.is_some() {
                // The first signal wins; a second one while stopping changes nothing.
                tx.send_if_modified(|v| v.is_none() && v.replace(signo).is_none());
            }
        });
    }
    let _ = STOP.set(rx);
    Ok(())
}

#[cfg(not(unix))]
pub fn install() -> std::io::Result<()> {
    Ok(())
}

/// Resolves with the signal number once a termination signal arrived; pending forever if
/// `install` was never called.
pub async fn requested() -> i32 {
    let Some(rx) = STOP.get() else {
        return std::future::pending().await;
    };
    let mut rx = rx.clone();
    let signo = rx.wait_for(Option::is_some).await.ok().and_then(|v| *v);
    match signo {
        Some(signo) => signo,
        None => std::future::pending().await,
    }
}

/// The signal that stopped the run, if one did.
pub fn received() -> Option<i32> {
    STOP.get().and_then(|rx| *rx.borrow())
}

/// The exit code a shell expects of a process stopped by `signo`.
pub fn exit_code(signo: i32) -> i32 {
    128 + signo
}

/// The session-end reason journaled for a signal.
pub fn reason(signo: i32) -> &'static str {
    match signo {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        15 => "SIGTERM",
        _ => "signal",
    }
}
