//! Integration tests, one binary (one link step) with a module per area.

mod alpaca;
mod cftc;
mod cli;
mod e2e_tmux;
mod finra;
mod loader;
mod session;
mod short_mock;
mod short_prop;
mod ui;
