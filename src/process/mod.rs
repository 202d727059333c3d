//! What the process keeps around itself, beside the trading: where its log and data go, its
//! own memory figures, the termination signals that end a run the way `q` does, and the
//! hygiene that keeps keys out of readable files and logs.

/// Logging to a file, and the log pane's copy.
pub mod logging;
/// The process's own memory figures (peak and current RSS) for what a run prints.
pub mod procstat;
/// Secrets hygiene: refuse group/world-readable config files holding keys; redact logs.
pub mod secrets;
/// Termination signals end a run cleanly, the way `q` does.
pub mod signals;
