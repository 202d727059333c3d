//! Bar data at rest: the one loader for every CSV layout, the same rows read as a stream, and
//! the bars compiled into the binary.

pub mod bounded;
mod direct;
pub mod embedded;
pub mod loader;
mod number;
mod plausible;
mod rows;
mod stamp;
pub mod stream;

pub(crate) use stamp::plain_date;

pub use loader::{load_bars, load_file, LoadError, LoadWarning, Loaded};
pub use stream::BarReader;
