//! double-agent: a terminal dashboard in which a Bear and a Bull agent argue over the Russell 2000.
//!
//! Data flows one way: feeds → session (the one owner of state) → engine → signals → trader →
//! risk gates → broker → fills → back into the state. Rendering only reads the state.

/// Alpaca REST client (keys, live gate, rate limits) shared by its feed and broker.
pub mod alpaca;
/// Backtests: the same session in auto mode over recorded or synthetic bars.
pub mod backtest;
/// Venues: the built-in paper simulator and Alpaca.
pub mod broker;
/// Typed configuration: embedded defaults overlaid by the user's file, every key checked.
pub mod config;
/// Bar files at rest: the one loader for every layout, and the bars compiled into the binary.
pub mod data;
/// The pure decision engine: indicators, levels, Bear and Bull agents, sizing.
pub mod engine;
/// Feeds: replay, Alpaca market data, FINRA, CFTC, with their health.
pub mod feed;
/// The flight recorder: a SQLite journal of sessions, bars, signals, answers, orders and fills.
pub mod journal;
/// Live market hours: the forming bars, the market clock, each agent's "if it closes here"
/// line, and the alerts when a signal waits or a stop is near.
pub mod live;
/// Domain types: bars, symbols, orders, fills, positions, signals, positioning snapshots.
pub mod model;
/// Short interest, short volume and futures positioning: book, Bear evidence, cache, pollers.
pub mod positioning;
/// The process's surroundings: logging to a file, memory figures, termination signals, secrets
/// hygiene.
pub mod process;
/// Risk gates in front of every broker: caps, rate limit, duplicates, staleness, kill switch.
pub mod risk;
/// The program's edge: the command line, the wiring of a session from it, and the two ways it
/// runs (the dashboard's event loop and headless JSON lines), plus the tools.
pub mod run;
/// The override scorecard: each agent proposal's hypothetical result beside the trader's.
pub mod scorecard;
/// The one owner of the store: feed, broker and trader events in; orders and notices out.
pub mod session;
/// The state store: bars, indicators, signals, orders, positions, health, log.
pub mod store;
/// Rendering of the dashboard from the session's state.
pub mod ui;
