//! Integration tests, one binary (one link step) with a module per area.

mod loader;
mod ui;
