//! Alpaca feed and broker against a loopback mock that speaks the recorded contract.

mod base_url;
mod broker;
mod client;
pub mod feed;
mod live_close;
pub mod mock;
mod routes;
mod security;
mod stream;
pub mod stream_mock;
mod trade_updates;

use std::time::Duration;

use double_agent::alpaca::{AlpacaClient, ClientConfig, Endpoints, Secret};

/// Short everything: each test finishes in about a second.
pub fn client_cfg() -> ClientConfig {
    ClientConfig {
        timeout: Duration::from_millis(200),
        max_requests_per_minute: 6000,
        max_retries: 3,
        retry_base: Duration::from_millis(10),
    }
}

pub fn client_with(base: &str, key: &str, secret: &str) -> AlpacaClient {
    let ep = Endpoints::new(base, base, Secret::new(key), Secret::new(secret)).unwrap();
    AlpacaClient::new(ep, client_cfg()).unwrap()
}

pub fn client(base: &str) -> AlpacaClient {
    client_with(base, mock::KEY, mock::SECRET)
}

/// Every test ends here: the mock saw no request that breaks the spec.
pub fn assert_no_violations(m: &mock::Mock) {
    let v = m.violations.lock().unwrap();
    assert!(v.is_empty(), "contract violations: {v:#?}");
}

/// A channel the tests read from: bounded (feeds) or unbounded (brokers).
pub trait Recv<T> {
    fn recv_next(&mut self) -> impl std::future::Future<Output = Option<T>>;
}

impl<T> Recv<T> for tokio::sync::mpsc::Receiver<T> {
    fn recv_next(&mut self) -> impl std::future::Future<Output = Option<T>> {
        self.recv()
    }
}

impl<T> Recv<T> for tokio::sync::mpsc::UnboundedReceiver<T> {
    fn recv_next(&mut self) -> impl std::future::Future<Output = Option<T>> {
        self.recv()
    }
}

/// Receive until `pred` holds for an event (inclusive); panic with what came if it never does.
pub async fn until<T: std::fmt::Debug>(
    rx: &mut impl Recv<T>,
    mut pred: impl FnMut(&T) -> bool,
) -> Vec<T> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv_next()).await {
            Ok(Some(ev)) => {
                let done = pred(&ev);
                got.push(ev);
                if done {
                    return got;
                }
            }
            other => panic!("no matching event ({other:?}); got {got:#?}"),
        }
    }
}
