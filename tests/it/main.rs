//! Integration tests, one binary (one link step) with a module per area.

mod agents_report;
mod alerts;
mod alpaca;
mod bounded;
mod cftc;
mod cli;
mod close_decision;
mod e2e_tmux;
mod engine_props;
mod engine_reference;
mod engine_replay;
mod faults;
mod finra;
mod guards;
mod journal_damage;
mod lifecycle;
mod live_session;
mod live_trading;
mod loader;
mod parser_prop;
mod positioning_wiring;
mod recovery;
mod session;
mod short_mock;
mod short_prop;
mod ui;
