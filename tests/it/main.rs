//! Integration tests, one binary (one link step) with a module per area.

mod alpaca;
mod cli;
mod e2e_tmux;
mod loader;
mod session;
mod ui;
