//! Integration tests, one binary (one link step) with a module per area.

mod cftc;
mod finra;
mod loader;
mod short_mock;
mod short_prop;
