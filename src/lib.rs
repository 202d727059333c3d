//! double-agent: a terminal dashboard in which a Bear and a Bull agent argue over the Russell 2000.
//!
//! Data flows one way: feeds → app loop (the one owner of state) → engine → signals → trader →
//! risk gates → broker → fills → back into the state. Rendering only reads the state.

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
/// Domain types: bars, symbols, orders, fills, positions, signals, positioning snapshots.
pub mod model;
/// Short interest, short volume and futures positioning: book, Bear evidence, cache, pollers.
pub mod positioning;
