//! Integration tests, one binary (one link step) with a module per area.

mod e2e_tmux;
mod loader;
mod ui;
