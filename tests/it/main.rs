//! Integration tests, one binary (one link step) with a module per area.

mod engine_props;
mod engine_reference;
mod engine_replay;
mod loader;
