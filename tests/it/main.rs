//! Integration tests, one binary (one link step) with a module per area.

mod alpaca;
mod cli;
mod loader;
mod session;
