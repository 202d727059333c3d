//! Integration tests, one binary (one link step) with a module per area.

mod engine_replay;
mod loader;
