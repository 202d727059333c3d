//! Alpaca REST client shared by the market-data feed and the paper/live broker.
//!
//! Credentials come from the environment under the names the official SDKs use, the live host
//! is gated behind an explicit flag plus a confirmation, keys never leave the request headers,
//! and every request passes one rate limiter so feed and broker together stay under the quota.

mod backoff;
pub mod bars;
mod client;
mod endpoints;
mod error;
mod ratelimit;
pub mod session;
pub mod stream;
mod trading;
pub mod wire;

pub use backoff::{backoff, jittered, MAX_RETRY_WAIT};
pub use client::{AlpacaClient, Api, ClientConfig};
pub use endpoints::{
    resolve_endpoints, Endpoints, Secret, DEFAULT_DATA_URL, DEFAULT_TRADING_URL, ENV_BASE_URL,
    ENV_DATA_URL, ENV_KEY_ID, ENV_SECRET_KEY, LIVE_HOST, PAPER_HOST,
};
pub use error::AlpacaError;
pub use ratelimit::RateLimiter;
