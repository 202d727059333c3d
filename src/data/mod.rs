//! Bar data at rest: the one loader for every CSV layout, and the bars compiled into the binary.

pub mod embedded;
pub mod loader;

pub use loader::{load_bars, load_file, LoadError, LoadWarning, Loaded};
