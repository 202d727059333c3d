//! Loopback HTTP servers for the FINRA / CFTC tests: axum on 127.0.0.1, port 0, counting requests.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use double_agent::config::Config;
use double_agent::feed::FeedEvent;

pub struct Mock {
    pub base: String,
    pub hits: Arc<AtomicUsize>,
}

impl Mock {
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Serve `app` on a fresh port; every request bumps `hits` (counted before routing).
pub async fn serve(app: Router) -> Mock {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = app.layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                next.run(req).await
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Mock {
        base: format!("http://{addr}"),
        hits,
    }
}

/// An environment that points every positioning base URL at `base`.
pub fn env_for(base: &str) -> impl Fn(&str) -> Option<String> + '_ {
    move |k: &str| {
        matches!(k, "FINRA_API_URL" | "FINRA_CDN_URL" | "CFTC_API_URL").then(|| base.to_string())
    }
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/short")
        .join(name)
}

pub fn read_fixture(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

pub fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

pub fn test_config() -> Config {
    Config::default_config()
}

pub fn health_of<'a>(
    events: &'a [FeedEvent],
    source: &str,
) -> Vec<&'a double_agent::feed::FeedHealth> {
    events
        .iter()
        .filter_map(|e| match e {
            FeedEvent::Health { source: s, health } if s == source => Some(health),
            _ => None,
        })
        .collect()
}

pub fn warnings(events: &[FeedEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            FeedEvent::Warning { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

/// What the FINRA CDN (S3) answers for a day without a file: 403 with an XML body.
pub const XML_403: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";

pub fn d(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}
